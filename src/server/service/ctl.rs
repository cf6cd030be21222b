//! The server's answers to its control socket: sessions, counters, orderly ends, reloads,
//! and the sessions pppd's hooks report (and the login records they make).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Instant;

use log::{info, warn};

use super::{Owner, Service};
use crate::server::call::Session;
use crate::wire::ctl::{Outcome, Record, Request, Selector};
use crate::wire::ppp::mppe_description;

/// Whose order ends a call that `pptpctl terminate` names.
const BY_ADMIN: &str = "the administrator (pptpctl)";

impl Service {
    /// Carries out one control request.
    pub(super) fn on_request(&mut self, request: Request, now: Instant) -> (Vec<Record>, Outcome) {
        match request {
            Request::ShowSessions => (self.session_records(now), Outcome::Ok),
            Request::ShowStats => (vec![self.stats_record(now)], Outcome::Ok),
            Request::Terminate(selector) => self.terminate(&selector, now),
            Request::Reload => match self.reload() {
                Ok(()) => (Vec::new(), Outcome::Ok),
                Err(why) => (Vec::new(), Outcome::Error(why)),
            },
            Request::SessionUp(pairs) => (Vec::new(), self.session_up(&pairs, now)),
            Request::SessionDown(pairs) => (Vec::new(), self.session_down(&pairs)),
        }
    }

    /// The metrics page: the same records as `show stats` and `show sessions`.
    pub(super) fn metrics_page(&self, now: Instant) -> String {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
            - now.duration_since(self.stats.started).as_secs_f64();
        crate::server::metrics::render(&self.stats_record(now), &self.session_records(now), started)
    }

    /// One record per call, as `pptpctl show sessions` lists them.
    fn session_records(&self, now: Instant) -> Vec<Record> {
        let mut records = Vec::new();
        for conn in self.conns.iter().flatten() {
            let Some(call) = conn.call.as_ref() else {
                continue;
            };
            let session = call.session.as_ref();
            let gre = call.data.gre_stats().cloned().unwrap_or_default();
            let counters = call.data.counters();
            let state = match (conn.pac.call_is_up(), session.is_some()) {
                (false, _) if call.data.is_up() => "ending",
                (false, _) => "starting",
                (true, false) => "negotiating",
                (true, true) => "up",
            };
            let tunnel = session
                .and_then(|s| s.remote)
                .or(call.slot.remote)
                .map_or("-".to_owned(), |a| a.to_string());
            records.push(
                Record::new()
                    .with("call_id", call.call_id)
                    .with("user", session.map_or("-", |s| s.user.as_str()))
                    .with("client", conn.client)
                    .with(
                        "client_before_nat",
                        conn.client_before_nat
                            .map_or("-".to_owned(), |a| a.to_string()),
                    )
                    .with("tunnel", tunnel)
                    .with("ifname", session.map_or("-", |s| s.ifname.as_str()))
                    .with("uptime", now.duration_since(call.started).as_secs())
                    .with(
                        "encryption",
                        call.data.mppe().map_or("none".to_owned(), mppe_description),
                    )
                    .with("rx_bytes", counters.rx_bytes)
                    .with("tx_bytes", counters.tx_bytes)
                    .with("rx_packets", gre.rx_accepted)
                    .with("tx_packets", gre.tx_sent)
                    .with("lost", gre.rx_lost)
                    .with("reordered", gre.rx_buffered)
                    .with("late", gre.rx_underwin)
                    .with("state", state)
                    .with("pid", call.pid()),
            );
        }
        records
    }

    /// The server's counters, as `pptpctl show stats` shows them.
    pub(super) fn stats_record(&self, now: Instant) -> Record {
        let calls: Vec<_> = self
            .conns
            .iter()
            .flatten()
            .filter_map(|c| c.call.as_ref().map(|call| (c, call)))
            .collect();
        let active = calls.iter().filter(|(c, _)| c.pac.call_is_up()).count();
        let s = &self.stats;
        let mut record = Record::new()
            .with("uptime", now.duration_since(s.started).as_secs())
            .with("connections", self.conns.iter().flatten().count())
            .with("sessions_active", active)
            .with("sessions_starting", calls.len() - active)
            .with("calls_served", s.calls_served)
            .with("pool_size", self.pool.capacity())
            .with("pool_in_use", self.pool.in_use())
            .with("refused_pool_empty", s.refused_pool_empty)
            .with("shed", s.shed)
            .with("accept_no_fd", s.accept_no_fd)
            .with("refused_hosts_access", s.refused_hosts_access)
            .with("refused_connect_rate", s.refused_connect_rate)
            .with("refused_per_source", s.refused_per_source)
            .with("refused_single_session", s.refused_single_session)
            .with("replaced_single_session", s.replaced_single_session)
            .with("refused_port_limit", s.refused_port_limit)
            .with(
                "rate_sources",
                self.admission.rate.as_ref().map_or(0, |r| r.len()),
            )
            .with(
                "rate_evicted",
                self.admission.rate.as_ref().map_or(0, |r| r.evicted),
            )
            .with("gre_rx_invalid", self.rx_counters.invalid)
            .with("gre_rx_unknown_call", self.rx_counters.unknown_call)
            .with("gre_rx_errors", self.rx_counters.errors);
        let (mut tx_failed, mut tx_oversize, mut bad) = (0, 0, 0);
        for (_, call) in &calls {
            let c = call.data.counters();
            tx_failed += c.tx_failed;
            tx_oversize += c.tx_oversize;
            bad += c.ppp_bad_frames;
        }
        record = record
            .with("gre_tx_failed", s.gone.tx_failed + tx_failed)
            .with("gre_tx_oversize", s.gone.tx_oversize + tx_oversize)
            .with("ppp_bad_frames", s.gone.ppp_bad_frames + bad);
        for (kind, n) in &s.closed {
            record = record.with(&format!("closed_{kind}"), n);
        }
        for (kind, n) in &self.rx_counters.icmp {
            record = record.with(&format!("icmp_{kind}"), n);
        }
        match &self.dae {
            Some(dae) => dae.stats(record),
            None => record,
        }
    }

    /// Ends the calls `selector` names, in order; an error when none matches.
    fn terminate(&mut self, selector: &Selector, now: Instant) -> (Vec<Record>, Outcome) {
        let mut ended = Vec::new();
        for index in 0..self.conns.len() {
            let Some(conn) = self.conns[index].as_mut() else {
                continue;
            };
            let Some(call) = conn.call.as_ref() else {
                continue;
            };
            let session = call.session.as_ref();
            let matches = match selector {
                Selector::All => true,
                Selector::Call(id) => call.call_id == *id,
                Selector::User(user) => session.is_some_and(|s| &s.user == user),
                Selector::Ip(ip) => {
                    conn.client == *ip
                        || conn.client_before_nat == Some(*ip)
                        || call.slot.remote == Some(*ip)
                        || session.is_some_and(|s| s.remote == Some(*ip))
                }
            };
            if matches && let Some((call_id, client)) = self.end_call(index, BY_ADMIN, now) {
                ended.push(
                    Record::new()
                        .with("call_id", call_id)
                        .with("client", client),
                );
            }
        }
        if ended.is_empty() {
            let what = match selector {
                Selector::All => "no session to terminate".to_owned(),
                Selector::Call(id) => format!("no session with call id {id}"),
                Selector::User(u) => format!("no session of user {u}"),
                Selector::Ip(ip) => format!("no session with address {ip}"),
            };
            return (Vec::new(), Outcome::Error(what));
        }
        info!("ctrl: terminated calls={} on request", ended.len());
        (ended, Outcome::Ok)
    }

    /// Ends connection `index`'s call in order, on `by`'s word: Call-Disconnect-Notify to
    /// the client, then pppd is stopped (it terminates LCP and runs ip-down), and the
    /// connection closes if the client does not place another call. Every orderly end on
    /// request (`pptpctl terminate`, a RADIUS Disconnect-Request) comes here. Returns the
    /// call's Call ID and client, or None when the connection has no call up to end.
    pub(super) fn end_call(
        &mut self,
        index: usize,
        by: &'static str,
        now: Instant,
    ) -> Option<(u16, Ipv4Addr)> {
        let conn = self.conns.get_mut(index)?.as_mut()?;
        let call_id = conn.call.as_ref()?.call_id;
        let client = conn.client;
        if !conn.pac.terminate(now, by) {
            return None;
        }
        self.settle(index);
        Some((call_id, client))
    }

    /// pppd's ip-up hook: the session of the call whose pppd has `pid` is up; with
    /// `logwtmp`, it is logged in (utmp and wtmp) as poptop's plugin did: the interface,
    /// the user, the client's address. Then the per-user policy applies (`single-session`,
    /// `port_limit`): an error answer says the new session was ended, and why.
    fn session_up(&mut self, pairs: &[(String, String)], now: Instant) -> Outcome {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let Some(index) = self.call_of_pid(get("pid")) else {
            return Outcome::Error("no call of this server has that pppd".into());
        };
        let logwtmp = self.config.logwtmp;
        let Some(conn) = self.conns[index].as_mut() else {
            return Outcome::Error("the call has ended".into());
        };
        let Some(call) = conn.call.as_mut() else {
            return Outcome::Error("the call has ended".into());
        };
        let mut session = Session {
            user: get("user").unwrap_or("").to_owned(),
            ifname: get("ifname").unwrap_or("").to_owned(),
            local: get("local").and_then(|a| a.parse::<Ipv4Addr>().ok()),
            remote: get("remote").and_then(|a| a.parse::<Ipv4Addr>().ok()),
            since: now,
            logged_in: false,
        };
        info!(
            "pppd: session up call_id={} user={} ifname={} client={}",
            call.call_id, session.user, session.ifname, conn.client
        );
        if logwtmp && !session.ifname.is_empty() {
            let host = conn.client.to_string();
            match crate::sys::utmp::login(&session.ifname, &session.user, &host, call.pid()) {
                Ok(()) => session.logged_in = true,
                Err(e) => warn!(
                    "pppd: cannot write the login record of {} on {}: {e} (check /var/log/wtmp and /var/run/utmp)",
                    session.user, session.ifname
                ),
            }
        }
        let user = session.user.clone();
        call.session = Some(session);
        // radattr.so's Port-Limit, when the hook found one (a number, else ignored).
        let port_limit = get("port_limit").and_then(|v| v.parse::<u32>().ok());
        match self.apply_user_policy(index, &user, port_limit, now) {
            Some(why) => Outcome::Error(why),
            None => Outcome::Ok,
        }
    }

    /// pppd's ip-down hook: the session is over (its call may linger while pppd exits).
    fn session_down(&mut self, pairs: &[(String, String)]) -> Outcome {
        let pid = pairs
            .iter()
            .find(|(k, _)| k == "pid")
            .map(|(_, v)| v.as_str());
        let Some(index) = self.call_of_pid(pid) else {
            return Outcome::Error("no call of this server has that pppd".into());
        };
        if let Some(call) = self.conns[index].as_mut().and_then(|c| c.call.as_mut())
            && let Some(session) = call.session.take()
        {
            log_out(&session, call.pid());
        }
        Outcome::Ok
    }

    fn call_of_pid(&self, pid: Option<&str>) -> Option<usize> {
        let pid: u32 = pid?.parse().ok()?;
        match self.pids.get(&pid) {
            Some(Owner::Conn(index)) => Some(*index),
            _ => None,
        }
    }
}

/// Ends a session's login record, if it made one.
pub(super) fn log_out(session: &Session, pid: u32) {
    if session.logged_in
        && let Err(e) = crate::sys::utmp::logout(&session.ifname, pid)
    {
        warn!(
            "pppd: cannot write the logout record of {}: {e}",
            session.ifname
        );
    }
}

/// Counters of connection endings, by kind.
pub(super) type ClosedCounters = BTreeMap<&'static str, u64>;
