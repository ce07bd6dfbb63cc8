//! TODO: rdp codec (being written).
