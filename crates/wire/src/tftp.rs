//! TODO: tftp codec (being written).
