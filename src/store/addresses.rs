//! Where an article lives, and where it lived before.
//!
//! A story keeps its identity when its address changes: the feed entry keeps its guid
//! but links a new slug, or the old address answers a permanent redirect. The article's
//! `url` follows it and the old address stays here as a `moved` row, with the version
//! first recorded at the new address. Other addresses of the same story (an AMP or
//! mobile copy, the address its canonical link names) are `alias` rows, so a feed entry
//! that links any of them finds the article. The article also records the link its feed
//! gives (`feed_link`), whether its feed still carries it (`in_feed`) and when its page
//! first answered 404/410 (`gone_at`): "removed" waits for both.

use chrono::{DateTime, Utc};

use super::articles::CheckUpdate;
use super::sql::{Conn, Row, params};
use super::{Result, Store, parse_ts, ts};

/// A past address (`moved`) or another address of the same story (`alias`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AddressRow {
    /// `moved` or `alias`.
    pub kind: String,
    /// The old address (`moved`), or the other address (`alias`).
    pub url: String,
    /// Where the article moved to (`moved` only).
    pub new_url: Option<String>,
    /// Why: `feed` (the entry links a new address), `redirect` (a permanent redirect),
    /// `canonical` (the page's canonical link).
    pub reason: String,
    pub at: DateTime<Utc>,
    /// The first version recorded at the new address, once there is one.
    pub version: Option<i64>,
}

impl AddressRow {
    fn from_row(r: &Row<'_, '_>) -> Result<AddressRow> {
        Ok(AddressRow {
            kind: r.get("kind")?,
            url: r.get("url")?,
            new_url: r.get("new_url")?,
            reason: r.get("reason")?,
            at: parse_ts(&r.get::<_, String>("at")?),
            version: r.get("version")?,
        })
    }
}

/// What [`Store::upsert_entry`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upserted {
    pub id: i64,
    pub created: bool,
    /// The entry's guid is known and its feed now links a new address: the article moved
    /// from this one.
    pub moved_from: Option<String>,
}

/// What one check changes about an article's address, written by `record_check`.
#[derive(Debug, Clone, Default)]
pub struct AddressCheck {
    /// When the page first answered 404/410 in the current run of such answers; `None`
    /// once it answers again.
    pub gone_at: Option<DateTime<Utc>>,
    /// The page answered a permanent redirect to this address, which serves the story.
    pub moved_to: Option<String>,
    /// The check fetched the page at its current address: a move waiting for its first
    /// check is settled (with the version this check recorded, if any).
    pub reached: bool,
}

/// How an identity was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// The article's own key (the feed entry's guid, or its link when it has none).
    Key,
    /// Its current address, an alias, or a past address.
    Address,
}

/// The article with this identity key or address: its own key first, then the key of a
/// copy joined to it, its current address, an alias, a past address.
pub(super) fn resolve(conn: &Conn, key: &str, url: &str) -> Result<Option<(i64, Via)>> {
    let found: Option<(i64, i64)> = conn
        .query_opt(
            "SELECT id, via FROM (
                 SELECT id, 0 AS via FROM articles WHERE key = ?1 AND state != 'joined'
                 UNION ALL SELECT article_id, 1 FROM article_addresses WHERE kind = 'alias' AND key = ?1
                 UNION ALL SELECT id, 2 FROM articles WHERE url = ?2 AND state != 'joined'
                 UNION ALL SELECT article_id, 3 FROM article_addresses WHERE kind = 'alias' AND url = ?2
                 UNION ALL SELECT article_id, 4 FROM article_addresses WHERE kind = 'moved' AND url = ?2
             ) found ORDER BY via, id LIMIT 1",
            (key, url),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    Ok(found.map(|(id, via)| (id, if via == 0 { Via::Key } else { Via::Address })))
}

/// A known entry from its own feed links `link`: when that is a new link, the article
/// moves there (and is due at once). Returns the address it moved from.
pub(super) fn follow_feed_link(
    tx: &Conn,
    id: i64,
    feed_id: i64,
    link: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let row: Option<(String, Option<String>, Option<i64>, String)> = tx.query_opt(
        "SELECT url, feed_link, feed_id, state FROM articles WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Some((url, feed_link, own_feed, state)) = row else {
        return Ok(None);
    };
    if own_feed != Some(feed_id) || feed_link.as_deref() == Some(link) {
        return Ok(None);
    }
    if feed_link.is_none() || url == link {
        // Nothing to move: only remember the link the feed gives now.
        tx.execute(
            "UPDATE articles SET feed_link = ?2 WHERE id = ?1",
            (id, link),
        )?;
        return Ok(None);
    }
    insert_move(tx, id, &url, link, "feed", now, None, false)?;
    let now = ts(now);
    tx.execute(
        "UPDATE articles SET url = ?2, feed_link = ?2, etag = NULL, last_modified = NULL,
             next_check_at = ?3, gone_at = NULL, in_feed = 1,
             ladder_start_at = CASE WHEN state = 'active' THEN ladder_start_at ELSE ?3 END,
             revisit_step = CASE WHEN state = 'active' THEN revisit_step ELSE 0 END,
             state = CASE WHEN state = 'joined' THEN state ELSE 'active' END
         WHERE id = ?1",
        (id, link, &now),
    )?;
    if state != "active" {
        tracing::debug!(article = id, state = %state, "a moved article is revisited again");
    }
    Ok(Some(url))
}

#[allow(clippy::too_many_arguments)]
fn insert_move(
    tx: &Conn,
    id: i64,
    from: &str,
    to: &str,
    reason: &str,
    at: DateTime<Utc>,
    version: Option<i64>,
    settled: bool,
) -> Result<()> {
    tx.execute(
        "INSERT INTO article_addresses (article_id, kind, url, new_url, reason, at, version, settled)
         VALUES (?1, 'moved', ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, from, to, reason, ts(at), version, settled],
    )?;
    Ok(())
}

fn insert_alias(
    tx: &Conn,
    id: i64,
    url: &str,
    key: Option<&str>,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO article_addresses (article_id, kind, url, key, reason, at, settled)
         SELECT ?1, 'alias', ?2, ?3, ?4, ?5, 1
         WHERE NOT EXISTS (SELECT 1 FROM article_addresses
             WHERE article_id = ?1 AND kind = 'alias' AND url = ?2 AND key IS NOT DISTINCT FROM ?3)",
        params![id, url, key, reason, ts(at)],
    )?;
    Ok(())
}

/// The address part of `record_check`, in its transaction: a redirect move, settling a
/// move waiting for its first check (the first-404 time is set with the rest of the
/// check, in `record_one`).
pub(super) fn apply(tx: &Conn, u: &CheckUpdate, version: Option<i64>) -> Result<()> {
    let a = &u.address;
    if a.reached {
        tx.execute(
            "UPDATE article_addresses SET settled = 1, version = ?2
             WHERE article_id = ?1 AND kind = 'moved' AND settled = 0",
            (u.article_id, version),
        )?;
    }
    if let Some(to) = &a.moved_to {
        let from: String = tx.query_row(
            "SELECT url FROM articles WHERE id = ?1",
            [u.article_id],
            |r| r.get(0),
        )?;
        if &from != to {
            insert_move(tx, u.article_id, &from, to, "redirect", u.at, version, true)?;
            tx.execute(
                "UPDATE articles SET url = ?2 WHERE id = ?1",
                (u.article_id, to),
            )?;
        }
    }
    // `gone_at` is set with the rest of the check, in `record_one`'s update of the row.
    Ok(())
}

impl Store {
    /// An article's past addresses and aliases, oldest first.
    pub fn addresses(&self, article_id: i64) -> Result<Vec<AddressRow>> {
        self.conn.query_map(
            "SELECT * FROM article_addresses WHERE article_id = ?1 ORDER BY id",
            [article_id],
            AddressRow::from_row,
        )
    }

    /// The article a key or address belongs to, if any.
    pub fn article_for(&self, key: &str, url: &str) -> Result<Option<i64>> {
        Ok(resolve(&self.conn, key, url)?.map(|(id, _)| id))
    }

    /// After a successful parse of a feed: which of its articles it still carries. Each
    /// entry is given as its key and link; an article counts as carried when any feed
    /// carries it.
    pub fn mark_in_feed(&mut self, feed_id: i64, entries: &[(String, String)]) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE articles SET in_feed = 0 WHERE feed_id = ?1",
            [feed_id],
        )?;
        for (key, link) in entries {
            if let Some((id, _)) = resolve(&tx, key, link)? {
                tx.execute("UPDATE articles SET in_feed = 1 WHERE id = ?1", [id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Remembers `url` as another address of article `id` (the canonical address its page
    /// declares), so that an entry linking it finds the article.
    pub fn add_alias(&mut self, id: i64, url: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self.write()?;
        insert_alias(&tx, id, url, None, "canonical", at)?;
        tx.commit()?;
        Ok(())
    }

    /// Joins article `copy` (an AMP or mobile copy whose canonical link names `into`) to
    /// article `into`: its key and addresses become aliases of `into`, its topics join
    /// `into`'s. A copy with no version yet is deleted; one with versions keeps them and
    /// is no longer revisited (state `joined`). Returns whether the copy was deleted.
    pub fn join_article(&mut self, copy: i64, into: i64, at: DateTime<Utc>) -> Result<bool> {
        let tx = self.write()?;
        let row: Option<(String, String, bool)> = tx.query_opt(
            "SELECT key, url, in_feed FROM articles WHERE id = ?1",
            [copy],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let Some((key, url, in_feed)) = row.filter(|_| copy != into) else {
            return Ok(false);
        };
        insert_alias(&tx, into, &url, Some(&key), "canonical", at)?;
        tx.execute(
            "UPDATE article_addresses SET article_id = ?2 WHERE article_id = ?1",
            (copy, into),
        )?;
        tx.execute(
            "INSERT INTO article_topics (article_id, topic)
             SELECT ?2, topic FROM article_topics WHERE article_id = ?1
             ON CONFLICT DO NOTHING",
            (copy, into),
        )?;
        if in_feed {
            tx.execute("UPDATE articles SET in_feed = 1 WHERE id = ?1", [into])?;
        }
        let versions: i64 = tx.query_row(
            "SELECT COUNT(*) FROM versions WHERE article_id = ?1",
            [copy],
            |r| r.get(0),
        )?;
        let deleted = versions == 0;
        if deleted {
            tx.execute("DELETE FROM article_topics WHERE article_id = ?1", [copy])?;
            tx.execute("DELETE FROM articles WHERE id = ?1", [copy])?;
        } else {
            tx.execute(
                "UPDATE articles SET state = 'joined', next_check_at = NULL WHERE id = ?1",
                [copy],
            )?;
        }
        tx.commit()?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewArticle;

    fn entry(key: &str, url: &str, feed_id: Option<i64>) -> NewArticle {
        NewArticle {
            key: key.into(),
            url: url.into(),
            title: "T".into(),
            feed_id,
            topics: vec!["t".into()],
            now: Utc::now(),
        }
    }

    fn with_feed(mut s: Store) -> (Store, i64) {
        let ids = s
            .sync_feeds(&[("https://x.example/feed".into(), "F".into())])
            .expect("feeds");
        (s, ids[0])
    }

    #[test]
    fn a_known_guid_with_a_new_link_moves_the_article() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut s, feed) = with_feed(backend.store);
            let first = s
                .upsert_entry(&entry("g1", "https://x.example/a/old-slug", Some(feed)))
                .expect("upsert");
            assert!(first.created);
            let again = s
                .upsert_entry(&entry("g1", "https://x.example/a/old-slug", Some(feed)))
                .expect("upsert");
            assert_eq!(
                (again.id, again.created, again.moved_from),
                (first.id, false, None)
            );
            let moved = s
                .upsert_entry(&entry("g1", "https://x.example/a/new-slug", Some(feed)))
                .expect("upsert");
            assert_eq!(moved.id, first.id);
            assert_eq!(
                moved.moved_from.as_deref(),
                Some("https://x.example/a/old-slug")
            );
            let row = s.article(first.id).expect("q").expect("row");
            assert_eq!(row.url, "https://x.example/a/new-slug");
            assert_eq!(
                row.moved_from.as_deref(),
                Some("https://x.example/a/old-slug")
            );
            let addrs = s.addresses(first.id).expect("addresses");
            assert_eq!(addrs.len(), 1);
            assert_eq!(
                (addrs[0].kind.as_str(), addrs[0].reason.as_str()),
                ("moved", "feed")
            );
            // The old address still finds the article.
            assert_eq!(
                s.article_for(
                    "https://x.example/a/old-slug",
                    "https://x.example/a/old-slug"
                )
                .expect("q"),
                Some(first.id)
            );
        }
    }

    #[test]
    fn the_feed_still_linking_the_old_slug_does_not_undo_a_redirect_move() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut s, feed) = with_feed(backend.store);
            let a = s
                .upsert_entry(&entry("g1", "https://x.example/a/old-slug", Some(feed)))
                .expect("upsert");
            let now = Utc::now();
            let u = CheckUpdate {
                next_check: Some(now),
                address: AddressCheck {
                    moved_to: Some("https://x.example/a/new-slug".into()),
                    reached: true,
                    ..Default::default()
                },
                ..CheckUpdate::new(a.id, now)
            };
            s.record_check(&u).expect("record");
            let again = s
                .upsert_entry(&entry("g1", "https://x.example/a/old-slug", Some(feed)))
                .expect("upsert");
            assert_eq!(again.moved_from, None);
            let row = s.article(a.id).expect("q").expect("row");
            assert_eq!(row.url, "https://x.example/a/new-slug");
            assert_eq!(s.addresses(a.id).expect("addresses").len(), 1);
        }
    }

    #[test]
    fn a_joined_copy_becomes_an_alias() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut s, feed) = with_feed(backend.store);
            let main = s
                .upsert_entry(&entry(
                    "g-main",
                    "https://x.example/a/story-slug-here",
                    Some(feed),
                ))
                .expect("upsert");
            let amp = s
                .upsert_entry(&entry(
                    "g-amp",
                    "https://amp.x.example/a/story-slug-here",
                    None,
                ))
                .expect("upsert");
            assert!(amp.created);
            assert!(s.join_article(amp.id, main.id, Utc::now()).expect("join"));
            assert!(s.article(amp.id).expect("q").is_none());
            let again = s
                .upsert_entry(&entry(
                    "g-amp",
                    "https://amp.x.example/a/story-slug-here",
                    None,
                ))
                .expect("upsert");
            assert_eq!((again.id, again.created), (main.id, false));
            s.mark_in_feed(feed, &[]).expect("mark");
            assert!(!s.article(main.id).expect("q").expect("row").in_feed);
            s.mark_in_feed(
                feed,
                &[(
                    "g-amp".into(),
                    "https://amp.x.example/a/story-slug-here".into(),
                )],
            )
            .expect("mark");
            assert!(s.article(main.id).expect("q").expect("row").in_feed);
        }
    }
}
