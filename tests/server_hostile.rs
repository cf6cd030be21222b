//! pptpd against hostile and careless clients, as a process with a stand-in pppd (the
//! harness and its ground rules are those of tests/server_process.rs; these tests use
//! 127.0.0.41 to 127.0.0.60).
//!
//! Each test does what a hostile or broken client did to the server once, and asserts
//! what must hold: other clients are served, nothing leaks (children, addresses,
//! descriptors), and no connection is held open without a deadline.

#[allow(dead_code)]
mod common;

use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};

use pptp_rs::wire::ctrl::{ControlMessage, MessageType, PROTOCOL_VERSION};

use common::pptpd::*;
use common::{Next, STEP_WAIT};

/// How soon a client that arrives after an attack must have its Start-Control-Connection-
/// Reply: the attack may not have left the server busy or deaf.
const SERVED_WITHIN: Duration = Duration::from_secs(1);

/// Connects, sends SCCRQ and asserts a successful reply within [`SERVED_WITHIN`].
///
/// A SYN that finds the listen backlog full is dropped and would be sent again only after
/// a second (TCP's initial retransmission timeout): connecting again sooner measures when
/// the server is ready, not TCP's timer.
fn served_at_once(server: &Pptpd) -> common::Ctrl {
    let started = Instant::now();
    let stream = loop {
        let left = SERVED_WITHIN.saturating_sub(started.elapsed());
        let attempt = left
            .min(Duration::from_millis(100))
            .max(Duration::from_millis(1));
        match TcpStream::connect_timeout(&(server.ip, 1723).into(), attempt) {
            Ok(stream) => break stream,
            Err(e) if started.elapsed() < SERVED_WITHIN => {
                let _ = e;
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("a new client could not even connect within {SERVED_WITHIN:?}: {e}"),
        }
    };
    stream.set_nodelay(true).unwrap();
    let mut ctrl = common::Ctrl {
        stream,
        buf: Vec::new(),
    };
    ctrl.send(sccrq(PROTOCOL_VERSION));
    match ctrl.next(SERVED_WITHIN.saturating_sub(started.elapsed())) {
        Next::Msg(ControlMessage::StartCtrlConnReply(r)) => {
            assert_eq!(r.result_code, 1, "{r:?}")
        }
        other => panic!(
            "a new client was not served within {SERVED_WITHIN:?} (after {:?}): {other:?}",
            started.elapsed()
        ),
    }
    ctrl
}

fn ccrq_and_ocrq(clear: u16, call: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    ControlMessage::CallClearRequest { call_id: clear }.emit(&mut bytes);
    ocrq(call).emit(&mut bytes);
    bytes
}

/// 1,000 times on one connection: Call-Clear-Request and a new Outgoing-Call-Request in
/// one write (the redial of a client in a hurry). A new call may only start once the
/// cleared one's pppd is gone; it once replaced that pppd unreaped, leaving zombies and
/// addresses that never came back. At the end: no child left, every address handed out
/// again, and the server's descriptors back to where they were.
#[test]
fn clear_and_redial_cycles_leak_nothing() {
    let server = Pptpd::start(41, "remoteip 10.41.0.10-12\n");
    let baseline_fds = server.open_fds();
    let mut ctrl = server.connect();
    start_ok(&mut ctrl);
    let mut call = 1u16;
    assert_eq!(request_call(&mut ctrl, call).result_code, 1);
    let mut busy = 0;
    for _ in 0..1000 {
        let next = call + 1;
        ctrl.send_bytes(&ccrq_and_ocrq(call, next));
        match ctrl.recv() {
            ControlMessage::CallDisconnectNotify(n) => assert_eq!(n.result_code, 4, "{n:?}"),
            other => panic!("expected call-disconnect-notify, got {other:?}"),
        }
        let mut reply = match ctrl.recv() {
            ControlMessage::OutgoingCallReply(r) => r,
            other => panic!("expected outgoing-call-reply, got {other:?}"),
        };
        // Busy while the cleared call's pppd is exiting; then the redial goes through.
        let deadline = Instant::now() + STEP_WAIT;
        while reply.result_code == 4 {
            busy += 1;
            assert!(Instant::now() < deadline, "the redial was never accepted");
            thread::sleep(Duration::from_millis(2));
            reply = request_call(&mut ctrl, next);
        }
        assert_eq!(reply.result_code, 1, "{reply:?}");
        call = next;
        let zombies: Vec<_> = server
            .children()
            .into_iter()
            .filter(|(_, state)| *state == 'Z')
            .collect();
        assert!(zombies.len() <= 1, "pppds left unreaped: {zombies:?}");
    }
    assert!(
        busy > 0,
        "the redial never met the exiting pppd: the test proves nothing"
    );
    ctrl.send(ControlMessage::CallClearRequest { call_id: call });
    ctrl.recv();
    drop(ctrl);
    server.wait_no_children();
    // Every address comes back: three calls at once get the three addresses.
    // (A fake pppd stopped at once may never have written its argv line, so the file
    // is searched from its end.)
    let calls: Vec<_> = (0..3).map(|i| call_up(&server, 0x100 + i)).collect();
    let want = [
        "10.41.0.1:10.41.0.10",
        "10.41.0.1:10.41.0.11",
        "10.41.0.1:10.41.0.12",
    ];
    let deadline = Instant::now() + STEP_WAIT;
    loop {
        let argv = server.dir.lines("argv");
        let mut last: Vec<_> = argv[argv.len().saturating_sub(3)..]
            .iter()
            .map(|a| a.split_whitespace().nth(4).unwrap_or("").to_string())
            .collect();
        last.sort();
        if last == want {
            break;
        }
        assert!(Instant::now() < deadline, "the last calls got {last:?}");
        thread::sleep(Duration::from_millis(20));
    }
    drop(calls);
    server.wait_no_children();
    assert_eq!(server.open_fds(), baseline_fds, "descriptors leaked");
}

/// Raises this test process's own open-files limit as far as it goes (the flood needs
/// thousands of sockets).
fn raise_own_fd_limit() {
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

/// A TCP connection from 127.0.0.1 started without waiting for it to complete.
fn connect_nonblocking(server: Ipv4Addr) -> Option<OwnedFd> {
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )
    .ok()?;
    bind(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)),
    )
    .ok()?;
    match connect(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(server, 1723)),
    ) {
        Ok(()) | Err(Errno::EINPROGRESS) => Some(fd),
        Err(_) => None,
    }
}

/// 3,000 connections at once against the systemd default of 1,024 descriptors, with a
/// `connections` large enough that the connection limit is not what stops them: accept
/// fails with EMFILE, and the rest fill the listen backlog (128). The server once stopped
/// accepting for good then (the listener was never polled again, and with the backlog
/// full no new connection could wake it). It must keep its live tunnel and serve the next
/// client at once.
#[test]
fn connection_flood_past_the_descriptor_limit() {
    raise_own_fd_limit();
    let server = Pptpd::start_under(
        &["prlimit", "--nofile=1024:1024", "--"],
        42,
        "connections 750\nremoteip 10.42.0.1-250,10.42.1.1-250,10.42.2.1-250\n",
    );
    let (mut live, _) = call_up(&server, 0x4201);
    let flood: Vec<OwnedFd> = (0..3000)
        .filter_map(|_| connect_nonblocking(server.ip))
        .collect();
    assert!(flood.len() > 2500, "only {} flood connections", flood.len());
    // Until the server has run out of descriptors (or a hang guard passes).
    let deadline = Instant::now() + STEP_WAIT;
    while server.open_fds() < 1000 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.open_fds() >= 1000,
        "the flood did not exhaust descriptors"
    );
    echo(&mut live, 1);
    drop(flood);
    let _ctrl = served_at_once(&server);
    echo(&mut live, 2);
}

/// A message header whose Length promises more than is ever sent, on a connection that
/// carries a call: the rest has `stimeout` to come, not the two minutes of keepalive.
#[test]
fn half_sent_message_is_dropped_after_stimeout() {
    let server = Pptpd::start(43, "stimeout 2\nremoteip 10.43.0.10\n");
    let (mut ctrl, _) = call_up(&server, 0x4301);
    let mut header = Vec::new();
    ocrq(0x4302).emit(&mut header);
    assert_eq!(header.len(), MessageType::OutgoingCallRequest.message_len());
    ctrl.send_bytes(&header[..20]);
    let started = Instant::now();
    match ctrl.next(STEP_WAIT) {
        Next::Closed => {}
        Next::Msg(ControlMessage::CallDisconnectNotify(_)) => {
            assert!(matches!(ctrl.next(STEP_WAIT), Next::Closed))
        }
        other => panic!("the half-sent message held the connection: {other:?}"),
    }
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "dropped before stimeout"
    );
    let _ctrl = served_at_once(&server);
}

/// An established connection that places no call is stopped after `stimeout`.
#[test]
fn established_connection_without_a_call_is_stopped() {
    let server = Pptpd::start(44, "stimeout 2\nremoteip 10.44.0.10\n");
    let mut ctrl = server.connect();
    start_ok(&mut ctrl);
    match ctrl.next(STEP_WAIT) {
        Next::Msg(ControlMessage::StopCtrlConnRequest { reason }) => assert_eq!(reason, 1),
        other => panic!("expected stop-control-connection-request, got {other:?}"),
    }
}

/// Connections that complete the start and then say nothing fill the connection limit
/// (twice the call capacity, at least 16); a newcomer is then served, and the oldest of
/// them is stopped to make room (newcomers were once refused for minutes).
#[test]
fn callless_connections_do_not_lock_newcomers_out() {
    let server = Pptpd::start(45, "stimeout 30\nconnections 1\nremoteip 10.45.0.10\n");
    let mut idle: Vec<_> = (0..16)
        .map(|_| {
            let mut c = server.connect();
            start_ok(&mut c);
            c
        })
        .collect();
    let _newcomer = served_at_once(&server);
    match idle[0].next(STEP_WAIT) {
        Next::Msg(ControlMessage::StopCtrlConnRequest { reason }) => assert_eq!(reason, 1),
        other => panic!("the oldest call-less connection was not stopped: {other:?}"),
    }
    for c in &mut idle[1..] {
        echo(c, 3);
    }
}
