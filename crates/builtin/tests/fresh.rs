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

#[test]
fn a_view_for_ports_answers_those_ports_like_the_whole_view() {
    for version in WindowsVersion::ALL {
        let whole = portolan_builtin::view(version).unwrap();
        for text in [
            "445", "tcp:135", "udp:53", "389 636", "50000", "gre", "1-65535", "7",
        ] {
            let queries = portolan_catalog::Ports::parse(text)
                .unwrap()
                .lookups(&whole)
                .unwrap();
            let part = portolan_builtin::view_for(version, &queries).unwrap();
            for query in &queries {
                let ids = |c: &Catalog| -> Vec<(String, String)> {
                    c.rows_on(query)
                        .iter()
                        .map(|r| (r.service.id.clone(), r.row.key().to_string()))
                        .collect()
                };
                assert_eq!(ids(&part), ids(&whole), "{version} {text}");
            }
            assert!(part.services().len() <= whole.services().len());
        }
    }
}
