//! Who may connect: `/etc/hosts.allow` and `/etc/hosts.deny` with hosts_access(5)
//! semantics, as Debian's poptop asks libwrap after each accept (daemon name `pptpd`), and
//! the per-source limits ([`rate`]).
//!
//! The matcher is our own rather than libwrap linked in: libwrap resolves the client's
//! name in the calling process (gethostbyaddr and, in PARANOID checks, gethostbyname),
//! which would block the one event loop every tunnel shares for as long as a DNS server
//! takes; it runs `spawn` and `twist` commands and asks the client's identd from the same
//! call; it reports a broken line with syslog alone and no way to say which pattern is
//! wrong; and it is a C dependency for a few hundred lines of matching. Here a table is
//! parsed once, when it changes, with a warning naming `FILE:LINE` for whatever is
//! refused or cannot match, and each accept costs a walk over parsed rules.
//!
//! This module is pure: [`Table::parse`] takes the text (and a reader for `/path` include
//! patterns), [`hosts_access`] a request. [`files`] reads the tables from disk.
//!
//! What is decided here, rule by rule, as libwrap with `PROCESS_OPTIONS` (Debian's build):
//! - the first matching rule of hosts.allow grants, else the first of hosts.deny denies,
//!   else the client is granted; a missing file is an empty one;
//! - `daemon_list : client_list [: option : option ...]`; lists split at blanks and commas;
//!   `EXCEPT` nests to the right; `daemon@host` matches the address the client connected
//!   to; `user@host` takes the user as unknown (pptpd asks no identd, as libwrap finds
//!   when the client runs none, which PPTP clients do not);
//! - options: `allow` and `deny` decide, whichever file the rule is in; `twist` and
//!   `aclexec` are not run and the client is denied (twist would have served it something
//!   else, aclexec would have run a command to decide); `spawn`, `severity` and the rest
//!   are not carried out and the rule still applies; an option libwrap would reject (an
//!   unknown name, a missing value, allow or deny not last) denies a client the rule
//!   matches, as libwrap's own error path does. Each is warned about once, with its line;
//! - patterns that need a host name are refused (see [`pattern`]).

pub mod files;
pub mod pattern;
pub mod rate;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use pattern::{Host, parse_host, string_match};

/// The daemon name pptpd is known by in the tables (poptop's `RQ_DAEMON, "pptpd"`).
pub const DAEMON: &str = "pptpd";
/// How deep `/path` include patterns may nest (libwrap recursed without a bound).
const MAX_INCLUDE_DEPTH: usize = 4;

/// Which file a table is: what a matching rule decides when its options do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// hosts.allow: a matching rule grants.
    Allow,
    /// hosts.deny: a matching rule denies.
    Deny,
}

/// One parsed hosts.allow or hosts.deny.
#[derive(Debug, Clone)]
pub struct Table {
    file: PathBuf,
    kind: Kind,
    rules: Vec<Rule>,
    /// The `/path` files the patterns read, for change detection.
    includes: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// The line the rule starts on.
    line: usize,
    daemons: List<Daemon>,
    clients: List<Client>,
    /// What the rule's options decide (None: the table's kind).
    grants: Option<bool>,
}

/// `a b c EXCEPT d e EXCEPT f`: any of a, b, c, unless (d or e, unless f).
#[derive(Debug, Clone)]
struct List<T> {
    items: Vec<T>,
    except: Option<Box<List<T>>>,
}

#[derive(Debug, Clone)]
struct Daemon {
    name: String,
    /// `daemon@host`: the server address the client connected to.
    server: Option<Host>,
}

#[derive(Debug, Clone)]
struct Client {
    host: Host,
    /// False for a `user@host` whose user pattern cannot match an unknown user.
    user_matches: bool,
}

/// One access check: who connects to what.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The daemon name the tables know the server by.
    pub daemon: &'a str,
    /// The client's address.
    pub client: Ipv4Addr,
    /// Our address the client connected to, if the socket said.
    pub server: Option<Ipv4Addr>,
}

/// The outcome of [`hosts_access`] and the rule that decided it (none: no rule matched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// Whether the client may connect.
    pub granted: bool,
    /// The file and line of the rule that decided.
    pub rule: Option<(&'a Path, usize)>,
}

/// hosts.allow, then hosts.deny, then granted.
pub fn hosts_access<'a>(allow: &'a Table, deny: &'a Table, request: &Request) -> Decision<'a> {
    for table in [allow, deny] {
        if let Some(rule) = table.rules.iter().find(|r| r.matches(request)) {
            return Decision {
                granted: rule.grants.unwrap_or(table.kind == Kind::Allow),
                rule: Some((&table.file, rule.line)),
            };
        }
    }
    Decision {
        granted: true,
        rule: None,
    }
}

/// Reads an include file's text (an error: why it could not be read).
pub type Reader<'a> = &'a mut dyn FnMut(&Path) -> Result<String, String>;

impl Table {
    /// A table with no rules (a missing file, or checking turned off).
    pub fn empty(file: &Path, kind: Kind) -> Table {
        Table {
            file: file.to_owned(),
            kind,
            rules: Vec::new(),
            includes: Vec::new(),
        }
    }

    /// Parses the text of `file`; `read` reads `/path` include patterns. Returns the table
    /// and its warnings, each `FILE:LINE: what`, ready to log. Never fails: a line that
    /// cannot be used is a warning, and the rest applies.
    ///
    /// Warnings are given only for the rules whose daemon list names `daemon`: a host name
    /// in a rule for sshd is not pptpd's concern (the rule is kept and matches as written).
    pub fn parse(
        text: &str,
        file: &Path,
        kind: Kind,
        daemon: &str,
        read: Reader<'_>,
    ) -> (Table, Vec<String>) {
        let mut table = Table::empty(file, kind);
        let mut parser = Parser {
            daemon,
            file,
            line: 0,
            warnings: Vec::new(),
            read,
            includes: Vec::new(),
        };
        for (line, rule) in logical_lines(text, &mut parser) {
            parser.line = line;
            if let Some(rule) = parser.rule(&rule) {
                table.rules.push(rule);
            }
        }
        table.includes = parser.includes;
        (table, parser.warnings)
    }

    /// The files the table's patterns read.
    pub fn includes(&self) -> &[PathBuf] {
        &self.includes
    }

    /// How many rules apply.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule applies.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl Rule {
    fn matches(&self, r: &Request) -> bool {
        self.daemons.matches(&|d: &Daemon| {
            string_match(&d.name, r.daemon) && d.server.as_ref().is_none_or(|h| h.matches(r.server))
        }) && self
            .clients
            .matches(&|c: &Client| c.user_matches && c.host.matches(Some(r.client)))
    }
}

impl<T> List<T> {
    /// libwrap's `list_match`: an item matches and the exceptions do not.
    fn matches(&self, item_matches: &dyn Fn(&T) -> bool) -> bool {
        self.items.iter().any(item_matches)
            && !self
                .except
                .as_ref()
                .is_some_and(|e| e.matches(item_matches))
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Joins backslash-continued lines and drops comments and blank lines: (the line a rule
/// starts on, its text).
fn logical_lines(text: &str, parser: &mut Parser<'_>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len() - 1;
    for (i, raw) in lines.iter().enumerate() {
        if i == last && raw.is_empty() {
            break;
        }
        let physical = raw.strip_suffix('\r').unwrap_or(raw);
        let (body, continued) = match physical.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (physical, false),
        };
        let (start, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        joined.push_str(body);
        if continued && i < last {
            pending = Some((start, joined));
            continue;
        }
        if i == last && !raw.is_empty() {
            // libwrap skips a last line without its newline ("missing newline or line too
            // long"), rule and all; we apply it.
            parser.line = start;
            parser.warn(
                "no newline at the end of the file: libwrap ignores this line, pptpd applies it"
                    .into(),
            );
        }
        let text = strip_comment(&joined);
        if !text.trim().is_empty() {
            out.push((start, text.to_owned()));
        }
    }
    out
}

/// Everything from the first `#` not after a backslash is a comment.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1] != b'\\'))
        .map_or(line, |i| &line[..i])
}

/// libwrap's `split_at`: the text before the first `delimiter` outside `[...]`, and after.
fn split_at(text: &str, delimiter: char) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if c == delimiter && depth == 0 => return Some((&text[..i], &text[i + 1..])),
            _ => {}
        }
    }
    None
}

/// libwrap's list separators.
fn words(list: &str) -> impl Iterator<Item = &str> {
    list.split([' ', ',', '\t', '\r', '\n'])
        .filter(|w| !w.is_empty())
}

struct Parser<'a> {
    daemon: &'a str,
    file: &'a Path,
    line: usize,
    warnings: Vec<String>,
    read: Reader<'a>,
    includes: Vec<PathBuf>,
}

impl Parser<'_> {
    fn warn(&mut self, message: String) {
        self.warnings
            .push(format!("{}:{}: {message}", self.file.display(), self.line));
    }

    fn rule(&mut self, text: &str) -> Option<Rule> {
        let Some((daemons, rest)) = split_at(text, ':') else {
            self.warn("missing ':' separator: the line is skipped".into());
            return None;
        };
        let (clients, options) = match split_at(rest, ':') {
            Some((clients, options)) => (clients, Some(options)),
            None => (rest, None),
        };
        let mark = self.warnings.len();
        let daemons = self.list(daemons, &mut |p, word| p.daemon(word));
        let clients = self.list(clients, &mut |p, word| p.client(word));
        if daemons.is_empty() || clients.is_empty() {
            let which = if daemons.is_empty() {
                "daemon"
            } else {
                "client"
            };
            self.warn(format!(
                "no {which} pattern before EXCEPT or the ':': the rule matches nothing"
            ));
        }
        let grants = options.and_then(|o| self.options(o));
        let ours = daemons.matches(&|d: &Daemon| string_match(&d.name, self.daemon));
        if !ours && !daemons.is_empty() {
            self.warnings.truncate(mark);
        }
        Some(Rule {
            line: self.line,
            daemons,
            clients,
            grants,
        })
    }

    fn list<T>(&mut self, text: &str, item: &mut dyn FnMut(&mut Self, &str) -> T) -> List<T> {
        let words: Vec<&str> = words(text).collect();
        let mut parts = words.split(|w| w.eq_ignore_ascii_case("EXCEPT"));
        let first: Vec<T> = parts
            .next()
            .unwrap_or(&[])
            .iter()
            .map(|w| item(self, w))
            .collect();
        // a EXCEPT b EXCEPT c is a EXCEPT (b EXCEPT c): build from the right.
        let rest: Vec<Vec<T>> = parts
            .map(|p| p.iter().map(|w| item(self, w)).collect())
            .collect();
        let except = rest.into_iter().rev().fold(None, |inner, items| {
            Some(Box::new(List {
                items,
                except: inner,
            }))
        });
        List {
            items: first,
            except,
        }
    }

    fn daemon(&mut self, word: &str) -> Daemon {
        // libwrap looks for the '@' after the first character (split_at(tok + 1, '@')).
        match word.get(1..).and_then(|w| w.find('@')).map(|i| i + 1) {
            Some(at) => Daemon {
                name: word[..at].to_owned(),
                server: Some(self.host(&word[at + 1..], 0)),
            },
            None => Daemon {
                name: word.to_owned(),
                server: None,
            },
        }
    }

    fn client(&mut self, word: &str) -> Client {
        match word.get(1..).and_then(|w| w.find('@')).map(|i| i + 1) {
            Some(at) => {
                let (user, host) = (&word[..at], &word[at + 1..]);
                let user_matches = string_match(user, "unknown");
                let meaning = if user_matches {
                    format!("it matches as '{host}'")
                } else {
                    "it matches no client".to_owned()
                };
                self.warn(format!(
                    "'{word}': pptpd asks no identd (RFC 931), so the user is unknown, as \
                     libwrap finds when the client runs none: {meaning}"
                ));
                Client {
                    host: self.host(host, 0),
                    user_matches,
                }
            }
            None => Client {
                host: self.host(word, 0),
                user_matches: true,
            },
        }
    }

    fn host(&mut self, word: &str, depth: usize) -> Host {
        let parsed = parse_host(word);
        if let Some(why) = parsed.warning {
            self.warn(why);
        }
        match parsed.host {
            Host::File(_) => self.include(Path::new(word), depth),
            host => host,
        }
    }

    /// A `/path` pattern: the host patterns listed in that file, blank-separated (libwrap
    /// reads them with fscanf "%s": no comments there).
    fn include(&mut self, path: &Path, depth: usize) -> Host {
        if depth >= MAX_INCLUDE_DEPTH {
            self.warn(format!(
                "{}: include patterns nest deeper than {MAX_INCLUDE_DEPTH}: it matches no client",
                path.display()
            ));
            return Host::Nothing;
        }
        if !self.includes.iter().any(|p| p == path) {
            self.includes.push(path.to_owned());
        }
        let text = match (self.read)(path) {
            Ok(text) => text,
            Err(why) => {
                self.warn(format!(
                    "cannot read {}: {why}; the pattern matches no client",
                    path.display()
                ));
                return Host::Nothing;
            }
        };
        let hosts = text
            .split_ascii_whitespace()
            .map(|w| self.host(w, depth + 1))
            .collect();
        Host::File(hosts)
    }

    /// hosts_options(5): what the options decide, with a warning for each one that is
    /// not carried out.
    fn options(&mut self, text: &str) -> Option<bool> {
        let options = split_options(text);
        let count = options.len();
        for (i, option) in options.iter().enumerate() {
            let option = option.trim();
            let (key, value) = split_option(option);
            let is_last = i + 1 == count;
            let lower = key.to_ascii_lowercase();
            let fail = |p: &mut Self, why: String| {
                p.warn(format!(
                    "{why}: libwrap refuses a client this rule matches, and so does pptpd"
                ));
                Some(false)
            };
            let (needs, takes) = match lower.as_str() {
                "allow" | "deny" | "keepalive" => (false, false),
                "rfc931" | "nice" => (false, true),
                "user" | "group" | "umask" | "linger" | "spawn" | "twist" | "setenv"
                | "severity" | "banners" | "aclexec" => (true, true),
                "" => return fail(self, "empty option".into()),
                _ => return fail(self, format!("unknown option '{key}'")),
            };
            if needs && value.is_none() {
                return fail(self, format!("option '{key}' needs a value"));
            }
            if !takes && value.is_some() {
                return fail(self, format!("option '{key}' takes no value"));
            }
            match lower.as_str() {
                "allow" | "deny" | "twist" if !is_last => {
                    return fail(self, format!("option '{key}' must be the last"));
                }
                "allow" => return Some(true),
                "deny" => return Some(false),
                "twist" | "aclexec" => {
                    self.warn(format!(
                        "option '{key}' is not run by pptpd: a client this rule matches is \
                         refused"
                    ));
                    return Some(false);
                }
                _ => self.warn(format!(
                    "option '{key}' is not carried out by pptpd; the rule still applies"
                )),
            }
        }
        None
    }
}

/// Options split at `:` not escaped with a backslash; `\:` becomes `:`.
fn split_options(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&':') => {
                chars.next();
                out.last_mut().unwrap().push(':');
            }
            ':' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// `keyword`, `keyword value` or `keyword = value`.
fn split_option(option: &str) -> (&str, Option<&str>) {
    let end = option
        .find(|c: char| c.is_ascii_whitespace() || c == '=')
        .unwrap_or(option.len());
    let value = option[end..].trim_start();
    let value = value.strip_prefix('=').unwrap_or(value).trim_start();
    (&option[..end], (!value.is_empty()).then_some(value))
}

#[cfg(test)]
mod tests;
