//! The rows of `redline articles`: only the columns the listing prints.
//!
//! [`Store::articles`] reads whole [`ArticleRow`](super::ArticleRow)s, every column and
//! four subqueries a row, and lets the database sort them; at 100,000 articles that took
//! seconds. The listing needs six columns, so it reads them in one pass over the
//! articles, counts the versions in one pass over the versions' index (a lookup per
//! article costs more than the whole scan), and sorts in memory.

use chrono::{DateTime, Utc};

use super::articles::ArticleFilter;
use super::kinds::ArticleState;
use super::{Result, Store, opt_ts};

/// One line of `redline articles`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleLine {
    pub id: i64,
    pub versions: i64,
    pub last_change: Option<DateTime<Utc>>,
    pub state: ArticleState,
    pub title: String,
    pub url: String,
}

impl Store {
    /// The articles `redline articles` lists, in its order: most recently changed (or,
    /// never changed, first seen) first, then the highest id.
    pub fn article_lines(&self, filter: &ArticleFilter) -> Result<Vec<ArticleLine>> {
        // Both in id order, so the counts join the articles in one walk.
        let counts: Vec<(i64, i64)> = self.conn.query_map(
            "SELECT article_id, COUNT(*) FROM versions GROUP BY article_id ORDER BY article_id",
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut counts = counts.into_iter().peekable();
        let mut rows: Vec<(SortKey, ArticleLine)> = self.conn.query_map(
            "SELECT a.id, a.last_change_at, a.first_seen_at, a.state, a.title, a.url
             FROM articles a
             WHERE (CAST(?1 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM article_topics t WHERE t.article_id = a.id AND t.topic = ?1))
             ORDER BY a.id",
            [&filter.topic],
            |r| {
                let id: i64 = r.get(0)?;
                while counts.next_if(|&(a, _)| a < id).is_some() {}
                let versions = counts.next_if(|&(a, _)| a == id).map_or(0, |(_, n)| n);
                let last_change: Option<String> = r.get(1)?;
                let key = match &last_change {
                    Some(t) => SortKey::new(t),
                    None => SortKey::new(&r.get::<_, String>(2)?),
                };
                let line = ArticleLine {
                    id,
                    versions,
                    last_change: opt_ts(last_change),
                    state: r.get(3)?,
                    title: r.get(4)?,
                    url: r.get(5)?,
                };
                Ok((key, line))
            },
        )?;
        rows.retain(|(_, a)| !filter.changed || a.versions > 1);
        rows.sort_unstable_by(|(ta, a), (tb, b)| tb.cmp(ta).then(b.id.cmp(&a.id)));
        Ok(rows.into_iter().map(|(_, a)| a).collect())
    }
}

/// A stored time as the database sorts it: as text. Stored times are RFC 3339 in UTC
/// with milliseconds, 24 bytes, so the bytes sort in time order; kept inline, as a
/// string a row would cost an allocation each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SortKey([u8; 24], usize);

impl SortKey {
    fn new(t: &str) -> SortKey {
        let mut key = [0u8; 24];
        let n = t.len().min(24);
        key[..n].copy_from_slice(&t.as_bytes()[..n]);
        // A longer one (never written by redline) still sorts by all its bytes' prefix.
        SortKey(key, t.len())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::store::{CheckUpdate, NewArticle, NewVersion};

    fn record(s: &mut Store, id: i64, based_on: Option<i64>, text: &str, at: DateTime<Utc>) {
        let mut u = CheckUpdate::new(id, at);
        u.based_on = based_on;
        u.version = Some(NewVersion::of_text(text));
        // A second version alerts, which is what marks the article changed.
        if based_on.is_some() {
            u.alert = Some((crate::store::AlertKind::Reworded, Vec::new()));
        }
        let done = s.record_check(&u).expect("record");
        assert!(!done.stale, "{done:?}");
    }

    #[test]
    fn lines_match_the_full_rows_in_order_and_filter() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now() - Duration::hours(1);
            let mut ids = Vec::new();
            for (i, topic) in ["a", "b", "a", "b"].iter().enumerate() {
                let url = format!("https://news.example/{i}");
                let (id, _) = s
                    .upsert_article(&NewArticle {
                        key: url.clone(),
                        url,
                        title: format!("Story {i}"),
                        feed_id: None,
                        topics: vec![topic.to_string()],
                        now: t0 + Duration::minutes(i as i64),
                    })
                    .expect("upsert");
                ids.push(id);
            }
            // The first article changes last, so it comes first; the others keep the
            // order they were first seen in, newest first.
            record(&mut s, ids[0], None, "One.", t0 + Duration::minutes(5));
            record(&mut s, ids[1], None, "Two.", t0 + Duration::minutes(6));
            record(
                &mut s,
                ids[0],
                Some(1),
                "One, reworded.",
                t0 + Duration::minutes(9),
            );
            for filter in [
                ArticleFilter::default(),
                ArticleFilter {
                    topic: Some("a".into()),
                    changed: false,
                },
                ArticleFilter {
                    topic: None,
                    changed: true,
                },
            ] {
                let full = s.articles(&filter).expect("rows");
                let lines = s.article_lines(&filter).expect("lines");
                let want: Vec<ArticleLine> = full
                    .iter()
                    .map(|a| ArticleLine {
                        id: a.id,
                        versions: a.versions,
                        last_change: a.last_change,
                        state: a.state,
                        title: a.title.clone(),
                        url: a.url.clone(),
                    })
                    .collect();
                assert_eq!(lines, want, "{filter:?}");
                assert!(!lines.is_empty(), "{filter:?}");
            }
            let all = s.article_lines(&ArticleFilter::default()).expect("lines");
            assert_eq!(
                all.iter().map(|a| (a.id, a.versions)).collect::<Vec<_>>(),
                vec![(ids[0], 2), (ids[3], 0), (ids[2], 0), (ids[1], 1)]
            );
        }
    }
}
