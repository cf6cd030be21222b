//! One call on the server: its pppd on a pty, its address slot, and its data path.

use std::net::Ipv4Addr;
use std::os::fd::OwnedFd;
use std::process::ExitStatus;
use std::time::{Instant, SystemTime};

use mio::Token;

use super::pool::Slot;
use crate::link::data_path::DataPath;
use crate::link::ppp_stream::PppFds;
use crate::sys::gre_socket::Destination;
use crate::sys::pppd::PppdOnPty;
use crate::sys::process::ChildProcess;

/// What pppd's ip-up hook told us about a call's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user pppd authenticated (PEERNAME).
    pub user: String,
    /// The ppp interface (IFNAME).
    pub ifname: String,
    /// Our end of the tunnel (IPLOCAL).
    pub local: Option<Ipv4Addr>,
    /// The client's end of the tunnel (IPREMOTE).
    pub remote: Option<Ipv4Addr>,
    /// When the link came up.
    pub since: Instant,
    /// A login record was written for it (logwtmp).
    pub logged_in: bool,
}

/// A call from the moment the server accepted it until its pppd has been reaped.
#[derive(Debug)]
pub struct Call {
    /// Our Call ID, unique on the server: the Key of the client's GRE.
    pub call_id: u16,
    /// The client's address, the other half of the GRE demultiplexing key.
    pub client: Ipv4Addr,
    /// The address slot; released when pppd has exited (its ip-down has run).
    pub slot: Slot,
    /// When pppd was started.
    pub started: Instant,
    /// The same, by the wall clock: pppd's radius plugin puts the wall clock in the
    /// session's Acct-Session-Id, and the DAE listener compares them.
    pub started_wall: SystemTime,
    /// GRE to and from the client, through pppd's pty.
    pub data: DataPath,
    /// The session, once pppd's ip-up hook reported it.
    pub session: Option<Session>,
    pppd: ChildProcess,
    /// Held until pppd is reaped, so that its end is learned from SIGCHLD alone.
    _slave: OwnedFd,
}

impl Call {
    /// A call whose pppd has just been started; its GRE leaves from `local`, the address
    /// the client's control connection came to, and its pty is watched with `token`.
    pub fn new(
        call_id: u16,
        client: Ipv4Addr,
        slot: Slot,
        pppd: PppdOnPty,
        local: Option<Ipv4Addr>,
        token: Token,
    ) -> Self {
        let to = Destination::To {
            peer: client,
            source: local,
        };
        Call {
            call_id,
            client,
            slot,
            started: Instant::now(),
            started_wall: SystemTime::now(),
            data: DataPath::new(
                PppFds::single(pppd.master),
                false,
                client,
                to,
                (token, token),
            ),
            session: None,
            pppd: pppd.child,
            _slave: pppd.slave,
        }
    }

    /// pppd's process ID.
    pub fn pid(&self) -> u32 {
        self.pppd.pid()
    }

    /// Asks pppd to end (it terminates LCP and runs ip-down first).
    pub fn terminate_pppd(&self) {
        self.pppd.terminate();
    }

    /// Kills pppd (shutdown ran out of time) and waits for it.
    pub fn kill_pppd(&mut self) {
        self.pppd.signal(nix::sys::signal::Signal::SIGKILL);
        let _ = self.pppd.wait();
    }

    /// Records pppd's exit, reaped by the service.
    pub fn reaped(&mut self, status: ExitStatus) {
        self.pppd.reaped_with(status);
    }
}
