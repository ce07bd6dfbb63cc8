//! The listener's answers against the check's own probes: for every UDP port the check has
//! a protocol probe for, each answer is no larger than the request that caused it, and the
//! check's own reader recognises it; with `--expect-listener`, every port answers the
//! hello. No sockets: the requests come from `portolan_probe::udp_probes` and the answers
//! from `portolan_listen::respond`, so both sides are exactly what runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};

use portolan_catalog::Transport;
use portolan_listen::respond::{Responders, udp_answer};
use portolan_probe::engine::ProbeContext;
use portolan_probe::select::Target;
use portolan_probe::udp_probes::{Classified, exchange_for, listener_token};

/// The UDP ports the check has a protocol probe for.
const PROBED: &[u16] = &[
    7, 13, 17, 19, 53, 67, 69, 88, 123, 137, 161, 162, 389, 464, 500, 1434, 1645, 1646, 1701, 1812,
    1813, 1900, 4011, 4500,
];

/// Ports whose probe no answer can fit: an empty datagram (daytime, qotd, chargen), SQL
/// Server's one-byte request, and a trap receiver's SNMPv3 discovery (a Report carries an
/// engine id and a counter the request has no room for). The hello covers them.
const TOO_SMALL_TO_ANSWER: &[u16] = &[13, 17, 19, 162, 1434];

fn target(port: u16) -> Target {
    Target {
        transport: Transport::Udp,
        port,
        rows: Vec::new(),
    }
}

/// Runs every request of the check's exchange through the listener; the first recognised
/// answer's evidence, if any.
fn exchange(port: u16, context: &ProbeContext) -> Option<String> {
    let local = Some(IpAddr::V4(Ipv4Addr::new(10, 203, 50, 2)));
    let exchange = exchange_for(&target(port), context, local);
    let responders = Responders::default();
    let mut evidence = None;
    for request in &exchange.requests {
        let Some(answer) = udp_answer(port, request, &responders) else {
            continue;
        };
        assert!(
            answer.bytes.len() <= request.len(),
            "port {port}: {} byte answer to a {} byte request",
            answer.bytes.len(),
            request.len()
        );
        match (exchange.classify)(&answer.bytes) {
            Classified::Recognised(what) => {
                evidence.get_or_insert(what);
            }
            Classified::Unrecognised(why) => {
                panic!("port {port}: the check does not recognise the answer: {why}")
            }
        }
    }
    evidence
}

#[test]
fn every_probed_udp_port_gets_an_answer_the_check_recognises() {
    let context = ProbeContext::default();
    for &port in PROBED {
        let evidence = exchange(port, &context);
        if TOO_SMALL_TO_ANSWER.contains(&port) {
            assert_eq!(evidence, None, "port {port}");
        } else {
            assert!(evidence.is_some(), "port {port}: no answer");
        }
    }
}

#[test]
fn with_the_hello_every_udp_port_answers_with_the_token() {
    let context = ProbeContext {
        listener: Some(listener_token()),
        ..ProbeContext::default()
    };
    for &port in PROBED.iter().chain(&[138, 2535, 3343, 9999]) {
        let evidence = exchange(port, &context).unwrap_or_default();
        assert!(
            evidence.contains("reached the portolan listener"),
            "port {port}: {evidence}"
        );
    }
}

#[test]
fn the_radius_answer_verifies_with_the_shared_secret() {
    let context = ProbeContext {
        radius_secret: Some("portolan-probe".to_string()),
        ..ProbeContext::default()
    };
    for port in [1812, 1813] {
        let evidence = exchange(port, &context).unwrap();
        assert!(evidence.contains("authenticator ok"), "{evidence}");
    }
}
