//! Parses and checks the built-in catalog, its layer for today's Windows and the port-sharing
//! decisions, and writes them in the compiled form to OUT_DIR: the layer (seed and modern),
//! the sharing decisions, and the catalog as each Windows version has it.

use std::error::Error;
use std::path::PathBuf;

use portolan_catalog::compiled::{encode, encode_catalog};
use portolan_catalog::{Catalog, Modern, PortSharing, WindowsVersion};

fn main() -> Result<(), Box<dyn Error>> {
    // The data is embedded in portolan-catalog, a build dependency: when it changes, cargo
    // rebuilds this script and runs it again.
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let seed = Catalog::builtin()?;
    let modern = Modern::builtin(&seed)?;
    let sharing = PortSharing::builtin(&seed, &modern)?;
    std::fs::write(out.join("layer.bin"), encode("layer", &(&seed, &modern))?)?;
    std::fs::write(out.join("sharing.bin"), encode("sharing", &sharing)?)?;
    for version in WindowsVersion::ALL {
        let view = seed.at(&modern, version);
        let name = format!("view-{}.bin", version.as_str());
        std::fs::write(out.join(name), encode_catalog("view", &view)?)?;
    }
    Ok(())
}
