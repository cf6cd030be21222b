//! `dae-server`: the RFC 5176 Disconnect-Request listener, a UDP socket in the server's
//! event loop. What a datagram means is [`proto::dae`](crate::proto::dae)'s to decide;
//! this file reads datagrams, shows the machine the live sessions, ends the sessions it
//! names the way `pptpctl terminate` does ([`Service::end_call`]), sends its answer back
//! to the datagram's source, and keeps the counters.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use log::{debug, info, warn};
use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};

use super::{Conn, Service};
use crate::proto::dae::{DaeServer, DropReason, Outcome, PppdProcess, SessionKey};
use crate::server::config::DaeSettings;
use crate::wire::ctl::Record;
use crate::wire::radius::MAX_PACKET_LEN;

/// Whose order ends a call that a Disconnect-Request names (the call's log line says
/// "terminated by" this).
const BY_RADIUS: &str = "a RADIUS Disconnect-Request (dae-server)";
/// Receive errors other than "nothing more" tolerated in one wake before waiting for the
/// next datagram.
const MAX_ERRORS_PER_WAKE: usize = 16;

/// The listener: its socket, the Dynamic Authorization Server, and counters of its own.
pub(super) struct Dae {
    socket: UdpSocket,
    listen: SocketAddr,
    server: DaeServer,
    /// One octet more than the largest packet, so that an oversize datagram is seen as one.
    buf: Vec<u8>,
    /// Calls ended on a Disconnect-Request.
    sessions_ended: u64,
    /// Replies the socket would not take (the client retries).
    send_failed: u64,
    /// Drop kinds already logged as warnings: each is logged once, then only counted.
    warned: Vec<&'static str>,
}

impl Dae {
    /// Binds the socket of `settings` and watches it with `token`.
    pub(super) fn open(
        registry: &Registry,
        settings: &DaeSettings,
        token: Token,
    ) -> io::Result<Dae> {
        let mut socket = UdpSocket::bind(settings.listen)?;
        registry.register(&mut socket, token, Interest::READABLE)?;
        Ok(Dae {
            socket,
            listen: settings.listen,
            server: DaeServer::new(settings.config.clone()),
            buf: vec![0; MAX_PACKET_LEN + 1],
            sessions_ended: 0,
            send_failed: 0,
            warned: Vec::new(),
        })
    }

    /// A reload: the secret, clients, NAS identity and policy take effect at once; the
    /// socket stays where it is (like the other listeners, it moves on a restart).
    pub(super) fn reconfigure(&mut self, settings: Option<&DaeSettings>) {
        match settings {
            Some(s) => {
                if s.listen != self.listen {
                    warn!(
                        "dae: dae-server {} takes effect at the next start; still listening on {}",
                        s.listen, self.listen
                    );
                }
                self.server.reconfigure(s.config.clone());
            }
            None => warn!(
                "dae: dae-server removed from the configuration; still listening on {} until \
                 the next start",
                self.listen
            ),
        }
    }

    /// Leaves the event loop (the server is stopping).
    pub(super) fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.socket);
    }

    /// The counters, added to `show stats`'s record.
    pub(super) fn stats(&self, record: Record) -> Record {
        let s = self.server.stats();
        let mut record = record
            .with("dae_received", s.received())
            .with("dae_acks", s.acks)
            .with("dae_naks", s.naks)
            .with("dae_replays", s.replays)
            .with("dae_sessions_ended", self.sessions_ended)
            .with("dae_send_failed", self.send_failed)
            .with("dae_drop_unknown_client", s.unknown_client)
            .with("dae_drop_malformed", s.malformed)
            .with("dae_drop_unexpected_code", s.unexpected_code)
            .with("dae_drop_bad_authenticator", s.bad_authenticator)
            .with("dae_drop_stale", s.stale);
        for (cause, n) in s.naks_by_cause() {
            record = record.with(&format!("dae_nak_{}", cause.value()), n);
        }
        record
    }

    fn send(&mut self, reply: &[u8], to: SocketAddr) {
        if let Err(e) = self.socket.send_to(reply, to) {
            self.send_failed += 1;
            debug!("dae: cannot send the reply to {to}: {e}");
        }
    }

    /// Logs a drop: the first of each kind as a warning that says what to check, the
    /// rest at debug level (the counters have them all).
    fn log_drop(&mut self, from: SocketAddr, why: &DropReason) {
        let (kind, hint) = match why {
            DropReason::UnknownClient(_) => ("unknown_client", "add it to dae-client"),
            DropReason::BadAuthenticator(_) | DropReason::MissingMessageAuthenticator => (
                "bad_authenticator",
                "check that dae-server's secret is the RADIUS server's",
            ),
            DropReason::StaleEventTimestamp(_) | DropReason::MissingEventTimestamp => {
                ("stale", "check both clocks")
            }
            _ => ("malformed", "not a RADIUS Disconnect- or CoA-Request"),
        };
        if self.warned.contains(&kind) {
            debug!("dae: dropped a datagram from {from}: {why}");
        } else {
            self.warned.push(kind);
            warn!(
                "dae: dropped a datagram from {from}: {why}; {hint} (further drops are counted \
                 in pptpctl show stats)"
            );
        }
    }
}

/// What a Disconnect-Request can name a live session by; None for a connection without a
/// call up (one being set up has no PPP session yet, one ending is on its way out).
fn session_key(conn: &Conn) -> Option<SessionKey> {
    let call = conn.call.as_ref()?;
    if !conn.pac.call_is_up() {
        return None;
    }
    let session = call.session.as_ref();
    let started = call
        .started_wall
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Some(SessionKey {
        user: session.map(|s| s.user.clone()).unwrap_or_default(),
        // With delegate, only pppd's ip-up hook knows the address.
        framed_ip: session.and_then(|s| s.remote).or(call.slot.remote),
        acct_session_id: String::new(),
        // pppd's radius plugin sends `remotenumber` as Calling-Station-Id, and pptpd
        // passes the client's address there (pppd_args).
        calling_station_id: conn.client.to_string(),
        pppd: Some(PppdProcess {
            pid: call.pid(),
            started,
        }),
    })
}

impl Service {
    /// The DAE socket is readable: every datagram waiting is handled, so that the
    /// edge-triggered socket wakes us again for the next one.
    pub(super) fn on_dae(&mut self) {
        let mut errors = 0;
        loop {
            let Some(dae) = self.dae.as_mut() else {
                return;
            };
            let (len, from) = match dae.socket.recv_from(&mut dae.buf) {
                Ok(got) => got,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    debug!("dae: receive failed: {e}");
                    errors += 1;
                    if errors >= MAX_ERRORS_PER_WAKE {
                        return;
                    }
                    continue;
                }
            };
            let now = Instant::now();
            // Made only if the request is authentic and new.
            let sessions = self
                .conns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| Some((i, session_key(c.as_ref()?)?)));
            let datagram = &dae.buf[..len];
            let outcome = dae
                .server
                .handle(now, SystemTime::now(), from, datagram, sessions);
            match outcome {
                Outcome::Drop(why) => dae.log_drop(from, &why),
                Outcome::Resend(reply) => dae.send(&reply, from),
                Outcome::Nak { cause, reply } => {
                    info!("dae: request from {from} refused: error-cause={cause}");
                    dae.send(&reply, from);
                }
                Outcome::Disconnect { sessions, reply } => {
                    let mut ended = Vec::new();
                    for index in sessions {
                        if let Some((call_id, _)) = self.end_call(index, BY_RADIUS, now) {
                            ended.push(call_id.to_string());
                        }
                    }
                    let Some(dae) = self.dae.as_mut() else {
                        return;
                    };
                    dae.sessions_ended += ended.len() as u64;
                    info!(
                        "dae: disconnect-request from {from}: ended calls={} call_ids={}",
                        ended.len(),
                        ended.join(",")
                    );
                    dae.send(&reply, from);
                }
            }
        }
    }
}
