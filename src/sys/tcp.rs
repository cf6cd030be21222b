//! Opening control connections: a non-blocking TCP connect that can be bound to a local
//! address first (`--localbind`) and marked (`--rtmark`), and a listener that can be put in
//! a VRF (`vrf`), which mio's connect and bind cannot do.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, Backlog, SockFlag, SockType, SockaddrIn, bind, connect, listen, setsockopt,
    socket, sockopt,
};

/// Starts connecting to `peer`; completion is signalled by writability (check
/// `take_error()` then). Errors name nothing: the caller adds the context.
pub fn connect_nonblocking(
    peer: SocketAddrV4,
    local: Option<Ipv4Addr>,
    mark: Option<u32>,
) -> io::Result<mio::net::TcpStream> {
    let fd = stream_socket()?;
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

/// Listens on `addr`, in the VRF (or on the interface) named `device` when one is given.
/// `SO_BINDTODEVICE` must come before bind(2): a socket bound to a VRF's master device
/// sees only the connections that arrive through that VRF's interfaces (Linux
/// Documentation/networking/vrf.rst, "Applications").
pub fn listen_in(addr: SocketAddrV4, device: Option<&str>) -> io::Result<mio::net::TcpListener> {
    let fd = stream_socket()?;
    // As std's and mio's bind: a restart does not wait for TIME_WAIT connections to go.
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    if let Some(device) = device {
        bind_to_device(&fd, device)?;
    }
    bind(fd.as_raw_fd(), &SockaddrIn::from(addr))?;
    listen(&fd, Backlog::new(1024).unwrap_or(Backlog::MAXCONN))?;
    Ok(mio::net::TcpListener::from_std(
        std::net::TcpListener::from(fd),
    ))
}

/// Puts a socket in the VRF (or on the interface) named `device`. ENODEV, the kernel's
/// answer for a name that is not an interface, gets words an admin can act on.
pub fn bind_to_device(fd: &OwnedFd, device: &str) -> io::Result<()> {
    setsockopt(fd, sockopt::BindToDevice, &std::ffi::OsString::from(device)).map_err(|e| {
        if e == Errno::ENODEV {
            io::Error::other(format!(
                "no interface named '{device}' (create the VRF first: ip link add {device} \
                 type vrf table N; ip link set {device} up)"
            ))
        } else {
            e.into()
        }
    })
}

/// A non-blocking, close-on-exec IPv4 TCP socket, for connect or listen.
fn stream_socket() -> io::Result<OwnedFd> {
    Ok(socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?)
}
