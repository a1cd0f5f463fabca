//! Claims: which process is polling a feed, checking an article or sending an outbox row.
//!
//! Several processes may work on one state at once (the service and a `redline poll`,
//! two cron runs, several `redline run` workers on one PostgreSQL). Before it polls a
//! feed, checks an article or sends a message, a process claims the row: it sets
//! `claimed_by` and `claimed_until` on rows nobody holds, and only the process whose
//! update took the row goes on; the others leave that row to it. Finishing the work
//! (`record_feed_fetch`, `record_check`, `mark_sent` …) releases the claim. A process
//! that dies keeps its claims only until `claimed_until` (`[state] lease`), when the rows
//! go back to everyone.
//!
//! Articles are claimed in batches ([`Store::claim_due_articles`] takes at most `limit`
//! of them, soonest due first), so that several workers share a backlog: each takes a
//! batch it can work through, and comes back for the next when it has room.
//!
//! On SQLite a claim is a write transaction (`BEGIN IMMEDIATE`: SQLite has no row locks).
//! On PostgreSQL it is a short transaction of its own ([`Conn::claim`](super::sql::Conn::claim)),
//! outside the advisory lock the other writes take: `SELECT … FOR UPDATE SKIP LOCKED`
//! picks rows no other worker is claiming at that moment, and the `UPDATE` of those rows
//! is the claim. Two workers claiming at once therefore get disjoint rows and never wait
//! for each other.
//!
//! Claims spare work and keep a message from being sent twice; they are not what keeps
//! a version from being recorded twice, which is `record_check`'s compare-and-set, so a
//! claim that runs out while its holder still works costs a repeated fetch, never a
//! doubled alert.

use chrono::{DateTime, Utc};

use super::articles::ARTICLE_SELECT;
use super::sql::Value;
use super::{ArticleRow, FeedRow, Result, Store, ts};

/// How many claimed articles one statement reads back (well under SQLite's and
/// PostgreSQL's limits on bound parameters).
const READ_CHUNK: usize = 500;

/// While revisits due now fill the batches of a round of checks, one part in this many
/// of each batch is kept for the round's own work (what was due when it started), so
/// that the round gets through it and ends.
const ROUND_SHARE: usize = 8;

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

/// Claims at most `?4` active articles due at `?5` that nobody holds at `?1` (a claim
/// that ran out holds nothing), soonest due first, for `?2` until `?3`. Two statements
/// for "due" and "every active one" (which has no `?5`) rather than `(?6 OR
/// next_check_at <= ?5)`, which SQLite cannot
/// answer from the `articles_due` index. PostgreSQL's twins lock the rows they pick and
/// skip the ones another worker is claiming.
macro_rules! claim_articles {
    ($due:literal, $lock:literal) => {
        concat!(
            "UPDATE articles SET claimed_by = ?2, claimed_until = ?3
             WHERE id IN (SELECT id FROM articles WHERE state = 'active'",
            $due,
            " AND (claimed_until IS NULL OR claimed_until <= ?1)
               ORDER BY next_check_at, id LIMIT ?4",
            $lock,
            ") RETURNING id"
        )
    };
}
const CLAIM_DUE: &str = claim_articles!(" AND next_check_at <= ?5", "");
/// The due revisits of articles that have a version (the partial index
/// `articles_due_known`), claimed before the first fetches of new articles.
const CLAIM_KNOWN: &str = claim_articles!(" AND next_check_at <= ?5 AND version_count > 0", "");
const CLAIM_KNOWN_PG: &str = claim_articles!(
    " AND next_check_at <= ?5 AND version_count > 0",
    " FOR UPDATE SKIP LOCKED"
);
const CLAIM_ALL: &str = claim_articles!("", "");
const CLAIM_DUE_PG: &str = claim_articles!(" AND next_check_at <= ?5", " FOR UPDATE SKIP LOCKED");
const CLAIM_ALL_PG: &str = claim_articles!("", " FOR UPDATE SKIP LOCKED");

/// The articles due at `?1` (every active one with `?3`) that another process than `?2`
/// holds: read from the few claimed rows (the partial index `articles_claimed`).
const BUSY_ARTICLES: &str = "SELECT COUNT(*) FROM articles
     WHERE claimed_until IS NOT NULL AND claimed_until > ?1 AND claimed_by <> ?2
       AND state = 'active' AND (?3 OR next_check_at <= ?1)";

impl Store {
    /// Claims at most `limit` active articles due at `now` (every active one with
    /// `all`) that no process holds, until `until`. Returns the claimed articles, the
    /// revisits of articles with a version before the first fetches of new ones and
    /// each soonest due first, and how many due ones another process holds.
    ///
    /// Rows this process already holds are not taken again: a worker calls this for its
    /// next batch while the last one is still being checked. Claims left over from an
    /// interrupted cycle are given back first with [`Store::release_article_claims`].
    pub fn claim_due_articles(
        &mut self,
        now: DateTime<Utc>,
        all: bool,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<ArticleRow>, usize)> {
        self.claim_due_articles_at(now, now, all, until, limit)
    }

    /// [`Store::claim_due_articles`] for a round of checks that started at `now`, among
    /// the articles nobody holds at `at` (now, as the round goes on): first the revisits
    /// of known articles due at `at`, then, to fill the batch, the articles due when the
    /// round started. The round's own work is what was due when it started, so that it
    /// ends; but a revisit that falls due while a long round works through a burst of
    /// new articles is taken at the next batch, not left until the round is over. A
    /// dead worker's claims come back the moment they run out, so a worker in a long
    /// round takes them over at its next batch rather than in its next round.
    pub fn claim_due_articles_at(
        &mut self,
        now: DateTime<Utc>,
        at: DateTime<Utc>,
        all: bool,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<ArticleRow>, usize)> {
        let owner = self.owner.clone();
        let known = if self.conn.is_postgres() {
            CLAIM_KNOWN_PG
        } else {
            CLAIM_KNOWN
        };
        let claim = match (self.conn.is_postgres(), all) {
            (false, false) => CLAIM_DUE,
            (false, true) => CLAIM_ALL,
            (true, false) => CLAIM_DUE_PG,
            (true, true) => CLAIM_ALL_PG,
        };
        let tx = self.conn.claim()?;
        let ids: Vec<i64> = if all {
            tx.query_map(claim, (ts(at), &owner, ts(until), limit), |r| r.get(0))?
        } else {
            // Revisits of known articles first, those due by now (`at`, not the round's
            // start): when a burst of new articles is due, an edit to a story already
            // tracked is not found only after all of them, nor only after the round that
            // loads them. The rest of the batch is filled with the round's work, soonest
            // due first (the revisits just claimed are held now, so not taken twice);
            // [`ROUND_SHARE`] of it is kept for that work, so that a round ends even while
            // revisits fall due faster than they are checked.
            let reserved = (limit / ROUND_SHARE).max(1).min(limit);
            let claim_known = |tx: &super::sql::Tx<'_>, n: usize| {
                tx.query_map::<i64, _, _>(known, (ts(at), &owner, ts(until), n, ts(at)), |r| {
                    r.get(0)
                })
            };
            let mut ids = if limit > reserved {
                claim_known(&tx, limit - reserved)?
            } else {
                Vec::new()
            };
            let round = tx.query_map::<i64, _, _>(
                claim,
                (ts(at), &owner, ts(until), limit - ids.len(), ts(now)),
                |r| r.get(0),
            )?;
            ids.extend(round);
            if ids.len() < limit {
                // The round's work is claimed: the rest of the batch goes to revisits.
                let rest = claim_known(&tx, limit - ids.len())?;
                ids.extend(rest);
            }
            ids
        };
        let busy: usize = tx.query_row(BUSY_ARTICLES, (ts(now), &owner, all), |r| r.get(0))?;
        tx.commit()?;
        // Read after the commit, so the claim's row locks are held for microseconds; the
        // rows are this process's now. Read [`READ_CHUNK`] to a statement rather than one
        // by one: a statement per article cost more than the checks of a cycle of 304s.
        let mut won = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(READ_CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
            let params: Vec<Value<'_>> = chunk.iter().map(|&id| Value::Int(id)).collect();
            won.extend(self.conn.query_map(
                &format!("{ARTICLE_SELECT} WHERE a.id IN ({})", marks.join(", ")),
                params,
                ArticleRow::from_row,
            )?);
        }
        won.sort_by_key(|a| (a.versions == 0, a.next_check, a.id));
        Ok((won, busy))
    }

    /// Gives back every article claim this process holds: at the start of a round of
    /// checks, when none of its checks is in flight, claims left by an interrupted one
    /// (which the renewals would otherwise keep alive) go back to everyone.
    pub fn release_article_claims(&mut self) -> Result<usize> {
        let owner = self.owner.clone();
        let tx = self.conn.claim()?;
        let n = tx.execute(
            "UPDATE articles SET claimed_by = NULL, claimed_until = NULL
             WHERE claimed_until IS NOT NULL AND claimed_by = ?1",
            [&owner],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Gives back this process's claims on these articles (ones it claimed again but
    /// will not check in this round).
    pub fn release_articles(&mut self, ids: &[i64]) -> Result<usize> {
        let owner = self.owner.clone();
        let tx = self.conn.claim()?;
        let mut n = 0;
        for id in ids {
            n += tx.execute(
                "UPDATE articles SET claimed_by = NULL, claimed_until = NULL
                 WHERE id = ?1 AND claimed_by = ?2",
                (id, &owner),
            )?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Claims a feed for a poll until `until`, when it is due at `now` (or always with
    /// `all`) and no other process holds it (on PostgreSQL, nor is claiming it right now).
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
        let pg = self.conn.is_postgres();
        let read = if pg {
            "SELECT *, claimed_until IS NOT NULL AND claimed_until > ?2 AND claimed_by <> ?3 AS busy
             FROM feeds WHERE id = ?1 FOR UPDATE SKIP LOCKED"
        } else {
            "SELECT *, claimed_until IS NOT NULL AND claimed_until > ?2 AND claimed_by <> ?3 AS busy
             FROM feeds WHERE id = ?1"
        };
        let tx = self.conn.claim()?;
        let mut claims = Vec::with_capacity(feed_ids.len());
        for &feed_id in feed_ids {
            let Some(row) = tx.query_opt(read, (feed_id, ts(now), &owner), |r| {
                Ok((FeedRow::from_row(r)?, r.get::<_, bool>("busy")?))
            })?
            else {
                // On PostgreSQL a row another worker has locked is skipped: it is that
                // worker's claim (or its record of a poll) in progress.
                claims.push(if pg { Claim::Busy } else { Claim::NotDue });
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
    /// `now`, and claimed by no live process (on PostgreSQL, nor being claimed right
    /// now). Returns the ids this process won; a row whose id is missing is another
    /// process's to send (or already sent).
    pub fn claim_outbox(
        &mut self,
        ids: &[i64],
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let owner = self.owner.clone();
        let claim = if self.conn.is_postgres() {
            "UPDATE outbox SET claimed_by = ?2, claimed_until = ?3
             WHERE id IN (SELECT id FROM outbox
                 WHERE id = ?1 AND status = 'queued' AND next_attempt_at <= ?4
                   AND (claimed_until IS NULL OR claimed_until <= ?4 OR claimed_by = ?2)
                 FOR UPDATE SKIP LOCKED)"
        } else {
            "UPDATE outbox SET claimed_by = ?2, claimed_until = ?3
             WHERE id = ?1 AND status = 'queued' AND next_attempt_at <= ?4
               AND (claimed_until IS NULL OR claimed_until <= ?4 OR claimed_by = ?2)"
        };
        let tx = self.conn.claim()?;
        let mut won = Vec::new();
        for id in ids {
            if tx.execute(claim, (id, &owner, ts(until), ts(now)))? == 1 {
                won.push(*id);
            }
        }
        tx.commit()?;
        Ok(won)
    }

    /// Extends every claim this process holds (feed polls, article checks, outbox rows,
    /// archive submissions, host request slots) to `until`. A worker calls it while it works, so its claims
    /// run out only when it has died. Returns how many claims it extended.
    pub fn renew_claims(&mut self, until: DateTime<Utc>) -> Result<usize> {
        let owner = self.owner.clone();
        let tx = self.conn.claim()?;
        let mut renewed = 0;
        for table in [
            "feeds",
            "articles",
            "outbox",
            "archive_submissions",
            "host_slots",
        ] {
            renewed += tx.execute(
                &format!("UPDATE {table} SET claimed_until = ?2 WHERE claimed_by = ?1"),
                (&owner, ts(until)),
            )?;
        }
        tx.commit()?;
        Ok(renewed)
    }

    /// The articles whose claim the process with this pid holds (its owner name starts
    /// with the pid, see `owner_name`), live or run out, with the end of each claim: for
    /// watching a worker's work pass to the others.
    pub fn claimed_by_pid(&self, pid: u32) -> Result<Vec<(i64, DateTime<Utc>)>> {
        self.conn.query_map(
            "SELECT id, claimed_until FROM articles WHERE claimed_by LIKE ?1 ORDER BY id",
            [format!("pid {pid} at %")],
            |r| Ok((r.get(0)?, super::parse_ts(&r.get::<_, String>(1)?))),
        )
    }

    /// The alerts whose messages (outbox rows) the process with this pid holds claims on,
    /// live or run out: what it was sending, or about to, when it died.
    pub fn outbox_claimed_by_pid(&self, pid: u32) -> Result<Vec<i64>> {
        self.conn.query_map(
            "SELECT alert_id FROM outbox WHERE claimed_by LIKE ?1 ORDER BY alert_id",
            [format!("pid {pid} at %")],
            |r| r.get(0),
        )
    }

    /// Gives up this process's claims on outbox rows it did not send after all.
    pub fn release_outbox(&mut self, ids: &[i64]) -> Result<()> {
        let owner = self.owner.clone();
        let tx = self.conn.claim()?;
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
            let (won_a, busy_a) = a
                .claim_due_articles(now, false, now + lease, 100)
                .expect("a");
            assert_eq!(won_a.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x, y]);
            assert_eq!(busy_a, 0);
            let (won_b, busy_b) = b
                .claim_due_articles(now, true, now + lease, 100)
                .expect("b");
            assert!(won_b.is_empty());
            assert_eq!(busy_b, 2);
            // a records x: its claim on x is released, and b may take it.
            a.record_check(&update(x, None, "one", now))
                .expect("record");
            let (won_b, busy_b) = b
                .claim_due_articles(now, true, now + lease, 100)
                .expect("b");
            assert_eq!(won_b.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x]);
            assert_eq!(busy_b, 1);
            // a "dies" holding y: once the claim has run out, y is b's.
            let later = now + lease + chrono::Duration::seconds(1);
            let (won_b, busy_b) = b
                .claim_due_articles(later, true, later + lease, 100)
                .expect("b");
            assert_eq!(won_b.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x, y]);
            assert_eq!(busy_b, 0);
        }
    }

    /// A known article: its first version at `at`, its revisit due at `due`.
    fn known_article(s: &mut Store, key: &str, at: DateTime<Utc>, due: DateTime<Utc>) -> i64 {
        let id = article(s, key, at);
        let mut baseline = update(id, None, "one", at);
        baseline.next_check = Some(due);
        s.record_check(&baseline).expect("baseline");
        id
    }

    /// `n` new articles (no version yet), listed at `at`.
    fn new_articles(s: &mut Store, n: usize, at: DateTime<Utc>) -> Vec<i64> {
        (0..n).map(|i| article(s, &format!("new{i}"), at)).collect()
    }

    #[test]
    fn due_revisits_of_known_articles_are_claimed_before_first_fetches_of_new_ones() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now() - chrono::Duration::minutes(10);
            let minutes = chrono::Duration::minutes;
            let lease = chrono::Duration::seconds(60);
            // A known article: its first version at t0, its revisit due 5 minutes later.
            let known = known_article(&mut s, "known", t0, t0 + minutes(5));
            // A burst of new articles, due since a minute after t0: before the revisit.
            let new = new_articles(&mut s, 3, t0 + minutes(1));
            let ids = |won: Vec<ArticleRow>| won.iter().map(|r| r.id).collect::<Vec<_>>();
            let now = t0 + minutes(6);
            let (won, _) = s
                .claim_due_articles(now, false, now + lease, 2)
                .expect("first batch");
            assert_eq!(ids(won), vec![known, new[0]], "the revisit first");
            let (won, _) = s
                .claim_due_articles(now, false, now + lease, 10)
                .expect("next batch");
            assert_eq!(ids(won), new[1..], "then the new ones, soonest due first");
        }
    }

    #[test]
    fn a_revisit_due_since_the_round_started_is_claimed_before_the_rounds_new_articles() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now() - chrono::Duration::minutes(10);
            let minutes = chrono::Duration::minutes;
            let lease = chrono::Duration::seconds(60);
            // A known article whose revisit falls due at t0 + 7, while a round that
            // started at t0 + 6 works through a burst of new articles due at t0 + 1.
            let known = known_article(&mut s, "known", t0, t0 + minutes(7));
            let new = new_articles(&mut s, 3, t0 + minutes(1));
            let ids = |won: Vec<ArticleRow>| won.iter().map(|r| r.id).collect::<Vec<_>>();
            let (round, at) = (t0 + minutes(6), t0 + minutes(8));
            let (won, _) = s
                .claim_due_articles_at(round, at, false, at + lease, 2)
                .expect("a batch later in the round");
            assert_eq!(
                ids(won),
                vec![known, new[0]],
                "the revisit due since the round started, then the round's own work"
            );
        }
    }

    #[test]
    fn a_round_keeps_a_share_of_each_batch_for_its_own_work() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now() - chrono::Duration::minutes(10);
            let minutes = chrono::Duration::minutes;
            let lease = chrono::Duration::seconds(60);
            // Twenty revisits fall due during the round (at t0 + 7), more than a batch;
            // two new articles were due when the round started (t0 + 6).
            let known: Vec<i64> = (0..20)
                .map(|i| known_article(&mut s, &format!("known{i}"), t0, t0 + minutes(7)))
                .collect();
            let new = new_articles(&mut s, 2, t0 + minutes(1));
            let (round, at) = (t0 + minutes(6), t0 + minutes(8));
            let batch = |s: &mut Store| {
                let (won, _) = s
                    .claim_due_articles_at(round, at, false, at + lease, 8)
                    .expect("batch");
                won.iter().map(|r| r.id).collect::<Vec<_>>()
            };
            // One part in ROUND_SHARE of each batch goes to the round's own work, so the
            // round gets through it although the revisits would fill every batch.
            let first = batch(&mut s);
            assert_eq!(first[..7], known[..7], "seven revisits first");
            assert_eq!(first[7..], new[..1], "and one of the round's new articles");
            let second = batch(&mut s);
            assert_eq!(second[..7], known[7..14]);
            assert_eq!(second[7..], new[1..]);
            // The round's work is all claimed: the whole batch goes to the revisits.
            assert_eq!(batch(&mut s), known[14..]);
        }
    }

    #[test]
    fn two_processes_claim_disjoint_batches_of_at_most_the_limit() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let lease = chrono::Duration::seconds(60);
            let ids: Vec<i64> = (0..5)
                .map(|i| article(&mut a, &format!("k{i}"), now))
                .collect();
            let (won_a, busy) = a.claim_due_articles(now, false, now + lease, 3).expect("a");
            assert_eq!(won_a.iter().map(|r| r.id).collect::<Vec<_>>(), ids[..3]);
            assert_eq!(busy, 0);
            // b gets the rest, and is told of the three a holds.
            let (won_b, busy) = b.claim_due_articles(now, false, now + lease, 3).expect("b");
            assert_eq!(won_b.iter().map(|r| r.id).collect::<Vec<_>>(), ids[3..]);
            assert_eq!(busy, 3);
            // a's next batch does not take again what it holds, nor what b holds.
            let (again, busy) = a.claim_due_articles(now, false, now + lease, 3).expect("a");
            assert!(again.is_empty());
            assert_eq!(busy, 2);
            // a gives one claim back: b may take it.
            assert_eq!(a.release_articles(&[ids[2]]).expect("release one"), 1);
            assert_eq!(b.release_articles(&[ids[2]]).expect("not b's"), 0);
            let (won_b, _) = b.claim_due_articles(now, false, now + lease, 3).expect("b");
            assert_eq!(won_b.iter().map(|r| r.id).collect::<Vec<_>>(), ids[2..3]);
            assert_eq!(b.release_articles(&[ids[2]]).expect("b's again"), 1);
            // a gives its claims back: b may take them, still at most its limit.
            assert_eq!(a.release_article_claims().expect("release"), 2);
            let (won_b, _) = b.claim_due_articles(now, false, now + lease, 2).expect("b");
            assert_eq!(won_b.iter().map(|r| r.id).collect::<Vec<_>>(), ids[..2]);
            // b "dies": once its lease has run out, a takes over its claims.
            let later = now + lease + chrono::Duration::seconds(1);
            let (won_a, busy) = a
                .claim_due_articles(later, false, later + lease, 10)
                .expect("a");
            assert_eq!(won_a.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
            assert_eq!(busy, 0);
        }
    }

    #[test]
    fn processes_claiming_at_once_never_share_an_article() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, b) = (backend.store, backend.other);
            let now = Utc::now();
            let until = now + chrono::Duration::seconds(60);
            let n = 120;
            for i in 0..n {
                article(&mut a, &format!("k{i}"), now);
            }
            // Each claims batches of 7 until nothing is left, at the same time.
            let drain = |mut s: Store| {
                let mut got = Vec::new();
                loop {
                    let (won, _) = s.claim_due_articles(now, false, until, 7).expect("claim");
                    if won.is_empty() {
                        return got;
                    }
                    assert!(won.len() <= 7);
                    got.extend(won.iter().map(|r| r.id));
                }
            };
            let (got_a, got_b) = std::thread::scope(|t| {
                let ha = t.spawn(|| drain(a));
                let hb = t.spawn(|| drain(b));
                (ha.join().expect("thread a"), hb.join().expect("thread b"))
            });
            let mut all: Vec<i64> = got_a.iter().chain(&got_b).copied().collect();
            all.sort_unstable();
            let total = all.len();
            all.dedup();
            assert_eq!(total, all.len(), "an article was claimed twice");
            assert_eq!(total, n);
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
            let (won, _) = a
                .claim_due_articles(now, true, now + lease, 100)
                .expect("a");
            assert_eq!(won.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x]);
            // Still working at 50 s: a renews to 50 s + lease.
            let renewed_at = now + chrono::Duration::seconds(50);
            assert_eq!(a.renew_claims(renewed_at + lease).expect("renew"), 1);
            // Past the first lease, the claim holds.
            let t = now + lease + chrono::Duration::seconds(1);
            let (won, busy) = b.claim_due_articles(t, true, t + lease, 100).expect("b");
            assert!(won.is_empty());
            assert_eq!(busy, 1);
            // a dies: once the renewed lease has run out, x is b's.
            let t = renewed_at + lease + chrono::Duration::seconds(1);
            let (won, busy) = b.claim_due_articles(t, true, t + lease, 100).expect("b");
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
            let (won, _) = a.claim_due_articles(now, false, lease, 100).expect("claim");
            assert_eq!(won.iter().map(|r| r.id).collect::<Vec<_>>(), vec![x]);
            assert_eq!(
                due(&b),
                Some((now + chrono::Duration::seconds(30)).timestamp_millis())
            );
            // Once b claims y too, the earlier claim's end is the next due time.
            let later = now + chrono::Duration::seconds(30);
            let (won, busy) = b
                .claim_due_articles(later, false, later + chrono::Duration::seconds(60), 100)
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
