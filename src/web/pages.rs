//! The web view's pages: server-rendered maud templates, small, and readable on a phone
//! (a viewport meta tag, a narrow column, tables that fold into blocks on a small
//! screen). Every value spliced into a template is escaped; the diffs come from the one
//! HTML renderer. Links carry the `?token=` the page was opened with, so a reader who
//! authenticated that way can follow them.

use axum::extract::{Path, RawQuery, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{RECENT, WebError, WebState, number, params};
use crate::alert::outbox::decided_diff;
use crate::diff::html::{fragment, side_by_side};
use crate::diff::render::RenderOptions;
use crate::diff::{self, Labels};
use crate::store::{AlertKind, ArticleRow, ChangeRow, VersionRow};

/// The one style sheet, inline (the Content-Security-Policy allows inline styles only).
const CSS: &str = "\
body{margin:0 auto;max-width:60rem;padding:1rem;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;line-height:1.5;color:#1f2328;background:#fff}\
a{color:#0969da}nav{margin-bottom:1rem;font-size:.9rem}nav a{margin-right:1rem}\
h1{font-size:1.4rem;line-height:1.3;margin:.5rem 0}h2{font-size:1.2rem;line-height:1.3}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #d1d9e0}\
th{color:#59636e;font-weight:600;font-size:.85rem}.meta{color:#59636e;font-size:.9rem}.nowrap{white-space:nowrap}\
.label{display:inline-block;margin:0 .25rem .2rem 0;padding:0 .4rem;border-radius:1rem;background:#ddf4ff;color:#0550ae;font-size:.8rem}\
.added{color:#116329}.removed{color:#82071e}.url{word-break:break-all}\
.diff{font-family:Georgia,'Times New Roman',serif;font-size:1.05rem;line-height:1.6}\
@media (max-width:40rem){table.list thead{display:none}table.list td{display:block;border:0;padding:.1rem 0}table.list tr{display:block;border-bottom:1px solid #d1d9e0;padding:.5rem 0}}";

/// Builds in-site links that keep the `?token=` the page was opened with.
#[derive(Debug, Clone, Default)]
struct Links {
    token: Option<String>,
}

impl Links {
    fn from_query(query: Option<&str>) -> Links {
        Links {
            token: query.and_then(|q| params(q).remove("token")),
        }
    }

    /// `path` with the query `pairs`, and the token when there is one.
    fn to(&self, path: &str, pairs: &[(&str, String)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(t) = &self.token {
            q.append_pair("token", t);
        }
        let q = q.finish();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }

    fn diff(&self, article: i64, from: i64, to: i64, side: bool) -> String {
        let mut pairs = vec![("from", from.to_string()), ("to", to.to_string())];
        if side {
            pairs.push(("view", "side".to_string()));
        }
        self.to(&format!("/articles/{article}/diff"), &pairs)
    }

    fn article(&self, article: i64) -> String {
        self.to(&format!("/articles/{article}"), &[])
    }
}

fn page(title: &str, links: &Links, body: Markup) -> Html<String> {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · redline" }
                link rel="alternate" type="application/atom+xml" title="redline: changes"
                    href=(links.to("/changes.atom", &[]));
                style { (PreEscaped(CSS)) }
            }
            body {
                nav {
                    a href=(links.to("/", &[])) { "Recent changes" }
                    a href=(links.to("/changes.atom", &[])) { "Atom feed" }
                }
                main { (body) }
            }
        }
    };
    Html(doc.into_string())
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn labels(l: &Labels) -> Markup {
    html! { @for label in l.iter() { span.label { (label.to_string()) } } }
}

fn counts(added: i64, removed: i64) -> Markup {
    html! {
        span.added { "+" (added) } " " span.removed { "−" (removed) }
    }
}

/// A link to an outlet or archive address: clickable only for `http(s)`, so a feed
/// cannot plant a `javascript:` link; shown as text otherwise.
fn outside_link(url: &str) -> Markup {
    let safe = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    html! {
        @if safe { a.url href=(url) rel="noreferrer" { (url) } } @else { span.url { (url) } }
    }
}

fn outlet(feed: Option<&str>) -> &str {
    feed.unwrap_or("tracked directly")
}

/// `/`: the recent changes, newest first.
pub(super) async fn changes(
    State(st): State<WebState>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, WebError> {
    let links = Links::from_query(query.as_deref());
    let rows = st.db.call(|s| s.recent_changes(RECENT, None)).await?;
    let body = html! {
        h1 { "Recent changes" }
        @if rows.is_empty() {
            p { "No changes detected yet." }
        } @else {
            table.list {
                thead { tr { th { "Detected" } th { "Outlet" } th { "Headline" } th { "Labels" } th { "Words" } } }
                tbody { @for row in &rows { (change_row(row, &links)) } }
            }
        }
    };
    Ok(page("Recent changes", &links, body))
}

fn change_row(row: &ChangeRow, links: &Links) -> Markup {
    let href = if row.kind == AlertKind::Reworded {
        links.diff(row.article_id, row.from_version, row.to_version, false)
    } else {
        links.article(row.article_id)
    };
    html! {
        tr {
            td.nowrap.meta { (time(row.detected)) }
            td { (outlet(row.feed.as_deref())) }
            td {
                a href=(href) { (row.headline) }
                @if row.kind != AlertKind::Reworded { " " span.label { (row.kind.as_str()) } }
            }
            td { (labels(&row.labels)) }
            td.nowrap { (counts(row.words_added, row.words_removed)) }
        }
    }
}

/// An article by its id in the path, or a 400/404.
async fn load_article(st: &WebState, id: &str) -> Result<(ArticleRow, Vec<VersionRow>), WebError> {
    let id = number("article id", id)?;
    let (article, versions) = st
        .db
        .call(move |s| Ok((s.article(id)?, s.versions(id)?)))
        .await?;
    let article = article.ok_or_else(|| {
        WebError::NotFound(format!(
            "no article {id} is tracked: see / for the recent changes"
        ))
    })?;
    Ok((article, versions))
}

fn headline(article: &ArticleRow, versions: &[VersionRow]) -> String {
    versions
        .last()
        .map(|v| v.copy.headline.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| article.title.clone())
}

/// `/articles/{id}`: one article and its versions.
pub(super) async fn article(
    State(st): State<WebState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, WebError> {
    let links = Links::from_query(query.as_deref());
    let (article, versions) = load_article(&st, &id).await?;
    let article_id = article.id;
    let submissions = st.db.call(move |s| s.submissions(article_id)).await?;
    let submission = |n: i64| submissions.iter().find(|s| s.version == n);
    let title = headline(&article, &versions);
    let body = html! {
        h1 { (title) }
        p.meta {
            (outside_link(&article.url)) br;
            (outlet(article.feed.as_deref()))
            @if !article.topics.is_empty() { " · " (article.topics.join(", ")) }
            " · " (article.state.as_str())
        }
        h2 { "Versions" }
        table.list {
            thead { tr { th { "Version" } th { "Stored" } th { "Labels" } th { "Words" } th { "Diff" } th { "Archived" } } }
            tbody {
                @for v in versions.iter().rev() {
                    tr {
                        td { (v.number) }
                        td.nowrap.meta { (time(v.time)) }
                        td { (labels(&v.labels)) }
                        td.nowrap { @if v.number > 1 { (counts(v.words_added, v.words_removed)) } @else { "baseline" } }
                        td.nowrap {
                            @if v.number > 1 {
                                a href=(links.diff(article.id, v.number - 1, v.number, false)) { "diff" }
                                " · "
                                a href=(links.diff(article.id, v.number - 1, v.number, true)) { "side by side" }
                            }
                        }
                        td {
                            @if let Some(sub) = submission(v.number) {
                                @if let Some(url) = &sub.snapshot {
                                    (outside_link(url))
                                } @else if sub.status == "failed" {
                                    span.meta { "failed after " (sub.attempts) " attempts: " (sub.last_error.as_deref().unwrap_or("")) }
                                } @else {
                                    span.meta { "pending" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&title, &links, body))
}

/// `/articles/{id}/diff?from=N&to=M[&view=side]`: the word diff between two versions,
/// by default the last two.
pub(super) async fn diff(
    State(st): State<WebState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, WebError> {
    let links = Links::from_query(query.as_deref());
    let p = params(query.as_deref().unwrap_or(""));
    let side = match p.get("view").map(String::as_str) {
        None | Some("" | "inline") => false,
        Some("side") => true,
        Some(other) => {
            return Err(WebError::BadRequest(format!(
                "view must be \"side\" or \"inline\", not {other:?}"
            )));
        }
    };
    let from = p.get("from").map(|v| number("from", v)).transpose()?;
    let to = p.get("to").map(|v| number("to", v)).transpose()?;
    let (article, versions) = load_article(&st, &id).await?;
    let last = versions.last().map_or(0, |v| v.number);
    let to = to.unwrap_or(last);
    let from = from.unwrap_or((to - 1).max(1));
    let find = |n: i64| {
        versions.iter().find(|v| v.number == n).ok_or_else(|| {
            WebError::NotFound(format!(
                "article {} has no version {n} (it has {last})",
                article.id
            ))
        })
    };
    let (old, new) = (find(from)?, find(to)?);
    let d = if new.number == old.number + 1 {
        decided_diff(old, new)
    } else {
        diff::diff(&old.copy, &new.copy)
    };
    let o = RenderOptions::default();
    let rendered = if side {
        side_by_side(
            &d,
            &o,
            &format!("version {} ({})", old.number, time(old.time)),
            &format!("version {} ({})", new.number, time(new.time)),
        )
    } else {
        fragment(&d, &o)
    };
    let changed = d.headline.is_some() || d.blocks.iter().any(|b| !b.is_same());
    let title = new.copy.headline.clone();
    let body = html! {
        h1 { (title) }
        p.meta {
            (outside_link(&article.url)) br;
            (outlet(article.feed.as_deref())) " · "
            a href=(links.article(article.id)) { "all versions" }
        }
        p {
            "Version " (old.number) " (" (time(old.time)) ") → version " (new.number)
            " (" (time(new.time)) "): " (counts(d.words_added as i64, d.words_removed as i64))
            " words " (labels(&d.labels))
        }
        p.meta {
            @if side {
                a href=(links.diff(article.id, old.number, new.number, false)) { "inline view" }
            } @else {
                a href=(links.diff(article.id, old.number, new.number, true)) { "side by side" }
            }
        }
        div.diff {
            @if changed { (rendered) } @else { p { "No wording changed between these versions." } }
        }
    };
    Ok(page(&title, &links, body))
}
