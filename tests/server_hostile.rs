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

/// The server's resident memory, in KiB.
fn rss_kib(server: &Pptpd) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// Echo-Requests as fast as the connection takes them, never reading a reply: the server
/// stops reading a client that does not take its replies, and drops it after `stimeout`
/// (an unbounded write queue once grew pptpd to 3.5 GB). Memory stays put, the live
/// tunnel answers, and a newcomer is served at once.
#[test]
fn echo_flood_without_reading() {
    let server = Pptpd::start(46, "stimeout 2\nremoteip 10.46.0.10-11\n");
    let (mut live, _) = call_up(&server, 0x4601);
    let before = rss_kib(&server);
    let (mut flooder, _) = call_up(&server, 0x4602);
    flooder.stream.set_nonblocking(true).unwrap();
    let mut requests = Vec::new();
    for id in 0..256 {
        ControlMessage::EchoRequest { identifier: id }.emit(&mut requests);
    }
    let started = Instant::now();
    let mut sent = 0usize;
    let dropped = loop {
        match std::io::Write::write(&mut flooder.stream, &requests) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(_) => break true,
        }
        if started.elapsed() > STEP_WAIT {
            break false;
        }
    };
    assert!(dropped, "the flooder was never dropped ({sent} bytes sent)");
    assert!(
        sent > 16 * 4096,
        "the flood was too small to prove anything: {sent}"
    );
    let growth = rss_kib(&server).saturating_sub(before);
    assert!(growth < 4096, "pptpd grew by {growth} KiB under the flood");
    echo(&mut live, 4);
    let _ctrl = served_at_once(&server);
}

/// 1,000 Outgoing-Call-Requests on a connection with a call up: each is refused as busy,
/// no second pppd starts, and the call and the server go on.
#[test]
fn a_thousand_call_requests_on_one_connection() {
    let server = Pptpd::start(47, "remoteip 10.47.0.10-11\n");
    let gre = client_gre(server.ip);
    let (mut ctrl, server_call_id) = call_up(&server, 0x4701);
    let mut requests = Vec::new();
    for i in 0..1000u16 {
        ocrq(0x5000 + i).emit(&mut requests);
    }
    ctrl.send_bytes(&requests);
    for i in 0..1000u16 {
        match ctrl.recv() {
            ControlMessage::OutgoingCallReply(r) => {
                assert_eq!((r.result_code, r.peer_call_id), (4, 0x5000 + i), "{r:?}")
            }
            other => panic!("expected outgoing-call-reply, got {other:?}"),
        }
    }
    assert_eq!(
        server.dir.lines("argv").len(),
        1,
        "a second pppd was started"
    );
    echo(&mut ctrl, 5);
    assert_gre_loopback(&gre, server_call_id, 0x4701, 0);
    let _ctrl = served_at_once(&server);
}

/// Length fields that lie: longer than the message (the next message is swallowed, and
/// the oversized one dropped as malformed), shorter than its type (the rest is read as a
/// header that cannot be, and the connection is closed), below a header's 12 bytes (the
/// stream cannot be followed). Each costs only its own connection.
#[test]
fn lying_length_fields() {
    let server = Pptpd::start(48, "remoteip 10.48.0.10\n");
    let (mut live, _) = call_up(&server, 0x4801);

    let mut long = Vec::new();
    ControlMessage::EchoRequest { identifier: 1 }.emit(&mut long);
    long[..2].copy_from_slice(&100u16.to_be_bytes());
    long.resize(100, 0);
    let mut ctrl = server.connect();
    start_ok(&mut ctrl);
    ctrl.send_bytes(&long);
    echo(&mut ctrl, 2); // the connection still follows the stream

    let mut short = Vec::new();
    sccrq(PROTOCOL_VERSION).emit(&mut short);
    short[..2].copy_from_slice(&16u16.to_be_bytes());
    let mut ctrl = server.connect();
    ctrl.send_bytes(&short);
    expect_closed_silently(&mut ctrl);

    let mut tiny = Vec::new();
    ControlMessage::EchoRequest { identifier: 3 }.emit(&mut tiny);
    tiny[..2].copy_from_slice(&8u16.to_be_bytes());
    let mut ctrl = server.connect();
    start_ok(&mut ctrl);
    ctrl.send_bytes(&tiny);
    assert!(
        matches!(ctrl.next(STEP_WAIT), Next::Closed),
        "a length below the header's was followed"
    );

    echo(&mut live, 6);
    let _ctrl = served_at_once(&server);
}

/// GRE with a live call's Call ID from another address is not that call's: it never
/// reaches the call's pppd, and the call's own GRE still flows.
#[test]
fn gre_for_a_live_call_from_the_wrong_address() {
    let server = Pptpd::start(49, "remoteip 10.49.0.10\n");
    let gre = client_gre(server.ip);
    let (_ctrl, server_call_id) = call_up(&server, 0x4901);
    server.dir.wait_argv(1);
    let spoofer = common::GreSock::between(Ipv4Addr::new(127, 0, 0, 2), server.ip);
    spoofer.send(&common::gre_packet(server_call_id, 0, &common::LCP_FRAME));
    assert!(
        spoofer.quiet(0x4901),
        "the spoofed frame came back to the spoofer"
    );
    assert!(
        gre.quiet(0x4901),
        "the spoofed frame reached the call's pppd"
    );
    assert_gre_loopback(&gre, server_call_id, 0x4901, 0);
}

/// 1,000 clients one after the other, each with a call and an orderly teardown: at the
/// end the server has no child, its descriptors and the pool are back where they
/// started, and its memory has not grown.
#[test]
fn churn_of_a_thousand_calls_leaks_nothing() {
    let server = Pptpd::start(50, "remoteip 10.50.0.10-11\n");
    let (fds, rss) = (server.open_fds(), rss_kib(&server));
    for i in 0..1000u16 {
        let (mut ctrl, _) = call_up(&server, 0x100 + i);
        ctrl.send(ControlMessage::CallClearRequest { call_id: 0x100 + i });
        match ctrl.recv() {
            ControlMessage::CallDisconnectNotify(n) => assert_eq!(n.result_code, 4),
            other => panic!("expected call-disconnect-notify, got {other:?}"),
        }
        ctrl.send(ControlMessage::StopCtrlConnRequest { reason: 1 });
        match ctrl.recv() {
            ControlMessage::StopCtrlConnReply { result_code, .. } => assert_eq!(result_code, 1),
            other => panic!("expected stop-control-connection-reply, got {other:?}"),
        }
        expect_closed_silently(&mut ctrl);
        // The address comes back once pppd has exited; a client that redials at once
        // may find the pool empty, which is not what this test is about.
        server.wait_no_children();
    }
    server.wait_no_children();
    assert!(
        server.open_fds() <= fds,
        "descriptors leaked: {} then {fds}",
        server.open_fds()
    );
    let growth = rss_kib(&server).saturating_sub(rss);
    assert!(growth < 2048, "pptpd grew by {growth} KiB over 1,000 calls");
    let both: Vec<_> = (0..2).map(|i| call_up(&server, 0x9000 + i)).collect();
    drop(both);
}
