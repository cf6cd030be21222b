//! `bcrelay`: poptop's broadcast relay, our own. IPv4 UDP broadcasts that arrive on the LAN
//! interface go out of every tunnel's ppp interface, and those from a tunnel go to the LAN
//! and the other tunnels, so that LAN discovery (NetBIOS, SSDP and the like) reaches PPTP
//! clients. pptpd starts it for `bcrelay IF` (`-b IF`) as `bcrelay -i IF -o 'ppp[0-9].*'`.
//!
//! Interfaces are found by a rescan every [`RESCAN`] (and at once when a send finds its
//! interface gone): tunnels come and go a few times a minute at most, one getifaddrs(3)
//! per rescan costs nothing measurable, and unlike a link-notification socket it cannot
//! miss a change when the notifications overflow. A new tunnel gets broadcasts within
//! [`RESCAN`] of coming up (poptop rescanned only when packets arrived).

pub mod cli;
pub mod relay;

use std::collections::BTreeMap;
use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

use log::{LevelFilter, debug, error, info, warn};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use regex_lite::Regex;

use crate::sys::interfaces::{self, Interface};
use crate::sys::packet_socket::PacketSocket;
use crate::sys::signals::{self, Signals};
use relay::{Link, Port};

/// How often the interfaces are looked at again.
pub const RESCAN: Duration = Duration::from_secs(2);
/// The most datagrams read from one interface per wake-up, so that a flood on one cannot
/// starve the others or the signals.
const BURST: usize = 64;
const SIGNALS: Token = Token(usize::MAX);
/// The largest IPv4 datagram.
const BUF_LEN: usize = 65_535;

/// Runs `bcrelay` with the process's arguments and returns its exit status.
pub fn main() -> i32 {
    let version = format!("bcrelay (pptp-rs) {}", env!("CARGO_PKG_VERSION"));
    let opts = match crate::getopt::start(cli::PROGRAM, cli::parse, cli::usage, &version) {
        Ok(opts) => opts,
        Err(code) => return code,
    };
    let terminal = io::stderr().is_terminal();
    let to_stderr = !opts.daemon && terminal;
    crate::logging::init("bcrelay", None, LevelFilter::Info, to_stderr);
    let mut relay = match Relay::new(&opts) {
        Ok(r) => r,
        Err(e) => {
            error!("relay: {e}");
            if !to_stderr {
                eprintln!("bcrelay: {e}");
            }
            return 1;
        }
    };
    if opts.daemon
        && let Err(e) = crate::sys::daemon::daemonize()
    {
        eprintln!("bcrelay: cannot go into the background: {e}");
        return 1;
    }
    match relay.run() {
        Ok(()) => 0,
        Err(e) => {
            error!("relay: {e}");
            1
        }
    }
}

struct Relay {
    incoming: String,
    outgoing: Regex,
    nolog: bool,
    poll: Poll,
    signals: Signals,
    /// By interface index, which is also the port's token.
    ports: BTreeMap<u32, (Port, PacketSocket)>,
    buf: Vec<u8>,
    copy: Vec<u8>,
    next_rescan: Instant,
}

impl Relay {
    fn new(opts: &cli::Options) -> Result<Relay, String> {
        // The whole name must match: poptop's unanchored "IF|REGEX" let `-o 'ppp[0-9].*'`
        // also pick `myppp0`, and `-i eth1` also `veth1`.
        let outgoing = Regex::new(&format!("^(?:{})$", opts.outgoing))
            .map_err(|e| format!("-o '{}': {e}", opts.outgoing))?;
        let poll = Poll::new().map_err(|e| format!("cannot create the event loop: {e}"))?;
        let mut signals =
            signals::program_signals().map_err(|e| format!("cannot install signals: {e}"))?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)
            .map_err(|e| format!("cannot register signals: {e}"))?;
        let mut relay = Relay {
            incoming: opts.incoming.clone(),
            outgoing,
            nolog: opts.nolog,
            poll,
            signals,
            ports: BTreeMap::new(),
            buf: vec![0; BUF_LEN],
            copy: vec![0; BUF_LEN],
            next_rescan: Instant::now(),
        };
        let found = interfaces::scan().map_err(|e| format!("cannot list interfaces: {e}"))?;
        match found.iter().find(|i| i.name == relay.incoming) {
            None => {
                return Err(format!(
                    "no interface named '{}' (check -i, or bcrelay in pptpd.conf)",
                    relay.incoming
                ));
            }
            Some(i) if i.broadcast.is_none() => {
                return Err(format!(
                    "{} has no IPv4 broadcast address: bcrelay relays a LAN's IPv4 broadcasts",
                    relay.incoming
                ));
            }
            Some(_) => {}
        }
        relay.apply(&found);
        Ok(relay)
    }

    /// What role an interface plays, if any.
    fn port_for(&self, i: &Interface) -> Option<Port> {
        if !i.up || !(i.name == self.incoming || self.outgoing.is_match(&i.name)) {
            return None;
        }
        let link = match (i.point_to_point, i.peer, i.broadcast) {
            (true, Some(peer), _) => Link::Ppp { peer },
            (false, _, Some(broadcast)) => Link::Lan { broadcast },
            _ => return None, // no IPv4 address yet (a tunnel before IPCP)
        };
        Some(Port {
            index: i.index,
            name: i.name.clone(),
            link,
        })
    }

    fn rescan(&mut self) {
        self.next_rescan = Instant::now() + RESCAN;
        match interfaces::scan() {
            Ok(found) => self.apply(&found),
            Err(e) => warn!("relay: cannot list interfaces: {e} (trying again)"),
        }
    }

    /// Opens a socket for each new port and closes those of ports gone or changed.
    fn apply(&mut self, found: &[Interface]) {
        let wanted: BTreeMap<u32, Port> = found
            .iter()
            .filter_map(|i| self.port_for(i))
            .map(|p| (p.index, p))
            .collect();
        let before: Vec<u32> = self.ports.keys().copied().collect();
        self.ports.retain(|index, (port, socket)| {
            let keep = wanted.get(index) == Some(port);
            if !keep {
                let _ = self
                    .poll
                    .registry()
                    .deregister(&mut SourceFd(&std::os::fd::AsRawFd::as_raw_fd(socket)));
            }
            keep
        });
        for (index, port) in wanted {
            if self.ports.contains_key(&index) {
                continue;
            }
            let opened = PacketSocket::open(index).and_then(|socket| {
                let fd = std::os::fd::AsRawFd::as_raw_fd(&socket);
                self.poll.registry().register(
                    &mut SourceFd(&fd),
                    Token(index as usize),
                    Interest::READABLE,
                )?;
                Ok(socket)
            });
            match opened {
                Ok(socket) => {
                    self.ports.insert(index, (port, socket));
                }
                Err(e) => warn!(
                    "relay: cannot listen on {}: {e} (bcrelay needs root or CAP_NET_RAW)",
                    port.name
                ),
            }
        }
        if before != self.ports.keys().copied().collect::<Vec<_>>() {
            let names: Vec<&str> = self.ports.values().map(|(p, _)| p.name.as_str()).collect();
            info!("relay: between {}", names.join(" "));
        }
    }

    fn run(&mut self) -> Result<(), String> {
        let mut events = Events::with_capacity(64);
        loop {
            let timeout = self.next_rescan.saturating_duration_since(Instant::now());
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(format!("event loop failed: {e}"));
            }
            let ready: Vec<Token> = events.iter().map(|e| e.token()).collect();
            for token in ready {
                if token == SIGNALS {
                    let pending: Vec<i32> = self.signals.pending().collect();
                    for signal in pending {
                        match signal {
                            signals::HANGUP => self.rescan(),
                            signals::CHILD | signals::USER1 => {}
                            _ => {
                                info!("relay: stopped");
                                return Ok(());
                            }
                        }
                    }
                } else {
                    self.on_readable(token.0 as u32);
                }
            }
            if Instant::now() >= self.next_rescan {
                self.rescan();
            }
        }
    }

    fn on_readable(&mut self, index: u32) {
        for _ in 0..BURST {
            let Some((_, socket)) = self.ports.get(&index) else {
                return;
            };
            let received = match socket.recv(&mut self.buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    debug!("relay: receive on ifindex={index}: {e}");
                    self.next_rescan = Instant::now();
                    return;
                }
            };
            // A packet socket sees what this host sends too, our own copies included.
            if received.outgoing {
                continue;
            }
            match relay::relayable(&self.buf[..received.len]) {
                Ok(len) => self.relay(index, len),
                Err(why) => debug!("relay: not relayed ({why:?})"),
            }
        }
    }

    /// Sends a copy of the datagram in `buf` out of every port but the one it came from.
    fn relay(&mut self, from_index: u32, len: usize) {
        let Some((from, _)) = self.ports.get(&from_index) else {
            return;
        };
        let from = from.clone();
        let mut sent_to = Vec::new();
        for (index, (to, socket)) in &self.ports {
            if *index == from_index {
                continue;
            }
            let copy = &mut self.copy[..len];
            copy.copy_from_slice(&self.buf[..len]);
            relay::rewrite(copy, &from, to);
            match socket.send_broadcast(*index, copy) {
                Ok(_) => sent_to.push(to.name.as_str()),
                // poptop too: an interface going down, or a moment without buffers.
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::ENETDOWN | libc::ENXIO | libc::ENODEV)
                    ) =>
                {
                    debug!("relay: {} went away: {e}", to.name);
                    self.next_rescan = Instant::now();
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    debug!("relay: no buffer to send on {}: {e}", to.name);
                }
                Err(e) => warn!("relay: cannot send on {}: {e}", to.name),
            }
        }
        if !self.nolog && !sent_to.is_empty() {
            let header = usize::from(self.buf[0] & 0x0f) * 4;
            let port = |at: usize| u16::from_be_bytes([self.buf[at], self.buf[at + 1]]);
            info!(
                "relay: udp from={} src_port={} dst_port={} to={}",
                from.name,
                port(header),
                port(header + 2),
                sent_to.join(",")
            );
        }
    }
}
