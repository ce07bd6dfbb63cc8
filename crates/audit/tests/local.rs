//! Reading this machine's own sockets from /proc, and owners from a /proc tree.

#![cfg(target_os = "linux")]

mod support;

use std::net::{TcpListener, UdpSocket};

use portolan_audit::{BindingKind, SocketState, system};
use portolan_catalog::Transport;

#[test]
fn finds_its_own_listeners_with_their_process() {
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tcp_port = tcp.local_addr().unwrap().port();
    let udp_port = udp.local_addr().unwrap().port();
    let parsed = system::read_local().unwrap();
    let me = std::process::id();
    for (transport, port, state) in [
        (Transport::Tcp, tcp_port, SocketState::Listen),
        (Transport::Udp, udp_port, SocketState::Bound),
    ] {
        let found = parsed
            .listeners
            .iter()
            .find(|l| l.transport == transport && l.port == port && l.address.is_loopback())
            .unwrap_or_else(|| panic!("{transport} {port} not found"));
        assert_eq!(found.state, state);
        assert_eq!(found.binding(), BindingKind::Loopback);
        assert!(!found.is_reachable());
        // Our own process is always visible to us.
        let pids: Vec<Option<u32>> = std::iter::once(found.pid)
            .chain(found.other_owners.iter().map(|o| o.pid))
            .collect();
        assert!(pids.contains(&Some(me)), "{pids:?}");
    }
    assert!(parsed.coverage.tcp && parsed.coverage.udp);
}

#[test]
fn owners_come_from_fd_links_of_a_proc_tree() {
    let root = portolan_testkit::TempDir::new("audit-proc");
    let net = root.0.join("net");
    std::fs::create_dir_all(&net).unwrap();
    for table in ["tcp", "udp"] {
        std::fs::copy(
            support::fixture_path(&format!("samba-dc/proc-net-{table}.txt")),
            net.join(table),
        )
        .unwrap();
    }
    // Process 7465 holds the DNS sockets on 10.201.0.2: TCP inode 10735, UDP inode 10736.
    let fd = root.0.join("7465/fd");
    std::fs::create_dir_all(&fd).unwrap();
    std::os::unix::fs::symlink("socket:[10735]", fd.join("51")).unwrap();
    std::os::unix::fs::symlink("socket:[10736]", fd.join("52")).unwrap();
    std::os::unix::fs::symlink("/dev/null", fd.join("0")).unwrap();
    std::fs::write(root.0.join("7465/comm"), "samba\n").unwrap();

    let parsed = system::read_local_from(&root.0).unwrap();
    let dns: Vec<_> = parsed
        .listeners
        .iter()
        .filter(|l| l.port == 53 && l.address.to_string() == "10.201.0.2")
        .collect();
    assert_eq!(dns.len(), 2);
    for l in dns {
        assert_eq!((l.pid, l.process.as_deref()), (Some(7465), Some("samba")));
    }
    // tcp6 and udp6 are missing from this tree; the other listeners' owners are unknown.
    assert!(
        parsed.notes.iter().any(|n| n.contains("tcp6")),
        "{:?}",
        parsed.notes
    );
    assert!(
        parsed.notes.iter().any(|n| n.contains("not visible")),
        "{:?}",
        parsed.notes
    );
}

#[test]
fn missing_files_are_io_errors() {
    let err = system::read_input("/nonexistent/portolan/input.txt").unwrap_err();
    assert_eq!(err.kind, portolan_audit::ErrorKind::Io);
    assert!(
        err.to_string()
            .starts_with("/nonexistent/portolan/input.txt: cannot open")
    );
    let err = system::read_local_from(std::path::Path::new("/nonexistent/proc")).unwrap_err();
    assert_eq!(err.kind, portolan_audit::ErrorKind::Io);
}
