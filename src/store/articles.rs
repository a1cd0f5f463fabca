//! Article rows, their topics and versions, and the one transaction that records a check.
//!
//! A check is recorded by compare-and-set: the update names the latest version its
//! decision was made against, and nothing of it is written when another process has
//! recorded a version since. The loser is told so and decides again against the new
//! latest version (see `watch::Watcher::check_article`).

use chrono::{DateTime, Utc};

use super::addresses::{self, AddressCheck, Upserted, Via};
use super::kinds::{AlertKind, ArticleState, Quiet};
use super::sql::{Conn, Row, params};
use super::{Result, Store, Target, opt_ts, parse_ts, ts};
use crate::archive::RawPage;
use crate::diff::{CopyDiff, Labels};
use crate::text::{Copy, Place, Provenance, Source};

/// How many quiet checks (see [`QuietCheck`]) are kept per article: the newest ones.
pub const QUIET_KEPT: i64 = 20;

/// A tracked article.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArticleRow {
    pub id: i64,
    /// The identity: the feed entry's id/guid, else the canonical link.
    pub key: String,
    pub url: String,
    pub title: String,
    pub feed: Option<String>,
    pub topics: Vec<String>,
    pub versions: i64,
    /// The number of its latest version, if it has one.
    #[serde(skip)]
    pub latest_version: Option<i64>,
    pub first_seen: DateTime<Utc>,
    pub last_check: Option<DateTime<Utc>>,
    pub next_check: Option<DateTime<Utc>>,
    pub last_change: Option<DateTime<Utc>>,
    /// `active` (being revisited), `stopped` (past `stop_after`), `removed` (404/410,
    /// confirmed) or `joined` (a copy joined to another article after it had versions).
    pub state: ArticleState,
    pub last_error: Option<String>,
    #[serde(skip)]
    pub error_streak: i64,
    #[serde(skip)]
    pub etag: Option<String>,
    #[serde(skip)]
    pub last_modified: Option<String>,
    #[serde(skip)]
    pub revisit_step: i64,
    #[serde(skip)]
    pub ladder_start: DateTime<Utc>,
    /// When a sharp drop in extracted text was first seen and awaits confirmation.
    #[serde(skip)]
    pub suspect_at: Option<DateTime<Utc>>,
    /// A hash of the page as last fetched, to tell a changed page from an unchanged one.
    #[serde(skip)]
    pub page_hash: Option<String>,
    /// Whether a feed carried the article at its last successful parse.
    #[serde(skip)]
    pub in_feed: bool,
    /// When its page first answered 404/410, in the current run of such answers.
    #[serde(skip)]
    pub gone_at: Option<DateTime<Utc>>,
    /// The address it moved from, while the move waits for its first check.
    #[serde(skip)]
    pub moved_from: Option<String>,
}

pub(super) const ARTICLE_SELECT: &str = "SELECT a.*, f.name AS feed_name,
        (SELECT COUNT(*) FROM versions v WHERE v.article_id = a.id) AS n_versions,
        (SELECT MAX(number) FROM versions v WHERE v.article_id = a.id) AS latest_number,
        (SELECT string_agg(topic, '\u{1f}' ORDER BY topic) FROM article_topics t
            WHERE t.article_id = a.id) AS topic_list,
        (SELECT m.url FROM article_addresses m WHERE m.article_id = a.id AND m.kind = 'moved'
            AND m.settled = 0 ORDER BY m.id DESC LIMIT 1) AS moved_from
    FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id";

impl ArticleRow {
    pub(super) fn from_row(r: &Row<'_, '_>) -> Result<ArticleRow> {
        let topics: Option<String> = r.get("topic_list")?;
        Ok(ArticleRow {
            id: r.get("id")?,
            key: r.get("key")?,
            url: r.get("url")?,
            title: r.get("title")?,
            feed: r.get("feed_name")?,
            topics: topics
                .map(|t| t.split('\u{1f}').map(str::to_string).collect())
                .unwrap_or_default(),
            versions: r.get("n_versions")?,
            latest_version: r.get("latest_number")?,
            first_seen: parse_ts(&r.get::<_, String>("first_seen_at")?),
            last_check: opt_ts(r.get("last_check_at")?),
            next_check: opt_ts(r.get("next_check_at")?),
            last_change: opt_ts(r.get("last_change_at")?),
            state: r.get("state")?,
            last_error: r.get("last_error")?,
            error_streak: r.get("error_streak")?,
            etag: r.get("etag")?,
            last_modified: r.get("last_modified")?,
            revisit_step: r.get("revisit_step")?,
            ladder_start: parse_ts(&r.get::<_, String>("ladder_start_at")?),
            suspect_at: opt_ts(r.get("suspect_at")?),
            page_hash: r.get("page_hash")?,
            in_feed: r.get("in_feed")?,
            gone_at: opt_ts(r.get("gone_at")?),
            moved_from: r.get("moved_from")?,
        })
    }
}

/// An article seen in a feed (or given to `track`).
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub key: String,
    pub url: String,
    pub title: String,
    pub feed_id: Option<i64>,
    pub topics: Vec<String>,
    pub now: DateTime<Utc>,
}

#[cfg(test)]
impl NewArticle {
    /// Story `i` of the store tests: `https://news.example/{i}`, titled "Story {i}".
    pub(crate) fn numbered(i: i64, topic: &str, now: DateTime<Utc>) -> NewArticle {
        let url = format!("https://news.example/{i}");
        NewArticle {
            key: url.clone(),
            url,
            title: format!("Story {i}"),
            feed_id: None,
            topics: vec![topic.to_string()],
            now,
        }
    }
}

/// A stored version of an article's text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VersionRow {
    pub number: i64,
    pub time: DateTime<Utc>,
    #[serde(skip)]
    pub copy: Copy,
    pub extractor: String,
    pub words_added: i64,
    pub words_removed: i64,
    /// Why this version raised no alert, when it did not (`baseline`, `flip-flop`,
    /// `extractor changed`, …).
    pub note: Option<String>,
    /// What kind of change this version is (empty for a baseline).
    pub labels: Labels,
    /// The diff from the previous version as the watcher decided on it (ignored text
    /// masked); `None` for a baseline or a version stored before diffs were kept.
    #[serde(skip)]
    pub diff: Option<CopyDiff>,
    /// Where the copy came from and what the page declared (times, correction note).
    #[serde(flatten)]
    pub provenance: Provenance,
}

impl VersionRow {
    fn from_row(r: &Row<'_, '_>) -> Result<VersionRow> {
        let body: String = r.get("body")?;
        Ok(VersionRow {
            number: r.get("number")?,
            time: parse_ts(&r.get::<_, String>("fetched_at")?),
            copy: Copy {
                headline: r.get("headline")?,
                paragraphs: if body.is_empty() {
                    Vec::new()
                } else {
                    body.split("\n\n").map(str::to_string).collect()
                },
            },
            extractor: r.get("extractor")?,
            words_added: r.get("words_added")?,
            words_removed: r.get("words_removed")?,
            note: r.get("note")?,
            labels: r.get("labels")?,
            // A diff this redline cannot read is recomputed by whoever needs it.
            diff: r
                .get::<_, Option<String>>("diff")?
                .and_then(|d| serde_json::from_str(&d).ok()),
            provenance: Provenance {
                source: Source::from_name(&r.get::<_, String>("source")?),
                published: r.get("declared_published")?,
                modified: r.get("declared_modified")?,
                updated_line: r.get("declared_updated")?,
                note: r.get("declared_note")?,
                author: r.get("declared_author")?,
                places: r
                    .get::<_, Option<String>>("paragraph_places")?
                    .map(|p| Place::decode(&p))
                    .unwrap_or_default(),
            },
        })
    }
}

/// A version to record.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub copy: Copy,
    pub extractor: String,
    pub words_added: i64,
    pub words_removed: i64,
    pub note: Option<String>,
    pub labels: Labels,
    /// The diff the decision saw, kept so that alerts and `redline diff` show it.
    pub diff: Option<CopyDiff>,
    /// What the page said about itself when this version was taken.
    pub provenance: Provenance,
}

#[cfg(test)]
impl NewVersion {
    /// A version of one paragraph under the headline "Head", for the store's tests.
    pub(crate) fn of_text(text: &str) -> NewVersion {
        NewVersion {
            copy: Copy::new("Head", [text]),
            extractor: "test/1".into(),
            words_added: 0,
            words_removed: 0,
            note: None,
            labels: Labels::new(),
            diff: None,
            provenance: Provenance::default(),
        }
    }
}

/// A check of a page that changed but made no version, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuietCheck {
    pub time: DateTime<Utc>,
    pub outcome: Quiet,
    pub detail: Option<String>,
}

/// Everything one check of an article changes, written in one transaction.
#[derive(Debug, Clone)]
pub struct CheckUpdate {
    pub article_id: i64,
    /// The number of the latest version when the check read it (`None`: there was none).
    /// The check is recorded only if that is still the latest version.
    pub based_on: Option<i64>,
    pub at: DateTime<Utc>,
    /// New validators; `None` keeps the stored ones.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub title: Option<String>,
    pub version: Option<NewVersion>,
    /// An alert of this kind to queue for these targets (email recipients and webhooks).
    /// A `reworded` alert goes from the previous version to the one recorded here.
    pub alert: Option<(AlertKind, Vec<Target>)>,
    pub state: ArticleState,
    pub next_check: Option<DateTime<Utc>>,
    pub revisit_step: i64,
    pub ladder_start: DateTime<Utc>,
    pub error: Option<String>,
    pub suspect_at: Option<DateTime<Utc>>,
    /// Why a changed page made no version, to show in `history`.
    pub quiet: Option<QuietCheck>,
    /// The fetched page's hash; `None` keeps the stored one.
    pub page_hash: Option<String>,
    /// A move, the first check at a new address, the first 404/410.
    pub address: AddressCheck,
    /// The response, kept with the version this check records (`[archive] raw`).
    pub raw: Option<RawPage>,
    /// The article address to ask the archive endpoint to snapshot when this check
    /// records a version (`[archive] submit`).
    pub submit: Option<String>,
}

impl CheckUpdate {
    /// A check of article `article_id` at `at` that changes nothing yet: no version, no
    /// alert, the article active on a ladder starting at `at`; the caller fills in what
    /// the check found.
    pub fn new(article_id: i64, at: DateTime<Utc>) -> CheckUpdate {
        CheckUpdate {
            article_id,
            based_on: None,
            at,
            etag: None,
            last_modified: None,
            title: None,
            version: None,
            alert: None,
            state: ArticleState::Active,
            next_check: None,
            revisit_step: 0,
            ladder_start: at,
            error: None,
            suspect_at: None,
            quiet: None,
            page_hash: None,
            address: AddressCheck::default(),
            raw: None,
            submit: None,
        }
    }
}

/// What [`Store::record_check`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckRecorded {
    pub version: Option<i64>,
    pub alert: Option<i64>,
    /// Another process recorded a version after this check read the latest one: nothing
    /// was written, and the check should be decided again against the new latest.
    pub stale: bool,
}

/// Which articles `redline articles` lists.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub topic: Option<String>,
    /// Only articles with more than one version.
    pub changed: bool,
}

impl Store {
    /// Finds the article with this identity key or address (current, alias or past).
    pub fn find_article(&self, key: &str, url: &str) -> Result<Option<i64>> {
        self.article_for(key, url)
    }

    /// Records an article seen in a feed: a new one is due for its first fetch now; a
    /// known one gains any new topics. Returns its id and whether it is new.
    pub fn upsert_article(&mut self, a: &NewArticle) -> Result<(i64, bool)> {
        let u = self.upsert_entry(a)?;
        Ok((u.id, u.created))
    }

    /// [`Store::upsert_article`], and when the entry's guid is known and its own feed now
    /// links a new address, the article moves there (see `addresses`).
    pub fn upsert_entry(&mut self, a: &NewArticle) -> Result<Upserted> {
        let tx = self.write()?;
        let existing = addresses::resolve(&tx, &a.key, &a.url)?;
        let (id, created, moved_from) = match existing {
            Some((id, via)) => {
                tx.execute(
                    "UPDATE articles SET title = ?2 WHERE id = ?1 AND title = ''",
                    (id, &a.title),
                )?;
                let moved = match (via, a.feed_id) {
                    (Via::Key, Some(feed)) => {
                        addresses::follow_feed_link(&tx, id, feed, &a.url, a.now)?
                    }
                    _ => None,
                };
                (id, false, moved)
            }
            None => {
                let now = ts(a.now);
                let feed_link = a.feed_id.map(|_| &a.url);
                let id: i64 = tx.query_row(
                    "INSERT INTO articles (key, url, title, feed_id, first_seen_at, next_check_at, ladder_start_at,
                         feed_link, in_feed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?6, ?7) RETURNING id",
                    params![
                        &a.key,
                        &a.url,
                        &a.title,
                        a.feed_id,
                        &now,
                        feed_link,
                        a.feed_id.is_some()
                    ],
                    |r| r.get(0),
                )?;
                (id, true, None)
            }
        };
        add_topics(&tx, id, &a.topics)?;
        tx.commit()?;
        Ok(Upserted {
            id,
            created,
            moved_from,
        })
    }

    /// One article by id.
    pub fn article(&self, id: i64) -> Result<Option<ArticleRow>> {
        self.conn.query_opt(
            &format!("{ARTICLE_SELECT} WHERE a.id = ?1"),
            [id],
            ArticleRow::from_row,
        )
    }

    /// Active articles due for a check at `now` (every active one with `all`), soonest
    /// first.
    pub fn due_articles(&self, now: DateTime<Utc>, all: bool) -> Result<Vec<ArticleRow>> {
        self.conn.query_map(
            &format!(
                "{ARTICLE_SELECT} WHERE a.state = 'active' AND (?2 OR a.next_check_at <= ?1)
             ORDER BY a.next_check_at, a.id"
            ),
            (ts(now), all),
            ArticleRow::from_row,
        )
    }

    /// The earliest time an active article is due, if any (one claimed by a process is
    /// due for the others when the claim runs out).
    pub fn next_article_due(&self) -> Result<Option<DateTime<Utc>>> {
        // In two halves, each served by an index (`articles_due`, and the partial
        // `articles_claimed`): one expression over every row read all 100,000 of them.
        let t: Option<String> = self.conn.query_row(
            "SELECT MIN(t) FROM (
                 SELECT MIN(next_check_at) AS t FROM articles
                 WHERE state = 'active' AND claimed_until IS NULL
                 UNION ALL
                 SELECT MIN(CASE WHEN claimed_until > next_check_at THEN claimed_until ELSE next_check_at END)
                 FROM articles WHERE claimed_until IS NOT NULL AND state = 'active') AS halves",
            (),
            |r| r.get(0),
        )?;
        Ok(opt_ts(t))
    }

    /// Tracked articles for `redline articles`, most recently changed first.
    pub fn articles(&self, filter: &ArticleFilter) -> Result<Vec<ArticleRow>> {
        let rows = self.conn.query_map(&format!(
            "{ARTICLE_SELECT}
             WHERE (CAST(?1 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM article_topics t WHERE t.article_id = a.id AND t.topic = ?1))
             ORDER BY COALESCE(a.last_change_at, a.first_seen_at) DESC, a.id DESC"
        ), [&filter.topic], ArticleRow::from_row)?;
        let all: Vec<ArticleRow> = rows;
        Ok(all
            .into_iter()
            .filter(|a| !filter.changed || a.versions > 1)
            .collect())
    }

    /// All versions of an article, oldest first.
    pub fn versions(&self, article_id: i64) -> Result<Vec<VersionRow>> {
        let rows = self.conn.query_map(
            "SELECT * FROM versions WHERE article_id = ?1 ORDER BY number",
            [article_id],
            VersionRow::from_row,
        )?;
        Ok(rows)
    }

    /// One version by number.
    pub fn version(&self, article_id: i64, number: i64) -> Result<Option<VersionRow>> {
        self.conn.query_opt(
            "SELECT * FROM versions WHERE article_id = ?1 AND number = ?2",
            (article_id, number),
            VersionRow::from_row,
        )
    }

    /// The latest version, if any.
    pub fn latest_version(&self, article_id: i64) -> Result<Option<VersionRow>> {
        self.conn.query_opt(
            "SELECT * FROM versions WHERE article_id = ?1 ORDER BY number DESC LIMIT 1",
            [article_id],
            VersionRow::from_row,
        )
    }

    /// Versions recorded at or after `since`, newest first (for flip-flop detection).
    pub fn versions_since(&self, article_id: i64, since: DateTime<Utc>) -> Result<Vec<VersionRow>> {
        self.conn.query_map("SELECT * FROM versions WHERE article_id = ?1 AND fetched_at >= ?2 ORDER BY number DESC", (article_id, ts(since)), VersionRow::from_row)
    }

    /// Records one check: the optional new version, its alert and outbox rows, and the
    /// article's bookkeeping, all or nothing, and releases this process's claim on it.
    ///
    /// Compare-and-set: when the latest version is no longer `u.based_on` (another
    /// process recorded one meanwhile), nothing is written and the result says `stale`.
    /// A version whose text is exactly the latest one's is never recorded, and an article
    /// already recorded as removed is not alerted as removed again.
    pub fn record_check(&mut self, u: &CheckUpdate) -> Result<CheckRecorded> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        let out = record_one(&tx, &owner, u)?;
        tx.commit()?;
        Ok(out)
    }

    /// [`Store::record_check`] of a fetched page, with what its extraction taught its
    /// site's template ([`Store::learn_template`]), in one transaction: a check writes
    /// its record in one round trip. The lesson is written even when the check turns out
    /// stale (it is the page's, whoever records the version).
    pub fn record_page_check(
        &mut self,
        learned: Option<&super::Learned>,
        u: &CheckUpdate,
    ) -> Result<CheckRecorded> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        if let Some(l) = learned {
            l.write(&tx)?;
        }
        let out = record_one(&tx, &owner, u)?;
        tx.commit()?;
        Ok(out)
    }

    /// [`Store::record_check`] for several checks, in one transaction (a cycle's
    /// unchanged pages, recorded together); each is compared and written as alone.
    pub fn record_checks(&mut self, updates: &[CheckUpdate]) -> Result<Vec<CheckRecorded>> {
        let owner = self.owner.clone();
        let tx = self.write()?;
        let out = updates
            .iter()
            .map(|u| record_one(&tx, &owner, u))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(out)
    }

    /// The checks of an article's changed page that made no version (the newest
    /// [`QUIET_KEPT`]), oldest first.
    pub fn quiet_checks(&self, article_id: i64) -> Result<Vec<QuietCheck>> {
        self.conn.query_map("SELECT checked_at, outcome, detail FROM quiet_checks WHERE article_id = ?1 ORDER BY id", [article_id], |r| {
            Ok(QuietCheck {
                time: parse_ts(&r.get::<_, String>(0)?),
                outcome: r.get(1)?,
                detail: r.get(2)?,
            })
        })
    }

    /// Starts tracking a URL directly (`redline track`), optionally with a baseline.
    /// Returns the article id and whether it was new.
    pub fn track(&mut self, a: &NewArticle, baseline: Option<&NewVersion>) -> Result<(i64, bool)> {
        let (id, created) = self.upsert_article(a)?;
        if let Some(v) = baseline {
            let tx = self.write()?;
            let latest: Option<i64> = tx.query_row(
                "SELECT MAX(number) FROM versions WHERE article_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            insert_version(&tx, id, latest.unwrap_or(0) + 1, a.now, v)?;
            if !v.copy.headline.is_empty() {
                tx.execute(
                    "UPDATE articles SET title = ?2 WHERE id = ?1",
                    (id, &v.copy.headline),
                )?;
            }
            tx.commit()?;
        }
        Ok((id, created))
    }
}

/// One check of [`Store::record_check`], inside the caller's write transaction `tx`.
fn record_one(tx: &Conn, owner: &str, u: &CheckUpdate) -> Result<CheckRecorded> {
    let mut out = CheckRecorded::default();
    let latest: Option<i64> = tx
        .query_opt(
            "SELECT MAX(number) FROM versions WHERE article_id = ?1",
            [u.article_id],
            |r| r.get(0),
        )?
        .flatten();
    if latest != u.based_on {
        release_article(tx, u.article_id, owner)?;
        out.stale = true;
        return Ok(out);
    }
    // The latest text is read only when there is a version to hold against it.
    let latest_text: Option<(String, String)> = match (&u.version, latest) {
        (Some(_), Some(number)) => tx.query_opt(
            "SELECT headline, body FROM versions WHERE article_id = ?1 AND number = ?2",
            (u.article_id, number),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
        _ => None,
    };
    let same_text = |v: &NewVersion| {
        latest_text.as_ref().is_some_and(|(headline, body)| {
            *headline == v.copy.headline && *body == v.copy.paragraphs.join("\n\n")
        })
    };
    let version = u.version.as_ref().filter(|v| !same_text(v));
    // The article's state is read only for a removal's alert, the one case it decides.
    let already_removed = || -> Result<bool> {
        let state: Option<ArticleState> = tx.query_opt(
            "SELECT state FROM articles WHERE id = ?1",
            [u.article_id],
            |r| r.get(0),
        )?;
        Ok(state == Some(ArticleState::Removed))
    };
    let alert = match &u.alert {
        // The text did not change after all: nothing to report.
        Some((AlertKind::Reworded, _)) if version.is_none() => None,
        Some((AlertKind::Removed, _)) if already_removed()? => None,
        other => other.as_ref(),
    };
    if let Some(v) = version {
        let number = latest.unwrap_or(0) + 1;
        insert_version(tx, u.article_id, number, u.at, v)?;
        if let Some(raw) = &u.raw {
            super::raw::insert(tx, u.article_id, number, raw)?;
        }
        if let Some(url) = &u.submit {
            super::raw::queue_submission(tx, u.article_id, number, url, u.at)?;
        }
        out.version = Some(number);
    }
    if let Some((kind, recipients)) = alert {
        let to = out.version.or(latest).unwrap_or(0);
        let from = if out.version.is_some() {
            latest.unwrap_or(to)
        } else {
            to
        };
        let alert_id: i64 = tx.query_row(
            "INSERT INTO alerts (article_id, kind, from_version, to_version, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            (u.article_id, kind, from, to, ts(u.at)),
            |r| r.get(0),
        )?;
        for t in recipients {
            tx.execute(
                "INSERT INTO outbox (alert_id, channel, recipient, next_attempt_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                (alert_id, t.channel, &t.name, ts(u.at)),
            )?;
        }
        out.alert = Some(alert_id);
    }
    addresses::apply(tx, u, out.version)?;
    let changed = out.alert.is_some();
    tx.execute(
        "UPDATE articles SET
            last_check_at = ?2,
            etag = COALESCE(?3, etag), last_modified = COALESCE(?4, last_modified),
            title = COALESCE(?5, title),
            state = ?6, next_check_at = ?7, revisit_step = ?8, ladder_start_at = ?9,
            last_error = ?10,
            error_streak = CASE WHEN CAST(?10 AS TEXT) IS NULL THEN 0 ELSE error_streak + 1 END,
            last_change_at = CASE WHEN ?11 THEN ?2 ELSE last_change_at END,
            suspect_at = ?12,
            claimed_by = CASE WHEN claimed_by = ?13 THEN NULL ELSE claimed_by END,
            claimed_until = CASE WHEN claimed_by = ?13 THEN NULL ELSE claimed_until END,
            page_hash = COALESCE(?14, page_hash),
            gone_at = ?15
         WHERE id = ?1",
        params![
            u.article_id,
            ts(u.at),
            u.etag,
            u.last_modified,
            u.title,
            u.state,
            u.next_check.map(ts),
            u.revisit_step,
            ts(u.ladder_start),
            u.error,
            changed,
            u.suspect_at.map(ts),
            owner,
            u.page_hash,
            u.address.gone_at.map(ts),
        ],
    )?;
    if let Some(q) = &u.quiet {
        tx.execute(
            "INSERT INTO quiet_checks (article_id, checked_at, outcome, detail) VALUES (?1, ?2, ?3, ?4)",
            (u.article_id, ts(q.time), q.outcome, &q.detail),
        )?;
        tx.execute(
            "DELETE FROM quiet_checks WHERE article_id = ?1 AND id NOT IN
                (SELECT id FROM quiet_checks WHERE article_id = ?1 ORDER BY id DESC LIMIT ?2)",
            (u.article_id, QUIET_KEPT),
        )?;
    }
    Ok(out)
}

/// Gives up this process's claim on an article (see `claims`).
fn release_article(tx: &Conn, id: i64, owner: &str) -> Result<()> {
    tx.execute(
        "UPDATE articles SET claimed_by = NULL, claimed_until = NULL WHERE id = ?1 AND claimed_by = ?2",
        (id, owner),
    )?;
    Ok(())
}

fn add_topics(tx: &Conn, id: i64, topics: &[String]) -> Result<()> {
    for t in topics {
        tx.execute(
            "INSERT INTO article_topics (article_id, topic) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            (id, t),
        )?;
    }
    Ok(())
}

fn insert_version(
    tx: &Conn,
    article_id: i64,
    number: i64,
    at: DateTime<Utc>,
    v: &NewVersion,
) -> Result<()> {
    tx.execute(
        "INSERT INTO versions (article_id, number, fetched_at, headline, body, extractor, words_added, words_removed, note, labels, diff,
                               source, declared_published, declared_modified, declared_updated, declared_note, declared_author,
                               paragraph_places)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            article_id,
            number,
            ts(at),
            v.copy.headline,
            v.copy.paragraphs.join("\n\n"),
            v.extractor,
            v.words_added,
            v.words_removed,
            v.note,
            v.labels,
            v.diff.as_ref().and_then(|d| serde_json::to_string(d).ok()),
            v.provenance.source.as_str(),
            v.provenance.published,
            v.provenance.modified,
            v.provenance.updated_line,
            v.provenance.note,
            v.provenance.author,
            // Not known is NULL: every paragraph then counts as the story's.
            (!v.provenance.places.is_empty()).then(|| Place::encode(&v.provenance.places)),
        ],
    )?;
    tx.execute(
        "UPDATE articles SET version_count = version_count + 1 WHERE id = ?1",
        [article_id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_article(key: &str, url: &str, topics: &[&str]) -> NewArticle {
        NewArticle {
            key: key.into(),
            url: url.into(),
            title: "T".into(),
            feed_id: None,
            topics: topics.iter().map(|s| s.to_string()).collect(),
            now: Utc::now(),
        }
    }

    fn version(text: &str) -> NewVersion {
        NewVersion::of_text(text)
    }

    #[test]
    fn same_key_or_url_is_one_article() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let (a, new_a) = s
                .upsert_article(&new_article("guid-1", "https://x.example/a", &["t1"]))
                .expect("upsert");
            let (b, new_b) = s
                .upsert_article(&new_article("guid-2", "https://x.example/a", &["t2"]))
                .expect("upsert");
            assert!(new_a && !new_b);
            assert_eq!(a, b);
            let row = s.article(a).expect("q").expect("row");
            assert_eq!(row.topics, vec!["t1", "t2"]);
        }
    }

    #[test]
    fn provenance_is_kept_with_each_version() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let a = new_article("k", "https://x.example/a", &[]);
            let declared = Provenance {
                source: Source::JsonLd,
                published: Some("2026-11-29T08:00:00Z".into()),
                modified: Some("2026-11-29T09:00:00Z".into()),
                updated_line: Some("10:41".into()),
                note: Some("Correction: we misspelt a name.".into()),
                author: Some("A. Writer".into()),
                places: vec![Place::Edge, Place::Body],
            };
            let v = NewVersion {
                provenance: declared.clone(),
                ..version("one")
            };
            let (id, _) = s.track(&a, Some(&v)).expect("track");
            s.track(&a, Some(&version("two"))).expect("track");
            let versions = s.versions(id).expect("versions");
            assert_eq!(versions[0].provenance, declared);
            assert_eq!(versions[1].provenance, Provenance::default());
            let json = serde_json::to_value(&versions[0]).expect("json");
            assert_eq!(json["source"], "json-ld");
            assert_eq!(json["updated_line"], "10:41");
        }
    }

    #[test]
    fn record_check_writes_version_alert_and_outbox_together() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let (id, _) = s
                .upsert_article(&new_article("k", "https://x.example/a", &[]))
                .expect("upsert");
            let now = Utc::now();
            let mut u = CheckUpdate {
                version: Some(version("one")),
                next_check: Some(now),
                ..CheckUpdate::new(id, now)
            };
            let first = s.record_check(&u).expect("record");
            assert_eq!(first.version, Some(1));
            u.based_on = Some(1);
            u.version = Some(version("two"));
            u.alert = Some((
                AlertKind::Reworded,
                vec![
                    Target::email("a@x.example"),
                    Target::email("b@x.example"),
                    Target::webhook("desk"),
                ],
            ));
            let second = s.record_check(&u).expect("record");
            assert_eq!(second.version, Some(2));
            let alerts = s.alerts(&Default::default()).expect("alerts");
            assert_eq!(alerts.len(), 1);
            let targets: Vec<(&str, &str)> = alerts[0]
                .deliveries
                .iter()
                .map(|d| (d.channel.as_str(), d.recipient.as_str()))
                .collect();
            assert_eq!(
                targets,
                [
                    ("email", "a@x.example"),
                    ("email", "b@x.example"),
                    ("webhook", "desk")
                ]
            );
            // Each sender sees only its own rows.
            assert_eq!(s.due_outbox(now).expect("due").len(), 2);
            assert_eq!(s.due_webhooks(now).expect("due").len(), 1);
            assert_eq!((alerts[0].from_version, alerts[0].to_version), (1, 2));
            assert_eq!(s.versions(id).expect("versions").len(), 2);
            assert_eq!(
                s.latest_version(id).expect("q").expect("v").copy.paragraphs,
                vec!["two"]
            );
            let row = s.article(id).expect("q").expect("row");
            assert_eq!(row.versions, 2);
            assert!(row.last_change.is_some());
        }
    }

    #[test]
    fn checks_recorded_together_are_each_a_compare_and_set() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            // Whole milliseconds, as the store keeps times.
            let now = crate::store::parse_ts("2026-11-30T08:00:00.000Z");
            let mut ids = Vec::new();
            for n in 0..3 {
                let a = new_article(&format!("k{n}"), &format!("https://x.example/{n}"), &[]);
                ids.push(s.track(&a, Some(&version("one"))).expect("track").0);
            }
            // Another process records a version of the second article meanwhile.
            let mut other = CheckUpdate {
                based_on: Some(1),
                version: Some(version("two")),
                ..CheckUpdate::new(ids[1], now)
            };
            other.next_check = Some(now + chrono::Duration::hours(9));
            s.record_check(&other).expect("record");
            let later = now + chrono::Duration::hours(1);
            let unchanged: Vec<CheckUpdate> = ids
                .iter()
                .map(|&id| CheckUpdate {
                    based_on: Some(1),
                    next_check: Some(later),
                    revisit_step: 3,
                    ..CheckUpdate::new(id, now)
                })
                .collect();
            let recorded = s.record_checks(&unchanged).expect("record");
            assert_eq!(
                recorded.iter().map(|r| r.stale).collect::<Vec<_>>(),
                [false, true, false]
            );
            for (n, &id) in ids.iter().enumerate() {
                let row = s.article(id).expect("q").expect("row");
                if n == 1 {
                    // Left as the other process wrote it.
                    assert_eq!(row.versions, 2);
                    assert_eq!(row.next_check, Some(now + chrono::Duration::hours(9)));
                } else {
                    assert_eq!(row.versions, 1);
                    assert_eq!(row.next_check, Some(later));
                    assert_eq!(row.revisit_step, 3);
                }
            }
        }
    }
}
