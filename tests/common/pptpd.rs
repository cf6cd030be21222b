//! The harness of the pptpd process tests: the server in a directory of its own with a
//! fake pppd, and the scripted client (PNS) that talks to it. See the ground rules in
//! tests/server_process.rs.

use std::fs;

use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};
use nix::unistd::Pid;

use pptp_rs::wire::ctrl::{
    ControlMessage, OutgoingCallReply, OutgoingCallRequest, PROTOCOL_VERSION, StartCtrlConn,
};

use super::{Ctrl, EXIT_WAIT, GreSock, LCP_FRAME, LOCALHOST, Next, STEP_WAIT, Stderr, gre_packet};

// ---- the server process ----

/// A test's directory: configuration, fake pppd, its option file and what it records.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(n: u8) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("pptpd-server-process-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the test directory");
        let dir = Dir(dir);
        let script = format!(
            "#!/bin/sh\necho $$ >> {pids}\necho \"$*\" >> {argv}\nexec cat\n",
            pids = dir.path("pids").display(),
            argv = dir.path("argv").display()
        );
        let pppd = dir.path("fake-pppd");
        fs::write(&pppd, script).expect("write the fake pppd");
        fs::set_permissions(&pppd, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(dir.path("options"), "# options for the fake pppd\n").unwrap();
        dir
    }

    /// The control socket a test names with `control-socket` (under the test's directory).
    pub fn control(&self) -> PathBuf {
        self.path("control")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The lines of a file the fake pppd appends to (none yet: empty).
    pub fn lines(&self, name: &str) -> Vec<String> {
        fs::read_to_string(self.path(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until the fake pppd has recorded `count` starts; returns the argv lines.
    pub fn wait_argv(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + STEP_WAIT;
        loop {
            let argv = self.lines("argv");
            if argv.len() >= count && self.lines("pids").len() >= count {
                return argv;
            }
            assert!(
                Instant::now() < deadline,
                "the fake pppd was started {} times, expected {count}",
                argv.len()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// The pid of the `index`th fake pppd (it became `cat`).
    pub fn pppd_pid(&self, index: usize) -> Pid {
        self.wait_argv(index + 1);
        let pid = self.lines("pids")[index].trim().parse().expect("pid");
        Pid::from_raw(pid)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The configuration every test starts from, then `extra` lines.
///
/// Servers run side by side, so none has the default control socket: a test that wants
/// one names it (`control-socket {DIR}/control`, see [`Dir::control`]); `{DIR}` in
/// `extra` stands for the test's directory. Nor do they read the machine's
/// /etc/hosts.allow and /etc/hosts.deny, unless a test names tables of its own.
pub fn conf_text(dir: &Dir, n: u8, extra: &str) -> String {
    let mut control = if extra.contains("control-socket") {
        String::new()
    } else {
        "control-socket none\n".to_owned()
    };
    for keyword in ["hosts-allow", "hosts-deny"] {
        if !extra.contains(keyword) {
            control.push_str(&format!("{keyword} none\n"));
        }
    }
    format!(
        "listen 127.0.0.{n}\nppp {ppp}\noption {opt}\npidfile {pid}\nlocalip 10.{n}.0.1\n{control}{extra}",
        ppp = dir.path("fake-pppd").display(),
        opt = dir.path("options").display(),
        pid = dir.path("pptpd.pid").display(),
    )
    .replace("{DIR}", &dir.0.display().to_string())
}

/// A running `pptpd`. Dropping it kills the server if it is still running; the fake
/// pppds (children of the server) get SIGTERM when it goes.
pub struct Pptpd {
    pub child: Child,
    pub stderr: Stderr,
    pub exited: Option<ExitStatus>,
    pub ip: Ipv4Addr,
    pub dir: Dir,
}

impl Pptpd {
    /// Runs pptpd with exactly `args`, in `dir`.
    pub fn spawn(dir: Dir, ip: Ipv4Addr, args: &[&str]) -> Pptpd {
        Pptpd::spawn_under(&[], dir, ip, args)
    }

    /// Runs pptpd under `wrapper` (a command that execs its arguments, such as
    /// `prlimit --nofile=1024:1024 --`), so that the child's pid is pptpd's.
    pub fn spawn_under(wrapper: &[&str], dir: Dir, ip: Ipv4Addr, args: &[&str]) -> Pptpd {
        let pptpd = env!("CARGO_BIN_EXE_pptpd");
        let (program, rest) = match wrapper.split_first() {
            Some((w, rest)) => (*w, rest),
            None => (pptpd, &[][..]),
        };
        let mut cmd = Command::new(program);
        if !wrapper.is_empty() {
            cmd.args(rest).arg(pptpd);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot run pptpd");
        let stderr = Stderr::capture(child.stderr.take().unwrap());
        Pptpd {
            child,
            stderr,
            exited: None,
            ip,
            dir,
        }
    }

    /// Server N: 127.0.0.N, the base configuration plus `extra` lines, in the foreground
    /// with debug; returns once it listens (its pid file is written after binding).
    pub fn start(n: u8, extra: &str) -> Pptpd {
        Pptpd::start_under(&[], n, extra)
    }

    /// As [`start`](Self::start), under `wrapper` (see [`spawn_under`](Self::spawn_under)).
    pub fn start_under(wrapper: &[&str], n: u8, extra: &str) -> Pptpd {
        Pptpd::start_with(wrapper, Dir::new(n), n, extra)
    }

    /// As [`start`](Self::start), in `dir` (made with [`Dir::new`]`(n)`), which the test
    /// may have filled with files the configuration names.
    pub fn start_in(dir: Dir, n: u8, extra: &str) -> Pptpd {
        Pptpd::start_with(&[], dir, n, extra)
    }

    fn start_with(wrapper: &[&str], dir: Dir, n: u8, extra: &str) -> Pptpd {
        let conf = dir.path("pptpd.conf");
        fs::write(&conf, conf_text(&dir, n, extra)).unwrap();
        let conf = conf.display().to_string();
        let mut server = Pptpd::spawn_under(
            wrapper,
            dir,
            Ipv4Addr::new(127, 0, 0, n),
            &["--fg", "-d", "-c", &conf],
        );
        let deadline = Instant::now() + STEP_WAIT;
        while !server.dir.path("pptpd.pid").exists() {
            if let Some(status) = server.child.try_wait().unwrap() {
                server.exited = Some(status);
                server.stderr.wait_eof(STEP_WAIT);
                panic!("pptpd exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "pptpd never wrote its pid file");
            thread::sleep(Duration::from_millis(10));
        }
        server
    }

    /// Rewrites the configuration file (for SIGHUP).
    pub fn rewrite_conf(&self, n: u8, extra: &str) {
        fs::write(self.dir.path("pptpd.conf"), conf_text(&self.dir, n, extra)).unwrap();
    }

    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), signal).expect("kill pptpd");
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("waitpid").is_none()
    }

    /// Waits for pptpd to exit (panics after [`EXIT_WAIT`]); its exit code and stderr.
    pub fn wait_exit(&mut self) -> (i32, String) {
        let deadline = Instant::now() + EXIT_WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waitpid") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "pptpd still running after {EXIT_WAIT:?}"
            );
            thread::sleep(Duration::from_millis(20));
        };
        self.exited = Some(status);
        self.stderr.wait_eof(STEP_WAIT);
        let code = status
            .code()
            .unwrap_or_else(|| panic!("pptpd killed by a signal: {status}"));
        (code, self.stderr.text())
    }

    /// A new control connection from 127.0.0.1.
    pub fn connect(&self) -> Ctrl {
        connect_from_localhost(self.ip)
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// How many file descriptors the server holds open.
    pub fn open_fds(&self) -> usize {
        fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// The server's children as (pid, state letter), from /proc.
    pub fn children(&self) -> Vec<(i32, char)> {
        let me = self.child.id() as i32;
        let mut out = Vec::new();
        for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...: comm may hold spaces, so split after the ')'.
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let mut fields = rest.split_whitespace();
            let state = fields.next().and_then(|s| s.chars().next());
            let ppid = fields.next().and_then(|p| p.parse::<i32>().ok());
            let pid = head.split_whitespace().next().and_then(|p| p.parse().ok());
            if let (Some(pid), Some(state), Some(ppid)) = (pid, state, ppid)
                && ppid == me
            {
                out.push((pid, state));
            }
        }
        out
    }

    /// Waits until the server has no child left at all (every pppd exited and reaped).
    pub fn wait_no_children(&self) {
        let deadline = Instant::now() + STEP_WAIT;
        loop {
            let children = self.children();
            if children.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "pptpd still has children (pid, state): {children:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pptpd {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // A daemonized server (a test that failed to make it fail) has its pid file.
        if let Ok(pid) = fs::read_to_string(self.dir.path("pptpd.pid"))
            && let Ok(pid) = pid.trim().parse::<i32>()
            && pid != self.child.id() as i32
        {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        if thread::panicking() {
            eprintln!(
                "---- pptpd stderr ----\n{}---- end ----",
                self.stderr.text()
            );
        }
    }
}

/// Waits until `pid` no longer exists (exited and reaped by its parent, the server).
pub fn wait_gone(pid: Pid) {
    let deadline = Instant::now() + STEP_WAIT;
    while kill(pid, None) != Err(Errno::ESRCH) {
        assert!(Instant::now() < deadline, "process {pid} still there");
        thread::sleep(Duration::from_millis(10));
    }
}

// ---- the scripted client ----

/// A TCP connection from 127.0.0.1 to `server`:1723.
pub fn connect_from_localhost(server: Ipv4Addr) -> Ctrl {
    connect_from(server, LOCALHOST)
}

/// A TCP connection from `source` (any 127.x.y.z: loopback takes them all) to
/// `server`:1723, for tests that need clients at distinct addresses.
pub fn connect_from(server: Ipv4Addr, source: Ipv4Addr) -> Ctrl {
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .expect("socket");
    bind(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(source, 0)),
    )
    .unwrap_or_else(|e| panic!("bind the client to {source}: {e}"));
    connect(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(server, 1723)),
    )
    .unwrap_or_else(|e| panic!("connect to {server}:1723: {e}"));
    let stream = TcpStream::from(fd);
    stream.set_nodelay(true).unwrap();
    Ctrl {
        stream,
        buf: Vec::new(),
    }
}

pub fn sccrq(protocol_version: u16) -> ControlMessage {
    ControlMessage::StartCtrlConnRequest(StartCtrlConn {
        protocol_version,
        result_code: 0,
        error_code: 0,
        framing_capabilities: 1,
        bearer_capabilities: 1,
        maximum_channels: 0,
        firmware_revision: 1,
        host_name: "scripted-pns".into(),
        vendor: "server_process test".into(),
    })
}

pub fn ocrq(call_id: u16) -> ControlMessage {
    ControlMessage::OutgoingCallRequest(OutgoingCallRequest {
        call_id,
        call_serial: call_id,
        minimum_bps: 2400,
        maximum_bps: 10_000_000,
        bearer_type: 3,
        framing_type: 1,
        recv_window: 64,
        processing_delay: 0,
        phone_number: String::new(),
        subaddress: String::new(),
    })
}

/// Sends SCCRQ and returns the server's SCCRP.
pub fn start_ctrl(ctrl: &mut Ctrl, protocol_version: u16) -> StartCtrlConn {
    ctrl.send(sccrq(protocol_version));
    match ctrl.recv() {
        ControlMessage::StartCtrlConnReply(reply) => reply,
        other => panic!("expected start-control-connection-reply, got {other:?}"),
    }
}

/// SCCRQ with result 1 asserted.
pub fn start_ok(ctrl: &mut Ctrl) {
    let reply = start_ctrl(ctrl, PROTOCOL_VERSION);
    assert_eq!(reply.result_code, 1, "{reply:?}");
}

/// Sends OCRQ with `call_id` and returns the server's OCRP.
pub fn request_call(ctrl: &mut Ctrl, call_id: u16) -> OutgoingCallReply {
    ctrl.send(ocrq(call_id));
    match ctrl.recv() {
        ControlMessage::OutgoingCallReply(reply) => reply,
        other => panic!("expected outgoing-call-reply, got {other:?}"),
    }
}

/// A new connection with a call up; returns the connection and the server's call id.
pub fn call_up(server: &Pptpd, call_id: u16) -> (Ctrl, u16) {
    let mut ctrl = server.connect();
    start_ok(&mut ctrl);
    let reply = request_call(&mut ctrl, call_id);
    assert_eq!(reply.result_code, 1, "{reply:?}");
    assert_ne!(reply.call_id, 0, "{reply:?}");
    assert_eq!(reply.peer_call_id, call_id, "{reply:?}");
    (ctrl, reply.call_id)
}

/// Echo-Request with `identifier`; asserts the matching Echo-Reply.
pub fn echo(ctrl: &mut Ctrl, identifier: u32) {
    ctrl.send(ControlMessage::EchoRequest { identifier });
    match ctrl.recv() {
        ControlMessage::EchoReply {
            identifier: id,
            result_code,
            ..
        } => {
            assert_eq!(id, identifier);
            assert_eq!(result_code, 1);
        }
        other => panic!("expected echo-reply, got {other:?}"),
    }
}

/// Asserts that the server closes the connection without sending anything.
pub fn expect_closed_silently(ctrl: &mut Ctrl) {
    match ctrl.next(STEP_WAIT) {
        Next::Closed => {}
        other => panic!("expected the server to close the connection, got {other:?}"),
    }
}

/// A raw GRE socket for the client's side: bound to 127.0.0.1 and connected to the
/// server's address, so it sees only the server's packets to the client.
pub fn client_gre(server: Ipv4Addr) -> GreSock {
    GreSock::between(LOCALHOST, server)
}

/// Sends `frame` on the call and asserts it comes back through the fake pppd.
pub fn assert_gre_loopback(gre: &GreSock, server_call_id: u16, our_call_id: u16, seq: u32) {
    gre.send(&gre_packet(server_call_id, seq, &LCP_FRAME));
    let (header, payload) = gre.recv_data(our_call_id);
    assert_eq!(header.call_id, our_call_id);
    assert_eq!(payload, LCP_FRAME, "the frame came back changed");
}
