//! TODO: nbns codec (being written).
