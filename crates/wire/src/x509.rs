//! TODO: x509 codec (being written).
