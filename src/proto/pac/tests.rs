//! Tests of the server's control connection, one section per state, with a fake clock.

use super::*;
use crate::proto::control::TEARDOWN_WAIT;
use crate::proto::testing::{drain_fns, start_conn};
use crate::wire::ctrl::{IncomingCallConnected, OutgoingCallRequest};

const CDN_ADMIN_SHUTDOWN: u8 = DisconnectResult::AdminShutdown.code();
const CDN_REQUEST: u8 = DisconnectResult::Request.code();
const ERROR_NO_RESOURCE: u8 = GeneralError::NoResource.code();
const ICRP_DO_NOT_ACCEPT: u8 = IncomingResult::DoNotAccept.code();
const OCRP_BUSY: u8 = OutgoingResult::Busy.code();
const OCRP_GENERAL_ERROR: u8 = OutgoingResult::GeneralError.code();
const SCCRP_GENERAL_ERROR: u8 = StartResult::GeneralError.code();

const CLIENT_CALL: u16 = 0x1234;
const OUR_CALL: u16 = 0x0400;
const STIMEOUT: Duration = Duration::from_secs(10);

fn config() -> PacConfig {
    PacConfig {
        idle_wait: Some(Duration::from_secs(60)),
        max_echo_wait: Duration::from_secs(60),
        first_message_wait: STIMEOUT,
        host_name: "local".into(),
    }
}

drain_fns!(PacConnection, PacEvent);

fn sccrq(version: u16) -> ControlMessage {
    ControlMessage::StartCtrlConnRequest(start_conn(version, 0, "cananian"))
}

fn ocrq() -> ControlMessage {
    ControlMessage::OutgoingCallRequest(OutgoingCallRequest {
        call_id: CLIENT_CALL,
        call_serial: 0,
        minimum_bps: 2400,
        maximum_bps: 10_000_000,
        bearer_type: 3,
        framing_type: 1,
        recv_window: 64,
        processing_delay: 0,
        phone_number: String::new(),
        subaddress: String::new(),
    })
}

fn icrq() -> ControlMessage {
    ControlMessage::IncomingCallRequest(IncomingCallRequest {
        call_id: CLIENT_CALL,
        call_serial: 0,
        bearer_type: 2,
        physical_channel_id: 0,
        dialed_number: String::new(),
        dialing_number: "5551234".into(),
        subaddress: String::new(),
    })
}

/// A connection past SCCRQ/SCCRP, with its output drained.
fn established(now: Instant) -> PacConnection {
    let mut c = PacConnection::new(config(), now, false);
    c.handle_message(now, sccrq(PROTOCOL_VERSION));
    sent(&mut c);
    c
}

/// A connection with an outgoing call up.
fn with_call(now: Instant) -> PacConnection {
    let mut c = established(now);
    c.handle_message(now, ocrq());
    assert_eq!(
        events(&mut c),
        [PacEvent::CallRequested {
            peer_call_id: CLIENT_CALL
        }]
    );
    c.accept_call(now, OUR_CALL);
    sent(&mut c);
    events(&mut c);
    c
}

fn stop_reply() -> ControlMessage {
    ControlMessage::StopCtrlConnReply {
        result_code: 1,
        error_code: 0,
    }
}

// ==== WAIT_START ====

#[test]
fn answers_sccrq_with_success() {
    let now = Instant::now();
    let mut c = PacConnection::new(config(), now, false);
    c.handle_message(now, sccrq(PROTOCOL_VERSION));
    match &sent(&mut c)[..] {
        [ControlMessage::StartCtrlConnReply(r)] => {
            assert_eq!(
                (r.result_code, r.protocol_version, r.maximum_channels),
                (1, 0x0100, 1)
            );
            assert_eq!(r.vendor, "pptp-rs");
        }
        other => panic!("{other:?}"),
    }
    assert!(events(&mut c).is_empty());
}

#[test]
fn silent_connection_is_dropped_after_stimeout() {
    let now = Instant::now();
    let mut c = PacConnection::new(config(), now, false);
    assert_eq!(c.poll_timeout(), Some(now + STIMEOUT));
    c.handle_timeout(now + STIMEOUT - Duration::from_millis(1));
    assert!(events(&mut c).is_empty());
    c.handle_timeout(now + STIMEOUT);
    assert_eq!(
        events(&mut c),
        [PacEvent::Closed(PacClosed::FirstMessageTimeout(STIMEOUT))]
    );
    assert!(
        sent(&mut c).is_empty(),
        "nothing is said to a silent client"
    );
}

#[test]
fn first_message_other_than_sccrq_is_dropped() {
    let now = Instant::now();
    let mut c = PacConnection::new(config(), now, false);
    c.handle_message(now, ocrq());
    assert_eq!(
        events(&mut c),
        [PacEvent::Closed(PacClosed::NotStartRequest)]
    );
    assert!(sent(&mut c).is_empty());
}

#[test]
fn other_version_gets_result_5_and_close() {
    let now = Instant::now();
    let mut c = PacConnection::new(config(), now, false);
    c.handle_message(now, sccrq(0x0200));
    assert!(
        matches!(&sent(&mut c)[..], [ControlMessage::StartCtrlConnReply(r)] if r.result_code == 5)
    );
    assert_eq!(
        events(&mut c),
        [PacEvent::Closed(PacClosed::BadVersion(0x0200))]
    );
}

#[test]
fn refusing_connection_answers_no_resource() {
    let now = Instant::now();
    let mut c = PacConnection::new(config(), now, true);
    c.handle_message(now, sccrq(PROTOCOL_VERSION));
    match &sent(&mut c)[..] {
        [ControlMessage::StartCtrlConnReply(r)] => {
            assert_eq!(
                (r.result_code, r.error_code),
                (SCCRP_GENERAL_ERROR, ERROR_NO_RESOURCE)
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events(&mut c), [PacEvent::Closed(PacClosed::Refused)]);
}

// ==== ESTABLISHED, outgoing call ====

#[test]
fn accepted_outgoing_call_is_replied_and_up() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, ocrq());
    assert_eq!(
        events(&mut c),
        [PacEvent::CallRequested {
            peer_call_id: CLIENT_CALL
        }]
    );
    c.accept_call(now, OUR_CALL);
    match &sent(&mut c)[..] {
        [ControlMessage::OutgoingCallReply(r)] => {
            assert_eq!(
                (r.call_id, r.peer_call_id, r.result_code),
                (OUR_CALL, CLIENT_CALL, 1)
            );
            assert_eq!(r.recv_window, RECV_WINDOW);
            assert_eq!(r.connect_speed, 10_000_000);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        events(&mut c),
        [PacEvent::CallUp {
            call_id: OUR_CALL,
            peer_call_id: CLIENT_CALL,
            peer_window: 64
        }]
    );
}

#[test]
fn refused_outgoing_call_says_no_resource_and_keeps_the_connection() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, ocrq());
    events(&mut c);
    c.refuse_call(now);
    match &sent(&mut c)[..] {
        [ControlMessage::OutgoingCallReply(r)] => {
            assert_eq!(
                (r.peer_call_id, r.result_code, r.error_code),
                (CLIENT_CALL, 2, 4)
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(events(&mut c).is_empty());
    assert!(!c.is_closed());
}

#[test]
fn second_call_on_one_connection_is_busy_and_first_survives() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.handle_message(now, ocrq());
    assert!(matches!(
        &sent(&mut c)[..],
        [ControlMessage::OutgoingCallReply(r)] if r.result_code == OCRP_BUSY
    ));
    assert!(events(&mut c).is_empty(), "the live call is untouched");
}

#[test]
fn call_clear_request_is_answered_with_cdn() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.handle_message(
        now,
        ControlMessage::CallClearRequest {
            call_id: CLIENT_CALL,
        },
    );
    match &sent(&mut c)[..] {
        [ControlMessage::CallDisconnectNotify(n)] => {
            assert_eq!((n.call_id, n.result_code), (OUR_CALL, CDN_REQUEST))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        events(&mut c),
        [PacEvent::CallDown(CallEnd::ClearedByClient)]
    );
    // The client then stops the connection.
    c.handle_message(now, ControlMessage::StopCtrlConnRequest { reason: 1 });
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnReply {
            result_code: 1,
            error_code: 0
        }]
    );
    assert_eq!(
        events(&mut c),
        [PacEvent::Closed(PacClosed::ClientStopped(1))]
    );
}

#[test]
fn call_clear_for_another_call_is_ignored() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.handle_message(
        now,
        ControlMessage::CallClearRequest {
            call_id: CLIENT_CALL + 1,
        },
    );
    assert!(sent(&mut c).is_empty());
    assert!(events(&mut c).is_empty());
}

#[test]
fn pppd_exit_sends_cdn_then_stops_a_lingering_connection() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.call_ended(now);
    assert!(matches!(
        &sent(&mut c)[..],
        [ControlMessage::CallDisconnectNotify(n)] if n.call_id == OUR_CALL && n.result_code == CDN_ADMIN_SHUTDOWN
    ));
    assert_eq!(events(&mut c), [PacEvent::CallDown(CallEnd::PppdExited)]);
    c.handle_timeout(now + CALLESS_WAIT);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
    c.handle_message(now + CALLESS_WAIT, stop_reply());
    assert_eq!(events(&mut c), [PacEvent::Closed(PacClosed::Local)]);
}

#[test]
fn client_stop_with_live_call_takes_the_call_down() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.handle_message(now, ControlMessage::StopCtrlConnRequest { reason: 3 });
    assert_eq!(
        events(&mut c),
        [
            PacEvent::CallDown(CallEnd::ControlClosed),
            PacEvent::Closed(PacClosed::ClientStopped(3))
        ]
    );
}

#[test]
fn lost_connection_takes_the_call_down() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.connection_lost();
    assert_eq!(
        events(&mut c),
        [
            PacEvent::CallDown(CallEnd::ControlClosed),
            PacEvent::Closed(PacClosed::ConnectionLost)
        ]
    );
}

// ==== keepalive ====

#[test]
fn answers_echo_and_sends_its_own_when_idle() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.handle_message(now, ControlMessage::EchoRequest { identifier: 7 });
    assert_eq!(
        sent(&mut c),
        [ControlMessage::EchoReply {
            identifier: 7,
            result_code: 1,
            error_code: 0
        }]
    );
    c.handle_timeout(now + Duration::from_secs(60));
    assert_eq!(
        sent(&mut c),
        [ControlMessage::EchoRequest { identifier: 1 }]
    );
}

#[test]
fn dead_client_is_dropped_after_the_echo_wait() {
    let now = Instant::now();
    let mut c = with_call(now);
    let idle = now + Duration::from_secs(60);
    c.handle_timeout(idle);
    sent(&mut c);
    c.handle_timeout(idle + Duration::from_secs(60));
    match &sent(&mut c)[..] {
        [
            ControlMessage::CallDisconnectNotify(_),
            ControlMessage::StopCtrlConnRequest { reason: 1 },
        ] => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(events(&mut c), [PacEvent::CallDown(CallEnd::ControlClosed)]);
    c.handle_timeout(idle + Duration::from_secs(60) + TEARDOWN_WAIT);
    assert_eq!(
        events(&mut c),
        [PacEvent::Closed(PacClosed::NoEchoReply(
            Duration::from_secs(60)
        ))]
    );
}

// ==== shutdown ====

#[test]
fn shutdown_disconnects_the_call_and_stops() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.shutdown(now);
    match &sent(&mut c)[..] {
        [
            ControlMessage::CallDisconnectNotify(n),
            ControlMessage::StopCtrlConnRequest { reason: 3 },
        ] => {
            assert_eq!(n.result_code, CDN_ADMIN_SHUTDOWN)
        }
        other => panic!("{other:?}"),
    }
    c.handle_message(now, stop_reply());
    assert_eq!(
        events(&mut c),
        [
            PacEvent::CallDown(CallEnd::ControlClosed),
            PacEvent::Closed(PacClosed::Local)
        ]
    );
}

#[test]
fn shutdown_is_bounded_when_the_client_is_silent() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.shutdown(now);
    c.handle_timeout(now + TEARDOWN_WAIT);
    assert!(c.is_closed());
}

#[test]
fn shutdown_before_sccrq_closes_at_once() {
    let now = Instant::now();
    let mut c = PacConnection::new(config(), now, false);
    c.shutdown(now);
    assert_eq!(events(&mut c), [PacEvent::Closed(PacClosed::Local)]);
}

// ==== incoming-call role (mpd's PAC mode) ====

#[test]
fn incoming_call_is_replied_then_connected() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, icrq());
    events(&mut c);
    c.accept_call(now, OUR_CALL);
    assert!(matches!(
        &sent(&mut c)[..],
        [ControlMessage::IncomingCallReply(r)] if r.call_id == OUR_CALL && r.peer_call_id == CLIENT_CALL && r.result_code == 1
    ));
    assert!(events(&mut c).is_empty(), "not up before ICCN");
    c.handle_message(
        now,
        ControlMessage::IncomingCallConnected(IncomingCallConnected {
            peer_call_id: OUR_CALL,
            connect_speed: 10_000_000,
            recv_window: 32,
            transmit_delay: 0,
            framing_type: 1,
        }),
    );
    assert_eq!(
        events(&mut c),
        [PacEvent::CallUp {
            call_id: OUR_CALL,
            peer_call_id: CLIENT_CALL,
            peer_window: 32
        }]
    );
}

#[test]
fn incoming_call_without_iccn_is_dropped() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, icrq());
    c.accept_call(now, OUR_CALL);
    sent(&mut c);
    events(&mut c);
    c.handle_timeout(now + REPLY_WAIT);
    assert!(matches!(
        &sent(&mut c)[..],
        [ControlMessage::CallDisconnectNotify(_)]
    ));
    assert_eq!(events(&mut c), [PacEvent::CallDown(CallEnd::NotConnected)]);
}

#[test]
fn incoming_call_ended_by_pppd_is_cleared_with_ccrq() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, icrq());
    c.accept_call(now, OUR_CALL);
    c.handle_message(
        now,
        ControlMessage::IncomingCallConnected(IncomingCallConnected {
            peer_call_id: OUR_CALL,
            connect_speed: 0,
            recv_window: 32,
            transmit_delay: 0,
            framing_type: 1,
        }),
    );
    sent(&mut c);
    events(&mut c);
    c.call_ended(now);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::CallClearRequest { call_id: OUR_CALL }]
    );
    c.handle_message(
        now,
        ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
            call_id: CLIENT_CALL,
            result_code: 4,
            error_code: 0,
            cause_code: 0,
            call_statistics: String::new(),
        }),
    );
    assert_eq!(events(&mut c), [PacEvent::CallDown(CallEnd::PppdExited)]);
}

#[test]
fn refused_incoming_call() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, icrq());
    c.refuse_call(now);
    assert!(matches!(
        &sent(&mut c)[..],
        [ControlMessage::IncomingCallReply(r)] if r.result_code == ICRP_DO_NOT_ACCEPT
    ));
}

// ==== a new call while the previous one's pppd is still exiting ====

fn ccrq() -> ControlMessage {
    ControlMessage::CallClearRequest {
        call_id: CLIENT_CALL,
    }
}

fn iccn(peer_call_id: u16) -> ControlMessage {
    ControlMessage::IncomingCallConnected(IncomingCallConnected {
        peer_call_id,
        connect_speed: 0,
        recv_window: 32,
        transmit_delay: 0,
        framing_type: 1,
    })
}

/// A Call-Clear-Request and an Outgoing-Call-Request in one read: the new call must not
/// be placed while the cleared call's pppd still runs (it once replaced that pppd, which
/// was never reaped: zombies and lost addresses).
#[test]
fn redial_is_busy_until_the_previous_pppd_is_reaped() {
    let now = Instant::now();
    let mut c = with_call(now);
    c.handle_message(now, ccrq());
    c.handle_message(now, ocrq());
    let replies = sent(&mut c);
    assert!(
        matches!(&replies[..], [ControlMessage::CallDisconnectNotify(_), ControlMessage::OutgoingCallReply(r)] if r.result_code == OCRP_BUSY),
        "{replies:?}"
    );
    assert_eq!(
        events(&mut c),
        [PacEvent::CallDown(CallEnd::ClearedByClient)]
    );
    assert!(c.has_call(), "pppd still held");
    c.check_invariant().unwrap();
    // pppd reaped: the next request is placed.
    c.call_ended(now);
    assert!(sent(&mut c).is_empty(), "nothing to disconnect any more");
    c.handle_message(now, ocrq());
    assert_eq!(
        events(&mut c),
        [PacEvent::CallRequested {
            peer_call_id: CLIENT_CALL
        }]
    );
    assert!(c.accept_call(now, OUR_CALL + 1));
}

/// The incoming role: a second Incoming-Call-Request after the wait for
/// Incoming-Call-Connected ran out waits for the first call's pppd too.
#[test]
fn second_icrq_after_iccn_timeout_waits_for_the_reap() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, icrq());
    assert!(c.accept_call(now, OUR_CALL));
    sent(&mut c);
    events(&mut c);
    let later = now + REPLY_WAIT;
    c.handle_timeout(later);
    assert_eq!(events(&mut c), [PacEvent::CallDown(CallEnd::NotConnected)]);
    sent(&mut c);
    c.handle_message(later, icrq());
    assert!(
        events(&mut c).is_empty(),
        "no call placed while pppd is held"
    );
    assert!(matches!(
        &sent(&mut c)[..],
        [ControlMessage::IncomingCallReply(r)] if r.result_code == ICRP_DO_NOT_ACCEPT
    ));
    c.check_invariant().unwrap();
    c.call_ended(later);
    c.handle_message(later, icrq());
    assert_eq!(events(&mut c).len(), 1);
}

// ==== stopping: nothing new, always a deadline ====

/// After our Stop-Control-Connection-Request, a call request is refused and the stop's
/// deadline stays (a call was once accepted there, and the connection never ended).
#[test]
fn stopping_connection_refuses_calls_and_keeps_its_deadline() {
    let now = Instant::now();
    let mut c = established(now);
    c.shutdown(now);
    sent(&mut c);
    let deadline = c.poll_timeout();
    assert!(deadline.is_some());
    c.handle_message(now, ocrq());
    c.handle_message(now, icrq());
    assert!(
        events(&mut c).is_empty(),
        "no call requested while stopping"
    );
    match &sent(&mut c)[..] {
        [
            ControlMessage::OutgoingCallReply(o),
            ControlMessage::IncomingCallReply(i),
        ] => {
            assert_eq!((o.result_code, o.error_code), (OCRP_GENERAL_ERROR, 1));
            assert_eq!(i.result_code, ICRP_DO_NOT_ACCEPT);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.poll_timeout(), deadline);
    c.check_invariant().unwrap();
    c.handle_timeout(deadline.unwrap());
    assert_eq!(events(&mut c), [PacEvent::Closed(PacClosed::Local)]);
}

/// Shutdown while an incoming call waits for Incoming-Call-Connected: the call is
/// disconnected, and a late ICCN neither brings it up nor clears the deadline.
#[test]
fn iccn_after_shutdown_is_ignored() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, icrq());
    c.accept_call(now, OUR_CALL);
    sent(&mut c);
    events(&mut c);
    c.shutdown(now);
    assert!(matches!(
        &sent(&mut c)[..],
        [
            ControlMessage::CallDisconnectNotify(_),
            ControlMessage::StopCtrlConnRequest { reason: 3 }
        ]
    ));
    assert_eq!(events(&mut c), [PacEvent::CallDown(CallEnd::ControlClosed)]);
    c.handle_message(now, iccn(OUR_CALL));
    assert!(
        events(&mut c).is_empty(),
        "a call came up on a stopping connection"
    );
    assert!(c.poll_timeout().is_some());
    c.check_invariant().unwrap();
}

// ==== connections without a call ====

#[test]
fn established_connection_without_a_call_is_stopped_after_stimeout() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, ControlMessage::EchoRequest { identifier: 1 });
    sent(&mut c);
    c.handle_timeout(now + STIMEOUT - Duration::from_millis(1));
    assert!(sent(&mut c).is_empty());
    c.handle_timeout(now + STIMEOUT);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
    c.handle_timeout(now + STIMEOUT + TEARDOWN_WAIT);
    assert_eq!(
        events(&mut c),
        [PacEvent::Closed(PacClosed::NoCallRequest(STIMEOUT))]
    );
}

#[test]
fn refused_call_leaves_the_client_callless_wait_to_stop() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, ocrq());
    events(&mut c);
    c.refuse_call(now);
    sent(&mut c);
    c.check_invariant().unwrap();
    c.handle_timeout(now + CALLESS_WAIT);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
}

#[test]
fn shedding_stops_only_connections_without_a_call() {
    let now = Instant::now();
    let mut fresh = PacConnection::new(config(), now, false);
    fresh.shed(now);
    assert_eq!(events(&mut fresh), [PacEvent::Closed(PacClosed::Shed)]);

    let mut idle = established(now);
    idle.shed(now);
    assert_eq!(
        sent(&mut idle),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
    idle.handle_message(now, stop_reply());
    assert_eq!(events(&mut idle), [PacEvent::Closed(PacClosed::Shed)]);

    let mut busy = with_call(now);
    busy.shed(now);
    assert!(sent(&mut busy).is_empty());
    assert!(events(&mut busy).is_empty());
}

// ==== the invariant, on random conversations ====

/// Drives the machine with random messages, timeouts and loop decisions, playing the event
/// loop's part as the server does (a pppd per accepted call, reaped some time after the
/// call went down), and checks after every step: a deadline unless finished, and never a
/// call requested while a pppd is held.
#[test]
fn random_conversations_keep_the_invariant() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..3000 {
        let start = Instant::now();
        let mut now = start;
        let mut c = PacConnection::new(config(), now, rand(8) == 0);
        let mut pppd: Option<Instant> = None; // held, reaped at this time
        let mut next_id = 1u16;
        for _ in 0..60 {
            match rand(10) {
                0..=5 => {
                    let id = [CLIENT_CALL, OUR_CALL, 0, 7][rand(4) as usize];
                    let msg = match rand(12) {
                        0 => sccrq(PROTOCOL_VERSION),
                        1 => ocrq(),
                        2 => icrq(),
                        3 => iccn(id),
                        4 => ControlMessage::CallClearRequest { call_id: id },
                        5 => ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
                            call_id: id,
                            result_code: 4,
                            error_code: 0,
                            cause_code: 0,
                            call_statistics: String::new(),
                        }),
                        6 => ControlMessage::EchoRequest { identifier: 1 },
                        7 => ControlMessage::EchoReply {
                            identifier: rand(3) as u32,
                            result_code: 1,
                            error_code: 0,
                        },
                        8 => ControlMessage::StopCtrlConnRequest { reason: 1 },
                        9 => stop_reply(),
                        10 => sccrq(0x0200),
                        _ => ocrq(),
                    };
                    c.handle_message(now, msg);
                }
                6 | 7 => {
                    now += Duration::from_millis(rand(130_000));
                    if pppd.is_some_and(|t| now >= t) {
                        pppd = None;
                        c.call_ended(now);
                    }
                    c.handle_timeout(now);
                }
                8 => c.shutdown(now),
                _ => c.shed(now),
            }
            sent(&mut c);
            for event in events(&mut c) {
                match event {
                    PacEvent::CallRequested { .. } => {
                        assert!(pppd.is_none(), "a call requested while a pppd is held");
                        if rand(3) == 0 {
                            c.refuse_call(now);
                        } else if c.accept_call(now, next_id) {
                            next_id += 1;
                            pppd = Some(Instant::now() + Duration::from_secs(3600));
                        }
                    }
                    PacEvent::CallDown(_) => {
                        if let Some(t) = pppd.as_mut() {
                            *t = now + Duration::from_millis(rand(4000));
                        }
                    }
                    PacEvent::CallUp { .. } => assert!(pppd.is_some(), "up without pppd"),
                    PacEvent::Closed(_) => assert!(c.is_closed()),
                }
            }
            if let Err(e) = c.check_invariant() {
                panic!("after {:?}: {e}", now - start);
            }
        }
    }
}

#[test]
fn terminate_disconnects_the_call_and_expects_the_client_to_stop() {
    let now = Instant::now();
    let mut c = with_call(now);
    assert!(c.terminate(now, "the administrator"));
    assert!(matches!(
        &sent(&mut c)[..],
        [ControlMessage::CallDisconnectNotify(n)] if n.result_code == CDN_ADMIN_SHUTDOWN
    ));
    assert_eq!(
        events(&mut c),
        [PacEvent::CallDown(CallEnd::Terminated("the administrator"))]
    );
    c.check_invariant().unwrap();
    assert!(!c.terminate(now, "again"), "nothing left to end");
    c.handle_timeout(now + CALLESS_WAIT);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
}

#[test]
fn a_carried_call_without_keepalive_needs_no_deadline() {
    // Found by fuzzing (tests/fuzz, target pac): the invariant asked for a deadline where
    // the machine rightly has none, a call carried with idle_wait None.
    let now = Instant::now();
    let quiet = PacConfig {
        idle_wait: None,
        ..config()
    };
    let mut c = PacConnection::new(quiet, now, false);
    c.handle_message(now, sccrq(PROTOCOL_VERSION));
    c.handle_message(now, ocrq());
    events(&mut c);
    assert!(c.accept_call(now, OUR_CALL));
    assert_eq!(c.poll_timeout(), None);
    c.check_invariant().unwrap();
    c.call_ended(now);
    assert!(c.poll_timeout().is_some());
    c.check_invariant().unwrap();
}
