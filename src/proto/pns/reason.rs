//! Why the client's control connection ended, in log lines that an administrator can read
//! without the RFC at hand (the codes are named from [`codes`](crate::wire::ctrl::codes)).

use std::fmt;
use std::time::Duration;

use super::REPLY_WAIT;
use crate::proto::control::StreamFailure;
use crate::wire::ctrl::codes::{
    DisconnectResult, GeneralError, OutgoingResult, StartResult, StopReason,
};

/// Why the control connection ended; the client logs it and picks its exit status from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// We asked (pppd exited, or a signal).
    Local,
    /// The server sent Stop-Control-Connection-Request.
    PeerStopped {
        /// Its reason code.
        reason: u8,
    },
    /// The server refused the control connection (SCCRP result).
    StartRefused {
        /// Result code.
        result: u8,
        /// General error code.
        error: u8,
    },
    /// The server speaks another protocol version.
    BadVersion(u16),
    /// The server refused the call (OCRP or ICRP result).
    CallRefused {
        /// Result code.
        result: u8,
        /// General error code.
        error: u8,
        /// Cause code (OCRP only).
        cause: u16,
    },
    /// The server cleared the call (Call-Disconnect-Notify).
    CallDisconnected {
        /// Result code.
        result: u8,
        /// General error code.
        error: u8,
        /// Cause code.
        cause: u16,
        /// Call statistics text, if any.
        stats: String,
    },
    /// The TCP connection ended without a Stop-Control-Connection-Request (poptop does
    /// this when its pppd exits), or failed.
    ConnectionLost,
    /// The control stream broke a rule of its own (framing, a half-sent message, a
    /// server that does not read what we send).
    Stream(StreamFailure),
    /// No reply to our request within [`REPLY_WAIT`].
    NoReply(&'static str),
    /// No Echo-Reply within `--max-echo-wait`.
    NoEchoReply(Duration),
    /// We stopped because the tunnel cannot go on, for this reason.
    LocalFailure(&'static str),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Local => f.write_str("closed locally"),
            CloseReason::PeerStopped { reason } => {
                write!(
                    f,
                    "server stopped the control connection: reason={reason} ({})",
                    StopReason::name_of(*reason)
                )
            }
            CloseReason::StartRefused { result, error } => write!(
                f,
                "server refused the control connection: result={result} ({}) error={error} ({})",
                StartResult::name_of(*result),
                GeneralError::name_of(*error)
            ),
            CloseReason::BadVersion(v) => {
                write!(f, "server speaks protocol version={v:#06x}, not 0x0100")
            }
            CloseReason::CallRefused {
                result,
                error,
                cause,
            } => write!(
                f,
                "server refused the call: result={result} ({}) error={error} ({}) cause={cause}",
                OutgoingResult::name_of(*result),
                GeneralError::name_of(*error)
            ),
            CloseReason::CallDisconnected {
                result,
                error,
                cause,
                stats,
            } => {
                write!(
                    f,
                    "server disconnected the call: result={result} ({}) error={error} ({}) cause={cause}",
                    DisconnectResult::name_of(*result),
                    GeneralError::name_of(*error)
                )?;
                if !stats.is_empty() {
                    write!(f, " stats=\"{stats}\"")?;
                }
                Ok(())
            }
            CloseReason::ConnectionLost => f.write_str("the server closed the control connection"),
            CloseReason::Stream(why) => write!(f, "control connection dropped: {why}"),
            CloseReason::NoReply(what) => {
                write!(
                    f,
                    "no {what} from the server within {}s",
                    REPLY_WAIT.as_secs()
                )
            }
            CloseReason::LocalFailure(why) => f.write_str(why),
            CloseReason::NoEchoReply(wait) => {
                write!(
                    f,
                    "no echo reply from the server within {}s",
                    wait.as_secs()
                )
            }
        }
    }
}
