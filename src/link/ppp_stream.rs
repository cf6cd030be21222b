//! pppd's side of a call: its byte stream, frames in from it ([`PppIn`]) and frames out to
//! it ([`PppOut`]), in async HDLC (the default) or sync framing (`--sync`, with pppd's
//! `sync` option).

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::sys::fd;
use crate::wire::frames::FrameBuf;
use crate::wire::hdlc::{self, Accm, AsyncDecoder, FrameError};
use crate::wire::ppp::{SyncDeframer, SyncError};

/// Bytes of encoded frames that may wait for pppd to read; beyond it frames are dropped
/// (PPP tolerates loss, and memory stays bounded when pppd stalls).
pub const PPP_BACKLOG: usize = 256 * 1024;

/// Why sync mode cannot go on once CCP has agreed on MPPE.
pub const MPPE_IN_SYNC: &str = "CCP agreed on MPPE in --sync mode, but encrypted frames carry no \
length, so their boundaries cannot be recovered from pppd's pty byte stream; use the default \
async mode (without --sync and pppd's sync option) with MPPE";

/// Where pppd's stream is read and written: one read-write descriptor (a pty master, or
/// fd 0 as pppd's `pty` option gives it) or two (`record` gives pipes on fd 0 and fd 1).
#[derive(Debug)]
pub struct PppFds {
    input: OwnedFd,
    output: Option<OwnedFd>,
}

impl PppFds {
    /// One descriptor for both directions.
    pub fn single(fd: OwnedFd) -> Self {
        PppFds {
            input: fd,
            output: None,
        }
    }

    /// Reading from `input`, writing to `output`.
    pub fn pair(input: OwnedFd, output: OwnedFd) -> Self {
        PppFds {
            input,
            output: Some(output),
        }
    }

    /// The descriptor we read pppd's frames from.
    pub fn input(&self) -> BorrowedFd<'_> {
        self.input.as_fd()
    }

    /// The descriptor we write frames for pppd to.
    pub fn output(&self) -> BorrowedFd<'_> {
        self.output.as_ref().unwrap_or(&self.input).as_fd()
    }

    /// True when both directions use one descriptor.
    pub fn is_single(&self) -> bool {
        self.output.is_none()
    }
}

/// Why bytes read from pppd were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadFrame {
    /// Async HDLC: the frame did not decode.
    Async(FrameError),
    /// Sync: its length could not be known, or it was too long.
    Sync(SyncError),
}

impl std::fmt::Display for BadFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadFrame::Async(e) => e.fmt(f),
            BadFrame::Sync(e) => e.fmt(f),
        }
    }
}

/// Cuts pppd's byte stream into frames, written once into a buffer the GRE sender reads.
#[derive(Debug)]
pub enum PppIn {
    /// RFC 1662 async HDLC.
    Async(AsyncDecoder),
    /// Sync: frames delimited by their own length fields.
    Sync(SyncDeframer),
}

impl PppIn {
    /// A deframer for the chosen mode.
    pub fn new(sync: bool) -> Self {
        if sync {
            PppIn::Sync(SyncDeframer::new())
        } else {
            PppIn::Async(AsyncDecoder::new())
        }
    }

    /// Feeds bytes read from pppd; what they complete joins [`get`](Self::get).
    pub fn decode(&mut self, bytes: &[u8]) {
        match self {
            PppIn::Async(d) => d.decode(bytes),
            PppIn::Sync(d) => d.decode(bytes),
        }
    }

    /// How many entries (frames and drops) the reads since [`consume`](Self::consume) gave.
    pub fn len(&self) -> usize {
        match self {
            PppIn::Async(d) => d.frames().len(),
            PppIn::Sync(d) => d.frames().len(),
        }
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `i`: a frame, or why bytes were dropped.
    pub fn get(&self, i: usize) -> Option<Result<&[u8], BadFrame>> {
        fn map<E: Copy>(
            f: &FrameBuf<E>,
            i: usize,
            bad: fn(E) -> BadFrame,
        ) -> Option<Result<&[u8], BadFrame>> {
            f.get(i).map(|r| r.map_err(|e| bad(*e)))
        }
        match self {
            PppIn::Async(d) => map(d.frames(), i, BadFrame::Async),
            PppIn::Sync(d) => map(d.frames(), i, BadFrame::Sync),
        }
    }

    /// Forgets every entry (the frame being assembled is kept).
    pub fn consume(&mut self) {
        match self {
            PppIn::Async(d) => d.consume(),
            PppIn::Sync(d) => d.consume(),
        }
    }
}

/// Frames on their way to pppd.
///
/// Frames wait in one buffer while pppd is not reading, up to [`PPP_BACKLOG`] bytes. Async,
/// they are encoded straight into it with the map pppd asked for, and written as a byte
/// stream, as much per write as the pty takes. Sync, each write carries one frame (or the
/// rest of one the pty took only part of): the sync line discipline takes what one write
/// delivers as one frame. Dropping a frame whenever the pty was momentarily full instead
/// lost half the frames at 20k frames/s (measured with pptp-bench), where pptp-linux,
/// whose writes block, lost none.
///
/// The buffer only grows, up to its bound, and is never cleared: frames are encoded into
/// bytes already there, so no frame costs a fill of its buffer space.
#[derive(Debug)]
pub struct PppOut {
    sync: bool,
    accm: Accm,
    /// Frames not yet written are `buf[written..end]`; `buf` beyond `end` is free room.
    buf: Vec<u8>,
    written: usize,
    end: usize,
    /// Sync: the lengths of the frames waiting, the first one less what is written.
    sync_lens: VecDeque<usize>,
    /// Frames dropped because pppd was not reading.
    pub drops: u64,
}

impl PppOut {
    /// Output in the chosen mode, escaping every control character until told otherwise.
    pub fn new(sync: bool) -> Self {
        PppOut {
            sync,
            accm: Accm::ALL,
            buf: Vec::new(),
            written: 0,
            end: 0,
            sync_lens: VecDeque::new(),
            drops: 0,
        }
    }

    /// The map frames are escaped by from now on (what pppd asked for; see proto::accm).
    pub fn set_accm(&mut self, map: u32) {
        self.accm = Accm::new(map);
    }

    /// The map frames are escaped by.
    pub fn accm(&self) -> u32 {
        self.accm.bits()
    }

    /// Queues one frame; [`flush`](Self::flush) writes it.
    pub fn frame(&mut self, frame: &[u8]) {
        if self.queued() >= PPP_BACKLOG {
            self.drops += 1;
            return;
        }
        let need = if self.sync {
            frame.len()
        } else {
            hdlc::max_encoded_len(frame.len())
        };
        if self.end + need > self.buf.len() {
            // Move the unwritten tail down once the written head is at least as long: each
            // byte moved was paid for by a byte written, so copying stays linear in the
            // bytes queued however the writes cut them. The buffer stays below twice the
            // backlog plus a frame.
            if self.written > 0 && self.written >= self.queued() {
                self.buf.copy_within(self.written..self.end, 0);
                self.end -= self.written;
                self.written = 0;
            }
            if self.end + need > self.buf.len() {
                self.buf.resize(self.end + need, 0);
            }
        }
        let room = &mut self.buf[self.end..];
        if self.sync {
            room[..frame.len()].copy_from_slice(frame);
            self.end += frame.len();
            self.sync_lens.push_back(frame.len());
        } else {
            // Room was made above, so the encoder always has its worst case.
            self.end += hdlc::encode_async_into(frame, &self.accm, room).unwrap_or(0);
        }
    }

    /// True while frames wait for pppd to make room: the only time the event loop needs to
    /// hear that the pty is writable. Watching it always costs a wake-up per write, since
    /// the tty signals room again as soon as it has passed each write on.
    pub fn pending(&self) -> bool {
        self.written < self.end
    }

    /// Bytes waiting for pppd.
    pub fn queued(&self) -> usize {
        self.end - self.written
    }

    /// Writes what is queued until pppd stops taking it; an error means pppd is gone.
    pub fn flush(&mut self, out: impl AsFd) -> io::Result<()> {
        while self.written < self.end {
            let len = match self.sync_lens.front() {
                Some(&len) => len,
                None => self.end - self.written,
            };
            let chunk = &self.buf[self.written..self.written + len];
            match fd::write(out.as_fd(), chunk) {
                // Nothing taken of a non-empty chunk: as good as EAGAIN.
                Ok(0) => return Ok(()),
                Ok(n) => {
                    self.written += n;
                    if let Some(front) = self.sync_lens.front_mut() {
                        *front -= n;
                        if *front == 0 {
                            self.sync_lens.pop_front();
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        self.written = 0;
        self.end = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    use nix::unistd::{pipe2, read};

    /// A non-blocking pipe holding one page, standing in for a pty pppd is slow to read.
    fn small_pipe() -> (OwnedFd, OwnedFd) {
        let (r, w) = pipe2(OFlag::O_NONBLOCK).unwrap();
        fcntl(&w, FcntlArg::F_SETPIPE_SZ(4096)).unwrap();
        (r, w)
    }

    fn drain(r: &OwnedFd) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = read(r, &mut buf) {
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn sync_frames_wait_while_the_pty_is_full_and_none_is_lost() {
        let (r, w) = small_pipe();
        let mut out = PppOut::new(true);
        // The first frame is longer than the pipe: it goes in two writes, the second of
        // them only once the reader has made room. Writes up to a page are all or nothing.
        let frames: Vec<Vec<u8>> = (0..10u8)
            .map(|i| vec![i; if i == 0 { 6000 } else { 1404 }])
            .collect();
        for f in &frames {
            out.frame(f);
            out.flush(&w).unwrap();
        }
        assert_eq!(out.sync_lens.len(), 10);
        assert_eq!(out.sync_lens[0], 6000 - 4096);
        let mut seen = drain(&r);
        while !out.sync_lens.is_empty() {
            out.flush(&w).unwrap();
            seen.extend(drain(&r));
        }
        assert_eq!(seen, frames.concat());
        assert_eq!(out.drops, 0);
    }

    #[test]
    fn async_backlog_is_bounded_and_written_in_order() {
        let (r, w) = small_pipe();
        let mut out = PppOut::new(false);
        let frame = vec![0x41u8; 1400];
        let mut queued = 0;
        while out.drops == 0 {
            out.frame(&frame);
            queued += 1;
        }
        assert!(out.queued() <= PPP_BACKLOG + 2 * 1404);
        assert!(out.buf.len() <= 2 * PPP_BACKLOG + hdlc::max_encoded_len(1400));
        let mut stream = Vec::new();
        loop {
            out.flush(&w).unwrap();
            let got = drain(&r);
            if got.is_empty() {
                break;
            }
            stream.extend(got);
        }
        let mut decoder = AsyncDecoder::new();
        let mut frames = 0;
        decoder.push(&stream, |f| {
            assert_eq!(f.unwrap(), &frame[..]);
            frames += 1;
        });
        assert_eq!(frames, queued - 1);
    }

    #[test]
    fn the_map_decides_what_is_escaped() {
        let frame = [0xff, 0x03, 0x00, 0x21, 0x01, 0x7e, 0x11];
        let mut all = PppOut::new(false);
        all.frame(&frame);
        let mut none = PppOut::new(false);
        none.set_accm(0);
        none.frame(&frame);
        let (a, n) = (&all.buf[..all.end], &none.buf[..none.end]);
        assert!(a.len() > n.len());
        assert!(
            n.windows(1).any(|w| w == [0x01]),
            "0x01 unescaped under map 0"
        );
        for stream in [a, n] {
            let mut d = AsyncDecoder::new();
            let mut got = Vec::new();
            d.push(stream, |f| got.push(f.unwrap().to_vec()));
            assert_eq!(got, [frame.to_vec()]);
        }
    }

    #[test]
    fn frames_come_out_whole_however_reads_cut_them() {
        let mut input = PppIn::new(false);
        let mut stream = Vec::new();
        for i in 0..5u8 {
            hdlc::encode_async(&[0xff, 0x03, 0x00, 0x21, i, 0x7d], &mut stream);
        }
        for chunk in stream.chunks(5) {
            input.decode(chunk);
        }
        let frames: Vec<_> = (0..input.len())
            .filter_map(|i| input.get(i))
            .map(|f| f.unwrap().to_vec())
            .collect();
        assert_eq!(frames.len(), 5);
        assert_eq!(frames[4], [0xff, 0x03, 0x00, 0x21, 4, 0x7d]);
        input.consume();
        assert!(input.is_empty());
    }
}
