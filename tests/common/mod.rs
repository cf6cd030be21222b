//! The harness of the process tests: the binary under test with its log, a PPTP server
//! scripted by the test one message at a time, and a raw GRE socket for the data path.
//! See the ground rules in tests/client_process.rs.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::socket::{MsgFlags, SockaddrIn, bind, connect, recv, send, setsockopt, sockopt};
use nix::sys::time::{TimeVal, TimeValLike};
use nix::unistd::Pid;

#[allow(dead_code)]
pub mod pptpd;

use pptp_rs::wire::ctrl::{
    CallDisconnectNotify, ControlMessage, OutgoingCallReply, OutgoingCallRequest, PROTOCOL_VERSION,
    StartCtrlConn, frame_len,
};
use pptp_rs::wire::gre::GreHeader;
use pptp_rs::wire::hdlc::{AsyncDecoder, encode_async};
use pptp_rs::wire::ipv4::{Ipv4Datagram, PROTOCOL_GRE};

// ---- limits ----

/// Hang guard for a whole pptp run: well above the client's longest wait (REPLY_WAIT and
/// CONNECT_WAIT are 10 s; a full teardown is two TEARDOWN_WAITs of 3 s).
pub const EXIT_WAIT: Duration = Duration::from_secs(30);
/// Hang guard for one step of a conversation (a message, a frame, a packet, a log line).
pub const STEP_WAIT: Duration = Duration::from_secs(15);
/// How long "nothing more arrives" is watched for where a test checks an absence.
pub const QUIET_WAIT: Duration = Duration::from_millis(300);

/// Address of the scripted server for control-only tests.
pub const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// An LCP Configure-Request as pppd would send it: the PPP frame carried in GRE.
pub const LCP_FRAME: [u8; 8] = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];
/// An LCP Configure-Ack, for the direction server to pppd.
pub const LCP_ACK: [u8; 8] = [0xff, 0x03, 0xc0, 0x21, 0x02, 0x01, 0x00, 0x04];
/// Another frame with bytes that async HDLC must escape (0x7e, 0x7d, and below 0x20).
pub const ESCAPED_FRAME: [u8; 10] = [0xff, 0x03, 0xc0, 0x21, 0x09, 0x02, 0x7e, 0x7d, 0x00, 0x11];

// ---- the pptp process ----

/// pptp's stderr, read by a thread into a buffer that tests can wait on.
#[derive(Clone, Default)]
pub struct Stderr(pub Arc<(Mutex<(String, bool)>, Condvar)>);

impl Stderr {
    pub fn capture(pipe: ChildStderr) -> Stderr {
        let stderr = Stderr::default();
        let shared = stderr.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            loop {
                line.clear();
                let done = !matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0);
                let (lock, cv) = &*shared.0;
                let mut state = lock.lock().unwrap();
                state.0.push_str(&String::from_utf8_lossy(&line));
                state.1 = done;
                cv.notify_all();
                if done {
                    return;
                }
            }
        });
        stderr
    }

    /// Everything read so far.
    pub fn text(&self) -> String {
        self.0.0.lock().unwrap().0.clone()
    }

    /// Waits until the log contains `needle` (true) or `wait` passes (false).
    pub fn wait_for(&self, needle: &str, wait: Duration) -> bool {
        self.wait_until(wait, |text, _| text.contains(needle))
    }

    /// Waits until the pipe is closed, i.e. the whole log has been read.
    pub fn wait_eof(&self, wait: Duration) -> bool {
        self.wait_until(wait, |_, eof| eof)
    }

    pub fn wait_until(&self, wait: Duration, done: impl Fn(&str, bool) -> bool) -> bool {
        let deadline = Instant::now() + wait;
        let (lock, cv) = &*self.0;
        let mut state = lock.lock().unwrap();
        loop {
            if done(&state.0, state.1) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = cv.wait_timeout(state, left).unwrap().0;
        }
    }
}

/// A running `pptp`, with the test's end of its "pppd" socketpair. Dropping it kills the
/// process if it is still running.
pub struct Pptp {
    pub child: Child,
    pub stderr: Stderr,
    /// The pppd side: what the test writes here pptp reads on stdin, and what pptp writes
    /// to stdout arrives here. None once the test has closed it.
    pub ppp: Option<UnixStream>,
    pub decoder: AsyncDecoder,
    /// Frames decoded from stdout and not yet taken by [`read_frame`](Self::read_frame).
    pub frames: VecDeque<Result<Vec<u8>, String>>,
    pub exited: Option<ExitStatus>,
}

impl Pptp {
    /// Runs pptp with exactly `args`.
    pub fn spawn(args: &[&str]) -> Pptp {
        let (ours, theirs) = UnixStream::pair().expect("socketpair");
        let theirs_out = theirs.try_clone().expect("dup socketpair end");
        let mut child = Command::new(env!("CARGO_BIN_EXE_pptp"))
            .args(args)
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::from(OwnedFd::from(theirs_out)))
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot run pptp");
        let stderr = Stderr::capture(child.stderr.take().unwrap());
        Pptp {
            child,
            stderr,
            ppp: Some(ours),
            decoder: AsyncDecoder::new(),
            frames: VecDeque::new(),
            exited: None,
        }
    }

    /// Runs pptp against `server` the way every network test does: `--nohostroute
    /// --nolaunchpppd --debug`, then `extra`.
    pub fn start(server: &Server, extra: &[&str]) -> Pptp {
        let host = server.ip.to_string();
        let port = server.port().to_string();
        let mut args = vec![
            host.as_str(),
            "--port",
            port.as_str(),
            "--nohostroute",
            "--nolaunchpppd",
            "--debug",
        ];
        args.extend_from_slice(extra);
        Pptp::spawn(&args)
    }

    /// Waits for pptp to exit (panics after [`EXIT_WAIT`]) and returns its exit code and
    /// its whole stderr.
    pub fn wait_exit(&mut self) -> (i32, String) {
        let deadline = Instant::now() + EXIT_WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waitpid") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "pptp still running after {EXIT_WAIT:?}; log:\n{}",
                self.stderr.text()
            );
            thread::sleep(Duration::from_millis(20));
        };
        self.exited = Some(status);
        self.stderr.wait_eof(STEP_WAIT);
        let code = status
            .code()
            .unwrap_or_else(|| panic!("pptp killed by a signal: {status}"));
        (code, self.stderr.text())
    }

    /// Waits for a log line containing `needle`; panics with the log if none comes.
    pub fn expect_log(&self, needle: &str) {
        assert!(
            self.stderr.wait_for(needle, STEP_WAIT),
            "pptp never logged {needle:?}; log:\n{}",
            self.stderr.text()
        );
    }

    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), signal).expect("kill");
    }

    pub fn ppp(&self) -> &UnixStream {
        self.ppp.as_ref().expect("the pppd side is already closed")
    }

    /// Writes one PPP frame to pptp's stdin, async-HDLC encoded as pppd does.
    pub fn write_frame(&self, frame: &[u8]) {
        let mut bytes = Vec::new();
        encode_async(frame, &mut bytes);
        self.ppp().write_all(&bytes).expect("write to pptp's stdin");
    }

    /// Reads the next frame pptp writes to stdout, decoded; panics after [`STEP_WAIT`] or on
    /// a frame that does not decode.
    pub fn read_frame(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + STEP_WAIT;
        let mut buf = [0u8; 4096];
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return frame.unwrap_or_else(|e| panic!("bad frame on pptp's stdout: {e}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "pptp wrote no frame to stdout");
            let ppp = self.ppp.as_ref().expect("the pppd side is already closed");
            ppp.set_read_timeout(Some(left)).unwrap();
            let n = match (&*ppp).read(&mut buf) {
                Ok(0) => panic!("pptp closed its stdout"),
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue;
                }
                Err(e) => panic!("read from pptp's stdout: {e}"),
            };
            let frames = &mut self.frames;
            self.decoder.push(&buf[..n], |frame| {
                frames.push_back(frame.map(<[u8]>::to_vec).map_err(|e| e.to_string()))
            });
        }
    }

    /// True if pptp has written nothing more to stdout (checked without blocking).
    pub fn stdout_is_empty(&self) -> bool {
        if !self.frames.is_empty() {
            return false;
        }
        let ppp = self.ppp();
        ppp.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 64];
        let empty = matches!((&*ppp).read(&mut buf), Err(e) if e.kind() == ErrorKind::WouldBlock);
        ppp.set_nonblocking(false).unwrap();
        empty
    }

    /// Closes the pppd side, as pppd exiting does: pptp reads end of file on stdin.
    pub fn close_ppp(&mut self) {
        self.ppp = None;
    }
}

impl Drop for Pptp {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if thread::panicking() {
            eprintln!("---- pptp stderr ----\n{}---- end ----", self.stderr.text());
        }
    }
}

// ---- the scripted server ----

/// A PPTP server's listening socket on a fresh port.
pub struct Server {
    pub listener: TcpListener,
    pub ip: Ipv4Addr,
}

impl Server {
    pub fn bind(ip: Ipv4Addr) -> Server {
        let listener = TcpListener::bind((ip, 0)).expect("bind the server");
        listener.set_nonblocking(true).unwrap();
        Server { listener, ip }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }

    /// Accepts pptp's control connection; panics after [`STEP_WAIT`].
    pub fn accept(&self) -> Ctrl {
        let deadline = Instant::now() + STEP_WAIT;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    stream.set_nodelay(true).unwrap();
                    return Ctrl {
                        stream,
                        buf: Vec::new(),
                    };
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "pptp never connected");
                    thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// What the server got next on the control connection.
#[derive(Debug)]
pub enum Next {
    Msg(ControlMessage),
    /// pptp closed (or reset) the connection.
    Closed,
    /// Nothing within the wait.
    Silent,
}

/// The server's end of one control connection: whole messages in and out.
pub struct Ctrl {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

impl Ctrl {
    /// The next whole message, framed with `frame_len` and parsed with the crate's parser.
    /// A message that breaks framing or does not parse fails the test: pptp must only send
    /// well-formed messages.
    pub fn next(&mut self, wait: Duration) -> Next {
        let deadline = Instant::now() + wait;
        let mut chunk = [0u8; 1024];
        loop {
            match frame_len(&self.buf) {
                Ok(Some(len)) if len <= self.buf.len() => {
                    let msg = ControlMessage::parse(&self.buf[..len])
                        .unwrap_or_else(|e| panic!("pptp sent a malformed message: {e}"));
                    self.buf.drain(..len);
                    return Next::Msg(msg);
                }
                Ok(_) => {}
                Err(e) => panic!("pptp broke control message framing: {e}"),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Next::Silent;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    assert!(self.buf.is_empty(), "pptp closed mid-message");
                    return Next::Closed;
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Next::Closed,
                Err(e) => panic!("read from pptp: {e}"),
            }
        }
    }

    /// The next message; panics if pptp closes the connection or says nothing.
    pub fn recv(&mut self) -> ControlMessage {
        self.recv_within(STEP_WAIT)
    }

    /// As [`recv`](Self::recv), for a message that comes only after one of pptp's own
    /// timeouts.
    pub fn recv_within(&mut self, wait: Duration) -> ControlMessage {
        match self.next(wait) {
            Next::Msg(msg) => msg,
            other => panic!("expected a control message from pptp, got {other:?}"),
        }
    }

    /// Asserts that pptp closes the connection without sending anything more.
    pub fn expect_closed(&mut self) {
        match self.next(EXIT_WAIT) {
            Next::Closed => {}
            other => panic!("expected pptp to close the connection, got {other:?}"),
        }
    }

    pub fn send(&mut self, msg: ControlMessage) {
        let mut bytes = Vec::new();
        msg.emit(&mut bytes);
        self.send_bytes(&bytes);
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to pptp");
    }
}

/// The call IDs of an established call.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// pptp's Call ID, from its Outgoing-Call-Request: the Key of GRE sent to pptp.
    pub pptp: u16,
    /// The server's Call ID, from our Outgoing-Call-Reply: the Key of GRE pptp sends.
    pub server: u16,
}

pub fn sccrp(result_code: u8, error_code: u8) -> ControlMessage {
    ControlMessage::StartCtrlConnReply(StartCtrlConn {
        protocol_version: PROTOCOL_VERSION,
        result_code,
        error_code,
        framing_capabilities: 1,
        bearer_capabilities: 1,
        maximum_channels: 1,
        firmware_revision: 1,
        host_name: "scripted-pac".into(),
        vendor: "client_process test".into(),
    })
}

pub fn ocrp(call: Call, result_code: u8) -> ControlMessage {
    ControlMessage::OutgoingCallReply(OutgoingCallReply {
        call_id: call.server,
        peer_call_id: call.pptp,
        result_code,
        error_code: 0,
        cause_code: 0,
        connect_speed: 10_000_000,
        recv_window: 64,
        processing_delay: 0,
        physical_channel_id: 0,
    })
}

/// A Call-Disconnect-Notify for the call, carrying the server's own Call ID (RFC 2637
/// §2.13: the Call ID assigned by the PAC).
pub fn cdn(call: Call, result_code: u8) -> ControlMessage {
    ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
        call_id: call.server,
        result_code,
        error_code: 0,
        cause_code: 0,
        call_statistics: String::new(),
    })
}

/// Expects a Start-Control-Connection-Request and answers it with `result_code`.
pub fn answer_start(ctrl: &mut Ctrl, result_code: u8, error_code: u8) -> StartCtrlConn {
    match ctrl.recv() {
        ControlMessage::StartCtrlConnRequest(sccrq) => {
            ctrl.send(sccrp(result_code, error_code));
            sccrq
        }
        other => panic!("expected start-control-connection-request, got {other:?}"),
    }
}

pub fn expect_ocrq(ctrl: &mut Ctrl) -> OutgoingCallRequest {
    match ctrl.recv() {
        ControlMessage::OutgoingCallRequest(ocrq) => ocrq,
        other => panic!("expected outgoing-call-request, got {other:?}"),
    }
}

/// The server's Call ID for pptp's call: any value will do; this one never equals pptp's.
pub fn call_for(ocrq: &OutgoingCallRequest) -> Call {
    Call {
        pptp: ocrq.call_id,
        server: !ocrq.call_id,
    }
}

/// Accepts the control connection and the call: SCCRP success, OCRP connected.
pub fn call_up(ctrl: &mut Ctrl) -> Call {
    answer_start(ctrl, 1, 0);
    let call = call_for(&expect_ocrq(ctrl));
    ctrl.send(ocrp(call, 1));
    call
}

/// Expects Stop-Control-Connection-Request, answers it and returns its reason.
pub fn answer_stop(ctrl: &mut Ctrl) -> u8 {
    match ctrl.recv() {
        ControlMessage::StopCtrlConnRequest { reason } => {
            ctrl.send(ControlMessage::StopCtrlConnReply {
                result_code: 1,
                error_code: 0,
            });
            reason
        }
        other => panic!("expected stop-control-connection-request, got {other:?}"),
    }
}

/// The server's side of a teardown started by pptp: Call-Clear-Request for pptp's call,
/// answered with Call-Disconnect-Notify (result 4, request), then the stop exchange.
/// Returns the stop reason.
pub fn answer_clear_and_stop(ctrl: &mut Ctrl, call: Call) -> u8 {
    match ctrl.recv() {
        ControlMessage::CallClearRequest { call_id } => assert_eq!(
            call_id, call.pptp,
            "call-clear-request must carry pptp's own call id (RFC 2637 §2.12)"
        ),
        other => panic!("expected call-clear-request, got {other:?}"),
    }
    ctrl.send(cdn(call, 4));
    let reason = answer_stop(ctrl);
    ctrl.expect_closed();
    reason
}

// ---- GRE ----

/// A raw GRE socket for the server's side of the data path.
///
/// Bound to the server's own loopback address and connected to 127.0.0.1 (pptp's source
/// address), so it receives exactly what pptp sends to this server, and what it sends comes
/// from the server's address, the only source pptp's connected GRE socket accepts. pptp's
/// own packets go from 127.0.0.1 to the server's address, so pptp never receives them back
/// (with everything on 127.0.0.1 it would, and count each as a wrong call id), and tests in
/// parallel with different server addresses never see each other's packets.
pub struct GreSock {
    pub fd: OwnedFd,
}

impl GreSock {
    /// The server's side of a client test: see the type's documentation.
    pub fn open(server_ip: Ipv4Addr) -> GreSock {
        GreSock::between(server_ip, LOCALHOST)
    }

    /// A raw GRE socket bound to `local` and connected to `peer`: it sees only what `peer`
    /// sends to `local`.
    pub fn between(local: Ipv4Addr, peer: Ipv4Addr) -> GreSock {
        // SAFETY: socket(2) with constant arguments; the result is checked and then owned
        // by exactly one OwnedFd.
        let raw = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_GRE,
            )
        };
        assert!(
            raw >= 0,
            "cannot open a raw GRE socket (these tests need root): {}",
            io::Error::last_os_error()
        );
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        bind(
            fd.as_raw_fd(),
            &SockaddrIn::from(SocketAddrV4::new(local, 0)),
        )
        .expect("bind the GRE socket");
        connect(
            fd.as_raw_fd(),
            &SockaddrIn::from(SocketAddrV4::new(peer, 0)),
        )
        .expect("connect the GRE socket");
        setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::milliseconds(100)).unwrap();
        GreSock { fd }
    }

    /// Sends one GRE packet (the kernel adds the IPv4 header).
    pub fn send(&self, packet: &[u8]) {
        let n = send(self.fd.as_raw_fd(), packet, MsgFlags::empty()).expect("send GRE");
        assert_eq!(n, packet.len());
    }

    /// Sends `frame` to pptp as a data packet with sequence number `seq`.
    pub fn send_data(&self, call_id: u16, seq: u32, frame: &[u8]) {
        self.send(&gre_packet(call_id, seq, frame));
    }

    /// The next packet pptp sends with Key `call_id`, with its payload. Panics after
    /// [`STEP_WAIT`].
    pub fn recv_packet(&self, call_id: u16) -> (GreHeader, Vec<u8>) {
        let deadline = Instant::now() + STEP_WAIT;
        let mut buf = [0u8; 65536];
        while Instant::now() < deadline {
            let n = match recv(self.fd.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                Ok(n) => n,
                Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => continue,
                Err(e) => panic!("receive GRE: {e}"),
            };
            let Ok(ip) = Ipv4Datagram::parse(&buf[..n]) else {
                continue;
            };
            if ip.protocol != PROTOCOL_GRE {
                continue;
            }
            let (header, payload) = GreHeader::parse(ip.payload)
                .unwrap_or_else(|e| panic!("pptp sent a malformed GRE packet: {e}"));
            if header.call_id == call_id {
                return (header, payload.to_vec());
            }
        }
        panic!("no GRE packet for call id {call_id} within {STEP_WAIT:?}");
    }

    /// True if pptp sends no data packet for `call_id` within [`QUIET_WAIT`] (ack-only
    /// packets do not count).
    pub fn quiet(&self, call_id: u16) -> bool {
        let deadline = Instant::now() + QUIET_WAIT;
        let mut buf = [0u8; 65536];
        while Instant::now() < deadline {
            let Ok(n) = recv(self.fd.as_raw_fd(), &mut buf, MsgFlags::empty()) else {
                continue;
            };
            let Ok(ip) = Ipv4Datagram::parse(&buf[..n]) else {
                continue;
            };
            if let Ok((header, _)) = GreHeader::parse(ip.payload)
                && header.call_id == call_id
                && header.seq.is_some()
            {
                return false;
            }
        }
        true
    }

    /// The next data packet (one with a sequence number) for `call_id`; ack-only packets
    /// are skipped.
    pub fn recv_data(&self, call_id: u16) -> (GreHeader, Vec<u8>) {
        loop {
            let (header, payload) = self.recv_packet(call_id);
            if header.seq.is_some() {
                return (header, payload);
            }
        }
    }
}

/// An ack-only GRE packet (RFC 2637 §4.1: S clear, A set) acknowledging `ack`.
pub fn gre_ack(call_id: u16, ack: u32) -> Vec<u8> {
    let header = GreHeader {
        call_id,
        payload_len: 0,
        seq: None,
        ack: Some(ack),
    };
    let mut packet = vec![0; header.header_len()];
    header.emit(&mut packet);
    packet
}

/// An enhanced GRE data packet (RFC 2637 §4.1) without acknowledgment.
pub fn gre_packet(call_id: u16, seq: u32, frame: &[u8]) -> Vec<u8> {
    let header = GreHeader {
        call_id,
        payload_len: frame.len() as u16,
        seq: Some(seq),
        ack: None,
    };
    let mut packet = vec![0; header.header_len()];
    header.emit(&mut packet);
    packet.extend_from_slice(frame);
    packet
}

/// The `key=value` counters of the last stats line pptp logged for `when` ("now", "end").
pub fn stats(log: &str, when: &str) -> Vec<(String, u64)> {
    let marker = format!("gre: stats ({when})");
    let line = log
        .lines()
        .rfind(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("no {marker:?} line in the log:\n{log}"));
    line.split_whitespace()
        .filter_map(|word| word.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().expect("counter value")))
        .collect()
}

pub fn counter(stats: &[(String, u64)], name: &str) -> u64 {
    stats
        .iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no counter {name} in {stats:?}"))
        .1
}

// ---- command line and connection errors ----
