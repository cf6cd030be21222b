//! The I/O ring both programs share, between the sans-IO machines of [`crate::proto`] and
//! the event loops of `client` and `server`: what `pptp` and `pptpd` do alike with
//! sockets and ptys lives here once.
//!
//! - [`ctrl_stream`]: a control connection's TCP stream, driving either control machine:
//!   message framing, a bounded write queue with back-pressure, writability watched only
//!   while output waits;
//! - [`data_path`]: one call's data path: pppd's stream both ways, GRE sequencing, its
//!   counters and its place in the event loop, one GRE sender;
//! - [`ppp_stream`]: pppd's byte stream: frames in (deframing) and out (encoding, backlog);
//! - [`gre_rx`]: received GRE, from the raw socket to (peer, header, payload);
//! - [`oneshot`]: clients that send one request and read one answer (the server's control
//!   socket and metrics endpoint), bounded.

pub mod ctrl_stream;
pub mod data_path;
pub mod gre_rx;
pub mod oneshot;
pub mod ppp_stream;

use std::io::{self, ErrorKind};
use std::time::Instant;

use mio::{Events, Poll};

/// Waits for events until `deadline` (None: until one comes), as both loops do: a signal
/// that interrupts the wait (EINTR) only means waiting again, since signals themselves
/// arrive as an event.
pub fn wait(poll: &mut Poll, events: &mut Events, deadline: Option<Instant>) -> io::Result<()> {
    loop {
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match poll.poll(events, timeout) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
