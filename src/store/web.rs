//! What the web view and the Atom feed read: recent changes, newest first, each with the
//! figures a list shows (outlet, headline, labels, words added and removed) in one query.
//! Everything else they show comes from the reads the CLI uses (articles, versions,
//! archive submissions).

use chrono::{DateTime, Utc};

use super::kinds::AlertKind;
use super::sql::Row;
use super::{Result, Store, parse_ts};
use crate::diff::Labels;

/// One detected change, as the list of changes and the Atom feed show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    pub alert_id: i64,
    pub article_id: i64,
    pub kind: AlertKind,
    pub from_version: i64,
    pub to_version: i64,
    /// When the change was detected (the alert's creation).
    pub detected: DateTime<Utc>,
    /// The feed's name, or `None` for an article tracked directly.
    pub feed: Option<String>,
    /// The article's address now.
    pub url: String,
    /// The headline of the version the change produced (the article's title when that
    /// version is missing).
    pub headline: String,
    /// The labels of that version (empty for a removal or coverage).
    pub labels: Labels,
    pub words_added: i64,
    pub words_removed: i64,
}

impl ChangeRow {
    fn from_row(r: &Row<'_, '_>) -> Result<ChangeRow> {
        let kind: AlertKind = r.get("kind")?;
        Ok(ChangeRow {
            alert_id: r.get("id")?,
            article_id: r.get("article_id")?,
            kind,
            from_version: r.get("from_version")?,
            to_version: r.get("to_version")?,
            detected: parse_ts(&r.get::<_, String>("created_at")?),
            feed: r.get("feed_name")?,
            url: r.get("url")?,
            headline: r
                .get::<_, Option<String>>("headline")?
                .filter(|h| !h.is_empty())
                .unwrap_or(r.get("title")?),
            labels: match kind {
                AlertKind::Reworded => r.get::<_, Option<Labels>>("labels")?.unwrap_or_default(),
                AlertKind::Removed | AlertKind::Coverage => Labels::new(),
            },
            words_added: if kind == AlertKind::Reworded {
                r.get::<_, Option<i64>>("words_added")?.unwrap_or(0)
            } else {
                0
            },
            words_removed: if kind == AlertKind::Reworded {
                r.get::<_, Option<i64>>("words_removed")?.unwrap_or(0)
            } else {
                0
            },
        })
    }
}

impl Store {
    /// The `limit` most recent changes, newest first, of every article or only of those
    /// on `topic`.
    pub fn recent_changes(&self, limit: usize, topic: Option<&str>) -> Result<Vec<ChangeRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn.query_map("SELECT al.id, al.article_id, al.kind, al.from_version, al.to_version, al.created_at,
                    a.url, a.title, f.name AS feed_name,
                    v.headline, v.labels, v.words_added, v.words_removed
             FROM alerts al
             JOIN articles a ON a.id = al.article_id
             LEFT JOIN feeds f ON f.id = a.feed_id
             LEFT JOIN versions v ON v.article_id = al.article_id AND v.number = al.to_version
             WHERE CAST(?1 AS TEXT) IS NULL OR EXISTS
                 (SELECT 1 FROM article_topics t WHERE t.article_id = al.article_id AND t.topic = ?1)
             ORDER BY al.created_at DESC, al.id DESC
             LIMIT ?2", (topic, limit), ChangeRow::from_row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CheckUpdate, NewArticle, NewVersion};
    use crate::text::Copy;

    fn version(headline: &str, body: &str, added: i64) -> NewVersion {
        NewVersion {
            copy: Copy::new(headline, [body]),
            extractor: "test".into(),
            words_added: added,
            words_removed: 0,
            note: None,
            labels: Labels::new(),
            diff: None,
            provenance: Default::default(),
        }
    }

    #[test]
    fn newest_first_filtered_by_topic() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let mut s = backend.store;
            let t0 = Utc::now();
            let mut ids = Vec::new();
            for (i, topic) in ["a", "b"].into_iter().enumerate() {
                let (id, _) = s
                    .track(
                        &NewArticle {
                            key: format!("k{i}"),
                            url: format!("https://example.org/{i}"),
                            title: format!("T{i}"),
                            feed_id: None,
                            topics: vec![topic.into()],
                            now: t0,
                        },
                        Some(&version(&format!("H{i}"), "one", 0)),
                    )
                    .expect("track");
                let mut u = CheckUpdate::new(id, t0 + chrono::Duration::seconds(i as i64 + 1));
                u.based_on = Some(1);
                u.version = Some(version(&format!("H{i} new"), "one two", 1));
                u.alert = Some((
                    AlertKind::Reworded,
                    vec![crate::store::Target::email("x@example.org")],
                ));
                s.record_check(&u).expect("record");
                ids.push(id);
            }
            let all = s.recent_changes(10, None).expect("changes");
            assert_eq!(all.len(), 2);
            assert_eq!(all[0].article_id, ids[1], "newest first");
            assert_eq!(all[0].headline, "H1 new");
            assert_eq!(all[0].words_added, 1);
            assert_eq!(all[0].feed, None);
            let b = s.recent_changes(10, Some("a")).expect("changes");
            assert_eq!(b.len(), 1);
            assert_eq!(b[0].article_id, ids[0]);
            assert_eq!(s.recent_changes(1, None).expect("changes").len(), 1);
        }
    }
}
