//! TODO: radius codec (being written).
