//! `/etc/pptpd.conf`, merged with the command line (reference-behaviour.md §2.2, §2.3).
//!
//! The syntax is poptop's (`configfile.c: read_config_file()`): one directive per line, a
//! case-sensitive keyword, blanks, then the value (the rest of the line, trailing blanks
//! trimmed); `#` starts a comment line; the **first** occurrence of a keyword wins. Address
//! lists follow `pptpd.c: processIPStr()`. Where poptop is silent or fragile we differ on
//! purpose, and each difference is documented where it is made:
//! - every problem is reported with `file:line`: unknown keywords, ignored values and
//!   duplicates become warnings, bad values become errors (poptop ignored the first three and
//!   replaced some bad values with defaults);
//! - a directive may be indented (poptop skipped the line, logging "Config file line starts
//!   with a space"), and ` #` after the value starts a comment (poptop made it part of the
//!   value);
//! - lines of any length are read (poptop skipped lines of 510 bytes or more);
//! - the command line overrides the file for every setting (poptop let the file's
//!   `connections` override `-C`, and never read the file's `stimeout`);
//! - address lists also take the full range form `a.b.c.d-a.b.c.e`.
//!
//! [`parse_str`] is the pure parser: it checks the syntax of every value but touches
//! neither the file system nor the resolver. [`load`] reads the file, merges it with the
//! command line, resolves host names and checks the files the settings name.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::unistd::{AccessFlags, access};

use super::cli::ServerOptions;
use crate::getopt::int_in;

pub use super::access::rate::Rate;
use super::addrs::check_host;
pub use limits::SingleSession;

mod limits;
pub use super::addrs::{IpItem, MAX_RANGE_LEN, parse_ip_list};
use super::addrs::{expand, resolve_ipv4};

mod dae;
pub use dae::{DaeSettings, FileDae, default_dae_clients};

/// The config file read without `-c` (poptop `PPTPD_CONFIG_FILE_DEFAULT`).
pub const DEFAULT_CONF_FILE: &str = "/etc/pptpd.conf";
/// Default `pidfile` (poptop `PIDFILE_DEFAULT`).
pub const DEFAULT_PIDFILE: &str = "/var/run/pptpd.pid";
/// Default `ppp` (poptop `PPP_BINARY` on Linux).
pub const DEFAULT_PPP: &str = "/usr/sbin/pppd";
/// Default `speed`, passed to pppd verbatim (poptop `PPP_SPEED_DEFAULT`).
pub const DEFAULT_SPEED: &str = "115200";
/// Default `control-socket`: under /run, which systemd and the boot clear.
pub const DEFAULT_CONTROL_SOCKET: &str = "/run/pptpd/control";
/// Default `connections` (poptop `CONNECTIONS_DEFAULT`).
pub const DEFAULT_CONNECTIONS: usize = 100;
/// Default `stimeout` (poptop `STIMEOUT_DEFAULT`).
pub const DEFAULT_STIMEOUT: Duration = Duration::from_secs(10);
/// `localip` when the file has none (poptop `DEFAULT_LOCAL_IP_LIST`).
pub const DEFAULT_LOCAL_IPS: &str = "192.168.0.1-100";
/// `remoteip` when the file has none (poptop `DEFAULT_REMOTE_IP_LIST`).
pub const DEFAULT_REMOTE_IPS: &str = "192.168.1.1-100";
/// Upper bound of `connections` and `stimeout`, an `int` in poptop.
const INT_MAX: i64 = i32::MAX as i64;

/// The merged settings of the config file and the command line, with defaults filled in,
/// host names resolved and the named files checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// `option`/`-o`: the pppd options file, given to pppd as `file <path>`.
    pub option_file: Option<PathBuf>,
    /// `debug`/`-d`.
    pub debug: bool,
    /// `stimeout`/`-t`: how long a new connection may stay silent.
    pub stimeout: Duration,
    /// `noipparam`/`-i`: no `ipparam <client>` for pppd.
    pub noipparam: bool,
    /// `logwtmp`/`-w`: record sessions in utmp and wtmp (from pppd's hooks).
    pub logwtmp: bool,
    /// `bcrelay`/`-b`: the LAN interface whose broadcasts bcrelay relays to the tunnels.
    pub bcrelay: Option<String>,
    /// `vrf`/`--vrf`: the VRF the listener and the GRE socket are bound to.
    pub vrf: Option<String>,
    /// `delegate`/`-D`: pppd assigns the addresses; the address lists are then empty.
    pub delegate: bool,
    /// `connections`/`-C`: the most simultaneous clients, before the address lists reduce
    /// it (`pool::AddressPool::new` does that).
    pub connections: usize,
    /// `localip`, expanded: our end of each tunnel. Empty with `delegate`.
    pub local_ips: Vec<Ipv4Addr>,
    /// `remoteip`, expanded, without duplicates: the client's end. Empty with `delegate`.
    pub remote_ips: Vec<Ipv4Addr>,
    /// `listen`/`-l`, resolved; `None` listens on every address.
    pub listen: Option<Ipv4Addr>,
    /// `pidfile`/`-p`.
    pub pidfile: PathBuf,
    /// `speed`/`-s`: pppd's speed argument, verbatim.
    pub speed: String,
    /// `ppp`/`-e`: the pppd binary, checked to be executable.
    pub ppp: PathBuf,
    /// `control-socket PATH`: where `pptpctl` and pppd's hooks reach the server; None
    /// (`control-socket none`) has none.
    pub control_socket: Option<PathBuf>,
    /// `metrics ADDRESS:PORT`: where Prometheus scrapes `/metrics`; off by default.
    pub metrics: Option<std::net::SocketAddr>,
    /// `dae-server ADDRESS:PORT SECRET` and the other `dae-*` directives: the RFC 5176
    /// Disconnect-Request listener; off by default.
    pub dae: Option<DaeSettings>,
    /// `hosts-allow PATH`: the hosts_access(5) allow table; None (`none`) reads none.
    pub hosts_allow: Option<PathBuf>,
    /// `hosts-deny PATH`: the deny table; None (`none`) reads none.
    pub hosts_deny: Option<PathBuf>,
    /// `connections-per-source N`: the most open connections from one address.
    pub connections_per_source: Option<usize>,
    /// `connect-rate N/SECONDS`: the most new connections from one address in a while.
    pub connect_rate: Option<Rate>,
    /// `single-session deny|replace`: a user's second session is ended, or the first.
    pub single_session: Option<SingleSession>,
    /// The config file that was read (or that was missing, for the default one).
    pub conf_file: PathBuf,
}

/// A value from the config file with the line it came from, for later error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The parsed value.
    pub value: T,
    /// Its line in the file, from 1.
    pub line: usize,
}

/// What a config file says: `None`/`false` for what it does not set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSettings {
    /// `option FILE`.
    pub option: Option<Located<PathBuf>>,
    /// `debug`.
    pub debug: bool,
    /// `stimeout SECONDS`.
    pub stimeout: Option<Duration>,
    /// `noipparam`.
    pub noipparam: bool,
    /// `logwtmp`.
    pub logwtmp: bool,
    /// `bcrelay IF`.
    pub bcrelay: Option<String>,
    /// `delegate`.
    pub delegate: bool,
    /// `connections N`.
    pub connections: Option<usize>,
    /// `localip LIST`.
    pub localip: Option<Located<Vec<IpItem>>>,
    /// `remoteip LIST`.
    pub remoteip: Option<Located<Vec<IpItem>>>,
    /// `listen ADDR`: a dotted quad or a host name, checked for shape only.
    pub listen: Option<Located<String>>,
    /// `pidfile FILE`.
    pub pidfile: Option<PathBuf>,
    /// `speed SPEED`.
    pub speed: Option<String>,
    /// `ppp PATH`.
    pub ppp: Option<Located<PathBuf>>,
    /// `vrf NAME`.
    pub vrf: Option<String>,
    /// `control-socket PATH` (`none`: Some(None)).
    pub control_socket: Option<Option<PathBuf>>,
    /// `metrics ADDRESS:PORT`.
    pub metrics: Option<std::net::SocketAddr>,
    /// The `dae-*` directives.
    pub dae: FileDae,
    /// `hosts-allow PATH` (`none`: Some(None)).
    pub hosts_allow: Option<Option<PathBuf>>,
    /// `hosts-deny PATH` (`none`: Some(None)).
    pub hosts_deny: Option<Option<PathBuf>>,
    /// `connections-per-source N`.
    pub connections_per_source: Option<usize>,
    /// `connect-rate N/SECONDS`.
    pub connect_rate: Option<Rate>,
    /// `single-session deny|replace`.
    pub single_session: Option<SingleSession>,
}

/// Why the configuration was refused: where (file and line, when the problem is in a file)
/// and what. Every such failure made poptop exit 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file, or `None` for a command-line value.
    pub file: Option<PathBuf>,
    /// The line in [`file`](Self::file), from 1, when one line is to blame.
    pub line: Option<usize>,
    /// What is wrong; without a program-name or location prefix.
    pub message: String,
}

impl ConfigError {
    fn at(file: &Path, line: usize, message: String) -> ConfigError {
        ConfigError {
            file: Some(file.to_owned()),
            line: Some(line),
            message,
        }
    }

    fn in_file(file: &Path, message: String) -> ConfigError {
        ConfigError {
            file: Some(file.to_owned()),
            line: None,
            message,
        }
    }

    fn cli(option: &str, message: String) -> ConfigError {
        ConfigError {
            file: None,
            line: None,
            message: format!("--{option}: {message}"),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pptpd: ")?;
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
            if let Some(line) = self.line {
                write!(f, "{line}:")?;
            }
            f.write_str(" ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Whether a keyword is a flag or takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Value,
}

/// poptop's keywords (`defaults.h`), `vrf` included although Debian's build lacks it.
#[rustfmt::skip]
const KEYWORDS: &[(&str, Kind)] = &[
    ("option", Kind::Value), ("debug", Kind::Flag), ("stimeout", Kind::Value),
    ("noipparam", Kind::Flag), ("logwtmp", Kind::Flag), ("bcrelay", Kind::Value),
    ("delegate", Kind::Flag), ("connections", Kind::Value), ("localip", Kind::Value),
    ("remoteip", Kind::Value), ("listen", Kind::Value), ("pidfile", Kind::Value),
    ("speed", Kind::Value), ("ppp", Kind::Value), ("vrf", Kind::Value),
    // pptp-rs's own.
    ("control-socket", Kind::Value), ("metrics", Kind::Value),
    (dae::KEYWORDS[0], Kind::Value), (dae::KEYWORDS[1], Kind::Value),
    (dae::KEYWORDS[2], Kind::Value), (dae::KEYWORDS[3], Kind::Value),
    (dae::KEYWORDS[4], Kind::Value),
    ("hosts-allow", Kind::Value), ("hosts-deny", Kind::Value),
    ("connections-per-source", Kind::Value), ("connect-rate", Kind::Value),
    ("single-session", Kind::Value),
];

/// Parses the text of a config file; `file` only names it in messages. Returns the
/// settings and the warnings (one line each, ready to log). Nothing is resolved or opened.
pub fn parse_str(text: &str, file: &Path) -> Result<(FileSettings, Vec<String>), ConfigError> {
    let mut parser = Parser {
        file,
        settings: FileSettings::default(),
        warnings: Vec::new(),
        seen: HashMap::new(),
        comment_warned: false,
    };
    // lines() also drops a "\r" before the "\n": poptop trimmed only blanks and tabs, so a
    // file edited on Windows ended every value in "\r" and no path in it existed.
    for (i, line) in text.lines().enumerate() {
        parser.line(i + 1, line)?;
    }
    Ok((parser.settings, parser.warnings))
}

struct Parser<'a> {
    file: &'a Path,
    settings: FileSettings,
    warnings: Vec<String>,
    /// Keyword → line of its first occurrence.
    seen: HashMap<&'static str, usize>,
    comment_warned: bool,
}

impl Parser<'_> {
    fn warn(&mut self, line: usize, message: String) {
        self.warnings
            .push(format!("pptpd: {}:{line}: {message}", self.file.display()));
    }

    fn line(&mut self, n: usize, raw: &str) -> Result<(), ConfigError> {
        // Deliberate difference: leading blanks are accepted silently. poptop skipped an
        // indented line with "Config file line starts with a space", so an indented
        // `localip` silently did not apply; an indented `#` line is a comment in both.
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let (value, comment) = split_comment(rest);
        let Some(&(name, kind)) = KEYWORDS.iter().find(|(k, _)| *k == keyword) else {
            // poptop ignored unknown keywords without a word, typos included.
            let hint = KEYWORDS
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(keyword))
                .map(|(k, _)| format!(" (keywords are case-sensitive: did you mean '{k}'?)"))
                .unwrap_or_default();
            self.warn(n, format!("unknown keyword '{keyword}' ignored{hint}"));
            return Ok(());
        };
        if let Some(&first) = self.seen.get(name) {
            // poptop rescans the file for each keyword and stops at the first match; the
            // later line is never read, so it is not checked either.
            self.warn(
                n,
                format!("'{name}' repeated: ignored, the one on line {first} applies"),
            );
            return Ok(());
        }
        self.seen.insert(name, n);
        if kind == Kind::Flag {
            if !value.is_empty() {
                self.warn(n, format!("'{name}' takes no value: '{value}' ignored"));
            }
            self.set_flag(name);
            return Ok(());
        }
        if let Some(comment) = comment
            && !self.comment_warned
        {
            self.comment_warned = true;
            self.warn(
                n,
                format!(
                    "'{comment}' read as a comment; poptop made it part of the value \
                     (warned once per file)"
                ),
            );
        }
        if value.is_empty() {
            return Err(ConfigError::at(
                self.file,
                n,
                format!("'{name}' needs a value"),
            ));
        }
        self.set_value(name, value, n)
    }

    fn set_flag(&mut self, name: &str) {
        let s = &mut self.settings;
        match name {
            "debug" => s.debug = true,
            "noipparam" => s.noipparam = true,
            "logwtmp" => s.logwtmp = true,
            _ => s.delegate = true,
        }
    }

    fn set_value(&mut self, name: &str, value: &str, line: usize) -> Result<(), ConfigError> {
        let file = self.file;
        let bad = |why: String| ConfigError::at(file, line, why);
        // Deliberate difference: poptop turned `connections 0` (or any atoi() failure) into
        // 100 without a word, and never read `stimeout` at all.
        let positive = |what: &str| {
            int_in(value, 1..=INT_MAX).map_err(|why| bad(format!("bad {what}: {why}")))
        };
        let ip_list = || {
            let items =
                parse_ip_list(value).map_err(|(item, why)| bad(bad_item(name, &item, &why)))?;
            Ok::<_, ConfigError>(Some(Located { value: items, line }))
        };
        if dae::KEYWORDS.contains(&name) {
            let mut warnings = Vec::new();
            dae::set(&mut self.settings.dae, name, value, line, &mut |w| {
                warnings.push(w)
            })
            .map_err(bad)?;
            warnings.into_iter().for_each(|w| self.warn(line, w));
            return Ok(());
        }
        let s = &mut self.settings;
        match name {
            "option" => {
                s.option = Some(Located {
                    value: value.into(),
                    line,
                })
            }
            "stimeout" => s.stimeout = Some(Duration::from_secs(positive("stimeout")? as u64)),
            "bcrelay" => s.bcrelay = Some(value.to_owned()),
            // Lossless: positive() caps the value at i32::MAX.
            "connections" => s.connections = Some(positive("connections")? as usize),
            "localip" => s.localip = ip_list()?,
            "remoteip" => s.remoteip = ip_list()?,
            "listen" => {
                check_host(value)
                    .map_err(|why| bad(format!("bad listen address '{value}': {why}")))?;
                s.listen = Some(Located {
                    value: value.to_owned(),
                    line,
                });
            }
            "pidfile" => s.pidfile = Some(value.into()),
            "speed" => s.speed = Some(value.to_owned()),
            "ppp" => {
                s.ppp = Some(Located {
                    value: value.into(),
                    line,
                })
            }
            "vrf" => s.vrf = Some(value.to_owned()),
            "metrics" => {
                s.metrics = Some(value.parse().map_err(|_| {
                    bad(format!(
                        "bad metrics '{value}': ADDRESS:PORT, e.g. 127.0.0.1:9723"
                    ))
                })?)
            }
            "hosts-allow" => s.hosts_allow = Some(limits::path_or_none(name, value).map_err(bad)?),
            "hosts-deny" => s.hosts_deny = Some(limits::path_or_none(name, value).map_err(bad)?),
            "connections-per-source" => {
                s.connections_per_source = Some(positive("connections-per-source")? as usize)
            }
            "connect-rate" => s.connect_rate = Some(limits::rate(value).map_err(bad)?),
            "single-session" => {
                s.single_session = Some(limits::single_session(value).map_err(bad)?)
            }
            _ => {
                if !value.starts_with('/') && value != "none" {
                    return Err(bad(format!(
                        "bad control-socket '{value}': an absolute path, or none"
                    )));
                }
                s.control_socket = Some((value != "none").then(|| value.into()));
            }
        }
        Ok(())
    }
}

/// Splits `rest` (what follows the keyword) at the first `#` that follows a blank, and
/// returns the value before it and the comment.
///
/// Deliberate difference: poptop has comment lines only, so `localip 10.0.0.1 # office`
/// made "10.0.0.1 # office" the value and failed. A `#` with no blank before it stays in the
/// value, so a path like `/etc/ppp/options#2` is read as poptop read it.
fn split_comment(rest: &str) -> (&str, Option<&str>) {
    let mut prev_blank = true;
    for (at, c) in rest.char_indices() {
        if c == '#' && prev_blank {
            return (rest[..at].trim(), Some(rest[at..].trim_end()));
        }
        prev_blank = c.is_whitespace();
    }
    (rest.trim(), None)
}

fn bad_item(keyword: &str, item: &str, why: &str) -> String {
    format!("bad {keyword} item '{item}': {why}")
}

/// Reads the config file (`-c`, else `/etc/pptpd.conf`), merges it with the command line,
/// resolves host names and checks the pppd binary and options file. Returns the
/// configuration and the warnings (one line each, ready to log).
///
/// The default file may be missing: poptop then runs on built-in defaults, and so do we,
/// with a warning. A missing `-c` file, or a default file that exists but cannot be read, is
/// an error (poptop treated an unreadable default file as missing).
pub fn load(opts: &ServerOptions) -> Result<(ServerConfig, Vec<String>), ConfigError> {
    load_with(opts, Path::new(DEFAULT_CONF_FILE), &resolve_ipv4, true)
}

type Resolver<'a> = &'a dyn Fn(&str) -> Result<Ipv4Addr, String>;

/// [`load`] with the default file, the resolver and the file checks of the caller's choosing.
fn load_with(
    opts: &ServerOptions,
    default_conf: &Path,
    resolve: Resolver<'_>,
    check: bool,
) -> Result<(ServerConfig, Vec<String>), ConfigError> {
    let conf_file = opts.conf.clone().unwrap_or_else(|| default_conf.to_owned());
    let mut warnings = Vec::new();
    let file = match std::fs::read(&conf_file) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|e| ConfigError::in_file(&conf_file, format!("not valid UTF-8: {e}")))?;
            let (file, file_warnings) = parse_str(&text, &conf_file)?;
            warnings.extend(file_warnings);
            file
        }
        Err(e) if opts.conf.is_none() && e.kind() == io::ErrorKind::NotFound => {
            warnings.push(format!(
                "pptpd: {}: {e}; using the built-in defaults",
                conf_file.display()
            ));
            FileSettings::default()
        }
        Err(e) => {
            return Err(ConfigError::in_file(
                &conf_file,
                format!("cannot read the config file: {e}"),
            ));
        }
    };
    let origin = |cli: bool, line: Option<usize>, option: &'static str| match (cli, line) {
        (true, _) => Origin::Cli(option),
        (false, Some(line)) => Origin::File(line),
        (false, None) => Origin::Default,
    };
    let ppp_origin = origin(opts.ppp.is_some(), file.ppp.as_ref().map(|p| p.line), "ppp");
    let option_origin = origin(
        opts.option.is_some(),
        file.option.as_ref().map(|o| o.line),
        "option",
    );
    let config = merge(opts, file, conf_file, resolve, &mut warnings)?;
    if check && config.dae.is_some() {
        warnings.extend(dae::secret_exposure(&config.conf_file));
    }
    if check {
        let blame = |origin: Origin, why: String| match origin {
            Origin::Cli(option) => ConfigError::cli(option, why),
            Origin::File(line) => ConfigError::at(&config.conf_file, line, why),
            Origin::Default => ConfigError {
                file: None,
                line: None,
                message: why,
            },
        };
        // poptop's last start-up checks, both exit 1: pppd must pass access(X_OK) and the
        // options file access(R_OK). Directories pass access() and fail in pppd, so we
        // refuse them too.
        check_access(&config.ppp, AccessFlags::X_OK, "PPP binary", "executable")
            .map_err(|why| blame(ppp_origin, why))?;
        if let Some(option_file) = &config.option_file {
            check_access(
                option_file,
                AccessFlags::R_OK,
                "PPP options file",
                "readable",
            )
            .map_err(|why| blame(option_origin, why))?;
        }
    }
    Ok((config, warnings))
}

/// Where a checked path came from, to blame the right place when the check fails.
enum Origin {
    Cli(&'static str),
    File(usize),
    Default,
}

/// The command line over the file over the defaults.
fn merge(
    opts: &ServerOptions,
    file: FileSettings,
    conf_file: PathBuf,
    resolve: Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<ServerConfig, ConfigError> {
    let delegate = opts.delegate || file.delegate;
    let (local_ips, remote_ips) = if delegate {
        // poptop does not even parse the lists in delegate mode (pptpd.conf: "These options
        // are ignored if delegate option is set"); we checked their syntax, nothing more.
        if file.localip.is_some() || file.remoteip.is_some() {
            warnings.push(
                "pptpd: localip and remoteip are ignored with delegate: pppd assigns the \
                 addresses"
                    .to_owned(),
            );
        }
        (Vec::new(), Vec::new())
    } else {
        // Remote first, as poptop, so that the same error comes first.
        let remote = ip_list(
            file.remoteip,
            DEFAULT_REMOTE_IPS,
            "remoteip",
            &conf_file,
            resolve,
        )?;
        let local = ip_list(
            file.localip,
            DEFAULT_LOCAL_IPS,
            "localip",
            &conf_file,
            resolve,
        )?;
        (local.0, check_unique_remotes(remote, &conf_file)?)
    };
    let listen = match (&opts.listen, file.listen) {
        (Some(host), _) => Some(resolve(host).map_err(|why| {
            ConfigError::cli(
                "listen",
                format!("invalid listening address '{host}': {why}"),
            )
        })?),
        (None, Some(Located { value, line })) => Some(resolve(&value).map_err(|why| {
            ConfigError::at(
                &conf_file,
                line,
                format!("bad listen address '{value}': {why}"),
            )
        })?),
        (None, None) => None,
    };
    let config = ServerConfig {
        option_file: opts.option.clone().or(file.option.map(|o| o.value)),
        debug: opts.debug || file.debug,
        // Deliberate fix: poptop never reads the file's stimeout (its guard tests a
        // variable initialised to 10, pptpd.c :66/:322, reference §2.2).
        stimeout: opts.stimeout.or(file.stimeout).unwrap_or(DEFAULT_STIMEOUT),
        noipparam: opts.noipparam || file.noipparam,
        logwtmp: opts.logwtmp || file.logwtmp,
        bcrelay: opts.bcrelay.clone().or(file.bcrelay),
        vrf: opts.vrf.clone().or(file.vrf),
        delegate,
        // Deliberate fix: poptop reads the file's connections unconditionally, so the file
        // overrode -C (pptpd.c :306-310, reference §2.2). Here -C wins like every option.
        connections: opts
            .connections
            .or(file.connections)
            .unwrap_or(DEFAULT_CONNECTIONS),
        local_ips,
        remote_ips,
        listen,
        pidfile: opts
            .pidfile
            .clone()
            .or(file.pidfile)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PIDFILE)),
        speed: opts
            .speed
            .clone()
            .or(file.speed)
            .unwrap_or_else(|| DEFAULT_SPEED.to_owned()),
        ppp: opts
            .ppp
            .clone()
            .or(file.ppp.map(|p| p.value))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PPP)),
        metrics: file.metrics,
        dae: dae::merge(file.dae, warnings),
        control_socket: file
            .control_socket
            .unwrap_or_else(|| Some(PathBuf::from(DEFAULT_CONTROL_SOCKET))),
        hosts_allow: file
            .hosts_allow
            .unwrap_or_else(|| Some(PathBuf::from(crate::server::access::files::DEFAULT_ALLOW))),
        hosts_deny: file
            .hosts_deny
            .unwrap_or_else(|| Some(PathBuf::from(crate::server::access::files::DEFAULT_DENY))),
        connections_per_source: file.connections_per_source,
        connect_rate: file.connect_rate,
        single_session: file.single_session,
        conf_file,
    };
    needs_sessions(&config)?;
    Ok(config)
}

/// pppd's ip-up and ip-down hooks report each session (user, interface) through the
/// control socket: what acts on sessions cannot work without it, and is refused rather
/// than silently doing nothing.
fn needs_sessions(config: &ServerConfig) -> Result<(), ConfigError> {
    if config.control_socket.is_some() {
        return Ok(());
    }
    let needing = [
        (config.logwtmp, "logwtmp (-w)"),
        (config.single_session.is_some(), "single-session"),
    ];
    match needing.iter().find(|(on, _)| *on) {
        Some((_, what)) => Err(ConfigError::in_file(
            &config.conf_file,
            format!(
                "{what} needs the control socket, through which pppd's ip-up and ip-down hooks report each session: remove 'control-socket none' or {what}"
            ),
        )),
        None => Ok(()),
    }
}

/// Expands a list from the file, or the default list, resolving host names. Returns the
/// addresses and the line of the list (0 for the default, which never fails).
fn ip_list(
    list: Option<Located<Vec<IpItem>>>,
    default: &str,
    keyword: &str,
    conf_file: &Path,
    resolve: Resolver<'_>,
) -> Result<(Vec<Ipv4Addr>, usize), ConfigError> {
    let (items, line) = match list {
        Some(Located { value, line }) => (value, line),
        // The defaults are numeric ranges: they parse, and nothing in them is resolved.
        None => (parse_ip_list(default).unwrap_or_default(), 0),
    };
    let addrs = expand(&items, resolve)
        .map_err(|(item, why)| ConfigError::at(conf_file, line, bad_item(keyword, &item, &why)))?;
    Ok((addrs, line))
}

/// A remote address listed twice would be handed to two clients at once (Debian patch
/// `check-for-remote-ip-duplicates`, which made poptop exit 1). Local duplicates are fine:
/// one local address for every tunnel is the usual setup.
fn check_unique_remotes(
    (remotes, line): (Vec<Ipv4Addr>, usize),
    conf_file: &Path,
) -> Result<Vec<Ipv4Addr>, ConfigError> {
    let mut seen = HashSet::with_capacity(remotes.len());
    match remotes.iter().find(|a| !seen.insert(**a)) {
        Some(dup) => Err(ConfigError::at(
            conf_file,
            line,
            format!("remoteip lists {dup} more than once; each client needs its own address"),
        )),
        None => Ok(remotes),
    }
}

fn check_access(path: &Path, mode: AccessFlags, what: &str, adjective: &str) -> Result<(), String> {
    let failed = |why: String| format!("{what} {} is not {adjective}: {why}", path.display());
    access(path, mode).map_err(|e| failed(io::Error::from(e).to_string()))?;
    if path.is_dir() {
        return Err(failed("it is a directory".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
