//! The enhanced GRE header that carries PPP frames (RFC 2637 §4.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
//! |    Key (HW) Payload Length    |       Key (LW) Call ID        |
//! |                  Sequence Number (Optional)                   |
//! |               Acknowledgment Number (Optional)                |
//! ```
//!
//! PPTP fixes C=R=s=Recur=0, K=1, Ver=1 and Protocol=0x880B; S is set when a payload is
//! present and A when an acknowledgment is. The Call ID is always the *receiver's* call ID.
//! An ack-only packet (S=0, A=1) carries its acknowledgment number at offset 8.

use super::{Error, be16, be32, check_len};

/// GRE protocol type for PPP (RFC 2637 §4.1).
pub const PROTOCOL_PPP: u16 = 0x880B;
/// Length of the header without sequence and acknowledgment numbers.
pub const BASE_LEN: usize = 8;
/// Longest header: sequence and acknowledgment numbers both present.
pub const MAX_LEN: usize = 16;

const FLAG_C: u8 = 0x80;
const FLAG_R: u8 = 0x40;
const FLAG_K: u8 = 0x20;
const FLAG_S: u8 = 0x10;
const FLAG_STRICT_ROUTE: u8 = 0x08;
const RECUR_MASK: u8 = 0x07;
const FLAG_A: u8 = 0x80;
const FLAGS_RESERVED: u8 = 0x78;
const VERSION_MASK: u8 = 0x07;
const VERSION_ENHANCED: u8 = 1;

/// A parsed enhanced GRE header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GreHeader {
    /// The call ID of the receiving end (Key low word).
    pub call_id: u16,
    /// Length of the PPP payload that follows the header (Key high word).
    pub payload_len: u16,
    /// Sequence number of this payload, present when a payload is carried.
    pub seq: Option<u32>,
    /// Highest sequence number received from the peer, when acknowledging.
    pub ack: Option<u32>,
}

impl GreHeader {
    /// Parses the header at the start of `buf` (the IPv4 header already removed) and returns
    /// it with the payload. Extra bytes after `payload_len` are ignored, as link-layer
    /// padding; a payload shorter than `payload_len` is [`Error::Truncated`].
    pub fn parse(buf: &[u8]) -> Result<(GreHeader, &[u8]), Error> {
        check_len(buf, BASE_LEN)?;
        let (b0, b1) = (buf[0], buf[1]);
        if b1 & VERSION_MASK != VERSION_ENHANCED {
            return Err(Error::BadGreHeader("version is not 1"));
        }
        if b0 & (FLAG_C | FLAG_R | FLAG_STRICT_ROUTE | RECUR_MASK) != 0 || b1 & FLAGS_RESERVED != 0
        {
            return Err(Error::BadGreHeader("reserved flag set"));
        }
        if b0 & FLAG_K == 0 {
            return Err(Error::BadGreHeader("key flag clear"));
        }
        if be16(buf, 2) != PROTOCOL_PPP {
            return Err(Error::BadGreHeader("protocol is not ppp"));
        }
        let has_seq = b0 & FLAG_S != 0;
        let has_ack = b1 & FLAG_A != 0;
        let header_len = BASE_LEN + 4 * (has_seq as usize + has_ack as usize);
        check_len(buf, header_len)?;
        let seq = has_seq.then(|| be32(buf, BASE_LEN));
        let ack = has_ack.then(|| be32(buf, header_len - 4));
        let header = GreHeader {
            call_id: be16(buf, 6),
            payload_len: be16(buf, 4),
            seq,
            ack,
        };
        let end = header_len + header.payload_len as usize;
        check_len(buf, end)?;
        Ok((header, &buf[header_len..end]))
    }

    /// Bytes this header takes on the wire.
    pub fn header_len(&self) -> usize {
        BASE_LEN + 4 * (self.seq.is_some() as usize + self.ack.is_some() as usize)
    }

    /// Writes the header to the start of `buf` and returns its length.
    ///
    /// # Panics
    /// If `buf` is shorter than [`header_len`](Self::header_len): a caller's bug, since the
    /// caller sizes its own buffers.
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        let len = self.header_len();
        let buf = &mut buf[..len];
        buf[0] = FLAG_K | if self.seq.is_some() { FLAG_S } else { 0 };
        buf[1] = VERSION_ENHANCED | if self.ack.is_some() { FLAG_A } else { 0 };
        buf[2..4].copy_from_slice(&PROTOCOL_PPP.to_be_bytes());
        buf[4..6].copy_from_slice(&self.payload_len.to_be_bytes());
        buf[6..8].copy_from_slice(&self.call_id.to_be_bytes());
        let mut at = BASE_LEN;
        for word in [self.seq, self.ack].into_iter().flatten() {
            buf[at..at + 4].copy_from_slice(&word.to_be_bytes());
            at += 4;
        }
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // S and A set: call 0x1234, 3-byte payload, seq 7, ack 5.
    static DATA_WITH_ACK: [u8; 19] = [
        0x30, 0x81, // K S | A ver 1
        0x88, 0x0b, // protocol PPP
        0x00, 0x03, // payload length
        0x12, 0x34, // call id
        0x00, 0x00, 0x00, 0x07, // seq
        0x00, 0x00, 0x00, 0x05, // ack
        0xff, 0x03, 0xc0, // payload
    ];

    // Ack-only: S clear, A set, ack at offset 8.
    static ACK_ONLY: [u8; 12] = [
        0x20, 0x81, 0x88, 0x0b, 0x00, 0x00, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xfe,
    ];

    #[test]
    fn parses_data_with_ack() {
        let (h, payload) = GreHeader::parse(&DATA_WITH_ACK).unwrap();
        assert_eq!(
            h,
            GreHeader {
                call_id: 0x1234,
                payload_len: 3,
                seq: Some(7),
                ack: Some(5)
            }
        );
        assert_eq!(payload, &[0xff, 0x03, 0xc0]);
        assert_eq!(h.header_len(), 16);
    }

    #[test]
    fn parses_ack_only() {
        let (h, payload) = GreHeader::parse(&ACK_ONLY).unwrap();
        assert_eq!(h.seq, None);
        assert_eq!(h.ack, Some(0xffff_fffe));
        assert_eq!(h.call_id, 0xbeef);
        assert!(payload.is_empty());
    }

    #[test]
    fn emit_round_trips() {
        for h in [
            GreHeader::parse(&DATA_WITH_ACK).unwrap().0,
            GreHeader::parse(&ACK_ONLY).unwrap().0,
            GreHeader {
                call_id: 1,
                payload_len: 0,
                seq: Some(0),
                ack: None,
            },
        ] {
            let mut buf = [0u8; MAX_LEN + 8];
            let n = h.emit(&mut buf);
            assert_eq!(n, h.header_len());
            let (back, _) = GreHeader::parse(&buf[..n + h.payload_len as usize]).unwrap();
            assert_eq!(back, h);
        }
        let mut buf = [0u8; 16];
        GreHeader::parse(&DATA_WITH_ACK).unwrap().0.emit(&mut buf);
        assert_eq!(buf, DATA_WITH_ACK[..16]);
    }

    #[test]
    fn ignores_trailing_padding() {
        let mut padded = DATA_WITH_ACK.to_vec();
        padded.extend_from_slice(&[0; 5]);
        let (_, payload) = GreHeader::parse(&padded).unwrap();
        assert_eq!(payload.len(), 3);
    }

    #[test]
    fn rejects_each_bad_field() {
        let bad = |at: usize, value: u8| {
            let mut p = DATA_WITH_ACK;
            p[at] = value;
            GreHeader::parse(&p).unwrap_err()
        };
        assert_eq!(bad(1, 0x80), Error::BadGreHeader("version is not 1"));
        assert_eq!(bad(0, 0xb0), Error::BadGreHeader("reserved flag set")); // C
        assert_eq!(bad(0, 0x70), Error::BadGreHeader("reserved flag set")); // R
        assert_eq!(bad(0, 0x38), Error::BadGreHeader("reserved flag set")); // s
        assert_eq!(bad(0, 0x31), Error::BadGreHeader("reserved flag set")); // recur
        assert_eq!(bad(1, 0x89), Error::BadGreHeader("reserved flag set"));
        assert_eq!(bad(0, 0x10), Error::BadGreHeader("key flag clear"));
        assert_eq!(bad(2, 0x08), Error::BadGreHeader("protocol is not ppp"));
    }

    #[test]
    fn payload_length_beyond_buffer_is_truncated() {
        let mut p = DATA_WITH_ACK;
        p[5] = 4;
        assert_eq!(
            GreHeader::parse(&p),
            Err(Error::Truncated { need: 20, have: 19 })
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        for packet in [&DATA_WITH_ACK[..], &ACK_ONLY[..]] {
            for len in 0..packet.len() {
                assert!(matches!(
                    GreHeader::parse(&packet[..len]),
                    Err(Error::Truncated { .. })
                ));
            }
        }
    }

    #[test]
    fn every_single_byte_corruption_is_handled() {
        for at in 0..DATA_WITH_ACK.len() {
            for value in 0..=255u8 {
                let mut p = DATA_WITH_ACK;
                p[at] = value;
                let _ = GreHeader::parse(&p);
            }
        }
    }
}
