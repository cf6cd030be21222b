//! Received GRE, from the raw socket to (peer, header, payload), for both programs.
//!
//! The socket is drained in batches until it has nothing more; each datagram is checked
//! (IPv4, protocol 47, PPTP's enhanced GRE) and handed on, or counted and dropped. Receive
//! errors (an ICMP error for an earlier send, reported on the socket) are counted, never
//! fatal: pptp-linux ended the tunnel on them.

use std::io::ErrorKind;
use std::net::Ipv4Addr;

use crate::sys::gre_socket::{GreSocket, RecvBatch};
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
