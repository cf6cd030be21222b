//! `pptpsetup`: writes (or removes) the two files a PPTP client tunnel needs, a drop-in for
//! pptp-linux 1.10.0's Perl script of the same name (reference-behaviour.md §1.13).

pub mod peers;
pub mod secrets;
pub mod words;
