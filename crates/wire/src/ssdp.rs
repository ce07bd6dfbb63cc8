//! TODO: ssdp codec (being written).
