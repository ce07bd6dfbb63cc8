//! A stand-in RPC endpoint mapper: the role's dynamic RPC services registered on TCP ports
//! the listener also opens, so that `portolan rpc` and `check` find "randomly allocated high
//! TCP ports" and follow them, as they would on the real server.
//!
//! Each service gets one port (Windows gives each service process one), from a pinned base
//! (`--rpc-base`) or from the modern dynamic range, 49152-65535; every interface the
//! catalog knows for the service (`portolan_wire::dcerpc::names`) is registered there, as
//! version 1.0 over ncacn_ip_tcp. The mapper answers a bind to any interface (only its own
//! is ever called) and `ept_lookup` with the whole map at once; anything else closes the
//! connection.

use portolan_wire::dcerpc::{
    self, BindAck, EptEntry, Fault, LookupRequest, LookupResponse, SyntaxId, Tower, Uuid,
    fault::NCA_S_OP_RNG_ERROR, names::KNOWN_INTERFACES, pdu,
};

/// The modern dynamic port range (Windows Vista and later).
pub const DYNAMIC_RANGE: std::ops::RangeInclusive<u16> = 49152..=65535;

/// The endpoint mapper's well-known port.
pub const MAPPER_PORT: u16 = 135;

/// Most interfaces answered in one lookup (a single fragment of the default size).
const MAX_ANSWERED: u32 = 40;

/// One interface registered on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The interface.
    pub interface: SyntaxId,
    /// The TCP port it is registered on.
    pub port: u16,
    /// The annotation (the interface's short name).
    pub annotation: String,
}

/// The interfaces the catalog knows for `service` (a catalog service id).
pub fn interfaces_of(service: &str) -> Vec<(Uuid, &'static str)> {
    KNOWN_INTERFACES
        .iter()
        .filter(|known| known.services.contains(&service))
        .map(|known| (known.uuid, known.name))
        .collect()
}

/// The registrations of `service` on `port`.
pub fn register(service: &str, port: u16) -> Vec<Registration> {
    interfaces_of(service)
        .into_iter()
        .map(|(uuid, name)| Registration {
            interface: SyntaxId::new(uuid, 1, 0),
            port,
            annotation: format!("portolan listen: {name}"),
        })
        .collect()
}

/// Ports for `count` services: from `base` upward, or random ports of the dynamic range;
/// never one of `taken`.
pub fn choose_ports(count: usize, base: Option<u16>, taken: &[u16]) -> Vec<u16> {
    let mut chosen: Vec<u16> = Vec::with_capacity(count);
    match base {
        Some(base) => {
            let mut port = base;
            while chosen.len() < count {
                if !taken.contains(&port) {
                    chosen.push(port);
                }
                match port.checked_add(1) {
                    Some(next) => port = next,
                    None => break,
                }
            }
        }
        None => {
            // Bounded: the range has 16,384 ports and a role a handful of services.
            for _ in 0..count.saturating_mul(64) {
                if chosen.len() == count {
                    break;
                }
                let port = fastrand::u16(DYNAMIC_RANGE);
                if !taken.contains(&port) && !chosen.contains(&port) {
                    chosen.push(port);
                }
            }
        }
    }
    chosen
}

/// The answer to one PDU a client sent the mapper: a bind_ack to a bind, the map to an
/// `ept_lookup`, a fault (`nca_s_op_rng_error`, not executed) to any other operation, as
/// Windows' and Samba's mappers answer; `None` for anything else (the connection is then
/// closed).
pub fn answer(request: &[u8], registrations: &[Registration], mapper_port: u16) -> Option<Vec<u8>> {
    let packet = pdu::Packet::new_checked(request).ok()?;
    match packet.packet_type() {
        pdu::PacketType::Bind => BindAck::accepting(packet.call_id(), &mapper_port.to_string())
            .emit()
            .ok(),
        pdu::PacketType::Request => {
            let call = dcerpc::Request::parse(request).ok()?;
            if call.opnum != dcerpc::epm::OPNUM_LOOKUP {
                return Fault {
                    call_id: call.call_id,
                    flags: pdu::flags::FIRST_FRAG
                        | pdu::flags::LAST_FRAG
                        | pdu::flags::DID_NOT_EXECUTE,
                    context_id: call.context_id,
                    status: NCA_S_OP_RNG_ERROR,
                }
                .emit()
                .ok();
            }
            let lookup = LookupRequest::parse(call.stub).ok()?;
            let entries = registrations
                .iter()
                .filter_map(|registration| {
                    Some(EptEntry {
                        object: Uuid::NIL,
                        tower: Some(
                            Tower::ncacn_ip_tcp(&registration.interface, registration.port)
                                .emit()
                                .ok()?,
                        ),
                        annotation: registration.annotation.clone(),
                    })
                })
                .collect();
            let stub = LookupResponse::whole(entries, lookup.max_ents.min(MAX_ANSWERED))
                .emit()
                .ok()?;
            pdu::response(call.call_id, call.context_id, &stub).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use portolan_wire::dcerpc::{ContextHandle, EPM_SYNTAX, Lookup, LookupLimits, Response};

    #[test]
    fn another_operation_gets_the_fault_samba_sends() {
        // Samba 4.17's mapper, asked for opnum 99: nca_s_op_rng_error, not executed.
        let samba =
            include_bytes!("../../wire/tests/fixtures/dcerpc/samba-4.17-epm-fault-opnum99.bin");
        let theirs = Fault::parse(samba).unwrap();
        let request = pdu::request(theirs.call_id, theirs.context_id, 99, &[]).unwrap();
        let answer = answer(&request, &[], 135).unwrap();
        let ours = Fault::parse(&answer).unwrap();
        assert_eq!(ours, theirs);
        // Byte for byte but the alloc_hint, a hint C706 lets a sender leave 0 (Samba: 24).
        assert_eq!(answer.len(), samba.len());
        assert_eq!(answer[..16], samba[..16]);
        assert_eq!(answer[20..], samba[20..]);
    }

    #[test]
    fn a_client_lookup_finds_every_registration() {
        let registrations: Vec<Registration> = ["local-security-authority", "file-replication"]
            .iter()
            .zip([49_700, 49_701])
            .flat_map(|(service, port)| register(service, port))
            .collect();
        assert!(registrations.len() > 3, "{registrations:?}");
        let ack = answer(
            &pdu::bind(1, EPM_SYNTAX, pdu::DEFAULT_MAX_FRAG),
            &registrations,
            135,
        )
        .unwrap();
        assert!(BindAck::parse(&ack).unwrap().accepted());
        let mut lookup = Lookup::new(LookupLimits::default());
        let request = lookup.next_request(2).unwrap();
        let reply = answer(&request, &registrations, 135).unwrap();
        let response = Response::parse(&reply).unwrap();
        lookup.consume(response.stub).unwrap();
        assert!(lookup.end().is_some());
        let ports: Vec<u16> = lookup
            .entries()
            .iter()
            .filter_map(|e| e.endpoint().ok()?.port)
            .collect();
        assert!(
            ports.contains(&49_700) && ports.contains(&49_701),
            "{ports:?}"
        );
        let _ = ContextHandle::NULL;
    }

    #[test]
    fn ports_come_from_the_base_or_the_dynamic_range() {
        assert_eq!(
            choose_ports(3, Some(50_000), &[50_001]),
            [50_000, 50_002, 50_003]
        );
        let random = choose_ports(5, None, &[]);
        assert_eq!(random.len(), 5);
        assert!(random.iter().all(|p| DYNAMIC_RANGE.contains(p)));
        assert_eq!(choose_ports(2, Some(65_535), &[]), [65_535]);
    }
}
