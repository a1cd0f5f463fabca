//! Commands that do something: `run`, `poll`, `check`, `track`, `test-email`,
//! `test-webhook`, `extract`, and `replay --email`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;

use super::{Ctx, UsageError, emit, emit_json};
use crate::alert::{Webhooks, webhook};
use crate::config::{Config, Transport};
use crate::extract;
use crate::feed::canonical_url;
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::store::{AlertRow, Db, NewArticle, NewVersion};
use crate::text::Copy;
use crate::watch::{CycleReport, Watcher};

pub async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let config = ctx.config()?;
    // The service signs what it sends: an unset secret variable is a config error now,
    // not a queue of unsendable webhooks later.
    Webhooks::from_config(&config)?;
    crate::daemon::run_with_signals(ctx.config_path.clone(), config).await
}

pub async fn poll(ctx: &Ctx, all: bool, json: bool) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let hooks = Webhooks::from_config(&config)?;
    let db = ctx.db(&config).await?;
    let watcher = Watcher::new(config.clone(), db.clone())?;
    let renewal = watcher.renew_while_working();
    let report = watcher.cycle(all).await?;
    // Archive first, so that an alert sent now can carry its snapshot link.
    let archive =
        crate::archive::submit_due(&config, &db, &watcher.http, watcher.clock.now()).await?;
    let mail = crate::alert::deliver_due(&config, &db, watcher.clock.now()).await?;
    let webhooks = crate::alert::webhook::deliver_due_until(
        &config,
        &db,
        &watcher.http,
        Ok(&hooks),
        watcher.clock.now(),
        &Default::default(),
    )
    .await?;
    drop(renewal);
    if json {
        return emit_json(&serde_json::json!({
            "cycle": report,
            "mail": mail,
            "webhooks": webhooks,
            "archive": archive,
            "cpu_seconds": cpu_seconds(),
        }));
    }
    let mut out = format!(
        "polled {} feed{} ({} failed), {} new article{}; checked {} article{} ({} failed): {} new version{}, {} alert{}; mail: {} sent, {} queued, {} failed\n",
        report.feeds_polled,
        plural(report.feeds_polled),
        report.feeds_failed,
        report.new_articles,
        plural(report.new_articles),
        report.articles_checked,
        plural(report.articles_checked),
        report.article_errors,
        report.versions,
        plural(report.versions),
        report.alerts,
        plural(report.alerts),
        mail.sent,
        mail.queued,
        mail.failed,
    );
    if !config.webhooks.is_empty() {
        out.push_str(&format!(
            "webhooks: {} sent, {} queued, {} failed\n",
            webhooks.sent, webhooks.queued, webhooks.failed
        ));
    }
    out.push_str(&busy_note(&report));
    if archive.attempted > 0 {
        out.push_str(&format!(
            "archive: {} snapshot{} taken, {} given up{}\n",
            archive.archived,
            plural(archive.archived),
            archive.given_up,
            if archive.paused {
                "; the endpoint asked us to wait"
            } else {
                ""
            }
        ));
    }
    emit(&out)
}

/// The line `poll` adds when another redline process (the service, say) was already
/// polling some of the feeds or checking some of the articles.
fn busy_note(report: &CycleReport) -> String {
    let mut parts = Vec::new();
    if report.feeds_busy > 0 {
        parts.push(format!(
            "{} feed{}",
            report.feeds_busy,
            plural(report.feeds_busy)
        ));
    }
    if report.articles_busy > 0 {
        parts.push(format!(
            "{} article{}",
            report.articles_busy,
            plural(report.articles_busy)
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "left {} to another redline process that was already on {}\n",
        parts.join(" and "),
        if report.feeds_busy + report.articles_busy == 1 {
            "it"
        } else {
            "them"
        }
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn check(ctx: &Ctx) -> anyhow::Result<()> {
    let config = ctx.config()?;
    // `check` vouches for the config `run` will load, secrets included.
    Webhooks::from_config(&config)?;
    emit(&describe(&config))
}

/// What `redline check` prints: what the config would watch, and where things go.
fn describe(config: &Config) -> String {
    let mut out = format!("{}: ok\n\n", config.path.display());
    out.push_str(&format!("state:  {}\n", config.db_path().display()));
    let to: Vec<&str> = config
        .email
        .to
        .iter()
        .map(|t| t.get_ref().as_str())
        .collect();
    let transport = match config.email.transport {
        Transport::File => format!("file ({})", config.mail_dir().display()),
        Transport::Sendmail => format!("sendmail ({})", config.email.sendmail_command),
        Transport::Smtp => config.email.smtp.as_ref().map_or_else(
            || "smtp".to_string(),
            |s| format!("smtp ({}:{}, {:?})", s.host, s.port(), s.tls).to_lowercase(),
        ),
    };
    out.push_str(&format!(
        "email:  {} → {}{}\n",
        transport,
        if to.is_empty() {
            "(no recipients)".to_string()
        } else {
            to.join(", ")
        },
        config
            .email
            .digest
            .map(|d| format!(", digest every {}", humanize(d.0)))
            .unwrap_or_default()
    ));
    for h in &config.webhooks {
        out.push_str(&format!(
            "webhook: {} <{}>: {}{}, {}\n",
            h.name.get_ref(),
            webhook::shown_url(h.url.get_ref()),
            h.format.as_str(),
            if h.secret_env.is_some() {
                ", signed"
            } else {
                ""
            },
            topic_list(h.topics.as_ref())
        ));
    }
    out.push_str(&format!(
        "revisit: {} then every {} until {} after the last change\n\n",
        config
            .schedule
            .revisit
            .iter()
            .map(|d| humanize(d.0))
            .collect::<Vec<_>>()
            .join(", "),
        config
            .schedule
            .revisit
            .last()
            .map_or_else(String::new, |d| humanize(d.0)),
        humanize(config.schedule.stop_after.0)
    ));
    out.push_str(&format!("topics ({}):\n", config.topics.len()));
    for (t, (_, q)) in config.topics.iter().zip(config.queries()) {
        match &q {
            Some(q) => out.push_str(&format!("  {}: {}\n", t.name.get_ref(), q)),
            None => out.push_str(&format!("  {}:\n", t.name.get_ref())),
        }
        if let Some(like) = config.like_topic(t.name.get_ref()) {
            let names: Vec<&str> = like.copies.iter().map(|c| c.name.as_str()).collect();
            out.push_str(&format!(
                "    like: {} (similarity {})\n",
                names.join(", "),
                like.similarity
            ));
        }
        if let Some(n) = &t.notify {
            out.push_str(&format!("    notify: {}\n", n.join(", ")));
        }
    }
    out.push_str(&format!("\nfeeds ({}):\n", config.feeds.len()));
    for f in &config.feeds {
        let topics = topic_list(f.topics.as_ref());
        out.push_str(&format!(
            "  {} <{}>: every {}, {}\n",
            f.name,
            f.url.get_ref(),
            humanize(config.feed_interval(f)),
            topics
        ));
    }
    out
}

/// A duration the way the config writes it: `90s`, `10m`, `6h`, `2d`.
pub fn humanize(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

pub async fn track(
    ctx: &Ctx,
    url: &str,
    file: Option<&Path>,
    topics: Vec<String>,
    headline: Option<String>,
) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let canonical = canonical_url(url, None)
        .ok_or_else(|| UsageError(format!("{url:?} is not an http(s) URL")))?;
    for t in &topics {
        if !config.topics.iter().any(|c| c.name.get_ref() == t) {
            return Err(UsageError(format!(
                "no topic {t:?} in {} (see `redline check`)",
                config.path.display()
            ))
            .into());
        }
    }
    let db = ctx.db(&config).await?;
    let watcher = Watcher::new(config.clone(), db.clone())?;
    let baseline = match file {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the stored copy {}", path.display()))?;
            let mut copy = Copy::parse(&text);
            if copy.paragraphs.is_empty() {
                anyhow::bail!("{} holds no text", path.display());
            }
            if copy.headline.is_empty() {
                copy.headline = match headline {
                    Some(h) => crate::text::normalize(&h),
                    // The copy has no headline: take the page's as it stands now, so the
                    // first change shows only what changed.
                    None => match watcher
                        .fetch_copy(&canonical, None, &Validators::default())
                        .await
                    {
                        Ok(Some((page, _))) => page.headline,
                        Ok(None) | Err(_) => String::new(),
                    },
                };
            }
            Some(NewVersion {
                copy,
                extractor: extract::EXTRACTOR.into(),
                words_added: 0,
                words_removed: 0,
                note: Some(format!("baseline from {}", path.display())),
                labels: Default::default(),
                diff: None,
                provenance: Default::default(),
            })
        }
    };
    let new = NewArticle {
        key: canonical.clone(),
        url: canonical.clone(),
        title: baseline
            .as_ref()
            .map(|b| b.copy.headline.clone())
            .unwrap_or_default(),
        feed_id: None,
        topics,
        now: Utc::now(),
    };
    let key = canonical.clone();
    let existing = db
        .call(move |s| {
            Ok(match s.find_article(&key, &key)? {
                Some(id) => Some((id, s.versions(id)?.len())),
                None => None,
            })
        })
        .await?;
    if let (Some((id, n)), Some(_)) = (existing, &baseline)
        && n > 0
    {
        anyhow::bail!(
            "{canonical} is already tracked as article {id} with {n} version(s); a baseline can only start a new article"
        );
    }
    let (id, _) = db.call(move |s| s.track(&new, baseline.as_ref())).await?;
    let article = db
        .call(move |s| s.article(id))
        .await?
        .context("the article vanished")?;
    if article.versions == 0 {
        let report = watcher.check_article(article.clone()).await?;
        if report.article_errors > 0 {
            let a = db.call(move |s| s.article(id)).await?;
            anyhow::bail!(
                "tracking article {id}, but its first fetch failed: {} (it will be retried)",
                a.and_then(|a| a.last_error).unwrap_or_default()
            );
        }
    }
    let key = canonical.clone();
    let article = db
        .call(move |s| match s.article(id)? {
            Some(a) => Ok(Some(a)),
            // A copy (its canonical link names a tracked article) was joined to that one.
            None => match s.find_article(&key, &key)? {
                Some(joined) => s.article(joined),
                None => Ok(None),
            },
        })
        .await?
        .context("the article vanished")?;
    emit(&format!(
        "tracking article {}: {}\n{}\n{} version{} stored\n",
        article.id,
        article.title,
        article.url,
        article.versions,
        plural(article.versions as usize)
    ))
}

pub async fn extract(ctx: &Ctx, source: &str) -> anyhow::Result<()> {
    let is_url = source.starts_with("http://") || source.starts_with("https://");
    let (html, url) = if is_url {
        let config = ctx.config().ok();
        let http = config.as_ref().map(|c| c.http.clone()).unwrap_or_default();
        let fetcher = Fetcher::new(&http, crate::clock::Clock::new(), Default::default())?;
        let url = url::Url::parse(source).map_err(|e| UsageError(format!("{source}: {e}")))?;
        match fetcher.get(&url, &Validators::default()).await? {
            Fetched::Page(p) => (p.text(), Some(p.final_url.to_string())),
            Fetched::NotModified => anyhow::bail!("{source} answered 304 to an unconditional GET"),
        }
    } else {
        let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
        (crate::charset::decode(&bytes, None).0, None)
    };
    let copy = extract::extract(
        &html,
        &extract::Options {
            drop: extract::Selectors::default(),
            url,
            ..extract::Options::default()
        },
    )?;
    emit(&copy.to_string())
}

pub async fn test_email(ctx: &Ctx, to: Option<&str>) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let answer = crate::alert::test_email(&config, to).await?;
    emit(&format!("sent; the server answered: {answer}\n"))
}

/// `test-webhook NAME`: sends a test document to one webhook now, outside the outbox.
pub async fn test_webhook(ctx: &Ctx, name: &str) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let hooks = Webhooks::from_config(&config)?;
    let Some(hook) = hooks.get(name) else {
        let known: Vec<&str> = config
            .webhooks
            .iter()
            .map(|h| h.name.get_ref().as_str())
            .collect();
        return Err(UsageError(format!(
            "no [[webhook]] is named {name:?} in {} (configured: {})",
            config.path.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
        .into());
    };
    let http = Fetcher::new(&config.http, crate::clock::Clock::new(), Default::default())?;
    let report = webhook::test_webhook(&http, hook, Utc::now()).await;
    match report.outcome {
        webhook::Outcome::Delivered(answer) => emit(&format!(
            "sent a test document to {} ({}, delivery {}); it answered {answer}\n",
            hook.name,
            webhook::shown_url(&hook.url),
            report.delivery
        )),
        webhook::Outcome::Retry { error, .. } | webhook::Outcome::Failed(error) => {
            anyhow::bail!(
                "the test document to webhook {} ({}) was not accepted: {error}",
                hook.name,
                webhook::shown_url(&hook.url)
            )
        }
    }
}

/// `replay --email`: sends the selected alerts again.
pub async fn resend(
    _ctx: &Ctx,
    config: &Arc<Config>,
    db: &Db,
    alerts: &[AlertRow],
    to: Option<&str>,
) -> anyhow::Result<()> {
    let n = crate::alert::resend(config, db, alerts, to).await?;
    emit(&format!("sent {n} message{} again\n", plural(n)))
}

/// CPU seconds this process spent, in all and per stage (see [`crate::cpu`]), and its
/// peak memory: what a cycle costs, read off the run itself.
fn cpu_seconds() -> serde_json::Value {
    let mut stages = serde_json::Map::new();
    for (name, secs) in crate::cpu::totals() {
        stages.insert(name.into(), secs.into());
    }
    serde_json::json!({
        "total": crate::cpu::process_total(),
        "stages": stages,
        "peak_rss_kib": crate::cpu::peak_rss_kib(),
    })
}

/// A `topics` list as `check` prints it: its names, or "every topic" when absent.
fn topic_list(topics: Option<&toml::Spanned<Vec<toml::Spanned<String>>>>) -> String {
    match topics {
        None => "every topic".to_string(),
        Some(list) => list
            .get_ref()
            .iter()
            .map(|t| t.get_ref().as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}
