//! Commands that read the store: `feeds`, `articles`, `history`, `diff`, `show`,
//! `replay`.

use anyhow::Context;
use chrono::Utc;
use serde_json::json;

use super::table::{self, Table};
use super::{Ctx, DiffFormat, UsageError, emit, emit_display, emit_json, human_time, parse_when};
use crate::alert::outbox::decided_diff;
use crate::diff::render;
use crate::store::{
    AlertFilter, AlertKind, AlertRow, ArticleFilter, ArticleLines, ArticleRow, Db, DeliveryStatus,
    QuietCheck, VersionRow,
};

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// `redline feeds`: each configured feed's last fetch, its own last error, since when it
/// has been failing, the backoff that earned it, a pause its host asked for, and when it
/// is due again.
pub async fn feeds(ctx: &Ctx, json: bool) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let db = ctx.db(&config).await?;
    let rows = db.call(|s| s.feeds()).await?;
    let now = Utc::now();
    let mut listed = Vec::new();
    let mut t = Table::new(&[
        "NAME",
        "LAST FETCH",
        "STATUS",
        "ENTRIES",
        "ERRORS",
        "FAILING SINCE",
        "BACKOFF",
        "PAUSED UNTIL",
        "NEXT DUE",
        "URL",
    ]);
    let mut errors = String::new();
    for f in &config.feeds {
        let url = f.url.get_ref();
        let row = rows.iter().find(|r| &r.url == url);
        // The wait the error streak has earned this feed, when it is failing.
        let backoff = row
            .filter(|r| r.error_streak > 0)
            .map(|r| crate::watch::backoff(config.feed_interval(f), r.error_streak));
        // A pause that is over is no longer a state worth showing.
        let paused = row.and_then(|r| r.paused_until).filter(|t| *t > now);
        listed.push(json!({
            "name": f.name,
            "url": url,
            "last_fetch": row.and_then(|r| r.last_fetch),
            "last_status": row.and_then(|r| r.last_status.clone()),
            "last_error": row.and_then(|r| r.last_error.clone()),
            "entries": row.and_then(|r| r.entries),
            "error_streak": row.map_or(0, |r| r.error_streak),
            "failing_since": row.and_then(|r| r.failing_since),
            "backoff_seconds": backoff.map(|b| b.as_secs()),
            "paused_until": paused,
            "next_due": row.and_then(|r| r.next_due),
        }));
        t.row(vec![
            f.name.clone(),
            or_dash(row.and_then(|r| r.last_fetch).map(human_time)),
            or_dash(row.and_then(|r| r.last_status.clone())),
            or_dash(row.and_then(|r| r.entries)),
            row.map_or(0, |r| r.error_streak).to_string(),
            or_dash(row.and_then(|r| r.failing_since).map(human_time)),
            or_dash(backoff.map(super::act::humanize)),
            or_dash(paused.map(human_time)),
            row.and_then(|r| r.next_due)
                .map_or_else(|| "now".to_string(), human_time),
            url.clone(),
        ]);
        if let Some(r) = row
            && let Some(e) = &r.last_error
        {
            let since = r
                .failing_since
                .map(|t| format!(" (failing since {})", human_time(t)))
                .unwrap_or_default();
            errors.push_str(&format!("{}: {e}{since}\n", f.name));
        }
    }
    if json {
        return emit_json(&listed);
    }
    let mut out = t.to_string();
    if !errors.is_empty() {
        out.push_str("\nlast errors:\n");
        out.push_str(&errors);
    }
    emit(&out)
}

pub async fn articles(
    ctx: &Ctx,
    topic: Option<String>,
    changed: bool,
    json: bool,
) -> anyhow::Result<()> {
    let filter = ArticleFilter { topic, changed };
    // The rows are read while the config is checked; an unknown topic reads none.
    let (config, (rows, lines)) = ctx
        .with_store(|db| {
            let filter = filter.clone();
            async move {
                if json {
                    Ok((db.call(move |s| s.articles(&filter)).await?, None))
                } else {
                    // The table needs six columns: read only those (see
                    // `Store::article_lines`).
                    let lines = db.call(move |s| s.article_lines(&filter)).await?;
                    Ok((Vec::new(), Some(lines)))
                }
            }
        })
        .await?;
    if let Some(t) = &filter.topic
        && !config.topics.iter().any(|c| c.name.get_ref() == t)
    {
        return Err(UsageError(format!(
            "no topic {t:?} in {} (see `redline check`)",
            config.path.display()
        ))
        .into());
    }
    let Some(rows) = lines else {
        return emit_json(&rows);
    };
    if rows.is_empty() {
        return emit("no articles tracked yet (run `redline poll`)\n");
    }
    emit_display(&ArticleTable(&rows))
}

/// `redline articles`' table, laid out as [`Table`] lays it out but written straight
/// from the lines (100,000 of them are 600,000 cells: copying each into a table first
/// was most of the command's cost).
struct ArticleTable<'a>(&'a ArticleLines);

impl ArticleTable<'_> {
    const HEADER: [&'static str; 6] = ["ID", "VERSIONS", "LAST CHANGE", "STATE", "TITLE", "URL"];
    const TITLE: usize = 70;
}

/// One line's cells as text, reused from line to line.
#[derive(Default)]
struct ArticleCells {
    id: String,
    versions: String,
    changed: String,
    state: &'static str,
    title: String,
    title_width: usize,
}

impl ArticleCells {
    fn fill(&mut self, a: &crate::store::ArticleLine<'_>) {
        use std::fmt::Write;
        self.id.clear();
        self.versions.clear();
        self.changed.clear();
        self.title.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.id, "{}", a.id);
        let _ = write!(self.versions, "{}", a.versions);
        match a.last_change {
            Some(at) => self.changed.push_str(&human_time(at)),
            None => self.changed.push('-'),
        }
        self.state = a.state.as_str();
        let (kept, cut) = table::truncate(a.title, ArticleTable::TITLE);
        self.title.push_str(kept);
        self.title_width = table::width(kept);
        if cut {
            self.title.push('…');
            self.title_width += 1;
        }
    }

    /// The display width of each padded column.
    fn widths(&self) -> [usize; 5] {
        [
            self.id.len(),
            self.versions.len(),
            self.changed.len(),
            self.state.len(),
            self.title_width,
        ]
    }
}

impl std::fmt::Display for ArticleTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut c = ArticleCells::default();
        let mut widths = Self::HEADER.map(str::len);
        for a in self.0.iter() {
            c.fill(&a);
            for (w, n) in widths.iter_mut().zip(c.widths()) {
                *w = (*w).max(n);
            }
        }
        let mut line = String::new();
        table::push_line(&mut line, &Self::HEADER.map(|h| (h, h.len())), &widths);
        f.write_str(&line)?;
        for a in self.0.iter() {
            c.fill(&a);
            let w = c.widths();
            line.clear();
            table::push_line(
                &mut line,
                &[
                    (&c.id, w[0]),
                    (&c.versions, w[1]),
                    (&c.changed, w[2]),
                    (c.state, w[3]),
                    (&c.title, w[4]),
                    (a.url, 0),
                ],
                &widths,
            );
            f.write_str(&line)?;
        }
        Ok(())
    }
}

async fn article_and_versions(
    db: &Db,
    reference: &str,
) -> anyhow::Result<(ArticleRow, Vec<VersionRow>)> {
    let r = reference.to_string();
    db.call(move |s| {
        let a = s.resolve_article(&r)?;
        let v = s.versions(a.id)?;
        Ok((a, v))
    })
    .await
    .map_err(Into::into)
}

pub async fn history(ctx: &Ctx, reference: &str, json: bool) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let db = ctx.db(&config).await?;
    let (article, versions) = article_and_versions(&db, reference).await?;
    let id = article.id;
    let quiet = db.call(move |s| s.quiet_checks(id)).await?;
    let addresses = db.call(move |s| s.addresses(id)).await?;
    let moves: Vec<_> = addresses.iter().filter(|a| a.kind == "moved").collect();
    let (archive, raw) = db
        .call(move |s| Ok((s.submissions(id)?, s.raw_pages(id)?)))
        .await?;
    if json {
        return emit_json(&json!({
            "article": article,
            "versions": versions,
            "quiet_checks": quiet,
            "moves": moves,
            "archive": archive,
            "raw": raw,
        }));
    }
    let mut out = format!(
        "article {}: {}\n{}\n\n",
        article.id, article.title, article.url
    );
    let notes: Vec<String> = versions
        .iter()
        .map(|v| {
            let mut note = v.note.clone().unwrap_or_default();
            for m in moves.iter().filter(|m| m.version == Some(v.number)) {
                if !note.is_empty() {
                    note.push_str("; ");
                }
                note.push_str(&format!("moved from {}", m.url));
            }
            note
        })
        .collect();
    out.push_str(&history_table(&versions, &notes, &quiet).to_string());
    if !archive.is_empty() {
        out.push_str("\narchive snapshots:\n");
        for a in &archive {
            out.push_str(&format!("version {}  {}\n", a.version, a.describe()));
        }
    }
    if !moves.is_empty() {
        out.push_str("\naddress changes:\n");
        for m in &moves {
            let why = match m.reason.as_str() {
                "feed" => "the feed links a new address",
                "redirect" => "permanent redirect",
                _ => "canonical link",
            };
            let version = m
                .version
                .map_or_else(|| "no new version".to_string(), |v| format!("version {v}"));
            out.push_str(&format!(
                "{}  {} → {}  ({why}; {version})\n",
                human_time(m.at),
                m.url,
                m.new_url.as_deref().unwrap_or("?"),
            ));
        }
    }
    emit(&out)
}

/// The versions (each with its note) and, between them in time order, the checks of a
/// changed page that made no version, each saying why.
fn history_table(versions: &[VersionRow], notes: &[String], quiet: &[QuietCheck]) -> Table {
    let mut t = Table::new(&[
        "VERSION", "TIME", "ADDED", "REMOVED", "LABELS", "SOURCE", "DECLARED", "NOTE",
    ]);
    let mut quiet = quiet.iter().peekable();
    let quiet_row = |q: &QuietCheck| {
        let note = match &q.detail {
            Some(d) => format!("no version: {}: {d}", q.outcome),
            None => format!("no version: {}", q.outcome),
        };
        vec![
            "-".to_string(),
            human_time(q.time),
            String::new(),
            String::new(),
            "-".to_string(),
            String::new(),
            String::new(),
            note,
        ]
    };
    for (v, note) in versions.iter().zip(notes) {
        while let Some(q) = quiet.next_if(|q| q.time < v.time) {
            t.row(quiet_row(q));
        }
        t.row(vec![
            v.number.to_string(),
            human_time(v.time),
            format!("+{}", v.words_added),
            format!("-{}", v.words_removed),
            if v.labels.is_empty() {
                "-".to_string()
            } else {
                v.labels.to_string()
            },
            v.provenance.source.to_string(),
            v.provenance.update_phrase(),
            note.clone(),
        ]);
    }
    for q in quiet {
        t.row(quiet_row(q));
    }
    t
}

/// Picks the two versions to compare: `--from`/`--to`, else the last two.
fn pick<'a>(
    article: &ArticleRow,
    versions: &'a [VersionRow],
    from: Option<i64>,
    to: Option<i64>,
) -> anyhow::Result<(&'a VersionRow, &'a VersionRow)> {
    let find = |n: i64| {
        versions.iter().find(|v| v.number == n).ok_or_else(|| {
            anyhow::anyhow!(
                "article {} has no version {n} (it has 1 to {}; see `redline history {}`)",
                article.id,
                versions.len(),
                article.id
            )
        })
    };
    let last = versions.last().map_or(0, |v| v.number);
    let to_n = to.unwrap_or(last);
    let from_n = from.unwrap_or(to_n - 1);
    if versions.len() < 2 && from.is_none() {
        anyhow::bail!(
            "article {} has only {} version{}: nothing to compare yet",
            article.id,
            versions.len(),
            if versions.len() == 1 { "" } else { "s" }
        );
    }
    Ok((find(from_n)?, find(to_n)?))
}

pub async fn diff(
    ctx: &Ctx,
    reference: &str,
    from: Option<i64>,
    to: Option<i64>,
    format: DiffFormat,
) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let db = ctx.db(&config).await?;
    let (article, versions) = article_and_versions(&db, reference).await?;
    let (old, new) = pick(&article, &versions, from, to)?;
    let d = decided_diff(old, new);
    let opts = render::RenderOptions { context: 0 };
    let out = match format {
        DiffFormat::Json => {
            let mut doc = render::json(&d);
            if let Some(obj) = doc.as_object_mut() {
                obj.insert("article".into(), json!(article.id));
                obj.insert("url".into(), json!(article.url));
                obj.insert(
                    "from".into(),
                    json!({"version": old.number, "time": old.time}),
                );
                obj.insert(
                    "to".into(),
                    json!({"version": new.number, "time": new.time}),
                );
            }
            return emit_json(&doc);
        }
        DiffFormat::Html => render::html(&d, &opts),
        DiffFormat::Unified => render::unified(
            &old.copy,
            &new.copy,
            &format!("version {} ({})", old.number, human_time(old.time)),
            &format!("version {} ({})", new.number, human_time(new.time)),
        ),
        DiffFormat::Word => {
            let body = if ctx.color {
                render::ansi(&d, &opts)
            } else {
                render::word(&d, &opts)
            };
            let labels = if d.labels.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.labels)
            };
            format!(
                "article {}: {}\n{}\nversion {} ({}) → version {} ({}): +{} -{} words{labels}\n\n{}",
                article.id,
                new.copy.headline,
                article.url,
                old.number,
                human_time(old.time),
                new.number,
                human_time(new.time),
                d.words_added,
                d.words_removed,
                body
            )
        }
    };
    emit(&ensure_newline(out))
}

fn ensure_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

pub async fn show(ctx: &Ctx, reference: &str, version: Option<i64>) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let db = ctx.db(&config).await?;
    let (article, versions) = article_and_versions(&db, reference).await?;
    let v = match version {
        Some(n) => versions.iter().find(|v| v.number == n).with_context(|| {
            format!(
                "article {} has no version {n} (see `redline history {}`)",
                article.id, article.id
            )
        })?,
        None => versions
            .last()
            .with_context(|| format!("article {} has no stored version yet", article.id))?,
    };
    emit(&v.copy.to_string())
}

/// The options of `redline replay`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// From this time: RFC 3339, or a duration back from now (2h, 3d)
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Up to this time: RFC 3339, or a duration back from now
    #[arg(long, value_name = "T")]
    pub until: Option<String>,
    /// Only changes of articles that matched this topic
    #[arg(long, value_name = "T")]
    pub topic: Option<String>,
    /// Only changes of this article (id or URL)
    #[arg(long, value_name = "A")]
    pub article: Option<String>,
    /// Send the selected alerts again by email (same Message-ID)
    #[arg(long)]
    pub email: bool,
    /// With --email: send to this address instead of the configured recipients
    #[arg(long, value_name = "ADDR", requires = "email")]
    pub to: Option<String>,
    /// Print one JSON document on stdout
    #[arg(long)]
    pub json: bool,
}

pub async fn replay(ctx: &Ctx, args: ReplayArgs) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let db = ctx.db(&config).await?;
    let now = Utc::now();
    let article_id = match &args.article {
        Some(r) => {
            let r = r.clone();
            Some(db.call(move |s| s.resolve_article(&r)).await?.id)
        }
        None => None,
    };
    let filter = AlertFilter {
        since: args
            .since
            .as_deref()
            .map(|s| parse_when(s, now))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_when(s, now))
            .transpose()?,
        topic: args.topic.clone(),
        article_id,
    };
    let alerts = db.call(move |s| s.alerts(&filter)).await?;
    if args.email {
        return super::act::resend(ctx, &config, &db, &alerts, args.to.as_deref()).await;
    }
    let mut docs = Vec::new();
    let mut out = String::new();
    // The versions are read a few hundred alerts at a time.
    let mut pairs = Vec::new().into_iter();
    for (i, a) in alerts.iter().enumerate() {
        if i % 256 == 0 {
            let chunk = &alerts[i..alerts.len().min(i + 256)];
            pairs = alert_versions(&db, chunk).await?.into_iter();
        }
        let Some((old, new)) = pairs.next() else {
            anyhow::bail!("alert {} has no versions read", a.id);
        };
        let d = decided_diff(&old, &new);
        if args.json {
            docs.push(json!({ "alert": a, "diff": render::json(&d) }));
            continue;
        }
        let what = if a.kind == AlertKind::Reworded && !a.labels.is_empty() {
            a.labels.to_string()
        } else {
            a.kind.to_string()
        };
        out.push_str(&format!(
            "== {}  article {}  v{} → v{}  {}  [{}]\n{}\n{}\n{}\n",
            human_time(a.created),
            a.article_id,
            a.from_version,
            a.to_version,
            what,
            delivery_summary(a),
            new.copy.headline,
            a.url,
            delivery_lines(a)
        ));
        if a.kind == AlertKind::Removed {
            out.push_str("the page is gone (404/410); redline stopped revisiting it\n\n");
        } else if a.kind == AlertKind::Coverage {
            let id = a.article_id;
            let covered = db.call(move |s| s.coverage_of(id)).await?;
            let (text, _) = crate::alert::outbox::coverage_parts(&covered, &new.copy);
            out.push_str(&ensure_newline(text));
            out.push('\n');
        } else {
            let opts = render::RenderOptions { context: 0 };
            let body = if ctx.color {
                render::ansi(&d, &opts)
            } else {
                render::word(&d, &opts)
            };
            out.push_str(&ensure_newline(body));
            out.push('\n');
        }
    }
    if args.json {
        return emit_json(&docs);
    }
    if alerts.is_empty() {
        out.push_str("no changes detected in that range\n");
    }
    emit(&out)
}

/// The two versions each alert compares, in the alerts' order.
pub async fn alert_versions(
    db: &Db,
    alerts: &[AlertRow],
) -> anyhow::Result<Vec<(VersionRow, VersionRow)>> {
    // One call to the store for all of them: a call each costs a thread hop a version.
    let wanted: Vec<(i64, i64, i64)> = alerts
        .iter()
        .map(|a| (a.article_id, a.from_version, a.to_version))
        .collect();
    let found = db
        .call(move |s| {
            wanted
                .into_iter()
                .map(|(id, from, to)| Ok((s.version(id, from)?, s.version(id, to)?)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    alerts
        .iter()
        .zip(found)
        .map(|(a, pair)| match pair {
            (Some(o), Some(n)) => Ok((o, n)),
            _ => anyhow::bail!("alert {} refers to a missing version", a.id),
        })
        .collect()
}

/// The alert's deliveries counted by state: `2 sent, 1 failed`.
fn delivery_summary(a: &AlertRow) -> String {
    if a.deliveries.is_empty() {
        return "no recipients".into();
    }
    DeliveryStatus::ALL
        .iter()
        .filter_map(|s| {
            let n = a.deliveries.iter().filter(|d| d.status == *s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line per target (each email recipient, each webhook): its state, the attempts,
/// and the reason of a failure or of the last retry.
fn delivery_lines(a: &AlertRow) -> String {
    let mut out = String::new();
    for d in &a.deliveries {
        let tries = match d.attempts {
            1 => "1 attempt".to_string(),
            n => format!("{n} attempts"),
        };
        let state = match (d.status, &d.last_error) {
            (DeliveryStatus::Failed, Some(e)) => format!("failed after {tries}: {e}"),
            (DeliveryStatus::Queued, Some(e)) => format!(
                "queued ({tries}, next {}), last error: {e}",
                human_time(d.next_attempt)
            ),
            (DeliveryStatus::Queued, None) => "queued".to_string(),
            (DeliveryStatus::Sent, _) => match (&d.sent, &d.answer) {
                (Some(at), Some(answer)) => {
                    format!("sent {} ({tries}): {answer}", human_time(*at))
                }
                _ => format!("sent ({tries})"),
            },
            (s, None) => format!("{s} ({tries})"),
        };
        out.push_str(&format!("  {} {}: {state}\n", d.channel, d.recipient));
    }
    out
}
