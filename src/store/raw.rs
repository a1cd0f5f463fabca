//! Kept responses (`[archive] raw`) and archive submissions (`[archive] submit`).
//!
//! A version's response is written in the version's own transaction (see
//! `record_check`), compressed against the article's previous kept page (see
//! `archive::pack`): each row names the row it was compressed against (`base`) and how
//! long that chain is (`depth`). Dropping old bytes (`keep`) first re-packs, on its own,
//! every kept row that was compressed against a row about to lose its bytes, so every
//! page that is still kept can always be read. The text of a version is never touched.
//!
//! A submission is queued in the version's transaction too and worked off by
//! `archive::submit`, which claims one row at a time like the mail outbox.

use chrono::{DateTime, Utc};

use super::sql::{Conn, Row, params};
use super::{Result, Store, StoreError, opt_ts, parse_ts, ts};
use crate::archive::RawPage;
use crate::archive::pack::{self, CHAIN_MAX, PackError};

/// A kept response as listed: what it is, whether its bytes are still there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RawRow {
    pub version: i64,
    pub url: String,
    pub status: u16,
    pub fetched_at: DateTime<Utc>,
    /// The bytes as received.
    pub size: i64,
    /// Stored (compressed) bytes; 0 once dropped.
    pub stored: i64,
    /// When `[archive] keep` dropped the bytes.
    pub dropped_at: Option<DateTime<Utc>>,
}

/// Where a version's archive submission stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Submission {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub article_id: i64,
    pub version: i64,
    /// The article address the endpoint was asked to snapshot.
    pub url: String,
    /// `queued`, `done` or `failed` (given up).
    pub status: String,
    pub attempts: i64,
    pub next_attempt: DateTime<Utc>,
    pub last_error: Option<String>,
    /// The snapshot's address, once the endpoint answered.
    pub snapshot: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

impl Submission {
    fn from_row(r: &Row<'_, '_>) -> Result<Submission> {
        Ok(Submission {
            id: r.get("id")?,
            article_id: r.get("article_id")?,
            version: r.get("version")?,
            url: r.get("url")?,
            status: r.get("status")?,
            attempts: r.get("attempts")?,
            next_attempt: parse_ts(&r.get::<_, String>("next_attempt_at")?),
            last_error: r.get("last_error")?,
            snapshot: r.get("snapshot")?,
            done_at: opt_ts(r.get("done_at")?),
        })
    }

    /// A short line for people: the link, or where the submission stands.
    pub fn describe(&self) -> String {
        match (self.status.as_str(), &self.snapshot) {
            (_, Some(link)) => link.clone(),
            ("failed", None) => format!(
                "archive failed after {} attempt{}: {}",
                self.attempts,
                if self.attempts == 1 { "" } else { "s" },
                self.last_error.as_deref().unwrap_or("no answer")
            ),
            _ => match &self.last_error {
                Some(e) => format!("archive pending (last answer: {e})"),
                None => "archive pending".to_string(),
            },
        }
    }
}

impl From<PackError> for StoreError {
    fn from(e: PackError) -> StoreError {
        StoreError::Raw(e.to_string())
    }
}

/// Writes the kept response of version `number`, compressed against the article's
/// latest kept page unless that chain is long enough.
pub(super) fn insert(tx: &Conn, article_id: i64, number: i64, raw: &RawPage) -> Result<()> {
    let prev: Option<(i64, i64)> = tx.query_opt(
        "SELECT id, depth FROM raw_pages WHERE article_id = ?1 AND body IS NOT NULL
             ORDER BY version DESC LIMIT 1",
        [article_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let base = match prev {
        Some((id, depth)) if depth + 1 < CHAIN_MAX => Some((id, depth, bytes_of(tx, id)?)),
        _ => None,
    };
    let blob = pack::compress(&raw.body, base.as_ref().map(|b| b.2.as_slice()))?;
    let headers = serde_json::to_string(&raw.headers).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO raw_pages (article_id, version, fetched_at, url, status, headers, size, base, depth, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (article_id, version) DO UPDATE SET fetched_at = excluded.fetched_at,
             url = excluded.url, status = excluded.status, headers = excluded.headers,
             size = excluded.size, base = excluded.base, depth = excluded.depth,
             body = excluded.body, dropped_at = NULL",
        params![
            article_id,
            number,
            ts(raw.fetched_at),
            raw.url,
            raw.status,
            headers,
            raw.body.len() as i64,
            base.as_ref().map(|b| b.0),
            base.as_ref().map_or(0, |b| b.1 + 1),
            blob,
        ],
    )?;
    Ok(())
}

/// The bytes of raw row `id`, following its chain of bases.
fn bytes_of(conn: &Conn, id: i64) -> Result<Vec<u8>> {
    // The chain, newest first, down to a row compressed on its own.
    let mut chain = Vec::new();
    let mut next = Some(id);
    while let Some(id) = next {
        let (base, size, blob): (Option<i64>, i64, Option<Vec<u8>>) = conn.query_row(
            "SELECT base, size, body FROM raw_pages WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let blob = blob.ok_or_else(|| {
            StoreError::Raw(format!(
                "kept page {id} refers to a page whose bytes were dropped"
            ))
        })?;
        chain.push((size, blob));
        next = base;
        if chain.len() as i64 > CHAIN_MAX + 1 {
            return Err(StoreError::Raw(format!(
                "kept page {id}: its chain of bases is longer than {CHAIN_MAX}"
            )));
        }
    }
    let mut bytes: Option<Vec<u8>> = None;
    for (size, blob) in chain.into_iter().rev() {
        bytes = Some(pack::decompress(&blob, bytes.as_deref(), size as usize)?);
    }
    Ok(bytes.unwrap_or_default())
}

fn raw_row(r: &Row<'_, '_>) -> Result<RawRow> {
    Ok(RawRow {
        version: r.get("version")?,
        url: r.get("url")?,
        status: r.get("status")?,
        fetched_at: parse_ts(&r.get::<_, String>("fetched_at")?),
        size: r.get("size")?,
        stored: r.get("stored")?,
        dropped_at: opt_ts(r.get("dropped_at")?),
    })
}

const RAW_SELECT: &str = "SELECT id, version, url, status, fetched_at, size, dropped_at, headers,
        COALESCE(octet_length(body), 0) AS stored FROM raw_pages";

impl Store {
    /// The kept responses of an article, oldest first (their bytes not read).
    pub fn raw_pages(&self, article_id: i64) -> Result<Vec<RawRow>> {
        self.conn.query_map(
            &format!("{RAW_SELECT} WHERE article_id = ?1 ORDER BY version"),
            [article_id],
            raw_row,
        )
    }

    /// The kept response of one version: its row, and the page itself unless `keep`
    /// dropped its bytes. `None`: nothing was kept for that version.
    pub fn raw_page(
        &self,
        article_id: i64,
        version: i64,
    ) -> Result<Option<(RawRow, Option<RawPage>)>> {
        let found = self.conn.query_opt(
            &format!("{RAW_SELECT} WHERE article_id = ?1 AND version = ?2"),
            (article_id, version),
            |r| {
                Ok((
                    r.get::<_, i64>("id")?,
                    r.get::<_, String>("headers")?,
                    raw_row(r)?,
                ))
            },
        )?;
        let Some((id, headers, row)) = found else {
            return Ok(None);
        };
        if row.dropped_at.is_some() {
            return Ok(Some((row, None)));
        }
        let page = RawPage {
            url: row.url.clone(),
            status: row.status,
            headers: serde_json::from_str(&headers).unwrap_or_default(),
            body: bytes_of(&self.conn, id)?,
            fetched_at: row.fetched_at,
        };
        Ok(Some((row, Some(page))))
    }

    /// `[archive] keep`: drops the bytes of responses fetched before `cutoff` (their
    /// status, headers and the versions' text stay). A kept page compressed against one
    /// that loses its bytes is first re-packed on its own. Returns how many were dropped.
    pub fn drop_raw_before(&mut self, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize> {
        let tx = self.write()?;
        let cutoff = ts(cutoff);
        // Survivors whose base is about to go: re-pack them alone, while the base is there.
        let orphans: Vec<(i64, i64)> = tx.query_map(
            "SELECT k.id, k.size FROM raw_pages k JOIN raw_pages b ON b.id = k.base
             WHERE k.body IS NOT NULL AND k.fetched_at >= ?1
               AND b.body IS NOT NULL AND b.fetched_at < ?1",
            [&cutoff],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (id, _) in &orphans {
            let bytes = bytes_of(&tx, *id)?;
            let blob = pack::compress(&bytes, None)?;
            tx.execute(
                "UPDATE raw_pages SET body = ?2, base = NULL, depth = 0 WHERE id = ?1",
                (id, blob),
            )?;
        }
        let dropped = tx.execute(
            "UPDATE raw_pages SET body = NULL, base = NULL, dropped_at = ?2
             WHERE fetched_at < ?1 AND body IS NOT NULL",
            (&cutoff, ts(now)),
        )?;
        tx.commit()?;
        if dropped > 0 {
            tracing::info!(
                dropped,
                repacked = orphans.len(),
                "dropped kept pages past [archive] keep"
            );
        }
        Ok(dropped)
    }

    /// The archive submissions of an article, by version.
    pub fn submissions(&self, article_id: i64) -> Result<Vec<Submission>> {
        let rows = self.conn.query_map(
            "SELECT * FROM archive_submissions WHERE article_id = ?1 ORDER BY version",
            [article_id],
            Submission::from_row,
        )?;
        Ok(rows)
    }

    /// The submission of one version, if any.
    pub fn submission(&self, article_id: i64, version: i64) -> Result<Option<Submission>> {
        self.conn.query_opt(
            "SELECT * FROM archive_submissions WHERE article_id = ?1 AND version = ?2",
            (article_id, version),
            Submission::from_row,
        )
    }

    /// When the next submission may be sent: the last attempt plus `interval`, and not
    /// before a pause the endpoint asked for (kept in the queued rows' next attempt).
    pub fn submission_gate(&self, interval: std::time::Duration) -> Result<Option<DateTime<Utc>>> {
        let last: Option<String> = self.conn.query_row(
            "SELECT MAX(attempted_at) FROM archive_submissions",
            (),
            |r| r.get(0),
        )?;
        Ok(opt_ts(last).map(|t| t + chrono::Duration::from_std(interval).unwrap_or_default()))
    }

    /// The earliest time a queued submission is due, if any.
    pub fn next_submission_due(&self) -> Result<Option<DateTime<Utc>>> {
        let t: Option<String> = self.conn.query_row(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END)
             FROM archive_submissions WHERE status = 'queued'",
            (),
            |r| r.get(0),
        )?;
        Ok(opt_ts(t))
    }

    /// Claims the oldest due submission for this process until `until`, and marks it
    /// attempted at `now` (the rate limit counts from there).
    pub fn claim_submission(
        &mut self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Submission>> {
        let owner = self.owner.clone();
        // On PostgreSQL the pick locks its row and skips one another worker is claiming
        // (see `claims`).
        let pick = if self.conn.is_postgres() {
            "SELECT id FROM archive_submissions WHERE status = 'queued' AND next_attempt_at <= ?1
                   AND (claimed_until IS NULL OR claimed_until <= ?1 OR claimed_by = ?2)
                 ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
        } else {
            "SELECT id FROM archive_submissions WHERE status = 'queued' AND next_attempt_at <= ?1
                   AND (claimed_until IS NULL OR claimed_until <= ?1 OR claimed_by = ?2)
                 ORDER BY next_attempt_at, id LIMIT 1"
        };
        let tx = self.conn.claim()?;
        let id: Option<i64> = tx.query_opt(pick, (ts(now), &owner), |r| r.get(0))?;
        let Some(id) = id else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE archive_submissions SET claimed_by = ?2, claimed_until = ?3, attempted_at = ?4 WHERE id = ?1",
            (id, &owner, ts(until), ts(now)),
        )?;
        let row = tx.query_row(
            "SELECT * FROM archive_submissions WHERE id = ?1",
            [id],
            Submission::from_row,
        )?;
        tx.commit()?;
        Ok(Some(row))
    }

    /// The endpoint answered with a snapshot link.
    pub fn submission_done(&mut self, id: i64, snapshot: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE archive_submissions SET status = 'done', snapshot = ?2, done_at = ?3,
                attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1",
            (id, snapshot, ts(now)),
        )?;
        Ok(())
    }

    /// A failed attempt: retried at `next`, or given up for good when `next` is `None`.
    pub fn submission_failed(
        &mut self,
        id: i64,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE archive_submissions SET attempts = attempts + 1, last_error = ?2,
                status = CASE WHEN CAST(?3 AS TEXT) IS NULL THEN 'failed' ELSE 'queued' END,
                next_attempt_at = COALESCE(?3, next_attempt_at),
                claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1",
            (id, error, next.map(ts)),
        )?;
        Ok(())
    }

    /// The endpoint asked us to wait (429 or 503 with `Retry-After`): nothing is sent to
    /// it before `until`; the attempt does not count against the submission.
    pub fn submissions_paused(&mut self, id: i64, error: &str, until: DateTime<Utc>) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE archive_submissions SET last_error = ?2, claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1",
            (id, error),
        )?;
        tx.execute(
            "UPDATE archive_submissions SET next_attempt_at = CASE WHEN next_attempt_at > ?1 THEN next_attempt_at ELSE ?1 END WHERE status = 'queued'",
            [ts(until)],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Queues a submission of `url` for version `number`, due at `at`.
pub(super) fn queue_submission(
    tx: &Conn,
    article_id: i64,
    number: i64,
    url: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO archive_submissions (article_id, version, url, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        (article_id, number, url, ts(at)),
    )?;
    Ok(())
}
