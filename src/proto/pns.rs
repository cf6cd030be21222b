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
pub use reason::CloseReason;

use crate::proto::control::{CloseReasons, ControlCore, StreamFailure};
pub use crate::proto::control::{REPLY_WAIT, TEARDOWN_WAIT};
use crate::wire::ctrl::codes::{
    DisconnectResult, GeneralError, IncomingResult, OutgoingResult, StartResult, StopReason,
    bearer, framing,
};
use crate::wire::ctrl::{
    CallDisconnectNotify, ControlMessage, IncomingCallConnected, IncomingCallReply,
    IncomingCallRequest, OutgoingCallReply, OutgoingCallRequest, PROTOCOL_VERSION, SetLinkInfo,
    StartCtrlConn,
};

/// The receive window we advertise: as many packets as our reorder ring can hold.
pub const RECV_WINDOW: u16 = crate::proto::gre::REORDER_SLOTS as u16;
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

/// Where the connection stands while it is open (the core knows when it is stopping or
/// finished).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    WaitCtlReply,
    WaitCallReply,
    CallUp,
    WaitCallClear,
}

/// The client's control connection with its single call.
#[derive(Debug)]
pub struct PnsConnection {
    config: PnsConfig,
    core: ControlCore<CloseReason>,
    step: Step,
    peer_call_id: u16,
    /// Deadline of the current request-reply wait (SCCRP, call reply, CDN).
    reply_deadline: Option<Instant>,
    events: VecDeque<PnsEvent>,
}

impl CloseReasons for CloseReason {
    fn peer_stopped(reason: u8) -> Self {
        CloseReason::PeerStopped { reason }
    }
    fn no_echo_reply(wait: Duration) -> Self {
        CloseReason::NoEchoReply(wait)
    }
}

impl PnsConnection {
    /// Starts the connection on a freshly connected TCP stream: queues the SCCRQ.
    pub fn new(config: PnsConfig, now: Instant) -> Self {
        let mut c = PnsConnection {
            core: ControlCore::new(config.idle_wait, config.max_echo_wait),
            config,
            step: Step::WaitCtlReply,
            peer_call_id: 0,
            reply_deadline: Some(now + REPLY_WAIT),
            events: VecDeque::new(),
        };
        let sccrq = c.start_request();
        c.core.send(ControlMessage::StartCtrlConnRequest(sccrq));
        c.core.rearm_idle(now);
        debug!("ctrl: sent start-control-connection-request");
        c
    }

    /// True while the call is up and GRE may flow.
    pub fn call_up(&self) -> bool {
        self.core.is_open() && self.step == Step::CallUp
    }

    /// True once the connection is finished.
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// The next message to write to the TCP stream.
    pub fn poll_transmit(&mut self) -> Option<ControlMessage> {
        self.core.poll_transmit()
    }

    /// The next event for the event loop.
    pub fn poll_event(&mut self) -> Option<PnsEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let reply = self.reply_deadline.filter(|_| self.core.is_open());
        [reply, self.core.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Begins an orderly close (pppd exited, or a signal asked us to stop).
    pub fn close(&mut self, now: Instant) {
        self.begin_close(now, CloseReason::Local);
        self.report_finished();
    }

    /// Begins an orderly close because the tunnel cannot go on; `why` is reported.
    pub fn abort(&mut self, now: Instant, why: &'static str) {
        self.begin_close(now, CloseReason::LocalFailure(why));
        self.report_finished();
    }

    /// The TCP connection ended, failed or had to be dropped (`reason`): nothing more can
    /// be sent. A close already under way keeps its own reason.
    pub fn connection_lost(&mut self, reason: CloseReason) {
        self.core.finish(reason);
        self.report_finished();
    }

    /// The TCP stream under the connection ended or had to be dropped.
    pub fn stream_failed(&mut self, why: StreamFailure) {
        let reason = match why {
            StreamFailure::Closed => {
                debug!("ctrl: server closed the connection");
                CloseReason::ConnectionLost
            }
            StreamFailure::Error(e) => {
                warn!("ctrl: {e}");
                CloseReason::ConnectionLost
            }
            other => CloseReason::Stream(other),
        };
        self.connection_lost(reason);
    }

    /// Handles expired deadlines.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.core.is_open() && self.reply_deadline.is_some_and(|d| now >= d) {
            self.reply_deadline = None;
            match self.step {
                Step::WaitCtlReply => self
                    .core
                    .finish(CloseReason::NoReply("start-control-connection-reply")),
                Step::WaitCallReply => {
                    let what = if self.config.incoming_call {
                        "incoming-call-reply"
                    } else {
                        "outgoing-call-reply"
                    };
                    self.begin_close(now, CloseReason::NoReply(what))
                }
                // The peer did not confirm a teardown step: take the next one anyway.
                Step::WaitCallClear => self.stop_control(now),
                Step::CallUp => {}
            }
        }
        let may_echo = matches!(self.step, Step::WaitCallReply | Step::CallUp);
        if let Some(wait) = self.core.handle_timeout(now, may_echo) {
            self.begin_close(now, CloseReason::NoEchoReply(wait));
        }
        self.report_finished();
    }

    /// Handles one whole control message from the server.
    pub fn handle_message(&mut self, now: Instant, msg: ControlMessage) {
        if let Some(msg) = self.core.handle_common(now, msg) {
            self.handle_role_message(now, msg);
        }
        self.report_finished();
    }

    fn handle_role_message(&mut self, now: Instant, msg: ControlMessage) {
        match msg {
            ControlMessage::StartCtrlConnReply(r) => self.on_start_reply(now, r),
            ControlMessage::OutgoingCallReply(r) => self.on_outgoing_reply(now, r),
            ControlMessage::IncomingCallReply(r) => self.on_incoming_reply(now, r),
            ControlMessage::CallDisconnectNotify(n) => {
                if n.call_id != self.peer_call_id || !self.call_placed() {
                    warn!(
                        "ctrl: call-disconnect-notify for unknown call id={}",
                        n.call_id
                    );
                    return;
                }
                // After our own Call-Clear-Request this is the answer; otherwise the server
                // hung up, and that is the reason we report.
                self.core.set_reason(CloseReason::CallDisconnected {
                    result: n.result_code,
                    error: n.error_code,
                    cause: n.cause_code,
                    stats: n.call_statistics,
                });
                self.stop_control(now);
            }
            ControlMessage::CallClearRequest { call_id } => {
                self.on_call_clear_request(now, call_id)
            }
            ControlMessage::OutgoingCallRequest(r) => {
                // We place calls; we do not answer them (pptp-linux replies the same way).
                warn!("ctrl: refused outgoing-call-request from the server");
                self.core.send(ControlMessage::OutgoingCallReply(
                    OutgoingCallReply::refusal(
                        r.call_id,
                        OutgoingResult::DoNotAccept,
                        GeneralError::None,
                    ),
                ));
            }
            ControlMessage::IncomingCallRequest(r) => {
                warn!("ctrl: refused incoming-call-request from the server");
                self.core.send(ControlMessage::IncomingCallReply(
                    IncomingCallReply::refusal(
                        r.call_id,
                        IncomingResult::DoNotAccept,
                        GeneralError::None,
                    ),
                ));
            }
            other => warn!("ctrl: unexpected {} ignored", other.message_type()),
        }
    }

    fn on_start_reply(&mut self, now: Instant, r: StartCtrlConn) {
        if !self.core.is_open() || self.step != Step::WaitCtlReply {
            warn!("ctrl: unexpected start-control-connection-reply ignored");
            return;
        }
        self.reply_deadline = None;
        if r.protocol_version != PROTOCOL_VERSION {
            self.core.stop(
                now,
                StopReason::ProtocolVersion,
                CloseReason::BadVersion(r.protocol_version),
            );
            return;
        }
        // Result 0 is accepted too: some ADSL modems send it (pptp-linux NEWS 1.0.3).
        if r.result_code != StartResult::Success.code() && r.result_code != 0 {
            self.core.finish(CloseReason::StartRefused {
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

    fn framing(&self) -> u32 {
        if self.config.sync {
            framing::SYNC
        } else {
            framing::ASYNC
        }
    }

    fn place_call(&mut self, now: Instant) {
        self.step = Step::WaitCallReply;
        self.reply_deadline = Some(now + REPLY_WAIT);
        if self.config.incoming_call {
            self.core
                .send(ControlMessage::IncomingCallRequest(IncomingCallRequest {
                    call_id: self.config.call_id,
                    call_serial: 0,
                    bearer_type: bearer::DIGITAL,
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
            bearer_type: bearer::ANY,
            framing_type: self.framing(),
            recv_window: RECV_WINDOW,
            processing_delay: 0,
            phone_number: self.config.phone.clone(),
            subaddress: String::new(),
        };
        if self.config.bezeq_quirk {
            // Orckit ATUR3: digital bearer, window 3, phone "RELAY_PPP1" - but our own call
            // ID, where pptp-linux's template overwrote it with 0 (reference §1.10).
            ocrq.bearer_type = bearer::DIGITAL;
            ocrq.recv_window = 3;
            ocrq.phone_number = "RELAY_PPP1".into();
        }
        self.core.send(ControlMessage::OutgoingCallRequest(ocrq));
        debug!(
            "call: sent outgoing-call-request call_id={}",
            self.config.call_id
        );
    }

    /// True while waiting for the reply to a call of this kind placed with our Call ID.
    fn awaits_reply(&self, incoming: bool, peer_call_id: u16) -> bool {
        self.core.is_open()
            && self.step == Step::WaitCallReply
            && self.config.incoming_call == incoming
            && peer_call_id == self.config.call_id
    }

    fn on_outgoing_reply(&mut self, now: Instant, r: OutgoingCallReply) {
        if !self.awaits_reply(false, r.peer_call_id) {
            warn!(
                "ctrl: unexpected outgoing-call-reply peer_call_id={} ignored",
                r.peer_call_id
            );
            return;
        }
        self.reply_deadline = None;
        if r.result_code != OutgoingResult::Connected.code() {
            self.core.set_reason(CloseReason::CallRefused {
                result: r.result_code,
                error: r.error_code,
                cause: r.cause_code,
            });
            self.stop_control(now);
            return;
        }
        if self.config.bezeq_quirk {
            self.core.send(ControlMessage::SetLinkInfo(SetLinkInfo {
                peer_call_id: r.call_id,
                send_accm: 0xffff_ffff,
                recv_accm: 0xffff_ffff,
            }));
        }
        self.call_is_up(r.call_id, r.recv_window, r.connect_speed);
    }

    fn on_incoming_reply(&mut self, now: Instant, r: IncomingCallReply) {
        if !self.awaits_reply(true, r.peer_call_id) {
            warn!(
                "ctrl: unexpected incoming-call-reply peer_call_id={} ignored",
                r.peer_call_id
            );
            return;
        }
        self.reply_deadline = None;
        if r.result_code != IncomingResult::Connect.code() {
            self.core.set_reason(CloseReason::CallRefused {
                result: r.result_code,
                error: r.error_code,
                cause: 0,
            });
            self.stop_control(now);
            return;
        }
        self.core.send(ControlMessage::IncomingCallConnected(
            IncomingCallConnected {
                peer_call_id: r.call_id,
                connect_speed: CONNECT_SPEED,
                recv_window: RECV_WINDOW,
                transmit_delay: 0,
                framing_type: self.framing(),
            },
        ));
        self.call_is_up(r.call_id, r.recv_window, 0);
    }

    /// A PNS may clear a call we announced as incoming (RFC 2637 §2.12): answer with CDN.
    fn on_call_clear_request(&mut self, now: Instant, call_id: u16) {
        if !self.config.incoming_call || call_id != self.peer_call_id || !self.call_placed() {
            warn!("ctrl: call-clear-request for unknown call id={call_id} ignored");
            return;
        }
        self.send_cdn(DisconnectResult::Request);
        self.core.set_reason(CloseReason::CallDisconnected {
            result: DisconnectResult::Request.code(),
            error: 0,
            cause: 0,
            stats: String::new(),
        });
        self.stop_control(now);
    }

    fn call_is_up(&mut self, peer_call_id: u16, peer_window: u16, connect_speed: u32) {
        self.peer_call_id = peer_call_id;
        self.step = Step::CallUp;
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
        self.core.is_open() && matches!(self.step, Step::CallUp | Step::WaitCallClear)
    }

    fn begin_close(&mut self, now: Instant, reason: CloseReason) {
        if !self.core.is_open() {
            return;
        }
        self.core.set_reason(reason);
        match self.step {
            Step::WaitCtlReply => self.core.finish(CloseReason::Local),
            Step::CallUp if self.config.incoming_call => {
                // We announced the call, so we disconnect it (RFC 2637 §2.13).
                self.send_cdn(DisconnectResult::AdminShutdown);
                self.stop_control(now);
            }
            Step::CallUp => {
                self.core.send(ControlMessage::CallClearRequest {
                    call_id: self.config.call_id,
                });
                self.step = Step::WaitCallClear;
                self.reply_deadline = Some(now + TEARDOWN_WAIT);
                debug!("call: sent call-clear-request");
            }
            Step::WaitCallReply => self.stop_control(now),
            // Already clearing: the teardown in progress carries on at its own pace.
            Step::WaitCallClear => {}
        }
    }

    fn send_cdn(&mut self, result: DisconnectResult) {
        self.core
            .send(ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
                call_id: self.config.call_id,
                result_code: result.code(),
                error_code: 0,
                cause_code: 0,
                call_statistics: String::new(),
            }));
    }

    /// Stops the control connection: "local shutdown" when we chose to close, "general
    /// request" when the server or a failure made us.
    fn stop_control(&mut self, now: Instant) {
        let reason = if self.core.reason() == Some(&CloseReason::Local) {
            StopReason::LocalShutdown
        } else {
            StopReason::None
        };
        self.core.stop(now, reason, CloseReason::Local);
    }

    /// Turns the core's finish into the event the loop waits for.
    fn report_finished(&mut self) {
        if let Some(reason) = self.core.take_finished() {
            self.reply_deadline = None;
            self.events.push_back(PnsEvent::Closed(reason));
        }
    }

    /// The machine's invariant: a connection that is not finished has a deadline in every
    /// state but a call that is up (which has the keepalive's, unless that is disabled), so
    /// no server can hold the client by saying nothing or the wrong thing. The fuzz target
    /// (tests/fuzz) checks it after every step.
    pub fn check_invariant(&self) -> Result<(), String> {
        if self.core.is_closed() || self.call_up() || self.poll_timeout().is_some() {
            Ok(())
        } else {
            Err(format!("no deadline: {self:?}"))
        }
    }

    fn start_request(&self) -> StartCtrlConn {
        let mut s = StartCtrlConn {
            protocol_version: PROTOCOL_VERSION,
            result_code: 0,
            error_code: 0,
            framing_capabilities: framing::ANY,
            bearer_capabilities: bearer::ANY,
            // RFC 2637 §2.1: a PNS sets Maximum Channels to 0.
            maximum_channels: 0,
            firmware_revision: 1,
            host_name: self.config.host_name.clone(),
            vendor: "pptp-rs".into(),
        };
        if self.config.bezeq_quirk {
            // What Orckit ATUR3 modems insist on (pptp-linux orckit_quirks.c).
            s.framing_capabilities = framing::ASYNC;
            s.bearer_capabilities = bearer::ANALOG;
            s.firmware_revision = 0x6021;
            s.host_name = "RELAY_PPP1".into();
            s.vendor = "MS Win NT".into();
        }
        s
    }
}

#[cfg(test)]
mod tests;
