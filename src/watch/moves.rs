//! Following a story that moves, and telling a move from a deletion.
//!
//! - A permanent redirect (301/308) to an article-like address that serves the story
//!   moves the article there (the feed's new link for a known guid is followed when the
//!   feed is polled, in the store).
//! - A page whose canonical link names another tracked article (an AMP or mobile copy
//!   of it) is joined to that article; a canonical address nobody tracks yet is kept as
//!   an alias, so the main page's entry finds this article when it comes.
//! - A 404/410 is "removed" only when it answers so on two checks at least
//!   [`GONE_CONFIRM`] apart and no feed carries the entry any more; until then it is a
//!   failed check, retried.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CycleReport, Ladder, WatchError, Watcher};
use crate::feed::{self, Entry};
use crate::fetch::Validators;
use crate::store::{AddressCheck, ArticleRow, CheckUpdate};
use crate::text::{Copy, Provenance};

/// A page that answered 404/410 must still do so this long after the first time before
/// the article counts as removed.
pub const GONE_CONFIRM: Duration = Duration::from_secs(3600);

/// One article page as fetched now.
#[derive(Debug, Clone)]
pub struct PageFetch {
    pub copy: Copy,
    /// What the page said about itself (source of the copy, declared times, notes).
    pub provenance: Provenance,
    pub validators: Validators,
    /// Where the page was found, after redirects (canonicalised).
    pub final_url: String,
    /// Every redirect on the way was permanent (301/308).
    pub moved_permanently: bool,
    /// The canonical address the page declares, when it is one to join it to (same site
    /// or its mobile/AMP counterpart, article-like).
    pub canonical: Option<String>,
    /// A hash of the page (see [`super::page_hash`]).
    pub page_hash: String,
    /// The response as received, when `[archive] raw` keeps it.
    pub raw: Option<crate::archive::RawPage>,
}

impl Watcher {
    /// After a feed parsed: which articles it still carries (by key and link).
    pub(super) async fn mark_in_feed(
        &self,
        feed_id: i64,
        entries: &[Entry],
    ) -> Result<(), WatchError> {
        let carried: Vec<(String, String)> = entries
            .iter()
            .filter_map(|e| {
                let key = e.key()?.to_string();
                Some((key.clone(), e.link.clone().unwrap_or(key)))
            })
            .collect();
        self.db
            .call(move |s| s.mark_in_feed(feed_id, &carried))
            .await?;
        Ok(())
    }

    /// When the page's canonical link names another tracked article, joins this one to
    /// it and returns true (nothing else is recorded for this check). A canonical address
    /// nobody tracks is kept as an alias of this article.
    pub(super) async fn join_copy(
        &self,
        article: &ArticleRow,
        page: &PageFetch,
        now: DateTime<Utc>,
    ) -> Result<bool, WatchError> {
        let Some(canonical) = page.canonical.clone() else {
            return Ok(false);
        };
        if canonical == article.url || canonical == page.final_url {
            return Ok(false);
        }
        let id = article.id;
        let c = canonical.clone();
        // One store call: who owns the address, then the join or the alias.
        let joined = self
            .db
            .call(move |s| match s.article_for(&c, &c)? {
                Some(into) if into != id => Ok(Some((into, s.join_article(id, into, now)?))),
                Some(_) => Ok(None),
                None => {
                    s.add_alias(id, &c, now)?;
                    Ok(None)
                }
            })
            .await?;
        match joined {
            Some((into, deleted)) => {
                tracing::info!(article = id, into, canonical = %canonical, deleted, "a copy of a tracked article (canonical link): joined to it");
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// What this successful fetch says about the article's address: a permanent redirect
    /// to an article-like address moves it there.
    pub(super) fn address_check(&self, article: &ArticleRow, page: &PageFetch) -> AddressCheck {
        let moved = page.moved_permanently
            && page.final_url != article.url
            && !page.copy.paragraphs.is_empty()
            && url::Url::parse(&page.final_url).is_ok_and(|u| feed::article_like(&u));
        if moved {
            tracing::info!(article = article.id, from = %article.url, to = %page.final_url, "permanent redirect: the article moved");
        }
        AddressCheck {
            gone_at: None,
            moved_to: moved.then(|| page.final_url.clone()),
            reached: true,
        }
    }

    /// The page answered 404/410 (or a permanent redirect to the home page or a
    /// section): removed once confirmed, else a failed check to retry.
    pub(super) fn gone(
        &self,
        article: &ArticleRow,
        has_version: bool,
        u: &mut CheckUpdate,
        report: &mut CycleReport,
        now: DateTime<Utc>,
    ) {
        let first = article.gone_at.unwrap_or(now);
        let confirm_at = first + chrono::Duration::from_std(GONE_CONFIRM).unwrap_or_default();
        u.address.gone_at = Some(first);
        if now >= confirm_at && !article.in_feed {
            tracing::info!(article = article.id, url = %article.url, "article removed (404/410 since {first}, no longer in its feed)");
            u.state = crate::store::ArticleState::Removed;
            u.next_check = None;
            if has_version {
                u.alert = Some((
                    crate::store::AlertKind::Removed,
                    self.recipients(article, None),
                ));
            }
            return;
        }
        report.article_errors = 1;
        u.suspect_at = article.suspect_at;
        Ladder::new(&self.config).retry(u, now);
        let why = if article.in_feed {
            "the page answered 404/410 but its feed still carries the entry: not removed"
                .to_string()
        } else {
            // Look again once the confirmation time has come.
            if u.state == crate::store::ArticleState::Active && now < confirm_at {
                u.next_check = Some(confirm_at);
            }
            format!(
                "the page answered 404/410; removed if it still does from {} on and the feed no longer carries it",
                confirm_at.format("%Y-%m-%d %H:%M UTC")
            )
        };
        tracing::warn!(article = article.id, url = %article.url, "{why}");
        u.error = Some(why);
    }
}
