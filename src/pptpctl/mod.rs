//! `pptpctl`: the administrator's view of a running pptpd, and how pppd's hooks tell pptpd
//! about sessions. It speaks the control socket's line protocol
//! ([`wire::ctl`](crate::wire::ctl)):
//!
//! - `pptpctl show sessions [--json] [--wide] [match FIELD REGEX]`: one row per call;
//! - `pptpctl show stats [--json]`: the server's counters;
//! - `pptpctl terminate call ID | user NAME | ip ADDR | all`: orderly ends;
//! - `pptpctl reload`: reread pptpd.conf, as SIGHUP;
//! - `pptpctl hook ip-up|ip-down [pppd's arguments]`: run by pppd's ip-up.d and ip-down.d
//!   scripts; reads pppd's environment (PPPD_PID, IFNAME, PEERNAME, IPLOCAL, IPREMOTE).
//!
//! Exit status: 0 done, 1 pptpd said no (nothing matched, a bad request) or a usage error
//! (getopt's [`EXIT_USAGE`](crate::getopt::EXIT_USAGE)), 3 pptpd cannot be reached (not
//! running, or not root). `hook` always exits 0: a hook that fails must not disturb pppd,
//! and most pppds on a machine are not pptpd's.

pub mod cli;
pub mod table;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::wire::ctl::{Outcome, Record, Request};
use cli::{Command, Options};

/// Exit status when pptpd said no.
pub const EXIT_REFUSED: i32 = 1;
/// Exit status when pptpd cannot be reached.
pub const EXIT_UNREACHABLE: i32 = 3;
/// How long pptpctl waits for pptpd's answer.
const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// How long a hook waits: pppd waits for its ip-up script before it carries on.
const HOOK_WAIT: Duration = Duration::from_secs(2);

/// Runs `pptpctl` with the process's arguments and returns its exit status.
pub fn main() -> i32 {
    let version = format!("pptpctl (pptp-rs) {}", env!("CARGO_PKG_VERSION"));
    let opts = match crate::getopt::start(cli::PROGRAM, cli::parse, cli::usage, &version) {
        Ok(opts) => opts,
        Err(code) => return code,
    };
    run(&opts)
}

fn run(opts: &Options) -> i32 {
    let request = match &opts.command {
        Command::Hook { up } => return hook(&opts.socket, *up),
        Command::Request(r) => r.clone(),
    };
    let answer = match ask(&opts.socket, &request, ANSWER_WAIT) {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("pptpctl: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    let (records, outcome) = answer;
    match outcome {
        Outcome::Error(why) => {
            eprintln!("pptpctl: {why}");
            EXIT_REFUSED
        }
        Outcome::Ok => match table::show(&request, records, &opts.view) {
            Ok(text) => {
                print!("{text}");
                0
            }
            Err(why) => {
                eprintln!("pptpctl: {why}");
                cli::EXIT_USAGE
            }
        },
    }
}

/// Sends `request` and reads the answer: its records and its outcome.
pub fn ask(
    socket: &Path,
    request: &Request,
    wait: Duration,
) -> Result<(Vec<Record>, Outcome), String> {
    let mut stream = UnixStream::connect(socket).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                " (is pptpd running? see systemctl status pptpd)"
            }
            std::io::ErrorKind::PermissionDenied => " (pptpctl needs root)",
            _ => "",
        };
        format!("cannot reach pptpd at {}: {e}{hint}", socket.display())
    })?;
    stream
        .set_read_timeout(Some(wait))
        .and_then(|()| stream.set_write_timeout(Some(wait)))
        .and_then(|()| writeln!(stream, "{request}"))
        .map_err(|e| format!("cannot send to pptpd: {e}"))?;
    let mut records = Vec::new();
    for line in BufReader::new(stream).lines() {
        let line = line.map_err(|e| format!("no answer from pptpd: {e}"))?;
        if let Some(outcome) = Outcome::parse(&line) {
            return Ok((records, outcome));
        }
        records.push(Record::parse(&line).map_err(|e| format!("pptpd said {line:?}: {e}"))?);
    }
    Err("pptpd closed the connection without an answer".into())
}

/// Where radattr.so writes the RADIUS attributes of the link on `IFNAME`
/// (`/var/run/radattr.IFNAME`, fixed in the plugin), removed at ip-down.
const RADATTR_PREFIX: &str = "/var/run/radattr.";

/// The Port-Limit RADIUS gave the user of the link on `ifname`, if radattr.so wrote one.
fn radattr_port_limit(ifname: &str) -> Option<u32> {
    // pppd's own interface names; nothing that could leave the directory.
    let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if ifname.is_empty() || !ifname.bytes().all(plain) {
        return None;
    }
    let text = std::fs::read_to_string(format!("{RADATTR_PREFIX}{ifname}")).ok()?;
    port_limit(&text)
}

/// `Port-Limit N` in radattr.so's file: one `Name value` line per attribute.
pub fn port_limit(radattr: &str) -> Option<u32> {
    radattr.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == "Port-Limit").then(|| value.trim().parse().ok())?
    })
}

/// pppd's ip-up or ip-down hook: tells pptpd, if pptpd runs this pppd; silent otherwise.
/// At ip-up it passes the user's RADIUS Port-Limit too, when radattr.so wrote one.
fn hook(socket: &Path, up: bool) -> i32 {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let pid = env("PPPD_PID");
    if pid.is_empty() {
        return 0;
    }
    let pairs = if up {
        let mut pairs = vec![
            ("pid".to_owned(), pid),
            ("ifname".to_owned(), env("IFNAME")),
            ("user".to_owned(), env("PEERNAME")),
            ("local".to_owned(), env("IPLOCAL")),
            ("remote".to_owned(), env("IPREMOTE")),
        ];
        if let Some(limit) = radattr_port_limit(&env("IFNAME")) {
            pairs.push(("port_limit".to_owned(), limit.to_string()));
        }
        pairs
    } else {
        vec![("pid".to_owned(), pid)]
    };
    let request = if up {
        Request::SessionUp(pairs)
    } else {
        Request::SessionDown(pairs)
    };
    // No pptpd, or not this pppd's: nothing to say, and nothing to disturb.
    let _ = ask(socket, &request, HOOK_WAIT);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_limit_from_radattr() {
        let file =
            "User-Name user1\nService-Type Framed-User\nPort-Limit 2\nSession-Timeout 3600\n";
        assert_eq!(port_limit(file), Some(2));
        assert_eq!(port_limit("User-Name user1\n"), None);
        assert_eq!(port_limit("Port-Limit many\n"), None);
        assert_eq!(port_limit("Port-Limited 3\nPort-Limit 1"), Some(1));
        assert_eq!(radattr_port_limit("../etc/passwd"), None);
    }
}
