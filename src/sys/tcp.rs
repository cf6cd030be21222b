//! Opening the control connection: a non-blocking TCP connect that can be bound to a local
//! address first (`--localbind`) and marked (`--rtmark`), which mio's connect cannot do.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, setsockopt, socket, sockopt,
};

/// Starts connecting to `peer`; completion is signalled by writability (check
/// `take_error()` then). Errors name nothing: the caller adds the context.
pub fn connect_nonblocking(
    peer: SocketAddrV4,
    local: Option<Ipv4Addr>,
    mark: Option<u32>,
) -> io::Result<mio::net::TcpStream> {
    let fd: OwnedFd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    if let Some(mark) = mark {
        setsockopt(&fd, sockopt::Mark, &mark)?;
    }
    setsockopt(&fd, sockopt::TcpNoDelay, &true)?;
    if let Some(local) = local {
        bind(
            fd.as_raw_fd(),
            &SockaddrIn::from(SocketAddrV4::new(local, 0)),
        )?;
    }
    match connect(fd.as_raw_fd(), &SockaddrIn::from(peer)) {
        Ok(()) | Err(Errno::EINPROGRESS) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(mio::net::TcpStream::from_std(std::net::TcpStream::from(fd)))
}
