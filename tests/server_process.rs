//! Process-level tests of the `pptpd` binary.
//!
//! Each test runs the real server (`--fg -d -c <conf>`) with a configuration of its own
//! in a temporary directory, and plays the PNS (the client) itself, one control message at
//! a time, with the crate's wire code. pppd is replaced by a fake: a shell script that
//! appends its pid and its argv to files the test reads, then `exec cat`, so that every
//! HDLC frame the server writes to the pty comes straight back to the server.
//!
//! Ground rules (as tests/client_process.rs):
//! - the server always listens on TCP port 1723, so every test gives its server its own
//!   loopback address with `listen 127.0.0.N` (N from 20 to 40, one per test); clients
//!   connect from 127.0.0.1 explicitly, so the client address on pppd's command line and
//!   the GRE peer address are known;
//! - every read, accept and wait has a deadline, and a [`Pptpd`] that goes out of scope
//!   kills the server (and prints its stderr when the test is failing);
//! - timing is never asserted, only behaviour: the deadlines are hang guards.
//!
//! The server's log goes to syslog, which these tests do not read (there may be no
//! /dev/log): they assert on the wire, on the fake pppd's files, on exit status and on
//! stderr (warnings and start-up errors).
//!
//! The tests need root (CI runs as root): the server opens a raw GRE socket, and the
//! data-path tests open one too.

#[allow(dead_code)]
mod common;

use std::fs;
use std::io::{ErrorKind, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::thread;

use nix::sys::signal::{Signal, kill};

use pptp_rs::wire::ctrl::{ControlMessage, PROTOCOL_VERSION};

use common::QUIET_WAIT;
use common::pptpd::*;

// ---- the tests ----

/// pppd's command line is poptop's: `local file <opt> 115200 <local>:<remote> ipparam
/// <client> remotenumber <client>`, after SCCRP and OCRP carry the expected results and
/// call ids.
#[test]
fn pppd_argv_as_poptop() {
    let server = Pptpd::start(20, "remoteip 10.20.0.10-11\n");
    let (_ctrl, _) = call_up(&server, 0x1234);
    let argv = server.dir.wait_argv(1);
    assert_eq!(
        argv,
        [format!(
            "local file {} 115200 10.20.0.1:10.20.0.10 ipparam 127.0.0.1 remotenumber 127.0.0.1",
            server.dir.path("options").display()
        )]
    );
}

/// A GRE data packet to the server's call id goes through pppd's pty (HDLC-encoded; the
/// fake pppd echoes it) and comes back as GRE with the client's call id and the same frame.
#[test]
fn gre_loopback_through_pppd() {
    let server = Pptpd::start(21, "remoteip 10.21.0.10\n");
    let gre = client_gre(server.ip);
    let (_ctrl, server_call_id) = call_up(&server, 0x2001);
    server.dir.wait_argv(1);
    assert_gre_loopback(&gre, server_call_id, 0x2001, 0);
}

/// With one remote address, a second call is refused (result 2, no-resource) while the
/// first stays up; clearing the first (CDN result 4) stops its pppd and frees the address,
/// which the next call gets.
#[test]
fn pool_exhaustion_and_reuse() {
    let server = Pptpd::start(22, "remoteip 10.22.0.10\n");
    let (mut a, a_server_id) = call_up(&server, 0xa);
    let first_pppd = server.dir.pppd_pid(0);

    let mut b = server.connect();
    start_ok(&mut b);
    let refused = request_call(&mut b, 0xb);
    assert_eq!(
        (refused.result_code, refused.error_code),
        (2, 4),
        "{refused:?}"
    );
    assert_eq!(refused.peer_call_id, 0xb);
    echo(&mut a, 7);

    a.send(ControlMessage::CallClearRequest { call_id: 0xa });
    match a.recv() {
        ControlMessage::CallDisconnectNotify(cdn) => {
            assert_eq!(cdn.call_id, a_server_id, "{cdn:?}");
            assert_eq!(cdn.result_code, 4, "{cdn:?}");
        }
        other => panic!("expected call-disconnect-notify, got {other:?}"),
    }
    wait_gone(first_pppd);

    let (_c, _) = call_up(&server, 0xc);
    let argv = server.dir.wait_argv(2);
    assert!(argv[1].contains(" 10.22.0.1:10.22.0.10 "), "{argv:?}");
    assert_eq!(argv[0], argv[1]);
}

/// `stimeout`: a silent connection is closed by the server, and while it waits another
/// client is served at once.
#[test]
fn stimeout_per_connection() {
    let server = Pptpd::start(23, "stimeout 2\nremoteip 10.23.0.10\n");
    let mut silent = server.connect();
    let mut other = server.connect();
    start_ok(&mut other);
    // (A client that places no call is stopped after stimeout too: this one does.)
    assert_eq!(request_call(&mut other, 0x2301).result_code, 1);
    // The silent connection was still open when the other client got its reply.
    silent.stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    match silent.stream.read(&mut byte) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("silent connection not pending when the other was served: {other:?}"),
    }
    silent.stream.set_nonblocking(false).unwrap();
    expect_closed_silently(&mut silent);
    // The other connection, with its call, is untouched.
    echo(&mut other, 1);
}

/// A first message other than SCCRQ, and bytes that are not PPTP, end the connection
/// without a reply; the server carries on.
#[test]
fn bad_first_message_and_garbage() {
    let server = Pptpd::start(24, "remoteip 10.24.0.10\n");
    let mut ctrl = server.connect();
    ctrl.send(ControlMessage::EchoRequest { identifier: 1 });
    expect_closed_silently(&mut ctrl);

    let mut ctrl = server.connect();
    ctrl.send_bytes(b"GET / HTTP/1.0\r\nHost: example\r\n\r\n");
    expect_closed_silently(&mut ctrl);

    let mut ctrl = server.connect();
    start_ok(&mut ctrl);
}

/// SCCRQ with protocol version 2.0 is refused with result 5 (version not supported).
#[test]
fn unsupported_version() {
    let server = Pptpd::start(25, "remoteip 10.25.0.10\n");
    let mut ctrl = server.connect();
    let reply = start_ctrl(&mut ctrl, 0x0200);
    assert_eq!(reply.result_code, 5, "{reply:?}");
    assert_eq!(reply.protocol_version, PROTOCOL_VERSION);
    expect_closed_silently(&mut ctrl);
}

/// A second OCRQ on a connection with a live call is refused as busy (result 4); the first
/// call keeps its pppd and its data path, and no second pppd starts.
#[test]
fn second_call_on_connection_is_busy() {
    let server = Pptpd::start(26, "remoteip 10.26.0.10-11\n");
    let gre = client_gre(server.ip);
    let (mut ctrl, server_call_id) = call_up(&server, 0x2601);
    let pppd = server.dir.pppd_pid(0);
    let busy = request_call(&mut ctrl, 0x2602);
    assert_eq!(busy.result_code, 4, "{busy:?}");
    assert_eq!(busy.peer_call_id, 0x2602, "{busy:?}");
    echo(&mut ctrl, 2);
    thread::sleep(QUIET_WAIT);
    assert_eq!(
        server.dir.lines("argv").len(),
        1,
        "a second pppd was started"
    );
    assert!(kill(pppd, None).is_ok(), "the first call's pppd is gone");
    assert_gre_loopback(&gre, server_call_id, 0x2601, 0);
}

/// SIGTERM with a call up: CDN (result 3), StopCCRQ (reason 3); after our StopCCRP the
/// server exits 0, its pid file is gone and so is pppd.
#[test]
fn sigterm_with_live_call() {
    let mut server = Pptpd::start(27, "remoteip 10.27.0.10\n");
    let (mut ctrl, server_call_id) = call_up(&server, 0x2701);
    let pppd = server.dir.pppd_pid(0);
    server.signal(Signal::SIGTERM);
    match ctrl.recv() {
        ControlMessage::CallDisconnectNotify(cdn) => {
            assert_eq!(cdn.call_id, server_call_id, "{cdn:?}");
            assert_eq!(cdn.result_code, 3, "{cdn:?}");
        }
        other => panic!("expected call-disconnect-notify, got {other:?}"),
    }
    match ctrl.recv() {
        ControlMessage::StopCtrlConnRequest { reason } => assert_eq!(reason, 3),
        other => panic!("expected stop-control-connection-request, got {other:?}"),
    }
    ctrl.send(ControlMessage::StopCtrlConnReply {
        result_code: 1,
        error_code: 0,
    });
    let (code, stderr) = server.wait_exit();
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(!server.dir.path("pptpd.pid").exists(), "pid file left");
    wait_gone(pppd);
}

/// SIGHUP re-reads the configuration: a new call gets the new remote address; a broken
/// configuration is refused and the running one kept.
#[test]
fn sighup_reload() {
    let mut server = Pptpd::start(28, "remoteip 10.28.0.10\n");
    let (ctrl, _) = call_up(&server, 0x2801);
    let argv = server.dir.wait_argv(1);
    assert!(argv[0].contains(" 10.28.0.1:10.28.0.10 "), "{argv:?}");
    drop(ctrl);
    wait_gone(server.dir.pppd_pid(0));

    server.rewrite_conf(28, "remoteip 10.28.0.20\n");
    server.signal(Signal::SIGHUP);
    let (ctrl, _) = call_up(&server, 0x2802);
    let argv = server.dir.wait_argv(2);
    assert!(argv[1].contains(" 10.28.0.1:10.28.0.20 "), "{argv:?}");
    drop(ctrl);
    wait_gone(server.dir.pppd_pid(1));

    server.rewrite_conf(28, "remoteip 10.0.0.300\n");
    server.signal(Signal::SIGHUP);
    let (_ctrl, _) = call_up(&server, 0x2803);
    let argv = server.dir.wait_argv(3);
    assert!(argv[2].contains(" 10.28.0.1:10.28.0.20 "), "{argv:?}");
    assert!(server.is_running());
}

/// Configuration and command-line errors end pptpd at once with the documented exit
/// status and a message on stderr, including a port in use without --fg (reported before
/// going into the background).
#[test]
fn config_and_command_line_errors() {
    let pptpd_in = |n: u8, extra: &str, args: &[&str]| {
        let dir = Dir::new(n);
        let conf = dir.path("pptpd.conf");
        fs::write(&conf, extra.replace("{BASE}", &conf_text(&dir, n, ""))).unwrap();
        let conf = conf.display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-c", &conf]);
        let mut server = Pptpd::spawn(dir, Ipv4Addr::new(127, 0, 0, n), &all);
        let (code, stderr) = server.wait_exit();
        (code, stderr, conf)
    };

    let (code, stderr, conf) = pptpd_in(29, "remoteip 1.2.3.4-1\n{BASE}", &["--fg"]);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains(&format!("{conf}:1:")), "stderr:\n{stderr}");
    assert!(stderr.contains("remoteip"), "stderr:\n{stderr}");
    assert!(stderr.contains("1.2.3.4-1"), "stderr:\n{stderr}");

    let (code, stderr, _) = pptpd_in(29, "{BASE}", &["--fg", "--connections", "0"]);
    assert_eq!(code, 2, "stderr:\n{stderr}");

    let (code, stderr, _) = pptpd_in(29, "{BASE}", &["--fg", "--no-such-option"]);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains("no-such-option"), "stderr:\n{stderr}");
    assert!(stderr.contains("Usage: pptpd"), "stderr:\n{stderr}");

    let taken = TcpListener::bind((Ipv4Addr::new(127, 0, 0, 30), 1723)).expect("bind 1723");
    let (code, stderr, _) = pptpd_in(30, "{BASE}remoteip 10.30.0.10\n", &[]);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains("127.0.0.30:1723"), "stderr:\n{stderr}");
    assert!(stderr.contains("in use"), "stderr:\n{stderr}");
    drop(taken);

    // `vrf` naming no interface: refused at start, with how to make one.
    let (code, stderr, _) = pptpd_in(29, "{BASE}vrf nosuchvrf\n", &["--fg"]);
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains("in vrf nosuchvrf"), "stderr:\n{stderr}");
    assert!(
        stderr.contains("ip link add nosuchvrf type vrf"),
        "stderr:\n{stderr}"
    );
}
