//! Connection slots and the addresses they hand to pppd (reference-behaviour.md §2.3, §2.4).
//!
//! Each call takes a slot from the moment it is accepted until its pppd has exited; without
//! `delegate` the slot carries the local and remote addresses that go on pppd's command line
//! (`local:remote`). poptop's slot table has two bugs that this pool fixes on purpose:
//! - it is sized from `connections` *before* the address lists are read, so when there are
//!   fewer addresses than `connections` it logs "Maximum of %d connections reduced to %d" and
//!   then hands out slots with no address, which made pptpctrl exit with "insufficient
//!   arguments" and the client see a reset. Here the limit is the reduced one;
//! - in delegate mode it does not count connections at all. Here `connections` holds.
//!
//! The lowest free slot is always taken, so a released address is the next one handed out,
//! as with poptop's linear slot search.
//!
//! [`AddressPool::reconfigure`] applies a reloaded configuration (poptop has no reload: its
//! SIGHUP kills the manager) without disturbing the clients already connected.

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;

/// A slot held by one client: its number and, unless addresses are delegated to pppd, the
/// addresses of its tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The slot's number, from 0; give it back to [`AddressPool::release`].
    pub index: usize,
    /// Our end of the tunnel; `None` in delegate mode.
    pub local: Option<Ipv4Addr>,
    /// The client's end of the tunnel; `None` in delegate mode.
    pub remote: Option<Ipv4Addr>,
}

/// The connection slots: how many clients may connect and which addresses each gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressPool {
    /// `(local, remote)` of slot *i* of the current configuration; empty in delegate mode.
    pairs: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// How many slots the current configuration has.
    capacity: usize,
    /// Slots in use, by index: those of the current configuration and any left over from
    /// the previous one by [`reconfigure`](Self::reconfigure).
    active: BTreeMap<usize, Slot>,
    /// Remote addresses of the slots in use: after a reconfiguration an address can move to
    /// another index, and must not be handed out twice.
    busy_remotes: HashSet<Ipv4Addr>,
}

impl AddressPool {
    /// Builds the slots from the configured addresses (`ServerConfig::local_ips`,
    /// `remote_ips`), `connections` and `delegate`, and returns the warnings to log.
    ///
    /// Without delegate, slot *i* pairs `remote[i]` with `local[i]`, or with the only local
    /// address when there is exactly one (poptop's rule: "If you give a single localIP, that's
    /// ok - all local IPs will be set to the given one"). There are as many slots as
    /// `connections`, fewer when the addresses run out first. In delegate mode there are
    /// `connections` slots without addresses and the lists are not looked at.
    pub fn new(
        local_ips: &[Ipv4Addr],
        remote_ips: &[Ipv4Addr],
        connections: usize,
        delegate: bool,
    ) -> (AddressPool, Vec<String>) {
        let mut warnings = Vec::new();
        let mut pool = AddressPool {
            pairs: Vec::new(),
            capacity: connections,
            active: BTreeMap::new(),
            busy_remotes: HashSet::new(),
        };
        if delegate {
            // No per-slot state: capacity alone bounds the slots, however large it is.
            return (pool, warnings);
        }
        let shared_local = match local_ips {
            [one] => Some(*one),
            _ => None,
        };
        let by_addresses = match shared_local {
            Some(_) => remote_ips.len(),
            None => remote_ips.len().min(local_ips.len()),
        };
        let capacity = connections.min(by_addresses);
        if capacity < connections {
            warnings.push(format!(
                "pptpd: connections reduced from {connections} to {capacity}: not enough \
                 addresses ({} remote, {} local)",
                remote_ips.len(),
                local_ips.len()
            ));
        }
        if remote_ips.len() > capacity {
            warnings.push(format!(
                "pptpd: {} remote addresses beyond the {capacity} slots are unused",
                remote_ips.len() - capacity
            ));
        }
        if shared_local.is_none() && local_ips.len() > capacity {
            warnings.push(format!(
                "pptpd: {} local addresses beyond the {capacity} slots are unused",
                local_ips.len() - capacity
            ));
        }
        pool.capacity = capacity;
        pool.pairs = match shared_local {
            Some(local) => remote_ips
                .iter()
                .map(|&r| (local, r))
                .take(capacity)
                .collect(),
            None => local_ips
                .iter()
                .zip(remote_ips)
                .map(|(&l, &r)| (l, r))
                .take(capacity)
                .collect(),
        };
        (pool, warnings)
    }

    /// Takes the lowest free slot, or `None` when every slot is taken (the caller then
    /// refuses the call with an Outgoing-Call-Reply, where poptop stopped answering).
    ///
    /// After a [`reconfigure`](Self::reconfigure) a slot is also unavailable while a client
    /// of the old configuration holds the same index or the same remote address, and slots
    /// kept from the old configuration count towards the new capacity.
    pub fn acquire(&mut self) -> Option<Slot> {
        if self.active.len() >= self.capacity {
            return None;
        }
        // Ends within active.len() + 1 steps in delegate mode, where no address blocks.
        let index = (0..self.capacity).find(|i| {
            !self.active.contains_key(i)
                && self
                    .pairs
                    .get(*i)
                    .is_none_or(|(_, remote)| !self.busy_remotes.contains(remote))
        })?;
        let (local, remote) = match self.pairs.get(index) {
            Some(&(local, remote)) => (Some(local), Some(remote)),
            None => (None, None),
        };
        let slot = Slot {
            index,
            local,
            remote,
        };
        if let Some(remote) = remote {
            self.busy_remotes.insert(remote);
        }
        self.active.insert(index, slot);
        Some(slot)
    }

    /// Frees a slot. Returns false when it was not in use (a double release, which is
    /// harmless; the caller logs it).
    pub fn release(&mut self, index: usize) -> bool {
        match self.active.remove(&index) {
            Some(slot) => {
                if let Some(remote) = slot.remote {
                    self.busy_remotes.remove(&remote);
                }
                true
            }
            None => false,
        }
    }

    /// Slots in use, those kept from a previous configuration included.
    pub fn in_use(&self) -> usize {
        self.active.len()
    }

    /// How many slots the current configuration has: the most simultaneous clients.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The slot in use with this index, if any.
    pub fn get(&self, index: usize) -> Option<Slot> {
        self.active.get(&index).copied()
    }

    /// Switches to a new configuration, such as one reloaded on SIGHUP, built with
    /// [`new`](Self::new). Slots in use keep their addresses until they are released, and
    /// their indices and remote addresses stay reserved until then; new slots come from the
    /// new configuration. Slots that `new` had handed out itself are forgotten.
    pub fn reconfigure(&mut self, new: AddressPool) {
        self.pairs = new.pairs;
        self.capacity = new.capacity;
    }
}

#[cfg(test)]
mod tests;
