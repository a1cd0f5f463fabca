//! Matching feed entries against "like this article" topics, and the coverage alert on
//! the first version of a matched article.
//!
//! The entries of every polled feed are counted into one [`Background`] first (the
//! document frequencies behind the weights, see [`crate::topic::like`]), then each entry
//! is scored against each `like` topic its feed reaches. A clear score decides; a score
//! near the topic's `similarity` fetches the page and decides on its text. Decisions are
//! remembered for the life of the watcher, so an entry that stays in its feed is not
//! fetched again on every poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{CheckError, WatchError, Watcher};
use crate::config::FeedConfig;
use crate::feed::Entry;
use crate::fetch::Validators;
use crate::store::{AlertKind, ArticleRow, CheckUpdate, CoverageRow, NewCoverage};
use crate::topic::MatchText;
use crate::topic::like::{self, Background, EntryVerdict, Features};

/// Decisions remembered before the memory is cleared.
const MAX_DECISIONS: usize = 100_000;

/// The state `like` matching keeps across polls.
#[derive(Debug, Default)]
pub(super) struct LikeState {
    background: Mutex<Background>,
    /// (entry key, topic) → the match, or `None` for a rejected entry.
    decided: Mutex<HashMap<(String, String), Option<NewCoverage>>>,
}

impl LikeState {
    /// A fresh state whose background already holds the topics' copies.
    pub(super) fn new(config: &crate::config::Config) -> Arc<LikeState> {
        let mut bg = Background::default();
        for topic in config.likes.iter() {
            for copy in &topic.copies {
                bg.observe(
                    &format!("copy:{}:{}", topic.name, copy.name),
                    copy.features(),
                );
            }
        }
        Arc::new(LikeState {
            background: Mutex::new(bg),
            decided: Mutex::default(),
        })
    }
}

fn entry_text(entry: &Entry) -> String {
    format!("{}\n\n{}\n\n{}", entry.title, entry.summary, entry.content)
}

impl Watcher {
    /// Counts a feed's entries into the background, before any of them is matched.
    pub(super) fn observe_entries(&self, entries: &[Entry]) {
        if self.config.likes.is_empty() {
            return;
        }
        let features: Vec<(String, Features)> = entries
            .iter()
            .filter_map(|e| Some((e.key()?.to_string(), Features::new(&entry_text(e)))))
            .collect();
        let mut bg = self
            .like
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for (key, f) in &features {
            bg.observe(key, f);
        }
    }

    /// The `like` topics of this feed that an entry matches, each with its score and copy.
    /// With a `query` too, the query must hold as well.
    pub(super) async fn like_matches(&self, feed: &FeedConfig, entry: &Entry) -> Vec<NewCoverage> {
        let Some(key) = entry.key() else {
            return Vec::new();
        };
        let topics: Vec<&like::LikeTopic> = self
            .config
            .likes
            .iter()
            .filter(|t| feed.reaches(&t.name))
            .collect();
        if topics.is_empty() {
            return Vec::new();
        }
        let text = entry_text(entry);
        let features = Features::new(&text);
        let query_text = MatchText::new(&entry.match_text());
        let mut page: Option<Option<Features>> = None;
        let mut out = Vec::new();
        for topic in topics {
            let memo = (key.to_string(), topic.name.clone());
            let known = self
                .like
                .decided
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&memo)
                .cloned();
            if let Some(known) = known {
                out.extend(known);
                continue;
            }
            let query_holds = self
                .config
                .queries()
                .iter()
                .find(|(name, _)| *name == topic.name)
                .and_then(|(_, q)| q.as_ref())
                .is_none_or(|q| q.matches(&query_text));
            if !query_holds {
                continue;
            }
            let score = {
                let bg = self
                    .like
                    .background
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                like::score_entry(&features, &topic.copies, &bg)
            };
            let Some(mut score) = score else { continue };
            let hit = match like::entry_verdict(score.similarity, topic.similarity) {
                EntryVerdict::Match => true,
                EntryVerdict::No => false,
                EntryVerdict::Unsure => {
                    if page.is_none() {
                        page = Some(self.page_features(feed, entry).await);
                    }
                    let Some(Some(page)) = &page else {
                        // The page could not be fetched: decide again next poll.
                        continue;
                    };
                    let bg = self
                        .like
                        .background
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    if let Some(s) = like::score_page(page, &topic.copies, &bg) {
                        score = s;
                    }
                    score.similarity >= topic.similarity
                }
            };
            let found = hit.then(|| {
                let copy = &topic.copies[score.copy];
                NewCoverage {
                    topic: topic.name.clone(),
                    similarity: score.similarity,
                    copy: copy.name.clone(),
                    copy_text: copy.text.clone(),
                }
            });
            tracing::debug!(topic = %topic.name, title = %entry.title, similarity = score.similarity, matched = hit, "like topic scored");
            let mut decided = self.like.decided.lock().unwrap_or_else(|p| p.into_inner());
            if decided.len() >= MAX_DECISIONS {
                decided.clear();
            }
            decided.insert(memo, found.clone());
            out.extend(found);
        }
        out
    }

    async fn page_features(&self, feed: &FeedConfig, entry: &Entry) -> Option<Features> {
        let link = entry.link.as_deref()?;
        match self
            .fetch_page(link, Some(&feed.name), &Validators::default())
            .await
        {
            Ok(Some(page)) => Some(Features::new(&page.copy.to_string())),
            Ok(None) => None,
            Err(
                e @ (CheckError::Gone
                | CheckError::Fetch(_)
                | CheckError::Extract(_)
                | CheckError::Template(_)),
            ) => {
                tracing::warn!(url = link, error = %e, "could not fetch a page to match it against a like topic");
                None
            }
        }
    }

    /// The first version of an article matched by a `like` topic raises a `coverage`
    /// alert (instead of none): the article set against the copy it matched.
    pub(super) async fn coverage_alert(
        &self,
        article: &ArticleRow,
        first: bool,
        update: &mut CheckUpdate,
    ) -> Result<(), WatchError> {
        if !first || update.version.is_none() || update.alert.is_some() {
            return Ok(());
        }
        let id = article.id;
        let covered = self.db.call(move |s| s.coverage_of(id)).await?;
        self.coverage_alert_with(article, first, update, &covered);
        Ok(())
    }

    /// [`Watcher::coverage_alert`] with the article's coverage already read.
    pub(super) fn coverage_alert_with(
        &self,
        article: &ArticleRow,
        first: bool,
        update: &mut CheckUpdate,
        covered: &[CoverageRow],
    ) {
        if !first || update.version.is_none() || update.alert.is_some() {
            return;
        }
        if !covered.is_empty() {
            update.alert = Some((AlertKind::Coverage, self.recipients(article, None)));
        }
    }
}
