//! The long-running service around [`watch`](crate::watch): cycles on schedule, mail
//! delivery, config reload, and a clean stop.
//!
//! [`run`] takes its shutdown signal and its reload requests as arguments, so tests drive
//! the real loop; [`run_with_signals`] wires them to SIGTERM/SIGINT and SIGHUP. A reload
//! that finds a broken config logs why and keeps the old one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::store::{Db, Store};
use crate::watch::Watcher;

/// The longest the loop sleeps between looks at the schedule.
const MAX_NAP: Duration = Duration::from_secs(60);
/// The shortest, so a busy schedule cannot spin.
const MIN_NAP: Duration = Duration::from_millis(200);
/// How long in-flight work may take to finish after a stop signal.
pub const GRACE: Duration = Duration::from_secs(10);

/// Runs cycles until `shutdown` is cancelled. Each message on `reload` re-reads the
/// config from `config_path`.
pub async fn run(
    config_path: PathBuf,
    config: Arc<Config>,
    shutdown: CancellationToken,
    mut reload: mpsc::Receiver<()>,
) -> anyhow::Result<()> {
    let db = Db::new(Store::open(&config.db_path())?);
    let mut watcher = Watcher::new(config.clone(), db.clone())?;
    tracing::info!(
        feeds = config.feeds.len(),
        topics = config.topics.len(),
        db = %config.db_path().display(),
        "redline started"
    );
    loop {
        let work = async {
            let report = watcher.cycle(false).await?;
            if report != Default::default() {
                tracing::info!(?report, "cycle done");
            }
            let mail = crate::alert::deliver_due(&watcher.config, &db).await?;
            if mail.attempted > 0 {
                tracing::info!(?mail, "mail delivered");
            }
            anyhow::Ok(())
        };
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            done = work => {
                if let Err(e) = done {
                    // A cycle-wide failure (the database, say) is logged; the next cycle
                    // tries again rather than the service dying.
                    tracing::error!("cycle failed: {e:#}");
                }
            }
        }
        let nap = next_nap(&watcher, &db).await;
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            Some(()) = reload.recv() => {
                match Config::load(&config_path) {
                    Ok(new) => match Watcher::with_clock(Arc::new(new), db.clone(), watcher.clock) {
                        Ok(w) => {
                            tracing::info!(feeds = w.config.feeds.len(), topics = w.config.topics.len(), "config reloaded");
                            watcher = w;
                        }
                        Err(e) => tracing::error!("config reload failed, keeping the old one: {e}"),
                    },
                    Err(e) => tracing::error!("config reload failed, keeping the old one: {e}"),
                }
            }
            () = tokio::time::sleep(nap) => {}
        }
    }
    tracing::info!("redline stopped");
    Ok(())
}

/// How long to wait until something is due: a feed, an article or a queued mail.
async fn next_nap(watcher: &Watcher, db: &Db) -> Duration {
    let urls: Vec<String> = watcher
        .config
        .feeds
        .iter()
        .map(|f| f.url.get_ref().clone())
        .collect();
    let next = db
        .call(move |s| {
            let feeds = s.feeds()?;
            let feed_due = feeds
                .iter()
                .filter(|f| urls.contains(&f.url))
                .map(|f| f.next_due.unwrap_or_default())
                .min();
            Ok([feed_due, s.next_article_due()?, s.next_outbox_due()?]
                .into_iter()
                .flatten()
                .min())
        })
        .await;
    match next {
        Ok(Some(t)) => (t - watcher.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .clamp(MIN_NAP, MAX_NAP),
        Ok(None) => MAX_NAP,
        Err(e) => {
            tracing::error!("cannot read the schedule: {e}");
            MAX_NAP
        }
    }
}

/// Runs the service until SIGTERM or SIGINT; SIGHUP reloads the config.
pub async fn run_with_signals(config_path: PathBuf, config: Arc<Config>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let shutdown = CancellationToken::new();
    let (reload_tx, reload_rx) = mpsc::channel(1);
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let token = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM: stopping"); token.cancel(); break; }
                _ = int.recv() => { tracing::info!("SIGINT: stopping"); token.cancel(); break; }
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading the config");
                    // A reload already pending covers this one too.
                    let _ = reload_tx.try_send(());
                }
            }
        }
    });
    let service = run(config_path, config, shutdown.clone(), reload_rx);
    tokio::pin!(service);
    tokio::select! {
        r = &mut service => r,
        () = async { shutdown.cancelled().await; tokio::time::sleep(GRACE).await } => {
            tracing::warn!("in-flight work did not finish within {GRACE:?}; stopping anyway");
            Ok(())
        }
    }
}
