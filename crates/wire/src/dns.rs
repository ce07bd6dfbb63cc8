//! TODO: dns codec (being written).
