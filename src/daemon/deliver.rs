//! The delivery loop: archive submissions, then mail, then webhooks, on a loop of their
//! own beside the check cycles.
//!
//! A cycle can be long (thousands of due articles) or held up (every request slot of a
//! host taken, a slow server): an alert it committed must not wait for the end of the
//! next one. So the loop sends whatever is due, then sleeps until the next queued row
//! or submission falls due (a retry, a digest, another worker's claim running out), and
//! is woken early each time a check commits a version or an alert (the watcher tells
//! [`Deliveries::waker`], mid-cycle) and by a config reload.
//!
//! A send is never cut in half: a message the server accepted must be marked sent
//! before the service goes, or the next start would send it again. At a stop the loop
//! finishes the message in hand, records it, and takes no new one. An archive
//! submission cut short by a stop is simply tried again later.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::alert::{Mailer, Webhooks};
use crate::clock::Clock;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::store::Db;

use super::{MAX_NAP, MIN_NAP};

/// What the loop sends with; the daemon hands it a new one at a config reload.
#[derive(Clone)]
pub struct Senders {
    pub config: Arc<Config>,
    pub http: Arc<Fetcher>,
    pub mailer: Arc<Result<Mailer, String>>,
    pub webhooks: Arc<Result<Webhooks, String>>,
}

/// The daemon's handle on the delivery loop.
pub struct Deliveries {
    senders: watch::Sender<Senders>,
    wake: Arc<Notify>,
}

impl Deliveries {
    /// The handle, and the loop to run beside the cycles until `shutdown`.
    pub fn new(
        senders: Senders,
        db: Db,
        clock: Clock,
        shutdown: CancellationToken,
    ) -> (Deliveries, impl Future<Output = ()>) {
        let (tx, rx) = watch::channel(senders);
        let wake = Arc::new(Notify::new());
        let run = deliver_loop(rx, db, clock, wake.clone(), shutdown);
        (Deliveries { senders: tx, wake }, run)
    }

    /// What a watcher tells when a check records a version or an alert
    /// ([`Watcher::waking`](crate::watch::Watcher::waking)): the loop looks at once, or,
    /// told while it is sending, once it is done.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Sends with these from the next look on (a reload), which is now.
    pub fn replace(&self, senders: Senders) {
        self.senders.send_replace(senders);
    }
}

async fn deliver_loop(
    mut senders: watch::Receiver<Senders>,
    db: Db,
    clock: Clock,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    loop {
        let s = senders.borrow_and_update().clone();
        // Archive snapshots before mail, so that an alert can carry its link.
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            done = crate::archive::submit_due(&s.config, &db, &s.http, clock.now()) => {
                match done {
                    Ok(r) if r.attempted > 0 => tracing::info!(archive = ?r, "archive submissions"),
                    Ok(_) => {}
                    Err(e) => tracing::error!("archive submissions failed: {e:#}"),
                }
            }
        }
        // Not cut by a stop: the sender finishes the message in hand and takes no new one.
        match crate::alert::deliver_due_until(
            &s.config,
            &db,
            s.mailer.as_ref().as_ref(),
            clock.now(),
            &shutdown,
        )
        .await
        {
            Ok(mail) if mail.attempted > 0 => tracing::info!(?mail, "mail delivered"),
            Ok(_) => {}
            Err(e) => tracing::error!("mail delivery failed: {e:#}"),
        }
        // Webhooks the same way: the request in hand is finished and recorded.
        match crate::alert::webhook::deliver_due_until(
            &s.config,
            &db,
            &s.http,
            s.webhooks.as_ref().as_ref(),
            clock.now(),
            &shutdown,
        )
        .await
        {
            Ok(hooks) if hooks.attempted > 0 => tracing::info!(?hooks, "webhooks delivered"),
            Ok(_) => {}
            Err(e) => tracing::error!("webhook delivery failed: {e:#}"),
        }
        if shutdown.is_cancelled() {
            break;
        }
        let nap = next_nap(&s.config, &db, clock).await;
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            () = wake.notified() => {}
            Ok(()) = senders.changed() => {}
            () = tokio::time::sleep(nap) => {}
        }
    }
}

/// How long until a queued message or a submission is due (or a claim on one runs out).
async fn next_nap(config: &Config, db: &Db, clock: Clock) -> Duration {
    let submitting = config.archive.submit.is_some();
    let interval = config.archive.submit_interval.0;
    let next = db
        .call(move |s| {
            // A due submission waits for the rate limit too.
            let archive_due = match s.next_submission_due()? {
                Some(due) if submitting => Some(
                    s.submission_gate(interval)?
                        .map_or(due, |gate| due.max(gate)),
                ),
                _ => None,
            };
            Ok([s.next_outbox_due()?, archive_due]
                .into_iter()
                .flatten()
                .min())
        })
        .await;
    match next {
        Ok(Some(t)) => until(t, clock.now()),
        Ok(None) => MAX_NAP,
        Err(e) => {
            tracing::error!("cannot read when the next delivery is due: {e}");
            MAX_NAP
        }
    }
}

/// The nap until `t`, within [`MIN_NAP`, `MAX_NAP`].
pub(super) fn until(t: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (t - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
        .clamp(MIN_NAP, MAX_NAP)
}
