//! pppd on a pty we own: the client's launch mode runs it as pptp-linux does (`pppd <tty>
//! <speed> <opts>`, pppd opening the tty by its name), the server as poptop does (the pty
//! on pppd's stdin and stdout, never on stderr, so nothing pppd prints can enter the PPP
//! stream: poptop leaves the `dup2` to fd 2 out for the same reason).
//!
//! One decision about the pty slave holds for both: we keep it open until pppd has been
//! reaped. The master then never reports a hang-up (EIO) of its own, so pppd's end is
//! learned from SIGCHLD alone, and there is no window in which pppd has not opened its tty
//! yet and the master reads as hung up. It costs one descriptor per call.
//!
//! Unlike pptp-linux, pppd is the client's child rather than the process the user started:
//! one process owns the tunnel and waits for pppd, so its exit status becomes ours.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

use super::process::ChildProcess;

/// pptp-linux's PPPD_BINARY.
pub const PPPD: &str = "/usr/sbin/pppd";

/// How pppd finds its tty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtyUse {
    /// `pppd <tty path> <args>`, stdin from /dev/null, stdout and stderr ours (pptp's
    /// launch mode).
    ByPath,
    /// `pppd <args>` with the tty on stdin and stdout and /dev/null on stderr (pptpd).
    OnStdio,
}

/// A running pppd and the master side of its pty.
#[derive(Debug)]
pub struct PppdOnPty {
    /// The pty master, non-blocking: pppd's PPP stream.
    pub master: OwnedFd,
    /// The pty slave: the caller keeps it open until pppd is reaped (see the module's note).
    pub slave: OwnedFd,
    /// The slave's path, as pppd knows its tty.
    pub tty: PathBuf,
    /// pppd itself.
    pub child: ChildProcess,
}

/// Starts `pppd` (`program`) on a new pty, as `how` says, with `args` after the tty.
pub fn spawn(program: &Path, how: TtyUse, args: &[String]) -> io::Result<PppdOnPty> {
    let (master, slave) = pty_process::blocking::open().map_err(io::Error::other)?;
    let tty = nix::unistd::ttyname(slave.as_fd())?;
    // Raw before pppd starts, so that nothing pppd writes before it sets the line up is
    // echoed back into its own stream (poptop clears ECHO for this, pptpd 1.3.4).
    let mut mode = tcgetattr(slave.as_fd())?;
    cfmakeraw(&mut mode);
    tcsetattr(slave.as_fd(), SetArg::TCSANOW, &mode)?;
    super::fd::set_nonblocking(master.as_fd())?;
    let child = match how {
        TtyUse::ByPath => std::process::Command::new(program)
            .arg(&tty)
            .args(args)
            .stdin(Stdio::null())
            .spawn()?,
        TtyUse::OnStdio => pty_process::blocking::Command::new(program)
            .args(args)
            .stderr(Stdio::null())
            .spawn_borrowed(&slave)
            .map_err(io::Error::other)?,
    };
    let slave = slave.as_fd().try_clone_to_owned()?;
    Ok(PppdOnPty {
        master: master.into(),
        slave,
        tty,
        child: ChildProcess::adopt(child),
    })
}

/// What pppd's exit status means (pppd(8), EXIT STATUS), in words for a log line.
pub fn exit_meaning(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = status.signal() {
        return format!("killed by signal {signal}");
    }
    let code = status.code().unwrap_or(-1);
    let words = match code {
        0 => "the link ended normally",
        1 => "fatal error (see pppd's log)",
        2 => "bad options (check the options file and the peers file)",
        3 => "not setuid root",
        4 => "the kernel lacks PPP (modprobe ppp_generic ppp_async)",
        5 => "ended by SIGINT, SIGTERM or SIGHUP",
        6 => "serial port lock",
        7 => "the serial port could not be opened",
        8 => "the connect script failed",
        9 => "the pty command could not run",
        10 => "PPP negotiation failed (for MPPE: both sides need MS-CHAPv2 and ppp_mppe)",
        11 => "the peer failed to authenticate (check chap-secrets or the RADIUS server)",
        12 => "idle timeout",
        13 => "connect time limit",
        14 => "callback negotiated",
        15 => "the peer stopped answering LCP echoes",
        16 => "the modem (here: the tunnel) hung up",
        17 => "loopback detected",
        18 => "the init script failed",
        19 => "we failed to authenticate to the peer (check the user name and password)",
        _ => "see pppd(8)",
    };
    format!("status {code}: {words}")
}
