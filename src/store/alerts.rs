//! Alerts and the outbox: one alert per detected change, one outbox row per target (an
//! email recipient or a webhook), written in the same transaction as the version (see
//! `record_check`) and drained by the senders, which mark a row sent only after the mail
//! server or the webhook accepted it.

use chrono::{DateTime, Utc};

use super::kinds::{AlertKind, Channel, DeliveryStatus};
use super::sql::Row;
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

/// Where one copy of an alert goes: an email address, or a webhook by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub channel: Channel,
    /// The email address, or the `[[webhook]]` name.
    pub name: String,
}

impl Target {
    pub fn email(address: impl Into<String>) -> Target {
        Target {
            channel: Channel::Email,
            name: address.into(),
        }
    }

    pub fn webhook(name: impl Into<String>) -> Target {
        Target {
            channel: Channel::Webhook,
            name: name.into(),
        }
    }
}

/// One target's copy of an alert.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxRow {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub alert_id: i64,
    /// `email` or `webhook`.
    pub channel: Channel,
    /// The email address, or the webhook's name.
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
    pub(super) fn from_row(r: &Row<'_, '_>) -> Result<OutboxRow> {
        Ok(OutboxRow {
            id: r.get("id")?,
            alert_id: r.get("alert_id")?,
            channel: r.get("channel")?,
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
    fn alert_from_row(&self, r: &Row<'_, '_>) -> Result<AlertRow> {
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
        let (Some(low), Some(high)) = (
            alerts.iter().map(|a| a.id).min(),
            alerts.iter().map(|a| a.id).max(),
        ) else {
            return Ok(alerts);
        };
        // Alerts listed together are mostly neighbours by id: their deliveries are read
        // in one range (a query each cost more than the listing itself at a thousand
        // alerts), unless the ids lie so far apart that the range would read mostly
        // other alerts' deliveries.
        if alerts.len() < 8 || high - low > 4 * alerts.len() as i64 {
            for a in &mut alerts {
                a.deliveries = self.conn.query_map(
                    "SELECT * FROM outbox WHERE alert_id = ?1 ORDER BY channel, recipient",
                    [a.id],
                    OutboxRow::from_row,
                )?;
            }
            return Ok(alerts);
        }
        let at: std::collections::HashMap<i64, usize> =
            alerts.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        let rows = self.conn.query_map(
            "SELECT * FROM outbox WHERE alert_id >= ?1 AND alert_id <= ?2
             ORDER BY alert_id, channel, recipient",
            (low, high),
            |r| Ok((r.get::<_, i64>("alert_id")?, OutboxRow::from_row(r)?)),
        )?;
        for (alert, row) in rows {
            if let Some(&i) = at.get(&alert) {
                alerts[i].deliveries.push(row);
            }
        }
        Ok(alerts)
    }

    /// Alerts in time order, with their deliveries.
    pub fn alerts(&self, f: &AlertFilter) -> Result<Vec<AlertRow>> {
        let alerts = self.conn.query_map(
            &format!(
                "{ALERT_SELECT}
             WHERE (CAST(?1 AS TEXT) IS NULL OR al.created_at >= ?1) AND (CAST(?2 AS TEXT) IS NULL OR al.created_at <= ?2)
               AND (CAST(?3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM article_topics t WHERE t.article_id = al.article_id AND t.topic = ?3))
               AND (CAST(?4 AS BIGINT) IS NULL OR al.article_id = ?4)
             ORDER BY al.created_at, al.id"
            ),
            (f.since.map(ts), f.until.map(ts), &f.topic, f.article_id),
            |r| self.alert_from_row(r),
        )?;
        self.with_deliveries(alerts)
    }

    /// One alert by id.
    pub fn alert(&self, id: i64) -> Result<Option<AlertRow>> {
        let row = self
            .conn
            .query_opt(&format!("{ALERT_SELECT} WHERE al.id = ?1"), [id], |r| {
                self.alert_from_row(r)
            })?;
        Ok(match row {
            Some(a) => self.with_deliveries(vec![a])?.pop(),
            None => None,
        })
    }

    /// The id of an article's first alert: the root its later alerts thread under.
    pub fn first_alert(&self, article_id: i64) -> Result<Option<i64>> {
        self.conn.query_row(
            "SELECT MIN(id) FROM alerts WHERE article_id = ?1",
            [article_id],
            |r| r.get(0),
        )
    }

    /// Queued email rows of the outbox due by `now` and claimed by no live process,
    /// oldest alert first. A row must still be claimed ([`Store::claim_outbox`]) before
    /// it is sent.
    pub fn due_outbox(&self, now: DateTime<Utc>) -> Result<Vec<OutboxRow>> {
        self.due_on(Channel::Email, now)
    }

    /// Like [`Store::due_outbox`], for the webhook rows.
    pub fn due_webhooks(&self, now: DateTime<Utc>) -> Result<Vec<OutboxRow>> {
        self.due_on(Channel::Webhook, now)
    }

    fn due_on(&self, channel: Channel, now: DateTime<Utc>) -> Result<Vec<OutboxRow>> {
        self.conn.query_map(
            "SELECT * FROM outbox WHERE channel = ?2 AND status = 'queued' AND next_attempt_at <= ?1
               AND (claimed_until IS NULL OR claimed_until <= ?1)
             ORDER BY alert_id, id",
            (ts(now), channel),
            OutboxRow::from_row,
        )
    }

    /// The request a webhook row was first tried with (headers as JSON, body), if it
    /// has been tried.
    pub fn webhook_request(&self, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        let row: Option<(Option<String>, Option<Vec<u8>>)> = self.conn.query_opt(
            "SELECT request_headers, request_body FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(match row {
            Some((Some(h), Some(b))) => Some((h, b)),
            _ => None,
        })
    }

    /// Keeps the request built for a webhook row's first try, unless one is kept
    /// already; returns the one kept, which every try sends.
    pub fn keep_webhook_request(
        &mut self,
        id: i64,
        headers: &str,
        body: &[u8],
    ) -> Result<(String, Vec<u8>)> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE outbox SET request_headers = ?2, request_body = ?3
             WHERE id = ?1 AND request_body IS NULL",
            (id, headers, body),
        )?;
        let kept = tx.query_row(
            "SELECT request_headers, request_body FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        tx.commit()?;
        Ok(kept)
    }

    /// The earliest retry time of a queued outbox row, if any.
    pub fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>> {
        let t: Option<String> = self.conn.query_row(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END)
             FROM outbox WHERE status = 'queued'",
            (),
            |r| r.get(0),
        )?;
        Ok(opt_ts(t))
    }

    /// Counts of outbox rows by status: (queued, sent, failed).
    pub fn outbox_counts(&self) -> Result<(i64, i64, i64)> {
        self.counts_where(None)
    }

    /// Counts of one channel's outbox rows by status: (queued, sent, failed).
    pub fn outbox_counts_on(&self, channel: Channel) -> Result<(i64, i64, i64)> {
        self.counts_where(Some(channel))
    }

    fn counts_where(&self, channel: Option<Channel>) -> Result<(i64, i64, i64)> {
        self.conn.query_row(
            "SELECT COUNT(CASE WHEN status = 'queued' THEN 1 END), COUNT(CASE WHEN status = 'sent' THEN 1 END),
                    COUNT(CASE WHEN status = 'failed' THEN 1 END)
             FROM outbox WHERE CAST(?1 AS TEXT) IS NULL OR channel = ?1",
            [channel],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
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

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::store::{CheckUpdate, NewArticle, NewVersion};

    /// Deliveries read for many alerts at once (one range) are the ones read alert by
    /// alert, each with its own alert.
    #[test]
    fn deliveries_read_together_are_each_alerts_own() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now() - Duration::hours(1);
            for i in 0..12 {
                let (id, _) = s
                    .upsert_article(&NewArticle::numbered(i, "t", t0))
                    .expect("upsert");
                let mut u = CheckUpdate::new(id, t0 + Duration::minutes(i));
                u.version = Some(NewVersion::of_text("One."));
                s.record_check(&u).expect("first");
                let mut u = CheckUpdate::new(id, t0 + Duration::minutes(i + 20));
                u.based_on = Some(1);
                u.version = Some(NewVersion::of_text(&format!("One, {i}.")));
                // Alerts of even stories go to two targets, odd ones to one.
                let mut targets = vec![Target::email(format!("desk{i}@example.org"))];
                if i % 2 == 0 {
                    targets.push(Target::webhook(format!("hook{i}")));
                }
                u.alert = Some((AlertKind::Reworded, targets));
                s.record_check(&u).expect("second");
            }
            let all = s.alerts(&AlertFilter::default()).expect("alerts");
            assert_eq!(all.len(), 12);
            for a in &all {
                let one = s.alert(a.id).expect("alert").expect("there");
                assert_eq!(a.deliveries, one.deliveries, "alert {}", a.id);
                assert!(a.deliveries.iter().all(|d| d.alert_id == a.id));
                let i: usize = a.title["Story ".len()..].parse().expect("number");
                assert_eq!(a.deliveries.len(), if i.is_multiple_of(2) { 2 } else { 1 });
                assert!(
                    a.deliveries
                        .iter()
                        .any(|d| d.recipient == format!("desk{i}@example.org"))
                );
            }
        }
    }
}
