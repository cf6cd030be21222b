//! The numbers RADIUS gives names to, each in one table: Codes (RFC 2865 §3, RFC 2866 §3,
//! RFC 5997, RFC 5176 §2.3), Error-Cause values (RFC 5176 §3.5) and attribute types.

use std::fmt;

/// RADIUS Codes (RFC 2865 §3, RFC 2866 §3, RFC 5997, RFC 5176 §2.3); `Display` gives the
/// RFC's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Code {
    /// Access-Request (RFC 2865 §4.1).
    AccessRequest = 1,
    /// Access-Accept (RFC 2865 §4.2).
    AccessAccept = 2,
    /// Access-Reject (RFC 2865 §4.3).
    AccessReject = 3,
    /// Accounting-Request (RFC 2866 §4.1).
    AccountingRequest = 4,
    /// Accounting-Response (RFC 2866 §4.2).
    AccountingResponse = 5,
    /// Access-Challenge (RFC 2865 §4.4).
    AccessChallenge = 11,
    /// Status-Server (RFC 5997).
    StatusServer = 12,
    /// Status-Client (reserved, RFC 2865 §3).
    StatusClient = 13,
    /// Disconnect-Request (RFC 5176 §2.1).
    DisconnectRequest = 40,
    /// Disconnect-ACK (RFC 5176 §2.1).
    DisconnectAck = 41,
    /// Disconnect-NAK (RFC 5176 §2.1).
    DisconnectNak = 42,
    /// CoA-Request (RFC 5176 §2.2).
    CoaRequest = 43,
    /// CoA-ACK (RFC 5176 §2.2).
    CoaAck = 44,
    /// CoA-NAK (RFC 5176 §2.2).
    CoaNak = 45,
}

/// Every Code with its RFC name.
#[rustfmt::skip]
pub(super) const CODES: [(Code, &str); 14] = [
    (Code::AccessRequest, "Access-Request"),
    (Code::AccessAccept, "Access-Accept"),
    (Code::AccessReject, "Access-Reject"),
    (Code::AccountingRequest, "Accounting-Request"),
    (Code::AccountingResponse, "Accounting-Response"),
    (Code::AccessChallenge, "Access-Challenge"),
    (Code::StatusServer, "Status-Server"),
    (Code::StatusClient, "Status-Client"),
    (Code::DisconnectRequest, "Disconnect-Request"),
    (Code::DisconnectAck, "Disconnect-ACK"),
    (Code::DisconnectNak, "Disconnect-NAK"),
    (Code::CoaRequest, "CoA-Request"),
    (Code::CoaAck, "CoA-ACK"),
    (Code::CoaNak, "CoA-NAK"),
];

impl Code {
    /// The Code numbered `v`, if this module knows it.
    pub fn from_u8(v: u8) -> Option<Code> {
        CODES.iter().find(|(c, _)| *c as u8 == v).map(|&(c, _)| c)
    }

    /// The RFC's name of the Code.
    pub fn name(self) -> &'static str {
        CODES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("?", |&(_, n)| n)
    }

    /// True for requests whose Request Authenticator is a keyed MD5 of the packet
    /// (Accounting-, Disconnect- and CoA-Request) rather than a random number.
    pub fn has_signed_request_authenticator(self) -> bool {
        matches!(
            self,
            Code::AccountingRequest | Code::DisconnectRequest | Code::CoaRequest
        )
    }

    /// True for the Codes that answer a request (and so carry a Response Authenticator).
    pub fn is_response(self) -> bool {
        matches!(
            self,
            Code::AccessAccept
                | Code::AccessReject
                | Code::AccountingResponse
                | Code::AccessChallenge
                | Code::DisconnectAck
                | Code::DisconnectNak
                | Code::CoaAck
                | Code::CoaNak
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error-Cause values (RFC 5176 §3.5). 2xx report success and go in ACKs only; 4xx (the
/// client's fault) and 5xx (the server's) go in NAKs only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorCause {
    /// 201: Residual Session Context Removed.
    ResidualSessionContextRemoved = 201,
    /// 202: Invalid EAP Packet (Ignored).
    InvalidEapPacket = 202,
    /// 401: Unsupported Attribute.
    UnsupportedAttribute = 401,
    /// 402: Missing Attribute.
    MissingAttribute = 402,
    /// 403: NAS Identification Mismatch.
    NasIdentificationMismatch = 403,
    /// 404: Invalid Request.
    InvalidRequest = 404,
    /// 405: Unsupported Service.
    UnsupportedService = 405,
    /// 406: Unsupported Extension.
    UnsupportedExtension = 406,
    /// 407: Invalid Attribute Value.
    InvalidAttributeValue = 407,
    /// 501: Administratively Prohibited.
    AdministrativelyProhibited = 501,
    /// 502: Request Not Routable (Proxy).
    RequestNotRoutable = 502,
    /// 503: Session Context Not Found.
    SessionContextNotFound = 503,
    /// 504: Session Context Not Removable.
    SessionContextNotRemovable = 504,
    /// 505: Other Proxy Processing Error.
    OtherProxyProcessingError = 505,
    /// 506: Resources Unavailable.
    ResourcesUnavailable = 506,
    /// 507: Request Initiated.
    RequestInitiated = 507,
    /// 508: Multiple Session Selection Unsupported.
    MultipleSessionSelectionUnsupported = 508,
}

/// Every Error-Cause with its name in RFC 5176 §3.5.
#[rustfmt::skip]
pub(super) const ERROR_CAUSES: [(ErrorCause, &str); 17] = {
    use ErrorCause as E;
    [
        (E::ResidualSessionContextRemoved, "Residual Session Context Removed"),
        (E::InvalidEapPacket, "Invalid EAP Packet (Ignored)"),
        (E::UnsupportedAttribute, "Unsupported Attribute"),
        (E::MissingAttribute, "Missing Attribute"),
        (E::NasIdentificationMismatch, "NAS Identification Mismatch"),
        (E::InvalidRequest, "Invalid Request"),
        (E::UnsupportedService, "Unsupported Service"),
        (E::UnsupportedExtension, "Unsupported Extension"),
        (E::InvalidAttributeValue, "Invalid Attribute Value"),
        (E::AdministrativelyProhibited, "Administratively Prohibited"),
        (E::RequestNotRoutable, "Request Not Routable (Proxy)"),
        (E::SessionContextNotFound, "Session Context Not Found"),
        (E::SessionContextNotRemovable, "Session Context Not Removable"),
        (E::OtherProxyProcessingError, "Other Proxy Processing Error"),
        (E::ResourcesUnavailable, "Resources Unavailable"),
        (E::RequestInitiated, "Request Initiated"),
        (E::MultipleSessionSelectionUnsupported, "Multiple Session Selection Unsupported"),
    ]
};

impl ErrorCause {
    /// The Error-Cause with value `v`, if RFC 5176 defines it.
    pub fn from_u32(v: u32) -> Option<ErrorCause> {
        ERROR_CAUSES
            .iter()
            .find(|(c, _)| *c as u32 == v)
            .map(|&(c, _)| c)
    }

    /// The value on the wire.
    pub fn value(self) -> u32 {
        self as u32
    }

    /// The name in RFC 5176 §3.5.
    pub fn name(self) -> &'static str {
        ERROR_CAUSES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("?", |&(_, n)| n)
    }

    /// True for 2xx, the values that report success and may go only in an ACK.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.value())
    }
}

impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value(), self.name())
    }
}

/// Attribute types (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5, RFC 3162, RFC 3579, RFC 4372,
/// RFC 5176 §3), those a Dynamic Authorization Server meets; [`attribute_name`] names them.
pub mod attr {
    /// User-Name (RFC 2865 §5.1): session identification.
    pub const USER_NAME: u8 = 1;
    /// NAS-IP-Address (RFC 2865 §5.4): NAS identification.
    pub const NAS_IP_ADDRESS: u8 = 4;
    /// NAS-Port (RFC 2865 §5.5): session identification.
    pub const NAS_PORT: u8 = 5;
    /// Service-Type (RFC 2865 §5.6).
    pub const SERVICE_TYPE: u8 = 6;
    /// Framed-IP-Address (RFC 2865 §5.8): session identification.
    pub const FRAMED_IP_ADDRESS: u8 = 8;
    /// Reply-Message (RFC 2865 §5.18).
    pub const REPLY_MESSAGE: u8 = 18;
    /// State (RFC 2865 §5.24).
    pub const STATE: u8 = 24;
    /// Class (RFC 2865 §5.25).
    pub const CLASS: u8 = 25;
    /// Vendor-Specific (RFC 2865 §5.26).
    pub const VENDOR_SPECIFIC: u8 = 26;
    /// Session-Timeout (RFC 2865 §5.27).
    pub const SESSION_TIMEOUT: u8 = 27;
    /// Called-Station-Id (RFC 2865 §5.30): session identification.
    pub const CALLED_STATION_ID: u8 = 30;
    /// Calling-Station-Id (RFC 2865 §5.31): session identification.
    pub const CALLING_STATION_ID: u8 = 31;
    /// NAS-Identifier (RFC 2865 §5.32): NAS identification.
    pub const NAS_IDENTIFIER: u8 = 32;
    /// Proxy-State (RFC 2865 §5.33): echoed in replies.
    pub const PROXY_STATE: u8 = 33;
    /// Acct-Session-Id (RFC 2866 §5.5): session identification.
    pub const ACCT_SESSION_ID: u8 = 44;
    /// Acct-Terminate-Cause (RFC 2866 §5.10).
    pub const ACCT_TERMINATE_CAUSE: u8 = 49;
    /// Acct-Multi-Session-Id (RFC 2866 §5.11): session identification.
    pub const ACCT_MULTI_SESSION_ID: u8 = 50;
    /// Event-Timestamp (RFC 2869 §5.3): seconds since 1970-01-01 UTC.
    pub const EVENT_TIMESTAMP: u8 = 55;
    /// NAS-Port-Type (RFC 2865 §5.41).
    pub const NAS_PORT_TYPE: u8 = 61;
    /// EAP-Message (RFC 3579 §3.1).
    pub const EAP_MESSAGE: u8 = 79;
    /// Message-Authenticator (RFC 3579 §3.2).
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;
    /// NAS-Port-Id (RFC 2869 §5.17): session identification.
    pub const NAS_PORT_ID: u8 = 87;
    /// Chargeable-User-Identity (RFC 4372): session identification.
    pub const CHARGEABLE_USER_IDENTITY: u8 = 89;
    /// NAS-IPv6-Address (RFC 3162 §2.1): NAS identification.
    pub const NAS_IPV6_ADDRESS: u8 = 95;
    /// Framed-Interface-Id (RFC 3162 §2.2): session identification.
    pub const FRAMED_INTERFACE_ID: u8 = 96;
    /// Framed-IPv6-Prefix (RFC 3162 §2.3): session identification.
    pub const FRAMED_IPV6_PREFIX: u8 = 97;
    /// Error-Cause (RFC 5176 §3.5).
    pub const ERROR_CAUSE: u8 = 101;
}

/// Every attribute type in [`attr`] with its RFC name.
#[rustfmt::skip]
pub(super) const ATTRIBUTES: [(u8, &str); 27] = {
    use attr::*;
    [
        (USER_NAME, "User-Name"),
        (NAS_IP_ADDRESS, "NAS-IP-Address"),
        (NAS_PORT, "NAS-Port"),
        (SERVICE_TYPE, "Service-Type"),
        (FRAMED_IP_ADDRESS, "Framed-IP-Address"),
        (REPLY_MESSAGE, "Reply-Message"),
        (STATE, "State"),
        (CLASS, "Class"),
        (VENDOR_SPECIFIC, "Vendor-Specific"),
        (SESSION_TIMEOUT, "Session-Timeout"),
        (CALLED_STATION_ID, "Called-Station-Id"),
        (CALLING_STATION_ID, "Calling-Station-Id"),
        (NAS_IDENTIFIER, "NAS-Identifier"),
        (PROXY_STATE, "Proxy-State"),
        (ACCT_SESSION_ID, "Acct-Session-Id"),
        (ACCT_TERMINATE_CAUSE, "Acct-Terminate-Cause"),
        (ACCT_MULTI_SESSION_ID, "Acct-Multi-Session-Id"),
        (EVENT_TIMESTAMP, "Event-Timestamp"),
        (NAS_PORT_TYPE, "NAS-Port-Type"),
        (EAP_MESSAGE, "EAP-Message"),
        (MESSAGE_AUTHENTICATOR, "Message-Authenticator"),
        (NAS_PORT_ID, "NAS-Port-Id"),
        (CHARGEABLE_USER_IDENTITY, "Chargeable-User-Identity"),
        (NAS_IPV6_ADDRESS, "NAS-IPv6-Address"),
        (FRAMED_INTERFACE_ID, "Framed-Interface-Id"),
        (FRAMED_IPV6_PREFIX, "Framed-IPv6-Prefix"),
        (ERROR_CAUSE, "Error-Cause"),
    ]
};

/// The RFC name of attribute type `ty`, if it is one of [`attr`].
pub fn attribute_name(ty: u8) -> Option<&'static str> {
    ATTRIBUTES.iter().find(|(t, _)| *t == ty).map(|&(_, n)| n)
}

/// Formats an attribute type as its name, or `attribute-N` when it has none here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrName(pub u8);

impl fmt::Display for AttrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match attribute_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "attribute-{}", self.0),
        }
    }
}
