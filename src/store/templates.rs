//! Each site's learned template: the shapes of the blocks its articles' extractions kept
//! (see `extract::template`), per host and article, so that a block recurring across
//! several articles of one host can be recognised as that site's furniture.
//!
//! Every page checked reads its host's template and writes its own shapes, so both are
//! kept cheap: beside the rows (`templates`: host, article, shape), the store keeps
//! counts up to date as it writes (`template_shapes`: on how many of the host's articles
//! each shape is; `template_articles`: the host's articles, with when each was last
//! learned). Reading a template reads the few shapes counted often enough, not every row
//! of the host; learning writes only the shapes that changed.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::sql::Conn;
use super::{Result, Store, ts};

/// Articles per host whose shapes are kept; older ones are forgotten.
const ARTICLES_PER_HOST: i64 = 50;
/// How far past [`ARTICLES_PER_HOST`] a host may grow before it is cut back, so that
/// cutting back happens once every few articles, not on every one.
const PRUNE_SLACK: i64 = 10;

impl Store {
    /// The block shapes seen on at least `min_articles` articles of `host` other than
    /// `url`.
    pub fn template_shapes(&self, host: &str, url: &str, min_articles: i64) -> Result<Vec<String>> {
        // A shape on exactly `min_articles` articles counts only when `url` is not one
        // of them.
        self.conn.query_map(
            "SELECT c.shape FROM template_shapes c
             WHERE c.host = ?1 AND c.articles >= ?3
               AND (c.articles > ?3 OR NOT EXISTS (
                   SELECT 1 FROM templates t
                   WHERE t.host = ?1 AND t.url = ?2 AND t.shape = c.shape))",
            (host, url, min_articles),
            |r| r.get(0),
        )
    }

    /// Replaces the shapes recorded for article `url` of `host` with `shapes`. Once the
    /// host holds more than [`ARTICLES_PER_HOST`] + [`PRUNE_SLACK`] articles, forgets all
    /// but the most recent [`ARTICLES_PER_HOST`].
    ///
    /// Only what changed is written: an article learned again (a page re-extracted after
    /// an edit) keeps the rows of its shapes that stayed, and only a new article can make
    /// the host pass its limit, so only then are its articles counted.
    pub fn learn_template(
        &mut self,
        host: &str,
        url: &str,
        shapes: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let old: HashSet<String> = tx
            .query_map(
                "SELECT shape FROM templates WHERE host = ?1 AND url = ?2",
                (host, url),
                |r| r.get(0),
            )?
            .into_iter()
            .collect();
        let new: HashSet<&str> = shapes.iter().map(String::as_str).collect();
        let gone: Vec<&String> = old.iter().filter(|s| !new.contains(s.as_str())).collect();
        for shape in &gone {
            forget_shape(&tx, host, url, shape)?;
        }
        let at = ts(now);
        if old.iter().any(|s| new.contains(s.as_str())) {
            // The shapes that stay count as seen now, as if written afresh.
            tx.execute(
                "UPDATE templates SET seen_at = ?3 WHERE host = ?1 AND url = ?2",
                (host, url, &at),
            )?;
        }
        for shape in shapes.iter().filter(|s| !old.contains(s.as_str())) {
            let added = tx.execute(
                "INSERT INTO templates (host, url, shape, seen_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                (host, url, shape, &at),
            )?;
            if added > 0 {
                tx.execute(
                    "INSERT INTO template_shapes (host, shape, articles) VALUES (?1, ?2, 1)
                     ON CONFLICT (host, shape) DO UPDATE SET articles = template_shapes.articles + 1",
                    (host, shape),
                )?;
            }
        }
        if new.is_empty() {
            tx.execute(
                "DELETE FROM template_articles WHERE host = ?1 AND url = ?2",
                (host, url),
            )?;
        } else {
            tx.execute(
                "INSERT INTO template_articles (host, url, seen_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (host, url) DO UPDATE SET seen_at = excluded.seen_at",
                (host, url, &at),
            )?;
        }
        // Only an article the host did not hold yet adds to its count.
        if old.is_empty() && !new.is_empty() {
            let articles: i64 = tx.query_row(
                "SELECT COUNT(*) FROM template_articles WHERE host = ?1",
                [host],
                |r| r.get(0),
            )?;
            if articles > ARTICLES_PER_HOST + PRUNE_SLACK {
                prune(&tx, host)?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Removes one shape of article `url` and takes it off the host's count.
fn forget_shape(tx: &Conn, host: &str, url: &str, shape: &str) -> Result<()> {
    let removed = tx.execute(
        "DELETE FROM templates WHERE host = ?1 AND url = ?2 AND shape = ?3",
        (host, url, shape),
    )?;
    if removed > 0 {
        tx.execute(
            "UPDATE template_shapes SET articles = articles - 1 WHERE host = ?1 AND shape = ?2",
            (host, shape),
        )?;
        tx.execute(
            "DELETE FROM template_shapes WHERE host = ?1 AND shape = ?2 AND articles <= 0",
            (host, shape),
        )?;
    }
    Ok(())
}

/// Forgets all but the host's [`ARTICLES_PER_HOST`] most recently learned articles.
fn prune(tx: &Conn, host: &str) -> Result<()> {
    let urls: Vec<String> = tx.query_map(
        "SELECT url FROM template_articles WHERE host = ?1 ORDER BY seen_at DESC, url",
        [host],
        |r| r.get(0),
    )?;
    let keep = usize::try_from(ARTICLES_PER_HOST).unwrap_or(usize::MAX);
    for url in urls.iter().skip(keep) {
        tx.execute(
            "UPDATE template_shapes SET articles = articles - 1 WHERE host = ?1 AND shape IN (
                 SELECT shape FROM templates WHERE host = ?1 AND url = ?2)",
            (host, url),
        )?;
        tx.execute(
            "DELETE FROM templates WHERE host = ?1 AND url = ?2",
            (host, url),
        )?;
        tx.execute(
            "DELETE FROM template_articles WHERE host = ?1 AND url = ?2",
            (host, url),
        )?;
    }
    tx.execute(
        "DELETE FROM template_shapes WHERE host = ?1 AND articles <= 0",
        [host],
    )?;
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
            let of_a = |s: &Store| -> Vec<(String, String)> {
                s.conn
                    .query_map(
                        "SELECT shape, seen_at FROM templates WHERE url = 'https://ex.org/a' ORDER BY shape",
                        (),
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap()
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

    /// The kept counts, and the same counted from the rows.
    fn counts(s: &Store) -> (Vec<(String, String, i64)>, Vec<(String, String, i64)>) {
        let kept = s
            .conn
            .query_map(
                "SELECT host, shape, articles FROM template_shapes ORDER BY host, shape",
                (),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let rows = s
            .conn
            .query_map(
                "SELECT host, shape, COUNT(*) FROM templates GROUP BY host, shape ORDER BY host, shape",
                (),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        (kept, rows)
    }

    #[test]
    fn the_kept_counts_match_the_rows_through_relearning_and_cutting_back() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now();
            let cap = ARTICLES_PER_HOST + PRUNE_SLACK;
            for i in 0..=cap + 5 {
                let at = t0 + chrono::Duration::seconds(i);
                let url = format!("https://ex.org/{i}");
                let mine = format!("own {i}");
                let shapes = vec!["bio".to_string(), format!("tag {}", i % 3), mine];
                s.learn_template("ex.org", &url, &shapes, at).unwrap();
                if i % 7 == 0 {
                    // Learned again with one shape changed, and one article emptied.
                    s.learn_template("ex.org", &url, &shapes[..2], at).unwrap();
                    s.learn_template("ex.org", "https://ex.org/0", &[], at)
                        .unwrap();
                }
                let (kept, rows) = counts(&s);
                assert_eq!(kept, rows, "after article {i}");
            }
            s.learn_template("other.org", "https://other.org/a", &["bio".into()], t0)
                .unwrap();
            let (kept, rows) = counts(&s);
            assert_eq!(kept, rows);
            let articles: i64 = s
                .conn
                .query_row(
                    "SELECT COUNT(*) FROM template_articles WHERE host = 'ex.org'",
                    (),
                    |r| r.get(0),
                )
                .unwrap();
            let distinct: i64 = s
                .conn
                .query_row(
                    "SELECT COUNT(DISTINCT url) FROM templates WHERE host = 'ex.org'",
                    (),
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(articles, distinct);
            assert!(articles <= cap);
            // The template read from the counts is the one the rows give.
            let mut template = s
                .template_shapes("ex.org", "https://ex.org/new", 2)
                .unwrap();
            template.sort();
            let expected: Vec<String> = rows
                .iter()
                .filter(|(h, _, n)| h == "ex.org" && *n >= 2)
                .map(|(_, shape, _)| shape.clone())
                .collect();
            assert_eq!(template, expected);
            assert!(template.contains(&"bio".to_string()));
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
                        "SELECT COUNT(DISTINCT url) FROM templates WHERE host = 'ex.org'",
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
}
