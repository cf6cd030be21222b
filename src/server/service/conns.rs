//! What happens on one connection of the server: its machine's decisions acted on (calls
//! placed and refused, pppd started and stopped, GRE routed), and the end of its pppd.

use std::time::Instant;

use log::{debug, error, info, warn};

use super::{Call, Owner, Service, pty_token};
use crate::proto::gre::GreConfig;
use crate::proto::pac::PacEvent;
use crate::server::config::DEFAULT_CONTROL_SOCKET;
use crate::server::pppd_args::{CallArgs, pppd_args};
use crate::sys::pppd::{self, TtyUse};

impl Service {
    /// Runs the machine's outputs for one connection: replies, call decisions, closing.
    pub(super) fn settle(&mut self, index: usize) {
        loop {
            let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
                return;
            };
            conn.ctrl
                .flush(self.poll.registry(), Instant::now(), &mut conn.pac);
            if let Some(call) = conn.call.as_mut()
                && let Err(why) = call.data.flush(self.poll.registry())
            {
                debug!("pppd: stream of call_id={} ended: {why}", call.call_id);
                call.data.stop(self.poll.registry());
            }
            let Some(event) = conn.pac.poll_event() else {
                return;
            };
            self.on_pac_event(index, event);
        }
    }

    fn on_pac_event(&mut self, index: usize, event: PacEvent) {
        let now = Instant::now();
        let Some(conn) = self.conns[index].as_mut() else {
            return;
        };
        let client = conn.client;
        match event {
            PacEvent::CallRequested { peer_call_id } => match self.start_call(index) {
                Ok(()) => {
                    let Some(conn) = self.conns[index].as_mut() else {
                        return;
                    };
                    let call_id = conn.call.as_ref().map_or(0, |c| c.call_id);
                    if !conn.pac.accept_call(now, call_id) {
                        // Cannot happen: the request was made in this settle. Should it,
                        // the pppd just started must not outlive the call.
                        self.orphan_call(index);
                    }
                }
                Err(why) => {
                    warn!("call: refused call from {client} peer_call_id={peer_call_id}: {why}");
                    if let Some(conn) = self.conns[index].as_mut() {
                        conn.pac.refuse_call(now);
                    }
                }
            },
            PacEvent::CallUp {
                call_id,
                peer_call_id,
                peer_window,
            } => {
                if let Some(call) = conn.call.as_mut() {
                    call.data
                        .start(GreConfig::default(), peer_call_id, peer_window);
                    self.gre_calls.insert((client, call_id), index);
                    self.stats.calls_served += 1;
                    info!("call: up client={client} call_id={call_id} peer_call_id={peer_call_id}");
                }
            }
            PacEvent::CallDown(why) => {
                if let Some(call) = conn.call.as_mut() {
                    info!("call: {why} client={client} call_id={}", call.call_id);
                    self.gre_calls.remove(&(client, call.call_id));
                    call.data.end();
                    call.terminate_pppd();
                }
            }
            PacEvent::Closed(reason) => {
                info!("ctrl: connection from {client} ended: {reason}");
                *self.stats.closed.entry(reason.kind()).or_default() += 1;
                self.remove_conn(index);
            }
        }
    }

    /// Takes an address slot and a Call ID and starts pppd; the call is refused otherwise.
    fn start_call(&mut self, index: usize) -> Result<(), String> {
        let conn = self.conns[index].as_ref().ok_or("no connection")?;
        if conn.call.is_some() {
            // The machine places no call while one holds a pppd (issue 10, defect 1); this
            // keeps a pppd from ever being replaced unreaped, whatever changes there.
            return Err("the connection's previous call has not ended yet".into());
        }
        let (client, local) = (conn.client, conn.local);
        let Some(slot) = self.pool.acquire() else {
            self.stats.refused_pool_empty += 1;
            return Err("no free address or connection slot".into());
        };
        let call_id = self.unique_call_id();
        let args = pppd_args(&CallArgs {
            option_file: self.config.option_file.as_deref(),
            speed: &self.config.speed,
            local: slot.local,
            remote: slot.remote,
            client,
            noipparam: self.config.noipparam,
            control_socket: self
                .config
                .control_socket
                .as_deref()
                .filter(|p| *p != std::path::Path::new(DEFAULT_CONTROL_SOCKET)),
        });
        let spawned = match pppd::spawn(&self.config.ppp, TtyUse::OnStdio, &args) {
            Ok(spawned) => spawned,
            Err(e) => {
                self.pool.release(slot.index);
                return Err(format!("cannot start {}: {e}", self.config.ppp.display()));
            }
        };
        let mut call = Call::new(call_id, client, slot, spawned, local, pty_token(index));
        debug!("pppd: started pid={} args={}", call.pid(), args.join(" "));
        self.call_ids.insert(call_id);
        self.pids.insert(call.pid(), Owner::Conn(index));
        let registered = call.data.register(self.poll.registry());
        if let Some(conn) = self.conns[index].as_mut() {
            conn.call = Some(call);
        }
        if let Err(e) = registered {
            self.orphan_call(index);
            return Err(format!("cannot watch pppd's pty: {e}"));
        }
        Ok(())
    }

    /// A Call ID no live call has: random, then the next free one, so it always ends.
    fn unique_call_id(&self) -> u16 {
        let start = crate::sys::random::random_u16().unwrap_or(1);
        (0..=u16::MAX)
            .map(|i| start.wrapping_add(i))
            // 0 is avoided: some clients take it for "no call" (poptop's "No free Call IDs").
            .find(|id| *id != 0 && !self.call_ids.contains(id))
            .unwrap_or(1)
    }

    /// Detaches connection `index`'s call: its pppd is stopped and reaped later.
    fn orphan_call(&mut self, index: usize) {
        let Some(conn) = self.conns[index].as_mut() else {
            return;
        };
        let Some(mut call) = conn.call.take() else {
            return;
        };
        self.gre_calls.remove(&(conn.client, call.call_id));
        call.data.stop(self.poll.registry());
        call.terminate_pppd();
        self.pids.insert(call.pid(), Owner::Orphan);
        self.orphans.insert(call.pid(), call);
    }

    fn remove_conn(&mut self, index: usize) {
        self.orphan_call(index);
        let Some(mut conn) = self.conns[index].take() else {
            return;
        };
        conn.ctrl.deregister(self.poll.registry());
        self.source_closed(conn.client);
        self.free.push(index);
    }

    /// Reaps every exited child: a call still up is disconnected, and its address and Call
    /// ID return to the pool (after pppd's ip-down, as poptop waits too). One waitpid per
    /// exited child, whatever the number of calls.
    pub(super) fn reap(&mut self, touched: &mut Vec<usize>) {
        let now = Instant::now();
        while let Some((pid, status)) = crate::sys::process::reap_any() {
            match self.pids.remove(&pid) {
                Some(Owner::Conn(index)) => {
                    let Some(conn) = self.conns[index].as_mut() else {
                        continue;
                    };
                    let Some(mut call) = conn.call.take() else {
                        continue;
                    };
                    call.reaped(status);
                    info!(
                        "call: pppd exited client={} call_id={} {}",
                        conn.client,
                        call.call_id,
                        crate::sys::pppd::exit_meaning(status)
                    );
                    call.data.stop(self.poll.registry());
                    self.gre_calls.remove(&(conn.client, call.call_id));
                    conn.pac.call_ended(now);
                    self.release(&call);
                    touched.push(index);
                }
                Some(Owner::Orphan) => {
                    if let Some(mut call) = self.orphans.remove(&pid) {
                        call.reaped(status);
                        self.release(&call);
                    }
                }
                None if self.bcrelay.as_ref().is_some_and(|b| b.pid() == pid) => {
                    if let Some(b) = self.bcrelay.as_mut() {
                        b.reaped_with(status);
                    }
                    error!(
                        "ctrl: bcrelay exited pid={pid} ({}): broadcasts are no longer \
                         relayed; see bcrelay's messages in syslog, then restart pptpd",
                        crate::sys::pppd::exit_meaning(status)
                    );
                }
                None => debug!("pppd: reaped pid={pid} {status}, not a call's"),
            }
        }
    }

    fn release(&mut self, call: &Call) {
        self.call_ids.remove(&call.call_id);
        if let Some(session) = &call.session {
            // pppd ended before its ip-down hook could say so (killed, say).
            super::ctl::log_out(session, call.pid());
        }
        let (gone, c) = (&mut self.stats.gone, call.data.counters());
        gone.tx_failed += c.tx_failed;
        gone.tx_oversize += c.tx_oversize;
        gone.ppp_bad_frames += c.ppp_bad_frames;
        if self.pool.release(call.slot.index) {
            let addr = call
                .slot
                .remote
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into());
            info!(
                "call: released address={addr} call_id={} drops={}",
                call.call_id,
                call.data.backlog_drops()
            );
        }
    }
}
