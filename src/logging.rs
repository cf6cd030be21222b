//! The `log` backend of both programs: syslog under the program's name, like pptp-linux
//! and poptop (facility daemon), and stderr as well when asked (a terminal, `--debug`,
//! `--fg`).
//!
//! Written here rather than with `syslog::BasicLogger` because that one captures the pid
//! once (wrong after daemonising), never reconnects when syslogd restarts, and has no way
//! to add pptp's `--logstring` tag.

use std::io::Write;
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};
use syslog::{Facility, Formatter3164, LoggerBackend};

type Syslog = syslog::Logger<LoggerBackend, Formatter3164>;

struct Logger {
    program: &'static str,
    /// Prefix of every message: pptp's `--logstring` (pptp-linux writes "anon ..." too).
    tag: Option<String>,
    syslog: Mutex<Option<Syslog>>,
    stderr: bool,
}

/// Installs the logger once per process. `level` is the most verbose level kept.
pub fn init(program: &'static str, tag: Option<String>, level: LevelFilter, stderr: bool) {
    let logger = Logger {
        program,
        tag,
        syslog: Mutex::new(connect(program)),
        stderr,
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(level);
    }
}

fn connect(program: &'static str) -> Option<Syslog> {
    syslog::unix(Formatter3164 {
        facility: Facility::LOG_DAEMON,
        hostname: None,
        process: program.into(),
        pid: std::process::id(),
    })
    .ok()
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = one_line(match &self.tag {
            Some(tag) => format!("{tag} {}", record.args()),
            None => record.args().to_string(),
        });
        if self.stderr {
            let _ = writeln!(std::io::stderr(), "{}: {text}", self.program);
        }
        let Ok(mut guard) = self.syslog.lock() else {
            return;
        };
        for _attempt in 0..2 {
            let Some(sys) = guard.as_mut() else {
                *guard = connect(self.program);
                continue;
            };
            sys.formatter.pid = std::process::id();
            let sent = match record.level() {
                Level::Error => sys.err(&text),
                Level::Warn => sys.warning(&text),
                Level::Info => sys.notice(&text),
                Level::Debug | Level::Trace => sys.debug(&text),
            };
            if sent.is_ok() {
                return;
            }
            // syslogd restarted or went away: reconnect once and retry.
            *guard = connect(self.program);
        }
    }

    fn flush(&self) {}
}

/// A message as one line of printable text. Messages carry what peers chose (the user
/// name pppd's hook reports, a control message's host name, pppd's IFNAME): a newline or
/// an escape sequence in one must not forge a log line or drive a terminal. Control
/// characters are written as Rust escapes (`\n`, `\u{1b}`), as rsyslog's `#012` does on
/// receipt, but the same on stderr and in the journal.
fn one_line(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    let mut line = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn messages_stay_one_line() {
        assert_eq!(
            one_line("ctrl: plain user=al ice".into()),
            "ctrl: plain user=al ice"
        );
        assert_eq!(
            one_line("pppd: session up user=bob\nDec  2 sshd[1]: Accepted\r\u{1b}[2J\t".into()),
            "pppd: session up user=bob\\nDec  2 sshd[1]: Accepted\\r\\u{1b}[2J\\t"
        );
        assert_eq!(one_line("caf\u{e9} \u{7f}".into()), "caf\u{e9} \\u{7f}");
    }
}
