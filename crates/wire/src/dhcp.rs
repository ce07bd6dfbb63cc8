//! TODO: dhcp codec (being written).
