//! The Dynamic Authorization Server (proto::dae), as pptpd's loop drives it: datagrams
//! from allowed and other sources, at arbitrary times, against a few live sessions. The
//! first bytes choose the configuration (required Message-Authenticator or
//! Event-Timestamp, several sessions refused or all ended, the NAS identity, a small
//! replay cache and its window). Then, per byte:
//!
//! - `0x00..=0x3f`: a Disconnect- or CoA-Request built from input-chosen attributes
//!   (matching a session or not, NAS identity right or wrong, timestamps near or far,
//!   Proxy-States, State, a Message-Authenticator), signed with the secret or another;
//! - `0x40..=0x7f`: raw bytes, with the Length and both authenticators made right when the
//!   low bit says so (so that the fuzzer reaches past authentication);
//! - `0x80..=0xbf`: time passes by `step(next byte)`;
//! - `0xc0..=0xff`: the last datagram again (a client's retry), from the same source or
//!   another port.
//!
//! Asserted: every reply is a response to its request that verifies with the secret and
//! fits in 4096 octets; a Disconnect names at least one live session, each once (one only
//! when several are refused); a resend is the reply given before to that very request;
//! the replay cache stays within its capacity; every datagram is counted once.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::{Clock, Input};
use pptp_rs::proto::dae::{
    AllowedClients, DaeConfig, DaeServer, MultipleSessions, NasIdentity, Outcome, PppdProcess,
    SessionKey,
};
use pptp_rs::wire::radius::{
    self, AUTHENTICATOR_LEN, Builder, Code, HEADER_LEN, MAX_PACKET_LEN, Packet, attr,
};

const SECRET: &[u8] = b"dae-test-secret";
const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 7);
const NAS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The wall clock at the start, in seconds since 1970.
const WALL: u64 = 1_764_633_600;
const PPPD_STARTED: u64 = WALL - 3600;

fn sessions() -> Vec<SessionKey> {
    let key = |user: &str, ip: u8, calling: &str, pid| SessionKey {
        user: user.into(),
        framed_ip: (ip != 0).then(|| Ipv4Addr::new(198, 51, 100, ip)),
        acct_session_id: String::new(),
        calling_station_id: calling.into(),
        pppd: Some(PppdProcess {
            pid,
            started: PPPD_STARTED,
        }),
    };
    vec![
        key("alice", 10, "203.0.113.5", 1234),
        key("bob", 11, "203.0.113.6", 0x1_0000),
        key("alice", 0, "203.0.113.7", 77),
        SessionKey::default(),
    ]
}

/// One of `choices`, or a chunk of the input.
fn pick(input: &mut Input<'_>, choices: &[&[u8]]) -> Vec<u8> {
    let i = usize::from(input.u8());
    match choices.get(i % (choices.len() + 1)) {
        Some(c) => c.to_vec(),
        None => input.chunk().to_vec(),
    }
}

/// A request built from input choices, signed with the secret or not.
fn built(input: &mut Input<'_>, b: u8, wall: u64) -> Vec<u8> {
    let code = if b & 1 == 0 {
        Code::DisconnectRequest
    } else {
        Code::CoaRequest
    };
    let mut out = Vec::new();
    let mut r = Builder::new(&mut out, code, input.u8());
    let sid_alice = format!("{:08X}{:04X}{:02X}", PPPD_STARTED + 5, 1234, 0);
    let sid_bob = format!("{:08X}{:04X}{:02X}", PPPD_STARTED + 9, 0x1_0000, 1);
    let sid_early = format!("{:08X}{:04X}{:02X}", PPPD_STARTED - 9, 1234, 0);
    let flags = input.u16();
    let add = |r: &mut Builder<'_>, bit: u16, ty: u8, value: &[u8]| {
        if flags & bit != 0 {
            let _ = r.attribute(ty, value);
        }
    };
    let user = pick(input, &[b"alice", b"bob", b"carol", b""]);
    add(&mut r, 1, attr::USER_NAME, &user);
    let ip = [198, 51, 100, input.u8() % 13];
    add(&mut r, 2, attr::FRAMED_IP_ADDRESS, &ip);
    let sid = pick(
        input,
        &[
            sid_alice.as_bytes(),
            sid_bob.as_bytes(),
            sid_early.as_bytes(),
        ],
    );
    add(&mut r, 4, attr::ACCT_SESSION_ID, &sid);
    let calling = pick(input, &[b"203.0.113.5", b"203.0.113.6", b"203.0.113.9"]);
    add(&mut r, 8, attr::CALLING_STATION_ID, &calling);
    let nas_ip = if input.u8() & 1 == 0 { NAS } else { CLIENT };
    add(&mut r, 16, attr::NAS_IP_ADDRESS, &nas_ip.octets());
    let nas_id = pick(input, &[b"nas1", b"other"]);
    add(&mut r, 32, attr::NAS_IDENTIFIER, &nas_id);
    let skew = i64::from(input.u8() as i8) * 10;
    let stamp = (wall as i64 + skew) as u32;
    add(&mut r, 64, attr::EVENT_TIMESTAMP, &stamp.to_be_bytes());
    add(&mut r, 128, attr::STATE, b"state");
    add(&mut r, 256, attr::SERVICE_TYPE, &[0, 0, 0, 8]);
    add(&mut r, 512, attr::ACCT_TERMINATE_CAUSE, &[0, 0, 0, 6]);
    add(&mut r, 1024, attr::USER_NAME, b"twice");
    add(
        &mut r,
        2048,
        attr::NAS_IPV6_ADDRESS,
        &[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    );
    for i in 0..(flags >> 12) & 3 {
        let _ = r.attribute(attr::PROXY_STATE, &[b'p', i as u8]);
    }
    if flags & 0x4000 != 0 {
        let _ = r.message_authenticator();
    }
    let secret: &[u8] = if flags & 0x8000 == 0 {
        SECRET
    } else {
        b"wrong"
    };
    r.finish_request(secret).expect("a request code");
    out
}

/// Raw bytes; with `fix`, the Length field and both authenticators are made right.
fn raw(bytes: &[u8], fix: bool) -> Vec<u8> {
    let mut d = bytes.to_vec();
    if !fix {
        return d;
    }
    d.resize(d.len().clamp(HEADER_LEN, MAX_PACKET_LEN), 0);
    let len = d.len() as u16;
    d[2..4].copy_from_slice(&len.to_be_bytes());
    d[4..HEADER_LEN].fill(0);
    // The Message-Authenticator first (Authenticator field zero), then the Request
    // Authenticator over it (RFC 5176 §3.4).
    let mut at = HEADER_LEN;
    while at + 1 < d.len() {
        let l = usize::from(d[at + 1]);
        if l < 2 || at + l > d.len() {
            break;
        }
        if d[at] == attr::MESSAGE_AUTHENTICATOR && l == 2 + AUTHENTICATOR_LEN {
            let mac = radius::message_authenticator(&d, at, &[0; AUTHENTICATOR_LEN], SECRET);
            d[at + 2..at + 2 + AUTHENTICATOR_LEN].copy_from_slice(&mac);
            break;
        }
        at += l;
    }
    let auth = radius::signed_request_authenticator(&d, SECRET);
    d[4..HEADER_LEN].copy_from_slice(&auth);
    d
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.u8();
    let mut config = DaeConfig::new(SECRET);
    config.require_message_authenticator = flags & 1 != 0;
    config.require_event_timestamp = flags & 2 != 0;
    config.multiple_sessions = if flags & 4 != 0 {
        MultipleSessions::Refuse
    } else {
        MultipleSessions::All
    };
    if flags & 8 != 0 {
        config.clients = AllowedClients::Only(HashSet::from([IpAddr::V4(CLIENT)]));
    }
    config.nas = NasIdentity {
        ipv4: (flags & 16 != 0).then_some(NAS),
        identifier: (flags & 32 != 0).then(|| "nas1".into()),
    };
    config.replay_capacity = usize::from(input.u8() % 6);
    config.replay_window = pptp_fuzz::step(input.u8());
    let capacity = config.replay_capacity;
    let refuse_many = config.multiple_sessions == MultipleSessions::Refuse;
    let mut server = DaeServer::new(config);
    let keys = sessions();
    let mut clock = Clock::new();
    let mut handled = 0u64;
    let mut replies: HashMap<(SocketAddr, u8, [u8; AUTHENTICATOR_LEN]), Vec<u8>> = HashMap::new();
    let mut last: Option<(Vec<u8>, SocketAddr)> = None;
    while !input.is_empty() {
        let b = input.u8();
        let wall_now = WALL + (clock.now - clock.start).as_secs();
        let from = |port_byte: u8| {
            let ip = if port_byte & 0x80 == 0 {
                CLIENT
            } else {
                Ipv4Addr::new(198, 51, 100, 99)
            };
            SocketAddr::new(IpAddr::V4(ip), 40000 + u16::from(port_byte & 3))
        };
        let (datagram, src) = match b {
            0x00..=0x3f => (built(&mut input, b, wall_now), from(input.u8())),
            0x40..=0x7f => {
                let n = if b & 2 != 0 {
                    usize::from(input.u16()) % 1200
                } else {
                    usize::from(input.u8())
                };
                (raw(input.bytes(n), b & 1 != 0), from(input.u8()))
            }
            0x80..=0xbf => {
                clock.advance(input.u8());
                continue;
            }
            _ => match &last {
                Some((d, src)) => {
                    let src = if b & 1 == 0 { *src } else { from(input.u8()) };
                    (d.clone(), src)
                }
                None => continue,
            },
        };
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(wall_now);
        let outcome = server.handle(clock.now, wall, src, &datagram, keys.iter().enumerate());
        handled += 1;
        let request = Packet::parse(&datagram).ok();
        let reply = match &outcome {
            Outcome::Drop(_) => None,
            Outcome::Resend(reply) => {
                let r = request.expect("resent a reply to a malformed request");
                let key = (src, r.identifier(), r.authenticator());
                assert_eq!(
                    replies.get(&key),
                    Some(reply),
                    "a resend that is not the reply"
                );
                Some(reply)
            }
            Outcome::Nak { reply, .. } => Some(reply),
            Outcome::Disconnect { sessions, reply } => {
                assert!(!sessions.is_empty(), "a disconnect of nothing");
                let mut seen = sessions.clone();
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), sessions.len(), "a session named twice");
                assert!(
                    !refuse_many || sessions.len() == 1,
                    "several sessions ended"
                );
                Some(reply)
            }
        };
        if let Some(reply) = reply {
            let r = request.expect("answered a malformed request");
            assert!(reply.len() <= MAX_PACKET_LEN);
            let p = Packet::parse(reply).expect("our reply does not parse");
            assert_eq!(p.identifier(), r.identifier());
            p.verify_response(&r.authenticator(), SECRET)
                .expect("our reply does not verify");
            if !matches!(outcome, Outcome::Resend(_)) {
                replies.insert((src, r.identifier(), r.authenticator()), reply.clone());
            }
        }
        assert!(
            server.remembered() <= capacity,
            "replay cache past its capacity"
        );
        assert_eq!(
            server.stats().received(),
            handled,
            "a datagram not counted once"
        );
        last = Some((datagram, src));
    }
});
