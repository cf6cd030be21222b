//! The replay window (RFC 5176 §2.3): the answered requests of the last seconds, so that
//! a client's retry is answered again instead of acted on twice.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::DEFAULT_REPLAY_CAPACITY;
use crate::wire::radius::Authenticator;

/// One answered request.
#[derive(Debug, Clone)]
struct Answered {
    from: SocketAddr,
    identifier: u8,
    authenticator: Authenticator,
    at: Instant,
    reply: Vec<u8>,
}

/// The answered requests of the last `window`, at most `capacity` of them, oldest first.
#[derive(Debug, Clone)]
pub struct ReplayCache {
    entries: VecDeque<Answered>,
    window: Duration,
    capacity: usize,
}

impl ReplayCache {
    /// An empty cache that remembers requests for `window`, `capacity` of them at most.
    pub fn new(window: Duration, capacity: usize) -> Self {
        ReplayCache {
            entries: VecDeque::with_capacity(capacity.min(DEFAULT_REPLAY_CAPACITY)),
            window,
            capacity,
        }
    }

    /// The reply sent to the same request (source, Identifier and Request Authenticator)
    /// within the window, if there is one.
    pub fn lookup(
        &mut self,
        now: Instant,
        from: SocketAddr,
        identifier: u8,
        authenticator: &Authenticator,
    ) -> Option<&[u8]> {
        self.expire(now);
        self.entries
            .iter()
            .find(|e| {
                e.from == from && e.identifier == identifier && e.authenticator == *authenticator
            })
            .map(|e| e.reply.as_slice())
    }

    /// Remembers the reply to a request, in place of any older request from the same
    /// source with the same Identifier; the oldest entry goes when the cache is full.
    pub fn insert(
        &mut self,
        now: Instant,
        from: SocketAddr,
        identifier: u8,
        authenticator: Authenticator,
        reply: Vec<u8>,
    ) {
        self.expire(now);
        self.entries
            .retain(|e| !(e.from == from && e.identifier == identifier));
        if self.capacity == 0 {
            return;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(Answered {
            from,
            identifier,
            authenticator,
            at: now,
            reply,
        });
    }

    /// How many requests are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no request is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some(oldest) = self.entries.front() {
            if now.saturating_duration_since(oldest.at) < self.window {
                break;
            }
            self.entries.pop_front();
        }
    }
}
