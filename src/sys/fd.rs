//! Non-blocking reads and writes on borrowed file descriptors (pppd's pty, stdin/stdout).

use std::io;
use std::os::fd::AsFd;

use nix::fcntl::{FcntlArg, OFlag, fcntl};

/// Puts `fd` in non-blocking mode so that it can be drained until `WouldBlock` by mio.
pub fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    let flags = OFlag::from_bits_truncate(fcntl(fd.as_fd(), FcntlArg::F_GETFL)?);
    fcntl(fd.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// `read(2)`, retried on EINTR.
pub fn read(fd: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match nix::unistd::read(fd.as_fd(), buf) {
            Err(nix::errno::Errno::EINTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}

/// `write(2)`, retried on EINTR.
pub fn write(fd: impl AsFd, buf: &[u8]) -> io::Result<usize> {
    loop {
        match nix::unistd::write(fd.as_fd(), buf) {
            Err(nix::errno::Errno::EINTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}

/// True when `fd` is open for writing (pppd's `pty` gives the helper one read-write fd on
/// both 0 and 1, but `record` gives two pipes, and a caller may close fd 1).
pub fn is_writable(fd: impl AsFd) -> bool {
    match fcntl(fd.as_fd(), FcntlArg::F_GETFL) {
        Ok(flags) => {
            let mode = OFlag::from_bits_truncate(flags) & OFlag::O_ACCMODE;
            mode == OFlag::O_WRONLY || mode == OFlag::O_RDWR
        }
        Err(_) => false,
    }
}

/// Borrows a descriptor that stays open for the life of the process (stdin, stdout, or a
/// pty master the caller keeps), so that safe code can pass it around by number.
pub fn borrow(fd: std::os::fd::RawFd) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: callers only pass descriptors they keep open until exit (see above).
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}
