//! The IPv4 header that a raw socket hands back in front of every received GRE packet.
//!
//! Only what the data path needs: the source address (to tell peers apart) and the payload,
//! cut at the header's Total Length. pptp-linux and poptop compare the GRE payload length
//! against the whole datagram including the IPv4 header, so a short packet could hand pppd
//! up to 20 stale bytes (reference-behaviour.md §1.14); trimming here fixes that.

use std::net::Ipv4Addr;

use super::{Error, be16, check_len};

/// IP protocol number of GRE.
pub const PROTOCOL_GRE: u8 = 47;
const MIN_HEADER_LEN: usize = 20;

/// The fields of a received IPv4 datagram that the GRE path uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Datagram<'a> {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol number (47 for GRE).
    pub protocol: u8,
    /// The bytes after the header (options skipped), up to Total Length.
    pub payload: &'a [u8],
}

impl<'a> Ipv4Datagram<'a> {
    /// Parses a datagram as read from a raw IPv4 socket.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        check_len(buf, MIN_HEADER_LEN)?;
        if buf[0] >> 4 != 4 {
            return Err(Error::BadIpv4Header);
        }
        let header_len = usize::from(buf[0] & 0x0f) * 4;
        let total_len = usize::from(be16(buf, 2));
        if header_len < MIN_HEADER_LEN || total_len < header_len {
            return Err(Error::BadIpv4Header);
        }
        check_len(buf, total_len)?;
        let addr = |at: usize| Ipv4Addr::new(buf[at], buf[at + 1], buf[at + 2], buf[at + 3]);
        Ok(Ipv4Datagram {
            src: addr(12),
            dst: addr(16),
            protocol: buf[9],
            payload: &buf[header_len..total_len],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 20-byte header, total length 24, GRE, 198.51.100.1 -> 198.51.100.11, then 4 bytes
    // of payload and 2 bytes the datagram does not own.
    static DATAGRAM: [u8; 26] = [
        0x45, 0x00, 0x00, 0x18, 0x00, 0x00, 0x40, 0x00, 0x40, 0x2f, 0x00, 0x00, 198, 51, 100, 1,
        198, 51, 100, 11, 0xde, 0xad, 0xbe, 0xef, 0x99, 0x99,
    ];

    #[test]
    fn parses_and_trims_to_total_length() {
        let d = Ipv4Datagram::parse(&DATAGRAM).unwrap();
        assert_eq!(d.src, Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(d.dst, Ipv4Addr::new(198, 51, 100, 11));
        assert_eq!(d.protocol, PROTOCOL_GRE);
        assert_eq!(d.payload, &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn skips_options() {
        let mut p = DATAGRAM.to_vec();
        p[0] = 0x46; // 24-byte header
        let d = Ipv4Datagram::parse(&p).unwrap();
        assert_eq!(d.payload, &[]);
    }

    #[test]
    fn rejects_bad_headers() {
        let bad = |at: usize, value: u8| {
            let mut p = DATAGRAM;
            p[at] = value;
            Ipv4Datagram::parse(&p).map(|d| d.payload.len())
        };
        assert_eq!(bad(0, 0x65), Err(Error::BadIpv4Header)); // version 6
        assert_eq!(bad(0, 0x44), Err(Error::BadIpv4Header)); // IHL 4
        assert_eq!(bad(3, 0x10), Err(Error::BadIpv4Header)); // total < header
        assert_eq!(bad(3, 0x30), Err(Error::Truncated { need: 48, have: 26 }));
    }

    #[test]
    fn every_truncation_is_an_error() {
        for len in 0..24 {
            assert!(Ipv4Datagram::parse(&DATAGRAM[..len]).is_err());
        }
    }
}
