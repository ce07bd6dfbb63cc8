//! TODO: ldap codec (being written).
