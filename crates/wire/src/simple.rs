//! TODO: simple codec (being written).
