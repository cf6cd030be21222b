//! Wire formats: pure conversions between bytes and values.
//!
//! Every parser here is total: any input, however short or hostile, yields a value or an
//! [`Error`], never a panic. Nothing in this module logs, allocates per packet or knows
//! about connections.

use std::fmt;

pub mod gre;
pub mod ipv4;

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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { need, have } => write!(f, "truncated: need={need} have={have}"),
            Error::BadIpv4Header => f.write_str("bad ipv4 header"),
            Error::BadGreHeader(why) => write!(f, "bad gre header: {why}"),
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
