//! The endpoint mapper's `ept_lookup` (opnum 2) and `ept_map` (opnum 3) calls
//! ([MS-RPCE] 2.2.1.2.4 and 2.2.1.2.5, C706 appendix O).
//!
//! `ept_lookup` with `RPC_C_EP_ALL_ELTS` lists the whole endpoint map, a batch at a time;
//! a context handle carries the position between calls. Servers end the list in two ways:
//! Windows returns a null handle with the last batch, Samba returns the last batch with a
//! live handle and answers the next call with `EPT_S_NOT_REGISTERED` and no entries.
//! [`Lookup`] drives the calls and accepts both endings, and stops after a bounded number
//! of rounds and entries whatever the server does. It also stops as soon as a server shows it
//! is looping: the same handle and the same entries as the call before, or more calls than
//! distinct entries (every call but the last must bring at least one new entry). An entry
//! seen twice is kept once.
//!
//! Response stub of `ept_lookup`, as NDR lays it out:
//!
//! ```text
//! entry_handle   20 bytes (attributes u32, UUID)
//! num_ents       u32
//! entries        max_count u32, offset u32, actual_count u32, then per entry:
//!                  object UUID, tower referent id u32,
//!                  annotation: offset u32, actual_count u32 (<= 64), chars
//!                then the towers the referent ids point to, in order:
//!                  max_count u32, tower_length u32, tower octets
//! status         u32
//! ```
//!
//! The annotation is a fixed-size (64) `[string] char` array, so it travels as a varying
//! array: offset and actual count, no maximum.

use core::fmt;
use std::collections::{HashMap, HashSet};

use crate::{Error, Result};

use super::fault;
pub use super::fault::EPT_S_NOT_REGISTERED;
use super::ndr::{ContextHandle, NdrReader, NdrWriter};
use super::pdu;
use super::printable;
use super::tower::{Endpoint, MAX_TOWER_LEN};
use super::uuid::Uuid;

/// Operation number of `ept_lookup`.
pub const OPNUM_LOOKUP: u16 = 2;
/// Operation number of `ept_map`.
pub const OPNUM_MAP: u16 = 3;

/// `inquiry_type`: return every element of the map.
pub const RPC_C_EP_ALL_ELTS: u32 = 0;
/// `vers_option`: all versions.
pub const RPC_C_VERS_ALL: u32 = 1;

/// Largest batch the protocol allows (`[range(0,500)] max_ents`).
pub const MAX_ENTS: u32 = 500;

/// Most characters in an annotation (`ept_max_annotation_size`).
pub const MAX_ANNOTATION: u32 = 64;

/// Length of the `ept_lookup` request stub.
pub const LOOKUP_REQUEST_LEN: usize = 40;

/// Builds the `ept_lookup` request stub: every element, no object or interface filter,
/// all versions, continuing from `handle` (null for the first call), at most `max_ents`
/// (clamped to 1..=500) entries.
pub fn lookup_request(handle: &ContextHandle, max_ents: u32) -> [u8; LOOKUP_REQUEST_LEN] {
    LookupRequest {
        inquiry_type: RPC_C_EP_ALL_ELTS,
        handle: *handle,
        max_ents,
    }
    .emit()
}

/// One element of the endpoint map.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EptEntry {
    /// Object UUID (nil for most registrations).
    pub object: Uuid,
    /// The tower octet string; `None` for a null tower pointer. Parse it with
    /// [`EptEntry::endpoint`]; a bad tower spoils only its own entry.
    pub tower: Option<Vec<u8>>,
    /// The annotation the server registered (e.g. `Netlogon`), up to 64 characters.
    pub annotation: String,
}

impl EptEntry {
    /// The typed endpoint of this entry's tower.
    pub fn endpoint(&self) -> Result<Endpoint> {
        match &self.tower {
            Some(tower) => Endpoint::parse(tower),
            None => Err(Error::malformed("EPM entry", "null tower pointer")),
        }
    }

    /// One line for this entry: the endpoint's description with `target` as the address,
    /// plus the annotation in quotes when it adds something. Entries whose tower cannot
    /// be read show the object UUID and the reason.
    pub fn describe(&self, target: &str) -> String {
        match self.endpoint() {
            Ok(endpoint) => {
                let mut line = endpoint.describe(target);
                let known = super::names::lookup(&endpoint.interface.uuid);
                if !self.annotation.is_empty()
                    && known.is_none_or(|k| !k.name.eq_ignore_ascii_case(&self.annotation))
                {
                    line.push_str(&format!(" \"{}\"", printable(&self.annotation, 64)));
                }
                line
            }
            Err(error) => format!("object {}: unreadable tower ({error})", self.object),
        }
    }
}

/// A decoded `ept_lookup` response stub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupResponse {
    /// Where the next call continues; null when the server says the list is complete.
    pub handle: ContextHandle,
    /// The entries of this batch.
    pub entries: Vec<EptEntry>,
    /// `status`: 0 on success, [`EPT_S_NOT_REGISTERED`] when nothing (more) matches.
    pub status: u32,
}

/// Reads the towers that `referents` point to, in the order NDR sends deferred pointees.
/// A full pointer whose referent id was already seen points to the same tower and is not
/// sent twice.
fn read_towers(reader: &mut NdrReader<'_>, referents: &[u32]) -> Result<Vec<Option<Vec<u8>>>> {
    let mut seen: HashMap<u32, usize> = HashMap::new();
    let mut towers: Vec<Option<Vec<u8>>> = Vec::with_capacity(referents.len());
    for &referent in referents {
        if referent == 0 {
            towers.push(None);
            continue;
        }
        if let Some(&index) = seen.get(&referent) {
            let earlier = towers.get(index).cloned().flatten();
            towers.push(earlier);
            continue;
        }
        let max_count = reader.conformance("EPM tower size", MAX_TOWER_LEN as u32)?;
        let length = reader.u32("EPM tower length")?;
        if length != max_count {
            return Err(Error::malformed(
                "EPM tower",
                "tower_length differs from the array size",
            ));
        }
        let octets = reader.bytes(length as usize, "EPM tower octets")?;
        seen.insert(referent, towers.len());
        towers.push(Some(octets.to_vec()));
    }
    Ok(towers)
}

fn read_annotation(reader: &mut NdrReader<'_>) -> Result<String> {
    let (offset, count) = reader.variance("EPM annotation", MAX_ANNOTATION)?;
    if u64::from(offset) + u64::from(count) > u64::from(MAX_ANNOTATION) {
        return Err(Error::malformed(
            "EPM annotation",
            "runs past the 64-character annotation",
        ));
    }
    let chars = reader.bytes(count as usize, "EPM annotation")?;
    let text = chars.split(|&b| b == 0).next().unwrap_or(&[]);
    // At most 63 bytes of text before the NUL, also after the lossy conversion (where a
    // byte that is not UTF-8 becomes three): what the emitter writes, so a parsed answer
    // can be written back.
    let mut text = String::from_utf8_lossy(text).into_owned();
    let mut end = text.len().min(MAX_ANNOTATION as usize - 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    Ok(text)
}

/// The head both responses share: the context handle, then the `num_*` count and the
/// conformant-varying bounds of the array it counts (`length_is(*num)`, `size_is(max)`),
/// which must agree. Returns the handle and the count; `num`, `array` and `mismatch` name
/// the fields and the disagreement in errors.
fn response_head(
    reader: &mut NdrReader<'_>,
    num: &'static str,
    array: &'static str,
    mismatch: &'static str,
) -> Result<(ContextHandle, u32)> {
    let handle = reader.context_handle()?;
    let count = reader.u32(num)?;
    let bounds = reader.conformant_varying(array, MAX_ENTS)?;
    if bounds.actual_count != count {
        return Err(Error::malformed(array, mismatch));
    }
    Ok((handle, count))
}

impl LookupResponse {
    /// Parses the stub of an `ept_lookup` response (after reassembly).
    pub fn parse(stub: &[u8]) -> Result<LookupResponse> {
        let mut reader = NdrReader::new(stub);
        let (handle, count) = response_head(
            &mut reader,
            "EPM num_ents",
            "EPM entries",
            "actual_count differs from num_ents",
        )?;
        let count = count as usize;
        let mut partial = Vec::with_capacity(count);
        let mut referents = Vec::with_capacity(count);
        for _ in 0..count {
            let object = reader.uuid("EPM entry object")?;
            referents.push(reader.pointer("EPM entry tower pointer")?);
            let annotation = read_annotation(&mut reader)?;
            partial.push((object, annotation));
        }
        let towers = read_towers(&mut reader, &referents)?;
        let status = reader.u32("EPM status")?;
        let entries = partial
            .into_iter()
            .zip(towers)
            .map(|((object, annotation), tower)| EptEntry {
                object,
                tower,
                annotation,
            })
            .collect();
        Ok(LookupResponse {
            handle,
            entries,
            status,
        })
    }
}

impl LookupResponse {
    /// Writes the response stub the way Samba does (distinct referent ids from 1, each
    /// annotation NUL-terminated). Used for round-trip tests and fuzzing; a client never
    /// sends this.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let count = u32::try_from(self.entries.len())
            .ok()
            .filter(|&count| count <= MAX_ENTS)
            .ok_or(Error::too_large(
                "EPM entries",
                self.entries.len(),
                MAX_ENTS as usize,
            ))?;
        let mut writer = NdrWriter::new();
        writer.context_handle(&self.handle).u32(count);
        writer.u32(count).u32(0).u32(count);
        let mut next_referent = 1u32;
        for entry in &self.entries {
            writer.uuid(entry.object);
            match entry.tower {
                Some(_) => {
                    writer.u32(next_referent);
                    next_referent += 1;
                }
                None => {
                    writer.u32(0);
                }
            }
            let text = entry.annotation.as_bytes();
            if text.len() >= MAX_ANNOTATION as usize || text.contains(&0) {
                return Err(Error::malformed(
                    "EPM annotation",
                    "longer than 63 bytes or holds a NUL",
                ));
            }
            let chars = if text.is_empty() { 0 } else { text.len() + 1 };
            writer.u32(0).u32(chars as u32).bytes(text);
            if chars > 0 {
                writer.bytes(&[0]);
            }
        }
        for tower in self.entries.iter().filter_map(|entry| entry.tower.as_ref()) {
            if tower.len() > MAX_TOWER_LEN {
                return Err(Error::too_large("EPM tower", tower.len(), MAX_TOWER_LEN));
            }
            let len = tower.len() as u32;
            writer.u32(len).u32(len).bytes(tower);
        }
        writer.u32(self.status);
        Ok(writer.finish())
    }
}

fn status_text(status: u32) -> String {
    match fault::status_name(status) {
        Some(name) => format!("{name} (0x{status:08x})"),
        None => format!("0x{status:08x}"),
    }
}

impl fmt::Display for LookupResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EPM ept_lookup: {} entries, status {}, {}",
            self.entries.len(),
            status_text(self.status),
            self.handle
        )
    }
}

/// Limits of one enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupLimits {
    /// `max_ents` asked for per call (1..=500).
    pub batch: u32,
    /// Most calls made; a server that never ends the list is cut off here.
    pub max_rounds: u32,
    /// Most entries kept in total.
    pub max_entries: usize,
}

impl Default for LookupLimits {
    fn default() -> Self {
        LookupLimits {
            batch: MAX_ENTS,
            max_rounds: 32,
            max_entries: 4096,
        }
    }
}

/// Why an enumeration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupEnd {
    /// The server returned a null handle (Windows).
    NullHandle,
    /// `EPT_S_NOT_REGISTERED` after at least one batch (Samba's way to say "no more").
    NoMoreEntries,
    /// `EPT_S_NOT_REGISTERED` on the first call: nothing is registered.
    Empty,
    /// Another status code: the server refused; what came before is kept.
    Status(u32),
    /// [`LookupLimits::max_rounds`] calls were made and the list had not ended.
    RoundLimit,
    /// [`LookupLimits::max_entries`] entries were collected; the rest was not asked for.
    EntryLimit,
    /// The server answered with the same live handle and the same entries as the call
    /// before: asking again would only get the same answer.
    Repeating,
    /// More calls than distinct entries: the server keeps the list open without bringing
    /// anything new (empty batches, or entries already seen under a new handle).
    NoProgress,
}

impl LookupEnd {
    /// True for the endings that mean the whole map was read.
    pub fn is_complete(&self) -> bool {
        matches!(
            self,
            LookupEnd::NullHandle | LookupEnd::NoMoreEntries | LookupEnd::Empty
        )
    }
}

impl fmt::Display for LookupEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupEnd::NullHandle => f.write_str("end of list (null handle)"),
            LookupEnd::NoMoreEntries => f.write_str("end of list (EPT_S_NOT_REGISTERED)"),
            LookupEnd::Empty => f.write_str("endpoint map is empty"),
            LookupEnd::Status(status) => write!(f, "server status {}", status_text(*status)),
            LookupEnd::RoundLimit => f.write_str("stopped: round limit reached"),
            LookupEnd::EntryLimit => f.write_str("stopped: entry limit reached"),
            LookupEnd::Repeating => f.write_str(
                "stopped: the mapper repeated its last answer (same handle, same entries)",
            ),
            LookupEnd::NoProgress => f.write_str(
                "stopped: the mapper is looping (more ept_lookup calls than distinct entries)",
            ),
        }
    }
}

/// The `ept_lookup` enumeration as a pure state machine.
///
/// ```
/// use portolan_wire::dcerpc::epm::{Lookup, LookupLimits};
/// let mut lookup = Lookup::new(LookupLimits::default());
/// let mut call_id = 2;
/// while let Some(request) = lookup.next_request(call_id) {
///     // send `request`, read and reassemble the response, then:
///     # let stub = [0u8; 40]; // a response with no entries and a null handle
///     lookup.consume(&stub)?;
///     call_id += 1;
/// }
/// assert!(lookup.end().unwrap().is_complete());
/// # Ok::<(), portolan_wire::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Lookup {
    limits: LookupLimits,
    handle: ContextHandle,
    rounds: u32,
    batches: u32,
    entries: Vec<EptEntry>,
    /// The entries kept so far, to drop the ones a server sends again.
    seen: HashSet<EptEntry>,
    /// Entries dropped because they had been seen already.
    duplicates: usize,
    /// The last answer's entries, to recognise a server that repeats itself.
    last_batch: Vec<EptEntry>,
    end: Option<LookupEnd>,
}

impl Lookup {
    /// A new enumeration starting from the null handle.
    pub fn new(limits: LookupLimits) -> Lookup {
        Lookup {
            limits,
            handle: ContextHandle::NULL,
            rounds: 0,
            batches: 0,
            entries: Vec::new(),
            seen: HashSet::new(),
            duplicates: 0,
            last_batch: Vec::new(),
            end: None,
        }
    }

    /// The stub of the next `ept_lookup` call, or `None` when the enumeration is over.
    pub fn next_stub(&self) -> Option<[u8; LOOKUP_REQUEST_LEN]> {
        if self.end.is_some() {
            return None;
        }
        Some(lookup_request(&self.handle, self.limits.batch))
    }

    /// The whole request PDU of the next call (presentation context 0), or `None` when
    /// the enumeration is over.
    pub fn next_request(&self, call_id: u32) -> Option<Vec<u8>> {
        let stub = self.next_stub()?;
        pdu::request(call_id, 0, OPNUM_LOOKUP, &stub).ok()
    }

    /// Takes the reassembled response stub of the last call. A stub that does not parse
    /// is an error and leaves the state unchanged; the engine should give up then.
    pub fn consume(&mut self, stub: &[u8]) -> Result<()> {
        if self.end.is_some() {
            return Err(Error::Unexpected("EPM lookup is already finished"));
        }
        let response = LookupResponse::parse(stub)?;
        self.rounds += 1;
        if !response.entries.is_empty() {
            self.batches += 1;
        }
        let repeated = self.rounds > 1
            && !response.handle.is_null()
            && response.handle == self.handle
            && response.entries == self.last_batch;
        let mut overflow = false;
        for entry in &response.entries {
            if self.seen.contains(entry) {
                self.duplicates += 1;
            } else if self.entries.len() >= self.limits.max_entries {
                overflow = true;
            } else {
                self.seen.insert(entry.clone());
                self.entries.push(entry.clone());
            }
        }
        // A status ends the list whatever came with it; the loop checks come after the
        // server's own endings so that a last batch followed by Samba's "no more" or a null
        // handle is never mistaken for a loop.
        self.end = if response.status == EPT_S_NOT_REGISTERED {
            Some(if self.batches > 0 {
                LookupEnd::NoMoreEntries
            } else {
                LookupEnd::Empty
            })
        } else if response.status != 0 {
            Some(LookupEnd::Status(response.status))
        } else if overflow {
            Some(LookupEnd::EntryLimit)
        } else if response.handle.is_null() {
            Some(LookupEnd::NullHandle)
        } else if repeated {
            Some(LookupEnd::Repeating)
        } else if self.rounds as usize > self.entries.len() {
            Some(LookupEnd::NoProgress)
        } else if self.entries.len() >= self.limits.max_entries {
            Some(LookupEnd::EntryLimit)
        } else if self.rounds >= self.limits.max_rounds {
            Some(LookupEnd::RoundLimit)
        } else {
            None
        };
        self.last_batch = response.entries;
        self.handle = response.handle;
        Ok(())
    }

    /// Why the enumeration ended, once it has.
    pub fn end(&self) -> Option<LookupEnd> {
        self.end
    }

    /// Calls answered so far.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// Entries the server sent again and that were kept only once.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// The entries collected so far, each once, in the order first seen.
    pub fn entries(&self) -> &[EptEntry] {
        &self.entries
    }

    /// The handle a server left open when the enumeration stopped early; a polite client
    /// could release it with `ept_lookup_handle_free` (opnum 4), which this crate does not
    /// build because closing the connection releases it too.
    pub fn handle(&self) -> ContextHandle {
        self.handle
    }

    /// The entries, consuming the enumeration.
    pub fn into_entries(self) -> Vec<EptEntry> {
        self.entries
    }
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EPM: {} entries in {} calls, ",
            self.entries.len(),
            self.rounds
        )?;
        match self.end {
            Some(end) => end.fmt(f),
            None => f.write_str("in progress"),
        }
    }
}

/// Builds the `ept_map` request stub: which endpoint serves the interface described by
/// `tower` (see [`Endpoint::map_query`]), optionally for one `object`, continuing from
/// `handle`, at most `max_towers` (1..=500) answers.
pub fn map_request(
    object: Option<Uuid>,
    tower: &[u8],
    handle: &ContextHandle,
    max_towers: u32,
) -> Result<Vec<u8>> {
    if tower.len() > MAX_TOWER_LEN {
        return Err(Error::too_large(
            "EPM map tower",
            tower.len(),
            MAX_TOWER_LEN,
        ));
    }
    let mut writer = NdrWriter::new();
    match object {
        Some(uuid) => writer.u32(1).uuid(uuid),
        None => writer.u32(0),
    };
    // map_tower: referent id, then the pointee (conformant struct) in line.
    writer
        .u32(2)
        .u32(tower.len() as u32)
        .u32(tower.len() as u32)
        .bytes(tower)
        .align(4)
        .context_handle(handle)
        .u32(max_towers.clamp(1, MAX_ENTS));
    Ok(writer.finish())
}

/// A decoded `ept_map` response stub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapResponse {
    /// Continuation handle (null when complete).
    pub handle: ContextHandle,
    /// Tower octet strings of the matching endpoints (null pointers are skipped).
    pub towers: Vec<Vec<u8>>,
    /// 0 on success, [`EPT_S_NOT_REGISTERED`] when the interface is not registered.
    pub status: u32,
}

impl MapResponse {
    /// Parses the stub of an `ept_map` response.
    pub fn parse(stub: &[u8]) -> Result<MapResponse> {
        let mut reader = NdrReader::new(stub);
        let (handle, count) = response_head(
            &mut reader,
            "EPM num_towers",
            "EPM towers",
            "actual_count differs from num_towers",
        )?;
        let mut referents = Vec::with_capacity(count as usize);
        for _ in 0..count {
            referents.push(reader.pointer("EPM tower pointer")?);
        }
        let towers = read_towers(&mut reader, &referents)?
            .into_iter()
            .flatten()
            .collect();
        let status = reader.u32("EPM status")?;
        Ok(MapResponse {
            handle,
            towers,
            status,
        })
    }

    /// The endpoints of the towers that parse.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.towers
            .iter()
            .filter_map(|tower| Endpoint::parse(tower).ok())
            .collect()
    }
}

impl fmt::Display for MapResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EPM ept_map: {} towers, status {}",
            self.towers.len(),
            status_text(self.status)
        )?;
        if let Some(endpoint) = self.endpoints().first() {
            write!(f, ", first {}", endpoint.binding("target"))?;
        }
        Ok(())
    }
}

/// An `ept_lookup` request as a server reads it: where to continue and how many entries at
/// most. The object and interface filters, when present, are read past (a stand-in mapper
/// returns its whole map).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupRequest {
    /// `inquiry_type`.
    pub inquiry_type: u32,
    /// The handle to continue from (null on the first call).
    pub handle: ContextHandle,
    /// `max_ents`, clamped to 1..=[`MAX_ENTS`].
    pub max_ents: u32,
}

impl LookupRequest {
    /// Parses the stub of an `ept_lookup` request.
    pub fn parse(stub: &[u8]) -> Result<LookupRequest> {
        let mut reader = NdrReader::new(stub);
        let inquiry_type = reader.u32("EPM inquiry_type")?;
        if reader.pointer("EPM object pointer")? != 0 {
            reader.uuid("EPM object")?;
        }
        if reader.pointer("EPM interface pointer")? != 0 {
            reader.uuid("EPM interface")?;
            reader.u16("EPM interface major")?;
            reader.u16("EPM interface minor")?;
        }
        reader.u32("EPM vers_option")?;
        let handle = reader.context_handle()?;
        let max_ents = reader.u32("EPM max_ents")?.clamp(1, MAX_ENTS);
        Ok(LookupRequest {
            inquiry_type,
            handle,
            max_ents,
        })
    }

    /// Encodes the request stub, the inverse of [`LookupRequest::parse`]: no object or
    /// interface filter, all versions, `max_ents` clamped to 1..=[`MAX_ENTS`].
    pub fn emit(&self) -> [u8; LOOKUP_REQUEST_LEN] {
        let stub = NdrWriter::new()
            .u32(self.inquiry_type)
            .u32(0) // object: null pointer
            .u32(0) // Ifid: null pointer
            .u32(RPC_C_VERS_ALL)
            .context_handle(&self.handle)
            .u32(self.max_ents.clamp(1, MAX_ENTS))
            .finish();
        let mut out = [0u8; LOOKUP_REQUEST_LEN];
        out.copy_from_slice(&stub);
        out
    }
}

impl LookupResponse {
    /// A whole map in one answer: the first `max_ents` of `entries`, a null handle (the
    /// list is complete), status 0; [`EPT_S_NOT_REGISTERED`] when the map is empty.
    pub fn whole(mut entries: Vec<EptEntry>, max_ents: u32) -> LookupResponse {
        entries.truncate(max_ents as usize);
        let status = if entries.is_empty() {
            EPT_S_NOT_REGISTERED
        } else {
            0
        };
        LookupResponse {
            handle: ContextHandle::NULL,
            entries,
            status,
        }
    }
}

#[cfg(test)]
mod server_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_lookup_request_reads_back_and_a_whole_map_ends_the_lookup() {
        let request = LookupRequest::parse(&lookup_request(&ContextHandle::NULL, 77)).unwrap();
        assert_eq!(request.max_ents, 77);
        assert!(request.handle.is_null());
        let entry = EptEntry {
            object: Uuid::NIL,
            tower: Some(
                crate::dcerpc::tower::Tower::ncacn_ip_tcp(&crate::dcerpc::EPM_SYNTAX, 49_700)
                    .emit()
                    .unwrap(),
            ),
            annotation: "portolan".to_string(),
        };
        let answer = LookupResponse::whole(vec![entry.clone(); 3], 2);
        let parsed = LookupResponse::parse(&answer.emit().unwrap()).unwrap();
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.entries[0].endpoint().unwrap().port, Some(49_700));
        let mut lookup = Lookup::new(LookupLimits::default());
        lookup.consume(&answer.emit().unwrap()).unwrap();
        assert!(lookup.end().is_some());
        assert_eq!(
            LookupResponse::whole(Vec::new(), 5).status,
            EPT_S_NOT_REGISTERED
        );
    }

    /// Regression (found by wire_dcerpc_roundtrip): an annotation of 64 bytes without a
    /// NUL, or of bytes that are not UTF-8 (three bytes each as text), was read past the 63
    /// bytes the emitter writes, so the parsed answer could not be written back.
    #[test]
    fn annotations_are_read_within_what_can_be_written() {
        let entry = |annotation: &str| EptEntry {
            object: Uuid::NIL,
            tower: None,
            annotation: annotation.to_string(),
        };
        let mut stub = LookupResponse::whole(vec![entry(&"a".repeat(63))], 1)
            .emit()
            .unwrap();
        // The annotation's actual count (64 with its NUL) and its 63 bytes: make them 64
        // bytes of 0xff, no NUL.
        let at = stub.windows(63).position(|w| w == [b'a'; 63]).unwrap();
        stub[at..at + 64].fill(0xff);
        let parsed = LookupResponse::parse(&stub).unwrap();
        assert!(parsed.entries[0].annotation.len() < MAX_ANNOTATION as usize);
        assert_eq!(
            LookupResponse::parse(&parsed.emit().unwrap()).unwrap(),
            parsed
        );
    }
}
