//! Tests of pptpd.conf parsing, merging and loading, one file per concern; the helpers
//! they share are here.

use super::*;

use std::fs;
use std::ops::RangeInclusive;
use std::os::unix::fs::PermissionsExt;

const CONF: &str = "/etc/pptpd.conf";

fn parse(text: &str) -> (FileSettings, Vec<String>) {
    match parse_str(text, Path::new(CONF)) {
        Ok(r) => r,
        Err(e) => panic!("{text:?} failed: {e}"),
    }
}

fn parse_err(text: &str) -> String {
    match parse_str(text, Path::new(CONF)) {
        Ok(r) => panic!("{text:?} parsed: {r:?}"),
        Err(e) => e.to_string(),
    }
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

/// Addresses from a to b in the last octet of 10.0.0.x.
fn ten(range: RangeInclusive<u8>) -> Vec<Ipv4Addr> {
    range.map(|d| ip(10, 0, 0, d)).collect()
}

/// Test resolver: `*.example` names resolve to 198.51.100.N, where N is the name's length;
/// `gw.example` is 203.0.113.1; anything else fails.
fn fake_resolve(host: &str) -> Result<Ipv4Addr, String> {
    match host {
        "gw.example" => Ok(ip(203, 0, 113, 1)),
        h if h.ends_with(".example") => Ok(ip(198, 51, 100, h.len() as u8)),
        h => h
            .parse()
            .map_err(|_| format!("cannot resolve host name: no such host '{h}'")),
    }
}

/// A scratch directory for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("pptp-rs-srvcfg-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).expect("write scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Merges `text` (as file `CONF`) with `opts`, with the fake resolver and no file checks.
fn merged(opts: &ServerOptions, text: &str) -> Result<(ServerConfig, Vec<String>), ConfigError> {
    let (file, mut warnings) = parse_str(text, Path::new(CONF))?;
    let config = merge(
        opts,
        file,
        PathBuf::from(CONF),
        &fake_resolve,
        &mut warnings,
    )?;
    Ok((config, warnings))
}

fn merged_ok(opts: &ServerOptions, text: &str) -> (ServerConfig, Vec<String>) {
    merged(opts, text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn defaults() -> ServerConfig {
    ServerConfig {
        option_file: None,
        debug: false,
        stimeout: Duration::from_secs(10),
        noipparam: false,
        logwtmp: false,
        bcrelay: None,
        vrf: None,
        delegate: false,
        connections: 100,
        local_ips: (1..=100).map(|d| ip(192, 168, 0, d)).collect(),
        remote_ips: (1..=100).map(|d| ip(192, 168, 1, d)).collect(),
        listen: None,
        pidfile: "/var/run/pptpd.pid".into(),
        speed: "115200".into(),
        ppp: "/usr/sbin/pppd".into(),
        control_socket: Some("/run/pptpd/control".into()),
        metrics: None,
        dae: None,
        hosts_allow: Some("/etc/hosts.allow".into()),
        hosts_deny: Some("/etc/hosts.deny".into()),
        connections_per_source: None,
        connect_rate: None,
        single_session: None,
        conf_file: CONF.into(),
    }
}

mod address_lists;
mod dae_directives;
mod directives;
mod loading;
mod merging;
mod real_files;
