//! pppd's side of the tunnel: frames in from its byte stream, frames out to it, in async
//! HDLC (the default) or sync framing (`--sync`, with pppd's `sync` option).

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
#[derive(Debug)]
pub struct PppOut {
    fd: RawFd,
    sync: bool,
    /// Async: encoded bytes not yet written.
    backlog: Vec<u8>,
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
            drops: 0,
            mppe_seen: false,
        }
    }

    /// Queues (async) or writes (sync) one frame.
    pub fn frame(&mut self, frame: &[u8]) {
        if !self.sync {
            if self.backlog.len() >= PPP_BACKLOG {
                self.drops += 1;
            } else {
                hdlc::encode_async(frame, &mut self.backlog);
            }
            return;
        }
        self.mppe_seen |= is_mppe_ack(frame);
        // One write per frame: the sync line discipline takes each write as one frame, so
        // frames are never joined in a buffer. A frame that does not fit now is dropped.
        match fd::write(fd::borrow(self.fd), frame) {
            Ok(n) if n == frame.len() => {}
            Ok(_) | Err(_) => self.drops += 1,
        }
    }

    /// Writes what is queued until pppd stops taking it; an error means pppd is gone.
    pub fn flush(&mut self) -> io::Result<()> {
        while !self.backlog.is_empty() {
            match fd::write(fd::borrow(self.fd), &self.backlog) {
                Ok(n) => {
                    self.backlog.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
