//! PPP frame headers, for `--sync` framing toward pppd.
//!
//! With `sync`, pppd writes each frame to its pty without flags, escapes or FCS, and the
//! pty joins them into one byte stream: frame boundaries survive only where a frame says
//! how long it is. pptp-linux assumes every frame is `FF 03 <proto16> x x <len16>`, which
//! holds for LCP and IPv4 but cuts IPv6, compressed headers and MPPE wrongly. Here each
//! protocol's own length field is used, and a frame whose length cannot be known is
//! reported as such rather than guessed.
//!
//! MPPE (protocol 0x00FD, RFC 3078) carries ciphertext with no length field, so encrypted
//! frames can never be delimited on a sync pty; [`is_mppe_ack`] lets the caller stop with a
//! clear error as soon as CCP agrees on MPPE.

use super::frames::FrameBuf;

/// What the start of a buffer says about the frame there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncFrameLen {
    /// The frame is this many bytes long (it may not all be in the buffer yet).
    Known(usize),
    /// More bytes are needed to tell.
    NeedMore,
    /// This protocol carries no length: frame boundaries are lost.
    Unknown(u16),
}

/// PPP protocol numbers used here (RFC 1661 and the IANA registry).
pub mod protocol {
    /// IPv4.
    pub const IPV4: u16 = 0x0021;
    /// Van Jacobson uncompressed TCP/IP: an IPv4 header with the protocol byte replaced.
    pub const VJ_UNCOMPRESSED: u16 = 0x002f;
    /// IPv6.
    pub const IPV6: u16 = 0x0057;
    /// Compressed datagram (MPPE/MPPC, RFC 3078; any CCP-negotiated compression).
    pub const COMPRESSED: u16 = 0x00fd;
    /// IP Control Protocol.
    pub const IPCP: u16 = 0x8021;
    /// Encryption Control Protocol.
    pub const ECP: u16 = 0x8053;
    /// IPv6 Control Protocol.
    pub const IPV6CP: u16 = 0x8057;
    /// Compression Control Protocol.
    pub const CCP: u16 = 0x80fd;
    /// Link Control Protocol.
    pub const LCP: u16 = 0xc021;
    /// Password Authentication Protocol.
    pub const PAP: u16 = 0xc023;
    /// Challenge Handshake Authentication Protocol (MS-CHAPv2 included).
    pub const CHAP: u16 = 0xc223;
    /// Extensible Authentication Protocol.
    pub const EAP: u16 = 0xc227;
}

/// CCP option type of MPPE (RFC 3078 §2.1).
const CCP_OPTION_MPPE: u8 = 18;
const CONFIGURE_ACK: u8 = 2;

/// Splits off the address/control field (absent with ACFC) and the protocol field (one
/// byte with PFC: RFC 1661 §6.5, an odd first byte). Returns (protocol, header length).
pub fn header(buf: &[u8]) -> Option<(u16, usize)> {
    if buf == [0xff] {
        return None; // the address field may be half-read
    }
    let skip = if buf.starts_with(&[0xff, 0x03]) { 2 } else { 0 };
    let first = *buf.get(skip)?;
    if first & 1 == 1 {
        return Some((u16::from(first), skip + 1));
    }
    let second = *buf.get(skip + 1)?;
    Some((u16::from_be_bytes([first, second]), skip + 2))
}

/// How long the frame at the start of `buf` is.
pub fn sync_frame_len(buf: &[u8]) -> SyncFrameLen {
    let Some((proto, hdr)) = header(buf) else {
        return SyncFrameLen::NeedMore;
    };
    let payload = &buf[hdr..];
    let field = |at: usize| -> Option<usize> {
        payload
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let len = match proto {
        // Control protocols: code, identifier, length of the whole packet (RFC 1661 §5).
        protocol::LCP
        | protocol::PAP
        | protocol::CHAP
        | protocol::EAP
        | protocol::IPCP
        | protocol::IPV6CP
        | protocol::CCP
        | protocol::ECP => field(2),
        // IPv4 total length, also in a VJ-uncompressed header (RFC 1144 §3.2.5).
        protocol::IPV4 | protocol::VJ_UNCOMPRESSED => field(2),
        // IPv6: fixed 40-byte header plus the payload length.
        protocol::IPV6 => field(4).map(|n| n + 40),
        other => return SyncFrameLen::Unknown(other),
    };
    match len {
        // A length shorter than its own header cannot be right; say so rather than loop.
        Some(n) if n < 4 => SyncFrameLen::Unknown(proto),
        Some(n) => SyncFrameLen::Known(hdr + n),
        None => SyncFrameLen::NeedMore,
    }
}

/// True for a CCP Configure-Ack that agrees on MPPE: from then on frames are encrypted.
pub fn is_mppe_ack(frame: &[u8]) -> bool {
    mppe_ack_bits(frame).is_some()
}

/// The Supported Bits of the MPPE option in a CCP Configure-Ack (RFC 3078 §2.1), or
/// `Some(0)` for an MPPE option too short to carry them; None for any other frame.
pub fn mppe_ack_bits(frame: &[u8]) -> Option<u32> {
    let Some((protocol::CCP, hdr)) = header(frame) else {
        return None;
    };
    let packet = &frame[hdr..];
    if packet.len() < 4 || packet[0] != CONFIGURE_ACK {
        return None;
    }
    let end = usize::from(u16::from_be_bytes([packet[2], packet[3]])).min(packet.len());
    let mut options = packet.get(4..end).unwrap_or(&[]);
    while let [kind, len, ..] = *options {
        if kind == CCP_OPTION_MPPE {
            let bits = options
                .get(2..6)
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            return Some(bits);
        }
        let len = usize::from(len).max(2);
        options = options.get(len..).unwrap_or(&[]);
    }
    None
}

/// MPPE's Supported Bits in words, as pppd logs them: "MPPE-128 stateless" (RFC 3078
/// §2.1: H stateless, S 128-bit, M 56-bit, L 40-bit).
pub fn mppe_description(bits: u32) -> String {
    const H: u32 = 0x0100_0000;
    const M: u32 = 0x0000_0080;
    const S: u32 = 0x0000_0040;
    const L: u32 = 0x0000_0020;
    let strength = if bits & S != 0 {
        "MPPE-128"
    } else if bits & M != 0 {
        "MPPE-56"
    } else if bits & L != 0 {
        "MPPE-40"
    } else {
        "MPPE"
    };
    let mode = if bits & H != 0 {
        "stateless"
    } else {
        "stateful"
    };
    format!("{strength} {mode}")
}

/// Why bytes from a sync pty were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncError {
    /// A frame of this protocol carries no length, so where it ends is unknown: the rest of
    /// the bytes read are dropped. `head` holds the frame's first bytes, for diagnosis.
    UnknownLength {
        /// The protocol field as read.
        protocol: u16,
        /// The first bytes of the frame (zero-padded).
        head: [u8; 8],
    },
    /// A frame claims more than [`MAX_FRAME_LEN`](crate::wire::hdlc::MAX_FRAME_LEN) bytes.
    TooLong(usize),
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncError::UnknownLength { protocol, head } => write!(
                f,
                "sync frame of protocol={protocol:#06x} has no length field; its end is unknown (head={})",
                head.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
            SyncError::TooLong(n) => write!(f, "sync frame too long: len={n}"),
        }
    }
}

/// Cuts the byte stream of a sync pty back into frames. A frame split across reads waits
/// for the rest (pptp-linux drops it). As [`AsyncDecoder`](super::hdlc::AsyncDecoder), it
/// keeps what it found in a [`FrameBuf`] until the caller consumes it.
#[derive(Debug, Default)]
pub struct SyncDeframer {
    frames: FrameBuf<SyncError>,
}

impl SyncDeframer {
    /// A deframer with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; calls `sink` once per whole frame, in order, or with why bytes were
    /// dropped. Memory stays below one maximal frame plus one read.
    pub fn push(&mut self, input: &[u8], mut sink: impl FnMut(Result<&[u8], SyncError>)) {
        self.decode(input);
        for entry in self.frames.iter() {
            sink(entry.map_err(|e| *e));
        }
        self.frames.consume();
    }

    /// What was cut since the last [`consume`](Self::consume), in stream order.
    pub fn frames(&self) -> &FrameBuf<SyncError> {
        &self.frames
    }

    /// Forgets the frames found so far (a frame still incomplete is kept).
    pub fn consume(&mut self) {
        self.frames.consume();
    }

    /// Feeds bytes; the whole frames they complete are added to [`frames`](Self::frames).
    pub fn decode(&mut self, input: &[u8]) {
        self.frames.extend(input);
        while self.frames.open_len() > 0 {
            let pending = self.frames.open_frame();
            match sync_frame_len(pending) {
                SyncFrameLen::Known(n) if n > crate::wire::hdlc::MAX_FRAME_LEN => {
                    self.frames.drop_frame(Some(SyncError::TooLong(n)));
                }
                SyncFrameLen::Known(n) if n <= pending.len() => self.frames.split_frame(n),
                SyncFrameLen::Known(_) | SyncFrameLen::NeedMore => break,
                SyncFrameLen::Unknown(protocol) => {
                    let mut head = [0u8; 8];
                    let n = pending.len().min(8);
                    head[..n].copy_from_slice(&pending[..n]);
                    self.frames
                        .drop_frame(Some(SyncError::UnknownLength { protocol, head }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deframe(d: &mut SyncDeframer, input: &[u8]) -> Vec<Result<Vec<u8>, SyncError>> {
        let mut out = Vec::new();
        d.push(input, |f| out.push(f.map(<[u8]>::to_vec)));
        out
    }

    #[test]
    fn deframer_splits_joined_frames_and_waits_for_split_ones() {
        let mut d = SyncDeframer::new();
        let two = [&LCP[..], &LCP[..]].concat();
        assert_eq!(deframe(&mut d, &two), [Ok(LCP.to_vec()), Ok(LCP.to_vec())]);
        for cut in 1..LCP.len() {
            assert!(deframe(&mut d, &LCP[..cut]).is_empty());
            assert_eq!(deframe(&mut d, &LCP[cut..]), [Ok(LCP.to_vec())]);
        }
    }

    #[test]
    fn deframer_drops_what_it_cannot_delimit() {
        let mut d = SyncDeframer::new();
        let input = [&LCP[..], &[0xff, 0x03, 0x00, 0xfd, 9, 9, 9][..]].concat();
        assert_eq!(
            deframe(&mut d, &input),
            [
                Ok(LCP.to_vec()),
                Err(SyncError::UnknownLength {
                    protocol: 0x00fd,
                    head: [0xff, 0x03, 0x00, 0xfd, 9, 9, 9, 0]
                })
            ]
        );
        assert_eq!(
            deframe(&mut d, &LCP),
            [Ok(LCP.to_vec())],
            "the next read starts afresh"
        );
        let huge = [0xff, 0x03, 0xc0, 0x21, 1, 1, 0xff, 0xff];
        assert_eq!(
            deframe(&mut d, &huge),
            [Err(SyncError::TooLong(0xffff + 4))]
        );
        assert_eq!(d.frames.open_len(), 0);
    }

    // LCP Configure-Request id 1, length 8: one option, MRU (type 1, length 4) of 1500.
    const LCP: [u8; 12] = [
        0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x08, 0x01, 0x04, 0x05, 0xdc,
    ];

    #[test]
    fn control_protocol_length() {
        assert_eq!(sync_frame_len(&LCP), SyncFrameLen::Known(12));
        assert_eq!(sync_frame_len(&LCP[..6]), SyncFrameLen::NeedMore);
        // ACFC: no FF 03.
        assert_eq!(sync_frame_len(&LCP[2..]), SyncFrameLen::Known(10));
    }

    #[test]
    fn ipv4_and_pfc() {
        let mut ip = vec![0xff, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00, 0x1c];
        ip.resize(4 + 28, 0);
        assert_eq!(sync_frame_len(&ip), SyncFrameLen::Known(32));
        // PFC: one-byte protocol 0x21.
        let pfc: Vec<u8> = [&[0x21u8][..], &ip[4..]].concat();
        assert_eq!(sync_frame_len(&pfc), SyncFrameLen::Known(29));
    }

    #[test]
    fn ipv6_length_is_header_plus_payload() {
        let mut ip6 = vec![0xff, 0x03, 0x00, 0x57, 0x60, 0, 0, 0, 0x00, 0x08];
        ip6.resize(4 + 48, 0);
        assert_eq!(sync_frame_len(&ip6), SyncFrameLen::Known(52));
    }

    #[test]
    fn mppe_and_unknown_protocols_have_no_length() {
        assert_eq!(
            sync_frame_len(&[0xff, 0x03, 0x00, 0xfd, 0x90, 0x01]),
            SyncFrameLen::Unknown(0x00fd)
        );
        assert_eq!(
            sync_frame_len(&[0x00, 0x3d, 1, 2, 3, 4]),
            SyncFrameLen::Unknown(0x003d)
        );
        assert_eq!(
            sync_frame_len(&[0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 2]),
            SyncFrameLen::Unknown(0xc021)
        );
    }

    #[test]
    fn spots_the_ccp_ack_that_enables_mppe() {
        // CCP Configure-Ack id 1 len 10, option 18 len 6 (MPPE, 128-bit stateless).
        let ack = [
            0xff, 0x03, 0x80, 0xfd, 0x02, 0x01, 0x00, 0x0a, 0x12, 0x06, 0x01, 0x00, 0x00, 0x40,
        ];
        assert!(is_mppe_ack(&ack));
        let mut request = ack;
        request[4] = 0x01;
        assert!(!is_mppe_ack(&request), "only an ack means agreed");
        let mut deflate = ack;
        deflate[8] = 26;
        assert!(!is_mppe_ack(&deflate));
        assert!(!is_mppe_ack(&LCP));
    }

    #[test]
    fn never_panics() {
        for len in 0..LCP.len() {
            let _ = sync_frame_len(&LCP[..len]);
            let _ = is_mppe_ack(&LCP[..len]);
        }
        for b in 0..=255u8 {
            let _ = sync_frame_len(&[b]);
            let _ = is_mppe_ack(&[0xff, 0x03, 0x80, 0xfd, 2, 1, 0, 255, 18, b]);
            let _ = is_mppe_ack(&[0x80, 0xfd, 2, 1, 0, 6, b, 0]);
        }
    }
}
