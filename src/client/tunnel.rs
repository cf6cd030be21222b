//! One tunnel: the client's mio event loop.
//!
//! One process, one thread, one loop: the control connection, the raw GRE socket, pppd's
//! byte stream and the signals are all sources of the same `Poll` (pptp-linux splits this
//! over a call-manager and a GRE-copier process joined by a unix socket, which is why two
//! of its clients to one server collide). The protocol decisions are made by the sans-IO
//! machines in [`crate::proto`]; this file only moves bytes and time to and from them.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use signal_hook_mio::v1_0::Signals;

use crate::pppd_stream::{MPPE_IN_SYNC, PppIn, PppOut};
use crate::proto::gre::{GreConfig, GreSession};
use crate::proto::pns::{CloseReason, PnsConfig, PnsConnection, PnsEvent};
use crate::proto::tx_test::TxTest;
use crate::sys::fd;
use crate::sys::gre_socket::GreSocket;
use crate::wire::ctrl::take_messages;
use crate::wire::gre::{self, GreHeader};
use crate::wire::hdlc;
use crate::wire::ipv4::{Ipv4Datagram, PROTOCOL_GRE};
use crate::wire::ppp::is_mppe_ack;

const CTRL: Token = Token(0);
const GRE: Token = Token(1);
const PPP_IN: Token = Token(2);
const PPP_OUT: Token = Token(3);
const SIGNALS: Token = Token(4);

/// How long the TCP connect may take before we give up with a clear error.
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);
/// Largest GRE datagram we read: an IPv4 header, the longest GRE header and a maximal frame.
const GRE_BUF: usize = 60 + gre::MAX_LEN + hdlc::MAX_FRAME_LEN;

/// Where pppd's PPP stream comes from and goes to.
#[derive(Debug, Clone, Copy)]
pub struct PppFds {
    /// Read side (fd 0 in `--nolaunchpppd` mode, the pty master in launch mode).
    pub input: RawFd,
    /// Write side; may equal `input`.
    pub output: RawFd,
}

/// Everything the loop needs to know, decided by the caller.
#[derive(Debug, Clone)]
pub struct TunnelConfig {
    /// The server's address and control port.
    pub server: SocketAddrV4,
    /// Local address for TCP and GRE (`--localbind`).
    pub localbind: Option<Ipv4Addr>,
    /// SO_MARK for both sockets (`--rtmark`).
    pub rtmark: Option<u32>,
    /// Control connection and call settings.
    pub pns: PnsConfig,
    /// GRE sequencing settings.
    pub gre: GreConfig,
    /// Sync framing toward pppd (`--sync`).
    pub sync: bool,
    /// `--test-type` and `--test-rate`, when asked for.
    pub tx_test: Option<TxTest>,
}

/// Counters the loop keeps beside the GRE machine's.
#[derive(Debug, Default)]
struct LinkStats {
    rx_invalid: u64,
    rx_wrong_peer: u64,
    rx_wrong_call: u64,
    rx_errors: u64,
    tx_failed: u64,
    tx_oversize: u64,
    ppp_bad_frames: u64,
}

/// What a finished tunnel reports to `main`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The control connection ended for this reason.
    Closed(CloseReason),
    /// The TCP connection to the server could not be made.
    ConnectFailed(String),
}

/// The running tunnel.
pub struct Tunnel {
    config: TunnelConfig,
    poll: Poll,
    signals: Signals,
    ctrl: mio::net::TcpStream,
    connected: bool,
    connect_deadline: Instant,
    ctrl_in: Vec<u8>,
    ctrl_out: Vec<u8>,
    conn: Option<PnsConnection>,
    gre_socket: GreSocket,
    session: Option<GreSession>,
    ppp: PppFds,
    ppp_open: bool,
    ppp_registered: bool,
    /// The loop watches pppd's stream for room to write (only while frames wait for it).
    ppp_watching_writes: bool,
    ppp_in: PppIn,
    ppp_out: PppOut,
    gre_buf: Vec<u8>,
    send_buf: Vec<u8>,
    /// Frames decoded from one read of pppd's stream, and where each ends.
    batch: Vec<u8>,
    batch_ends: Vec<usize>,
    /// Index in `batch_ends` of the next frame to send.
    batch_next: usize,
    tx_test: Option<TxTest>,
    stats: LinkStats,
    /// Launch mode: called on SIGCHLD; true when our pppd has exited.
    child_exited: Option<Box<dyn FnMut() -> bool>>,
    finished: Option<Outcome>,
}

impl Tunnel {
    /// Opens the GRE socket and starts the TCP connection.
    pub fn open(config: TunnelConfig, ppp: PppFds) -> Result<Tunnel, String> {
        let server_ip = *config.server.ip();
        // GRE first, bound and connected before the call exists, so that the kernel never
        // answers the server's first GRE with ICMP unreachable (pptp-linux does the same).
        let gre_socket = GreSocket::open(config.localbind, config.rtmark).map_err(|e| {
            let hint = if e.kind() == ErrorKind::PermissionDenied {
                " (raw sockets need root or CAP_NET_RAW)"
            } else {
                ""
            };
            format!("cannot open the raw GRE socket: {e}{hint}")
        })?;
        gre_socket
            .connect(server_ip)
            .map_err(|e| format!("cannot connect the GRE socket to {server_ip}: {e}"))?;
        let ctrl =
            crate::sys::tcp::connect_nonblocking(config.server, config.localbind, config.rtmark)
                .map_err(|e| format!("cannot connect to {}: {e}", config.server))?;
        let poll = Poll::new().map_err(|e| format!("cannot create the event loop: {e}"))?;
        let signals = Signals::new([SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD])
            .map_err(|e| format!("cannot install signal handlers: {e}"))?;
        let sync = config.sync;
        let tx_test = config.tx_test.clone();
        let mut t = Tunnel {
            connect_deadline: Instant::now() + CONNECT_WAIT,
            config,
            poll,
            signals,
            ctrl,
            connected: false,
            ctrl_in: Vec::with_capacity(1024),
            ctrl_out: Vec::new(),
            conn: None,
            gre_socket,
            session: None,
            ppp,
            ppp_open: true,
            ppp_registered: false,
            ppp_watching_writes: false,
            ppp_in: PppIn::new(sync),
            ppp_out: PppOut::new(ppp.output, sync),
            gre_buf: vec![0; GRE_BUF],
            send_buf: Vec::with_capacity(gre::MAX_LEN + hdlc::MAX_FRAME_LEN),
            batch: Vec::new(),
            batch_ends: Vec::new(),
            batch_next: 0,
            tx_test,
            stats: LinkStats::default(),
            child_exited: None,
            finished: None,
        };
        t.register()
            .map_err(|e| format!("cannot register with the event loop: {e}"))?;
        Ok(t)
    }

    /// Launch mode: `exited` is asked on every SIGCHLD whether our pppd has gone.
    pub fn watch_child(&mut self, exited: Box<dyn FnMut() -> bool>) {
        self.child_exited = Some(exited);
    }

    fn register(&mut self) -> io::Result<()> {
        let registry = self.poll.registry();
        registry.register(
            &mut self.ctrl,
            CTRL,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        registry.register(
            &mut SourceFd(&self.gre_socket.as_raw_fd()),
            GRE,
            Interest::READABLE,
        )?;
        registry.register(&mut self.signals, SIGNALS, Interest::READABLE)?;
        Ok(())
    }

    /// pppd's stream joins the loop only once the call is up: before that there is nowhere
    /// to send its frames, and pppd simply retransmits its first LCP request.
    fn register_ppp(&mut self) -> io::Result<()> {
        let registry = self.poll.registry();
        registry.register(&mut SourceFd(&self.ppp.input), PPP_IN, Interest::READABLE)?;
        self.ppp_registered = true;
        Ok(())
    }

    /// Watches pppd's stream for room to write, or stops: only frames waiting for room need
    /// it (PppOut::pending), and watching all the time costs a wake-up per write.
    fn watch_ppp_writes(&mut self, watch: bool) {
        if watch == self.ppp_watching_writes || !self.ppp_registered {
            return;
        }
        let registry = self.poll.registry();
        let (input, output) = (self.ppp.input, self.ppp.output);
        let done = if input == output {
            let interest = if watch {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(&mut SourceFd(&input), PPP_IN, interest)
        } else if watch {
            registry.register(&mut SourceFd(&output), PPP_OUT, Interest::WRITABLE)
        } else {
            registry.deregister(&mut SourceFd(&output))
        };
        match done {
            Ok(()) => self.ppp_watching_writes = watch,
            Err(e) => warn!("pppd: cannot watch the stream for room to write: {e}"),
        }
    }

    /// Runs until the control connection is finished (or, in launch mode, pppd exits and
    /// the teardown is done).
    pub fn run(&mut self) -> Outcome {
        let mut events = Events::with_capacity(64);
        loop {
            let now = Instant::now();
            let timeout = self
                .next_deadline()
                .map(|d| d.saturating_duration_since(now));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                error!("ctrl: event loop failed: {e}");
                return Outcome::Closed(CloseReason::Local);
            }
            for event in events.iter() {
                match event.token() {
                    CTRL => self.on_ctrl(event.is_writable()),
                    GRE => self.on_gre(),
                    PPP_IN => {
                        self.on_ppp_readable();
                        if event.is_read_closed() && self.ppp_open {
                            // Seen even while --window keeps us from reading to the EOF.
                            self.ppp_closed("hang-up");
                        }
                        self.flush_ppp();
                    }
                    PPP_OUT => self.flush_ppp(),
                    SIGNALS => self.on_signals(),
                    _ => {}
                }
            }
            self.on_timers(Instant::now());
            if let Some(outcome) = self.drain_machines() {
                self.flush_ctrl();
                self.log_stats("end");
                return outcome;
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let connect = (!self.connected).then_some(self.connect_deadline);
        [
            connect,
            self.conn.as_ref().and_then(|c| c.poll_timeout()),
            self.session.as_ref().and_then(|s| s.poll_timeout()),
            self.tx_test.as_ref().and_then(|t| t.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- control connection ----

    fn on_ctrl(&mut self, writable: bool) {
        let now = Instant::now();
        if !self.connected {
            if !writable {
                return;
            }
            match self.ctrl.take_error() {
                Ok(None) if self.ctrl.peer_addr().is_ok() => {}
                Ok(Some(e)) | Err(e) => return self.fail_connect(&e.to_string()),
                Ok(None) => return, // not finished yet
            }
            self.connected = true;
            info!("ctrl: connected to {}", self.config.server);
            self.conn = Some(PnsConnection::new(self.config.pns.clone(), now));
        }
        self.read_ctrl(now);
        self.flush_ctrl();
    }

    fn fail_connect(&mut self, why: &str) {
        self.finished = Some(Outcome::ConnectFailed(why.to_string()));
    }

    fn read_ctrl(&mut self, now: Instant) {
        let mut buf = [0u8; 4096];
        loop {
            match self.ctrl.read(&mut buf) {
                Ok(0) => {
                    debug!("ctrl: server closed the connection");
                    return self.ctrl_lost(CloseReason::ConnectionLost);
                }
                Ok(n) => {
                    self.ctrl_in.extend_from_slice(&buf[..n]);
                    if !self.parse_ctrl(now) {
                        return self.ctrl_lost(CloseReason::LocalFailure(
                            "lost control message framing (RFC 2637 section 1.4: connection closed)",
                        ));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("ctrl: read failed: {e}");
                    return self.ctrl_lost(CloseReason::ConnectionLost);
                }
            }
        }
    }

    /// Takes every whole message from the input buffer; false when framing is lost (RFC
    /// 2637 §1.4: the connection is then closed).
    fn parse_ctrl(&mut self, now: Instant) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return true;
        };
        let framed = take_messages(&mut self.ctrl_in, |msg| match msg {
            Ok(msg) => {
                debug!("ctrl: received {}", msg.message_type());
                conn.handle_message(now, msg);
            }
            Err(e) => warn!("ctrl: dropped malformed control message: {e}"),
        });
        if let Err(e) = &framed {
            error!("ctrl: lost message framing: {e}");
        }
        framed.is_ok()
    }

    fn ctrl_lost(&mut self, reason: CloseReason) {
        if let Some(conn) = self.conn.as_mut() {
            conn.connection_lost(reason);
        }
    }

    fn flush_ctrl(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            while let Some(msg) = conn.poll_transmit() {
                debug!("ctrl: sending {}", msg.message_type());
                msg.emit(&mut self.ctrl_out);
            }
        }
        while !self.ctrl_out.is_empty() && self.connected {
            match self.ctrl.write(&self.ctrl_out) {
                Ok(n) => {
                    self.ctrl_out.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!("ctrl: write failed: {e}");
                    self.ctrl_out.clear();
                    return self.ctrl_lost(CloseReason::ConnectionLost);
                }
            }
        }
    }
}

impl Tunnel {
    // ---- GRE ----

    fn on_gre(&mut self) {
        let now = Instant::now();
        loop {
            let n = match self.gre_socket.recv(&mut self.gre_buf) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    // ICMP errors (port or host unreachable, frag needed) surface here on a
                    // connected raw socket: count them, the tunnel goes on (pptp-linux ends).
                    self.stats.rx_errors += 1;
                    debug!("gre: receive error: {e}");
                    continue;
                }
            };
            self.on_gre_datagram(now, n);
        }
        self.send_acks(now);
        self.flush_ppp();
    }

    fn on_gre_datagram(&mut self, now: Instant, len: usize) {
        let datagram = match Ipv4Datagram::parse(&self.gre_buf[..len]) {
            Ok(d) => d,
            Err(e) => {
                self.stats.rx_invalid += 1;
                debug!("gre: dropped datagram: {e}");
                return;
            }
        };
        if datagram.protocol != PROTOCOL_GRE || datagram.src != *self.config.server.ip() {
            self.stats.rx_wrong_peer += 1;
            return;
        }
        let (header, payload) = match GreHeader::parse(datagram.payload) {
            Ok(p) => p,
            Err(e) => {
                self.stats.rx_invalid += 1;
                debug!("gre: dropped packet: {e}");
                return;
            }
        };
        if header.call_id != self.config.pns.call_id {
            self.stats.rx_wrong_call += 1;
            return;
        }
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let ppp_out = &mut self.ppp_out;
        session.handle_packet(now, &header, payload, |frame| ppp_out.frame(frame));
    }

    fn send_acks(&mut self, now: Instant) {
        while let Some(header) = self.session.as_mut().and_then(|s| s.poll_ack_only(now)) {
            self.send_gre(now, &header, &[]);
        }
    }

    /// Sends one GRE packet; data packets pass through `--test-type` when it is on.
    fn send_gre(&mut self, now: Instant, header: &GreHeader, payload: &[u8]) {
        self.send_buf.clear();
        self.send_buf.resize(header.header_len(), 0);
        header.emit(&mut self.send_buf);
        self.send_buf.extend_from_slice(payload);
        let (socket, stats) = (&self.gre_socket, &mut self.stats);
        match self.tx_test.as_mut() {
            Some(test) if header.seq.is_some() => {
                test.push(now, &self.send_buf, |p| send_datagram(socket, stats, p))
            }
            _ => send_datagram(socket, stats, &self.send_buf),
        }
    }

    // ---- pppd's stream ----

    fn on_ppp_readable(&mut self) {
        if !self.ppp_open {
            return;
        }
        let mut buf = [0u8; 16384];
        loop {
            self.send_held_frames();
            if self.ppp_paused() {
                // --window is full: pppd's bytes wait in the pty until the server
                // acknowledges (on_timers resumes), so memory stays at one read.
                return;
            }
            let input = fd::borrow(self.ppp.input);
            match fd::read(input, &mut buf) {
                Ok(0) => return self.ppp_closed("end of file"),
                Ok(n) => self.on_ppp_bytes(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                // EIO: the other side of the pty closed, i.e. pppd exited.
                Err(e) => return self.ppp_closed(&e.to_string()),
            }
        }
    }

    /// True while frames read from pppd wait for the send window to open.
    fn ppp_paused(&self) -> bool {
        self.batch_next < self.batch_ends.len()
    }

    fn on_ppp_bytes(&mut self, bytes: &[u8]) {
        // Decode the whole read first, then send: the decoder's callback cannot also
        // borrow the socket and the session.
        let (mut batch, mut ends) = (
            std::mem::take(&mut self.batch),
            std::mem::take(&mut self.batch_ends),
        );
        batch.clear();
        ends.clear();
        let (bad, sync, mut mppe) = (&mut self.stats.ppp_bad_frames, self.config.sync, false);
        self.ppp_in.push(bytes, |frame| match frame {
            Ok(frame) => {
                mppe |= sync && is_mppe_ack(frame);
                batch.extend_from_slice(frame);
                ends.push(batch.len());
            }
            Err(e) => {
                *bad += 1;
                debug!("pppd: dropped bytes: {e}");
            }
        });
        (self.batch, self.batch_ends, self.batch_next) = (batch, ends, 0);
        self.ppp_out.mppe_seen |= mppe;
        self.send_held_frames();
        self.check_mppe_in_sync();
    }

    /// Sends the frames of the last read that the send window lets through.
    fn send_held_frames(&mut self) {
        let now = Instant::now();
        while self.batch_next < self.batch_ends.len() {
            let Some(session) = self.session.as_mut().filter(|s| s.can_send()) else {
                return;
            };
            let start = self
                .batch_next
                .checked_sub(1)
                .map_or(0, |i| self.batch_ends[i]);
            let end = self.batch_ends[self.batch_next];
            self.batch_next += 1;
            let header = session.next_data_header((end - start) as u16);
            let batch = std::mem::take(&mut self.batch);
            self.send_gre(now, &header, &batch[start..end]);
            self.batch = batch;
        }
    }

    /// `--sync` cannot carry MPPE: stop the call with the reason instead of corrupting it.
    fn check_mppe_in_sync(&mut self) {
        if self.ppp_out.mppe_seen && self.ppp_open {
            self.ppp_out.mppe_seen = false;
            self.stop_ppp();
            match self.conn.as_mut() {
                Some(conn) => conn.abort(Instant::now(), MPPE_IN_SYNC),
                None => {
                    self.finished = Some(Outcome::Closed(CloseReason::LocalFailure(MPPE_IN_SYNC)))
                }
            }
        }
    }

    fn ppp_closed(&mut self, why: &str) {
        info!("pppd: stream closed ({why}); clearing the call");
        self.stop_ppp();
        self.close(Instant::now());
    }

    /// Stops reading and writing pppd's stream.
    fn stop_ppp(&mut self) {
        self.ppp_open = false;
        if self.ppp_registered {
            let registry = self.poll.registry();
            let _ = registry.deregister(&mut SourceFd(&self.ppp.input));
            if self.ppp.output != self.ppp.input && self.ppp_watching_writes {
                let _ = registry.deregister(&mut SourceFd(&self.ppp.output));
            }
            self.ppp_registered = false;
            self.ppp_watching_writes = false;
        }
    }

    fn flush_ppp(&mut self) {
        self.check_mppe_in_sync();
        if self.ppp_open
            && let Err(e) = self.ppp_out.flush()
        {
            self.ppp_closed(&e.to_string());
        }
        self.watch_ppp_writes(self.ppp_open && self.ppp_out.pending());
    }

    // ---- signals, timers, machine outputs ----

    fn on_signals(&mut self) {
        let pending: Vec<i32> = self.signals.pending().collect();
        for signal in pending {
            match signal {
                SIGUSR1 => self.log_stats("now"),
                SIGCHLD => {
                    if self.child_exited.as_mut().is_some_and(|exited| exited()) {
                        info!("pppd: exited; clearing the call");
                        self.ppp_open = false;
                        self.close(Instant::now());
                    }
                }
                _ => {
                    info!("ctrl: signal {signal} received; closing");
                    self.close(Instant::now());
                }
            }
        }
    }

    fn close(&mut self, now: Instant) {
        match self.conn.as_mut() {
            Some(conn) => conn.close(now),
            None => {
                self.finished
                    .get_or_insert(Outcome::Closed(CloseReason::Local));
            }
        }
    }

    fn on_timers(&mut self, now: Instant) {
        if !self.connected && now >= self.connect_deadline && self.finished.is_none() {
            self.fail_connect(&format!("no answer within {}s", CONNECT_WAIT.as_secs()));
        }
        if let Some(conn) = self.conn.as_mut() {
            conn.handle_timeout(now);
        }
        if let Some(session) = self.session.as_mut() {
            let ppp_out = &mut self.ppp_out;
            session.handle_timeout(now, |frame| ppp_out.frame(frame));
        }
        if let Some(test) = self.tx_test.as_mut() {
            let (socket, stats) = (&self.gre_socket, &mut self.stats);
            test.handle_timeout(now, |p| send_datagram(socket, stats, p));
        }
        self.send_acks(now);
        self.flush_ppp();
        if self.ppp_paused() && self.session.as_ref().is_some_and(|s| s.can_send()) {
            // Resumes reading paused by --window (edge-triggered: no new event would come).
            self.on_ppp_readable();
        }
        self.flush_ctrl();
    }

    /// Acts on the machines' events; Some when the tunnel is finished.
    fn drain_machines(&mut self) -> Option<Outcome> {
        while let Some(event) = self.conn.as_mut().and_then(|c| c.poll_event()) {
            match event {
                PnsEvent::CallUp {
                    peer_call_id,
                    peer_window,
                    ..
                } => {
                    self.session = Some(GreSession::new(
                        self.config.gre.clone(),
                        peer_call_id,
                        peer_window,
                    ));
                    if let Err(e) = self.register_ppp() {
                        error!("pppd: cannot watch the ppp stream: {e}");
                        self.close(Instant::now());
                        continue;
                    }
                    // The edge may have passed while pppd waited: read what is there.
                    self.on_ppp_readable();
                    self.flush_ctrl();
                }
                PnsEvent::Closed(reason) => {
                    self.finished.get_or_insert(Outcome::Closed(reason));
                }
            }
        }
        self.finished.clone()
    }

    fn log_stats(&self, when: &str) {
        let Some(s) = self.session.as_ref().map(|s| s.stats()) else {
            return;
        };
        let l = &self.stats;
        info!(
            "gre: stats ({when}) rx_accepted={} rx_lost={} rx_underwin={} rx_overwin={} rx_buffered={} rx_acks={} rx_invalid={} rx_wrong_peer={} rx_wrong_call={} rx_errors={} tx_sent={} tx_acks={} tx_failed={} tx_oversize={} ppp_bad_frames={} ppp_backlog_drops={}",
            s.rx_accepted,
            s.rx_lost,
            s.rx_underwin,
            s.rx_overwin,
            s.rx_buffered,
            s.rx_acks,
            l.rx_invalid,
            l.rx_wrong_peer,
            l.rx_wrong_call,
            l.rx_errors,
            s.tx_sent,
            s.tx_acks,
            l.tx_failed,
            l.tx_oversize,
            l.ppp_bad_frames,
            self.ppp_out.drops
        );
    }
}

/// Sends one datagram. A failed send loses the packet, never the tunnel: ENOBUFS, a full
/// socket buffer, or an ICMP error reported on this send (pptp-linux ends the tunnel on
/// everything but ENOBUFS).
fn send_datagram(socket: &GreSocket, stats: &mut LinkStats, packet: &[u8]) {
    match socket.send(packet) {
        Ok(_) => {}
        Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => {
            stats.tx_oversize += 1;
            debug!("gre: packet too big for the path: len={}", packet.len());
        }
        Err(e) => {
            stats.tx_failed += 1;
            debug!("gre: send failed: {e}");
        }
    }
}
