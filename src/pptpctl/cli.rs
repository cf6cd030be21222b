//! `pptpctl`'s command line: a few options, then the command words.

use std::path::PathBuf;

use crate::getopt::{self, OptionTable, Parsed, flag, last, opt};
pub use crate::getopt::{CliError, EXIT_USAGE};
use crate::wire::ctl::{Request, Selector};

/// The program name in messages.
pub const PROGRAM: &str = "pptpctl";
/// The environment variable that names the control socket (pptpd passes it to pppd's
/// hooks when its socket is not at the default path).
pub const SOCKET_ENV: &str = "PPTPD_CONTROL";

#[rustfmt::skip]
const TABLE: OptionTable = OptionTable { program: PROGRAM, sections: &[("", &[
    opt("socket", "PATH", "pptpd's control socket (default /run/pptpd/control)"),
    flag("json", "Print JSON instead of a table"),
    flag("wide", "Every column (wider than 80 characters)"),
    flag("help", "Print this help and exit"),
    flag("version", "Print the version and exit"),
])] };

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Ask pptpd.
    Request(Request),
    /// pppd's ip-up (true) or ip-down hook.
    Hook {
        /// ip-up rather than ip-down.
        up: bool,
    },
}

/// How to show an answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// JSON instead of a table.
    pub json: bool,
    /// Every column.
    pub wide: bool,
    /// Only the rows whose FIELD matches REGEX (`match FIELD REGEX`).
    pub matching: Option<(String, String)>,
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The control socket.
    pub socket: PathBuf,
    /// The command.
    pub command: Command,
    /// How to show the answer.
    pub view: View,
    help: bool,
    version: bool,
}

getopt::standard_options!(Options);

fn usage_error(message: String) -> CliError {
    TABLE.usage_error(message)
}

/// Parses `pptpctl`'s arguments (without argv\[0\]).
pub fn parse(args: &[String]) -> Result<Options, CliError> {
    let Parsed { matches: m, .. } = TABLE.parse(args)?;
    let help = m.opt_present("help");
    let version = m.opt_present("version");
    let socket = last(&m, "socket")
        .or_else(|| std::env::var(SOCKET_ENV).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| crate::server::config::DEFAULT_CONTROL_SOCKET.to_owned());
    let words: Vec<&str> = m.free.iter().map(String::as_str).collect();
    let mut view = View {
        json: m.opt_present("json"),
        wide: m.opt_present("wide"),
        matching: None,
    };
    let command = match words.as_slice() {
        [] if help || version => Command::Request(Request::ShowStats),
        ["show", "sessions", rest @ ..] => {
            view.matching = match rest {
                [] => None,
                ["match", field, regex] => Some(((*field).to_owned(), (*regex).to_owned())),
                _ => return Err(usage_error("show sessions: [match FIELD REGEX]".into())),
            };
            Command::Request(Request::ShowSessions)
        }
        ["show", "stats"] => Command::Request(Request::ShowStats),
        ["reload"] => Command::Request(Request::Reload),
        ["terminate", rest @ ..] => {
            let line = format!("terminate {}", rest.join(" "));
            let request = Request::parse(&line).map_err(|e| usage_error(e.0))?;
            if !matches!(request, Request::Terminate(_)) {
                return Err(usage_error(
                    "terminate call ID | user NAME | ip ADDR | all".into(),
                ));
            }
            // A user name with spaces arrives as several words: keep it whole.
            if let ["user", name @ ..] = rest
                && name.len() > 1
            {
                Command::Request(Request::Terminate(Selector::User(name.join(" "))))
            } else {
                Command::Request(request)
            }
        }
        ["hook", "ip-up", ..] => Command::Hook { up: true },
        ["hook", "ip-down", ..] => Command::Hook { up: false },
        [] => return Err(usage_error("no command given".into())),
        _ => {
            return Err(usage_error(format!(
                "unknown command '{}'; see pptpctl --help",
                words.join(" ")
            )));
        }
    };
    Ok(Options {
        socket: socket.into(),
        command,
        view,
        help,
        version,
    })
}

/// The usage text.
pub fn usage() -> String {
    let mut text = format!(
        "pptpctl (pptp-rs) {}\n\n\
         Usage:\n  pptpctl [options] show sessions [match FIELD REGEX]\n  \
         pptpctl [options] show stats\n  \
         pptpctl [options] terminate call ID | user NAME | ip ADDR | all\n  \
         pptpctl [options] reload\n  \
         pptpctl hook ip-up|ip-down   (run by pppd's ip-up.d and ip-down.d scripts)\n\n\
         Exit status: 0 done, 1 refused by pptpd or a usage error, 3 pptpd unreachable.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    text.push_str(&TABLE.usage_lines());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(args: &[&str]) -> Options {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        parse(&args).unwrap()
    }

    fn err(args: &[&str]) -> CliError {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        parse(&args).unwrap_err()
    }

    #[test]
    fn commands() {
        assert_eq!(
            ok(&["show", "sessions"]).command,
            Command::Request(Request::ShowSessions)
        );
        let o = ok(&["--json", "show", "sessions", "match", "user", "^al"]);
        assert!(o.view.json);
        assert_eq!(o.view.matching, Some(("user".into(), "^al".into())));
        assert_eq!(
            ok(&["terminate", "user", "alice"]).command,
            Command::Request(Request::Terminate(Selector::User("alice".into())))
        );
        assert_eq!(
            ok(&["terminate", "call", "7"]).command,
            Command::Request(Request::Terminate(Selector::Call(7)))
        );
        assert_eq!(
            ok(&["hook", "ip-up", "ppp0"]).command,
            Command::Hook { up: true }
        );
        assert_eq!(
            ok(&["--sock", "/tmp/x", "reload"]).socket,
            PathBuf::from("/tmp/x")
        );
    }

    #[test]
    fn usage_errors() {
        for args in [
            &[][..],
            &["show"],
            &["terminate"],
            &["terminate", "call", "x"],
            &["show", "sessions", "match", "user"],
            &["frobnicate"],
            &["--bogus", "reload"],
        ] {
            assert_eq!(err(args).exit_code, EXIT_USAGE, "{args:?}");
        }
    }
}
