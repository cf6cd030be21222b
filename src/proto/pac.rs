//! The server's side of one control connection and its call (RFC 2637 §2, §3), sans-IO.
//!
//! The server is the PAC of RFC 2637: it answers the client's Start-Control-Connection-
//! Request, then an Outgoing-Call-Request (Windows, pptp-linux). When the client announces
//! an Incoming-Call-Request instead (mpd's PAC mode) the roles of the call swap: the server
//! answers with an Incoming-Call-Reply and waits for Incoming-Call-Connected.
//!
//! Differences from poptop, on purpose:
//! - one call per control connection, as poptop, but a second request is refused (busy)
//!   instead of tearing the first call down, and so is a new request while the previous
//!   call's pppd has not exited yet (it still holds its address);
//! - Call-Disconnect-Notify is sent when pppd exits and in answer to Call-Clear-Request
//!   (poptop closed the TCP connection without one, "violating RFC", its TODO says);
//! - the first message must come within `stimeout`, per connection, without holding up
//!   other connections (poptop's manager blocked its accept loop meanwhile);
//! - a server at its `connections` limit answers Start-Control-Connection-Request with a
//!   refusal (general error, no-resource) instead of leaving the client unanswered;
//! - a connection without a call does not linger: a client that places no call within
//!   `stimeout` of the Start-Control-Connection-Reply, or keeps the connection
//!   [`CALLESS_WAIT`] after its call ended or was refused, is stopped.
//!
//! Every state but an established connection carrying a call has a deadline of its own
//! (and that one has the keepalive's), so no peer can hold a connection open by saying
//! nothing or the wrong thing; once stopping, a connection accepts nothing new.
//!
//! Whether a call may be placed (a free address, the connection limit) is the event loop's
//! decision: the machine reports [`PacEvent::CallRequested`] and waits for
//! [`PacConnection::accept_call`] or [`PacConnection::refuse_call`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use log::warn;

mod reason;
pub use reason::{CallEnd, PacClosed};

use crate::proto::control::{ControlCore, REPLY_WAIT, StreamFailure};
use crate::proto::pns::RECV_WINDOW;
use crate::wire::ctrl::codes::{
    DisconnectResult, GeneralError, IncomingResult, OutgoingResult, StartResult, StopReason,
    bearer, framing,
};
use crate::wire::ctrl::{
    CallDisconnectNotify, ControlMessage, IncomingCallReply, IncomingCallRequest,
    OutgoingCallReply, PROTOCOL_VERSION, StartCtrlConn,
};

/// How long, after the call ended or was refused, the client has to stop the control
/// connection itself before the server does (clients normally do it at once).
pub const CALLESS_WAIT: Duration = Duration::from_secs(5);

/// Settings for every control connection of the server.
#[derive(Debug, Clone)]
pub struct PacConfig {
    /// Send an Echo-Request after this long without control traffic (poptop: 60 s).
    pub idle_wait: Option<Duration>,
    /// Close when an Echo-Request is not answered within this (poptop: 60 s).
    pub max_echo_wait: Duration,
    /// How long a new connection may take to send its first message (`stimeout`), and an
    /// established one to place its call.
    pub first_message_wait: Duration,
    /// The host name we announce in SCCRP.
    pub host_name: String,
}

/// What the connection tells the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacEvent {
    /// The client asks for a call: answer with `accept_call` or `refuse_call`.
    CallRequested {
        /// The client's Call ID.
        peer_call_id: u16,
    },
    /// The call is up: start pppd and pass GRE.
    CallUp {
        /// Our Call ID (what the client puts in its GRE Key).
        call_id: u16,
        /// The client's Call ID (what we put in ours).
        peer_call_id: u16,
        /// The client's receive window.
        peer_window: u16,
    },
    /// The call is down: stop pppd and GRE.
    CallDown(CallEnd),
    /// The connection is finished: close TCP.
    Closed(PacClosed),
}

/// Where the connection stands while it is open (the core knows when it is stopping or
/// finished).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    WaitStart,
    Established,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    None,
    /// Waiting for the event loop's decision.
    Requested {
        peer_call_id: u16,
        peer_window: u16,
        incoming: bool,
        max_bps: u32,
    },
    /// Incoming role: ICRP sent, waiting for ICCN.
    WaitConnected {
        call_id: u16,
        peer_call_id: u16,
    },
    Up {
        call_id: u16,
        peer_call_id: u16,
        incoming: bool,
    },
    /// Incoming role: our CCRQ sent, waiting for the client's CDN.
    Clearing {
        peer_call_id: u16,
    },
}

/// One control connection of the server.
#[derive(Debug)]
pub struct PacConnection {
    config: PacConfig,
    core: ControlCore<PacClosed>,
    step: Step,
    call: Call,
    /// Answer SCCRQ with a refusal (connection limit reached).
    refusing: bool,
    /// The event loop still holds an accepted call's pppd (and its address): from
    /// [`accept_call`](Self::accept_call) until [`call_ended`](Self::call_ended). No new
    /// call is placed meanwhile, so that no pppd is ever replaced before it was reaped.
    pppd_held: bool,
    /// Established and no call requested yet: the deadline is the call-request wait.
    awaiting_first_call: bool,
    /// The wait of the current step: the first message, the call request, ICCN, or the
    /// client's own stop after its call ended.
    deadline: Option<Instant>,
    events: VecDeque<PacEvent>,
}

impl PacConnection {
    /// A freshly accepted connection; `refusing` when the server is at its limit.
    pub fn new(config: PacConfig, now: Instant, refusing: bool) -> Self {
        PacConnection {
            deadline: Some(now + config.first_message_wait),
            core: ControlCore::new(config.idle_wait, config.max_echo_wait),
            config,
            step: Step::WaitStart,
            call: Call::None,
            refusing,
            pppd_held: false,
            awaiting_first_call: false,
            events: VecDeque::new(),
        }
    }

    /// The next message to write to the TCP stream.
    pub fn poll_transmit(&mut self) -> Option<ControlMessage> {
        self.core.poll_transmit()
    }

    /// The next event for the event loop.
    pub fn poll_event(&mut self) -> Option<PacEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let own = self.deadline.filter(|_| self.core.is_open());
        [own, self.core.poll_timeout()].into_iter().flatten().min()
    }

    /// True once the connection is finished.
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// True while a call is placed or being placed, or its pppd has not exited yet: such a
    /// connection is never shed to make room for a newcomer.
    pub fn has_call(&self) -> bool {
        self.call != Call::None || self.pppd_held
    }

    fn established(&self) -> bool {
        self.core.is_open() && self.step == Step::Established
    }

    /// Accepts the requested call under our Call ID `call_id` (unique on the server); the
    /// event loop has started its pppd. False when there is no request to accept, and then
    /// the loop must stop that pppd again.
    pub fn accept_call(&mut self, now: Instant, call_id: u16) -> bool {
        let Call::Requested {
            peer_call_id,
            peer_window,
            incoming,
            max_bps,
        } = self.call
        else {
            return false;
        };
        if !self.established() {
            return false;
        }
        self.pppd_held = true;
        if incoming {
            self.core
                .send(ControlMessage::IncomingCallReply(IncomingCallReply {
                    call_id,
                    peer_call_id,
                    result_code: IncomingResult::Connect.code(),
                    error_code: 0,
                    recv_window: RECV_WINDOW,
                    transmit_delay: 0,
                }));
            self.call = Call::WaitConnected {
                call_id,
                peer_call_id,
            };
            self.deadline = Some(now + REPLY_WAIT);
            return true;
        }
        self.core
            .send(ControlMessage::OutgoingCallReply(OutgoingCallReply {
                call_id,
                peer_call_id,
                result_code: OutgoingResult::Connected.code(),
                error_code: 0,
                cause_code: 0,
                // The client's own maximum, as poptop reports it: there is no real line.
                connect_speed: max_bps,
                recv_window: RECV_WINDOW,
                processing_delay: 0,
                physical_channel_id: 0,
            }));
        self.call_up(call_id, peer_call_id, peer_window, false);
        true
    }

    /// Refuses the requested call: no free address or no resources.
    pub fn refuse_call(&mut self, now: Instant) {
        let Call::Requested {
            peer_call_id,
            incoming,
            ..
        } = self.call
        else {
            return;
        };
        self.call = Call::None;
        self.refuse(peer_call_id, incoming, GeneralError::NoResource);
        if self.established() {
            // The client normally stops at once; it may not linger without a call.
            self.deadline = Some(now + CALLESS_WAIT);
        }
    }

    /// The call's pppd has exited and been reaped: disconnect the call if it is still up,
    /// and expect the client to stop the connection. A new call may be placed from now on.
    pub fn call_ended(&mut self, now: Instant) {
        self.pppd_held = false;
        match self.call {
            Call::Up {
                call_id,
                peer_call_id,
                incoming,
            } => {
                self.end_call(call_id, peer_call_id, incoming, CallEnd::PppdExited);
                if self.established() {
                    self.deadline = Some(now + CALLESS_WAIT);
                }
            }
            Call::WaitConnected { call_id, .. } => {
                self.send_cdn(call_id, DisconnectResult::AdminShutdown);
                self.call_down(CallEnd::PppdExited);
            }
            _ => {}
        }
    }

    /// Ends the call in order on request (`by` says whose): Call-Disconnect-Notify (or, in
    /// the incoming role, Call-Clear-Request) to the client, which then stops the
    /// connection, or is stopped [`CALLESS_WAIT`] later. False when there is no call.
    pub fn terminate(&mut self, now: Instant, by: &'static str) -> bool {
        if !self.established() || !matches!(self.call, Call::Up { .. } | Call::WaitConnected { .. })
        {
            return false;
        }
        self.end_any_call(CallEnd::Terminated(by));
        self.deadline = Some(now + CALLESS_WAIT);
        true
    }

    /// True while a call is up (GRE flows).
    pub fn call_is_up(&self) -> bool {
        matches!(self.call, Call::Up { .. })
    }

    /// The server is stopping: disconnect the call, stop the connection.
    pub fn shutdown(&mut self, now: Instant) {
        if !self.core.is_open() {
            return;
        }
        if self.step == Step::WaitStart {
            return self.finish(PacClosed::Local);
        }
        self.end_any_call(CallEnd::ControlClosed);
        self.core
            .stop(now, StopReason::LocalShutdown, PacClosed::Local);
    }

    /// True when [`shed`](Self::shed) would end the connection: not yet established, or
    /// established without a call, and not already stopping.
    pub fn is_sheddable(&self) -> bool {
        self.core.is_open() && (self.step == Step::WaitStart || !self.has_call())
    }

    /// The server needs this connection's slot for a newcomer (it has no call): stop it.
    pub fn shed(&mut self, now: Instant) {
        if !self.is_sheddable() {
            return;
        }
        match self.step {
            Step::WaitStart => self.finish(PacClosed::Shed),
            Step::Established => self.core.stop(now, StopReason::None, PacClosed::Shed),
        }
    }

    /// The event loop drops the connection for `reason` (its input broke a rule the
    /// machine does not see, such as a message left half-sent).
    pub fn drop_connection(&mut self, reason: PacClosed) {
        self.finish(reason);
    }

    /// The TCP stream under the connection ended or had to be dropped.
    pub fn stream_failed(&mut self, why: StreamFailure) {
        match why {
            StreamFailure::Closed | StreamFailure::Error(_) => self.connection_lost(),
            other => self.drop_connection(PacClosed::Stream(other)),
        }
    }

    /// TCP ended or failed.
    pub fn connection_lost(&mut self) {
        self.finish(PacClosed::ConnectionLost);
    }

    /// Handles expired deadlines.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.core.is_open() && self.deadline.is_some_and(|d| now >= d) {
            self.deadline = None;
            match (self.step, self.call) {
                (Step::WaitStart, _) => self.finish(PacClosed::FirstMessageTimeout(
                    self.config.first_message_wait,
                )),
                (Step::Established, Call::WaitConnected { call_id, .. }) => {
                    self.send_cdn(call_id, DisconnectResult::AdminShutdown);
                    self.call_down(CallEnd::NotConnected);
                    // The client may not linger without a call (its pppd is stopped).
                    self.deadline = Some(now + CALLESS_WAIT);
                }
                (Step::Established, Call::None) if self.awaiting_first_call => {
                    let wait = self.config.first_message_wait;
                    self.core
                        .stop(now, StopReason::None, PacClosed::NoCallRequest(wait))
                }
                // The client left the call-less connection open, or ignored our CCRQ.
                (Step::Established, _) => self.core.stop(now, StopReason::None, PacClosed::Local),
            }
        }
        if let Some(wait) = self
            .core
            .handle_timeout(now, self.step == Step::Established)
        {
            self.end_any_call(CallEnd::ControlClosed);
            self.core
                .stop(now, StopReason::None, PacClosed::NoEchoReply(wait));
        }
        self.report_finished();
    }

    /// Handles one whole control message from the client.
    pub fn handle_message(&mut self, now: Instant, msg: ControlMessage) {
        if self.core.is_open() && self.step == Step::WaitStart {
            self.on_first_message(now, msg);
        } else if let Some(msg) = self.core.handle_common(now, msg) {
            self.handle_role_message(now, msg);
        }
        self.report_finished();
    }

    fn handle_role_message(&mut self, now: Instant, msg: ControlMessage) {
        match msg {
            ControlMessage::OutgoingCallRequest(r) => {
                self.on_call_request(r.call_id, r.recv_window, false, r.maximum_bps)
            }
            ControlMessage::IncomingCallRequest(IncomingCallRequest { call_id, .. }) => {
                self.on_call_request(call_id, 0, true, 0)
            }
            ControlMessage::IncomingCallConnected(c) => match self.call {
                Call::WaitConnected {
                    call_id,
                    peer_call_id,
                } if c.peer_call_id == call_id && self.established() => {
                    self.deadline = None;
                    self.call_up(call_id, peer_call_id, c.recv_window, true);
                }
                _ => warn!(
                    "ctrl: unexpected incoming-call-connected peer_call_id={} ignored",
                    c.peer_call_id
                ),
            },
            ControlMessage::CallClearRequest { call_id } => match self.call {
                Call::Up {
                    call_id: ours,
                    peer_call_id,
                    incoming: false,
                } if call_id == peer_call_id => {
                    self.send_cdn(ours, DisconnectResult::Request);
                    self.call_down(CallEnd::ClearedByClient);
                    self.deadline = Some(now + CALLESS_WAIT);
                }
                _ => warn!("ctrl: call-clear-request for unknown call id={call_id} ignored"),
            },
            ControlMessage::CallDisconnectNotify(n) => match self.call {
                Call::Up {
                    peer_call_id,
                    incoming: true,
                    ..
                }
                | Call::Clearing { peer_call_id }
                    if n.call_id == peer_call_id =>
                {
                    if !matches!(self.call, Call::Clearing { .. }) {
                        self.call_down(CallEnd::DisconnectedByClient);
                    }
                    self.call = Call::None;
                    if self.established() {
                        self.deadline = Some(now + CALLESS_WAIT);
                    }
                }
                _ => warn!(
                    "ctrl: call-disconnect-notify for unknown call id={} ignored",
                    n.call_id
                ),
            },
            other => warn!("ctrl: unexpected {} ignored", other.message_type()),
        }
    }

    fn on_first_message(&mut self, now: Instant, msg: ControlMessage) {
        self.deadline = None;
        let ControlMessage::StartCtrlConnRequest(request) = msg else {
            return self.finish(PacClosed::NotStartRequest);
        };
        let (result, error, closed) = if request.protocol_version != PROTOCOL_VERSION {
            (
                StartResult::VersionNotSupported,
                GeneralError::None,
                Some(PacClosed::BadVersion(request.protocol_version)),
            )
        } else if self.refusing {
            (
                StartResult::GeneralError,
                GeneralError::NoResource,
                Some(PacClosed::Refused),
            )
        } else {
            (StartResult::Success, GeneralError::None, None)
        };
        self.core
            .send(ControlMessage::StartCtrlConnReply(StartCtrlConn {
                protocol_version: PROTOCOL_VERSION,
                result_code: result.code(),
                error_code: error.code(),
                framing_capabilities: framing::ASYNC,
                bearer_capabilities: bearer::ANY,
                // One call per control connection.
                maximum_channels: 1,
                firmware_revision: 1,
                host_name: self.config.host_name.clone(),
                vendor: "pptp-rs".into(),
            }));
        match closed {
            Some(reason) => self.finish(reason),
            None => {
                self.step = Step::Established;
                self.core.rearm_idle(now);
                // A client places its call right after the reply; one that does not is
                // holding a slot that others need.
                self.awaiting_first_call = true;
                self.deadline = Some(now + self.config.first_message_wait);
            }
        }
    }

    fn on_call_request(
        &mut self,
        peer_call_id: u16,
        peer_window: u16,
        incoming: bool,
        max_bps: u32,
    ) {
        if !self.established() {
            // We have sent Stop-Control-Connection-Request: nothing new starts here.
            warn!(
                "call: refused a call on a stopping control connection peer_call_id={peer_call_id}"
            );
            return self.refuse(peer_call_id, incoming, GeneralError::NotConnected);
        }
        if self.call != Call::None || self.pppd_held {
            // One call per control connection (poptop replaced the live call instead), and
            // the previous call's pppd still holds its address until it has exited.
            let why = if self.call != Call::None {
                "a second call on one control connection"
            } else {
                "a call while the previous call's pppd is still exiting"
            };
            warn!("call: refused {why} peer_call_id={peer_call_id}");
            return self.refuse_busy(peer_call_id, incoming);
        }
        self.awaiting_first_call = false;
        self.call = Call::Requested {
            peer_call_id,
            peer_window,
            incoming,
            max_bps,
        };
        self.deadline = None;
        self.events
            .push_back(PacEvent::CallRequested { peer_call_id });
    }

    /// Refuses a call request with a general error naming `error`.
    fn refuse(&mut self, peer_call_id: u16, incoming: bool, error: GeneralError) {
        if incoming {
            self.core.send(ControlMessage::IncomingCallReply(
                IncomingCallReply::refusal(peer_call_id, IncomingResult::DoNotAccept, error),
            ));
        } else {
            self.core.send(ControlMessage::OutgoingCallReply(
                OutgoingCallReply::refusal(peer_call_id, OutgoingResult::GeneralError, error),
            ));
        }
    }

    fn refuse_busy(&mut self, peer_call_id: u16, incoming: bool) {
        if incoming {
            self.refuse(peer_call_id, true, GeneralError::NoResource);
        } else {
            self.core.send(ControlMessage::OutgoingCallReply(
                OutgoingCallReply::refusal(peer_call_id, OutgoingResult::Busy, GeneralError::None),
            ));
        }
    }

    fn call_up(&mut self, call_id: u16, peer_call_id: u16, peer_window: u16, incoming: bool) {
        self.call = Call::Up {
            call_id,
            peer_call_id,
            incoming,
        };
        self.events.push_back(PacEvent::CallUp {
            call_id,
            peer_call_id,
            peer_window,
        });
    }

    /// Tells the client the call is over, in the way its role calls for.
    fn end_call(&mut self, call_id: u16, peer_call_id: u16, incoming: bool, why: CallEnd) {
        if incoming {
            // The client is the PAC of this call: the PNS clears it (RFC 2637 §2.12).
            self.core.send(ControlMessage::CallClearRequest { call_id });
            self.call_down(why);
            self.call = Call::Clearing { peer_call_id };
        } else {
            self.send_cdn(call_id, DisconnectResult::AdminShutdown);
            self.call_down(why);
        }
    }

    /// Ends whatever call there is, as the connection goes away under it.
    fn end_any_call(&mut self, why: CallEnd) {
        match self.call {
            Call::Up {
                call_id,
                peer_call_id,
                incoming,
            } => self.end_call(call_id, peer_call_id, incoming, why),
            Call::WaitConnected { call_id, .. } => {
                self.send_cdn(call_id, DisconnectResult::AdminShutdown);
                self.call_down(why);
            }
            // Decided by the loop before anything else happens; nothing was started.
            Call::Requested { .. } => self.call = Call::None,
            Call::None | Call::Clearing { .. } => {}
        }
    }

    fn call_down(&mut self, why: CallEnd) {
        self.call = Call::None;
        self.events.push_back(PacEvent::CallDown(why));
    }

    fn send_cdn(&mut self, call_id: u16, result: DisconnectResult) {
        self.core
            .send(ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
                call_id,
                result_code: result.code(),
                error_code: 0,
                cause_code: 0,
                call_statistics: String::new(),
            }));
    }

    fn finish(&mut self, reason: PacClosed) {
        self.core.finish(reason);
        self.report_finished();
    }

    /// Turns the core's finish into the events the loop acts on: the call goes down with
    /// the connection.
    fn report_finished(&mut self) {
        let Some(reason) = self.core.take_finished() else {
            return;
        };
        if matches!(self.call, Call::Up { .. } | Call::WaitConnected { .. }) {
            self.call_down(CallEnd::ControlClosed);
        }
        self.call = Call::None;
        self.deadline = None;
        self.events.push_back(PacEvent::Closed(reason));
    }

    /// The machine's invariant: a connection that is not finished always has a deadline,
    /// and one of its own (not only the keepalive's) unless it carries a call (whose only
    /// deadline is the keepalive's, none when `idle_wait` is None). The unit tests and the
    /// fuzz target (tests/fuzz) check it after every step.
    pub fn check_invariant(&self) -> Result<(), String> {
        let carrying = self.established() && matches!(self.call, Call::Up { .. });
        if self.core.is_closed() || (carrying && self.config.idle_wait.is_none()) {
            Ok(())
        } else if self.poll_timeout().is_none() {
            Err(format!("no deadline: {self:?}"))
        } else if !carrying && !self.core.is_stopping() && self.deadline.is_none() {
            Err(format!("no deadline of its own: {self:?}"))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
