//! The floor relay: a client helper that makes the same system calls as one, and no
//! protocol work, so that the report can say how much of a helper's cost per frame is
//! the kernel's (pty, raw socket, epoll, veth) and how much is its own.
//!
//! `pptp-bench floor peer=IP [sync=1]`, started by the feeder in place of `pptp
//! --nolaunchpppd` (the pty master on fd 0 and fd 1). It places one call with the least
//! the scripted PAC needs to start its sink and generator (Start-Control-Connection and
//! Outgoing-Call, then the TCP connection is never read again), and then relays:
//!
//! - pty to GRE: reads the pty (16 KiB per read, until EAGAIN), cuts the bytes into
//!   frames where a flag is (memchr) or, with sync=1, by the frame's own length field,
//!   and sends each frame, still HDLC-escaped, FCS and all, as the payload of one GRE
//!   packet (header with a sequence number, no ack) on the connected raw socket: one
//!   send per frame, as a helper does. No unescaping, no FCS, no window.
//! - GRE to pty: receives datagrams until EAGAIN, skips the IPv4 and GRE headers, and
//!   appends the payload as it is to one output buffer, written to the pty as much per
//!   write as it takes (sync: one write per frame). The generator sends the floor frames
//!   already HDLC-encoded, exactly as a helper would write them (gre_io `Load::encoded`),
//!   so the pty carries the same bytes. No sequencing, reordering, acks or escaping.
//!
//! The loop is a helper's: one mio Poll (epoll, edge-triggered) over the raw socket and
//! fd 0, with fd 1 watched for room only while bytes wait, and the same bound on what may
//! wait for the pty.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::io::{Stdin, Stdout};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use pptp_rs::wire::ctrl::{ControlMessage, take_messages};
use pptp_rs::wire::gre::GreHeader;
use pptp_rs::wire::hdlc::{FLAG, MAX_FRAME_LEN};
use pptp_rs::wire::ipv4::Ipv4Datagram;

use crate::peer::{call_request, start_ctrl};
use crate::sys::{self, GreSocket};
use crate::util::Args;

/// The name the floor's process goes by, so the orchestrator counts its CPU and nothing
/// else's (the feeder that started it is a pptp-bench too).
pub const NAME: &str = "pptp-floor";

const GRE: Token = Token(0);
const PTY_IN: Token = Token(1);
const PTY_OUT: Token = Token(2);
/// What may wait for the pty, as in a helper (pppd_stream's PPP_BACKLOG).
const BACKLOG: usize = 256 * 1024;
/// The shortest sync frame the length field may describe: PPP header and IPv4 v/len.
const SYNC_MIN: usize = 8;

/// `pptp-bench floor peer=IP [sync=1]`.
pub fn floor(args: &Args) -> i32 {
    if let Ok(name) = std::ffi::CString::new(NAME) {
        let _ = nix::sys::prctl::set_name(&name);
    }
    let peer: Ipv4Addr = args.need("peer");
    let sync = args.get("sync", 0u8) == 1;
    match Relay::open(peer, sync) {
        Ok(mut relay) => relay.run(),
        Err(e) => {
            eprintln!("pptp-bench floor: {e}");
            1
        }
    }
}

/// Places the call: SCCRQ, wait for the reply, OCRQ, wait for the reply. Returns the
/// connection (kept open, never read again) and the PAC's call ID for the GRE header.
fn place_call(peer: Ipv4Addr) -> Result<(TcpStream, u16), String> {
    let at = SocketAddrV4::new(peer, 1723);
    let wait = Duration::from_secs(10);
    let mut tcp = TcpStream::connect_timeout(&at.into(), wait)
        .map_err(|e| format!("cannot connect to {at}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_read_timeout(Some(wait));
    let mut out = Vec::new();
    ControlMessage::StartCtrlConnRequest(start_ctrl(true)).emit(&mut out);
    let mut inbuf = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        tcp.write_all(&out)
            .map_err(|e| format!("control write: {e}"))?;
        out.clear();
        let mut call = None;
        while out.is_empty() && call.is_none() {
            let n = tcp
                .read(&mut buf)
                .map_err(|e| format!("control read: {e}"))?;
            if n == 0 {
                return Err("the PAC closed the control connection".into());
            }
            inbuf.extend_from_slice(&buf[..n]);
            let framed = take_messages(&mut inbuf, |m| match m {
                Ok(ControlMessage::StartCtrlConnReply(_)) => {
                    ControlMessage::OutgoingCallRequest(call_request(0)).emit(&mut out)
                }
                Ok(ControlMessage::OutgoingCallReply(r)) => call = Some(r.call_id),
                _ => {}
            });
            framed.map_err(|e| format!("control framing: {e}"))?;
        }
        if let Some(id) = call {
            return Ok((tcp, id));
        }
    }
}

struct Relay {
    poll: Poll,
    gre: GreSocket,
    /// The control connection, held open for the call's life.
    _ctrl: TcpStream,
    peer_call_id: u16,
    sync: bool,
    seq: u32,
    /// pty to GRE: the unfinished frame of the last read, and the packet being sent.
    partial: Vec<u8>,
    packet: Vec<u8>,
    /// fd 0, the pty master the feeder gave us (fd 1 is the same pty, written by `out`).
    input: Stdin,
    /// GRE to pty.
    recv_buf: Vec<u8>,
    out: PtyOut,
    watching: bool,
}

impl Relay {
    fn open(peer: Ipv4Addr, sync: bool) -> Result<Relay, String> {
        let gre = GreSocket::open().map_err(|e| format!("raw GRE socket: {e}"))?;
        gre.connect(peer)
            .map_err(|e| format!("cannot connect the GRE socket: {e}"))?;
        let (ctrl, peer_call_id) = place_call(peer)?;
        let (input, output) = (std::io::stdin(), std::io::stdout());
        sys::set_nonblocking(&input)
            .and_then(|_| sys::set_nonblocking(&output))
            .map_err(|e| format!("the pty on fd 0 and 1: {e}"))?;
        let poll = Poll::new().map_err(|e| format!("poll: {e}"))?;
        let registry = poll.registry();
        registry
            .register(&mut SourceFd(&gre.as_raw_fd()), GRE, Interest::READABLE)
            .and_then(|_| registry.register(&mut SourceFd(&0), PTY_IN, Interest::READABLE))
            .map_err(|e| format!("register: {e}"))?;
        Ok(Relay {
            poll,
            gre,
            _ctrl: ctrl,
            peer_call_id,
            sync,
            seq: 0,
            partial: Vec::with_capacity(2 * MAX_FRAME_LEN),
            packet: Vec::with_capacity(2 * MAX_FRAME_LEN),
            input,
            recv_buf: vec![0; 65536],
            out: PtyOut::new(output, sync),
            watching: false,
        })
    }

    /// Relays until the pty closes (the feeder has finished), or a signal ends us.
    fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(64);
        loop {
            if let Err(e) = self.poll.poll(&mut events, None) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return 1;
            }
            for ev in events.iter() {
                match ev.token() {
                    GRE => self.on_gre(),
                    PTY_IN if !self.on_pty() => return 0,
                    _ => {}
                }
            }
            if self.out.flush().is_err() {
                return 0;
            }
            self.watch_writes(self.out.pending());
        }
    }

    /// Reads the pty until EAGAIN; false once it has closed.
    fn on_pty(&mut self) -> bool {
        let mut buf = [0u8; 16384];
        loop {
            match sys::read(self.input.as_fd(), &mut buf) {
                Ok(0) => return false,
                Ok(n) if self.sync => self.cut_sync(&buf[..n]),
                Ok(n) => self.cut_async(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(_) => return false, // EIO: the feeder closed the slave
            }
        }
    }

    /// Async: a frame ends at each flag; what follows the last one waits for the next read.
    fn cut_async(&mut self, bytes: &[u8]) {
        let mut start = 0;
        for at in memchr::memchr_iter(FLAG, bytes) {
            if self.partial.is_empty() {
                self.send(&bytes[start..at]);
            } else {
                let mut frame = std::mem::take(&mut self.partial);
                frame.extend_from_slice(&bytes[start..at]);
                self.send(&frame);
                frame.clear();
                self.partial = frame;
            }
            start = at + 1;
        }
        if self.partial.len() + bytes.len() - start > 2 * MAX_FRAME_LEN {
            self.partial.clear(); // no flag for too long: not a stream of frames
        } else {
            self.partial.extend_from_slice(&bytes[start..]);
        }
    }

    /// Sync: each frame is as long as its length field says (what pptp-linux guesses from,
    /// and what the benchmark's frames carry).
    fn cut_sync(&mut self, mut bytes: &[u8]) {
        if !self.partial.is_empty() {
            let mut frame = std::mem::take(&mut self.partial);
            let head = SYNC_MIN.saturating_sub(frame.len()).min(bytes.len());
            frame.extend_from_slice(&bytes[..head]);
            bytes = &bytes[head..];
            if frame.len() >= SYNC_MIN {
                let need = sync_len(&frame);
                let take = need.saturating_sub(frame.len()).min(bytes.len());
                frame.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if frame.len() == need {
                    self.send(&frame);
                    frame.clear();
                }
            }
            self.partial = frame;
            if !self.partial.is_empty() {
                return;
            }
        }
        while bytes.len() >= SYNC_MIN && bytes.len() >= sync_len(bytes) {
            let (frame, rest) = bytes.split_at(sync_len(bytes));
            self.send(frame);
            bytes = rest;
        }
        self.partial.extend_from_slice(bytes);
    }

    /// One GRE packet per frame, on the connected socket.
    fn send(&mut self, frame: &[u8]) {
        if frame.is_empty() {
            return;
        }
        let header = GreHeader {
            call_id: self.peer_call_id,
            payload_len: frame.len() as u16,
            seq: Some(self.seq),
            ack: None,
        };
        self.seq = self.seq.wrapping_add(1);
        self.packet.clear();
        self.packet.resize(header.header_len(), 0);
        header.emit(&mut self.packet);
        self.packet.extend_from_slice(frame);
        let _ = self.gre.send(&self.packet);
    }

    /// Receives until EAGAIN; every data packet's payload goes to the pty as it is.
    fn on_gre(&mut self) {
        loop {
            let n = match self.gre.recv(&mut self.recv_buf) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => continue, // an ICMP error reported on the socket: goes on
            };
            let payload = Ipv4Datagram::parse(&self.recv_buf[..n])
                .ok()
                .and_then(|d| GreHeader::parse(d.payload).ok())
                .filter(|(h, _)| h.seq.is_some());
            if let Some((_, payload)) = payload {
                self.out.push(payload);
            }
        }
    }

    /// Watches fd 1 for room while bytes wait for it, as a helper does.
    fn watch_writes(&mut self, watch: bool) {
        if watch == self.watching {
            return;
        }
        let registry = self.poll.registry();
        let done = if watch {
            registry.register(&mut SourceFd(&1), PTY_OUT, Interest::WRITABLE)
        } else {
            registry.deregister(&mut SourceFd(&1))
        };
        if done.is_ok() {
            self.watching = watch;
        }
    }
}

/// The length of the sync frame at the start of `b` (at least [`SYNC_MIN`] bytes).
fn sync_len(b: &[u8]) -> usize {
    (usize::from(u16::from_be_bytes([b[6], b[7]])) + 4).max(SYNC_MIN)
}

/// Bytes on their way to the pty: one buffer, written as much per write as the pty takes
/// (sync: one frame per write), bounded by [`BACKLOG`]; beyond it frames are dropped.
struct PtyOut {
    /// fd 1; only its descriptor is used (never its buffered writer).
    to: Stdout,
    sync: bool,
    buf: Vec<u8>,
    written: usize,
    lens: VecDeque<usize>,
    drops: u64,
}

impl PtyOut {
    fn new(to: Stdout, sync: bool) -> PtyOut {
        PtyOut {
            to,
            sync,
            buf: Vec::with_capacity(BACKLOG),
            written: 0,
            lens: VecDeque::new(),
            drops: 0,
        }
    }

    fn push(&mut self, frame: &[u8]) {
        if self.buf.len() - self.written >= BACKLOG {
            self.drops += 1;
            return;
        }
        if self.written > 0 && self.written >= self.buf.len() / 2 {
            self.buf.drain(..self.written);
            self.written = 0;
        }
        self.buf.extend_from_slice(frame);
        if self.sync {
            self.lens.push_back(frame.len());
        }
    }

    fn pending(&self) -> bool {
        self.written < self.buf.len()
    }

    /// Writes until the pty takes no more; an error means the feeder has gone.
    fn flush(&mut self) -> std::io::Result<()> {
        while self.written < self.buf.len() {
            let len = match self.lens.front() {
                Some(&len) => len,
                None => self.buf.len() - self.written,
            };
            match sys::write(self.to.as_fd(), &self.buf[self.written..self.written + len]) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    self.written += n;
                    if let Some(front) = self.lens.front_mut() {
                        *front -= n;
                        if *front == 0 {
                            self.lens.pop_front();
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        self.buf.clear();
        self.written = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_length_comes_from_the_frame() {
        let f = crate::frames::frame(1400, 1);
        assert_eq!(sync_len(&f), f.len());
        assert_eq!(sync_len(&[0xff, 3, 0, 0x21, 0x45, 0, 0, 0]), SYNC_MIN);
    }

    #[test]
    fn pty_output_is_bounded_and_keeps_sync_frames_whole() {
        let mut out = PtyOut::new(std::io::stdout(), true);
        let frame = [7u8; 1404];
        while out.drops == 0 {
            out.push(&frame);
        }
        assert!(out.buf.len() <= BACKLOG + frame.len());
        assert!(out.lens.iter().all(|&l| l == frame.len()));
        assert_eq!(out.lens.len(), out.buf.len() / frame.len());
    }
}
