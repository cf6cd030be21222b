//! One call's data path, the same in both programs: pppd's frames to GRE and GRE to pppd,
//! with the call's sequencing, its counters, and pppd's stream in the event loop.
//!
//! pppd → GRE: pppd's stream is read until it has nothing more (into a buffer the caller
//! lends, shared by every call of a server); the deframer writes each frame once, where the
//! GRE sender reads it; every frame of one read goes out in one `sendmmsg`, its header and
//! payload gathered by the kernel. GRE → pppd: each delivered payload is encoded once into
//! the backlog to pppd, written when the pty has room. So a packet is copied once in user
//! space each way, and nothing is cleared per packet.
//!
//! The programs differ only in where GRE goes: the client's socket is connected to its
//! server, the server names each call's client and its own address.

use std::io::{self, ErrorKind};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use log::{debug, info, warn};
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::ppp_stream::{PppFds, PppIn, PppOut};
use crate::proto::accm::AccmWatch;
use crate::proto::gre::{GreConfig, GreSession, GreStats};
use crate::proto::tx_reorder::TxReorder;
use crate::sys::fd;
use crate::sys::gre_socket::{BATCH, Destination, GreSocket, OutPacket};
use crate::wire::gre::{self, GreHeader};
use crate::wire::ppp::mppe_ack_bits;

/// Counters of one call's data path, beside its sequencing's [`GreStats`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CallCounters {
    /// PPP bytes delivered to pppd (GRE payloads received in order).
    pub rx_bytes: u64,
    /// PPP bytes sent as GRE.
    pub tx_bytes: u64,
    /// Sends that failed (ENOBUFS, a full socket buffer, an ICMP error reported on the
    /// send): the packet is lost, never the call.
    pub tx_failed: u64,
    /// Sends refused as larger than the path allows (EMSGSIZE): a sign of an MTU problem.
    pub tx_oversize: u64,
    /// Frames from pppd that did not decode.
    pub ppp_bad_frames: u64,
}

/// How pppd's stream ended.
pub type StreamEnd = String;

/// How long we may send GRE with nothing at all coming back (not even acknowledgments)
/// before saying that GRE does not get through.
pub const GRE_SILENCE: Duration = Duration::from_secs(8);

/// What an administrator must check when no GRE comes back: the classic cause of a PPTP
/// tunnel whose control connection works and whose data does not.
pub const GRE_BLOCKED_HINT: &str = "check that IP protocol 47 (GRE, not a TCP or UDP port) \
passes every firewall between the two ends (iptables -A INPUT -p gre -j ACCEPT), and that a \
NAT router between them tracks PPTP (modprobe nf_conntrack_pptp nf_nat_pptp; iptables -t raw \
-A PREROUTING -p tcp --dport 1723 -j CT --helper pptp)";

/// Whether GRE comes back while we send it.
#[derive(Debug, Default)]
struct Reachability {
    /// The last GRE from the peer (or the call's start).
    last_rx: Option<Instant>,
    /// The first GRE we sent since `last_rx`.
    sending_since: Option<Instant>,
    /// We said so, and wait for GRE to come back before saying anything more.
    warned: bool,
}

/// One call's data path.
#[derive(Debug)]
pub struct DataPath {
    /// The other end of the tunnel, for log lines.
    peer: Ipv4Addr,
    reach: Reachability,
    fds: PppFds,
    /// Tokens of pppd's stream: reading, and writing when it has a descriptor of its own.
    token_in: Token,
    token_out: Token,
    registered: bool,
    watching_writes: bool,
    /// False once pppd's stream has ended.
    open: bool,
    sync: bool,
    ppp_in: PppIn,
    /// The next of `ppp_in`'s entries to send: frames wait there while `--window` is full.
    next: usize,
    ppp_out: PppOut,
    accm: AccmWatch,
    session: Option<GreSession>,
    to: Destination,
    tx_reorder: Option<TxReorder>,
    /// The MPPE bits of the last CCP Configure-Ack that went by, in either direction: the
    /// encryption the two pppds agreed on.
    mppe: Option<u32>,
    counters: CallCounters,
}

impl DataPath {
    /// A data path for pppd's stream `fds`, sending GRE `to` (the tunnel's other end is
    /// `peer`); pppd's stream is watched with `token_in` (and `token_out` for a separate
    /// write descriptor) once registered.
    pub fn new(
        fds: PppFds,
        sync: bool,
        peer: Ipv4Addr,
        to: Destination,
        tokens: (Token, Token),
    ) -> Self {
        DataPath {
            peer,
            reach: Reachability::default(),
            fds,
            token_in: tokens.0,
            token_out: tokens.1,
            registered: false,
            watching_writes: false,
            open: true,
            sync,
            ppp_in: PppIn::new(sync),
            next: 0,
            ppp_out: PppOut::new(sync),
            accm: AccmWatch::new(),
            session: None,
            to,
            tx_reorder: None,
            mppe: None,
            counters: CallCounters::default(),
        }
    }

    /// Sends data packets through `--test-type`'s reordering.
    pub fn set_tx_reorder(&mut self, test: Option<TxReorder>) {
        self.tx_reorder = test;
    }

    /// Watches pppd's stream for frames.
    pub fn register(&mut self, registry: &Registry) -> io::Result<()> {
        if !self.registered {
            let fd = self.fds.input().as_raw_fd();
            registry.register(&mut SourceFd(&fd), self.token_in, Interest::READABLE)?;
            self.registered = true;
        }
        Ok(())
    }

    /// Leaves the event loop; pppd's stream is neither read nor written any more.
    pub fn stop(&mut self, registry: &Registry) {
        self.open = false;
        if self.registered {
            let _ = registry.deregister(&mut SourceFd(&self.fds.input().as_raw_fd()));
            if !self.fds.is_single() && self.watching_writes {
                let _ = registry.deregister(&mut SourceFd(&self.fds.output().as_raw_fd()));
            }
        }
        self.registered = false;
        self.watching_writes = false;
    }

    /// The call is up: GRE flows, to `peer_call_id`, whose receive window is `peer_window`.
    pub fn start(&mut self, config: GreConfig, peer_call_id: u16, peer_window: u16) {
        self.session = Some(GreSession::new(config, peer_call_id, peer_window));
    }

    /// Notes GRE from the peer: it gets through.
    fn heard(&mut self, now: Instant) {
        let r = &mut self.reach;
        if r.warned {
            let silent = r.last_rx.map_or(0, |t| now.duration_since(t).as_secs());
            info!(
                "gre: GRE from {} gets through again after {silent}s",
                self.peer
            );
            r.warned = false;
        }
        r.last_rx = Some(now);
        r.sending_since = None;
    }

    /// Notes GRE sent to the peer.
    fn sent(&mut self, now: Instant) {
        self.reach.last_rx.get_or_insert(now);
        self.reach.sending_since.get_or_insert(now);
    }

    /// When the silence of the peer would be worth a word, if we are sending.
    fn silence_deadline(&self) -> Option<Instant> {
        let r = &self.reach;
        let since = r.sending_since.filter(|_| !r.warned && self.is_up())?;
        Some(since.max(r.last_rx.unwrap_or(since)) + GRE_SILENCE)
    }

    /// The call went down: no more GRE, whatever pppd still says.
    pub fn end(&mut self) {
        self.session = None;
    }

    /// True while GRE flows.
    pub fn is_up(&self) -> bool {
        self.session.is_some()
    }

    /// True until pppd's stream ended.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The sequencing's counters, once the call is up.
    pub fn gre_stats(&self) -> Option<&GreStats> {
        self.session.as_ref().map(GreSession::stats)
    }

    /// The data path's own counters.
    pub fn counters(&self) -> &CallCounters {
        &self.counters
    }

    /// Frames dropped because pppd did not read.
    pub fn backlog_drops(&self) -> u64 {
        self.ppp_out.drops
    }

    /// Sync framing only: true once CCP agreed on MPPE (the caller stops the call).
    pub fn mppe_in_sync(&self) -> bool {
        self.sync && self.mppe.is_some()
    }

    /// The MPPE bits CCP agreed on (RFC 3078 §2.1), once it has.
    pub fn mppe(&self) -> Option<u32> {
        self.mppe
    }

    /// When [`handle_timeout`](Self::handle_timeout) has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let gre = self.session.as_ref().and_then(GreSession::poll_timeout);
        let test = self.tx_reorder.as_ref().and_then(TxReorder::poll_timeout);
        [gre, test, self.silence_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Takes a GRE packet of this call: its payload, and any it releases from the reorder
    /// ring, are queued for pppd ([`flush`](Self::flush) writes them).
    pub fn on_gre(&mut self, now: Instant, header: &GreHeader, payload: &[u8]) {
        if self.session.is_none() {
            return;
        }
        self.heard(now);
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let (out, accm, counters, mppe) = (
            &mut self.ppp_out,
            &mut self.accm,
            &mut self.counters,
            &mut self.mppe,
        );
        session.handle_packet(now, header, payload, |frame| {
            deliver(out, accm, counters, mppe, frame)
        });
    }

    /// Reads pppd's stream until it has nothing more (or `--window` is full) and sends its
    /// frames as GRE; Err when pppd's stream has ended.
    pub fn read_pppd(
        &mut self,
        now: Instant,
        socket: &GreSocket,
        buf: &mut [u8],
    ) -> Result<(), StreamEnd> {
        while self.open {
            self.send_frames(now, socket);
            if self.held() {
                // --window is full: pppd's bytes wait in the pty until the peer
                // acknowledges (handle_timeout resumes), so memory stays at one read.
                return Ok(());
            }
            match fd::read(self.fds.input(), buf) {
                Ok(0) => return self.ended("end of file".into()),
                Ok(n) => self.ppp_in.decode(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                // EIO: the other side of the pty closed, i.e. pppd exited.
                Err(e) => return self.ended(e.to_string()),
            }
        }
        Ok(())
    }

    fn ended(&mut self, why: StreamEnd) -> Result<(), StreamEnd> {
        self.open = false;
        Err(why)
    }

    /// True while frames read from pppd wait for the send window to open.
    pub fn held(&self) -> bool {
        self.next < self.ppp_in.len()
    }

    /// Sends the frames read from pppd that the send window lets through, a batch per
    /// system call.
    fn send_frames(&mut self, now: Instant, socket: &GreSocket) {
        let mut headers = [[0u8; gre::MAX_LEN]; BATCH];
        let empty = OutPacket {
            header: &[],
            payload: &[],
        };
        while self.next < self.ppp_in.len() {
            let mut packets = [empty; BATCH];
            let mut count = 0;
            let mut lens = [0usize; BATCH];
            // Headers first (they need the session), then the packets that borrow them.
            let mut frames = [(0usize, 0usize); BATCH];
            while count < BATCH && self.next < self.ppp_in.len() {
                let i = self.next;
                let frame = match self.ppp_in.get(i) {
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) => {
                        self.counters.ppp_bad_frames += 1;
                        debug!("pppd: dropped bytes: {e}");
                        self.next += 1;
                        continue;
                    }
                    None => break,
                };
                if let Some(map) = self.accm.from_pppd(frame) {
                    debug!("pppd: escaping by accm={map:#010x} from now on");
                    self.ppp_out.set_accm(map);
                }
                if let Some(bits) = mppe_ack_bits(frame) {
                    self.mppe = Some(bits);
                }
                let Some(session) = self.session.as_mut() else {
                    // pppd speaks before the call is up (incoming role): PPP retransmits.
                    self.next += 1;
                    continue;
                };
                if !session.can_send() {
                    break;
                }
                let header = session.next_data_header(frame.len() as u16);
                lens[count] = header.emit(&mut headers[count]);
                frames[count] = (i, frame.len());
                self.counters.tx_bytes += frame.len() as u64;
                self.next += 1;
                count += 1;
            }
            if count == 0 {
                break;
            }
            for k in 0..count {
                let frame = match self.ppp_in.get(frames[k].0) {
                    Some(Ok(frame)) => frame,
                    _ => &[],
                };
                packets[k] = OutPacket {
                    header: &headers[k][..lens[k]],
                    payload: frame,
                };
            }
            send(
                socket,
                self.to,
                &mut self.tx_reorder,
                &mut self.counters,
                now,
                &packets[..count],
            );
            self.reach.last_rx.get_or_insert(now);
            self.reach.sending_since.get_or_insert(now);
            if self.session.as_ref().is_some_and(|s| !s.can_send()) {
                break;
            }
        }
        if !self.held() {
            self.ppp_in.consume();
            self.next = 0;
        }
    }

    /// Sends the acknowledgments that are due, gives up on reordering gaps whose time ran
    /// out, sends what `--test-type` held back, and resumes reading when the window opened
    /// (Err when pppd's stream turns out to have ended).
    pub fn handle_timeout(
        &mut self,
        now: Instant,
        socket: &GreSocket,
        buf: &mut [u8],
    ) -> Result<(), StreamEnd> {
        if self.silence_deadline().is_some_and(|d| now >= d) {
            self.reach.warned = true;
            warn!(
                "gre: no GRE from {} for {}s while the call is up and we send: {GRE_BLOCKED_HINT}",
                self.peer,
                GRE_SILENCE.as_secs()
            );
        }
        if let Some(session) = self.session.as_mut() {
            let (out, accm, counters, mppe) = (
                &mut self.ppp_out,
                &mut self.accm,
                &mut self.counters,
                &mut self.mppe,
            );
            session.handle_timeout(now, |frame| deliver(out, accm, counters, mppe, frame));
        }
        self.send_acks(now, socket);
        if let Some(test) = self.tx_reorder.as_mut() {
            let counters = &mut self.counters;
            test.handle_timeout(now, |p| send_one(socket, self.to, counters, p));
        }
        if self.held() && self.session.as_ref().is_some_and(GreSession::can_send) {
            // Edge-triggered: what waits in the pty raised no new event while we held it.
            return self.read_pppd(now, socket, buf);
        }
        Ok(())
    }

    /// Sends ack-only packets that are due (an acknowledgment no data could carry).
    pub fn send_acks(&mut self, now: Instant, socket: &GreSocket) {
        let mut header = [0u8; gre::MAX_LEN];
        while let Some(ack) = self.session.as_mut().and_then(|s| s.poll_ack_only(now)) {
            let len = ack.emit(&mut header);
            send_one(socket, self.to, &mut self.counters, &header[..len]);
            self.sent(now);
        }
    }

    /// Writes what waits for pppd, and watches its stream for room only while something
    /// still waits; Err when pppd's stream has ended.
    pub fn flush(&mut self, registry: &Registry) -> Result<(), StreamEnd> {
        if !self.open {
            return Ok(());
        }
        if let Err(e) = self.ppp_out.flush(self.fds.output()) {
            self.open = false;
            return Err(e.to_string());
        }
        self.watch_writes(registry, self.ppp_out.pending());
        Ok(())
    }

    /// Watching all the time would cost a wake-up per write (the tty signals room again as
    /// soon as it has passed each write on).
    fn watch_writes(&mut self, registry: &Registry, watch: bool) {
        if watch == self.watching_writes || !self.registered {
            return;
        }
        let done = if self.fds.is_single() {
            let interest = if watch {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let fd = self.fds.input().as_raw_fd();
            registry.reregister(&mut SourceFd(&fd), self.token_in, interest)
        } else {
            let fd = self.fds.output().as_raw_fd();
            if watch {
                registry.register(&mut SourceFd(&fd), self.token_out, Interest::WRITABLE)
            } else {
                registry.deregister(&mut SourceFd(&fd))
            }
        };
        match done {
            Ok(()) => self.watching_writes = watch,
            Err(e) => log::warn!("pppd: cannot watch the stream for room to write: {e}"),
        }
    }
}

/// Queues a frame for pppd, after noting what it says about pppd's ACCM and MPPE.
fn deliver(
    out: &mut PppOut,
    accm: &mut AccmWatch,
    counters: &mut CallCounters,
    mppe: &mut Option<u32>,
    frame: &[u8],
) {
    if let Some(map) = accm.to_pppd(frame) {
        debug!("pppd: escaping by accm={map:#010x} from now on");
        out.set_accm(map);
    }
    if let Some(bits) = mppe_ack_bits(frame) {
        *mppe = Some(bits);
    }
    counters.rx_bytes += frame.len() as u64;
    out.frame(frame);
}

/// Sends data packets, through `--test-type` when it is on.
fn send(
    socket: &GreSocket,
    to: Destination,
    tx_reorder: &mut Option<TxReorder>,
    counters: &mut CallCounters,
    now: Instant,
    packets: &[OutPacket<'_>],
) {
    match tx_reorder.as_mut() {
        Some(test) => {
            let mut whole = Vec::new();
            for p in packets {
                whole.clear();
                whole.extend_from_slice(p.header);
                whole.extend_from_slice(p.payload);
                test.push(now, &whole, |p| send_one(socket, to, counters, p));
            }
        }
        None => socket.send_packets(packets, to, |_, e| count_send_error(counters, &e)),
    }
}

/// Sends one whole packet (header and payload together).
fn send_one(socket: &GreSocket, to: Destination, counters: &mut CallCounters, packet: &[u8]) {
    let packets = [OutPacket {
        header: packet,
        payload: &[],
    }];
    socket.send_packets(&packets, to, |_, e| count_send_error(counters, &e));
}

/// A failed send loses the packet, never the call (pptp-linux ends the tunnel on every
/// error but ENOBUFS).
fn count_send_error(counters: &mut CallCounters, e: &io::Error) {
    if e.raw_os_error() == Some(libc::EMSGSIZE) {
        counters.tx_oversize += 1;
        debug!("gre: packet too big for the path");
    } else {
        counters.tx_failed += 1;
        debug!("gre: send failed: {e}");
    }
}
