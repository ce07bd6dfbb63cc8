//! TODO: ber codec (being written).
