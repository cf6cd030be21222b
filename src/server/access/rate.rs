//! `connect-rate N/SECONDS`: at most N new connections from one source address in any
//! SECONDS, as accel-ppp's connlimit; and a budget for the log lines refusals make.
//!
//! Sans-IO: the caller passes `now`. Each source keeps one instant (the generic cell rate
//! algorithm's theoretical arrival time): a connection is allowed when that instant is at
//! most `SECONDS - SECONDS/N` ahead of now, and pushes it on by `SECONDS/N`. So N may come
//! at once, and then one each SECONDS/N. A source whose instant has passed is as good as
//! absent, which is what keeps the table small; a spread of hostile sources cannot grow it
//! beyond [`MAX_SOURCES`]: when it is full the entries nearest to idle are dropped (such a
//! source starts afresh, which only a spread of more sources than the cap can bring about).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// Sources the table follows at most.
pub const MAX_SOURCES: usize = 4096;

/// `connect-rate N/SECONDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// N: connections allowed...
    pub count: u32,
    /// ...in any SECONDS.
    pub per: Duration,
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.count, self.per.as_secs())
    }
}

/// Per-source admission under a [`Rate`].
#[derive(Debug)]
pub struct RateTable {
    rate: Rate,
    cap: usize,
    /// Source -> theoretical arrival time.
    sources: HashMap<Ipv4Addr, Instant>,
    /// Entries dropped from a full table while still active.
    pub evicted: u64,
}

impl RateTable {
    /// A table for `rate`, capped at [`MAX_SOURCES`].
    pub fn new(rate: Rate) -> RateTable {
        RateTable::with_cap(rate, MAX_SOURCES)
    }

    /// As [`new`](Self::new) with a cap of the caller's choosing (tests).
    pub fn with_cap(rate: Rate, cap: usize) -> RateTable {
        RateTable {
            rate,
            cap: cap.max(1),
            sources: HashMap::new(),
            evicted: 0,
        }
    }

    /// The rate it applies.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// How many sources are followed.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether no source is followed.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Whether a connection from `source` at `now` is within the rate (and counts it).
    pub fn admit(&mut self, source: Ipv4Addr, now: Instant) -> bool {
        let interval = self.rate.per / self.rate.count.max(1);
        let tolerance = self.rate.per.saturating_sub(interval);
        if !self.sources.contains_key(&source) && self.sources.len() >= self.cap {
            self.make_room(now);
        }
        let tat = self.sources.entry(source).or_insert(now);
        let start = (*tat).max(now);
        if start.duration_since(now) > tolerance {
            return false;
        }
        *tat = start + interval;
        true
    }

    /// Drops the idle sources; if none is, the eighth of the table nearest to idle, so that
    /// a flood of new sources costs one sort per cap/8 of them.
    fn make_room(&mut self, now: Instant) {
        self.sources.retain(|_, tat| *tat > now);
        if self.sources.len() < self.cap {
            return;
        }
        let mut tats: Vec<Instant> = self.sources.values().copied().collect();
        let drop = (self.cap / 8).max(1).min(tats.len());
        let (_, &mut bound, _) = tats.select_nth_unstable(drop - 1);
        let before = self.sources.len();
        self.sources.retain(|_, tat| *tat > bound);
        self.evicted += (before - self.sources.len()) as u64;
    }
}

/// At most `lines` refusal log lines per `window`; the rest are counted and reported in one
/// line when the next window opens, so that a flood of refused connections cannot flood
/// the log.
#[derive(Debug)]
pub struct LogBudget {
    lines: u32,
    window: Duration,
    opened: Option<Instant>,
    used: u32,
    suppressed: u64,
}

impl LogBudget {
    /// `lines` per `window`.
    pub fn new(lines: u32, window: Duration) -> LogBudget {
        LogBudget {
            lines,
            window,
            opened: None,
            used: 0,
            suppressed: 0,
        }
    }

    /// Whether one more line may be logged at `now`, and how many were held back in the
    /// window that just closed (to say so first).
    pub fn take(&mut self, now: Instant) -> (bool, u64) {
        let mut held = 0;
        if self
            .opened
            .is_none_or(|o| now.duration_since(o) >= self.window)
        {
            self.opened = Some(now);
            self.used = 0;
            held = std::mem::take(&mut self.suppressed);
        }
        if self.used < self.lines {
            self.used += 1;
            (true, held)
        } else {
            self.suppressed += 1;
            (false, held)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(n: u32) -> Ipv4Addr {
        Ipv4Addr::from(0xc633_6400 + n) // 198.51.100.n and on
    }

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn n_at_once_then_one_per_interval() {
        let rate = Rate {
            count: 3,
            per: Duration::from_secs(30),
        };
        let mut t = RateTable::new(rate);
        let now = Instant::now();
        assert!(t.admit(src(1), now));
        assert!(t.admit(src(1), now));
        assert!(t.admit(src(1), now));
        assert!(!t.admit(src(1), now), "the fourth within the window");
        assert!(!t.admit(src(1), now + 9 * SEC));
        assert!(t.admit(src(2), now), "another source is not disturbed");
        assert!(t.admit(src(1), now + 10 * SEC), "one more after SECONDS/N");
        assert!(!t.admit(src(1), now + 10 * SEC));
        assert!(t.admit(src(1), now + 40 * SEC));
        assert!(t.admit(src(1), now + 40 * SEC));
        assert!(t.admit(src(1), now + 40 * SEC), "back to a full burst");
    }

    #[test]
    fn a_spread_of_sources_cannot_grow_the_table() {
        let rate = Rate {
            count: 1,
            per: Duration::from_secs(60),
        };
        let mut t = RateTable::with_cap(rate, 64);
        let now = Instant::now();
        for n in 0..10_000 {
            assert!(t.admit(src(n), now + Duration::from_millis(n as u64)));
            assert!(t.len() <= 64, "{} sources", t.len());
        }
        assert!(t.evicted > 0);
        // The newest sources are still limited.
        let later = now + Duration::from_millis(10_000);
        assert!(!t.admit(src(9_999), later));
        // Idle sources are dropped before any active one.
        let mut t = RateTable::with_cap(rate, 4);
        for n in 0..4 {
            t.admit(src(n), now);
        }
        assert!(t.admit(src(9), now + 61 * SEC));
        assert_eq!((t.len(), t.evicted), (1, 0));
    }

    #[test]
    fn the_log_budget_holds_back_and_then_counts() {
        let mut b = LogBudget::new(2, SEC);
        let now = Instant::now();
        assert_eq!(b.take(now), (true, 0));
        assert_eq!(b.take(now), (true, 0));
        assert_eq!(b.take(now), (false, 0));
        assert_eq!(b.take(now), (false, 0));
        assert_eq!(b.take(now + SEC), (true, 2));
        assert_eq!(b.take(now + SEC), (true, 0));
    }
}
