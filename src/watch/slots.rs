//! `[http] per_host` across every process on one database.
//!
//! The fetcher limits the requests one process has open to a host; several workers on
//! one PostgreSQL (or several processes on one SQLite state) would still send
//! `per_host` each. So before a feed poll or a page fetch, the watcher takes one of the
//! host's request slots in the store ([`Store::take_host_slot`](crate::store::Store::take_host_slot)),
//! and gives it back once the response is read: at most `per_host` requests to a host
//! are open across all of them.
//!
//! Round trips are kept off the common path: a slot given up while another of this
//! process's requests waits for the same host passes to that request in memory, and goes
//! back to the store only when nobody here wants it. A process working through a backlog
//! on one host therefore takes its slots once and keeps them until its queue for that
//! host runs dry. A request that finds every slot taken asks again every [`SLOT_POLL`]
//! (sooner when the first held slot lapses), or as soon as one of this process's own
//! slots comes free. The slots are claims like the others: renewed while the process
//! works, and lapsing `[state] lease` after a holder dies.
//!
//! A store error while taking a slot is logged and the request goes ahead under the
//! process's own limit: politeness degrades to per process, the work does not stop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::store::{Db, HostSlot};

/// How often a request waiting for a host whose slots other processes hold asks again.
pub const SLOT_POLL: Duration = Duration::from_millis(100);

/// The host slots of one process.
#[derive(Debug)]
pub struct HostSlots {
    db: Db,
    per_host: usize,
    lease: chrono::Duration,
    clock: Clock,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// One host's slots in this process.
#[derive(Debug, Default)]
struct Host {
    local: Mutex<Local>,
    /// Woken when a slot comes free here (handed over, or given back to the store).
    freed: Notify,
}

#[derive(Debug, Default)]
struct Local {
    /// Slots this process holds that no request of its uses right now.
    free: Vec<i64>,
    /// Slots this process holds in the store (in use, free, or being given back).
    held: usize,
    /// Requests waiting for a slot of this host.
    waiting: usize,
    /// Whether one of them is asking the store right now.
    asking: bool,
}

fn lock(m: &Mutex<Local>) -> std::sync::MutexGuard<'_, Local> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A request slot of one host, held until dropped.
#[derive(Debug)]
pub struct Slot {
    owner: Option<(Arc<HostSlots>, Arc<Host>, String, i64)>,
}

impl HostSlots {
    pub fn new(db: Db, per_host: usize, lease: Duration, clock: Clock) -> HostSlots {
        HostSlots {
            db,
            per_host: per_host.max(1),
            lease: chrono::Duration::from_std(lease)
                .unwrap_or_else(|_| chrono::Duration::minutes(2)),
            clock,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn host(&self, host: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.entry(host.to_string()).or_default().clone()
    }

    /// Waits for a request slot of `host`, shared with every process on the store.
    pub async fn acquire(self: &Arc<Self>, host: &str) -> Slot {
        let h = self.host(host);
        lock(&h.local).waiting += 1;
        let _waiting = Waiting {
            slots: self.clone(),
            host: h.clone(),
            name: host.to_string(),
        };
        loop {
            let freed = h.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let ask = {
                let mut l = lock(&h.local);
                if let Some(slot) = l.free.pop() {
                    return self.slot(&h, host, slot);
                }
                let ask = l.held < self.per_host && !l.asking;
                l.asking |= ask;
                ask
            };
            let mut wait = SLOT_POLL;
            if ask {
                let asking = Asking(h.clone());
                let now = self.clock.now();
                let until = now + self.lease;
                let (name, per_host) = (host.to_string(), self.per_host);
                let taken = self
                    .db
                    .call(move |s| s.take_host_slot(&name, per_host, now, until))
                    .await;
                drop(asking);
                match taken {
                    Ok(HostSlot::Taken(slot)) => {
                        lock(&h.local).held += 1;
                        return self.slot(&h, host, slot);
                    }
                    Ok(HostSlot::Full { lapses }) => {
                        if let Some(t) = lapses.and_then(|t| (t - now).to_std().ok()) {
                            wait = wait.min(t.max(Duration::from_millis(1)));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(host, error = %e, "cannot take a request slot in the store; going ahead under this process's own per_host");
                        return Slot { owner: None };
                    }
                }
            }
            tokio::select! {
                () = &mut freed => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn slot(self: &Arc<Self>, h: &Arc<Host>, host: &str, slot: i64) -> Slot {
        Slot {
            owner: Some((self.clone(), h.clone(), host.to_string(), slot)),
        }
    }

    /// Gives `slot` back to the store, then tells this process's waiters (one of them may
    /// take a slot from the store again). On a task of its own, so a drop can do it.
    fn give_back(self: &Arc<Self>, h: Arc<Host>, host: String, slot: i64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime left (the process is stopping): the claim lapses after the lease.
            return;
        };
        let this = self.clone();
        runtime.spawn(async move {
            let name = host.clone();
            if let Err(e) = this
                .db
                .call(move |s| s.release_host_slot(&name, slot))
                .await
            {
                tracing::warn!(host, error = %e, "giving back a request slot failed; it lapses after the lease");
            }
            let mut l = lock(&h.local);
            l.held = l.held.saturating_sub(1);
            drop(l);
            h.freed.notify_one();
        });
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some((slots, h, host, slot)) = self.owner.take() else {
            return;
        };
        let mut l = lock(&h.local);
        if l.waiting > 0 {
            // Another request here wants this host: it takes the slot over.
            l.free.push(slot);
            drop(l);
            h.freed.notify_one();
        } else {
            drop(l);
            slots.give_back(h, host, slot);
        }
    }
}

/// Counts a request among its host's waiters until it has a slot (or gives up waiting);
/// the last waiter to leave gives back the slots nobody took over.
struct Waiting {
    slots: Arc<HostSlots>,
    host: Arc<Host>,
    name: String,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut l = lock(&self.host.local);
        l.waiting = l.waiting.saturating_sub(1);
        let idle = if l.waiting == 0 {
            std::mem::take(&mut l.free)
        } else {
            Vec::new()
        };
        drop(l);
        for slot in idle {
            self.slots
                .give_back(self.host.clone(), self.name.clone(), slot);
        }
    }
}

/// Marks a waiter asking the store, until it has its answer (or is dropped).
struct Asking(Arc<Host>);

impl Drop for Asking {
    fn drop(&mut self) {
        lock(&self.0.local).asking = false;
    }
}
