//! The `pptpd` event loop: one process, one thread, one `Poll` for the listener, the raw
//! GRE socket, every control connection, every pppd's pty and the signals.
//!
//! poptop forks a pptpctrl per connection, each with its own raw GRE socket, so the kernel
//! hands every GRE packet to every process to filter. Here one socket receives all GRE and
//! a hash map from (client address, our Call ID) finds the call, whatever the number of
//! tunnels. Call IDs are random and unique on the server, so clients behind one NAT
//! address are told apart (Debian #171831).
//!
//! This file is the loop and the timers; [`accept`](self::accept) takes new connections
//! in, and [`conns`](self::conns) is what happens on a connection and its call.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use log::{error, info, warn};
use mio::net::TcpListener;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::call::Call;
use super::config::ServerConfig;
use super::control::Control;
use super::metrics::Metrics;
use super::pool::AddressPool;
use crate::link::ctrl_stream::CtrlStream;
use crate::link::gre_rx::{self, RxCounters};
use crate::proto::pac::PacConnection;
use crate::sys::gre_socket::{GreSocket, RecvBatch};
use crate::sys::signals::{self, Signals};

mod accept;
mod admit;
mod conns;
mod ctl;
mod dae;
mod users;

const LISTENER: Token = Token(0);
const GRE: Token = Token(1);
const SIGNALS: Token = Token(2);
const CONTROL: Token = Token(3);
const METRICS: Token = Token(4);
const DAE: Token = Token(5);
/// Control socket client `i` uses token CONTROL_CLIENTS + i, far above the connections';
/// metrics scraper `i` METRICS_CLIENTS + i.
const CONTROL_CLIENTS: usize = 1 << 40;
const METRICS_CLIENTS: usize = 1 << 41;
/// Connection `i` uses tokens FIRST_CONN + 2i (control) and FIRST_CONN + 2i + 1 (pty).
const FIRST_CONN: usize = 16;
/// How long SIGTERM waits for clients to confirm and pppds to exit (poptop: 5 s per reply).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
/// How late a timer may fire so that timers falling due close together share one wake:
/// with many tunnels, each with its own 50 ms ACK timer, one wake per timer would cost
/// more than the packets themselves. Small next to every timer served (ACK delay 50 ms,
/// reorder 300 ms, echo 60 s), like the kernel's timer slack.
const TIMER_SLACK: Duration = Duration::from_millis(5);
/// How soon to look at the listener again when descriptors ran out and none was free.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
/// Bytes read from a pppd's pty at a time (one buffer for every call).
const READ_BUF: usize = 16 * 1024;

/// The token of connection `index`'s control stream.
fn ctrl_token(index: usize) -> Token {
    Token(FIRST_CONN + 2 * index)
}

/// The token of connection `index`'s pty.
fn pty_token(index: usize) -> Token {
    Token(FIRST_CONN + 2 * index + 1)
}

/// What a reload (SIGHUP) or start-up needs from the configuration.
pub type Loader = Box<dyn Fn() -> Result<(ServerConfig, Vec<String>), String>>;

/// One control connection and its call.
struct Conn {
    ctrl: CtrlStream,
    client: Ipv4Addr,
    /// The client's address before this host's own NAT, where the connection tracker
    /// knows one that differs from `client` (issue: "as seen, and the original one").
    client_before_nat: Option<Ipv4Addr>,
    /// Our address the client connected to: its GRE leaves from there.
    local: Option<Ipv4Addr>,
    accepted: Instant,
    pac: PacConnection,
    call: Option<Call>,
    /// The deadline this connection last put in `Service::timers`, if still pending.
    scheduled: Option<Instant>,
}

impl Conn {
    /// The earliest timer of the control connection, its stream and its call.
    fn deadline(&self, stimeout: Duration) -> Option<Instant> {
        let call = self.call.as_ref().and_then(|c| c.data.poll_timeout());
        [
            self.pac.poll_timeout(),
            self.ctrl.poll_timeout(stimeout),
            call,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// Server-wide counters (SIGUSR1, `pptpctl show stats`, metrics).
#[derive(Debug)]
struct ServerStats {
    started: Instant,
    /// Calls that came up.
    calls_served: u64,
    /// Call requests refused for want of an address or slot.
    refused_pool_empty: u64,
    /// Connections without a call closed to make room for a newcomer at the limit.
    shed: u64,
    /// Connections accepted and closed at once because no file descriptor was left.
    accept_no_fd: u64,
    /// Connections closed at accept: denied by hosts.allow/hosts.deny, over
    /// `connect-rate`, over `connections-per-source`.
    refused_hosts_access: u64,
    refused_connect_rate: u64,
    refused_per_source: u64,
    /// Sessions ended by `single-session deny` (the new one) and `replace` (the old one),
    /// and by a RADIUS Port-Limit.
    refused_single_session: u64,
    replaced_single_session: u64,
    refused_port_limit: u64,
    /// Control connections ended, by kind ([`PacClosed::kind`]).
    closed: ctl::ClosedCounters,
    /// The data path counters of calls that have ended.
    gone: crate::link::data_path::CallCounters,
}

impl Default for ServerStats {
    fn default() -> Self {
        ServerStats {
            started: Instant::now(),
            calls_served: 0,
            refused_pool_empty: 0,
            shed: 0,
            accept_no_fd: 0,
            refused_hosts_access: 0,
            refused_connect_rate: 0,
            refused_per_source: 0,
            refused_single_session: 0,
            replaced_single_session: 0,
            refused_port_limit: 0,
            closed: Default::default(),
            gone: Default::default(),
        }
    }
}

/// Whose a child is, by pid, for reaping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// The call of connection `index`.
    Conn(usize),
    /// A call whose connection is gone.
    Orphan,
}

/// The running server.
pub struct Service {
    config: ServerConfig,
    loader: Loader,
    poll: Poll,
    signals: Signals,
    listener: Option<TcpListener>,
    control: Option<Control>,
    metrics: Option<Metrics>,
    /// `dae-server`: the Disconnect-Request listener.
    dae: Option<dae::Dae>,
    gre: GreSocket,
    rx: RecvBatch,
    rx_counters: RxCounters,
    read_buf: Vec<u8>,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// (client address, our Call ID) -> connection index, for calls that are up.
    gre_calls: HashMap<(Ipv4Addr, u16), usize>,
    call_ids: HashSet<u16>,
    /// Every pppd by pid, so that a SIGCHLD finds its call at once.
    pids: HashMap<u32, Owner>,
    pool: AddressPool,
    /// Calls whose connection is gone, kept until their pppd is reaped, by pid.
    orphans: HashMap<u32, Call>,
    /// Every connection's next deadline, earliest first, as (deadline, index): a wake
    /// costs O(log n) whatever the number of tunnels, where a scan of every connection
    /// made per-packet CPU grow with the tunnel count. Entries go stale when a deadline
    /// moves; a popped stale entry only costs a check.
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    shutdown_deadline: Option<Instant>,
    stats: ServerStats,
    /// A descriptor held back for the moment the process has none left: closed to accept
    /// one pending connection and close it at once, so that the backlog keeps draining.
    reserve_fd: Option<OwnedFd>,
    /// Out of descriptors was reported (once, until accepting works again).
    fd_exhaustion_logged: bool,
    /// When to try the listener again after running out of descriptors.
    accept_retry: Option<Instant>,
    /// Where a client came from before this host's NAT.
    conntrack: crate::sys::conntrack::Conntrack,
    /// `bcrelay IF`: the broadcast relay pptpd started.
    bcrelay: Option<crate::sys::process::ChildProcess>,
    /// hosts_access tables and the per-source rate.
    admission: admit::Admission,
    /// Open connections by client address (`connections-per-source`); bounded by the
    /// connection limit, as only accepted connections are in it.
    per_source: HashMap<Ipv4Addr, usize>,
}

impl Service {
    /// Binds the listener and the GRE socket, and reads hosts.allow and hosts.deny; the
    /// warnings (one line each) are the caller's to show at start-up.
    pub fn new(config: ServerConfig, loader: Loader) -> Result<(Service, Vec<String>), String> {
        let addr = SocketAddrV4::new(config.listen.unwrap_or(Ipv4Addr::UNSPECIFIED), 1723);
        // `vrf NAME`: the listener and GRE live in the VRF, pppd's interfaces stay in the
        // default one (poptop's VRF builds do the same).
        let vrf = config.vrf.as_deref();
        let in_vrf = vrf.map(|v| format!(" in vrf {v}")).unwrap_or_default();
        let mut listener = crate::sys::tcp::listen_in(addr, vrf)
            .map_err(|e| format!("cannot listen on {addr}{in_vrf}: {e}"))?;
        let gre = GreSocket::open(config.listen, None).map_err(|e| {
            format!("cannot open the raw GRE socket: {e} (raw sockets need root or CAP_NET_RAW)")
        })?;
        if let Some(vrf) = vrf {
            gre.bind_to_device(vrf)
                .map_err(|e| format!("cannot put the GRE socket in vrf {vrf}: {e}"))?;
        }
        let poll = Poll::new().map_err(|e| format!("cannot create the event loop: {e}"))?;
        let mut signals = signals::program_signals()
            .map_err(|e| format!("cannot install signal handlers: {e}"))?;
        let registry = poll.registry();
        let register =
            |r: io::Result<()>| r.map_err(|e| format!("cannot register with the event loop: {e}"));
        register(registry.register(&mut listener, LISTENER, Interest::READABLE))?;
        register(registry.register(&mut SourceFd(&gre.as_raw_fd()), GRE, Interest::READABLE))?;
        register(registry.register(&mut signals, SIGNALS, Interest::READABLE))?;
        let control = match &config.control_socket {
            Some(path) => Some(
                Control::open(registry, path, CONTROL, CONTROL_CLIENTS).map_err(|e| {
                    format!(
                        "cannot open the control socket {}: {e} (or set control-socket none)",
                        path.display()
                    )
                })?,
            ),
            None => None,
        };
        let metrics = match config.metrics {
            Some(addr) => Some(
                Metrics::open(registry, addr, METRICS, METRICS_CLIENTS)
                    .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?,
            ),
            None => None,
        };
        let dae = match &config.dae {
            Some(settings) => Some(dae::Dae::open(registry, settings, DAE).map_err(|e| {
                format!(
                    "cannot listen for Disconnect-Requests on udp {}: {e} (dae-server)",
                    settings.listen
                )
            })?),
            None => None,
        };
        let (pool, warnings) = AddressPool::new(
            &config.local_ips,
            &config.remote_ips,
            config.connections,
            config.delegate,
        );
        warnings.iter().for_each(|w| warn!("{}", unprefixed(w)));
        check_open_files_limit(pool.capacity());
        info!(
            "ctrl: listening on {addr}, calls={} delegate={}",
            pool.capacity(),
            config.delegate
        );
        let (admission, access_warnings) = admit::Admission::new(&config);
        info!("ctrl: hosts_access: {}", admission.hosts.summary());
        let service = Service {
            config,
            loader,
            poll,
            signals,
            listener: Some(listener),
            control,
            metrics,
            dae,
            gre,
            rx: gre_rx::new_batch(),
            rx_counters: RxCounters::default(),
            read_buf: vec![0; READ_BUF],
            conns: Vec::new(),
            free: Vec::new(),
            gre_calls: HashMap::new(),
            call_ids: HashSet::new(),
            pids: HashMap::new(),
            pool,
            orphans: HashMap::new(),
            timers: BinaryHeap::new(),
            shutdown_deadline: None,
            stats: ServerStats::default(),
            reserve_fd: crate::sys::fd::reserve().ok(),
            fd_exhaustion_logged: false,
            accept_retry: None,
            conntrack: Default::default(),
            bcrelay: None,
            admission,
            per_source: HashMap::new(),
        };
        Ok((service, access_warnings))
    }

    /// Takes charge of the broadcast relay started for `bcrelay IF`: it is reaped with
    /// the calls' pppds, and stopped when the service ends.
    pub fn adopt_bcrelay(&mut self, child: crate::sys::process::ChildProcess) {
        info!("ctrl: bcrelay started pid={}", child.pid());
        self.bcrelay = Some(child);
    }

    /// Stops the broadcast relay, if it still runs, and waits for it.
    pub fn stop_bcrelay(&mut self) {
        if let Some(mut child) = self.bcrelay.take() {
            child.terminate();
            let _ = child.wait();
        }
    }

    /// Runs until SIGTERM/SIGINT and a finished shutdown.
    pub fn run(&mut self) -> Result<(), String> {
        let mut events = Events::with_capacity(256);
        loop {
            let now = Instant::now();
            if self.shutdown_deadline.is_some()
                && self.conns.iter().all(Option::is_none)
                && self.orphans.is_empty()
            {
                info!("ctrl: stopped");
                return Ok(());
            }
            if self.shutdown_deadline.is_some_and(|d| now >= d) {
                self.kill_remaining();
                return Ok(());
            }
            let deadline = self.next_deadline();
            if let Err(e) = crate::link::wait(&mut self.poll, &mut events, deadline) {
                return Err(format!("event loop failed: {e}"));
            }
            let mut touched = Vec::new();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(),
                    CONTROL => self.on_control_listener(),
                    METRICS => self.on_metrics_listener(),
                    DAE => self.on_dae(),
                    t if t.0 >= METRICS_CLIENTS => self.on_metrics_client(t),
                    t if t.0 >= CONTROL_CLIENTS => self.on_control_client(t),
                    GRE => self.on_gre(&mut touched),
                    SIGNALS => self.on_signals(&mut touched),
                    Token(t) if t >= FIRST_CONN => {
                        let (index, is_pty) = ((t - FIRST_CONN) / 2, (t - FIRST_CONN) % 2 == 1);
                        if is_pty {
                            self.on_pty(index);
                        } else {
                            self.on_ctrl(index);
                        }
                        touched.push(index);
                    }
                    _ => {}
                }
            }
            if let Some(control) = self.control.as_mut()
                && control.poll_timeout().is_some_and(|t| Instant::now() >= t)
            {
                control.handle_timeout(self.poll.registry(), Instant::now());
            }
            if let Some(metrics) = self.metrics.as_mut()
                && metrics.poll_timeout().is_some_and(|t| Instant::now() >= t)
            {
                metrics.handle_timeout(self.poll.registry(), Instant::now());
            }
            if self.accept_retry.is_some_and(|t| Instant::now() >= t) {
                self.accept_retry = None;
                self.accept();
            }
            self.on_timers(Instant::now(), &mut touched);
            touched.sort_unstable();
            touched.dedup();
            for index in touched {
                self.settle(index);
                self.schedule(index);
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let timer = self.timers.peek().map(|Reverse((d, _))| *d + TIMER_SLACK);
        let control = self.control.as_ref().and_then(Control::poll_timeout);
        let metrics = self.metrics.as_ref().and_then(Metrics::poll_timeout);
        [
            timer,
            self.shutdown_deadline,
            self.accept_retry,
            control,
            metrics,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Puts connection `index`'s deadline in the heap if it is earlier than the one there
    /// (a later one is found when the earlier entry pops, and put back then).
    fn schedule(&mut self, index: usize) {
        let stimeout = self.config.stimeout;
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if let Some(d) = conn.deadline(stimeout)
            && conn.scheduled.is_none_or(|s| d < s)
        {
            conn.scheduled = Some(d);
            self.timers.push(Reverse((d, index)));
        }
    }

    // ---- readiness ----

    fn on_control_listener(&mut self) {
        if let Some(control) = self.control.as_mut() {
            control.accept(self.poll.registry(), Instant::now());
        }
    }

    fn on_metrics_listener(&mut self) {
        if let Some(metrics) = self.metrics.as_mut() {
            metrics.accept(self.poll.registry(), Instant::now());
        }
    }

    fn on_metrics_client(&mut self, token: Token) {
        let now = Instant::now();
        let Some(metrics) = self.metrics.as_mut() else {
            return;
        };
        let Some(index) = metrics.client_of(token) else {
            return;
        };
        if !metrics.on_ready(self.poll.registry(), index, now) {
            return;
        }
        let page = self.metrics_page(now);
        if let Some(metrics) = self.metrics.as_mut() {
            metrics.answer(self.poll.registry(), index, &page, now);
        }
    }

    fn on_control_client(&mut self, token: Token) {
        let Some(control) = self.control.as_mut() else {
            return;
        };
        let Some(index) = control.client_of(token) else {
            return;
        };
        let Some(request) = control.on_ready(self.poll.registry(), index) else {
            return;
        };
        let now = Instant::now();
        let (records, outcome) = match request {
            Ok(request) => {
                log::debug!("ctrl: control request: {request}");
                self.on_request(request, now)
            }
            Err(why) => (Vec::new(), crate::wire::ctl::Outcome::Error(why.0)),
        };
        if let Some(control) = self.control.as_mut() {
            control.answer(self.poll.registry(), index, &records, outcome, now);
        }
    }

    fn on_ctrl(&mut self, index: usize) {
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        conn.ctrl
            .on_ready(self.poll.registry(), Instant::now(), &mut conn.pac);
    }

    fn on_gre(&mut self, touched: &mut Vec<usize>) {
        let now = Instant::now();
        let (conns, gre_calls) = (&mut self.conns, &self.gre_calls);
        gre_rx::drain(
            &self.gre,
            &mut self.rx,
            &mut self.rx_counters,
            |p, counters| {
                let Some(&index) = gre_calls.get(&(p.src, p.header.call_id)) else {
                    // A live Call ID from another address is not that call's (a spoofer, or a
                    // client that moved): it is dropped like any unknown call.
                    counters.unknown_call += 1;
                    return;
                };
                if let Some(call) = conns[index].as_mut().and_then(|c| c.call.as_mut()) {
                    call.data.on_gre(now, &p.header, p.payload);
                    touched.push(index);
                }
            },
        );
    }

    fn on_pty(&mut self, index: usize) {
        let Some(call) = self.conns[index].as_mut().and_then(|c| c.call.as_mut()) else {
            return;
        };
        if let Err(why) = call
            .data
            .read_pppd(Instant::now(), &self.gre, &mut self.read_buf)
        {
            // pppd closed its side; SIGCHLD tells us it exited.
            log::debug!("pppd: stream of call_id={} ended: {why}", call.call_id);
            call.data.stop(self.poll.registry());
        }
    }

    // ---- timers and signals ----

    fn on_timers(&mut self, now: Instant, touched: &mut Vec<usize>) {
        let stimeout = self.config.stimeout;
        while let Some(&Reverse((due, index))) = self.timers.peek() {
            if due > now {
                break;
            }
            self.timers.pop();
            let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            if conn.scheduled == Some(due) {
                conn.scheduled = None;
            }
            // Settled and scheduled again by the caller, due or not.
            touched.push(index);
            conn.ctrl.handle_timeout(now, stimeout, &mut conn.pac);
            if conn.pac.poll_timeout().is_some_and(|d| now >= d) {
                conn.pac.handle_timeout(now);
            }
            if let Some(call) = conn.call.as_mut()
                && call.data.poll_timeout().is_some_and(|d| now >= d)
                && let Err(why) = call.data.handle_timeout(now, &self.gre, &mut self.read_buf)
            {
                log::debug!("pppd: stream of call_id={} ended: {why}", call.call_id);
                call.data.stop(self.poll.registry());
            }
        }
    }

    fn on_signals(&mut self, touched: &mut Vec<usize>) {
        let pending: Vec<i32> = self.signals.pending().collect();
        for signal in pending {
            match signal {
                signals::CHILD => self.reap(touched),
                signals::HANGUP => {
                    let _ = self.reload();
                }
                signals::USER1 => self.log_stats(),
                _ => self.begin_shutdown(),
            }
        }
    }

    /// Rereads the configuration (SIGHUP, `pptpctl reload`). On an error the running
    /// configuration stays, and the error is logged and returned for `pptpctl` to print.
    fn reload(&mut self) -> Result<(), String> {
        match (self.loader)() {
            Ok((config, warnings)) => {
                warnings.iter().for_each(|w| warn!("{}", unprefixed(w)));
                let (pool, pool_warnings) = AddressPool::new(
                    &config.local_ips,
                    &config.remote_ips,
                    config.connections,
                    config.delegate,
                );
                pool_warnings
                    .iter()
                    .for_each(|w| warn!("{}", unprefixed(w)));
                check_open_files_limit(pool.capacity());
                self.pool.reconfigure(pool);
                if let Some(dae) = self.dae.as_mut() {
                    dae.reconfigure(config.dae.as_ref());
                } else if let Some(settings) = &config.dae {
                    warn!(
                        "dae: dae-server {} takes effect at the next start",
                        settings.listen
                    );
                }
                self.config = config;
                self.reload_admission();
                info!("ctrl: configuration reloaded; live calls keep their settings");
                Ok(())
            }
            Err(e) => {
                let why = format!("reload failed, keeping the running configuration: {e}");
                error!("ctrl: {why}");
                Err(why)
            }
        }
    }

    fn begin_shutdown(&mut self) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        info!("ctrl: stopping: disconnecting every call");
        let now = Instant::now();
        self.shutdown_deadline = Some(now + SHUTDOWN_WAIT);
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        if let Some(mut control) = self.control.take() {
            control.deregister(self.poll.registry());
        }
        if let Some(mut metrics) = self.metrics.take() {
            metrics.deregister(self.poll.registry());
        }
        if let Some(mut dae) = self.dae.take() {
            dae.deregister(self.poll.registry());
        }
        for index in 0..self.conns.len() {
            if let Some(conn) = self.conns[index].as_mut() {
                conn.pac.shutdown(now);
                self.settle(index);
            }
        }
    }

    fn kill_remaining(&mut self) {
        let calls = self
            .conns
            .iter_mut()
            .flatten()
            .filter_map(|c| c.call.as_mut());
        for call in calls.chain(self.orphans.values_mut()) {
            call.kill_pppd();
        }
        warn!(
            "ctrl: stopped after {}s with clients or pppds still there",
            SHUTDOWN_WAIT.as_secs()
        );
    }

    /// SIGUSR1: one line with every counter of `pptpctl show stats`, under its names
    /// (one record for both, so they cannot disagree; also without a control socket).
    fn log_stats(&self) {
        info!("gre: stats {}", self.stats_record(Instant::now()));
    }
}

/// Raises the open-files limit to what `calls` need (a control connection, a pty master
/// and slave per call, as many call-less connections again, and a few of our own) and
/// warns when the hard limit is lower: the server then turns newcomers away when
/// descriptors run out.
fn check_open_files_limit(calls: usize) {
    let needed = 4 * (calls.max(8) as u64) + 32;
    let limit = crate::sys::fd::raise_open_files_limit(needed);
    if limit < needed {
        warn!(
            "ctrl: the open files limit ({limit}) is below what calls={calls} need ({needed}); raise LimitNOFILE in pptpd.service or lower connections"
        );
    }
}

/// Config and pool warnings carry the program name for stderr; the log adds its own.
fn unprefixed(w: &str) -> &str {
    w.strip_prefix("pptpd: ").unwrap_or(w)
}
