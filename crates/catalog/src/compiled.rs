//! The compiled form of checked catalog data: the model serialised once at build time (by
//! `crates/builtin`) and read back at start-up, so a look-up neither parses TOML nor checks
//! the data again.
//!
//! The form is postcard: positional and compact, so reading it back costs little more than
//! allocating the model. It is an internal cache, not an interchange format: only the same
//! build of this crate reads it. Types whose human-readable output leaves default fields out
//! write every field here (they ask `is_human_readable`), as a positional format needs.

use serde::{Deserialize, Serialize};

use crate::model::{PortRow, RowKey, Service};
use crate::{Catalog, PortQuery};

/// Compiled data could not be written or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compiled catalog data ({what}): {problem}")]
pub struct CompiledError {
    /// Which data: `layer`, `sharing`, `view 2025`.
    pub what: String,
    /// What the encoder or decoder said.
    pub problem: String,
}

/// `value` in the compiled form; `what` names it in errors.
pub fn encode<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<Vec<u8>, CompiledError> {
    postcard::to_stdvec(value).map_err(|e| CompiledError {
        what: what.to_string(),
        problem: e.to_string(),
    })
}

/// Reads back what [`encode`] wrote (a value may borrow from `bytes`).
pub fn decode<'de, T: Deserialize<'de>>(what: &str, bytes: &'de [u8]) -> Result<T, CompiledError> {
    postcard::from_bytes(bytes).map_err(|e| CompiledError {
        what: what.to_string(),
        problem: e.to_string(),
    })
}

/// A catalog in the compiled form, split by service so that a look-up reads only the
/// services its ports find ([`decode_catalog_for`]) rather than all of them.
#[derive(Serialize, Deserialize)]
struct SplitCatalog<'a> {
    /// The catalog without its services and roles: errata, version and dynamic ranges.
    shell: Catalog,
    /// The roles in the compiled form: a look-up by port shows none, so it leaves them.
    #[serde(borrow)]
    roles: &'a [u8],
    /// Each service's rows by transport and port, in the services' order: what a port query
    /// reads to decide whether the service is needed.
    footprints: Vec<Vec<RowKey>>,
    /// Each service in the compiled form, in the same order.
    #[serde(borrow)]
    services: Vec<&'a [u8]>,
}

/// `catalog` in the compiled form, split by service; read back with [`decode_catalog`] or
/// [`decode_catalog_for`].
pub fn encode_catalog(what: &str, catalog: &Catalog) -> Result<Vec<u8>, CompiledError> {
    let services = catalog
        .services()
        .iter()
        .map(|s| encode(what, s))
        .collect::<Result<Vec<_>, _>>()?;
    let roles = encode(what, catalog.roles())?;
    let split = SplitCatalog {
        shell: Catalog {
            services: Vec::new(),
            roles: Vec::new(),
            ..catalog.clone()
        },
        roles: &roles,
        footprints: catalog
            .services()
            .iter()
            .map(|s| s.ports.iter().map(PortRow::key).collect())
            .collect(),
        services: services.iter().map(Vec::as_slice).collect(),
    };
    encode(what, &split)
}

/// The whole catalog [`encode_catalog`] wrote.
pub fn decode_catalog(what: &str, bytes: &[u8]) -> Result<Catalog, CompiledError> {
    read_split(what, bytes, Roles::Read, |_, _| true)
}

/// The catalog [`encode_catalog`] wrote, with only the services that have a row one of
/// `queries` finds (exactly or by a dynamic range) and without roles: [`Catalog::rows_on`]
/// answers each of `queries` on it as on the whole catalog, and neither the other services nor
/// the roles are decoded. The errata come whole, as rows name them.
pub fn decode_catalog_for(
    what: &str,
    bytes: &[u8],
    queries: &[PortQuery],
) -> Result<Catalog, CompiledError> {
    read_split(what, bytes, Roles::Leave, |shell, footprint| {
        footprint
            .iter()
            .any(|key| queries.iter().any(|q| shell.row_match(q, *key).is_some()))
    })
}

/// Whether [`read_split`] decodes the roles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Roles {
    Read,
    Leave,
}

/// Reads a split catalog, decoding the services `wanted` takes by their footprint, and the
/// roles where asked.
fn read_split(
    what: &str,
    bytes: &[u8],
    roles: Roles,
    wanted: impl Fn(&Catalog, &[RowKey]) -> bool,
) -> Result<Catalog, CompiledError> {
    let split: SplitCatalog<'_> = decode(what, bytes)?;
    if split.footprints.len() != split.services.len() {
        return Err(CompiledError {
            what: what.to_string(),
            problem: format!(
                "{} services but {} footprints",
                split.services.len(),
                split.footprints.len()
            ),
        });
    }
    let mut services = Vec::new();
    for (footprint, bytes) in split.footprints.iter().zip(&split.services) {
        if wanted(&split.shell, footprint) {
            let service: Service = decode(what, bytes)?;
            services.push(service);
        }
    }
    let roles = match roles {
        Roles::Read => decode(what, split.roles)?,
        Roles::Leave => Vec::new(),
    };
    Ok(Catalog {
        services,
        roles,
        ..split.shell
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Catalog, MatchKind, Modern, PortRange, PortSharing, Transport, WindowsVersion};

    #[test]
    fn the_builtin_data_survives_the_round_trip() {
        let seed = Catalog::builtin().unwrap();
        let modern = Modern::builtin(&seed).unwrap();
        let sharing = PortSharing::builtin(&seed, &modern).unwrap();
        let layer: (Catalog, Modern) =
            decode("layer", &encode("layer", &(&seed, &modern)).unwrap()).unwrap();
        assert_eq!(layer, (seed.clone(), modern.clone()));
        let back: PortSharing = decode("sharing", &encode("sharing", &sharing).unwrap()).unwrap();
        assert_eq!(back, sharing);
        for version in WindowsVersion::ALL {
            let view = seed.at(&modern, version);
            let back: Catalog = decode("view", &encode("view", &view).unwrap()).unwrap();
            assert_eq!(back, view, "{version:?}");
        }
    }

    #[test]
    fn human_readable_output_still_leaves_defaults_out() {
        // The compiled form writes every field; JSON and TOML keep leaving defaults out.
        let seed = Catalog::builtin().unwrap();
        let role = seed.role("domain-controller").unwrap();
        assert!(!role.user_defined);
        let text = toml::to_string(role).unwrap();
        assert!(!text.contains("user_defined"), "{text}");
        assert!(text.contains("[[services]]"), "{text}");
        let plain = role
            .services
            .iter()
            .find(|e| e.ports.is_all() && !e.optional);
        assert!(plain.is_some(), "a role entry with every row, not optional");
        let entry = toml::to_string(plain.unwrap()).unwrap();
        assert!(
            !entry.contains("optional") && !entry.contains("ports"),
            "{entry}"
        );
        let erratum = seed.errata().iter().find(|e| e.field.is_none()).unwrap();
        assert!(!toml::to_string(erratum).unwrap().contains("field ="));
    }

    /// What `rows_on` answers, comparable across two catalogs.
    fn answer(catalog: &Catalog, query: &PortQuery) -> Vec<(String, PortRow, MatchKind)> {
        catalog
            .rows_on(query)
            .into_iter()
            .map(|r| (r.service.id.clone(), r.row.clone(), r.matched))
            .collect()
    }

    /// Port queries around every edge of the catalog's rows and dynamic ranges, on each
    /// transport and none, and the IP protocols.
    fn edge_queries(catalog: &Catalog) -> Vec<PortQuery> {
        let mut ports = vec![1u16, 1023, 1024, 5000, 49151, 49152, 50000, 65535];
        for (_, row) in catalog.rows() {
            for (a, b) in row.port.map(|p| catalog.ranges_of(p)).unwrap_or_default() {
                ports.extend([a.saturating_sub(1).max(1), a, b, b.saturating_add(1)]);
            }
        }
        ports.sort_unstable();
        ports.dedup();
        let mut queries = Vec::new();
        for transport in [None, Some(Transport::Tcp), Some(Transport::Udp)] {
            for &p in &ports {
                queries.push(PortQuery::Ports {
                    range: PortRange { first: p, last: p },
                    transport,
                });
            }
            queries.push(PortQuery::Ports {
                range: PortRange::ALL,
                transport,
            });
        }
        for t in ["gre", "esp", "ah", "ip/41"] {
            queries.push(PortQuery::Protocol(t.parse().unwrap()));
        }
        queries
    }

    #[test]
    fn a_split_catalog_reads_back_whole_and_answers_like_the_whole() {
        let seed = Catalog::builtin().unwrap();
        let modern = Modern::builtin(&seed).unwrap();
        for version in WindowsVersion::ALL {
            let view = seed.at(&modern, version);
            let bytes = encode_catalog("view", &view).unwrap();
            assert_eq!(decode_catalog("view", &bytes).unwrap(), view, "{version:?}");
            for query in edge_queries(&view) {
                let part = decode_catalog_for("view", &bytes, std::slice::from_ref(&query));
                let part = part.unwrap();
                assert_eq!(answer(&part, &query), answer(&view, &query), "{query:?}");
                assert!(part.services().len() <= view.services().len());
            }
        }
    }

    #[test]
    fn a_look_up_reads_only_the_services_its_ports_find() {
        let seed = Catalog::builtin().unwrap();
        let bytes = encode_catalog("view", &seed).unwrap();
        let smb = PortQuery::Ports {
            range: PortRange {
                first: 445,
                last: 445,
            },
            transport: Some(Transport::Tcp),
        };
        let part = decode_catalog_for("view", &bytes, std::slice::from_ref(&smb)).unwrap();
        assert!(!part.services().is_empty());
        assert!(part.services().len() < seed.services().len() / 2);
        let found: Vec<String> = answer(&part, &smb).into_iter().map(|(id, ..)| id).collect();
        assert!(part.services().iter().all(|s| found.contains(&s.id)));
        // Errata come whole, as rows name them; roles are left, as a look-up by port shows
        // none.
        assert_eq!(part.errata(), seed.errata());
        assert!(part.roles().is_empty() && !seed.roles().is_empty());
        let none = PortQuery::Ports {
            range: PortRange { first: 7, last: 7 },
            transport: Some(Transport::Udp),
        };
        let empty = decode_catalog_for("view", &bytes, std::slice::from_ref(&none)).unwrap();
        assert_eq!(answer(&empty, &none), answer(&seed, &none));
    }

    proptest::proptest! {
        #[test]
        fn any_port_range_is_answered_alike(a in 1u16.., b in 1u16.., tcp in proptest::option::of(proptest::bool::ANY)) {
            let view = builtin_2025();
            let bytes = encode_catalog("view", view).unwrap();
            let query = PortQuery::Ports {
                range: PortRange { first: a.min(b), last: a.max(b) },
                transport: tcp.map(|t| if t { Transport::Tcp } else { Transport::Udp }),
            };
            let part = decode_catalog_for("view", &bytes, std::slice::from_ref(&query)).unwrap();
            proptest::prop_assert_eq!(answer(&part, &query), answer(view, &query));
        }

        #[test]
        fn damaged_split_bytes_are_an_error_or_a_catalog(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = decode_catalog("fuzz", &bytes);
            let _ = decode_catalog_for("fuzz", &bytes, &[PortQuery::Protocol(Transport::Ip(47))]);
        }
    }

    fn builtin_2025() -> &'static Catalog {
        static VIEW: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        VIEW.get_or_init(|| {
            let seed = Catalog::builtin().unwrap();
            let modern = Modern::builtin(&seed).unwrap();
            seed.at(&modern, WindowsVersion::W2025)
        })
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let seed = Catalog::builtin().unwrap();
        let bytes = encode("view", &seed).unwrap();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            let err = decode::<Catalog>("view 2025", &bytes[..cut]).unwrap_err();
            assert!(err.to_string().contains("view 2025"), "{err}");
        }
        assert!(decode::<Catalog>("view", b"\xc1garbage").is_err());
    }
}
