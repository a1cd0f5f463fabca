//! `[http] per_host` across every process on one database.
//!
//! The fetcher limits the requests one process has open to a host; several workers on
//! one PostgreSQL (or several processes on one SQLite state) would still send
//! `per_host` each. So before each request of a feed poll or a page fetch (each hop: a
//! redirect to another host waits for that host's), the watcher's fetcher takes one of
//! the host's request slots in the store ([`Store::take_host_slot`](crate::store::Store::take_host_slot)),
//! through [`Gate`], and lets go of it once the response is read: at most `per_host`
//! requests to a host are open across all of them.
//!
//! Round trips are kept off the common path. A slot let go of stays this process's for
//! [`LINGER`]: the next request here for the same host takes it over in memory, and only
//! a slot idle that long goes back to the store (in one transaction with the others, by
//! a sweeper task that runs while this process holds slots). A process working through
//! its share of a host's pages therefore takes its slots once per burst, not once per
//! request. At the end of a cycle every idle slot goes back ([`HostSlots::settle`]), so a
//! `redline poll` that exits leaves none behind. A request that finds every slot taken
//! asks again every [`SLOT_POLL`] (sooner when the first held slot lapses), or as soon as
//! one of this process's own slots comes free. The slots are claims like the others:
//! renewed while the process works, and lapsing `[state] lease` after a holder dies.
//!
//! A store error while taking a slot is logged and the request goes ahead under the
//! process's own limit: politeness degrades to per process, the work does not stop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::fetch::{BoxFuture, HostGate};
use crate::store::{Db, HostSlot};

/// How often a request waiting for a host whose slots other processes hold asks again.
pub const SLOT_POLL: Duration = Duration::from_millis(100);
/// How long a slot nobody here uses stays this process's, for its next request to the
/// host, before it goes back to the store.
pub const LINGER: Duration = Duration::from_millis(100);

/// The host slots of one process.
#[derive(Debug)]
pub struct HostSlots {
    db: Db,
    per_host: usize,
    lease: chrono::Duration,
    clock: Clock,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    /// Held while slots are given back to the store, so [`HostSlots::settle`] waits for
    /// the sweeper's give-back in progress.
    giving: tokio::sync::Mutex<()>,
    /// Whether the sweeper task runs.
    sweeping: AtomicBool,
}

/// One host's slots in this process.
#[derive(Debug, Default)]
struct Host {
    local: Mutex<Local>,
    /// Woken when a slot comes free here (let go of, or given back to the store).
    freed: Notify,
}

#[derive(Debug, Default)]
struct Local {
    /// Slots this process holds that no request of its uses now, and since when.
    free: Vec<(i64, Instant)>,
    /// Slots this process holds in the store (in use or idle).
    held: usize,
    /// Whether a request is asking the store for a slot right now.
    asking: bool,
    /// After the store said every slot is taken: when to ask again.
    retry_at: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The slots as the fetcher's gate: each hop of a GET takes a slot of its host.
#[derive(Debug)]
pub struct Gate(pub Arc<HostSlots>);

impl HostGate for Gate {
    fn enter<'a>(&'a self, host: &'a str) -> BoxFuture<'a, Box<dyn Send>> {
        Box::pin(async move { Box::new(self.0.acquire(host).await) as Box<dyn Send> })
    }
}

/// A request slot of one host, held until dropped.
#[derive(Debug)]
pub struct Slot {
    owner: Option<(Arc<Host>, i64)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((host, slot)) = self.owner.take() {
            lock(&host.local).free.push((slot, Instant::now()));
            host.freed.notify_one();
        }
    }
}

/// Marks a request asking the store, until it has its answer (or is dropped).
struct Asking(Arc<Host>);

impl Drop for Asking {
    fn drop(&mut self) {
        lock(&self.0.local).asking = false;
    }
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
            giving: tokio::sync::Mutex::new(()),
            sweeping: AtomicBool::new(false),
        }
    }

    fn host(&self, host: &str) -> Arc<Host> {
        lock(&self.hosts)
            .entry(host.to_string())
            .or_default()
            .clone()
    }

    /// Waits for a request slot of `host`, shared with every process on the store.
    pub async fn acquire(self: &Arc<Self>, host: &str) -> Slot {
        let h = self.host(host);
        loop {
            let freed = h.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let mut wait = SLOT_POLL;
            let ask = {
                let mut l = lock(&h.local);
                if let Some((slot, _)) = l.free.pop() {
                    return Slot {
                        owner: Some((h.clone(), slot)),
                    };
                }
                let now = Instant::now();
                let ask =
                    l.held < self.per_host && !l.asking && l.retry_at.is_none_or(|t| t <= now);
                if let Some(t) = l.retry_at.filter(|t| *t > now) {
                    wait = t - now;
                }
                l.asking |= ask;
                ask
            };
            if ask {
                let asking = Asking(h.clone());
                let now = self.clock.now();
                let until = now + self.lease;
                let (name, per_host) = (host.to_string(), self.per_host);
                let taken = self
                    .db
                    .call(move |s| s.take_host_slot(&name, per_host, now, until))
                    .await;
                match taken {
                    Ok(HostSlot::Taken(slot)) => {
                        lock(&h.local).held += 1;
                        drop(asking);
                        self.sweep_while_holding();
                        return Slot {
                            owner: Some((h.clone(), slot)),
                        };
                    }
                    Ok(HostSlot::Full { lapses }) => {
                        if let Some(t) = lapses.and_then(|t| (t - now).to_std().ok()) {
                            wait = wait.min(t.max(Duration::from_millis(1)));
                        }
                        lock(&h.local).retry_at = Some(Instant::now() + wait);
                    }
                    Err(e) => {
                        tracing::warn!(host, error = %e, "cannot take a request slot in the store; going ahead under this process's own per_host");
                        return Slot { owner: None };
                    }
                }
                drop(asking);
            }
            tokio::select! {
                () = &mut freed => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Starts the sweeper, unless it runs: every [`LINGER`] it gives back the slots idle
    /// that long, and it stops once this process holds none.
    fn sweep_while_holding(self: &Arc<Self>) {
        if self.sweeping.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LINGER).await;
                this.give_back(LINGER).await;
                if !this.holding() {
                    this.sweeping.store(false, Ordering::Release);
                    // A slot taken between the look and the store started no sweeper
                    // (this one still ran): go on for it, unless another one started.
                    if !this.holding() || this.sweeping.swap(true, Ordering::AcqRel) {
                        break;
                    }
                }
            }
        });
    }

    /// Whether this process holds any slot.
    fn holding(&self) -> bool {
        lock(&self.hosts).values().any(|h| lock(&h.local).held > 0)
    }

    /// Gives back every slot idle for `idle` or longer, in one transaction.
    async fn give_back(&self, idle: Duration) {
        let _giving = self.giving.lock().await;
        let now = Instant::now();
        let mut back: Vec<(Arc<Host>, String, i64)> = Vec::new();
        for (name, h) in lock(&self.hosts).iter() {
            let mut l = lock(&h.local);
            l.free.retain(|&(slot, since)| {
                let keep = now.duration_since(since) < idle;
                if !keep {
                    back.push((h.clone(), name.clone(), slot));
                }
                keep
            });
        }
        if back.is_empty() {
            return;
        }
        let slots: Vec<(String, i64)> = back.iter().map(|(_, n, s)| (n.clone(), *s)).collect();
        if let Err(e) = self.db.call(move |s| s.release_host_slots(&slots)).await {
            tracing::warn!(error = %e, "giving back request slots failed; they lapse after the lease");
        }
        for (h, _, _) in back {
            let mut l = lock(&h.local);
            l.held = l.held.saturating_sub(1);
            // A slot is free in the store now: a waiter here may ask at once.
            l.retry_at = None;
            drop(l);
            h.freed.notify_one();
        }
    }

    /// Gives back every slot no request of this process uses: at the end of a cycle, so
    /// that other processes need not wait, and a process that exits leaves none behind.
    pub async fn settle(&self) {
        self.give_back(Duration::ZERO).await;
    }
}
