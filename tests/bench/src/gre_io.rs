//! The peer's data path: a GRE sink that drains and checks what the helper sends, and a
//! GRE generator, paced or not, that sends what the helper must deliver to pppd.

use std::collections::HashMap;
use std::io::IoSlice;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{self, JoinHandle};

use crate::sys::GreSocket;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{ControlMessage, MsgFlags, SockaddrIn, sendmsg, setsockopt, sockopt};
use pptp_rs::wire::gre::GreHeader;
use pptp_rs::wire::ipv4::Ipv4Datagram;

use crate::feed::BLOCK_FRAMES;
use crate::frames::{self, Accm, Reorder, SeqCheck};
use crate::util::{Report, now_ns, sleep_until};

/// The sink's receive buffer. It must drain whatever comes: without a GRE demux in the
/// kernel, a datagram no raw socket takes is answered with ICMP protocol-unreachable,
/// which ends pptp-linux (performance-notes §4.3).
const SINK_RCVBUF: usize = 16 << 20;

/// The measurement window and the end of a run, in [`now_ns`] time.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub t0: u64,
    pub t1: u64,
    pub end: u64,
}

/// A window that can be decided after the sink has started (the PNS learns it only once
/// every call is up).
#[derive(Debug)]
pub struct SharedWindow([AtomicU64; 3]);

impl SharedWindow {
    pub fn new(w: Window) -> Arc<SharedWindow> {
        Arc::new(SharedWindow([
            AtomicU64::new(w.t0),
            AtomicU64::new(w.t1),
            AtomicU64::new(w.end),
        ]))
    }

    pub fn get(&self) -> Window {
        let [t0, t1, end] = &self.0;
        Window {
            t0: t0.load(Ordering::Relaxed),
            t1: t1.load(Ordering::Relaxed),
            end: end.load(Ordering::Relaxed),
        }
    }

    pub fn set(&self, w: Window) {
        let [t0, t1, end] = &self.0;
        t0.store(w.t0, Ordering::Relaxed);
        t1.store(w.t1, Ordering::Relaxed);
        end.store(w.end, Ordering::Relaxed);
    }
}

/// What the sink saw.
#[derive(Debug, Default)]
pub struct SinkCounts {
    pub data: u64,
    pub window_data: u64,
    pub acks: u64,
    pub invalid: u64,
    /// Per call: GRE sequence numbers, and the tags of the frames inside.
    pub calls: HashMap<u16, (SeqCheck, SeqCheck)>,
}

impl SinkCounts {
    pub fn report(&self, r: &mut Report) {
        let sum =
            |f: &dyn Fn(&(SeqCheck, SeqCheck)) -> u64| self.calls.values().map(f).sum::<u64>();
        r.add("sink_data", self.data)
            .add("sink_window", self.window_data)
            .add("sink_acks", self.acks)
            .add("sink_invalid", self.invalid)
            .add("sink_seq_missing", sum(&|c| c.0.missing))
            .add("sink_seq_disorder", sum(&|c| c.0.out_of_order))
            .add("sink_tag_missing", sum(&|c| c.1.missing))
            .add("sink_tag_disorder", sum(&|c| c.1.out_of_order));
    }
}

/// Starts a sink for every GRE packet arriving in this namespace, until the window's end.
/// `hdlc`: the payloads are frames still in async HDLC, as the floor relay sends them;
/// each still counts as one frame, and its tag is read through the escapes.
pub fn start_sink(w: Arc<SharedWindow>, hdlc: bool) -> std::io::Result<JoinHandle<SinkCounts>> {
    let socket = GreSocket::open()?;
    setsockopt(&socket, sockopt::RcvBufForce, &SINK_RCVBUF)?;
    Ok(thread::spawn(move || sink(&socket, &w, hdlc)))
}

fn sink(socket: &GreSocket, shared: &SharedWindow, hdlc: bool) -> SinkCounts {
    let mut c = SinkCounts::default();
    let mut at_t0 = None;
    let mut at_t1 = None;
    let mut buf = vec![0u8; 65536];
    loop {
        let w = shared.get();
        let now = now_ns();
        if now >= w.t0 && at_t0.is_none() {
            at_t0 = Some(c.data);
        }
        if now >= w.t1 && at_t1.is_none() {
            at_t1 = Some(c.data);
        }
        if now >= w.end {
            break;
        }
        let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
        if !matches!(poll(&mut fds, PollTimeout::from(20u16)), Ok(n) if n > 0) {
            continue;
        }
        // Drain, but look at the clock now and then so the window edges stay sharp.
        for _ in 0..256 {
            let Ok(n) = socket.recv(&mut buf) else { break };
            count(&mut c, &buf[..n], hdlc);
        }
    }
    c.window_data = at_t1.unwrap_or(c.data) - at_t0.unwrap_or(c.data);
    c
}

fn count(c: &mut SinkCounts, datagram: &[u8], hdlc: bool) {
    let parsed = Ipv4Datagram::parse(datagram)
        .ok()
        .and_then(|d| GreHeader::parse(d.payload).ok());
    let Some((header, payload)) = parsed else {
        c.invalid += 1;
        return;
    };
    let Some(seq) = header.seq else {
        c.acks += 1;
        return;
    };
    c.data += 1;
    let call = c
        .calls
        .entry(header.call_id)
        .or_insert_with(|| (SeqCheck::new(), SeqCheck::cycling(BLOCK_FRAMES)));
    call.0.push(seq);
    let tag = if hdlc {
        frames::tag_escaped(payload)
    } else {
        frames::tag(payload)
    };
    if let Some(tag) = tag {
        call.1.push(tag);
    }
}

/// One destination of the generator: a socket (bound to the sending tunnel's address)
/// and the call ID the receiving helper expects in the Key field.
pub struct Target {
    pub socket: Arc<GreSocket>,
    /// Source address when the socket is shared by tunnels from several addresses.
    pub source: Option<Ipv4Addr>,
    pub peer: Ipv4Addr,
    pub call_id: u16,
}

/// What the generator sends.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub payload: usize,
    /// Packets per second over all targets; 0 for as fast as the kernel takes them.
    pub pps: u64,
    /// Reverse each window of this many sequence numbers (1: in order).
    pub reorder: u32,
    /// Leave out every Nth sequence number (0: none).
    pub drop_every: u32,
    /// Send only inside the window (else from the start, which warms the helper up).
    pub window_only: bool,
    /// Send each frame already in async HDLC, exactly as a helper writes it to pppd (every
    /// control character escaped, flags at both ends): what the floor relay passes to the
    /// pty as it is. Tags then cycle through [`BLOCK_FRAMES`] prebuilt frames (the
    /// sequence number modulo the block) rather than follow the sequence number, so that
    /// no frame is encoded on the generator's time.
    pub encoded: bool,
}

/// What the generator did.
#[derive(Debug, Default)]
pub struct GenCounts {
    pub sent: u64,
    pub window_sent: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl GenCounts {
    pub fn report(&self, r: &mut Report) {
        r.add("gen_sent", self.sent)
            .add("gen_window", self.window_sent)
            .add("gen_failed", self.failed)
            .add("gen_skipped", self.skipped);
    }
}

/// Packets sent back to back between clock checks (and pacing sleeps), at most: a burst
/// lasts about a millisecond at the paced rate, so low rates stay evenly spaced.
const MAX_BURST: u64 = 16;

/// Sends to the targets in turn, from now until `w.t1`.
pub fn start_generator(targets: Vec<Target>, load: Load, w: Window) -> JoinHandle<GenCounts> {
    thread::spawn(move || generate(&targets, load, w))
}

fn generate(targets: &[Target], load: Load, w: Window) -> GenCounts {
    let mut c = GenCounts::default();
    if targets.is_empty() {
        return c;
    }
    let template = frames::frame(load.payload, 0);
    let header_len = GreHeader {
        call_id: 0,
        payload_len: 0,
        seq: Some(0),
        ack: None,
    }
    .header_len();
    let mut packet = vec![0u8; header_len + template.len()];
    packet[header_len..].copy_from_slice(&template);
    let encoded: Vec<Vec<u8>> = if load.encoded {
        (0..BLOCK_FRAMES)
            .map(|tag| frames::encode(&frames::frame(load.payload, tag), Accm::All))
            .collect()
    } else {
        Vec::new()
    };
    let mut orders: Vec<Reorder> = targets
        .iter()
        .map(|_| Reorder::new(load.reorder, load.drop_every))
        .collect();
    if load.window_only {
        sleep_until(w.t0);
    }
    let burst = if load.pps == 0 {
        MAX_BURST
    } else {
        (load.pps / 1000).clamp(1, MAX_BURST)
    };
    let start = now_ns();
    let mut at_t0 = None;
    let mut n: u64 = 0;
    'run: loop {
        let now = now_ns();
        if now >= w.t0 && at_t0.is_none() {
            at_t0 = Some(c.sent);
        }
        if now >= w.t1 {
            break;
        }
        if let Some(due) = (n * 1_000_000_000).checked_div(load.pps) {
            sleep_until(start + due);
        }
        for _ in 0..burst {
            let i = (n % targets.len() as u64) as usize;
            n += 1;
            let t = &targets[i];
            let seq = orders[i].next_seq();
            let payload_len = match encoded.get((seq % BLOCK_FRAMES) as usize) {
                Some(frame) => {
                    packet.truncate(header_len);
                    packet.extend_from_slice(frame);
                    frame.len()
                }
                None => {
                    let tag_at = header_len + frames::PPP_IPV4.len() + 4;
                    packet[tag_at..tag_at + 4].copy_from_slice(&seq.to_be_bytes());
                    template.len()
                }
            };
            GreHeader {
                call_id: t.call_id,
                payload_len: payload_len as u16,
                seq: Some(seq),
                ack: None,
            }
            .emit(&mut packet);
            match send(t, &packet) {
                Ok(_) => c.sent += 1,
                Err(_) => c.failed += 1,
            }
            if now_ns() >= w.t1 {
                break 'run;
            }
        }
    }
    c.window_sent = c.sent - at_t0.unwrap_or(c.sent);
    c.skipped = orders.iter().map(|o| o.dropped).sum();
    c
}

/// Sends one packet to the target, from its own source address if it has one. One shared
/// socket with IP_PKTINFO rather than a socket per address: the kernel hands every
/// arriving GRE packet to each raw socket in turn (raw_local_deliver), so a thousand
/// sockets on the load side would charge the helper's sends (whose receive softirq runs
/// in its context over veth) for a cost no real client network has.
fn send(t: &Target, packet: &[u8]) -> std::io::Result<()> {
    let Some(source) = t.source else {
        return t.socket.send_to(packet, t.peer).map(|_| ());
    };
    let info = libc::in_pktinfo {
        ipi_ifindex: 0,
        ipi_spec_dst: libc::in_addr {
            s_addr: u32::from(source).to_be(),
        },
        ipi_addr: libc::in_addr { s_addr: 0 },
    };
    let dst = SockaddrIn::from(SocketAddrV4::new(t.peer, 0));
    sendmsg(
        t.socket.as_raw_fd(),
        &[IoSlice::new(packet)],
        &[ControlMessage::Ipv4PacketInfo(&info)],
        MsgFlags::MSG_DONTWAIT,
        Some(&dst),
    )?;
    Ok(())
}
