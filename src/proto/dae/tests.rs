//! The DAE server on radclient's captured requests and on requests built here, with a
//! fake clock: `t0` plus whatever a test says, and a fixed wall clock.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::wire::radius::test_vectors::*;
use crate::wire::radius::{Builder, Code, ErrorCause, Packet, attr};

/// The Event-Timestamp of DISCONNECT_FULL.
const FULL_STAMP: u64 = 1_700_000_000;

fn wall(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn client() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40000))
}

fn alice() -> SessionKey {
    SessionKey {
        user: "alice".into(),
        framed_ip: Some(Ipv4Addr::new(192, 0, 2, 10)),
        acct_session_id: "5F3A0001".into(),
        calling_station_id: "198.51.100.7".into(),
        pppd: None,
    }
}

fn bob() -> SessionKey {
    SessionKey {
        user: "bob".into(),
        framed_ip: Some(Ipv4Addr::new(192, 0, 2, 11)),
        acct_session_id: "5F3A0002".into(),
        calling_station_id: "198.51.100.8".into(),
        pppd: None,
    }
}

/// A test harness: a server, a start time, and the sessions handed to every call.
struct Harness {
    server: DaeServer,
    t0: Instant,
    sessions: Vec<(u32, SessionKey)>,
}

impl Harness {
    fn new(config: DaeConfig) -> Self {
        Harness {
            server: DaeServer::new(config),
            t0: Instant::now(),
            sessions: vec![(1, alice()), (2, bob())],
        }
    }

    fn default() -> Self {
        Harness::new(DaeConfig::new(SECRET))
    }

    /// Handles `datagram` from `from` at t0 + `after`, with the wall clock at FULL_STAMP.
    fn at(&mut self, after: Duration, from: SocketAddr, datagram: &[u8]) -> Outcome<u32> {
        let sessions = self.sessions.iter().map(|(h, k)| (*h, k));
        self.server
            .handle(self.t0 + after, wall(FULL_STAMP), from, datagram, sessions)
    }

    fn send(&mut self, datagram: &[u8]) -> Outcome<u32> {
        self.at(Duration::ZERO, client(), datagram)
    }
}

/// A signed Disconnect-Request (or `code`) with these attributes.
fn request(code: Code, identifier: u8, attrs: &[(u8, &[u8])], with_ma: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut b = Builder::new(&mut out, code, identifier);
    for (ty, value) in attrs {
        b.attribute(*ty, value).unwrap();
    }
    if with_ma {
        b.message_authenticator().unwrap();
    }
    b.finish_request(SECRET).unwrap();
    out
}

fn disconnect(attrs: &[(u8, &[u8])]) -> Vec<u8> {
    request(Code::DisconnectRequest, 7, attrs, false)
}

fn nak_cause(outcome: &Outcome<u32>) -> Option<ErrorCause> {
    match outcome {
        Outcome::Nak { cause, .. } => Some(*cause),
        _ => None,
    }
}

fn reply_of(outcome: &Outcome<u32>) -> &[u8] {
    match outcome {
        Outcome::Nak { reply, .. } | Outcome::Disconnect { reply, .. } | Outcome::Resend(reply) => {
            reply
        }
        Outcome::Drop(why) => panic!("dropped: {why}"),
    }
}

/// The Error-Cause answering a Disconnect-Request with these attributes.
fn cause_for(h: &mut Harness, attrs: &[(u8, &[u8])]) -> Option<ErrorCause> {
    nak_cause(&h.send(&disconnect(attrs)))
}

// ==== radclient's requests, answered byte for byte ====

#[test]
fn plain_disconnect_ends_the_session_and_acks() {
    let mut h = Harness::default();
    let outcome = h.send(&DISCONNECT_PLAIN);
    assert_eq!(
        outcome,
        Outcome::Disconnect {
            sessions: vec![1],
            reply: ACK_TO_PLAIN.to_vec()
        }
    );
    assert_eq!(h.server.stats().acks, 1);
}

#[test]
fn full_disconnect_matching_every_attribute_acks_with_proxy_states() {
    let mut h = Harness::new(DaeConfig {
        nas: NasIdentity {
            ipv4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            identifier: Some("pptpd".into()),
        },
        require_message_authenticator: true,
        require_event_timestamp: true,
        ..DaeConfig::new(SECRET)
    });
    assert_eq!(
        h.send(&DISCONNECT_FULL),
        Outcome::Disconnect {
            sessions: vec![1],
            reply: ACK_TO_FULL.to_vec()
        }
    );
}

#[test]
fn full_disconnect_without_a_matching_session_naks_503() {
    let mut h = Harness::default();
    h.sessions[0].1.acct_session_id = "5F3A0009".into();
    assert_eq!(
        h.send(&DISCONNECT_FULL),
        Outcome::Nak {
            cause: ErrorCause::SessionContextNotFound,
            reply: NAK_TO_FULL.to_vec()
        }
    );
    assert_eq!(h.server.stats().naks, 1);
}

#[test]
fn coa_request_gets_coa_nak_405() {
    let mut h = Harness::default();
    assert_eq!(
        h.send(&COA),
        Outcome::Nak {
            cause: ErrorCause::UnsupportedService,
            reply: COA_NAK.to_vec()
        }
    );
}

#[test]
fn replies_verify_as_radclient_would() {
    let mut h = Harness::default();
    for request in [&DISCONNECT_PLAIN[..], &DISCONNECT_FULL[..], &COA[..]] {
        let outcome = h.send(request);
        let reply = Packet::parse(reply_of(&outcome)).unwrap();
        let request = Packet::parse(request).unwrap();
        assert_eq!(reply.identifier(), request.identifier());
        assert_eq!(
            reply.verify_response(&request.authenticator(), SECRET),
            Ok(())
        );
        assert_eq!(
            reply.message_authenticator().is_some(),
            request.message_authenticator().is_some()
        );
    }
}

// ==== Choosing sessions ====

#[test]
fn every_identifying_attribute_present_must_match() {
    let mut h = Harness::default();
    let ip = [192, 0, 2, 10];
    for attrs in [
        &[(attr::USER_NAME, &b"alice"[..])][..],
        &[(attr::FRAMED_IP_ADDRESS, &ip[..])],
        &[(attr::ACCT_SESSION_ID, b"5F3A0001")],
        &[(attr::CALLING_STATION_ID, b"198.51.100.7")],
        &[(attr::USER_NAME, b"alice"), (attr::FRAMED_IP_ADDRESS, &ip)],
    ] {
        match h.send(&disconnect(attrs)) {
            Outcome::Disconnect { sessions, .. } => assert_eq!(sessions, [1]),
            other => panic!("{attrs:?}: {other:?}"),
        }
    }
    // One attribute off is enough to miss, whatever the others say.
    for attrs in [
        &[(attr::USER_NAME, &b"Alice"[..])][..],
        &[
            (attr::USER_NAME, b"alice"),
            (attr::ACCT_SESSION_ID, b"5F3A0002"),
        ],
        &[
            (attr::USER_NAME, b"alice"),
            (attr::FRAMED_IP_ADDRESS, &[192, 0, 2, 11]),
        ],
        &[(attr::CALLING_STATION_ID, b"198.51.100.70")],
        &[(attr::USER_NAME, b"alic")],
    ] {
        assert_eq!(
            cause_for(&mut h, attrs),
            Some(ErrorCause::SessionContextNotFound),
            "{attrs:?}"
        );
    }
}

#[test]
fn unknown_session_values_match_nothing() {
    let mut h = Harness::default();
    h.sessions = vec![(5, SessionKey::default())];
    assert_eq!(
        cause_for(&mut h, &[(attr::FRAMED_IP_ADDRESS, &[0, 0, 0, 0])]),
        Some(ErrorCause::SessionContextNotFound)
    );
    let key = SessionKey {
        user: "carol".into(),
        ..SessionKey::default()
    };
    let selector = Selector {
        user: Some(b"carol"),
        ..Selector::default()
    };
    assert!(selector.matches(&key));
    let selector = Selector {
        calling_station_id: Some(b""),
        ..Selector::default()
    };
    assert!(!selector.matches(&key));
}

#[test]
fn several_matches_end_all_by_default() {
    let mut h = Harness::default();
    let mut second = alice();
    second.framed_ip = Some(Ipv4Addr::new(192, 0, 2, 12));
    h.sessions.push((3, second));
    match h.send(&disconnect(&[(attr::USER_NAME, b"alice")])) {
        Outcome::Disconnect { sessions, .. } => assert_eq!(sessions, [1, 3]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn several_matches_refused_with_508_when_configured() {
    let mut h = Harness::new(DaeConfig {
        multiple_sessions: MultipleSessions::Refuse,
        ..DaeConfig::new(SECRET)
    });
    h.sessions.push((3, alice()));
    assert_eq!(
        cause_for(&mut h, &[(attr::USER_NAME, b"alice")]),
        Some(ErrorCause::MultipleSessionSelectionUnsupported)
    );
    // One match is still fine.
    assert!(matches!(
        h.send(&disconnect(&[(attr::USER_NAME, b"bob")])),
        Outcome::Disconnect { .. }
    ));
}

#[test]
fn select_works_on_any_handles() {
    let keys = [alice(), bob()];
    let selector = Selector {
        user: Some(b"bob"),
        ..Selector::default()
    };
    let found = select(&selector, MultipleSessions::All, keys.iter().enumerate());
    assert_eq!(found, Ok(vec![1]));
    assert_eq!(
        select(
            &selector,
            MultipleSessions::All,
            std::iter::empty::<((), &SessionKey)>()
        ),
        Err(ErrorCause::SessionContextNotFound)
    );
}

// ==== Requests that are answered with a NAK ====

#[test]
fn no_session_attribute_is_402() {
    let mut h = Harness::default();
    assert_eq!(cause_for(&mut h, &[]), Some(ErrorCause::MissingAttribute));
    assert_eq!(
        cause_for(
            &mut h,
            &[
                (attr::NAS_IP_ADDRESS, &[192, 0, 2, 1]),
                (attr::PROXY_STATE, b"p")
            ]
        ),
        Some(ErrorCause::MissingAttribute)
    );
}

#[test]
fn attributes_we_cannot_honour_are_401() {
    let mut h = Harness::default();
    for (ty, value) in [
        (attr::NAS_PORT, &[0, 0, 0, 1][..]),
        (attr::CALLED_STATION_ID, b"203.0.113.1"),
        (attr::ACCT_MULTI_SESSION_ID, b"m1"),
        (attr::NAS_PORT_ID, b"ppp0"),
        (attr::CHARGEABLE_USER_IDENTITY, b"cui"),
        (attr::SERVICE_TYPE, &[0, 0, 0, 2]),
        (attr::VENDOR_SPECIFIC, &[0, 0, 0, 9, 1, 3, b'x']),
        (attr::SESSION_TIMEOUT, &[0, 0, 0, 60]),
        (attr::ERROR_CAUSE, &[0, 0, 1, 0xf7]),
        (200, b"?"),
    ] {
        assert_eq!(
            cause_for(&mut h, &[(attr::USER_NAME, b"alice"), (ty, value)]),
            Some(ErrorCause::UnsupportedAttribute),
            "{}",
            radius::AttrName(ty)
        );
    }
}

#[test]
fn informational_attributes_are_accepted() {
    let mut h = Harness::default();
    let outcome = h.send(&disconnect(&[
        (attr::USER_NAME, b"alice"),
        (attr::ACCT_TERMINATE_CAUSE, &[0, 0, 0, 6]),
        (attr::REPLY_MESSAGE, b"bye"),
        (attr::REPLY_MESSAGE, b" now"),
        (attr::STATE, b"st"),
    ]));
    assert!(matches!(outcome, Outcome::Disconnect { .. }), "{outcome:?}");
}

#[test]
fn repeated_single_valued_attribute_is_404() {
    let mut h = Harness::default();
    assert_eq!(
        cause_for(
            &mut h,
            &[(attr::USER_NAME, b"alice"), (attr::USER_NAME, b"alice")]
        ),
        Some(ErrorCause::InvalidRequest)
    );
}

#[test]
fn bad_values_are_407() {
    let mut h = Harness::default();
    for attrs in [
        &[(attr::USER_NAME, &b""[..])][..],
        &[(attr::FRAMED_IP_ADDRESS, &[192, 0, 2])],
        &[
            (attr::USER_NAME, b"alice"),
            (attr::NAS_IP_ADDRESS, &[1, 2, 3, 4, 5]),
        ],
        &[
            (attr::USER_NAME, b"alice"),
            (attr::EVENT_TIMESTAMP, &[1, 2]),
        ],
        &[(attr::USER_NAME, b"alice"), (attr::PROXY_STATE, b"")],
    ] {
        assert_eq!(
            cause_for(&mut h, attrs),
            Some(ErrorCause::InvalidAttributeValue),
            "{attrs:?}"
        );
    }
}

#[test]
fn nas_identification_must_be_ours_when_known() {
    let known = NasIdentity {
        ipv4: Some(Ipv4Addr::new(192, 0, 2, 1)),
        identifier: Some("pptpd".into()),
    };
    let mut h = Harness::new(DaeConfig {
        nas: known,
        ..DaeConfig::new(SECRET)
    });
    for (ty, value) in [
        (attr::NAS_IP_ADDRESS, &[192, 0, 2, 2][..]),
        (attr::NAS_IDENTIFIER, b"other-nas"),
    ] {
        assert_eq!(
            cause_for(&mut h, &[(attr::USER_NAME, b"alice"), (ty, value)]),
            Some(ErrorCause::NasIdentificationMismatch)
        );
    }
    // Unknown identity: accepted unchecked.
    let mut h = Harness::default();
    let outcome = h.send(&disconnect(&[
        (attr::USER_NAME, b"alice"),
        (attr::NAS_IP_ADDRESS, &[192, 0, 2, 2]),
        (attr::NAS_IDENTIFIER, b"other-nas"),
    ]));
    assert!(matches!(outcome, Outcome::Disconnect { .. }));
}

#[test]
fn nak_echoes_proxy_states_in_order_and_state() {
    let mut h = Harness::default();
    let outcome = h.send(&request(
        Code::DisconnectRequest,
        9,
        &[
            (attr::PROXY_STATE, b"one"),
            (attr::USER_NAME, b"nobody"),
            (attr::STATE, b"st"),
            (attr::PROXY_STATE, b"two"),
        ],
        true,
    ));
    let reply = Packet::parse(reply_of(&outcome)).unwrap();
    assert_eq!(reply.code(), Code::DisconnectNak);
    assert_eq!(reply.proxy_states().collect::<Vec<_>>(), [b"one", b"two"]);
    assert_eq!(reply.state(), Some(&b"st"[..]));
    assert_eq!(reply.error_cause(), Ok(Some(503)));
    assert!(reply.message_authenticator().is_some());
    assert_eq!(reply.user_name(), None);
}

#[test]
fn ack_carries_no_error_cause_nor_state() {
    let mut h = Harness::default();
    let outcome = h.send(&disconnect(&[
        (attr::USER_NAME, b"alice"),
        (attr::STATE, b"st"),
    ]));
    let reply = Packet::parse(reply_of(&outcome)).unwrap();
    assert_eq!(reply.code(), Code::DisconnectAck);
    assert_eq!(reply.attributes().count(), 0);
}

// ==== Requests that are dropped ====

#[test]
fn unknown_client_is_dropped_and_counted() {
    let allowed: HashSet<IpAddr> = [IpAddr::from([192, 0, 2, 50])].into();
    let mut h = Harness::new(DaeConfig {
        clients: AllowedClients::Only(allowed),
        ..DaeConfig::new(SECRET)
    });
    assert_eq!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Drop(DropReason::UnknownClient(IpAddr::from([127, 0, 0, 1])))
    );
    let from = SocketAddr::from(([192, 0, 2, 50], 1812));
    assert!(matches!(
        h.at(Duration::ZERO, from, &DISCONNECT_PLAIN),
        Outcome::Disconnect { .. }
    ));
    // An IPv4-mapped IPv6 source from a dual-stack socket is the same client.
    let mapped: SocketAddr = "[::ffff:192.0.2.50]:1812".parse().unwrap();
    assert!(matches!(
        h.at(Duration::ZERO, mapped, &DISCONNECT_FULL),
        Outcome::Disconnect { .. }
    ));
    assert_eq!(h.server.stats().unknown_client, 1);
    assert_eq!(h.server.stats().dropped(), 1);
}

#[test]
fn malformed_datagrams_are_dropped_and_counted() {
    let mut h = Harness::default();
    let mut long_length = DISCONNECT_PLAIN;
    long_length[3] = 28;
    let mut bad_attr = DISCONNECT_PLAIN;
    bad_attr[21] = 1;
    for datagram in [
        &[][..],
        &DISCONNECT_PLAIN[..19],
        &long_length,
        &bad_attr,
        &[0; 5000],
    ] {
        assert!(
            matches!(h.send(datagram), Outcome::Drop(DropReason::Malformed(_))),
            "{datagram:?}"
        );
    }
    assert_eq!(h.server.stats().malformed, 5);
}

#[test]
fn other_codes_are_dropped_and_counted() {
    let mut h = Harness::default();
    assert_eq!(
        h.send(&ACK_TO_PLAIN),
        Outcome::Drop(DropReason::UnexpectedCode(Code::DisconnectAck))
    );
    let access = request(
        Code::AccountingRequest,
        1,
        &[(attr::USER_NAME, b"alice")],
        false,
    );
    assert_eq!(
        h.send(&access),
        Outcome::Drop(DropReason::UnexpectedCode(Code::AccountingRequest))
    );
    assert_eq!(h.server.stats().unexpected_code, 2);
}

#[test]
fn bad_authenticators_are_dropped_and_counted() {
    let mut h = Harness::new(DaeConfig::new(&b"another secret"[..]));
    assert_eq!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Drop(DropReason::BadAuthenticator(
            radius::Error::BadAuthenticator
        ))
    );
    let mut h = Harness::default();
    let mut tampered = DISCONNECT_PLAIN;
    tampered[22] = b'A';
    assert!(matches!(
        h.send(&tampered),
        Outcome::Drop(DropReason::BadAuthenticator(_))
    ));
    // A Message-Authenticator that does not match under a good Request Authenticator.
    let mut bad_ma = DISCONNECT_FULL;
    bad_ma[95] ^= 0x80;
    let auth = radius::signed_request_authenticator(&bad_ma, SECRET);
    bad_ma[4..20].copy_from_slice(&auth);
    assert_eq!(
        h.send(&bad_ma),
        Outcome::Drop(DropReason::BadAuthenticator(
            radius::Error::BadMessageAuthenticator
        ))
    );
    assert_eq!(h.server.stats().bad_authenticator, 2);
    assert_eq!(h.server.stats().acks + h.server.stats().naks, 0);
}

#[test]
fn missing_message_authenticator_is_dropped_when_required() {
    let mut h = Harness::new(DaeConfig {
        require_message_authenticator: true,
        ..DaeConfig::new(SECRET)
    });
    assert_eq!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Drop(DropReason::MissingMessageAuthenticator)
    );
    assert!(matches!(
        h.send(&DISCONNECT_FULL),
        Outcome::Disconnect { .. }
    ));
    assert_eq!(h.server.stats().bad_authenticator, 1);
}

#[test]
fn event_timestamp_must_be_current() {
    let stamp = |secs: u64| (secs as u32).to_be_bytes();
    let mut h = Harness::default();
    let with_stamp = |secs: u64| {
        disconnect(&[
            (attr::USER_NAME, b"alice"),
            (attr::EVENT_TIMESTAMP, &stamp(secs)),
        ])
    };
    // The wall clock reads FULL_STAMP; the window is 300 s either way.
    for secs in [FULL_STAMP - 300, FULL_STAMP, FULL_STAMP + 300] {
        assert!(matches!(
            h.send(&with_stamp(secs)),
            Outcome::Disconnect { .. }
        ));
    }
    for secs in [FULL_STAMP - 301, FULL_STAMP + 301, 0] {
        assert_eq!(
            h.send(&with_stamp(secs)),
            Outcome::Drop(DropReason::StaleEventTimestamp(secs as u32))
        );
    }
    assert_eq!(h.server.stats().stale, 3);
    // Without one: fine by default, dropped when required.
    assert!(matches!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Disconnect { .. }
    ));
    let mut h = Harness::new(DaeConfig {
        require_event_timestamp: true,
        ..DaeConfig::new(SECRET)
    });
    assert_eq!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Drop(DropReason::MissingEventTimestamp)
    );
}

#[test]
fn reply_that_cannot_fit_is_dropped() {
    // Proxy-States filling the request; the NAK adds Error-Cause (6) where the request had
    // a one-octet User-Name (3), so the reply would pass 4096.
    let mut attrs: Vec<(u8, &[u8])> = vec![(attr::USER_NAME, b"z")];
    let filler = [b'p'; 253];
    let mut len = 20 + 3;
    while len + 255 <= 4096 {
        attrs.push((attr::PROXY_STATE, &filler));
        len += 255;
    }
    let rest = 4096 - len - 2;
    attrs.push((attr::PROXY_STATE, &filler[..rest]));
    let big = disconnect(&attrs);
    assert_eq!(big.len(), 4096);
    let mut h = Harness::default();
    assert_eq!(h.send(&big), Outcome::Drop(DropReason::ReplyTooLong));
    assert_eq!(h.server.stats().malformed, 1);
}

// ==== Duplicates and the replay window ====

#[test]
fn duplicate_within_the_window_gets_the_same_reply_and_ends_nothing() {
    let mut h = Harness::default();
    let first = h.send(&DISCONNECT_FULL);
    assert!(matches!(first, Outcome::Disconnect { .. }));
    // The session is gone by now; the retransmission must still get the ACK.
    h.sessions.remove(0);
    for after in [1, 3, 29] {
        assert_eq!(
            h.at(Duration::from_secs(after), client(), &DISCONNECT_FULL),
            Outcome::Resend(ACK_TO_FULL.to_vec())
        );
    }
    assert_eq!(h.server.stats().replays, 3);
    assert_eq!(h.server.stats().acks, 1);
    // Past the window it is a new request, and now finds nothing.
    assert_eq!(
        nak_cause(&h.at(Duration::from_secs(30), client(), &DISCONNECT_FULL)),
        Some(ErrorCause::SessionContextNotFound)
    );
}

#[test]
fn duplicate_of_a_nak_gets_the_nak() {
    let mut h = Harness::default();
    let first = h.send(&COA);
    assert_eq!(
        h.at(Duration::from_secs(2), client(), &COA),
        Outcome::Resend(reply_of(&first).to_vec())
    );
}

#[test]
fn same_identifier_from_another_port_or_with_another_authenticator_is_new() {
    let mut h = Harness::default();
    h.send(&DISCONNECT_PLAIN);
    let other_port = SocketAddr::from(([127, 0, 0, 1], 40001));
    assert!(matches!(
        h.at(Duration::ZERO, other_port, &DISCONNECT_PLAIN),
        Outcome::Disconnect { .. }
    ));
    // Same source and Identifier 39, another User-Name: another request.
    let bob = request(
        Code::DisconnectRequest,
        39,
        &[(attr::USER_NAME, b"bob")],
        false,
    );
    match h.send(&bob) {
        Outcome::Disconnect { sessions, .. } => assert_eq!(sessions, [2]),
        other => panic!("{other:?}"),
    }
    // And it replaced the first in the cache.
    assert!(matches!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Disconnect { .. }
    ));
    assert_eq!(h.server.stats().replays, 0);
}

#[test]
fn dropped_requests_are_not_remembered() {
    let mut h = Harness::new(DaeConfig::new(&b"wrong"[..]));
    h.send(&DISCONNECT_PLAIN);
    h.send(&DISCONNECT_PLAIN);
    assert_eq!(h.server.stats().replays, 0);
    assert_eq!(h.server.stats().bad_authenticator, 2);
}

#[test]
fn replay_cache_is_bounded_and_evicts_the_oldest() {
    let mut h = Harness::new(DaeConfig {
        replay_capacity: 4,
        ..DaeConfig::new(SECRET)
    });
    let requests: Vec<Vec<u8>> = (0..10u8)
        .map(|id| {
            request(
                Code::DisconnectRequest,
                id,
                &[(attr::USER_NAME, b"bob")],
                false,
            )
        })
        .collect();
    for (i, r) in requests.iter().enumerate() {
        h.at(Duration::from_millis(i as u64), client(), r);
        assert!(h.server.remembered() <= 4);
    }
    assert_eq!(h.server.remembered(), 4);
    let later = Duration::from_secs(1);
    // The newest four are remembered; the first, evicted, is handled anew.
    assert!(matches!(
        h.at(later, client(), &requests[9]),
        Outcome::Resend(_)
    ));
    assert!(matches!(
        h.at(later, client(), &requests[6]),
        Outcome::Resend(_)
    ));
    assert!(matches!(
        h.at(later, client(), &requests[0]),
        Outcome::Disconnect { .. }
    ));
    assert_eq!(h.server.remembered(), 4);
}

#[test]
fn replay_cache_expires_by_itself() {
    let t0 = Instant::now();
    let mut cache = ReplayCache::new(Duration::from_secs(30), 8);
    for id in 0..8 {
        cache.insert(
            t0 + Duration::from_secs(u64::from(id)),
            client(),
            id,
            [id; 16],
            vec![id],
        );
    }
    assert_eq!(cache.len(), 8);
    let at = t0 + Duration::from_secs(33);
    assert_eq!(cache.lookup(at, client(), 3, &[3; 16]), None);
    assert_eq!(cache.lookup(at, client(), 4, &[4; 16]), Some(&[4][..]));
    assert_eq!(cache.lookup(at, client(), 4, &[5; 16]), None);
    assert_eq!(cache.len(), 4);
    assert_eq!(
        cache.lookup(t0 + Duration::from_secs(60), client(), 7, &[7; 16]),
        None
    );
    assert!(cache.is_empty());
    let mut none = ReplayCache::new(Duration::from_secs(30), 0);
    none.insert(t0, client(), 1, [1; 16], vec![1]);
    assert!(none.is_empty());
}

// ==== Counters ====

#[test]
fn stats_add_up() {
    let mut h = Harness::default();
    h.send(&DISCONNECT_PLAIN); // ack
    h.send(&DISCONNECT_PLAIN); // replay
    h.send(&COA); // nak
    h.send(&[1, 2, 3]); // malformed
    h.send(&ACK_TO_PLAIN); // unexpected code
    let s = h.server.stats();
    assert_eq!(
        s,
        DaeStats {
            malformed: 1,
            unexpected_code: 1,
            replays: 1,
            acks: 1,
            naks: 1,
            naks_by_cause: [0, 0, 0, 0, 1, 0, 0, 0],
            ..DaeStats::default()
        }
    );
    assert_eq!(s.dropped(), 2);
    assert_eq!(s.received(), 5);
    assert_eq!(
        s.naks_by_cause()
            .filter(|&(_, n)| n > 0)
            .collect::<Vec<_>>(),
        [(ErrorCause::UnsupportedService, 1)]
    );
}

/// Every cause a NAK can carry has its counter.
#[test]
fn naks_are_counted_by_cause() {
    let mut h = Harness::new(DaeConfig {
        multiple_sessions: MultipleSessions::Refuse,
        nas: NasIdentity {
            identifier: Some("pptpd".into()),
            ..NasIdentity::default()
        },
        ..DaeConfig::new(SECRET)
    });
    h.sessions.push((3, alice()));
    let ip = [192, 0, 2, 99];
    let requests: [&[(u8, &[u8])]; 7] = [
        &[(attr::NAS_PORT, &[0, 0, 0, 1])],
        &[(attr::NAS_IDENTIFIER, b"pptpd")],
        &[(attr::USER_NAME, b"bob"), (attr::NAS_IDENTIFIER, b"other")],
        &[(attr::USER_NAME, b"bob"), (attr::USER_NAME, b"bob")],
        &[(attr::USER_NAME, b"")],
        &[(attr::FRAMED_IP_ADDRESS, &ip)],
        &[(attr::USER_NAME, b"alice")],
    ];
    for attrs in requests {
        assert!(cause_for(&mut h, attrs).is_some(), "{attrs:?}");
    }
    h.send(&COA);
    let by_cause: Vec<_> = h.server.stats().naks_by_cause().collect();
    assert_eq!(by_cause.len(), NAK_CAUSES.len());
    assert!(by_cause.iter().all(|&(_, n)| n == 1), "{by_cause:?}");
}

// ==== radius.so's Acct-Session-Id ====

/// A session of pppd 4660 (0x1234), started at 0x65000000.
fn with_pppd(pid: u32) -> SessionKey {
    SessionKey {
        acct_session_id: String::new(),
        pppd: Some(PppdProcess {
            pid,
            started: 0x6500_0000,
        }),
        ..alice()
    }
}

#[test]
fn radius_so_acct_session_id_names_the_session_of_its_pppd() {
    let key = with_pppd(0x1234);
    let p = key.pppd.unwrap();
    // What rc_mksid() prints: time, pid (4 digits at least), counter.
    assert!(p.made_acct_session_id(b"65000000123400"));
    assert!(p.made_acct_session_id(b"650000A7123401"));
    let big = PppdProcess { pid: 0x3_FFFF, ..p };
    assert!(big.made_acct_session_id(b"650000A73FFFF00"));
    for other in [
        &b"64FFFFFF123400"[..], // before this pppd started: an earlier pppd with its pid
        b"65000000123500",      // another pppd
        b"6500000012340",       // too short
        b"650000001234000",     // too long
        b"650000001234ab",      // not what %X prints
        b"6500000001234000",    // pid with a leading zero too many
        b"5F3A0001",
    ] {
        assert!(
            !p.made_acct_session_id(other),
            "{}",
            String::from_utf8_lossy(other)
        );
    }
    let selector = Selector {
        acct_session_id: Some(b"65000010123400"),
        ..Selector::default()
    };
    assert!(selector.matches(&key));
    assert!(!selector.matches(&with_pppd(0x1235)));
    // A known exact value is compared as it is.
    let exact = SessionKey {
        acct_session_id: "X".into(),
        ..key
    };
    assert!(!selector.matches(&exact));
}

#[test]
fn radius_so_acct_session_id_in_a_request() {
    let mut h = Harness::default();
    h.sessions = vec![(1, with_pppd(0x1234)), (2, with_pppd(0x4321))];
    match h.send(&disconnect(&[(attr::ACCT_SESSION_ID, b"65000001432100")])) {
        Outcome::Disconnect { sessions, .. } => assert_eq!(sessions, [2]),
        other => panic!("{other:?}"),
    }
}

// ==== Configuration ====

#[test]
fn debug_leaves_the_secret_out() {
    let text = format!("{:?}", DaeConfig::new(b"hunter2".to_vec()));
    assert!(
        !text.contains("hunter2") && text.contains("<7 octets>"),
        "{text}"
    );
}

#[test]
fn reconfigure_keeps_counters_and_the_replay_cache() {
    let mut h = Harness::default();
    let first = h.send(&DISCONNECT_PLAIN);
    h.server.reconfigure(DaeConfig {
        multiple_sessions: MultipleSessions::Refuse,
        ..DaeConfig::new(SECRET)
    });
    assert_eq!(
        h.server.config().multiple_sessions,
        MultipleSessions::Refuse
    );
    assert_eq!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Resend(reply_of(&first).to_vec())
    );
    assert_eq!(h.server.stats().acks, 1);
    // Another secret: the retry no longer authenticates, and is dropped.
    h.server.reconfigure(DaeConfig::new(b"other".to_vec()));
    assert!(matches!(
        h.send(&DISCONNECT_PLAIN),
        Outcome::Drop(DropReason::BadAuthenticator(_))
    ));
    assert_eq!(h.server.stats().replays, 1);
}
