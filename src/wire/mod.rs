//! Wire formats: pure conversions between bytes and values.
//!
//! Every parser here is total: any input, however short or hostile, yields a value or an
//! [`Error`], never a panic. Nothing in this module logs, allocates per packet or knows
//! about connections.

use std::fmt;

pub mod ctl;
pub mod ctrl;
pub mod frames;
pub mod gre;
pub mod hdlc;
pub mod ipv4;
pub mod netlink;
pub mod ppp;
pub mod radius;

/// Why a buffer could not be parsed. Small and `Copy`, so that the data path can count and
/// log it without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the structure it must hold (`need` bytes, `have` bytes).
    Truncated {
        /// Bytes the structure needs.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// An IPv4 header that is not one (version, header length or total length wrong).
    BadIpv4Header,
    /// A GRE header that is not PPTP's enhanced GRE (RFC 2637 §4.1): the reason.
    BadGreHeader(&'static str),
    /// A control message whose Magic Cookie is not 0x1A2B3C4D: the stream lost sync
    /// (RFC 2637 §2).
    BadMagic(u32),
    /// A PPTP message whose PPTP Message Type is not 1 (control); 2 (management) is
    /// undefined.
    NotControlMessage(u16),
    /// A Control Message Type outside 1..=15.
    UnknownMessage(u16),
    /// A control message whose length is not the fixed one of its type, or not 12..=220.
    BadLength {
        /// The Control Message Type number.
        message_type: u16,
        /// The offending length: the Length field, or the buffer's length when only that
        /// disagrees.
        length: u16,
    },
    /// A structure that lacks a part it must hold (a netlink answer without the attribute
    /// asked for): which part.
    Missing(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { need, have } => write!(f, "truncated: need={need} have={have}"),
            Error::BadIpv4Header => f.write_str("bad ipv4 header"),
            Error::BadGreHeader(why) => write!(f, "bad gre header: {why}"),
            Error::BadMagic(magic) => write!(f, "bad magic cookie=0x{magic:08x}"),
            Error::NotControlMessage(kind) => {
                write!(f, "not a control message: pptp message type={kind}")
            }
            Error::UnknownMessage(kind) => write!(f, "unknown control message type={kind}"),
            Error::BadLength {
                message_type,
                length,
            } => write!(
                f,
                "bad length={length} for control message type={message_type}"
            ),
            Error::Missing(what) => write!(f, "missing {what}"),
        }
    }
}

impl std::error::Error for Error {}

/// Fails with [`Error::Truncated`] unless `buf` holds at least `need` bytes.
pub(crate) fn check_len(buf: &[u8], need: usize) -> Result<(), Error> {
    if buf.len() < need {
        Err(Error::Truncated {
            need,
            have: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// Big-endian u16 at `at`; the caller has checked the length.
pub(crate) fn be16(buf: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([buf[at], buf[at + 1]])
}

/// Big-endian u32 at `at`; the caller has checked the length.
pub(crate) fn be32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}
