//! `metrics ADDRESS:PORT`: pptpd's counters for Prometheus, served at `GET /metrics` in the
//! text exposition format (version 0.0.4) from the server's own event loop.
//!
//! The page is made from the same records `pptpctl show stats` and `show sessions` print,
//! so the two never disagree. The endpoint is bounded as the control socket is
//! ([`link::oneshot`](crate::link::oneshot)): a slow or hostile scraper holds one of a few
//! slots for a few seconds and never the tunnels.

use std::fmt::Write as _;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use log::debug;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use crate::link::oneshot::{self, Limits, OneShot};
use crate::wire::ctl::Record;

/// Scrapers served at once.
const MAX_CLIENTS: usize = 8;
/// The longest request head we read.
const MAX_REQUEST: usize = 8 * 1024;
/// How long a scraper has to send its request, and to read the page.
const CLIENT_WAIT: Duration = Duration::from_secs(5);

/// The endpoint: its listener and scrapers.
pub struct Metrics {
    listener: TcpListener,
    clients: OneShot<TcpStream>,
}

/// An HTTP request head ends with an empty line.
fn end_of_head(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    crlf.into_iter().chain(lf).min()
}

impl Metrics {
    /// Listens on `addr` with `token`; scraper `i` is watched with `Token(client_tokens + i)`.
    pub fn open(
        registry: &Registry,
        addr: SocketAddr,
        token: Token,
        client_tokens: usize,
    ) -> io::Result<Metrics> {
        let mut listener = TcpListener::bind(addr)?;
        registry.register(&mut listener, token, Interest::READABLE)?;
        let limits = Limits {
            max_clients: MAX_CLIENTS,
            max_request: MAX_REQUEST,
            wait: CLIENT_WAIT,
        };
        Ok(Metrics {
            listener,
            clients: OneShot::new(limits, client_tokens, end_of_head),
        })
    }

    /// The index of the scraper `token` names, if it is one.
    pub fn client_of(&self, token: Token) -> Option<usize> {
        self.clients.client_of(token)
    }

    /// Takes every pending scraper (one over the limit is told 503 and closed).
    pub fn accept(&mut self, registry: &Registry, now: Instant) {
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    debug!("ctrl: metrics accept failed: {e}");
                    return;
                }
            };
            if let Err(mut stream) = self.clients.add(registry, stream, now) {
                let _ = io::Write::write(&mut stream, &response(503, "text/plain", "busy\n"));
            }
        }
    }

    /// Scraper `index` is ready: Some(true) when it asked for the page, which the caller
    /// then makes and passes to [`answer`](Self::answer); other requests are answered here.
    pub fn on_ready(&mut self, registry: &Registry, index: usize, now: Instant) -> bool {
        let head = match self.clients.on_ready(registry, index) {
            None => return false,
            Some(oneshot::Request::TooLong) => {
                let r = response(431, "text/plain", "request head too large\n");
                self.clients.answer(registry, index, r, now);
                return false;
            }
            Some(oneshot::Request::Complete(head)) => head,
        };
        let head = String::from_utf8_lossy(&head);
        let mut words = head.lines().next().unwrap_or("").split_ascii_whitespace();
        let r = match (words.next(), words.next()) {
            (Some("GET"), Some("/metrics")) => return true,
            (Some("GET"), Some(_)) => response(404, "text/plain", "only /metrics is here\n"),
            (Some(_), Some(_)) => response(405, "text/plain", "only GET\n"),
            _ => response(400, "text/plain", "not an HTTP request\n"),
        };
        self.clients.answer(registry, index, r, now);
        false
    }

    /// Sends the page to scraper `index`.
    pub fn answer(&mut self, registry: &Registry, index: usize, page: &str, now: Instant) {
        let r = response(200, "text/plain; version=0.0.4; charset=utf-8", page);
        self.clients.answer(registry, index, r, now);
    }

    /// The earliest scraper deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.clients.poll_timeout()
    }

    /// Closes the scrapers whose time ran out.
    pub fn handle_timeout(&mut self, registry: &Registry, now: Instant) {
        let late = response(408, "text/plain", "request timeout\n");
        self.clients.handle_timeout(registry, now, &late);
    }

    /// Leaves the event loop.
    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.listener);
        self.clients.close_all(registry);
    }
}

fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The counters of `show stats` that are counters (the rest are gauges), with their
/// metric names and labels.
const COUNTERS: &[(&str, &str, &str)] = &[
    ("calls_served", "pptpd_calls_total", ""),
    (
        "refused_pool_empty",
        "pptpd_refusals_total",
        "reason=\"pool_empty\"",
    ),
    (
        "closed_connection_limit",
        "pptpd_refusals_total",
        "reason=\"connection_limit\"",
    ),
    (
        "closed_bad_first_message",
        "pptpd_refusals_total",
        "reason=\"bad_first_message\"",
    ),
    (
        "closed_bad_version",
        "pptpd_refusals_total",
        "reason=\"bad_version\"",
    ),
    (
        "closed_stimeout",
        "pptpd_refusals_total",
        "reason=\"stimeout\"",
    ),
    (
        "refused_hosts_access",
        "pptpd_refusals_total",
        "reason=\"hosts_access\"",
    ),
    (
        "refused_connect_rate",
        "pptpd_refusals_total",
        "reason=\"connect_rate\"",
    ),
    (
        "refused_per_source",
        "pptpd_refusals_total",
        "reason=\"connections_per_source\"",
    ),
    (
        "refused_single_session",
        "pptpd_refusals_total",
        "reason=\"single_session\"",
    ),
    (
        "refused_port_limit",
        "pptpd_refusals_total",
        "reason=\"port_limit\"",
    ),
    (
        "replaced_single_session",
        "pptpd_sessions_replaced_total",
        "",
    ),
    ("rate_evicted", "pptpd_rate_table_evictions_total", ""),
    ("shed", "pptpd_shed_total", ""),
    ("accept_no_fd", "pptpd_accept_no_fd_total", ""),
    (
        "gre_rx_invalid",
        "pptpd_gre_errors_total",
        "reason=\"rx_invalid\"",
    ),
    (
        "gre_rx_unknown_call",
        "pptpd_gre_errors_total",
        "reason=\"rx_unknown_call\"",
    ),
    (
        "gre_rx_errors",
        "pptpd_gre_errors_total",
        "reason=\"rx_errors\"",
    ),
    (
        "gre_tx_failed",
        "pptpd_gre_errors_total",
        "reason=\"tx_failed\"",
    ),
    (
        "gre_tx_oversize",
        "pptpd_gre_errors_total",
        "reason=\"tx_oversize\"",
    ),
    (
        "ppp_bad_frames",
        "pptpd_gre_errors_total",
        "reason=\"ppp_bad_frames\"",
    ),
];

/// The per-session counters, by field.
const SESSION_COUNTERS: &[(&str, &str, &str)] = &[
    (
        "rx_bytes",
        "pptpd_session_rx_bytes_total",
        "PPP bytes received from the client",
    ),
    (
        "tx_bytes",
        "pptpd_session_tx_bytes_total",
        "PPP bytes sent to the client",
    ),
    (
        "rx_packets",
        "pptpd_session_rx_packets_total",
        "GRE data packets received in order",
    ),
    (
        "tx_packets",
        "pptpd_session_tx_packets_total",
        "GRE data packets sent",
    ),
    (
        "lost",
        "pptpd_session_gre_lost_total",
        "GRE sequence numbers never received",
    ),
];

/// The page for `stats` (the `show stats` record), `sessions` (the `show sessions`
/// records) and the process start time (seconds since the epoch).
pub fn render(stats: &Record, sessions: &[Record], start_time: f64) -> String {
    let mut page = String::new();
    let num = |key: &str| {
        stats
            .get(key)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let head = |page: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(page, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    head(
        &mut page,
        "pptpd_start_time_seconds",
        "gauge",
        "When pptpd started, in seconds since the epoch.",
    );
    let _ = writeln!(page, "pptpd_start_time_seconds {start_time:.3}");
    head(&mut page, "pptpd_sessions", "gauge", "Calls by state.");
    for state in ["starting", "negotiating", "up", "ending"] {
        let n = sessions
            .iter()
            .filter(|s| s.get("state") == Some(state))
            .count();
        let _ = writeln!(page, "pptpd_sessions{{state=\"{state}\"}} {n}");
    }
    head(
        &mut page,
        "pptpd_connections",
        "gauge",
        "Open control connections.",
    );
    let _ = writeln!(page, "pptpd_connections {}", num("connections"));
    head(
        &mut page,
        "pptpd_pool_addresses",
        "gauge",
        "Address slots in the pool.",
    );
    let _ = writeln!(page, "pptpd_pool_addresses {}", num("pool_size"));
    head(&mut page, "pptpd_pool_free", "gauge", "Address slots free.");
    let _ = writeln!(
        page,
        "pptpd_pool_free {}",
        num("pool_size").saturating_sub(num("pool_in_use"))
    );
    let mut seen = Vec::new();
    for (key, name, labels) in COUNTERS {
        if !seen.contains(name) {
            let help = match *name {
                "pptpd_calls_total" => "Calls that came up.",
                "pptpd_refusals_total" => "Connections and calls refused, by reason.",
                "pptpd_shed_total" => "Call-less connections closed to make room at the limit.",
                "pptpd_sessions_replaced_total" => {
                    "Sessions ended by single-session replace for the user's new one."
                }
                "pptpd_rate_table_evictions_total" => {
                    "Sources dropped from the full connect-rate table while still limited."
                }
                "pptpd_accept_no_fd_total" => {
                    "Connections turned away for want of a file descriptor."
                }
                _ => "GRE and PPP framing errors, by reason.",
            };
            head(&mut page, name, "counter", help);
            seen.push(name);
        }
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(page, "{name}{labels} {}", num(key));
    }
    head(
        &mut page,
        "pptpd_control_closed_total",
        "counter",
        "Control connections ended, by how.",
    );
    for (key, value) in &stats.0 {
        if let Some(kind) = key.strip_prefix("closed_") {
            let _ = writeln!(
                page,
                "pptpd_control_closed_total{{reason=\"{}\"}} {value}",
                label(kind)
            );
        }
    }
    head(
        &mut page,
        "pptpd_gre_icmp_total",
        "counter",
        "ICMP errors for our GRE, by kind.",
    );
    for (key, value) in &stats.0 {
        if let Some(kind) = key.strip_prefix("icmp_") {
            let _ = writeln!(
                page,
                "pptpd_gre_icmp_total{{kind=\"{}\"}} {value}",
                label(kind)
            );
        }
    }
    if stats.get("dae_received").is_some() {
        render_dae(&mut page, stats);
    }
    for (field, name, help) in SESSION_COUNTERS {
        head(&mut page, name, "counter", help);
        for s in sessions {
            let _ = writeln!(
                page,
                "{name}{{call_id=\"{}\",user=\"{}\"}} {}",
                label(s.get("call_id").unwrap_or("")),
                label(s.get("user").unwrap_or("")),
                s.get(field).unwrap_or("0")
            );
        }
    }
    page
}

/// The `dae-server` families, from the `dae_*` keys of `show stats`.
fn render_dae(page: &mut String, stats: &Record) {
    let num = |key: &str| stats.get(key).unwrap_or("0");
    for (key, name, help) in [
        (
            "dae_received",
            "pptpd_dae_requests_total",
            "Datagrams received on the dae-server socket.",
        ),
        ("dae_acks", "pptpd_dae_acks_total", "Disconnect-ACKs sent."),
        (
            "dae_replays",
            "pptpd_dae_replays_total",
            "Duplicate requests answered again from the replay cache.",
        ),
        (
            "dae_sessions_ended",
            "pptpd_dae_sessions_ended_total",
            "Calls ended on a Disconnect-Request.",
        ),
    ] {
        let _ = writeln!(
            page,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            num(key)
        );
    }
    let _ = writeln!(
        page,
        "# HELP pptpd_dae_naks_total Disconnect-NAKs and CoA-NAKs sent, by Error-Cause.\n\
         # TYPE pptpd_dae_naks_total counter"
    );
    for (key, value) in &stats.0 {
        if let Some(cause) = key.strip_prefix("dae_nak_") {
            let _ = writeln!(
                page,
                "pptpd_dae_naks_total{{error_cause=\"{}\"}} {value}",
                label(cause)
            );
        }
    }
    let _ = writeln!(
        page,
        "# HELP pptpd_dae_dropped_total Datagrams dropped unanswered, by reason.\n\
         # TYPE pptpd_dae_dropped_total counter"
    );
    for (key, value) in &stats.0 {
        if let Some(reason) = key.strip_prefix("dae_drop_") {
            let _ = writeln!(
                page,
                "pptpd_dae_dropped_total{{reason=\"{}\"}} {value}",
                label(reason)
            );
        }
    }
    let _ = writeln!(
        page,
        "# HELP pptpd_dae_send_failed_total Replies the socket would not take.\n\
         # TYPE pptpd_dae_send_failed_total counter\n\
         pptpd_dae_send_failed_total {}",
        num("dae_send_failed")
    );
}

/// A label value with `\`, `"` and newlines escaped, as the format asks.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> String {
        page_with(Record::new())
    }

    fn page_with(extra: Record) -> String {
        let mut stats = Record::new()
            .with("connections", 2)
            .with("calls_served", 5)
            .with("pool_size", 10)
            .with("pool_in_use", 2)
            .with("closed_stimeout", 1)
            .with("closed_client_stopped", 3);
        stats.0.extend(extra.0);
        let sessions = vec![
            Record::new()
                .with("call_id", 7)
                .with("user", "al\"ice\\")
                .with("state", "up")
                .with("rx_bytes", 100),
        ];
        render(&stats, &sessions, 1.7e9)
    }

    #[test]
    fn page_has_every_family_once_and_escapes_labels() {
        let p = page();
        for name in [
            "pptpd_start_time_seconds",
            "pptpd_sessions",
            "pptpd_calls_total",
            "pptpd_refusals_total",
            "pptpd_gre_errors_total",
            "pptpd_pool_free",
            "pptpd_session_rx_bytes_total",
        ] {
            assert_eq!(
                p.matches(&format!("# TYPE {name} ")).count(),
                1,
                "{name}\n{p}"
            );
        }
        assert!(p.contains("pptpd_sessions{state=\"up\"} 1"), "{p}");
        assert!(p.contains("pptpd_pool_free 8"), "{p}");
        assert!(p.contains(r#"user="al\"ice\\""#), "{p}");
        assert!(
            p.contains("pptpd_refusals_total{reason=\"stimeout\"} 1"),
            "{p}"
        );
    }

    fn dae_stats() -> Record {
        Record::new()
            .with("dae_received", 9)
            .with("dae_acks", 2)
            .with("dae_naks", 3)
            .with("dae_replays", 1)
            .with("dae_sessions_ended", 2)
            .with("dae_send_failed", 0)
            .with("dae_drop_unknown_client", 1)
            .with("dae_drop_bad_authenticator", 2)
            .with("dae_nak_503", 2)
            .with("dae_nak_405", 1)
    }

    #[test]
    fn dae_families_only_with_a_dae_server() {
        assert!(!page().contains("pptpd_dae"));
        let p = page_with(dae_stats());
        assert!(p.contains("pptpd_dae_requests_total 9"), "{p}");
        assert!(
            p.contains("pptpd_dae_naks_total{error_cause=\"503\"} 2"),
            "{p}"
        );
        assert!(
            p.contains("pptpd_dae_dropped_total{reason=\"bad_authenticator\"} 2"),
            "{p}"
        );
        assert!(!p.contains("pptpd_dae_dropped_total{reason=\"503\""), "{p}");
    }

    /// Prometheus's own checker (Debian's prometheus package; scripts/setup installs it).
    #[test]
    fn promtool_accepts_the_page() {
        promtool_accepts(&page());
        promtool_accepts(&page_with(dae_stats()));
    }

    fn promtool_accepts(page: &str) {
        let mut child = std::process::Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect(
                "promtool is missing: install Debian's prometheus package (scripts/setup does)",
            );
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn request_heads_end_at_the_empty_line() {
        assert_eq!(
            end_of_head(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nrest"),
            Some(34)
        );
        assert_eq!(end_of_head(b"GET / HTTP/1.0\n\n"), Some(16));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\n"), None);
    }
}
