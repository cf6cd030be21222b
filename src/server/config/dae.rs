//! The `dae-*` directives: pptpd's RFC 5176 Dynamic Authorization Server (Disconnect-Request
//! listener), off unless `dae-server` is given.
//!
//! ```text
//! dae-server ADDRESS:PORT SECRET          the UDP socket and the shared secret
//! dae-client ADDRESS[,ADDRESS...] | any   who may send requests (default: 127.0.0.1, ::1)
//! dae-nas-ip-address ADDRESS              the NAS-IP-Address a request must name, if any
//! dae-nas-identifier NAME                 the NAS-Identifier a request must name, if any
//! dae-multiple-sessions all | refuse      a request naming several sessions (default: all)
//! ```
//!
//! The allowed clients default to loopback: pptpd does not know the RADIUS servers pppd's
//! radius plugin talks to (they are in radiusclient's configuration, not ours), and a
//! listener that trusted every address would rest on the shared secret alone.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::proto::dae::{AllowedClients, DaeConfig, MultipleSessions, NasIdentity};
use crate::wire::radius::MAX_VALUE_LEN;

use super::Located;

/// The keywords, all taking a value.
pub(super) const KEYWORDS: [&str; 5] = [
    "dae-server",
    "dae-client",
    "dae-nas-ip-address",
    "dae-nas-identifier",
    "dae-multiple-sessions",
];

/// What the file's `dae-*` directives say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDae {
    /// `dae-server ADDRESS:PORT SECRET`.
    pub server: Option<Located<(SocketAddr, Vec<u8>)>>,
    /// `dae-client LIST` (None inside: `any`).
    pub clients: Option<Located<Option<HashSet<IpAddr>>>>,
    /// `dae-nas-ip-address ADDRESS`.
    pub nas_ip_address: Option<Located<Ipv4Addr>>,
    /// `dae-nas-identifier NAME`.
    pub nas_identifier: Option<Located<String>>,
    /// `dae-multiple-sessions all|refuse`.
    pub multiple_sessions: Option<Located<MultipleSessions>>,
}

/// The Disconnect-Request listener, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaeSettings {
    /// Where the UDP socket is bound.
    pub listen: SocketAddr,
    /// The server's configuration: secret, clients, NAS identity, policy.
    pub config: DaeConfig,
}

/// The addresses allowed when `dae-client` is not given.
pub fn default_dae_clients() -> HashSet<IpAddr> {
    HashSet::from([
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ])
}

/// Parses the value of one `dae-*` directive into `dae`; the error is the message only.
/// Warnings (one line each, without location) go to `warn`.
pub(super) fn set(
    dae: &mut FileDae,
    name: &str,
    value: &str,
    line: usize,
    warn: &mut dyn FnMut(String),
) -> Result<(), String> {
    fn at<T>(value: T, line: usize) -> Option<Located<T>> {
        Some(Located { value, line })
    }
    match name {
        "dae-server" => dae.server = at(parse_server(value, warn)?, line),
        "dae-client" => dae.clients = at(parse_clients(value)?, line),
        "dae-nas-ip-address" => {
            let addr = value.parse().map_err(|_| {
                format!("bad dae-nas-ip-address '{value}': an IPv4 address, e.g. 192.0.2.1")
            })?;
            dae.nas_ip_address = at(addr, line);
        }
        "dae-nas-identifier" => {
            if value.len() > MAX_VALUE_LEN {
                return Err(format!(
                    "dae-nas-identifier is {} octets long; RADIUS allows at most {MAX_VALUE_LEN}",
                    value.len()
                ));
            }
            dae.nas_identifier = at(value.to_owned(), line);
        }
        _ => {
            let policy = match value {
                "all" => MultipleSessions::All,
                "refuse" => MultipleSessions::Refuse,
                _ => {
                    return Err(format!(
                        "bad dae-multiple-sessions '{value}': all (end every session the \
                         request names) or refuse (answer Error-Cause 508)"
                    ));
                }
            };
            dae.multiple_sessions = at(policy, line);
        }
    }
    Ok(())
}

fn parse_server(
    value: &str,
    warn: &mut dyn FnMut(String),
) -> Result<(SocketAddr, Vec<u8>), String> {
    let usage = "dae-server ADDRESS:PORT SECRET, e.g. dae-server 127.0.0.1:3799 s3cret";
    let (addr, secret) = value
        .split_once(char::is_whitespace)
        .map(|(a, s)| (a, s.trim()))
        .unwrap_or((value, ""));
    let addr: SocketAddr = addr.parse().map_err(|_| {
        format!("bad dae-server address '{addr}': ADDRESS:PORT (RFC 5176's port is 3799); {usage}")
    })?;
    if addr.port() == 0 {
        return Err(format!("bad dae-server port 0 in '{addr}': {usage}"));
    }
    if secret.is_empty() {
        return Err(format!(
            "dae-server needs a shared secret after {addr}: {usage}"
        ));
    }
    if secret.len() > 1 && secret.starts_with('"') && secret.ends_with('"') {
        warn(
            "the dae-server secret is read as written: its quotes are part of it (RADIUS \
             servers' configuration files strip them)"
                .to_owned(),
        );
    }
    Ok((addr, secret.as_bytes().to_vec()))
}

/// `any`, or addresses separated by commas or blanks.
fn parse_clients(value: &str) -> Result<Option<HashSet<IpAddr>>, String> {
    if value == "any" {
        return Ok(None);
    }
    let mut set = HashSet::new();
    for item in value.split([',', ' ', '\t']).filter(|i| !i.is_empty()) {
        let addr: IpAddr = item.parse().map_err(|_| {
            format!(
                "bad dae-client item '{item}': an IPv4 or IPv6 address (host names are not \
                 resolved), or the single word any"
            )
        })?;
        set.insert(addr.to_canonical());
    }
    Ok(Some(set))
}

/// The listener's settings from the file's directives; `None` without `dae-server`, with a
/// warning for each other `dae-*` directive then ignored.
pub(super) fn merge(dae: FileDae, warnings: &mut Vec<String>) -> Option<DaeSettings> {
    let Some(Located {
        value: (listen, secret),
        ..
    }) = dae.server
    else {
        let lines = [
            dae.clients.map(|l| l.line),
            dae.nas_ip_address.map(|l| l.line),
            dae.nas_identifier.map(|l| l.line),
            dae.multiple_sessions.map(|l| l.line),
        ];
        if let Some(line) = lines.into_iter().flatten().min() {
            warnings.push(format!(
                "pptpd: the dae-* directive on line {line} and any other is ignored without \
                 dae-server"
            ));
        }
        return None;
    };
    let clients = match dae.clients {
        Some(Located { value: None, .. }) => AllowedClients::Any,
        Some(Located {
            value: Some(set), ..
        }) => AllowedClients::Only(set),
        None => {
            if !listen.ip().is_loopback() {
                warnings.push(format!(
                    "pptpd: dae-server listens on {listen} but only 127.0.0.1 and ::1 may send \
                     requests: name the RADIUS servers with dae-client"
                ));
            }
            AllowedClients::Only(default_dae_clients())
        }
    };
    let config = DaeConfig {
        clients,
        nas: NasIdentity {
            ipv4: dae.nas_ip_address.map(|l| l.value),
            identifier: dae.nas_identifier.map(|l| l.value),
        },
        multiple_sessions: dae.multiple_sessions.map(|l| l.value).unwrap_or_default(),
        ..DaeConfig::new(secret)
    };
    Some(DaeSettings { listen, config })
}

/// A warning when the config file, which holds the dae-server secret, can be read by
/// users other than root and its group (Debian installs pptpd.conf 0644).
pub(super) fn secret_exposure(path: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o004 != 0).then(|| {
        format!(
            "pptpd: {} holds the dae-server secret and every user can read it (mode {:o}): \
             chmod o-r it",
            path.display(),
            mode & 0o777
        )
    })
}
