//! TODO: ssrp codec (being written).
