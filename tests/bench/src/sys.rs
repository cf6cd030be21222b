//! The bench's own system calls: the raw GRE socket, the bound non-blocking TCP connect,
//! and reads and writes on ptys. Safe calls only (socket2, nix): of the product, the bench
//! uses nothing but its pure wire formats, so it measures the product's programs and never
//! leans on their internals.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// A raw IPv4 socket for GRE (IP protocol 47), non-blocking. Received datagrams carry
/// their IPv4 header; sent ones do not (the kernel adds it).
#[derive(Debug)]
pub struct GreSocket(Socket);

impl GreSocket {
    /// Opens one; needs CAP_NET_RAW.
    pub fn open() -> io::Result<GreSocket> {
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW.nonblocking().cloexec(),
            Some(Protocol::from(libc::IPPROTO_GRE)),
        )?;
        Ok(GreSocket(socket))
    }

    /// Restricts the socket to datagrams from `peer`; [`send`](Self::send) goes there.
    pub fn connect(&self, peer: Ipv4Addr) -> io::Result<()> {
        self.0.connect(&SockAddr::from(SocketAddrV4::new(peer, 0)))
    }

    /// Receives one datagram, IPv4 header included.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0).read(buf)
    }

    /// Sends one GRE packet to the connected peer.
    pub fn send(&self, packet: &[u8]) -> io::Result<usize> {
        (&self.0).write(packet)
    }

    /// Sends one GRE packet to `peer`.
    pub fn send_to(&self, packet: &[u8], peer: Ipv4Addr) -> io::Result<usize> {
        self.0
            .send_to(packet, &SockAddr::from(SocketAddrV4::new(peer, 0)))
    }
}

impl AsFd for GreSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for GreSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Starts a TCP connection to `peer` from `local` without waiting for it: writability says
/// it is done (mio's own connect cannot bind first, and the PNS's tunnels each come from
/// an address of their own).
pub fn connect_nonblocking(
    peer: SocketAddrV4,
    local: Option<Ipv4Addr>,
) -> io::Result<mio::net::TcpStream> {
    let socket = Socket::new(
        Domain::IPV4,
        Type::STREAM.nonblocking().cloexec(),
        Some(Protocol::TCP),
    )?;
    socket.set_tcp_nodelay(true)?;
    if let Some(local) = local {
        socket.bind(&SockAddr::from(SocketAddrV4::new(local, 0)))?;
    }
    match socket.connect(&SockAddr::from(peer)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(mio::net::TcpStream::from_std(socket.into()))
}

/// Makes `fd` non-blocking.
pub fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    let flags = OFlag::from_bits_retain(fcntl(fd.as_fd(), FcntlArg::F_GETFL)?);
    fcntl(fd.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// One read(2), retried on EINTR.
pub fn read(fd: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match nix::unistd::read(fd.as_fd(), buf) {
            Err(Errno::EINTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}

/// One write(2), retried on EINTR.
pub fn write(fd: impl AsFd, buf: &[u8]) -> io::Result<usize> {
    loop {
        match nix::unistd::write(fd.as_fd(), buf) {
            Err(Errno::EINTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_a_pipe() {
        let (r, w) = nix::unistd::pipe().unwrap();
        set_nonblocking(&r).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            read(&r, &mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(write(&w, b"abc").unwrap(), 3);
        assert_eq!(read(&r, &mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
    }

    #[test]
    fn connects_without_waiting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let std::net::SocketAddr::V4(at) = listener.local_addr().unwrap() else {
            unreachable!()
        };
        let stream = connect_nonblocking(at, Some(Ipv4Addr::LOCALHOST)).unwrap();
        let (_, from) = listener.accept().unwrap();
        assert_eq!(from.ip(), std::net::IpAddr::V4(Ipv4Addr::LOCALHOST));
        drop(stream);
    }
}
