//! The system-call ring: sockets, file descriptors, routes, ptys, processes, signals and
//! daemon duties. The only module where `unsafe` is allowed, and it is kept to the few
//! calls that need it (the raw GRE socket and its batches).

pub mod conntrack;
pub mod daemon;
pub mod fd;
pub mod gre_socket;
pub mod interfaces;
pub mod packet_socket;
pub mod pppd;
pub mod process;
pub mod random;
pub mod route;
pub mod signals;
pub mod tcp;
pub mod unix_socket;
pub mod utmp;
