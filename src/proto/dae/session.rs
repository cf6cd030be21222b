//! Which live sessions a Disconnect-Request names (RFC 5176 §3): what pptpd knows of a
//! session, the request's session identification attributes, and the match.

use std::borrow::Borrow;
use std::net::Ipv4Addr;

use log::debug;

use super::{MultipleSessions, NasIdentity};
use crate::wire::radius::{self, ErrorCause, Packet, attr};

/// What identifies one live session to a Disconnect-Request: what pptpd knows of each call.
/// An empty string is an unknown value and matches nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionKey {
    /// The PPP peer's name (User-Name), as pppd authenticated it.
    pub user: String,
    /// The address given to the peer (Framed-IP-Address), once IPCP is up.
    pub framed_ip: Option<Ipv4Addr>,
    /// The accounting session (Acct-Session-Id), when it is known exactly. pppd exports
    /// none, so pptpd leaves this empty and recognises radius.so's value by
    /// [`pppd`](Self::pppd) instead.
    pub acct_session_id: String,
    /// The client's address (Calling-Station-Id), as pptpd passes it to pppd.
    pub calling_station_id: String,
    /// The pppd serving the session, to recognise the Acct-Session-Id that pppd's radius
    /// plugin made for it.
    pub pppd: Option<PppdProcess>,
}

/// The pppd of a session, as much as its radius plugin puts in Acct-Session-Id.
///
/// pppd 2.4.9's radius.so makes the Acct-Session-Id of a session when IPCP comes up
/// (`radius_acct_start()` → `rc_mksid()`, plugins/radius/util.c) as
/// `printf("%08lX%04X%02hX", time(NULL), getpid(), counter & 0xFF)`: the time in hex,
/// pppd's process ID in hex (at least 4 digits), and a counter of the sessions of that
/// pppd, from 0. pppd gives the value to no script and no other process, but pptpd knows
/// the pid and when it started that pppd, so it can tell which session a value names: the
/// pid must be the session's pppd and the time no earlier than that pppd's start (an
/// earlier pppd with the same pid had its sessions before that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PppdProcess {
    /// pppd's process ID.
    pub pid: u32,
    /// When pptpd started it, in seconds since 1970-01-01 UTC, rounded down.
    pub started: u64,
}

impl PppdProcess {
    /// True when `id` is an Acct-Session-Id that radius.so made in this pppd.
    pub fn made_acct_session_id(&self, id: &[u8]) -> bool {
        let pid = format!("{:04X}", self.pid);
        let upper_hex = |b: &[u8]| {
            b.iter()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
        };
        if id.len() != 8 + pid.len() + 2
            || !upper_hex(id)
            || &id[8..8 + pid.len()] != pid.as_bytes()
        {
            return false;
        }
        // Eight upper-case hex digits always parse.
        let time = std::str::from_utf8(&id[..8])
            .ok()
            .and_then(|t| u64::from_str_radix(t, 16).ok());
        time.is_some_and(|t| t >= self.started)
    }
}

/// The session identification attributes of a Disconnect-Request that pptpd can match:
/// User-Name, Framed-IP-Address, Acct-Session-Id and Calling-Station-Id. A session matches
/// when every one present equals its [`SessionKey`] field exactly (octet for octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Selector<'a> {
    /// User-Name.
    pub user: Option<&'a [u8]>,
    /// Framed-IP-Address.
    pub framed_ip: Option<Ipv4Addr>,
    /// Acct-Session-Id.
    pub acct_session_id: Option<&'a [u8]>,
    /// Calling-Station-Id.
    pub calling_station_id: Option<&'a [u8]>,
}

/// Attributes a Disconnect-Request may carry, once each, besides Proxy-State and
/// Reply-Message.
const SINGLE: [u8; 10] = [
    attr::USER_NAME,
    attr::FRAMED_IP_ADDRESS,
    attr::ACCT_SESSION_ID,
    attr::CALLING_STATION_ID,
    attr::NAS_IP_ADDRESS,
    attr::NAS_IDENTIFIER,
    attr::NAS_IPV6_ADDRESS,
    attr::STATE,
    attr::EVENT_TIMESTAMP,
    attr::ACCT_TERMINATE_CAUSE,
];

impl<'a> Selector<'a> {
    /// Reads the session a Disconnect-Request names, or the Error-Cause of the NAK that
    /// must answer it. RFC 5176 §2.3 makes every attribute mandatory, so, checked in this
    /// order:
    ///
    /// - 401 Unsupported Attribute: an attribute pptpd cannot honour, among them the
    ///   session identification attributes it keeps no record of (NAS-Port, NAS-Port-Id,
    ///   Called-Station-Id, Acct-Multi-Session-Id, Chargeable-User-Identity and the IPv6
    ///   ones), Service-Type and every Vendor-Specific. Accepted besides the four it
    ///   matches and the NAS identification: Proxy-State and State (echoed), Event-Timestamp
    ///   and Message-Authenticator (checked by the caller), Acct-Terminate-Cause and
    ///   Reply-Message (for the log: a PPTP client has nowhere to show a message).
    /// - 404 Invalid Request: one of the single-valued attributes twice.
    /// - 407 Invalid Attribute Value: an empty text value (RFC 2865 §5 text is 1-253
    ///   octets), or an address or integer of the wrong size.
    /// - 403 NAS Identification Mismatch: NAS-IP-Address or NAS-Identifier is not ours
    ///   (when ours is known, see [`NasIdentity`]).
    /// - 402 Missing Attribute: no session identification attribute at all; such a request
    ///   would otherwise match every session.
    pub fn from_request(request: &Packet<'a>, nas: &NasIdentity) -> Result<Self, ErrorCause> {
        if let Some(a) = request.attributes().find(|a| !supported(a.ty)) {
            debug!(
                "dae: unsupported {} in disconnect-request",
                radius::AttrName(a.ty)
            );
            return Err(ErrorCause::UnsupportedAttribute);
        }
        if SINGLE.iter().any(|&ty| request.count(ty) > 1) {
            return Err(ErrorCause::InvalidRequest);
        }
        check_values(request)?;
        let bad = |_| ErrorCause::InvalidAttributeValue;
        let theirs_ip = request.nas_ip_address().map_err(bad)?;
        let ip_differs = matches!((nas.ipv4, theirs_ip), (Some(o), Some(t)) if o != t);
        let id_differs = matches!(
            (&nas.identifier, request.nas_identifier()),
            (Some(o), Some(t)) if o.as_bytes() != t
        );
        if ip_differs || id_differs {
            return Err(ErrorCause::NasIdentificationMismatch);
        }
        let selector = Selector {
            user: request.user_name(),
            framed_ip: request.framed_ip_address().map_err(bad)?,
            acct_session_id: request.acct_session_id(),
            calling_station_id: request.calling_station_id(),
        };
        if selector == Selector::default() {
            return Err(ErrorCause::MissingAttribute);
        }
        Ok(selector)
    }

    /// True when every attribute present equals the session's value. An unknown value in
    /// the session (an empty string, no address yet) matches nothing. Acct-Session-Id
    /// matches the session's exact value when it is known, else the value radius.so made
    /// in the session's pppd ([`PppdProcess::made_acct_session_id`]).
    pub fn matches(&self, key: &SessionKey) -> bool {
        fn text(wanted: Option<&[u8]>, have: &str) -> bool {
            wanted.is_none_or(|w| !have.is_empty() && w == have.as_bytes())
        }
        let acct_session = |id: &[u8]| {
            if key.acct_session_id.is_empty() {
                key.pppd.is_some_and(|p| p.made_acct_session_id(id))
            } else {
                id == key.acct_session_id.as_bytes()
            }
        };
        text(self.user, &key.user)
            && self.framed_ip.is_none_or(|ip| key.framed_ip == Some(ip))
            && self.acct_session_id.is_none_or(acct_session)
            && text(self.calling_station_id, &key.calling_station_id)
    }
}

fn supported(ty: u8) -> bool {
    SINGLE.contains(&ty)
        || matches!(
            ty,
            attr::PROXY_STATE | attr::REPLY_MESSAGE | attr::MESSAGE_AUTHENTICATOR
        )
}

/// 407 for values that are empty or of the wrong size (the Message-Authenticator's size was
/// checked by the parser).
fn check_values(request: &Packet<'_>) -> Result<(), ErrorCause> {
    let fine = request.attributes().all(|a| match a.ty {
        attr::FRAMED_IP_ADDRESS
        | attr::NAS_IP_ADDRESS
        | attr::EVENT_TIMESTAMP
        | attr::ACCT_TERMINATE_CAUSE => a.value.len() == 4,
        attr::NAS_IPV6_ADDRESS => a.value.len() == 16,
        _ => !a.value.is_empty(),
    });
    if fine {
        Ok(())
    } else {
        Err(ErrorCause::InvalidAttributeValue)
    }
}

/// The sessions `selector` names, or 503 Session Context Not Found when there is none, or
/// 508 Multiple Session Selection Unsupported when there are several and `multiple` says
/// [`MultipleSessions::Refuse`].
pub fn select<H, K: Borrow<SessionKey>>(
    selector: &Selector<'_>,
    multiple: MultipleSessions,
    sessions: impl IntoIterator<Item = (H, K)>,
) -> Result<Vec<H>, ErrorCause> {
    let found: Vec<H> = sessions
        .into_iter()
        .filter(|(_, key)| selector.matches(key.borrow()))
        .map(|(handle, _)| handle)
        .collect();
    match found.len() {
        0 => Err(ErrorCause::SessionContextNotFound),
        1 => Ok(found),
        _ if multiple == MultipleSessions::Refuse => {
            Err(ErrorCause::MultipleSessionSelectionUnsupported)
        }
        _ => Ok(found),
    }
}
