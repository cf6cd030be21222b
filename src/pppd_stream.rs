//! pppd's side of the tunnel: frames in from its byte stream, frames out to it, in async
//! HDLC (the default) or sync framing (`--sync`, with pppd's `sync` option).

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::os::fd::RawFd;

use crate::sys::fd;
use crate::wire::hdlc::{self, AsyncDecoder};
use crate::wire::ppp::{SyncDeframer, is_mppe_ack};

/// Bytes of encoded frames that may wait for pppd to read; beyond it frames are dropped
/// (PPP tolerates loss, and memory stays bounded when pppd stalls).
pub const PPP_BACKLOG: usize = 256 * 1024;

/// Why sync mode cannot go on once CCP has agreed on MPPE.
pub const MPPE_IN_SYNC: &str = "CCP agreed on MPPE in --sync mode, but encrypted frames carry no \
length, so their boundaries cannot be recovered from pppd's pty byte stream; use the default \
async mode (without --sync and pppd's sync option) with MPPE";

/// Cuts pppd's byte stream into frames.
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

    /// Feeds bytes read from pppd; `sink` gets each frame or the reason bytes were dropped.
    pub fn push(&mut self, bytes: &[u8], mut sink: impl FnMut(Result<&[u8], String>)) {
        match self {
            PppIn::Async(d) => d.push(bytes, |f| sink(f.map_err(|e| e.to_string()))),
            PppIn::Sync(d) => d.push(bytes, |f| sink(f.map_err(|e| e.to_string()))),
        }
    }
}

/// Frames on their way to pppd.
///
/// Frames wait in one buffer while pppd is not reading, up to [`PPP_BACKLOG`] bytes. Async,
/// they are written as a byte stream, as much per write as the pty takes. Sync, each write
/// carries one frame (or the rest of one the pty took only part of): the sync line
/// discipline takes what one write delivers as one frame. Dropping a frame whenever the pty
/// was momentarily full instead lost half the frames at 20k frames/s (measured with
/// pptp-bench), where pptp-linux, whose writes block, lost none.
#[derive(Debug)]
pub struct PppOut {
    fd: RawFd,
    sync: bool,
    /// Frames not yet written (async: encoded), from `written` on.
    backlog: Vec<u8>,
    /// Bytes at the front of `backlog` already written; compacted away as the buffer fills.
    written: usize,
    /// Sync: the lengths of the frames in the backlog, the first one less what is written.
    sync_lens: VecDeque<usize>,
    /// Frames dropped because pppd was not reading.
    pub drops: u64,
    /// Sync: a CCP Configure-Ack for MPPE went by.
    pub mppe_seen: bool,
}

impl PppOut {
    /// Output to `fd` in the chosen mode.
    pub fn new(fd: RawFd, sync: bool) -> Self {
        PppOut {
            fd,
            sync,
            backlog: Vec::new(),
            written: 0,
            sync_lens: VecDeque::new(),
            drops: 0,
            mppe_seen: false,
        }
    }

    /// Queues one frame; [`flush`](Self::flush) writes it.
    pub fn frame(&mut self, frame: &[u8]) {
        if self.backlog.len() - self.written >= PPP_BACKLOG {
            self.drops += 1;
            return;
        }
        // Moving the unwritten tail down once it is the smaller half keeps the copying
        // linear in the bytes queued, however the writes cut them.
        if self.written > 0 && self.written >= self.backlog.len() / 2 {
            self.backlog.drain(..self.written);
            self.written = 0;
        }
        if self.sync {
            self.mppe_seen |= is_mppe_ack(frame);
            self.backlog.extend_from_slice(frame);
            self.sync_lens.push_back(frame.len());
        } else {
            hdlc::encode_async(frame, &mut self.backlog);
        }
    }

    /// True while frames wait for pppd to make room: the only time the event loop needs to
    /// hear that the pty is writable. Watching it always costs a wake-up per write, since
    /// the tty signals room again as soon as it has passed each write on.
    pub fn pending(&self) -> bool {
        self.written < self.backlog.len()
    }

    /// Writes what is queued until pppd stops taking it; an error means pppd is gone.
    pub fn flush(&mut self) -> io::Result<()> {
        while self.written < self.backlog.len() {
            let len = match self.sync_lens.front() {
                Some(&len) => len,
                None => self.backlog.len() - self.written,
            };
            let chunk = &self.backlog[self.written..self.written + len];
            match fd::write(fd::borrow(self.fd), chunk) {
                // Nothing taken of a non-empty chunk: as good as EAGAIN.
                Ok(0) if len > 0 => return Ok(()),
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
        self.backlog.clear();
        self.written = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    use nix::unistd::{pipe2, read};
    use std::os::fd::{AsRawFd, OwnedFd};

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
        let mut out = PppOut::new(w.as_raw_fd(), true);
        // The first frame is longer than the pipe: it goes in two writes, the second of
        // them only once the reader has made room. Writes up to a page are all or nothing.
        let frames: Vec<Vec<u8>> = (0..10u8)
            .map(|i| vec![i; if i == 0 { 6000 } else { 1404 }])
            .collect();
        for f in &frames {
            out.frame(f);
            out.flush().unwrap();
        }
        assert_eq!(out.sync_lens.len(), 10);
        assert_eq!(out.sync_lens[0], 6000 - 4096);
        let mut seen = drain(&r);
        while !out.sync_lens.is_empty() {
            out.flush().unwrap();
            seen.extend(drain(&r));
        }
        assert_eq!(seen, frames.concat());
        assert_eq!(out.drops, 0);
    }

    #[test]
    fn async_backlog_is_bounded_and_written_in_order() {
        let (r, w) = small_pipe();
        let mut out = PppOut::new(w.as_raw_fd(), false);
        let frame = vec![0x41u8; 1400];
        let mut queued = 0;
        while out.drops == 0 {
            out.frame(&frame);
            queued += 1;
        }
        assert!(out.backlog.len() - out.written <= PPP_BACKLOG + 2 * 1404);
        let mut stream = Vec::new();
        loop {
            out.flush().unwrap();
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
}
