//! Port conflicts: the reviewed decisions of data/conflicts.toml and the function over them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_catalog::{
    Catalog, Modern, PortConflict, PortSharing, PortSpec, RowKey, WindowsVersion,
};

fn builtin() -> (Catalog, Modern, PortSharing) {
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    let sharing = PortSharing::builtin(&seed, &modern).unwrap();
    (seed, modern, sharing)
}

fn key(text: &str) -> RowKey {
    text.parse().unwrap()
}

fn pairs(found: &[PortConflict]) -> Vec<(String, String, String)> {
    found
        .iter()
        .map(|c| {
            (
                format!("{}/{}", c.transport.key(), c.port),
                c.services[0].clone(),
                c.services[1].clone(),
            )
        })
        .collect()
}

/// Every service id of the seed and the layer, and its rows at `version`.
fn all_claims(seed: &Catalog, modern: &Modern, version: WindowsVersion) -> Vec<(String, RowKey)> {
    let mut ids: Vec<String> = seed.services().iter().map(|s| s.id.clone()).collect();
    for s in modern.services() {
        if !ids.contains(&s.id) {
            ids.push(s.id.clone());
        }
    }
    let mut claims = Vec::new();
    for id in ids {
        for row in modern.service_rows(seed, &id, version) {
            claims.push((
                id.clone(),
                RowKey {
                    transport: row.transport,
                    port: row.port,
                },
            ));
        }
    }
    claims
}

#[test]
fn every_pair_that_meets_on_a_port_is_decided_by_the_data() {
    let (seed, modern, sharing) = builtin();
    let mut unreviewed = Vec::new();
    let mut exclusive_seen = std::collections::BTreeSet::new();
    for version in WindowsVersion::ALL {
        let claims = all_claims(&seed, &modern, version);
        for c in sharing.conflicts(claims.iter().map(|(s, k)| (s.as_str(), *k))) {
            match &c.rule {
                Some(rule) => {
                    exclusive_seen.insert(rule.clone());
                }
                None => unreviewed.push(format!("{version}: {:?}", pairs(&[c]))),
            }
        }
    }
    assert!(
        unreviewed.is_empty(),
        "pairs no entry decides: {unreviewed:#?}"
    );
    // Every exclusive entry but SSDP's (which guards a port nothing else built in claims)
    // decides a pair that occurs.
    for e in sharing.exclusive() {
        if e.id != "ssdp-legacy-eventing" {
            assert!(exclusive_seen.contains(&e.id), "{} decides no pair", e.id);
        }
    }
}

#[test]
fn the_examples_of_the_issue() {
    let (_, _, sharing) = builtin();
    let tcp80 = key("tcp/80");
    let found = sharing.conflicts([
        ("www-publishing", tcp80),
        ("windows-media-services", tcp80),
        ("sharepoint-portal-server", tcp80),
        ("winrm", tcp80),
    ]);
    assert_eq!(
        pairs(&found),
        [
            (
                "tcp/80".into(),
                "www-publishing".into(),
                "windows-media-services".into()
            ),
            (
                "tcp/80".into(),
                "windows-media-services".into(),
                "sharepoint-portal-server".into()
            ),
            (
                "tcp/80".into(),
                "windows-media-services".into(),
                "winrm".into()
            ),
        ]
    );
    assert!(
        found
            .iter()
            .all(|c| c.rule.as_deref() == Some("media-services-http"))
    );
    let rdp = sharing.conflicts([
        ("terminal-services", key("tcp/3389")),
        ("netmeeting-remote-desktop", key("tcp/3389")),
    ]);
    assert_eq!(rdp.len(), 1);
    assert_eq!(rdp[0].rule.as_deref(), Some("remote-desktop-port"));
    // SSDP and UPnP share 2869 through http.sys; 5000 is SSDP's own on 2003.
    assert!(
        sharing
            .conflicts([
                ("ssdp-discovery", key("tcp/2869")),
                ("upnp-device-host", key("tcp/2869"))
            ])
            .is_empty()
    );
    let legacy = sharing.conflicts([
        ("ssdp-discovery", key("tcp/5000")),
        ("my-app", key("tcp/5000")),
    ]);
    assert_eq!(legacy[0].rule.as_deref(), Some("ssdp-legacy-eventing"));
    // TCP 443 and UDP 443 are different ports.
    assert!(
        sharing
            .conflicts([
                ("www-publishing", key("tcp/443")),
                ("server", key("udp/443"))
            ])
            .is_empty()
    );
    // http.sys: IIS, WinRM, WSUS, KDC proxy and RD Gateway share.
    assert!(
        sharing
            .conflicts([
                ("www-publishing", key("tcp/443")),
                ("kdc-proxy", key("tcp/443")),
                ("rd-gateway", key("tcp/443")),
                ("wsus", key("tcp/8530")),
                ("www-publishing", key("tcp/8530")),
            ])
            .is_empty()
    );
}

#[test]
fn dynamic_specs_ranges_and_one_service_never_conflict() {
    let (_, _, sharing) = builtin();
    let dynamic = RowKey {
        transport: portolan_catalog::Transport::Tcp,
        port: Some(PortSpec::RpcDynamic),
    };
    assert!(
        sharing
            .conflicts([
                ("local-security-authority", dynamic),
                ("net-logon", dynamic)
            ])
            .is_empty()
    );
    assert!(
        sharing
            .conflicts([
                ("isa-tmg", key("tcp/1025-65535")),
                ("www-publishing", key("tcp/80"))
            ])
            .is_empty()
    );
    assert!(
        sharing
            .conflicts([
                ("terminal-services", key("tcp/3389")),
                ("terminal-services", key("tcp/3389"))
            ])
            .is_empty()
    );
}

#[test]
fn an_unknown_pair_is_an_unreviewed_conflict() {
    let (_, _, sharing) = builtin();
    let found = sharing.conflicts([("my-web", key("tcp/8080")), ("isa-tmg", key("tcp/8080"))]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, None);
    assert!(found[0].reason.contains("no reviewed entry"));
}

#[test]
fn bad_data_is_refused_with_its_place() {
    let known = |id: &str| id != "nobody";
    let refused = |text: &str, words: &str| {
        let err = PortSharing::parse("t.toml", text, &known).unwrap_err();
        assert!(err.to_string().contains(words), "{err} lacks {words}");
        err
    };
    let err = refused(
        "[[exclusive]]\nid = \"x\"\nports = [\"tcp/80\"]\nservices = [\"nobody\"]\nreason = \"r\"\n",
        "service `nobody`",
    );
    assert_eq!((err.line, err.context.as_str()), (1, "exclusive x"));
    refused(
        "[[shared]]\nid = \"x\"\nports = [\"tcp/rpc-dynamic\"]\nlistener = \"l\"\nreason = \"r\"\n",
        "not a single fixed port",
    );
    refused(
        "[[shared]]\nid = \"x\"\nports = [\"tcp/80\"]\nlistener = \"l\"\nreason = \"r\"\n\
         [[exclusive]]\nid = \"y\"\nports = [\"tcp/80\"]\nservices = [\"a\"]\nreason = \"r\"\n",
        "either shared or exclusive",
    );
    refused(
        "[[shared]]\nid = \"x\"\nports = [\"tcp/80\"]\nlistener = \"l\"\nreason = \"r\"\n\
         [[shared]]\nid = \"x\"\nports = [\"tcp/81\"]\nlistener = \"l\"\nreason = \"r\"\n",
        "used twice",
    );
}
