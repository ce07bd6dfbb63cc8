//! The round trips of the `wire_*_roundtrip` fuzz targets in the normal test run: every
//! captured fixture, messages generated from their typed form, mutated captures and random
//! bytes go through the same checks (`support/roundtrip.rs`): parse, emit, parse, equal,
//! and the same bytes from the second emit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/roundtrip.rs"]
mod roundtrip;

use std::net::Ipv4Addr;
use std::path::Path;

use portolan_wire::dcerpc::{
    BindAck, BindNak, ContextHandle, Fault, LookupRequest, Request, Response, SyntaxId, Uuid,
    bind::{ContextAnswer, ContextResult},
};
use portolan_wire::kerberos::{self, KrbError, PrincipalName};
use portolan_wire::{dhcp, hello, isakmp, l2tp, ldap, ntp, radius, snmp, ssdp, tftp};
use proptest::prelude::*;

fn fixtures(protocol: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(protocol);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

#[test]
fn every_ntp_capture_round_trips() {
    let mut replies = 0;
    for bytes in fixtures("ntp") {
        roundtrip::ntp(&bytes);
        replies += usize::from(ntp::ServerReply::parse(&bytes).is_ok());
    }
    assert_eq!(replies, 2);
}

#[test]
fn every_kerberos_capture_round_trips() {
    let (mut requests, mut errors) = (0, 0);
    for bytes in fixtures("kerberos") {
        let message = kerberos::unframe_tcp(&bytes).unwrap_or(&bytes);
        roundtrip::kerberos(&bytes);
        roundtrip::kerberos(message);
        requests += usize::from(kerberos::AsRequest::parse(message).is_ok());
        errors += usize::from(matches!(
            kerberos::parse(message),
            Ok(kerberos::Reply::Error(_))
        ));
    }
    assert!(requests >= 5 && errors >= 4, "{requests} {errors}");
}

#[test]
fn every_l2tp_capture_round_trips() {
    for bytes in fixtures("l2tp") {
        l2tp::ControlMessage::parse(&bytes).unwrap();
        roundtrip::l2tp(&bytes);
    }
}

#[test]
fn every_dcerpc_capture_and_stub_round_trips() {
    let mut stubs = 0;
    for bytes in fixtures("dcerpc") {
        roundtrip::dcerpc(&bytes);
        // The endpoint mapper's arguments and answers travel as stubs inside the PDUs.
        let stub = Response::parse(&bytes)
            .map(|r| r.stub)
            .or_else(|_| Request::parse(&bytes).map(|r| r.stub));
        if let Ok(stub) = stub {
            roundtrip::dcerpc(stub);
            stubs += 1;
        }
    }
    assert!(stubs >= 8, "{stubs}");
}

#[test]
fn every_tftp_and_ssdp_capture_round_trips() {
    for bytes in fixtures("tftp") {
        roundtrip::tftp(&bytes);
    }
    let mut responses = 0;
    for bytes in fixtures("ssdp") {
        roundtrip::ssdp(&bytes);
        responses += usize::from(ssdp::Response::parse(&bytes).is_ok());
    }
    assert!(responses >= 1);
}

#[test]
fn every_dhcp_capture_round_trips() {
    let mut replies = 0;
    for bytes in fixtures("dhcp") {
        roundtrip::dhcp(&bytes);
        replies += usize::from(dhcp::Reply::parse(&bytes).is_ok());
    }
    assert!(replies >= 2, "{replies}");
}

#[test]
fn every_isakmp_capture_round_trips() {
    for bytes in fixtures("isakmp") {
        isakmp::parse_reply(&bytes).unwrap();
        roundtrip::isakmp(&bytes);
        roundtrip::isakmp(&isakmp::nat_t(&bytes));
    }
}

#[test]
fn every_ldap_capture_and_each_of_its_messages_round_trips() {
    let mut messages = 0;
    for bytes in fixtures("ldap") {
        roundtrip::ldap(&bytes);
        // A reply holds several messages; each is checked on its own.
        let mut rest = &bytes[..];
        while let Ok((_, used)) = ldap::parse_message(rest) {
            roundtrip::ldap(rest);
            messages += 1;
            rest = &rest[used..];
        }
    }
    assert!(messages >= 10, "{messages}");
}

#[test]
fn every_radius_capture_round_trips() {
    for bytes in fixtures("radius") {
        roundtrip::radius(&bytes);
    }
}

#[test]
fn every_snmp_capture_round_trips() {
    let (mut community, mut v3) = (0, 0);
    for bytes in fixtures("snmp") {
        roundtrip::snmp(&bytes);
        community += usize::from(snmp::parse_community(&bytes).is_ok());
        v3 += usize::from(snmp::parse_v3(&bytes).is_ok());
    }
    assert!(community >= 2 && v3 >= 2, "{community} {v3}");
}

#[test]
fn mutated_captures_round_trip_or_are_refused() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (protocol, check) in [
        ("ntp", roundtrip::ntp as fn(&[u8])),
        ("kerberos", roundtrip::kerberos),
        ("l2tp", roundtrip::l2tp),
        ("dcerpc", roundtrip::dcerpc),
        ("tftp", roundtrip::tftp),
        ("ssdp", roundtrip::ssdp),
        ("dhcp", roundtrip::dhcp),
        ("isakmp", roundtrip::isakmp),
        ("ldap", roundtrip::ldap),
        ("radius", roundtrip::radius),
        ("snmp", roundtrip::snmp),
    ] {
        for bytes in fixtures(protocol) {
            for _ in 0..300 {
                let mut mutated = bytes.clone();
                let at = (next() as usize) % mutated.len();
                mutated[at] = next() as u8;
                if next() % 4 == 0 {
                    mutated.truncate((next() as usize) % (mutated.len() + 1));
                }
                check(&mutated);
            }
        }
    }
}

fn ntp_reply() -> impl Strategy<Value = ntp::ServerReply> {
    (
        (0u8..4, 1u8..8, any::<u8>(), any::<i8>(), any::<i8>()),
        (any::<u32>(), any::<u32>(), any::<[u8; 4]>()),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |(
                (leap, version, stratum, poll, precision),
                (root_delay, root_dispersion, id),
                (reference_time, origin_time, receive_time, transmit_time),
            )| ntp::ServerReply {
                leap,
                version,
                stratum,
                poll,
                precision,
                root_delay,
                root_dispersion,
                reference: match stratum {
                    0 => ntp::Reference::Kiss(id),
                    1 => ntp::Reference::Clock(id),
                    _ => ntp::Reference::Upstream(Ipv4Addr::from(id)),
                },
                reference_time,
                origin_time,
                receive_time,
                transmit_time,
            },
        )
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.$-]{1,20}"
}

fn principal() -> impl Strategy<Value = PrincipalName> {
    (any::<i32>(), proptest::collection::vec(name(), 0..4)).prop_map(|(name_type, components)| {
        PrincipalName {
            name_type,
            components,
        }
    })
}

fn krb_error() -> impl Strategy<Value = KrbError> {
    (
        (any::<i32>(), "[0-9]{14}Z", proptest::option::of(name())),
        (proptest::option::of(principal()), name(), principal()),
        proptest::option::of("[ -~]{0,40}"),
        proptest::collection::vec(any::<i32>(), 0..6),
        proptest::collection::vec(any::<i32>(), 0..6),
    )
        .prop_map(
            |(
                (error_code, server_time, client_realm),
                (client_name, realm, service_name),
                text,
                mut padata_types,
                etypes,
            )| {
                // Etypes travel in a PA-ETYPE-INFO2, so an error that lists some offers one.
                if !etypes.is_empty() && !padata_types.contains(&kerberos::padata::ETYPE_INFO2) {
                    padata_types.push(kerberos::padata::ETYPE_INFO2);
                }
                KrbError {
                    error_code,
                    server_time,
                    client_realm,
                    client_name,
                    realm,
                    service_name,
                    text,
                    padata_types,
                    etypes,
                }
            },
        )
}

fn as_request() -> impl Strategy<Value = kerberos::AsRequest> {
    (
        proptest::collection::vec(name(), 1..4),
        name(),
        0u32..0x8000_0000,
        proptest::collection::vec(any::<i32>(), 1..8),
    )
        .prop_map(|(client, realm, nonce, etypes)| kerberos::AsRequest {
            client,
            realm,
            nonce,
            etypes,
        })
}

fn avp() -> impl Strategy<Value = l2tp::Avp> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<u16>(),
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(mandatory, hidden, vendor, kind, value)| l2tp::Avp {
            mandatory,
            hidden,
            vendor,
            kind,
            value,
        })
}

fn control_message() -> impl Strategy<Value = l2tp::ControlMessage> {
    (any::<[u16; 4]>(), proptest::collection::vec(avp(), 0..10)).prop_map(
        |([tunnel_id, session_id, ns, nr], avps)| l2tp::ControlMessage {
            tunnel_id,
            session_id,
            ns,
            nr,
            avps,
        },
    )
}

fn syntax() -> impl Strategy<Value = SyntaxId> {
    (any::<[u8; 16]>(), any::<u16>(), any::<u16>())
        .prop_map(|(uuid, major, minor)| SyntaxId::new(Uuid(uuid), major, minor))
}

fn bind_ack() -> impl Strategy<Value = BindAck> {
    (
        (any::<u32>(), any::<u16>(), any::<u16>(), any::<u32>()),
        "[0-9a-z\\\\]{0,30}",
        proptest::collection::vec((any::<u16>(), any::<u16>(), syntax()), 0..4),
    )
        .prop_map(
            |(
                (call_id, max_xmit_frag, max_recv_frag, assoc_group_id),
                secondary_address,
                results,
            )| BindAck {
                call_id,
                max_xmit_frag,
                max_recv_frag,
                assoc_group_id,
                secondary_address,
                results: results
                    .into_iter()
                    .map(|(result, reason, transfer_syntax)| ContextAnswer {
                        result: match result {
                            0 => ContextResult::Acceptance,
                            1 => ContextResult::UserRejection,
                            2 => ContextResult::ProviderRejection,
                            3 => ContextResult::NegotiateAck,
                            other => ContextResult::Other(other),
                        },
                        reason,
                        transfer_syntax,
                    })
                    .collect(),
            },
        )
}

fn tftp_reply() -> impl Strategy<Value = tftp::Reply> {
    let text = || "[^\\x00]{0,30}";
    prop_oneof![
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..200)).prop_map(|(block, data)| {
            tftp::Reply::Data {
                block,
                len: data.len(),
                preview: data[..data.len().min(tftp::DATA_PREVIEW)].to_vec(),
            }
        }),
        (any::<u16>(), proptest::collection::vec(1u8.., 0..100))
            .prop_map(|(code, message)| tftp::Reply::Error { code, message }),
        proptest::collection::vec((text(), text()), 0..8).prop_map(tftp::Reply::OptionAck),
        any::<u16>().prop_map(|block| tftp::Reply::Ack { block }),
    ]
}

fn ssdp_response() -> impl Strategy<Value = ssdp::Response> {
    let value = || proptest::option::of("[!-~]([ -~]{0,40}[!-~])?");
    (
        0u16..1000,
        "[ -~]{0,20}",
        (value(), value(), value(), value(), value()),
    )
        .prop_map(
            |(status, reason, (st, usn, server, location, cache_control))| ssdp::Response {
                status,
                reason,
                st,
                usn,
                server,
                location,
                cache_control,
            },
        )
}

fn dhcp_reply() -> impl Strategy<Value = dhcp::Reply> {
    let address = || any::<u32>().prop_map(Ipv4Addr::from);
    let no_nul = |max| proptest::collection::vec(1u8.., 0..max);
    (
        (
            any::<u32>(),
            any::<bool>(),
            address(),
            address(),
            address(),
            address(),
        ),
        (
            proptest::collection::vec(any::<u8>(), 0..=16),
            no_nul(64),
            no_nul(128),
        ),
        (
            proptest::option::of(any::<u8>()),
            proptest::option::of(address()),
            proptest::option::of(prop_oneof![
                Just(b"PXEClient".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..20),
            ]),
            proptest::option::of(no_nul(30)),
            proptest::option::of(no_nul(30)),
        ),
        proptest::collection::vec(
            (1u8..255, proptest::collection::vec(any::<u8>(), 0..10)),
            0..4,
        ),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..30)),
        proptest::collection::vec(prop_oneof![1u8..43, 44u8..53, 68u8..255], 0..5),
    )
        .prop_map(
            |(
                (xid, broadcast, ciaddr, yiaddr, siaddr, giaddr),
                (chaddr, sname, file),
                (message_type, server_id, vendor_class, tftp_server, bootfile),
                pxe_options,
                raw_43,
                others,
            )| {
                let mut reply = dhcp::Reply {
                    xid,
                    broadcast,
                    ciaddr,
                    yiaddr,
                    siaddr,
                    giaddr,
                    chaddr,
                    sname,
                    file,
                    message_type: message_type.map(dhcp::MessageType::from_code),
                    server_id,
                    vendor_class,
                    tftp_server,
                    bootfile,
                    pxe: Vec::new(),
                    vendor_specific: None,
                    option_codes: others,
                };
                // Each kept value is listed, and option 43 is PXE or raw by the vendor class.
                for (code, kept) in [
                    (53, reply.message_type.is_some()),
                    (54, reply.server_id.is_some()),
                    (60, reply.vendor_class.is_some()),
                    (66, reply.tftp_server.is_some()),
                    (67, reply.bootfile.is_some()),
                ] {
                    if kept {
                        reply.option_codes.push(code);
                    }
                }
                if reply.is_pxe() {
                    reply.pxe = pxe_options;
                } else {
                    reply.vendor_specific = raw_43;
                }
                if !reply.pxe.is_empty() || reply.vendor_specific.is_some() {
                    reply.option_codes.push(43);
                }
                reply
            },
        )
}

fn ike_message() -> impl Strategy<Value = isakmp::Reply> {
    let kind = prop_oneof![
        Just(isakmp::payload::NOTIFY_V1),
        Just(isakmp::payload::NOTIFY),
        Just(isakmp::payload::VENDOR_ID_V1),
        Just(isakmp::payload::VENDOR_ID),
        1u8..=255,
    ];
    (
        (
            any::<bool>(),
            any::<[u8; 8]>(),
            any::<[u8; 8]>(),
            1u8..=2,
            0u8..16,
        ),
        (any::<u8>(), any::<u8>(), any::<u32>()),
        proptest::collection::vec(kind, 0..8),
        proptest::collection::vec(
            (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..=64)),
            8,
        ),
    )
        .prop_map(
            |(
                (nat_t_marker, initiator_spi, responder_spi, major_version, minor_version),
                (exchange, flags, message_id),
                mut payloads,
                notify_pool,
            )| {
                use isakmp::payload::{ENCRYPTED, ENCRYPTED_FRAGMENT};
                // An encrypted payload ends the chain; IKEv1's encryption flag hides it all.
                if let Some(at) = payloads
                    .iter()
                    .position(|k| matches!(*k, ENCRYPTED | ENCRYPTED_FRAGMENT))
                {
                    payloads.truncate(at + 1);
                }
                let flags = if major_version == 1 {
                    flags & !1
                } else {
                    flags
                };
                let notifies = payloads
                    .iter()
                    .filter(|k| matches!(**k, 11 | 41))
                    .zip(notify_pool)
                    .map(|(_, (kind, data))| isakmp::Notify { kind, data })
                    .collect();
                let vendor_ids = payloads.iter().filter(|k| matches!(**k, 13 | 43)).count();
                isakmp::Reply {
                    nat_t_marker,
                    initiator_spi,
                    responder_spi,
                    major_version,
                    minor_version,
                    exchange,
                    flags,
                    message_id,
                    payloads,
                    notifies,
                    vendor_ids,
                }
            },
        )
}

fn ldap_result() -> impl Strategy<Value = ldap::LdapResult> {
    (any::<u32>(), "\\PC{0,20}", "\\PC{0,20}").prop_map(|(code, matched_dn, diagnostic)| {
        ldap::LdapResult {
            code,
            matched_dn,
            diagnostic,
        }
    })
}

fn ldap_message() -> impl Strategy<Value = ldap::Message> {
    let attribute = (
        "[a-zA-Z;-]{0,12}",
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..4),
    )
        .prop_map(|(name, values)| ldap::Attribute { name, values });
    let op = prop_oneof![
        ("\\PC{0,30}", proptest::collection::vec(attribute, 0..5)).prop_map(
            |(object_name, attributes)| {
                ldap::ProtocolOp::SearchResultEntry(ldap::SearchResultEntry {
                    object_name,
                    attributes,
                })
            }
        ),
        ldap_result().prop_map(ldap::ProtocolOp::SearchResultDone),
        Just(ldap::ProtocolOp::SearchResultReference),
        (ldap_result(), proptest::option::of("[0-9.]{1,30}"))
            .prop_map(|(result, name)| ldap::ProtocolOp::ExtendedResponse { result, name }),
        (0u32..1 << 28).prop_map(ldap::ProtocolOp::Other),
    ];
    (0..=ldap::MAX_MESSAGE_ID, op).prop_map(|(message_id, op)| ldap::Message { message_id, op })
}

fn radius_response() -> impl Strategy<Value = (radius::Response, Option<&'static [u8]>)> {
    (
        prop_oneof![Just(2u8), Just(3), Just(5), Just(11)],
        any::<u8>(),
        0u8..3,
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=253)),
        any::<bool>(),
        any::<bool>(),
        0usize..20,
    )
        .prop_map(
            |(
                code,
                identifier,
                outcome,
                reply_message,
                has_message_authenticator,
                has_state,
                extra,
            )| {
                let (authenticator, secret) = match outcome {
                    0 => (radius::Authenticator::NotChecked, None),
                    1 => (radius::Authenticator::Valid, Some(&b"testing123"[..])),
                    _ => (radius::Authenticator::Mismatch, Some(&b"testing123"[..])),
                };
                let attributes = usize::from(reply_message.is_some())
                    + usize::from(has_message_authenticator)
                    + usize::from(has_state)
                    + extra;
                let response = radius::Response {
                    code,
                    identifier,
                    authenticator,
                    reply_message,
                    has_message_authenticator,
                    has_state,
                    attributes,
                };
                (response, secret)
            },
        )
}

fn snmp_v3() -> impl Strategy<Value = snmp::V3Message> {
    let usm = (
        proptest::collection::vec(any::<u8>(), 0..32),
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(
            |(engine_id, engine_boots, engine_time, user_name)| snmp::UsmParameters {
                engine_id,
                engine_boots,
                engine_time,
                user_name,
            },
        );
    (
        any::<u32>(),
        any::<i64>(),
        any::<u8>(),
        proptest::option::of(usm),
        any::<i64>(),
        proptest::collection::vec(any::<u8>(), 0..16),
        any::<i32>(),
    )
        .prop_map(
            |(message_id, max_size, flags, usm, other_model, context_engine_id, request_id)| {
                let security_model = if usm.is_some() {
                    snmp::SECURITY_MODEL_USM
                } else if other_model == snmp::SECURITY_MODEL_USM {
                    0
                } else {
                    other_model
                };
                let encrypted = flags & snmp::flags::PRIV != 0;
                snmp::V3Message {
                    message_id,
                    max_size,
                    flags,
                    security_model,
                    usm,
                    context_engine_id: if encrypted {
                        Vec::new()
                    } else {
                        context_engine_id
                    },
                    pdu: (!encrypted).then_some(snmp::Pdu {
                        pdu_type: snmp::PduType::Report,
                        request_id,
                        error_status: 0,
                        error_index: 0,
                        varbinds: Vec::new(),
                    }),
                }
            },
        )
}

proptest! {
    #[test]
    fn snmp_v3_messages_round_trip(message in snmp_v3()) {
        let bytes = message.emit().unwrap();
        prop_assert_eq!(snmp::parse_v3(&bytes), Ok(message));
        roundtrip::snmp(&bytes);
    }

    #[test]
    fn snmp_community_messages_round_trip(request_id in any::<i32>(), community in proptest::collection::vec(any::<u8>(), 0..20), v1 in any::<bool>()) {
        let version = if v1 { snmp::Version::V1 } else { snmp::Version::V2c };
        let bytes = snmp::system_request(version, &community, request_id).unwrap();
        roundtrip::snmp(&bytes);
    }

    #[test]
    fn radius_responses_round_trip((response, secret) in radius_response(), request_authenticator in any::<[u8; 16]>()) {
        let expected = radius::Expected { identifier: response.identifier, request_authenticator, secret };
        let bytes = response.emit(&expected).unwrap();
        prop_assert_eq!(radius::parse_response(&bytes, &expected), Ok(response));
        roundtrip::radius(&bytes);
    }

    #[test]
    fn ldap_messages_round_trip(message in ldap_message()) {
        let bytes = message.emit().unwrap();
        // The parser reads an operation of a kept tag by its contents, so a generated
        // `Other` with such a tag (primitive here) still reads back as `Other`.
        prop_assert_eq!(ldap::parse_message(&bytes), Ok((message, bytes.len())));
        roundtrip::ldap(&bytes);
    }

    #[test]
    fn ike_messages_round_trip(message in ike_message()) {
        let bytes = message.emit().unwrap();
        prop_assert_eq!(isakmp::parse_reply(&bytes), Ok(message));
        roundtrip::isakmp(&bytes);
    }

    #[test]
    fn dhcp_replies_round_trip(reply in dhcp_reply()) {
        let bytes = reply.emit().unwrap();
        prop_assert_eq!(dhcp::Reply::parse(&bytes), Ok(reply));
        roundtrip::dhcp(&bytes);
    }

    #[test]
    fn tftp_packets_round_trip(reply in tftp_reply()) {
        let bytes = reply.emit().unwrap();
        prop_assert_eq!(tftp::Reply::parse(&bytes), Ok(reply));
        roundtrip::tftp(&bytes);
    }

    #[test]
    fn ssdp_responses_round_trip(response in ssdp_response()) {
        let bytes = response.emit().unwrap();
        prop_assert_eq!(ssdp::Response::parse(&bytes), Ok(response));
        roundtrip::ssdp(&bytes);
    }

    #[test]
    fn ntp_replies_round_trip(reply in ntp_reply()) {
        let bytes = reply.emit().unwrap();
        prop_assert_eq!(ntp::ServerReply::parse(&bytes), Ok(reply));
        roundtrip::ntp(&bytes);
    }

    #[test]
    fn krb_errors_round_trip(error in krb_error()) {
        let bytes = error.emit().unwrap();
        prop_assert_eq!(kerberos::parse(&bytes), Ok(kerberos::Reply::Error(error)));
        roundtrip::kerberos(&bytes);
        roundtrip::kerberos(&kerberos::frame_tcp(&bytes).unwrap());
    }

    #[test]
    fn as_requests_round_trip(request in as_request()) {
        let bytes = request.emit().unwrap();
        prop_assert_eq!(kerberos::AsRequest::parse(&bytes), Ok(request));
        roundtrip::kerberos(&bytes);
    }

    #[test]
    fn l2tp_messages_round_trip(message in control_message()) {
        let bytes = message.emit().unwrap();
        prop_assert_eq!(l2tp::ControlMessage::parse(&bytes), Ok(message));
        roundtrip::l2tp(&bytes);
    }

    #[test]
    fn dcerpc_pdus_round_trip(
        ack in bind_ack(),
        (call_id, flags, alloc_hint, context_id, cancel_count, opnum) in
            (any::<u32>(), any::<u8>(), any::<u32>(), any::<u16>(), any::<u8>(), any::<u16>()),
        stub in proptest::collection::vec(any::<u8>(), 0..200),
        versions in proptest::collection::vec(any::<(u8, u8)>(), 0..5),
        (status, attributes, handle, max_ents) in (any::<u32>(), any::<u32>(), any::<[u8; 16]>(), 1u32..=500),
    ) {
        let bytes = ack.emit().unwrap();
        prop_assert_eq!(BindAck::parse(&bytes), Ok(ack));
        roundtrip::dcerpc(&bytes);
        let response = Response { call_id, flags, alloc_hint, context_id, cancel_count, stub: &stub };
        let bytes = response.emit().unwrap();
        prop_assert_eq!(Response::parse(&bytes), Ok(response));
        roundtrip::dcerpc(&bytes);
        let request = Request { call_id, context_id, opnum, stub: &stub };
        let bytes = request.emit().unwrap();
        prop_assert_eq!(Request::parse(&bytes), Ok(request));
        roundtrip::dcerpc(&bytes);
        let nak = BindNak { call_id, reason: context_id, versions };
        let bytes = nak.emit().unwrap();
        prop_assert_eq!(BindNak::parse(&bytes), Ok(nak));
        roundtrip::dcerpc(&bytes);
        let fault = Fault { call_id, flags, context_id, status };
        let bytes = fault.emit().unwrap();
        prop_assert_eq!(Fault::parse(&bytes), Ok(fault));
        roundtrip::dcerpc(&bytes);
        let lookup = LookupRequest {
            inquiry_type: status,
            handle: ContextHandle { attributes, uuid: Uuid(handle) },
            max_ents,
        };
        let bytes = lookup.emit();
        prop_assert_eq!(LookupRequest::parse(&bytes), Ok(lookup));
        roundtrip::dcerpc(&bytes);
    }

    #[test]
    fn random_bytes_round_trip_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        roundtrip::ntp(&bytes);
        roundtrip::kerberos(&bytes);
        roundtrip::l2tp(&bytes);
        roundtrip::dcerpc(&bytes);
        roundtrip::tftp(&bytes);
        roundtrip::ssdp(&bytes);
        roundtrip::dhcp(&bytes);
        roundtrip::isakmp(&bytes);
        roundtrip::ldap(&bytes);
        roundtrip::radius(&bytes);
        roundtrip::snmp(&bytes);
        roundtrip::hello(&bytes);
    }

    #[test]
    fn hellos_round_trip(token in any::<[u8; 16]>(), upper in any::<bool>(), tail in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut line = hello::ping(&hello::Token::from_bytes(token));
        if upper {
            line = line[..hello::MAGIC.len() + 5].iter().chain(&line[hello::MAGIC.len() + 5..].to_ascii_uppercase()).copied().collect();
        }
        line.extend_from_slice(&tail);
        prop_assert_eq!(hello::parse_ping(&line), Ok(hello::Token::from_bytes(token)));
        roundtrip::hello(&line);
        // A sign, a space or any other byte in place of a digit is no ping.
        let mut signed = line.clone();
        signed[hello::MAGIC.len() + 5] = b'+';
        prop_assert!(hello::parse_ping(&signed).is_err());
    }
}
