//! The rows of `redline articles`: only the columns the listing prints.
//!
//! [`Store::articles`] reads whole [`ArticleRow`](super::ArticleRow)s, every column and
//! four subqueries a row, and lets the database sort them; at 100,000 articles that took
//! seconds. The listing needs six columns, all kept on the article's own row (its count
//! of versions too, `version_count`), so it reads them in one pass over the articles,
//! keeps every title and address in one buffer (not a string each), and sorts a small
//! key per line.

use std::ops::Range;

use chrono::{DateTime, Utc};

use super::articles::ArticleFilter;
use super::kinds::ArticleState;
use super::{Result, Store, parse_ts};

/// One line of `redline articles`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArticleLine<'a> {
    pub id: i64,
    pub versions: i64,
    pub last_change: Option<DateTime<Utc>>,
    pub state: ArticleState,
    pub title: &'a str,
    pub url: &'a str,
}

/// The lines of `redline articles`, in its order.
#[derive(Debug, Default)]
pub struct ArticleLines {
    /// Every line's title then address.
    text: String,
    lines: Vec<Line>,
    /// Indexes into `lines`, in listing order.
    order: Vec<u32>,
}

#[derive(Debug)]
struct Line {
    id: i64,
    versions: i64,
    last_change: Option<DateTime<Utc>>,
    state: ArticleState,
    title: Range<usize>,
    url: Range<usize>,
}

impl ArticleLines {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The lines in listing order.
    pub fn iter(&self) -> impl Iterator<Item = ArticleLine<'_>> {
        self.order.iter().map(|&i| {
            let l = &self.lines[i as usize];
            ArticleLine {
                id: l.id,
                versions: l.versions,
                last_change: l.last_change,
                state: l.state,
                title: &self.text[l.title.clone()],
                url: &self.text[l.url.clone()],
            }
        })
    }
}

impl Store {
    /// The articles `redline articles` lists, in its order: most recently changed (or,
    /// never changed, first seen) first, then the highest id.
    pub fn article_lines(&self, filter: &ArticleFilter) -> Result<ArticleLines> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM articles", (), |r| r.get(0))?;
        let n = usize::try_from(n).unwrap_or(0);
        let mut out = ArticleLines {
            // A title and an address are about 150 bytes together.
            text: String::with_capacity(n * 160),
            lines: Vec::with_capacity(n),
            order: Vec::new(),
        };
        let mut keys: Vec<(SortKey, i64, u32)> = Vec::with_capacity(n);
        let mut time = String::new();
        // Each row goes straight into `out`; the rows the query itself collects are `()`.
        self.conn.query_map(
            "SELECT a.id, a.version_count, a.last_change_at, a.first_seen_at, a.state, a.title, a.url
             FROM articles a
             WHERE (CAST(?1 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM article_topics t WHERE t.article_id = a.id AND t.topic = ?1))",
            [&filter.topic],
            |r| {
                let versions: i64 = r.get(1)?;
                if filter.changed && versions <= 1 {
                    return Ok(());
                }
                let id: i64 = r.get(0)?;
                time.clear();
                let changed = r.push_text(2, &mut time)?;
                if !changed {
                    r.push_text(3, &mut time)?;
                }
                keys.push((SortKey::new(&time), id, out.lines.len() as u32));
                let start = out.text.len();
                r.push_text(5, &mut out.text)?;
                let mid = out.text.len();
                r.push_text(6, &mut out.text)?;
                out.lines.push(Line {
                    id,
                    versions,
                    last_change: changed.then(|| parse_ts(&time)),
                    state: r.get(4)?,
                    title: start..mid,
                    url: mid..out.text.len(),
                });
                Ok(())
            },
        )?;
        keys.sort_unstable_by(|(ta, a, _), (tb, b, _)| tb.cmp(ta).then(b.cmp(a)));
        out.order = keys.into_iter().map(|(_, _, i)| i).collect();
        Ok(out)
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
                let (id, _) = s
                    .upsert_article(&NewArticle::numbered(
                        i as i64,
                        topic,
                        t0 + Duration::minutes(i as i64),
                    ))
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
                let lines: Vec<ArticleLine> = lines.iter().collect();
                let want: Vec<ArticleLine> = full
                    .iter()
                    .map(|a| ArticleLine {
                        id: a.id,
                        versions: a.versions,
                        last_change: a.last_change,
                        state: a.state,
                        title: &a.title,
                        url: &a.url,
                    })
                    .collect();
                assert_eq!(lines, want, "{filter:?}");
                assert!(!lines.is_empty(), "{filter:?}");
            }
            let all = s.article_lines(&ArticleFilter::default()).expect("lines");
            assert_eq!(all.len(), 4);
            assert_eq!(
                all.iter().map(|a| (a.id, a.versions)).collect::<Vec<_>>(),
                vec![(ids[0], 2), (ids[3], 0), (ids[2], 0), (ids[1], 1)]
            );
        }
    }
}
