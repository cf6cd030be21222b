//! Asking for the password when `--password` is not given.
//!
//! pptp-linux prints `Password: ` on stdout and reads one line from stdin. It leaves the
//! terminal's echo on, so the password shows on the screen, and it keeps the line's newline,
//! which it then writes as `\x0a`: the secret pppd reads ends with a newline that the user
//! never meant (reference-behaviour.md §1.13). Here echo is off while the line is typed
//! when stdin is a terminal (and back on afterwards, even after Ctrl-C), and the newline
//! that ends the line is not part of the password. Piped input works as before: one line.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{LocalFlags, SetArg, Termios, tcgetattr, tcsetattr};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::flag;
use signal_hook::low_level::emulate_default_handler;

/// The prompt, as pptp-linux prints it.
pub const PROMPT: &str = "Password: ";

/// Longest line read: far beyond any secret pppd can use (256 bytes), short enough that
/// a runaway pipe cannot fill the memory.
const MAX_LINE: usize = 4096;

/// The signals that end the program while echo is off; their default action is run after
/// the terminal is restored.
const SIGNALS: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

/// Prints [`PROMPT`] on stdout and reads the password from stdin, without echo when stdin
/// is a terminal. `Ok(None)` means the input ended before a single byte: nothing was typed
/// (pptp-linux would have stored an empty password).
pub fn ask_password() -> io::Result<Option<Vec<u8>>> {
    let stdin = io::stdin();
    let fd = stdin.as_fd();
    let mut stdout = io::stdout();
    match tcgetattr(fd) {
        Ok(saved) => {
            let caught = Arc::new(AtomicUsize::new(0));
            let echo = EchoOff::new(fd, saved, &caught)?;
            stdout.write_all(PROMPT.as_bytes())?;
            stdout.flush()?;
            let line = read_line(fd, &caught);
            drop(echo);
            // The Enter key was not echoed: end the prompt's line ourselves, as getpass(3)
            // does.
            stdout.write_all(b"\n")?;
            stdout.flush()?;
            line
        }
        // Not a terminal (a pipe, a file): read as pptp-linux does, just one line.
        Err(_) => {
            stdout.write_all(PROMPT.as_bytes())?;
            stdout.flush()?;
            read_line(fd, &AtomicUsize::new(0))
        }
    }
}

/// Terminal echo switched off for as long as it lives.
struct EchoOff<'fd> {
    fd: BorrowedFd<'fd>,
    saved: Termios,
    /// Arms the default action of [`SIGNALS`] again once the terminal is restored.
    restored: Arc<AtomicBool>,
}

impl<'fd> EchoOff<'fd> {
    fn new(fd: BorrowedFd<'fd>, saved: Termios, caught: &Arc<AtomicUsize>) -> io::Result<Self> {
        let restored = Arc::new(AtomicBool::new(false));
        for sig in SIGNALS {
            // Registered first, so that it runs first: after the prompt, the signal does
            // what it did before (its default action); during it, only `caught` is set, and
            // read_line() restores the terminal before running that action.
            flag::register_conditional_default(sig, Arc::clone(&restored))?;
            flag::register_usize(sig, Arc::clone(caught), sig as usize)?;
        }
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        // TCSAFLUSH, as getpass(3): what was typed before the prompt is not the password.
        tcsetattr(fd, SetArg::TCSAFLUSH, &quiet).map_err(io::Error::from)?;
        Ok(EchoOff {
            fd,
            saved,
            restored,
        })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        let _ = tcsetattr(self.fd, SetArg::TCSANOW, &self.saved);
        self.restored.store(true, Ordering::SeqCst);
    }
}

/// Reads one line from `fd` a byte at a time (so that nothing after it is consumed, in case
/// pppd is started later on the same stdin), without its newline. `Ok(None)` when the input
/// ends before any byte. A signal noted in `caught` ends the read with that signal's
/// default action, once the caller's guard has restored the terminal.
fn read_line(fd: BorrowedFd<'_>, caught: &AtomicUsize) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        let sig = caught.load(Ordering::SeqCst);
        if sig != 0 {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                Interrupted(sig as i32),
            ));
        }
        // poll() before read(): unlike read(), poll() is never restarted after a signal
        // handler (signal(7)), so Ctrl-C is seen at once; the timeout bounds the window
        // between the check above and the wait.
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(200u8)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
        let mut byte = [0u8; 1];
        match nix::unistd::read(fd, &mut byte) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(0) => return Ok(Some(line)),
            Ok(_) if byte[0] == b'\n' => return Ok(Some(line)),
            Ok(_) if line.len() >= MAX_LINE => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the password line is longer than {MAX_LINE} bytes"),
                ));
            }
            Ok(_) => line.push(byte[0]),
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The read was ended by this signal; [`finish_interrupted`] runs its default action.
#[derive(Debug)]
pub struct Interrupted(pub i32);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "interrupted by signal {}", self.0)
    }
}

impl std::error::Error for Interrupted {}

/// When `err` says that a signal ended the prompt, ends the program with that signal's
/// default action (the terminal is restored by then), as if the signal had come with no
/// handler installed; otherwise returns.
pub fn finish_interrupted(err: &io::Error) {
    if let Some(Interrupted(sig)) = err.get_ref().and_then(|e| e.downcast_ref::<Interrupted>()) {
        let _ = emulate_default_handler(*sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::OwnedFd;

    fn pipe_with(bytes: &[u8]) -> OwnedFd {
        let (r, w) = nix::unistd::pipe().unwrap();
        nix::unistd::write(&w, bytes).unwrap();
        drop(w);
        r
    }

    #[test]
    fn the_newline_is_not_part_of_the_password() {
        let r = pipe_with(b"secret\nnext line\n");
        let line = read_line(r.as_fd(), &AtomicUsize::new(0)).unwrap();
        assert_eq!(line.as_deref(), Some(&b"secret"[..]));
        // Nothing after the line was consumed.
        let rest = read_line(r.as_fd(), &AtomicUsize::new(0)).unwrap();
        assert_eq!(rest.as_deref(), Some(&b"next line"[..]));
    }

    #[test]
    fn a_carriage_return_or_spaces_before_the_newline_are_kept() {
        let r = pipe_with(b" p w\r\n");
        let line = read_line(r.as_fd(), &AtomicUsize::new(0)).unwrap();
        assert_eq!(line.as_deref(), Some(&b" p w\r"[..]));
    }

    #[test]
    fn the_last_line_may_lack_its_newline() {
        let r = pipe_with(b"secret");
        let line = read_line(r.as_fd(), &AtomicUsize::new(0)).unwrap();
        assert_eq!(line.as_deref(), Some(&b"secret"[..]));
    }

    #[test]
    fn an_empty_line_is_an_empty_password_and_no_input_is_none() {
        let r = pipe_with(b"\n");
        assert_eq!(
            read_line(r.as_fd(), &AtomicUsize::new(0)).unwrap(),
            Some(vec![])
        );
        let r = pipe_with(b"");
        assert_eq!(read_line(r.as_fd(), &AtomicUsize::new(0)).unwrap(), None);
    }

    #[test]
    fn a_runaway_line_is_refused() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let writer = std::thread::spawn(move || {
            let chunk = [b'x'; 1024];
            for _ in 0..8 {
                if nix::unistd::write(&w, &chunk).is_err() {
                    break;
                }
            }
        });
        let err = read_line(r.as_fd(), &AtomicUsize::new(0)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        drop(r);
        writer.join().unwrap();
    }

    #[test]
    fn a_caught_signal_ends_the_read() {
        let (r, _w) = nix::unistd::pipe().unwrap();
        let err = read_line(r.as_fd(), &AtomicUsize::new(SIGINT as usize)).unwrap_err();
        let Some(Interrupted(sig)) = err.get_ref().and_then(|e| e.downcast_ref()) else {
            panic!("not an interruption: {err}");
        };
        assert_eq!(*sig, SIGINT);
    }
}
