//! Tests of the client's control connection, one section per state, with a fake clock.

use super::*;
use crate::proto::testing::{VERSION, drain_fns, start_conn};
use crate::wire::ctrl::{CallDisconnectNotify, IncomingCallReply};

const OUR_CALL: u16 = 0x1234;
const PEER_CALL: u16 = 0x0080;

fn config() -> PnsConfig {
    PnsConfig {
        call_id: OUR_CALL,
        phone: "42".into(),
        calling_number: String::new(),
        incoming_call: false,
        sync: false,
        idle_wait: Some(Duration::from_secs(60)),
        max_echo_wait: Duration::from_secs(60),
        bezeq_quirk: false,
        host_name: "local".into(),
    }
}

drain_fns!(PnsConnection, PnsEvent);

fn sccrp(result: u8) -> ControlMessage {
    ControlMessage::StartCtrlConnReply(start_conn(VERSION, result, "linux"))
}

fn ocrp(result: u8, peer_call_id: u16) -> ControlMessage {
    ControlMessage::OutgoingCallReply(OutgoingCallReply {
        call_id: PEER_CALL,
        peer_call_id,
        result_code: result,
        error_code: 0,
        cause_code: 0,
        connect_speed: 10_000_000,
        recv_window: 16,
        processing_delay: 0,
        physical_channel_id: 0,
    })
}

fn cdn(call_id: u16) -> ControlMessage {
    ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
        call_id,
        result_code: 3,
        error_code: 0,
        cause_code: 0,
        call_statistics: String::new(),
    })
}

/// A connection whose call is up, with everything sent so far drained.
fn established(now: Instant) -> PnsConnection {
    let mut c = PnsConnection::new(config(), now);
    c.handle_message(now, sccrp(1));
    c.handle_message(now, ocrp(1, OUR_CALL));
    sent(&mut c);
    assert!(matches!(events(&mut c)[..], [PnsEvent::CallUp { .. }]));
    c
}

fn closed_reason(c: &mut PnsConnection) -> CloseReason {
    match events(c)[..] {
        [PnsEvent::Closed(ref r)] => r.clone(),
        ref other => panic!("expected one Closed event, got {other:?}"),
    }
}

// ==== WAIT_CTL_REPLY ====

#[test]
fn starts_with_sccrq() {
    let mut c = PnsConnection::new(config(), Instant::now());
    match &sent(&mut c)[..] {
        [ControlMessage::StartCtrlConnRequest(s)] => {
            assert_eq!(s.protocol_version, 0x0100);
            assert_eq!(s.maximum_channels, 0, "RFC 2637 2.1: a PNS sends 0");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.poll_timeout(), Some(c.reply_deadline.unwrap()));
}

#[test]
fn sccrp_success_places_the_outgoing_call() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    sent(&mut c);
    c.handle_message(now, sccrp(1));
    match &sent(&mut c)[..] {
        [ControlMessage::OutgoingCallRequest(r)] => {
            assert_eq!(r.call_id, OUR_CALL);
            assert_eq!(r.phone_number, "42");
            assert_eq!(r.recv_window, RECV_WINDOW);
            assert_eq!(r.framing_type, framing::ASYNC);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sccrp_result_0_is_accepted_for_adsl_modems() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.handle_message(now, sccrp(0));
    assert!(matches!(
        sent(&mut c)[..],
        [_, ControlMessage::OutgoingCallRequest(_)]
    ));
}

#[test]
fn sccrp_refusal_closes_with_the_reason() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.handle_message(now, sccrp(4));
    assert_eq!(
        closed_reason(&mut c),
        CloseReason::StartRefused {
            result: 4,
            error: 0
        }
    );
    assert!(c.is_closed());
}

#[test]
fn sccrp_wrong_version_stops_with_reason_2() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    sent(&mut c);
    let mut reply = sccrp(1);
    if let ControlMessage::StartCtrlConnReply(s) = &mut reply {
        s.protocol_version = 0x0200;
    }
    c.handle_message(now, reply);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 2 }]
    );
    c.handle_message(
        now,
        ControlMessage::StopCtrlConnReply {
            result_code: 1,
            error_code: 0,
        },
    );
    assert_eq!(closed_reason(&mut c), CloseReason::BadVersion(0x0200));
}

#[test]
fn no_sccrp_times_out_within_seconds() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.handle_timeout(now + REPLY_WAIT - Duration::from_millis(1));
    assert!(events(&mut c).is_empty());
    c.handle_timeout(now + REPLY_WAIT);
    assert_eq!(
        closed_reason(&mut c),
        CloseReason::NoReply("start-control-connection-reply")
    );
}

#[test]
fn local_close_before_sccrp_ends_at_once() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    sent(&mut c);
    c.close(now);
    assert_eq!(closed_reason(&mut c), CloseReason::Local);
}

// ==== WAIT_CALL_REPLY ====

#[test]
fn ocrp_success_reports_call_up() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.handle_message(now, sccrp(1));
    c.handle_message(now, ocrp(1, OUR_CALL));
    assert_eq!(
        events(&mut c),
        [PnsEvent::CallUp {
            peer_call_id: PEER_CALL,
            peer_window: 16,
            connect_speed: 10_000_000
        }]
    );
    assert!(c.call_up());
}

#[test]
fn ocrp_for_another_call_is_ignored() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.handle_message(now, sccrp(1));
    c.handle_message(now, ocrp(1, OUR_CALL + 1));
    assert!(events(&mut c).is_empty());
    assert!(!c.call_up());
}

#[test]
fn ocrp_refusal_stops_the_connection_and_reports_why() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.handle_message(now, sccrp(1));
    sent(&mut c);
    c.handle_message(now, ocrp(4, OUR_CALL));
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
    c.handle_message(
        now,
        ControlMessage::StopCtrlConnReply {
            result_code: 1,
            error_code: 0,
        },
    );
    let reason = closed_reason(&mut c);
    assert_eq!(
        reason,
        CloseReason::CallRefused {
            result: 4,
            error: 0,
            cause: 0
        }
    );
    assert!(reason.to_string().contains("busy"));
}

#[test]
fn no_ocrp_times_out_and_stops() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.handle_message(now, sccrp(1));
    sent(&mut c);
    c.handle_timeout(now + REPLY_WAIT);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
    c.handle_timeout(now + REPLY_WAIT + TEARDOWN_WAIT);
    assert_eq!(
        closed_reason(&mut c),
        CloseReason::NoReply("outgoing-call-reply")
    );
}

// ==== CALL_UP ====

#[test]
fn answers_echo_requests() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, ControlMessage::EchoRequest { identifier: 99 });
    assert_eq!(
        sent(&mut c),
        [ControlMessage::EchoReply {
            identifier: 99,
            result_code: 1,
            error_code: 0
        }]
    );
}

#[test]
fn idle_connection_sends_echo_and_closes_without_reply() {
    let now = Instant::now();
    let mut c = established(now);
    let idle = now + Duration::from_secs(60);
    c.handle_timeout(idle);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::EchoRequest { identifier: 1 }]
    );
    c.handle_timeout(idle + Duration::from_secs(59));
    assert!(sent(&mut c).is_empty());
    c.handle_timeout(idle + Duration::from_secs(60));
    assert_eq!(
        sent(&mut c),
        [ControlMessage::CallClearRequest { call_id: OUR_CALL }]
    );
}

#[test]
fn echo_reply_keeps_the_connection() {
    let now = Instant::now();
    let mut c = established(now);
    let idle = now + Duration::from_secs(60);
    c.handle_timeout(idle);
    sent(&mut c);
    c.handle_message(
        idle,
        ControlMessage::EchoReply {
            identifier: 1,
            result_code: 1,
            error_code: 0,
        },
    );
    c.handle_timeout(idle + Duration::from_secs(60));
    // The next idle period sends the next echo; nothing closes.
    assert_eq!(
        sent(&mut c),
        [ControlMessage::EchoRequest { identifier: 2 }]
    );
    assert!(c.call_up());
}

#[test]
fn idle_wait_none_disables_keepalive() {
    let now = Instant::now();
    let mut c = PnsConnection::new(
        PnsConfig {
            idle_wait: None,
            ..config()
        },
        now,
    );
    c.handle_message(now, sccrp(1));
    c.handle_message(now, ocrp(1, OUR_CALL));
    sent(&mut c);
    assert_eq!(c.poll_timeout(), None);
    c.handle_timeout(now + Duration::from_secs(3600));
    assert!(sent(&mut c).is_empty());
}

#[test]
fn server_cdn_stops_the_connection_and_reports_it() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, cdn(PEER_CALL));
    assert!(!c.call_up());
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
    c.handle_message(
        now,
        ControlMessage::StopCtrlConnReply {
            result_code: 1,
            error_code: 0,
        },
    );
    assert!(matches!(
        closed_reason(&mut c),
        CloseReason::CallDisconnected { result: 3, .. }
    ));
}

#[test]
fn cdn_for_another_call_is_ignored() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, cdn(PEER_CALL + 1));
    assert!(c.call_up());
    assert!(sent(&mut c).is_empty());
}

#[test]
fn server_stop_request_is_answered_and_closes() {
    let now = Instant::now();
    let mut c = established(now);
    c.handle_message(now, ControlMessage::StopCtrlConnRequest { reason: 3 });
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnReply {
            result_code: 1,
            error_code: 0
        }]
    );
    assert_eq!(
        closed_reason(&mut c),
        CloseReason::PeerStopped { reason: 3 }
    );
}

#[test]
fn outgoing_call_request_from_server_is_refused() {
    let now = Instant::now();
    let mut c = established(now);
    let ocrq = OutgoingCallRequest {
        call_id: 5,
        call_serial: 0,
        minimum_bps: 0,
        maximum_bps: 0,
        bearer_type: 3,
        framing_type: 3,
        recv_window: 3,
        processing_delay: 0,
        phone_number: String::new(),
        subaddress: String::new(),
    };
    c.handle_message(now, ControlMessage::OutgoingCallRequest(ocrq));
    match &sent(&mut c)[..] {
        [ControlMessage::OutgoingCallReply(r)] => {
            assert_eq!(
                (r.peer_call_id, r.result_code),
                (5, OutgoingResult::DoNotAccept.code())
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(c.call_up());
}

#[test]
fn connection_lost_closes_at_once() {
    let now = Instant::now();
    let mut c = established(now);
    c.connection_lost(CloseReason::ConnectionLost);
    assert!(c.is_closed());
    assert_eq!(closed_reason(&mut c), CloseReason::ConnectionLost);
}

// ==== orderly local close ====

#[test]
fn local_close_clears_the_call_then_stops() {
    let now = Instant::now();
    let mut c = established(now);
    c.close(now);
    assert_eq!(
        sent(&mut c),
        [ControlMessage::CallClearRequest { call_id: OUR_CALL }]
    );
    c.handle_message(now, cdn(PEER_CALL));
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 3 }]
    );
    c.handle_message(
        now,
        ControlMessage::StopCtrlConnReply {
            result_code: 1,
            error_code: 0,
        },
    );
    assert_eq!(closed_reason(&mut c), CloseReason::Local);
}

#[test]
fn local_close_is_bounded_when_the_server_is_silent() {
    let now = Instant::now();
    let mut c = established(now);
    c.close(now);
    c.handle_timeout(now + TEARDOWN_WAIT);
    assert_eq!(
        sent(&mut c)[1..],
        [ControlMessage::StopCtrlConnRequest { reason: 3 }]
    );
    c.handle_timeout(now + TEARDOWN_WAIT * 2);
    assert_eq!(closed_reason(&mut c), CloseReason::Local);
}

#[test]
fn closing_twice_sends_nothing_more() {
    let now = Instant::now();
    let mut c = established(now);
    c.close(now);
    sent(&mut c);
    c.close(now);
    assert!(sent(&mut c).is_empty());
}

// ==== incoming-call role (mpd's PAC mode) ====

fn incoming_config() -> PnsConfig {
    PnsConfig {
        incoming_call: true,
        calling_number: "5551234".into(),
        ..config()
    }
}

fn icrp(result: u8) -> ControlMessage {
    ControlMessage::IncomingCallReply(IncomingCallReply {
        call_id: PEER_CALL,
        peer_call_id: OUR_CALL,
        result_code: result,
        error_code: 0,
        recv_window: 8,
        transmit_delay: 0,
    })
}

#[test]
fn incoming_call_is_requested_replied_and_connected() {
    let now = Instant::now();
    let mut c = PnsConnection::new(incoming_config(), now);
    c.handle_message(now, sccrp(1));
    match &sent(&mut c)[..] {
        [_, ControlMessage::IncomingCallRequest(r)] => {
            assert_eq!(r.call_id, OUR_CALL);
            assert_eq!(r.dialed_number, "42");
            assert_eq!(r.dialing_number, "5551234");
        }
        other => panic!("{other:?}"),
    }
    c.handle_message(now, icrp(1));
    match &sent(&mut c)[..] {
        [ControlMessage::IncomingCallConnected(r)] => assert_eq!(r.peer_call_id, PEER_CALL),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        events(&mut c)[..],
        [PnsEvent::CallUp {
            peer_call_id: PEER_CALL,
            peer_window: 8,
            ..
        }]
    ));
}

#[test]
fn incoming_call_local_close_sends_cdn() {
    let now = Instant::now();
    let mut c = PnsConnection::new(incoming_config(), now);
    c.handle_message(now, sccrp(1));
    c.handle_message(now, icrp(1));
    sent(&mut c);
    c.close(now);
    match &sent(&mut c)[..] {
        [
            ControlMessage::CallDisconnectNotify(n),
            ControlMessage::StopCtrlConnRequest { reason: 3 },
        ] => {
            assert_eq!(
                (n.call_id, n.result_code),
                (OUR_CALL, DisconnectResult::AdminShutdown.code())
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incoming_call_clear_request_is_answered_with_cdn() {
    let now = Instant::now();
    let mut c = PnsConnection::new(incoming_config(), now);
    c.handle_message(now, sccrp(1));
    c.handle_message(now, icrp(1));
    sent(&mut c);
    c.handle_message(now, ControlMessage::CallClearRequest { call_id: PEER_CALL });
    match &sent(&mut c)[..] {
        [
            ControlMessage::CallDisconnectNotify(n),
            ControlMessage::StopCtrlConnRequest { .. },
        ] => {
            assert_eq!(n.result_code, DisconnectResult::Request.code())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incoming_call_refused() {
    let now = Instant::now();
    let mut c = PnsConnection::new(incoming_config(), now);
    c.handle_message(now, sccrp(1));
    sent(&mut c);
    c.handle_message(now, icrp(3));
    assert_eq!(
        sent(&mut c),
        [ControlMessage::StopCtrlConnRequest { reason: 1 }]
    );
}

// ==== quirks ====

#[test]
fn bezeq_quirk_keeps_our_call_id_and_sends_set_link_info() {
    let now = Instant::now();
    let mut c = PnsConnection::new(
        PnsConfig {
            bezeq_quirk: true,
            ..config()
        },
        now,
    );
    match &sent(&mut c)[..] {
        [ControlMessage::StartCtrlConnRequest(s)] => {
            assert_eq!(
                (s.host_name.as_str(), s.vendor.as_str()),
                ("RELAY_PPP1", "MS Win NT")
            )
        }
        other => panic!("{other:?}"),
    }
    c.handle_message(now, sccrp(1));
    match &sent(&mut c)[..] {
        [ControlMessage::OutgoingCallRequest(r)] => {
            assert_eq!(r.call_id, OUR_CALL, "pptp-linux's template sent 0 here");
            assert_eq!(r.phone_number, "RELAY_PPP1");
        }
        other => panic!("{other:?}"),
    }
    c.handle_message(now, ocrp(1, OUR_CALL));
    assert!(matches!(
        sent(&mut c)[..],
        [ControlMessage::SetLinkInfo(SetLinkInfo {
            peer_call_id: PEER_CALL,
            send_accm: 0xffff_ffff,
            ..
        })]
    ));
}

#[test]
fn connection_lost_during_close_keeps_the_local_reason() {
    let now = Instant::now();
    let mut c = established(now);
    c.close(now);
    c.connection_lost(CloseReason::ConnectionLost);
    assert_eq!(closed_reason(&mut c), CloseReason::Local);
}

#[test]
fn every_state_but_a_call_that_is_up_has_a_deadline() {
    let now = Instant::now();
    let mut c = PnsConnection::new(config(), now);
    c.check_invariant().unwrap();
    c.handle_message(now, sccrp(1));
    c.check_invariant().unwrap();
    c.handle_message(now, ocrp(1, OUR_CALL));
    c.check_invariant().unwrap();
    c.close(now);
    c.check_invariant().unwrap();
    // Without keepalive a call that is up has no deadline, and the invariant allows it; the
    // close that follows has one again.
    let mut quiet = PnsConnection::new(
        PnsConfig {
            idle_wait: None,
            ..config()
        },
        now,
    );
    quiet.handle_message(now, sccrp(1));
    quiet.handle_message(now, ocrp(1, OUR_CALL));
    assert_eq!(quiet.poll_timeout(), None);
    quiet.check_invariant().unwrap();
    quiet.close(now);
    quiet.check_invariant().unwrap();
    assert!(quiet.poll_timeout().is_some());
}
