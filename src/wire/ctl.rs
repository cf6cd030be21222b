//! The text protocol of pptpd's control socket, between the server and `pptpctl` (and the
//! pppd hooks that run `pptpctl hook`).
//!
//! One request per line: words separated by spaces, the first word or two the command
//! (`show sessions`, `terminate user alice`, `session up pid=123 ifname=ppp0 ...`). The
//! answer is zero or more record lines, each `key=value` pairs separated by spaces, then
//! one final line: `ok` or `error: why`. Values never contain a space, a newline, `=` or
//! `%`: those bytes (and every byte below 0x20 or above 0x7e) are written `%XX`, so any
//! user name or interface name a peer chose goes through unharmed, and a line is always
//! one line. Small enough to speak with `socat` at 3 a.m.

use std::fmt;

/// The longest request line the server reads; a longer one is refused and the connection
/// closed.
pub const MAX_REQUEST_LEN: usize = 4096;

/// What was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `show sessions`: one record per call.
    ShowSessions,
    /// `show stats`: one record of counters.
    ShowStats,
    /// `terminate call ID | user NAME | ip ADDR | all`: orderly ends.
    Terminate(Selector),
    /// `reload`: reread the configuration, as SIGHUP.
    Reload,
    /// `session up KEY=VALUE...`: pppd's ip-up hook reports a session (PPPD_PID, IFNAME,
    /// PEERNAME, IPLOCAL, IPREMOTE).
    SessionUp(Vec<(String, String)>),
    /// `session down pid=N`: pppd's ip-down hook.
    SessionDown(Vec<(String, String)>),
}

/// Which sessions a `terminate` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// By our Call ID.
    Call(u16),
    /// By the user pppd authenticated.
    User(String),
    /// By the tunnel address or the client's address (as seen, or before this host's NAT).
    Ip(std::net::Ipv4Addr),
    /// Every session.
    All,
}

/// Why a request line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Request {
    /// Parses one request line (without its newline).
    pub fn parse(line: &str) -> Result<Request, BadRequest> {
        let bad = |why: &str| Err(BadRequest(why.to_owned()));
        let words: Vec<&str> = line.split_ascii_whitespace().collect();
        match words.as_slice() {
            ["show", "sessions"] => Ok(Request::ShowSessions),
            ["show", "stats"] => Ok(Request::ShowStats),
            ["reload"] => Ok(Request::Reload),
            ["terminate", "all"] => Ok(Request::Terminate(Selector::All)),
            ["terminate", "call", id] => match id.parse::<u16>() {
                Ok(id) => Ok(Request::Terminate(Selector::Call(id))),
                Err(_) => bad("terminate call: the call id is a number from 0 to 65535"),
            },
            ["terminate", "user", name] => Ok(Request::Terminate(Selector::User(unescape(name)?))),
            ["terminate", "ip", addr] => match addr.parse() {
                Ok(ip) => Ok(Request::Terminate(Selector::Ip(ip))),
                Err(_) => bad("terminate ip: not an IPv4 address"),
            },
            ["terminate", ..] => bad("terminate: call ID, user NAME, ip ADDR or all"),
            ["session", kind @ ("up" | "down"), pairs @ ..] => {
                let pairs = pairs
                    .iter()
                    .map(|p| {
                        let (k, v) = p.split_once('=').ok_or_else(|| {
                            BadRequest(format!("session: '{p}' is not key=value"))
                        })?;
                        Ok((unescape(k)?, unescape(v)?))
                    })
                    .collect::<Result<Vec<_>, BadRequest>>()?;
                Ok(if *kind == "up" {
                    Request::SessionUp(pairs)
                } else {
                    Request::SessionDown(pairs)
                })
            }
            [] => bad("empty request"),
            _ => {
                bad("unknown request; known: show sessions, show stats, terminate, reload, session")
            }
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::ShowSessions => f.write_str("show sessions"),
            Request::ShowStats => f.write_str("show stats"),
            Request::Reload => f.write_str("reload"),
            Request::Terminate(Selector::Call(id)) => write!(f, "terminate call {id}"),
            Request::Terminate(Selector::User(u)) => write!(f, "terminate user {}", escape(u)),
            Request::Terminate(Selector::Ip(ip)) => write!(f, "terminate ip {ip}"),
            Request::Terminate(Selector::All) => f.write_str("terminate all"),
            Request::SessionUp(pairs) | Request::SessionDown(pairs) => {
                let kind = if matches!(self, Request::SessionUp(_)) {
                    "up"
                } else {
                    "down"
                };
                write!(f, "session {kind}")?;
                for (k, v) in pairs {
                    write!(f, " {}={}", escape(k), escape(v))?;
                }
                Ok(())
            }
        }
    }
}

/// One record of an answer: named values in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record(pub Vec<(String, String)>);

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value.
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> Self {
        self.0.push((key.to_owned(), value.to_string()));
        self
    }

    /// The value named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Parses a record line.
    pub fn parse(line: &str) -> Result<Record, BadRequest> {
        line.split_ascii_whitespace()
            .map(|p| {
                let (k, v) = p
                    .split_once('=')
                    .ok_or_else(|| BadRequest(format!("'{p}' is not key=value")))?;
                Ok((unescape(k)?, unescape(v)?))
            })
            .collect::<Result<_, _>>()
            .map(Record)
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}={}", escape(k), escape(v))?;
        }
        Ok(())
    }
}

/// The final line of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Ok,
    /// Not done, and why.
    Error(String),
}

impl Outcome {
    /// The final line for `line`, if it is one.
    pub fn parse(line: &str) -> Option<Outcome> {
        if line == "ok" {
            Some(Outcome::Ok)
        } else {
            line.strip_prefix("error: ")
                .map(|why| Outcome::Error(why.to_owned()))
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            // A message is one line whatever it quotes.
            Outcome::Error(why) => write!(f, "error: {}", why.replace(['\n', '\r'], " ")),
        }
    }
}

/// `value` with space, `=`, `%` and non-printable bytes as `%XX`; an empty value is `%`.
pub fn escape(value: &str) -> String {
    if value.is_empty() {
        return "%".into();
    }
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_graphic() && b != b'=' && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`escape`]; bytes that are not UTF-8 come back lossily.
pub fn unescape(word: &str) -> Result<String, BadRequest> {
    if word == "%" {
        return Ok(String::new());
    }
    let bytes = word.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| BadRequest(format!("bad %-escape in '{word}'")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        for line in [
            "show sessions",
            "show stats",
            "reload",
            "terminate all",
            "terminate call 4711",
            "terminate user al%20ice%3D%25",
            "terminate ip 203.0.113.10",
            "session up pid=123 ifname=ppp0 user=bob",
            "session down pid=123",
        ] {
            let r = Request::parse(line).unwrap();
            assert_eq!(r.to_string(), line);
        }
        assert_eq!(
            Request::parse("terminate user al%20ice%3D%25").unwrap(),
            Request::Terminate(Selector::User("al ice=%".into()))
        );
    }

    #[test]
    fn bad_requests_say_why() {
        for (line, why) in [
            ("", "empty"),
            ("show", "unknown request"),
            ("terminate call x", "number"),
            ("terminate ip 300.1.1.1", "IPv4"),
            ("terminate bob", "call ID, user NAME"),
            ("session up pid", "key=value"),
            ("session up pid=%zz", "escape"),
        ] {
            let e = Request::parse(line).unwrap_err();
            assert!(e.0.contains(why), "{line}: {e}");
        }
    }

    #[test]
    fn records_and_values_survive_any_bytes() {
        let hostile = "a b\n=c%\u{7f}é";
        let r = Record::new()
            .with("user", hostile)
            .with("empty", "")
            .with("n", 5);
        let line = r.to_string();
        assert!(!line.contains('\n'));
        assert_eq!(Record::parse(&line).unwrap(), r);
        assert_eq!(r.get("n"), Some("5"));
        assert_eq!(Outcome::parse("ok"), Some(Outcome::Ok));
        assert_eq!(
            Outcome::Error("two\nlines".into()).to_string(),
            "error: two lines"
        );
        assert_eq!(Outcome::parse("user=x"), None);
    }
}
