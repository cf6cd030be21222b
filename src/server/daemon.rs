//! The `pptpd` program's start and end: command line, configuration, logging, going into
//! the background, the pid file, and the service in between.

use std::fs;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use log::{LevelFilter, error, info, warn};

use super::cli;
use super::config;
use super::service::Service;

/// Runs `pptpd` with the process's arguments and returns its exit status.
pub fn main() -> i32 {
    let opts = match crate::getopt::utf8_args("pptpd").and_then(|args| cli::parse(&args)) {
        Ok(opts) => opts,
        Err(e) => return e.report(&cli::usage()),
    };
    if opts.help {
        print!("{}", cli::usage());
        return 0;
    }
    if opts.version {
        println!("pptpd v{} (pptp-rs)", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    // Configuration errors go to stderr before anything else happens: an administrator
    // starting the service sees them, and systemd's journal keeps them.
    let (config, warnings) = match config::load(&opts) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let foreground = opts.fg;
    let level = if config.debug {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    };
    let terminal = nix::unistd::isatty(io::stderr().as_fd()).unwrap_or(false);
    crate::logging::init("pptpd", None, level, foreground && terminal);
    // What the administrator must see goes to stderr as well, unless the logger already
    // writes there.
    let tell = |text: &str| {
        if !(foreground && terminal) {
            eprintln!("pptpd: {text}");
        }
    };
    for w in &warnings {
        let w = w.strip_prefix("pptpd: ").unwrap_or(w);
        warn!("{w}");
        tell(w);
    }
    let pidfile_path = config.pidfile.clone();
    let loader_opts = opts.clone();
    let loader = Box::new(move || config::load(&loader_opts).map_err(|e| e.to_string()));
    // Bound before going into the background, so that a port in use or a missing
    // privilege is an exit status of 1 to whoever started us (poptop forked first).
    let mut service = match Service::new(config, loader) {
        Ok(s) => s,
        Err(e) => {
            error!("ctrl: {e}");
            tell(&e);
            return 1;
        }
    };
    if !foreground {
        // poptop: stdin to /dev/null and daemon(0, 0); the pid file is written afterwards.
        if let Err(e) = nix::unistd::daemon(false, false) {
            eprintln!("pptpd: cannot go into the background: {e}");
            return 1;
        }
    }
    let _pidfile = PidFile::create(&pidfile_path);
    info!(
        "ctrl: pptpd v{} (pptp-rs) started",
        env!("CARGO_PKG_VERSION")
    );
    match service.run() {
        Ok(()) => 0,
        Err(e) => {
            error!("ctrl: {e}");
            1
        }
    }
}

/// The pid file: written at start, removed at exit (poptop never removed it).
struct PidFile(Option<PathBuf>);

impl PidFile {
    fn create(path: &Path) -> PidFile {
        match fs::write(path, format!("{}\n", std::process::id())) {
            Ok(()) => PidFile(Some(path.to_path_buf())),
            Err(e) => {
                warn!("ctrl: cannot write pid file {}: {e}", path.display());
                PidFile(None)
            }
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}
