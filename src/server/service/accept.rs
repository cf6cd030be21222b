//! New control connections: accepting them (also when out of file descriptors), the
//! admission checks of [`admit`](super::admit), and the bound on open connections.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use log::{error, info, warn};

use super::{ACCEPT_RETRY, Conn, Service, ctrl_token};
use crate::link::ctrl_stream::CtrlStream;
use crate::proto::pac::{PacConfig, PacConnection};

/// Keepalive, as poptop's IDLE_WAIT and MAX_ECHO_WAIT.
const IDLE_WAIT: Duration = Duration::from_secs(60);
const MAX_ECHO_WAIT: Duration = Duration::from_secs(60);

impl Service {
    pub(super) fn accept(&mut self) {
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
                    if !self.turn_one_away() {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    // ECONNABORTED and the like concern one connection: go on with the next.
                    log::debug!("ctrl: accept failed: {e}");
                    continue;
                }
            };
            if self.fd_exhaustion_logged && self.reserve_fd.is_some() {
                info!("ctrl: file descriptors available again; accepting connections");
                self.fd_exhaustion_logged = false;
            }
            let SocketAddr::V4(addr) = addr else { continue };
            let local = match stream.local_addr() {
                Ok(SocketAddr::V4(local)) => Some(local),
                _ => None,
            };
            if !self.admit(*addr.ip(), local.map(|l| *l.ip())) {
                // Closed here, before a byte is read: no reply, as libwrap's refusals.
                drop(stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let before_nat = local.and_then(|local| self.conntrack.original_source(local, addr));
            self.add_conn(stream, *addr.ip(), before_nat.map(|a| *a.ip()));
        }
    }

    /// Out of file descriptors: frees the reserve, accepts one pending connection and closes
    /// it at once, then takes the reserve back. False when even that failed (the listener
    /// is then looked at again shortly).
    fn turn_one_away(&mut self) -> bool {
        if !self.fd_exhaustion_logged {
            let limit = crate::sys::fd::open_files_limit();
            error!(
                "ctrl: out of file descriptors (limit={limit}); turning new connections away until some close. pptpd needs about 4 per call: raise LimitNOFILE in pptpd.service or lower connections"
            );
            self.fd_exhaustion_logged = true;
        }
        self.stats.accept_no_fd += 1;
        self.reserve_fd = None;
        // Accepted and closed at once: the descriptor must be free again before the
        // reserve is taken back.
        let accepted = self.listener.as_ref().map(|l| l.accept().is_ok());
        self.reserve_fd = crate::sys::fd::reserve().ok();
        let turned_away = accepted == Some(true) && self.reserve_fd.is_some();
        if !turned_away {
            self.accept_retry = Some(Instant::now() + ACCEPT_RETRY);
        }
        turned_away
    }

    fn add_conn(
        &mut self,
        stream: mio::net::TcpStream,
        client: Ipv4Addr,
        client_before_nat: Option<Ipv4Addr>,
    ) {
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
        let ctrl = match CtrlStream::new(self.poll.registry(), stream, ctrl_token(index), client) {
            Ok(ctrl) => ctrl,
            Err(e) => {
                warn!("ctrl: cannot watch connection from {client}: {e}");
                self.free.push(index);
                return;
            }
        };
        match client_before_nat {
            Some(original) => {
                info!("ctrl: connection from {client} (from {original} before this host's NAT)")
            }
            None => info!("ctrl: connection from {client}"),
        }
        let now = Instant::now();
        self.source_opened(client);
        self.conns[index] = Some(Conn {
            local: ctrl.local_ip(),
            ctrl,
            client,
            client_before_nat,
            accepted: now,
            pac: PacConnection::new(self.pac_config(), now, refusing),
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
        // One still waiting for our stop's reply keeps its slot for at most TEARDOWN_WAIT
        // and is not shed twice; the limit stays a bound.
        self.settle(index);
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
}
