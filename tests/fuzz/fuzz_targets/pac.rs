//! The server's control machine (proto::pac), driven as pptpd's event loop drives it, by a
//! program read from the input one byte at a time:
//!
//! - `0x00..=0x3f`: a whole message from the client, from a menu (low nibble) with a Call
//!   ID chosen by bits 4-5 (the client's, ours, 0 or a stranger's);
//! - `0x40..=0x5f`: time passes by `step(next byte)`, then the machine's timers run;
//! - `0x60..=0x7f`: the loop wakes at the machine's own deadline (plus the low bits in ms);
//! - `0x80..=0x9f`: a decision of the loop: accept or refuse a call, pppd exits, shutdown,
//!   shed, terminate, the TCP connection is lost or a message stays half-sent;
//! - `0xa0..=0xff`: raw control-stream bytes, `(b & 0x3f) + 1` of them, framed by the
//!   product's own `take_messages` as `link::ctrl_stream` does (so an input can also be a
//!   captured TCP stream, cut anywhere).
//!
//! Asserted after every step: the machine's invariant (a deadline in every state but a
//! carried call), no call requested while the previous call's pppd is held, no call up
//! without a pppd, one Closed event and nothing after it, a bounded number of replies per
//! message, and no deadline left in the past once the timers ran.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::{Clock, Input, MAX_REPLIES_PER_STEP, StreamIn};
use pptp_rs::proto::control::StreamFailure;
use pptp_rs::proto::pac::{PacConfig, PacConnection, PacEvent};
use pptp_rs::wire::ctrl::{
    CallDisconnectNotify, ControlMessage, IncomingCallConnected, IncomingCallReply,
    IncomingCallRequest, OutgoingCallReply, OutgoingCallRequest, PROTOCOL_VERSION, SetLinkInfo,
    StartCtrlConn, WanErrorNotify,
};

const CLIENT_CALL: u16 = 0x4d2;

struct Loop {
    clock: Clock,
    c: PacConnection,
    stream: StreamIn,
    /// The accepted call's pppd: held from accept until reaped, reaped at this time once
    /// its call went down.
    pppd: Option<Option<std::time::Instant>>,
    next_id: u16,
    our_call: u16,
    closed: bool,
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.u8();
    let config = PacConfig {
        idle_wait: (flags & 1 == 0).then(|| Duration::from_secs(60)),
        max_echo_wait: Duration::from_secs(60),
        first_message_wait: Duration::from_secs(10),
        host_name: "pptpd".into(),
    };
    let clock = Clock::new();
    let c = PacConnection::new(config, clock.now, flags & 2 != 0);
    let mut l = Loop {
        clock,
        c,
        stream: StreamIn::default(),
        pppd: None,
        next_id: 1,
        our_call: 1,
        closed: false,
    };
    l.check();
    while !input.is_empty() {
        let b = input.u8();
        match b {
            0x00..=0x3f => {
                let msg = l.message(b, &mut input);
                l.deliver(msg, &mut input);
            }
            0x40..=0x5f => {
                l.clock.advance(input.u8());
                l.timers(&mut input);
            }
            0x60..=0x7f => {
                if let Some(d) = l.c.poll_timeout() {
                    l.clock
                        .advance_to(d + Duration::from_millis(u64::from(b & 0x1f)));
                }
                l.timers(&mut input);
            }
            0x80..=0x9f => l.decide(b & 0x1f, &mut input),
            _ => {
                let bytes = input.bytes(usize::from(b & 0x3f) + 1);
                let mut msgs = Vec::new();
                let failed = l.stream.read(bytes, |m| msgs.push(m));
                for m in msgs {
                    l.deliver(m, &mut input);
                }
                if let Some(why) = failed {
                    l.c.stream_failed(why);
                    l.outputs(&mut input);
                }
            }
        }
    }
});

impl Loop {
    fn message(&self, b: u8, input: &mut Input<'_>) -> ControlMessage {
        let id = [CLIENT_CALL, self.our_call, 0, input.u16()][usize::from((b >> 4) & 3)];
        let start = |version| StartCtrlConn {
            protocol_version: version,
            result_code: 0,
            error_code: 0,
            framing_capabilities: 3,
            bearer_capabilities: 3,
            maximum_channels: 0,
            firmware_revision: 1,
            host_name: "client".into(),
            vendor: "fuzz".into(),
        };
        match b & 0x0f {
            0 => ControlMessage::StartCtrlConnRequest(start(PROTOCOL_VERSION)),
            1 => ControlMessage::OutgoingCallRequest(OutgoingCallRequest {
                call_id: id,
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
            2 => ControlMessage::IncomingCallRequest(IncomingCallRequest {
                call_id: id,
                call_serial: 1,
                bearer_type: 3,
                physical_channel_id: 0,
                dialed_number: "42".into(),
                dialing_number: String::new(),
                subaddress: String::new(),
            }),
            3 => ControlMessage::IncomingCallConnected(IncomingCallConnected {
                peer_call_id: id,
                connect_speed: 10_000_000,
                recv_window: 64,
                transmit_delay: 0,
                framing_type: 3,
            }),
            4 => ControlMessage::CallClearRequest { call_id: id },
            5 => ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
                call_id: id,
                result_code: 4,
                error_code: 0,
                cause_code: 0,
                call_statistics: String::new(),
            }),
            6 => ControlMessage::EchoRequest {
                identifier: u32::from(id),
            },
            7 => ControlMessage::EchoReply {
                identifier: u32::from(id & 3),
                result_code: 1,
                error_code: 0,
            },
            8 => ControlMessage::StopCtrlConnRequest { reason: id as u8 },
            9 => ControlMessage::StopCtrlConnReply {
                result_code: 1,
                error_code: 0,
            },
            10 => ControlMessage::StartCtrlConnRequest(start(id)),
            11 => ControlMessage::SetLinkInfo(SetLinkInfo {
                peer_call_id: id,
                send_accm: 0,
                recv_accm: 0,
            }),
            12 => ControlMessage::WanErrorNotify(WanErrorNotify {
                peer_call_id: id,
                crc_errors: 1,
                framing_errors: 0,
                hardware_overruns: 0,
                buffer_overruns: 0,
                timeout_errors: 0,
                alignment_errors: 0,
            }),
            13 => ControlMessage::OutgoingCallReply(OutgoingCallReply {
                call_id: id,
                peer_call_id: id,
                result_code: 1,
                error_code: 0,
                cause_code: 0,
                connect_speed: 0,
                recv_window: 0,
                processing_delay: 0,
                physical_channel_id: 0,
            }),
            14 => ControlMessage::StartCtrlConnReply(start(PROTOCOL_VERSION)),
            _ => ControlMessage::IncomingCallReply(IncomingCallReply {
                call_id: id,
                peer_call_id: id,
                result_code: 1,
                error_code: 0,
                recv_window: 0,
                transmit_delay: 0,
            }),
        }
    }

    fn deliver(&mut self, msg: ControlMessage, input: &mut Input<'_>) {
        self.c.handle_message(self.clock.now, msg);
        self.outputs(input);
    }

    fn timers(&mut self, input: &mut Input<'_>) {
        let now = self.clock.now;
        if let Some(Some(reap)) = self.pppd
            && now >= reap
        {
            self.pppd = None;
            self.c.call_ended(now);
        }
        self.c.handle_timeout(now);
        self.outputs(input);
        if let Some(d) = self.c.poll_timeout() {
            assert!(d > now, "a deadline left in the past after handle_timeout");
        }
    }

    fn decide(&mut self, what: u8, input: &mut Input<'_>) {
        let now = self.clock.now;
        match what % 8 {
            // Accepting with nothing requested must do nothing (the loop stops its pppd).
            0 => assert!(!self.c.accept_call(now, self.next_id)),
            1 => self.c.refuse_call(now),
            // pppd exits on its own (its call may still be up).
            2 => {
                if self.pppd.take().is_some() {
                    self.c.call_ended(now);
                }
            }
            3 => self.c.shutdown(now),
            4 => self.c.shed(now),
            5 => {
                let was_up = self.c.call_is_up();
                let ended = self.c.terminate(now, "fuzz");
                assert!(!ended || was_up || self.pppd.is_some());
            }
            6 => self.c.connection_lost(),
            _ => {
                if self.stream.partial() {
                    self.c
                        .stream_failed(StreamFailure::Incomplete(Duration::from_secs(10)));
                }
            }
        }
        self.outputs(input);
    }

    /// Drains what the machine said and did, playing the loop's part.
    fn outputs(&mut self, input: &mut Input<'_>) {
        let sent = std::iter::from_fn(|| self.c.poll_transmit()).count();
        assert!(sent <= MAX_REPLIES_PER_STEP, "{sent} messages in one step");
        assert!(!(self.closed && sent > 0), "sent after closing");
        while let Some(event) = self.c.poll_event() {
            assert!(!self.closed, "an event after Closed: {event:?}");
            match event {
                PacEvent::CallRequested { .. } => {
                    assert!(self.pppd.is_none(), "a call requested while a pppd is held");
                    // The loop decides at once: a free address or not.
                    if input.u8() & 3 == 3 {
                        self.c.refuse_call(self.clock.now);
                    } else {
                        let id = self.next_id;
                        if self.c.accept_call(self.clock.now, id) {
                            self.our_call = id;
                            self.next_id = self.next_id.wrapping_add(1).max(1);
                            self.pppd = Some(None);
                        }
                    }
                    let sent = std::iter::from_fn(|| self.c.poll_transmit()).count();
                    assert!(sent <= MAX_REPLIES_PER_STEP);
                }
                PacEvent::CallUp { call_id, .. } => {
                    assert!(self.pppd.is_some(), "a call up without a pppd");
                    assert_eq!(call_id, self.our_call);
                }
                PacEvent::CallDown(_) => {
                    if let Some(reap) = self.pppd.as_mut() {
                        reap.get_or_insert(self.clock.now + pptp_fuzz::step(input.u8()));
                    }
                }
                PacEvent::Closed(_) => {
                    assert!(self.c.is_closed());
                    self.closed = true;
                }
            }
        }
        self.check();
    }

    fn check(&self) {
        if let Err(e) = self.c.check_invariant() {
            panic!("after {:?}: {e}", self.clock.now - self.clock.start);
        }
        assert_eq!(
            self.closed,
            self.c.is_closed(),
            "closed without a Closed event"
        );
    }
}
