//! Writes the seed corpora, corpus/TARGET/NAME, from the product's own encoders and the
//! byte vectors of its unit tests: a few dozen small inputs per target that reach past
//! each parser's first checks, and for the machines, programs in the targets' own byte
//! language (see each target's documentation) that walk the usual conversations.
//!
//! Run by `scripts/fuzz --seeds`; the output is committed, so this only needs running
//! when a target's input language changes.

use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;

use pptp_rs::wire::ctrl::{
    CallDisconnectNotify, ControlMessage, IncomingCallConnected, IncomingCallReply,
    IncomingCallRequest, OutgoingCallReply, OutgoingCallRequest, PROTOCOL_VERSION, SetLinkInfo,
    StartCtrlConn, WanErrorNotify,
};
use pptp_rs::wire::gre::GreHeader;
use pptp_rs::wire::hdlc::encode_async;
use pptp_rs::wire::netlink::{self, Request};
use pptp_rs::wire::radius::{Builder, Code, ErrorCause, attr};

struct Corpus {
    root: PathBuf,
    written: usize,
}

impl Corpus {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir).expect("corpus directory");
        fs::write(dir.join(name), bytes).expect("seed file");
        self.written += 1;
    }
}

fn start(version: u16, result: u8) -> StartCtrlConn {
    StartCtrlConn {
        protocol_version: version,
        result_code: result,
        error_code: 0,
        framing_capabilities: 3,
        bearer_capabilities: 3,
        maximum_channels: 1,
        firmware_revision: 0x100,
        host_name: "local".into(),
        vendor: "linux".into(),
    }
}

/// One message of every type, as the unit tests build them.
fn messages() -> Vec<(&'static str, ControlMessage)> {
    use ControlMessage as M;
    vec![
        ("sccrq", M::StartCtrlConnRequest(start(PROTOCOL_VERSION, 0))),
        ("sccrp", M::StartCtrlConnReply(start(PROTOCOL_VERSION, 1))),
        ("stopccrq", M::StopCtrlConnRequest { reason: 1 }),
        (
            "stopccrp",
            M::StopCtrlConnReply {
                result_code: 1,
                error_code: 0,
            },
        ),
        ("echorq", M::EchoRequest { identifier: 1 }),
        (
            "echorp",
            M::EchoReply {
                identifier: 1,
                result_code: 1,
                error_code: 0,
            },
        ),
        (
            "ocrq",
            M::OutgoingCallRequest(OutgoingCallRequest {
                call_id: 0x4d2,
                call_serial: 1,
                minimum_bps: 2400,
                maximum_bps: 10_000_000,
                bearer_type: 3,
                framing_type: 3,
                recv_window: 64,
                processing_delay: 0,
                phone_number: "42".into(),
                subaddress: String::new(),
            }),
        ),
        (
            "ocrp",
            M::OutgoingCallReply(OutgoingCallReply {
                call_id: 0x80,
                peer_call_id: 0x1234,
                result_code: 1,
                error_code: 0,
                cause_code: 0,
                connect_speed: 10_000_000,
                recv_window: 16,
                processing_delay: 0,
                physical_channel_id: 0,
            }),
        ),
        (
            "icrq",
            M::IncomingCallRequest(IncomingCallRequest {
                call_id: 0x4d2,
                call_serial: 1,
                bearer_type: 3,
                physical_channel_id: 0,
                dialed_number: "42".into(),
                dialing_number: "1".into(),
                subaddress: String::new(),
            }),
        ),
        (
            "icrp",
            M::IncomingCallReply(IncomingCallReply {
                call_id: 0x80,
                peer_call_id: 0x1234,
                result_code: 1,
                error_code: 0,
                recv_window: 64,
                transmit_delay: 0,
            }),
        ),
        (
            "iccn",
            M::IncomingCallConnected(IncomingCallConnected {
                peer_call_id: 1,
                connect_speed: 10_000_000,
                recv_window: 64,
                transmit_delay: 0,
                framing_type: 3,
            }),
        ),
        ("ccrq", M::CallClearRequest { call_id: 0x4d2 }),
        (
            "cdn",
            M::CallDisconnectNotify(CallDisconnectNotify {
                call_id: 0x80,
                result_code: 3,
                error_code: 0,
                cause_code: 0,
                call_statistics: "rx=1 tx=2".into(),
            }),
        ),
        (
            "wen",
            M::WanErrorNotify(WanErrorNotify {
                peer_call_id: 1,
                crc_errors: 1,
                framing_errors: 2,
                hardware_overruns: 3,
                buffer_overruns: 4,
                timeout_errors: 5,
                alignment_errors: 6,
            }),
        ),
        (
            "sli",
            M::SetLinkInfo(SetLinkInfo {
                peer_call_id: 1,
                send_accm: 0xffff_ffff,
                recv_accm: 0,
            }),
        ),
    ]
}

fn emit(m: &ControlMessage) -> Vec<u8> {
    let mut out = Vec::new();
    m.emit(&mut out);
    out
}

/// A byte stream as raw-stream ops of a control-machine target (`0xa0 + n - 1`, n bytes).
fn raw_ops(stream: &[u8]) -> Vec<u8> {
    let mut ops = Vec::new();
    for chunk in stream.chunks(64) {
        ops.push(0xa0 + (chunk.len() - 1) as u8);
        ops.extend_from_slice(chunk);
    }
    ops
}

fn stream_of(names: &[&str]) -> Vec<u8> {
    let all = messages();
    names
        .iter()
        .flat_map(|n| emit(&all.iter().find(|(m, _)| m == n).expect("a message").1))
        .collect()
}

fn ctl(c: &mut Corpus) {
    let lines = [
        "show sessions",
        "show stats",
        "reload",
        "terminate all",
        "terminate call 12",
        "terminate user alice%20smith",
        "terminate user %",
        "terminate ip 192.0.2.5",
        "session up pid=123 ifname=ppp0 peername=alice iplocal=192.0.2.1 ipremote=192.0.2.10",
        "session down pid=123",
        "call=1 user=al%3Dice ip=198.51.100.10 rx_bytes=0",
        "ok",
        "error: no session matches",
        "terminate call 65536",
        "session up pid",
    ];
    for (i, l) in lines.iter().enumerate() {
        c.put("ctl", &format!("line-{i:02}"), l.as_bytes());
    }
}

fn ctrl(c: &mut Corpus) {
    for (name, m) in messages() {
        c.put("ctrl_message", name, &emit(&m));
    }
    // Found by fuzzing: a text field that is not UTF-8, filled to its end.
    let mut icrq = emit(&messages()[8].1);
    icrq[92..156].fill(b'(');
    icrq[100] = 0xb7;
    c.put("ctrl_message", "icrq-not-utf8", &icrq);
    // Streams: cut sizes first (count byte, then sizes), then the bytes.
    let conversation = stream_of(&["sccrq", "ocrq", "echorq", "ccrq", "stopccrq"]);
    c.put("ctrl_stream", "whole", &[&[0][..], &conversation].concat());
    c.put(
        "ctrl_stream",
        "cut",
        &[&[3, 1, 11, 200][..], &conversation].concat(),
    );
    let mut lying = emit(&messages()[0].1);
    lying[1] = 100; // a plausible Length that is not the SCCRQ's
    c.put(
        "ctrl_stream",
        "lying-length",
        &[&[1, 7][..], &lying, &conversation].concat(),
    );
    let mut long = emit(&messages()[4].1);
    long[0..2].copy_from_slice(&221u16.to_be_bytes());
    c.put("ctrl_stream", "too-long", &[&[0][..], &long].concat());
    let mut magic = conversation.clone();
    magic[4] ^= 0xff;
    c.put(
        "ctrl_stream",
        "bad-magic",
        &[&[2, 5, 9][..], &magic].concat(),
    );
    let mut unknown = emit(&messages()[4].1);
    unknown[9] = 99;
    c.put(
        "ctrl_stream",
        "unknown-type",
        &[&[0][..], &unknown, &conversation].concat(),
    );
}

fn gre(c: &mut Corpus) {
    // The vectors of wire::gre's tests.
    let data_with_ack = [
        0x30, 0x81, 0x88, 0x0b, 0x00, 0x03, 0x12, 0x34, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
        0x05, 0xff, 0x03, 0xc0,
    ];
    let ack_only = [
        0x20, 0x81, 0x88, 0x0b, 0x00, 0x00, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xfe,
    ];
    c.put("gre_header", "data-with-ack", &data_with_ack);
    c.put("gre_header", "ack-only", &ack_only);
    let h = GreHeader {
        call_id: 7,
        payload_len: 4,
        seq: Some(u32::MAX),
        ack: None,
    };
    let mut buf = [0u8; 16];
    let n = h.emit(&mut buf);
    c.put(
        "gre_header",
        "data",
        &[&buf[..n], &[0xff, 0x03, 0xc0, 0x21]].concat(),
    );

    // IPv4: the vector of wire::ipv4's tests, then the GRE packets inside datagrams.
    let datagram = [
        0x45, 0x00, 0x00, 0x18, 0x00, 0x00, 0x40, 0x00, 0x40, 0x2f, 0x00, 0x00, 198, 51, 100, 1,
        198, 51, 100, 11, 0xde, 0xad, 0xbe, 0xef, 0x99, 0x99,
    ];
    c.put("ipv4", "datagram", &datagram);
    for (name, gre) in [
        ("data-with-ack", &data_with_ack[..]),
        ("ack-only", &ack_only[..]),
    ] {
        let mut d = datagram[..20].to_vec();
        d[2..4].copy_from_slice(&((20 + gre.len()) as u16).to_be_bytes());
        d.extend_from_slice(gre);
        c.put("ipv4", name, &d);
        let mut opts = d[..20].to_vec();
        opts[0] = 0x46;
        opts.extend_from_slice(&[1, 1, 1, 0]);
        opts[2..4].copy_from_slice(&((24 + gre.len()) as u16).to_be_bytes());
        opts.extend_from_slice(gre);
        c.put("ipv4", &format!("{name}-options"), &opts);
    }

    // GRE session programs: config flags, reorder timeout, [missing window], [send
    // window], peer window, start; then ops.
    let in_order: Vec<u8> = [
        &[0u8, 30, 64, 4][..],
        &[0x00, 0x02, 1, 0xc4, 0x00, 0x80, 60, 0xa0],
    ]
    .concat();
    c.put("gre_session", "in-order-wrap", &in_order);
    let reorder = [
        0, 30, 64, 20, // defaults, start 2^32 - 21
        0x00, 0x04, 2, 0x04, 0xff, 0x00, 0x00, 0xa0, 0xa0, 0xc0, 0x80, 0x45,
    ];
    c.put("gre_session", "reorder", &reorder);
    let jump = [
        0x02, 10, 8, 64, 0, 0x0c, 0x01, 0x00, 0x00, 0x08, 0x7f, 0xff, 0xff, 0xff, 0xa0,
    ];
    c.put("gre_session", "missing-window-jump", &jump);
    let nobuffer = [
        0x1d, 10, 4, 64, 5, 0x00, 0x04, 3, 0x04, 0xfe, 0xc1, 0x02, 0, 0xa0,
    ];
    c.put("gre_session", "nobuffer-window", &nobuffer);
}

fn hdlc(c: &mut Corpus) {
    // LCP Configure-Request of wire::hdlc's tests, and the bytes found by fuzzing there.
    let lcp = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];
    let mut stream = Vec::new();
    encode_async(&lcp, &mut stream);
    encode_async(&[0x21, 0x45, 0x7e, 0x7d, 0x00, 0x11], &mut stream);
    c.put("hdlc", "lcp", &[&[0, 0, 0, 0, 0][..], &stream].concat());
    c.put(
        "hdlc",
        "lcp-map",
        &[&[3, 0xff, 0xff, 0xff, 0xff][..], &stream].concat(),
    );
    let found_by_fuzzing = [0x7e, 0x7d, 0x7e, 0x41, 0x7d, 0x5e, 0x7e, 0x7e, 0x00];
    c.put(
        "hdlc",
        "abort",
        &[&[1, 0, 0, 0, 0x0a][..], &found_by_fuzzing].concat(),
    );
    let mut bad_fcs = stream.clone();
    bad_fcs[3] ^= 1;
    c.put(
        "hdlc",
        "bad-fcs",
        &[&[7, 0, 0, 0, 0][..], &bad_fcs].concat(),
    );

    // Sync frames with their own lengths: LCP, IPv4, IPv6, a CCP Configure-Ack of MPPE,
    // and MPPE data (no length).
    let ipv4 = [
        0x00, 0x21, 0x45, 0x00, 0x00, 0x14, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
    ];
    let ipv6: Vec<u8> = [
        &[0x00, 0x57, 0x60, 0, 0, 0, 0, 2, 17, 64][..],
        &[0; 32],
        &[1, 2],
    ]
    .concat();
    let mppe_ack = [
        0x80, 0xfd, 0x02, 0x01, 0x00, 0x0a, 0x12, 0x06, 0x01, 0x00, 0x00, 0x40,
    ];
    let mppe_data = [0x00, 0xfd, 0x90, 0x01, 0xaa, 0xbb];
    let all = [&lcp[..], &ipv4, &ipv6, &mppe_ack].concat();
    c.put("sync_deframer", "frames", &[&[0][..], &all].concat());
    c.put("sync_deframer", "frames-cut", &[&[4][..], &all].concat());
    c.put(
        "sync_deframer",
        "mppe-data",
        &[&[1][..], &mppe_ack, &mppe_data, &lcp].concat(),
    );
    c.put(
        "sync_deframer",
        "acfc-pfc",
        &[&[2][..], &[0x21][..], &ipv4[2..], &[0xc0, 0x21, 1, 1, 0, 4]].concat(),
    );
}

fn radius(c: &mut Corpus) {
    const SECRET: &[u8] = b"dae-test-secret";
    let mut out = Vec::new();
    let mut b = Builder::new(&mut out, Code::DisconnectRequest, 7);
    b.text(attr::USER_NAME, "alice").unwrap();
    b.finish_request(SECRET).unwrap();
    c.put("radius", "disconnect-plain", &out);
    let request_auth: [u8; 16] = out[4..20].try_into().unwrap();

    let mut b = Builder::new(&mut out, Code::DisconnectRequest, 8);
    b.text(attr::USER_NAME, "alice").unwrap();
    b.ipv4(attr::FRAMED_IP_ADDRESS, Ipv4Addr::new(198, 51, 100, 10))
        .unwrap();
    b.text(attr::ACCT_SESSION_ID, "692E2E0004D200").unwrap();
    b.text(attr::CALLING_STATION_ID, "203.0.113.5").unwrap();
    b.ipv4(attr::NAS_IP_ADDRESS, Ipv4Addr::new(192, 0, 2, 1))
        .unwrap();
    b.text(attr::NAS_IDENTIFIER, "nas1").unwrap();
    b.integer(attr::EVENT_TIMESTAMP, 1_764_633_600).unwrap();
    b.attribute(attr::PROXY_STATE, b"p1").unwrap();
    b.attribute(attr::STATE, b"st").unwrap();
    b.vendor_specific(311, &[1, 3, 0]).unwrap();
    b.message_authenticator().unwrap();
    b.finish_request(SECRET).unwrap();
    c.put("radius", "disconnect-full", &out);

    let mut b = Builder::new(&mut out, Code::CoaRequest, 9);
    b.text(attr::USER_NAME, "bob").unwrap();
    b.integer(attr::SESSION_TIMEOUT, 60).unwrap();
    b.finish_request(SECRET).unwrap();
    c.put("radius", "coa", &out);

    let b = Builder::new(&mut out, Code::DisconnectAck, 7);
    b.finish_response(&request_auth, SECRET).unwrap();
    c.put("radius", "ack", &out);
    let mut b = Builder::new(&mut out, Code::DisconnectNak, 8);
    b.attribute(attr::PROXY_STATE, b"p1").unwrap();
    b.error_cause(ErrorCause::SessionContextNotFound).unwrap();
    b.message_authenticator().unwrap();
    b.finish_response(&request_auth, SECRET).unwrap();
    c.put("radius", "nak", &out);
    let mut access = vec![1, 3, 0, 26];
    access.extend_from_slice(&[0x11; 16]);
    access.extend_from_slice(&[attr::USER_NAME, 6, b'c', b'a', b'r', b'l']);
    c.put("radius", "access-request", &access);
}

fn netlink(c: &mut Corpus) {
    let local = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 1723);
    let seen = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 7), 40000);
    c.put(
        "netlink",
        "query",
        &netlink::conntrack_get_by_reply(local, seen, 42),
    );
    // The kernel's answer: IPCTNL_MSG_CT_NEW with the original tuple.
    let mut answer = Request::new(1 << 8, 0, 42);
    answer.raw(&[2, 0, 0, 0]);
    answer.nest(1, |r| {
        r.nest(1, |r| {
            r.attr(1, &[203, 0, 113, 9]);
            r.attr(2, &[192, 0, 2, 1]);
        });
        r.nest(2, |r| {
            r.attr(1, &[6]);
            r.attr(2, &40000u16.to_be_bytes());
            r.attr(3, &1723u16.to_be_bytes());
        });
    });
    c.put("netlink", "answer", &answer.finish());
    let mut error = Request::new(netlink::NLMSG_ERROR, 0, 42);
    error.raw(&(-2i32).to_ne_bytes());
    let mut both = error.finish();
    let mut done = Request::new(netlink::NLMSG_DONE, 0, 42);
    done.raw(&[0; 4]);
    both.extend_from_slice(&done.finish());
    c.put("netlink", "error-done", &both);
    // Found by fuzzing: an error code whose negation overflowed.
    let mut min = Request::new(netlink::NLMSG_ERROR, 0, 42);
    min.raw(&i32::MIN.to_ne_bytes());
    c.put("netlink", "error-i32-min", &min.finish());
}

fn machines(c: &mut Corpus) {
    // PAC: the minimised inputs of issue 10, then conversations. Ops: 0x00.. messages
    // (0 SCCRQ, 1 OCRQ, 2 ICRQ, 3 ICCN, 4 CCRQ, 5 CDN, 6 echo, 7 echo reply, 8 stop, 9 stop
    // reply; +0x10 our Call ID), 0x40 + step byte, 0x60 the next deadline, 0x80 decisions
    // (1 refuse, 2 pppd exits, 3 shutdown, 4 shed, 5 terminate, 6 lost), 0xa0.. raw bytes.
    for hex in [
        "0001020304252d2e2f3032344e4f50343571712f68686868ff686868686868717168686868687171",
        "07d1001c94e4092e18f23033d100717171f4f82e2771",
        "07d107c1c1c9c1c1070300000000717171718871718282a2828282d20000000000000060a282827d828282",
    ] {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        c.put("pac", &format!("issue10-{}", &hex[..8]), &bytes);
    }
    let pac: &[(&str, &[u8])] = &[
        (
            "outgoing-cleared",
            &[0, 0x00, 0x01, 0x00, 0x06, 0x04, 0x40, 0x85, 0x60, 0x60],
        ),
        (
            "incoming-connected",
            &[0, 0x00, 0x02, 0x00, 0x13, 0x40, 0xc1, 0x82, 0x05, 0x60],
        ),
        ("pppd-exits", &[0, 0x00, 0x01, 0x00, 0x82, 0x60, 0x08, 0x09]),
        ("refused", &[0, 0x00, 0x01, 0x03, 0x60, 0x60]),
        (
            "busy-redial",
            &[
                0, 0x00, 0x01, 0x00, 0x04, 0x40, 0x01, 0x01, 0x00, 0x60, 0x01, 0x00,
            ],
        ),
        ("stimeout", &[0, 0x60, 0x60]),
        ("echo-timeout", &[0, 0x00, 0x01, 0x00, 0x60, 0x60, 0x60]),
        ("shutdown", &[0, 0x00, 0x01, 0x00, 0x83, 0x09, 0x60]),
        ("refusing", &[2, 0x00, 0x60]),
        ("bad-version", &[0, 0x0a]),
    ];
    for (name, ops) in pac {
        c.put("pac", name, ops);
    }
    let raw = stream_of(&["sccrq", "ocrq", "echorq", "ccrq", "stopccrq"]);
    c.put(
        "pac",
        "raw-stream",
        &[&[0][..], &raw_ops(&raw[..raw.len() - 3]), &[0x00]].concat(),
    );
    c.put("pac", "raw-whole", &[&[0][..], &raw_ops(&raw)].concat());
    let mut lying = stream_of(&["sccrq"]);
    lying[1] = 150;
    c.put(
        "pac",
        "raw-lying-length",
        &[&[0][..], &raw_ops(&lying), &[0x87, 0x60]].concat(),
    );

    // PNS: flags (1 incoming, 2 sync, 4 no keepalive, 8 Bezeq), then ops: 0x00 SCCRP,
    // 0x11 OCRP for our call, 0x12 ICRP, 0x03 CCRQ, 0x04 CDN, 0x05 echo, 0x07 stop, 0x08
    // stop reply, 0x09 refusal, 0x0a version; 0x40 + step, 0x60 deadline, 0x80.. close,
    // abort, lost, half-sent; 0xa0.. raw bytes.
    let pns: &[(&str, &[u8])] = &[
        (
            "outgoing",
            &[0, 0x00, 0x11, 0x05, 0x40, 0xc2, 0x80, 0x04, 0x08],
        ),
        ("incoming", &[1, 0x00, 0x12, 0x03, 0x60, 0x08]),
        ("bezeq-sync", &[0x0a, 0x00, 0x11, 0x80, 0x60, 0x60]),
        ("no-reply", &[0, 0x60, 0x60]),
        ("call-no-reply", &[0, 0x00, 0x60, 0x60]),
        ("refused", &[0, 0x39, 0x00, 0x02]),
        ("version", &[0, 0x0a, 0x60]),
        ("server-stops", &[4, 0x00, 0x11, 0x07]),
        ("echo-timeout", &[0, 0x00, 0x11, 0x60, 0x60, 0x60]),
    ];
    for (name, ops) in pns {
        c.put("pns", name, ops);
    }
    let raw = stream_of(&["sccrp", "ocrp", "echorq", "cdn", "stopccrp"]);
    c.put("pns", "raw-stream", &[&[0][..], &raw_ops(&raw)].concat());

    // Keepalive: flags, idle wait, echo wait, then ops (0 traffic, 1 stop, 2 reply, 3 time).
    let keepalive: &[(&str, &[u8])] = &[
        ("echo-then-dead", &[0, 59, 59, 0x00, 0xc3, 0xc3, 0xc3]),
        (
            "echo-answered",
            &[0, 10, 10, 0x00, 0xc3, 0x02, 0xc3, 0x43, 0x85],
        ),
        ("disabled", &[1, 0, 10, 0x00, 0xc3, 0x03, 0xff]),
        ("stop", &[0, 5, 5, 0x00, 0xc3, 0x01, 0xc3, 0x00, 0xc3]),
    ];
    for (name, ops) in keepalive {
        c.put("keepalive", name, ops);
    }

    // pppd's stream: mode, then ops (0x00 frame + u16 length, 0x80 flush, 0xa0 read,
    // 0xc0 map, 0xe0/0xe1 an LCP frame from or to pppd).
    let lcp_req = [
        0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x0a, 0x02, 0x06, 0, 0, 0, 0,
    ];
    let lcp_ack = [
        0xff, 0x03, 0xc0, 0x21, 0x02, 0x01, 0x00, 0x0a, 0x02, 0x06, 0, 0, 0, 0,
    ];
    let mut ppp = vec![0u8, 0x40, 0x05, 0xdc, 0x80, 0xa0, 0x01, 0x30, 0x80];
    ppp.push(0xe0);
    ppp.push(lcp_req.len() as u8);
    ppp.extend_from_slice(&lcp_req);
    ppp.push(0xe1);
    ppp.push(lcp_ack.len() as u8);
    ppp.extend_from_slice(&lcp_ack);
    ppp.extend_from_slice(&[
        0xe0, 4, 0x00, 0x21, 0x45, 0x00, 0x01, 0x00, 0x40, 0x80, 0xa0,
    ]);
    c.put("ppp_stream", "async-accm", &ppp);
    c.put(
        "ppp_stream",
        "sync",
        &[1, 0x40, 0x05, 0xdc, 0x01, 0x10, 0x80, 0xa0, 0x80],
    );
    let mut backlog = vec![0u8];
    for _ in 0..40 {
        backlog.extend_from_slice(&[0x7f, 0x20, 0x00]);
    }
    backlog.extend_from_slice(&[0x80, 0xa0]);
    c.put("ppp_stream", "backlog", &backlog);
    c.put(
        "ppp_stream",
        "map",
        &[0, 0xc0, 0, 0, 0, 0, 0x00, 0xff, 0x80, 0xa0],
    );

    // DAE: flags, replay capacity, window step, then ops: 0x00 a built Disconnect-Request
    // (identifier, attribute flags u16, then the choices), 0x01 CoA, 0x80 time, 0xc0 again.
    let alice = [0x00, 1, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
    let by_ip = [0x00, 2, 0x00, 0x02, 0, 10, 0, 0, 0, 0, 0, 0];
    let full = [0x00, 3, 0x7f, 0xff, 0, 10, 0, 0, 0, 0, 0, 0];
    let signed_ma = [0x00, 4, 0x40, 0x09, 0, 0, 0, 0, 0, 0, 0, 0];
    let coa = [0x01, 5, 0x00, 0x01, 1, 0, 0, 0, 0, 0, 0, 0];
    let dae: &[(&str, Vec<u8>)] = &[
        ("alice-twice", [&[0, 4, 0x9e][..], &alice, &[0xc0]].concat()),
        ("alice-refuse-many", [&[4, 4, 0x9e][..], &alice].concat()),
        ("by-ip", [&[0, 4, 0x9e][..], &by_ip].concat()),
        (
            "full-nas",
            [&[0x30, 4, 0x9e][..], &full, &[0x80, 0xc5, 0xc0]].concat(),
        ),
        (
            "message-authenticator",
            [&[1, 2, 0x9e][..], &signed_ma].concat(),
        ),
        ("coa", [&[0, 1, 0x9e][..], &coa, &[0xc1, 0x80]].concat()),
        (
            "unknown-client",
            [&[8, 1, 0x9e][..], &alice[..11], &[0x80]].concat(),
        ),
    ];
    for (name, ops) in dae {
        c.put("dae", name, ops);
    }
    // Raw requests with their authenticators made right by the target (0x41, length).
    let mut raw = vec![0u8, 3, 0x9e, 0x41, 0];
    let mut req = vec![40, 9, 0, 0];
    req.extend_from_slice(&[0; 16]);
    req.extend_from_slice(&[attr::USER_NAME, 7, b'a', b'l', b'i', b'c', b'e']);
    req.extend_from_slice(&[attr::MESSAGE_AUTHENTICATOR, 18]);
    req.extend_from_slice(&[0; 16]);
    raw[4] = req.len() as u8;
    raw.extend_from_slice(&req);
    raw.push(0);
    c.put("dae", "raw-signed", &raw);
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let mut c = Corpus { root, written: 0 };
    ctl(&mut c);
    ctrl(&mut c);
    gre(&mut c);
    hdlc(&mut c);
    radius(&mut c);
    netlink(&mut c);
    machines(&mut c);
    println!("seeds: {} files under {}", c.written, c.root.display());
}
