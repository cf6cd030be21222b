//! Why a control connection ended, and the RFC 2637 names of the codes in its messages,
//! for log lines that an administrator can read without the RFC at hand.

use std::fmt;
use std::time::Duration;

use super::REPLY_WAIT;

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
                    stop_reason_name(*reason)
                )
            }
            CloseReason::StartRefused { result, error } => write!(
                f,
                "server refused the control connection: result={result} ({}) error={error} ({})",
                sccrp_result_name(*result),
                error_name(*error)
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
                ocrp_result_name(*result),
                error_name(*error)
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
                    cdn_result_name(*result),
                    error_name(*error)
                )?;
                if !stats.is_empty() {
                    write!(f, " stats=\"{stats}\"")?;
                }
                Ok(())
            }
            CloseReason::ConnectionLost => f.write_str("the server closed the control connection"),
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

/// RFC 2637 §2.2 Start-Control-Connection-Reply result codes.
pub fn sccrp_result_name(code: u8) -> &'static str {
    match code {
        1 => "success",
        2 => "general error",
        3 => "command channel already exists",
        4 => "not authorized",
        5 => "protocol version not supported",
        _ => "unknown",
    }
}

/// RFC 2637 §2.8 Outgoing-Call-Reply result codes.
pub fn ocrp_result_name(code: u8) -> &'static str {
    match code {
        1 => "connected",
        2 => "general error",
        3 => "no carrier",
        4 => "busy",
        5 => "no dial tone",
        6 => "time-out",
        7 => "do not accept",
        _ => "unknown",
    }
}

/// RFC 2637 §2.13 Call-Disconnect-Notify result codes.
pub fn cdn_result_name(code: u8) -> &'static str {
    match code {
        1 => "lost carrier",
        2 => "general error",
        3 => "admin shutdown",
        4 => "request",
        _ => "unknown",
    }
}

/// RFC 2637 §2.3 Stop-Control-Connection-Request reasons.
pub fn stop_reason_name(code: u8) -> &'static str {
    match code {
        1 => "general request",
        2 => "protocol version not supported",
        3 => "local shutdown",
        _ => "unknown",
    }
}

/// RFC 2637 §2.16 general error codes.
pub fn error_name(code: u8) -> &'static str {
    match code {
        0 => "none",
        1 => "not-connected",
        2 => "bad-format",
        3 => "bad-value",
        4 => "no-resource",
        5 => "bad-call-id",
        6 => "pac-error",
        _ => "unknown",
    }
}
