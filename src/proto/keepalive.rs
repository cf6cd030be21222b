//! Control-connection keepalive (RFC 2637 §2.5, §2.6), the same for client and server:
//! an Echo-Request after `idle_wait` without control traffic, and the peer declared dead
//! when it does not answer within `max_echo_wait` (pptp-linux's `--idle-wait` and
//! `--max-echo-wait`; poptop's IDLE_WAIT and MAX_ECHO_WAIT). Which states send echoes and
//! what a dead peer means are the owning machine's decisions.

use std::time::{Duration, Instant};

use crate::wire::ctrl::ControlMessage;

/// What the owner must do after [`Keepalive::handle_timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveAction {
    /// Send an Echo-Request with this identifier.
    SendEcho(u32),
    /// The peer did not answer within this long: close the connection.
    Dead(Duration),
}

/// Idle and echo deadlines of one control connection.
#[derive(Debug)]
pub struct Keepalive {
    idle_wait: Option<Duration>,
    max_echo_wait: Duration,
    idle_deadline: Option<Instant>,
    /// Identifier and deadline of our outstanding Echo-Request.
    echo: Option<(u32, Instant)>,
    next_id: u32,
}

impl Keepalive {
    /// Echo after `idle_wait` of silence (None: never), give up after `max_echo_wait`.
    pub fn new(idle_wait: Option<Duration>, max_echo_wait: Duration) -> Self {
        Keepalive {
            idle_wait,
            max_echo_wait,
            idle_deadline: None,
            echo: None,
            next_id: 1,
        }
    }

    /// Control traffic was seen: the idle period starts again.
    pub fn rearm(&mut self, now: Instant) {
        if let Some(wait) = self.idle_wait {
            self.idle_deadline = Some(now + wait);
        }
    }

    /// The connection is closing: no more echoes, no more deadlines.
    pub fn stop(&mut self) {
        self.idle_deadline = None;
        self.echo = None;
    }

    /// An Echo-Reply arrived; false when it answers nothing we sent.
    pub fn on_reply(&mut self, identifier: u32) -> bool {
        let ours = self.echo.is_some_and(|(id, _)| id == identifier);
        if ours {
            self.echo = None;
        }
        ours
    }

    /// The earliest deadline, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.idle_deadline, self.echo.map(|e| e.1)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Handles expired deadlines; `may_echo` says whether the owner's state sends echoes.
    pub fn handle_timeout(&mut self, now: Instant, may_echo: bool) -> Option<KeepaliveAction> {
        let mut action = None;
        if self.echo.is_some_and(|(_, d)| now >= d) {
            self.echo = None;
            action = Some(KeepaliveAction::Dead(self.max_echo_wait));
        }
        if self.idle_deadline.is_some_and(|d| now >= d) {
            self.idle_deadline = None;
            if action.is_none() && self.echo.is_none() && may_echo {
                let identifier = self.next_id;
                self.next_id = self.next_id.wrapping_add(1);
                self.echo = Some((identifier, now + self.max_echo_wait));
                action = Some(KeepaliveAction::SendEcho(identifier));
            }
        }
        action
    }
}

/// The answer to the peer's Echo-Request: its identifier, result 1 (OK).
pub fn echo_reply(identifier: u32) -> ControlMessage {
    ControlMessage::EchoReply {
        identifier,
        result_code: 1,
        error_code: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(60);
    const WAIT: Duration = Duration::from_secs(30);

    #[test]
    fn echo_after_idle_then_dead_without_reply() {
        let now = Instant::now();
        let mut k = Keepalive::new(Some(IDLE), WAIT);
        k.rearm(now);
        assert_eq!(
            k.handle_timeout(now + IDLE - Duration::from_millis(1), true),
            None
        );
        assert_eq!(
            k.handle_timeout(now + IDLE, true),
            Some(KeepaliveAction::SendEcho(1))
        );
        assert_eq!(k.poll_timeout(), Some(now + IDLE + WAIT));
        assert_eq!(
            k.handle_timeout(now + IDLE + WAIT, true),
            Some(KeepaliveAction::Dead(WAIT))
        );
    }

    #[test]
    fn reply_clears_only_our_echo_and_ids_advance() {
        let now = Instant::now();
        let mut k = Keepalive::new(Some(IDLE), WAIT);
        k.rearm(now);
        k.handle_timeout(now + IDLE, true);
        assert!(!k.on_reply(7));
        assert!(k.on_reply(1));
        k.rearm(now + IDLE);
        assert_eq!(
            k.handle_timeout(now + IDLE * 2, true),
            Some(KeepaliveAction::SendEcho(2))
        );
    }

    #[test]
    fn no_echo_when_the_owner_says_not_now_or_disabled_or_stopped() {
        let now = Instant::now();
        let mut k = Keepalive::new(Some(IDLE), WAIT);
        k.rearm(now);
        assert_eq!(k.handle_timeout(now + IDLE, false), None);
        assert_eq!(k.poll_timeout(), None);
        let mut off = Keepalive::new(None, WAIT);
        off.rearm(now);
        assert_eq!(off.poll_timeout(), None);
        k.rearm(now);
        k.stop();
        assert_eq!(k.poll_timeout(), None);
    }
}
