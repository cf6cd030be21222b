//! Which datagrams bcrelay relays, and how each copy is rewritten: poptop's rules
//! (bcrelay.c, main loop), pure so that they can be tested byte by byte.
//!
//! Relayed: UDP, to an address ending in .255 (a subnet or the limited broadcast), with a
//! TTL other than 1 and a UDP checksum other than 0. Each copy leaves with TTL 1 and no
//! UDP checksum, so no bcrelay (this one included) ever relays a copy again: that, and
//! never sending a datagram back out of the interface it came in on, is what keeps
//! relaying loop-free.

use std::net::Ipv4Addr;

use crate::wire::ipv4::Ipv4Datagram;

const UDP: u8 = 17;
const UDP_HEADER_LEN: usize = 8;

/// One interface bcrelay relays between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// What kind of link.
    pub link: Link,
}

/// The two kinds of link bcrelay knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A broadcast LAN, with its subnet's broadcast address.
    Lan {
        /// e.g. 192.0.2.255.
        broadcast: Ipv4Addr,
    },
    /// A point-to-point link (a tunnel's ppp), with the address of its far end.
    Ppp {
        /// The client's tunnel address.
        peer: Ipv4Addr,
    },
}

impl Port {
    /// Where a copy sent out of this port goes: the LAN's broadcast address, or the limited
    /// broadcast on a ppp link (a point-to-point link has no subnet broadcast of its own).
    pub fn broadcast(&self) -> Ipv4Addr {
        match self.link {
            Link::Lan { broadcast } => broadcast,
            Link::Ppp { .. } => Ipv4Addr::BROADCAST,
        }
    }
}

/// Why a datagram is not relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not a whole IPv4 datagram.
    Malformed,
    /// Not UDP, or too short for its header.
    NotUdp,
    /// Not to a broadcast address.
    NotBroadcast,
    /// TTL 1 or no UDP checksum: a copy some bcrelay sent already.
    Relayed,
}

/// The datagram's length (its Total Length: a LAN frame may carry padding after it) if
/// it is to be relayed.
pub fn relayable(packet: &[u8]) -> Result<usize, Skip> {
    let d = Ipv4Datagram::parse(packet).map_err(|_| Skip::Malformed)?;
    if d.protocol != UDP || d.payload.len() < UDP_HEADER_LEN {
        return Err(Skip::NotUdp);
    }
    if d.dst.octets()[3] != 255 {
        return Err(Skip::NotBroadcast);
    }
    let ttl = packet[8];
    let udp_checksum = [d.payload[6], d.payload[7]];
    if ttl == 1 || udp_checksum == [0, 0] {
        return Err(Skip::Relayed);
    }
    Ok(header_len(packet) + d.payload.len())
}

fn header_len(packet: &[u8]) -> usize {
    usize::from(packet[0] & 0x0f) * 4
}

/// Rewrites a relayable datagram (`relayable` said yes, `packet` cut to its length) for
/// the copy that leaves through `to`, having come in through `from`.
///
/// Deliberate differences from poptop: the destination is `to`'s own broadcast address
/// for every copy (poptop rewrote once, for the first interface, and sent that to all),
/// and the IPv4 checksum is recomputed for each copy.
pub fn rewrite(packet: &mut [u8], from: &Port, to: &Port) {
    let header = header_len(packet);
    packet[8] = 1; // TTL: never relayed again
    packet[16..20].copy_from_slice(&to.broadcast().octets());
    // Some Windows clients send from an address other than their tunnel address; the LAN
    // would answer a host it cannot reach (poptop: "on some winXP boxes").
    if let Link::Ppp { peer } = from.link {
        packet[12..16].copy_from_slice(&peer.octets());
    }
    // The UDP checksum covers the addresses just changed: 0 says "none" (RFC 768).
    packet[header + 6] = 0;
    packet[header + 7] = 0;
    packet[10] = 0;
    packet[11] = 0;
    let sum = checksum(&packet[..header]);
    packet[10..12].copy_from_slice(&sum.to_be_bytes());
}

/// The Internet checksum (RFC 1071) of an IPv4 header.
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 192.0.2.20:137 -> 192.0.2.255:137, TTL 64, UDP checksum 0x1234, 4 bytes of data,
    /// then 2 bytes of Ethernet padding.
    fn datagram() -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 32, 0x12, 0x34, 0, 0, 64, UDP, 0, 0, 192, 0, 2, 20, 192, 0, 2, 255, 0, 137,
            0, 137, 0, 12, 0x12, 0x34, b'd', b'a', b't', b'a', 0, 0,
        ];
        let sum = checksum(&p[..20]);
        p[10..12].copy_from_slice(&sum.to_be_bytes());
        p
    }

    fn lan() -> Port {
        Port {
            index: 2,
            name: "eth1".into(),
            link: Link::Lan {
                broadcast: Ipv4Addr::new(192, 0, 2, 255),
            },
        }
    }

    fn ppp(index: u32, peer: [u8; 4]) -> Port {
        Port {
            index,
            name: format!("ppp{index}"),
            link: Link::Ppp { peer: peer.into() },
        }
    }

    #[test]
    fn a_lan_broadcast_is_relayed_to_a_tunnel_without_its_padding() {
        let mut p = datagram();
        assert_eq!(relayable(&p), Ok(32));
        p.truncate(32);
        rewrite(&mut p, &lan(), &ppp(5, [203, 0, 113, 10]));
        assert_eq!(p[8], 1, "TTL");
        assert_eq!(&p[12..16], &[192, 0, 2, 20], "source kept from a LAN");
        assert_eq!(
            &p[16..20],
            &[255, 255, 255, 255],
            "limited broadcast on ppp"
        );
        assert_eq!(&p[26..28], &[0, 0], "UDP checksum off");
        assert_eq!(checksum(&p[..20]), 0, "IPv4 checksum valid");
        assert_eq!(&p[28..32], b"data");
    }

    #[test]
    fn a_tunnel_broadcast_reaches_the_lan_from_the_tunnel_address() {
        let mut p = datagram();
        p[12..16].copy_from_slice(&[10, 9, 9, 9]); // not the client's tunnel address
        p[16..20].copy_from_slice(&[203, 0, 113, 255]);
        p.truncate(32);
        assert_eq!(relayable(&p), Ok(32));
        rewrite(&mut p, &ppp(5, [203, 0, 113, 10]), &lan());
        assert_eq!(&p[12..16], &[203, 0, 113, 10]);
        assert_eq!(&p[16..20], &[192, 0, 2, 255]);
        assert_eq!(checksum(&p[..20]), 0);
    }

    #[test]
    fn a_copy_is_never_relayed_again() {
        let mut p = datagram();
        p.truncate(32);
        rewrite(&mut p, &lan(), &ppp(5, [203, 0, 113, 10]));
        assert_eq!(relayable(&p), Err(Skip::Relayed));
        // Either mark alone is enough.
        let mut ttl_only = datagram();
        ttl_only[8] = 1;
        assert_eq!(relayable(&ttl_only), Err(Skip::Relayed));
        let mut no_checksum = datagram();
        no_checksum[26..28].copy_from_slice(&[0, 0]);
        assert_eq!(relayable(&no_checksum), Err(Skip::Relayed));
    }

    #[test]
    fn what_is_not_relayed() {
        let mut unicast = datagram();
        unicast[19] = 7;
        assert_eq!(relayable(&unicast), Err(Skip::NotBroadcast));
        let mut tcp = datagram();
        tcp[9] = 6;
        assert_eq!(relayable(&tcp), Err(Skip::NotUdp));
        let mut short_udp = datagram();
        short_udp[3] = 24; // total length leaves 4 bytes of UDP
        assert_eq!(relayable(&short_udp), Err(Skip::NotUdp));
        assert_eq!(relayable(&datagram()[..10]), Err(Skip::Malformed));
        let mut lying = datagram();
        lying[3] = 200;
        assert_eq!(relayable(&lying), Err(Skip::Malformed));
        assert_eq!(relayable(&[]), Err(Skip::Malformed));
    }

    #[test]
    fn header_options_are_kept_and_the_udp_checksum_found_after_them() {
        let base = datagram();
        let mut p = vec![0x46];
        p.extend_from_slice(&base[1..20]);
        p.extend_from_slice(&[1, 1, 1, 0]); // NOP NOP NOP EOL
        p.extend_from_slice(&base[20..32]);
        p[3] = 36;
        assert_eq!(relayable(&p), Ok(36));
        rewrite(&mut p, &lan(), &ppp(5, [203, 0, 113, 10]));
        assert_eq!(&p[30..32], &[0, 0]);
        assert_eq!(checksum(&p[..24]), 0);
    }
}
