//! Enhanced-GRE sequencing for one call (RFC 2637 §4.2–4.4), sans-IO.
//!
//! What goes out: every data packet gets the next sequence number (starting at 0, as the
//! RFC and poptop do; pptp-linux starts at 1, and we accept either from a peer) and, when
//! something new was received, a piggy-backed acknowledgment. An acknowledgment owed with
//! no data to carry it goes out as an ack-only packet after a short delay.
//!
//! What comes in: packets are delivered in order. A packet ahead of the next expected one
//! waits in a fixed ring of [`REORDER_SLOTS`] slots indexed by sequence number, so that
//! insertion, lookup and release are O(1) and memory is bounded whatever the peer sends
//! (pptp-linux keeps an unbounded sorted list). A gap is given up on after the reorder
//! timeout, measured from the first waiting packet's arrival, and never needs another
//! packet to arrive first (poptop only releases on the next arrival). A jump beyond the
//! window resynchronises instead of discarding every later packet as pptp-linux's fixed
//! window did (Debian #680455).
//!
//! The peer's receive window is advisory here unless the user asks for it (`--window`):
//! then [`GreSession::can_send`] says when the number of unacknowledged packets reached it.

use std::time::{Duration, Instant};

use crate::wire::gre::GreHeader;

/// Slots in the reorder ring: the furthest ahead of the expected sequence number that a
/// packet may arrive and still be put back in order.
pub const REORDER_SLOTS: usize = 64;
/// How long an owed acknowledgment waits for outgoing data to ride on (poptop: 50 ms).
pub const ACK_DELAY: Duration = Duration::from_millis(50);

/// User settings that shape sequencing.
#[derive(Debug, Clone)]
pub struct GreConfig {
    /// How long a gap may hold back later packets (`--timeout`, default 0.3 s).
    pub reorder_timeout: Duration,
    /// Deliver out-of-order packets at once and drop late ones (`--nobuffer`).
    pub nobuffer: bool,
    /// Resynchronise when a packet is more than this far ahead (`--missing-window`).
    pub missing_window: Option<u32>,
    /// Wait [`ACK_DELAY`] for data to carry an acknowledgment (off: `--no-delayed-ack`).
    pub delayed_ack: bool,
    /// Put the latest acknowledgment on every data packet (`--always-ack`).
    pub always_ack: bool,
    /// Limit unacknowledged packets to this and the peer's receive window (`--window`).
    pub send_window: Option<u16>,
}

impl Default for GreConfig {
    fn default() -> Self {
        GreConfig {
            reorder_timeout: Duration::from_millis(300),
            nobuffer: false,
            missing_window: None,
            delayed_ack: true,
            always_ack: false,
            send_window: None,
        }
    }
}

/// Counters, reported on SIGUSR1 and at the end of a call (named after pptp-linux's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GreStats {
    /// Data packets delivered to pppd.
    pub rx_accepted: u64,
    /// Sequence numbers never received (given up on).
    pub rx_lost: u64,
    /// Duplicates and packets older than the last delivered.
    pub rx_underwin: u64,
    /// Jumps beyond the window that forced a resynchronisation.
    pub rx_overwin: u64,
    /// Packets that waited in the reorder ring.
    pub rx_buffered: u64,
    /// Acknowledgments received.
    pub rx_acks: u64,
    /// Data packets sent.
    pub tx_sent: u64,
    /// Ack-only packets sent.
    pub tx_acks: u64,
}

/// Sequencing state of one call.
#[derive(Debug)]
pub struct GreSession {
    config: GreConfig,
    /// The peer's call ID: goes in the Key of every packet we send.
    peer_call_id: u16,
    /// The peer's receive window from its call reply (RFC 2637 §2.8).
    peer_window: u16,
    next_seq: u32,
    /// Highest sequence number the peer acknowledged.
    peer_acked: Option<u32>,
    /// Last sequence number delivered in order; None before the first packet.
    last_delivered: Option<u32>,
    /// The acknowledgment last sent; an ack is owed while it differs from `last_delivered`.
    last_acked: Option<u32>,
    ack_deadline: Option<Instant>,
    ring: ReorderRing,
    stats: GreStats,
}

impl GreSession {
    /// A new session sending to `peer_call_id`, whose receive window is `peer_window`.
    pub fn new(config: GreConfig, peer_call_id: u16, peer_window: u16) -> Self {
        GreSession {
            config,
            peer_call_id,
            peer_window,
            next_seq: 0,
            peer_acked: None,
            last_delivered: None,
            last_acked: None,
            ack_deadline: None,
            ring: ReorderRing::new(),
            stats: GreStats::default(),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> &GreStats {
        &self.stats
    }

    /// False while `--window` is in force and the peer has not acknowledged enough.
    pub fn can_send(&self) -> bool {
        let Some(limit) = self.config.send_window else {
            return true;
        };
        let limit = u32::from(limit.min(self.peer_window).max(1));
        let acked_next = self.peer_acked.map_or(0, |a| a.wrapping_add(1));
        self.next_seq.wrapping_sub(acked_next) < limit
    }

    /// The header for the next data packet of `payload_len` bytes, with an acknowledgment
    /// when one is owed (or always, with `--always-ack`).
    pub fn next_data_header(&mut self, payload_len: u16) -> GreHeader {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.stats.tx_sent += 1;
        let ack = if self.ack_owed() || self.config.always_ack {
            self.take_ack()
        } else {
            None
        };
        GreHeader {
            call_id: self.peer_call_id,
            payload_len,
            seq: Some(seq),
            ack,
        }
    }

    /// An ack-only header, when an acknowledgment is owed and its delay has run out.
    pub fn poll_ack_only(&mut self, now: Instant) -> Option<GreHeader> {
        if !self.ack_owed() || self.ack_deadline.is_some_and(|d| now < d) {
            return None;
        }
        self.stats.tx_acks += 1;
        Some(GreHeader {
            call_id: self.peer_call_id,
            payload_len: 0,
            seq: None,
            ack: self.take_ack(),
        })
    }

    /// The earliest instant at which [`handle_timeout`](Self::handle_timeout) or
    /// [`poll_ack_only`](Self::poll_ack_only) has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let reorder = self
            .ring
            .oldest_arrival()
            .map(|t| t + self.config.reorder_timeout);
        match (self.ack_deadline.filter(|_| self.ack_owed()), reorder) {
            (Some(a), Some(r)) => Some(a.min(r)),
            (a, r) => a.or(r),
        }
    }

    /// Takes a received packet of this call: records its acknowledgment and passes its
    /// payload, and any packets it releases from the reorder ring, to `deliver` in order.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        header: &GreHeader,
        payload: &[u8],
        mut deliver: impl FnMut(&[u8]),
    ) {
        if let Some(ack) = header.ack {
            self.stats.rx_acks += 1;
            if self.peer_acked.is_none_or(|prev| seq_after(ack, prev)) {
                self.peer_acked = Some(ack);
            }
        }
        let Some(seq) = header.seq else { return };
        let Some(last) = self.last_delivered else {
            self.deliver(now, seq, payload, &mut deliver);
            return;
        };
        let ahead = seq.wrapping_sub(last.wrapping_add(1));
        if ahead == 0 {
            self.deliver(now, seq, payload, &mut deliver);
            self.release_in_order(now, &mut deliver);
        } else if !seq_after(seq, last) {
            self.stats.rx_underwin += 1;
        } else if self.config.nobuffer {
            self.stats.rx_lost += u64::from(ahead);
            self.deliver(now, seq, payload, &mut deliver);
        } else if self.config.missing_window.is_some_and(|w| ahead > w) {
            // Far beyond anything reordering explains: the peer restarted or lost a burst.
            // Give up on the gap rather than refuse every later packet.
            self.stats.rx_overwin += 1;
            self.flush_ring(now, &mut deliver);
            let last = self.last_delivered.unwrap_or(last);
            if seq_after(seq, last) {
                self.stats.rx_lost += u64::from(seq.wrapping_sub(last.wrapping_add(1)));
                self.deliver(now, seq, payload, &mut deliver);
            }
        } else {
            // Make room: the ring holds REORDER_SLOTS sequence numbers past the expected one.
            while seq.wrapping_sub(self.expected()) as usize >= REORDER_SLOTS {
                if self.ring.is_empty() {
                    // Nothing held back: jump in one step, however far (a hostile jump of
                    // 2^31 must not cost 2^31 / REORDER_SLOTS iterations).
                    self.stats.rx_lost += u64::from(seq.wrapping_sub(self.expected()));
                    self.last_delivered = Some(seq.wrapping_sub(1));
                    break;
                }
                self.skip_gap(now, &mut deliver);
            }
            if seq == self.expected() {
                self.deliver(now, seq, payload, &mut deliver);
                self.release_in_order(now, &mut deliver);
            } else if self.ring.insert(seq, payload, now) {
                self.stats.rx_buffered += 1;
            } else {
                self.stats.rx_underwin += 1;
            }
        }
    }

    /// Gives up on gaps whose reorder timeout has run out, delivering what they held back.
    pub fn handle_timeout(&mut self, now: Instant, mut deliver: impl FnMut(&[u8])) {
        while self
            .ring
            .oldest_arrival()
            .is_some_and(|t| now >= t + self.config.reorder_timeout)
        {
            self.skip_gap(now, &mut deliver);
        }
    }

    fn expected(&self) -> u32 {
        self.last_delivered.map_or(0, |l| l.wrapping_add(1))
    }

    fn ack_owed(&self) -> bool {
        self.last_delivered.is_some() && self.last_delivered != self.last_acked
    }

    fn take_ack(&mut self) -> Option<u32> {
        self.last_acked = self.last_delivered;
        self.ack_deadline = None;
        self.last_delivered
    }

    fn deliver(&mut self, now: Instant, seq: u32, payload: &[u8], deliver: &mut impl FnMut(&[u8])) {
        self.last_delivered = Some(seq);
        self.stats.rx_accepted += 1;
        if self.ack_deadline.is_none() {
            let delay = if self.config.delayed_ack {
                ACK_DELAY
            } else {
                Duration::ZERO
            };
            self.ack_deadline = Some(now + delay);
        }
        deliver(payload);
    }

    /// Delivers ring entries that are next in sequence.
    fn release_in_order(&mut self, now: Instant, deliver: &mut impl FnMut(&[u8])) {
        loop {
            let seq = self.expected();
            let Some(payload) = self.ring.take(seq) else {
                return;
            };
            self.deliver(now, seq, &payload, deliver);
            self.ring.recycle(payload);
        }
    }

    /// Declares the packets up to the lowest one held lost, and delivers from there.
    fn skip_gap(&mut self, now: Instant, deliver: &mut impl FnMut(&[u8])) {
        let expected = self.expected();
        let Some(next) = self.ring.lowest_from(expected) else {
            // Unreachable while every held packet lies within the ring ahead of `expected`;
            // clearing keeps the timeout loop finite should that ever break.
            self.ring.clear();
            return;
        };
        self.stats.rx_lost += u64::from(next.wrapping_sub(expected));
        self.last_delivered = Some(next.wrapping_sub(1));
        self.release_in_order(now, deliver);
    }

    fn flush_ring(&mut self, now: Instant, deliver: &mut impl FnMut(&[u8])) {
        while !self.ring.is_empty() {
            self.skip_gap(now, deliver);
        }
    }
}

/// True when sequence number `a` comes after `b`, modulo 2^32 (RFC 1982 style).
pub fn seq_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Packets waiting for a gap to fill, one slot per sequence number modulo the ring size.
#[derive(Debug)]
struct ReorderRing {
    slots: Vec<Option<Held>>,
    held: usize,
    /// Buffers of delivered packets, kept for reuse so that reordering does not allocate.
    spare: Vec<Vec<u8>>,
}

#[derive(Debug)]
struct Held {
    seq: u32,
    arrival: Instant,
    payload: Vec<u8>,
}

impl ReorderRing {
    fn new() -> Self {
        ReorderRing {
            slots: Vec::new(),
            held: 0,
            spare: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.held == 0
    }

    /// Holds a copy of `payload`; false if that sequence number is already held.
    fn insert(&mut self, seq: u32, payload: &[u8], now: Instant) -> bool {
        if self.slots.is_empty() {
            // Allocated on first reordering only: most calls never need it.
            self.slots.resize_with(REORDER_SLOTS, || None);
        }
        let slot = &mut self.slots[seq as usize % REORDER_SLOTS];
        if slot.is_some() {
            return false;
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(payload);
        *slot = Some(Held {
            seq,
            arrival: now,
            payload: buf,
        });
        self.held += 1;
        true
    }

    fn take(&mut self, seq: u32) -> Option<Vec<u8>> {
        let slot = self.slots.get_mut(seq as usize % REORDER_SLOTS)?;
        if slot.as_ref().is_some_and(|h| h.seq == seq) {
            self.held -= 1;
            slot.take().map(|h| h.payload)
        } else {
            None
        }
    }

    fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
        self.held = 0;
    }

    fn recycle(&mut self, buf: Vec<u8>) {
        if self.spare.len() < REORDER_SLOTS {
            self.spare.push(buf);
        }
    }

    /// The lowest held sequence number at or after `from`.
    fn lowest_from(&self, from: u32) -> Option<u32> {
        if self.held == 0 {
            return None;
        }
        (0..REORDER_SLOTS as u32)
            .map(|i| from.wrapping_add(i))
            .find(|&s| {
                self.slots[s as usize % REORDER_SLOTS]
                    .as_ref()
                    .is_some_and(|h| h.seq == s)
            })
    }

    fn oldest_arrival(&self) -> Option<Instant> {
        if self.held == 0 {
            return None;
        }
        self.slots.iter().flatten().map(|h| h.arrival).min()
    }
}

#[cfg(test)]
mod tests;
