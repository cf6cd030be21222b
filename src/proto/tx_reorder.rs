//! `--test-type`: deliberately reordered outgoing GRE, to test how a server copes (pptp-linux
//! test-redirections.c). Only data packets are disturbed; ack-only packets go out as they
//! come (pptp-linux disturbed them too, which made the test depend on the ack timing).
//!
//! After every `rate` packets sent normally:
//! - type 1 swaps the next two (`... 4 6 5 7 ...`);
//! - type 2 holds 10, sends the 11th, then the 10 in order;
//! - type 3 holds 10, sends the 11th, then the 10 in reverse (pptp-linux's loop lost one).
//!
//! Held packets never wait longer than [`HOLD_LIMIT`]: an idle link releases them in the
//! order the type prescribes.

use std::time::{Duration, Instant};

/// The longest a held packet waits for the packets that would release it.
pub const HOLD_LIMIT: Duration = Duration::from_millis(500);

/// Which disturbance (`--test-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestType {
    /// Swap two packets.
    Swap,
    /// Hold ten, send the eleventh first.
    Delay,
    /// Hold ten, send the eleventh first, then the ten in reverse.
    Reverse,
}

impl TestType {
    /// `--test-type N`: 1, 2, 3; 0 means none.
    pub fn from_number(n: u32) -> Option<TestType> {
        match n {
            1 => Some(TestType::Swap),
            2 => Some(TestType::Delay),
            3 => Some(TestType::Reverse),
            _ => None,
        }
    }

    fn hold_count(self) -> usize {
        match self {
            TestType::Swap => 1,
            TestType::Delay | TestType::Reverse => 10,
        }
    }
}

/// The disturber between the GRE machine and the socket.
#[derive(Debug, Clone)]
pub struct TxReorder {
    kind: TestType,
    rate: u32,
    passed: u32,
    held: Vec<Vec<u8>>,
    held_since: Option<Instant>,
}

impl TxReorder {
    /// Disturbs after every `rate` packets (at least 1).
    pub fn new(kind: TestType, rate: u32) -> Self {
        TxReorder {
            kind,
            rate: rate.max(1),
            passed: 0,
            held: Vec::new(),
            held_since: None,
        }
    }

    /// Takes one outgoing data packet and calls `send` for each packet to send now.
    pub fn push(&mut self, now: Instant, packet: &[u8], mut send: impl FnMut(&[u8])) {
        if self.passed < self.rate {
            self.passed += 1;
            return send(packet);
        }
        if self.held.len() < self.kind.hold_count() {
            self.held.push(packet.to_vec());
            self.held_since.get_or_insert(now);
            return;
        }
        send(packet);
        self.release(&mut send);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.held_since.map(|t| t + HOLD_LIMIT)
    }

    /// Releases held packets that waited too long.
    pub fn handle_timeout(&mut self, now: Instant, mut send: impl FnMut(&[u8])) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.release(&mut send);
        }
    }

    fn release(&mut self, send: &mut impl FnMut(&[u8])) {
        if self.kind == TestType::Reverse {
            self.held.reverse();
        }
        for packet in self.held.drain(..) {
            send(&packet);
        }
        self.held_since = None;
        self.passed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: TestType, rate: u32, count: u8) -> Vec<u8> {
        let mut t = TxReorder::new(kind, rate);
        let mut out = Vec::new();
        let now = Instant::now();
        for i in 0..count {
            t.push(now, &[i], |p| out.push(p[0]));
        }
        t.handle_timeout(now + HOLD_LIMIT, |p| out.push(p[0]));
        out
    }

    #[test]
    fn swap() {
        assert_eq!(run(TestType::Swap, 3, 8), [0, 1, 2, 4, 3, 5, 6, 7]);
    }

    #[test]
    fn delay() {
        let out = run(TestType::Delay, 1, 13);
        assert_eq!(out, [0, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
    }

    #[test]
    fn reverse_sends_all_ten() {
        let out = run(TestType::Reverse, 1, 12);
        assert_eq!(out, [0, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn idle_link_releases_held_packets() {
        let mut t = TxReorder::new(TestType::Delay, 1);
        let now = Instant::now();
        let mut out = Vec::new();
        for i in 0..4u8 {
            t.push(now, &[i], |p| out.push(p[0]));
        }
        assert_eq!(out, [0]);
        assert_eq!(t.poll_timeout(), Some(now + HOLD_LIMIT));
        t.handle_timeout(now + HOLD_LIMIT - Duration::from_millis(1), |p| {
            out.push(p[0])
        });
        assert_eq!(out, [0]);
        t.handle_timeout(now + HOLD_LIMIT, |p| out.push(p[0]));
        assert_eq!(out, [0, 1, 2, 3]);
        assert_eq!(t.poll_timeout(), None);
    }
}
