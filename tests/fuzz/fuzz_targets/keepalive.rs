//! The control connection's keepalive (proto::keepalive) against a model of what it must
//! do: traffic, replies (ours, stale, strangers'), stops, and timers at arbitrary times
//! with echoes allowed or not.
//!
//! Asserted: an Echo-Request only after `idle_wait` of silence, only when allowed, never
//! with one outstanding, identifiers consecutive; the peer declared dead only when our
//! echo went unanswered for `max_echo_wait`, never after its reply; nothing after a stop
//! until traffic rearms it; no deadline left in the past once the timers ran.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::{Clock, Input};
use pptp_rs::proto::keepalive::{Keepalive, KeepaliveAction};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.u8();
    let idle_wait = (flags & 1 == 0).then(|| Duration::from_secs(u64::from(input.u8() % 120) + 1));
    let max_echo_wait = Duration::from_secs(u64::from(input.u8() % 120) + 1);
    let mut k = Keepalive::new(idle_wait, max_echo_wait);
    let mut clock = Clock::new();
    // The model: when traffic was last seen (None: stopped or never), our echo.
    let mut idle_since: Option<Instant> = None;
    let mut echo: Option<(u32, Instant)> = None;
    let mut last_id: Option<u32> = None;
    while !input.is_empty() {
        let b = input.u8();
        match b % 4 {
            0 => {
                k.rearm(clock.now);
                idle_since = idle_wait.map(|_| clock.now);
            }
            1 => {
                k.stop();
                idle_since = None;
                echo = None;
                assert_eq!(k.poll_timeout(), None, "a deadline after stop");
            }
            2 => {
                let id = match b >> 6 {
                    0 => echo.map_or(0, |e| e.0),
                    1 => last_id.unwrap_or(0),
                    _ => input.u32(),
                };
                let ours = echo.is_some_and(|e| e.0 == id);
                assert_eq!(k.on_reply(id), ours, "reply id={id}, outstanding {echo:?}");
                if ours {
                    echo = None;
                }
            }
            _ => {
                let now = if b & 0x80 != 0 {
                    match k.poll_timeout() {
                        Some(d) => clock.advance_to(d),
                        None => clock.now,
                    }
                } else {
                    clock.advance(input.u8())
                };
                let may_echo = b & 0x40 != 0;
                let action = k.handle_timeout(now, may_echo);
                let echo_due = echo.is_some_and(|(_, sent)| now >= sent + max_echo_wait);
                let idle_due = idle_since
                    .zip(idle_wait)
                    .is_some_and(|(since, wait)| now >= since + wait);
                match action {
                    Some(KeepaliveAction::Dead(wait)) => {
                        assert!(echo_due, "dead without an unanswered echo");
                        assert_eq!(wait, max_echo_wait);
                        echo = None;
                        if idle_due {
                            idle_since = None;
                        }
                    }
                    Some(KeepaliveAction::SendEcho(id)) => {
                        assert!(may_echo, "an echo when not allowed");
                        assert!(idle_due, "an echo before idle_wait of silence");
                        assert!(!echo_due);
                        assert!(echo.is_none(), "a second echo outstanding");
                        if let Some(last) = last_id {
                            assert_eq!(id, last.wrapping_add(1), "echo ids not consecutive");
                        }
                        last_id = Some(id);
                        echo = Some((id, now));
                        idle_since = None;
                    }
                    None => {
                        assert!(!echo_due, "an unanswered echo not reported");
                        assert!(
                            !(idle_due && may_echo && echo.is_none()),
                            "no echo after idle_wait of silence"
                        );
                        if idle_due {
                            idle_since = None;
                        }
                    }
                }
                if let Some(d) = k.poll_timeout() {
                    assert!(d > now, "a deadline left in the past");
                }
            }
        }
        let model = [
            idle_since.zip(idle_wait).map(|(s, w)| s + w),
            echo.map(|(_, sent)| sent + max_echo_wait),
        ]
        .into_iter()
        .flatten()
        .min();
        assert_eq!(k.poll_timeout(), model, "deadline differs from the model");
    }
});
