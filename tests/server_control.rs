//! pptpd's control socket, through `pptpctl` and by hand: sessions as pppd's hooks report
//! them, orderly ends, counters, reloads, and clients of the socket that misbehave, each
//! beside a live call that must not notice. The harness is tests/server_process.rs's;
//! these tests use 127.0.0.61 to 127.0.0.70.

#[allow(dead_code)]
mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use pptp_rs::wire::ctrl::ControlMessage;

use common::STEP_WAIT;
use common::pptpd::*;

fn pptpctl(server: &Pptpd, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pptpctl"));
    cmd.arg("--socket").arg(server.dir.control()).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pptpctl")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn start(n: u8, extra: &str) -> Pptpd {
    Pptpd::start(n, &format!("control-socket {{DIR}}/control\n{extra}"))
}

/// What pppd's ip-up hook passes in its environment, for the call whose pppd is `pid`.
fn hook_env(pid: i32, user: &str, ifname: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PPPD_PID", pid.to_string()),
        ("IFNAME", ifname.to_owned()),
        ("PEERNAME", user.to_owned()),
        ("IPLOCAL", "10.61.0.1".to_owned()),
        ("IPREMOTE", "10.61.0.10".to_owned()),
    ]
}

/// The hooks report a session; `show sessions` lists it with its user and interface;
/// `terminate user` ends exactly that call in order (Call-Disconnect-Notify, pppd gone,
/// the address handed out again) and leaves the other alone; naming nobody is an error.
#[test]
fn sessions_from_the_hooks_listed_and_terminated() {
    let server = start(61, "remoteip 10.61.0.10-11\n");
    let (mut alice, _) = call_up(&server, 0x6101);
    let (mut bob, _) = call_up(&server, 0x6102);
    let alice_pid = server.dir.pppd_pid(0);
    let bob_pid = server.dir.pppd_pid(1);
    for (pid, user, ifname) in [(alice_pid, "alice", "ppp7"), (bob_pid, "bob", "ppp8")] {
        let o = pptpctl(
            &server,
            &["hook", "ip-up", ifname],
            &hook_env(pid.as_raw(), user, ifname),
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = pptpctl(&server, &["show", "sessions"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("alice") && table.contains("ppp7"), "{table}");
    assert!(
        table.contains("bob") && table.contains("127.0.0.1"),
        "{table}"
    );
    let o = pptpctl(
        &server,
        &["--json", "show", "sessions", "match", "user", "^ali"],
        &[],
    );
    let json = stdout(&o);
    assert!(
        json.contains("\"user\": \"alice\"") && !json.contains("bob"),
        "{json}"
    );

    let o = pptpctl(&server, &["terminate", "user", "alice"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    match alice.recv() {
        ControlMessage::CallDisconnectNotify(n) => assert_eq!(n.result_code, 3),
        other => panic!("expected call-disconnect-notify, got {other:?}"),
    }
    wait_gone(alice_pid);
    echo(&mut bob, 1);
    let (_carol, _) = call_up(&server, 0x6103);
    let o = pptpctl(&server, &["terminate", "user", "nobody"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no session of user nobody"),
        "{}",
        stderr(&o)
    );
}

/// `show stats` counts what happened; `reload` rereads the file and refuses a broken one;
/// a hook for a pppd that is not the server's is quiet and harmless.
#[test]
fn stats_reload_and_foreign_hooks() {
    let server = start(62, "remoteip 10.62.0.10\n");
    let (mut live, _) = call_up(&server, 0x6201);
    let mut refused = server.connect();
    start_ok(&mut refused);
    assert_eq!(request_call(&mut refused, 0x6202).result_code, 2);
    let o = pptpctl(&server, &["show", "stats"], &[]);
    let stats = stdout(&o);
    for line in ["calls_served", "refused_pool_empty", "pool_size", "uptime"] {
        assert!(stats.contains(line), "{stats}");
    }
    assert!(
        stats
            .lines()
            .any(|l| l.starts_with("refused_pool_empty") && l.ends_with(" 1")),
        "{stats}"
    );
    let o = pptpctl(&server, &["reload"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A file with an error is refused, and pptpctl says why (exit 1); the running
    // configuration stays.
    server.rewrite_conf(62, "remoteip 10.62.0.300\n");
    let o = pptpctl(&server, &["reload"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("reload failed, keeping the running configuration")
            && stderr(&o).contains("10.62.0.300"),
        "{}",
        stderr(&o)
    );
    let o = pptpctl(&server, &["hook", "ip-up"], &hook_env(1, "mallory", "ppp0"));
    assert!(o.status.success());
    assert!(!stdout(&pptpctl(&server, &["show", "sessions"], &[])).contains("mallory"));
    echo(&mut live, 2);
}

fn raw(server: &Pptpd) -> UnixStream {
    let s = UnixStream::connect(server.dir.control()).expect("connect to the control socket");
    s.set_read_timeout(Some(STEP_WAIT)).unwrap();
    s
}

fn read_all(mut s: UnixStream) -> String {
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text
}

/// Garbage, a line that never ends, a client that says nothing, and more clients than
/// the socket serves: each gets an error where it can and is closed, while the live call
/// goes on and pptpctl is served again at once.
#[test]
fn misbehaving_control_clients() {
    let server = start(63, "remoteip 10.63.0.10\n");
    let (mut live, _) = call_up(&server, 0x6301);

    let mut s = raw(&server);
    s.write_all(b"\x00\xffGET / HTTP/1.0\r\n").unwrap();
    assert!(read_all(s).starts_with("error: unknown request"));

    let mut s = raw(&server);
    let huge = vec![b'x'; 64 * 1024];
    let _ = s.write_all(&huge);
    assert!(read_all(s).contains("longer than"));

    let started = Instant::now();
    let silent = raw(&server);
    let crowd: Vec<UnixStream> = (0..15).map(|_| raw(&server)).collect();
    let extra = raw(&server);
    assert!(read_all(extra).contains("too many control connections"));
    echo(&mut live, 3);
    let text = read_all(silent);
    assert!(text.contains("no request within"), "{text}");
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "closed too early"
    );
    drop(crowd);
    thread::sleep(Duration::from_millis(100));
    let o = pptpctl(&server, &["show", "sessions"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    echo(&mut live, 4);
}

/// pptpctl says why it cannot reach the server: nothing listening (exit 3), or a caller
/// that is not root.
#[test]
fn pptpctl_says_why_it_cannot_reach_pptpd() {
    let server = start(64, "remoteip 10.64.0.10\n");
    let o = Command::new(env!("CARGO_BIN_EXE_pptpctl"))
        .args(["--socket", "/nonexistent/control", "show", "stats"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("is pptpd running"), "{}", stderr(&o));
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_pptpctl"))
        .arg("--socket")
        .arg(server.dir.control())
        .args(["show", "stats"])
        .output()
        .expect("setpriv (util-linux)");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("needs root"), "{}", stderr(&o));
}

fn scrape(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the metrics endpoint");
    s.set_read_timeout(Some(STEP_WAIT)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let mut page = String::new();
    let _ = s.read_to_string(&mut page);
    page
}

/// `metrics`: the page passes Prometheus's checker and follows the sessions; scrapers that
/// dawdle, flood or never read neither stall the live call nor keep others out.
#[test]
fn metrics_for_prometheus_and_slow_scrapers() {
    let addr = "127.0.0.65:9723";
    let server = start(65, &format!("metrics {addr}\nremoteip 10.65.0.10-11\n"));
    let (mut live, _) = call_up(&server, 0x6501);
    let page = scrape(addr);
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    let body = page.split_once("\r\n\r\n").unwrap().1.to_owned();
    assert!(
        body.contains("pptpd_sessions{state=\"negotiating\"} 1"),
        "{body}"
    );
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .output_with(body.as_bytes());
    assert!(promtool.0, "promtool: {}", promtool.1);
    promtool.1.clear();

    // A scraper that never finishes its request, one that floods, one that never reads.
    let mut dawdler = std::net::TcpStream::connect(addr).unwrap();
    dawdler.write_all(b"GET /metr").unwrap();
    let mut flooder = std::net::TcpStream::connect(addr).unwrap();
    let _ = flooder.write_all(&vec![b'a'; 64 * 1024]);
    let mut deaf = std::net::TcpStream::connect(addr).unwrap();
    deaf.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
    echo(&mut live, 5);
    let (_second, _) = call_up(&server, 0x6502);
    let page = scrape(addr);
    assert!(page.contains("pptpd_calls_total 2"), "{page}");
    let mut late = String::new();
    dawdler.set_read_timeout(Some(STEP_WAIT)).unwrap();
    let _ = dawdler.read_to_string(&mut late);
    assert!(late.contains("408"), "{late}");
    echo(&mut live, 6);
}

/// Feeds `input` to a command and says whether it succeeded, with its output.
trait OutputWith {
    fn output_with(&mut self, input: &[u8]) -> (bool, String);
}

impl OutputWith for Command {
    fn output_with(&mut self, input: &[u8]) -> (bool, String) {
        let mut child = self
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect(
                "promtool is missing: install Debian's prometheus package (scripts/setup does)",
            );
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}
