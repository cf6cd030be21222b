//! The frames cut from pppd's byte stream, in one buffer.
//!
//! Both deframers ([`AsyncDecoder`](super::hdlc::AsyncDecoder) and
//! [`SyncDeframer`](super::ppp::SyncDeframer)) write what they take out of the stream
//! straight into a [`FrameBuf`]: each frame where the GRE sender will read it, so that a
//! frame is copied once between pppd's pty and the GRE socket. Entries keep the order of
//! the stream, frames and dropped bytes alike; the frame being assembled stays at the end
//! until it is complete, across reads.

use std::ops::Range;

/// One thing a deframer found, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry<E> {
    Frame(Range<usize>),
    Dropped(E),
}

/// Frames in stream order, and why the bytes between them were dropped (`E`).
#[derive(Debug, Clone)]
pub struct FrameBuf<E> {
    bytes: Vec<u8>,
    entries: Vec<Entry<E>>,
    /// Start of the frame being assembled: `bytes[open..]`.
    open: usize,
}

impl<E> Default for FrameBuf<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> FrameBuf<E> {
    /// An empty buffer; it grows to what one read of the stream plus one frame need.
    pub fn new() -> Self {
        FrameBuf {
            bytes: Vec::new(),
            entries: Vec::new(),
            open: 0,
        }
    }

    /// How many entries (frames and drops) are there.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was found since the last [`consume`](Self::consume).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`: a frame, or why bytes were dropped.
    pub fn get(&self, i: usize) -> Option<Result<&[u8], &E>> {
        self.entries.get(i).map(|e| match e {
            Entry::Frame(r) => Ok(&self.bytes[r.clone()]),
            Entry::Dropped(why) => Err(why),
        })
    }

    /// Every entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<&[u8], &E>> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Forgets every entry found so far; the frame being assembled is kept (moved to the
    /// front: at most one frame's bytes are moved).
    pub fn consume(&mut self) {
        self.bytes.drain(..self.open);
        self.open = 0;
        self.entries.clear();
    }

    /// Bytes of the frame being assembled: all that [`consume`](Self::consume) keeps, so
    /// what a deframer holds between reads (at most one frame, whatever the input).
    pub fn open_len(&self) -> usize {
        self.bytes.len() - self.open
    }

    /// The frame being assembled.
    pub(crate) fn open_frame(&self) -> &[u8] {
        &self.bytes[self.open..]
    }

    /// Adds bytes to the frame being assembled.
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Adds one byte to the frame being assembled.
    pub(crate) fn push_byte(&mut self, b: u8) {
        self.bytes.push(b);
    }

    /// Ends the frame being assembled at `len` bytes (a trailer after it, such as the FCS,
    /// is dropped) and records it.
    pub(crate) fn close_frame(&mut self, len: usize) {
        let end = self.open + len.min(self.open_len());
        self.bytes.truncate(end);
        self.entries.push(Entry::Frame(self.open..end));
        self.open = end;
    }

    /// Records the first `len` bytes of what is being assembled as a frame; the rest stays
    /// open (a byte stream that holds several frames back to back).
    pub(crate) fn split_frame(&mut self, len: usize) {
        let end = self.open + len.min(self.open_len());
        self.entries.push(Entry::Frame(self.open..end));
        self.open = end;
    }

    /// Drops the frame being assembled, recording why (or silently with None).
    pub(crate) fn drop_frame(&mut self, why: Option<E>) {
        self.bytes.truncate(self.open);
        if let Some(why) = why {
            self.entries.push(Entry::Dropped(why));
        }
    }

    /// Capacity of the byte buffer, to check that memory stays bounded.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_drops_in_order_and_the_open_frame_survives_consume() {
        let mut b: FrameBuf<&str> = FrameBuf::new();
        b.extend(b"abc12");
        b.close_frame(3);
        b.extend(b"xx");
        b.drop_frame(Some("bad"));
        b.extend(b"de");
        let all: Vec<_> = b.iter().collect();
        assert_eq!(all, [Ok(&b"abc"[..]), Err(&"bad")]);
        b.consume();
        assert!(b.is_empty());
        b.extend(b"f");
        b.close_frame(3);
        assert_eq!(b.get(0), Some(Ok(&b"def"[..])));
    }
}
