//! `bcrelay`'s command line: poptop's options (getopt string "ndhi:o:s:v").

use crate::getopt::{self, OptionTable, Parsed, short_flag, short_opt};
pub use crate::getopt::{CliError, EXIT_USAGE};

/// The program name in messages.
pub const PROGRAM: &str = "bcrelay";

#[rustfmt::skip]
const TABLE: OptionTable = OptionTable { program: PROGRAM, sections: &[("", &[
    short_flag('n', "nolog", "Do not log each relayed broadcast"),
    short_flag('d', "daemon", "Go into the background"),
    short_flag('h', "help", "Print this help and exit"),
    short_opt('i', "incoming", "IF", "The LAN interface (a name, e.g. eth1)"),
    short_opt('o', "outgoing", "REGEX", "The interfaces to relay to and from (e.g. 'ppp[0-9].*')"),
    short_opt('s', "ipsec", "IF:BCAST", "Refused: KLIPS ipsecN interfaces are gone from Linux"),
    short_flag('v', "version", "Print the version and exit"),
])] };

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `-i`: the LAN interface, by name.
    pub incoming: String,
    /// `-o`: the other interfaces, by a regular expression matching the whole name.
    pub outgoing: String,
    /// `-n`: no log line per relayed broadcast.
    pub nolog: bool,
    /// `-d`: go into the background.
    pub daemon: bool,
    help: bool,
    version: bool,
}

getopt::standard_options!(Options);

/// The usage text.
pub fn usage() -> String {
    format!(
        "Usage: bcrelay -i IF -o REGEX [-n] [-d]\n\
         Relays IPv4 UDP broadcasts between the LAN interface IF and every interface whose\n\
         whole name matches REGEX (pptpd starts it as: bcrelay -i IF -o 'ppp[0-9].*' -n).\n\n{}",
        TABLE.usage_lines()
    )
}

/// Parses `bcrelay`'s arguments (without argv\[0\]).
pub fn parse(args: &[String]) -> Result<Options, CliError> {
    let Parsed { matches: m, .. } = TABLE.parse(args)?;
    let help = m.opt_present("help");
    let version = m.opt_present("version");
    if let Some(extra) = m.free.first() {
        return Err(TABLE.usage_error(format!(
            "unexpected argument '{extra}': bcrelay takes options only"
        )));
    }
    if m.opt_present("ipsec") {
        return Err(TABLE.bad_value(
            "-s/--ipsec relayed to KLIPS ipsecN interfaces, which Linux no longer has: \
             relay to the interfaces of today's IPsec (xfrm, vti) with -o"
                .into(),
        ));
    }
    let incoming = getopt::last(&m, "incoming").unwrap_or_default();
    let outgoing = getopt::last(&m, "outgoing").unwrap_or_default();
    if !(help || version) {
        if incoming.is_empty() {
            return Err(TABLE.usage_error("the incoming interface (-i IF) is required".into()));
        }
        if outgoing.is_empty() {
            return Err(TABLE.usage_error(
                "the outgoing interfaces (-o REGEX, e.g. 'ppp[0-9].*') are required".into(),
            ));
        }
        if let Err(e) = regex_lite::Regex::new(&outgoing) {
            return Err(TABLE.bad_value(format!("-o '{outgoing}': not a regular expression: {e}")));
        }
    }
    Ok(Options {
        incoming,
        outgoing,
        nolog: m.opt_present("nolog"),
        daemon: m.opt_present("daemon"),
        help,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::getopt::testing::{parsed, refused};

    #[test]
    fn pptpd_s_command_line() {
        let o = parsed(&["-i", "eth1", "-o", "ppp[0-9].*", "-n"], parse);
        assert_eq!(o.incoming, "eth1");
        assert_eq!(o.outgoing, "ppp[0-9].*");
        assert!(o.nolog && !o.daemon);
        let o = parsed(&["--incoming=br0", "--outgoing", "ppp.*", "-d"], parse);
        assert_eq!((o.incoming.as_str(), o.daemon), ("br0", true));
    }

    #[test]
    fn what_is_refused_and_why() {
        let e = refused(&["-o", "ppp.*"], parse);
        assert!(e.to_string().contains("-i IF"), "{e}");
        let e = refused(&["-i", "eth1"], parse);
        assert!(e.to_string().contains("-o REGEX"), "{e}");
        let e = refused(&["-i", "eth1", "-o", "ppp[0-9"], parse);
        assert!(e.to_string().contains("not a regular expression"), "{e}");
        let e = refused(&["-i", "eth1", "-s", "ipsec0:192.0.2.255"], parse);
        assert!(e.to_string().contains("KLIPS"), "{e}");
        let e = refused(&["-i", "eth1", "-o", "ppp.*", "extra"], parse);
        assert!(e.to_string().contains("extra"), "{e}");
        assert!(parsed(&["-h"], parse).help);
    }
}
