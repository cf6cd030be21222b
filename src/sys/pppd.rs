//! pppd on a pty we own: the client's launch mode runs it as pptp-linux does (`pppd <tty>
//! <speed> <opts>`), the server as poptop does (the pty on pppd's stdin and stdout).
//!
//! Unlike pptp-linux, pppd is the client's child rather than the process the user started:
//! one process owns the tunnel and waits for pppd, so its exit status becomes ours.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

/// pptp-linux's PPPD_BINARY.
pub const PPPD: &str = "/usr/sbin/pppd";

/// A running pppd and the master side of its pty.
pub struct Pppd {
    master: pty_process::blocking::Pty,
    /// Kept open so that pppd's exit is seen through SIGCHLD, never as a racing EIO.
    _slave: pty_process::blocking::Pts,
    tty: PathBuf,
    child: Child,
}

impl Pppd {
    /// Starts `pppd <tty> <speed> <args...>`; its stdout and stderr stay ours.
    pub fn spawn(pppd: &Path, speed: &str, args: &[String]) -> io::Result<Pppd> {
        let (master, slave) = pty_process::blocking::open().map_err(io::Error::other)?;
        let tty = nix::unistd::ttyname(slave.as_fd())?;
        // Raw from the start, so that nothing pppd writes before it sets the line up is
        // echoed back into its own stream (poptop clears ECHO for the same reason).
        let mut mode = tcgetattr(slave.as_fd())?;
        cfmakeraw(&mut mode);
        tcsetattr(slave.as_fd(), SetArg::TCSANOW, &mode)?;
        crate::sys::fd::set_nonblocking(master.as_fd())?;
        let child = Command::new(pppd)
            .arg(&tty)
            .arg(speed)
            .args(args)
            .stdin(Stdio::null())
            .spawn()?;
        Ok(Pppd {
            master,
            _slave: slave,
            tty,
            child,
        })
    }

    /// The pty master: pppd's PPP stream.
    pub fn master_fd(&self) -> RawFd {
        self.master.as_raw_fd()
    }

    /// The pty slave's path, as given to pppd.
    pub fn tty(&self) -> &Path {
        &self.tty
    }

    /// pppd's process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// pppd's exit status if it has exited (reaps it).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Asks pppd to end (SIGTERM: it terminates LCP first) and waits for it.
    pub fn terminate(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        self.child.wait()
    }
}

/// The server's pppd for one call: the pty slave on its stdin and stdout and never on
/// stderr, so nothing pppd prints can enter the PPP stream (poptop leaves the `dup2` to fd 2
/// out for the same reason). Returns the pty master, non-blocking, and the child.
///
/// The slave is closed here once pppd has it, so that pppd's exit shows as EIO on the
/// master as well as by SIGCHLD.
pub fn spawn_on_stdio(
    pppd: &Path,
    args: &[String],
) -> io::Result<(pty_process::blocking::Pty, Child)> {
    let (master, slave) = pty_process::blocking::open().map_err(io::Error::other)?;
    // Raw before pppd starts, so that nothing is echoed back into its own stream (poptop
    // clears ECHO for this, pptpd 1.3.4).
    let mut mode = tcgetattr(slave.as_fd())?;
    cfmakeraw(&mut mode);
    tcsetattr(slave.as_fd(), SetArg::TCSANOW, &mode)?;
    crate::sys::fd::set_nonblocking(master.as_fd())?;
    let child = pty_process::blocking::Command::new(pppd)
        .args(args)
        .stderr(Stdio::null())
        .spawn(slave)
        .map_err(io::Error::other)?;
    Ok((master, child))
}
