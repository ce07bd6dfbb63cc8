//! Links GCC's unwinder into the binary on Linux with glibc, instead of loading libgcc_s.so.
//!
//! Rust's standard library asks for libgcc_s (its unwinder) on `*-linux-gnu` unless glibc is
//! linked statically. Loading it costs every start a shared object to map and relocate, and
//! its constructor probes the CPU's features with `cpuid`, which traps to the hypervisor in a
//! virtual machine: about 7% of a cold `portolan port 445` (docs/performance.md).
//! The same unwinder as a static archive (libgcc_eh.a, what Rust uses for its crt-static
//! builds) has no constructor and nothing to load. A library named by this package goes on
//! the link line before the standard library's, so the linker takes the unwinder from it, and
//! `--as-needed` (rustc's default) then drops libgcc_s.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    // A crt-static build (scripts/build-static.sh) links libgcc_eh already.
    let crt_static = features.split(',').any(|feature| feature == "crt-static");
    if os == "linux" && env == "gnu" && !crt_static {
        println!("cargo::rustc-link-lib=static:-bundle=gcc_eh");
    }
}
