//! What the fuzz targets share: reading a fuzz input as a small program (bytes, numbers,
//! time steps), a clock the input moves, and the control-connection plumbing both control
//! machines are driven through (the same framing the real stream uses).

use std::time::{Duration, Instant};

use pptp_rs::proto::control::StreamFailure;
use pptp_rs::wire::ctrl::{ControlMessage, MAX_MESSAGE_LEN, take_messages};

/// A fuzz input read front to back; reads past the end give zeros, so every input is a
/// whole program.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// The input `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// True once everything was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// The next four bytes, big-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// Up to `n` next bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A length-prefixed chunk: one byte of length, then that many bytes.
    pub fn chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.u8());
        self.bytes(n)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.data.len())
    }
}

/// `stream` cut into reads of the sizes `sizes` gives (each at least one byte; once `sizes`
/// ends, the last read takes the rest), as a socket or a pty may deliver it.
pub fn reads(stream: &[u8], sizes: impl IntoIterator<Item = usize>) -> impl Iterator<Item = &[u8]> {
    let mut rest = stream;
    let mut sizes = sizes.into_iter();
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (read, tail) = rest.split_at(n);
        rest = tail;
        Some(read)
    })
}

/// A monotonic clock that only the input moves.
pub struct Clock {
    /// Where the clock started.
    pub start: Instant,
    /// The time now.
    pub now: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A clock at an arbitrary start.
    pub fn new() -> Self {
        let start = Instant::now();
        Clock { start, now: start }
    }

    /// Moves the clock on by [`step`]`(b)`.
    pub fn advance(&mut self, b: u8) -> Instant {
        self.now += step(b);
        self.now
    }

    /// Moves the clock to `deadline` when that is later (an event loop waking on time).
    pub fn advance_to(&mut self, deadline: Instant) -> Instant {
        self.now = self.now.max(deadline);
        self.now
    }
}

/// A time step from one byte, on a scale that reaches every timer of the machines: 0 to
/// 63 ms, 0 to 6.3 s in 100 ms, 0 to 63 s in seconds, and 0 to 63 minutes.
pub fn step(b: u8) -> Duration {
    let n = u64::from(b & 0x3f);
    match b >> 6 {
        0 => Duration::from_millis(n),
        1 => Duration::from_millis(100 * n),
        2 => Duration::from_secs(n),
        _ => Duration::from_secs(60 * n),
    }
}

/// The control stream's input side, as `link::ctrl_stream` frames it: unread bytes, cut
/// into messages with the product's own [`take_messages`].
#[derive(Default)]
pub struct StreamIn {
    buf: Vec<u8>,
    lost: bool,
}

impl StreamIn {
    /// Appends `bytes` as one read and passes every whole message that parses to
    /// `on_message`. Returns the failure that ends the stream when framing is lost (once;
    /// nothing more is read after it).
    pub fn read(
        &mut self,
        bytes: &[u8],
        mut on_message: impl FnMut(ControlMessage),
    ) -> Option<StreamFailure> {
        if self.lost {
            return None;
        }
        self.buf.extend_from_slice(bytes);
        let framed = take_messages(&mut self.buf, |m| {
            if let Ok(m) = m {
                on_message(m)
            }
        });
        match framed {
            Ok(()) => {
                // The unread part is at most one message's beginning.
                assert!(
                    self.buf.len() < MAX_MESSAGE_LEN,
                    "unread control bytes past one message: {}",
                    self.buf.len()
                );
                None
            }
            Err(e) => {
                self.lost = true;
                Some(StreamFailure::LostFraming(e))
            }
        }
    }

    /// True while a message has begun and not ended.
    pub fn partial(&self) -> bool {
        !self.buf.is_empty() && !self.lost
    }
}

/// The most messages one step of a control machine may queue. The stream's write queue
/// stays bounded only because each message read makes at most a few replies (and reading
/// pauses when they pile up); a machine that answered one message with many would defeat
/// that.
pub const MAX_REPLIES_PER_STEP: usize = 4;
