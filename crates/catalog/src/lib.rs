//! portolan-catalog
