//! portolan-plan
