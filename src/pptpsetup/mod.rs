//! `pptpsetup`: writes (or removes) the two files a PPTP client tunnel needs, a drop-in for
//! pptp-linux 1.10.0's Perl script of the same name (reference-behaviour.md §1.13).
//!
//! `--create TUNNEL` writes `/etc/ppp/peers/TUNNEL` ([`peers`]) and adds the tunnel's entry
//! to `/etc/ppp/chap-secrets` ([`secrets`]), byte for byte as pptp-linux does for every
//! input it handles correctly; `--start` then runs `pppd call TUNNEL updetach`.
//! `--delete TUNNEL` removes the peers file and the tunnel's lines of chap-secrets.
//!
//! What is fixed on purpose (the manual page lists it too): user names and passwords are
//! written so that pppd reads back exactly what was given ([`words`]); a typed password
//! loses its newline and is not echoed ([`prompt`]); `--delete` removes only the tunnel's
//! own lines; a `--create` of an existing tunnel replaces its entry instead of adding one
//! that pppd would never use (`scan_authfile()` keeps the first match); chap-secrets is
//! never left more open than 0600 ([`files`]); names that would leave `/etc/ppp/peers`, and
//! servers that the `pty` command would change, are refused ([`cli`]).
//!
//! Environment: `PPTPSETUP_PPP_DIR` replaces `/etc/ppp` (for tests); pppd is found on
//! `PATH`, as pptp-linux's `system("pppd call ...")` finds it.

pub mod cli;
pub mod files;
pub mod peers;
pub mod prompt;
pub mod secrets;
pub mod words;

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use cli::{CliError, Command, Create, EXIT_USAGE, PROGRAM};

/// pppd's configuration directory, which holds `peers/` and `chap-secrets`.
pub const PPP_DIR: &str = "/etc/ppp";

/// The environment variable that replaces [`PPP_DIR`]; unset or empty means `/etc/ppp`.
pub const PPP_DIR_ENV: &str = "PPTPSETUP_PPP_DIR";

/// Where the files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `/etc/ppp`, or what [`PPP_DIR_ENV`] says.
    pub ppp_dir: PathBuf,
}

impl Paths {
    /// The paths under `ppp_dir`.
    pub fn new(ppp_dir: impl Into<PathBuf>) -> Self {
        Paths {
            ppp_dir: ppp_dir.into(),
        }
    }

    /// `/etc/ppp`, unless [`PPP_DIR_ENV`] names another directory.
    pub fn from_env() -> Self {
        match std::env::var_os(PPP_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Paths::new(dir),
            _ => Paths::new(PPP_DIR),
        }
    }

    /// `peers/TUNNEL`.
    pub fn peers_file(&self, tunnel: &str) -> PathBuf {
        self.ppp_dir.join("peers").join(tunnel)
    }

    /// `chap-secrets`.
    pub fn chap_secrets(&self) -> PathBuf {
        self.ppp_dir.join("chap-secrets")
    }

    /// `chap-secrets.bkp`, pptp-linux's copy of chap-secrets before a rewrite.
    pub fn chap_backup(&self) -> PathBuf {
        self.ppp_dir.join("chap-secrets.bkp")
    }
}

/// Why pptpsetup stopped.
#[derive(Debug)]
pub enum Error {
    /// A refused command line or value: pptp-linux's `die "$0: ...\nTry '$0 --help' ..."`,
    /// exit status 255.
    Usage(CliError),
    /// A file or program that could not be used: pptp-linux's `die "$0: can't ...: $!"`,
    /// which exits with the errno, as Perl's `die` does.
    System {
        /// What failed, with the file, without the program name.
        message: String,
        /// The error, for the exit status.
        error: io::Error,
    },
}

impl Error {
    fn usage(message: String) -> Self {
        Error::Usage(CliError {
            program: PROGRAM,
            exit_code: EXIT_USAGE,
            message,
        })
    }

    /// `what` (pptp-linux's words, e.g. "can't write to") on `path` failed with `error`.
    fn system(what: &str, path: &Path, error: io::Error) -> Self {
        Error::System {
            message: format!("{what} '{}': {}", path.display(), describe(&error)),
            error,
        }
    }

    /// The exit status: 255 after a usage error; after a system error its errno, as Perl's
    /// `die` exits with `$!` (and 255 when there is none).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(e) => e.exit_code,
            Error::System { error, .. } => match error.raw_os_error() {
                Some(errno) if errno & 0xff != 0 => errno & 0xff,
                _ => EXIT_USAGE,
            },
        }
    }

    /// Prints the error on stderr, with pptp-linux's hint after a usage error.
    pub fn report(&self) {
        eprintln!("{self}");
        if matches!(self, Error::Usage(_)) {
            eprintln!("Try '{PROGRAM} --help' for more information.");
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(e) => write!(f, "{e}"),
            Error::System { message, .. } => write!(f, "{PROGRAM}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<CliError> for Error {
    fn from(e: CliError) -> Self {
        Error::Usage(e)
    }
}

/// An I/O error as Perl's `$!` prints it: strerror's text alone, without Rust's
/// "(os error N)".
fn describe(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(errno) => nix::errno::Errno::from_raw(errno).desc().to_owned(),
        None => error.to_string(),
    }
}

/// The program: parses the process's arguments, does the work, reports any failure, and
/// returns the exit status.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args, &Paths::from_env(), &mut ask_password) {
        Ok(code) => code,
        Err(e) => {
            e.report();
            e.exit_code()
        }
    }
}

/// Asks on the terminal; an interrupted prompt ends the program by its signal.
fn ask_password() -> Result<Vec<u8>, Error> {
    match prompt::ask_password() {
        Ok(Some(password)) => Ok(password),
        Ok(None) => Err(Error::usage(
            "invalid password: none was typed (the input ended)".into(),
        )),
        Err(e) => {
            prompt::finish_interrupted(&e);
            Err(Error::System {
                message: format!("can't read the password: {}", describe(&e)),
                error: e,
            })
        }
    }
}

/// Runs the command line `args` (without argv\[0\]) against the files of `paths`;
/// `ask` provides the password when `--password` is not given. Returns the exit status.
pub fn run(
    args: &[OsString],
    paths: &Paths,
    ask: &mut dyn FnMut() -> Result<Vec<u8>, Error>,
) -> Result<i32, Error> {
    let parsed = cli::parse(args)?;
    for warning in &parsed.warnings {
        eprintln!("{warning}");
    }
    match parsed.command {
        Command::Help => {
            print!("{}", cli::usage());
            Ok(0)
        }
        Command::Create(c) => {
            let password = match &c.password {
                Some(p) => p.clone(),
                None => ask()?,
            };
            secrets::check_secret(&password)
                .map_err(|why| Error::usage(format!("invalid password: {why}")))?;
            create(&c, &password, paths)?;
            if c.start { start(&c.tunnel) } else { Ok(0) }
        }
        Command::Delete(tunnel) => delete(&tunnel, paths).map(|()| 0),
    }
}

/// Writes the tunnel's peers file and its chap-secrets entry.
///
/// The peers file comes first (pptp-linux appends the secret first): if chap-secrets then
/// fails, what is left is a visible peers file that `--delete` removes, not a secret that
/// nothing refers to. Before the entry is appended, the tunnel's earlier lines (of this
/// user, or of the user of the peers file being replaced) are removed, since pppd would go
/// on using the first of two entries; with none, the file is only appended to, as by
/// pptp-linux.
pub fn create(c: &Create, password: &[u8], paths: &Paths) -> Result<(), Error> {
    let peers_path = paths.peers_file(&c.tunnel);
    let secrets_path = paths.chap_secrets();
    let old_peers = files::read_optional(&peers_path)
        .map_err(|e| Error::system("can't read", &peers_path, e))?;
    let old_secrets = files::read_optional(&secrets_path)
        .map_err(|e| Error::system("can't read", &secrets_path, e))?;

    let mut users = vec![c.identity.clone()];
    users.extend(old_peers.and_then(|(text, _)| peers::user_name(&text)));

    let text = peers::text(&c.tunnel, &c.server, &c.identity, c.encrypt);
    files::write_peers(&peers_path, &text)
        .map_err(|e| Error::system("can't write to", &peers_path, e))?;

    let entry = secrets::entry(&c.tunnel, &c.identity, password);
    let stale = match &old_secrets {
        Some((old, _)) => secrets::tunnel_lines(old, &c.tunnel, &users),
        None => Vec::new(),
    };
    match old_secrets {
        Some((old, meta)) if !stale.is_empty() => {
            let mut new = secrets::remove(&old, &stale);
            new.extend_from_slice(&entry);
            files::replace_secrets(&secrets_path, &paths.chap_backup(), &old, &new, &meta)
                .map_err(|e| Error::system("can't write to", &e.path, e.error))
        }
        _ => files::append_secrets(&secrets_path, &entry)
            .map_err(|e| Error::system("can't write to", &secrets_path, e)),
    }
}

/// Removes the tunnel's lines from chap-secrets, then its peers file.
///
/// A tunnel without a peers file is an error, as in pptp-linux ("can't delete"), and
/// nothing is touched. The peers file goes last, so that a failure on chap-secrets leaves
/// the tunnel in place to be deleted again; it also tells whose entries are the tunnel's
/// (its `name`). A missing chap-secrets has no lines to remove.
pub fn delete(tunnel: &str, paths: &Paths) -> Result<(), Error> {
    let peers_path = paths.peers_file(tunnel);
    let secrets_path = paths.chap_secrets();
    let peers =
        std::fs::read(&peers_path).map_err(|e| Error::system("can't delete", &peers_path, e))?;
    let users: Vec<Vec<u8>> = peers::user_name(&peers).into_iter().collect();
    let old_secrets = files::read_optional(&secrets_path)
        .map_err(|e| Error::system("can't read", &secrets_path, e))?;
    if let Some((old, meta)) = old_secrets {
        let lines = secrets::tunnel_lines(&old, tunnel, &users);
        if !lines.is_empty() {
            let new = secrets::remove(&old, &lines);
            files::replace_secrets(&secrets_path, &paths.chap_backup(), &old, &new, &meta)
                .map_err(|e| Error::system("can't write", &e.path, e.error))?;
        }
    }
    std::fs::remove_file(&peers_path).map_err(|e| Error::system("can't delete", &peers_path, e))
}

/// `--start`: `pppd call TUNNEL updetach`, pptp-linux's command, with pppd's exit status.
/// pptp-linux ignores that status and exits 0 even when the connection failed; we pass it
/// on (128 + the signal when pppd was killed), so that a script can tell.
fn start(tunnel: &str) -> Result<i32, Error> {
    let status = Process::new("pppd")
        .args(["call", tunnel, "updetach"])
        .status()
        .map_err(|e| Error::System {
            message: format!("can't run pppd: {}", describe(&e)),
            error: e,
        })?;
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(EXIT_USAGE))
}

#[cfg(test)]
mod tests;
