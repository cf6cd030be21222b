//! A control connection's TCP stream (RFC 2637 §1.4, §2): whole messages in, our messages
//! out, for either role's machine through [`ControlMachine`].
//!
//! Nothing here trusts the peer:
//! - input is cut into messages as it arrives (the unread part is at most one message),
//!   and the rest of a message that has begun must come within a bound of its own (it once
//!   held a connection until the keepalive gave up, two minutes);
//! - output waits in a bounded queue: above [`PAUSE_READING`] bytes we stop reading the
//!   peer, so that a peer that sends requests and never reads our replies gets no more
//!   replies, and TCP flow control pushes back on it. A peer that still takes nothing
//!   within the stream's wait (the same bound as for a half-sent message), or makes the
//!   queue pass [`QUEUE_LIMIT`] (what one read can add on top), is dropped with a log line
//!   that says why. An Echo-Request flood without reading once grew pptpd to 3.5 GB;
//! - the stream is watched for writability only while output waits.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

pub use crate::proto::control::StreamFailure;
use crate::proto::pac::PacConnection;
use crate::proto::pns::PnsConnection;
use crate::wire::ctrl::{ControlMessage, take_messages};

/// Above this many queued bytes, the peer is not read until it has taken some.
pub const PAUSE_READING: usize = 8 * 1024;
/// Queued bytes past which the peer is dropped: with reading paused at
/// [`PAUSE_READING`], only one read's replies can come on top, so this is never reached
/// by a peer that reads at all.
pub const QUEUE_LIMIT: usize = 64 * 1024;
/// Bytes read at a time.
const READ_CHUNK: usize = 4096;

/// A control machine, as the stream drives it: messages in, messages out, and the end of
/// the stream.
pub trait ControlMachine {
    /// One whole message from the peer.
    fn handle_message(&mut self, now: Instant, msg: ControlMessage);
    /// The next message to send.
    fn poll_transmit(&mut self) -> Option<ControlMessage>;
    /// The stream ended or had to be dropped; nothing more can be sent.
    fn stream_failed(&mut self, now: Instant, why: StreamFailure);
}

/// Both roles' machines, as the stream drives them.
macro_rules! control_machine {
    ($($machine:ty),*) => {$(
        impl ControlMachine for $machine {
            fn handle_message(&mut self, now: Instant, msg: ControlMessage) {
                <$machine>::handle_message(self, now, msg)
            }
            fn poll_transmit(&mut self) -> Option<ControlMessage> {
                <$machine>::poll_transmit(self)
            }
            fn stream_failed(&mut self, _now: Instant, why: StreamFailure) {
                <$machine>::stream_failed(self, why)
            }
        }
    )*};
}
control_machine!(PacConnection, PnsConnection);

/// One control connection's stream.
#[derive(Debug)]
pub struct CtrlStream {
    stream: TcpStream,
    token: Token,
    /// The other end, for log lines.
    peer: Ipv4Addr,
    /// The bytes of a message that has begun to arrive.
    input: Vec<u8>,
    partial_since: Option<Instant>,
    /// Encoded messages not yet written: `output[written..]`.
    output: Vec<u8>,
    written: usize,
    /// What the stream is registered for now.
    interest: Interest,
    /// Reading is paused while too much output waits; since when.
    paused: bool,
    paused_since: Option<Instant>,
    /// The client's connect has not completed yet.
    connecting: bool,
    /// The stream has ended; nothing more is read or written.
    ended: bool,
}

impl CtrlStream {
    /// Registers `stream`, a connection with `peer`, with the loop under `token`.
    pub fn new(
        registry: &Registry,
        stream: TcpStream,
        token: Token,
        peer: Ipv4Addr,
    ) -> io::Result<Self> {
        Self::register(registry, stream, token, peer, false)
    }

    /// As [`new`](Self::new), for a non-blocking connect under way: its completion shows
    /// as writability ([`finish_connect`](Self::finish_connect)).
    pub fn connecting(
        registry: &Registry,
        stream: TcpStream,
        token: Token,
        peer: Ipv4Addr,
    ) -> io::Result<Self> {
        Self::register(registry, stream, token, peer, true)
    }

    fn register(
        registry: &Registry,
        mut stream: TcpStream,
        token: Token,
        peer: Ipv4Addr,
        connecting: bool,
    ) -> io::Result<Self> {
        let interest = if connecting {
            Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        registry.register(&mut stream, token, interest)?;
        Ok(CtrlStream {
            stream,
            token,
            peer,
            input: Vec::new(),
            partial_since: None,
            output: Vec::new(),
            written: 0,
            interest,
            paused: false,
            paused_since: None,
            connecting,
            ended: false,
        })
    }

    /// Our address on this connection (the server's GRE for it leaves from there).
    pub fn local_ip(&self) -> Option<Ipv4Addr> {
        match self.stream.local_addr() {
            Ok(SocketAddr::V4(a)) => Some(*a.ip()),
            _ => None,
        }
    }

    /// True while a connect is under way.
    pub fn is_connecting(&self) -> bool {
        self.connecting
    }

    /// After a writable event while connecting: Some(Ok) once connected, Some(Err) when
    /// the connect failed, None while it goes on.
    pub fn finish_connect(&mut self, registry: &Registry) -> Option<io::Result<()>> {
        if !self.connecting {
            return Some(Ok(()));
        }
        match self.stream.take_error() {
            Ok(Some(e)) | Err(e) => return Some(Err(e)),
            Ok(None) if self.stream.peer_addr().is_err() => return None,
            Ok(None) => {}
        }
        self.connecting = false;
        Some(self.set_interest(registry))
    }

    /// The stream is ready: reads what the peer sent (unless paused) into `machine`, then
    /// writes what it has to say.
    pub fn on_ready(
        &mut self,
        registry: &Registry,
        now: Instant,
        machine: &mut impl ControlMachine,
    ) {
        if !self.connecting {
            self.read(now, machine);
            self.flush(registry, now, machine);
        }
    }

    fn read(&mut self, now: Instant, machine: &mut impl ControlMachine) {
        let mut chunk = [0u8; READ_CHUNK];
        while !self.ended && !self.paused {
            match self.stream.read(&mut chunk) {
                Ok(0) => return self.fail(now, machine, StreamFailure::Closed),
                Ok(n) => {
                    self.input.extend_from_slice(&chunk[..n]);
                    let peer = self.peer;
                    let framed = take_messages(&mut self.input, |msg| match msg {
                        Ok(msg) => {
                            log::debug!("ctrl: received {} from {peer}", msg.message_type());
                            machine.handle_message(now, msg)
                        }
                        Err(e) => {
                            log::warn!("ctrl: dropped malformed control message from {peer}: {e}")
                        }
                    });
                    if let Err(e) = framed {
                        return self.fail(now, machine, StreamFailure::LostFraming(e));
                    }
                    if self.input.is_empty() {
                        self.partial_since = None;
                    } else {
                        self.partial_since.get_or_insert(now);
                    }
                    // Replies to what was just read: queue them, and pause if they pile up.
                    self.queue(now, machine);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(now, machine, StreamFailure::Error(e.to_string())),
            }
        }
    }

    /// Takes the machine's messages into the output queue; drops the peer past the limit.
    fn queue(&mut self, now: Instant, machine: &mut impl ControlMachine) {
        while !self.ended
            && let Some(msg) = machine.poll_transmit()
        {
            log::debug!("ctrl: sending {} to {}", msg.message_type(), self.peer);
            msg.emit(&mut self.output);
            let queued = self.output.len() - self.written;
            if queued > QUEUE_LIMIT {
                return self.fail(now, machine, StreamFailure::NotReading(queued));
            }
        }
        self.set_paused(now);
    }

    /// Pauses reading while too much output waits, noting since when.
    fn set_paused(&mut self, now: Instant) {
        self.paused = self.output.len() - self.written > PAUSE_READING;
        if !self.paused {
            self.paused_since = None;
        } else if self.paused_since.is_none() {
            self.paused_since = Some(now);
        }
    }

    /// Writes what the machine has to say, as far as the peer takes it, and watches for
    /// room only while something waits.
    pub fn flush(&mut self, registry: &Registry, now: Instant, machine: &mut impl ControlMachine) {
        self.queue(now, machine);
        let before = self.written;
        while !self.ended && !self.connecting && self.written < self.output.len() {
            match self.stream.write(&self.output[self.written..]) {
                Ok(0) => break,
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(now, machine, StreamFailure::Error(e.to_string())),
            }
        }
        if self.written == self.output.len() {
            self.output.clear();
            self.written = 0;
        }
        let was_paused = self.paused;
        if self.written != before || self.output.is_empty() {
            // The peer takes what we send: its wait starts again.
            self.paused_since = None;
        }
        self.set_paused(now);
        if let Err(e) = self.set_interest(registry) {
            log::warn!("ctrl: cannot watch the connection with {}: {e}", self.peer);
        }
        if was_paused && !self.paused {
            // Edge-triggered: what the peer sent while we did not read raised no new event.
            self.read(now, machine);
            self.queue(now, machine);
        }
    }

    /// Registers for what the stream waits for now: readable unless paused, writable while
    /// output waits (or the connect is under way).
    fn set_interest(&mut self, registry: &Registry) -> io::Result<()> {
        if self.ended {
            return Ok(());
        }
        let want = if self.connecting {
            Interest::WRITABLE
        } else {
            let waiting = self.written < self.output.len();
            match (self.paused, waiting) {
                (false, false) => Interest::READABLE,
                (false, true) => Interest::READABLE | Interest::WRITABLE,
                (true, _) => Interest::WRITABLE,
            }
        };
        if want != self.interest {
            registry.reregister(&mut self.stream, self.token, want)?;
            self.interest = want;
        }
        Ok(())
    }

    /// When a half-arrived message, or a peer that does not read, runs out of time (`wait`
    /// after it began).
    pub fn poll_timeout(&self, wait: Duration) -> Option<Instant> {
        [self.partial_since, self.paused_since]
            .into_iter()
            .flatten()
            .min()
            .map(|t| t + wait)
    }

    /// Drops the stream when a half-arrived message has waited `wait` for its rest, or the
    /// peer has taken none of our output for `wait`.
    pub fn handle_timeout(
        &mut self,
        now: Instant,
        wait: Duration,
        machine: &mut impl ControlMachine,
    ) {
        if self.partial_since.is_some_and(|t| now >= t + wait) {
            self.fail(now, machine, StreamFailure::Incomplete(wait));
        } else if self.paused_since.is_some_and(|t| now >= t + wait) {
            let queued = self.queued();
            self.fail(now, machine, StreamFailure::NotReading(queued));
        }
    }

    /// Bytes waiting to be written.
    pub fn queued(&self) -> usize {
        self.output.len() - self.written
    }

    /// Leaves the event loop (the stream closes when dropped).
    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.stream);
    }

    fn fail(&mut self, now: Instant, machine: &mut impl ControlMachine, why: StreamFailure) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.partial_since = None;
        self.paused_since = None;
        self.output.clear();
        self.written = 0;
        machine.stream_failed(now, why);
        // Whatever the machine still says goes nowhere.
        while machine.poll_transmit().is_some() {}
    }
}
