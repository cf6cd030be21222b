//! The benchmark's PPP frames, their async-HDLC forms, and the checks on what comes out
//! of the helper.
//!
//! A frame is `FF 03 00 21` (PPP, IPv4) followed by an IPv4-shaped payload: version and
//! total length where an IPv4 header has them, so that pptp-linux's `--sync` splitter
//! (which guesses lengths from offset 6) can work, and a 32-bit tag in the IP ID and
//! fragment fields that says which frame this is. The rest is a byte pattern that mixes
//! values HDLC must escape with ordinary ones, as random traffic does.
//!
//! An MPPE frame ([`mppe_frame`]) is what pppd sends once CCP has agreed on MPPE: `FF 03
//! 00 FD` (compressed datagram), the 2-byte MPPE header (encrypted, coherency count), and
//! uniformly random bytes; the tag is at the same place, offset 8.

use pptp_rs::wire::hdlc::{ESCAPE, FCS_INIT, FLAG, fcs16};

/// The PPP header of every benchmark frame: address, control, protocol IPv4.
pub const PPP_IPV4: [u8; 4] = [0xff, 0x03, 0x00, 0x21];
/// The PPP header of an MPPE frame: address, control, protocol Compressed Datagram.
pub const PPP_MPPE: [u8; 4] = [0xff, 0x03, 0x00, 0xfd];
/// Bytes of the frame before the tag.
const TAG_AT: usize = PPP_IPV4.len() + 4;
/// The smallest payload that can carry the tag.
pub const MIN_PAYLOAD: usize = 8;

/// A PPP frame with `payload` IPv4 bytes and tag `tag`.
pub fn frame(payload: usize, tag: u32) -> Vec<u8> {
    let payload = payload.max(MIN_PAYLOAD);
    let mut f = Vec::with_capacity(PPP_IPV4.len() + payload);
    f.extend_from_slice(&PPP_IPV4);
    f.extend_from_slice(&[0x45, 0x00]);
    f.extend_from_slice(&(payload as u16).to_be_bytes());
    f.extend_from_slice(&tag.to_be_bytes());
    for i in 8..payload {
        f.push((i as u32).wrapping_mul(37).wrapping_add(tag) as u8);
    }
    f
}

/// An MPPE-like frame with `payload` bytes after the PPP header and tag `tag`: the MPPE
/// header (flag D, encrypted; the tag's low 12 bits as coherency count), then random
/// bytes (a xorshift stream seeded by the tag), as an encrypted payload looks.
pub fn mppe_frame(payload: usize, tag: u32) -> Vec<u8> {
    let payload = payload.max(MIN_PAYLOAD);
    let mut f = Vec::with_capacity(PPP_MPPE.len() + payload);
    f.extend_from_slice(&PPP_MPPE);
    f.extend_from_slice(&(0x1000 | (tag & 0x0fff) as u16).to_be_bytes());
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(tag).wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut random = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    };
    f.extend([random(), random()]);
    f.extend_from_slice(&tag.to_be_bytes());
    f.extend((8..payload).map(|_| random()));
    f
}

/// The tag of a benchmark frame (IPv4 or MPPE); None for anything else (pppd's LCP, an
/// ACK).
pub fn tag(frame: &[u8]) -> Option<u32> {
    if frame.len() < TAG_AT + 4 || (frame[..4] != PPP_IPV4 && frame[..4] != PPP_MPPE) {
        return None;
    }
    Some(u32::from_be_bytes(
        frame[TAG_AT..TAG_AT + 4].try_into().ok()?,
    ))
}

/// The tag of a frame still in async-HDLC form, flags stripped, as the floor relay sends
/// it: only the first bytes are unescaped, so the sink's check costs what it costs for a
/// bare frame.
pub fn tag_escaped(hdlc: &[u8]) -> Option<u32> {
    let mut head = [0u8; TAG_AT + 4];
    let (mut n, mut escaped) = (0, false);
    for &b in hdlc {
        if n == head.len() {
            break;
        }
        if b == ESCAPE {
            escaped = true;
            continue;
        }
        head[n] = if escaped { b ^ 0x20 } else { b };
        (n, escaped) = (n + 1, false);
    }
    tag(&head[..n])
}

/// How the stand-in for pppd escapes: every control character (ACCM ffffffff, what pppd
/// writes before LCP has agreed on a map, and what a pty helper writes towards pppd), or
/// only 0x7d and 0x7e (ACCM 0, what pppd writes in steady state with most peers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accm {
    All,
    Zero,
}

/// One frame in async HDLC: leading flag, escaped frame and FCS, closing flag.
pub fn encode(frame: &[u8], accm: Accm) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 * frame.len() + 6);
    match accm {
        Accm::All => pptp_rs::wire::hdlc::encode_async(frame, &mut out),
        Accm::Zero => {
            let fcs = !fcs16(FCS_INIT, frame);
            out.push(FLAG);
            for &b in frame.iter().chain(&fcs.to_le_bytes()) {
                if b == FLAG || b == ESCAPE {
                    out.extend([ESCAPE, b ^ 0x20]);
                } else {
                    out.push(b);
                }
            }
            out.push(FLAG);
        }
    }
    out
}

/// Checks that numbers arrive in order, each once: GRE sequence numbers at the sink, frame
/// tags at the feeder. Tags that cycle through a prebuilt block wrap at `modulus`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqCheck {
    modulus: Option<u32>,
    last: Option<u32>,
    /// Numbers seen.
    pub received: u64,
    /// Numbers skipped over: lost, or still to come out of order.
    pub missing: u64,
    /// Numbers at or behind one already seen: reordered or duplicated.
    pub out_of_order: u64,
}

impl SeqCheck {
    /// A check for numbers that count up through all of u32 (GRE sequence numbers).
    pub fn new() -> Self {
        SeqCheck::default()
    }

    /// A check for numbers that go 0, 1, .., modulus - 1, 0, ...
    pub fn cycling(modulus: u32) -> Self {
        SeqCheck {
            modulus: Some(modulus),
            ..SeqCheck::default()
        }
    }

    /// Takes the next number received.
    pub fn push(&mut self, n: u32) {
        self.received += 1;
        let Some(last) = self.last else {
            self.last = Some(n);
            return;
        };
        let ahead = match self.modulus {
            Some(m) => (n + m - last % m) % m,
            None => n.wrapping_sub(last),
        };
        // Half the number space ahead counts as ahead; the rest is behind (RFC 1982 style).
        let half = self.modulus.map_or(1 << 31, |m| m / 2);
        if ahead == 0 || ahead > half {
            self.out_of_order += 1;
        } else {
            self.missing += u64::from(ahead - 1);
            self.last = Some(n);
        }
    }
}

/// Which packets the generator sends, in which order: sequence numbers 0, 1, 2, ... with
/// each window of `window` numbers sent in reverse, and every `drop_every`th number never
/// sent. The helper must deliver every sent packet, in order.
#[derive(Debug, Clone)]
pub struct Reorder {
    window: u32,
    drop_every: u32,
    next: u32,
    pending: Vec<u32>,
    /// Numbers deliberately not sent.
    pub dropped: u64,
}

impl Reorder {
    /// `window` 1 and `drop_every` 0 give the plain sequence.
    pub fn new(window: u32, drop_every: u32) -> Self {
        Reorder {
            window: window.max(1),
            drop_every,
            next: 0,
            pending: Vec::new(),
            dropped: 0,
        }
    }

    /// The next sequence number to send.
    pub fn next_seq(&mut self) -> u32 {
        loop {
            if let Some(n) = self.pending.pop() {
                return n;
            }
            // Refill with the next window; pop() then hands it out highest first.
            let start = self.next;
            self.next = self.next.wrapping_add(self.window);
            for n in start..start.wrapping_add(self.window) {
                if self.drop_every > 0 && n % self.drop_every == self.drop_every - 1 {
                    self.dropped += 1;
                } else {
                    self.pending.push(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_carries_its_tag_and_ip_length() {
        let f = frame(1400, 0xdead_beef);
        assert_eq!(f.len(), 1404);
        assert_eq!(&f[..4], &PPP_IPV4);
        assert_eq!(u16::from_be_bytes([f[6], f[7]]), 1400);
        assert_eq!(tag(&f), Some(0xdead_beef));
        assert_eq!(tag(&[0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4]), None);
        assert_eq!(frame(2, 1).len(), 4 + MIN_PAYLOAD);
    }

    #[test]
    fn frames_mix_bytes_hdlc_escapes() {
        let f = frame(512, 3);
        assert!(f.iter().any(|&b| b < 0x20));
        assert!(f.iter().any(|&b| b == 0x7e || b == 0x7d));
    }

    #[test]
    fn mppe_frames_carry_their_tag_and_random_bytes() {
        let f = mppe_frame(1400, 0x0102_0304);
        assert_eq!(f.len(), 1404);
        assert_eq!(&f[..4], &PPP_MPPE);
        assert_eq!(tag(&f), Some(0x0102_0304));
        assert_ne!(f[100..200], mppe_frame(1400, 5)[100..200]);
        // Uniform bytes: about 2 in 256 need escaping with ACCM 0, 34 in 256 with all.
        let f = mppe_frame(65536, 7);
        let rare = f.iter().filter(|&&b| b == FLAG || b == ESCAPE).count();
        assert!((300..800).contains(&rare), "{rare}");
    }

    #[test]
    fn accm_zero_escapes_only_flag_and_escape() {
        let f = frame(512, 9);
        let (all, zero) = (encode(&f, Accm::All), encode(&f, Accm::Zero));
        assert!(zero.len() < all.len());
        assert!(zero[1..zero.len() - 1].iter().all(|&b| b != FLAG));
        assert!(zero.iter().any(|&b| b < 0x20));
        for e in [all, zero] {
            let mut d = pptp_rs::wire::hdlc::AsyncDecoder::new();
            let mut got = Vec::new();
            d.push(&e, |r| got.push(r.unwrap().to_vec()));
            assert_eq!(got, std::slice::from_ref(&f));
            assert_eq!(tag_escaped(&e[1..e.len() - 1]), Some(9));
        }
        assert_eq!(tag_escaped(&[0xff, 0x7d]), None);
    }

    #[test]
    fn seq_check_counts_gaps_and_reordering() {
        let mut c = SeqCheck::new();
        for n in [5, 6, 9, 8, 10, 10] {
            c.push(n);
        }
        assert_eq!((c.received, c.missing, c.out_of_order), (6, 2, 2));
    }

    #[test]
    fn seq_check_follows_u32_wrap() {
        let mut c = SeqCheck::new();
        for n in [u32::MAX - 1, u32::MAX, 0, 1] {
            c.push(n);
        }
        assert_eq!((c.missing, c.out_of_order), (0, 0));
    }

    #[test]
    fn cycling_seq_check_wraps_at_the_block() {
        let mut c = SeqCheck::cycling(4);
        for n in [2, 3, 0, 1, 3, 0] {
            c.push(n);
        }
        assert_eq!((c.received, c.missing, c.out_of_order), (6, 1, 0));
        c.push(0);
        assert_eq!(c.out_of_order, 1);
    }

    #[test]
    fn reorder_sends_each_kept_number_once_and_in_reversed_windows() {
        let mut r = Reorder::new(4, 5);
        let sent: Vec<u32> = (0..8).map(|_| r.next_seq()).collect();
        // 4 and 9 are dropped (every 5th); windows [0..4) [4..8) [8..12) reversed.
        assert_eq!(sent, [3, 2, 1, 0, 7, 6, 5, 11]);
        assert_eq!(r.dropped, 2);
        let mut r = Reorder::new(1, 0);
        assert_eq!((0..3).map(|_| r.next_seq()).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn in_order_delivery_of_a_reordered_stream_shows_only_the_drops() {
        // What a correct helper delivers: the sent numbers, sorted.
        let mut r = Reorder::new(8, 100);
        let mut sent = Vec::new();
        while sent.len() < 1000 || !r.pending.is_empty() {
            sent.push(r.next_seq());
        }
        sent.sort_unstable();
        let mut c = SeqCheck::new();
        sent.iter().for_each(|&n| c.push(n));
        assert_eq!(c.out_of_order, 0);
        assert_eq!(c.missing, r.dropped);
    }
}
