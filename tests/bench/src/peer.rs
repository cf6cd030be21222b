//! The scripted PPTP peers. `pac` answers a client (ours or pptp-linux) the way a server
//! does; `pns` places calls on a server (ours or poptop), one TCP connection per tunnel.
//! Both answer Echo-Requests, run the GRE sink for the whole run and, in RX runs, the
//! generator; what they saw is their result line.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use crate::sys::GreSocket;
use crate::sys::connect_nonblocking;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use nix::sys::socket::{setsockopt, sockopt};
use pptp_rs::wire::ctrl::{
    ControlMessage, OutgoingCallReply, OutgoingCallRequest, PROTOCOL_VERSION, StartCtrlConn,
    take_messages,
};

use crate::gre_io::{GenCounts, Load, SharedWindow, Target, Window, start_generator, start_sink};
use crate::util::{Args, Report, now_ns, pin};

const LISTENER: Token = Token(usize::MAX);
const PPTP_PORT: u16 = 1723;

/// A control connection and what it has reached.
struct Conn {
    stream: TcpStream,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    connected: bool,
    /// When the connect started (PNS) or the Outgoing-Call-Request came (PAC).
    started_ns: u64,
    /// When the call came up: OCRP received (PNS) or OCRQ received (PAC).
    call_ns: Option<u64>,
    /// The other end's call ID, once known.
    peer_call_id: Option<u16>,
    peer: Ipv4Addr,
    closed: bool,
}

impl Conn {
    fn new(stream: TcpStream, peer: Ipv4Addr, connected: bool) -> Conn {
        Conn {
            stream,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            connected,
            started_ns: now_ns(),
            call_ns: None,
            peer_call_id: None,
            peer,
            closed: false,
        }
    }

    fn send(&mut self, msg: &ControlMessage) {
        msg.emit(&mut self.outbuf);
    }

    /// Reads and writes what the socket allows; returns the whole messages received.
    fn pump(&mut self) -> Vec<ControlMessage> {
        let mut msgs = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    break;
                }
                Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.closed = true;
                    break;
                }
            }
        }
        let framed = take_messages(&mut self.inbuf, |m| {
            if let Ok(m) = m {
                msgs.push(m);
            }
        });
        self.closed |= framed.is_err();
        self.flush();
        msgs
    }

    fn flush(&mut self) {
        while !self.outbuf.is_empty() && self.connected {
            match self.stream.write(&self.outbuf) {
                Ok(n) => {
                    self.outbuf.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

pub fn start_ctrl(request: bool) -> StartCtrlConn {
    StartCtrlConn {
        protocol_version: PROTOCOL_VERSION,
        result_code: if request { 0 } else { 1 },
        error_code: 0,
        framing_capabilities: 3,
        bearer_capabilities: 3,
        maximum_channels: 0,
        firmware_revision: 1,
        host_name: "pptp-bench".into(),
        vendor: "pptp-bench".into(),
    }
}

/// Answers what both roles answer the same way; the rest is for the caller.
fn answer_common(conn: &mut Conn, msg: &ControlMessage) -> bool {
    match msg {
        ControlMessage::EchoRequest { identifier } => conn.send(&ControlMessage::EchoReply {
            identifier: *identifier,
            result_code: 1,
            error_code: 0,
        }),
        ControlMessage::StopCtrlConnRequest { .. } => {
            conn.send(&ControlMessage::StopCtrlConnReply {
                result_code: 1,
                error_code: 0,
            })
        }
        _ => return false,
    }
    true
}

fn window(args: &Args) -> Window {
    Window {
        t0: args.get("t0", 0),
        t1: args.get("t1", 0),
        end: args.need("end"),
    }
}

/// The client is the floor relay (`floor=1`), in async framing: its frames travel still
/// in HDLC both ways (see floor.rs).
fn floor_hdlc(args: &Args) -> bool {
    args.get("floor", 0u8) == 1 && args.get("sync", 0u8) == 0
}

fn load(args: &Args) -> Load {
    Load {
        payload: args.get("payload", 1400),
        pps: args.get("pps", 0),
        reorder: args.get("reorder", 1),
        drop_every: args.get("drop", 0),
        window_only: false,
        encoded: floor_hdlc(args),
    }
}

/// Sorted latencies, as "median max" in µs.
fn latency_us(mut ns: Vec<u64>) -> (u64, u64) {
    ns.sort_unstable();
    let median = ns.get(ns.len() / 2).copied().unwrap_or(0);
    (median / 1000, ns.last().copied().unwrap_or(0) / 1000)
}

/// `pptp-bench pac`: a PAC for clients.
pub fn pac(args: &Args) -> i32 {
    pin(0, args.get("cpu", 0));
    let w = window(args);
    let rx = args.text("mode") == Some("rx");
    let listen: Ipv4Addr = args.need("listen");
    let sink = match start_sink(SharedWindow::new(w), floor_hdlc(args)) {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot open the GRE sink: {e}")),
    };
    let mut listener = match TcpListener::bind(SocketAddrV4::new(listen, PPTP_PORT).into()) {
        Ok(l) => l,
        Err(e) => return fail(&format!("cannot listen on {listen}:{PPTP_PORT}: {e}")),
    };
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    println!("ready");
    let _ = std::io::stdout().flush();
    let mut conns: Vec<Conn> = Vec::new();
    let mut generator = None;
    let mut events = Events::with_capacity(256);
    while now_ns() < w.end {
        let _ = poll.poll(&mut events, Some(Duration::from_millis(20)));
        for ev in events.iter() {
            if ev.token() == LISTENER {
                while let Ok((mut stream, addr)) = listener.accept() {
                    let token = Token(conns.len());
                    let _ = poll
                        .registry()
                        .register(&mut stream, token, Interest::READABLE);
                    let ip = match addr {
                        std::net::SocketAddr::V4(a) => *a.ip(),
                        _ => Ipv4Addr::UNSPECIFIED,
                    };
                    conns.push(Conn::new(stream, ip, true));
                }
                continue;
            }
            let Some(conn) = conns.get_mut(ev.token().0) else {
                continue;
            };
            for msg in conn.pump() {
                if answer_common(conn, &msg) {
                    continue;
                }
                match msg {
                    ControlMessage::StartCtrlConnRequest(_) => {
                        conn.send(&ControlMessage::StartCtrlConnReply(start_ctrl(false)))
                    }
                    ControlMessage::OutgoingCallRequest(req) => {
                        conn.call_ns = Some(now_ns());
                        conn.peer_call_id = Some(req.call_id);
                        conn.send(&ControlMessage::OutgoingCallReply(OutgoingCallReply {
                            call_id: 0x4000 + ev.token().0 as u16,
                            peer_call_id: req.call_id,
                            result_code: 1,
                            error_code: 0,
                            cause_code: 0,
                            connect_speed: 100_000_000,
                            recv_window: 64,
                            processing_delay: 0,
                            physical_channel_id: 0,
                        }));
                        if rx && generator.is_none() {
                            let target = quiet_socket().map(|socket| Target {
                                socket: Arc::new(socket),
                                source: None,
                                peer: conn.peer,
                                call_id: req.call_id,
                            });
                            match target {
                                Ok(t) => generator = Some(start_generator(vec![t], load(args), w)),
                                Err(e) => return fail(&format!("generator socket: {e}")),
                            }
                        }
                    }
                    _ => {}
                }
            }
            conn.flush();
            if conn.closed {
                let _ = poll.registry().deregister(&mut conn.stream);
            }
        }
    }
    let mut r = Report::default();
    let calls: Vec<&Conn> = conns.iter().filter(|c| c.call_ns.is_some()).collect();
    r.add("calls", calls.len());
    let ocrq: Vec<String> = calls
        .iter()
        .map(|c| c.call_ns.unwrap_or(0).to_string())
        .collect();
    r.add(
        "ocrq_ns",
        if ocrq.is_empty() {
            "-".into()
        } else {
            ocrq.join(",")
        },
    );
    finish(r, sink, generator)
}

/// `pptp-bench pns`: places `tunnels` calls on a server, from `src` + i for tunnel i.
pub fn pns(args: &Args) -> i32 {
    pin(0, args.get("cpu", 0));
    let server: Ipv4Addr = args.need("server");
    let src: Ipv4Addr = args.need("src");
    let tunnels: usize = args.get("tunnels", 1);
    let up_by: u64 = args.need("up_by");
    let secs: u64 = args.get("secs", 3);
    // A window given up front (a TX run: the stand-in pppds know it too), or one decided
    // when every call is up and announced on stdout ("window t0 t1 end").
    let fixed = args.text("t0").is_some();
    let mut w = if fixed {
        window(args)
    } else {
        Window {
            t0: u64::MAX,
            t1: u64::MAX,
            end: args.need("end"),
        }
    };
    let shared = SharedWindow::new(w);
    let sink = match start_sink(shared.clone(), false) {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot open the GRE sink: {e}")),
    };
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(1024);
    let mut conns: Vec<Conn> = Vec::with_capacity(tunnels);
    let first_ns = now_ns();
    // At most `inflight` set-ups at a time, like a dialler that paces itself (and like
    // accel-ppp's max-starting): poptop's listen backlog of 3 drops the SYNs of a larger
    // burst, and retransmission back-off would then measure TCP, not the server.
    let inflight: usize = args.get("inflight", 4);
    let mut generator = None;
    let mut up = 0;
    while now_ns() < w.end {
        let failed = conns
            .iter()
            .filter(|c| c.closed && c.call_ns.is_none())
            .count();
        while conns.len() < tunnels && conns.len() - up - failed < inflight {
            let i = conns.len();
            let local = Ipv4Addr::from(u32::from(src) + i as u32);
            match connect_nonblocking(SocketAddrV4::new(server, PPTP_PORT), Some(local)) {
                Ok(mut stream) => {
                    let _ = poll.registry().register(
                        &mut stream,
                        Token(i),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                    conns.push(Conn::new(stream, local, false));
                }
                Err(e) => return fail(&format!("connect from {local}: {e}")),
            }
        }
        let _ = poll.poll(&mut events, Some(Duration::from_millis(20)));
        for ev in events.iter() {
            let i = ev.token().0;
            let conn = &mut conns[i];
            if !conn.connected && ev.is_writable() {
                if conn.stream.peer_addr().is_err() {
                    continue;
                }
                conn.connected = true;
                conn.send(&ControlMessage::StartCtrlConnRequest(start_ctrl(true)));
            }
            for msg in conn.pump() {
                if answer_common(conn, &msg) {
                    continue;
                }
                match msg {
                    ControlMessage::StartCtrlConnReply(_) => {
                        conn.send(&ControlMessage::OutgoingCallRequest(call_request(i)))
                    }
                    ControlMessage::OutgoingCallReply(reply) if reply.result_code == 1 => {
                        conn.call_ns = Some(now_ns());
                        conn.peer_call_id = Some(reply.call_id);
                        up += 1;
                    }
                    _ => {}
                }
            }
            conn.flush();
        }
        if generator.is_none() && (up == tunnels || now_ns() >= up_by) {
            if !fixed {
                let t0 = now_ns() + 1_000_000_000;
                let t1 = t0 + secs * 1_000_000_000;
                w = Window {
                    t0,
                    t1,
                    end: t1 + 1_000_000_000,
                };
                shared.set(w);
            }
            println!("window t0={} t1={} end={}", w.t0, w.t1, w.end);
            let _ = std::io::stdout().flush();
            if args.text("mode") == Some("rx") {
                let targets = match gre_targets(&conns, server) {
                    Ok(t) => t,
                    Err(e) => return fail(&format!("generator socket: {e}")),
                };
                let load = Load {
                    window_only: true,
                    ..load(args)
                };
                generator = Some(start_generator(targets, load, w));
            } else {
                generator = Some(std::thread::spawn(GenCounts::default));
            }
        }
    }
    let mut r = Report::default();
    let setup: Vec<u64> = conns
        .iter()
        .filter_map(|c| Some(c.call_ns? - c.started_ns))
        .collect();
    let last = conns
        .iter()
        .filter_map(|c| c.call_ns)
        .max()
        .unwrap_or(first_ns);
    let (median, max) = latency_us(setup);
    r.add("calls", up)
        .add("setup_total_us", (last - first_ns) / 1000)
        .add("setup_median_us", median)
        .add("setup_max_us", max);
    finish(r, sink, generator)
}

pub fn call_request(i: usize) -> OutgoingCallRequest {
    OutgoingCallRequest {
        call_id: i as u16 + 1,
        call_serial: i as u16,
        minimum_bps: 300,
        maximum_bps: 100_000_000,
        bearer_type: 3,
        framing_type: 3,
        recv_window: 64,
        processing_delay: 0,
        phone_number: String::new(),
        subaddress: String::new(),
    }
}

/// One generator target per tunnel, sending from the tunnel's own address: a server keys
/// its calls by (client address, call ID), as poptop's per-call connected sockets do too.
fn gre_targets(conns: &[Conn], server: Ipv4Addr) -> std::io::Result<Vec<Target>> {
    let socket = Arc::new(quiet_socket()?);
    Ok(conns
        .iter()
        .filter_map(|c| {
            Some(Target {
                socket: Arc::clone(&socket),
                source: Some(c.peer),
                peer: server,
                call_id: c.peer_call_id?,
            })
        })
        .collect())
}

/// A socket for sending only: its receive buffer is as small as the kernel allows, since
/// the sink already takes a copy of everything that arrives.
fn quiet_socket() -> std::io::Result<GreSocket> {
    let socket = GreSocket::open()?;
    setsockopt(&socket, sockopt::RcvBuf, &0)?;
    Ok(socket)
}

fn finish(
    mut r: Report,
    sink: std::thread::JoinHandle<crate::gre_io::SinkCounts>,
    generator: Option<std::thread::JoinHandle<GenCounts>>,
) -> i32 {
    if let Ok(s) = sink.join() {
        s.report(&mut r);
    }
    if let Some(Ok(g)) = generator.map(|g| g.join()) {
        g.report(&mut r);
    }
    println!("{}", r.line());
    0
}

fn fail(msg: &str) -> i32 {
    eprintln!("pptp-bench: {msg}");
    1
}
