//! Each site's learned template: the shapes of the blocks its articles' extractions kept
//! (see `extract::template`), per host and article, so that a block recurring across
//! several articles of one host can be recognised as that site's furniture.
//!
//! One row per article, its shapes in one value: their keys ([`crate::extract::shape_key`],
//! 16 hex digits), one per line. Reading a host's template reads its articles' rows (at
//! most [`ARTICLES_PER_HOST`] + [`PRUNE_SLACK`]) and counts the keys in memory; learning
//! an article writes its one row. A row per shape, by its text, made each page's learning
//! write dozens of index entries at random places and each read group and count them in
//! SQL; keys rather than texts keep the rows small (a story's paragraphs are shapes too).
//!
//! The rows carried over from the row-per-shape table (migration 16) hold the shapes'
//! texts instead, each line marked by a leading [`CARRIED`]; they are keyed when read, and
//! replaced when their article is learned again or forgotten.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::sql::Conn;
use super::{Result, Store, ts};
use crate::extract::shape_key;

/// Articles per host whose shapes are kept; older ones are forgotten.
const ARTICLES_PER_HOST: i64 = 50;
/// How far past [`ARTICLES_PER_HOST`] a host may grow before it is cut back. Cutting back
/// sorts all of the host's rows, so doing it once every few articles instead of on every
/// one makes learning cheaper.
const PRUNE_SLACK: i64 = 10;

/// What separates an article's keys in its row.
const SEPARATOR: char = '\n';

/// What marks a line carried over as a shape's text (a control character, which no
/// shape holds: shapes are normalised text).
const CARRIED: char = '\u{1}';

/// The keys of one row's shapes, each once, sorted.
fn row_keys(row: &str) -> Vec<u64> {
    let mut keys: Vec<u64> = row
        .split(SEPARATOR)
        .filter(|l| !l.is_empty())
        .filter_map(|line| match line.strip_prefix(CARRIED) {
            Some(text) => Some(shape_key(text)),
            None => u64::from_str_radix(line, 16).ok(),
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

impl Store {
    /// The keys of the block shapes seen on at least `min_articles` articles of `host`
    /// other than `url`, sorted.
    pub fn template_keys(&self, host: &str, url: &str, min_articles: i64) -> Result<Vec<u64>> {
        // Each row's keys (once per row), all rows in one list: sorted, a key's run is
        // the number of articles it was seen on. One buffer reads every row's text.
        let mut all: Vec<u64> = Vec::new();
        let mut text = String::new();
        let rows = self
            .conn
            .query_map(
                "SELECT shapes FROM templates WHERE host = ?1 AND url <> ?2",
                (host, url),
                |r| {
                    text.clear();
                    r.push_text(0, &mut text)?;
                    all.extend(row_keys(&text));
                    Ok(())
                },
            )?
            .len();
        let min = usize::try_from(min_articles.max(1)).unwrap_or(usize::MAX);
        if rows < min {
            return Ok(Vec::new());
        }
        all.sort_unstable();
        let keys = all
            .chunk_by(|a, b| a == b)
            .filter(|run| run.len() >= min)
            .map(|run| run[0])
            .collect();
        Ok(keys)
    }

    /// Replaces the shapes recorded for article `url` of `host` with `shapes` (kept by
    /// their keys, each once). When a new article takes the host past
    /// [`ARTICLES_PER_HOST`] + [`PRUNE_SLACK`] articles, forgets all but the most recent
    /// [`ARTICLES_PER_HOST`].
    pub fn learn_template(
        &mut self,
        host: &str,
        url: &str,
        shapes: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.write()?;
        learn(&tx, host, url, shapes, now)?;
        tx.commit()?;
        Ok(())
    }
}

/// What an article's extraction teaches its site's template, to be written with the
/// check it belongs to (see [`Store::record_page_check`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Learned {
    pub host: String,
    /// The article's address as checked.
    pub url: String,
    /// The shapes of the blocks its extraction kept.
    pub shapes: Vec<String>,
    pub at: DateTime<Utc>,
}

impl Learned {
    /// Writes it in the caller's write transaction `tx`.
    pub(super) fn write(&self, tx: &Conn) -> Result<()> {
        learn(tx, &self.host, &self.url, &self.shapes, self.at)
    }
}

/// [`Store::learn_template`] inside the caller's write transaction `tx`.
fn learn(tx: &Conn, host: &str, url: &str, shapes: &[String], now: DateTime<Utc>) -> Result<()> {
    let mut keys: Vec<u64> = shapes.iter().map(|s| shape_key(s)).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut joined = String::with_capacity(keys.len() * 17);
    for key in keys {
        if !joined.is_empty() {
            joined.push(SEPARATOR);
        }
        // Writing to a `String` cannot fail.
        let _ = write!(joined, "{key:016x}");
    }
    if joined.is_empty() {
        // Nothing kept: the article holds no shape.
        tx.execute(
            "DELETE FROM templates WHERE host = ?1 AND url = ?2",
            (host, url),
        )?;
        return Ok(());
    }
    let at = ts(now);
    let updated = tx.execute(
        "UPDATE templates SET shapes = ?3, seen_at = ?4 WHERE host = ?1 AND url = ?2",
        (host, url, &joined, &at),
    )?;
    // Only an article the host did not hold yet adds to its count.
    let inserted = updated == 0
        && tx.execute(
            "INSERT INTO templates (host, url, shapes, seen_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (host, url) DO NOTHING",
            (host, url, &joined, &at),
        )? > 0;
    if updated == 0 && !inserted {
        // Another process learned the same article meanwhile: this one is newer.
        tx.execute(
            "UPDATE templates SET shapes = ?3, seen_at = ?4 WHERE host = ?1 AND url = ?2",
            (host, url, &joined, &at),
        )?;
    }
    if inserted {
        let articles: i64 = tx.query_row(
            "SELECT COUNT(*) FROM templates WHERE host = ?1",
            [host],
            |r| r.get(0),
        )?;
        if articles > ARTICLES_PER_HOST + PRUNE_SLACK {
            tx.execute(
                "DELETE FROM templates WHERE host = ?1 AND url NOT IN (
                     SELECT url FROM templates WHERE host = ?1
                     ORDER BY seen_at DESC, url LIMIT ?2)",
                (host, ARTICLES_PER_HOST),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is the failure report

    use super::*;

    #[test]
    fn shapes_count_once_per_article_and_exclude_the_asking_one() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let now = Utc::now();
            let shapes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            s.learn_template("ex.org", "https://ex.org/a", &shapes(&["bio", "a1"]), now)
                .unwrap();
            // The same article again: still one article.
            s.learn_template("ex.org", "https://ex.org/a", &shapes(&["bio", "a1"]), now)
                .unwrap();
            assert!(
                s.template_keys("ex.org", "https://ex.org/c", 2)
                    .unwrap()
                    .is_empty()
            );
            s.learn_template("ex.org", "https://ex.org/b", &shapes(&["bio", "b1"]), now)
                .unwrap();
            assert_eq!(
                s.template_keys("ex.org", "https://ex.org/c", 2).unwrap(),
                [shape_key("bio")]
            );
            // Article a's own shapes need two *other* articles.
            assert!(
                s.template_keys("ex.org", "https://ex.org/a", 2)
                    .unwrap()
                    .is_empty()
            );
            assert!(
                s.template_keys("other.org", "https://ex.org/c", 1)
                    .unwrap()
                    .is_empty()
            );
        }
    }

    #[test]
    fn an_article_learned_again_holds_exactly_its_new_shapes() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now();
            let shapes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            // The key of each shape of article a with the time its row was written.
            let of_a = |s: &Store| -> Vec<(u64, String)> {
                let rows: Vec<(String, String)> = s
                    .conn
                    .query_map(
                        "SELECT shapes, seen_at FROM templates WHERE url = 'https://ex.org/a'",
                        (),
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap();
                let mut keys: Vec<(u64, String)> = rows
                    .iter()
                    .flat_map(|(row, at)| row_keys(row).into_iter().map(|k| (k, at.clone())))
                    .collect();
                keys.sort();
                keys
            };
            s.learn_template(
                "ex.org",
                "https://ex.org/a",
                &shapes(&["bio", "p1", "p2"]),
                t0,
            )
            .unwrap();
            // The page was edited: one paragraph changed, one went, one came.
            let t1 = t0 + chrono::Duration::seconds(60);
            s.learn_template(
                "ex.org",
                "https://ex.org/a",
                &shapes(&["bio", "p1 edited", "p3", "p3"]),
                t1,
            )
            .unwrap();
            let at = ts(t1);
            let mut expected: Vec<(u64, String)> = ["bio", "p1 edited", "p3"]
                .iter()
                .map(|s| (shape_key(s), at.clone()))
                .collect();
            expected.sort();
            assert_eq!(of_a(&s), expected);
            // Nothing kept: the article holds no shape, and none counts for another.
            s.learn_template("ex.org", "https://ex.org/a", &[], t1)
                .unwrap();
            assert!(of_a(&s).is_empty());
            assert!(
                s.template_keys("ex.org", "https://ex.org/b", 1)
                    .unwrap()
                    .is_empty()
            );
        }
    }

    #[test]
    fn a_host_keeps_its_most_recent_articles_cut_back_past_the_slack() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now();
            let count = |s: &Store| -> i64 {
                s.conn
                    .query_row(
                        "SELECT COUNT(*) FROM templates WHERE host = 'ex.org'",
                        (),
                        |r| r.get(0),
                    )
                    .unwrap()
            };
            let cap = ARTICLES_PER_HOST + PRUNE_SLACK;
            for i in 0..cap {
                let at = t0 + chrono::Duration::seconds(i);
                s.learn_template(
                    "ex.org",
                    &format!("https://ex.org/{i}"),
                    &["bio".into()],
                    at,
                )
                .unwrap();
            }
            assert_eq!(count(&s), cap, "within the slack nothing is forgotten");
            // Relearning a known article adds none.
            s.learn_template("ex.org", "https://ex.org/3", &["bio".into()], t0)
                .unwrap();
            assert_eq!(count(&s), cap);
            let at = t0 + chrono::Duration::seconds(cap);
            s.learn_template(
                "ex.org",
                &format!("https://ex.org/{cap}"),
                &["bio".into()],
                at,
            )
            .unwrap();
            assert_eq!(count(&s), ARTICLES_PER_HOST);
            let oldest_kept: i64 = s
            .conn
            .query_row(
                "SELECT MIN(CAST(substr(url, 16) AS INTEGER)) FROM templates WHERE host = 'ex.org'",
                (),
                |r| r.get(0),
            )
            .unwrap();
            assert_eq!(
                oldest_kept,
                cap + 1 - ARTICLES_PER_HOST,
                "the most recent are kept"
            );
        }
    }

    #[test]
    fn migration_16_carries_each_articles_shapes_into_its_one_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redline.db");
        {
            // A database at version 15, with the template as one row per shape.
            let conn = rusqlite::Connection::open(&path).unwrap();
            for m in &crate::store::MIGRATIONS[..15] {
                conn.execute_batch(m).unwrap();
            }
            conn.pragma_update(None, "user_version", 15).unwrap();
            for (url, shape, at) in [
                ("https://ex.org/a", "bio", "2026-01-01T00:00:00.000Z"),
                ("https://ex.org/a", "a1", "2026-01-02T00:00:00.000Z"),
                ("https://ex.org/b", "bio", "2026-01-03T00:00:00.000Z"),
                ("https://ex.org/c", "bio", "2026-01-04T00:00:00.000Z"),
            ] {
                conn.execute(
                    "INSERT INTO templates (host, url, shape, seen_at) VALUES ('ex.org', ?1, ?2, ?3)",
                    (url, shape, at),
                )
                .unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(
            s.schema_version().unwrap(),
            crate::store::MIGRATIONS.len() as i64
        );
        let rows: Vec<(String, String, String)> = s
            .conn
            .query_map(
                "SELECT url, shapes, seen_at FROM templates ORDER BY url",
                (),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(rows.len(), 3, "one row per article: {rows:?}");
        let mut a = row_keys(&rows[0].1);
        a.sort_unstable();
        let mut expected = vec![shape_key("a1"), shape_key("bio")];
        expected.sort_unstable();
        assert_eq!(a, expected);
        assert_eq!(
            rows[0].2, "2026-01-02T00:00:00.000Z",
            "the latest time of its shapes"
        );
        assert_eq!(
            s.template_keys("ex.org", "https://ex.org/a", 2).unwrap(),
            [shape_key("bio")]
        );
        assert_eq!(
            s.template_keys("ex.org", "https://ex.org/d", 2).unwrap(),
            [shape_key("bio")],
            "a1 is on one article only"
        );
        // An article learned again is written by its keys, and still counts once.
        let mut s = s;
        s.learn_template("ex.org", "https://ex.org/b", &["bio".into()], Utc::now())
            .unwrap();
        assert_eq!(
            s.template_keys("ex.org", "https://ex.org/d", 3).unwrap(),
            [shape_key("bio")]
        );
    }
}
