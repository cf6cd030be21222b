//! Sans-IO protocol state machines. They take the current time as an argument and return
//! what to send and when to be called again; they never read a clock, a socket or a file.

pub mod accm;
pub mod control;
pub mod dae;
pub mod gre;
pub mod keepalive;
pub mod pac;
pub mod pns;
#[cfg(test)]
mod testing;
pub mod tx_reorder;
