//! The numbers in control messages, each with its RFC 2637 name: result codes (§2.2, §2.4,
//! §2.6, §2.8, §2.10, §2.13), Stop-Control-Connection-Request reasons (§2.3), the general
//! error codes (§2.16), and the framing and bearer bits (§2.1, §2.7).
//!
//! The message structs keep these fields as plain integers, so that any value a peer sends
//! parses; the enums here are what our own code writes and what log lines name. A value
//! outside a table is named "unknown" and logged with its number.

use std::fmt;

/// Declares a code table: a `u8` enum with the RFC's name of every value.
macro_rules! code_table {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl $name {
            /// The value on the wire.
            pub const fn code(self) -> u8 {
                self as u8
            }

            /// The entry for wire value `code`, if the RFC defines one.
            pub fn from_code(code: u8) -> Option<Self> {
                match code {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The RFC's name for wire value `code`, or "unknown".
            pub fn name_of(code: u8) -> &'static str {
                Self::from_code(code).map_or("unknown", Self::name)
            }

            /// The RFC's name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

code_table! {
    /// Result Code of Start-Control-Connection-Reply (§2.2).
    StartResult {
        /// The control connection is established.
        Success = 1 => "success",
        /// General error; the General Error Code says which.
        GeneralError = 2 => "general error",
        /// A control connection already exists between this pair.
        ChannelExists = 3 => "command channel already exists",
        /// The requester is not authorized.
        NotAuthorized = 4 => "not authorized",
        /// The requested protocol version is not supported.
        VersionNotSupported = 5 => "protocol version not supported",
    }
}

code_table! {
    /// Reason of Stop-Control-Connection-Request (§2.3).
    StopReason {
        /// No particular reason (RFC: "General request to clear control connection").
        None = 1 => "general request",
        /// The peer's protocol version cannot be supported.
        ProtocolVersion = 2 => "protocol version not supported",
        /// The sender is shutting down.
        LocalShutdown = 3 => "local shutdown",
    }
}

code_table! {
    /// Result Code of Stop-Control-Connection-Reply (§2.4) and Echo-Reply (§2.6).
    ReplyResult {
        /// OK.
        Ok = 1 => "ok",
        /// General error; the General Error Code says which.
        GeneralError = 2 => "general error",
    }
}

code_table! {
    /// Result Code of Outgoing-Call-Reply (§2.8).
    OutgoingResult {
        /// The call is connected.
        Connected = 1 => "connected",
        /// General error; the General Error Code says which.
        GeneralError = 2 => "general error",
        /// No carrier.
        NoCarrier = 3 => "no carrier",
        /// Busy.
        Busy = 4 => "busy",
        /// No dial tone.
        NoDialTone = 5 => "no dial tone",
        /// The call was not established in time.
        TimeOut = 6 => "time-out",
        /// The call is administratively prohibited (RFC: "Do Not Accept").
        DoNotAccept = 7 => "do not accept",
    }
}

code_table! {
    /// Result Code of Incoming-Call-Reply (§2.10).
    IncomingResult {
        /// The PNS accepts the call.
        Connect = 1 => "connect",
        /// General error; the General Error Code says which.
        GeneralError = 2 => "general error",
        /// The PNS does not accept the call.
        DoNotAccept = 3 => "do not accept",
    }
}

code_table! {
    /// Result Code of Call-Disconnect-Notify (§2.13).
    DisconnectResult {
        /// Lost carrier.
        LostCarrier = 1 => "lost carrier",
        /// General error; the General Error Code says which.
        GeneralError = 2 => "general error",
        /// Administrative shutdown.
        AdminShutdown = 3 => "admin shutdown",
        /// The call was cleared at the peer's request (Call-Clear-Request).
        Request = 4 => "request",
    }
}

code_table! {
    /// General Error Code (§2.16), beside a Result Code of "general error".
    GeneralError {
        /// No general error.
        None = 0 => "none",
        /// No control connection exists yet (or any more) for this pair.
        NotConnected = 1 => "not-connected",
        /// The Length is wrong or the Magic Cookie is not 0x1A2B3C4D.
        BadFormat = 2 => "bad-format",
        /// A field is outside its range, or a reserved field is not zero.
        BadValue = 3 => "bad-value",
        /// Insufficient resources to handle the command.
        NoResource = 4 => "no-resource",
        /// The Call ID is invalid in this context.
        BadCallId = 5 => "bad-call-id",
        /// A vendor-specific error at the PAC.
        PacError = 6 => "pac-error",
    }
}

/// Framing Capabilities and Framing Type bits (§2.1, §2.7).
pub mod framing {
    /// Asynchronous framing.
    pub const ASYNC: u32 = 1;
    /// Synchronous framing.
    pub const SYNC: u32 = 2;
    /// Either (a Framing Type of "any").
    pub const ANY: u32 = ASYNC | SYNC;
}

/// Bearer Capabilities and Bearer Type bits (§2.1, §2.7).
pub mod bearer {
    /// Analog access.
    pub const ANALOG: u32 = 1;
    /// Digital access.
    pub const DIGITAL: u32 = 2;
    /// Either (a Bearer Type of "any").
    pub const ANY: u32 = ANALOG | DIGITAL;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_names_follow_the_rfc() {
        assert_eq!(StartResult::VersionNotSupported.code(), 5);
        assert_eq!(StartResult::name_of(3), "command channel already exists");
        assert_eq!(OutgoingResult::name_of(7), "do not accept");
        assert_eq!(
            DisconnectResult::from_code(4),
            Some(DisconnectResult::Request)
        );
        assert_eq!(GeneralError::name_of(4), "no-resource");
        assert_eq!(GeneralError::name_of(0), "none");
        assert_eq!(StopReason::LocalShutdown.to_string(), "local shutdown");
        assert_eq!(IncomingResult::DoNotAccept.code(), 3);
        assert_eq!(ReplyResult::Ok.code(), 1);
    }

    #[test]
    fn values_outside_the_tables_are_unknown() {
        for code in [0u8, 8, 200, 255] {
            assert_eq!(OutgoingResult::name_of(code), "unknown");
        }
        assert_eq!(GeneralError::name_of(7), "unknown");
        assert_eq!(StartResult::from_code(0), None);
    }
}
