//! Why a server's call or control connection ended, in log lines an administrator can read
//! without the RFC at hand, and as the short kinds the counters use.

use std::fmt;
use std::time::Duration;

use crate::proto::control::{CloseReasons, StreamFailure};

/// Why a call ended, for the log and the address pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// The client sent Call-Clear-Request.
    ClearedByClient,
    /// The client sent Call-Disconnect-Notify (incoming-call role).
    DisconnectedByClient,
    /// pppd exited.
    PppdExited,
    /// The control connection ended under the call.
    ControlClosed,
    /// The client did not send Incoming-Call-Connected in time.
    NotConnected,
    /// Ended on request: by the administrator (`pptpctl terminate`), a RADIUS server
    /// (Disconnect-Request), or a newer login of the same user.
    Terminated(&'static str),
}

impl fmt::Display for CallEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallEnd::ClearedByClient => "cleared by the client (call-clear-request)",
            CallEnd::DisconnectedByClient => "disconnected by the client (call-disconnect-notify)",
            CallEnd::PppdExited => "pppd exited",
            CallEnd::ControlClosed => "control connection closed",
            CallEnd::NotConnected => "no incoming-call-connected from the client",
            CallEnd::Terminated(by) => return write!(f, "terminated by {by}"),
        })
    }
}

/// Why a control connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacClosed {
    /// The client stopped it (Stop-Control-Connection-Request with this reason).
    ClientStopped(u8),
    /// The server is shutting down, or the call ended and the client did not stop.
    Local,
    /// TCP ended or failed without a stop.
    ConnectionLost,
    /// No first message within `stimeout`.
    FirstMessageTimeout(Duration),
    /// The first message was not a Start-Control-Connection-Request.
    NotStartRequest,
    /// The client speaks another protocol version (refused with result 5).
    BadVersion(u16),
    /// The server was at its connection limit (refused with no-resource).
    Refused,
    /// No Echo-Reply in time.
    NoEchoReply(Duration),
    /// Established, but no call placed within `stimeout`.
    NoCallRequest(Duration),
    /// The server needed the slot for a newcomer and this connection had no call.
    Shed,
    /// The control stream broke a rule of its own (framing, a half-sent message, a
    /// client that does not read what we send).
    Stream(StreamFailure),
}

impl PacClosed {
    /// A short name for the kind of ending, for counters and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            PacClosed::ClientStopped(_) => "client_stopped",
            PacClosed::Local => "local",
            PacClosed::ConnectionLost => "connection_lost",
            PacClosed::FirstMessageTimeout(_) => "stimeout",
            PacClosed::NotStartRequest => "bad_first_message",
            PacClosed::BadVersion(_) => "bad_version",
            PacClosed::Refused => "connection_limit",
            PacClosed::NoEchoReply(_) => "no_echo_reply",
            PacClosed::NoCallRequest(_) => "no_call_request",
            PacClosed::Shed => "shed",
            PacClosed::Stream(StreamFailure::LostFraming(_)) => "lost_framing",
            PacClosed::Stream(StreamFailure::Incomplete(_)) => "incomplete_message",
            PacClosed::Stream(StreamFailure::NotReading(_)) => "not_reading",
            PacClosed::Stream(_) => "connection_lost",
        }
    }
}

impl fmt::Display for PacClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacClosed::ClientStopped(r) => write!(f, "stopped by the client: reason={r}"),
            PacClosed::Local => f.write_str("closed by the server"),
            PacClosed::ConnectionLost => f.write_str("the client closed the connection"),
            PacClosed::FirstMessageTimeout(d) => {
                write!(
                    f,
                    "dropped slow connection: no first message within {}s",
                    d.as_secs()
                )
            }
            PacClosed::NotStartRequest => f.write_str(
                "dropped connection: first message was not start-control-connection-request",
            ),
            PacClosed::BadVersion(v) => write!(f, "refused protocol version={v:#06x}"),
            PacClosed::Refused => f.write_str("refused: connection limit reached"),
            PacClosed::NoEchoReply(d) => {
                write!(f, "no echo reply from the client within {}s", d.as_secs())
            }
            PacClosed::NoCallRequest(d) => {
                write!(f, "no call placed within {}s of the start", d.as_secs())
            }
            PacClosed::Stream(why) => write!(f, "dropped connection: {why}"),
            PacClosed::Shed => f.write_str(
                "closed to make room for a new client: the server was at its connection limit and this connection had no call",
            ),
        }
    }
}

impl CloseReasons for PacClosed {
    fn peer_stopped(reason: u8) -> Self {
        PacClosed::ClientStopped(reason)
    }
    fn no_echo_reply(wait: Duration) -> Self {
        PacClosed::NoEchoReply(wait)
    }
}
