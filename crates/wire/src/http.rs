//! TODO: http codec (being written).
