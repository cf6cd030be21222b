//! pptpd's control socket: where `pptpctl` asks for sessions, counters, ends and reloads,
//! and pppd's hooks (through `pptpctl hook`) report sessions. The protocol is
//! [`wire::ctl`](crate::wire::ctl); this is the socket, in the server's event loop.
//!
//! Bounded like every input: at most [`MAX_CLIENTS`] at once (one more is told so and
//! closed), one request line of at most [`MAX_REQUEST_LEN`] bytes each, and
//! [`CLIENT_WAIT`] to send it and to read the answer; a client that does neither, or
//! sends garbage, is answered with an error where it can be, and closed. Only root is
//! served: the socket is root's alone, and the kernel's word on the peer is checked.

use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use log::{debug, warn};
use mio::net::{UnixListener, UnixStream};
use mio::{Interest, Registry, Token};

use crate::sys::unix_socket;
use crate::wire::ctl::{BadRequest, MAX_REQUEST_LEN, Outcome, Record, Request};

/// Control connections served at once.
pub const MAX_CLIENTS: usize = 16;
/// How long a client has to send its request, and to read the answer.
pub const CLIENT_WAIT: Duration = Duration::from_secs(10);
/// The largest answer queued for one client (`show sessions` of thousands of calls).
const MAX_ANSWER: usize = 16 * 1024 * 1024;

struct Client {
    stream: UnixStream,
    input: Vec<u8>,
    /// The answer, once there is one, and how much of it was written.
    output: Vec<u8>,
    written: usize,
    answered: bool,
    deadline: Instant,
}

/// The listening socket and its clients.
pub struct Control {
    listener: UnixListener,
    path: PathBuf,
    token: Token,
    client_tokens: usize,
    clients: Vec<Option<Client>>,
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
        Ok(Control {
            listener,
            path: path.to_path_buf(),
            token,
            client_tokens,
            clients: Vec::new(),
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The index of the client `token` names, if it is one of ours.
    pub fn client_of(&self, token: Token) -> Option<usize> {
        token
            .0
            .checked_sub(self.client_tokens)
            .filter(|&i| i < MAX_CLIENTS)
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
                Ok(0) => None,
                Ok(uid) => Some(format!("permission denied: uid {uid} is not root")),
                Err(e) => Some(format!("cannot tell who you are: {e}")),
            };
            let free = (0..MAX_CLIENTS).find(|&i| self.clients.get(i).is_none_or(Option::is_none));
            let refusal = refusal.or_else(|| {
                free.is_none().then(|| {
                    format!("too many control connections (at most {MAX_CLIENTS}); try again")
                })
            });
            if let Some(why) = refusal {
                // Best effort: the socket is new and its buffer empty, so one line fits.
                let _ = stream.write_all(format!("{}\n", Outcome::Error(why)).as_bytes());
                continue;
            }
            let Some(index) = free else { continue };
            let token = Token(self.client_tokens + index);
            if let Err(e) = registry.register(&mut stream, token, Interest::READABLE) {
                warn!("ctrl: cannot watch a control connection: {e}");
                continue;
            }
            if self.clients.len() <= index {
                self.clients.resize_with(index + 1, || None);
            }
            self.clients[index] = Some(Client {
                stream,
                input: Vec::new(),
                output: Vec::new(),
                written: 0,
                answered: false,
                deadline: now + CLIENT_WAIT,
            });
        }
    }

    /// Client `index` is ready: reads its request (Some once whole, or why it is not one)
    /// or writes the rest of its answer.
    pub fn on_ready(
        &mut self,
        registry: &Registry,
        index: usize,
    ) -> Option<Result<Request, BadRequest>> {
        let client = self.clients.get_mut(index)?.as_mut()?;
        if client.answered {
            self.flush(registry, index);
            return None;
        }
        let mut chunk = [0u8; 1024];
        loop {
            match client.stream.read(&mut chunk) {
                Ok(0) => {
                    self.close(registry, index);
                    return None;
                }
                Ok(n) => {
                    client.input.extend_from_slice(&chunk[..n]);
                    if let Some(end) = client.input.iter().position(|&b| b == b'\n') {
                        let line = String::from_utf8_lossy(&client.input[..end]);
                        return Some(Request::parse(line.trim_end_matches('\r')));
                    }
                    if client.input.len() > MAX_REQUEST_LEN {
                        return Some(Err(BadRequest(format!(
                            "request longer than {MAX_REQUEST_LEN} bytes"
                        ))));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.close(registry, index);
                    return None;
                }
            }
        }
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
        let Some(client) = self.clients.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        client.answered = true;
        client.deadline = now + CLIENT_WAIT;
        for record in records {
            if client.output.len() > MAX_ANSWER {
                client.output.clear();
                client.output.extend_from_slice(
                    format!(
                        "{}\n",
                        Outcome::Error("answer too large for the control socket".into())
                    )
                    .as_bytes(),
                );
                return self.flush(registry, index);
            }
            client
                .output
                .extend_from_slice(record.to_string().as_bytes());
            client.output.push(b'\n');
        }
        client
            .output
            .extend_from_slice(format!("{outcome}\n").as_bytes());
        self.flush(registry, index);
    }

    fn flush(&mut self, registry: &Registry, index: usize) {
        let Some(client) = self.clients.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        while client.written < client.output.len() {
            match client.stream.write(&client.output[client.written..]) {
                Ok(n) => client.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let token = Token(self.client_tokens + index);
                    let _ = registry.reregister(&mut client.stream, token, Interest::WRITABLE);
                    return;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.close(registry, index);
    }

    /// The earliest client deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.clients.iter().flatten().map(|c| c.deadline).min()
    }

    /// Closes the clients whose time ran out (a request never finished, or an answer never
    /// read), telling the first kind why.
    pub fn handle_timeout(&mut self, registry: &Registry, now: Instant) {
        for index in 0..self.clients.len() {
            let Some(client) = self.clients[index].as_mut() else {
                continue;
            };
            if now < client.deadline {
                continue;
            }
            if !client.answered {
                let why = format!("no request within {}s", CLIENT_WAIT.as_secs());
                let _ = client
                    .stream
                    .write(format!("{}\n", Outcome::Error(why)).as_bytes());
            }
            self.close(registry, index);
        }
    }

    fn close(&mut self, registry: &Registry, index: usize) {
        if let Some(mut client) = self.clients.get_mut(index).and_then(Option::take) {
            let _ = registry.deregister(&mut client.stream);
        }
    }

    /// Leaves the event loop (the socket file is removed when dropped).
    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.listener);
        for index in 0..self.clients.len() {
            self.close(registry, index);
        }
    }

    /// The listener's token.
    pub fn token(&self) -> Token {
        self.token
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
