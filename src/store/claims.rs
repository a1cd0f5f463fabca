//! Claims: which process is polling a feed, checking an article or sending an outbox row.
//!
//! Several processes may work on one state at once (the service and a `redline poll`,
//! two cron runs). Before it polls a feed, checks an article or sends a message, a
//! process claims the row: a conditional `UPDATE` in a write transaction sets
//! `claimed_by` and `claimed_until`, and only the process whose update matched goes on;
//! the others leave that row to it. Finishing the work (`record_feed_fetch`,
//! `record_check`, `mark_sent` …) releases the claim. A process that dies keeps its
//! claims only until `claimed_until` (`[state] lease`), when the rows go back to
//! everyone.
//!
//! Claims spare work and keep a message from being sent twice; they are not what keeps
//! a version from being recorded twice, which is `record_check`'s compare-and-set, so a
//! claim that runs out while its holder still works costs a repeated fetch, never a
//! doubled alert. A PostgreSQL store would take the same claims with `SELECT … FOR
//! UPDATE SKIP LOCKED` and the same expiry.

use chrono::{DateTime, Utc};

use super::articles::ARTICLE_SELECT;
use super::{ArticleRow, FeedRow, Result, Store, ts};

/// The outcome of trying to claim one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim<T> {
    /// This process holds the claim; do the work.
    Won(T),
    /// Nothing to do: the row is not due.
    NotDue,
    /// Another process holds a live claim on it.
    Busy,
}

impl Store {
    /// Claims every active article due at `now` (every active one with `all`) that no
    /// other process has claimed, until `until`. Returns the claimed articles, soonest
    /// due first, and how many due ones another process holds.
    pub fn claim_due_articles(
        &mut self,
        now: DateTime<Utc>,
        all: bool,
        until: DateTime<Utc>,
    ) -> Result<(Vec<ArticleRow>, usize)> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        // Two statements rather than `(?2 OR next_check_at <= ?1)`, which SQLite cannot
        // answer from the `articles_due` index and so read every active article.
        let due: Vec<(i64, bool)> = tx.query_map(
            if all {
                "SELECT id, claimed_until IS NOT NULL AND claimed_until > ?1 AND claimed_by <> ?2
                 FROM articles WHERE state = 'active'
                 ORDER BY next_check_at, id"
            } else {
                "SELECT id, claimed_until IS NOT NULL AND claimed_until > ?1 AND claimed_by <> ?2
                 FROM articles WHERE state = 'active' AND next_check_at <= ?1
                 ORDER BY next_check_at, id"
            },
            (ts(now), &owner),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let busy = due.iter().filter(|(_, busy)| *busy).count();
        let mut won = Vec::new();
        let read = format!("{ARTICLE_SELECT} WHERE a.id = ?1");
        for (id, _) in due.iter().filter(|(_, busy)| !*busy) {
            tx.execute(
                "UPDATE articles SET claimed_by = ?2, claimed_until = ?3 WHERE id = ?1",
                (id, &owner, ts(until)),
            )?;
            if let Some(a) = tx.query_opt(&read, [id], ArticleRow::from_row)? {
                won.push(a);
            }
        }
        tx.commit()?;
        Ok((won, busy))
    }

    /// Claims a feed for a poll until `until`, when it is due at `now` (or always with
    /// `all`) and no other process holds it.
    pub fn claim_feed(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        all: bool,
        until: DateTime<Utc>,
    ) -> Result<Claim<FeedRow>> {
        let mut claims = self.claim_feeds(&[feed_id], now, all, until)?;
        Ok(claims.pop().unwrap_or(Claim::NotDue))
    }

    /// [`Store::claim_feed`] for several feeds in one transaction, in order: a cycle's
    /// due feeds cost one write instead of one each.
    pub fn claim_feeds(
        &mut self,
        feed_ids: &[i64],
        now: DateTime<Utc>,
        all: bool,
        until: DateTime<Utc>,
    ) -> Result<Vec<Claim<FeedRow>>> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        let mut claims = Vec::with_capacity(feed_ids.len());
        for &feed_id in feed_ids {
            let Some(row) = tx
                .query_opt(
                    "SELECT *, claimed_until IS NOT NULL AND claimed_until > ?2 AND claimed_by <> ?3 AS busy
                     FROM feeds WHERE id = ?1",
                    (feed_id, ts(now), &owner),
                    |r| Ok((FeedRow::from_row(r)?, r.get::<_, bool>("busy")?)),
                )?
            else {
                claims.push(Claim::NotDue);
                continue;
            };
            let (feed, busy) = row;
            let due = feed.next_due.is_none_or(|t| t <= now);
            claims.push(if !(all || due) {
                Claim::NotDue
            } else if busy {
                Claim::Busy
            } else {
                tx.execute(
                    "UPDATE feeds SET claimed_by = ?2, claimed_until = ?3 WHERE id = ?1",
                    (feed_id, &owner, ts(until)),
                )?;
                Claim::Won(feed)
            });
        }
        tx.commit()?;
        Ok(claims)
    }

    /// Claims outbox rows for sending until `until`: only rows still queued, due at
    /// `now`, and claimed by no live process. Returns the ids this process won; a row
    /// whose id is missing is another process's to send (or already sent).
    pub fn claim_outbox(
        &mut self,
        ids: &[i64],
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        let mut won = Vec::new();
        for id in ids {
            let claimed = tx.execute(
                "UPDATE outbox SET claimed_by = ?2, claimed_until = ?3
                 WHERE id = ?1 AND status = 'queued' AND next_attempt_at <= ?4
                   AND (claimed_until IS NULL OR claimed_until <= ?4 OR claimed_by = ?2)",
                (id, &owner, ts(until), ts(now)),
            )?;
            if claimed == 1 {
                won.push(*id);
            }
        }
        tx.commit()?;
        Ok(won)
    }

    /// Extends every claim this process holds (feed polls, article checks, outbox rows,
    /// archive submissions) to `until`. A worker calls it while it works, so its claims
    /// run out only when it has died. Returns how many claims it extended.
    pub fn renew_claims(&mut self, until: DateTime<Utc>) -> Result<usize> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        let mut renewed = 0;
        for table in ["feeds", "articles", "outbox", "archive_submissions"] {
            renewed += tx.execute(
                &format!("UPDATE {table} SET claimed_until = ?2 WHERE claimed_by = ?1"),
                (&owner, ts(until)),
            )?;
        }
        tx.commit()?;
        Ok(renewed)
    }

    /// The articles whose claim the process with this pid holds (its owner name starts
    /// with the pid, see `owner_name`), live or run out: for watching a worker's work
    /// pass to the others.
    pub fn claimed_by_pid(&self, pid: u32) -> Result<Vec<i64>> {
        self.conn.query_map(
            "SELECT id FROM articles WHERE claimed_by LIKE ?1 ORDER BY id",
            [format!("pid {pid} at %")],
            |r| r.get(0),
        )
    }

    /// Gives up this process's claims on outbox rows it did not send after all.
    pub fn release_outbox(&mut self, ids: &[i64]) -> Result<()> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        for id in ids {
            tx.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ?1 AND claimed_by = ?2",
                (id, &owner),
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AlertKind, CheckRecorded, CheckUpdate, NewArticle, NewVersion};
    use crate::text::Copy;

    fn article(s: &mut Store, key: &str, now: DateTime<Utc>) -> i64 {
        s.upsert_article(&NewArticle {
            key: key.into(),
            url: format!("https://x.example/{key}"),
            title: "T".into(),
            feed_id: None,
            topics: Vec::new(),
            now,
        })
        .expect("upsert")
        .0
    }

    fn update(id: i64, based_on: Option<i64>, text: &str, now: DateTime<Utc>) -> CheckUpdate {
        CheckUpdate {
            based_on,
            version: Some(NewVersion {
                copy: Copy::new("Head", [text]),
                extractor: "test/1".into(),
                words_added: 1,
                words_removed: 1,
                note: None,
                labels: Default::default(),
                diff: None,
                provenance: Default::default(),
            }),
            alert: based_on.map(|_| {
                (
                    AlertKind::Reworded,
                    vec![crate::store::Target::email("a@x.example")],
                )
            }),
            next_check: Some(now),
            ..CheckUpdate::new(id, now)
        }
    }

    #[test]
    fn an_article_is_claimed_by_one_process_until_the_claim_runs_out() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let lease = chrono::Duration::seconds(60);
            let x = article(&mut a, "x", now);
            let y = article(&mut a, "y", now);
            let (won_a, busy_a) = a.claim_due_articles(now, false, now + lease).expect("a");
            assert_eq!(won_a.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x, y]);
            assert_eq!(busy_a, 0);
            let (won_b, busy_b) = b.claim_due_articles(now, true, now + lease).expect("b");
            assert!(won_b.is_empty());
            assert_eq!(busy_b, 2);
            // a records x: its claim on x is released, and b may take it.
            a.record_check(&update(x, None, "one", now))
                .expect("record");
            let (won_b, busy_b) = b.claim_due_articles(now, true, now + lease).expect("b");
            assert_eq!(won_b.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x]);
            assert_eq!(busy_b, 1);
            // a "dies" holding y: once the claim has run out, y is b's.
            let later = now + lease + chrono::Duration::seconds(1);
            let (won_b, busy_b) = b.claim_due_articles(later, true, later + lease).expect("b");
            assert_eq!(won_b.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x, y]);
            assert_eq!(busy_b, 0);
        }
    }

    #[test]
    fn a_renewed_claim_outlives_its_first_lease_and_runs_out_after_the_last() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let lease = chrono::Duration::seconds(60);
            let x = article(&mut a, "x", now);
            let (won, _) = a.claim_due_articles(now, true, now + lease).expect("a");
            assert_eq!(won.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x]);
            // Still working at 50 s: a renews to 50 s + lease.
            let renewed_at = now + chrono::Duration::seconds(50);
            assert_eq!(a.renew_claims(renewed_at + lease).expect("renew"), 1);
            // Past the first lease, the claim holds.
            let t = now + lease + chrono::Duration::seconds(1);
            let (won, busy) = b.claim_due_articles(t, true, t + lease).expect("b");
            assert!(won.is_empty());
            assert_eq!(busy, 1);
            // a dies: once the renewed lease has run out, x is b's.
            let t = renewed_at + lease + chrono::Duration::seconds(1);
            let (won, busy) = b.claim_due_articles(t, true, t + lease).expect("b");
            assert_eq!(won.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x]);
            assert_eq!(busy, 0);
            // a's renewals no longer reach the claim b took.
            assert_eq!(a.renew_claims(t + lease).expect("renew"), 0);
        }
    }

    #[test]
    fn a_claimed_article_is_next_due_when_its_claim_runs_out() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let x = article(&mut a, "x", now);
            let y = article(&mut a, "y", now + chrono::Duration::seconds(30));
            let due = |s: &Store| {
                s.next_article_due()
                    .expect("due")
                    .map(|t| t.timestamp_millis())
            };
            assert_eq!(due(&b), Some(now.timestamp_millis()));
            // a claims x (due now) until a minute from now: for b, y comes first.
            let lease = now + chrono::Duration::seconds(60);
            let (won, _) = a.claim_due_articles(now, false, lease).expect("claim");
            assert_eq!(won.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x]);
            assert_eq!(
                due(&b),
                Some((now + chrono::Duration::seconds(30)).timestamp_millis())
            );
            // Once b claims y too, the earlier claim's end is the next due time.
            let later = now + chrono::Duration::seconds(30);
            let (won, busy) = b
                .claim_due_articles(later, false, later + chrono::Duration::seconds(60))
                .expect("claim");
            assert_eq!(won.iter().map(|r| r.id).collect::<Vec<_>>(), vec![y]);
            assert_eq!(busy, 1);
            assert_eq!(due(&b), Some(lease.timestamp_millis()));
        }
    }

    #[test]
    fn a_version_is_recorded_only_against_the_latest_one() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let id = article(&mut a, "x", now);
            // Both take a baseline against "no version": one wins, the other is told.
            assert_eq!(
                a.record_check(&update(id, None, "one", now))
                    .expect("a")
                    .version,
                Some(1)
            );
            let lost = b.record_check(&update(id, None, "one", now)).expect("b");
            assert!(lost.stale && lost.version.is_none());
            // Both saw the same edit against version 1: one version, one alert.
            let won = a.record_check(&update(id, Some(1), "two", now)).expect("a");
            assert_eq!((won.version, won.alert.is_some()), (Some(2), true));
            let lost = b.record_check(&update(id, Some(1), "two", now)).expect("b");
            assert!(lost.stale);
            // Decided again against version 2, a copy of the same text makes nothing.
            let same = b.record_check(&update(id, Some(2), "two", now)).expect("b");
            assert_eq!(same, CheckRecorded::default());
            assert_eq!(a.versions(id).expect("versions").len(), 2);
            assert_eq!(a.alerts(&Default::default()).expect("alerts").len(), 1);
        }
    }

    #[test]
    fn an_outbox_row_is_claimed_by_one_process() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let id = article(&mut a, "x", now);
            a.record_check(&update(id, None, "one", now)).expect("v1");
            a.record_check(&update(id, Some(1), "two", now))
                .expect("v2");
            let due: Vec<i64> = a
                .due_outbox(now)
                .expect("due")
                .iter()
                .map(|r| r.id)
                .collect();
            assert_eq!(due.len(), 1);
            let lease = chrono::Duration::seconds(60);
            assert_eq!(a.claim_outbox(&due, now, now + lease).expect("a"), due);
            assert!(
                b.claim_outbox(&due, now, now + lease)
                    .expect("b")
                    .is_empty()
            );
            assert!(b.due_outbox(now).expect("due").is_empty());
            // Released unsent, it is anyone's again; sent, it is no one's.
            a.release_outbox(&due).expect("release");
            assert_eq!(b.claim_outbox(&due, now, now + lease).expect("b"), due);
            b.mark_sent(&due, "250 ok", now).expect("sent");
            let later = now + lease + lease;
            assert!(
                a.claim_outbox(&due, later, later + lease)
                    .expect("a")
                    .is_empty()
            );
        }
    }
}
