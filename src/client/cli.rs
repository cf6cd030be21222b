//! The `pptp` command line (reference-behaviour.md §1.1, §1.2).
//!
//! Three sources of options share one table: pptp-linux 1.10.0's `getopt_long` table, the
//! pppd shorthands of the pptp(8) man page (`--novj`, `--speed`, ...) and a few settings of
//! mpd's PPTP device (`--port`, `--window`, `--incoming-call`, ...). There are long options
//! only, as in pptp-linux.
//!
//! getopts does the splitting; a pre-pass adds the GNU `getopt_long` rules it lacks
//! (style-anchors.md, getopts pitfalls): unambiguous prefixes (`--nolaunch`) and GNU's
//! wording for unknown options. Every option is registered as `optmulti`/`optflagmulti`, and
//! the last occurrence wins, as with getopt_long.
//!
//! Parsing is pure: no printing and no exiting. A failure is a [`CliError`] carrying pptp's
//! exit code: [`EXIT_USAGE`] where pptp calls `usage()`, [`EXIT_BAD_VALUE`] where it calls
//! `exit(2)`.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// The program name in messages.
const PROGRAM: &str = "pptp";

use crate::getopt::{self, OptionTable, Parsed, flag, last, opt};
pub use crate::getopt::{CliError, EXIT_BAD_VALUE, EXIT_USAGE};
use getopts::Matches;

fn usage_error(message: String) -> CliError {
    TABLE.usage_error(message)
}

fn bad_value(message: String) -> CliError {
    TABLE.bad_value(message)
}

/// Longest `--phone` and `--calling-number`: the 64-byte number fields of the call requests
/// (RFC 2637 §2.7, §2.9).
pub const MAX_NUMBER_LEN: usize = 64;
/// Default `--timeout` (pptp-linux `pqueue.h` `DEFAULT_PACKET_TIMEOUT`).
pub const DEFAULT_REORDER_TIMEOUT: Duration = Duration::from_millis(300);
/// Default `--idle-wait` (pptp-linux `PPTP_TIMEOUT`).
pub const DEFAULT_IDLE_WAIT: Duration = Duration::from_secs(60);
/// Default `--max-echo-wait` (pptp-linux `pptp.c`).
pub const DEFAULT_MAX_ECHO_WAIT: Duration = Duration::from_secs(60);
/// Default `--speed`: pptp-linux always launches `pppd <tty> 38400`.
pub const DEFAULT_SPEED: &str = "38400";
/// Default `--port`: the PPTP control port (RFC 2637 §1).
pub const DEFAULT_PORT: u16 = 1723;
/// Default `--test-rate` (pptp-linux `test-redirections.c`).
pub const DEFAULT_TEST_RATE: u32 = 100;
/// Default `--logstring` (pptp-linux `util.c`).
pub const DEFAULT_LOGSTRING: &str = "anon";

/// The `--set-mppe-key` refusal. The option is in the pptp man page's list, but no pppd can
/// take a fixed key, so accepting it silently would leave the user believing in a key that is
/// never used.
const SET_MPPE_KEY_MESSAGE: &str = "--set-mppe-key is not supported: pppd derives MPPE keys from MS-CHAPv2 and no fixed key can be set";

/// Upper bound of the integer options that pptp-linux reads with `atoi()` into an `int`.
const INT_MAX: i64 = i32::MAX as i64;

/// A server workaround selectable with `--quirks` (pptp-linux `pptp_quirks.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// `BEZEQ_ISRAEL`: Orckit ATUR3 ADSL modems (reference-behaviour.md §1.10).
    BezeqIsrael,
    /// `noresetroute`: leave the host route to the server in place at exit, as pptp-linux
    /// always did.
    KeepHostRoute,
}

impl Quirk {
    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Quirk::BezeqIsrael => "BEZEQ_ISRAEL",
            Quirk::KeepHostRoute => "noresetroute",
        }
    }
}

/// Everything the `pptp` command line says. [`Default`] gives the values of an empty command
/// line (with an empty host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// The server, a name or an IPv4 address: the first non-option argument. Empty only when
    /// `--help` or `--version` made it optional.
    pub host: String,
    /// The non-option arguments after the host, passed verbatim to a launched pppd.
    pub pppd_args: Vec<String>,
    /// `--phone`: the number sent in the Outgoing-Call-Request.
    pub phone: Option<String>,
    /// False with `--nolaunchpppd`: PPP flows over stdin/stdout (pppd's `pty` option).
    pub launch_pppd: bool,
    /// `--quirks`.
    pub quirks: Option<Quirk>,
    /// `--debug`: stay in the foreground when launching pppd.
    pub debug: bool,
    /// `--sync`: synchronous HDLC framing towards pppd.
    pub sync: bool,
    /// `--timeout`: how long a packet waits in the reorder buffer for the ones before it.
    pub reorder_timeout: Duration,
    /// `--nobuffer`: no reorder buffer; early packets pass at once and late ones are dropped.
    pub nobuffer: bool,
    /// `--idle-wait`: the keepalive period; `None` (`--idle-wait 0`) disables the timer.
    pub idle_wait: Option<Duration>,
    /// `--max-echo-wait`: how long an Echo-Request may stay unanswered.
    pub max_echo_wait: Duration,
    /// `--logstring`: the prefix of every log line.
    pub logstring: String,
    /// `--localbind`: the local address of the TCP and GRE sockets.
    pub localbind: Option<Ipv4Addr>,
    /// `--loglevel`: 0, 1 or 2.
    pub loglevel: u8,
    /// `--version`: print the version and exit.
    pub version: bool,
    /// `--test-type`: 0 (off) to 3, reordering of sent GRE packets (reference §1.11).
    pub test_type: u32,
    /// `--test-rate`: packets between two `--test-type` disturbances.
    pub test_rate: u32,
    /// `--rtmark`: `SO_MARK` for the sockets; `None` (`--rtmark 0`) sets none.
    pub rtmark: Option<u32>,
    /// False with `--nohostroute`: add no host route to the server.
    pub host_route: bool,
    /// `--missing-window`: drop packets more than this far ahead; `None` is no limit.
    pub missing_window: Option<u32>,
    /// `--speed`: the speed argument given to a launched pppd, as a canonical decimal number.
    pub speed: String,
    /// pppd options from `--nobsdcomp`, `--novj`, `--nodefaultroute`, `--noencrypt`
    /// (`nomppe`), `--require-mppe` and `--require-mppe-128` in the order first given, then the
    /// words of `--pppd`.
    pub extra_pppd_opts: Vec<String>,
    /// `--pidfile`: where pptp writes its own process ID.
    pub pidfile: Option<PathBuf>,
    /// `--port`: the server's TCP port.
    pub port: u16,
    /// `--calling-number`: our own number, sent in the Incoming-Call-Request.
    pub calling_number: Option<String>,
    /// `--incoming-call`: place the call with an Incoming-Call-Request, as a PAC would.
    pub incoming_call: bool,
    /// `--window`: cap on unacknowledged sent packets, further capped by the peer's receive
    /// window. `None` ignores the peer's window, as mpd recommends and pptp-linux does.
    pub window: Option<u16>,
    /// `--always-ack`: carry an acknowledgment in every data packet.
    pub always_ack: bool,
    /// False with `--no-delayed-ack`: acknowledge at once instead of waiting for data to
    /// carry the acknowledgment.
    pub delayed_ack: bool,
    /// `--resolve-once`: resolve the host once and reuse the address on later attempts.
    pub resolve_once: bool,
    /// `--help`: print [`usage`] and exit.
    pub help: bool,
    /// Full names of the options present on the command line, in order of first appearance.
    /// [`warnings`] reads it, since a default value and an explicitly given one look alike.
    pub given: Vec<&'static str>,
}

getopt::standard_options!(ClientOptions);

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            host: String::new(),
            pppd_args: Vec::new(),
            phone: None,
            launch_pppd: true,
            quirks: None,
            debug: false,
            sync: false,
            reorder_timeout: DEFAULT_REORDER_TIMEOUT,
            nobuffer: false,
            idle_wait: Some(DEFAULT_IDLE_WAIT),
            max_echo_wait: DEFAULT_MAX_ECHO_WAIT,
            logstring: DEFAULT_LOGSTRING.to_owned(),
            localbind: None,
            loglevel: 1,
            version: false,
            test_type: 0,
            test_rate: DEFAULT_TEST_RATE,
            rtmark: None,
            host_route: true,
            missing_window: None,
            speed: DEFAULT_SPEED.to_owned(),
            extra_pppd_opts: Vec::new(),
            pidfile: None,
            port: DEFAULT_PORT,
            calling_number: None,
            incoming_call: false,
            window: None,
            always_ack: false,
            delayed_ack: true,
            resolve_once: false,
            help: false,
            given: Vec::new(),
        }
    }
}

/// Every option, by section of [`usage`].
#[rustfmt::skip]
const TABLE: OptionTable = OptionTable { program: PROGRAM, sections: &[
    ("pptp-linux options", &[
        opt("phone", "NUMBER", "Phone number to send the server (max 64 bytes)"),
        flag("nolaunchpppd", "Do not launch pppd; use stdin/stdout (pppd pty)"),
        opt("quirks", "NAME", "Work around a server's bugs: BEZEQ_ISRAEL"),
        flag("debug", "Log at debug level, to stderr as well as syslog"),
        flag("sync", "Synchronous HDLC towards pppd (give pppd 'sync')"),
        opt("timeout", "SECONDS", "Reorder wait, 0.01 to 10 (default 0.3)"),
        flag("nobuffer", "No reordering: pass early packets, drop late ones"),
        opt("idle-wait", "SECONDS", "Echo after this long idle (default 60, 0=off)"),
        opt("max-echo-wait", "SECONDS", "Give up when an echo is unanswered (default 60)"),
        opt("logstring", "NAME", "Use NAME instead of 'anon' in log messages"),
        opt("localbind", "ADDR", "Bind to this local IPv4 address"),
        opt("loglevel", "LEVEL", "Logging level (0=low, 1=default, 2=high)"),
        flag("version", "Print the version and exit"),
        opt("test-type", "TYPE", "Disturb sent packets: 1 swap, 2 delay, 3 reverse"),
        opt("test-rate", "N", "Disturb every N packets (default 100)"),
        opt("rtmark", "MARK", "Set SO_MARK on the sockets (0=off)"),
        flag("nohostroute", "Do not add a host route to the server"),
        opt("missing-window", "N", "Resync when a packet is over N ahead (default: off)"),
    ]),
    ("pppd options (given to a launched pppd)", &[
        opt("speed", "BPS", "Line speed for pppd (default 38400)"),
        flag("nobsdcomp", "Give pppd 'nobsdcomp'"),
        flag("novj", "Give pppd 'novj'"),
        flag("nodefaultroute", "Give pppd 'nodefaultroute'"),
        flag("noencrypt", "Give pppd 'nomppe'"),
        flag("require-mppe", "Give pppd 'require-mppe'"),
        flag("require-mppe-128", "Give pppd 'require-mppe-128'"),
        opt("pppd", "'OPTIONS'", "Give pppd these space-separated options"),
        opt("set-mppe-key", "KEY", "Not supported: MPPE keys come from MS-CHAPv2"),
    ]),
    ("Other options", &[
        opt("pidfile", "FILE", "Write pptp's process ID to FILE"),
        opt("port", "PORT", "Server TCP port (default 1723)"),
        opt("calling-number", "NUMBER", "Our own number (max 64 bytes)"),
        flag("incoming-call", "Place the call as an incoming call (ICRQ)"),
        opt("window", "N", "Unacked packets: at most N, and the peer's window"),
        flag("always-ack", "Put an acknowledgment in every data packet"),
        flag("no-delayed-ack", "Acknowledge at once, without waiting for data"),
        flag("resolve-once", "Resolve the host only once, at start-up"),
        flag("help", "Print this help and exit"),
    ]),
] };

/// The flags that stand for one pppd option each, with that option, in [`SECTIONS`] order.
const PPPD_FLAGS: [(&str, &str); 6] = [
    ("nobsdcomp", "nobsdcomp"),
    ("novj", "novj"),
    ("nodefaultroute", "nodefaultroute"),
    ("noencrypt", "nomppe"),
    ("require-mppe", "require-mppe"),
    ("require-mppe-128", "require-mppe-128"),
];

/// Options that act only through a launched pppd's argv.
#[rustfmt::skip]
const PPPD_ONLY: [&str; 8] = [
    "speed", "nobsdcomp", "novj", "nodefaultroute", "noencrypt", "require-mppe",
    "require-mppe-128", "pppd",
];

/// Parses `pptp`'s arguments (without argv\[0\]).
///
/// The first non-option argument is the host and the rest go to pppd; options may come
/// before or after the host, and `--` ends the options (reference §1.1). The host is
/// optional only with `--help` or `--version`.
pub fn parse(args: &[String]) -> Result<ClientOptions, CliError> {
    let Parsed { matches: m, given } = TABLE.parse(args)?;

    if m.opt_present("set-mppe-key") {
        return Err(bad_value(SET_MPPE_KEY_MESSAGE.to_owned()));
    }
    let test_type = int(&m, "test-type", 0..=3)?.map_or(0, |n| n as u32);
    let test_rate = match last(&m, "test-rate") {
        Some(v) => test_rate(test_type, &v)?,
        None => DEFAULT_TEST_RATE,
    };
    let help = m.opt_present("help");
    let version = m.opt_present("version");
    let mut free = m.free.iter().cloned();
    let host = match free.next() {
        Some(host) => host,
        None if help || version => String::new(),
        None => return Err(usage_error("missing host name".to_owned())),
    };
    Ok(ClientOptions {
        host,
        pppd_args: free.collect(),
        phone: number(&m, "phone")?,
        launch_pppd: !m.opt_present("nolaunchpppd"),
        quirks: last(&m, "quirks").map(|v| quirk(&v)).transpose()?,
        debug: m.opt_present("debug"),
        sync: m.opt_present("sync"),
        reorder_timeout: last(&m, "timeout")
            .map(|v| reorder_timeout(&v))
            .transpose()?
            .unwrap_or(DEFAULT_REORDER_TIMEOUT),
        nobuffer: m.opt_present("nobuffer"),
        // 0 is pptp-linux's way of switching the control timer off (pptp_reset_timer()).
        idle_wait: int(&m, "idle-wait", 0..=INT_MAX)?.map_or(Some(DEFAULT_IDLE_WAIT), |n| {
            (n != 0).then(|| Duration::from_secs(n as u64))
        }),
        // pptp-linux accepts 0 and then ignores the option ("not yet implemented"); ours
        // enforces it, and a zero wait would close the connection at the first echo.
        max_echo_wait: int(&m, "max-echo-wait", 1..=INT_MAX)?
            .map_or(DEFAULT_MAX_ECHO_WAIT, |n| Duration::from_secs(n as u64)),
        logstring: last(&m, "logstring").unwrap_or_else(|| DEFAULT_LOGSTRING.to_owned()),
        localbind: last(&m, "localbind").map(|v| localbind(&v)).transpose()?,
        loglevel: last(&m, "loglevel")
            .map(|v| loglevel(&v))
            .transpose()?
            .unwrap_or(1),
        version,
        test_type,
        test_rate,
        // SO_MARK is a u32; pptp-linux's atoi() could not reach the upper half.
        rtmark: int(&m, "rtmark", 0..=u32::MAX as i64)?
            .map(|n| n as u32)
            .filter(|&n| n != 0),
        host_route: !m.opt_present("nohostroute"),
        // Deliberate difference: pptp-linux warns about and then ignores values below 300,
        // leaving the window unlimited (pptp.c :313-333, reference §1.2), while its usage text
        // calls 300 the default. We apply every value the user asked for.
        missing_window: int(&m, "missing-window", 1..=INT_MAX)?.map(|n| n as u32),
        // Canonical decimal digits: pppd reads its speed with strtol(arg, .., 0) (tty.c
        // setspeed()), so "010" would be octal 8 and "09600" no speed at all.
        speed: int(&m, "speed", 1..=INT_MAX)?
            .map_or_else(|| DEFAULT_SPEED.to_owned(), |n| n.to_string()),
        extra_pppd_opts: extra_pppd_opts(&m),
        pidfile: match last(&m, "pidfile") {
            Some(v) if v.is_empty() => return Err(bad_value("--pidfile: empty file name".into())),
            v => v.map(PathBuf::from),
        },
        port: int(&m, "port", 1..=u16::MAX as i64)?.map_or(DEFAULT_PORT, |n| n as u16),
        calling_number: number(&m, "calling-number")?,
        incoming_call: m.opt_present("incoming-call"),
        window: int(&m, "window", 1..=u16::MAX as i64)?.map(|n| n as u16),
        always_ack: m.opt_present("always-ack"),
        delayed_ack: !m.opt_present("no-delayed-ack"),
        resolve_once: m.opt_present("resolve-once"),
        help,
        given,
    })
}

fn extra_pppd_opts(m: &Matches) -> Vec<String> {
    let mut flags: Vec<(usize, &str)> = PPPD_FLAGS
        .iter()
        .filter_map(|&(name, word)| m.opt_positions(name).first().map(|&at| (at, word)))
        .collect();
    flags.sort_unstable();
    let mut opts: Vec<String> = flags.into_iter().map(|(_, w)| w.to_owned()).collect();
    if let Some(words) = last(m, "pppd") {
        opts.extend(words.split_whitespace().map(str::to_owned));
    }
    opts
}

/// Parses an integer option and checks its range; both failures are exit 2.
fn int_in(name: &str, value: &str, range: RangeInclusive<i64>) -> Result<i64, CliError> {
    getopt::int_in(value, range).map_err(|why| bad_value(format!("--{name}: {why}")))
}

/// The last value of an integer option, checked by [`int_in`]; `None` when absent. The
/// range makes the callers' `as` casts lossless.
fn int(m: &Matches, name: &str, range: RangeInclusive<i64>) -> Result<Option<i64>, CliError> {
    last(m, name).map(|v| int_in(name, &v, range)).transpose()
}

/// `--test-rate`: at least 1, and at least 11 for test types 2 and 3, which hold 10 packets
/// back before sending the 11th (reference §1.11; pptp-linux does not check, and its man page
/// calls smaller rates undefined).
fn test_rate(test_type: u32, value: &str) -> Result<u32, CliError> {
    let min = if matches!(test_type, 2 | 3) { 11 } else { 1 };
    let n = int_in("test-rate", value, 1..=INT_MAX)?;
    if n < min {
        return Err(bad_value(format!(
            "--test-rate: {value} is out of range: must be at least {min} with --test-type \
             {test_type}, which holds 10 packets back"
        )));
    }
    Ok(n as u32)
}

/// `--timeout`: pptp.c accepts 0.0099 to 10 (0.0099 only because it reads the value into a
/// `float`, where 0.01 falls just below 0.01) and says "between 0.01 and 10 seconds"; an f64
/// holds 0.01 exactly, so the bound is the documented one.
fn reorder_timeout(value: &str) -> Result<Duration, CliError> {
    match value.parse::<f64>() {
        Ok(t) if (0.01..=10.0).contains(&t) => Ok(Duration::from_secs_f64(t)),
        _ => Err(bad_value(format!(
            "--timeout: packet timeout {value} out of range: should be between 0.01 and 10 seconds"
        ))),
    }
}

/// `--loglevel` outside 0..=2 is a usage error, as in pptp.c.
fn loglevel(value: &str) -> Result<u8, CliError> {
    match value.parse::<u8>() {
        Ok(n) if n <= 2 => Ok(n),
        _ => Err(usage_error(format!(
            "--loglevel: '{value}' is not 0, 1 or 2"
        ))),
    }
}

/// `--quirks` names are case-sensitive (pptp_quirks.c `find_quirk()` uses strcmp).
///
/// pptp-linux knows one quirk. Other names circulate in manuals and forum answers for pptp
/// clients; each is taken for what it can mean here, or refused with the reason and what
/// to write instead, never accepted and ignored.
fn quirk(value: &str) -> Result<Quirk, CliError> {
    let refused = match value {
        "BEZEQ_ISRAEL" => return Ok(Quirk::BezeqIsrael),
        "noresetroute" => return Ok(Quirk::KeepHostRoute),
        "mppe_stateless" => {
            "MPPE is negotiated by pppd, not by pptp: put 'require-mppe-128' and \
             'nomppe-stateful' in the peers file (pppd 2.4.9 and later)"
        }
        "remote_ip" => {
            "the server is the host argument, and the tunnel's remote address is negotiated \
             by pppd (IPCP): give pppd 'LOCAL:REMOTE' or 'ipcp-accept-remote' instead"
        }
        "nocrash" => {
            "there is nothing to work around: the crashes that quirk avoided were in other \
             clients, and pptp-rs handles every malformed message without ending"
        }
        _ => {
            return Err(usage_error(format!(
                "--quirks: unknown quirk '{value}'; known are BEZEQ_ISRAEL and noresetroute"
            )));
        }
    };
    Err(usage_error(format!(
        "--quirks {value}: not taken: {refused}"
    )))
}

fn localbind(value: &str) -> Result<Ipv4Addr, CliError> {
    value
        .parse()
        .map_err(|_| bad_value(format!("--localbind: local bind address {value} invalid")))
}

/// `--phone` and `--calling-number`. Deliberate difference: pptp-linux silently cuts the
/// phone number at 64 bytes (pptp_ctrl.c `pptp_call_open()`); a cut number dials someone else,
/// so we refuse it.
fn number(m: &Matches, name: &str) -> Result<Option<String>, CliError> {
    match last(m, name) {
        Some(v) if v.len() > MAX_NUMBER_LEN => Err(bad_value(format!(
            "--{name}: number is {} bytes long; the limit is {MAX_NUMBER_LEN} bytes",
            v.len()
        ))),
        v => Ok(v),
    }
}

/// The usage text: pptp-linux's synopsis and every option with a one-line description.
pub fn usage() -> String {
    let mut text = format!(
        "pptp-rs version {}\n\n\
         Usage:\n  pptp <hostname> [<pptp options>] [[--] <pppd options>]\n\n\
         Or using pppd's pty option:\n  pppd pty \"pptp <hostname> --nolaunchpppd <pptp options>\"\n\n\
         Options may be abbreviated to any unambiguous prefix. pppd options that begin\n\
         with '-' must follow '--'.\n",
        env!("CARGO_PKG_VERSION")
    );
    text.push_str(&TABLE.usage_lines());
    text
}

/// Warnings for options that were given but can have no effect together, one line each,
/// ready to print on stderr. pptp-linux ignores these combinations silently (reference §1.1:
/// pppd arguments with `--nolaunchpppd`; §1.2: `--timeout` with `--nobuffer`).
pub fn warnings(o: &ClientOptions) -> Vec<String> {
    let given = |name: &str| o.given.contains(&name);
    let mut out = Vec::new();
    if !o.launch_pppd {
        // --pidfile is ours, not pppd's, so it still applies.
        for name in o.given.iter().filter(|n| PPPD_ONLY.contains(n)) {
            out.push(format!(
                "pptp: --{name} has no effect with --nolaunchpppd; put pppd options in the peers file"
            ));
        }
        if !o.pppd_args.is_empty() {
            out.push(format!(
                "pptp: pppd options after the host ({}) have no effect with --nolaunchpppd; \
                 put pppd options in the peers file",
                o.pppd_args.join(" ")
            ));
        }
    }
    if o.nobuffer && given("timeout") {
        out.push("pptp: --timeout has no effect with --nobuffer".to_owned());
    }
    if o.idle_wait.is_none() && given("max-echo-wait") {
        out.push(
            "pptp: --max-echo-wait has no effect with --idle-wait 0, which disables echoes"
                .to_owned(),
        );
    }
    if o.test_type == 0 && given("test-rate") {
        out.push("pptp: --test-rate has no effect without --test-type".to_owned());
    }
    if !o.incoming_call && given("calling-number") {
        // Only Incoming-Call-Request has a Dialing Number; Outgoing-Call-Request has none.
        out.push("pptp: --calling-number has no effect without --incoming-call".to_owned());
    }
    out
}

#[cfg(test)]
mod tests;
