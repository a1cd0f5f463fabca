//! Counters an operator can scrape, and the optional `/healthz` + `/metrics` endpoint.
//!
//! The fetcher and the watch cycle count what they do in [`Metrics`] (lock-free
//! atomics); figures that live in the database (articles, versions, alerts by state,
//! feed error streaks) are read from it at scrape time, so they survive restarts.
//! [`serve`] answers on `[http].listen` when that is set.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::store::Db;

/// The outcomes a fetch is counted under.
pub const FETCH_RESULTS: [&str; 6] = [
    "ok",
    "not_modified",
    "http_error",
    "network_error",
    "too_large",
    "paused",
];

/// Counters kept in memory since the process started.
#[derive(Debug, Default)]
pub struct Metrics {
    fetches: [AtomicU64; 6],
    bytes: AtomicU64,
    cycles: AtomicU64,
    /// How late the last cycle started after its earliest due work, in milliseconds.
    cycle_lag_ms: AtomicU64,
    /// Unix time of the last completed cycle, in seconds.
    last_cycle: AtomicU64,
}

impl Metrics {
    /// Counts one fetch under `result` (one of [`FETCH_RESULTS`]).
    pub fn fetch(&self, result: &str, bytes: usize) {
        if let Some(i) = FETCH_RESULTS.iter().position(|r| *r == result) {
            self.fetches[i].fetch_add(1, Ordering::Relaxed);
        }
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Records a finished cycle and how late it started.
    pub fn cycle(&self, lag: std::time::Duration, at_unix: i64) {
        self.cycles.fetch_add(1, Ordering::Relaxed);
        self.cycle_lag_ms
            .store(lag.as_millis() as u64, Ordering::Relaxed);
        self.last_cycle
            .store(at_unix.max(0) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of these counters and the store's figures.
    pub fn render(&self, s: &crate::store::Figures) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        let fetches: Vec<(String, f64)> = FETCH_RESULTS
            .iter()
            .zip(&self.fetches)
            .map(|(r, c)| {
                (
                    format!("{{result=\"{r}\"}}"),
                    c.load(Ordering::Relaxed) as f64,
                )
            })
            .collect();
        metric(
            "redline_fetches_total",
            "counter",
            "HTTP fetches by result.",
            &fetches,
        );
        let one = |v: f64| vec![(String::new(), v)];
        metric(
            "redline_fetch_bytes_total",
            "counter",
            "Response body bytes received.",
            &one(self.bytes.load(Ordering::Relaxed) as f64),
        );
        metric(
            "redline_cycles_total",
            "counter",
            "Completed poll cycles.",
            &one(self.cycles.load(Ordering::Relaxed) as f64),
        );
        metric(
            "redline_cycle_lag_seconds",
            "gauge",
            "How late the last cycle started after its earliest due work.",
            &one(self.cycle_lag_ms.load(Ordering::Relaxed) as f64 / 1000.0),
        );
        metric(
            "redline_last_cycle_timestamp_seconds",
            "gauge",
            "Unix time of the last completed cycle.",
            &one(self.last_cycle.load(Ordering::Relaxed) as f64),
        );
        metric(
            "redline_articles_tracked",
            "gauge",
            "Tracked articles by state.",
            &s.articles
                .iter()
                .map(|(state, n)| (format!("{{state=\"{state}\"}}"), *n as f64))
                .collect::<Vec<_>>(),
        );
        metric(
            "redline_versions",
            "gauge",
            "Stored article versions.",
            &one(s.versions as f64),
        );
        metric(
            "redline_alerts",
            "gauge",
            "Alert deliveries by status.",
            &[
                ("{status=\"queued\"}".to_string(), s.queued as f64),
                ("{status=\"sent\"}".to_string(), s.sent as f64),
                ("{status=\"failed\"}".to_string(), s.failed as f64),
            ],
        );
        metric(
            "redline_feed_error_streak",
            "gauge",
            "Consecutive failed fetches of each feed.",
            &s.feed_streaks
                .iter()
                .map(|(name, n)| (format!("{{feed=\"{}\"}}", escape_label(name)), *n as f64))
                .collect::<Vec<_>>(),
        );
        out
    }
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[derive(Debug, Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    db: Db,
}

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    db: Db,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .with_state(AppState { metrics, db });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    match st.db.call(|s| s.integrity_quick()).await {
        Ok(()) => (StatusCode::OK, "ok\n".to_string()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")),
    }
}

async fn prometheus(State(st): State<AppState>) -> impl IntoResponse {
    match st.db.call(|s| s.figures()).await {
        Ok(f) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            st.metrics.render(&f),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain")],
            format!("database: {e}\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.fetch("ok", 100);
        m.fetch("ok", 50);
        m.fetch("not_modified", 0);
        let f = crate::store::Figures {
            articles: vec![("active".into(), 3)],
            versions: 4,
            queued: 1,
            sent: 2,
            failed: 0,
            feed_streaks: vec![("A \"quoted\" feed".into(), 2)],
        };
        let text = m.render(&f);
        assert!(
            text.contains("redline_fetches_total{result=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("redline_fetches_total{result=\"not_modified\"} 1\n"));
        assert!(text.contains("redline_fetch_bytes_total 150\n"));
        assert!(text.contains("redline_alerts{status=\"sent\"} 2\n"));
        assert!(text.contains("redline_feed_error_streak{feed=\"A \\\"quoted\\\" feed\"} 2\n"));
    }
}
