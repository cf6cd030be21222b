//! Netlink messages (RFC 3549 §2.3.2) and the one ctnetlink exchange pptpd makes: asking
//! the kernel's connection tracker who a control connection came from before NAT.
//!
//! A client behind a NAT that this host itself performs (an `iptables -t nat -A INPUT ...
//! -j SNAT` rule, or a container host masquerading into pptpd's namespace) is seen by
//! `accept()` as the translated address. The tracker keeps both tuples of the connection:
//! we look it up by its reply tuple (our local address and port → the address we see) and
//! read the original source from its original tuple. The layouts are the kernel's
//! (include/uapi/linux/netlink.h, linux/netfilter/nfnetlink.h and
//! nfnetlink_conntrack.h); attributes are 4-byte aligned type-length-value records.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::Error;

/// `struct nlmsghdr`: length, type, flags, sequence number, port ID.
pub const HEADER_LEN: usize = 16;
/// `NLMSG_ERROR`: an error (or an acknowledgement, error 0) for a request.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a multipart answer.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLA_F_NESTED`: the attribute holds attributes.
const NLA_F_NESTED: u16 = 0x8000;
/// The attribute type without its flag bits.
const NLA_TYPE_MASK: u16 = 0x3fff;

/// `NFNL_SUBSYS_CTNETLINK`, the conntrack subsystem of nfnetlink.
const NFNL_SUBSYS_CTNETLINK: u16 = 1;
/// `IPCTNL_MSG_CT_NEW`: the kernel's answer carries a connection as this type.
const IPCTNL_MSG_CT_NEW: u16 = 0;
/// `IPCTNL_MSG_CT_GET`: look one connection up by a tuple.
const IPCTNL_MSG_CT_GET: u16 = 1;
/// `CTA_TUPLE_ORIG`, `CTA_TUPLE_REPLY`.
const CTA_TUPLE_ORIG: u16 = 1;
const CTA_TUPLE_REPLY: u16 = 2;
/// `CTA_TUPLE_IP`, `CTA_TUPLE_PROTO` inside a tuple.
const CTA_TUPLE_IP: u16 = 1;
const CTA_TUPLE_PROTO: u16 = 2;
/// `CTA_IP_V4_SRC`, `CTA_IP_V4_DST` inside `CTA_TUPLE_IP`.
const CTA_IP_V4_SRC: u16 = 1;
const CTA_IP_V4_DST: u16 = 2;
/// `CTA_PROTO_NUM`, `CTA_PROTO_SRC_PORT`, `CTA_PROTO_DST_PORT` inside `CTA_TUPLE_PROTO`.
const CTA_PROTO_NUM: u16 = 1;
const CTA_PROTO_SRC_PORT: u16 = 2;
const CTA_PROTO_DST_PORT: u16 = 3;
/// IPPROTO_TCP.
const PROTO_TCP: u8 = 6;
/// AF_INET, as `nfgenmsg.nfgen_family`.
const AF_INET: u8 = 2;

/// Rounds up to netlink's 4-byte alignment.
const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// A request being written: the header, then attributes; nested ones through
/// [`Request::nest`].
pub struct Request {
    buf: Vec<u8>,
}

impl Request {
    /// A request of `kind` with `flags` and sequence number `seq`.
    pub fn new(kind: u16, flags: u16, seq: u32) -> Self {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // length, set by finish()
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port ID: the kernel fills ours in
        Self { buf }
    }

    /// Appends raw payload bytes (a family header such as `nfgenmsg`).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    /// Appends one attribute.
    pub fn attr(&mut self, kind: u16, value: &[u8]) -> &mut Self {
        let len = 4 + value.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value);
        self.pad();
        self
    }

    /// Appends a nested attribute whose contents `inner` writes.
    pub fn nest(&mut self, kind: u16, inner: impl FnOnce(&mut Self)) -> &mut Self {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.buf
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        inner(self);
        let len = (self.buf.len() - start) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    /// The finished message.
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }

    fn pad(&mut self) {
        self.buf.resize(align(self.buf.len()), 0);
    }
}

/// One message of an answer: its type and payload (after the 16-byte header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// `nlmsg_type`.
    pub kind: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// Everything after the header, within `nlmsg_len`.
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// For an `NLMSG_ERROR` message, the errno it reports (0 for an acknowledgement).
    /// The kernel sends `-errno`; a code it never sends (`i32::MIN`, whose negation does
    /// not exist) comes back as it is, a refusal all the same.
    pub fn error(&self) -> Option<i32> {
        if self.kind != NLMSG_ERROR {
            return None;
        }
        let code = self.payload.get(..4)?;
        Some(i32::from_ne_bytes(code.try_into().ok()?).wrapping_neg())
    }
}

/// The messages in a datagram, in order. A message whose length runs past the datagram or
/// is shorter than its header ends the walk with an error.
pub fn messages(mut buf: &[u8]) -> impl Iterator<Item = Result<Message<'_>, Error>> {
    std::iter::from_fn(move || {
        if buf.is_empty() {
            return None;
        }
        let item = (|| {
            let header = buf.get(..HEADER_LEN).ok_or(Error::Truncated {
                need: HEADER_LEN,
                have: buf.len(),
            })?;
            let len = u32::from_ne_bytes(header[..4].try_into().unwrap()) as usize;
            if len < HEADER_LEN || len > buf.len() {
                return Err(Error::Truncated {
                    need: len.max(HEADER_LEN),
                    have: buf.len(),
                });
            }
            let message = Message {
                kind: u16::from_ne_bytes(header[4..6].try_into().unwrap()),
                seq: u32::from_ne_bytes(header[8..12].try_into().unwrap()),
                payload: &buf[HEADER_LEN..len],
            };
            Ok((message, align(len).min(buf.len())))
        })();
        Some(match item {
            Ok((message, used)) => {
                buf = &buf[used..];
                Ok(message)
            }
            Err(e) => {
                buf = &[];
                Err(e)
            }
        })
    })
}

/// The attributes in `buf` as (type without flags, value). Stops at the first attribute
/// that does not fit: what follows it cannot be trusted.
pub fn attrs(mut buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let header = buf.get(..4)?;
        let len = u16::from_ne_bytes([header[0], header[1]]) as usize;
        let kind = u16::from_ne_bytes([header[2], header[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > buf.len() {
            buf = &[];
            return None;
        }
        let value = &buf[4..len];
        buf = &buf[align(len).min(buf.len())..];
        Some((kind, value))
    })
}

/// The value of the first attribute of type `kind` in `buf`.
pub fn attr(buf: &[u8], kind: u16) -> Option<&[u8]> {
    attrs(buf).find(|(k, _)| *k == kind).map(|(_, v)| v)
}

/// The ctnetlink request that looks up the TCP connection whose reply tuple goes from
/// `local` (our listening address and port) to `seen` (the peer `accept()` gave us).
pub fn conntrack_get_by_reply(local: SocketAddrV4, seen: SocketAddrV4, seq: u32) -> Vec<u8> {
    let mut request = Request::new(
        (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET,
        NLM_F_REQUEST,
        seq,
    );
    // nfgenmsg: family, version NFNETLINK_V0, resource id 0 (big endian).
    request.raw(&[AF_INET, 0, 0, 0]);
    request.nest(CTA_TUPLE_REPLY, |r| {
        r.nest(CTA_TUPLE_IP, |r| {
            r.attr(CTA_IP_V4_SRC, &local.ip().octets());
            r.attr(CTA_IP_V4_DST, &seen.ip().octets());
        });
        r.nest(CTA_TUPLE_PROTO, |r| {
            r.attr(CTA_PROTO_NUM, &[PROTO_TCP]);
            r.attr(CTA_PROTO_SRC_PORT, &local.port().to_be_bytes());
            r.attr(CTA_PROTO_DST_PORT, &seen.port().to_be_bytes());
        });
    });
    request.finish()
}

/// What the kernel answered to [`conntrack_get_by_reply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConntrackAnswer {
    /// The connection's original source (address and port), before any NAT of this host.
    Original(SocketAddrV4),
    /// The kernel refused with this errno (ENOENT: not tracked).
    Refused(i32),
}

/// Reads the answer to a [`conntrack_get_by_reply`] with sequence number `seq`; `None`
/// when the datagram holds no answer to it.
pub fn conntrack_answer(buf: &[u8], seq: u32) -> Result<Option<ConntrackAnswer>, Error> {
    for message in messages(buf) {
        let message = message?;
        if message.seq != seq {
            continue;
        }
        if let Some(errno) = message.error() {
            return Ok(Some(ConntrackAnswer::Refused(errno)));
        }
        if message.kind != (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW {
            continue;
        }
        // After nfgenmsg (4 bytes): the connection's attributes.
        let body = message.payload.get(4..).ok_or(Error::Truncated {
            need: 4,
            have: message.payload.len(),
        })?;
        let source = (|| {
            let tuple = attr(body, CTA_TUPLE_ORIG)?;
            let ip: [u8; 4] = attr(attr(tuple, CTA_TUPLE_IP)?, CTA_IP_V4_SRC)?
                .try_into()
                .ok()?;
            let port: [u8; 2] = attr(attr(tuple, CTA_TUPLE_PROTO)?, CTA_PROTO_SRC_PORT)?
                .try_into()
                .ok()?;
            Some(SocketAddrV4::new(
                Ipv4Addr::from(ip),
                u16::from_be_bytes(port),
            ))
        })();
        return match source {
            Some(source) => Ok(Some(ConntrackAnswer::Original(source))),
            None => Err(Error::Missing(
                "the original tuple's source in the conntrack answer",
            )),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
