//! Ctrl-C as a flag: the first SIGINT asks the scan to stop and report what it knows, a
//! second one ends the process at once.

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use signal_hook::consts::SIGINT;

/// Installs the handlers and returns the flag that the first SIGINT sets.
pub fn install() -> io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    // Registered first, so it sees the flag as it was before the second handler sets it.
    signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&flag))?;
    signal_hook::flag::register(SIGINT, Arc::clone(&flag))?;
    Ok(flag)
}

/// After an interrupted scan has printed its results: end the process the way the default
/// SIGINT action would, so the shell sees an interrupted command.
pub fn exit_as_interrupted() -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(SIGINT);
    std::process::exit(130)
}
