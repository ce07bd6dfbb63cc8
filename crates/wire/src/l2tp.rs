//! TODO: l2tp codec (being written).
