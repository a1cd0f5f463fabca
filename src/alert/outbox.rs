//! The mail sender: drains the outbox's email rows in order, exactly once.
//!
//! Alerts are written to the outbox in the same transaction as the version they report
//! (see `Store::record_check`), one row per recipient (and one per webhook, which
//! [`webhook`](super::webhook) sends). This module turns due rows into
//! messages, hands them to the [`Mailer`], and marks a row sent only after the transport
//! accepted it: a temporary failure keeps it queued with exponential backoff, a
//! permanent one marks it failed with the server's answer. A crash between the send and
//! the mark can at worst send a message twice with the same `Message-ID`, which mail
//! clients fold together; it can never lose one.
//!
//! Several processes may drain one outbox (the service and a `redline poll`): each
//! message's rows are claimed (`Store::claim_outbox`) right before it is built and sent,
//! so only one process sends it. A process that dies holding a claim keeps it for
//! `[state] lease`; then the rows are queued for everyone again.
//!
//! With `[email].digest`, a recipient's alerts are batched into one message per window.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use tokio_util::sync::CancellationToken;

use super::{AlertKind, AlertMail, Mailer, SendError, build, build_digest, coverage};
use crate::config::Config;
use crate::diff::{self, render};
use crate::store::{AlertRow, Channel, CoverageRow, Db, OutboxRow, VersionRow};
use crate::text::Copy;

/// The first retry waits this long; each further one twice as long …
const RETRY_FIRST: Duration = Duration::from_secs(30);
/// … up to this.
const RETRY_MAX: Duration = Duration::from_secs(3600);

/// What one pass over the outbox did, and what is left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryReport {
    /// Messages handed to the transport in this pass.
    pub attempted: usize,
    /// Deliveries (outbox rows) marked sent in this pass.
    pub sent: usize,
    /// Deliveries still queued after it, over the whole outbox (this channel's rows).
    pub queued: usize,
    /// Deliveries failed for good, over the whole outbox (this channel's rows).
    pub failed: usize,
}

/// The wait before retry number `attempts + 1`.
pub fn retry_delay(attempts: i64) -> Duration {
    let exp = attempts.clamp(0, 16) as u32;
    RETRY_FIRST.saturating_mul(2u32.pow(exp)).min(RETRY_MAX)
}

/// Builds the message data for one alert: versions, diff, threading.
pub async fn alert_mail(db: &Db, alert_id: i64) -> anyhow::Result<AlertMail> {
    let ((alert, article, old, new, root, moves), archived) = db
        .call(move |s| {
            let Some(alert) = s.alert(alert_id)? else {
                return Ok(((None, None, None, None, None, Vec::new()), None));
            };
            let article = s.article(alert.article_id)?;
            let old = s.version(alert.article_id, alert.from_version)?;
            let new = s.version(alert.article_id, alert.to_version)?;
            let root = s.first_alert(alert.article_id)?;
            let moves = s.addresses(alert.article_id)?;
            let archived = s
                .submission(alert.article_id, alert.to_version)?
                .and_then(|sub| sub.snapshot);
            Ok(((Some(alert), article, old, new, root, moves), archived))
        })
        .await?;
    let (Some(alert), Some(article), Some(old), Some(new)) = (alert, article, old, new) else {
        anyhow::bail!("alert {alert_id} is missing, or refers to a missing article or version");
    };
    let kind = alert.kind;
    let (text_diff, html_diff, added, removed) = if kind == AlertKind::Coverage {
        let id = article.id;
        let covered = db.call(move |s| s.coverage_of(id)).await?;
        let (text, html) = coverage_parts(&covered, &new.copy);
        (text, html, 0, 0)
    } else if kind == AlertKind::Removed {
        (
            "The page is gone (it answered 404/410 on two checks an hour apart, and its feed no longer carries it); redline stopped revisiting it.\n".to_string(),
            "<p>The page is gone (it answered 404/410 on two checks an hour apart, and its feed no longer carries it); redline stopped revisiting it.</p>"
                .to_string(),
            0,
            0,
        )
    } else {
        let d = decided_diff(&old, &new);
        let opts = render::RenderOptions { context: 1 };
        (
            render::word(&d, &opts),
            render::html(&d, &opts),
            d.words_added,
            d.words_removed,
        )
    };
    Ok(AlertMail {
        alert_id,
        article_id: article.id,
        kind,
        labels: alert.labels.clone(),
        headline_old: old.copy.headline.clone(),
        headline_new: new.copy.headline.clone(),
        url: article.url.clone(),
        // The first address the article left on its way to this version.
        moved_from: moves
            .iter()
            .find(|m| {
                m.kind == "moved" && kind == AlertKind::Reworded && m.version == Some(new.number)
            })
            .map(|m| m.url.clone()),
        archived: archived.filter(|_| kind == AlertKind::Reworded),
        feed: article
            .feed
            .clone()
            .unwrap_or_else(|| "tracked directly".into()),
        topics: article.topics.clone(),
        from_version: old.number as u32,
        to_version: new.number as u32,
        from_time: old.time,
        to_time: if kind == AlertKind::Removed {
            alert.created
        } else {
            new.time
        },
        words_added: added,
        words_removed: removed,
        text_diff,
        html_diff,
        thread_root: root.filter(|r| *r != alert_id),
        declared: (kind != AlertKind::Removed).then(|| new.provenance.update_phrase()),
    })
}

/// The diff from `old` to `new` as the watcher decided on it (ignored text masked), when
/// `new` is the version right after `old` and the diff was kept; else computed afresh.
pub fn decided_diff(old: &VersionRow, new: &VersionRow) -> diff::CopyDiff {
    new.diff
        .clone()
        .filter(|_| new.number == old.number + 1)
        .unwrap_or_else(|| diff::diff(&old.copy, &new.copy))
}

/// The comparison of a newly matched article with the copy (or copies, for several
/// topics) it matched, as text and HTML.
pub(crate) fn coverage_parts(covered: &[CoverageRow], article: &Copy) -> (String, String) {
    let mut text = String::new();
    let mut html = String::new();
    for (i, c) in covered.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let copy = Copy::parse(&c.copy_text);
        let cmp = coverage::compare(&copy, article);
        text.push_str(&format!("Topic {}: ", c.topic));
        text.push_str(&coverage::text(&cmp, &c.copy, c.similarity));
        html.push_str(&coverage::html(&cmp, &c.copy, c.similarity));
    }
    (text, html)
}

fn mailbox(addr: &str) -> Result<Mailbox, SendError> {
    addr.parse()
        .map_err(|e| SendError::Permanent(format!("{addr:?} is not an email address: {e}")))
}

/// One message to send and the outbox rows it settles.
#[derive(Debug)]
struct Batch {
    recipient: String,
    rows: Vec<OutboxRow>,
}

/// Groups due rows into messages: one per row, or with a digest one per recipient and
/// window, sent once the window of its oldest alert has closed.
fn batches(
    due: Vec<OutboxRow>,
    alerts: &BTreeMap<i64, AlertRow>,
    digest: Option<Duration>,
    now: DateTime<Utc>,
) -> Vec<Batch> {
    let Some(window) = digest else {
        return due
            .into_iter()
            .map(|r| Batch {
                recipient: r.recipient.clone(),
                rows: vec![r],
            })
            .collect();
    };
    let window_secs = window.as_secs().max(1) as i64;
    let mut by_recipient: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
    for r in due {
        by_recipient.entry(r.recipient.clone()).or_default().push(r);
    }
    let mut out = Vec::new();
    for (recipient, rows) in by_recipient {
        let created = |r: &OutboxRow| alerts.get(&r.alert_id).map_or(now, |a| a.created);
        let Some(oldest) = rows.iter().map(created).min() else {
            continue;
        };
        let window_end = (oldest.timestamp().div_euclid(window_secs) + 1) * window_secs;
        if now.timestamp() < window_end {
            continue;
        }
        let rows: Vec<OutboxRow> = rows
            .into_iter()
            .filter(|r| created(r).timestamp() < window_end)
            .collect();
        out.push(Batch { recipient, rows });
    }
    out
}

/// Sends every due delivery once with a mailer built for this pass; returns what
/// happened. `now` decides what is due.
pub async fn deliver_due(
    config: &Config,
    db: &Db,
    now: DateTime<Utc>,
) -> anyhow::Result<DeliveryReport> {
    let mailer = Mailer::from_config(config).map_err(|e| e.to_string());
    deliver_due_until(config, db, mailer.as_ref(), now, &CancellationToken::new()).await
}

/// Like [`deliver_due`], with the caller's `mailer` (the daemon builds it once per
/// config), taking no new message once `stop` is cancelled (the one in hand is finished
/// and recorded). A mailer that could not be built (`Err` says why) keeps everything
/// queued.
pub async fn deliver_due_until(
    config: &Config,
    db: &Db,
    mailer: Result<&Mailer, &String>,
    now: DateTime<Utc>,
    stop: &CancellationToken,
) -> anyhow::Result<DeliveryReport> {
    let due = db.call(move |s| s.due_outbox(now)).await?;
    let mut report = DeliveryReport::default();
    if !due.is_empty() {
        let mut alerts = BTreeMap::new();
        for r in &due {
            if !alerts.contains_key(&r.alert_id) {
                let id = r.alert_id;
                if let Some(a) = db.call(move |s| s.alert(id)).await? {
                    alerts.insert(id, a);
                }
            }
        }
        let batches = batches(due, &alerts, config.email.digest.map(|d| d.0), now);
        if !batches.is_empty() {
            match mailer {
                Ok(mailer) => {
                    for b in batches {
                        if stop.is_cancelled() {
                            break;
                        }
                        let Some(b) = claim(config, db, b, now).await? else {
                            continue;
                        };
                        report.attempted += 1;
                        report.sent += send_batch(config, db, mailer, b, now).await?;
                    }
                }
                Err(e) => {
                    // A mailer that cannot be built (a password variable unset, say)
                    // keeps everything queued; the error shows in `redline replay`.
                    tracing::error!("cannot set up mail delivery: {e}");
                    for b in batches {
                        if let Some(b) = claim(config, db, b, now).await? {
                            retry(db, &b, e, now).await?;
                        }
                    }
                }
            }
        }
    }
    let (queued, _, failed) = db.call(|s| s.outbox_counts_on(Channel::Email)).await?;
    report.queued = queued as usize;
    report.failed = failed as usize;
    Ok(report)
}

/// Claims a batch's rows for this process; the rows another process claimed first (or
/// sent meanwhile) are left out, and a batch left with none is `None`.
async fn claim(
    config: &Config,
    db: &Db,
    mut b: Batch,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Batch>> {
    let ids: Vec<i64> = b.rows.iter().map(|r| r.id).collect();
    let until = now + chrono::Duration::from_std(config.state.lease.0)?;
    let won = db.call(move |s| s.claim_outbox(&ids, now, until)).await?;
    b.rows.retain(|r| won.contains(&r.id));
    Ok((!b.rows.is_empty()).then_some(b))
}

async fn retry(db: &Db, b: &Batch, error: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let attempts = b.rows.iter().map(|r| r.attempts).max().unwrap_or(0);
    let next = now + chrono::Duration::from_std(retry_delay(attempts)).unwrap_or_default();
    let ids: Vec<i64> = b.rows.iter().map(|r| r.id).collect();
    let error = error.to_string();
    db.call(move |s| s.mark_retry(&ids, &error, next)).await?;
    Ok(())
}

/// Sends one batch and records the outcome; returns how many rows were marked sent.
async fn send_batch(
    config: &Config,
    db: &Db,
    mailer: &Mailer,
    b: Batch,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let ids: Vec<i64> = b.rows.iter().map(|r| r.id).collect();
    let message = async {
        let to = mailbox(&b.recipient)?;
        let mut mails = Vec::new();
        for r in &b.rows {
            mails.push(
                alert_mail(db, r.alert_id)
                    .await
                    .map_err(|e| SendError::Permanent(format!("{e:#}")))?,
            );
        }
        let msg = if config.email.digest.is_some() {
            build_digest(&mails, &config.email, &to, ids[0])
        } else {
            build(&mails[0], &config.email, std::slice::from_ref(&to))
        };
        msg.map_err(|e| SendError::Permanent(e.to_string()))
    }
    .await;
    let outcome = match message {
        Ok(msg) => mailer.send(&msg).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(answer) => {
            tracing::info!(recipient = %b.recipient, alerts = ?b.rows.iter().map(|r| r.alert_id).collect::<Vec<_>>(), %answer, "alert sent");
            let n = ids.len();
            db.call(move |s| s.mark_sent(&ids, &answer, now)).await?;
            Ok(n)
        }
        Err(SendError::Temporary(e)) => {
            tracing::warn!(recipient = %b.recipient, error = %e, "alert not sent; will retry");
            retry(db, &b, &e, now).await?;
            Ok(0)
        }
        Err(SendError::Permanent(e)) => {
            tracing::error!(recipient = %b.recipient, error = %e, "alert failed for good");
            db.call(move |s| s.mark_failed(&ids, &e)).await?;
            Ok(0)
        }
    }
}

/// Sends alerts again (`redline replay --email`) to `to`, or to their recipients; the
/// outbox is left as it is. Returns the number of messages sent.
pub async fn resend(
    config: &Config,
    db: &Db,
    alerts: &[AlertRow],
    to: Option<&str>,
) -> anyhow::Result<usize> {
    let mailer = Mailer::from_config(config)?;
    let mut sent = 0;
    for a in alerts {
        let recipients: Vec<String> = match to {
            Some(t) => vec![t.to_string()],
            None if a.deliveries.iter().any(|d| d.channel == Channel::Email) => a
                .deliveries
                .iter()
                .filter(|d| d.channel == Channel::Email)
                .map(|d| d.recipient.clone())
                .collect(),
            None => config
                .email
                .to
                .iter()
                .map(|t| t.get_ref().clone())
                .collect(),
        };
        let mail = alert_mail(db, a.id).await?;
        for r in recipients {
            let mb = mailbox(&r)?;
            let msg = build(&mail, &config.email, std::slice::from_ref(&mb))?;
            let answer = mailer
                .send(&msg)
                .await
                .map_err(|e| anyhow::anyhow!("alert {} to {r}: {e}", a.id))?;
            tracing::info!(alert = a.id, recipient = %r, %answer, "alert sent again");
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_and_caps() {
        assert_eq!(retry_delay(0), Duration::from_secs(30));
        assert_eq!(retry_delay(1), Duration::from_secs(60));
        assert_eq!(retry_delay(3), Duration::from_secs(240));
        assert_eq!(retry_delay(20), RETRY_MAX);
    }
}
