//! TODO: greeting codec (being written).
