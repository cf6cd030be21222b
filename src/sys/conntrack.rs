//! Asking the kernel's connection tracker where a TCP connection came from before this
//! host's NAT (the exchange is in [`crate::wire::netlink`]).
//!
//! One netlink socket, opened on first use and kept; the kernel answers a `GET` before
//! `sendto` returns, so the answer is read without waiting. Nothing is asked unless the
//! tracker is loaded (its sysctls exist): a ctnetlink request would otherwise make the
//! kernel load modules for a question whose answer is "no NAT here". Everything that can go wrong
//! (no nf_conntrack, the connection untracked, a socket error) only means "unknown": this
//! is a detail for the session listing, never a reason to refuse a client.

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, recv, sendto, socket,
};

use crate::wire::netlink::{ConntrackAnswer, conntrack_answer, conntrack_get_by_reply};

/// Present while nf_conntrack is loaded (in every network namespace).
const TRACKER_LOADED: &str = "/proc/sys/net/netfilter/nf_conntrack_max";

/// A ctnetlink socket for lookups.
pub struct Conntrack {
    socket: Option<OwnedFd>,
    seq: u32,
    /// The kernel has no connection tracker (or will not let us ask): do not ask again.
    unavailable: bool,
}

impl Default for Conntrack {
    fn default() -> Self {
        Self::new()
    }
}

impl Conntrack {
    /// A tracker with its socket open if nf_conntrack is loaded now (so that the process's
    /// descriptors do not change with its first client), else opened when first needed.
    pub fn new() -> Self {
        let mut tracker = Self {
            socket: None,
            seq: 0,
            unavailable: false,
        };
        tracker.open();
        tracker
    }

    /// The original source of the TCP connection we see from `seen` on `local`, when this
    /// host translated it (None when it did not, or when the kernel cannot say).
    pub fn original_source(
        &mut self,
        local: SocketAddrV4,
        seen: SocketAddrV4,
    ) -> Option<SocketAddrV4> {
        match self.ask(local, seen) {
            Ok(Some(ConntrackAnswer::Original(original))) if original.ip() != seen.ip() => {
                Some(original)
            }
            Ok(_) => None,
            Err(e) => {
                log::debug!("ctrl: connection tracker lookup for {seen} failed: {e}");
                None
            }
        }
    }

    /// Opens the socket if the tracker is loaded; false when there is nothing to ask.
    fn open(&mut self) -> bool {
        if self.socket.is_some() {
            return true;
        }
        if self.unavailable || !Path::new(TRACKER_LOADED).exists() {
            return false;
        }
        match socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            SockProtocol::NetlinkNetFilter,
        ) {
            Ok(fd) => self.socket = Some(fd),
            Err(e) => {
                self.unavailable = true;
                log::debug!("ctrl: no connection tracker to ask about NAT: {e}");
            }
        }
        self.socket.is_some()
    }

    fn ask(
        &mut self,
        local: SocketAddrV4,
        seen: SocketAddrV4,
    ) -> io::Result<Option<ConntrackAnswer>> {
        if !self.open() {
            return Ok(None);
        }
        let fd = self.socket.as_ref().expect("opened above").as_raw_fd();
        self.seq = self.seq.wrapping_add(1);
        let request = conntrack_get_by_reply(local, seen, self.seq);
        sendto(fd, &request, &NetlinkAddr::new(0, 0), MsgFlags::empty())?;
        // Answers to earlier lookups that went unread (none should) are skipped by seq.
        let mut buf = [0u8; 1024];
        loop {
            let n = match recv(fd, &mut buf, MsgFlags::MSG_DONTWAIT) {
                Ok(n) => n,
                Err(nix::errno::Errno::EAGAIN) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            match conntrack_answer(&buf[..n], self.seq) {
                Ok(Some(ConntrackAnswer::Refused(errno)))
                    if [libc::EOPNOTSUPP, libc::EPROTONOSUPPORT, libc::EPERM].contains(&errno) =>
                {
                    self.unavailable = true;
                    self.socket = None;
                    return Ok(None);
                }
                Ok(Some(answer)) => return Ok(Some(answer)),
                Ok(None) => continue,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }
}
