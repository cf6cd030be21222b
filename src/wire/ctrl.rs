//! PPTP control messages, carried on TCP port 1723 (RFC 2637 §2).
//!
//! Every message starts with the same 12-byte header:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |            Length             |       PPTP Message Type       |
//! |                         Magic Cookie                          |
//! |     Control Message Type      |           Reserved0           |
//! ```
//!
//! Length counts the whole message. Each of the fifteen messages (§2.1–2.15) has one fixed
//! size, and like pptp-linux [`ControlMessage::parse`] accepts no other: a wrong length means
//! the two ends disagree on the layout. Reserved0 is accepted whatever its value (Cisco sets
//! it); every other reserved field is written as zero and ignored when read.
//!
//! Text fields (host name, vendor, phone numbers, statistics) are fixed-size and NUL-padded:
//! they are read up to the first NUL as lossy UTF-8, and written zero-filled. A longer value
//! is cut silently to the field size, at a character boundary. The phone and number length
//! fields are ignored when read (the NUL padding already bounds the text) and written as the
//! number of text bytes.
//!
//! [`frame_len`] cuts the TCP byte stream into messages. A header that can never be valid
//! is an error, not a reason to scan for the next Magic Cookie as pptp-linux does: like
//! poptop, the caller drops the connection, as the RFC advises on loss of sync.

use std::fmt;

use super::{Error, be16, be32, check_len};

mod body;
pub mod codes;
use body::{Put, Reader};

/// The Magic Cookie that every control message carries (§2), to detect loss of sync.
pub const MAGIC_COOKIE: u32 = 0x1A2B_3C4D;
/// Length of the header common to all control messages.
pub const HEADER_LEN: usize = 12;
/// Length of the longest message (Incoming-Call-Request); pptp-linux's `PPTP_CTRL_SIZE_MAX`.
pub const MAX_MESSAGE_LEN: usize = 220;
/// Protocol version 1, revision 0: the only version (§2.1).
pub const PROTOCOL_VERSION: u16 = 0x0100;

/// PPTP Message Type of a control message; 2 (management) is never defined (§1.4).
const PPTP_CONTROL: u16 = 1;
/// Size of the host name, vendor, phone number and subaddress fields.
const NAME_LEN: usize = 64;
/// Size of the Call Statistics field of Call-Disconnect-Notify (§2.13).
const STATS_LEN: usize = 128;

/// Control Message Type numbers (§2); `Display` gives the RFC's name for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum MessageType {
    /// Start-Control-Connection-Request (§2.1).
    StartCtrlConnRequest = 1,
    /// Start-Control-Connection-Reply (§2.2).
    StartCtrlConnReply,
    /// Stop-Control-Connection-Request (§2.3).
    StopCtrlConnRequest,
    /// Stop-Control-Connection-Reply (§2.4).
    StopCtrlConnReply,
    /// Echo-Request (§2.5).
    EchoRequest,
    /// Echo-Reply (§2.6).
    EchoReply,
    /// Outgoing-Call-Request (§2.7).
    OutgoingCallRequest,
    /// Outgoing-Call-Reply (§2.8).
    OutgoingCallReply,
    /// Incoming-Call-Request (§2.9).
    IncomingCallRequest,
    /// Incoming-Call-Reply (§2.10).
    IncomingCallReply,
    /// Incoming-Call-Connected (§2.11).
    IncomingCallConnected,
    /// Call-Clear-Request (§2.12).
    CallClearRequest,
    /// Call-Disconnect-Notify (§2.13).
    CallDisconnectNotify,
    /// WAN-Error-Notify (§2.14).
    WanErrorNotify,
    /// Set-Link-Info (§2.15).
    SetLinkInfo,
}

/// Every message type with its exact length and RFC name, in numeric order.
#[rustfmt::skip]
const TYPES: [(MessageType, usize, &str); 15] = {
    use MessageType as T;
    [
        (T::StartCtrlConnRequest, 156, "Start-Control-Connection-Request"),
        (T::StartCtrlConnReply, 156, "Start-Control-Connection-Reply"),
        (T::StopCtrlConnRequest, 16, "Stop-Control-Connection-Request"),
        (T::StopCtrlConnReply, 16, "Stop-Control-Connection-Reply"),
        (T::EchoRequest, 16, "Echo-Request"),
        (T::EchoReply, 20, "Echo-Reply"),
        (T::OutgoingCallRequest, 168, "Outgoing-Call-Request"),
        (T::OutgoingCallReply, 32, "Outgoing-Call-Reply"),
        (T::IncomingCallRequest, 220, "Incoming-Call-Request"),
        (T::IncomingCallReply, 24, "Incoming-Call-Reply"),
        (T::IncomingCallConnected, 28, "Incoming-Call-Connected"),
        (T::CallClearRequest, 16, "Call-Clear-Request"),
        (T::CallDisconnectNotify, 148, "Call-Disconnect-Notify"),
        (T::WanErrorNotify, 40, "WAN-Error-Notify"),
        (T::SetLinkInfo, 24, "Set-Link-Info"),
    ]
};

impl MessageType {
    /// The type with Control Message Type number `v`, if there is one.
    pub fn from_u16(v: u16) -> Option<Self> {
        let index = usize::from(v).checked_sub(1)?;
        TYPES.get(index).map(|&(t, _, _)| t)
    }

    /// Exact total length of a message of this type, header included.
    pub fn message_len(self) -> usize {
        self.entry().1
    }

    fn entry(self) -> (MessageType, usize, &'static str) {
        // The discriminants are 1..=15, in the order of `TYPES`.
        TYPES[self as usize - 1]
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.entry().2)
    }
}

/// Start-Control-Connection-Request and -Reply (§2.1, §2.2), which share one layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartCtrlConn {
    /// Protocol version, [`PROTOCOL_VERSION`].
    pub protocol_version: u16,
    /// Result Code of a reply (1 = success). Reserved in a request: written and read as 0.
    pub result_code: u8,
    /// General Error Code of a reply (§2.16). Reserved in a request: written and read as 0.
    pub error_code: u8,
    /// Framing Capabilities: bit 0 asynchronous, bit 1 synchronous.
    pub framing_capabilities: u32,
    /// Bearer Capabilities: bit 0 analog, bit 1 digital.
    pub bearer_capabilities: u32,
    /// Maximum Channels the PAC supports (0 from a PNS).
    pub maximum_channels: u16,
    /// Firmware Revision of the sender.
    pub firmware_revision: u16,
    /// Host Name of the sender (64 bytes on the wire).
    pub host_name: String,
    /// Vendor String of the sender (64 bytes on the wire).
    pub vendor: String,
}

/// Outgoing-Call-Request (§2.7): the PNS asks the PAC to place a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingCallRequest {
    /// The PNS's call ID, which the PAC puts in the GRE Key of packets it sends.
    pub call_id: u16,
    /// Call Serial Number, for logs only.
    pub call_serial: u16,
    /// Minimum acceptable line speed, bits per second.
    pub minimum_bps: u32,
    /// Maximum acceptable line speed, bits per second.
    pub maximum_bps: u32,
    /// Bearer Type: 1 analog, 2 digital, 3 any.
    pub bearer_type: u32,
    /// Framing Type: 1 asynchronous, 2 synchronous, 3 any.
    pub framing_type: u32,
    /// Packet Receive Window Size: GRE packets the PNS can buffer.
    pub recv_window: u16,
    /// Packet Processing Delay, in 1/10 s.
    pub processing_delay: u16,
    /// Phone Number to dial (64 bytes on the wire).
    pub phone_number: String,
    /// Subaddress (64 bytes on the wire).
    pub subaddress: String,
}

/// Outgoing-Call-Reply (§2.8): the PAC's answer to an Outgoing-Call-Request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingCallReply {
    /// The PAC's call ID for this call.
    pub call_id: u16,
    /// The PNS's call ID, from the request.
    pub peer_call_id: u16,
    /// Result Code (1 = connected, 7 = administratively prohibited, ...).
    pub result_code: u8,
    /// General Error Code (§2.16).
    pub error_code: u8,
    /// Cause Code (ISDN Q.931 cause, else 0).
    pub cause_code: u16,
    /// Connect Speed, bits per second.
    pub connect_speed: u32,
    /// Packet Receive Window Size: GRE packets the PAC can buffer.
    pub recv_window: u16,
    /// Packet Processing Delay, in 1/10 s.
    pub processing_delay: u16,
    /// Physical Channel ID, for logs only.
    pub physical_channel_id: u32,
}

impl OutgoingCallReply {
    /// A refusal of the request from `peer_call_id`: no call ID of ours, nothing offered.
    pub fn refusal(
        peer_call_id: u16,
        result: codes::OutgoingResult,
        error: codes::GeneralError,
    ) -> Self {
        OutgoingCallReply {
            call_id: 0,
            peer_call_id,
            result_code: result.code(),
            error_code: error.code(),
            cause_code: 0,
            connect_speed: 0,
            recv_window: 0,
            processing_delay: 0,
            physical_channel_id: 0,
        }
    }
}

/// Incoming-Call-Request (§2.9): the PAC reports an inbound call to the PNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCallRequest {
    /// The PAC's call ID for this call.
    pub call_id: u16,
    /// Call Serial Number, for logs only.
    pub call_serial: u16,
    /// Call Bearer Type: 1 analog, 2 digital.
    pub bearer_type: u32,
    /// Physical Channel ID, for logs only.
    pub physical_channel_id: u32,
    /// Dialed Number (64 bytes on the wire).
    pub dialed_number: String,
    /// Dialing Number (64 bytes on the wire).
    pub dialing_number: String,
    /// Subaddress (64 bytes on the wire).
    pub subaddress: String,
}

/// Incoming-Call-Reply (§2.10): the PNS's answer to an Incoming-Call-Request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCallReply {
    /// The PNS's call ID for this call.
    pub call_id: u16,
    /// The PAC's call ID, from the request.
    pub peer_call_id: u16,
    /// Result Code (1 = connect, 2 = general error, 3 = do not accept).
    pub result_code: u8,
    /// General Error Code (§2.16).
    pub error_code: u8,
    /// Packet Receive Window Size: GRE packets the PNS can buffer.
    pub recv_window: u16,
    /// Packet Transmit Delay, in 1/10 s.
    pub transmit_delay: u16,
}

impl IncomingCallReply {
    /// A refusal of the request from `peer_call_id`: no call ID of ours, nothing offered.
    pub fn refusal(
        peer_call_id: u16,
        result: codes::IncomingResult,
        error: codes::GeneralError,
    ) -> Self {
        IncomingCallReply {
            call_id: 0,
            peer_call_id,
            result_code: result.code(),
            error_code: error.code(),
            recv_window: 0,
            transmit_delay: 0,
        }
    }
}

/// Incoming-Call-Connected (§2.11): the PAC confirms an accepted inbound call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCallConnected {
    /// The PNS's call ID, from the Incoming-Call-Reply.
    pub peer_call_id: u16,
    /// Connect Speed, bits per second.
    pub connect_speed: u32,
    /// Packet Receive Window Size: GRE packets the PAC can buffer.
    pub recv_window: u16,
    /// Packet Transmit Delay, in 1/10 s.
    pub transmit_delay: u16,
    /// Framing Type: 1 asynchronous, 2 synchronous.
    pub framing_type: u32,
}

/// Call-Disconnect-Notify (§2.13): the PAC reports that a call has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDisconnectNotify {
    /// The PAC's call ID for the call.
    pub call_id: u16,
    /// Result Code (1 lost carrier, 2 general error, 3 admin shutdown, 4 request).
    pub result_code: u8,
    /// General Error Code (§2.16).
    pub error_code: u8,
    /// Cause Code (ISDN Q.931 cause, else 0).
    pub cause_code: u16,
    /// Call Statistics, free text (128 bytes on the wire).
    pub call_statistics: String,
}

/// WAN-Error-Notify (§2.14): the PAC's cumulative line error counters for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WanErrorNotify {
    /// The PNS's call ID for the call.
    pub peer_call_id: u16,
    /// CRC Errors.
    pub crc_errors: u32,
    /// Framing Errors.
    pub framing_errors: u32,
    /// Hardware Overruns.
    pub hardware_overruns: u32,
    /// Buffer Overruns.
    pub buffer_overruns: u32,
    /// Time-out Errors.
    pub timeout_errors: u32,
    /// Alignment Errors.
    pub alignment_errors: u32,
}

/// Set-Link-Info (§2.15): the PNS passes PPP-negotiated ACCMs to the PAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetLinkInfo {
    /// The PAC's call ID for the call.
    pub peer_call_id: u16,
    /// Send Async Control Character Map.
    pub send_accm: u32,
    /// Receive Async Control Character Map.
    pub recv_accm: u32,
}

/// One PPTP control message, header stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlMessage {
    /// Start-Control-Connection-Request (§2.1).
    StartCtrlConnRequest(StartCtrlConn),
    /// Start-Control-Connection-Reply (§2.2).
    StartCtrlConnReply(StartCtrlConn),
    /// Stop-Control-Connection-Request (§2.3).
    StopCtrlConnRequest {
        /// Reason: 1 none, 2 protocol version not supported, 3 local shutdown.
        reason: u8,
    },
    /// Stop-Control-Connection-Reply (§2.4).
    StopCtrlConnReply {
        /// Result Code: 1 OK, 2 general error.
        result_code: u8,
        /// General Error Code (§2.16).
        error_code: u8,
    },
    /// Echo-Request (§2.5).
    EchoRequest {
        /// Identifier, echoed in the reply.
        identifier: u32,
    },
    /// Echo-Reply (§2.6).
    EchoReply {
        /// Identifier of the request answered.
        identifier: u32,
        /// Result Code: 1 OK, 2 general error.
        result_code: u8,
        /// General Error Code (§2.16).
        error_code: u8,
    },
    /// Outgoing-Call-Request (§2.7).
    OutgoingCallRequest(OutgoingCallRequest),
    /// Outgoing-Call-Reply (§2.8).
    OutgoingCallReply(OutgoingCallReply),
    /// Incoming-Call-Request (§2.9).
    IncomingCallRequest(IncomingCallRequest),
    /// Incoming-Call-Reply (§2.10).
    IncomingCallReply(IncomingCallReply),
    /// Incoming-Call-Connected (§2.11).
    IncomingCallConnected(IncomingCallConnected),
    /// Call-Clear-Request (§2.12).
    CallClearRequest {
        /// The PNS's call ID for the call to clear.
        call_id: u16,
    },
    /// Call-Disconnect-Notify (§2.13).
    CallDisconnectNotify(CallDisconnectNotify),
    /// WAN-Error-Notify (§2.14).
    WanErrorNotify(WanErrorNotify),
    /// Set-Link-Info (§2.15).
    SetLinkInfo(SetLinkInfo),
}

impl ControlMessage {
    /// The Control Message Type of this message.
    pub fn message_type(&self) -> MessageType {
        use ControlMessage as M;
        match self {
            M::StartCtrlConnRequest(_) => MessageType::StartCtrlConnRequest,
            M::StartCtrlConnReply(_) => MessageType::StartCtrlConnReply,
            M::StopCtrlConnRequest { .. } => MessageType::StopCtrlConnRequest,
            M::StopCtrlConnReply { .. } => MessageType::StopCtrlConnReply,
            M::EchoRequest { .. } => MessageType::EchoRequest,
            M::EchoReply { .. } => MessageType::EchoReply,
            M::OutgoingCallRequest(_) => MessageType::OutgoingCallRequest,
            M::OutgoingCallReply(_) => MessageType::OutgoingCallReply,
            M::IncomingCallRequest(_) => MessageType::IncomingCallRequest,
            M::IncomingCallReply(_) => MessageType::IncomingCallReply,
            M::IncomingCallConnected(_) => MessageType::IncomingCallConnected,
            M::CallClearRequest { .. } => MessageType::CallClearRequest,
            M::CallDisconnectNotify(_) => MessageType::CallDisconnectNotify,
            M::WanErrorNotify(_) => MessageType::WanErrorNotify,
            M::SetLinkInfo(_) => MessageType::SetLinkInfo,
        }
    }

    /// Parses exactly one whole message (as framed by [`frame_len`]).
    ///
    /// The Length field must equal both `buf.len()` and the fixed length of the message type;
    /// a buffer shorter than the Length field is [`Error::Truncated`], a longer one is
    /// [`Error::BadLength`] carrying the buffer's length.
    pub fn parse(buf: &[u8]) -> Result<ControlMessage, Error> {
        let message_type = parse_header(buf)?;
        let mut r = Reader(&buf[HEADER_LEN..]);
        Ok(parse_body(message_type, &mut r))
    }

    /// Appends the encoded message, header included, to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let message_type = self.message_type();
        out.reserve(message_type.message_len());
        // message_len() is at most MAX_MESSAGE_LEN, so the cast is lossless.
        out.put_u16(message_type.message_len() as u16);
        out.put_u16(PPTP_CONTROL);
        out.put_u32(MAGIC_COOKIE);
        out.put_u16(message_type as u16);
        out.put_u16(0);
        self.emit_body(out);
    }

    fn emit_body(&self, out: &mut Vec<u8>) {
        use ControlMessage as M;
        match self {
            M::StartCtrlConnRequest(m) => m.emit(out, false),
            M::StartCtrlConnReply(m) => m.emit(out, true),
            M::StopCtrlConnRequest { reason } => out.put_result(*reason, 0),
            M::StopCtrlConnReply {
                result_code,
                error_code,
            } => out.put_result(*result_code, *error_code),
            M::EchoRequest { identifier } => out.put_u32(*identifier),
            M::EchoReply {
                identifier,
                result_code,
                error_code,
            } => {
                out.put_u32(*identifier);
                out.put_result(*result_code, *error_code);
            }
            M::OutgoingCallRequest(m) => m.emit(out),
            M::OutgoingCallReply(m) => m.emit(out),
            M::IncomingCallRequest(m) => m.emit(out),
            M::IncomingCallReply(m) => m.emit(out),
            M::IncomingCallConnected(m) => m.emit(out),
            M::CallClearRequest { call_id } => out.put_call_id(*call_id),
            M::CallDisconnectNotify(m) => m.emit(out),
            M::WanErrorNotify(m) => m.emit(out),
            M::SetLinkInfo(m) => m.emit(out),
        }
    }
}

/// Takes every whole message off the front of a control connection's unread bytes and
/// hands each to `on_message`, parsed or with why it did not parse (a message with a good
/// header is skipped by its Length, so one bad message costs nothing else). An incomplete
/// message stays in `buf`. `Err` when framing is lost (bad magic or Length): RFC 2637 §1.4
/// has the connection closed then.
pub fn take_messages(
    buf: &mut Vec<u8>,
    mut on_message: impl FnMut(Result<ControlMessage, Error>),
) -> Result<(), Error> {
    let mut start = 0;
    let result = loop {
        match frame_len(&buf[start..]) {
            Ok(Some(len)) if start + len <= buf.len() => {
                on_message(ControlMessage::parse(&buf[start..start + len]));
                start += len;
            }
            Ok(_) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    buf.drain(..start);
    result
}

/// Stream framing for the TCP byte stream (§2): the total length of the first message in
/// `buf`, the unread bytes.
///
/// `Ok(None)` while fewer than [`HEADER_LEN`] bytes are there. `Ok(Some(len))` once the
/// header is present and plausible, whether or not all `len` bytes are: the caller waits for
/// them, then calls [`ControlMessage::parse`] on `buf[..len]`; a message that parse rejects
/// (an unknown type, say) can thus still be skipped. `Err` when the header can never become
/// valid (bad magic, Length outside 12..=220, a PPTP Message Type other than control): the
/// stream has lost sync and the connection should be dropped.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    check_magic_and_kind(buf)?;
    let length = be16(buf, 0);
    if !(HEADER_LEN..=MAX_MESSAGE_LEN).contains(&usize::from(length)) {
        return Err(Error::BadLength {
            message_type: be16(buf, 8),
            length,
        });
    }
    Ok(Some(usize::from(length)))
}

/// Checks the Magic Cookie, then the PPTP Message Type; `buf` holds the whole header.
fn check_magic_and_kind(buf: &[u8]) -> Result<(), Error> {
    let magic = be32(buf, 4);
    if magic != MAGIC_COOKIE {
        return Err(Error::BadMagic(magic));
    }
    match be16(buf, 2) {
        PPTP_CONTROL => Ok(()),
        other => Err(Error::NotControlMessage(other)),
    }
}

/// Validates the header against the type's fixed length and `buf.len()`.
fn parse_header(buf: &[u8]) -> Result<MessageType, Error> {
    check_len(buf, HEADER_LEN)?;
    check_magic_and_kind(buf)?;
    let code = be16(buf, 8);
    let message_type = MessageType::from_u16(code).ok_or(Error::UnknownMessage(code))?;
    let length = be16(buf, 0);
    if usize::from(length) != message_type.message_len() {
        return Err(Error::BadLength {
            message_type: code,
            length,
        });
    }
    check_len(buf, usize::from(length))?;
    if buf.len() != usize::from(length) {
        return Err(Error::BadLength {
            message_type: code,
            length: u16::try_from(buf.len()).unwrap_or(u16::MAX),
        });
    }
    Ok(message_type)
}

/// Reads the body of a message whose header and length have been checked.
fn parse_body(message_type: MessageType, r: &mut Reader<'_>) -> ControlMessage {
    use ControlMessage as M;
    use MessageType as T;
    match message_type {
        T::StartCtrlConnRequest => M::StartCtrlConnRequest(StartCtrlConn::parse(r, false)),
        T::StartCtrlConnReply => M::StartCtrlConnReply(StartCtrlConn::parse(r, true)),
        T::StopCtrlConnRequest => M::StopCtrlConnRequest { reason: r.u8() },
        T::StopCtrlConnReply => M::StopCtrlConnReply {
            result_code: r.u8(),
            error_code: r.u8(),
        },
        T::EchoRequest => M::EchoRequest {
            identifier: r.u32(),
        },
        T::EchoReply => M::EchoReply {
            identifier: r.u32(),
            result_code: r.u8(),
            error_code: r.u8(),
        },
        T::OutgoingCallRequest => M::OutgoingCallRequest(OutgoingCallRequest::parse(r)),
        T::OutgoingCallReply => M::OutgoingCallReply(OutgoingCallReply::parse(r)),
        T::IncomingCallRequest => M::IncomingCallRequest(IncomingCallRequest::parse(r)),
        T::IncomingCallReply => M::IncomingCallReply(IncomingCallReply::parse(r)),
        T::IncomingCallConnected => M::IncomingCallConnected(IncomingCallConnected::parse(r)),
        T::CallClearRequest => M::CallClearRequest { call_id: r.u16() },
        T::CallDisconnectNotify => M::CallDisconnectNotify(CallDisconnectNotify::parse(r)),
        T::WanErrorNotify => M::WanErrorNotify(WanErrorNotify::parse(r)),
        T::SetLinkInfo => M::SetLinkInfo(SetLinkInfo::parse(r)),
    }
}

#[cfg(test)]
mod tests;
