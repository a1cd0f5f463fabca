//! Each site's learned template: the shapes of the blocks its articles' extractions kept
//! (see `extract::template`), per host and article, so that a block recurring across
//! several articles of one host can be recognised as that site's furniture.
//!
//! One row per article: its shapes in one value, one per line (a shape is normalised
//! text, which holds no line break). Reading a host's template reads its articles' rows
//! (at most [`ARTICLES_PER_HOST`] + [`PRUNE_SLACK`]) and counts the shapes in memory;
//! learning an article writes its one row. A row per shape made each page's learning
//! write dozens of index entries at random places, and each read group and count them
//! in SQL.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Result, Store, ts};

/// Articles per host whose shapes are kept; older ones are forgotten.
const ARTICLES_PER_HOST: i64 = 50;
/// How far past [`ARTICLES_PER_HOST`] a host may grow before it is cut back. Cutting back
/// sorts all of the host's rows, so doing it once every few articles instead of on every
/// one makes learning cheaper.
const PRUNE_SLACK: i64 = 10;

/// What separates an article's shapes in its row.
const SEPARATOR: char = '\n';

impl Store {
    /// The block shapes seen on at least `min_articles` articles of `host` other than
    /// `url`, sorted.
    pub fn template_shapes(&self, host: &str, url: &str, min_articles: i64) -> Result<Vec<String>> {
        let rows: Vec<String> = self.conn.query_map(
            "SELECT shapes FROM templates WHERE host = ?1 AND url <> ?2",
            (host, url),
            |r| r.get(0),
        )?;
        let min = usize::try_from(min_articles.max(1)).unwrap_or(usize::MAX);
        if rows.len() < min {
            return Ok(Vec::new());
        }
        // Each row holds an article's shapes once each (see `learn_template`), so each
        // count is a number of articles.
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for row in &rows {
            for shape in row.split(SEPARATOR).filter(|s| !s.is_empty()) {
                *counts.entry(shape).or_default() += 1;
            }
        }
        let mut shapes: Vec<String> = counts
            .into_iter()
            .filter(|&(_, n)| n >= min)
            .map(|(s, _)| s.to_string())
            .collect();
        shapes.sort_unstable();
        Ok(shapes)
    }

    /// Replaces the shapes recorded for article `url` of `host` with `shapes` (each once;
    /// none holding a line break). When a new article takes the host past
    /// [`ARTICLES_PER_HOST`] + [`PRUNE_SLACK`] articles, forgets all but the most recent
    /// [`ARTICLES_PER_HOST`].
    pub fn learn_template(
        &mut self,
        host: &str,
        url: &str,
        shapes: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut seen = HashSet::with_capacity(shapes.len());
        let mut joined = String::with_capacity(shapes.iter().map(|s| s.len() + 1).sum());
        for shape in shapes {
            if shape.is_empty() || shape.contains(SEPARATOR) || !seen.insert(shape.as_str()) {
                continue;
            }
            if !joined.is_empty() {
                joined.push(SEPARATOR);
            }
            joined.push_str(shape);
        }
        let tx = self.conn.write()?;
        if joined.is_empty() {
            // Nothing kept: the article holds no shape.
            tx.execute(
                "DELETE FROM templates WHERE host = ?1 AND url = ?2",
                (host, url),
            )?;
            tx.commit()?;
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
        tx.commit()?;
        Ok(())
    }
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
                s.template_shapes("ex.org", "https://ex.org/c", 2)
                    .unwrap()
                    .is_empty()
            );
            s.learn_template("ex.org", "https://ex.org/b", &shapes(&["bio", "b1"]), now)
                .unwrap();
            assert_eq!(
                s.template_shapes("ex.org", "https://ex.org/c", 2).unwrap(),
                ["bio"]
            );
            // Article a's own shapes need two *other* articles.
            assert!(
                s.template_shapes("ex.org", "https://ex.org/a", 2)
                    .unwrap()
                    .is_empty()
            );
            assert!(
                s.template_shapes("other.org", "https://ex.org/c", 1)
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
            // Each shape of article a with the time its row was written.
            let of_a = |s: &Store| -> Vec<(String, String)> {
                let rows: Vec<(String, String)> = s
                    .conn
                    .query_map(
                        "SELECT shapes, seen_at FROM templates WHERE url = 'https://ex.org/a'",
                        (),
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap();
                let mut shapes: Vec<(String, String)> = rows
                    .iter()
                    .flat_map(|(shapes, at)| shapes.split('\n').map(|s| (s.to_string(), at.clone())))
                    .collect();
                shapes.sort();
                shapes
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
            assert_eq!(
                of_a(&s),
                [
                    ("bio".to_string(), at.clone()),
                    ("p1 edited".to_string(), at.clone()),
                    ("p3".to_string(), at)
                ]
            );
            // Nothing kept: the article holds no shape, and none counts for another.
            s.learn_template("ex.org", "https://ex.org/a", &[], t1)
                .unwrap();
            assert!(of_a(&s).is_empty());
            assert!(
                s.template_shapes("ex.org", "https://ex.org/b", 1)
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
        let mut a: Vec<&str> = rows[0].1.split('\n').collect();
        a.sort_unstable();
        assert_eq!(a, ["a1", "bio"]);
        assert_eq!(rows[0].2, "2026-01-02T00:00:00.000Z", "the latest time of its shapes");
        assert_eq!(
            s.template_shapes("ex.org", "https://ex.org/a", 2).unwrap(),
            ["bio"]
        );
        assert!(
            s.template_shapes("ex.org", "https://ex.org/b", 2)
                .unwrap()
                .contains(&"bio".to_string())
        );
        assert!(
            s.template_shapes("ex.org", "https://ex.org/d", 2)
                .unwrap()
                .iter()
                .all(|s| s == "bio"),
            "a1 is on one article only"
        );
    }
}
