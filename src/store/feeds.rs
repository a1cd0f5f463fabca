//! Feed rows: what the last fetch of each feed found and when it is due again.
//!
//! A feed's own last error, how long it has been failing, and a pause its host asked
//! for (`Retry-After`) are kept apart, so `redline feeds` can show each of them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::sql::{Conn, Row};
use super::{Result, Store, opt_ts, parse_ts, ts};

/// A feed as the store knows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeedRow {
    pub id: i64,
    pub url: String,
    pub name: String,
    #[serde(skip)]
    pub etag: Option<String>,
    #[serde(skip)]
    pub last_modified: Option<String>,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub entries: Option<i64>,
    pub error_streak: i64,
    /// The first failure of the current error streak.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the feed's host asked us to wait (`Retry-After`).
    pub paused_until: Option<DateTime<Utc>>,
    pub next_due: Option<DateTime<Utc>>,
}

impl FeedRow {
    pub(super) fn from_row(r: &Row<'_, '_>) -> Result<FeedRow> {
        Ok(FeedRow {
            id: r.get("id")?,
            url: r.get("url")?,
            name: r.get("name")?,
            etag: r.get("etag")?,
            last_modified: r.get("last_modified")?,
            last_fetch: opt_ts(r.get("last_fetch_at")?),
            last_status: r.get("last_status")?,
            last_error: r.get("last_error")?,
            entries: r.get("last_entries")?,
            error_streak: r.get("error_streak")?,
            failing_since: opt_ts(r.get("failing_since")?),
            paused_until: opt_ts(r.get("paused_until")?),
            next_due: opt_ts(r.get("next_due_at")?),
        })
    }
}

/// The outcome of one fetch of a feed.
#[derive(Debug, Clone)]
pub struct FeedFetch {
    pub at: DateTime<Utc>,
    /// `200`, `304`, `500`, `error`, …
    pub status: String,
    /// Set when the fetch or the parse failed.
    pub error: Option<String>,
    /// Entries in the fetched document; `None` for a 304 or a failure.
    pub entries: Option<i64>,
    /// New validators; `None` keeps the stored ones.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Set when the server answered with `Retry-After` (429/503).
    pub paused_until: Option<DateTime<Utc>>,
    pub next_due: DateTime<Utc>,
}

impl Store {
    /// Makes sure a row exists for each configured feed and that its name is current;
    /// returns the feed ids in the order given.
    pub fn sync_feeds(&mut self, feeds: &[(String, String)]) -> Result<Vec<i64>> {
        let tx = self.write()?;
        let mut ids = Vec::with_capacity(feeds.len());
        for (url, name) in feeds {
            tx.execute(
                "INSERT INTO feeds (url, name) VALUES (?1, ?2)
                 ON CONFLICT (url) DO UPDATE SET name = excluded.name",
                (url, name),
            )?;
            ids.push(tx.query_row("SELECT id FROM feeds WHERE url = ?1", [url], |r| r.get(0))?);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Every feed the store knows, configured or not, by name.
    pub fn feeds(&self) -> Result<Vec<FeedRow>> {
        self.conn.query_map(
            "SELECT * FROM feeds ORDER BY name, url",
            (),
            FeedRow::from_row,
        )
    }

    /// The ids of the feeds due at `now` (never polled, or due then), configured or not:
    /// a cycle claims only these rather than trying every feed.
    pub fn due_feed_ids(&self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        self.conn.query_map(
            "SELECT id FROM feeds WHERE next_due_at IS NULL OR next_due_at <= ?1",
            [ts(now)],
            |r| r.get(0),
        )
    }

    /// When the first of the `configured` feeds is next due (the epoch for one never
    /// polled): read along the `feeds_due` index, soonest first, stopping at the first
    /// configured feed, instead of reading every feed. `None` when none is scheduled.
    pub fn next_feed_due(&self, configured: &HashSet<i64>) -> Result<Option<DateTime<Utc>>> {
        let never: Vec<i64> =
            self.conn
                .query_map("SELECT id FROM feeds WHERE next_due_at IS NULL", (), |r| {
                    r.get(0)
                })?;
        if never.iter().any(|id| configured.contains(id)) {
            return Ok(Some(DateTime::<Utc>::default()));
        }
        // Rows of feeds no longer configured are skipped; a few at first, more if many.
        let mut limit: i64 = 64;
        loop {
            let soonest: Vec<(i64, String)> = self.conn.query_map(
                "SELECT id, next_due_at FROM feeds WHERE next_due_at IS NOT NULL
                 ORDER BY next_due_at LIMIT ?1",
                [limit],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if let Some((_, due)) = soonest.iter().find(|(id, _)| configured.contains(id)) {
                return Ok(Some(parse_ts(due)));
            }
            if (soonest.len() as i64) < limit {
                return Ok(None);
            }
            limit = limit.saturating_mul(16);
        }
    }

    /// Each feed's address and when it is next due, in no order: what the service needs
    /// to know how long it may sleep.
    pub fn feed_due_times(&self) -> Result<Vec<(String, Option<DateTime<Utc>>)>> {
        self.conn
            .query_map("SELECT url, next_due_at FROM feeds", (), |r| {
                Ok((r.get(0)?, opt_ts(r.get(1)?)))
            })
    }

    /// One feed by URL.
    pub fn feed(&self, url: &str) -> Result<Option<FeedRow>> {
        self.conn.query_opt(
            "SELECT * FROM feeds WHERE url = ?1",
            [url],
            FeedRow::from_row,
        )
    }

    /// Records a fetch: status, error streak and since when it fails, validators, a
    /// pause the server asked for, and the next due time; releases this process's claim
    /// on the feed.
    pub fn record_feed_fetch(&mut self, feed_id: i64, f: &FeedFetch) -> Result<()> {
        record_fetch(&self.conn, &self.owner, feed_id, f)
    }

    /// [`Store::record_feed_fetch`] for several feeds, in one transaction.
    pub fn record_feed_fetches(&mut self, fetches: &[(i64, FeedFetch)]) -> Result<()> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        for (feed_id, f) in fetches {
            record_fetch(&tx, &owner, *feed_id, f)?;
        }
        tx.commit()
    }

    /// Records that the feed was not fetched because its host asked us to wait: the
    /// pause and the next due time change; the feed's last status and error stay. The
    /// claim of this process on the feed is released.
    pub fn record_feed_paused(
        &mut self,
        feed_id: i64,
        until: DateTime<Utc>,
        next_due: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE feeds SET paused_until = ?2, next_due_at = ?3,
                claimed_by = CASE WHEN claimed_by = ?4 THEN NULL ELSE claimed_by END,
                claimed_until = CASE WHEN claimed_by = ?4 THEN NULL ELSE claimed_until END
             WHERE id = ?1",
            (feed_id, ts(until), ts(next_due), &self.owner),
        )?;
        Ok(())
    }
}

/// Writes what a fetch of a feed found, and releases `owner`'s claim on it.
fn record_fetch(conn: &Conn, owner: &str, feed_id: i64, f: &FeedFetch) -> Result<()> {
    let failed = f.error.is_some();
    conn.execute(
        "UPDATE feeds SET
            last_fetch_at = ?2, last_status = ?3, last_error = ?4,
            last_entries = COALESCE(?5, last_entries),
            error_streak = CASE WHEN ?6 THEN error_streak + 1 ELSE 0 END,
            failing_since = CASE WHEN ?6 THEN COALESCE(failing_since, ?2) ELSE NULL END,
            etag = COALESCE(?7, etag), last_modified = COALESCE(?8, last_modified),
            next_due_at = ?9, paused_until = ?11,
            claimed_by = CASE WHEN claimed_by = ?10 THEN NULL ELSE claimed_by END,
            claimed_until = CASE WHEN claimed_by = ?10 THEN NULL ELSE claimed_until END
         WHERE id = ?1",
        (
            feed_id,
            ts(f.at),
            &f.status,
            &f.error,
            f.entries,
            failed,
            &f.etag,
            &f.last_modified,
            ts(f.next_due),
            owner,
            f.paused_until.map(ts),
        ),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_due_is_the_soonest_configured_feed() {
        use crate::store::Claim;
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let feeds: Vec<(String, String)> = (0..100)
                .map(|i| (format!("https://a.example/{i}"), format!("F{i}")))
                .collect();
            let ids = s.sync_feeds(&feeds).expect("sync");
            let configured: HashSet<i64> = ids.iter().copied().collect();
            // Never polled: due at once.
            assert_eq!(
                s.next_feed_due(&configured).expect("due"),
                Some(DateTime::<Utc>::default())
            );
            let t0 = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
                .expect("time")
                .with_timezone(&Utc);
            // Recorded in one batch, claims and all.
            let until = t0 + chrono::Duration::seconds(120);
            let claims = s.claim_feeds(&ids, t0, false, until).expect("claim");
            assert!(claims.iter().all(|c| matches!(c, Claim::Won(_))));
            let fetches: Vec<(i64, FeedFetch)> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let fetch = FeedFetch {
                        at: t0,
                        status: "304".into(),
                        error: None,
                        entries: None,
                        etag: None,
                        last_modified: None,
                        paused_until: None,
                        next_due: t0 + chrono::Duration::seconds(i as i64),
                    };
                    (*id, fetch)
                })
                .collect();
            s.record_feed_fetches(&fetches).expect("record");
            assert_eq!(s.next_feed_due(&configured).expect("due"), Some(t0));
            // Every claim was released with its record: the others may claim them now.
            let mut other = backend.other;
            let later = t0 + chrono::Duration::seconds(200);
            let claims = other.claim_feeds(&ids, later, false, later).expect("claim");
            assert!(
                claims.iter().all(|c| matches!(c, Claim::Won(_))),
                "{claims:?}"
            );
            // The 90 soonest are no longer configured: more than one read's worth.
            let kept: HashSet<i64> = ids[90..].iter().copied().collect();
            assert_eq!(
                s.next_feed_due(&kept).expect("due"),
                Some(t0 + chrono::Duration::seconds(90))
            );
            assert_eq!(s.next_feed_due(&HashSet::new()).expect("due"), None);
        }
    }

    #[test]
    fn fetch_records_streaks_and_keeps_validators() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let ids = s
                .sync_feeds(&[("https://a.example/feed".into(), "A".into())])
                .expect("sync");
            let now = Utc::now();
            let ok = FeedFetch {
                at: now,
                status: "200".into(),
                error: None,
                entries: Some(5),
                etag: Some("\"v1\"".into()),
                last_modified: None,
                paused_until: None,
                next_due: now,
            };
            s.record_feed_fetch(ids[0], &ok).expect("record");
            let bad = FeedFetch {
                status: "500".into(),
                error: Some("HTTP 500".into()),
                entries: None,
                etag: None,
                ..ok.clone()
            };
            s.record_feed_fetch(ids[0], &bad).expect("record");
            let later = FeedFetch {
                at: now + chrono::Duration::seconds(600),
                ..bad.clone()
            };
            s.record_feed_fetch(ids[0], &later).expect("record");
            let row = s.feed("https://a.example/feed").expect("q").expect("row");
            assert_eq!(row.error_streak, 2);
            assert_eq!(
                row.failing_since.map(|t| t.timestamp()),
                Some(now.timestamp()),
                "since the first failure of the streak"
            );
            // A pause the host asked for keeps the feed's own error.
            let until = now + chrono::Duration::seconds(3600);
            s.record_feed_paused(ids[0], until, until).expect("pause");
            let row = s.feed("https://a.example/feed").expect("q").expect("row");
            assert_eq!(row.last_error.as_deref(), Some("HTTP 500"));
            assert_eq!(row.last_status.as_deref(), Some("500"));
            assert_eq!(row.error_streak, 2);
            assert_eq!(
                row.paused_until.map(|t| t.timestamp()),
                Some(until.timestamp())
            );
            assert_eq!(row.entries, Some(5));
            assert_eq!(row.etag.as_deref(), Some("\"v1\""));
            s.record_feed_fetch(ids[0], &ok).expect("record");
            let row = s.feed("https://a.example/feed").expect("q").expect("row");
            assert_eq!(row.error_streak, 0);
            assert_eq!(row.last_error, None);
            assert_eq!(row.failing_since, None);
            assert_eq!(row.paused_until, None);
            // Renaming keeps the id.
            let again = s
                .sync_feeds(&[("https://a.example/feed".into(), "A2".into())])
                .expect("sync");
            assert_eq!(again, ids);
        }
    }

    #[test]
    fn due_feeds_are_the_unpolled_and_those_whose_time_has_come() {
        let mut s = Store::open_in_memory().expect("open");
        let ids = s
            .sync_feeds(&[
                ("https://a.example/feed".into(), "A".into()),
                ("https://b.example/feed".into(), "B".into()),
                ("https://c.example/feed".into(), "C".into()),
            ])
            .expect("sync");
        let now = Utc::now();
        let fetch = |next_due| FeedFetch {
            at: now,
            status: "304".into(),
            error: None,
            entries: None,
            etag: None,
            last_modified: None,
            paused_until: None,
            next_due,
        };
        // a is due a minute ago, b in a minute, c was never polled.
        let minute = chrono::Duration::seconds(60);
        s.record_feed_fetch(ids[0], &fetch(now - minute))
            .expect("a");
        s.record_feed_fetch(ids[1], &fetch(now + minute))
            .expect("b");
        let mut due = s.due_feed_ids(now).expect("due");
        due.sort_unstable();
        assert_eq!(due, vec![ids[0], ids[2]]);
        let mut later = s.due_feed_ids(now + minute).expect("due");
        later.sort_unstable();
        assert_eq!(later, ids);
        let times = s.feed_due_times().expect("times");
        assert_eq!(times.len(), 3);
        assert!(times.contains(&("https://c.example/feed".to_string(), None)));
    }
}
