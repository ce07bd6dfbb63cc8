//! One parser per input format; each reads text into [`crate::Parsed`].

pub mod check;
pub mod netstat;
pub mod nmap;
pub mod powershell;
pub mod proc_net;
pub mod ss;
