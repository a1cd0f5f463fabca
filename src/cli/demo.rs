//! `redline demo`: plays the seed story end to end on this machine, so a newcomer sees
//! what redline does in seconds, with no network and nothing to configure.
//!
//! An in-process web server ([`site`]) serves the seed feed and pages on 127.0.0.1; the
//! real service loop ([`daemon::run`](crate::daemon::run)) watches it on a fast schedule
//! with its state in a new directory (temporary, or `--state DIR`). The demo changes
//! story 1's page twice — new furniture, then a rewording — waits each time until the
//! service has checked the new page, and narrates what the store then holds. It writes
//! a config into the state directory so the usual commands can explore the result.

mod setup;
mod site;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Ctx, DiffFormat, emit};
use crate::config::Config;
use crate::store::{AlertRow, ArticleRow, Db, DeliveryStatus, FeedRow};
use setup::{
    TICK, check_mail_dir, config_text, eml_files, given_state_dir, program, shell_quote,
    temp_state_dir,
};
use site::Site;

/// How long one step of the story may take before the demo gives up on it.
const STEP_LIMIT: Duration = Duration::from_secs(30);
/// How often the demo looks at the store while it waits.
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// Plays the seed story; `state` keeps the result in that directory instead of a new
/// temporary one.
pub async fn demo(ctx: &Ctx, state: Option<PathBuf>) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = match state {
        Some(dir) => given_state_dir(&dir)?,
        None => temp_state_dir()?,
    };
    let mail = dir.join("mail");
    check_mail_dir(&mail)?;
    let mail_before = eml_files(&mail)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot open a port on 127.0.0.1 for the demo's local web server")?;
    let shutdown = CancellationToken::new();
    let site = Site::start(listener, shutdown.clone())
        .context("cannot start the demo's local web server on 127.0.0.1")?;
    let config_path = dir.join("redline.toml");
    std::fs::write(&config_path, config_text(&dir, &site.base()))
        .with_context(|| format!("cannot write the demo's config {}", config_path.display()))?;
    let config = std::sync::Arc::new(Config::load(&config_path)?);
    let db = Db::open(&config.state).await?;

    emit(&format!(
        "redline demo: the seed story, played on this machine (no network, no config).\n\n\
         A local news site serves a feed of 5 stories at {feed}.\n\
         redline watches it for two topics, russia-china and nato-ukraine, polling the feed\n\
         and re-checking each tracked article every {TICK} (a real config: minutes to days).\n\
         State (database, alert email, config): {dir}\n\n",
        feed = format_args!("{}{}", site.base(), site::FEED_PATH),
        dir = dir.display(),
    ))?;

    let (_reload, reload_rx) = tokio::sync::mpsc::channel(1);
    let mut service = tokio::spawn(crate::daemon::run(
        config_path.clone(),
        config,
        shutdown.clone(),
        reload_rx,
    ));
    let story = async {
        let id = first_poll(&db, &mut service, &site).await?;
        furniture(&db, &mut service, &site, id).await?;
        rewording(&db, &mut service, &site, id).await
    }
    .await;
    shutdown.cancel();
    match service.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.context("the demo's watcher failed")),
        Err(e) => anyhow::bail!("the demo's watcher failed: {e}"),
    }
    let (id, alert) = story?;

    let sent: Vec<PathBuf> = eml_files(&mail)?
        .difference(&mail_before)
        .cloned()
        .collect();
    let explore = Ctx {
        config_path: config_path.clone(),
        color: ctx.color,
    };
    emit("\nWhat changed, word by word (`redline diff`):\n\n")?;
    super::inspect::diff(&explore, &id.to_string(), None, None, DiffFormat::Word).await?;
    let mut out = String::from("\nThe alert email");
    match sent.as_slice() {
        [one] => out.push_str(&format!(
            " (to {}): {}\n",
            recipients(&alert),
            one.display()
        )),
        many => {
            out.push_str(&format!("s ({}):\n", many.len()));
            for m in many {
                out.push_str(&format!("  {}\n", m.display()));
            }
        }
    }
    let me = program();
    let cfg = shell_quote(&config_path.display().to_string());
    let commands = [
        (format!("history {id}"), "the versions"),
        (format!("diff {id}"), "the last change, word by word"),
        (
            format!("show {id} --version 1"),
            "the stored copy of version 1",
        ),
        ("replay".to_string(), "every alert with its delivery"),
    ];
    let width = commands.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    out.push_str("\nExplore what the demo stored:\n");
    for (command, what) in &commands {
        out.push_str(&format!(
            "  {me} --config {cfg} {command:width$}   # {what}\n"
        ));
    }
    out.push_str(&format!(
        "\nDone in {:.1} s. `cargo run --release -- run` watches the example feeds for real.\n",
        started.elapsed().as_secs_f64()
    ));
    emit(&out)
}

/// Step 1: the first poll tracks the stories that match a topic and ignores the rest.
/// Returns story 1's article id.
async fn first_poll(
    db: &Db,
    service: &mut JoinHandle<anyhow::Result<()>>,
    site: &Site,
) -> anyhow::Result<i64> {
    let look = wait(db, service, "poll the feed and fetch its stories", |s| {
        let feed_done = s.feed.as_ref().is_some_and(|f| f.last_fetch.is_some());
        (feed_done && !s.articles.is_empty() && s.articles.iter().all(|a| a.last_check.is_some()))
            .then(|| s.clone())
    })
    .await?;
    let entries = crate::feed::parse(&site.feed(), &url::Url::parse(&site.base())?)?.entries;
    let tracked: Vec<&ArticleRow> = entries
        .iter()
        .filter_map(|e| {
            look.articles
                .iter()
                .find(|a| Some(a.key.as_str()) == e.key())
        })
        .collect();
    let mut out = format!(
        "1. First poll: {} of the feed's {} stories match a topic and are tracked.\n",
        tracked.len(),
        entries.len()
    );
    let width = tracked
        .iter()
        .map(|a| a.topics.join(", ").len())
        .max()
        .unwrap_or(0);
    let mut ignored_fetched = 0;
    for e in &entries {
        match look
            .articles
            .iter()
            .find(|a| Some(a.key.as_str()) == e.key())
        {
            Some(a) => out.push_str(&format!(
                "   tracked  {:width$}  {}\n",
                a.topics.join(", "),
                e.title
            )),
            None => {
                let path = e
                    .link
                    .as_deref()
                    .and_then(|l| url::Url::parse(l).ok())
                    .map(|u| u.path().to_string())
                    .unwrap_or_default();
                ignored_fetched += site.hits(&path);
                out.push_str(&format!("   ignored  {:width$}  {}\n", "", e.title));
            }
        }
    }
    let failed: Vec<&&ArticleRow> = tracked.iter().filter(|a| a.versions == 0).collect();
    if failed.is_empty() {
        out.push_str(
            "   Each tracked page was fetched and its text stored as version 1, the baseline;\n",
        );
    }
    for a in failed {
        out.push_str(&format!(
            "   {} could not be stored: {}\n",
            a.url,
            a.last_error.as_deref().unwrap_or("no error recorded")
        ));
    }
    out.push_str(match ignored_fetched {
        0 => "   the ignored stories were never fetched.\n",
        _ => "   the ignored stories were fetched all the same.\n",
    });
    emit(&out)?;
    look.articles
        .iter()
        .find(|a| a.url.ends_with(site::STORY_PATH))
        .map(|a| a.id)
        .context("the demo's story 1 was not tracked (see the list above)")
}

/// Step 2: new furniture around the same text makes no version and no alert.
async fn furniture(
    db: &Db,
    service: &mut JoinHandle<anyhow::Result<()>>,
    site: &Site,
    id: i64,
) -> anyhow::Result<()> {
    emit(
        "\n2. The outlet changes the page around the story: the ticker, the ads, the share and\n   \
         comment counters, the \"ALSO READ\" box inside the text, the sidebar, the updated time.\n",
    )?;
    site.set_story(site::PAGE_FURNITURE);
    let look = checked_anew(db, service, id, "re-check story 1").await?;
    let a = article(&look, id)?;
    let out = match (a.versions, look.alerts.len()) {
        (1, 0) => "   Re-checked: the same text, so no new version and no alert.\n".to_string(),
        (v, n) => format!("   Re-checked: {v} versions, {n} alert(s).\n"),
    };
    emit(&out)
}

/// Step 3: the rewording makes version 2 and one alert, delivered as an email.
async fn rewording(
    db: &Db,
    service: &mut JoinHandle<anyhow::Result<()>>,
    site: &Site,
    id: i64,
) -> anyhow::Result<(i64, AlertRow)> {
    emit("\n3. The outlet rewords the story.\n")?;
    site.set_story(site::PAGE_V2);
    let look = wait(
        db,
        service,
        "alert on the rewording and write its email",
        |s| {
            let alert = s.alerts.iter().find(|al| al.article_id == id)?;
            let tried = alert
                .deliveries
                .iter()
                .all(|d| d.status != DeliveryStatus::Queued || d.attempts > 0);
            tried.then(|| s.clone())
        },
    )
    .await?;
    let a = article(&look, id)?;
    let alert = look
        .alerts
        .iter()
        .find(|al| al.article_id == id)
        .cloned()
        .context("the alert vanished")?;
    let v2 = {
        let to = alert.to_version;
        db.call(move |s| s.version(id, to)).await?
    }
    .context("the alert's version vanished")?;
    emit(&format!(
        "   Re-checked: version {} stored (+{} -{} words), {} alert{}, labelled: {}.\n",
        alert.to_version,
        v2.words_added,
        v2.words_removed,
        look.alerts.len(),
        if look.alerts.len() == 1 { "" } else { "s" },
        alert.labels,
    ))?;
    if let Some(failed) = alert
        .deliveries
        .iter()
        .find(|d| d.status != DeliveryStatus::Sent)
    {
        anyhow::bail!(
            "the alert email to {} could not be written: {}",
            failed.recipient,
            failed
                .last_error
                .as_deref()
                .unwrap_or(failed.status.as_str())
        );
    }
    Ok((a.id, alert))
}

/// What the store holds at one moment.
#[derive(Debug, Clone)]
struct Look {
    feed: Option<FeedRow>,
    articles: Vec<ArticleRow>,
    alerts: Vec<AlertRow>,
}

fn article(look: &Look, id: i64) -> anyhow::Result<&ArticleRow> {
    look.articles
        .iter()
        .find(|a| a.id == id)
        .with_context(|| format!("article {id} vanished from the demo's store"))
}

/// Looks at the store until `done` says yes; fails when the service stops or the step
/// takes longer than [`STEP_LIMIT`].
async fn wait<T>(
    db: &Db,
    service: &mut JoinHandle<anyhow::Result<()>>,
    what: &str,
    mut done: impl FnMut(&Look) -> Option<T>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + STEP_LIMIT;
    loop {
        let look = db
            .call(|s| {
                Ok(Look {
                    feed: s.feeds()?.into_iter().next(),
                    articles: s.articles(&Default::default())?,
                    alerts: s.alerts(&Default::default())?,
                })
            })
            .await?;
        if let Some(t) = done(&look) {
            return Ok(t);
        }
        if service.is_finished() {
            anyhow::bail!("the demo's watcher stopped before it could {what}");
        }
        if Instant::now() > deadline {
            let feed_error = look.feed.and_then(|f| f.last_error);
            anyhow::bail!(
                "the demo's watcher did not {what} within {}s{}; run `redline -vv demo` to see its log",
                STEP_LIMIT.as_secs(),
                feed_error
                    .map(|e| format!(" (the feed: {e})"))
                    .unwrap_or_default()
            );
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// Waits until article `id` has been checked twice more. A check stamps its start time
/// when it is recorded; the first change may come from a check already under way, but
/// the second began after it, and so after whatever the caller changed.
async fn checked_anew(
    db: &Db,
    service: &mut JoinHandle<anyhow::Result<()>>,
    id: i64,
    what: &str,
) -> anyhow::Result<Look> {
    let mut last = None;
    let mut changes = 0;
    wait(db, service, what, |s| {
        let at = s.articles.iter().find(|a| a.id == id)?.last_check;
        match last {
            None => last = Some(at),
            Some(prev) if prev != at => {
                last = Some(at);
                changes += 1;
            }
            Some(_) => {}
        }
        (changes >= 2).then(|| s.clone())
    })
    .await
}

fn recipients(alert: &AlertRow) -> String {
    alert
        .deliveries
        .iter()
        .map(|d| d.recipient.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
