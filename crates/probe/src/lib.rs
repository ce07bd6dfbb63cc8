//! portolan-probe
