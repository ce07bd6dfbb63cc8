//! `changes`: the changelog between two Windows versions of the modern layer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_catalog::changes::{Change, ChangeKind, ChangeSubject, ReversedVersions, changes};
use portolan_catalog::{Catalog, Modern, WindowsVersion};

fn all(from: WindowsVersion, to: WindowsVersion) -> Vec<Change> {
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    changes(&seed, &modern, from, to).unwrap()
}

fn key(end: &Option<portolan_catalog::changes::ChangeEnd>) -> String {
    end.as_ref()
        .and_then(|e| e.row)
        .map_or(String::new(), |k| k.to_string())
}

/// `(kind, service, before row, after row)` of every change, for readable assertions.
fn shapes(list: &[Change]) -> Vec<(ChangeKind, String, String, String)> {
    list.iter()
        .map(|c| (c.kind, c.service.clone(), key(&c.before), key(&c.after)))
        .collect()
}

fn has(list: &[Change], kind: ChangeKind, service: &str, before: &str, after: &str) -> bool {
    shapes(list).contains(&(
        kind,
        service.to_string(),
        before.to_string(),
        after.to_string(),
    ))
}

#[test]
fn from_2003_to_2025_tells_the_known_changes() {
    use ChangeKind::*;
    let list = all(WindowsVersion::W2003, WindowsVersion::W2025);
    let ok = |kind, service, before, after| {
        assert!(
            has(&list, kind, service, before, after),
            "{kind:?} {service} {before} -> {after} missing from {:#?}",
            shapes(&list)
        );
    };
    ok(Added, "kerberos-kdc", "", "udp/464");
    ok(Added, "kerberos-kdc", "", "tcp/464");
    ok(Added, "ad-web-services", "", "tcp/9389");
    ok(Moved, "winrm", "tcp/80", "tcp/5985");
    ok(Moved, "winrm", "tcp/443", "tcp/5986");
    ok(Moved, "rpc-dynamic", "tcp/1025-5000", "tcp/49152-65535");
    ok(Moved, "ssdp-discovery", "tcp/5000", "tcp/2869");
    ok(ReOwned, "ike-authip", "udp/500", "udp/500");
    ok(ReOwned, "ike-authip", "udp/4500", "udp/4500");
    ok(Renamed, "local-security-authority", "tcp/3268", "tcp/3268");
    ok(Dropped, "smtp", "udp/25", "");
    ok(Added, "server", "", "udp/443");
    // FRS replaced by DFSR, and the dropped services.
    let replaced = list
        .iter()
        .find(|c| c.kind == Replaced && c.service == "dfs-replication")
        .expect("DFS Replication replaces File Replication");
    assert_eq!(replaced.subject, ChangeSubject::Service);
    assert_eq!(
        replaced.before.as_ref().unwrap().service,
        "file-replication"
    );
    assert_eq!(replaced.after.as_ref().unwrap().service, "dfs-replication");
    assert_eq!(replaced.version, WindowsVersion::W2008);
    for dropped in ["messenger", "netmeeting-remote-desktop", "smtp"] {
        assert!(
            list.iter().any(|c| c.kind == Dropped
                && c.subject == ChangeSubject::Service
                && c.service == dropped),
            "{dropped} dropped"
        );
    }
    // The hand-over of IKE is told once, from the new owner's side.
    let ike: Vec<_> = list
        .iter()
        .filter(|c| c.kind == ReOwned && key(&c.after) == "udp/500")
        .collect();
    assert_eq!(ike.len(), 1, "{ike:#?}");
    assert_eq!(
        ike[0].before.as_ref().unwrap().service,
        "local-security-authority"
    );
    // Every change names its sources, each a source of the layer.
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    for c in &list {
        assert!(!c.sources.is_empty(), "{c:?} has sources");
        for s in &c.sources {
            assert!(modern.source(s).is_some(), "{s} is a source of the layer");
        }
    }
    // Oldest first.
    assert!(list.windows(2).all(|w| w[0].version <= w[1].version));
}

#[test]
fn one_step_tells_only_that_step() {
    let list = all(WindowsVersion::W2019, WindowsVersion::W2022);
    assert!(list.iter().all(|c| c.version == WindowsVersion::W2022));
    // 2022 to 2025: SMB over QUIC on UDP 443 and the end of the SMTP service.
    let list = all(WindowsVersion::W2022, WindowsVersion::W2025);
    assert!(has(&list, ChangeKind::Added, "server", "", "udp/443"));
    assert!(
        list.iter()
            .any(|c| c.kind == ChangeKind::Dropped && c.service == "smtp")
    );
    // 2008 to 2012: WinRM's first ports move to listeners it already had.
    let list = all(WindowsVersion::W2008, WindowsVersion::W2012);
    assert!(has(&list, ChangeKind::Moved, "winrm", "tcp/80", "tcp/5985"));
    assert!(
        !list
            .iter()
            .any(|c| c.kind == ChangeKind::Added && c.service == "winrm")
    );
}

#[test]
fn the_steps_add_up_to_the_whole() {
    let whole = all(WindowsVersion::W2003, WindowsVersion::W2025);
    let mut pieces = Vec::new();
    for pair in WindowsVersion::ALL.windows(2) {
        pieces.extend(all(pair[0], pair[1]));
    }
    assert_eq!(whole, pieces);
}

#[test]
fn equal_versions_have_no_changes_and_reversed_ones_are_refused() {
    for v in WindowsVersion::ALL {
        assert!(all(v, v).is_empty(), "{v}");
    }
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    let err = changes(&seed, &modern, WindowsVersion::W2025, WindowsVersion::W2003).unwrap_err();
    assert_eq!(
        err,
        ReversedVersions {
            from: WindowsVersion::W2025,
            to: WindowsVersion::W2003
        }
    );
    assert!(err.to_string().contains("--from 2003 --to 2025"));
}
