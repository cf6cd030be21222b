//! The stand-in for pppd: the pty side of the helper under test.
//!
//! `feed` plays pppd's `pty` option for a client: it opens a pty, sets the slave raw as
//! pppd's get_pty does (ppp-2.4.9 sys-linux.c), and starts the helper with the master as
//! fd 0 and fd 1 (tty.c: device_script(ptycommand, pty_master, pty_master)). `pppd` is the
//! same stand-in started *by* a server: the slave is already its fd 0 and fd 1. Both then
//! write frames (TX: what pppd would send), or read and check them (RX), or sit idle.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::sys as fd;
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::openpty;
use nix::sys::signal::{Signal, kill};
use nix::sys::termios::{self, ControlFlags, SetArg};
use nix::unistd::Pid;
use pptp_rs::wire::hdlc::AsyncDecoder;
use pptp_rs::wire::ppp::SyncDeframer;

use crate::frames::{self, Accm, SeqCheck};
use crate::util::{Args, Report, now_ns, pin, sleep_until, wait_until};

/// Frames in the block a TX feeder writes over and over; tags cycle through it.
pub const BLOCK_FRAMES: u32 = 256;
/// An LCP Configure-Request: poptop's pptpctrl reads GRE only once pppd has written.
const LCP_FRAME: [u8; 8] = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];

/// What the pppd side does during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Tx,
    Rx,
    Idle,
}

/// Settings shared by `feed` and `pppd`.
struct Plan {
    mode: Mode,
    payload: usize,
    per_frame: bool,
    sync: bool,
    /// TX: ACCM 0 and MPPE-like frames (pppd in steady state), or every control character
    /// escaped and IPv4-shaped frames (pppd before LCP has agreed on a map).
    accm: Accm,
    /// RX: the helper is the floor relay, which passes frames from the generator as they
    /// come, their tags cycling through a block (see gre_io's `Load::encoded`).
    floor: bool,
    t0: u64,
    t1: u64,
    end: u64,
}

impl Plan {
    fn from(args: &Args) -> Plan {
        let mode = match args.text("mode").unwrap_or("idle") {
            "tx" => Mode::Tx,
            "rx" => Mode::Rx,
            _ => Mode::Idle,
        };
        Plan {
            mode,
            payload: args.get("payload", 1400),
            per_frame: args.text("write") == Some("frame"),
            sync: args.get("sync", 0u8) == 1,
            accm: if args.text("accm") == Some("0") {
                Accm::Zero
            } else {
                Accm::All
            },
            floor: args.get("floor", 0u8) == 1,
            t0: args.get("t0", 0),
            t1: args.get("t1", 0),
            end: args.need("end"),
        }
    }
}

/// Counts at the window's edges and overall.
#[derive(Default)]
struct Counts {
    frames: u64,
    at_t0: Option<u64>,
    at_t1: Option<u64>,
    check: SeqCheck,
    bad: u64,
}

impl Counts {
    fn mark(&mut self, now: u64, plan: &Plan) {
        if now >= plan.t0 && self.at_t0.is_none() {
            self.at_t0 = Some(self.frames);
        }
        if now >= plan.t1 && self.at_t1.is_none() {
            self.at_t1 = Some(self.frames);
        }
    }

    fn report(&self, r: &mut Report) {
        let t0 = self.at_t0.unwrap_or(self.frames);
        r.add("frames", self.frames)
            .add("window_frames", self.at_t1.unwrap_or(self.frames) - t0)
            .add("missing", self.check.missing)
            .add("out_of_order", self.check.out_of_order)
            .add("bad", self.bad);
    }
}

/// `pptp-bench feed key=value... -- HELPER ARGS...`: runs the helper on a pty as pppd would.
pub fn feed(args: &Args, cmd: &[String]) -> i32 {
    let plan = Plan::from(args);
    if args.get("private_run", 0u8) == 1 {
        private_run();
    }
    pin(0, args.get("cpu", 0));
    let pty = match openpty(None, None) {
        Ok(p) => p,
        Err(e) => return fail(&format!("openpty: {e}")),
    };
    // The helper gets the master as fd 0 and 1 and nothing else, as from pppd (whose
    // device_script closes every other descriptor): holding the slave too, it would never
    // see the pty close.
    for fd in [pty.master.as_fd(), pty.slave.as_fd()] {
        let _ = fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    }
    set_raw(pty.slave.as_fd());
    let exec_ns = now_ns();
    let mut child = match spawn(cmd, pty.master, args.text("log")) {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot start {}: {e}", cmd[0])),
    };
    pin(child.id(), args.get("helper_cpu", 1));
    let counts = run(&plan, pty.slave.as_fd(), &AtomicBool::new(false));
    stop(&mut child);
    let mut r = Report::default();
    r.add("exec_ns", exec_ns).add("pid", child.id());
    counts.report(&mut r);
    println!("{}", r.line());
    0
}

/// `pptp-bench pppd ...` (started by a server as its pppd): the slave is fd 0 and fd 1; the
/// plan comes from `pppd.conf` beside the program, since a server passes pppd's own argv.
pub fn fake_pppd(conf: &str) -> i32 {
    let args = match std::fs::read_to_string(conf) {
        Ok(text) => {
            let words: Vec<String> = text.split_whitespace().map(String::from).collect();
            Args::parse(&words).unwrap_or_default()
        }
        Err(e) => return fail(&format!("cannot read {conf}: {e}")),
    };
    let plan = Plan::from(&args);
    pin(0, args.get("cpu", 0));
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    let stdin = std::io::stdin();
    set_raw(stdin.as_fd());
    let _ = write_all(stdin.as_fd(), &encoded(&LCP_FRAME, plan.sync, Accm::All));
    let counts = run(&plan, stdin.as_fd(), &stop);
    let mut r = Report::default();
    r.add("pid", std::process::id());
    counts.report(&mut r);
    if let Some(path) = args.text("counts") {
        // One short O_APPEND write per process: lines from many pppds never interleave.
        let file = OpenOptions::new().append(true).create(true).open(path);
        let _ = file.and_then(|mut f| f.write_all(format!("{}\n", r.line()).as_bytes()));
    }
    0
}

fn fail(msg: &str) -> i32 {
    eprintln!("pptp-bench: {msg}");
    1
}

/// pptp-linux keeps its call-manager socket in /var/run/pptp; a tmpfs over /run, private
/// to this mount namespace (`ip netns exec` made one), keeps runs apart and the host clean.
fn private_run() {
    use nix::mount::{MsFlags, mount};
    let _ = mount(
        Some("tmpfs"),
        "/run",
        Some("tmpfs"),
        MsFlags::empty(),
        None::<&str>,
    );
    let _ = std::fs::create_dir_all("/run/pptp");
}

/// Raw mode, as pppd's get_pty leaves the slave: 8 bits, no echo, no line editing.
fn set_raw(slave: BorrowedFd<'_>) {
    if let Ok(mut t) = termios::tcgetattr(slave) {
        termios::cfmakeraw(&mut t);
        t.control_flags |= ControlFlags::CS8 | ControlFlags::CREAD | ControlFlags::CLOCAL;
        let _ = termios::tcsetattr(slave, SetArg::TCSANOW, &t);
    }
}

fn spawn(cmd: &[String], master: OwnedFd, log: Option<&str>) -> std::io::Result<Child> {
    let stderr = match log {
        Some(path) => Stdio::from(std::fs::File::create(path)?),
        None => Stdio::null(),
    };
    Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::from(master.try_clone()?))
        .stdout(Stdio::from(master))
        .stderr(stderr)
        .spawn()
}

/// SIGTERM, then SIGKILL if the helper has not gone within 3 s (pptpctrl can hang in
/// waitpid at teardown; performance-notes §4.3).
fn stop(child: &mut Child) {
    let pid = Pid::from_raw(child.id() as i32);
    let _ = kill(pid, Signal::SIGTERM);
    if !wait_until(child, now_ns() + 3_000_000_000) {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// One frame as pppd puts it on the pty: HDLC-encoded (async) or as is (sync).
fn encoded(frame: &[u8], sync: bool, accm: Accm) -> Vec<u8> {
    if sync {
        return frame.to_vec();
    }
    frames::encode(frame, accm)
}

fn run(plan: &Plan, pty: BorrowedFd<'_>, stop: &AtomicBool) -> Counts {
    match plan.mode {
        Mode::Tx => transmit(plan, pty, stop),
        Mode::Rx | Mode::Idle => receive(plan, pty, stop),
    }
}

/// Writes frames until t1: whole blocks (maximum batching), or one write per frame as
/// ppp_async and ppp_synctty do. Blocking writes: the pty's back-pressure paces us.
fn transmit(plan: &Plan, pty: BorrowedFd<'_>, stop: &AtomicBool) -> Counts {
    // Every frame after the first omits its leading flag, as ppp_async sends one only
    // after a second of idle line (ppp_async.c: flag_time).
    let frames: Vec<Vec<u8>> = (0..BLOCK_FRAMES)
        .map(|tag| {
            let frame = match plan.accm {
                Accm::All => frames::frame(plan.payload, tag),
                Accm::Zero => frames::mppe_frame(plan.payload, tag),
            };
            let e = encoded(&frame, plan.sync, plan.accm);
            if plan.sync || tag == 0 {
                e
            } else {
                e[1..].to_vec()
            }
        })
        .collect();
    let block = frames.concat();
    let mut c = Counts::default();
    loop {
        let now = now_ns();
        c.mark(now, plan);
        if now >= plan.t1 || stop.load(Ordering::Relaxed) {
            break;
        }
        let sent = if plan.per_frame {
            frames.iter().all(|f| write_all(pty, f).is_ok())
        } else {
            write_all(pty, &block).is_ok()
        };
        if !sent {
            break;
        }
        c.frames += u64::from(BLOCK_FRAMES);
    }
    // Keep the slave open until the end: the helper exits on EOF or EIO (notes §4.3).
    receive_until(plan.end, pty, stop, &mut |_| {});
    c
}

/// Reads, decodes and checks frames until `end`.
fn receive(plan: &Plan, pty: BorrowedFd<'_>, stop: &AtomicBool) -> Counts {
    let mut c = Counts::default();
    if plan.floor && !plan.sync {
        c.check = SeqCheck::cycling(BLOCK_FRAMES);
    }
    let mut async_in = AsyncDecoder::new();
    let mut sync_in = SyncDeframer::new();
    let sync = plan.sync;
    let mut on_bytes = |bytes: &[u8], c: &mut Counts| {
        let mut take = |f: Result<&[u8], String>| match f {
            Ok(f) => {
                if let Some(tag) = frames::tag(f) {
                    c.frames += 1;
                    c.check.push(tag);
                }
            }
            Err(_) => c.bad += 1,
        };
        if sync {
            sync_in.push(bytes, |f| take(f.map_err(|e| e.to_string())));
        } else {
            async_in.push(bytes, |f| take(f.map_err(|e| e.to_string())));
        }
    };
    let mut buf = vec![0u8; 65536];
    loop {
        let now = now_ns();
        c.mark(now, plan);
        if now >= plan.end || stop.load(Ordering::Relaxed) {
            break;
        }
        if !wait_readable(pty, plan.end.saturating_sub(now).min(50_000_000)) {
            continue;
        }
        match fd::read(pty, &mut buf) {
            Ok(0) => break,
            Ok(n) => on_bytes(&buf[..n], &mut c),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(_) => break, // EIO: the helper closed its side
        }
    }
    c
}

fn receive_until(end: u64, pty: BorrowedFd<'_>, stop: &AtomicBool, sink: &mut dyn FnMut(&[u8])) {
    let mut buf = vec![0u8; 65536];
    while now_ns() < end && !stop.load(Ordering::Relaxed) {
        if wait_readable(pty, 50_000_000) {
            match fd::read(pty, &mut buf) {
                Ok(0) => break,
                Ok(n) => sink(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    sleep_until(end.min(now_ns() + 50_000_000));
                }
            }
        }
    }
}

fn wait_readable(fd: BorrowedFd<'_>, ns: u64) -> bool {
    let ms = (ns / 1_000_000).clamp(1, 1000) as u16;
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
}

fn write_all(fd: BorrowedFd<'_>, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match fd::write(fd, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
