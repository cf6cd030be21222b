//! Who may connect, checked for each accepted connection before anything is read from it,
//! in this order: hosts.allow and hosts.deny (as Debian's poptop asks libwrap), then
//! `connect-rate`, then `connections-per-source`. A refused connection is closed at once,
//! without a reply (as libwrap's refusals are), logged and counted by reason; the
//! server-wide connection limit comes after these (`add_conn`).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use log::{info, warn};

use super::Service;
use crate::server::access::files::HostsFiles;
use crate::server::access::rate::{LogBudget, RateTable};
use crate::server::config::ServerConfig;

/// Refusal log lines: at most this many per [`REFUSAL_LOG_WINDOW`], then one line saying
/// how many were held back, so that a flood of refused connections cannot fill the log.
const REFUSAL_LOG_LINES: u32 = 20;
const REFUSAL_LOG_WINDOW: Duration = Duration::from_secs(10);

/// What admission keeps between connections.
#[derive(Debug)]
pub(super) struct Admission {
    pub(super) hosts: HostsFiles,
    pub(super) rate: Option<RateTable>,
    log: LogBudget,
}

impl Admission {
    /// Reads the tables `config` names; the warnings are the caller's to show.
    pub(super) fn new(config: &ServerConfig) -> (Admission, Vec<String>) {
        let (hosts, warnings) = load_hosts(config);
        let admission = Admission {
            hosts,
            rate: config.connect_rate.map(RateTable::new),
            log: LogBudget::new(REFUSAL_LOG_LINES, REFUSAL_LOG_WINDOW),
        };
        (admission, warnings)
    }
}

/// hosts.allow and hosts.deny as `config` names them, with a summary line.
pub fn load_hosts(config: &ServerConfig) -> (HostsFiles, Vec<String>) {
    let (hosts, mut warnings) =
        HostsFiles::load(config.hosts_allow.as_deref(), config.hosts_deny.as_deref());
    for w in &mut warnings {
        *w = format!("ctrl: {w}");
    }
    (hosts, warnings)
}

impl Service {
    /// Whether the connection just accepted from `client` to our `server` address may
    /// stay; false when it is to be closed (already logged and counted).
    pub(super) fn admit(&mut self, client: Ipv4Addr, server: Option<Ipv4Addr>) -> bool {
        let now = Instant::now();
        if self.admission.hosts.changed() {
            let (hosts, warnings) = self.admission.hosts.reload();
            warnings.iter().for_each(|w| warn!("ctrl: {w}"));
            info!(
                "ctrl: hosts_access files changed, read again: {}",
                hosts.summary()
            );
            self.admission.hosts = hosts;
        }
        let decision = self.admission.hosts.check(client, server);
        if !decision.granted {
            let by = decision
                .rule
                .map(|(file, line)| format!("{}:{line}", file.display()))
                .unwrap_or_default();
            self.stats.refused_hosts_access += 1;
            self.log_refusal(now, format!("ctrl: denied by {by} client={client}"));
            return false;
        }
        if let Some(table) = self.admission.rate.as_mut()
            && !table.admit(client, now)
        {
            let rate = table.rate();
            self.stats.refused_connect_rate += 1;
            self.log_refusal(
                now,
                format!("ctrl: refused client={client}: over connect-rate {rate}"),
            );
            return false;
        }
        if let Some(max) = self.config.connections_per_source
            && self.per_source.get(&client).copied().unwrap_or(0) >= max
        {
            self.stats.refused_per_source += 1;
            self.log_refusal(
                now,
                format!("ctrl: refused client={client}: connections-per-source {max} reached"),
            );
            return false;
        }
        true
    }

    fn log_refusal(&mut self, now: Instant, line: String) {
        let (log, held) = self.admission.log.take(now);
        if held > 0 {
            info!(
                "ctrl: refusals_not_logged={held} in the last {}s",
                REFUSAL_LOG_WINDOW.as_secs()
            );
        }
        if log {
            info!("{line}");
        }
    }

    /// After a reload: the tables the new configuration names, and a new rate table if
    /// the rate changed (sources keep their history otherwise).
    pub(super) fn reload_admission(&mut self) {
        let (hosts, warnings) = load_hosts(&self.config);
        warnings.iter().for_each(|w| warn!("{w}"));
        info!("ctrl: hosts_access: {}", hosts.summary());
        self.admission.hosts = hosts;
        let rate = self.config.connect_rate;
        if self.admission.rate.as_ref().map(RateTable::rate) != rate {
            self.admission.rate = rate.map(RateTable::new);
        }
    }

    /// One more open connection from `client`.
    pub(super) fn source_opened(&mut self, client: Ipv4Addr) {
        *self.per_source.entry(client).or_default() += 1;
    }

    /// One open connection from `client` fewer.
    pub(super) fn source_closed(&mut self, client: Ipv4Addr) {
        if let Some(n) = self.per_source.get_mut(&client) {
            *n -= 1;
            if *n == 0 {
                self.per_source.remove(&client);
            }
        }
    }
}
