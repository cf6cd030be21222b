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

use std::path::PathBuf;
use std::time::Duration;

/// The program name in messages.
const PROGRAM: &str = "pptpd";

use super::addrs;
use crate::getopt::{self, OptionTable, Parsed, short_flag as flag, short_opt as opt};
pub use crate::getopt::{CliError, EXIT_BAD_VALUE, EXIT_USAGE};
use getopts::Matches;

// A bad value exits 2 (EXIT_BAD_VALUE). poptop has no such case: it reads `-C` and `-t`
// with `atoi()`, so `-C abc` is 0 connections and `-t -1` a negative timeout; 2 is the
// client's code for the same failure (pptp-linux `exit(2)`).

/// Upper bound of the integer options, which poptop reads with `atoi()` into an `int`.
const INT_MAX: i64 = i32::MAX as i64;

/// Everything the `pptpd` command line says. `None` and `false` mean "not given", so that
/// the config file can fill the setting in; [`Default`] is the empty command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// `-b`/`--bcrelay IF`: relay broadcasts between this interface and the tunnels (bcrelay).
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
    /// `-w`/`--logwtmp`: record each session's login in utmp and wtmp (from pppd's hooks).
    pub logwtmp: bool,
    /// `-C`/`--connections N`: the most simultaneous clients.
    pub connections: Option<usize>,
    /// `-D`/`--delegate`: pppd (chap-secrets, RADIUS) assigns the addresses, not pptpd.
    pub delegate: bool,
    /// `--vrf NAME` (or `-V NAME`): the VRF for the listener and GRE.
    pub vrf: Option<String>,
}

getopt::standard_options!(ServerOptions);

fn usage_error(message: String) -> CliError {
    TABLE.usage_error(message)
}

fn bad_value(message: String) -> CliError {
    TABLE.bad_value(message)
}

/// Every option, in poptop's `showusage()` order.
const TABLE: OptionTable = OptionTable {
    program: PROGRAM,
    sections: &[("", SPECS)],
};

#[rustfmt::skip]
const SPECS: &[getopt::Spec] = &[
    opt('b', "bcrelay", "IF", "Relay broadcasts between IF and the tunnels (bcrelay)"),
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
    flag('w', "logwtmp", "Record client logins in utmp and wtmp (who, last)"),
    opt('C', "connections", "N", "At most N simultaneous clients (default 100)"),
    flag('D', "delegate", "pppd assigns client addresses (RADIUS, chap-secrets)"),
    opt('V', "vrf", "NAME", "Listen and send GRE in VRF NAME"),
];

/// Parses `pptpd`'s arguments (without argv\[0\]).
///
/// Deliberate difference: positional arguments are a usage error. poptop never looks at them
/// (`getopt_long` leaves them at the end of argv), so `pptpd -c /etc/pptpd.conf.new extra`
/// or a stray word from `DAEMON_OPTS` passed silently.
pub fn parse(args: &[String]) -> Result<ServerOptions, CliError> {
    let Parsed { matches: m, given } = TABLE.parse(args)?;
    if let Some(extra) = m.free.first() {
        return Err(usage_error(format!(
            "unexpected argument '{extra}': pptpd takes options only"
        )));
    }
    // poptop acts on whichever of -h and -v comes first (showusage() or showversion(), then
    // return 0), so only that one is reported.
    let exit_first = given.iter().find(|&&n| n == "help" || n == "version");
    let help = exit_first == Some(&"help");
    let version = exit_first == Some(&"version");
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
            .map(|v| match addrs::check_host(&v) {
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
    let Some(value) = getopt::last(m, name) else {
        return Ok(None);
    };
    getopt::int_in(&value, 1..=INT_MAX)
        .map(|n| Some(n as u64))
        .map_err(|why| bad_value(format!("--{name}: {why}")))
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
    text.push_str(&TABLE.usage_lines());
    text
}

#[cfg(test)]
mod tests;
