//! The machine's own limits, measured in the same run as the helpers: how fast one core
//! can send raw GRE to the other namespace, and how much one pty carries. Every helper
//! result is quoted as a fraction of these (performance-notes §3.1).

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};

use crate::sys as fd;
use nix::pty::openpty;

use crate::gre_io::{Load, Target, Window, start_generator};
use crate::netns::{ADDR_B, NS_A, NS_B};
use crate::run::Paths;
use crate::util::{Args, Report, now_ns, pin};

const SEC: u64 = 1_000_000_000;

/// `pptp-bench gre-send dst=IP payload=N t0= t1=`: unpaced raw GRE from one core.
pub fn gre_send(args: &Args) -> i32 {
    pin(0, args.get("cpu", 1));
    let dst: Ipv4Addr = args.need("dst");
    let w = Window {
        t0: args.need("t0"),
        t1: args.need("t1"),
        end: args.need("t1"),
    };
    let socket = match crate::sys::GreSocket::open() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pptp-bench: raw socket: {e}");
            return 1;
        }
    };
    let load = Load {
        payload: args.get("payload", 64),
        pps: 0,
        reorder: 1,
        drop_every: 0,
        window_only: false,
        encoded: false,
    };
    let target = Target {
        socket: std::sync::Arc::new(socket),
        source: None,
        peer: dst,
        call_id: 1,
    };
    let counts = start_generator(vec![target], load, w)
        .join()
        .unwrap_or_default();
    let mut r = Report::default();
    counts.report(&mut r);
    println!("{}", r.line());
    0
}

/// `pptp-bench pty-limit size=N secs=S`: one writer, one reader, one pty, each on its core.
pub fn pty_limit(args: &Args) -> i32 {
    let size: usize = args.get("size", 1404);
    let secs: u64 = args.get("secs", 2);
    let pty = match openpty(None, None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pptp-bench: openpty: {e}");
            return 1;
        }
    };
    if let Ok(mut t) = nix::sys::termios::tcgetattr(pty.slave.as_fd()) {
        nix::sys::termios::cfmakeraw(&mut t);
        let _ =
            nix::sys::termios::tcsetattr(pty.slave.as_fd(), nix::sys::termios::SetArg::TCSANOW, &t);
    }
    let end = now_ns() + secs * SEC;
    let slave = pty.slave;
    let writer = std::thread::spawn(move || {
        pin(0, 0);
        let chunk = vec![0x55u8; size];
        let mut writes = 0u64;
        while now_ns() < end {
            if fd::write(slave.as_fd(), &chunk).is_err() {
                break;
            }
            writes += 1;
        }
        writes
    });
    pin(0, 1);
    let master = pty.master;
    let _ = fd::set_nonblocking(master.as_fd());
    let mut buf = vec![0u8; 65536];
    let mut bytes = 0u64;
    while now_ns() < end {
        match fd::read(master.as_fd(), &mut buf) {
            Ok(n) => bytes += n as u64,
            Err(_) => std::thread::yield_now(),
        }
    }
    drop(master);
    let writes = writer.join().unwrap_or(0);
    let mut r = Report::default();
    r.add("bytes_per_s", bytes / secs)
        .add("writes_per_s", writes / secs);
    println!("{}", r.line());
    0
}

/// The machine's limits, as the report shows them.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Raw GRE packets per second from one core, by payload.
    pub gre_pps: Vec<(usize, f64)>,
    /// pty bytes per second with 1404-byte writes, and writes per second.
    pub pty_bytes_per_s: f64,
    pub pty_writes_per_s: f64,
}

impl Limits {
    pub fn gre(&self, payload: usize) -> Option<f64> {
        self.gre_pps
            .iter()
            .find(|(p, _)| *p == payload)
            .map(|(_, v)| *v)
    }
}

/// Measures the limits (a sink in B drains what A sends).
pub fn measure(p: &Paths, payloads: &[usize]) -> Limits {
    let mut l = Limits::default();
    for &payload in payloads {
        let t0 = now_ns() + SEC;
        let t1 = t0 + 2 * SEC;
        let sink = Command::new("ip")
            .args(["netns", "exec", NS_B])
            .arg(&p.bench)
            .args(["pac", "mode=idle", "cpu=0"])
            .args([format!("listen={ADDR_B}"), format!("end={}", t1 + SEC / 2)])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut sink) = sink else { continue };
        if let Some(out) = sink.stdout.take() {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let out = Command::new("ip")
            .args(["netns", "exec", NS_A])
            .arg(&p.bench)
            .args(["gre-send", "cpu=1"])
            .args([
                format!("dst={ADDR_B}"),
                format!("payload={payload}"),
                format!("t0={t0}"),
                format!("t1={t1}"),
            ])
            .output();
        let _ = sink.wait();
        if let Some(r) = out
            .ok()
            .and_then(|o| crate::util::parse_report(&String::from_utf8_lossy(&o.stdout)))
        {
            l.gre_pps
                .push((payload, r.get::<u64>("gen_window", 0) as f64 / 2.0));
        }
    }
    let out = Command::new(&p.bench)
        .args(["pty-limit", "size=1404", "secs=2"])
        .output();
    if let Some(r) = out
        .ok()
        .and_then(|o| crate::util::parse_report(&String::from_utf8_lossy(&o.stdout)))
    {
        l.pty_bytes_per_s = r.get::<u64>("bytes_per_s", 0) as f64;
        l.pty_writes_per_s = r.get::<u64>("writes_per_s", 0) as f64;
    }
    l
}
