//! Clients that send one request and read one answer: the control socket's (`pptpctl`)
//! and the metrics endpoint's (an HTTP scraper), in the server's event loop.
//!
//! Bounded whatever the client does: at most `max_clients` at once, a request of at most
//! `max_request` bytes, `wait` to send it and again to read the answer, and an answer of
//! bounded size written as the client takes it. A client that sends too much or too
//! slowly, or never reads, costs its own slot for `wait` and nothing else; the tunnels in
//! the same loop never wait for it.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Interest, Registry, Token};

/// Limits of a one-shot server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Clients served at once.
    pub max_clients: usize,
    /// The longest request.
    pub max_request: usize,
    /// How long a client has to send its request, and to read the answer.
    pub wait: Duration,
}

/// What a client's bytes amount to so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The whole request.
    Complete(Vec<u8>),
    /// More than the limit, with no end in sight.
    TooLong,
}

struct Client<S> {
    stream: S,
    input: Vec<u8>,
    output: Vec<u8>,
    written: usize,
    answered: bool,
    deadline: Instant,
}

/// The clients of one listener; client `i` is watched with `Token(first_token + i)`.
pub struct OneShot<S> {
    limits: Limits,
    first_token: usize,
    /// Where a request ends: the length of the whole request within the bytes so far.
    end_of_request: fn(&[u8]) -> Option<usize>,
    clients: Vec<Option<Client<S>>>,
}

impl<S: Read + Write + Source> OneShot<S> {
    /// No clients yet.
    pub fn new(
        limits: Limits,
        first_token: usize,
        end_of_request: fn(&[u8]) -> Option<usize>,
    ) -> Self {
        OneShot {
            limits,
            first_token,
            end_of_request,
            clients: Vec::new(),
        }
    }

    /// The index of the client `token` names, if it is one of these.
    pub fn client_of(&self, token: Token) -> Option<usize> {
        token
            .0
            .checked_sub(self.first_token)
            .filter(|&i| i < self.limits.max_clients)
    }

    /// Takes a new client; gives the stream back when all slots are taken (the caller
    /// says why, and drops it).
    pub fn add(&mut self, registry: &Registry, mut stream: S, now: Instant) -> Result<(), S> {
        let Some(index) =
            (0..self.limits.max_clients).find(|&i| self.clients.get(i).is_none_or(Option::is_none))
        else {
            return Err(stream);
        };
        if registry
            .register(
                &mut stream,
                Token(self.first_token + index),
                Interest::READABLE,
            )
            .is_err()
        {
            return Err(stream);
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
            deadline: now + self.limits.wait,
        });
        Ok(())
    }

    /// Client `index` is ready: Some once its request is whole (or too long); the rest of
    /// an answer is written meanwhile.
    pub fn on_ready(&mut self, registry: &Registry, index: usize) -> Option<Request> {
        let (end_of_request, max) = (self.end_of_request, self.limits.max_request);
        let client = self.clients.get_mut(index)?.as_mut()?;
        if client.answered {
            self.flush(registry, index);
            return None;
        }
        let mut chunk = [0u8; 2048];
        loop {
            match client.stream.read(&mut chunk) {
                Ok(0) => {
                    self.close(registry, index);
                    return None;
                }
                Ok(n) => {
                    client.input.extend_from_slice(&chunk[..n]);
                    if let Some(end) = end_of_request(&client.input) {
                        client.input.truncate(end);
                        return Some(Request::Complete(std::mem::take(&mut client.input)));
                    }
                    if client.input.len() > max {
                        return Some(Request::TooLong);
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

    /// Answers client `index` with `answer`, closing it once written (or once `wait` ran
    /// out).
    pub fn answer(&mut self, registry: &Registry, index: usize, answer: Vec<u8>, now: Instant) {
        let Some(client) = self.clients.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        client.answered = true;
        client.deadline = now + self.limits.wait;
        client.output = answer;
        self.flush(registry, index);
    }

    fn flush(&mut self, registry: &Registry, index: usize) {
        let token = Token(self.first_token + index);
        let Some(client) = self.clients.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        while client.written < client.output.len() {
            match client.stream.write(&client.output[client.written..]) {
                Ok(0) => break,
                Ok(n) => client.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
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

    /// Closes the clients whose time ran out; `late` is what a client that never finished
    /// its request is told (best effort).
    pub fn handle_timeout(&mut self, registry: &Registry, now: Instant, late: &[u8]) {
        for index in 0..self.clients.len() {
            let Some(client) = self.clients[index].as_mut() else {
                continue;
            };
            if now < client.deadline {
                continue;
            }
            if !client.answered {
                let _ = client.stream.write(late);
            }
            self.close(registry, index);
        }
    }

    fn close(&mut self, registry: &Registry, index: usize) {
        if let Some(mut client) = self.clients.get_mut(index).and_then(Option::take) {
            let _ = registry.deregister(&mut client.stream);
        }
    }

    /// Closes every client.
    pub fn close_all(&mut self, registry: &Registry) {
        for index in 0..self.clients.len() {
            self.close(registry, index);
        }
    }
}
