//! The server's control socket in the file system: a unix stream socket that only root may
//! reach (the socket 0600 in a directory 0700), and who is at the other end of it.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::path::Path;

use mio::net::{UnixListener, UnixStream};
use nix::sys::socket::{getsockopt, sockopt};

/// Binds a listening socket at `path`, root only. A socket left there by a server that is
/// gone is replaced; one a running server still answers on is an error (two servers).
pub fn listen_private(path: &Path) -> io::Result<UnixListener> {
    if let Some(dir) = path.parent()
        && !dir.exists()
    {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    if path.exists() {
        if StdUnixStream::connect(path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                "another pptpd answers on it",
            ));
        }
        fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// The user ID of the process at the other end of `stream`, as the kernel says.
pub fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    Ok(getsockopt(stream, sockopt::PeerCredentials)?.uid())
}
