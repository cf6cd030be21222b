//! The `pptpd` program: a drop-in for poptop's PPTP server (reference-behaviour.md §2).
//!
//! - [`access`]: who may connect: hosts.allow and hosts.deny, and the per-source rate;
//! - [`cli`]: the command line, poptop's options with GNU `getopt_long` rules;
//! - [`config`]: `/etc/pptpd.conf`, merged with the command line into one `ServerConfig`,
//!   and [`addrs`], the address syntax both read;
//! - [`pool`]: the connection slots and the addresses each one hands to pppd;
//! - [`pppd_args`]: pppd's command line for a call, exactly as poptop's;
//! - [`service`]: the one event loop for every connection and call, [`call`] one call;
//! - [`control`]: the control socket `pptpctl` and pppd's hooks talk to;
//! - [`metrics`]: the Prometheus endpoint (`metrics ADDRESS:PORT`);
//! - [`daemon`]: start, background, pid file, and the end.

pub mod access;
pub mod addrs;
pub mod bcrelay;
pub mod call;
pub mod cli;
pub mod config;
pub mod control;
pub mod daemon;
pub mod metrics;
pub mod pool;
pub mod pppd_args;
pub mod service;
