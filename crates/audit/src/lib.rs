//! portolan-audit
