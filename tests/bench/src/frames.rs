//! The benchmark's PPP frames, and the checks on what comes out of the helper.
//!
//! Every frame is `FF 03 00 21` (PPP, IPv4) followed by an IPv4-shaped payload: version
//! and total length where an IPv4 header has them, so that pptp-linux's `--sync` splitter
//! (which guesses lengths from offset 6) can work, and a 32-bit tag in the IP ID and
//! fragment fields that says which frame this is. The rest is a byte pattern that mixes
//! values HDLC must escape with ordinary ones, as random traffic does.

/// The PPP header of every benchmark frame: address, control, protocol IPv4.
pub const PPP_IPV4: [u8; 4] = [0xff, 0x03, 0x00, 0x21];
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

/// The tag of a benchmark frame; None for anything else (pppd's LCP, an ACK).
pub fn tag(frame: &[u8]) -> Option<u32> {
    if frame.len() < TAG_AT + 4 || frame[..4] != PPP_IPV4 {
        return None;
    }
    Some(u32::from_be_bytes(
        frame[TAG_AT..TAG_AT + 4].try_into().ok()?,
    ))
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
