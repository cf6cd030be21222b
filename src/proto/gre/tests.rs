//! Per-situation tests of GRE sequencing with a fake clock.

use super::*;

fn t0() -> Instant {
    Instant::now()
}

fn data(seq: u32) -> GreHeader {
    GreHeader {
        call_id: 7,
        payload_len: 1,
        seq: Some(seq),
        ack: None,
    }
}

/// Feeds packets, each carrying its own sequence number as the payload byte, and returns
/// what was delivered.
fn feed(s: &mut GreSession, now: Instant, seqs: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    for &seq in seqs {
        s.handle_packet(now, &data(seq), &seq.to_be_bytes(), |p| {
            out.push(u32::from_be_bytes(p.try_into().unwrap()))
        });
    }
    out
}

fn timeout(s: &mut GreSession, now: Instant) -> Vec<u32> {
    let mut out = Vec::new();
    s.handle_timeout(now, |p| out.push(u32::from_be_bytes(p.try_into().unwrap())));
    out
}

fn session() -> GreSession {
    GreSession::new(GreConfig::default(), 0x4242, 64)
}

// ==== sending ====

#[test]
fn first_data_packet_is_seq_0_without_ack() {
    let mut s = session();
    let h = s.next_data_header(100);
    assert_eq!(h.seq, Some(0));
    assert_eq!(h.ack, None);
    assert_eq!(h.call_id, 0x4242);
    assert_eq!(s.next_data_header(1).seq, Some(1));
}

#[test]
fn ack_rides_on_data_once() {
    let mut s = session();
    let now = t0();
    feed(&mut s, now, &[5]);
    assert_eq!(s.next_data_header(1).ack, Some(5));
    assert_eq!(
        s.next_data_header(1).ack,
        None,
        "nothing new to acknowledge"
    );
    assert_eq!(s.poll_ack_only(now + ACK_DELAY), None);
}

#[test]
fn always_ack_repeats_the_ack() {
    let mut s = GreSession::new(
        GreConfig {
            always_ack: true,
            ..GreConfig::default()
        },
        1,
        64,
    );
    feed(&mut s, t0(), &[0]);
    assert_eq!(s.next_data_header(1).ack, Some(0));
    assert_eq!(s.next_data_header(1).ack, Some(0));
}

#[test]
fn ack_only_after_the_delay() {
    let mut s = session();
    let now = t0();
    feed(&mut s, now, &[0, 1]);
    assert_eq!(s.poll_timeout(), Some(now + ACK_DELAY));
    assert_eq!(
        s.poll_ack_only(now),
        None,
        "still waiting for data to ride on"
    );
    let h = s.poll_ack_only(now + ACK_DELAY).expect("ack owed");
    assert_eq!((h.seq, h.ack, h.payload_len), (None, Some(1), 0));
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.stats().tx_acks, 1);
}

#[test]
fn no_delayed_ack_acks_at_once() {
    let mut s = GreSession::new(
        GreConfig {
            delayed_ack: false,
            ..GreConfig::default()
        },
        1,
        64,
    );
    let now = t0();
    feed(&mut s, now, &[0]);
    assert!(s.poll_ack_only(now).is_some());
}

#[test]
fn send_window_limits_unacknowledged_packets() {
    let mut s = GreSession::new(
        GreConfig {
            send_window: Some(8),
            ..GreConfig::default()
        },
        1,
        3, // the peer's window is smaller: it wins
    );
    for _ in 0..3 {
        assert!(s.can_send());
        s.next_data_header(1);
    }
    assert!(!s.can_send());
    let ack = GreHeader {
        call_id: 1,
        payload_len: 0,
        seq: None,
        ack: Some(0),
    };
    s.handle_packet(t0(), &ack, &[], |_| panic!("ack-only delivers nothing"));
    assert!(s.can_send());
}

#[test]
fn without_window_option_sending_is_never_limited() {
    let mut s = GreSession::new(GreConfig::default(), 1, 1);
    for _ in 0..1000 {
        s.next_data_header(1);
    }
    assert!(s.can_send());
}

// ==== receiving in order ====

#[test]
fn accepts_any_first_sequence_number() {
    // pptp-linux starts at 1, the RFC at 0; a restarted peer anywhere.
    for first in [0u32, 1, 0xffff_fff0] {
        let mut s = session();
        let seqs: Vec<u32> = (0..40).map(|i| first.wrapping_add(i)).collect();
        assert_eq!(feed(&mut s, t0(), &seqs), seqs);
    }
}

#[test]
fn in_order_across_the_wrap() {
    let mut s = session();
    let seqs = [0xffff_fffe, 0xffff_ffff, 0, 1];
    assert_eq!(feed(&mut s, t0(), &seqs), seqs);
    assert_eq!(s.stats().rx_lost, 0);
}

#[test]
fn duplicates_and_old_packets_are_dropped() {
    let mut s = session();
    assert_eq!(feed(&mut s, t0(), &[10, 11, 11, 10, 3]), [10, 11]);
    assert_eq!(s.stats().rx_underwin, 3);
}

// ==== reordering ====

#[test]
fn reorders_within_the_ring() {
    let mut s = session();
    let now = t0();
    assert_eq!(feed(&mut s, now, &[0, 2, 3, 1, 4]), [0, 1, 2, 3, 4]);
    assert_eq!(s.stats().rx_buffered, 2);
    assert_eq!(s.stats().rx_lost, 0);
}

#[test]
fn reorders_across_the_wrap() {
    let mut s = session();
    let out = feed(&mut s, t0(), &[0xffff_fffe, 0, 0xffff_ffff, 1]);
    assert_eq!(out, [0xffff_fffe, 0xffff_ffff, 0, 1]);
}

#[test]
fn duplicate_while_held_is_dropped_once() {
    let mut s = session();
    assert_eq!(feed(&mut s, t0(), &[0, 2, 2, 1]), [0, 1, 2]);
    assert_eq!(s.stats().rx_underwin, 1);
}

#[test]
fn gap_is_given_up_after_the_timeout_without_new_input() {
    let mut s = session();
    let now = t0();
    assert_eq!(feed(&mut s, now, &[0, 2, 3]), [0]);
    let deadline = now + Duration::from_millis(300);
    assert!(s.poll_timeout().is_some_and(|t| t <= deadline));
    assert_eq!(
        timeout(&mut s, now + Duration::from_millis(299)),
        [] as [u32; 0]
    );
    assert_eq!(timeout(&mut s, deadline), [2, 3]);
    assert_eq!(s.stats().rx_lost, 1);
    // A late arrival of the lost packet is old now.
    assert_eq!(feed(&mut s, deadline, &[1]), [] as [u32; 0]);
}

#[test]
fn each_gap_waits_from_its_own_first_arrival() {
    let mut s = session();
    let now = t0();
    feed(&mut s, now, &[0, 2]);
    feed(&mut s, now + Duration::from_millis(200), &[4]);
    assert_eq!(timeout(&mut s, now + Duration::from_millis(300)), [2]);
    assert_eq!(
        timeout(&mut s, now + Duration::from_millis(499)),
        [] as [u32; 0]
    );
    assert_eq!(timeout(&mut s, now + Duration::from_millis(500)), [4]);
}

#[test]
fn jump_beyond_the_ring_releases_held_packets_then_resynchronises() {
    let mut s = session();
    let now = t0();
    feed(&mut s, now, &[0, 2]);
    // 100 is beyond the 64-slot ring: 1 is given up so 2 goes out, then 3..=99 cannot fit
    // in the ring any more and are counted lost, and 100 is delivered at once.
    assert_eq!(feed(&mut s, now, &[100, 101]), [2, 100, 101]);
    assert_eq!(s.stats().rx_lost, 1 + 97);
}

#[test]
fn huge_jump_with_empty_ring_is_one_step() {
    let mut s = session();
    let now = t0();
    feed(&mut s, now, &[0]);
    let far = 0x7fff_fff0;
    assert_eq!(feed(&mut s, now, &[far, far + 1]), [far, far + 1]);
    assert_eq!(s.stats().rx_lost, u64::from(far - 1));
}

#[test]
fn missing_window_resynchronises() {
    let mut s = GreSession::new(
        GreConfig {
            missing_window: Some(10),
            ..GreConfig::default()
        },
        1,
        64,
    );
    let now = t0();
    assert_eq!(feed(&mut s, now, &[0, 3, 50, 51]), [0, 3, 50, 51]);
    assert_eq!(s.stats().rx_overwin, 1);
    assert_eq!(s.stats().rx_lost, 2 + 46);
}

#[test]
fn nobuffer_delivers_at_once_and_drops_late() {
    let mut s = GreSession::new(
        GreConfig {
            nobuffer: true,
            ..GreConfig::default()
        },
        1,
        64,
    );
    assert_eq!(feed(&mut s, t0(), &[0, 2, 1, 3]), [0, 2, 3]);
    assert_eq!(s.stats().rx_lost, 1);
    assert_eq!(s.stats().rx_underwin, 1);
}

#[test]
fn random_reordering_delivers_each_packet_once_in_order() {
    // A deterministic shuffle within windows of 16: everything arrives, nothing is lost.
    let mut s = session();
    let now = t0();
    let mut seqs: Vec<u32> = (0..4096).collect();
    let mut x: u32 = 12345;
    // The first packet sets the baseline, so it stays first.
    for chunk in seqs[1..].chunks_mut(16) {
        for i in (1..chunk.len()).rev() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            chunk.swap(i, (x >> 16) as usize % (i + 1));
        }
    }
    let out = feed(&mut s, now, &seqs);
    let mut all = out;
    all.extend(timeout(&mut s, now + Duration::from_secs(1)));
    assert_eq!(all, (0..4096).collect::<Vec<_>>());
    assert_eq!(s.stats().rx_lost, 0);
    assert!(s.stats().rx_buffered > 1000);
}

#[test]
fn hostile_sequence_numbers_keep_memory_bounded() {
    let mut s = session();
    let now = t0();
    let mut x: u32 = 7;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        feed(&mut s, now, &[x]);
        assert!(s.ring.held <= REORDER_SLOTS);
    }
    assert!(s.ring.spare.len() <= REORDER_SLOTS);
}

#[test]
fn seq_after_is_wrap_safe() {
    assert!(seq_after(1, 0));
    assert!(seq_after(0, 0xffff_ffff));
    assert!(!seq_after(0xffff_ffff, 0));
    assert!(!seq_after(5, 5));
}
