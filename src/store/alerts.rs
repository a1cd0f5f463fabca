//! Alerts and the outbox: one alert per detected change, one outbox row per recipient,
//! written in the same transaction as the version (see `record_check`) and drained by
//! the sender, which marks a row sent only after the mail server accepted it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row};

use super::kinds::{AlertKind, DeliveryStatus};
use super::{Result, Store, opt_ts, parse_ts, ts};
use crate::diff::Labels;

/// One detected change (or removal) of an article.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AlertRow {
    pub id: i64,
    pub article_id: i64,
    pub title: String,
    pub url: String,
    pub feed: Option<String>,
    pub kind: AlertKind,
    pub from_version: i64,
    pub to_version: i64,
    /// The labels of the version the alert reports (empty for a removal).
    pub labels: Labels,
    pub created: DateTime<Utc>,
    pub deliveries: Vec<OutboxRow>,
}

/// One recipient's copy of an alert.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxRow {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub alert_id: i64,
    pub recipient: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt: DateTime<Utc>,
    pub last_error: Option<String>,
    /// The server's answer to the accepted send.
    pub answer: Option<String>,
    pub sent: Option<DateTime<Utc>>,
}

impl OutboxRow {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
        Ok(OutboxRow {
            id: r.get("id")?,
            alert_id: r.get("alert_id")?,
            recipient: r.get("recipient")?,
            status: r.get("status")?,
            attempts: r.get("attempts")?,
            next_attempt: parse_ts(&r.get::<_, String>("next_attempt_at")?),
            last_error: r.get("last_error")?,
            answer: r.get("answer")?,
            sent: opt_ts(r.get("sent_at")?),
        })
    }
}

/// Which alerts `redline replay` shows.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub topic: Option<String>,
    pub article_id: Option<i64>,
}

const ALERT_SELECT: &str = "SELECT al.*, a.title, a.url, f.name AS feed_name,
        (SELECT v.labels FROM versions v WHERE v.article_id = al.article_id AND v.number = al.to_version) AS version_labels
    FROM alerts al JOIN articles a ON a.id = al.article_id LEFT JOIN feeds f ON f.id = a.feed_id";

impl Store {
    fn alert_from_row(&self, r: &Row<'_>) -> rusqlite::Result<AlertRow> {
        Ok(AlertRow {
            id: r.get("id")?,
            article_id: r.get("article_id")?,
            title: r.get("title")?,
            url: r.get("url")?,
            feed: r.get("feed_name")?,
            kind: r.get("kind")?,
            from_version: r.get("from_version")?,
            to_version: r.get("to_version")?,
            labels: match r.get("kind")? {
                AlertKind::Reworded => r
                    .get::<_, Option<Labels>>("version_labels")?
                    .unwrap_or_default(),
                AlertKind::Removed | AlertKind::Coverage => Labels::new(),
            },
            created: parse_ts(&r.get::<_, String>("created_at")?),
            deliveries: Vec::new(),
        })
    }

    fn with_deliveries(&self, mut alerts: Vec<AlertRow>) -> Result<Vec<AlertRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM outbox WHERE alert_id = ?1 ORDER BY recipient")?;
        for a in &mut alerts {
            a.deliveries = stmt
                .query_map([a.id], OutboxRow::from_row)?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(alerts)
    }

    /// Alerts in time order, with their deliveries.
    pub fn alerts(&self, f: &AlertFilter) -> Result<Vec<AlertRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "{ALERT_SELECT}
             WHERE (?1 IS NULL OR al.created_at >= ?1) AND (?2 IS NULL OR al.created_at <= ?2)
               AND (?3 IS NULL OR EXISTS (SELECT 1 FROM article_topics t WHERE t.article_id = al.article_id AND t.topic = ?3))
               AND (?4 IS NULL OR al.article_id = ?4)
             ORDER BY al.created_at, al.id"
        ))?;
        let rows = stmt.query_map(
            (f.since.map(ts), f.until.map(ts), &f.topic, f.article_id),
            |r| self.alert_from_row(r),
        )?;
        let alerts = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        self.with_deliveries(alerts)
    }

    /// One alert by id.
    pub fn alert(&self, id: i64) -> Result<Option<AlertRow>> {
        let row = self
            .conn
            .query_row(&format!("{ALERT_SELECT} WHERE al.id = ?1"), [id], |r| {
                self.alert_from_row(r)
            })
            .optional()?;
        Ok(match row {
            Some(a) => self.with_deliveries(vec![a])?.pop(),
            None => None,
        })
    }

    /// The id of an article's first alert: the root its later alerts thread under.
    pub fn first_alert(&self, article_id: i64) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MIN(id) FROM alerts WHERE article_id = ?1",
            [article_id],
            |r| r.get(0),
        )?)
    }

    /// Queued outbox rows due by `now` and claimed by no live process, oldest alert
    /// first. A row must still be claimed ([`Store::claim_outbox`]) before it is sent.
    pub fn due_outbox(&self, now: DateTime<Utc>) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT * FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?1
               AND (claimed_until IS NULL OR claimed_until <= ?1)
             ORDER BY alert_id, id",
        )?;
        let rows = stmt.query_map([ts(now)], OutboxRow::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The earliest retry time of a queued outbox row, if any.
    pub fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>> {
        let t: Option<String> = self.conn.query_row(
            "SELECT MIN(MAX(next_attempt_at, COALESCE(claimed_until, next_attempt_at)))
             FROM outbox WHERE status = 'queued'",
            [],
            |r| r.get(0),
        )?;
        Ok(opt_ts(t))
    }

    /// Counts of outbox rows by status: (queued, sent, failed).
    pub fn outbox_counts(&self) -> Result<(i64, i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(status = 'queued'), 0), COALESCE(SUM(status = 'sent'), 0), COALESCE(SUM(status = 'failed'), 0) FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }

    /// Marks outbox rows delivered, with the server's answer, and releases their claims.
    pub fn mark_sent(&mut self, ids: &[i64], answer: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self.write()?;
        for id in ids {
            tx.execute(
                "UPDATE outbox SET status = 'sent', attempts = attempts + 1, answer = ?2, sent_at = ?3, last_error = NULL,
                    claimed_by = NULL, claimed_until = NULL
                 WHERE id = ?1",
                (id, answer, ts(at)),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a temporary failure: the rows stay queued until `next`, unclaimed.
    pub fn mark_retry(&mut self, ids: &[i64], error: &str, next: DateTime<Utc>) -> Result<()> {
        let tx = self.write()?;
        for id in ids {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
                    claimed_by = NULL, claimed_until = NULL
                 WHERE id = ?1",
                (id, error, ts(next)),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a permanent failure: the rows are never tried again.
    pub fn mark_failed(&mut self, ids: &[i64], error: &str) -> Result<()> {
        let tx = self.write()?;
        for id in ids {
            tx.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2,
                    claimed_by = NULL, claimed_until = NULL
                 WHERE id = ?1",
                (id, error),
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
