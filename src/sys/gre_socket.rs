//! The raw IPv4 socket for GRE (IP protocol 47).
//!
//! nix has no GRE protocol value, so the socket is made with libc directly. It is bound to
//! `--localbind` when given and connected to the peer before the call starts, as pptp-linux
//! does, so that the kernel filters by source address and never answers the peer's GRE with
//! ICMP protocol-unreachable (pptp-linux ChangeLog 2002-07-18). Received datagrams include
//! the IPv4 header; sent ones do not (the kernel adds it).

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::sys::socket::{
    MsgFlags, SockaddrIn, bind, connect, recv, send, sendto, setsockopt, sockopt,
};

/// A raw GRE socket.
#[derive(Debug)]
pub struct GreSocket {
    fd: OwnedFd,
}

impl GreSocket {
    /// Opens a non-blocking raw GRE socket; needs CAP_NET_RAW.
    pub fn open(local: Option<Ipv4Addr>, mark: Option<u32>) -> io::Result<Self> {
        // SAFETY: socket(2) with constant arguments; the result is checked before use and
        // owned by exactly one OwnedFd.
        let raw = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                libc::IPPROTO_GRE,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        if let Some(mark) = mark {
            setsockopt(&fd, sockopt::Mark, &mark)?;
        }
        if let Some(local) = local {
            bind(
                fd.as_raw_fd(),
                &SockaddrIn::from(SocketAddrV4::new(local, 0)),
            )?;
        }
        Ok(GreSocket { fd })
    }

    /// Restricts the socket to datagrams from `peer` (and sends go there).
    pub fn connect(&self, peer: Ipv4Addr) -> io::Result<()> {
        connect(
            self.fd.as_raw_fd(),
            &SockaddrIn::from(SocketAddrV4::new(peer, 0)),
        )?;
        Ok(())
    }

    /// Receives one datagram, IPv4 header included.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(recv(self.fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT)?)
    }

    /// Sends one GRE packet to the connected peer.
    pub fn send(&self, packet: &[u8]) -> io::Result<usize> {
        Ok(send(self.fd.as_raw_fd(), packet, MsgFlags::MSG_DONTWAIT)?)
    }

    /// Sends one GRE packet to `peer` (the server's one socket serves every client).
    pub fn send_to(&self, packet: &[u8], peer: Ipv4Addr) -> io::Result<usize> {
        let dst = SockaddrIn::from(SocketAddrV4::new(peer, 0));
        Ok(sendto(
            self.fd.as_raw_fd(),
            packet,
            &dst,
            MsgFlags::MSG_DONTWAIT,
        )?)
    }
}

impl AsFd for GreSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for GreSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}
