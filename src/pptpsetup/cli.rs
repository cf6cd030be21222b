//! The `pptpsetup` command line (reference-behaviour.md §1.13).
//!
//! pptp-linux's pptpsetup is a Perl script that reads its options with Getopt::Long in its
//! default configuration: the long names `create|c=s`, `delete=s`, `help|h`, `server|s=s`,
//! `domain|d=s`, `username|u=s`, `password|p=s`, `encrypt|e` and `start`, where the letters
//! are alias names rather than bundled short options. So `-c vpn`, `--c vpn`, `-create vpn`
//! and `--create=vpn` are all the same option, any unambiguous prefix works (`--serv`),
//! names ignore case, the last of a repeated option wins, and an option's value is the next
//! argument whatever it looks like (`--password -x`). The walk below does exactly that,
//! with [`resolve_long`] for the prefixes; the single letters are names of their own, so
//! `--s` is `--server` (not ambiguous with `--start`), as in Perl.
//!
//! Values are bytes, not UTF-8: a password in Latin-1 is a password.
//!
//! Deliberate differences, all of them refusals where pptp-linux went on (its script ignores
//! GetOptions' result): an unknown option, a missing value, a stray argument (a password with
//! a space, unquoted: `--password a b`) and `--create` with `--delete` are errors, and nothing
//! is written; `--help` wins over the other options instead of losing to `--create` and
//! `--delete`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub use crate::getopt::CliError;
use crate::getopt::{fail_message, resolve_long};
use getopts::Fail;

use super::secrets::MAXNAMELEN;

/// The program name in messages (pptp-linux prints its `$0`).
pub const PROGRAM: &str = "pptpsetup";

/// Exit code of a refused command line or value: pptp-linux ends with `die` while errno is
/// 0, and Perl's `die` then exits with 255.
pub const EXIT_USAGE: i32 = 255;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `--help`: print [`usage`] and exit 0.
    Help,
    /// `--create`: write the tunnel's files.
    Create(Create),
    /// `--delete TUNNEL`: remove the tunnel's files, with a valid tunnel name.
    Delete(String),
}

/// The values of `--create`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Create {
    /// The tunnel's name, as [`tunnel_name`] accepts it.
    pub tunnel: String,
    /// `--server`: a host name or address, optionally followed by pptp options.
    pub server: String,
    /// `[DOMAIN\]USERNAME`: pppd's `name` and the chap-secrets client.
    pub identity: Vec<u8>,
    /// `--password`; `None` when it was not given or empty, and is to be asked for.
    pub password: Option<Vec<u8>>,
    /// `--encrypt`: add `require-mppe-128`.
    pub encrypt: bool,
    /// `--start`: run `pppd call TUNNEL updetach` afterwards.
    pub start: bool,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// What to do.
    pub command: Command,
    /// Options that were given but have no effect, one line each, ready for stderr.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Create,
    Delete,
    Help,
    Server,
    Domain,
    Username,
    Password,
    Encrypt,
    Start,
}

/// Every name Getopt::Long accepts in full, in pptp-linux's order, with its option.
#[rustfmt::skip]
const NAMES: &[(&str, Opt)] = &[
    ("create", Opt::Create), ("c", Opt::Create),
    ("delete", Opt::Delete),
    ("help", Opt::Help), ("h", Opt::Help),
    ("server", Opt::Server), ("s", Opt::Server),
    ("domain", Opt::Domain), ("d", Opt::Domain),
    ("username", Opt::Username), ("u", Opt::Username),
    ("password", Opt::Password), ("p", Opt::Password),
    ("encrypt", Opt::Encrypt), ("e", Opt::Encrypt),
    ("start", Opt::Start),
];

impl Opt {
    fn name(self) -> &'static str {
        match self {
            Opt::Create => "create",
            Opt::Delete => "delete",
            Opt::Help => "help",
            Opt::Server => "server",
            Opt::Domain => "domain",
            Opt::Username => "username",
            Opt::Password => "password",
            Opt::Encrypt => "encrypt",
            Opt::Start => "start",
        }
    }

    fn takes_value(self) -> bool {
        !matches!(self, Opt::Help | Opt::Encrypt | Opt::Start)
    }
}

/// The options as given, before any check of their values.
#[derive(Default)]
struct Raw {
    create: Option<Vec<u8>>,
    delete: Option<Vec<u8>>,
    server: Option<Vec<u8>>,
    domain: Option<Vec<u8>>,
    username: Option<Vec<u8>>,
    password: Option<Vec<u8>>,
    help: bool,
    encrypt: bool,
    start: bool,
    /// Options in order of first appearance, for the warnings.
    given: Vec<Opt>,
}

impl Raw {
    fn set(&mut self, opt: Opt, value: Option<Vec<u8>>) {
        if !self.given.contains(&opt) {
            self.given.push(opt);
        }
        match opt {
            Opt::Create => self.create = value,
            Opt::Delete => self.delete = value,
            Opt::Server => self.server = value,
            Opt::Domain => self.domain = value,
            Opt::Username => self.username = value,
            Opt::Password => self.password = value,
            Opt::Help => self.help = true,
            Opt::Encrypt => self.encrypt = true,
            Opt::Start => self.start = true,
        }
    }
}

fn usage_error(message: String) -> CliError {
    CliError {
        program: PROGRAM,
        exit_code: EXIT_USAGE,
        message,
    }
}

/// A value for a message: printable, with anything else escaped.
fn shown(value: &[u8]) -> String {
    String::from_utf8_lossy(value).escape_debug().to_string()
}

/// Parses `pptpsetup`'s arguments (without argv\[0\]) and checks every value.
pub fn parse(args: &[OsString]) -> Result<Parsed, CliError> {
    command(walk(args)?)
}

/// Reads the options as Getopt::Long does (see the module documentation).
fn walk(args: &[OsString]) -> Result<Raw, CliError> {
    let mut raw = Raw::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            match rest.next() {
                Some(extra) => return Err(stray(extra.as_bytes())),
                None => break,
            }
        }
        let body = match bytes.strip_prefix(b"--") {
            Some(body) => body,
            None if bytes.len() > 1 && bytes[0] == b'-' => &bytes[1..],
            None => return Err(stray(bytes)),
        };
        let (name, value) = match body.iter().position(|&b| b == b'=') {
            Some(at) => (&body[..at], Some(&body[at + 1..])),
            None => (body, None),
        };
        let opt = resolve(name)?;
        let value = match (opt.takes_value(), value) {
            (true, Some(v)) => Some(v.to_vec()),
            (true, None) => match rest.next() {
                Some(v) => Some(v.as_bytes().to_vec()),
                None => {
                    let fail = Fail::ArgumentMissing(opt.name().into());
                    return Err(usage_error(fail_message(fail)));
                }
            },
            (false, Some(_)) => {
                let fail = Fail::UnexpectedArgument(opt.name().into());
                return Err(usage_error(fail_message(fail)));
            }
            (false, None) => None,
        };
        raw.set(opt, value);
    }
    Ok(raw)
}

fn stray(arg: &[u8]) -> CliError {
    usage_error(format!(
        "unexpected argument '{}' (a value with spaces needs quotes)",
        shown(arg)
    ))
}

/// The option an option name stands for, ignoring case as Getopt::Long does.
fn resolve(name: &[u8]) -> Result<Opt, CliError> {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
    let full = resolve_long(&name, &names).map_err(usage_error)?;
    Ok(NAMES
        .iter()
        .find(|(n, _)| *n == full)
        .map(|(_, opt)| *opt)
        .expect("resolve_long returns one of the names it was given"))
}

fn command(raw: Raw) -> Result<Parsed, CliError> {
    if raw.help {
        return Ok(Parsed {
            command: Command::Help,
            warnings: Vec::new(),
        });
    }
    match (&raw.create, &raw.delete) {
        (Some(_), Some(_)) => Err(usage_error(
            "--create and --delete cannot be used together".into(),
        )),
        // pptp-linux's words when neither action is given.
        (None, None) => Err(usage_error("too few arguments.".into())),
        (Some(tunnel), None) => Ok(Parsed {
            command: Command::Create(create(tunnel, &raw)?),
            warnings: Vec::new(),
        }),
        (None, Some(tunnel)) => Ok(Parsed {
            command: Command::Delete(tunnel_name(tunnel).map_err(usage_error)?),
            warnings: delete_warnings(&raw),
        }),
    }
}

/// The `--create` values, checked in pptp-linux's order: tunnel, server, username.
fn create(tunnel: &[u8], raw: &Raw) -> Result<Create, CliError> {
    let tunnel = tunnel_name(tunnel).map_err(usage_error)?;
    let server = server(raw.server.as_deref()).map_err(usage_error)?;
    let identity = identity(raw.domain.as_deref(), raw.username.as_deref()).map_err(usage_error)?;
    Ok(Create {
        tunnel,
        server,
        identity,
        // pptp-linux asks when the value is false in Perl: missing or empty (and "0", a
        // bug not kept: "0" is a password).
        password: raw.password.clone().filter(|p| !p.is_empty()),
        encrypt: raw.encrypt,
        start: raw.start,
    })
}

fn delete_warnings(raw: &Raw) -> Vec<String> {
    raw.given
        .iter()
        .filter(|o| !matches!(o, Opt::Delete | Opt::Help))
        .map(|o| format!("{PROGRAM}: --{} has no effect with --delete", o.name()))
        .collect()
}

/// Checks a tunnel name; the error completes "invalid tunnel name".
///
/// pptp-linux accepts `^\w+$` (ASCII letters, digits and `_`). We also accept `-` and `.`
/// (`work-vpn`, `vpn.example`), still never a name that leaves `/etc/ppp/peers` or that
/// pppd's `call` refuses (`options.c: callfile()`: no `..` component, no leading `/`): no
/// `/`, no leading `.` (so not `.` or `..`), and no leading `-`, which `pppd call` and
/// `poff` would take for an option. The name is used bare in both files and in `pppd call`,
/// so nothing in it may need quoting. At most 255 bytes: pppd keeps no more of `remotename`.
pub fn tunnel_name(name: &[u8]) -> Result<String, String> {
    let bad = |why: String| Err(format!("invalid tunnel name '{}': {why}", shown(name)));
    if name.is_empty() {
        return Err("invalid tunnel name: it is empty".into());
    }
    if name.contains(&b'/') {
        return bad("a '/' would lead out of /etc/ppp/peers".into());
    }
    if name.starts_with(b".") {
        return bad("it starts with '.' ('.' and '..' lead out of /etc/ppp/peers)".into());
    }
    if name.starts_with(b"-") {
        return bad("it starts with '-', which pppd and poff would take for an option".into());
    }
    if let Some(&b) = name
        .iter()
        .find(|&&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
    {
        return bad(format!(
            "'{}' is not allowed (use letters, digits, '_', '-' and '.')",
            shown(&[b])
        ));
    }
    if name.len() >= MAXNAMELEN {
        return bad(format!(
            "it is {} bytes long, and pppd keeps at most {} of a remotename",
            name.len(),
            MAXNAMELEN - 1
        ));
    }
    Ok(String::from_utf8(name.to_vec()).expect("checked to be ASCII"))
}

/// True for the bytes a `--server` value may have. It is written into the `pty` command,
/// which pppd unquotes with getword() and runs with `/bin/sh -c`, so it may hold only bytes
/// that neither changes: a host name or IPv4 address, and pptp options after it
/// (`vpn.example.com --loglevel 2`, which pptp-linux users rely on).
fn is_server_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" .-_:=,/+@%".contains(&b)
}

/// Checks `--server`; the error completes "invalid server". pptp-linux accepts any
/// non-empty line, and a `"`, `\`, `;`, `$` ... then breaks the `pty` word or runs as shell.
fn server(value: Option<&[u8]>) -> Result<String, String> {
    let Some(value) = value else {
        return Err("invalid server: none given (--server HOST)".into());
    };
    if value.iter().all(|&b| b == b' ') {
        return Err("invalid server: it is empty".into());
    }
    if let Some(&b) = value.iter().find(|&&b| !is_server_byte(b)) {
        return Err(format!(
            "invalid server '{}': '{}' is not allowed: the server goes into the pty command, \
             which pppd unquotes and runs with /bin/sh (use a host name or an IP address, \
             and pptp options after a space)",
            shown(value),
            shown(&[b])
        ));
    }
    Ok(String::from_utf8(value.to_vec()).expect("checked to be ASCII"))
}

/// `[DOMAIN\]USERNAME` from `--domain` and `--username`; the error completes "invalid
/// username".
///
/// One backslash separates the two, as pppd's MS-CHAP code expects (`chap_ms.c` strips the
/// domain at the last `\`); pptp-linux wrote it unescaped, so pppd read no backslash at all.
/// An empty `--domain` means none, as in pptp-linux.
fn identity(domain: Option<&[u8]>, user: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let user = match user {
        None => return Err("invalid username: none given (--username USER)".into()),
        Some([]) => return Err("invalid username: it is empty".into()),
        Some(user) => user,
    };
    let mut identity = Vec::new();
    if let Some(domain) = domain.filter(|d| !d.is_empty()) {
        identity.extend_from_slice(domain);
        identity.push(b'\\');
    }
    identity.extend_from_slice(user);
    if identity.contains(&0) {
        return Err("invalid username: it contains a NUL byte".into());
    }
    if identity.len() >= MAXNAMELEN {
        return Err(format!(
            "invalid username: '{}' is {} bytes long, and pppd keeps at most {} of a name",
            shown(&identity),
            identity.len(),
            MAXNAMELEN - 1
        ));
    }
    Ok(identity)
}

/// The `--help` text.
pub fn usage() -> &'static str {
    "Usage:
  pptpsetup --create TUNNEL --server SERVER [--domain DOMAIN]
            --username USERNAME [--password PASSWORD]
            [--encrypt] [--start]
  pptpsetup --delete TUNNEL
  pptpsetup --help

Options:
  -c, --create TUNNEL      write /etc/ppp/peers/TUNNEL and the tunnel's line
                           in /etc/ppp/chap-secrets
  -s, --server SERVER      the server's host name or IP address
  -d, --domain DOMAIN      the authentication domain (the name is DOMAIN\\USERNAME)
  -u, --username USERNAME  the user name
  -p, --password PASSWORD  the password; asked for, without echo, when not given
  -e, --encrypt            require MPPE-128 encryption
      --start              connect once written: pppd call TUNNEL updetach
      --delete TUNNEL      remove /etc/ppp/peers/TUNNEL and the tunnel's lines
                           in /etc/ppp/chap-secrets
  -h, --help               print this help and exit

A tunnel name has letters, digits, '_', '-' and '.'. Options may be abbreviated to
any unambiguous prefix, and one '-' works like two.
"
}

#[cfg(test)]
mod tests;
