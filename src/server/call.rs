//! One call on the server: its pppd on a pty, its address slot, and its GRE sequencing.

use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::process::{Child, ExitStatus};
use std::time::Instant;

use log::debug;

use super::pool::Slot;
use crate::pppd_stream::{PppIn, PppOut};
use crate::proto::gre::{GreConfig, GreSession};
use crate::sys::fd;
use crate::sys::gre_socket::GreSocket;
use crate::wire::gre::GreHeader;

/// Counters of the whole server's data path (SIGUSR1).
#[derive(Debug, Default)]
pub struct ServerStats {
    /// GRE datagrams that were not IPv4 GRE or did not parse.
    pub rx_invalid: u64,
    /// GRE for no live call (unknown peer address and call ID pair).
    pub rx_unknown_call: u64,
    /// Receive errors (ICMP reports and the like), counted and ignored.
    pub rx_errors: u64,
    /// Send errors (ENOBUFS, ICMP reports): the packet is lost, never the tunnel.
    pub tx_failed: u64,
    /// Frames from pppd that did not decode.
    pub ppp_bad_frames: u64,
    /// Connections without a call closed to make room for a newcomer at the limit.
    pub shed: u64,
    /// Connections accepted and closed at once because no file descriptor was left.
    pub accept_no_fd: u64,
}

/// A call from the moment the server accepted it until its pppd has been reaped.
pub struct Call {
    /// Our Call ID, unique on the server: the Key of the client's GRE.
    pub call_id: u16,
    /// The client's address, the other half of the GRE demultiplexing key.
    pub client: Ipv4Addr,
    /// The address slot; released when pppd has exited (its ip-down has run).
    pub slot: Slot,
    /// pppd, until reaped.
    pub pppd: Child,
    /// The pty master: pppd's PPP stream.
    pub master: pty_process::blocking::Pty,
    /// GRE sequencing while the call is up.
    pub session: Option<GreSession>,
    /// False once pppd's stream has ended.
    pub ppp_open: bool,
    /// The event loop watches the pty for room to write (only while frames wait).
    pub watching_writes: bool,
    ppp_in: PppIn,
    ppp_out: PppOut,
    /// Frames decoded from the last read, and where each ends.
    batch: Vec<u8>,
    batch_ends: Vec<usize>,
}

impl Call {
    /// A call whose pppd has just been started on `master`.
    pub fn new(
        call_id: u16,
        client: Ipv4Addr,
        slot: Slot,
        pppd: Child,
        master: pty_process::blocking::Pty,
    ) -> Self {
        let fd = master.as_raw_fd();
        Call {
            call_id,
            client,
            slot,
            pppd,
            master,
            session: None,
            ppp_open: true,
            watching_writes: false,
            ppp_in: PppIn::new(false),
            ppp_out: PppOut::new(fd, false),
            batch: Vec::new(),
            batch_ends: Vec::new(),
        }
    }

    /// The call is up: GRE flows from now on.
    pub fn start_gre(&mut self, config: GreConfig, peer_call_id: u16, peer_window: u16) {
        self.session = Some(GreSession::new(config, peer_call_id, peer_window));
    }

    /// pppd's exit status once it has exited (reaps it).
    pub fn try_reap(&mut self) -> Option<ExitStatus> {
        self.pppd.try_wait().ok().flatten()
    }

    /// Asks pppd to end (it terminates LCP and runs ip-down first).
    pub fn terminate_pppd(&self) {
        let pid = nix::unistd::Pid::from_raw(self.pppd.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }

    /// Takes a GRE packet for this call; frames go to pppd.
    pub fn on_gre(&mut self, now: Instant, header: &GreHeader, payload: &[u8]) {
        let (Some(session), ppp_out) = (self.session.as_mut(), &mut self.ppp_out) else {
            return;
        };
        session.handle_packet(now, header, payload, |frame| ppp_out.frame(frame));
    }

    /// Reads pppd's stream and sends its frames as GRE; false when the stream ended.
    pub fn on_pty(&mut self, buf: &mut [u8], socket: &GreSocket, stats: &mut ServerStats) -> bool {
        while self.ppp_open {
            match fd::read(fd::borrow(self.master.as_raw_fd()), buf) {
                Ok(0) => self.ppp_open = false,
                Ok(n) => self.on_ppp_bytes(&buf[..n], socket, stats),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                // EIO: pppd closed its side; SIGCHLD follows.
                Err(_) => self.ppp_open = false,
            }
        }
        self.ppp_open
    }

    fn on_ppp_bytes(&mut self, bytes: &[u8], socket: &GreSocket, stats: &mut ServerStats) {
        let (batch, ends) = (&mut self.batch, &mut self.batch_ends);
        batch.clear();
        ends.clear();
        let bad = &mut stats.ppp_bad_frames;
        self.ppp_in.push(bytes, |frame| match frame {
            Ok(frame) => {
                batch.extend_from_slice(frame);
                ends.push(batch.len());
            }
            Err(e) => {
                *bad += 1;
                debug!("pppd: dropped bytes: {e}");
            }
        });
        let Some(session) = self.session.as_mut() else {
            return; // pppd speaks before the call is up (incoming role): PPP retransmits
        };
        let mut start = 0;
        for &end in &self.batch_ends {
            let header = session.next_data_header((end - start) as u16);
            send(socket, self.client, &header, &self.batch[start..end], stats);
            start = end;
        }
    }

    /// Sends an ack-only packet when one is due, and gives up on reordering gaps.
    pub fn on_timer(&mut self, now: Instant, socket: &GreSocket, stats: &mut ServerStats) {
        let (Some(session), ppp_out) = (self.session.as_mut(), &mut self.ppp_out) else {
            return;
        };
        session.handle_timeout(now, |frame| ppp_out.frame(frame));
        while let Some(header) = session.poll_ack_only(now) {
            send(socket, self.client, &header, &[], stats);
        }
    }

    /// When [`on_timer`](Self::on_timer) has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.session.as_ref().and_then(|s| s.poll_timeout())
    }

    /// Writes queued frames to pppd; true if some still wait for room in the pty.
    pub fn flush(&mut self) -> bool {
        if self.ppp_open && self.ppp_out.flush().is_err() {
            self.ppp_open = false;
        }
        self.ppp_open && self.ppp_out.pending()
    }

    /// Frames dropped because pppd did not read.
    pub fn backlog_drops(&self) -> u64 {
        self.ppp_out.drops
    }
}

/// Sends one GRE packet to `client`; a failure loses the packet, not the call.
fn send(
    socket: &GreSocket,
    client: Ipv4Addr,
    header: &GreHeader,
    payload: &[u8],
    stats: &mut ServerStats,
) {
    let mut packet = [0u8; crate::wire::gre::MAX_LEN + crate::wire::hdlc::MAX_FRAME_LEN];
    let n = header.emit(&mut packet);
    let Some(end) = n.checked_add(payload.len()).filter(|&e| e <= packet.len()) else {
        stats.tx_failed += 1;
        return;
    };
    packet[n..end].copy_from_slice(payload);
    if let Err(e) = socket.send_to(&packet[..end], client) {
        stats.tx_failed += 1;
        debug!("gre: send to {client} failed: {e}");
    }
}
