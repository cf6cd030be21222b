//! pptpd's control socket: where `pptpctl` asks for sessions, counters, ends and reloads,
//! and pppd's hooks (through `pptpctl hook`) report sessions. The protocol is
//! [`wire::ctl`](crate::wire::ctl); this is the socket, in the server's event loop.
//!
//! Bounded like every input: at most [`MAX_CLIENTS`] at once (one more is told so and
//! closed), one request line of at most [`MAX_REQUEST_LEN`] bytes each, and
//! [`CLIENT_WAIT`] to send it and to read the answer; a client that does neither, or
//! sends garbage, is answered with an error where it can be, and closed. Only root is
//! served: the socket is root's alone, and the kernel's word on the peer is checked.

use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use log::{debug, warn};
use mio::net::{UnixListener, UnixStream};
use mio::{Interest, Registry, Token};

use crate::link::oneshot::{self, Limits, OneShot};
use crate::sys::unix_socket;
use crate::wire::ctl::{BadRequest, MAX_REQUEST_LEN, Outcome, Record, Request};

/// Control connections served at once.
pub const MAX_CLIENTS: usize = 16;
/// How long a client has to send its request, and to read the answer.
pub const CLIENT_WAIT: Duration = Duration::from_secs(10);
/// The largest answer queued for one client (`show sessions` of thousands of calls).
const MAX_ANSWER: usize = 16 * 1024 * 1024;

/// The listening socket and its clients.
pub struct Control {
    listener: UnixListener,
    path: PathBuf,
    clients: OneShot<UnixStream>,
}

/// A request ends with its line.
fn end_of_line(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

impl Control {
    /// Binds the socket at `path` and watches it with `token`; client `i` is watched with
    /// `Token(client_tokens + i)`.
    pub fn open(
        registry: &Registry,
        path: &Path,
        token: Token,
        client_tokens: usize,
    ) -> io::Result<Control> {
        let mut listener = unix_socket::listen_private(path)?;
        registry.register(&mut listener, token, Interest::READABLE)?;
        let limits = Limits {
            max_clients: MAX_CLIENTS,
            max_request: MAX_REQUEST_LEN,
            wait: CLIENT_WAIT,
        };
        Ok(Control {
            listener,
            path: path.to_path_buf(),
            clients: OneShot::new(limits, client_tokens, end_of_line),
        })
    }

    /// The index of the client `token` names, if it is one of ours.
    pub fn client_of(&self, token: Token) -> Option<usize> {
        self.clients.client_of(token)
    }

    /// Takes every pending connection: refuses those over the limit and those not root.
    pub fn accept(&mut self, registry: &Registry, now: Instant) {
        loop {
            let mut stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    debug!("ctrl: control socket accept failed: {e}");
                    return;
                }
            };
            let refusal = match unix_socket::peer_uid(&stream) {
                Ok(0) => match self.clients.add(registry, stream, now) {
                    Ok(()) => continue,
                    Err(back) => {
                        stream = back;
                        format!("too many control connections (at most {MAX_CLIENTS}); try again")
                    }
                },
                Ok(uid) => format!("permission denied: uid {uid} is not root"),
                Err(e) => format!("cannot tell who you are: {e}"),
            };
            warn!("ctrl: control connection refused: {refusal}");
            // Best effort: the socket is new and its buffer empty, so one line fits.
            let _ = stream.write_all(format!("{}\n", Outcome::Error(refusal)).as_bytes());
        }
    }

    /// Client `index` is ready: Some once its request line is whole, or why it is not one.
    pub fn on_ready(
        &mut self,
        registry: &Registry,
        index: usize,
    ) -> Option<Result<Request, BadRequest>> {
        Some(match self.clients.on_ready(registry, index)? {
            oneshot::Request::Complete(line) => {
                let line = String::from_utf8_lossy(&line);
                Request::parse(line.trim_end_matches('\r'))
            }
            oneshot::Request::TooLong => Err(BadRequest(format!(
                "request longer than {MAX_REQUEST_LEN} bytes"
            ))),
        })
    }

    /// Answers client `index` with `records` and `outcome`, then closes it once written.
    pub fn answer(
        &mut self,
        registry: &Registry,
        index: usize,
        records: &[Record],
        outcome: Outcome,
        now: Instant,
    ) {
        let mut out = Vec::new();
        for record in records {
            out.extend_from_slice(record.to_string().as_bytes());
            out.push(b'\n');
            if out.len() > MAX_ANSWER {
                out = format!(
                    "{}\n",
                    Outcome::Error("answer too large for the control socket".into())
                )
                .into_bytes();
                return self.clients.answer(registry, index, out, now);
            }
        }
        out.extend_from_slice(format!("{outcome}\n").as_bytes());
        self.clients.answer(registry, index, out, now);
    }

    /// The earliest client deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.clients.poll_timeout()
    }

    /// Closes the clients whose time ran out, telling those that never asked why.
    pub fn handle_timeout(&mut self, registry: &Registry, now: Instant) {
        let why = format!("no request within {}s", CLIENT_WAIT.as_secs());
        let late = format!("{}\n", Outcome::Error(why));
        self.clients.handle_timeout(registry, now, late.as_bytes());
    }

    /// Leaves the event loop (the socket file is removed when dropped).
    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.listener);
        self.clients.close_all(registry);
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
