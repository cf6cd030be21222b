//! RADIUS packets (RFC 2865 §3, §5) as the Dynamic Authorization Extensions use them
//! (RFC 5176 §2.3, §3): parse, build, sign and verify.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |     Code      |  Identifier   |            Length             |
//! |                                                               |
//! |                 Authenticator (16 octets)                     |
//! |                                                               |
//! |  Type  |  Length  |  Value ...   (attributes, up to Length)
//! ```
//!
//! [`Packet::parse`] checks the framing only, and is total on hostile input: Length must be
//! 20..=4096 and no more than the buffer (octets beyond it are padding and ignored, a
//! shorter buffer is dropped, RFC 2865 §3, RFC 5176 §2.3); a datagram over 4096 octets is
//! refused outright, as FreeRADIUS does; every attribute must have a Length of at least 2
//! and end inside the packet (RFC 2865 §5). Two attributes are checked further because
//! authentication depends on them: Vendor-Specific must hold at least its Vendor-Id and one
//! octet (Length >= 7, RFC 2865 §5.26), and Message-Authenticator must be exactly 18 octets
//! and appear at most once (RFC 3579 §3.2). Other values are checked by the typed
//! accessors, so that a caller can answer a bad value (RFC 5176's Error-Cause 407) instead of
//! dropping the packet.
//!
//! The authenticators, all keyed by the shared secret, `|` meaning concatenation:
//!
//! - Request Authenticator of Accounting-, Disconnect- and CoA-Request (RFC 2866 §3,
//!   RFC 5176 §2.3): `MD5(Code | Identifier | Length | 16 zero octets | Attributes | Secret)`.
//! - Response Authenticator of every response (RFC 2865 §3, RFC 5176 §2.3):
//!   `MD5(Code | Identifier | Length | Request Authenticator | Attributes | Secret)`, with the
//!   Request Authenticator of the request being answered.
//! - Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.4): `HMAC-MD5(Secret, packet)` over
//!   the whole packet with the attribute's own value taken as 16 zero octets and the
//!   Authenticator field taken as
//!   - 16 zero octets in an Accounting-, Disconnect- or CoA-Request (RFC 5176 §3.4: "the
//!     Request Authenticator field and Message-Authenticator Attribute MUST each be
//!     considered to be sixteen octets of zero");
//!   - the Request Authenticator as sent in an Access-Request or Status-Server;
//!   - the Request Authenticator of the request being answered in any response (RFC 3579
//!     §3.2; RFC 5176 §3.4 for Disconnect-/CoA-ACK and -NAK). This is what FreeRADIUS's
//!     `radclient` checks and what hostapd's Dynamic Authorization Server sends.
//!
//!   The Message-Authenticator is computed first, and the Request or Response Authenticator
//!   then covers it (RFC 5176 §3.4: "calculated and inserted in the packet before the
//!   Request Authenticator is calculated").
//!
//! Authenticators are compared in constant time. Nothing here logs or keeps state; building
//! writes into a caller's buffer.

use std::fmt;
use std::net::Ipv4Addr;

use ctutils::CtEq;
use hmac::{KeyInit, Mac};
use md5::{Digest, Md5};

mod names;
pub use names::{AttrName, Code, ErrorCause, attr, attribute_name};

#[cfg(test)]
pub(crate) mod test_vectors;
#[cfg(test)]
mod tests;

/// Length of the header: Code, Identifier, Length and Authenticator.
pub const HEADER_LEN: usize = 20;
/// Largest packet (RFC 2865 §3).
pub const MAX_PACKET_LEN: usize = 4096;
/// Length of the Authenticator field and of a Message-Authenticator value.
pub const AUTHENTICATOR_LEN: usize = 16;
/// Longest attribute value: 255 less the Type and Length octets.
pub const MAX_VALUE_LEN: usize = 253;
/// UDP port of Disconnect and CoA messages (RFC 5176 §2.3).
pub const DAE_PORT: u16 = 3799;

/// A Request or Response Authenticator, or a Message-Authenticator value.
pub type Authenticator = [u8; AUTHENTICATOR_LEN];

type HmacMd5 = hmac::Hmac<Md5>;

/// Why a buffer is not a RADIUS packet, or a packet does not authenticate, or cannot be
/// built. Small and `Copy`, so that a listener can count and log it without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the header (`need` = 20) or before the Length field says
    /// the packet does (`need` = Length): RFC 2865 §3 has it silently discarded.
    Truncated {
        /// Octets the packet needs.
        need: usize,
        /// Octets present.
        have: usize,
    },
    /// A Length field outside 20..=4096.
    BadLength(u16),
    /// A datagram longer than 4096 octets.
    Oversize(usize),
    /// A Code this module does not know ([`Code`] lists those it does).
    UnknownCode(u8),
    /// An attribute whose Length octet is 0 or 1.
    BadAttributeLength {
        /// Offset of the attribute in the packet.
        at: usize,
        /// Its Length octet.
        length: u8,
    },
    /// An attribute (or a lone attribute header octet) that runs past the packet's Length.
    AttributeOverrun {
        /// Offset of the attribute in the packet.
        at: usize,
    },
    /// An attribute value of a size its type does not allow: a Vendor-Specific under 5
    /// octets, a Message-Authenticator other than 16, an address other than 4, ...
    BadValueLength {
        /// The attribute type.
        attr: u8,
        /// The value's length.
        len: usize,
    },
    /// More than one Message-Authenticator (RFC 3579 §3.2 allows one).
    DuplicateMessageAuthenticator,
    /// The Request or Response Authenticator does not match the shared secret.
    BadAuthenticator,
    /// The Message-Authenticator does not match the shared secret.
    BadMessageAuthenticator,
    /// The operation does not apply to packets of this Code (verifying a response as a
    /// request, signing an Access-Request as an Accounting-Request, ...).
    WrongCode(Code),
    /// Building: an attribute value longer than 253 octets.
    ValueTooLong {
        /// The attribute type.
        attr: u8,
        /// The value's length.
        len: usize,
    },
    /// Building: the packet would exceed 4096 octets.
    PacketTooLong(usize),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { need, have } => write!(f, "truncated: need={need} have={have}"),
            Error::BadLength(length) => write!(f, "bad length={length}"),
            Error::Oversize(len) => write!(f, "oversize datagram: {len} octets"),
            Error::UnknownCode(code) => write!(f, "unknown code={code}"),
            Error::BadAttributeLength { at, length } => {
                write!(f, "bad attribute length={length} at={at}")
            }
            Error::AttributeOverrun { at } => write!(f, "attribute past end of packet at={at}"),
            Error::BadValueLength { attr, len } => {
                write!(f, "bad value length={len} for {}", AttrName(*attr))
            }
            Error::DuplicateMessageAuthenticator => {
                f.write_str("more than one message-authenticator")
            }
            Error::BadAuthenticator => f.write_str("bad authenticator"),
            Error::BadMessageAuthenticator => f.write_str("bad message-authenticator"),
            Error::WrongCode(code) => write!(f, "not applicable to {code}"),
            Error::ValueTooLong { attr, len } => {
                write!(f, "value too long: {len} octets for {}", AttrName(*attr))
            }
            Error::PacketTooLong(len) => write!(f, "packet too long: {len} octets"),
        }
    }
}

impl std::error::Error for Error {}

/// One attribute of a parsed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The Type octet.
    pub ty: u8,
    /// The Value, without Type and Length.
    pub value: &'a [u8],
}

/// A Vendor-Specific attribute's value (RFC 2865 §5.26): the vendor's SMI Network
/// Management Private Enterprise Code and its opaque data (usually vendor sub-attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorSpecific<'a> {
    /// Vendor-Id; the high octet is 0 on the wire.
    pub vendor_id: u32,
    /// What follows the Vendor-Id, at least one octet.
    pub data: &'a [u8],
}

impl<'a> VendorSpecific<'a> {
    /// Splits a Vendor-Specific value into Vendor-Id and data; fewer than 5 octets is
    /// [`Error::BadValueLength`].
    pub fn parse(value: &'a [u8]) -> Result<Self, Error> {
        match value {
            [a, b, c, d, data @ ..] if !data.is_empty() => Ok(VendorSpecific {
                vendor_id: u32::from_be_bytes([*a, *b, *c, *d]),
                data,
            }),
            _ => Err(Error::BadValueLength {
                attr: attr::VENDOR_SPECIFIC,
                len: value.len(),
            }),
        }
    }
}

/// The attributes of a parsed packet, in order.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        // The packet was checked by `Packet::parse`; the guards only keep this total.
        let (&ty, rest) = self.rest.split_first()?;
        let (&len, _) = rest.split_first()?;
        let len = usize::from(len);
        let value = self.rest.get(2..len)?;
        self.rest = &self.rest[len..];
        Some(Attribute { ty, value })
    }
}

/// A RADIUS packet whose framing has been checked: a view of the received bytes, cut at the
/// Length field. Nothing is authenticated until [`verify_request`](Self::verify_request)
/// or [`verify_response`](Self::verify_response) says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Exactly Length octets.
    bytes: &'a [u8],
    code: Code,
    /// Offset of the Message-Authenticator attribute, if there is one.
    message_authenticator_at: Option<usize>,
}

impl<'a> Packet<'a> {
    /// Parses one datagram; see the module documentation for what is checked.
    pub fn parse(buf: &'a [u8]) -> Result<Packet<'a>, Error> {
        if buf.len() > MAX_PACKET_LEN {
            return Err(Error::Oversize(buf.len()));
        }
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: buf.len(),
            });
        }
        let length = u16::from_be_bytes([buf[2], buf[3]]);
        let len = usize::from(length);
        if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&len) {
            return Err(Error::BadLength(length));
        }
        if buf.len() < len {
            return Err(Error::Truncated {
                need: len,
                have: buf.len(),
            });
        }
        let code = Code::from_u8(buf[0]).ok_or(Error::UnknownCode(buf[0]))?;
        let bytes = &buf[..len];
        let message_authenticator_at = check_attributes(bytes)?;
        Ok(Packet {
            bytes,
            code,
            message_authenticator_at,
        })
    }

    /// The Code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The Identifier, which matches a response to its request.
    pub fn identifier(&self) -> u8 {
        self.bytes[1]
    }

    /// The Authenticator field as received.
    pub fn authenticator(&self) -> Authenticator {
        let mut a = [0; AUTHENTICATOR_LEN];
        a.copy_from_slice(&self.bytes[4..HEADER_LEN]);
        a
    }

    /// The packet's octets, exactly Length of them (padding left out).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            rest: &self.bytes[HEADER_LEN..],
        }
    }

    /// The values of every attribute of type `ty`, in order.
    pub fn values(&self, ty: u8) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.attributes()
            .filter(move |a| a.ty == ty)
            .map(|a| a.value)
    }

    /// The value of the first attribute of type `ty`.
    pub fn first(&self, ty: u8) -> Option<&'a [u8]> {
        self.values(ty).next()
    }

    /// How many attributes of type `ty` the packet holds.
    pub fn count(&self, ty: u8) -> usize {
        self.values(ty).count()
    }

    /// User-Name (1), as raw octets (RFC 2865 says UTF-8; compare them as octets).
    pub fn user_name(&self) -> Option<&'a [u8]> {
        self.first(attr::USER_NAME)
    }

    /// NAS-IP-Address (4); a value other than 4 octets is [`Error::BadValueLength`].
    pub fn nas_ip_address(&self) -> Result<Option<Ipv4Addr>, Error> {
        self.ipv4(attr::NAS_IP_ADDRESS)
    }

    /// NAS-Port (5).
    pub fn nas_port(&self) -> Result<Option<u32>, Error> {
        self.integer(attr::NAS_PORT)
    }

    /// Framed-IP-Address (8).
    pub fn framed_ip_address(&self) -> Result<Option<Ipv4Addr>, Error> {
        self.ipv4(attr::FRAMED_IP_ADDRESS)
    }

    /// The first Reply-Message (18); a message may be split over several.
    pub fn reply_message(&self) -> Option<&'a [u8]> {
        self.first(attr::REPLY_MESSAGE)
    }

    /// State (24).
    pub fn state(&self) -> Option<&'a [u8]> {
        self.first(attr::STATE)
    }

    /// Calling-Station-Id (31).
    pub fn calling_station_id(&self) -> Option<&'a [u8]> {
        self.first(attr::CALLING_STATION_ID)
    }

    /// NAS-Identifier (32).
    pub fn nas_identifier(&self) -> Option<&'a [u8]> {
        self.first(attr::NAS_IDENTIFIER)
    }

    /// Every Proxy-State (33), in order: RFC 5176 §3.1 has them copied into the reply.
    pub fn proxy_states(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.values(attr::PROXY_STATE)
    }

    /// Acct-Session-Id (44).
    pub fn acct_session_id(&self) -> Option<&'a [u8]> {
        self.first(attr::ACCT_SESSION_ID)
    }

    /// Event-Timestamp (55), seconds since 1970-01-01 UTC.
    pub fn event_timestamp(&self) -> Result<Option<u32>, Error> {
        self.integer(attr::EVENT_TIMESTAMP)
    }

    /// Message-Authenticator (80), whose length [`parse`](Self::parse) has checked.
    pub fn message_authenticator(&self) -> Option<Authenticator> {
        let at = self.message_authenticator_at? + 2;
        let mut a = [0; AUTHENTICATOR_LEN];
        a.copy_from_slice(self.bytes.get(at..at + AUTHENTICATOR_LEN)?);
        Some(a)
    }

    /// Error-Cause (101) as its raw value; [`ErrorCause::from_u32`] names it.
    pub fn error_cause(&self) -> Result<Option<u32>, Error> {
        self.integer(attr::ERROR_CAUSE)
    }

    /// Every Vendor-Specific (26), split into Vendor-Id and data ([`parse`](Self::parse)
    /// has checked their length).
    pub fn vendor_specific(&self) -> impl Iterator<Item = VendorSpecific<'a>> + 'a {
        self.values(attr::VENDOR_SPECIFIC)
            .filter_map(|v| VendorSpecific::parse(v).ok())
    }

    fn ipv4(&self, ty: u8) -> Result<Option<Ipv4Addr>, Error> {
        self.fixed::<4>(ty).map(|v| v.map(Ipv4Addr::from))
    }

    fn integer(&self, ty: u8) -> Result<Option<u32>, Error> {
        self.fixed::<4>(ty).map(|v| v.map(u32::from_be_bytes))
    }

    fn fixed<const N: usize>(&self, ty: u8) -> Result<Option<[u8; N]>, Error> {
        self.first(ty)
            .map(|v| {
                v.try_into().map_err(|_| Error::BadValueLength {
                    attr: ty,
                    len: v.len(),
                })
            })
            .transpose()
    }

    /// Authenticates a request: the Request Authenticator of an Accounting-, Disconnect-
    /// or CoA-Request (RFC 2866 §3, RFC 5176 §2.3), then the Message-Authenticator when
    /// there is one (RFC 3579 §3.2, RFC 5176 §3.4). An Access-Request's or Status-Server's
    /// authenticator is random, so only its Message-Authenticator is checked. A response
    /// is [`Error::WrongCode`].
    pub fn verify_request(&self, secret: &[u8]) -> Result<(), Error> {
        let header_auth = match self.code {
            c if c.has_signed_request_authenticator() => {
                let expected = signed_request_authenticator(self.bytes, secret);
                if !ct_eq(&expected, &self.authenticator()) {
                    return Err(Error::BadAuthenticator);
                }
                [0; AUTHENTICATOR_LEN]
            }
            Code::AccessRequest | Code::StatusServer | Code::StatusClient => self.authenticator(),
            c => return Err(Error::WrongCode(c)),
        };
        self.verify_message_authenticator(&header_auth, secret)
    }

    /// Authenticates a response to the request whose Request Authenticator is
    /// `request_authenticator`: the Response Authenticator (RFC 2865 §3, RFC 5176 §2.3),
    /// then the Message-Authenticator when there is one. A request is [`Error::WrongCode`].
    pub fn verify_response(
        &self,
        request_authenticator: &Authenticator,
        secret: &[u8],
    ) -> Result<(), Error> {
        if !self.code.is_response() {
            return Err(Error::WrongCode(self.code));
        }
        let expected = response_authenticator(self.bytes, request_authenticator, secret);
        if !ct_eq(&expected, &self.authenticator()) {
            return Err(Error::BadAuthenticator);
        }
        self.verify_message_authenticator(request_authenticator, secret)
    }

    fn verify_message_authenticator(
        &self,
        header_auth: &Authenticator,
        secret: &[u8],
    ) -> Result<(), Error> {
        let Some(at) = self.message_authenticator_at else {
            return Ok(());
        };
        let received = &self.bytes[at + 2..at + 2 + AUTHENTICATOR_LEN];
        message_authenticator_mac(self.bytes, at, header_auth, secret)
            .verify_slice(received)
            .map_err(|_| Error::BadMessageAuthenticator)
    }
}

/// Checks every attribute's framing; returns the Message-Authenticator's offset.
fn check_attributes(bytes: &[u8]) -> Result<Option<usize>, Error> {
    let mut message_authenticator_at = None;
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let Some(&length) = bytes.get(at + 1) else {
            return Err(Error::AttributeOverrun { at });
        };
        if length < 2 {
            return Err(Error::BadAttributeLength { at, length });
        }
        let end = at + usize::from(length);
        if end > bytes.len() {
            return Err(Error::AttributeOverrun { at });
        }
        let value_len = usize::from(length) - 2;
        match bytes[at] {
            attr::VENDOR_SPECIFIC if value_len < 5 => {
                return Err(Error::BadValueLength {
                    attr: attr::VENDOR_SPECIFIC,
                    len: value_len,
                });
            }
            attr::MESSAGE_AUTHENTICATOR => {
                if value_len != AUTHENTICATOR_LEN {
                    return Err(Error::BadValueLength {
                        attr: attr::MESSAGE_AUTHENTICATOR,
                        len: value_len,
                    });
                }
                if message_authenticator_at.replace(at).is_some() {
                    return Err(Error::DuplicateMessageAuthenticator);
                }
            }
            _ => {}
        }
        at = end;
    }
    Ok(message_authenticator_at)
}

/// MD5(Code | Identifier | Length | 16 zero octets | Attributes | Secret): the Request
/// Authenticator of an Accounting-, Disconnect- or CoA-Request (RFC 2866 §3, RFC 5176
/// §2.3). `packet` is the whole packet; its Authenticator field is not read.
///
/// # Panics
/// If `packet` is shorter than the 20-octet header: a caller's bug.
pub fn signed_request_authenticator(packet: &[u8], secret: &[u8]) -> Authenticator {
    md5_with_header_auth(packet, &[0; AUTHENTICATOR_LEN], secret)
}

/// MD5(Code | Identifier | Length | Request Authenticator | Attributes | Secret): the
/// Response Authenticator (RFC 2865 §3). `packet` is the whole response; its Authenticator
/// field is not read.
///
/// # Panics
/// If `packet` is shorter than the 20-octet header: a caller's bug.
pub fn response_authenticator(
    packet: &[u8],
    request_authenticator: &Authenticator,
    secret: &[u8],
) -> Authenticator {
    md5_with_header_auth(packet, request_authenticator, secret)
}

/// HMAC-MD5 keyed by `secret` over `packet` with the Authenticator field taken as
/// `header_auth` and the Message-Authenticator value at offset `at` (the attribute's Type
/// octet) taken as zeros (RFC 3579 §3.2). Which `header_auth` to use is in the module
/// documentation.
///
/// # Panics
/// If `packet` does not hold 18 octets at `at` after the header: a caller's bug (a parsed
/// [`Packet`] or a [`Builder`] never asks for that).
pub fn message_authenticator(
    packet: &[u8],
    at: usize,
    header_auth: &Authenticator,
    secret: &[u8],
) -> Authenticator {
    message_authenticator_mac(packet, at, header_auth, secret)
        .finalize()
        .into_bytes()
        .into()
}

fn md5_with_header_auth(
    packet: &[u8],
    header_auth: &Authenticator,
    secret: &[u8],
) -> Authenticator {
    let mut md5 = Md5::new();
    md5.update(&packet[..4]);
    md5.update(header_auth);
    md5.update(&packet[HEADER_LEN..]);
    md5.update(secret);
    md5.finalize().into()
}

fn message_authenticator_mac(
    packet: &[u8],
    at: usize,
    header_auth: &Authenticator,
    secret: &[u8],
) -> HmacMd5 {
    let value = at + 2;
    // HMAC takes keys of any length (RFC 2104 §2), so this cannot fail.
    let mut mac = HmacMd5::new_from_slice(secret).expect("hmac accepts any key length");
    mac.update(&packet[..4]);
    mac.update(header_auth);
    mac.update(&packet[HEADER_LEN..value]);
    mac.update(&[0; AUTHENTICATOR_LEN]);
    mac.update(&packet[value + AUTHENTICATOR_LEN..]);
    mac
}

fn ct_eq(a: &Authenticator, b: &Authenticator) -> bool {
    a.ct_eq(b).to_bool()
}

/// Writes a packet into a caller's buffer, attribute by attribute, and signs it.
///
/// ```
/// # use pptp_rs::wire::radius::{Builder, Code, ErrorCause, Packet};
/// let request = [0x28, 7, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
/// let request = Packet::parse(&request).unwrap();
/// let mut out = Vec::new();
/// let mut reply = Builder::new(&mut out, Code::DisconnectNak, request.identifier());
/// reply.error_cause(ErrorCause::SessionContextNotFound).unwrap();
/// reply.finish_response(&request.authenticator(), b"secret").unwrap();
/// assert_eq!(out.len(), 26);
/// ```
#[derive(Debug)]
pub struct Builder<'o> {
    out: &'o mut Vec<u8>,
    message_authenticator_at: Option<usize>,
}

impl<'o> Builder<'o> {
    /// Starts a packet in `out`, which is cleared first.
    pub fn new(out: &'o mut Vec<u8>, code: Code, identifier: u8) -> Self {
        out.clear();
        out.extend_from_slice(&[code as u8, identifier, 0, HEADER_LEN as u8]);
        out.extend_from_slice(&[0; AUTHENTICATOR_LEN]);
        Builder {
            out,
            message_authenticator_at: None,
        }
    }

    /// Appends an attribute with a raw value of at most 253 octets.
    pub fn attribute(&mut self, ty: u8, value: &[u8]) -> Result<(), Error> {
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::ValueTooLong {
                attr: ty,
                len: value.len(),
            });
        }
        let new_len = self.out.len() + 2 + value.len();
        if new_len > MAX_PACKET_LEN {
            return Err(Error::PacketTooLong(new_len));
        }
        // value.len() <= 253, so the Length octet cannot overflow.
        self.out.extend_from_slice(&[ty, (value.len() + 2) as u8]);
        self.out.extend_from_slice(value);
        Ok(())
    }

    /// Appends a text attribute (User-Name, Reply-Message, ...).
    pub fn text(&mut self, ty: u8, text: &str) -> Result<(), Error> {
        self.attribute(ty, text.as_bytes())
    }

    /// Appends a 32-bit integer attribute (NAS-Port, Event-Timestamp, ...).
    pub fn integer(&mut self, ty: u8, value: u32) -> Result<(), Error> {
        self.attribute(ty, &value.to_be_bytes())
    }

    /// Appends an IPv4 address attribute (NAS-IP-Address, Framed-IP-Address).
    pub fn ipv4(&mut self, ty: u8, addr: Ipv4Addr) -> Result<(), Error> {
        self.attribute(ty, &addr.octets())
    }

    /// Appends a Vendor-Specific attribute (RFC 2865 §5.26); `data` must not be empty.
    pub fn vendor_specific(&mut self, vendor_id: u32, data: &[u8]) -> Result<(), Error> {
        let len = 4 + data.len();
        if data.is_empty() || len > MAX_VALUE_LEN {
            return Err(Error::BadValueLength {
                attr: attr::VENDOR_SPECIFIC,
                len,
            });
        }
        let mut value = [0; MAX_VALUE_LEN];
        value[..4].copy_from_slice(&vendor_id.to_be_bytes());
        value[4..len].copy_from_slice(data);
        self.attribute(attr::VENDOR_SPECIFIC, &value[..len])
    }

    /// Appends an Error-Cause attribute (RFC 5176 §3.5).
    pub fn error_cause(&mut self, cause: ErrorCause) -> Result<(), Error> {
        self.integer(attr::ERROR_CAUSE, cause.value())
    }

    /// Appends a Message-Authenticator, computed when the packet is finished. A second
    /// one is [`Error::DuplicateMessageAuthenticator`].
    pub fn message_authenticator(&mut self) -> Result<(), Error> {
        if self.message_authenticator_at.is_some() {
            return Err(Error::DuplicateMessageAuthenticator);
        }
        let at = self.out.len();
        self.attribute(attr::MESSAGE_AUTHENTICATOR, &[0; AUTHENTICATOR_LEN])?;
        self.message_authenticator_at = Some(at);
        Ok(())
    }

    /// Finishes an Accounting-, Disconnect- or CoA-Request: sets Length, then the
    /// Message-Authenticator (Authenticator field zero), then the Request Authenticator
    /// over the result (RFC 5176 §2.3, §3.4). Other Codes are [`Error::WrongCode`].
    pub fn finish_request(self, secret: &[u8]) -> Result<(), Error> {
        let code = self.code();
        if !code.has_signed_request_authenticator() {
            return Err(Error::WrongCode(code));
        }
        self.finish(&[0; AUTHENTICATOR_LEN], secret);
        Ok(())
    }

    /// Finishes a response to the request whose Request Authenticator is
    /// `request_authenticator`: sets Length, then the Message-Authenticator, then the
    /// Response Authenticator over the result (RFC 2865 §3, RFC 3579 §3.2, RFC 5176 §3.4).
    /// A request Code is [`Error::WrongCode`].
    pub fn finish_response(
        self,
        request_authenticator: &Authenticator,
        secret: &[u8],
    ) -> Result<(), Error> {
        let code = self.code();
        if !code.is_response() {
            return Err(Error::WrongCode(code));
        }
        self.finish(request_authenticator, secret);
        Ok(())
    }

    fn code(&self) -> Code {
        // Builder::new wrote a Code there.
        Code::from_u8(self.out[0]).expect("builder starts with a known code")
    }

    /// `header_auth` is what the Authenticator field holds while both authenticators are
    /// computed: zeros for a signed request, the request's for a response.
    fn finish(self, header_auth: &Authenticator, secret: &[u8]) {
        // Every append checked the total against MAX_PACKET_LEN, so it fits in u16.
        let len = self.out.len() as u16;
        self.out[2..4].copy_from_slice(&len.to_be_bytes());
        if let Some(at) = self.message_authenticator_at {
            let mac = message_authenticator(self.out, at, header_auth, secret);
            self.out[at + 2..at + 2 + AUTHENTICATOR_LEN].copy_from_slice(&mac);
        }
        let auth = md5_with_header_auth(self.out, header_auth, secret);
        self.out[4..HEADER_LEN].copy_from_slice(&auth);
    }
}
