//! Small shared pieces: the clock every role agrees on, `key=value` arguments, CPU
//! pinning, and the result lines the roles print for the orchestrator.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use nix::sched::{CpuSet, sched_setaffinity};
use nix::time::{ClockId, clock_gettime};
use nix::unistd::Pid;

/// CLOCK_MONOTONIC in ns. It is one clock for the whole machine, whatever network namespace
/// a process is in, so the orchestrator can give every role the same measurement window.
pub fn now_ns() -> u64 {
    let t = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC");
    t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
}

/// Sleeps until `deadline` (a [`now_ns`] value); returns at once if it has passed.
pub fn sleep_until(deadline: u64) {
    let now = now_ns();
    if deadline > now {
        std::thread::sleep(Duration::from_nanos(deadline - now));
    }
}

/// Waits for `child` to exit, until `deadline` (as [`now_ns`]); false if it is still running.
pub fn wait_until(child: &mut std::process::Child, deadline: u64) -> bool {
    while now_ns() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Pins `pid` (0: the caller) to one CPU. Best effort: a machine with one CPU runs
/// everything on it, and the report says how many CPUs there were.
pub fn pin(pid: u32, cpu: usize) {
    let mut set = CpuSet::new();
    if set.set(cpu % num_cpus()).is_ok() {
        let _ = sched_setaffinity(Pid::from_raw(pid as i32), &set);
    }
}

/// CPUs online.
pub fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `key=value` arguments of a role.
#[derive(Debug, Clone, Default)]
pub struct Args(BTreeMap<String, String>);

impl Args {
    /// Parses `key=value` words; anything else is an error naming the word.
    pub fn parse(words: &[String]) -> Result<Args, String> {
        let mut map = BTreeMap::new();
        for w in words {
            let (k, v) = w
                .split_once('=')
                .ok_or_else(|| format!("argument '{w}' is not key=value"))?;
            map.insert(k.to_string(), v.to_string());
        }
        Ok(Args(map))
    }

    /// The value of `key`, or `default` when absent; exits with a message when malformed.
    pub fn get<T: FromStr>(&self, key: &str, default: T) -> T {
        match self.0.get(key) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("pptp-bench: bad value '{v}' for {key}");
                std::process::exit(2)
            }),
        }
    }

    /// The value of a key that must be there.
    pub fn need<T: FromStr>(&self, key: &str) -> T {
        match self.0.get(key).map(|v| v.parse()) {
            Some(Ok(v)) => v,
            Some(Err(_)) | None => {
                eprintln!("pptp-bench: {key}=VALUE missing or malformed");
                std::process::exit(2)
            }
        }
    }

    /// The raw text of `key`.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

/// A result line: `result key=value ...`, what roles print for the orchestrator.
#[derive(Debug, Default)]
pub struct Report(String);

impl Report {
    /// Adds `key=value`.
    pub fn add(&mut self, key: &str, value: impl Display) -> &mut Self {
        self.0.push_str(&format!(" {key}={value}"));
        self
    }

    /// The line, ready to print.
    pub fn line(&self) -> String {
        format!("result{}", self.0)
    }
}

/// Parses a result line back into its pairs.
pub fn parse_report(text: &str) -> Option<Args> {
    let line = text.lines().rev().find(|l| l.starts_with("result"))?;
    let words: Vec<String> = line.split_whitespace().skip(1).map(String::from).collect();
    Args::parse(&words).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_round_trips() {
        let mut r = Report::default();
        r.add("frames", 12).add("name", "tx");
        let back = parse_report(&format!("noise\n{}\n", r.line())).unwrap();
        assert_eq!(back.get("frames", 0u64), 12);
        assert_eq!(back.text("name"), Some("tx"));
        assert!(Args::parse(&["nokey".into()]).is_err());
    }
}
