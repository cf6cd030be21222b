//! Non-blocking reads and writes on borrowed file descriptors (pppd's pty, stdin/stdout).

use std::io;
use std::os::fd::{AsFd, OwnedFd};

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

/// True when `fd` is an open descriptor.
pub fn is_open(fd: impl AsFd) -> bool {
    fcntl(fd.as_fd(), FcntlArg::F_GETFD).is_ok()
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

/// A descriptor to hold in reserve (`/dev/null`), for the moment the process runs out:
/// closing it makes room to accept a connection and turn it away.
pub fn reserve() -> io::Result<std::os::fd::OwnedFd> {
    Ok(std::fs::File::open("/dev/null")?.into())
}

/// The soft limit on open files (RLIMIT_NOFILE), for messages.
pub fn open_files_limit() -> u64 {
    nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(0)
}

/// Raises the soft limit on open files towards `wanted`, as far as the hard limit allows;
/// returns the soft limit in force afterwards.
pub fn raise_open_files_limit(wanted: u64) -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 0;
    };
    let target = wanted.min(hard);
    if target > soft && setrlimit(Resource::RLIMIT_NOFILE, target, hard).is_ok() {
        return target;
    }
    soft
}

/// A descriptor of our own for standard input (0) or output (1), as pppd's `pty` option
/// hands them to the helper: a duplicate, so that it can be owned like any other.
pub fn dup_stdio(output: bool) -> io::Result<OwnedFd> {
    let fd = if output {
        nix::unistd::dup(std::io::stdout())?
    } else {
        nix::unistd::dup(std::io::stdin())?
    };
    Ok(fd)
}
