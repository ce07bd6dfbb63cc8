//! TODO: snmp codec (being written).
