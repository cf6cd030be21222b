//! pptp-bench: the side-by-side benchmark of pptp-rs against pptp-linux and poptop.
//!
//! One binary plays every role, so that all of them share the project's wire code:
//! - `feed`: the pppd stand-in that starts a client on a pty (pppd's `pty` option);
//! - `pppd`: the same stand-in when a server starts it (it is called as `pppd`);
//! - `pac`: a scripted server for clients, with the GRE sink and generator;
//! - `pns`: a scripted client for servers, one TCP connection per tunnel;
//! - `floor`: the floor relay, a client helper with the system calls and no protocol work.
//!
//! See performance-notes §4 for the design this follows.

mod feed;
mod floor;
mod frames;
mod gre_io;
mod limits;
mod netns;
mod peer;
mod procstat;
mod report;
mod run;
mod sys;
mod util;

use util::Args;

const USAGE: &str = "usage: pptp-bench run [quick=1] [reps=N] [only=TEXT]
       pptp-bench ROLE key=value... [-- HELPER ARGS...]
roles: feed, pac, pns, floor, gre-send, pty-limit, netns-up, netns-down
       (and pppd, when a server starts it under that name)";

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let called = std::path::Path::new(&argv[0])
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if called == "pppd" {
        std::process::exit(feed::fake_pppd(FAKE_PPPD_CONF));
    }
    let Some(role) = argv.get(1) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let rest = &argv[2..];
    let (words, cmd) = match rest.iter().position(|w| w == "--") {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let args = Args::parse(words).unwrap_or_else(|e| {
        eprintln!("pptp-bench: {e}\n{USAGE}");
        std::process::exit(2)
    });
    let code = match role.as_str() {
        "feed" if !cmd.is_empty() => feed::feed(&args, cmd),
        "run" => report::bench(&args, &paths()),
        "gre-send" => limits::gre_send(&args),
        "pty-limit" => limits::pty_limit(&args),
        "pac" => peer::pac(&args),
        "pns" => peer::pns(&args),
        "floor" => floor::floor(&args),
        "pppd" => feed::fake_pppd(FAKE_PPPD_CONF),
        "netns-up" => match netns::create() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("pptp-bench: {e}");
                1
            }
        },
        "netns-down" => {
            netns::destroy();
            0
        }
        _ => {
            eprintln!("pptp-bench: unknown role '{role}'\n{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// Where the orchestrator leaves the plan of the stand-in pppds a server starts (a server
/// passes pppd its own argv, so the plan cannot travel there).
pub const FAKE_PPPD_CONF: &str = "/tmp/pptp-bench/pppd.conf";

/// Our programs sit beside this one; the references are Debian's.
fn paths() -> run::Paths {
    let bench = std::env::current_exe().unwrap_or_else(|_| "pptp-bench".into());
    let dir = bench.parent().map(|d| d.to_path_buf()).unwrap_or_default();
    let work = std::path::PathBuf::from("/tmp/pptp-bench");
    let _ = std::fs::create_dir_all(work.join("bin"));
    let pppd = work.join("bin/pppd");
    let _ = std::fs::remove_file(&pppd);
    let _ = std::os::unix::fs::symlink(&bench, &pppd);
    run::Paths {
        ours_pptp: dir.join("pptp"),
        ours_pptpd: dir.join("pptpd"),
        ref_pptp: "/usr/sbin/pptp".into(),
        ref_pptpd: "/usr/sbin/pptpd".into(),
        bench,
        dir: work,
    }
}
