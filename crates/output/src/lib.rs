//! portolan-output
