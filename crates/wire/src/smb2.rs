//! TODO: smb2 codec (being written).
