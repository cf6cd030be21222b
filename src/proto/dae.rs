//! A Dynamic Authorization Server (RFC 5176), sans-IO: what pptpd does with one datagram
//! received on its `dae-server` UDP socket.
//!
//! [`DaeServer::handle`] takes the datagram, where it came from, the time and the live
//! sessions, and returns an [`Outcome`]: drop it silently, send a cached reply again, send a
//! NAK, or end some sessions and send an ACK. It never reads a clock or a socket. In order:
//!
//! 1. A source address not in [`AllowedClients`] is dropped (RFC 5176 §6.1: "MUST silently
//!    discard ... packets from untrusted sources").
//! 2. A packet that does not parse ([`Packet::parse`]), or whose Code is neither
//!    Disconnect-Request nor CoA-Request, is dropped (RFC 5176 §2.3: "Packets received with
//!    an invalid Code field MUST be silently discarded").
//! 3. A bad Request Authenticator or Message-Authenticator is dropped (RFC 5176 §2.3,
//!    §3.4); so is a request without Message-Authenticator when the configuration requires
//!    one.
//! 4. A duplicate, the same source address and port, Identifier and Request Authenticator
//!    as a request answered within [`DaeConfig::replay_window`], gets the same reply again
//!    and changes nothing (RFC 5176 §2.3: the server "MUST be capable of detecting a
//!    duplicate request if it has the same source IP address, source UDP port, and
//!    Identifier within a short span of time"). The same source and Identifier with another
//!    authenticator is a new request: its content changed, and the old reply's Response
//!    Authenticator would not match it anyway. The cache is bounded
//!    ([`DaeConfig::replay_capacity`]); the oldest entry goes first.
//! 5. An Event-Timestamp further than [`DaeConfig::event_timestamp_window`] from the wall
//!    clock is dropped (RFC 5176 §6.3: "If the Event-Timestamp Attribute is not current,
//!    then the packet MUST be silently discarded"); so is a request without one when the
//!    configuration requires it (§6.3 asks for that to be configurable).
//! 6. A CoA-Request gets a CoA-NAK with Error-Cause 405 Unsupported Service: pptpd changes
//!    no authorization of a live session (hostapd answers the same when it has no CoA).
//! 7. A Disconnect-Request is answered by [`Selector`] and [`select`]: a Disconnect-ACK
//!    naming the sessions to end, or a Disconnect-NAK with an Error-Cause.
//!
//! Replies copy every Proxy-State of the request, in order (RFC 5176 §3.1), a NAK also the
//! State (§3.3), carry a Message-Authenticator when the request did, and put Error-Cause in
//! NAKs only (§3.5).
//!
//! Counters of every drop and reply are in [`DaeStats`].

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use log::debug;

use crate::wire::radius::{self, Builder, Code, ErrorCause, Packet, attr};

mod replay;
mod session;
#[cfg(test)]
mod tests;

pub use replay::ReplayCache;
pub use session::{PppdProcess, Selector, SessionKey, select};

/// How long an answered request is remembered for duplicate detection. radclient's
/// default is 3 tries 3 s apart, so 30 s covers any client's retries with room to spare.
pub const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(30);
/// How many answered requests are remembered at most (each holds its reply, at most 4096
/// octets).
pub const DEFAULT_REPLAY_CAPACITY: usize = 256;
/// How far an Event-Timestamp may be from the wall clock (RFC 5176 §6.3 leaves the window
/// to the implementation; hostapd's default is the same 300 s).
pub const DEFAULT_EVENT_TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);

/// What to do when a Disconnect-Request matches more than one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultipleSessions {
    /// End them all (the default): RFC 5176 §3 has a request that matches several
    /// sessions apply to all of them, and `radclient disconnect User-Name=alice` is then
    /// expected to end every tunnel of alice's.
    #[default]
    All,
    /// Refuse with Error-Cause 508 Multiple Session Selection Unsupported, which RFC 5176
    /// §2.3 allows a server that does not support multiple sessions.
    Refuse,
}

/// Which source addresses may send requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedClients {
    /// Any address; the shared secret alone authenticates.
    Any,
    /// Only these addresses (the port does not matter).
    Only(HashSet<IpAddr>),
}

impl AllowedClients {
    /// True when `addr` may send requests.
    pub fn allows(&self, addr: IpAddr) -> bool {
        match self {
            AllowedClients::Any => true,
            AllowedClients::Only(set) => set.contains(&addr.to_canonical()),
        }
    }
}

/// The identity of this NAS, to compare with a request's NAS identification attributes
/// (RFC 5176 §3). A value left `None` is not known, and the matching attribute is then
/// accepted unchecked: the request is authenticated by our secret, and refusing it would
/// make every request that names the NAS fail on a server bound to a wildcard address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NasIdentity {
    /// NAS-IP-Address of this server.
    pub ipv4: Option<Ipv4Addr>,
    /// NAS-Identifier of this server.
    pub identifier: Option<String>,
}

/// Configuration of a [`DaeServer`]. `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct DaeConfig {
    /// The shared secret.
    pub secret: Vec<u8>,
    /// Who may send requests.
    pub clients: AllowedClients,
    /// Who we are, for NAS-IP-Address and NAS-Identifier.
    pub nas: NasIdentity,
    /// What to do when a request matches several sessions.
    pub multiple_sessions: MultipleSessions,
    /// Drop requests without a Message-Authenticator.
    pub require_message_authenticator: bool,
    /// Drop requests without an Event-Timestamp.
    pub require_event_timestamp: bool,
    /// How far an Event-Timestamp may be from the wall clock, either way.
    pub event_timestamp_window: Duration,
    /// How long an answered request is remembered for duplicate detection.
    pub replay_window: Duration,
    /// How many answered requests are remembered at most.
    pub replay_capacity: usize,
}

impl fmt::Debug for DaeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaeConfig")
            .field("secret", &format_args!("<{} octets>", self.secret.len()))
            .field("clients", &self.clients)
            .field("nas", &self.nas)
            .field("multiple_sessions", &self.multiple_sessions)
            .field(
                "require_message_authenticator",
                &self.require_message_authenticator,
            )
            .field("require_event_timestamp", &self.require_event_timestamp)
            .field("event_timestamp_window", &self.event_timestamp_window)
            .field("replay_window", &self.replay_window)
            .field("replay_capacity", &self.replay_capacity)
            .finish()
    }
}

impl DaeConfig {
    /// The defaults: any client, NAS identity unknown, all matching sessions ended,
    /// Message-Authenticator and Event-Timestamp checked when present but not required.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        DaeConfig {
            secret: secret.into(),
            clients: AllowedClients::Any,
            nas: NasIdentity::default(),
            multiple_sessions: MultipleSessions::All,
            require_message_authenticator: false,
            require_event_timestamp: false,
            event_timestamp_window: DEFAULT_EVENT_TIMESTAMP_WINDOW,
            replay_window: DEFAULT_REPLAY_WINDOW,
            replay_capacity: DEFAULT_REPLAY_CAPACITY,
        }
    }
}

/// Why a datagram was dropped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The source address is not an allowed client.
    UnknownClient(IpAddr),
    /// Not a RADIUS packet.
    Malformed(radius::Error),
    /// A RADIUS packet, but not a Disconnect-Request or CoA-Request.
    UnexpectedCode(Code),
    /// The Request Authenticator or Message-Authenticator is wrong.
    BadAuthenticator(radius::Error),
    /// No Message-Authenticator, and the configuration requires one.
    MissingMessageAuthenticator,
    /// The Event-Timestamp is outside the window: the value, in seconds since 1970.
    StaleEventTimestamp(u32),
    /// No Event-Timestamp, and the configuration requires one.
    MissingEventTimestamp,
    /// The reply would exceed 4096 octets (a request nearly that long, all Proxy-State).
    ReplyTooLong,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::UnknownClient(addr) => write!(f, "unknown client {addr}"),
            DropReason::Malformed(e) => write!(f, "malformed: {e}"),
            DropReason::UnexpectedCode(code) => write!(f, "unexpected {code}"),
            DropReason::BadAuthenticator(e) => f.write_str(&e.to_string()),
            DropReason::MissingMessageAuthenticator => f.write_str("no message-authenticator"),
            DropReason::StaleEventTimestamp(t) => write!(f, "stale event-timestamp={t}"),
            DropReason::MissingEventTimestamp => f.write_str("no event-timestamp"),
            DropReason::ReplyTooLong => f.write_str("reply too long"),
        }
    }
}

/// What the caller must do with one datagram. Every reply goes back to the datagram's
/// source address and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<H> {
    /// Nothing: the datagram was dropped, and counted.
    Drop(DropReason),
    /// A duplicate of a request already answered: send this reply again, act on nothing.
    Resend(Vec<u8>),
    /// Send this Disconnect-NAK or CoA-NAK.
    Nak {
        /// The Error-Cause it carries.
        cause: ErrorCause,
        /// The reply.
        reply: Vec<u8>,
    },
    /// End these sessions (at least one), then send this Disconnect-ACK.
    Disconnect {
        /// The sessions, as the caller's handles.
        sessions: Vec<H>,
        /// The reply.
        reply: Vec<u8>,
    },
}

/// Counters of a [`DaeServer`], for logs and SIGUSR1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DaeStats {
    /// Dropped: source address not allowed.
    pub unknown_client: u64,
    /// Dropped: not a RADIUS packet, or a reply that would not fit.
    pub malformed: u64,
    /// Dropped: a Code other than Disconnect-Request and CoA-Request.
    pub unexpected_code: u64,
    /// Dropped: bad Request Authenticator or Message-Authenticator, or a required
    /// Message-Authenticator missing.
    pub bad_authenticator: u64,
    /// Dropped: Event-Timestamp outside the window, or a required one missing.
    pub stale: u64,
    /// Duplicates answered again from the cache.
    pub replays: u64,
    /// Disconnect-ACKs sent.
    pub acks: u64,
    /// Disconnect-NAKs and CoA-NAKs sent.
    pub naks: u64,
    /// NAKs sent, by Error-Cause, in the order of [`NAK_CAUSES`].
    pub naks_by_cause: [u64; NAK_CAUSES.len()],
}

/// Every Error-Cause a [`DaeServer`] puts in a NAK: those of [`Selector::from_request`]
/// and [`select`], and 405 for CoA-Requests.
pub const NAK_CAUSES: [ErrorCause; 8] = [
    ErrorCause::UnsupportedAttribute,
    ErrorCause::MissingAttribute,
    ErrorCause::NasIdentificationMismatch,
    ErrorCause::InvalidRequest,
    ErrorCause::UnsupportedService,
    ErrorCause::InvalidAttributeValue,
    ErrorCause::SessionContextNotFound,
    ErrorCause::MultipleSessionSelectionUnsupported,
];

impl DaeStats {
    /// Every datagram received: dropped, answered again, acknowledged or refused.
    pub fn received(&self) -> u64 {
        self.dropped() + self.replays + self.acks + self.naks
    }

    /// The NAKs sent, by Error-Cause, every cause of [`NAK_CAUSES`] listed.
    pub fn naks_by_cause(&self) -> impl Iterator<Item = (ErrorCause, u64)> + '_ {
        NAK_CAUSES.iter().copied().zip(self.naks_by_cause)
    }

    /// Every datagram dropped, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.unknown_client
            + self.malformed
            + self.unexpected_code
            + self.bad_authenticator
            + self.stale
    }
}

/// The Dynamic Authorization Server of one `dae-server` socket.
#[derive(Debug, Clone)]
pub struct DaeServer {
    config: DaeConfig,
    replay: ReplayCache,
    stats: DaeStats,
}

impl DaeServer {
    /// A server with this configuration and an empty replay cache.
    pub fn new(config: DaeConfig) -> Self {
        let replay = ReplayCache::new(config.replay_window, config.replay_capacity);
        DaeServer {
            config,
            replay,
            stats: DaeStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DaeConfig {
        &self.config
    }

    /// Takes a new configuration (a reload), keeping the counters and, when its window
    /// and capacity are the same, the replay cache: a client's retry of a request answered
    /// before the reload gets the same answer. A cached reply signed with an old secret is
    /// never sent, because a request must authenticate with the new one to be looked up.
    pub fn reconfigure(&mut self, config: DaeConfig) {
        if (config.replay_window, config.replay_capacity)
            != (self.config.replay_window, self.config.replay_capacity)
        {
            self.replay = ReplayCache::new(config.replay_window, config.replay_capacity);
        }
        self.config = config;
    }

    /// The counters so far.
    pub fn stats(&self) -> DaeStats {
        self.stats
    }

    /// How many answered requests the replay cache holds now: at most
    /// [`DaeConfig::replay_capacity`].
    pub fn remembered(&self) -> usize {
        self.replay.len()
    }

    /// Handles one datagram from `from`, received at `now` (monotonic, for the replay
    /// window) when the wall clock read `wall_clock` (for Event-Timestamp). `sessions`
    /// lists the live sessions with the caller's handle for each; it is read only when the
    /// request is a new, authentic Disconnect-Request, so a caller may make the keys as it
    /// goes. See the module documentation for the steps.
    pub fn handle<H, K: Borrow<SessionKey>>(
        &mut self,
        now: Instant,
        wall_clock: SystemTime,
        from: SocketAddr,
        datagram: &[u8],
        sessions: impl IntoIterator<Item = (H, K)>,
    ) -> Outcome<H> {
        let outcome = self.decide(now, wall_clock, from, datagram, sessions);
        match &outcome {
            Outcome::Drop(why) => {
                self.count_drop(why);
                debug!("dae: dropped datagram from {from}: {why}");
            }
            Outcome::Resend(_) => {
                self.stats.replays += 1;
                debug!("dae: duplicate from {from}, reply sent again");
            }
            Outcome::Nak { cause, .. } => {
                self.stats.naks += 1;
                if let Some(i) = NAK_CAUSES.iter().position(|c| c == cause) {
                    self.stats.naks_by_cause[i] += 1;
                }
                debug!("dae: nak to {from}: error-cause {cause}");
            }
            Outcome::Disconnect { sessions, .. } => {
                self.stats.acks += 1;
                debug!("dae: disconnect from {from}: {} session(s)", sessions.len());
            }
        }
        outcome
    }

    fn decide<H, K: Borrow<SessionKey>>(
        &mut self,
        now: Instant,
        wall_clock: SystemTime,
        from: SocketAddr,
        datagram: &[u8],
        sessions: impl IntoIterator<Item = (H, K)>,
    ) -> Outcome<H> {
        if !self.config.clients.allows(from.ip()) {
            return Outcome::Drop(DropReason::UnknownClient(from.ip()));
        }
        let request = match Packet::parse(datagram) {
            Ok(p) => p,
            Err(e) => return Outcome::Drop(DropReason::Malformed(e)),
        };
        if let Err(why) = self.authenticate(&request) {
            return Outcome::Drop(why);
        }
        let (identifier, authenticator) = (request.identifier(), request.authenticator());
        if let Some(reply) = self.replay.lookup(now, from, identifier, &authenticator) {
            return Outcome::Resend(reply.to_vec());
        }
        if let Err(why) = self.check_event_timestamp(&request, wall_clock) {
            return Outcome::Drop(why);
        }
        let decision = match request.code() {
            Code::DisconnectRequest => Selector::from_request(&request, &self.config.nas)
                .and_then(|selector| select(&selector, self.config.multiple_sessions, sessions)),
            _ => Err(ErrorCause::UnsupportedService),
        };
        let cause = decision.as_ref().err().copied();
        let Some(reply) = self.reply(&request, cause) else {
            return Outcome::Drop(DropReason::ReplyTooLong);
        };
        self.replay
            .insert(now, from, identifier, authenticator, reply.clone());
        match decision {
            Ok(sessions) => Outcome::Disconnect { sessions, reply },
            Err(cause) => Outcome::Nak { cause, reply },
        }
    }

    fn authenticate(&self, request: &Packet<'_>) -> Result<(), DropReason> {
        if !matches!(request.code(), Code::DisconnectRequest | Code::CoaRequest) {
            return Err(DropReason::UnexpectedCode(request.code()));
        }
        request
            .verify_request(&self.config.secret)
            .map_err(DropReason::BadAuthenticator)?;
        if self.config.require_message_authenticator && request.message_authenticator().is_none() {
            return Err(DropReason::MissingMessageAuthenticator);
        }
        Ok(())
    }

    /// RFC 5176 §6.3. A value of the wrong size is left for the 407 that answers it.
    fn check_event_timestamp(
        &self,
        request: &Packet<'_>,
        wall_clock: SystemTime,
    ) -> Result<(), DropReason> {
        match request.event_timestamp() {
            Ok(Some(stamp)) => {
                let now = wall_clock
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let window = self.config.event_timestamp_window.as_secs();
                if now.abs_diff(u64::from(stamp)) > window {
                    return Err(DropReason::StaleEventTimestamp(stamp));
                }
                Ok(())
            }
            Ok(None) if self.config.require_event_timestamp => {
                Err(DropReason::MissingEventTimestamp)
            }
            _ => Ok(()),
        }
    }

    /// The ACK (no `cause`) or NAK answering `request`; None when it would not fit.
    fn reply(&self, request: &Packet<'_>, cause: Option<ErrorCause>) -> Option<Vec<u8>> {
        let code = match (request.code(), cause) {
            (Code::DisconnectRequest, None) => Code::DisconnectAck,
            (Code::DisconnectRequest, Some(_)) => Code::DisconnectNak,
            _ => Code::CoaNak,
        };
        let mut out = Vec::with_capacity(64);
        let mut b = Builder::new(&mut out, code, request.identifier());
        let built = (|| {
            for state in request.proxy_states() {
                b.attribute(attr::PROXY_STATE, state)?;
            }
            if let Some(cause) = cause {
                if let Some(state) = request.state() {
                    b.attribute(attr::STATE, state)?;
                }
                b.error_cause(cause)?;
            }
            if request.message_authenticator().is_some() {
                b.message_authenticator()?;
            }
            b.finish_response(&request.authenticator(), &self.config.secret)
        })();
        built.ok().map(|()| out)
    }

    fn count_drop(&mut self, why: &DropReason) {
        let counter = match why {
            DropReason::UnknownClient(_) => &mut self.stats.unknown_client,
            DropReason::Malformed(_) | DropReason::ReplyTooLong => &mut self.stats.malformed,
            DropReason::UnexpectedCode(_) => &mut self.stats.unexpected_code,
            DropReason::BadAuthenticator(_) | DropReason::MissingMessageAuthenticator => {
                &mut self.stats.bad_authenticator
            }
            DropReason::StaleEventTimestamp(_) | DropReason::MissingEventTimestamp => {
                &mut self.stats.stale
            }
        };
        *counter += 1;
    }
}
