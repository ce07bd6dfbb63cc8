//! Targets: host names, addresses (IPv6 with a scope id too), CIDR networks, address ranges
//! and `@file` lists, and the indexed list of addresses they stand for.
//!
//! Parsing is pure: names stay names until [`TargetList::build`] looks them up, and `@file`
//! contents come from a caller-supplied reader. Every address set is held as inclusive
//! blocks of integers, so a /8 costs a few bytes, not sixteen million entries.

mod block;
mod error;
mod list;
mod lookup;
mod shard;
mod spec;

pub use block::AddressBlock;
pub use error::TargetError;
pub use list::{
    CONFIRM_ABOVE, HARD_LIMIT, MAX_FILE_BYTES, MAX_ITEMS, address_total, check_size, check_within,
    parse_targets,
};
pub use lookup::{
    CHECK_CAP, CHECK_SCALE_CAP, Host, SizeGuard, TargetList, interface_index, parse_arguments,
    read_target_file, resolve_arguments, socket_addr, system_lookup,
};
pub use shard::Shard;
pub use spec::TargetSpec;
