//! One tunnel: the client's mio event loop.
//!
//! One process, one thread, one loop: the control connection, the raw GRE socket, pppd's
//! byte stream and the signals are all sources of the same `Poll` (pptp-linux splits this
//! over a call-manager and a GRE-copier process joined by a unix socket, which is why two
//! of its clients to one server collide). The protocol is decided by the sans-IO machines
//! of [`crate::proto`] and the I/O shared with the server lives in [`crate::link`]; this
//! file connects, owns the signals and the child, and routes events.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use log::{error, info};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::link::ctrl_stream::CtrlStream;
use crate::link::data_path::DataPath;
use crate::link::gre_rx::{self, RxCounters};
use crate::link::ppp_stream::{MPPE_IN_SYNC, PppFds};
use crate::proto::gre::GreConfig;
use crate::proto::pns::{CloseReason, PnsConfig, PnsConnection, PnsEvent};
use crate::proto::tx_reorder::TxReorder;
use crate::sys::gre_socket::{Destination, GreSocket, RecvBatch};
use crate::sys::signals::{self, Signals};

const CTRL: Token = Token(0);
const GRE: Token = Token(1);
const PPP_IN: Token = Token(2);
const PPP_OUT: Token = Token(3);
const SIGNALS: Token = Token(4);

/// How long the TCP connect may take before we give up with a clear error.
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);
/// How long the rest of a control message may take once it has begun to arrive.
const PARTIAL_MESSAGE_WAIT: Duration = crate::proto::control::REPLY_WAIT;
/// Bytes read from pppd's stream at a time.
const READ_BUF: usize = 16 * 1024;

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
    pub tx_reorder: Option<TxReorder>,
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
    ctrl: CtrlStream,
    connect_deadline: Instant,
    /// The control machine, from the moment the TCP connection is up.
    pns: Option<PnsConnection>,
    gre: GreSocket,
    rx: RecvBatch,
    rx_counters: RxCounters,
    data: DataPath,
    read_buf: Vec<u8>,
    /// Launch mode: called on SIGCHLD; true when our pppd has exited.
    child_exited: Option<Box<dyn FnMut() -> bool>>,
    finished: Option<Outcome>,
    /// When the call came up.
    call_up_at: Option<Instant>,
}

impl Tunnel {
    /// Opens the GRE socket and starts the TCP connection.
    pub fn open(config: TunnelConfig, ppp: PppFds) -> Result<Tunnel, String> {
        let server_ip = *config.server.ip();
        // GRE first, bound and connected before the call exists, so that the kernel never
        // answers the server's first GRE with ICMP unreachable (pptp-linux does the same).
        let gre = GreSocket::open(config.localbind, config.rtmark).map_err(|e| {
            let hint = if e.kind() == ErrorKind::PermissionDenied {
                " (raw sockets need root or CAP_NET_RAW)"
            } else {
                ""
            };
            format!("cannot open the raw GRE socket: {e}{hint}")
        })?;
        gre.connect(server_ip)
            .map_err(|e| format!("cannot connect the GRE socket to {server_ip}: {e}"))?;
        let stream =
            crate::sys::tcp::connect_nonblocking(config.server, config.localbind, config.rtmark)
                .map_err(|e| format!("cannot connect to {}: {e}", config.server))?;
        let poll = Poll::new().map_err(|e| format!("cannot create the event loop: {e}"))?;
        let mut signals = signals::program_signals()
            .map_err(|e| format!("cannot install signal handlers: {e}"))?;
        let registry = poll.registry();
        let register = |r: std::io::Result<()>| {
            r.map_err(|e| format!("cannot register with the event loop: {e}"))
        };
        let ctrl = CtrlStream::connecting(registry, stream, CTRL, server_ip)
            .map_err(|e| format!("cannot register with the event loop: {e}"))?;
        register(registry.register(
            &mut SourceFd(&std::os::fd::AsRawFd::as_raw_fd(&gre)),
            GRE,
            Interest::READABLE,
        ))?;
        register(registry.register(&mut signals, SIGNALS, Interest::READABLE))?;
        let mut data = DataPath::new(
            ppp,
            config.sync,
            server_ip,
            Destination::Connected,
            (PPP_IN, PPP_OUT),
        );
        data.set_tx_reorder(config.tx_reorder.clone());
        Ok(Tunnel {
            connect_deadline: Instant::now() + CONNECT_WAIT,
            config,
            poll,
            signals,
            ctrl,
            pns: None,
            gre,
            rx: gre_rx::new_batch(),
            rx_counters: RxCounters::default(),
            data,
            read_buf: vec![0; READ_BUF],
            child_exited: None,
            finished: None,
            call_up_at: None,
        })
    }

    /// Launch mode: `exited` is asked on every SIGCHLD whether our pppd has gone.
    pub fn watch_child(&mut self, exited: Box<dyn FnMut() -> bool>) {
        self.child_exited = Some(exited);
    }

    /// Runs until the control connection is finished (or, in launch mode, pppd exits and
    /// the teardown is done).
    pub fn run(&mut self) -> Outcome {
        let mut events = Events::with_capacity(64);
        loop {
            let deadline = self.next_deadline();
            if let Err(e) = crate::link::wait(&mut self.poll, &mut events, deadline) {
                error!("ctrl: event loop failed: {e}");
                return Outcome::Closed(CloseReason::Local);
            }
            for event in events.iter() {
                match event.token() {
                    CTRL => self.on_ctrl(),
                    GRE => self.on_gre(),
                    PPP_IN => {
                        self.read_pppd();
                        if event.is_read_closed() && self.data.is_open() {
                            // Seen even while --window keeps us from reading to the EOF.
                            self.pppd_gone("hang-up");
                        }
                    }
                    PPP_OUT => {}
                    SIGNALS => self.on_signals(),
                    _ => {}
                }
            }
            self.on_timers(Instant::now());
            self.flush_pppd();
            if let Some(outcome) = self.drain_machine() {
                self.flush_ctrl();
                self.log_stats("end");
                self.log_summary();
                return outcome;
            }
            self.flush_ctrl();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let connect = self.ctrl.is_connecting().then_some(self.connect_deadline);
        [
            connect,
            self.pns.as_ref().and_then(PnsConnection::poll_timeout),
            self.ctrl.poll_timeout(PARTIAL_MESSAGE_WAIT),
            self.data.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- control connection ----

    fn on_ctrl(&mut self) {
        let now = Instant::now();
        if self.ctrl.is_connecting() {
            match self.ctrl.finish_connect(self.poll.registry()) {
                None => return,
                Some(Err(e)) => return self.fail_connect(&e.to_string()),
                Some(Ok(())) => {
                    info!("ctrl: connected to {}", self.config.server);
                    self.pns = Some(PnsConnection::new(self.config.pns.clone(), now));
                }
            }
        }
        if let Some(pns) = self.pns.as_mut() {
            self.ctrl.on_ready(self.poll.registry(), now, pns);
        }
    }

    fn flush_ctrl(&mut self) {
        if let Some(pns) = self.pns.as_mut() {
            self.ctrl.flush(self.poll.registry(), Instant::now(), pns);
        }
    }

    fn fail_connect(&mut self, why: &str) {
        self.finished
            .get_or_insert(Outcome::ConnectFailed(why.to_string()));
    }

    // ---- GRE and pppd's stream ----

    fn on_gre(&mut self) {
        let now = Instant::now();
        let (server, call_id) = (*self.config.server.ip(), self.config.pns.call_id);
        let data = &mut self.data;
        gre_rx::drain(
            &self.gre,
            &mut self.rx,
            &mut self.rx_counters,
            |p, counters| {
                if p.src != server {
                    counters.wrong_peer += 1;
                } else if p.header.call_id != call_id {
                    counters.unknown_call += 1;
                } else {
                    data.on_gre(now, &p.header, p.payload);
                }
            },
        );
        self.data.send_acks(now, &self.gre);
        self.check_mppe_in_sync();
    }

    fn read_pppd(&mut self) {
        let result = self
            .data
            .read_pppd(Instant::now(), &self.gre, &mut self.read_buf);
        if let Err(why) = result {
            self.pppd_gone(&why);
        }
        self.check_mppe_in_sync();
    }

    fn flush_pppd(&mut self) {
        if let Err(why) = self.data.flush(self.poll.registry()) {
            self.pppd_gone(&why);
        }
    }

    /// `--sync` cannot carry MPPE: stop the call with the reason instead of corrupting it.
    fn check_mppe_in_sync(&mut self) {
        if self.data.mppe_in_sync() && self.data.is_open() {
            self.data.stop(self.poll.registry());
            match self.pns.as_mut() {
                Some(pns) => pns.abort(Instant::now(), MPPE_IN_SYNC),
                None => {
                    self.finished
                        .get_or_insert(Outcome::Closed(CloseReason::LocalFailure(MPPE_IN_SYNC)));
                }
            }
        }
    }

    fn pppd_gone(&mut self, why: &str) {
        info!("pppd: stream closed ({why}); clearing the call");
        self.data.stop(self.poll.registry());
        self.close(Instant::now());
    }

    // ---- signals, timers, machine outputs ----

    fn on_signals(&mut self) {
        let pending: Vec<i32> = self.signals.pending().collect();
        for signal in pending {
            match signal {
                signals::USER1 => self.log_stats("now"),
                signals::CHILD => {
                    if self.child_exited.as_mut().is_some_and(|exited| exited()) {
                        info!("pppd: exited; clearing the call");
                        self.data.stop(self.poll.registry());
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
        match self.pns.as_mut() {
            Some(pns) => pns.close(now),
            None => {
                self.finished
                    .get_or_insert(Outcome::Closed(CloseReason::Local));
            }
        }
    }

    fn on_timers(&mut self, now: Instant) {
        if self.ctrl.is_connecting() && now >= self.connect_deadline {
            self.fail_connect(&format!("no answer within {}s", CONNECT_WAIT.as_secs()));
        }
        if let Some(pns) = self.pns.as_mut() {
            pns.handle_timeout(now);
            self.ctrl.handle_timeout(now, PARTIAL_MESSAGE_WAIT, pns);
        }
        if let Err(why) = self.data.handle_timeout(now, &self.gre, &mut self.read_buf) {
            self.pppd_gone(&why);
        }
    }

    /// Acts on the machine's events; Some when the tunnel is finished.
    fn drain_machine(&mut self) -> Option<Outcome> {
        while let Some(event) = self.pns.as_mut().and_then(PnsConnection::poll_event) {
            match event {
                PnsEvent::CallUp {
                    peer_call_id,
                    peer_window,
                    ..
                } => {
                    self.data
                        .start(self.config.gre.clone(), peer_call_id, peer_window);
                    self.call_up_at = Some(Instant::now());
                    // pppd's stream joins the loop only now: before, there is nowhere to
                    // send its frames, and pppd simply retransmits its first LCP request.
                    if let Err(e) = self.data.register(self.poll.registry()) {
                        error!("pppd: cannot watch the ppp stream: {e}");
                        self.close(Instant::now());
                        continue;
                    }
                    // The edge may have passed while pppd waited: read what is there.
                    self.read_pppd();
                }
                PnsEvent::Closed(reason) => {
                    self.finished.get_or_insert(Outcome::Closed(reason));
                }
            }
        }
        self.finished.clone()
    }

    /// One line at the end, as pppd gives for its link: how long the call was up and
    /// what it carried.
    fn log_summary(&self) {
        let (Some(up), Some(s)) = (self.call_up_at, self.data.gre_stats()) else {
            return;
        };
        let c = self.data.counters();
        info!(
            "call: summary duration={}s rx_bytes={} rx_packets={} tx_bytes={} tx_packets={} lost={} reordered={} late={}",
            up.elapsed().as_secs(),
            c.rx_bytes,
            s.rx_accepted,
            c.tx_bytes,
            s.tx_sent,
            s.rx_lost,
            s.rx_buffered,
            s.rx_underwin
        );
    }

    fn log_stats(&self, when: &str) {
        let Some(s) = self.data.gre_stats() else {
            return;
        };
        let (l, r) = (self.data.counters(), &self.rx_counters);
        info!(
            "gre: stats ({when}) rx_accepted={} rx_lost={} rx_underwin={} rx_overwin={} rx_buffered={} rx_acks={} rx_invalid={} rx_wrong_peer={} rx_wrong_call={} rx_errors={} tx_sent={} tx_acks={} tx_failed={} tx_oversize={} ppp_bad_frames={} ppp_backlog_drops={}",
            s.rx_accepted,
            s.rx_lost,
            s.rx_underwin,
            s.rx_overwin,
            s.rx_buffered,
            s.rx_acks,
            r.invalid,
            r.wrong_peer,
            r.unknown_call,
            r.errors,
            s.tx_sent,
            s.tx_acks,
            l.tx_failed,
            l.tx_oversize,
            l.ppp_bad_frames,
            self.data.backlog_drops()
        );
        for (kind, n) in &r.icmp {
            info!("gre: stats ({when}) icmp_{kind}={n}");
        }
    }
}
