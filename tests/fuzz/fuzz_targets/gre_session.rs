//! GRE sequencing of one call (proto::gre): packets in any order, duplicates, jumps and
//! sequence-number wrap, acknowledgments, data sent, and time, as a program read from the
//! input. The first bytes choose the configuration (`--nobuffer`, `--missing-window`,
//! delayed or immediate acks, `--always-ack`, `--window`, the reorder timeout) and where
//! the peer's numbers start (near the wrap, often).
//!
//! - `0x00..=0x7f`: a packet from the peer: with or without a sequence number and an ack;
//!   the number in order, a little around the last one, anywhere, or far ahead;
//! - `0x80..=0x9f`: time passes by `step(next byte)`; the timers run, an ack-only is polled;
//! - `0xa0..=0xbf`: the loop wakes at the session's deadline;
//! - `0xc0..=0xff`: we send a data packet.
//!
//! Every payload carries its own sequence number, so what comes out can be checked:
//! delivered in order (each after the previous, modulo 2^32), each the payload that was
//! sent with that number, counted in `rx_accepted`; our own numbers consecutive; every
//! ack the last number delivered; no deadline left in the past; and in the end, once the
//! reorder timeout has passed, nothing held back and no deadline left.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::{Clock, Input};
use pptp_rs::proto::gre::{ACK_DELAY, GreConfig, GreSession, seq_after};
use pptp_rs::wire::gre::GreHeader;

fn payload(seq: u32) -> Vec<u8> {
    let mut p = seq.to_be_bytes().to_vec();
    p.resize(4 + (seq % 7) as usize, seq as u8);
    p
}

struct Check {
    delivered: u64,
    last: Option<u32>,
}

impl Check {
    fn deliver(&mut self, p: &[u8]) {
        assert!(p.len() >= 4, "a payload that was never sent: {p:?}");
        let seq = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
        assert_eq!(p, payload(seq), "payload of seq={seq} mangled");
        if let Some(last) = self.last {
            assert!(seq_after(seq, last), "seq={seq} delivered after {last}");
        }
        self.last = Some(seq);
        self.delivered += 1;
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.u8();
    let config = GreConfig {
        reorder_timeout: Duration::from_millis(u64::from(input.u8()) * 10),
        nobuffer: flags & 1 != 0,
        missing_window: (flags & 2 != 0).then(|| u32::from(input.u8())),
        delayed_ack: flags & 4 == 0,
        always_ack: flags & 8 != 0,
        send_window: (flags & 16 != 0).then(|| u16::from(input.u8())),
    };
    let reorder_timeout = config.reorder_timeout;
    let mut s = GreSession::new(config, 0xbeef, u16::from(input.u8()));
    let mut peer_seq = if flags & 32 != 0 {
        input.u32()
    } else {
        u32::MAX - u32::from(input.u8())
    };
    let mut clock = Clock::new();
    let mut check = Check {
        delivered: 0,
        last: None,
    };
    let mut our_next: u32 = 0;

    let check_ack = |h: &GreHeader, last: Option<u32>| {
        if let Some(ack) = h.ack {
            assert_eq!(Some(ack), last, "ack={ack} is not the last seq delivered");
        }
    };

    while !input.is_empty() {
        let b = input.u8();
        let now = clock.now;
        match b {
            0x00..=0x7f => {
                let seq = match (b >> 2) & 3 {
                    0 => peer_seq.wrapping_add(1),
                    1 => peer_seq.wrapping_add(input.u8() as i8 as u32),
                    2 => input.u32(),
                    _ => peer_seq.wrapping_add(u32::from(input.u16())),
                };
                let has_seq = b & 1 == 0;
                if has_seq {
                    peer_seq = seq;
                }
                let ack = (b & 2 != 0).then(|| our_next.wrapping_sub(u32::from(input.u8())));
                let body = if has_seq { payload(seq) } else { Vec::new() };
                let header = GreHeader {
                    call_id: 0x1234,
                    payload_len: body.len() as u16,
                    seq: has_seq.then_some(seq),
                    ack,
                };
                s.handle_packet(now, &header, &body, |p| check.deliver(p));
            }
            0x80..=0x9f => {
                let now = clock.advance(input.u8());
                s.handle_timeout(now, |p| check.deliver(p));
                if let Some(h) = s.poll_ack_only(now) {
                    check_ack(&h, check.last);
                    assert!(h.seq.is_none() && h.ack.is_some());
                }
            }
            0xa0..=0xbf => {
                let now = match s.poll_timeout() {
                    Some(d) => clock.advance_to(d),
                    None => now,
                };
                s.handle_timeout(now, |p| check.deliver(p));
                if let Some(h) = s.poll_ack_only(now) {
                    check_ack(&h, check.last);
                }
                if let Some(d) = s.poll_timeout() {
                    assert!(d > now, "a deadline left in the past: {s:?}");
                }
            }
            _ => {
                let _ = s.can_send();
                let h = s.next_data_header(u16::from(b & 0x3f));
                assert_eq!(h.seq, Some(our_next), "our sequence numbers skip");
                assert_eq!(h.call_id, 0xbeef);
                our_next = our_next.wrapping_add(1);
                check_ack(&h, check.last);
                if h.ack.is_some() {}
            }
        }
        assert_eq!(s.stats().rx_accepted, check.delivered);
    }

    // Nothing is held back for ever: once the reorder timeout has passed, the ring is empty
    // and, the owed ack sent, no deadline is left.
    let now = clock.advance_to(clock.now + reorder_timeout + Duration::from_secs(1));
    s.handle_timeout(now, |p| check.deliver(p));
    // What that released is acknowledged after the ack delay.
    let now = clock.advance_to(now + ACK_DELAY);
    s.handle_timeout(now, |p| check.deliver(p));
    if let Some(h) = s.poll_ack_only(now) {
        check_ack(&h, check.last);
    }
    assert_eq!(s.poll_timeout(), None, "held for ever: {s:?}");
    assert_eq!(s.stats().rx_accepted, check.delivered);
});
