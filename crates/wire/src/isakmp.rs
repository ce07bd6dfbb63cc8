//! TODO: isakmp codec (being written).
