//! Per-user policy, applied once pppd has told us who authenticated (its ip-up hook):
//! `single-session deny|replace` (accel-ppp's option, RouterOS's `only-one`) and the
//! RADIUS Port-Limit that radattr.so hands over through the hook. Calls are ended in order
//! by [`end_call`](Service::end_call), as `pptpctl terminate` ends them.

use std::time::Instant;

use log::info;

use super::Service;
use crate::server::config::SingleSession;

/// Whose order ends a call, in the connection's end reason.
const BY_SINGLE_SESSION: &str = "single-session (one session per user)";
const BY_PORT_LIMIT: &str = "the user's RADIUS Port-Limit";

impl Service {
    /// Connection `index`'s session of `user` is up: ends it, or the user's others, as the
    /// policy says. Returns why the new session was ended, if it was.
    pub(super) fn apply_user_policy(
        &mut self,
        index: usize,
        user: &str,
        port_limit: Option<u32>,
        now: Instant,
    ) -> Option<String> {
        if user.is_empty() {
            return None;
        }
        let call_id = |s: &Self, i: usize| {
            s.conns[i]
                .as_ref()
                .and_then(|c| c.call.as_ref())
                .map_or(0, |c| c.call_id)
        };
        // The user's other sessions that are still up, oldest first.
        let mut others: Vec<(Instant, usize)> = self
            .conns
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .filter_map(|(i, c)| {
                let c = c.as_ref()?;
                let session = c.call.as_ref()?.session.as_ref()?;
                (c.pac.call_is_up() && session.user == user).then_some((session.since, i))
            })
            .collect();
        others.sort_unstable();
        let new_id = call_id(self, index);
        let client = self.conns[index].as_ref().map(|c| c.client)?;
        match self.config.single_session {
            Some(SingleSession::Deny) if !others.is_empty() => {
                let old_id = call_id(self, others[0].1);
                self.end_call(index, BY_SINGLE_SESSION, now)?;
                self.stats.refused_single_session += 1;
                let why = format!(
                    "single-session deny: ended call_id={new_id} user={user} client={client}: \
                     the user already has call_id={old_id}"
                );
                info!("ctrl: {why}");
                return Some(why);
            }
            Some(SingleSession::Replace) => {
                for &(_, old) in &others {
                    let (old_id, old_client) = (
                        call_id(self, old),
                        self.conns[old].as_ref().map(|c| c.client),
                    );
                    if self.end_call(old, BY_SINGLE_SESSION, now).is_some() {
                        self.stats.replaced_single_session += 1;
                        info!(
                            "ctrl: single-session replace: ended call_id={old_id} user={user} client={} for the new call_id={new_id} client={client}",
                            old_client.map_or("-".into(), |a| a.to_string())
                        );
                    }
                }
                others.clear();
            }
            _ => {}
        }
        let limit = port_limit?;
        let sessions = others.len() + 1;
        if sessions as u64 <= u64::from(limit) {
            return None;
        }
        self.end_call(index, BY_PORT_LIMIT, now)?;
        self.stats.refused_port_limit += 1;
        let why = format!(
            "port-limit: ended call_id={new_id} user={user} client={client}: sessions={sessions} \
             over the user's RADIUS Port-Limit={limit}"
        );
        info!("ctrl: {why}");
        Some(why)
    }
}
