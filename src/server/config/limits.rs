//! The values of the directives that say who may connect and how often:
//! `hosts-allow`, `hosts-deny`, `connections-per-source`, `connect-rate` and
//! `single-session` (pptp-rs's own; poptop had none of them).

use std::path::PathBuf;
use std::time::Duration;

use super::Rate;
use crate::getopt::int_in;

/// `single-session deny|replace`: what a user's second session does to the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingleSession {
    /// The new session is ended; the first keeps going.
    Deny,
    /// The first session is ended; the new one is served.
    Replace,
}

impl SingleSession {
    /// Its name in pptpd.conf.
    pub fn name(self) -> &'static str {
        match self {
            SingleSession::Deny => "deny",
            SingleSession::Replace => "replace",
        }
    }
}

/// An absolute path, or `none`.
pub fn path_or_none(keyword: &str, value: &str) -> Result<Option<PathBuf>, String> {
    match value {
        "none" => Ok(None),
        v if v.starts_with('/') => Ok(Some(v.into())),
        v => Err(format!("bad {keyword} '{v}': an absolute path, or none")),
    }
}

/// `N/SECONDS`, both positive.
pub fn rate(value: &str) -> Result<Rate, String> {
    let bad =
        |why: String| format!("bad connect-rate '{value}': {why}; write N/SECONDS, e.g. 5/60");
    let (count, per) = value.split_once('/').ok_or_else(|| bad("no '/'".into()))?;
    let count = int_in(count.trim(), 1..=i64::from(u32::MAX)).map_err(|e| bad(format!("N {e}")))?;
    // A day at most: a longer window is a ban, which is hosts.deny's job.
    let per = int_in(per.trim(), 1..=86_400).map_err(|e| bad(format!("SECONDS {e}")))?;
    Ok(Rate {
        count: count as u32,
        per: Duration::from_secs(per as u64),
    })
}

/// `deny` or `replace`.
pub fn single_session(value: &str) -> Result<SingleSession, String> {
    match value {
        "deny" => Ok(SingleSession::Deny),
        "replace" => Ok(SingleSession::Replace),
        v => Err(format!("bad single-session '{v}': deny or replace")),
    }
}
