//! Child processes (pppd, bcrelay) and signals to them.
//!
//! A child is known by its pid from the moment it is spawned until it has been reaped, and
//! it is always reaped: [`ChildProcess`] kills and waits for a child dropped before it was
//! reaped, so that no path can leave a zombie or lose track of a pppd (issue 10: a dropped
//! `Child` once left 47 zombies and their addresses behind).
//!
//! The server reaps every exited child in one pass with [`reap_any`] (waitpid(-1)), so
//! that a SIGCHLD costs one system call per exited child whatever the number of calls, where
//! asking each child in turn made tearing down many calls quadratic.

use std::io;
use std::process::ExitStatus;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::os::unix::process::ExitStatusExt;

/// A child we spawned and must reap.
#[derive(Debug)]
pub struct ChildProcess {
    pid: Pid,
    reaped: Option<ExitStatus>,
}

impl ChildProcess {
    /// Takes charge of a freshly spawned child. The `std::process::Child` is consumed:
    /// from now on only this type waits for the process.
    pub fn adopt(child: std::process::Child) -> Self {
        ChildProcess {
            pid: Pid::from_raw(child.id() as i32),
            reaped: None,
        }
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.pid.as_raw() as u32
    }

    /// The exit status, once reaped.
    pub fn status(&self) -> Option<ExitStatus> {
        self.reaped
    }

    /// Sends `signal`, unless the child was reaped already (its pid may have been reused).
    pub fn signal(&self, signal: Signal) {
        if self.reaped.is_none() {
            let _ = kill(self.pid, signal);
        }
    }

    /// Asks the child to end (SIGTERM: pppd terminates LCP and runs ip-down first).
    pub fn terminate(&self) {
        self.signal(Signal::SIGTERM);
    }

    /// Reaps the child if it has exited.
    pub fn try_reap(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.reaped.is_some() {
            return Ok(self.reaped);
        }
        match waitpid(self.pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => Ok(None),
            Ok(status) => Ok(self.record(status)),
            // Reaped elsewhere (reap_any) and recorded with `reaped_with`.
            Err(Errno::ECHILD) => Ok(self.reaped),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits for the child to exit.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = self.reaped {
                return Ok(status);
            }
            match waitpid(self.pid, None) {
                Ok(status) => {
                    self.record(status);
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Records that [`reap_any`] reaped this child with `status`.
    pub fn reaped_with(&mut self, status: ExitStatus) {
        self.reaped = Some(status);
    }

    fn record(&mut self, status: WaitStatus) -> Option<ExitStatus> {
        let status = exit_status(status)?;
        self.reaped = Some(status);
        self.reaped
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if self.reaped.is_none() {
            // Every path that ends a call reaps its pppd first; this is the guard that
            // keeps a mistake from leaving a zombie and a lost address behind.
            log::error!(
                "pppd: pid={} was dropped before it exited; killing it",
                self.pid
            );
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = self.wait();
        }
    }
}

/// Starts `program` with `args` (stdin from /dev/null, stdout and stderr shared), for a
/// helper such as bcrelay.
pub fn spawn(program: &std::path::Path, args: &[&str]) -> io::Result<ChildProcess> {
    let child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .spawn()?;
    Ok(ChildProcess::adopt(child))
}

/// Reaps one exited child of this process, whichever it is: Some((pid, status)), or None
/// when no child has exited (or there are none).
pub fn reap_any() -> Option<(u32, ExitStatus)> {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return None,
            Ok(status) => {
                if let (Some(pid), Some(exit)) = (status.pid(), exit_status(status)) {
                    return Some((pid.as_raw() as u32, exit));
                }
            }
            Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}

/// The exit status of a finished child; None for stops and continues.
fn exit_status(status: WaitStatus) -> Option<ExitStatus> {
    match status {
        WaitStatus::Exited(_, code) => Some(ExitStatus::from_raw((code & 0xff) << 8)),
        WaitStatus::Signaled(_, signal, core) => Some(ExitStatus::from_raw(
            signal as i32 | if core { 0x80 } else { 0 },
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn reaps_with_the_exit_status() {
        let mut child =
            ChildProcess::adopt(Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap());
        assert_eq!(child.wait().unwrap().code(), Some(3));
        assert_eq!(child.try_reap().unwrap().and_then(|s| s.code()), Some(3));
    }

    #[test]
    fn a_signalled_child_reports_the_signal() {
        let mut child = ChildProcess::adopt(Command::new("sleep").arg("30").spawn().unwrap());
        assert_eq!(child.try_reap().unwrap(), None);
        child.terminate();
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGTERM));
    }

    #[test]
    fn dropping_an_unreaped_child_kills_and_reaps_it() {
        let child = ChildProcess::adopt(Command::new("sleep").arg("30").spawn().unwrap());
        let pid = child.pid;
        drop(child);
        assert_eq!(kill(pid, None), Err(Errno::ESRCH), "still there");
    }
}
