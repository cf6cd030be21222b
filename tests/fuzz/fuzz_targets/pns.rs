//! The client's control machine (proto::pns), driven as pptp's event loop drives it, by a
//! program read from the input one byte at a time (the first byte picks the configuration:
//! outgoing or incoming call, keepalive on or off, the Bezeq quirk):
//!
//! - `0x00..=0x3f`: a whole message from the server, from a menu (low nibble) with a Call
//!   ID chosen by bits 4-5 (the server's, ours, 0 or the next two input bytes);
//! - `0x40..=0x5f`: time passes by `step(next byte)`, then the machine's timers run;
//! - `0x60..=0x7f`: the loop wakes at the machine's own deadline (plus the low bits in ms);
//! - `0x80..=0x9f`: pppd exits (close), the tunnel fails (abort), TCP is lost, a message
//!   stays half-sent;
//! - `0xa0..=0xff`: raw control-stream bytes, `(b & 0x3f) + 1` of them, framed by the
//!   product's own `take_messages`.
//!
//! Asserted after every step: the machine's invariant (a deadline in every state but a
//! call that is up), one CallUp at most and only while open, one Closed event and nothing
//! after it, a bounded number of replies per message, and no deadline left in the past
//! once the timers ran.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::{Clock, Input, MAX_REPLIES_PER_STEP, StreamIn};
use pptp_rs::proto::control::StreamFailure;
use pptp_rs::proto::pns::{CloseReason, PnsConfig, PnsConnection, PnsEvent};
use pptp_rs::wire::ctrl::{
    CallDisconnectNotify, ControlMessage, IncomingCallReply, IncomingCallRequest,
    OutgoingCallReply, OutgoingCallRequest, PROTOCOL_VERSION, SetLinkInfo, StartCtrlConn,
};

const OUR_CALL: u16 = 0x1234;
const SERVER_CALL: u16 = 0x80;

struct Loop {
    clock: Clock,
    c: PnsConnection,
    stream: StreamIn,
    up: bool,
    closed: bool,
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.u8();
    let config = PnsConfig {
        call_id: OUR_CALL,
        phone: "42".into(),
        calling_number: String::new(),
        incoming_call: flags & 1 != 0,
        sync: flags & 2 != 0,
        idle_wait: (flags & 4 == 0).then(|| Duration::from_secs(60)),
        max_echo_wait: Duration::from_secs(60),
        bezeq_quirk: flags & 8 != 0,
        host_name: "client".into(),
    };
    let clock = Clock::new();
    let c = PnsConnection::new(config, clock.now);
    let mut l = Loop {
        clock,
        c,
        stream: StreamIn::default(),
        up: false,
        closed: false,
    };
    l.outputs();
    while !input.is_empty() {
        let b = input.u8();
        match b {
            0x00..=0x3f => {
                let msg = message(b, &mut input);
                l.c.handle_message(l.clock.now, msg);
                l.outputs();
            }
            0x40..=0x5f => {
                l.clock.advance(input.u8());
                l.timers();
            }
            0x60..=0x7f => {
                if let Some(d) = l.c.poll_timeout() {
                    l.clock
                        .advance_to(d + Duration::from_millis(u64::from(b & 0x1f)));
                }
                l.timers();
            }
            0x80..=0x9f => {
                let now = l.clock.now;
                match b % 4 {
                    0 => l.c.close(now),
                    1 => l.c.abort(now, "fuzz"),
                    2 => l.c.connection_lost(CloseReason::ConnectionLost),
                    _ => {
                        if l.stream.partial() {
                            l.c.stream_failed(StreamFailure::Incomplete(Duration::from_secs(10)))
                        }
                    }
                }
                l.outputs();
            }
            _ => {
                let bytes = input.bytes(usize::from(b & 0x3f) + 1);
                let mut msgs = Vec::new();
                let failed = l.stream.read(bytes, |m| msgs.push(m));
                for m in msgs {
                    l.c.handle_message(l.clock.now, m);
                    l.outputs();
                }
                if let Some(why) = failed {
                    l.c.stream_failed(why);
                    l.outputs();
                }
            }
        }
    }
});

fn message(b: u8, input: &mut Input<'_>) -> ControlMessage {
    let id = [SERVER_CALL, OUR_CALL, 0, input.u16()][usize::from((b >> 4) & 3)];
    let start = |version, result| StartCtrlConn {
        protocol_version: version,
        result_code: result,
        error_code: 0,
        framing_capabilities: 3,
        bearer_capabilities: 3,
        maximum_channels: 1,
        firmware_revision: 1,
        host_name: "server".into(),
        vendor: "fuzz".into(),
    };
    match b & 0x0f {
        0 => ControlMessage::StartCtrlConnReply(start(PROTOCOL_VERSION, 1)),
        1 => ControlMessage::OutgoingCallReply(OutgoingCallReply {
            call_id: SERVER_CALL,
            peer_call_id: id,
            result_code: 1,
            error_code: 0,
            cause_code: 0,
            connect_speed: 10_000_000,
            recv_window: 64,
            processing_delay: 0,
            physical_channel_id: 0,
        }),
        2 => ControlMessage::IncomingCallReply(IncomingCallReply {
            call_id: SERVER_CALL,
            peer_call_id: id,
            result_code: 1,
            error_code: 0,
            recv_window: 64,
            transmit_delay: 0,
        }),
        3 => ControlMessage::CallClearRequest { call_id: id },
        4 => ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
            call_id: id,
            result_code: 3,
            error_code: 0,
            cause_code: 0,
            call_statistics: "fuzz".into(),
        }),
        5 => ControlMessage::EchoRequest {
            identifier: u32::from(id),
        },
        6 => ControlMessage::EchoReply {
            identifier: u32::from(id & 3),
            result_code: 1,
            error_code: 0,
        },
        7 => ControlMessage::StopCtrlConnRequest { reason: id as u8 },
        8 => ControlMessage::StopCtrlConnReply {
            result_code: 1,
            error_code: 0,
        },
        // A refusal, a modem's result 0, another version.
        9 => ControlMessage::StartCtrlConnReply(start(PROTOCOL_VERSION, id as u8)),
        10 => ControlMessage::StartCtrlConnReply(start(id, 1)),
        11 => ControlMessage::OutgoingCallReply(OutgoingCallReply {
            call_id: SERVER_CALL,
            peer_call_id: OUR_CALL,
            result_code: id as u8,
            error_code: (id >> 8) as u8,
            cause_code: 0,
            connect_speed: 0,
            recv_window: 0,
            processing_delay: 0,
            physical_channel_id: 0,
        }),
        12 => ControlMessage::OutgoingCallRequest(OutgoingCallRequest {
            call_id: id,
            call_serial: 1,
            minimum_bps: 0,
            maximum_bps: 0,
            bearer_type: 3,
            framing_type: 3,
            recv_window: 0,
            processing_delay: 0,
            phone_number: String::new(),
            subaddress: String::new(),
        }),
        13 => ControlMessage::IncomingCallRequest(IncomingCallRequest {
            call_id: id,
            call_serial: 1,
            bearer_type: 3,
            physical_channel_id: 0,
            dialed_number: String::new(),
            dialing_number: String::new(),
            subaddress: String::new(),
        }),
        14 => ControlMessage::SetLinkInfo(SetLinkInfo {
            peer_call_id: id,
            send_accm: 0,
            recv_accm: 0,
        }),
        _ => ControlMessage::IncomingCallReply(IncomingCallReply {
            call_id: SERVER_CALL,
            peer_call_id: OUR_CALL,
            result_code: id as u8,
            error_code: 0,
            recv_window: 0,
            transmit_delay: 0,
        }),
    }
}

impl Loop {
    fn timers(&mut self) {
        let now = self.clock.now;
        self.c.handle_timeout(now);
        self.outputs();
        if let Some(d) = self.c.poll_timeout() {
            assert!(d > now, "a deadline left in the past after handle_timeout");
        }
    }

    fn outputs(&mut self) {
        let sent = std::iter::from_fn(|| self.c.poll_transmit()).count();
        assert!(sent <= MAX_REPLIES_PER_STEP, "{sent} messages in one step");
        assert!(!(self.closed && sent > 0), "sent after closing");
        while let Some(event) = self.c.poll_event() {
            assert!(!self.closed, "an event after Closed: {event:?}");
            match event {
                PnsEvent::CallUp { peer_call_id, .. } => {
                    assert!(!self.up, "a second CallUp");
                    assert_eq!(peer_call_id, SERVER_CALL);
                    self.up = true;
                }
                PnsEvent::Closed(_) => {
                    assert!(self.c.is_closed());
                    self.closed = true;
                }
            }
        }
        if let Err(e) = self.c.check_invariant() {
            panic!("after {:?}: {e}", self.clock.now - self.clock.start);
        }
        assert_eq!(
            self.closed,
            self.c.is_closed(),
            "closed without a Closed event"
        );
        assert!(
            !self.c.call_up() || self.up,
            "call up without a CallUp event"
        );
    }
}
