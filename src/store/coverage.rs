//! Coverage: which articles a "like this article" topic matched, how closely, and the
//! stored copy each matched (kept with its text, so that the coverage alert compares the
//! article with the copy as it was when it matched, even if the file changes later).

use chrono::{DateTime, Utc};

use super::sql::Row;
use super::{Result, Store, opt_ts, parse_ts, ts};

/// An article matched by a `like` topic.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CoverageRow {
    pub article_id: i64,
    pub topic: String,
    /// The outlet: the feed's name, when the article came from one.
    pub feed: Option<String>,
    pub title: String,
    pub url: String,
    /// 0–1: how close it came to the copy.
    pub similarity: f64,
    /// The copy it matched, as named in the config.
    pub copy: String,
    #[serde(skip)]
    pub copy_text: String,
    pub matched: DateTime<Utc>,
    pub versions: i64,
    pub last_change: Option<DateTime<Utc>>,
}

/// A match to record, from the watcher.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCoverage {
    pub topic: String,
    pub similarity: f64,
    pub copy: String,
    pub copy_text: String,
}

const COVERAGE_SELECT: &str = "SELECT c.*, a.title, a.url, a.last_change_at, f.name AS feed_name,
        (SELECT COUNT(*) FROM versions v WHERE v.article_id = a.id) AS n_versions
    FROM coverage c JOIN articles a ON a.id = c.article_id LEFT JOIN feeds f ON f.id = a.feed_id";

impl CoverageRow {
    fn from_row(r: &Row<'_, '_>) -> Result<CoverageRow> {
        Ok(CoverageRow {
            article_id: r.get("article_id")?,
            topic: r.get("topic")?,
            feed: r.get("feed_name")?,
            title: r.get("title")?,
            url: r.get("url")?,
            similarity: r.get("similarity")?,
            copy: r.get("copy_name")?,
            copy_text: r.get("copy_text")?,
            matched: parse_ts(&r.get::<_, String>("matched_at")?),
            versions: r.get("n_versions")?,
            last_change: opt_ts(r.get("last_change_at")?),
        })
    }
}

impl Store {
    /// Records that an article matched `like` topics; the first match of an article and
    /// topic is kept.
    pub fn record_coverage(
        &mut self,
        article_id: i64,
        matches: &[NewCoverage],
        at: DateTime<Utc>,
    ) -> Result<()> {
        if matches.is_empty() {
            return Ok(());
        }
        let tx = self.write()?;
        for m in matches {
            tx.execute(
                "INSERT INTO coverage (article_id, topic, similarity, copy_name, copy_text, matched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                (article_id, &m.topic, m.similarity, &m.copy, &m.copy_text, ts(at)),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The articles a topic matched, closest first.
    pub fn coverage(&self, topic: &str) -> Result<Vec<CoverageRow>> {
        self.conn.query_map(
            &format!(
                "{COVERAGE_SELECT} WHERE c.topic = ?1 ORDER BY c.similarity DESC, c.article_id"
            ),
            [topic],
            CoverageRow::from_row,
        )
    }

    /// The `like` topics an article matched, closest first.
    pub fn coverage_of(&self, article_id: i64) -> Result<Vec<CoverageRow>> {
        self.conn.query_map(
            &format!(
                "{COVERAGE_SELECT} WHERE c.article_id = ?1 ORDER BY c.similarity DESC, c.topic"
            ),
            [article_id],
            CoverageRow::from_row,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewArticle;

    #[test]
    fn coverage_is_kept_per_article_and_topic() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let now = Utc::now();
            let (id, _) = s
                .upsert_article(&NewArticle {
                    key: "k".into(),
                    url: "https://x.example/a".into(),
                    title: "T".into(),
                    feed_id: None,
                    topics: vec!["story".into()],
                    now,
                })
                .expect("upsert");
            let m = NewCoverage {
                topic: "story".into(),
                similarity: 0.62,
                copy: "copies/a.txt".into(),
                copy_text: "Head\n\nBody\n".into(),
            };
            s.record_coverage(id, std::slice::from_ref(&m), now)
                .expect("record");
            let again = NewCoverage {
                similarity: 0.9,
                ..m.clone()
            };
            s.record_coverage(id, &[again], now).expect("record");
            let rows = s.coverage("story").expect("rows");
            assert_eq!(rows.len(), 1);
            assert!((rows[0].similarity - 0.62).abs() < 1e-9, "first match kept");
            assert_eq!(rows[0].copy, "copies/a.txt");
            assert_eq!(rows[0].copy_text, "Head\n\nBody\n");
            assert_eq!(s.coverage_of(id).expect("rows").len(), 1);
            assert!(s.coverage("other").expect("rows").is_empty());
        }
    }
}
