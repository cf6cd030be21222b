//! The signals both programs handle, delivered to their event loop as a mio source.

use std::io;

use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1};
pub use signal_hook::consts::{SIGCHLD as CHILD, SIGHUP as HANGUP, SIGUSR1 as USER1};
pub use signal_hook_mio::v1_0::Signals;

/// SIGTERM and SIGINT (stop), SIGHUP (reload, or stop for the client), SIGUSR1 (log the
/// counters) and SIGCHLD (a child exited), read from the event loop instead of handled in
/// a signal handler (logging in handlers once deadlocked both reference programs).
pub fn program_signals() -> io::Result<Signals> {
    Signals::new([SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD])
}
