//! One cycle of work: poll the feeds that are due, track the entries that match a topic,
//! check the articles that are due, and record what changed.
//!
//! Every step that can fail for one feed or one article is contained: the failure is
//! logged and recorded on that feed or article, and the cycle goes on with the others.
//! The daemon runs cycles forever; `redline poll` runs one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use url::Url;

use crate::clock::Clock;
use crate::config::{Config, FeedConfig};
use crate::cpu::{self, Stage};
use crate::diff::{CopyDiff, Label, Labels};
use crate::extract::{self, Extracted};
use crate::feed::{self, Entry};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::metrics::Metrics;
use crate::store::{
    AlertKind, ArticleRow, CheckUpdate, Claim, Db, FeedFetch, FeedRow, Learned, NewArticle,
    NewVersion, Quiet, QuietCheck, Store, StoreError, Target, VersionRow,
};
use crate::text::Copy;
use crate::topic::MatchText;

mod coverage;
mod decide;
mod disclosure;
mod ladder;
mod moves;
pub mod slots;
#[cfg(test)]
mod tests;

pub use decide::{Check, Decision, Verdict, decide, judge};
pub use disclosure::{Disclosure, assess as assess_disclosure};
pub use ladder::{Ladder, backoff, jittered};
pub use moves::PageFetch;

/// A feed's own freshness hints may slow polling down, but not below this rate.
const MAX_FEED_HINT: Duration = Duration::from_secs(24 * 3600);
/// A block seen on this many other articles of a host is that site's furniture.
const TEMPLATE_ARTICLES: i64 = 2;
/// How many article checks a worker claims at once, per request it may have in flight
/// (`[http] max_concurrent`): enough to keep its fetches busy between two claims, few
/// enough that other workers find the rest of a backlog unclaimed.
pub const CLAIM_BATCH: usize = 2;
/// How often a process reads the host pauses other processes met (see
/// [`Watcher::sync_hosts`]).
pub const HOSTS_REFRESH: chrono::Duration = chrono::Duration::seconds(1);
/// How many unchanged feeds' fetches, or unchanged articles' checks (a 304), a cycle
/// records in one transaction.
const UNCHANGED_BATCH: usize = 256;
/// How soon a suspect extraction is re-fetched to confirm it.
const CONFIRM_AFTER: Duration = Duration::from_secs(5 * 60);

/// What one cycle did, for `redline poll` and the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CycleReport {
    pub feeds_polled: usize,
    pub feeds_failed: usize,
    pub new_articles: usize,
    pub articles_checked: usize,
    pub article_errors: usize,
    pub versions: usize,
    pub alerts: usize,
    /// Due feeds and articles left to another process that was already on them.
    pub feeds_busy: usize,
    pub articles_busy: usize,
}

impl CycleReport {
    fn add(&mut self, o: &CycleReport) {
        self.feeds_polled += o.feeds_polled;
        self.feeds_failed += o.feeds_failed;
        self.new_articles += o.new_articles;
        self.articles_checked += o.articles_checked;
        self.article_errors += o.article_errors;
        self.versions += o.versions;
        self.alerts += o.alerts;
        self.feeds_busy += o.feeds_busy;
        self.articles_busy += o.articles_busy;
    }
}

/// The report of one finished article task, or the error that stops the cycle.
fn article_done(
    done: Result<Result<ArticleChecked, WatchError>, tokio::task::JoinError>,
) -> Result<ArticleChecked, WatchError> {
    match done {
        Ok(r) => r,
        Err(e) => Err(WatchError::Other(format!("an article task failed: {e}"))),
    }
}

/// The report of one finished feed task, or the error that stops the cycle.
fn feed_done(
    done: Result<Result<FeedPolled, WatchError>, tokio::task::JoinError>,
) -> Result<FeedPolled, WatchError> {
    match done {
        Ok(r) => r,
        Err(e) => Err(WatchError::Other(format!("a feed task failed: {e}"))),
    }
}

/// Errors that stop a whole cycle (a broken database); anything about one feed or one
/// article is recorded instead.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Other(String),
}

/// The store's ids of the configured feeds: in config order, and as a set.
type FeedIds = (Vec<i64>, Arc<HashSet<i64>>);
/// What one feed's poll reports, and its fetch when the feed was unchanged (recorded
/// later, with the cycle's other unchanged feeds).
type FeedPolled = (CycleReport, Option<(i64, FeedFetch)>);
/// What one article's check reports, and its update when the page was unchanged (a 304:
/// recorded later, with the cycle's other unchanged articles).
type ArticleChecked = (CycleReport, Option<CheckUpdate>);

/// Everything a cycle needs, cheap to clone into tasks.
#[derive(Debug, Clone)]
pub struct Watcher {
    pub config: Arc<Config>,
    pub db: Db,
    pub http: Arc<Fetcher>,
    like: Arc<coverage::LikeState>,
    pub clock: Clock,
    /// The store's id of each configured feed, in config order, once synced; and the
    /// same as a set.
    feed_ids: Arc<tokio::sync::OnceCell<FeedIds>>,
    /// When the host pauses were last read from the store (see [`Watcher::sync_hosts`]).
    hosts_read: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
    /// `[http] per_host` across every process on the store.
    slots: Arc<slots::HostSlots>,
    /// Told whenever a check records a version or an alert, which queue archive
    /// submissions and messages (the daemon's delivery loop listens; see
    /// [`Watcher::waking`]).
    recorded: Arc<tokio::sync::Notify>,
}

impl Watcher {
    pub fn new(config: Arc<Config>, db: Db) -> Result<Watcher, WatchError> {
        Watcher::with_clock(config, db, Clock::new(), Default::default())
    }

    /// A watcher whose "now" comes from `clock` (tests drive it with tokio's clock).
    /// and whose fetches are counted in `metrics` (kept across config reloads).
    pub fn with_clock(
        config: Arc<Config>,
        db: Db,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> Result<Watcher, WatchError> {
        let slots = Arc::new(slots::HostSlots::new(
            db.clone(),
            config.http.per_host,
            config.state.lease.0,
            clock,
        ));
        let http = Arc::new(
            Fetcher::new(&config.http, clock, metrics)?
                .with_gate(Arc::new(slots::Gate(slots.clone()))),
        );
        Ok(Watcher {
            like: coverage::LikeState::new(&config),
            config,
            db,
            http,
            clock,
            feed_ids: Default::default(),
            hosts_read: Default::default(),
            slots,
            recorded: Default::default(),
        })
    }

    /// This watcher, telling `recorded` each time a check records a version or an alert,
    /// so that what they queue can be sent without waiting for the end of the cycle.
    pub fn waking(mut self, recorded: Arc<tokio::sync::Notify>) -> Watcher {
        self.recorded = recorded;
        self
    }

    /// Shares host pauses (`Retry-After`) with the other processes on the store: writes
    /// the pauses this process met since the last call, and at most every
    /// [`HOSTS_REFRESH`] reads the live ones, so that a host one worker was told to leave
    /// alone is left alone by all. Called around every fetch; most calls do nothing but
    /// look at a clock. A store error here is logged, not fatal: the pause still holds
    /// for this process.
    pub async fn sync_hosts(&self) {
        let now = self.clock.now();
        let read = {
            let mut last = self.hosts_read.lock().unwrap_or_else(|p| p.into_inner());
            let due = last.is_none_or(|t| now - t >= HOSTS_REFRESH || now < t);
            if due {
                *last = Some(now);
            }
            due
        };
        if !read && !self.http.has_new_pauses() {
            return;
        }
        let new = self.http.take_new_pauses();
        let synced = self
            .db
            .call(move |s| {
                for (host, until, status) in &new {
                    s.pause_host(host, *until, *status)?;
                }
                if read {
                    s.host_pauses(now).map(Some)
                } else {
                    Ok(None)
                }
            })
            .await;
        match synced {
            Ok(Some(pauses)) => {
                for (host, until) in pauses {
                    self.http.adopt_pause(&host, until);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "sharing host pauses through the store failed"),
        }
    }

    /// One cycle: due feeds (every feed with `all`), then due articles.
    pub async fn cycle(&self, all: bool) -> Result<CycleReport, WatchError> {
        let work = async {
            let mut report = self.poll_feeds(all).await?;
            report.add(&self.check_articles(all).await?);
            Ok::<_, WatchError>(report)
        }
        .await;
        // No request is open now: the request slots go back for the other processes.
        self.slots.settle().await;
        let report = work?;
        self.drop_old_raw().await?;
        Ok(report)
    }

    /// Keeps this process's claims alive while it works (its cycles, and the archive,
    /// mail and webhook deliveries beside them), until the handle is dropped: every third of `[state]
    /// lease` they are extended to a full lease from then, so work longer than the lease
    /// stays this process's, and a claim runs out only once its holder has died or hung.
    pub fn renew_while_working(&self) -> tokio_util::task::AbortOnDropHandle<()> {
        let this = self.clone();
        let every = (self.config.state.lease.0 / 3).max(std::time::Duration::from_millis(100));
        tokio_util::task::AbortOnDropHandle::new(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let until = this.lease_end(this.clock.now());
                match this.db.call(move |s| s.renew_claims(until)).await {
                    Ok(n) => tracing::debug!(claims = n, "claims renewed"),
                    Err(e) => tracing::warn!(error = %e, "renewing this process's claims failed"),
                }
            }
        }))
    }

    /// `[archive] keep`: drops kept response bytes older than that (never the text).
    pub async fn drop_old_raw(&self) -> Result<usize, WatchError> {
        let Some(keep) = &self.config.archive.keep else {
            return Ok(0);
        };
        let now = self.clock.now();
        let cutoff = now - chrono::Duration::from_std(keep.get_ref().0).unwrap_or_default();
        Ok(self
            .db
            .call(move |s| s.drop_raw_before(cutoff, now))
            .await?)
    }

    /// The store's ids of the configured feeds, once a cycle has synced them.
    pub fn configured_feed_ids(&self) -> Option<Arc<HashSet<i64>>> {
        self.feed_ids.get().map(|(_, set)| set.clone())
    }

    /// Polls the feeds that are due, concurrently; a failing feed is recorded and the
    /// others go on.
    pub async fn poll_feeds(&self, all: bool) -> Result<CycleReport, WatchError> {
        // Once per config: the rows exist and carry the configured names from then on.
        let (ids, _) = self
            .feed_ids
            .get_or_try_init(|| {
                let pairs: Vec<(String, String)> = self
                    .config
                    .feeds
                    .iter()
                    .map(|f| (f.url.get_ref().clone(), f.name.clone()))
                    .collect();
                self.db.call(move |s| {
                    let ids = s.sync_feeds(&pairs)?;
                    let set = Arc::new(ids.iter().copied().collect());
                    Ok((ids, set))
                })
            })
            .await?;
        let now = self.clock.now();
        // Only the due feeds are claimed: one read, instead of a write transaction per
        // configured feed in every cycle.
        let due: HashSet<i64> = if all {
            ids.iter().copied().collect()
        } else {
            self.db
                .call(move |s| s.due_feed_ids(now))
                .await?
                .into_iter()
                .collect()
        };
        let wanted: Vec<(usize, i64)> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| due.contains(id))
            .map(|(i, &id)| (i, id))
            .collect();
        let mut tasks = JoinSet::new();
        let mut report = CycleReport::default();
        // Feeds are claimed only as request places come free, so that another worker
        // finds the feeds this one cannot poll yet unclaimed; the feeds one round of free
        // places takes are claimed together, in one transaction, in config order.
        let limit = self.config.http.max_concurrent.max(1);
        let mut next = 0;
        // The polls that found their feed unchanged are recorded together, a batch at a
        // time, rather than in a write transaction each.
        let mut unchanged = Vec::new();
        let mut failed = None;
        while next < wanted.len() || !tasks.is_empty() {
            let room = limit.saturating_sub(tasks.len());
            if room > 0 && next < wanted.len() {
                let chunk = &wanted[next..(next + room).min(wanted.len())];
                next += chunk.len();
                let claim_ids: Vec<i64> = chunk.iter().map(|&(_, id)| id).collect();
                let until = self.lease_end(self.clock.now());
                let claims = self
                    .db
                    .call(move |s| s.claim_feeds(&claim_ids, now, all, until))
                    .await?;
                for (&(i, id), claim) in chunk.iter().zip(claims) {
                    // Another process polling this feed right now is left to it.
                    let row = match claim {
                        Claim::Won(row) => Some(row),
                        Claim::NotDue => continue,
                        Claim::Busy => {
                            report.feeds_busy += 1;
                            continue;
                        }
                    };
                    let this = self.clone();
                    let Some(feed) = self.config.feeds.get(i).cloned() else {
                        continue;
                    };
                    tasks.spawn(async move { this.poll_feed(&feed, id, row).await });
                }
                continue;
            }
            let Some(done) = tasks.join_next().await else {
                continue;
            };
            match feed_done(done) {
                Ok((r, deferred)) => {
                    report.add(&r);
                    unchanged.extend(deferred);
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            if unchanged.len() >= UNCHANGED_BATCH {
                self.record_unchanged(std::mem::take(&mut unchanged))
                    .await?;
            }
        }
        self.record_unchanged(unchanged).await?;
        match failed {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Records the fetches of feeds that answered 304, in one transaction.
    async fn record_unchanged(&self, fetches: Vec<(i64, FeedFetch)>) -> Result<(), WatchError> {
        if fetches.is_empty() {
            return Ok(());
        }
        Ok(self
            .db
            .call(move |s| s.record_feed_fetches(&fetches))
            .await?)
    }

    /// Polls one feed. A 304 is not recorded here: its fetch is returned, for the cycle
    /// to record with the others (the report counts it already).
    async fn poll_feed(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        row: Option<FeedRow>,
    ) -> Result<FeedPolled, WatchError> {
        let mut report = CycleReport {
            feeds_polled: 1,
            ..Default::default()
        };
        let interval = self.config.feed_interval(feed);
        let validators = row
            .as_ref()
            .map(|r| Validators {
                etag: r.etag.clone(),
                last_modified: r.last_modified.clone(),
            })
            .unwrap_or_default();
        let streak = row.as_ref().map_or(0, |r| r.error_streak);
        let url = Url::parse(feed.url.get_ref())
            .map_err(|e| WatchError::Other(format!("feed {}: {e}", feed.url.get_ref())))?;
        let now = self.clock.now();
        self.sync_hosts().await;
        let result = self.http.get(&url, &validators).await;
        self.sync_hosts().await;
        if let Err(FetchError::Paused { until, .. }) = result {
            // Not this feed's failure: its host asked us to wait, and we did not ask.
            // The feed's own last status and error stay as they were.
            tracing::debug!(feed = %feed.name, %until, "host paused; feed not fetched");
            self.db
                .call(move |s| s.record_feed_paused(feed_id, until, until))
                .await?;
            return Ok((report, None));
        }
        let outcome = match result {
            Ok(Fetched::NotModified) => {
                tracing::debug!(feed = %feed.name, "feed not modified");
                Ok((
                    FeedFetch {
                        at: now,
                        status: "304".into(),
                        error: None,
                        entries: None,
                        etag: None,
                        last_modified: None,
                        paused_until: None,
                        next_due: now
                            + jittered(interval, self.config.schedule.jitter.0, &feed.name),
                    },
                    Vec::new(),
                ))
            }
            Ok(Fetched::Page(page)) => match feed::parse(&page.text(), &page.final_url) {
                Ok(parsed) => {
                    let hint = parsed
                        .ttl
                        .into_iter()
                        .chain(page.fresh_for)
                        .max()
                        .unwrap_or_default()
                        .min(MAX_FEED_HINT);
                    let wait =
                        jittered(interval, self.config.schedule.jitter.0, &feed.name).max(hint);
                    Ok((
                        FeedFetch {
                            at: now,
                            status: page.status.to_string(),
                            error: None,
                            entries: Some(parsed.entries.len() as i64),
                            etag: page.validators.etag.clone(),
                            last_modified: page.validators.last_modified.clone(),
                            paused_until: None,
                            next_due: now + wait,
                        },
                        parsed.entries,
                    ))
                }
                Err(e) => Err((page.status.to_string(), e.to_string(), None)),
            },
            Err(e) => {
                let retry = match &e {
                    FetchError::Status { retry_after, .. } => *retry_after,
                    FetchError::Paused { until, .. } => (*until - now).to_std().ok(),
                    _ => None,
                };
                Err((e.status(), e.to_string(), retry))
            }
        };
        let (fetch, entries) = match outcome {
            Ok(ok) => ok,
            Err((status, error, retry)) => {
                tracing::warn!(feed = %feed.name, url = %url, error = %error, "feed failed; will retry");
                report.feeds_failed = 1;
                let wait = backoff(interval, streak + 1)
                    .max(retry.unwrap_or_default().min(crate::fetch::MAX_PAUSE));
                (
                    FeedFetch {
                        at: now,
                        status,
                        error: Some(error),
                        entries: None,
                        etag: None,
                        last_modified: None,
                        paused_until: self.http.paused_until(url.host_str().unwrap_or("")),
                        next_due: now + wait,
                    },
                    Vec::new(),
                )
            }
        };
        if fetch.status == "304" && fetch.error.is_none() {
            return Ok((report, Some((feed_id, fetch))));
        }
        self.observe_entries(&entries);
        for entry in &entries {
            if self.track_entry(feed, feed_id, entry, now).await? {
                report.new_articles += 1;
            }
        }
        if fetch.entries.is_some() {
            self.mark_in_feed(feed_id, &entries).await?;
        }
        self.db
            .call(move |s| s.record_feed_fetch(feed_id, &fetch))
            .await?;
        Ok((report, None))
    }

    /// The query topics of this feed that an entry matches (`like` topics are matched
    /// by `like_matches`).
    pub fn matching_topics(&self, feed: &FeedConfig, entry: &Entry) -> Vec<String> {
        let text = MatchText::new(&entry.match_text());
        self.config
            .queries()
            .iter()
            .filter(|(name, q)| {
                feed.reaches(name)
                    && self.config.like_topic(name).is_none()
                    && q.as_ref().is_some_and(|q| q.matches(&text))
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Tracks an entry when it matches a topic; returns whether it is a new article.
    async fn track_entry(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        entry: &Entry,
        now: DateTime<Utc>,
    ) -> Result<bool, WatchError> {
        let mut topics = self.matching_topics(feed, entry);
        let covered = self.like_matches(feed, entry).await;
        topics.extend(covered.iter().map(|c| c.topic.clone()));
        if topics.is_empty() {
            return Ok(false);
        }
        let (Some(link), Some(key)) = (entry.link.clone(), entry.key()) else {
            tracing::debug!(feed = %feed.name, title = %entry.title, "matching entry has no link");
            return Ok(false);
        };
        let new = NewArticle {
            key: key.to_string(),
            url: link,
            title: entry.title.clone(),
            feed_id: Some(feed_id),
            topics,
            now,
        };
        let up = self
            .db
            .call(move |s| {
                let up = s.upsert_entry(&new)?;
                s.record_coverage(up.id, &covered, now)?;
                Ok(up)
            })
            .await?;
        if up.created {
            tracing::info!(article = up.id, title = %entry.title, "tracking a new article");
        }
        if let (Some(from), Some(to)) = (&up.moved_from, &entry.link) {
            tracing::info!(article = up.id, from = %from, to = %to, "the feed links the article at a new address; following it");
        }
        Ok(up.created)
    }

    /// The end of a claim taken at `now` (`[state] lease`).
    fn lease_end(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.config.state.lease.0)
            .unwrap_or_else(|_| chrono::Duration::minutes(2))
    }

    /// Checks the articles that are due (every active one with `all`), concurrently;
    /// those another process is checking are left to it.
    ///
    /// The due articles are claimed a batch at a time ([`CLAIM_BATCH`] × `[http]
    /// max_concurrent`), and the next batch as soon as the claimed ones have all started
    /// and a place is free: several workers on one database share a backlog instead of
    /// the first one claiming all of it. A process holds at most one batch of claims
    /// (checks in flight and claimed ones waiting), which is what a worker that dies
    /// leaves to the others. `all` ("check now") claims every active article at once.
    ///
    /// A round's work is what was due when it started; but each batch first takes the
    /// revisits of known articles due by then (see [`Store::claim_due_articles_at`]), so
    /// that a round working through a burst of new articles does not leave the revisits
    /// falling due meanwhile until it is over. An article checked early in the round
    /// whose next revisit falls due before the round ends is checked again.
    ///
    /// [`Store::claim_due_articles_at`]: crate::store::Store::claim_due_articles_at
    pub async fn check_articles(&self, all: bool) -> Result<CycleReport, WatchError> {
        let now = self.clock.now();
        // No check of this process is in flight between rounds: a claim it still holds
        // was left by an interrupted round, and goes back to everyone.
        self.db.call(|s| s.release_article_claims()).await?;
        let mut tasks = JoinSet::new();
        let mut report = CycleReport::default();
        // No more checks in flight than requests: a page fetched faster than it can be
        // extracted would otherwise wait in memory, and a cycle of thousands would hold
        // them all.
        let limit = self.config.http.max_concurrent.max(1);
        let batch = if all {
            usize::MAX
        } else {
            limit.saturating_mul(CLAIM_BATCH)
        };
        let mut claimed: std::collections::VecDeque<ArticleRow> = Default::default();
        // Articles started in this round, and when: one claimed again whose due time
        // its check here did not move past that (its check lost a compare-and-set twice
        // and left it due) is not checked twice; one whose next revisit fell due while
        // the round went on is checked again.
        let mut started: HashMap<i64, DateTime<Utc>> = HashMap::new();
        // Checks that found the page unchanged (304), recorded together.
        let mut unchanged = Vec::new();
        let mut more = true;
        loop {
            if claimed.is_empty() && more && tasks.len() < limit {
                let want = batch - tasks.len();
                let at = self.clock.now();
                let until = self.lease_end(at);
                let (due, busy) = self
                    .db
                    .call(move |s| s.claim_due_articles_at(now, at, all, until, want))
                    .await?;
                report.articles_busy = report.articles_busy.max(busy);
                let (fresh, again): (Vec<ArticleRow>, Vec<ArticleRow>) = due
                    .into_iter()
                    .partition(|a| check_in_round(started.get(&a.id).copied(), a.next_check));
                if !again.is_empty() {
                    // Checked in this round already and left due (a check decided
                    // twice): not checked twice in one round, and not held either, so
                    // this process never holds more than its batch.
                    let ids: Vec<i64> = again.iter().map(|a| a.id).collect();
                    self.db.call(move |s| s.release_articles(&ids)).await?;
                }
                // The revisits that fell due since the round started come first in
                // each batch; the round goes on while its own work (what was due when
                // it started) is left.
                more = !all && round_work_left(fresh.iter().map(|a| a.next_check), now);
                claimed.extend(fresh);
            }
            if tasks.len() < limit
                && let Some(article) = claimed.pop_front()
            {
                started.insert(article.id, self.clock.now());
                let this = self.clone();
                tasks.spawn(async move { this.check_article_deferring(article, true).await });
                continue;
            }
            match tasks.join_next().await {
                Some(done) => {
                    let (r, deferred) = article_done(done)?;
                    report.add(&r);
                    unchanged.extend(deferred);
                    if unchanged.len() >= UNCHANGED_BATCH {
                        self.record_unchanged_checks(std::mem::take(&mut unchanged))
                            .await?;
                    }
                }
                None if claimed.is_empty() && !more => break,
                None => {}
            }
        }
        self.record_unchanged_checks(unchanged).await?;
        // Claims taken again on articles already checked in this round go back.
        self.db.call(|s| s.release_article_claims()).await?;
        Ok(report)
    }

    /// Records the checks of articles whose page answered 304, in one transaction. Each
    /// is still a compare-and-set: one another process recorded a version of meanwhile
    /// is left as that process wrote it (its claim released), as in [`Store::record_check`].
    ///
    /// [`Store::record_check`]: crate::store::Store::record_check
    async fn record_unchanged_checks(&self, updates: Vec<CheckUpdate>) -> Result<(), WatchError> {
        if updates.is_empty() {
            return Ok(());
        }
        let recorded = self.db.call(move |s| s.record_checks(&updates)).await?;
        let stale = recorded.iter().filter(|r| r.stale).count();
        if stale > 0 {
            tracing::debug!(stale, "another process recorded these checks first");
        }
        Ok(())
    }

    /// Fetches and extracts one article's page as it is now: its copy, validators and
    /// a hash of the page (see [`page_hash`]).
    pub async fn fetch_copy(
        &self,
        url: &str,
        feed: Option<&str>,
        validators: &Validators,
    ) -> Result<Option<(Copy, Validators)>, CheckError> {
        let page = self.fetch_page(url, feed, validators).await;
        self.slots.settle().await;
        let page = page?;
        Ok(page.map(|p| (p.copy, p.validators)))
    }

    /// Fetches and extracts one article's page as it is now, with where it was found
    /// (after redirects), the canonical address it declares, and a hash of the page (see
    /// [`page_hash`]).
    pub async fn fetch_page(
        &self,
        url: &str,
        feed: Option<&str>,
        validators: &Validators,
    ) -> Result<Option<PageFetch>, CheckError> {
        let Some((page, learned, _)) = self
            .fetch_page_reading(url, feed, validators, |_| Ok(()))
            .await?
        else {
            return Ok(None);
        };
        self.db
            .call(move |s| {
                s.learn_template(&learned.host, &learned.url, &learned.shapes, learned.at)
            })
            .await
            .map_err(|e| CheckError::Template(e.to_string()))?;
        Ok(Some(page))
    }

    /// [`Watcher::fetch_page`], with `read` run in the same store call as the read of the
    /// site's template, once the page has come (a 304 reads nothing), and what the page
    /// teaches the template returned rather than written: a check writes it with its
    /// record, in one call. `read`'s own error comes back beside the page: it is the
    /// caller's to handle, as a failed read of the template is the check's.
    async fn fetch_page_reading<R, F>(
        &self,
        url: &str,
        feed: Option<&str>,
        validators: &Validators,
        read: F,
    ) -> Result<Option<(PageFetch, Learned, Result<R, StoreError>)>, CheckError>
    where
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let url = Url::parse(url).map_err(|e| CheckError::Fetch(format!("bad URL {url}: {e}")))?;
        self.sync_hosts().await;
        let fetched = self.http.get_public(&url, validators).await;
        self.sync_hosts().await;
        let page = match fetched {
            Ok(Fetched::NotModified) => return Ok(None),
            Ok(Fetched::Page(p)) => p,
            Err(FetchError::Status {
                code: 404 | 410, ..
            }) => return Err(CheckError::Gone),
            Err(e) => return Err(CheckError::Fetch(e.to_string())),
        };
        // A story redirected for good to the home page or a section is gone.
        if page.moved_permanently()
            && feed::article_like(&url)
            && !feed::article_like(&page.final_url)
        {
            return Err(CheckError::Gone);
        }
        // The site's template, learned from its other articles; updated from this one.
        let host = page.final_url.host_str().unwrap_or_default().to_string();
        let (h, u) = (host.clone(), url.to_string());
        let (keys, read) = self
            .db
            .call(move |s| {
                let keys = s.template_keys(&h, &u, TEMPLATE_ARTICLES);
                let read = read(s);
                Ok((keys, read))
            })
            .await
            .map_err(|e| CheckError::Template(e.to_string()))?;
        let keys = keys.map_err(|e| CheckError::Template(e.to_string()))?;
        let opts = extract::Options {
            drop: feed
                .and_then(|f| self.config.feed_rules(f))
                .map(|r| r.drop.clone())
                .unwrap_or_default(),
            url: Some(page.final_url.to_string()),
            template: extract::Template::from_keys(keys),
        };
        let html = cpu::measure(Stage::Decode, || page.text());
        let extract::Extracted {
            copy,
            provenance,
            shapes,
        } = cpu::measure(Stage::Extract, || extract::extract_page(&html, &opts))
            .map_err(|e| CheckError::Extract(e.to_string()))?;
        let learned = Learned {
            host,
            url: url.to_string(),
            shapes,
            at: self.clock.now(),
        };
        let raw = self.config.archive.raw.then(|| crate::archive::RawPage {
            url: page.final_url.to_string(),
            status: page.status,
            headers: page.headers.clone(),
            body: page.bytes.clone(),
            fetched_at: self.clock.now(),
        });
        let fetched = PageFetch {
            raw,
            canonical: feed::declared_canonical(&html, &page.final_url),
            final_url: feed::canonical_url(page.final_url.as_str(), None)
                .unwrap_or_else(|| page.final_url.to_string()),
            moved_permanently: page.moved_permanently(),
            copy,
            provenance,
            validators: page.validators,
            page_hash: page_hash(&html),
        };
        Ok(Some((fetched, learned, read)))
    }

    /// Targets for an article's alerts: each of its topics' email recipients, once, and
    /// the webhooks that take one of its topics. With `labels`, only the topics whose
    /// `alert_on` takes one of them count.
    fn recipients(&self, article: &ArticleRow, labels: Option<&Labels>) -> Vec<Target> {
        let alerting: Vec<&str> = article
            .topics
            .iter()
            .filter(|t| labels.is_none_or(|l| self.config.alerts_on(t, l)))
            .map(String::as_str)
            .collect();
        let hooks = self
            .config
            .webhooks_for((!article.topics.is_empty()).then_some(alerting.as_slice()));
        self.email_recipients(article, labels)
            .into_iter()
            .map(Target::email)
            .chain(hooks.into_iter().map(Target::webhook))
            .collect()
    }

    /// Email recipients for an article's alerts: each of its topics' recipients, once.
    fn email_recipients(&self, article: &ArticleRow, labels: Option<&Labels>) -> Vec<String> {
        let mut all: Vec<String> = if article.topics.is_empty() {
            self.config
                .email
                .to
                .iter()
                .map(|t| t.get_ref().clone())
                .collect()
        } else {
            article
                .topics
                .iter()
                .filter(|t| labels.is_none_or(|l| self.config.alerts_on(t, l)))
                .flat_map(|t| self.config.recipients(t))
                .collect()
        };
        all.sort();
        all.dedup();
        all
    }

    /// Checks one article: fetch, extract, compare with the last version, record.
    pub async fn check_article(&self, article: ArticleRow) -> Result<CycleReport, WatchError> {
        Ok(self.check_article_deferring(article, false).await?.0)
    }

    /// [`Watcher::check_article`]; with `defer`, a check that found the page unchanged
    /// (304) is not recorded but returned, for the cycle to record with the others.
    async fn check_article_deferring(
        &self,
        article: ArticleRow,
        defer: bool,
    ) -> Result<ArticleChecked, WatchError> {
        let mut report = CycleReport {
            articles_checked: 1,
            ..Default::default()
        };
        let now = self.clock.now();
        // Without a stored version a 304 would leave us with nothing to compare. The
        // versions themselves are read only once the page turns out to have changed: most
        // checks end in a 304 and need none of them.
        let validators = if article.latest_version.is_some() {
            Validators {
                etag: article.etag.clone(),
                last_modified: article.last_modified.clone(),
            }
        } else {
            Validators::default()
        };
        let ladder = Ladder::new(&self.config);
        let mut update = CheckUpdate {
            based_on: article.latest_version,
            revisit_step: article.revisit_step,
            ladder_start: article.ladder_start,
            ..CheckUpdate::new(article.id, now)
        };
        // Once the page has come, what the decision needs (the latest version, those
        // within the flip-flop window, the coverage a first version alerts on) is read in
        // the same store call as the site's template.
        let (id, window) = (article.id, self.config.schedule.flip_flop.0);
        let since = now - chrono::Duration::from_std(window).unwrap_or_default();
        let fetched = self
            .fetch_page_reading(
                &article.url,
                article.feed.as_deref(),
                &validators,
                move |s| {
                    let (latest, recent) = previous_in(s, id, window, since)?;
                    let covered = if latest.is_none() {
                        s.coverage_of(id)?
                    } else {
                        Vec::new()
                    };
                    Ok((latest, recent, covered))
                },
            )
            .await;
        let mut fresh = None;
        let mut first = article.latest_version.is_none();
        // What the page teaches its site's template, written with the check's record.
        let mut learned = None;
        let mut covered = None;
        match fetched {
            // Unchanged: nothing to compare, nothing to alert; only the schedule moves.
            Ok(None) if defer => {
                ladder.advance(&mut update, now);
                return Ok((report, Some(update)));
            }
            Ok(None) => ladder.advance(&mut update, now),
            Ok(Some((page, lesson, read))) => {
                let (latest, recent, coverage) = match read {
                    Ok(read) => read,
                    Err(e) => {
                        // Learned from all the same, as before the decision's read.
                        self.learn(lesson).await?;
                        return Err(e.into());
                    }
                };
                if self.join_copy(&article, &page, now).await? {
                    self.learn(lesson).await?;
                    return Ok((report, None));
                }
                learned = Some(lesson);
                covered = Some(coverage);
                // What this check is decided against; a version another process recorded
                // since the claim is caught by `record_check` all the same.
                update.based_on = latest.as_ref().map(|v| v.number);
                first = latest.is_none();
                update.address = self.address_check(&article, &page);
                // Evidence, written only if this check records a version.
                update.raw = page.raw;
                if self.config.archive.submit.is_some() {
                    update.submit = Some(page.final_url.clone());
                }
                update.etag = page.validators.etag;
                update.last_modified = page.validators.last_modified;
                let page_changed = article
                    .page_hash
                    .as_ref()
                    .is_some_and(|h| *h != page.page_hash);
                update.page_hash = Some(page.page_hash);
                let extracted = Extracted {
                    copy: page.copy,
                    provenance: page.provenance,
                    // Already learned from, in `fetch_page`.
                    shapes: Vec::new(),
                };
                fresh = Some((extracted.clone(), page_changed, update.clone()));
                self.compare(
                    &article,
                    latest,
                    &recent,
                    extracted,
                    page_changed,
                    &mut update,
                    now,
                );
            }
            Err(CheckError::Gone) => {
                self.gone(&article, !first, &mut update, &mut report, now);
            }
            Err(e) => {
                tracing::warn!(article = article.id, url = %article.url, error = %e, "article check failed; will retry");
                report.article_errors = 1;
                update.error = Some(e.to_string());
                update.suspect_at = article.suspect_at;
                update.address.gone_at = article.gone_at;
                ladder.retry(&mut update, now);
            }
        }
        match covered {
            Some(covered) => self.coverage_alert_with(&article, first, &mut update, &covered),
            None => self.coverage_alert(&article, first, &mut update).await?,
        }
        let mut recorded = self
            .db
            .call(move |s| s.record_page_check(learned.as_ref(), &update))
            .await?;
        if recorded.stale
            && let Some((page, page_changed, mut update)) = fresh
        {
            // Another process recorded a version of this article while we fetched it:
            // decide once more against that version. Losing again means yet another
            // process is on it, and our copy adds nothing to what they record.
            let id = article.id;
            let (article, (latest, recent)) = match self.db.call(move |s| s.article(id)).await? {
                Some(a) => (a, self.previous(id, now).await?),
                None => return Ok((report, None)),
            };
            update.based_on = latest.as_ref().map(|v| v.number);
            let first = latest.is_none();
            self.compare(
                &article,
                latest,
                &recent,
                page,
                page_changed,
                &mut update,
                now,
            );
            self.coverage_alert(&article, first, &mut update).await?;
            recorded = self.db.call(move |s| s.record_check(&update)).await?;
        }
        if recorded.stale {
            tracing::debug!(
                article = article.id,
                "another process recorded this check first"
            );
        }
        report.versions = usize::from(recorded.version.is_some());
        report.alerts = usize::from(recorded.alert.is_some());
        if recorded.version.is_some() || recorded.alert.is_some() {
            self.recorded.notify_one();
        }
        Ok((report, None))
    }

    /// An article's latest version and those within the flip-flop window before `now`.
    async fn previous(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(Option<VersionRow>, Vec<VersionRow>), WatchError> {
        let window = self.config.schedule.flip_flop.0;
        let since = now - chrono::Duration::from_std(window).unwrap_or_default();
        Ok(self
            .db
            .call(move |s| previous_in(s, id, window, since))
            .await?)
    }

    /// Writes what a page taught its site's template, apart from a check's record.
    async fn learn(&self, l: Learned) -> Result<(), WatchError> {
        self.db
            .call(move |s| s.learn_template(&l.host, &l.url, &l.shapes, l.at))
            .await?;
        Ok(())
    }

    /// Decides what a fresh copy is (see [`decide`]) and fills in what to record.
    #[allow(clippy::too_many_arguments)]
    fn compare(
        &self,
        article: &ArticleRow,
        latest: Option<VersionRow>,
        recent: &[VersionRow],
        page: Extracted,
        page_changed: bool,
        u: &mut CheckUpdate,
        now: DateTime<Utc>,
    ) {
        let Extracted {
            copy, provenance, ..
        } = page;
        let ladder = Ladder::new(&self.config);
        if !copy.headline.is_empty() {
            u.title = Some(copy.headline.clone());
        }
        let patterns: &[regex::Regex] = article
            .feed
            .as_deref()
            .and_then(|f| self.config.feed_rules(f))
            .map_or(&[], |r| r.ignore.as_slice());
        let decision = cpu::measure(Stage::Diff, || {
            decide(&Check {
                latest: latest.as_ref(),
                recent,
                new: &copy,
                new_places: &provenance.places,
                ignore: patterns,
                extractor: extract::EXTRACTOR,
            })
        });
        let quiet = |outcome: Quiet, detail: &str| QuietCheck {
            time: now,
            outcome,
            detail: Some(detail.to_string()),
        };
        let version = |diff: Option<CopyDiff>, note: Option<String>| NewVersion {
            copy: copy.clone(),
            extractor: extract::EXTRACTOR.into(),
            words_added: diff.as_ref().map_or(0, |d| d.words_added as i64),
            words_removed: diff.as_ref().map_or(0, |d| d.words_removed as i64),
            note,
            labels: diff.as_ref().map(|d| d.labels.clone()).unwrap_or_default(),
            diff,
            provenance: provenance.clone(),
        };
        match decision {
            Decision::Baseline => {
                u.version = Some(version(None, Some("baseline".into())));
                ladder.restart(u, now);
            }
            Decision::Same => {
                if page_changed {
                    u.quiet = Some(quiet(
                        Quiet::FurnitureOnly,
                        "the page changed outside the article text",
                    ));
                }
                ladder.advance(u, now);
            }
            Decision::Cosmetic => {
                u.quiet = Some(quiet(
                    Quiet::Cosmetic,
                    "only whitespace or invisible characters changed",
                ));
                ladder.advance(u, now);
            }
            Decision::FurnitureOnly { reason } => {
                u.quiet = Some(quiet(Quiet::FurnitureOnly, &reason));
                ladder.advance(u, now);
            }
            // Most of the text gone at once is a paywall, error page or consent wall, not
            // an edit: confirm with a second fetch, then record it as an extraction
            // failure.
            Decision::Suspect { old_len, new_len } => {
                if article.suspect_at.is_some() {
                    u.error = Some(format!(
                        "extraction failure: the text shrank from {old_len} to {new_len} characters (paywall, error or consent page?); no alert"
                    ));
                    u.suspect_at = article.suspect_at;
                    u.quiet = Some(quiet(
                        Quiet::Shrink,
                        &format!("confirmed: {old_len} → {new_len} characters; no alert"),
                    ));
                    ladder.advance(u, now);
                } else {
                    u.suspect_at = Some(now);
                    u.next_check = Some(now + CONFIRM_AFTER);
                    u.quiet = Some(quiet(
                        Quiet::Shrink,
                        &format!("{old_len} → {new_len} characters; checking again"),
                    ));
                }
            }
            // An upgraded extractor sees the same page differently: re-baseline quietly.
            Decision::Rebaseline { from, diff } => {
                let note = format!("re-baselined: extractor {from} → {}", extract::EXTRACTOR);
                u.version = Some(version(Some(diff), Some(note)));
                ladder.advance(u, now);
            }
            // A → B → A: record the return, but the reader has seen this text already.
            Decision::FlipFlop {
                version: same,
                diff,
            } => {
                let note = format!("flip-flop: same text as version {same}");
                u.version = Some(version(Some(diff), Some(note)));
                ladder.advance(u, now);
            }
            Decision::Changed { diff, mut labels } => {
                // The story reached at a new address (a new slug under its guid, or a
                // permanent redirect in this check).
                if article.moved_from.is_some() || u.address.moved_to.is_some() {
                    labels.insert(Label::Url);
                }
                // What the page said about itself: an edit with no declared update and no
                // correction note is undisclosed.
                if let Some(prev) = latest.as_ref() {
                    let d = assess_disclosure(&prev.copy, &prev.provenance, &copy, &provenance);
                    if d.undisclosed() {
                        labels.insert(Label::Undisclosed);
                    }
                    if d.correction {
                        labels.insert(Label::Correction);
                    }
                }
                let wanted = article.topics.is_empty()
                    || article
                        .topics
                        .iter()
                        .any(|t| self.config.alerts_on(t, &labels));
                let mut v = version(Some(diff), None);
                if wanted {
                    u.alert = Some((AlertKind::Reworded, self.recipients(article, Some(&labels))));
                } else {
                    v.note = Some(format!("not in alert_on: {labels}"));
                }
                v.labels = labels;
                u.version = Some(v);
                ladder.restart(u, now);
            }
        }
    }
}

/// Whether a round checks an article it claimed: yes unless the round started a check
/// of it already (at `started`) that did not move its due time past that start (a
/// check decided twice, left due); an article whose next revisit fell due since its
/// check in this round is checked again.
fn check_in_round(started: Option<DateTime<Utc>>, next_check: Option<DateTime<Utc>>) -> bool {
    started.is_none_or(|t| next_check.is_some_and(|due| due > t))
}

/// Whether a round that started at `start` has work of its own left, going by the due
/// times of the batch it just claimed: a batch with nothing that was due at the start
/// held only revisits that fell due since, so what was due at the start is all claimed.
fn round_work_left(
    batch: impl IntoIterator<Item = Option<DateTime<Utc>>>,
    start: DateTime<Utc>,
) -> bool {
    batch
        .into_iter()
        .any(|due| due.is_none_or(|due| due <= start))
}

/// A hash of a fetched page, to tell a page that changed from one that did not: a
/// change of the page that leaves the extracted text alone is shown in `history` as
/// "furniture only". (The hash is only compared with the previous one, so its exact
/// function may change between releases at the cost of one such line.)
pub fn page_hash(html: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    html.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// An article's latest version and those recorded since `since` (none when the
/// flip-flop `window` is zero), read in the caller's store call.
fn previous_in(
    s: &mut Store,
    id: i64,
    window: Duration,
    since: DateTime<Utc>,
) -> Result<(Option<VersionRow>, Vec<VersionRow>), StoreError> {
    let recent = if window.is_zero() {
        Vec::new()
    } else {
        s.versions_since(id, since)?
    };
    Ok((s.latest_version(id)?, recent))
}

/// Why one article's check failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CheckError {
    #[error("the page is gone (404/410)")]
    Gone,
    #[error("fetch failed: {0}")]
    Fetch(String),
    #[error("extraction failed: {0}")]
    Extract(String),
    #[error("the site template could not be read or saved: {0}")]
    Template(String),
}
