//! Each site's learned template: the shapes of the blocks its articles' extractions kept
//! (see `extract::template`), per host and article, so that a block recurring across
//! several articles of one host can be recognised as that site's furniture.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{Result, Store, ts};

/// Articles per host whose shapes are kept; older ones are forgotten.
const ARTICLES_PER_HOST: i64 = 50;
/// How far past [`ARTICLES_PER_HOST`] a host may grow before it is cut back. Cutting back
/// sorts all of the host's rows, so doing it once every few articles instead of on every
/// one makes learning several times cheaper.
const PRUNE_SLACK: i64 = 10;

impl Store {
    /// The block shapes seen on at least `min_articles` articles of `host` other than
    /// `url`.
    pub fn template_shapes(&self, host: &str, url: &str, min_articles: i64) -> Result<Vec<String>> {
        self.conn.query_map(
            "SELECT shape FROM templates WHERE host = ?1 AND url <> ?2
             GROUP BY shape HAVING COUNT(*) >= ?3",
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
        // Reads before it writes: the write lock is taken up front, so that another
        // writer is waited for rather than failing the upgrade from a read.
        let tx = self.conn.write()?;
        let old: HashSet<String> = tx
            .query_map(
                "SELECT shape FROM templates WHERE host = ?1 AND url = ?2",
                (host, url),
                |r| r.get(0),
            )?
            .into_iter()
            .collect();
        let new: HashSet<&str> = shapes.iter().map(String::as_str).collect();
        for gone in old.iter().filter(|s| !new.contains(s.as_str())) {
            tx.execute(
                "DELETE FROM templates WHERE host = ?1 AND url = ?2 AND shape = ?3",
                (host, url, gone),
            )?;
        }
        let at = ts(now);
        if old.iter().any(|s| new.contains(s.as_str())) {
            // The shapes that stay count as seen now, as if written afresh.
            tx.execute(
                "UPDATE templates SET seen_at = ?3 WHERE host = ?1 AND url = ?2",
                (host, url, &at),
            )?;
        }
        let mut added = false;
        for shape in shapes.iter().filter(|s| !old.contains(s.as_str())) {
            added |= tx.execute(
                "INSERT INTO templates (host, url, shape, seen_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                (host, url, shape, &at),
            )? > 0;
        }
        // Only an article the host did not hold yet adds to its count.
        if old.is_empty() && added {
            let articles: i64 = tx.query_row(
                "SELECT COUNT(*) FROM (SELECT DISTINCT url FROM templates WHERE host = ?1) hosts",
                [host],
                |r| r.get(0),
            )?;
            if articles > ARTICLES_PER_HOST + PRUNE_SLACK {
                tx.execute(
                    "DELETE FROM templates WHERE host = ?1 AND url NOT IN (
                         SELECT url FROM templates WHERE host = ?1
                         GROUP BY url ORDER BY MAX(seen_at) DESC, url LIMIT ?2)",
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
