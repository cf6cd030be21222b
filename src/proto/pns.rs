//! The client's control connection and its one call (RFC 2637 §2, §3), sans-IO.
//!
//! The client is the PNS of RFC 2637: it opens the control connection (SCCRQ), then places
//! an Outgoing-Call-Request, as Windows and pptp-linux do. With `--incoming-call` it places
//! the call the other way, as a PAC announcing an incoming call (ICRQ, ICRP, ICCN), which
//! is how mpd connects to a PNS.
//!
//! Every wait has a deadline, so that a server that accepts TCP and never answers ends the
//! client within seconds instead of looping (pptp-linux has no connect timeout at all).
//! Keepalive follows pptp-linux's `--idle-wait`: an Echo-Request after that long without
//! control traffic; unlike pptp-linux, `--max-echo-wait` is implemented: no Echo-Reply
//! within it closes the connection.
//!
//! Teardown is always orderly and bounded: the call is cleared (Call-Clear-Request, or
//! Call-Disconnect-Notify in the incoming-call role), then the control connection is
//! stopped (Stop-Control-Connection-Request), each step waiting at most a few seconds.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use log::{debug, info, warn};

mod reason;
pub use reason::{
    CloseReason, cdn_result_name, error_name, ocrp_result_name, sccrp_result_name, stop_reason_name,
};

use crate::proto::keepalive::{Keepalive, KeepaliveAction, echo_reply};
use crate::wire::ctrl::{
    ControlMessage, IncomingCallConnected, IncomingCallRequest, OutgoingCallReply,
    OutgoingCallRequest, PROTOCOL_VERSION, SetLinkInfo, StartCtrlConn,
};

/// How long to wait for a Start-Control-Connection-Reply or a call reply.
pub const REPLY_WAIT: Duration = Duration::from_secs(10);
/// How long each teardown step waits for the peer (pptp-linux waits 2 s, poptop 5 s).
pub const TEARDOWN_WAIT: Duration = Duration::from_secs(3);
/// The receive window we advertise: as many packets as our reorder ring can hold.
pub const RECV_WINDOW: u16 = crate::proto::gre::REORDER_SLOTS as u16;

/// Framing capability and type values (RFC 2637 §2.1, §2.7).
const FRAMING_ASYNC: u32 = 1;
const FRAMING_SYNC: u32 = 2;
const FRAMING_ANY: u32 = 3;
const BEARER_ANY: u32 = 3;
const BEARER_DIGITAL: u32 = 2;
/// Result codes (RFC 2637 §2.2, §2.8, §2.10, §2.13, §2.4).
const RESULT_OK: u8 = 1;
const OCRP_ADMIN_PROHIBITED: u8 = 7;
const ICRP_DO_NOT_ACCEPT: u8 = 3;
const CDN_ADMIN_SHUTDOWN: u8 = 3;
const CDN_REQUEST: u8 = 4;
const STOP_REASON_NONE: u8 = 1;
const STOP_REASON_VERSION: u8 = 2;
const STOP_REASON_LOCAL_SHUTDOWN: u8 = 3;
/// Connect speed we report in Incoming-Call-Connected (pptp-linux's maximum bps).
const CONNECT_SPEED: u32 = 10_000_000;

/// What the user chose for this control connection and call.
#[derive(Debug, Clone)]
pub struct PnsConfig {
    /// Our Call ID, chosen at random by the caller (Debian #721963: clients behind one NAT).
    pub call_id: u16,
    /// The number to dial (`--phone`): Phone Number of OCRQ, Dialed Number of ICRQ.
    pub phone: String,
    /// The calling number (`--calling-number`): Dialing Number of ICRQ.
    pub calling_number: String,
    /// Place the call as an incoming call (ICRQ) instead of an outgoing one (OCRQ).
    pub incoming_call: bool,
    /// Synchronous framing toward pppd (`--sync`).
    pub sync: bool,
    /// Send an Echo-Request after this long without control traffic; None disables.
    pub idle_wait: Option<Duration>,
    /// Close when an Echo-Request is not answered within this.
    pub max_echo_wait: Duration,
    /// Orckit ATUR3 ADSL modem quirks (`--quirks BEZEQ_ISRAEL`).
    pub bezeq_quirk: bool,
    /// The host name we announce in SCCRQ.
    pub host_name: String,
}

/// What the connection tells the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PnsEvent {
    /// The call is up: GRE may flow.
    CallUp {
        /// The server's Call ID, for the Key of our GRE packets.
        peer_call_id: u16,
        /// The server's receive window.
        peer_window: u16,
        /// Connect speed the server reported (OCRP only; 0 otherwise).
        connect_speed: u32,
    },
    /// The control connection is finished; the TCP connection may be closed.
    Closed(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    WaitCtlReply,
    WaitCallReply,
    CallUp,
    WaitCallClear,
    WaitStopReply,
    Closed,
}

/// The client's control connection with its single call.
#[derive(Debug)]
pub struct PnsConnection {
    config: PnsConfig,
    state: State,
    /// Why we are closing, once we are: reported with [`PnsEvent::Closed`].
    reason: Option<CloseReason>,
    peer_call_id: u16,
    /// Deadline of the current request-reply wait (SCCRP, call reply, CDN, StopCCRP).
    reply_deadline: Option<Instant>,
    keepalive: Keepalive,
    transmit: VecDeque<ControlMessage>,
    events: VecDeque<PnsEvent>,
}

impl PnsConnection {
    /// Starts the connection on a freshly connected TCP stream: queues the SCCRQ.
    pub fn new(config: PnsConfig, now: Instant) -> Self {
        let mut c = PnsConnection {
            keepalive: Keepalive::new(config.idle_wait, config.max_echo_wait),
            config,
            state: State::WaitCtlReply,
            reason: None,
            peer_call_id: 0,
            reply_deadline: Some(now + REPLY_WAIT),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        };
        let sccrq = c.start_request();
        c.send(ControlMessage::StartCtrlConnRequest(sccrq));
        c.rearm_idle(now);
        debug!("ctrl: sent start-control-connection-request");
        c
    }

    /// True while the call is up and GRE may flow.
    pub fn call_up(&self) -> bool {
        self.state == State::CallUp
    }

    /// True once the connection is finished.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The next message to write to the TCP stream.
    pub fn poll_transmit(&mut self) -> Option<ControlMessage> {
        self.transmit.pop_front()
    }

    /// The next event for the event loop.
    pub fn poll_event(&mut self) -> Option<PnsEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.reply_deadline, self.keepalive.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Begins an orderly close (pppd exited, or a signal asked us to stop).
    pub fn close(&mut self, now: Instant) {
        self.begin_close(now, CloseReason::Local);
    }

    /// Begins an orderly close because the tunnel cannot go on; `why` is reported.
    pub fn abort(&mut self, now: Instant, why: &'static str) {
        self.begin_close(now, CloseReason::LocalFailure(why));
    }

    /// The TCP connection ended, failed or had to be dropped (`reason`): nothing more can
    /// be sent. A close already under way keeps its own reason.
    pub fn connection_lost(&mut self, reason: CloseReason) {
        if self.state != State::Closed {
            let reason = self.reason.take().unwrap_or(reason);
            self.finish(reason);
        }
    }

    /// Handles expired deadlines.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.reply_deadline.is_some_and(|d| now >= d) {
            self.reply_deadline = None;
            match self.state {
                State::WaitCtlReply => {
                    self.finish(CloseReason::NoReply("start-control-connection-reply"))
                }
                State::WaitCallReply => {
                    let what = if self.config.incoming_call {
                        "incoming-call-reply"
                    } else {
                        "outgoing-call-reply"
                    };
                    self.begin_close(now, CloseReason::NoReply(what))
                }
                // The peer did not confirm a teardown step: take the next one anyway.
                State::WaitCallClear => self.stop_control(now),
                State::WaitStopReply => self.finish_with_saved_reason(),
                State::CallUp | State::Closed => {}
            }
        }
        let may_echo = matches!(self.state, State::WaitCallReply | State::CallUp);
        match self.keepalive.handle_timeout(now, may_echo) {
            Some(KeepaliveAction::SendEcho(identifier)) => {
                self.send(ControlMessage::EchoRequest { identifier });
                debug!("ctrl: sent echo-request id={identifier}");
            }
            Some(KeepaliveAction::Dead(wait)) => {
                self.begin_close(now, CloseReason::NoEchoReply(wait))
            }
            None => {}
        }
    }

    /// Handles one whole control message from the server.
    pub fn handle_message(&mut self, now: Instant, msg: ControlMessage) {
        if self.state == State::Closed {
            return;
        }
        self.rearm_idle(now);
        match msg {
            ControlMessage::StartCtrlConnReply(r) => self.on_start_reply(now, r),
            ControlMessage::OutgoingCallReply(r) => self.on_outgoing_reply(now, r),
            ControlMessage::IncomingCallReply(r) => self.on_incoming_reply(
                now,
                r.call_id,
                r.peer_call_id,
                r.result_code,
                r.error_code,
                r.recv_window,
            ),
            ControlMessage::CallDisconnectNotify(n) => {
                if n.call_id != self.peer_call_id || !self.call_placed() {
                    warn!(
                        "ctrl: call-disconnect-notify for unknown call id={}",
                        n.call_id
                    );
                    return;
                }
                let reason = CloseReason::CallDisconnected {
                    result: n.result_code,
                    error: n.error_code,
                    cause: n.cause_code,
                    stats: n.call_statistics,
                };
                // After our own Call-Clear-Request this is the answer; otherwise the server
                // hung up, and that is the reason we report.
                self.reason.get_or_insert(reason);
                self.stop_control(now);
            }
            ControlMessage::CallClearRequest { call_id } => {
                self.on_call_clear_request(now, call_id)
            }
            ControlMessage::EchoRequest { identifier } => self.send(echo_reply(identifier)),
            ControlMessage::EchoReply { identifier, .. } => {
                if !self.keepalive.on_reply(identifier) {
                    debug!("ctrl: unexpected echo-reply id={identifier}");
                }
            }
            ControlMessage::StopCtrlConnRequest { reason } => {
                self.send(ControlMessage::StopCtrlConnReply {
                    result_code: RESULT_OK,
                    error_code: 0,
                });
                let reason = self
                    .reason
                    .take()
                    .unwrap_or(CloseReason::PeerStopped { reason });
                self.finish(reason);
            }
            ControlMessage::StopCtrlConnReply { .. } => {
                if self.state == State::WaitStopReply {
                    self.finish_with_saved_reason();
                }
            }
            ControlMessage::SetLinkInfo(s) => {
                // ACCMs are negotiated by LCP between the two pppds; pppd on our pty sees
                // the real framing, so there is nothing to apply (as pptp-linux and poptop).
                debug!(
                    "ctrl: set-link-info send_accm={:#x} recv_accm={:#x} ignored",
                    s.send_accm, s.recv_accm
                )
            }
            ControlMessage::WanErrorNotify(w) => warn!(
                "ctrl: wan-error-notify crc={} framing={} hw_overruns={} buf_overruns={} timeouts={} alignment={}",
                w.crc_errors,
                w.framing_errors,
                w.hardware_overruns,
                w.buffer_overruns,
                w.timeout_errors,
                w.alignment_errors
            ),
            ControlMessage::OutgoingCallRequest(r) => {
                // We place calls; we do not answer them (pptp-linux replies the same way).
                warn!("ctrl: refused outgoing-call-request from the server");
                self.send(ControlMessage::OutgoingCallReply(OutgoingCallReply {
                    call_id: 0,
                    peer_call_id: r.call_id,
                    result_code: OCRP_ADMIN_PROHIBITED,
                    error_code: 0,
                    cause_code: 0,
                    connect_speed: 0,
                    recv_window: 0,
                    processing_delay: 0,
                    physical_channel_id: 0,
                }));
            }
            ControlMessage::IncomingCallRequest(r) => {
                warn!("ctrl: refused incoming-call-request from the server");
                self.send(ControlMessage::IncomingCallReply(
                    crate::wire::ctrl::IncomingCallReply {
                        call_id: 0,
                        peer_call_id: r.call_id,
                        result_code: ICRP_DO_NOT_ACCEPT,
                        error_code: 0,
                        recv_window: 0,
                        transmit_delay: 0,
                    },
                ));
            }
            other => warn!("ctrl: unexpected {} ignored", other.message_type()),
        }
    }

    fn on_start_reply(&mut self, now: Instant, r: StartCtrlConn) {
        if self.state != State::WaitCtlReply {
            warn!("ctrl: unexpected start-control-connection-reply ignored");
            return;
        }
        self.reply_deadline = None;
        if r.protocol_version != PROTOCOL_VERSION {
            self.reason = Some(CloseReason::BadVersion(r.protocol_version));
            self.send_stop(now, STOP_REASON_VERSION);
            return;
        }
        // Result 0 is accepted too: some ADSL modems send it (pptp-linux NEWS 1.0.3).
        if r.result_code != RESULT_OK && r.result_code != 0 {
            self.finish(CloseReason::StartRefused {
                result: r.result_code,
                error: r.error_code,
            });
            return;
        }
        info!(
            "ctrl: connected to host=\"{}\" vendor=\"{}\" firmware={:#x}",
            r.host_name, r.vendor, r.firmware_revision
        );
        self.place_call(now);
    }

    fn place_call(&mut self, now: Instant) {
        self.state = State::WaitCallReply;
        self.reply_deadline = Some(now + REPLY_WAIT);
        let framing = if self.config.sync {
            FRAMING_SYNC
        } else {
            FRAMING_ASYNC
        };
        if self.config.incoming_call {
            self.send(ControlMessage::IncomingCallRequest(IncomingCallRequest {
                call_id: self.config.call_id,
                call_serial: 0,
                bearer_type: BEARER_DIGITAL,
                physical_channel_id: 0,
                dialed_number: self.config.phone.clone(),
                dialing_number: self.config.calling_number.clone(),
                subaddress: String::new(),
            }));
            debug!(
                "call: sent incoming-call-request call_id={}",
                self.config.call_id
            );
            return;
        }
        let mut ocrq = OutgoingCallRequest {
            call_id: self.config.call_id,
            call_serial: 0,
            minimum_bps: 2400,
            maximum_bps: CONNECT_SPEED,
            bearer_type: BEARER_ANY,
            framing_type: framing,
            recv_window: RECV_WINDOW,
            processing_delay: 0,
            phone_number: self.config.phone.clone(),
            subaddress: String::new(),
        };
        if self.config.bezeq_quirk {
            // Orckit ATUR3: digital bearer, window 3, phone "RELAY_PPP1" - but our own call
            // ID, where pptp-linux's template overwrote it with 0 (reference §1.10).
            ocrq.bearer_type = BEARER_DIGITAL;
            ocrq.recv_window = 3;
            ocrq.phone_number = "RELAY_PPP1".into();
        }
        self.send(ControlMessage::OutgoingCallRequest(ocrq));
        debug!(
            "call: sent outgoing-call-request call_id={}",
            self.config.call_id
        );
    }

    fn on_outgoing_reply(&mut self, now: Instant, r: OutgoingCallReply) {
        if self.state != State::WaitCallReply
            || self.config.incoming_call
            || r.peer_call_id != self.config.call_id
        {
            warn!(
                "ctrl: unexpected outgoing-call-reply peer_call_id={} ignored",
                r.peer_call_id
            );
            return;
        }
        self.reply_deadline = None;
        if r.result_code != RESULT_OK {
            self.reason = Some(CloseReason::CallRefused {
                result: r.result_code,
                error: r.error_code,
                cause: r.cause_code,
            });
            self.stop_control(now);
            return;
        }
        if self.config.bezeq_quirk {
            self.send(ControlMessage::SetLinkInfo(SetLinkInfo {
                peer_call_id: r.call_id,
                send_accm: 0xffff_ffff,
                recv_accm: 0xffff_ffff,
            }));
        }
        self.call_is_up(r.call_id, r.recv_window, r.connect_speed);
    }

    fn on_incoming_reply(
        &mut self,
        now: Instant,
        call_id: u16,
        peer_call_id: u16,
        result: u8,
        error: u8,
        window: u16,
    ) {
        if self.state != State::WaitCallReply
            || !self.config.incoming_call
            || peer_call_id != self.config.call_id
        {
            warn!("ctrl: unexpected incoming-call-reply peer_call_id={peer_call_id} ignored");
            return;
        }
        self.reply_deadline = None;
        if result != RESULT_OK {
            self.reason = Some(CloseReason::CallRefused {
                result,
                error,
                cause: 0,
            });
            self.stop_control(now);
            return;
        }
        let framing = if self.config.sync {
            FRAMING_SYNC
        } else {
            FRAMING_ASYNC
        };
        self.send(ControlMessage::IncomingCallConnected(
            IncomingCallConnected {
                peer_call_id: call_id,
                connect_speed: CONNECT_SPEED,
                recv_window: RECV_WINDOW,
                transmit_delay: 0,
                framing_type: framing,
            },
        ));
        self.call_is_up(call_id, window, 0);
    }

    /// A PNS may clear a call we announced as incoming (RFC 2637 §2.12): answer with CDN.
    fn on_call_clear_request(&mut self, now: Instant, call_id: u16) {
        if !self.config.incoming_call || call_id != self.peer_call_id || !self.call_placed() {
            warn!("ctrl: call-clear-request for unknown call id={call_id} ignored");
            return;
        }
        self.send_cdn(CDN_REQUEST);
        self.reason.get_or_insert(CloseReason::CallDisconnected {
            result: CDN_REQUEST,
            error: 0,
            cause: 0,
            stats: String::new(),
        });
        self.stop_control(now);
    }

    fn call_is_up(&mut self, peer_call_id: u16, peer_window: u16, connect_speed: u32) {
        self.peer_call_id = peer_call_id;
        self.state = State::CallUp;
        info!(
            "call: up call_id={} peer_call_id={peer_call_id} peer_window={peer_window} speed={connect_speed}",
            self.config.call_id
        );
        self.events.push_back(PnsEvent::CallUp {
            peer_call_id,
            peer_window,
            connect_speed,
        });
    }

    fn call_placed(&self) -> bool {
        matches!(self.state, State::CallUp | State::WaitCallClear)
    }

    fn begin_close(&mut self, now: Instant, reason: CloseReason) {
        if matches!(self.state, State::WaitStopReply | State::Closed) {
            return;
        }
        self.reason.get_or_insert(reason);
        match self.state {
            State::WaitCtlReply => self.finish_with_saved_reason(),
            State::CallUp if self.config.incoming_call => {
                // We announced the call, so we disconnect it (RFC 2637 §2.13).
                self.send_cdn(CDN_ADMIN_SHUTDOWN);
                self.stop_control(now);
            }
            State::CallUp => {
                self.send(ControlMessage::CallClearRequest {
                    call_id: self.config.call_id,
                });
                self.state = State::WaitCallClear;
                self.reply_deadline = Some(now + TEARDOWN_WAIT);
                debug!("call: sent call-clear-request");
            }
            State::WaitCallReply => self.stop_control(now),
            // Already closing: the teardown in progress carries on at its own pace.
            State::WaitCallClear | State::WaitStopReply | State::Closed => {}
        }
    }

    fn send_cdn(&mut self, result_code: u8) {
        self.send(ControlMessage::CallDisconnectNotify(
            crate::wire::ctrl::CallDisconnectNotify {
                call_id: self.config.call_id,
                result_code,
                error_code: 0,
                cause_code: 0,
                call_statistics: String::new(),
            },
        ));
    }

    fn stop_control(&mut self, now: Instant) {
        let reason = if self.reason == Some(CloseReason::Local) {
            STOP_REASON_LOCAL_SHUTDOWN
        } else {
            STOP_REASON_NONE
        };
        self.send_stop(now, reason);
    }

    fn send_stop(&mut self, now: Instant, reason: u8) {
        self.send(ControlMessage::StopCtrlConnRequest { reason });
        self.state = State::WaitStopReply;
        self.reply_deadline = Some(now + TEARDOWN_WAIT);
        self.keepalive.stop();
        debug!("ctrl: sent stop-control-connection-request reason={reason}");
    }

    fn finish_with_saved_reason(&mut self) {
        let reason = self.reason.take().unwrap_or(CloseReason::Local);
        self.finish(reason);
    }

    fn finish(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.reply_deadline = None;
        self.keepalive.stop();
        self.events.push_back(PnsEvent::Closed(reason));
    }

    fn rearm_idle(&mut self, now: Instant) {
        if !matches!(self.state, State::WaitStopReply | State::Closed) {
            self.keepalive.rearm(now);
        }
    }

    fn send(&mut self, msg: ControlMessage) {
        self.transmit.push_back(msg);
    }

    fn start_request(&self) -> StartCtrlConn {
        let mut s = StartCtrlConn {
            protocol_version: PROTOCOL_VERSION,
            result_code: 0,
            error_code: 0,
            framing_capabilities: FRAMING_ANY,
            bearer_capabilities: BEARER_ANY,
            // RFC 2637 §2.1: a PNS sets Maximum Channels to 0.
            maximum_channels: 0,
            firmware_revision: 1,
            host_name: self.config.host_name.clone(),
            vendor: "pptp-rs".into(),
        };
        if self.config.bezeq_quirk {
            // What Orckit ATUR3 modems insist on (pptp-linux orckit_quirks.c).
            s.framing_capabilities = FRAMING_ASYNC;
            s.bearer_capabilities = 1;
            s.firmware_revision = 0x6021;
            s.host_name = "RELAY_PPP1".into();
            s.vendor = "MS Win NT".into();
        }
        s
    }
}

#[cfg(test)]
mod tests;
