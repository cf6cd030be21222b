//! What both ends of a control connection do alike, whatever their role (RFC 2637 §2.3 to
//! §2.6, §2.14, §2.15): the transmit queue, keepalive with Echo-Request and Echo-Reply,
//! stopping the connection with Stop-Control-Connection-Request and its reply, and the
//! messages neither role acts on (Set-Link-Info, WAN-Error-Notify).
//!
//! The client's machine ([`pns`](super::pns)) and the server's ([`pac`](super::pac)) each
//! hold a [`ControlCore`] and hand it every message first; what it gives back is theirs.
//! Which states may send echoes, what a dead peer means for the call, and what a finished
//! connection is reported as are the roles' decisions.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use log::{debug, warn};

use super::keepalive::{Keepalive, KeepaliveAction, echo_reply};
use crate::wire;
use crate::wire::ctrl::ControlMessage;
use crate::wire::ctrl::codes::{ReplyResult, StopReason};

/// How long to wait for a Start-Control-Connection-Reply or a call reply.
pub const REPLY_WAIT: Duration = Duration::from_secs(10);
/// How long each teardown step waits for the peer (pptp-linux waits 2 s, poptop 5 s).
pub const TEARDOWN_WAIT: Duration = Duration::from_secs(3);

/// Why a control connection's TCP stream ended under its machine (reported by the
/// stream, `link::ctrl_stream`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamFailure {
    /// The peer closed the connection.
    Closed,
    /// A read or write failed.
    Error(String),
    /// A header that can never be valid: the stream cannot be followed (RFC 2637 §1.4 has
    /// the connection closed then).
    LostFraming(wire::Error),
    /// A message began and its rest did not come within this long.
    Incomplete(Duration),
    /// The peer does not read what we send: this many bytes were queued.
    NotReading(usize),
}

impl fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamFailure::Closed => f.write_str("the peer closed the connection"),
            StreamFailure::Error(e) => write!(f, "connection failed: {e}"),
            StreamFailure::LostFraming(e) => write!(
                f,
                "lost message framing: {e} (RFC 2637 section 1.4: connection closed)"
            ),
            StreamFailure::Incomplete(d) => write!(
                f,
                "the rest of a control message did not come within {}s",
                d.as_secs()
            ),
            StreamFailure::NotReading(n) => write!(
                f,
                "the peer sends requests but does not read the replies (queued={n} bytes)"
            ),
        }
    }
}

/// The reasons a role reports for the endings the core decides.
pub trait CloseReasons {
    /// The peer sent Stop-Control-Connection-Request with this reason code.
    fn peer_stopped(reason: u8) -> Self;
    /// No Echo-Reply came within this long.
    fn no_echo_reply(wait: Duration) -> Self;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    /// Our Stop-Control-Connection-Request waits for its reply until the deadline.
    Stopping(Instant),
    Closed,
}

/// The shared half of one control connection; `R` is the role's close reason.
#[derive(Debug)]
pub struct ControlCore<R> {
    keepalive: Keepalive,
    transmit: VecDeque<ControlMessage>,
    phase: Phase,
    /// Why we are closing, once we began to; the first reason given wins.
    reason: Option<R>,
    /// Why the connection finished, until the role takes it with `take_finished`.
    finished: Option<R>,
}

impl<R: CloseReasons> ControlCore<R> {
    /// An open connection: echo after `idle_wait` of silence (None: never), give up
    /// after `max_echo_wait`.
    pub fn new(idle_wait: Option<Duration>, max_echo_wait: Duration) -> Self {
        ControlCore {
            keepalive: Keepalive::new(idle_wait, max_echo_wait),
            transmit: VecDeque::new(),
            phase: Phase::Open,
            reason: None,
            finished: None,
        }
    }

    /// Queues a message for the peer.
    pub fn send(&mut self, msg: ControlMessage) {
        self.transmit.push_back(msg);
    }

    /// The next message to write to the TCP stream.
    pub fn poll_transmit(&mut self) -> Option<ControlMessage> {
        self.transmit.pop_front()
    }

    /// True until a stop was sent or the connection finished.
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// True while our stop waits for its reply.
    pub fn is_stopping(&self) -> bool {
        matches!(self.phase, Phase::Stopping(_))
    }

    /// True once the connection is finished.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The earliest of the stop's wait and the keepalive's deadlines.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let stop = match self.phase {
            Phase::Stopping(deadline) => Some(deadline),
            _ => None,
        };
        [stop, self.keepalive.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Control traffic was seen: the idle period starts again (while open).
    pub fn rearm_idle(&mut self, now: Instant) {
        if self.is_open() {
            self.keepalive.rearm(now);
        }
    }

    /// Records why we are closing, unless a reason was given already.
    pub fn set_reason(&mut self, why: R) {
        self.reason.get_or_insert(why);
    }

    /// True once a close reason was recorded.
    pub fn has_reason(&self) -> bool {
        self.reason.is_some()
    }

    /// The recorded close reason, for a role that decides by it.
    pub fn reason(&self) -> Option<&R> {
        self.reason.as_ref()
    }

    /// Sends Stop-Control-Connection-Request and waits [`TEARDOWN_WAIT`] for the reply;
    /// `why` is reported unless an earlier reason was recorded. Nothing once stopping.
    pub fn stop(&mut self, now: Instant, reason: StopReason, why: R) {
        if !self.is_open() {
            return;
        }
        self.set_reason(why);
        self.send(ControlMessage::StopCtrlConnRequest {
            reason: reason.code(),
        });
        self.phase = Phase::Stopping(now + TEARDOWN_WAIT);
        self.keepalive.stop();
        debug!("ctrl: sent stop-control-connection-request reason={reason}");
    }

    /// Finishes the connection, reporting the recorded reason, or `why` if none.
    pub fn finish(&mut self, why: R) {
        if self.is_closed() {
            return;
        }
        self.phase = Phase::Closed;
        self.keepalive.stop();
        self.finished = Some(self.reason.take().unwrap_or(why));
    }

    /// Why the connection finished, once, for the role to report.
    pub fn take_finished(&mut self) -> Option<R> {
        self.finished.take()
    }

    /// Handles expired deadlines; `may_echo` says whether the role's state sends echoes.
    /// Returns the echo wait that ran out when the peer is dead: the role then ends its
    /// call and stops the connection.
    pub fn handle_timeout(&mut self, now: Instant, may_echo: bool) -> Option<Duration> {
        if let Phase::Stopping(deadline) = self.phase
            && now >= deadline
        {
            // The peer never confirmed: finish anyway, for the reason we stopped.
            self.finish_stopped();
        }
        match self
            .keepalive
            .handle_timeout(now, may_echo && self.is_open())
        {
            Some(KeepaliveAction::SendEcho(identifier)) => {
                self.send(ControlMessage::EchoRequest { identifier });
                debug!("ctrl: sent echo-request id={identifier}");
                None
            }
            Some(KeepaliveAction::Dead(wait)) => Some(wait),
            None => None,
        }
    }

    /// Handles what both roles handle alike; gives the message back when it is the role's.
    /// Call the role's `take_finished` check afterwards: a stop may have finished it.
    pub fn handle_common(&mut self, now: Instant, msg: ControlMessage) -> Option<ControlMessage> {
        if self.is_closed() {
            return None;
        }
        self.rearm_idle(now);
        match msg {
            ControlMessage::EchoRequest { identifier } => self.send(echo_reply(identifier)),
            ControlMessage::EchoReply { identifier, .. } => {
                if !self.keepalive.on_reply(identifier) {
                    debug!("ctrl: unexpected echo-reply id={identifier}");
                }
            }
            ControlMessage::StopCtrlConnRequest { reason } => {
                // The RFC has the sender clear its calls first; one that did not is
                // answered anyway, and the role ends its call with the connection.
                self.send(ControlMessage::StopCtrlConnReply {
                    result_code: ReplyResult::Ok.code(),
                    error_code: 0,
                });
                self.finish(R::peer_stopped(reason));
            }
            ControlMessage::StopCtrlConnReply { .. } => {
                if self.is_stopping() {
                    self.finish_stopped();
                }
            }
            ControlMessage::SetLinkInfo(s) => {
                // The two pppds negotiate the ACCMs over LCP, and the pppd on our pty sees
                // the real framing: nothing to apply (as pptp-linux and poptop).
                debug!(
                    "ctrl: set-link-info send_accm={:#x} recv_accm={:#x} ignored: pppd negotiates the ACCM",
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
            other => return Some(other),
        }
        None
    }

    /// Finishes a connection we were stopping, for the reason recorded when we stopped.
    fn finish_stopped(&mut self) {
        if let Some(why) = self.reason.take() {
            self.finish(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Why {
        Peer(u8),
        Echo(Duration),
        Local,
    }

    impl CloseReasons for Why {
        fn peer_stopped(reason: u8) -> Self {
            Why::Peer(reason)
        }
        fn no_echo_reply(wait: Duration) -> Self {
            Why::Echo(wait)
        }
    }

    fn core() -> ControlCore<Why> {
        ControlCore::new(Some(Duration::from_secs(60)), Duration::from_secs(30))
    }

    fn sent(c: &mut ControlCore<Why>) -> Vec<ControlMessage> {
        std::iter::from_fn(|| c.poll_transmit()).collect()
    }

    #[test]
    fn answers_echo_and_the_peers_stop() {
        let now = Instant::now();
        let mut c = core();
        assert_eq!(
            c.handle_common(now, ControlMessage::EchoRequest { identifier: 9 }),
            None
        );
        c.handle_common(now, ControlMessage::StopCtrlConnRequest { reason: 3 });
        assert_eq!(
            sent(&mut c),
            [
                echo_reply(9),
                ControlMessage::StopCtrlConnReply {
                    result_code: 1,
                    error_code: 0
                }
            ]
        );
        assert_eq!(c.take_finished(), Some(Why::Peer(3)));
        assert!(c.is_closed() && c.poll_timeout().is_none());
    }

    #[test]
    fn our_stop_finishes_on_the_reply_or_its_deadline_with_its_reason() {
        let now = Instant::now();
        let mut c = core();
        c.stop(now, StopReason::LocalShutdown, Why::Local);
        assert_eq!(
            sent(&mut c),
            [ControlMessage::StopCtrlConnRequest { reason: 3 }]
        );
        assert_eq!(c.poll_timeout(), Some(now + TEARDOWN_WAIT));
        c.handle_common(
            now,
            ControlMessage::StopCtrlConnReply {
                result_code: 1,
                error_code: 0,
            },
        );
        assert_eq!(c.take_finished(), Some(Why::Local));

        let mut silent = core();
        silent.stop(now, StopReason::None, Why::Local);
        silent.handle_timeout(now + TEARDOWN_WAIT, true);
        assert_eq!(silent.take_finished(), Some(Why::Local));
    }

    #[test]
    fn the_first_reason_wins_and_stopping_twice_sends_once() {
        let now = Instant::now();
        let mut c = core();
        c.set_reason(Why::Echo(Duration::from_secs(1)));
        c.stop(now, StopReason::None, Why::Local);
        c.stop(now, StopReason::None, Why::Local);
        assert_eq!(sent(&mut c).len(), 1);
        c.finish(Why::Peer(1));
        assert_eq!(c.take_finished(), Some(Why::Echo(Duration::from_secs(1))));
    }

    #[test]
    fn reports_a_dead_peer_and_gives_other_messages_back() {
        let now = Instant::now();
        let mut c = core();
        c.rearm_idle(now);
        assert_eq!(c.handle_timeout(now + Duration::from_secs(60), true), None);
        assert_eq!(
            sent(&mut c),
            [ControlMessage::EchoRequest { identifier: 1 }]
        );
        assert_eq!(
            c.handle_timeout(now + Duration::from_secs(90), true),
            Some(Duration::from_secs(30))
        );
        let ccrq = ControlMessage::CallClearRequest { call_id: 5 };
        assert_eq!(c.handle_common(now, ccrq.clone()), Some(ccrq));
    }
}
