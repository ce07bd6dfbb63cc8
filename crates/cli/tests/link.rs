//! How the binary is linked (crates/cli/build.rs): on Linux with glibc it loads no libgcc_s,
//! whose loading and CPU probing were about 7% of a cold look-up (docs/performance.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_loads_no_libgcc_s() {
    // glibc's loader lists the shared objects and exits before main when this is set (what
    // ldd does), so no other tool is needed.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_portolan"))
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .output()
        .unwrap();
    assert!(output.status.success());
    let listing = String::from_utf8(output.stdout).unwrap();
    assert!(
        listing.contains("libc.so"),
        "a listing of objects: {listing}"
    );
    assert!(!listing.contains("libgcc_s"), "{listing}");
}
