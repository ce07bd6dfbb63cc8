//! The listener on loopback, with high ports (no privilege needed): the stand-in endpoint
//! mapper read by the check's own RPC client, the dynamic ports it names answering the
//! portolan hello, the rate limit, the log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portolan_catalog::Transport;
use portolan_listen::{Listener, Port, RpcStandIn, ServeOptions};
use portolan_wire::hello;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A free TCP port of loopback, and the next ones (a best guess; a clash fails loudly).
fn free_base(count: u16) -> u16 {
    for _ in 0..64 {
        let base = fastrand_port();
        let all_free = (0..count).all(|i| {
            std::net::TcpListener::bind((LOOPBACK, base + i)).is_ok()
                && UdpSocket::bind((LOOPBACK, base + i)).is_ok()
        });
        if all_free {
            return base;
        }
    }
    panic!("no free ports on loopback");
}

fn fastrand_port() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    20_000 + (nanos % 20_000) as u16
}

#[test]
fn the_stand_in_mapper_names_ports_that_answer_the_hello() {
    let base = free_base(8);
    let mapper_port = base;
    let ports = vec![Port {
        transport: Transport::Tcp,
        port: base + 1,
        label: "a fixed port".to_string(),
    }];
    let rpc = RpcStandIn {
        services: vec!["local-security-authority".into(), "file-replication".into()],
        base: Some(base + 4),
        mapper_port,
    };
    let listener = Listener::bind_with_rpc(ports, &[LOOPBACK], &rpc).unwrap();
    let registered: Vec<u16> = listener.registrations().iter().map(|r| r.port).collect();
    assert!(
        registered.contains(&(base + 4)) && registered.contains(&(base + 5)),
        "{registered:?}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let hits = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&hits);
    runtime.block_on(async move {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serve = tokio::spawn(listener.serve(
            ServeOptions::default(),
            None,
            move |hit| seen.lock().unwrap().push(hit.clone()),
            async {
                let _ = stopped.await;
            },
        ));
        // The check's own endpoint mapper client.
        let enumeration = portolan_probe::rpc::enumerate_at(
            SocketAddr::new(LOOPBACK, mapper_port),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let mut found: Vec<u16> = enumeration
            .endpoints
            .iter()
            .filter_map(|e| e.port)
            .collect();
        found.sort_unstable();
        found.dedup();
        assert_eq!(found, [base + 4, base + 5], "{enumeration:?}");
        assert!(
            enumeration
                .endpoints
                .iter()
                .any(|e| e.services.contains(&"local-security-authority"))
        );
        // Each dynamic port answers the hello.
        for port in found {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let token = hello::Token::from_bytes([port as u8; 16]);
            let mut stream = tokio::net::TcpStream::connect((LOOPBACK, port))
                .await
                .unwrap();
            stream.write_all(&hello::ping(&token)).await.unwrap();
            let mut answer = vec![0u8; hello::LINE_LEN];
            stream.read_exact(&mut answer).await.unwrap();
            assert!(hello::find_pong(&answer, &token));
        }
        stop.send(()).unwrap();
        let summary = serve.await.unwrap().unwrap();
        assert!(summary.text().contains("dynamic RPC"), "{}", summary.text());
        assert!(summary.hit().any(|p| p.port == mapper_port));
    });
    let hits = hits.lock().unwrap();
    assert!(
        hits.iter()
            .any(|h| h.port == mapper_port && h.answered.contains("RPC endpoint map")),
        "{hits:?}"
    );
}

#[test]
fn a_source_gets_no_more_answers_than_the_rate_limit() {
    let base = free_base(1);
    let ports = vec![Port {
        transport: Transport::Udp,
        port: base,
        label: String::new(),
    }];
    let listener = Listener::bind(ports, &[LOOPBACK]).unwrap();
    let log = std::env::temp_dir().join(format!(
        "portolan-listen-loopback-{}.jsonl",
        std::process::id()
    ));
    let file = std::fs::File::create(&log).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    const RATE: u32 = 10;
    let (answers, elapsed) = runtime.block_on(async move {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let options = ServeOptions {
            rate_limit: RATE,
            ..ServeOptions::default()
        };
        let serve = tokio::spawn(
            listener.serve(options, Some(Box::new(file)), |_| {}, async {
                let _ = stopped.await;
            }),
        );
        let started = std::time::Instant::now();
        let client = tokio::net::UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
        let ping = hello::ping(&hello::Token::from_bytes([1; 16]));
        for _ in 0..200 {
            client.send_to(&ping, (LOOPBACK, base)).await.unwrap();
        }
        let mut answers = 0u32;
        let mut buffer = [0u8; 512];
        // Bounded: 200 datagrams at most, each wait 300 ms at most.
        for _ in 0..200 {
            match tokio::time::timeout(Duration::from_millis(300), client.recv_from(&mut buffer))
                .await
            {
                Ok(Ok((len, _))) => {
                    assert!(len <= ping.len());
                    answers += 1;
                }
                _ => break,
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        stop.send(()).unwrap();
        let summary = serve.await.unwrap().unwrap();
        assert_eq!(summary.ports[0].hits, 200);
        (answers, elapsed)
    });
    assert!(answers >= 1);
    assert!(
        f64::from(answers) <= f64::from(RATE) * (1.0 + elapsed) + 1.0,
        "{answers} in {elapsed}s"
    );
    let lines = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert_eq!(lines.lines().count(), 200);
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    for field in [
        "time",
        "source",
        "source_port",
        "port",
        "transport",
        "answered",
    ] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    assert!(lines.contains("over the rate limit"));
}
