//! The only module that touches the file system: reading an input file or standard input
//! with a size cap, and reading this machine's own sockets from `/proc`.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{AuditError, ErrorKind};
use crate::listener::{Owner, Parsed};
use crate::text::{MAX_INPUT_BYTES, check_size};

/// Processes looked at when finding socket owners.
const MAX_PROCESSES: usize = 65_536;
/// File descriptors looked at in total when finding socket owners.
const MAX_DESCRIPTORS: usize = 1_000_000;
/// Owners kept per socket.
const MAX_OWNERS: usize = 64;

/// Reads at most [`MAX_INPUT_BYTES`] (and refuses more) from `reader`.
pub fn read_capped(origin: &str, reader: impl Read) -> Result<Vec<u8>, AuditError> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_INPUT_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(origin, "cannot read", &e))?;
    check_size(origin, bytes.len())?;
    Ok(bytes)
}

/// Reads an input file, or standard input for `-`.
pub fn read_input(path: &str) -> Result<Vec<u8>, AuditError> {
    if path == "-" {
        return read_capped("-", io::stdin().lock());
    }
    let file = fs::File::open(path).map_err(|e| io_error(path, "cannot open", &e))?;
    read_capped(path, file)
}

fn io_error(origin: &str, what: &str, e: &io::Error) -> AuditError {
    AuditError::new(
        ErrorKind::Io,
        origin,
        0,
        format!("{what}: {e}"),
        "a readable file, or `-` for standard input",
    )
}

/// The listening sockets of this machine, from `/proc/net/{tcp,tcp6,udp,udp6}`, with their
/// owning processes where this user may see them.
pub fn read_local() -> Result<Parsed, AuditError> {
    read_local_from(Path::new("/proc"))
}

/// [`read_local`] with another `/proc` (a mounted copy, a container's).
pub fn read_local_from(proc_root: &Path) -> Result<Parsed, AuditError> {
    if !cfg!(target_os = "linux") && proc_root == Path::new("/proc") {
        return Err(AuditError::new(
            ErrorKind::Unsupported,
            "this machine",
            0,
            "reading the machine's own sockets is implemented for Linux only",
            "an input file: `netstat -anob` or PowerShell `Get-NetTCPConnection | ConvertTo-Json` output",
        ));
    }
    let mut all: Option<Parsed> = None;
    let mut absent = Vec::new();
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let path = proc_root.join("net").join(table);
        let origin = path.display().to_string();
        let bytes = match fs::File::open(&path) {
            Ok(file) => read_capped(&origin, file)?,
            // Without IPv6 the tcp6 and udp6 tables do not exist.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                absent.push(origin);
                continue;
            }
            Err(e) => return Err(io_error(&origin, "cannot open", &e)),
        };
        let text = crate::text::decode(&origin, &bytes, crate::text::Legacy8Bit::Refuse)?;
        let parsed = crate::source::proc_net::parse(&origin, &text)?;
        match all.as_mut() {
            Some(all) => all.extend(parsed),
            None => all = Some(parsed),
        }
    }
    let mut parsed = all.ok_or_else(|| {
        AuditError::new(
            ErrorKind::Io,
            &proc_root.join("net").display().to_string(),
            0,
            "none of tcp, tcp6, udp, udp6 exists",
            "a Linux /proc file system",
        )
    })?;
    for origin in absent {
        parsed.note(format!("{origin} does not exist (IPv6 off?)"));
    }
    let wanted: HashSet<u64> = parsed.listeners.iter().filter_map(|l| l.inode).collect();
    let owners = socket_owners(proc_root, &wanted);
    let unknown = assign_owners(&mut parsed, &owners);
    if unknown > 0 {
        parsed.note(format!(
            "the owners of {unknown} listeners are not visible to this user (run as root to see them)"
        ));
    }
    Ok(parsed)
}

/// Sets each listener's owners from a socket-inode map; returns how many stay unknown.
pub fn assign_owners(parsed: &mut Parsed, owners: &HashMap<u64, Vec<Owner>>) -> usize {
    let mut unknown = 0;
    for listener in &mut parsed.listeners {
        match listener.inode.and_then(|i| owners.get(&i)) {
            Some(list) => listener.set_owners(list.clone()),
            None => unknown += 1,
        }
    }
    unknown
}

/// Maps socket inodes to the processes holding them, by reading `/proc/<pid>/fd/*` links
/// (`socket:[12345]`). Processes this user may not inspect are skipped.
pub fn socket_owners(proc_root: &Path, wanted: &HashSet<u64>) -> HashMap<u64, Vec<Owner>> {
    let mut owners: HashMap<u64, Vec<Owner>> = HashMap::new();
    if wanted.is_empty() {
        return owners;
    }
    let Ok(entries) = fs::read_dir(proc_root) else {
        return owners;
    };
    let mut descriptors = 0usize;
    for entry in entries.flatten().take(MAX_PROCESSES) {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let mut process: Option<Option<String>> = None;
        for fd in fds.flatten() {
            descriptors += 1;
            if descriptors > MAX_DESCRIPTORS {
                return owners;
            }
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            let Some(inode) = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok())
            else {
                continue;
            };
            if !wanted.contains(&inode) {
                continue;
            }
            let comm = process
                .get_or_insert_with(|| {
                    fs::read_to_string(entry.path().join("comm"))
                        .ok()
                        .map(|c| c.trim_end().to_string())
                })
                .clone();
            let list = owners.entry(inode).or_default();
            let owner = Owner {
                pid: Some(pid),
                process: comm,
            };
            if list.len() < MAX_OWNERS && !list.contains(&owner) {
                list.push(owner);
            }
        }
    }
    owners
}
