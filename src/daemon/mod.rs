//! The long-running service around [`watch`](crate::watch): cycles on schedule, mail
//! and webhook delivery on a loop of its own beside them (`deliver`), config reload,
//! and a clean stop.
//!
//! [`run`] takes its shutdown signal and its reload requests as arguments, so tests drive
//! the real loop; [`run_with_signals`] wires them to SIGTERM/SIGINT and SIGHUP. A reload
//! that finds a broken config logs why and keeps the old one.
//!
//! The daemon owns the long-lived resources: the counters, the endpoint with `/metrics`
//! and the web view ([`endpoint`]), the [`Mailer`] and the [`Webhooks`] (built once per
//! config, rebuilt at a reload, so the SMTP pool, the password file and the webhook
//! secrets are not set up again for every pass).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sd_notify::NotifyState;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::alert::{Mailer, Webhooks};
use crate::clock::Clock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Db;
use crate::watch::Watcher;

mod deliver;
pub mod endpoint;

use deliver::{Deliveries, Senders};

/// The mailer for a config, or why there is none (delivery then keeps mail queued and
/// records this as the reason).
fn mailer_for(config: &Config) -> Result<Mailer, String> {
    Mailer::from_config(config).map_err(|e| {
        let e = e.to_string();
        tracing::error!("cannot set up mail delivery: {e}");
        e
    })
}

/// The webhooks for a config with their secrets read, or why there are none (their
/// deliveries then stay queued with this as the reason).
fn webhooks_for(config: &Config) -> Result<Webhooks, String> {
    Webhooks::from_config(config).map_err(|e| {
        let e = e.to_string();
        tracing::error!("cannot set up webhooks: {e}");
        e
    })
}

/// The longest the loop sleeps between looks at the schedule.
const MAX_NAP: Duration = Duration::from_secs(60);
/// The shortest, so a busy schedule cannot spin.
const MIN_NAP: Duration = Duration::from_millis(200);
/// How long in-flight work may take to finish after a stop signal.
pub const GRACE: Duration = Duration::from_secs(25);

/// Runs cycles until `shutdown` is cancelled. Each message on `reload` re-reads the
/// config from `config_path`.
pub async fn run(
    config_path: PathBuf,
    config: Arc<Config>,
    shutdown: CancellationToken,
    mut reload: mpsc::Receiver<()>,
) -> anyhow::Result<()> {
    let db = Db::open(&config.state).await?;
    let metrics = Arc::new(Metrics::default());
    let clock = Clock::new();
    let mut watcher = Watcher::with_clock(config.clone(), db.clone(), clock, metrics.clone())?;
    if let Some(listen) = &config.http.listen {
        // A token that was asked for but cannot be read stops the start: serving the
        // view openly instead would be a silent downgrade.
        let token = config.http.token().map_err(|e| anyhow::anyhow!(e))?;
        // Validation checked the address; binding can still fail (in use).
        let addr: std::net::SocketAddr = listen.get_ref().parse()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (http.listen): {e}"))?;
        let bound = listener.local_addr()?;
        tracing::info!(
            addr = %bound,
            token = token.is_some(),
            "serving /healthz and /metrics, and the web view at http://{bound}/"
        );
        tokio::spawn(endpoint::serve(
            listener,
            metrics.clone(),
            db.clone(),
            token,
            shutdown.clone(),
        ));
    }
    notify(&[NotifyState::Ready, NotifyState::Status("watching")]);
    if let Some(every) = sd_notify::watchdog_enabled() {
        // Ping at half the watchdog interval from the loop's own runtime: if the runtime
        // wedges, the pings stop and systemd restarts the service.
        let token = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every / 2);
            loop {
                tokio::select! {
                    () = token.cancelled() => break,
                    _ = tick.tick() => notify(&[NotifyState::Watchdog]),
                }
            }
        });
    }
    let mut due_at: Option<DateTime<Utc>> = None;
    tracing::info!(
        feeds = config.feeds.len(),
        topics = config.topics.len(),
        db = %config.db_path().display(),
        "redline started"
    );
    let senders = |w: &Watcher, mailer, webhooks| Senders {
        config: w.config.clone(),
        http: w.http.clone(),
        mailer: Arc::new(mailer),
        webhooks: Arc::new(webhooks),
    };
    let (deliveries, delivering) = Deliveries::new(
        senders(&watcher, mailer_for(&config), webhooks_for(&config)),
        db.open_beside(&config.state).await?,
        clock,
        shutdown.clone(),
    );
    watcher = watcher.waking(deliveries.waker());
    // This process's claims (checks in flight, messages being sent) are renewed while it
    // runs, until the delivery loop has recorded the message in hand at a stop.
    let mut renewal = watcher.renew_while_working();
    let checking = async {
        loop {
            // Fetching and recording may be abandoned at a stop: each article's check is
            // one transaction, so a cut leaves it unchecked, never half-written.
            let cycle = async {
                let started = watcher.clock.now();
                let report = watcher.cycle(false).await?;
                let lag = due_at
                    .and_then(|d| (started - d).to_std().ok())
                    .unwrap_or_default();
                metrics.cycle(lag, watcher.clock.now().timestamp());
                if report != Default::default() {
                    tracing::info!(?report, "cycle done");
                }
                anyhow::Ok(())
            };
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                done = cycle => {
                    if let Err(e) = done {
                        // A cycle-wide failure (the database, say) is logged; the next
                        // cycle tries again rather than the service dying.
                        tracing::error!("cycle failed: {e:#}");
                    }
                }
            }
            let (nap, due) = next_nap(&watcher, &db).await;
            due_at = due;
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(()) = reload.recv() => {
                    notify(&[NotifyState::Reloading]);
                    // A webhook secret that is no longer set makes the new config unusable.
                    let loaded = Config::load(&config_path).and_then(|c| {
                        let hooks = Webhooks::from_config(&c)?;
                        Ok((c, hooks))
                    });
                    match loaded {
                        Ok((new, hooks)) => match Watcher::with_clock(Arc::new(new), db.clone(), clock, metrics.clone()).map(|w| w.waking(deliveries.waker())) {
                            Ok(w) => {
                                tracing::info!(feeds = w.config.feeds.len(), topics = w.config.topics.len(), "config reloaded");
                                if w.config.http.listen.as_ref().map(|l| l.get_ref()) != watcher.config.http.listen.as_ref().map(|l| l.get_ref()) {
                                    tracing::warn!("http.listen changed: it takes effect at the next restart");
                                }
                                deliveries.replace(senders(&w, mailer_for(&w.config), Ok(hooks)));
                                watcher = w;
                                renewal = watcher.renew_while_working();
                            }
                            Err(e) => tracing::error!("config reload failed, keeping the old one: {e}"),
                        },
                        Err(e) => tracing::error!("config reload failed, keeping the old one: {e}"),
                    }
                    notify(&[NotifyState::Ready]);
                }
                () = tokio::time::sleep(nap) => {}
            }
        }
    };
    // Both end at a stop: the cycle at once, the delivery loop once the message in hand
    // is recorded.
    tokio::join!(checking, delivering);
    drop(renewal);
    notify(&[NotifyState::Stopping]);
    tracing::info!("redline stopped");
    Ok(())
}

/// Tells systemd (when it started us with Type=notify) how the service is doing.
fn notify(state: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::debug!("sd_notify: {e}");
    }
}

/// How long to wait until a feed or an article is due, and when that is (queued
/// messages and submissions are the delivery loop's, see [`deliver`]).
async fn next_nap(watcher: &Watcher, db: &Db) -> (Duration, Option<DateTime<Utc>>) {
    // Once a cycle has synced the configured feeds, their ids find the soonest along
    // an index; before, every feed row is read and matched by address (a set: with
    // thousands of feeds, a list searched once per feed row costs seconds).
    let configured = watcher.configured_feed_ids();
    let urls: HashSet<String> = match configured {
        Some(_) => HashSet::new(),
        None => watcher
            .config
            .feeds
            .iter()
            .map(|f| f.url.get_ref().clone())
            .collect(),
    };
    let next = db
        .call(move |s| {
            let feed_due = match &configured {
                Some(ids) => s.next_feed_due(ids)?,
                None => s
                    .feed_due_times()?
                    .into_iter()
                    .filter(|(url, _)| urls.contains(url))
                    .map(|(_, due)| due.unwrap_or_default())
                    .min(),
            };
            Ok([feed_due, s.next_article_due()?]
                .into_iter()
                .flatten()
                .min())
        })
        .await;
    match next {
        Ok(Some(t)) => (deliver::until(t, watcher.clock.now()), Some(t)),
        Ok(None) => (MAX_NAP, None),
        Err(e) => {
            tracing::error!("cannot read the schedule: {e}");
            (MAX_NAP, None)
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
