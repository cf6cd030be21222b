//! pptpd's `dae-server`: RFC 5176 Disconnect-Requests over UDP, built here with the crate's
//! RADIUS code (and sent by FreeRADIUS's `radclient` when it is installed), against calls
//! whose sessions pppd's hook reported through `pptpctl hook`. The harness is
//! tests/server_process.rs's; these tests use 127.0.0.71 to 127.0.0.80, with the DAE
//! socket on the same address, port 3799.

#[allow(dead_code)]
mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream, UdpSocket};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use pptp_rs::wire::ctrl::ControlMessage;
use pptp_rs::wire::radius::{Authenticator, Builder, Code, ErrorCause, Packet, attr};

use common::pptpd::*;
use common::{QUIET_WAIT, STEP_WAIT};

const SECRET: &str = "dae-process-secret";

fn pptpctl(server: &Pptpd, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pptpctl"));
    cmd.arg("--socket").arg(server.dir.control()).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pptpctl")
}

/// Server N with a control socket and `dae-server 127.0.0.N:3799 SECRET`, then `extra`.
fn start(n: u8, extra: &str) -> Pptpd {
    Pptpd::start(
        n,
        &format!("control-socket {{DIR}}/control\ndae-server 127.0.0.{n}:3799 {SECRET}\n{extra}"),
    )
}

/// pppd's ip-up hook for the call whose pppd is the server's `index`th: `user` on
/// `ifname` with tunnel address `remote`.
fn session_up(server: &Pptpd, index: usize, user: &str, ifname: &str, remote: Ipv4Addr) {
    let pid = server.dir.pppd_pid(index);
    let env = [
        ("PPPD_PID", pid.to_string()),
        ("IFNAME", ifname.to_owned()),
        ("PEERNAME", user.to_owned()),
        ("IPLOCAL", "10.71.0.1".to_owned()),
        ("IPREMOTE", remote.to_string()),
    ];
    let o = pptpctl(server, &["hook", "ip-up", ifname], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The AAA's side: a UDP socket on 127.0.0.1 that sends requests to the server's DAE port.
struct Aaa {
    socket: UdpSocket,
    to: (Ipv4Addr, u16),
    identifier: u8,
}

impl Aaa {
    fn new(server: &Pptpd) -> Aaa {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the AAA's socket");
        Aaa {
            socket,
            to: (server.ip, 3799),
            identifier: 0,
        }
    }

    /// A signed request with these attributes and a new Identifier.
    fn build(&mut self, code: Code, attrs: &[(u8, &[u8])], secret: &str) -> Vec<u8> {
        self.identifier = self.identifier.wrapping_add(1);
        let mut out = Vec::new();
        let mut b = Builder::new(&mut out, code, self.identifier);
        for (ty, value) in attrs {
            b.attribute(*ty, value).unwrap();
        }
        b.message_authenticator().unwrap();
        b.finish_request(secret.as_bytes()).unwrap();
        out
    }

    /// Sends `request` and returns the reply, checked to answer it and to be signed with
    /// the secret (its Response Authenticator and Message-Authenticator).
    fn exchange(&self, request: &[u8]) -> Vec<u8> {
        self.socket.send_to(request, self.to).unwrap();
        let reply = self
            .recv(STEP_WAIT)
            .expect("no reply from the DAE listener");
        let req = Packet::parse(request).unwrap();
        let p = Packet::parse(&reply).expect("a RADIUS reply");
        assert_eq!(p.identifier(), req.identifier());
        let auth: Authenticator = req.authenticator();
        assert_eq!(p.verify_response(&auth, SECRET.as_bytes()), Ok(()));
        assert!(p.message_authenticator().is_some());
        reply
    }

    fn recv(&self, wait: std::time::Duration) -> Option<Vec<u8>> {
        self.socket.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 4096];
        match self.socket.recv_from(&mut buf) {
            Ok((len, _)) => Some(buf[..len].to_vec()),
            Err(_) => None,
        }
    }

    /// Sends a Disconnect-Request with `attrs` and returns the reply's Code and Error-Cause.
    fn disconnect(&mut self, attrs: &[(u8, &[u8])]) -> (Code, Option<ErrorCause>) {
        let request = self.build(Code::DisconnectRequest, attrs, SECRET);
        code_and_cause(&self.exchange(&request))
    }
}

fn code_and_cause(reply: &[u8]) -> (Code, Option<ErrorCause>) {
    let p = Packet::parse(reply).unwrap();
    let cause = p.error_cause().unwrap().and_then(ErrorCause::from_u32);
    (p.code(), cause)
}

/// `show stats`'s value of `key`.
fn stat(server: &Pptpd, key: &str) -> u64 {
    let o = pptpctl(server, &["show", "stats"], &[]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(char::is_whitespace)?;
            (k == key).then(|| v.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("no {key} in show stats:\n{text}"))
}

fn expect_disconnect_notify(ctrl: &mut common::Ctrl) {
    match ctrl.recv() {
        // 3: "Call disconnected for administrative reasons" (RFC 2637 §2.13).
        ControlMessage::CallDisconnectNotify(n) => assert_eq!(n.result_code, 3),
        other => panic!("expected call-disconnect-notify, got {other:?}"),
    }
}

/// A Disconnect-Request naming a user ends that call in order (Call-Disconnect-Notify,
/// pppd gone) and is acknowledged; one naming nobody is refused with 503; a duplicate
/// gets the same answer again; a bad authenticator gets none; a CoA-Request is refused
/// with 405; the counters say so, in `show stats` and on /metrics.
#[test]
fn disconnect_request_ends_the_call_and_is_answered() {
    let server = start(71, "remoteip 10.71.0.10-11\nmetrics 127.0.0.71:9723\n");
    let (mut alice, _) = call_up(&server, 0x7101);
    let (mut bob, _) = call_up(&server, 0x7102);
    session_up(&server, 0, "alice", "ppp0", Ipv4Addr::new(10, 71, 0, 10));
    session_up(&server, 1, "bob", "ppp1", Ipv4Addr::new(10, 71, 0, 11));
    let mut aaa = Aaa::new(&server);

    assert_eq!(
        aaa.disconnect(&[(attr::USER_NAME, b"alice")]),
        (Code::DisconnectAck, None)
    );
    expect_disconnect_notify(&mut alice);
    wait_gone(server.dir.pppd_pid(0));
    echo(&mut bob, 1);

    let unknown = aaa.build(
        Code::DisconnectRequest,
        &[(attr::USER_NAME, b"nobody")],
        SECRET,
    );
    let nak = aaa.exchange(&unknown);
    assert_eq!(
        code_and_cause(&nak),
        (
            Code::DisconnectNak,
            Some(ErrorCause::SessionContextNotFound)
        )
    );
    // radclient's retry: the same datagram is answered with the same reply.
    assert_eq!(aaa.exchange(&unknown), nak);

    let forged = aaa.build(
        Code::DisconnectRequest,
        &[(attr::USER_NAME, b"bob")],
        "wrong",
    );
    aaa.socket.send_to(&forged, aaa.to).unwrap();
    assert_eq!(aaa.recv(QUIET_WAIT), None, "a forged request was answered");
    echo(&mut bob, 2);

    let coa = aaa.build(Code::CoaRequest, &[(attr::USER_NAME, b"bob")], SECRET);
    assert_eq!(
        code_and_cause(&aaa.exchange(&coa)),
        (Code::CoaNak, Some(ErrorCause::UnsupportedService))
    );
    echo(&mut bob, 3);

    for (key, value) in [
        ("dae_received", 5),
        ("dae_acks", 1),
        ("dae_naks", 2),
        ("dae_replays", 1),
        ("dae_sessions_ended", 1),
        ("dae_nak_503", 1),
        ("dae_nak_405", 1),
        ("dae_drop_bad_authenticator", 1),
        ("dae_drop_unknown_client", 0),
    ] {
        assert_eq!(stat(&server, key), value, "{key}");
    }
    let mut scrape = TcpStream::connect("127.0.0.71:9723").unwrap();
    scrape.set_read_timeout(Some(STEP_WAIT)).unwrap();
    scrape.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut page = String::new();
    scrape.read_to_string(&mut page).unwrap();
    for line in [
        "pptpd_dae_requests_total 5",
        "pptpd_dae_sessions_ended_total 1",
        "pptpd_dae_naks_total{error_cause=\"503\"} 1",
        "pptpd_dae_dropped_total{reason=\"bad_authenticator\"} 1",
    ] {
        assert!(page.contains(line), "{line} not in\n{page}");
    }
}

/// The other attributes that name a session: radius.so's Acct-Session-Id (made from the
/// time and pppd's pid), Framed-IP-Address (the tunnel address), Calling-Station-Id (the
/// client's address, `remotenumber`); several matches refused with 508 when configured;
/// a NAS-Identifier that is not ours refused with 403.
#[test]
fn sessions_by_accounting_id_address_and_calling_station() {
    let server = start(
        72,
        "remoteip 10.72.0.10-12\ndae-multiple-sessions refuse\ndae-nas-identifier pptpd-72\n",
    );
    let (mut first, _) = call_up(&server, 0x7201);
    let (mut second, _) = call_up(&server, 0x7202);
    let (mut third, _) = call_up(&server, 0x7203);
    for (i, user) in ["carol", "dave", "erin"].iter().enumerate() {
        let remote = Ipv4Addr::new(10, 72, 0, 10 + i as u8);
        session_up(&server, i, user, &format!("ppp{i}"), remote);
    }
    let mut aaa = Aaa::new(&server);

    // Every call comes from 127.0.0.1, pptpd's remotenumber for pppd.
    assert_eq!(
        aaa.disconnect(&[(attr::CALLING_STATION_ID, b"127.0.0.1")]),
        (
            Code::DisconnectNak,
            Some(ErrorCause::MultipleSessionSelectionUnsupported)
        )
    );
    assert_eq!(
        aaa.disconnect(&[
            (attr::USER_NAME, b"carol"),
            (attr::NAS_IDENTIFIER, b"pptpd-73")
        ]),
        (
            Code::DisconnectNak,
            Some(ErrorCause::NasIdentificationMismatch)
        )
    );
    echo(&mut first, 1);

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let pid = server.dir.pppd_pid(0).as_raw() as u32;
    let session_id = format!("{now:08X}{pid:04X}00");
    assert_eq!(
        aaa.disconnect(&[
            (attr::ACCT_SESSION_ID, session_id.as_bytes()),
            (attr::NAS_IDENTIFIER, b"pptpd-72")
        ]),
        (Code::DisconnectAck, None)
    );
    expect_disconnect_notify(&mut first);

    assert_eq!(
        aaa.disconnect(&[
            (attr::FRAMED_IP_ADDRESS, &[10, 72, 0, 11]),
            (attr::CALLING_STATION_ID, b"127.0.0.1")
        ]),
        (Code::DisconnectAck, None)
    );
    expect_disconnect_notify(&mut second);
    echo(&mut third, 2);
    // A session of another pppd with that pid, before this one started, is not this one.
    let pid = server.dir.pppd_pid(2).as_raw() as u32;
    let stale = format!("{:08X}{pid:04X}00", now - 3600);
    assert_eq!(
        aaa.disconnect(&[(attr::ACCT_SESSION_ID, stale.as_bytes())]),
        (
            Code::DisconnectNak,
            Some(ErrorCause::SessionContextNotFound)
        )
    );
    echo(&mut third, 3);
}

/// Only dae-client addresses are heard: a request from elsewhere is dropped unanswered
/// and counted.
#[test]
fn requests_from_other_addresses_are_dropped() {
    let server = start(73, "remoteip 10.73.0.10\ndae-client 192.0.2.1\n");
    let (mut live, _) = call_up(&server, 0x7301);
    session_up(&server, 0, "frank", "ppp0", Ipv4Addr::new(10, 73, 0, 10));
    let mut aaa = Aaa::new(&server);
    let request = aaa.build(
        Code::DisconnectRequest,
        &[(attr::USER_NAME, b"frank")],
        SECRET,
    );
    aaa.socket.send_to(&request, aaa.to).unwrap();
    assert_eq!(aaa.recv(QUIET_WAIT), None);
    echo(&mut live, 1);
    assert_eq!(stat(&server, "dae_drop_unknown_client"), 1);
}

/// FreeRADIUS's radclient (Debian's freeradius-utils), when installed: its
/// Disconnect-Request ends the session and its check of our ACK passes; a user we do not
/// have gets a NAK with Error-Cause 503.
#[test]
fn radclient_disconnects_a_session() {
    if Command::new("radclient").arg("-h").output().is_err() {
        eprintln!("radclient is not installed (apt-get install freeradius-utils): skipped");
        return;
    }
    let server = start(74, "remoteip 10.74.0.10\n");
    let (mut live, _) = call_up(&server, 0x7401);
    session_up(&server, 0, "user1", "ppp0", Ipv4Addr::new(10, 74, 0, 10));
    let radclient = |attrs: &str| {
        let mut child = Command::new("radclient")
            .args([
                "-x",
                "-r",
                "1",
                "-t",
                "5",
                "127.0.0.74:3799",
                "disconnect",
                SECRET,
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run radclient");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(attrs.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let out = radclient("User-Name = \"nobody\"\nMessage-Authenticator = 0x00\n");
    eprintln!("{out}");
    assert!(out.contains("Received Disconnect-NAK"), "{out}");
    assert!(out.contains("Session-Context-Not-Found"), "{out}");
    echo(&mut live, 1);
    let out = radclient("User-Name = \"user1\"\n");
    eprintln!("{out}");
    assert!(out.contains("Received Disconnect-ACK"), "{out}");
    expect_disconnect_notify(&mut live);
    wait_gone(server.dir.pppd_pid(0));
}

/// SIGHUP takes a new secret and clients at once: a request signed with the old secret is
/// then dropped, and one with the new secret is answered.
#[test]
fn reload_takes_the_new_secret() {
    let server = start(75, "remoteip 10.75.0.10\n");
    let (mut live, _) = call_up(&server, 0x7501);
    session_up(&server, 0, "gina", "ppp0", Ipv4Addr::new(10, 75, 0, 10));
    let mut aaa = Aaa::new(&server);
    assert_eq!(
        aaa.disconnect(&[(attr::USER_NAME, b"nobody")]),
        (
            Code::DisconnectNak,
            Some(ErrorCause::SessionContextNotFound)
        )
    );
    server.rewrite_conf(
        75,
        "control-socket {DIR}/control\ndae-server 127.0.0.75:3799 another-secret\n\
         remoteip 10.75.0.10\n",
    );
    server.signal(nix::sys::signal::Signal::SIGHUP);
    let deadline = std::time::Instant::now() + STEP_WAIT;
    // Probe with a user nobody has: until the reload lands, the old secret is still good
    // and a probe naming gina would end her call.
    loop {
        let old = aaa.build(
            Code::DisconnectRequest,
            &[(attr::USER_NAME, b"nobody")],
            SECRET,
        );
        aaa.socket.send_to(&old, aaa.to).unwrap();
        if aaa.recv(QUIET_WAIT).is_none() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the old secret still works"
        );
    }
    echo(&mut live, 1);
    let new = aaa.build(
        Code::DisconnectRequest,
        &[(attr::USER_NAME, b"gina")],
        "another-secret",
    );
    aaa.socket.send_to(&new, aaa.to).unwrap();
    let reply = aaa.recv(STEP_WAIT).expect("no answer with the new secret");
    let p = Packet::parse(&reply).unwrap();
    let auth = Packet::parse(&new).unwrap().authenticator();
    assert_eq!(p.code(), Code::DisconnectAck);
    assert_eq!(p.verify_response(&auth, b"another-secret"), Ok(()));
    expect_disconnect_notify(&mut live);
}
