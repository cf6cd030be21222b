//! Received GRE, from the raw socket to (peer, header, payload), for both programs.
//!
//! The socket is drained in batches until it has nothing more; each datagram is checked
//! (IPv4, protocol 47, PPTP's enhanced GRE) and handed on, or counted and dropped. ICMP
//! errors for what we sent (reported on the socket) are counted by kind and said once per
//! peer and kind, with what they mean; they are never fatal (pptp-linux ended the tunnel).

use std::collections::{BTreeMap, HashSet};
use std::io::ErrorKind;
use std::net::Ipv4Addr;

use crate::sys::gre_socket::{GreSocket, IcmpReport, RecvBatch};
use crate::wire::gre::{self, GreHeader};
use crate::wire::hdlc;
use crate::wire::ipv4::{Ipv4Datagram, PROTOCOL_GRE};

/// The largest datagram we read: an IPv4 header with options, the longest GRE header and a
/// maximal frame.
pub const DATAGRAM_MAX: usize = 60 + gre::MAX_LEN + hdlc::MAX_FRAME_LEN;
/// Datagrams taken from the socket per system call.
pub const RECV_BATCH: usize = 32;
/// Receive errors in a row after which a drain stops (an error that does not clear would
/// otherwise spin the loop).
const ERRORS_IN_A_ROW: u32 = 64;

/// One GRE packet of a call.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The sender's address.
    pub src: Ipv4Addr,
    /// Its GRE header.
    pub header: GreHeader,
    /// The PPP frame it carries (empty for an acknowledgment).
    pub payload: &'a [u8],
}

/// Counters of what a GRE socket received but no call took.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RxCounters {
    /// Datagrams that were not IPv4 GRE in PPTP's form.
    pub invalid: u64,
    /// GRE from an address that is not a peer.
    pub wrong_peer: u64,
    /// GRE for a Call ID that is not ours (or no live call).
    pub unknown_call: u64,
    /// Receive errors: ICMP reports for our own sends, counted and ignored.
    pub errors: u64,
    /// ICMP errors for our GRE, by kind ([`icmp_kind`]).
    pub icmp: BTreeMap<&'static str, u64>,
    /// (peer, kind) pairs already said in the log (bounded).
    said: HashSet<(Option<Ipv4Addr>, &'static str)>,
}

/// How many (peer, kind) pairs are remembered as said; beyond, new ones are counted only.
const SAID_LIMIT: usize = 256;

/// A short name for the kind of an ICMP report, for counters.
pub fn icmp_kind(r: &IcmpReport) -> &'static str {
    match r.icmp {
        Some((3, 2 | 3)) => "unreachable_protocol",
        Some((3, 4)) => "fragmentation_needed",
        Some((3, 9 | 10 | 13)) => "administratively_prohibited",
        Some((3, _)) => "unreachable",
        Some((11, _)) => "time_exceeded",
        Some(_) => "other",
        None if r.errno == libc::EMSGSIZE => "fragmentation_needed",
        None => "local",
    }
}

/// What an ICMP report means for the tunnel, and what to do about it.
pub fn icmp_meaning(r: &IcmpReport) -> String {
    let peer = r.peer.map_or("the peer".to_owned(), |p| p.to_string());
    match icmp_kind(r) {
        "unreachable_protocol" => format!(
            "{peer} answers our GRE with ICMP protocol-unreachable: GRE (IP protocol 47) is refused there; check its firewall, and that the PPTP program there (server or client) still runs the call"
        ),
        "fragmentation_needed" => {
            let mtu = r.info;
            let fit = mtu.saturating_sub(40);
            format!(
                "the path to {peer} takes packets of at most {mtu} bytes and our GRE was larger (fragmentation needed): give pppd 'mtu {fit}' and 'mru {fit}' in its options"
            )
        }
        "administratively_prohibited" => format!(
            "a firewall on the way to {peer} rejects our GRE (ICMP administratively prohibited): let IP protocol 47 through"
        ),
        "unreachable" => format!(
            "{peer} is unreachable for GRE (ICMP destination unreachable); check the routes to it"
        ),
        "time_exceeded" => format!(
            "GRE to {peer} runs out of hops (ICMP time exceeded): a routing loop on the way?"
        ),
        _ => format!(
            "sending GRE to {peer} failed: {}",
            std::io::Error::from_raw_os_error(r.errno)
        ),
    }
}

impl RxCounters {
    /// Counts an ICMP report, and says what it means the first time for its peer and kind.
    pub fn icmp_report(&mut self, r: &IcmpReport) {
        let kind = icmp_kind(r);
        *self.icmp.entry(kind).or_default() += 1;
        let key = (r.peer, kind);
        if self.said.len() < SAID_LIMIT && self.said.insert(key) {
            log::warn!("gre: {}", icmp_meaning(r));
        }
    }
}

/// Room for one batch of datagrams.
pub fn new_batch() -> RecvBatch {
    RecvBatch::new(RECV_BATCH, DATAGRAM_MAX)
}

/// Takes every datagram waiting on `socket` and passes each GRE packet to `on_packet`,
/// with the counters for it to count a packet no call takes; what is not GRE in PPTP's
/// form is counted here.
pub fn drain(
    socket: &GreSocket,
    batch: &mut RecvBatch,
    counters: &mut RxCounters,
    mut on_packet: impl FnMut(Received<'_>, &mut RxCounters),
) {
    let mut errors = 0;
    loop {
        match socket.recv_batch(batch) {
            Ok(_) => errors = 0,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                counters.errors += 1;
                log::debug!("gre: receive error: {e}");
                // The details wait in the error queue (IP_RECVERR): take them all, so
                // that it drains and each is said.
                while let Some(report) = socket.recv_error() {
                    counters.icmp_report(&report);
                }
                errors += 1;
                if errors >= ERRORS_IN_A_ROW {
                    return;
                }
                continue;
            }
        }
        for i in 0..batch.len() {
            match parse(batch.get(i)) {
                Some(packet) => on_packet(packet, counters),
                None => counters.invalid += 1,
            }
        }
    }
}

/// The GRE packet in a received datagram, if it is one.
pub fn parse(datagram: &[u8]) -> Option<Received<'_>> {
    let ip = Ipv4Datagram::parse(datagram).ok()?;
    if ip.protocol != PROTOCOL_GRE {
        return None;
    }
    let (header, payload) = GreHeader::parse(ip.payload).ok()?;
    Some(Received {
        src: ip.src,
        header,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(icmp: Option<(u8, u8)>, errno: i32, info: u32) -> IcmpReport {
        IcmpReport {
            peer: Some(Ipv4Addr::new(198, 51, 100, 1)),
            icmp,
            errno,
            info,
        }
    }

    #[test]
    fn icmp_reports_are_named_and_said_once_per_peer_and_kind() {
        let unreach = report(Some((3, 2)), libc::ECONNREFUSED, 0);
        assert_eq!(icmp_kind(&unreach), "unreachable_protocol");
        assert!(icmp_meaning(&unreach).contains("protocol 47"));
        let frag = report(Some((3, 4)), libc::EMSGSIZE, 1400);
        assert!(
            icmp_meaning(&frag).contains("'mtu 1360'"),
            "{}",
            icmp_meaning(&frag)
        );
        assert_eq!(
            icmp_kind(&report(Some((3, 13)), 0, 0)),
            "administratively_prohibited"
        );
        assert_eq!(
            icmp_kind(&report(None, libc::EMSGSIZE, 1500)),
            "fragmentation_needed"
        );
        let mut c = RxCounters::default();
        for _ in 0..3 {
            c.icmp_report(&unreach);
        }
        c.icmp_report(&frag);
        assert_eq!(c.icmp.get("unreachable_protocol"), Some(&3));
        assert_eq!(c.said.len(), 2);
        for i in 0..1000u32 {
            let mut r = unreach;
            r.peer = Some(Ipv4Addr::from(i));
            c.icmp_report(&r);
        }
        assert_eq!(c.said.len(), SAID_LIMIT, "what is remembered is bounded");
    }
}
