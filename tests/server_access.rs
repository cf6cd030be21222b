//! Who may connect to pptpd: hosts.allow and hosts.deny, `connect-rate` and
//! `connections-per-source`, checked at accept before anything is read. The harness is
//! tests/server_process.rs's; these tests' servers use 127.0.0.81 to 127.0.0.90, and
//! their clients connect from addresses of 127.0.1.0 to 127.0.9.255 (loopback takes any
//! 127.x address), so that each test has sources of its own.

#[allow(dead_code)]
mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use pptp_rs::wire::ctrl::PROTOCOL_VERSION;

use common::pptpd::*;
use common::{Ctrl, Next, STEP_WAIT};

fn src(c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, c, d)
}

/// A server whose hosts.allow and hosts.deny are in its directory, with these texts,
/// and a control socket.
fn start(n: u8, allow: &str, deny: &str, extra: &str) -> Pptpd {
    let conf = format!(
        "control-socket {{DIR}}/control\nhosts-allow {{DIR}}/hosts.allow\nhosts-deny {{DIR}}/hosts.deny\n{extra}"
    );
    // The tables must be there before the server reads them.
    let dir = Dir::new(n);
    if !allow.is_empty() {
        std::fs::write(dir.path("hosts.allow"), allow).unwrap();
    }
    std::fs::write(dir.path("hosts.deny"), deny).unwrap();
    Pptpd::start_in(dir, n, &conf)
}

/// Connects from `source`, sends SCCRQ and asserts a successful reply.
fn served(server: &Pptpd, source: Ipv4Addr) -> Ctrl {
    let mut ctrl = connect_from(server.ip, source);
    start_ok(&mut ctrl);
    ctrl
}

/// Connects from `source`, sends SCCRQ and asserts that the server closes the connection
/// without a byte of reply.
fn refused(server: &Pptpd, source: Ipv4Addr) {
    let mut ctrl = connect_from(server.ip, source);
    let mut bytes = Vec::new();
    sccrq(PROTOCOL_VERSION).emit(&mut bytes);
    // The server may have closed already: the write then fails or meets a reset.
    let _ = ctrl.stream.write_all(&bytes);
    match ctrl.next(STEP_WAIT) {
        Next::Closed => {}
        other => panic!("{source} should have been closed without a reply, got {other:?}"),
    }
}

/// `pptpctl show stats` as key=value pairs.
fn stats(server: &Pptpd) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_pptpctl"))
        .arg("--socket")
        .arg(server.dir.control())
        .args(["--json", "show", "stats"])
        .output()
        .expect("run pptpctl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stat(server: &Pptpd, key: &str) -> u64 {
    let json = stats(server);
    let at = json
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key} in {json}"));
    let rest = &json[at + key.len() + 4..];
    rest.trim_start_matches('"')
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{key} is not a number in {json}"))
}

fn metrics(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to metrics");
    s.set_read_timeout(Some(STEP_WAIT)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).unwrap();
    page
}

/// A denied source is closed without a Start-Control-Connection-Reply and counted (in
/// `show stats` and in /metrics by reason); an allowed one, and one no rule names, are
/// served.
#[test]
fn a_denied_source_gets_no_reply_and_an_allowed_one_is_served() {
    let server = start(
        81,
        "pptpd: 127.0.1.8\n",
        "# deny these\npptpd: 127.0.1.7\nALL: 127.0.1.8\n",
        "metrics 127.0.0.81:9723\n",
    );
    refused(&server, src(1, 7));
    let mut allowed = served(&server, src(1, 8));
    let _other = served(&server, src(1, 9));
    echo(&mut allowed, 1);
    refused(&server, src(1, 7));
    assert_eq!(stat(&server, "refused_hosts_access"), 2);
    let page = metrics("127.0.0.81:9723");
    assert!(
        page.contains("pptpd_refusals_total{reason=\"hosts_access\"} 2"),
        "{page}"
    );
    assert!(server.dir.lines("argv").is_empty(), "no pppd for anyone");
}

/// `ALL EXCEPT` in both lists, and net/mask as a mask and as a length: the first
/// matching rule of hosts.allow grants, else the first of hosts.deny denies.
#[test]
fn all_except_and_net_mask_forms() {
    let server = start(
        82,
        "pptpd: 127.0.2.0/255.255.255.0 EXCEPT 127.0.2.9\n",
        "ALL EXCEPT sshd: ALL EXCEPT 127.0.3.0/24\n",
        "",
    );
    let _a = served(&server, src(2, 5));
    refused(&server, src(2, 9));
    let _b = served(&server, src(3, 4));
    refused(&server, src(4, 1));
    assert_eq!(stat(&server, "refused_hosts_access"), 2);
}

/// A broken hosts.deny line is a warning at start-up that names FILE:LINE, the server runs
/// and the other lines apply; a rewritten file is read again at the next accept.
#[test]
fn a_broken_hosts_deny_line_warns_and_the_rest_applies() {
    let deny = "# pptpd's deny list\n\
                pptpd 127.0.5.1\n\
                pptpd: 127.0.5.2, gw.example.com\n\
                pptpd: 127.0.5.3/24\n";
    let server = start(83, "", deny, "");
    let file = server.dir.path("hosts.deny").display().to_string();
    for warning in [
        format!("pptpd: ctrl: {file}:2: missing ':' separator"),
        format!("pptpd: ctrl: {file}:3: host name 'gw.example.com' needs the client's host name"),
        format!("pptpd: ctrl: {file}:4: '127.0.5.3/24' has address bits outside its mask"),
    ] {
        assert!(
            server.stderr.wait_for(&warning, STEP_WAIT),
            "no {warning:?} in:\n{}",
            server.stderr.text()
        );
    }
    let _a = served(&server, src(5, 1));
    refused(&server, src(5, 2));
    let _c = served(&server, src(5, 4));
    std::fs::write(
        server.dir.path("hosts.deny"),
        "pptpd: 127.0.5.1 127.0.5.0/24\n",
    )
    .unwrap();
    refused(&server, src(5, 1));
    refused(&server, src(5, 4));
    let _d = served(&server, src(6, 1));
}

/// `connect-rate 2/60`: a third connection within the minute from one source is closed
/// at once, while another source connects and is served without delay.
#[test]
fn a_rate_limited_source_is_refused_while_another_connects_at_once() {
    let server = start(84, "", "", "connect-rate 2/60\n");
    let _a = served(&server, src(7, 1));
    let _b = served(&server, src(7, 1));
    refused(&server, src(7, 1));
    let started = Instant::now();
    let _c = served(&server, src(7, 2));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the other source waited {:?}",
        started.elapsed()
    );
    refused(&server, src(7, 1));
    let _d = served(&server, src(7, 2));
    assert_eq!(stat(&server, "refused_connect_rate"), 2);
    assert_eq!(stat(&server, "rate_sources"), 2);
}

/// `connections-per-source 2`: a third open connection from one address is closed, others
/// are not touched, and the source may connect again once one of its own has gone.
#[test]
fn connections_per_source_caps_one_address() {
    let server = start(85, "", "", "connections-per-source 2\n");
    let mut a = served(&server, src(8, 1));
    let mut b = served(&server, src(8, 1));
    refused(&server, src(8, 1));
    let _c = served(&server, src(8, 2));
    let _d = served(&server, src(8, 2));
    echo(&mut a, 1);
    echo(&mut b, 2);
    assert_eq!(stat(&server, "refused_per_source"), 1);
    drop(a);
    let deadline = Instant::now() + STEP_WAIT;
    while stat(&server, "connections") > 3 {
        assert!(
            Instant::now() < deadline,
            "the closed connection stayed counted"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let _e = served(&server, src(8, 1));
    match b.next(Duration::from_millis(200)) {
        Next::Silent => {}
        other => panic!("the other connection was disturbed: {other:?}"),
    }
}

/// A call up and its fake pppd's pid, the `n`th started: taken before the next call, since
/// the fake pppds write their pids in whatever order they get to run.
fn call_with_pid(server: &Pptpd, call_id: u16, n: usize) -> (Ctrl, i32) {
    let (ctrl, _) = call_up(server, call_id);
    (ctrl, server.dir.pppd_pid(n).as_raw())
}

/// pppd's ip-up hook for the call whose pppd is `pid`, through `pptpctl hook`.
fn hook_up(server: &Pptpd, pid: i32, user: &str, ifname: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_pptpctl"))
        .arg("--socket")
        .arg(server.dir.control())
        .args(["hook", "ip-up", ifname])
        .env("PPPD_PID", pid.to_string())
        .env("IFNAME", ifname)
        .env("PEERNAME", user)
        .env("IPLOCAL", "10.0.0.1")
        .env("IPREMOTE", "10.0.0.2")
        .output()
        .expect("run pptpctl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// One request on the control socket, by hand; the whole answer.
fn ask(server: &Pptpd, request: &str) -> String {
    let mut s = std::os::unix::net::UnixStream::connect(server.dir.control()).unwrap();
    s.set_read_timeout(Some(STEP_WAIT)).unwrap();
    writeln!(s, "{request}").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

/// Asserts that the server ends the call on `ctrl` in order (Call-Disconnect-Notify, as
/// `pptpctl terminate` does).
fn expect_call_ended(ctrl: &mut Ctrl) {
    match ctrl.recv() {
        pptp_rs::wire::ctrl::ControlMessage::CallDisconnectNotify(n) => {
            assert_eq!(n.result_code, 3, "{n:?}")
        }
        other => panic!("expected call-disconnect-notify, got {other:?}"),
    }
}

fn expect_quiet(ctrl: &mut Ctrl) {
    match ctrl.next(Duration::from_millis(300)) {
        Next::Silent => {}
        other => panic!("the call should have been left alone, got {other:?}"),
    }
}

/// `single-session deny`: a second login of the same user is ended as soon as pppd says
/// who it is, and the first keeps working; another user is not concerned.
#[test]
fn single_session_deny_ends_the_second_login() {
    let server = start(86, "", "", "single-session deny\nremoteip 10.86.0.10-13\n");
    let (mut first, p0) = call_with_pid(&server, 0x8601, 0);
    let (mut second, p1) = call_with_pid(&server, 0x8602, 1);
    let (mut other, p2) = call_with_pid(&server, 0x8603, 2);
    hook_up(&server, p0, "user1", "ppp0");
    hook_up(&server, p2, "user2", "ppp2");
    hook_up(&server, p1, "user1", "ppp1");
    expect_call_ended(&mut second);
    wait_gone(nix::unistd::Pid::from_raw(p1));
    expect_quiet(&mut first);
    echo(&mut first, 1);
    echo(&mut other, 2);
    assert_eq!(stat(&server, "refused_single_session"), 1);
    assert_eq!(stat(&server, "sessions_active"), 2);
}

/// `single-session replace`: the user's first session is ended and the new one kept.
#[test]
fn single_session_replace_ends_the_first_login() {
    let server = start(
        87,
        "",
        "",
        "single-session replace\nremoteip 10.87.0.10-12\n",
    );
    let (mut first, p0) = call_with_pid(&server, 0x8701, 0);
    let (mut second, p1) = call_with_pid(&server, 0x8702, 1);
    hook_up(&server, p0, "user1", "ppp0");
    hook_up(&server, p1, "user1", "ppp1");
    expect_call_ended(&mut first);
    wait_gone(nix::unistd::Pid::from_raw(p0));
    expect_quiet(&mut second);
    echo(&mut second, 1);
    assert_eq!(stat(&server, "replaced_single_session"), 1);
}

/// A RADIUS Port-Limit the hook passes on (`port_limit`): a session over it is ended, one
/// within it is not; without single-session, two sessions of a user are fine.
#[test]
fn port_limit_ends_a_session_over_it() {
    let server = start(88, "", "", "remoteip 10.88.0.10-13\n");
    let (_a, p0) = call_with_pid(&server, 0x8801, 0);
    let (mut b, p1) = call_with_pid(&server, 0x8802, 1);
    let (mut c, p2) = call_with_pid(&server, 0x8803, 2);
    let pid = |i: usize| [p0, p1, p2][i];
    assert!(
        ask(
            &server,
            &format!("session up pid={} user=carol port_limit=2", pid(0))
        )
        .ends_with("ok\n")
    );
    assert!(
        ask(
            &server,
            &format!("session up pid={} user=carol port_limit=2", pid(1))
        )
        .ends_with("ok\n")
    );
    let answer = ask(
        &server,
        &format!("session up pid={} user=carol port_limit=2", pid(2)),
    );
    assert!(
        answer.contains("sessions=3 over the user's RADIUS Port-Limit=2"),
        "{answer}"
    );
    expect_call_ended(&mut c);
    expect_quiet(&mut b);
    assert_eq!(stat(&server, "refused_port_limit"), 1);
}
