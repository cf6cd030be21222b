//! The system-call ring: sockets, file descriptors, routes, ptys and processes. The only
//! module where `unsafe` is allowed, and it is kept to the few calls that need it.

pub mod fd;
pub mod gre_socket;
pub mod pppd;
pub mod random;
pub mod route;
pub mod tcp;
