//! pptp-rs: a pppd-compatible PPTP client (`pptp`) and server (`pptpd`), drop-in
//! replacements for pptp-linux and poptop.
//!
//! PPP itself (LCP, authentication, MPPE, IPCP) stays with the system pppd; this crate owns
//! what lies between pppd's pty and the network: the PPTP control connection (TCP 1723) and
//! the enhanced-GRE data path (IP protocol 47), both from RFC 2637.
//!
//! The code is layered in three rings, and an inner ring never reaches outwards:
//! - [`wire`]: bytes to values and back, pure and total on hostile input;
//! - [`proto`]: sans-IO state machines that take `now` and never touch a clock or a file
//!   descriptor;
//! - `link`: the I/O both programs share (a control connection's stream, a call's data
//!   path), on top of `sys`, the system calls and the only place where `unsafe` is allowed;
//! - `client` and `server`: the two programs, composed of the above.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod bcrelay;
pub mod client;
pub mod getopt;
pub mod link;
pub mod logging;
pub mod pptpctl;
pub mod pptpsetup;
pub mod proto;
pub mod server;
#[allow(unsafe_code)]
pub(crate) mod sys;
pub mod wire;
