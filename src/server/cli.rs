//! The `pptpd` command line (reference-behaviour.md §2.2).
//!
//! poptop's options, short and long (`getopt_long` string `"b:c:de:fhil:o:p:s:t:vwC:D"`),
//! plus `--vrf`/`-V`, which poptop has only in VRF builds. getopts does the splitting,
//! including bundled flags (`-fd`) and attached values (`-ofile`); a pre-pass adds the GNU
//! rules it lacks, as in the client's command line: unambiguous long prefixes (`--conn 5`)
//! and GNU's wording for unknown options. Every option is `optmulti`/`optflagmulti` and the
//! last occurrence wins, as with getopt_long.
//!
//! Every setting is an `Option` (or a flag) that stays `None` when not given, so that
//! `config::load` can let the command line override `/etc/pptpd.conf` option by option.
//!
//! Parsing is pure: no printing, no exiting and no name resolution (a `--listen` host name is
//! checked for shape here and resolved by `config::load`). A failure is a [`CliError`]
//! carrying the exit code: [`EXIT_USAGE`] where poptop shows its usage and exits 1,
//! [`EXIT_BAD_VALUE`] for values poptop would have taken blindly through `atoi()`.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// The program name in messages.
const PROGRAM: &str = "pptpd";

pub use crate::getopt::{CliError, EXIT_BAD_VALUE, EXIT_USAGE};
use crate::getopt::{fail_message, resolve_long};
use getopts::{Fail, Matches, Options};

use super::config;

// A bad value exits 2 (EXIT_BAD_VALUE). poptop has no such case: it reads `-C` and `-t`
// with `atoi()`, so `-C abc` is 0 connections and `-t -1` a negative timeout; 2 is the
// client's code for the same failure (pptp-linux `exit(2)`).

/// Upper bound of the integer options, which poptop reads with `atoi()` into an `int`.
const INT_MAX: u64 = i32::MAX as u64;

/// Everything the `pptpd` command line says. `None` and `false` mean "not given", so that
/// the config file can fill the setting in; [`Default`] is the empty command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// `-b`/`--bcrelay IF`: relay broadcasts from this interface (not supported yet).
    pub bcrelay: Option<String>,
    /// `-c`/`--conf FILE`: the config file instead of `/etc/pptpd.conf`.
    pub conf: Option<PathBuf>,
    /// `-d`/`--debug`: debug logging.
    pub debug: bool,
    /// `-e`/`--ppp PATH`: the pppd binary.
    pub ppp: Option<PathBuf>,
    /// `-f`/`--fg`: stay in the foreground instead of daemonising.
    pub fg: bool,
    /// `-h`/`--help`: print [`usage`] and exit 0.
    pub help: bool,
    /// `-i`/`--noipparam`: do not pass the client's address to pppd as `ipparam`.
    pub noipparam: bool,
    /// `-l`/`--listen ADDR`: the address to listen on, a dotted quad or a host name, checked
    /// for shape only; `config::load` resolves it.
    pub listen: Option<String>,
    /// `-o`/`--option FILE`: the pppd options file (`file FILE` on pppd's command line).
    pub option: Option<PathBuf>,
    /// `-p`/`--pidfile FILE`: where the process ID is written.
    pub pidfile: Option<PathBuf>,
    /// `-s`/`--speed SPEED`: the speed argument given to pppd, verbatim.
    pub speed: Option<String>,
    /// `-t`/`--stimeout SECONDS`: how long a new connection may stay silent before its
    /// Start-Control-Connection-Request.
    pub stimeout: Option<Duration>,
    /// `-v`/`--version`: print the version and exit 0.
    pub version: bool,
    /// `-w`/`--logwtmp`: have pppd record logins in wtmp (the pptpd-logwtmp plugin).
    pub logwtmp: bool,
    /// `-C`/`--connections N`: the most simultaneous clients.
    pub connections: Option<usize>,
    /// `-D`/`--delegate`: pppd (chap-secrets, RADIUS) assigns the addresses, not pptpd.
    pub delegate: bool,
    /// `--vrf NAME` (or `-V NAME`): the VRF for the listener and GRE (not supported yet).
    pub vrf: Option<String>,
}

fn usage_error(message: String) -> CliError {
    CliError::usage(PROGRAM, message)
}

fn bad_value(message: String) -> CliError {
    CliError::bad_value(PROGRAM, message)
}

/// One option: short letter, long name, the name of its argument in [`usage`] (`None` for
/// a flag) and a one-line description.
struct Spec {
    short: char,
    name: &'static str,
    arg: Option<&'static str>,
    help: &'static str,
}

const fn flag(short: char, name: &'static str, help: &'static str) -> Spec {
    Spec {
        short,
        name,
        arg: None,
        help,
    }
}

const fn opt(short: char, name: &'static str, arg: &'static str, help: &'static str) -> Spec {
    Spec {
        short,
        name,
        arg: Some(arg),
        help,
    }
}

/// Every option, in poptop's `showusage()` order. Prefix matching, the short-option walk,
/// getopts and the usage text all read this one table, so they cannot disagree.
#[rustfmt::skip]
const SPECS: &[Spec] = &[
    opt('b', "bcrelay", "IF", "Relay broadcasts from IF (not supported yet)"),
    opt('c', "conf", "FILE", "Config file (default /etc/pptpd.conf)"),
    flag('d', "debug", "Log debugging messages"),
    opt('e', "ppp", "PATH", "pppd binary (default /usr/sbin/pppd)"),
    flag('f', "fg", "Run in the foreground"),
    flag('h', "help", "Print this help and exit"),
    flag('i', "noipparam", "Do not give pppd the client's address as ipparam"),
    opt('l', "listen", "ADDR", "Listen on this IPv4 address or host (default: all)"),
    opt('o', "option", "FILE", "pppd options file (default: pppd's /etc/ppp/options)"),
    opt('p', "pidfile", "FILE", "Process ID file (default /var/run/pptpd.pid)"),
    opt('s', "speed", "SPEED", "Speed argument for pppd (default 115200)"),
    opt('t', "stimeout", "SECONDS", "Wait for a new client's first packet (default 10)"),
    flag('v', "version", "Print the version and exit"),
    flag('w', "logwtmp", "Record client logins in wtmp (pptpd-logwtmp plugin)"),
    opt('C', "connections", "N", "At most N simultaneous clients (default 100)"),
    flag('D', "delegate", "pppd assigns client addresses (RADIUS, chap-secrets)"),
    opt('V', "vrf", "NAME", "Listen and send GRE in VRF NAME (not supported yet)"),
];

/// Parses `pptpd`'s arguments (without argv\[0\]).
///
/// Deliberate difference: positional arguments are a usage error. poptop never looks at them
/// (`getopt_long` leaves them at the end of argv), so `pptpd -c /etc/pptpd.conf.new extra`
/// or a stray word from `DAEMON_OPTS` passed silently.
pub fn parse(args: &[String]) -> Result<ServerOptions, CliError> {
    let Prepass { args, exit_first } = prepass(args)?;
    let mut table = Options::new();
    for spec in SPECS {
        let short = spec.short.to_string();
        match spec.arg {
            Some(hint) => table.optmulti(&short, spec.name, spec.help, hint),
            None => table.optflagmulti(&short, spec.name, spec.help),
        };
    }
    let m = table.parse(&args).map_err(from_fail)?;
    if let Some(extra) = m.free.first() {
        return Err(usage_error(format!(
            "unexpected argument '{extra}': pptpd takes options only"
        )));
    }
    // poptop acts on whichever of -h and -v comes first (showusage() or showversion(), then
    // return 0), so only that one is reported.
    let help = exit_first == Some("help");
    let version = exit_first == Some("version");
    Ok(ServerOptions {
        bcrelay: text(&m, "bcrelay")?,
        conf: text(&m, "conf")?.map(PathBuf::from),
        debug: m.opt_present("debug"),
        ppp: text(&m, "ppp")?.map(PathBuf::from),
        fg: m.opt_present("fg"),
        help,
        version,
        noipparam: m.opt_present("noipparam"),
        listen: text(&m, "listen")?
            .map(|v| match config::check_host(&v) {
                Ok(()) => Ok(v),
                Err(why) => Err(bad_value(format!(
                    "--listen: invalid listening address '{v}': {why}"
                ))),
            })
            .transpose()?,
        option: text(&m, "option")?.map(PathBuf::from),
        pidfile: text(&m, "pidfile")?.map(PathBuf::from),
        speed: text(&m, "speed")?,
        // poptop reads -t with atoi(): "-t x" or "-t 0" gave a zero select() timeout, which
        // dropped every client whose first packet was not already there (unless the file
        // had `stimeout`, which poptop reads only in that case).
        stimeout: int(&m, "stimeout")?.map(Duration::from_secs),
        logwtmp: m.opt_present("logwtmp"),
        // Lossless: int() caps values at i32::MAX.
        connections: int(&m, "connections")?.map(|n| n as usize),
        delegate: m.opt_present("delegate"),
        vrf: text(&m, "vrf")?,
    })
}

/// Rewrites each abbreviated long option to its full name, so that getopts (which matches
/// whole names only) sees what GNU `getopt_long` would have matched, and reports unknown
/// options with GNU's wording.
///
/// The walk mirrors getopt_long: it stops at `--`, and the argument that follows an option
/// taking a value is that value whatever it looks like (`-o --debug` names the options file
/// "--debug"), so it is never expanded. That needs the short options too: in `-fo FILE` the
/// `o` takes the next argument, while in `-ofoo` the value is attached.
fn prepass(args: &[String]) -> Result<Prepass, CliError> {
    let mut out = Vec::with_capacity(args.len());
    let mut exit_first = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            out.push(arg.clone());
            out.extend(rest.cloned());
            break;
        }
        let (takes_next, seen) = if let Some(body) = arg.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (body, None),
            };
            let spec = resolve(name)?;
            out.push(match value {
                Some(value) => format!("--{}={value}", spec.name),
                None => format!("--{}", spec.name),
            });
            (spec.arg.is_some() && value.is_none(), vec![spec])
        } else {
            out.push(arg.clone());
            short_cluster(arg)?
        };
        if exit_first.is_none() {
            exit_first = seen
                .iter()
                .map(|s| s.name)
                .find(|&n| n == "help" || n == "version");
        }
        if takes_next {
            out.extend(rest.next().cloned());
        }
    }
    Ok(Prepass {
        args: out,
        exit_first,
    })
}

/// What [`prepass`] found.
struct Prepass {
    /// The arguments for getopts, long options spelled in full.
    args: Vec<String>,
    /// `help` or `version`, whichever came first.
    exit_first: Option<&'static str>,
}

/// For `-abc`: checks each letter, and returns whether the next argument is the value of
/// the last letter and the options named in order. A lone `-` is an ordinary (positional)
/// argument, as for getopt.
fn short_cluster(arg: &str) -> Result<(bool, Vec<&'static Spec>), CliError> {
    let mut seen = Vec::new();
    let Some(letters) = arg.strip_prefix('-') else {
        return Ok((false, seen));
    };
    let mut chars = letters.chars();
    while let Some(c) = chars.next() {
        let Some(spec) = SPECS.iter().find(|s| s.short == c) else {
            return Err(usage_error(format!("invalid option -- '{c}'")));
        };
        seen.push(spec);
        if spec.arg.is_some() {
            // The rest of the bundle is the value; without one, the next argument is.
            return Ok((chars.as_str().is_empty(), seen));
        }
    }
    Ok((false, seen))
}

/// Finds the option `name` stands for: itself, or the only option it is a prefix of.
///
/// Deliberate difference, as in the client: glibc reports two prefix matches as ambiguous
/// only when their argument kinds differ, so for poptop `--con x` silently means `--conf x`
/// and `--d` means `--debug` (the first match in its table). We report every multiple match
/// (`--con`: `--conf`, `--connections`) so that an abbreviation never picks by table order.
fn resolve(name: &str) -> Result<&'static Spec, CliError> {
    let names: Vec<&str> = SPECS.iter().map(|s| s.name).collect();
    let full = resolve_long(name, &names).map_err(usage_error)?;
    Ok(SPECS
        .iter()
        .find(|s| s.name == full)
        .expect("resolve_long returns one of the names it was given"))
}

/// Maps the getopts failures the pre-pass leaves possible to GNU's wording; all are usage
/// errors, as every `'?'` from getopt_long is in pptpd.c. getopts reports a short option by
/// its letter and a long one by its name.
fn from_fail(fail: Fail) -> CliError {
    usage_error(fail_message(fail))
}

/// The value of the last occurrence (GNU lets a repeated option overwrite the earlier
/// ones), refused when empty: an empty file name, interface or speed is always a mistake
/// (`-p ""` would make poptop's `fopen("")` fail after daemonising, with nothing on stderr).
fn text(m: &Matches, name: &str) -> Result<Option<String>, CliError> {
    match m.opt_strs(name).pop() {
        Some(v) if v.is_empty() => Err(bad_value(format!("--{name}: empty value"))),
        v => Ok(v),
    }
}

/// A positive integer option, at most `INT_MAX`; `None` when absent.
///
/// Stricter than poptop's `atoi()`, which reads "abc" and "0" as 0: for `-C` that meant no
/// slot at all (the CLI value is not validated, reference §2.2), for `-t` a zero timeout.
fn int(m: &Matches, name: &str) -> Result<Option<u64>, CliError> {
    let Some(value) = m.opt_strs(name).pop() else {
        return Ok(None);
    };
    int_in(&value, 1..=INT_MAX)
        .map(Some)
        .map_err(|why| bad_value(format!("--{name}: {why}")))
}

/// Parses a decimal integer and checks its range; the error says what is wrong with it.
/// Shared with the config file's `connections` and `stimeout`.
pub(crate) fn int_in(value: &str, range: RangeInclusive<u64>) -> Result<u64, String> {
    let (lo, hi) = (*range.start(), *range.end());
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{value}' is not an integer"));
    }
    let negative = value.starts_with('-') && unsigned.bytes().any(|b| b != b'0');
    // Too many digits for a u64 is still a number, just far too big.
    let n = unsigned.parse::<u64>().unwrap_or(u64::MAX);
    if negative || n < lo {
        let why = if lo == 1 {
            "must be positive".to_owned()
        } else {
            format!("must be at least {lo}")
        };
        Err(format!("{value} is out of range: {why}"))
    } else if n > hi {
        Err(format!("{value} is out of range: must be at most {hi}"))
    } else {
        Ok(n)
    }
}

/// The usage text: the synopsis and one line per option.
pub fn usage() -> String {
    let mut text = format!(
        "pptpd (pptp-rs) v{}\n\n\
         Usage: pptpd [options]\n\n\
         Long options may be abbreviated to any unambiguous prefix. Command line options\n\
         override the config file (default /etc/pptpd.conf).\n\n",
        env!("CARGO_PKG_VERSION")
    );
    for spec in SPECS {
        let left = match spec.arg {
            Some(arg) => format!("-{}, --{} {arg}", spec.short, spec.name),
            None => format!("-{}, --{}", spec.short, spec.name),
        };
        text.push_str(&format!("  {left:<24} {}\n", spec.help));
    }
    text
}

#[cfg(test)]
mod tests;
