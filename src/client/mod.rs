//! The `pptp` program: a drop-in for pptp-linux's client.
//!
//! Two ways to run it, as with pptp-linux:
//! - `pppd ... pty "pptp HOST --nolaunchpppd [options]"`: pppd owns the link and hands us
//!   its PPP stream on fd 0 (and fd 1);
//! - `pptp HOST [options] [pppd options]`: we start pppd on a pty of our own
//!   and exit with pppd's exit status.

pub mod cli;
pub mod tunnel;

use std::io;
use std::net::{SocketAddrV4, ToSocketAddrs};
use std::path::Path;

use log::{LevelFilter, error, info, warn};

use crate::link::ppp_stream::PppFds;
use crate::proto::gre::GreConfig;
use crate::proto::pns::{CloseReason, PnsConfig};
use crate::proto::tx_reorder::{TestType, TxReorder};
use crate::sys::daemon::PidFile;
use crate::sys::pppd::{self, TtyUse};
use crate::sys::{fd, route::HostRoute};
use cli::{ClientOptions, Quirk};
use tunnel::{Outcome, Tunnel, TunnelConfig};

/// Runs `pptp` with the process's arguments and returns its exit status.
pub fn main() -> i32 {
    let version = format!("pptp version {} (pptp-rs)", env!("CARGO_PKG_VERSION"));
    let opts = match crate::getopt::start("pptp", cli::parse, cli::usage, &version) {
        Ok(opts) => opts,
        Err(code) => return code,
    };
    // pppd hands the pty program its log fd as stderr, so that what pptp says appears in
    // `pppd call NAME nodetach` and pppd's log file, as pptp-linux's messages do: write
    // there whenever stderr is open (each line once; syslog gets its own copy).
    let to_stderr = opts.debug || fd::is_open(io::stderr());
    crate::logging::init(
        "pptp",
        Some(opts.logstring.clone()),
        log_level(&opts),
        to_stderr,
    );
    // Said to the person who typed the options (each already starts with "pptp:").
    for w in cli::warnings(&opts) {
        eprintln!("{w}");
    }
    match run(&opts) {
        Ok(code) => code,
        Err(e) => {
            error!("{e}");
            1
        }
    }
}

/// `--loglevel 2` or `--debug` add debug messages. Levels 0 and 1 both keep notices:
/// pptp-linux logs connection events and statistics whatever the level, and its level 1
/// only adds per-packet reorder messages, which we count instead of logging.
fn log_level(opts: &ClientOptions) -> LevelFilter {
    if opts.debug || opts.loglevel >= 2 {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    }
}

fn run(opts: &ClientOptions) -> Result<i32, String> {
    let server = resolve(&opts.host, opts.port)?;
    let _pidfile = opts
        .pidfile
        .as_deref()
        .map(|p| {
            PidFile::create(p).map_err(|e| format!("cannot write pid file {}: {e}", p.display()))
        })
        .transpose()?;
    // Dropped on return, which removes the route again (pptp-linux leaves it behind).
    let _route = if opts.host_route {
        match HostRoute::add(*server.ip()) {
            Ok(mut route) => {
                if opts.quirks == Some(Quirk::KeepHostRoute) {
                    route.keep_at_exit();
                }
                Some(route)
            }
            Err(e) => {
                warn!("route: no host route to the server: {e}");
                None
            }
        }
    } else {
        None
    };
    let config = tunnel_config(opts, server)?;
    if opts.launch_pppd {
        return run_launch(opts, config);
    }
    let mut tunnel = Tunnel::open(config, stdio_stream()?)?;
    Ok(exit_code(&tunnel.run()))
}

/// pppd's stream in `--nolaunchpppd` mode. pppd's pty gives us one read-write descriptor on
/// both fd 0 and fd 1; with `record` they are two pipes. pptp-linux writes to fd 0, which
/// breaks the second case; we write to fd 1 whenever it is open for writing.
fn stdio_stream() -> Result<PppFds, String> {
    let cannot = |what: &str, e: io::Error| format!("pppd: cannot use {what}: {e}");
    let input = fd::dup_stdio(false).map_err(|e| cannot("fd 0", e))?;
    fd::set_nonblocking(&input).map_err(|e| cannot("fd 0", e))?;
    if !fd::is_writable(io::stdout()) {
        return Ok(PppFds::single(input));
    }
    let output = fd::dup_stdio(true).map_err(|e| cannot("fd 1", e))?;
    fd::set_nonblocking(&output).map_err(|e| cannot("fd 1", e))?;
    Ok(PppFds::pair(input, output))
}

fn run_launch(opts: &ClientOptions, config: TunnelConfig) -> Result<i32, String> {
    let mut args = vec![opts.speed.clone()];
    args.extend(opts.extra_pppd_opts.iter().cloned());
    args.extend(opts.pppd_args.iter().cloned());
    // pppd is our child and we exit with its status, so it must not fork into the
    // background (pptp-linux exec'd pppd in the original process instead). Last, so that
    // it wins over a `updetach` among the user's options.
    args.push("nodetach".into());
    let spawned = pppd::spawn(Path::new(pppd::PPPD), TtyUse::ByPath, &args)
        .map_err(|e| format!("pppd: cannot start {}: {e}", pppd::PPPD))?;
    info!(
        "pppd: started pid={} tty={}",
        spawned.child.pid(),
        spawned.tty.display()
    );
    let master = spawned
        .master
        .try_clone()
        .map_err(|e| format!("pppd: cannot use its pty: {e}"))?;
    let child = std::rc::Rc::new(std::cell::RefCell::new(spawned));
    let status = {
        let mut tunnel = match Tunnel::open(config, PppFds::single(master)) {
            Ok(t) => t,
            Err(e) => {
                let mut pppd = child.borrow_mut();
                pppd.child.terminate();
                let _ = pppd.child.wait();
                return Err(e);
            }
        };
        let watched = child.clone();
        tunnel.watch_child(Box::new(move || {
            matches!(watched.borrow_mut().child.try_reap(), Ok(Some(_)))
        }));
        let outcome = tunnel.run();
        exit_code(&outcome);
        let mut pppd = child.borrow_mut();
        pppd.child.terminate();
        pppd.child.wait()
    };
    match status {
        Ok(status) => {
            info!("pppd: exited, {}", pppd::exit_meaning(status));
            Ok(status.code().unwrap_or(1))
        }
        Err(e) => Err(format!("pppd: cannot wait for it: {e}")),
    }
}

/// Logs how the tunnel ended and maps it to pptp-linux's exit codes.
fn exit_code(outcome: &Outcome) -> i32 {
    match outcome {
        Outcome::Closed(CloseReason::Local) => {
            info!("ctrl: closed");
            0
        }
        Outcome::Closed(reason) => {
            error!("ctrl: {reason}");
            1
        }
        Outcome::ConnectFailed(why) => {
            error!("ctrl: cannot connect: {why}");
            1
        }
    }
}

fn tunnel_config(opts: &ClientOptions, server: SocketAddrV4) -> Result<TunnelConfig, String> {
    let pns = PnsConfig {
        call_id: crate::sys::random::random_u16()
            .map_err(|e| format!("cannot read /dev/urandom for a call id: {e}"))?,
        phone: opts.phone.clone().unwrap_or_default(),
        calling_number: opts.calling_number.clone().unwrap_or_default(),
        incoming_call: opts.incoming_call,
        sync: opts.sync,
        idle_wait: opts.idle_wait,
        max_echo_wait: opts.max_echo_wait,
        bezeq_quirk: opts.quirks == Some(Quirk::BezeqIsrael),
        host_name: "local".into(),
    };
    let gre = GreConfig {
        reorder_timeout: opts.reorder_timeout,
        nobuffer: opts.nobuffer,
        missing_window: opts.missing_window,
        delayed_ack: opts.delayed_ack,
        always_ack: opts.always_ack,
        send_window: opts.window,
    };
    Ok(TunnelConfig {
        server,
        localbind: opts.localbind,
        rtmark: opts.rtmark,
        pns,
        gre,
        sync: opts.sync,
        tx_reorder: TestType::from_number(opts.test_type)
            .map(|t| TxReorder::new(t, opts.test_rate)),
    })
}

/// The first IPv4 address of `host`, as pptp-linux's getaddrinfo(AF_INET) does.
fn resolve(host: &str, port: u16) -> Result<SocketAddrV4, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    addrs
        .filter_map(|a| match a {
            std::net::SocketAddr::V4(v4) => Some(v4),
            std::net::SocketAddr::V6(_) => None,
        })
        .next()
        .ok_or_else(|| format!("cannot resolve {host}: no IPv4 address"))
}
