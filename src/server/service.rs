//! The `pptpd` event loop: one process, one thread, one `Poll` for the listener, the raw
//! GRE socket, every control connection, every pppd's pty and the signals.
//!
//! poptop forks a pptpctrl per connection, each with its own raw GRE socket, so the kernel
//! hands every GRE packet to every process to filter. Here one socket receives all GRE and
//! a hash map from (client address, our Call ID) finds the call, whatever the number of
//! tunnels. Call IDs are random and unique on the server, so clients behind one NAT
//! address are told apart (Debian #171831).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use signal_hook_mio::v1_0::Signals;

use super::call::{Call, ServerStats};
use super::config::ServerConfig;
use super::pool::AddressPool;
use super::pppd_args::{CallArgs, LOGWTMP_PLUGIN, pppd_args};
use crate::proto::gre::GreConfig;
use crate::proto::pac::{PacClosed, PacConfig, PacConnection, PacEvent};
use crate::sys::gre_socket::GreSocket;
use crate::wire::ctrl::take_messages;
use crate::wire::gre::GreHeader;
use crate::wire::ipv4::{Ipv4Datagram, PROTOCOL_GRE};

const LISTENER: Token = Token(0);
const GRE: Token = Token(1);
const SIGNALS: Token = Token(2);
/// Connection `i` uses tokens FIRST_CONN + 2i (control) and FIRST_CONN + 2i + 1 (pty).
const FIRST_CONN: usize = 16;
/// How long SIGTERM waits for clients to confirm and pppds to exit (poptop: 5 s per reply).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
/// How late a timer may fire so that timers falling due close together share one wake:
/// with many tunnels, each with its own 50 ms ACK timer, one wake per timer would cost
/// more than the packets themselves. Small next to every timer served (ACK delay 50 ms,
/// reorder 300 ms, echo 60 s), like the kernel's timer slack.
const TIMER_SLACK: Duration = Duration::from_millis(5);
/// Keepalive, as poptop's IDLE_WAIT and MAX_ECHO_WAIT.
const IDLE_WAIT: Duration = Duration::from_secs(60);
const MAX_ECHO_WAIT: Duration = Duration::from_secs(60);
/// How soon to look at the listener again when descriptors ran out and none was free.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The token of connection `index`'s pty.
fn pty_token(index: usize) -> Token {
    Token(FIRST_CONN + 2 * index + 1)
}

/// Watches a call's pty for room to write only while frames wait for it (PppOut::pending):
/// watched all the time, each write to the pty costs a wake-up of its own.
fn watch_pty_writes(registry: &Registry, index: usize, call: &mut Call, waiting: bool) {
    if waiting == call.watching_writes {
        return;
    }
    if !call.ppp_open {
        // The stream has ended and left the loop (on_pty).
        call.watching_writes = false;
        return;
    }
    let interest = if waiting {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    };
    let fd = call.master.as_raw_fd();
    match registry.reregister(&mut SourceFd(&fd), pty_token(index), interest) {
        Ok(()) => call.watching_writes = waiting,
        Err(e) => warn!(
            "pppd: cannot watch the pty of call_id={}: {e}",
            call.call_id
        ),
    }
}

/// What a reload (SIGHUP) or start-up needs from the configuration.
pub type Loader = Box<dyn Fn() -> Result<(ServerConfig, Vec<String>), String>>;

struct Conn {
    stream: TcpStream,
    client: Ipv4Addr,
    accepted: Instant,
    pac: PacConnection,
    ctrl_in: Vec<u8>,
    /// When the unread part of a message in `ctrl_in` began to wait for its rest.
    partial_since: Option<Instant>,
    ctrl_out: Vec<u8>,
    call: Option<Call>,
    /// The deadline this connection last put in `Service::timers`, if still pending.
    scheduled: Option<Instant>,
}

impl Conn {
    /// The earliest timer of the control connection and its call.
    fn deadline(&self, stimeout: Duration) -> Option<Instant> {
        let call = self.call.as_ref().and_then(Call::poll_timeout);
        let partial = self.partial_since.map(|t| t + stimeout);
        [self.pac.poll_timeout(), call, partial]
            .into_iter()
            .flatten()
            .min()
    }
}

/// The running server.
pub struct Service {
    config: ServerConfig,
    loader: Loader,
    poll: Poll,
    signals: Signals,
    listener: Option<TcpListener>,
    gre: GreSocket,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// (client address, our Call ID) -> connection index, for calls that are up.
    gre_calls: HashMap<(Ipv4Addr, u16), usize>,
    call_ids: HashSet<u16>,
    pool: AddressPool,
    /// Calls whose connection is gone, kept until their pppd is reaped.
    orphans: Vec<Call>,
    /// Every connection's next deadline, earliest first, as (deadline, index): a wake
    /// costs O(log n) whatever the number of tunnels, where a scan of every connection
    /// made per-packet CPU grow with the tunnel count (issue 5's scale target). Entries go
    /// stale when a deadline moves; a popped stale entry only costs a check.
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    shutdown_deadline: Option<Instant>,
    stats: ServerStats,
    buf: Vec<u8>,
    logwtmp_warned: bool,
    /// A descriptor held back for the moment the process has none left: closed to accept
    /// one pending connection and close it at once, so that the backlog keeps draining.
    reserve_fd: Option<std::os::fd::OwnedFd>,
    /// Out of descriptors was reported (once, until accepting works again).
    fd_exhaustion_logged: bool,
    /// When to try the listener again after running out of descriptors.
    accept_retry: Option<Instant>,
}

impl Service {
    /// Binds the listener and the GRE socket.
    pub fn new(config: ServerConfig, loader: Loader) -> Result<Service, String> {
        let addr = SocketAddr::V4(SocketAddrV4::new(
            config.listen.unwrap_or(Ipv4Addr::UNSPECIFIED),
            1723,
        ));
        let mut listener =
            TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let gre = GreSocket::open(config.listen, None).map_err(|e| {
            format!("cannot open the raw GRE socket: {e} (raw sockets need root or CAP_NET_RAW)")
        })?;
        let poll = Poll::new().map_err(|e| format!("cannot create the event loop: {e}"))?;
        let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD])
            .map_err(|e| format!("cannot install signal handlers: {e}"))?;
        let registry = poll.registry();
        let register =
            |r: io::Result<()>| r.map_err(|e| format!("cannot register with the event loop: {e}"));
        register(registry.register(&mut listener, LISTENER, Interest::READABLE))?;
        register(registry.register(&mut SourceFd(&gre.as_raw_fd()), GRE, Interest::READABLE))?;
        register(registry.register(&mut signals, SIGNALS, Interest::READABLE))?;
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
        Ok(Service {
            config,
            loader,
            poll,
            signals,
            listener: Some(listener),
            gre,
            conns: Vec::new(),
            free: Vec::new(),
            gre_calls: HashMap::new(),
            call_ids: HashSet::new(),
            pool,
            orphans: Vec::new(),
            timers: BinaryHeap::new(),
            shutdown_deadline: None,
            stats: ServerStats::default(),
            buf: vec![0; 65536],
            logwtmp_warned: false,
            reserve_fd: crate::sys::fd::reserve().ok(),
            fd_exhaustion_logged: false,
            accept_retry: None,
        })
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
            let timeout = self
                .next_deadline()
                .map(|d| d.saturating_duration_since(now));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(format!("event loop failed: {e}"));
            }
            let mut touched = Vec::new();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(),
                    GRE => self.on_gre(&mut touched),
                    SIGNALS => {
                        self.on_signals();
                        // Reaping, reloading and shutting down reach any connection.
                        touched.extend(0..self.conns.len());
                    }
                    Token(t) if t >= FIRST_CONN => {
                        let (index, is_pty) = ((t - FIRST_CONN) / 2, (t - FIRST_CONN) % 2 == 1);
                        if !is_pty {
                            self.on_ctrl(index);
                        } else {
                            self.on_pty(index);
                        }
                        touched.push(index);
                    }
                    _ => {}
                }
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
        [timer, self.shutdown_deadline, self.accept_retry]
            .into_iter()
            .flatten()
            .min()
    }

    /// Puts connection `index`'s deadline in the heap if it is earlier than the one there
    /// (a later one is found when the earlier entry pops, and put back then).
    fn schedule(&mut self, index: usize) {
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if let Some(d) = conn.deadline(self.config.stimeout)
            && conn.scheduled.is_none_or(|s| d < s)
        {
            conn.scheduled = Some(d);
            self.timers.push(Reverse((d, index)));
        }
    }

    // ---- accepting ----

    fn accept(&mut self) {
        if self.reserve_fd.is_none() {
            self.reserve_fd = crate::sys::fd::reserve().ok();
        }
        loop {
            let Some(listener) = self.listener.as_ref() else {
                return;
            };
            let (stream, addr) = match listener.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    // The listener is edge-triggered: returning without draining it would
                    // never wake us for it again. Turn the next connection away instead.
                    if !self.shed_one_connection() {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    // ECONNABORTED and the like concern one connection: go on with the next.
                    debug!("ctrl: accept failed: {e}");
                    continue;
                }
            };
            if self.fd_exhaustion_logged && self.reserve_fd.is_some() {
                info!("ctrl: file descriptors available again; accepting connections");
                self.fd_exhaustion_logged = false;
            }
            let SocketAddr::V4(addr) = addr else { continue };
            let _ = stream.set_nodelay(true);
            self.add_conn(stream, *addr.ip());
        }
    }

    /// Out of file descriptors: frees the reserve, accepts one pending connection and closes
    /// it at once, then takes the reserve back. False when even that failed (the backlog
    /// then waits for a descriptor to come free).
    fn shed_one_connection(&mut self) -> bool {
        if !self.fd_exhaustion_logged {
            let limit = crate::sys::fd::open_files_limit();
            error!(
                "ctrl: out of file descriptors (limit={limit}); turning new connections away until some close. pptpd needs about 3 per call: raise LimitNOFILE in pptpd.service or lower connections"
            );
            self.fd_exhaustion_logged = true;
        }
        self.stats.accept_no_fd += 1;
        self.reserve_fd = None;
        // Accepted and closed at once: the descriptor must be free again before the
        // reserve is taken back.
        let accepted = self.listener.as_ref().map(|l| l.accept().is_ok());
        self.reserve_fd = crate::sys::fd::reserve().ok();
        let shed = accepted == Some(true) && self.reserve_fd.is_some();
        if !shed {
            // Nothing could be done now (no reserve yet): the listener is edge-triggered,
            // so look at it again shortly rather than wait for an edge that never comes.
            self.accept_retry = Some(Instant::now() + ACCEPT_RETRY);
        }
        shed
    }

    fn add_conn(&mut self, mut stream: TcpStream, client: Ipv4Addr) {
        // Bounded: beyond twice the call capacity a newcomer takes the place of the oldest
        // connection without a call; when every connection carries one, it is refused at
        // once with a proper reply. Silent or slow connections cannot lock clients out.
        let limit = (2 * self.pool.capacity()).max(16);
        let mut live = self.conns.iter().flatten().count();
        if live >= limit && self.shed_oldest_callless() {
            live -= 1;
        }
        let refusing = live >= limit;
        let index = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        let token = Token(FIRST_CONN + 2 * index);
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        ) {
            warn!("ctrl: cannot watch connection from {client}: {e}");
            self.free.push(index);
            return;
        }
        info!("ctrl: connection from {client}");
        let now = Instant::now();
        self.conns[index] = Some(Conn {
            stream,
            client,
            accepted: now,
            pac: PacConnection::new(self.pac_config(), now, refusing),
            ctrl_in: Vec::new(),
            partial_since: None,
            ctrl_out: Vec::new(),
            call: None,
            scheduled: None,
        });
        self.schedule(index);
    }

    /// Ends the oldest connection that has no call (to make room); false if there is none.
    fn shed_oldest_callless(&mut self) -> bool {
        let oldest = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .filter(|(_, c)| c.pac.is_sheddable() && c.call.is_none())
            .min_by_key(|(_, c)| c.accepted)
            .map(|(i, _)| i);
        let Some(index) = oldest else {
            return false;
        };
        if let Some(conn) = self.conns[index].as_mut() {
            conn.pac.shed(Instant::now());
            self.stats.shed += 1;
        }
        self.settle(index);
        // One still waiting for our stop's reply keeps its slot for at most TEARDOWN_WAIT
        // and is not shed twice; the limit stays a bound.
        true
    }

    fn pac_config(&self) -> PacConfig {
        PacConfig {
            idle_wait: Some(IDLE_WAIT),
            max_echo_wait: MAX_ECHO_WAIT,
            first_message_wait: self.config.stimeout,
            host_name: "local".into(),
        }
    }

    // ---- control connections ----

    fn on_ctrl(&mut self, index: usize) {
        let now = Instant::now();
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        let mut buf = [0u8; 4096];
        loop {
            match conn.stream.read(&mut buf) {
                Ok(0) => {
                    conn.pac.connection_lost();
                    break;
                }
                Ok(n) => {
                    conn.ctrl_in.extend_from_slice(&buf[..n]);
                    if !parse_ctrl(conn, now) {
                        conn.pac.connection_lost();
                        break;
                    }
                    // The rest of a started message has stimeout to come (it once waited
                    // for the keepalive, two minutes).
                    if conn.ctrl_in.is_empty() {
                        conn.partial_since = None;
                    } else {
                        conn.partial_since.get_or_insert(now);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    conn.pac.connection_lost();
                    break;
                }
            }
        }
    }

    /// Runs the machine's outputs for one connection: replies, call decisions, closing.
    fn settle(&mut self, index: usize) {
        loop {
            let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
                return;
            };
            while let Some(msg) = conn.pac.poll_transmit() {
                debug!("ctrl: sending {} to {}", msg.message_type(), conn.client);
                msg.emit(&mut conn.ctrl_out);
            }
            flush_ctrl(conn);
            if let Some(call) = conn.call.as_mut() {
                let waiting = call.flush();
                watch_pty_writes(self.poll.registry(), index, call, waiting);
            }
            let Some(event) = conn.pac.poll_event() else {
                return;
            };
            self.on_pac_event(index, event);
        }
    }

    fn on_pac_event(&mut self, index: usize, event: PacEvent) {
        let now = Instant::now();
        let Some(conn) = self.conns[index].as_mut() else {
            return;
        };
        let client = conn.client;
        match event {
            PacEvent::CallRequested { peer_call_id } => match self.start_call(index) {
                Ok(call_id) => {
                    let Some(conn) = self.conns[index].as_mut() else {
                        return;
                    };
                    if !conn.pac.accept_call(now, call_id) {
                        // Cannot happen: the request was made in this settle. Should it,
                        // the pppd just started must not outlive the call.
                        if let Some(call) = conn.call.take() {
                            self.gre_calls.remove(&(client, call.call_id));
                            call.terminate_pppd();
                            self.orphans.push(call);
                        }
                    }
                }
                Err(why) => {
                    warn!("call: refused call from {client} peer_call_id={peer_call_id}: {why}");
                    if let Some(conn) = self.conns[index].as_mut() {
                        conn.pac.refuse_call(now);
                    }
                }
            },
            PacEvent::CallUp {
                call_id,
                peer_call_id,
                peer_window,
            } => {
                let gre = GreConfig::default();
                if let Some(call) = conn.call.as_mut() {
                    call.start_gre(gre, peer_call_id, peer_window);
                    self.gre_calls.insert((client, call_id), index);
                    info!("call: up client={client} call_id={call_id} peer_call_id={peer_call_id}");
                }
            }
            PacEvent::CallDown(why) => {
                if let Some(call) = conn.call.as_mut() {
                    info!("call: {why} client={client} call_id={}", call.call_id);
                    self.gre_calls.remove(&(client, call.call_id));
                    call.session = None;
                    call.terminate_pppd();
                }
            }
            PacEvent::Closed(reason) => {
                info!("ctrl: connection from {client} ended: {reason}");
                self.remove_conn(index);
            }
        }
    }

    /// Takes an address slot and a Call ID and starts pppd; the call is refused otherwise.
    fn start_call(&mut self, index: usize) -> Result<u16, String> {
        let conn = self.conns[index].as_ref().ok_or("no connection")?;
        if conn.call.is_some() {
            // The machine places no call while one holds a pppd (issue 10, defect 1); this
            // keeps a pppd from ever being replaced unreaped, whatever changes there.
            return Err("the connection's previous call has not ended yet".into());
        }
        let client = conn.client;
        let slot = self
            .pool
            .acquire()
            .ok_or("no free address or connection slot")?;
        let call_id = self.unique_call_id();
        let logwtmp = self.config.logwtmp && self.logwtmp_available();
        let args = pppd_args(&CallArgs {
            option_file: self.config.option_file.as_deref(),
            speed: &self.config.speed,
            local: slot.local,
            remote: slot.remote,
            client,
            noipparam: self.config.noipparam,
            logwtmp,
        });
        let (master, pppd) = match crate::sys::pppd::spawn_on_stdio(&self.config.ppp, &args) {
            Ok(pair) => pair,
            Err(e) => {
                self.pool.release(slot.index);
                return Err(format!("cannot start {}: {e}", self.config.ppp.display()));
            }
        };
        debug!("pppd: started pid={} args={}", pppd.id(), args.join(" "));
        let registered = self.poll.registry().register(
            &mut SourceFd(&master.as_raw_fd()),
            pty_token(index),
            Interest::READABLE,
        );
        self.call_ids.insert(call_id);
        let call = Call::new(call_id, client, slot, pppd, master);
        if let Err(e) = registered {
            call.terminate_pppd();
            self.orphans.push(call);
            return Err(format!("cannot watch pppd's pty: {e}"));
        }
        if let Some(conn) = self.conns[index].as_mut() {
            conn.call = Some(call);
        }
        Ok(call_id)
    }

    fn logwtmp_available(&mut self) -> bool {
        let there = Path::new(LOGWTMP_PLUGIN).exists();
        if !there && !self.logwtmp_warned {
            warn!("pppd: logwtmp is set but {LOGWTMP_PLUGIN} is missing; calls start without it");
            self.logwtmp_warned = true;
        }
        there
    }

    /// A Call ID no live call has: random, then the next free one, so it always ends.
    fn unique_call_id(&self) -> u16 {
        let start = crate::sys::random::random_u16().unwrap_or(1);
        (0..=u16::MAX)
            .map(|i| start.wrapping_add(i))
            // 0 is avoided: some clients take it for "no call" (poptop's "No free Call IDs").
            .find(|id| *id != 0 && !self.call_ids.contains(id))
            .unwrap_or(1)
    }

    fn remove_conn(&mut self, index: usize) {
        let Some(mut conn) = self.conns[index].take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut conn.stream);
        if let Some(call) = conn.call.take() {
            self.gre_calls.remove(&(conn.client, call.call_id));
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&call.master.as_raw_fd()));
            call.terminate_pppd();
            self.orphans.push(call);
        }
        self.free.push(index);
        self.reap();
    }

    // ---- data path ----

    fn on_gre(&mut self, touched: &mut Vec<usize>) {
        let now = Instant::now();
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            let n = match self.gre.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.stats.rx_errors += 1;
                    continue;
                }
            };
            let Ok(datagram) = Ipv4Datagram::parse(&buf[..n]) else {
                self.stats.rx_invalid += 1;
                continue;
            };
            if datagram.protocol != PROTOCOL_GRE {
                continue;
            }
            let Ok((header, payload)) = GreHeader::parse(datagram.payload) else {
                self.stats.rx_invalid += 1;
                continue;
            };
            let Some(&index) = self.gre_calls.get(&(datagram.src, header.call_id)) else {
                self.stats.rx_unknown_call += 1;
                continue;
            };
            if let Some(call) = self.conns[index].as_mut().and_then(|c| c.call.as_mut()) {
                call.on_gre(now, &header, payload);
                touched.push(index);
            }
        }
        self.buf = buf;
    }

    fn on_pty(&mut self, index: usize) {
        let mut buf = std::mem::take(&mut self.buf);
        if let Some(call) = self.conns[index].as_mut().and_then(|c| c.call.as_mut())
            && !call.on_pty(&mut buf, &self.gre, &mut self.stats)
        {
            // pppd closed its side; SIGCHLD tells us it exited.
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&call.master.as_raw_fd()));
        }
        self.buf = buf;
    }

    // ---- timers and signals ----

    fn on_timers(&mut self, now: Instant, touched: &mut Vec<usize>) {
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
            let stimeout = self.config.stimeout;
            if conn.partial_since.is_some_and(|t| now >= t + stimeout) {
                conn.partial_since = None;
                conn.pac
                    .drop_connection(PacClosed::IncompleteMessage(stimeout));
            }
            if conn.pac.poll_timeout().is_some_and(|d| now >= d) {
                conn.pac.handle_timeout(now);
            }
            if let Some(call) = conn.call.as_mut()
                && call.poll_timeout().is_some_and(|d| now >= d)
            {
                call.on_timer(now, &self.gre, &mut self.stats);
            }
        }
    }

    fn on_signals(&mut self) {
        let pending: Vec<i32> = self.signals.pending().collect();
        for signal in pending {
            match signal {
                SIGCHLD => self.reap(),
                SIGHUP => self.reload(),
                SIGUSR1 => self.log_stats(),
                _ => self.begin_shutdown(),
            }
        }
    }

    /// Reaps exited pppds: the call is disconnected if still up, and its address and
    /// Call ID return to the pool (after pppd's ip-down, as poptop waits too).
    fn reap(&mut self) {
        let now = Instant::now();
        for index in 0..self.conns.len() {
            let Some(conn) = self.conns[index].as_mut() else {
                continue;
            };
            let Some(status) = conn.call.as_mut().and_then(Call::try_reap) else {
                continue;
            };
            let Some(call) = conn.call.take() else {
                continue;
            };
            info!(
                "call: pppd exited client={} call_id={} {status}",
                conn.client, call.call_id
            );
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&call.master.as_raw_fd()));
            self.gre_calls.remove(&(conn.client, call.call_id));
            conn.pac.call_ended(now);
            self.release(&call);
            self.settle(index);
        }
        let mut orphans = std::mem::take(&mut self.orphans);
        orphans.retain_mut(|call| {
            let done = call.try_reap().is_some();
            if done {
                self.release(call);
            }
            !done
        });
        self.orphans = orphans;
    }

    fn release(&mut self, call: &Call) {
        self.call_ids.remove(&call.call_id);
        if self.pool.release(call.slot.index) {
            let addr = call
                .slot
                .remote
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into());
            info!(
                "call: released address={addr} call_id={} drops={}",
                call.call_id,
                call.backlog_drops()
            );
        }
    }

    fn reload(&mut self) {
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
                self.config = config;
                info!("ctrl: configuration reloaded; live calls keep their settings");
            }
            Err(e) => error!("ctrl: reload failed, keeping the running configuration: {e}"),
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
        for call in calls.chain(self.orphans.iter_mut()) {
            let _ = call.pppd.kill();
            let _ = call.pppd.wait();
        }
        warn!(
            "ctrl: stopped after {}s with clients or pppds still there",
            SHUTDOWN_WAIT.as_secs()
        );
    }

    fn log_stats(&self) {
        let s = &self.stats;
        info!(
            "gre: stats connections={} calls={} addresses_in_use={} shed={} accept_no_fd={} rx_invalid={} rx_unknown_call={} rx_errors={} tx_failed={} ppp_bad_frames={}",
            self.conns.iter().flatten().count(),
            self.gre_calls.len(),
            self.pool.in_use(),
            s.shed,
            s.accept_no_fd,
            s.rx_invalid,
            s.rx_unknown_call,
            s.rx_errors,
            s.tx_failed,
            s.ppp_bad_frames
        );
    }
}

/// Takes every whole message from the connection's input; false when framing is lost.
fn parse_ctrl(conn: &mut Conn, now: Instant) -> bool {
    let (client, pac) = (conn.client, &mut conn.pac);
    let framed = take_messages(&mut conn.ctrl_in, |msg| match msg {
        Ok(msg) => {
            debug!("ctrl: received {} from {client}", msg.message_type());
            pac.handle_message(now, msg);
        }
        Err(e) => warn!("ctrl: dropped malformed control message from {client}: {e}"),
    });
    if let Err(e) = &framed {
        warn!("ctrl: lost message framing from {client}: {e}");
    }
    framed.is_ok()
}

fn flush_ctrl(conn: &mut Conn) {
    while !conn.ctrl_out.is_empty() {
        match conn.stream.write(&conn.ctrl_out) {
            Ok(n) => {
                conn.ctrl_out.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                conn.ctrl_out.clear();
                conn.pac.connection_lost();
                return;
            }
        }
    }
}

/// Raises the open-files limit to what `calls` need (a control connection and a pty per
/// call, as many call-less connections again, and a few of our own) and warns when the
/// hard limit is lower: the server then turns newcomers away when descriptors run out.
fn check_open_files_limit(calls: usize) {
    let needed = 3 * (calls.max(8) as u64) + 32;
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
