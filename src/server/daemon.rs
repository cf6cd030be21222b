//! The `pptpd` program's start and end: command line, configuration, logging, going into
//! the background, the pid file, and the service in between.

use std::io::{self, IsTerminal};

use log::{LevelFilter, error, info, warn};

use super::cli;
use super::config;
use super::service::Service;
use crate::sys::daemon::{PidFile, daemonize};

/// Runs `pptpd` with the process's arguments and returns its exit status.
pub fn main() -> i32 {
    let version = format!("pptpd v{} (pptp-rs)", env!("CARGO_PKG_VERSION"));
    let opts = match crate::getopt::start("pptpd", cli::parse, cli::usage, &version) {
        Ok(opts) => opts,
        Err(code) => return code,
    };
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
    let terminal = io::stderr().is_terminal();
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
    // Found now, so that a missing bcrelay is an exit status to whoever started us.
    let bcrelay = match &config.bcrelay {
        Some(interface) => match super::bcrelay::locate() {
            Ok(program) => Some((program, interface.clone(), config.debug)),
            Err(e) => {
                error!("ctrl: {e}");
                tell(&e);
                return 1;
            }
        },
        None => None,
    };
    let loader_opts = opts.clone();
    let loader = Box::new(move || config::load(&loader_opts).map_err(|e| e.to_string()));
    // Bound before going into the background, so that a port in use or a missing
    // privilege is an exit status of 1 to whoever started us (poptop forked first).
    let mut service = match Service::new(config, loader) {
        Ok((s, warnings)) => {
            for w in &warnings {
                warn!("{w}");
                tell(w);
            }
            s
        }
        Err(e) => {
            error!("ctrl: {e}");
            tell(&e);
            return 1;
        }
    };
    if !foreground {
        // poptop: stdin to /dev/null and daemon(0, 0); the pid file is written afterwards.
        if let Err(e) = daemonize() {
            eprintln!("pptpd: cannot go into the background: {e}");
            return 1;
        }
    }
    // A pid file that cannot be written is a warning: the service itself can run.
    let _pidfile = PidFile::create(&pidfile_path)
        .map_err(|e| {
            warn!(
                "ctrl: cannot write pid file {}: {e}",
                pidfile_path.display()
            )
        })
        .ok();
    info!(
        "ctrl: pptpd v{} (pptp-rs) started",
        env!("CARGO_PKG_VERSION")
    );
    // Started after going into the background, so that it is the daemon's child.
    if let Some((program, interface, debug)) = bcrelay {
        match super::bcrelay::start(&program, &interface, debug) {
            Ok(child) => service.adopt_bcrelay(child),
            Err(e) => {
                error!("ctrl: {e}");
                return 1;
            }
        }
    }
    let result = service.run();
    service.stop_bcrelay();
    match result {
        Ok(()) => 0,
        Err(e) => {
            error!("ctrl: {e}");
            1
        }
    }
}
