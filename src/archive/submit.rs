//! `[archive] submit`: an independent snapshot of each new version, from a Save-Page-Now
//! style endpoint (`https://web.archive.org/save/` and the like).
//!
//! A submission is queued in the same transaction as the version it is for (see
//! `Store::record_check`), so it is never lost and never delays a check: this module
//! works the queue off on the daemon's delivery loop, beside the cycles. For each due submission it GETs `submit +
//! article URL` through the one HTTP client (the endpoint is the user's choice, like an
//! SMTP host, so it is not held to the public-address rule; the article URL it is asked
//! about already was when it was fetched), and keeps the snapshot link the endpoint
//! answers with: its `Content-Location`, else its `Location`, else the address the
//! redirects ended at.
//!
//! Submissions go out one at a time, at most one per `[archive] submit_interval`. A 429
//! (or a 503 with `Retry-After`) holds every submission back for as long as the endpoint
//! asks; other failures are retried with backoff and given up after [`ATTEMPTS`], with
//! the last error shown by `redline history`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use crate::alert::outbox::retry_delay;
use crate::config::Config;
use crate::fetch::{FetchError, Fetched, Fetcher, MAX_PAUSE, Validators};
use crate::store::{Db, Submission};

/// Attempts before a submission is given up.
pub const ATTEMPTS: i64 = 5;
/// How long a 429 without `Retry-After` holds submissions back.
const DEFAULT_PAUSE: Duration = Duration::from_secs(60);
/// Submissions tried in one pass at most (with `submit_interval = "0s"`).
const PER_PASS: usize = 100;

/// What one pass over the submission queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubmitReport {
    pub attempted: usize,
    pub archived: usize,
    pub given_up: usize,
    /// The endpoint asked us to wait (429, or 503 with `Retry-After`).
    pub paused: bool,
}

/// What one attempt came to.
#[derive(Debug)]
enum Outcome {
    Archived(String),
    Retry(String),
    Failed(String),
    Pause(String, DateTime<Utc>),
}

/// Sends the due submissions allowed by the rate limit; `now` decides what is due.
/// Nothing happens while `[archive] submit` is off (queued rows wait for it).
pub async fn submit_due(
    config: &Config,
    db: &Db,
    http: &Fetcher,
    now: DateTime<Utc>,
) -> anyhow::Result<SubmitReport> {
    let mut report = SubmitReport::default();
    let Some(endpoint) = config.archive.submit.as_ref().map(|s| s.get_ref().clone()) else {
        return Ok(report);
    };
    let interval = config.archive.submit_interval.0;
    let until = now + chrono::Duration::from_std(config.state.lease.0)?;
    for _ in 0..PER_PASS {
        let gate = db.call(move |s| s.submission_gate(interval)).await?;
        if gate.is_some_and(|g| g > now) {
            break;
        }
        let Some(sub) = db.call(move |s| s.claim_submission(now, until)).await? else {
            break;
        };
        report.attempted += 1;
        let outcome = attempt(http, &endpoint, &sub, now).await;
        let id = sub.id;
        match outcome {
            Outcome::Archived(link) => {
                tracing::info!(article = sub.article_id, version = sub.version, %link, "archived");
                report.archived += 1;
                db.call(move |s| s.submission_done(id, &link, now)).await?;
            }
            Outcome::Retry(e) if sub.attempts + 1 < ATTEMPTS => {
                tracing::warn!(article = sub.article_id, version = sub.version, error = %e, "archive submission failed; will retry");
                let next =
                    now + chrono::Duration::from_std(retry_delay(sub.attempts)).unwrap_or_default();
                db.call(move |s| s.submission_failed(id, &e, Some(next)))
                    .await?;
            }
            Outcome::Retry(e) | Outcome::Failed(e) => {
                tracing::error!(article = sub.article_id, version = sub.version, error = %e, "archive submission given up");
                report.given_up += 1;
                db.call(move |s| s.submission_failed(id, &e, None)).await?;
            }
            Outcome::Pause(e, until) => {
                tracing::warn!(%until, error = %e, "the archive endpoint asked us to wait");
                report.paused = true;
                db.call(move |s| s.submissions_paused(id, &e, until))
                    .await?;
                break;
            }
        }
    }
    Ok(report)
}

/// Asks the endpoint to snapshot `sub.url` once.
async fn attempt(http: &Fetcher, endpoint: &str, sub: &Submission, now: DateTime<Utc>) -> Outcome {
    let target = format!("{endpoint}{}", sub.url);
    let url = match Url::parse(&target) {
        Ok(u) => u,
        Err(e) => return Outcome::Failed(format!("{target} is not a URL: {e}")),
    };
    let pause_until = |wait: Option<Duration>| {
        now + chrono::Duration::from_std(wait.unwrap_or(DEFAULT_PAUSE).min(MAX_PAUSE))
            .unwrap_or_default()
    };
    match http.get(&url, &Validators::default()).await {
        Ok(Fetched::Page(page)) => Outcome::Archived(snapshot_link(&page)),
        Ok(Fetched::NotModified) => Outcome::Retry("the endpoint answered 304".into()),
        Err(FetchError::Status {
            code: 429,
            retry_after,
        }) => Outcome::Pause("HTTP 429".into(), pause_until(retry_after)),
        Err(FetchError::Status {
            code: 503,
            retry_after: Some(wait),
        }) => Outcome::Pause("HTTP 503".into(), pause_until(Some(wait))),
        Err(FetchError::Paused { until, host }) => {
            Outcome::Pause(format!("{host} asked us to wait"), until)
        }
        Err(
            e @ FetchError::Status {
                code: 400..=499, ..
            },
        ) => Outcome::Failed(format!("{target}: {e}")),
        Err(e) => Outcome::Retry(format!("{target}: {e}")),
    }
}

/// The snapshot's address: `Content-Location`, else `Location` (either may be relative
/// to the answer's address), else where the redirects ended.
fn snapshot_link(page: &crate::fetch::Page) -> String {
    let header = |name: &str| {
        page.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    header("content-location")
        .or_else(|| header("location"))
        .and_then(|v| page.final_url.join(&v).ok())
        .unwrap_or_else(|| page.final_url.clone())
        .to_string()
}
