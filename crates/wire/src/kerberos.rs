//! TODO: kerberos codec (being written).
