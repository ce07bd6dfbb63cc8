//! The compiled data equals what parsing the TOML gives now: the build script ran on the data
//! this build embeds.

use portolan_catalog::{Catalog, Modern, PortSharing, WindowsVersion};

#[test]
fn compiled_data_equals_the_parsed_data() {
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    let (compiled_seed, compiled_modern) = portolan_builtin::layer().unwrap();
    assert_eq!(compiled_seed, &seed);
    assert_eq!(compiled_modern, &modern);
    assert_eq!(
        portolan_builtin::sharing().unwrap(),
        &PortSharing::builtin(&seed, &modern).unwrap()
    );
    for version in WindowsVersion::ALL {
        assert_eq!(
            portolan_builtin::view(version).unwrap(),
            seed.at(&modern, version),
            "{version}"
        );
    }
}
