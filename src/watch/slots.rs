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

/// What the store answered a request for a slot.
enum Answer {
    Taken(Slot),
    /// Every slot is held: ask again after this long.
    Full(Duration),
    Failed(String),
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
                match self.ask(&h, host, wait).await {
                    Answer::Taken(slot) => return slot,
                    Answer::Full(again) => wait = again,
                    Answer::Failed(e) => {
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

    /// Asks the store for a slot of `host`, on a task of its own: a request dropped while
    /// the store answers (its cycle cut short) loses no slot, since a slot taken for it
    /// that nobody receives is dropped as an idle one of this process, and goes back
    /// like the others. Were the take cut instead, the store would keep a slot this
    /// process does not know it holds, and renew it with its other claims for as long
    /// as it runs. `wait` is the longest to wait before asking again when all are held.
    async fn ask(self: &Arc<Self>, h: &Arc<Host>, host: &str, mut wait: Duration) -> Answer {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let asking = Asking(h.clone());
        let (this, h) = (self.clone(), h.clone());
        let (name, per_host) = (host.to_string(), self.per_host);
        tokio::spawn(async move {
            let _asking = asking;
            let now = this.clock.now();
            let until = now + this.lease;
            let taken = this
                .db
                .call(move |s| s.take_host_slot(&name, per_host, now, until))
                .await;
            let answer = match taken {
                Ok(HostSlot::Taken(slot)) => {
                    lock(&h.local).held += 1;
                    this.sweep_while_holding();
                    Answer::Taken(Slot {
                        owner: Some((h.clone(), slot)),
                    })
                }
                Ok(HostSlot::Full { lapses }) => {
                    if let Some(t) = lapses.and_then(|t| (t - now).to_std().ok()) {
                        wait = wait.min(t.max(Duration::from_millis(1)));
                    }
                    lock(&h.local).retry_at = Some(Instant::now() + wait);
                    Answer::Full(wait)
                }
                Err(e) => Answer::Failed(e.to_string()),
            };
            // Unreceived, a taken slot drops here, into this process's idle ones.
            let _ = tx.send(answer);
        });
        rx.await
            .unwrap_or_else(|_| Answer::Failed("the request for a slot was cut short".into()))
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
        let given = self.db.call(move |s| s.release_host_slots(&slots)).await;
        if let Err(e) = &given {
            // Still this process's in the store, and renewed with its other claims: kept
            // as idle ones, for its next request or the sweeper's next try.
            tracing::warn!(error = %e, "giving back request slots failed; trying again");
        }
        for (h, _, slot) in back {
            let mut l = lock(&h.local);
            if given.is_ok() {
                l.held = l.held.saturating_sub(1);
                // A slot is free in the store now: a waiter here may ask at once.
                l.retry_at = None;
            } else {
                l.free.push((slot, Instant::now()));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// A guard against a hung test, not a synchronisation.
    const LIMIT: Duration = Duration::from_secs(10);

    fn slots(per_host: usize) -> Arc<HostSlots> {
        let db = Db::new(Store::open_in_memory().expect("database"));
        Arc::new(HostSlots::new(
            db,
            per_host,
            Duration::from_secs(120),
            Clock::new(),
        ))
    }

    // One thread: polled once, the request has asked the store and cannot have had the
    // answer before it is dropped.
    #[tokio::test(flavor = "current_thread")]
    async fn a_request_dropped_while_the_store_answers_loses_no_slot() {
        let s = slots(1);
        // Polled once, the request asks the store, and is dropped before the answer.
        let mut cut = Box::pin(s.acquire("news.example"));
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(cut.as_mut().poll(cx))).await;
        assert!(first.is_pending(), "the store cannot have answered yet");
        drop(cut);
        // The one slot it took is this process's idle one: the next request gets it,
        // rather than waiting for a slot the store says this process holds.
        let slot = tokio::time::timeout(LIMIT, s.acquire("news.example"))
            .await
            .expect("the slot taken for the dropped request");
        assert!(slot.owner.is_some());
        drop(slot);
        s.settle().await;
        // Given back to the store: free for anyone.
        let now = Clock::new().now();
        let taken =
            s.db.call(move |st| {
                st.take_host_slot("news.example", 1, now, now + chrono::Duration::minutes(1))
            })
            .await
            .expect("take");
        assert_eq!(taken, HostSlot::Taken(0));
    }
}
