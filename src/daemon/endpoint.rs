//! The daemon's endpoint on `[http].listen`: `/healthz`, Prometheus `/metrics`, and the
//! web view and Atom feed of [`crate::web`], behind its token check and security headers.
//!
//! `/metrics` joins the in-memory counters of [`Metrics`] with the figures that live in the
//! database (articles, versions, alerts by state, feed error streaks), read at scrape
//! time so they survive restarts. The counters themselves know nothing of the store or
//! of HTTP serving.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::metrics::{Metrics, escape_label, write_family};
use crate::store::{Db, Figures};
use crate::web;

#[derive(Debug, Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    db: Db,
}

/// Serves `/healthz`, `/metrics`, the web view and the Atom feed on `listener` until
/// `shutdown`. With a `token`, every path but `/healthz` requires it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    db: Db,
    token: Option<String>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, app(metrics, db, token))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// The endpoint's routes and middleware, for [`serve`] and for tests that drive the
/// router directly.
pub fn app(metrics: Arc<Metrics>, db: Db, token: Option<String>) -> Router {
    let web = web::WebState::new(db.clone(), token);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .with_state(AppState { metrics, db })
        .merge(web::router(web.clone()))
        // The last layer wraps the others: a 401 carries the security headers too.
        .layer(middleware::from_fn_with_state(web, web::require_token))
        .layer(middleware::from_fn(web::security_headers))
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
            render(&st.metrics, &f),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain")],
            format!("database: {e}\n"),
        ),
    }
}

/// The counters, then the store's figures, as Prometheus text.
pub fn render(metrics: &Metrics, s: &Figures) -> String {
    let mut out = metrics.render();
    let one = |v: f64| vec![(String::new(), v)];
    write_family(
        &mut out,
        "redline_articles_tracked",
        "gauge",
        "Tracked articles by state.",
        &s.articles
            .iter()
            .map(|(state, n)| (format!("{{state=\"{state}\"}}"), *n as f64))
            .collect::<Vec<_>>(),
    );
    write_family(
        &mut out,
        "redline_versions",
        "gauge",
        "Stored article versions.",
        &one(s.versions as f64),
    );
    write_family(
        &mut out,
        "redline_alerts",
        "gauge",
        "Alert deliveries by status.",
        &[
            ("{status=\"queued\"}".to_string(), s.queued as f64),
            ("{status=\"sent\"}".to_string(), s.sent as f64),
            ("{status=\"failed\"}".to_string(), s.failed as f64),
        ],
    );
    write_family(
        &mut out,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_store_figures() {
        let m = Metrics::default();
        m.fetch("ok", 100);
        let f = Figures {
            articles: vec![("active".into(), 3)],
            versions: 4,
            queued: 1,
            sent: 2,
            failed: 0,
            feed_streaks: vec![("A \"quoted\" feed".into(), 2)],
        };
        let text = render(&m, &f);
        assert!(
            text.contains("redline_fetches_total{result=\"ok\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("redline_articles_tracked{state=\"active\"} 3\n"));
        assert!(text.contains("redline_versions 4\n"));
        assert!(text.contains("redline_alerts{status=\"sent\"} 2\n"));
        assert!(text.contains("redline_feed_error_streak{feed=\"A \\\"quoted\\\" feed\"} 2\n"));
    }
}
