//! Which control characters pppd wants escaped in what we write to it, learned from its
//! LCP negotiation as it passes through us (RFC 1662 §7.1, RFC 1661 §5.1-5.3).
//!
//! A pty helper never negotiates anything with pppd, so pptp-linux and poptop escape every
//! control character toward it forever (ACCM 0xffffffff): on MPPE data that is one byte in
//! eight, and it made encoding the dearest step of the receive path. pppd asks the peer for
//! its receive map in its own Configure-Request (option 2; usually 0), and the peer's
//! Configure-Ack carries the same options back; both pass through us.
//!
//! When to relax is the delicate part. The Linux async line discipline drops unescaped
//! bytes that are in its receive map, and pppd installs the agreed map only in `lcp_up()`
//! (ppp-2.4.9 lcp.c: `ppp_recv_config(..., go->asyncmap, ...)`), which runs when both
//! directions are acknowledged, synchronously, before `link_established()` starts
//! authentication. So the first frame pppd sends that is not LCP (CHAP, PAP, EAP, IPCP,
//! CCP, data) proves that its map is installed: only from then on do we escape less, and
//! a frame we encode after seeing it reaches a line discipline that already uses the new
//! map. Any sign of a new negotiation (a Configure-Request, -Nak or -Reject, a Terminate
//! in either direction) goes back to escaping everything at once: escaping more than asked
//! is always safe, since pppd unescapes whatever arrives escaped.

use crate::wire::ppp::{header, protocol};

const CONFIGURE_REQUEST: u8 = 1;
const CONFIGURE_ACK: u8 = 2;
const CONFIGURE_NAK: u8 = 3;
const CONFIGURE_REJECT: u8 = 4;
const TERMINATE_REQUEST: u8 = 5;
const TERMINATE_ACK: u8 = 6;
/// LCP option Async-Control-Character-Map (RFC 1662 §7.1).
const OPTION_ACCM: u8 = 2;
/// The map before LCP agrees on one, and when a request carries none.
pub const ACCM_ALL: u32 = 0xffff_ffff;

/// What the LCP traffic through us says about pppd's receive map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccmWatch {
    /// Identifier and map of pppd's latest Configure-Request.
    requested: Option<(u8, u32)>,
    /// The map of the request the peer acknowledged, not yet known to be installed.
    acked: Option<u32>,
    /// The map we escape by now.
    current: u32,
}

impl Default for AccmWatch {
    fn default() -> Self {
        Self::new()
    }
}

/// A change of the map we escape by, for the caller to apply (and log).
pub type AccmChange = Option<u32>;

impl AccmWatch {
    /// At the start of a link: escape everything.
    pub fn new() -> Self {
        AccmWatch {
            requested: None,
            acked: None,
            current: ACCM_ALL,
        }
    }

    /// The map to escape by now.
    pub fn current(&self) -> u32 {
        self.current
    }

    /// A frame pppd sent (read from its stream); Some(new map) when the map changes.
    pub fn from_pppd(&mut self, frame: &[u8]) -> AccmChange {
        match lcp(frame) {
            Some((CONFIGURE_REQUEST, id, options)) => {
                self.requested = Some((id, accm_option(options).unwrap_or(ACCM_ALL)));
                self.acked = None;
                self.reset()
            }
            Some((
                code @ (CONFIGURE_ACK | CONFIGURE_NAK | CONFIGURE_REJECT | TERMINATE_REQUEST
                | TERMINATE_ACK),
                ..,
            )) => {
                // pppd answers a request of the peer's (a negotiation under way), or ends
                // LCP; only its Configure-Ack leaves the peer's acknowledgment standing.
                if code != CONFIGURE_ACK {
                    self.acked = None;
                }
                self.reset()
            }
            // Echo, Discard-Request and the like say nothing about the map.
            Some(_) => None,
            None if header(frame).is_some() => {
                // Not LCP: pppd is past lcp_up(), so the acknowledged map is installed.
                let acked = self.acked.take()?;
                (acked != self.current).then(|| {
                    self.current = acked;
                    acked
                })
            }
            None => None,
        }
    }

    /// A frame for pppd (received from the peer); Some(new map) when the map changes.
    pub fn to_pppd(&mut self, frame: &[u8]) -> AccmChange {
        match lcp(frame) {
            Some((CONFIGURE_ACK, id, options)) => {
                // The acknowledgment of pppd's latest request, carrying its options back.
                if let Some((requested_id, map)) = self.requested
                    && requested_id == id
                {
                    self.acked = Some(accm_option(options).unwrap_or(map));
                }
                None
            }
            Some((CONFIGURE_REQUEST | CONFIGURE_NAK | CONFIGURE_REJECT, ..))
            | Some((TERMINATE_REQUEST | TERMINATE_ACK, ..)) => {
                self.acked = None;
                self.reset()
            }
            _ => None,
        }
    }

    /// Back to escaping everything; Some when that is a change.
    fn reset(&mut self) -> AccmChange {
        (self.current != ACCM_ALL).then(|| {
            self.current = ACCM_ALL;
            ACCM_ALL
        })
    }
}

/// An LCP packet's code, identifier and options (a frame with ACFC/PFC or without).
fn lcp(frame: &[u8]) -> Option<(u8, u8, &[u8])> {
    let (proto, at) = header(frame)?;
    if proto != protocol::LCP {
        return None;
    }
    let packet = frame.get(at..)?;
    let [code, id, hi, lo, ..] = *packet else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([hi, lo])).clamp(4, packet.len());
    Some((code, id, &packet[4..len]))
}

/// The ACCM option's value among LCP options, if present and well-formed.
fn accm_option(mut options: &[u8]) -> Option<u32> {
    while let [kind, len, ..] = *options {
        let len = usize::from(len);
        if len < 2 || len > options.len() {
            return None;
        }
        if kind == OPTION_ACCM && len == 6 {
            return Some(u32::from_be_bytes([
                options[2], options[3], options[4], options[5],
            ]));
        }
        options = &options[len..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An LCP packet as pppd frames it: FF 03 C0 21, code, id, length, options.
    fn lcp_frame(code: u8, id: u8, options: &[u8]) -> Vec<u8> {
        let len = (4 + options.len()) as u16;
        let mut f = vec![0xff, 0x03, 0xc0, 0x21, code, id];
        f.extend_from_slice(&len.to_be_bytes());
        f.extend_from_slice(options);
        f
    }

    const MAP_0: [u8; 6] = [2, 6, 0, 0, 0, 0];
    const MAGIC: [u8; 6] = [5, 6, 1, 2, 3, 4];
    const CHAP_RESPONSE: [u8; 8] = [0xff, 0x03, 0xc2, 0x23, 2, 1, 0, 4];

    fn negotiated(w: &mut AccmWatch) {
        let request = [&MAP_0[..], &MAGIC].concat();
        assert_eq!(
            w.from_pppd(&lcp_frame(CONFIGURE_REQUEST, 7, &request)),
            None
        );
        assert_eq!(w.to_pppd(&lcp_frame(CONFIGURE_ACK, 7, &request)), None);
    }

    #[test]
    fn relaxes_only_once_pppd_sends_past_lcp() {
        let mut w = AccmWatch::new();
        negotiated(&mut w);
        assert_eq!(w.current(), ACCM_ALL, "not before pppd shows lcp_up ran");
        // LCP echoes prove nothing.
        assert_eq!(w.from_pppd(&lcp_frame(9, 1, &[0; 4])), None);
        assert_eq!(w.from_pppd(&CHAP_RESPONSE), Some(0));
        assert_eq!(w.current(), 0);
        assert_eq!(w.from_pppd(&CHAP_RESPONSE), None, "changes once");
    }

    #[test]
    fn an_ack_for_another_request_is_ignored_and_a_new_request_supersedes() {
        let mut w = AccmWatch::new();
        w.from_pppd(&lcp_frame(CONFIGURE_REQUEST, 7, &MAP_0));
        w.to_pppd(&lcp_frame(CONFIGURE_ACK, 6, &MAP_0));
        assert_eq!(w.from_pppd(&CHAP_RESPONSE), None);
        w.from_pppd(&lcp_frame(CONFIGURE_REQUEST, 8, &[2, 6, 0, 0x0a, 0, 0]));
        w.to_pppd(&lcp_frame(CONFIGURE_ACK, 8, &[2, 6, 0, 0x0a, 0, 0]));
        assert_eq!(w.from_pppd(&CHAP_RESPONSE), Some(0x000a_0000));
    }

    #[test]
    fn a_request_without_the_option_keeps_everything_escaped() {
        let mut w = AccmWatch::new();
        w.from_pppd(&lcp_frame(CONFIGURE_REQUEST, 1, &MAGIC));
        w.to_pppd(&lcp_frame(CONFIGURE_ACK, 1, &MAGIC));
        assert_eq!(w.from_pppd(&CHAP_RESPONSE), None);
        assert_eq!(w.current(), ACCM_ALL);
    }

    #[test]
    fn renegotiation_in_either_direction_escapes_everything_at_once() {
        for restart in [
            lcp_frame(CONFIGURE_REQUEST, 9, &MAP_0),
            lcp_frame(TERMINATE_REQUEST, 9, &[]),
        ] {
            let mut w = AccmWatch::new();
            negotiated(&mut w);
            w.from_pppd(&CHAP_RESPONSE);
            assert_eq!(w.to_pppd(&restart), Some(ACCM_ALL), "from the peer");
            let mut w = AccmWatch::new();
            negotiated(&mut w);
            w.from_pppd(&CHAP_RESPONSE);
            assert_eq!(w.from_pppd(&restart), Some(ACCM_ALL), "from pppd");
        }
    }

    #[test]
    fn malformed_lcp_is_harmless() {
        let mut w = AccmWatch::new();
        for frame in [
            &[0xff, 0x03, 0xc0, 0x21][..],
            &[0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 200, 2, 6, 0][..],
            &[0xff, 0x03, 0xc0, 0x21, 2, 1, 0, 10, 2, 0, 0, 0, 0, 0][..],
            &[0xc0, 0x21, 1][..],
            &[][..],
        ] {
            w.from_pppd(frame);
            w.to_pppd(frame);
        }
        assert_eq!(w.current(), ACCM_ALL);
    }
}
