//! The two bodies of an alert: plain text and HTML, carrying the same content.
//!
//! Layout, in both: the headline (old → new when it changed), the link, feed, topics,
//! versions with their times, the change labels and the word counts, then the diff fragment the differ
//! rendered, and last the command that shows the diff again. The HTML uses inline styles
//! only, because many mail clients drop `<style>` blocks.
//!
//! Article text comes from the web and is hostile until proven otherwise: the HTML body
//! is written with maud templates, which escape every value spliced into them, and a link
//! is only made clickable when it is `http` or `https`. The diff fragment is the one piece
//! embedded as it is: it comes from the one HTML renderer ([`crate::diff::html`]), which
//! escapes it the same way.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::message::{AlertKind, AlertMail};

/// Separates the sections of a digest in the text body.
const TEXT_RULE: &str = "────────────────────────────────────────────────────────────";

/// Colours and fonts, kept together so the two bodies and the digest agree.
mod style {
    pub const BODY: &str = "margin:0;padding:16px;background:#ffffff;color:#1f2328;\
        font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5";
    pub const WRAP: &str = "max-width:720px;margin:0 auto";
    pub const HEADLINE: &str = "margin:0 0 8px;font-size:20px;line-height:1.3;font-weight:600";
    pub const OLD_HEADLINE: &str =
        "display:block;color:#82071e;text-decoration:line-through;font-weight:400";
    pub const NOTICE: &str = "margin:0 0 12px;padding:8px 12px;background:#fff8c5;border:1px solid #d4a72c;border-radius:4px";
    pub const LINK: &str = "color:#0969da;word-break:break-all";
    pub const META: &str = "border-collapse:collapse;margin:0 0 16px;font-size:14px";
    pub const META_KEY: &str =
        "padding:2px 16px 2px 0;color:#59636e;vertical-align:top;white-space:nowrap";
    pub const META_VALUE: &str = "padding:2px 0;vertical-align:top";
    pub const DIFF: &str = "margin:0 0 16px;padding:12px 16px;border-left:4px solid #d1d9e0;background:#f6f8fa;\
        font-family:Georgia,'Times New Roman',serif;font-size:16px;line-height:1.6";
    pub const FOOT: &str = "margin:0;font-size:13px;color:#59636e";
    pub const CODE: &str = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
        background:#eff1f3;padding:1px 4px;border-radius:3px;color:#1f2328";
    pub const RULE: &str = "border:0;border-top:1px solid #d1d9e0;margin:24px 0";
    pub const TOC: &str = "margin:0 0 16px;padding-left:24px";
}

/// The plain-text body of one alert.
pub fn text_body(mail: &AlertMail) -> String {
    let mut out = String::new();
    text_section(mail, &mut out);
    out
}

/// The HTML body of one alert: a whole document.
pub fn html_body(mail: &AlertMail) -> String {
    html_document(&one_line(&mail.headline_new), html_section(mail)).into_string()
}

/// The plain-text body of a digest: a list of what changed, then one section per alert.
pub(crate) fn digest_text(mails: &[AlertMail]) -> String {
    let mut out = format!("redline: {}\n\n", count(mails.len(), "change"));
    for (i, mail) in mails.iter().enumerate() {
        out.push_str(&format!(
            "{}. {} ({})\n",
            i + 1,
            one_line(&mail.headline_new),
            one_line(&mail.feed)
        ));
    }
    for mail in mails {
        out.push('\n');
        out.push_str(TEXT_RULE);
        out.push_str("\n\n");
        text_section(mail, &mut out);
    }
    out
}

/// The HTML body of a digest, mirroring [`digest_text`].
pub(crate) fn digest_html(mails: &[AlertMail]) -> String {
    let title = format!("redline: {}", count(mails.len(), "change"));
    let inner = html! {
        p style=(style::HEADLINE) { (title) }
        ol style=(style::TOC) {
            @for mail in mails {
                li { (one_line(&mail.headline_new)) " (" (one_line(&mail.feed)) ")" }
            }
        }
        @for mail in mails {
            hr style=(style::RULE);
            (html_section(mail))
        }
    };
    html_document(&title, inner).into_string()
}

fn text_section(mail: &AlertMail, out: &mut String) {
    let old = one_line(&mail.headline_old);
    let new = one_line(&mail.headline_new);
    if old != new && !old.is_empty() {
        out.push_str(&format!("{old}\n→ {new}\n\n"));
    } else {
        out.push_str(&format!("{new}\n\n"));
    }
    if mail.kind == AlertKind::Removed {
        out.push_str(&format!("{}\n\n", removed_notice(mail)));
    }
    for (key, value) in meta(mail) {
        out.push_str(&format!("{:<10}{value}\n", format!("{key}:")));
    }
    out.push('\n');
    let diff = mail.text_diff.trim_matches('\n');
    if diff.trim().is_empty() {
        out.push_str("(no wording to show)\n");
    } else {
        out.push_str(diff);
        out.push('\n');
    }
    out.push_str(&format!(
        "\nSee this diff again with:\n{}\n",
        replay_command(mail)
    ));
}

fn html_section(mail: &AlertMail) -> Markup {
    let old = one_line(&mail.headline_old);
    let new = one_line(&mail.headline_new);
    let diff = mail.html_diff.trim();
    html! {
        h1 style=(style::HEADLINE) {
            @if old != new && !old.is_empty() {
                span style=(style::OLD_HEADLINE) { (old) } "→ "
            }
            (new)
        }
        "\n"
        @if mail.kind == AlertKind::Removed {
            p style=(style::NOTICE) { (removed_notice(mail)) } "\n"
        }
        table role="presentation" style=(style::META) {
            "\n"
            @for (key, value) in meta(mail) {
                tr {
                    td style=(style::META_KEY) { (key) }
                    td style=(style::META_VALUE) {
                        @match key {
                            "Link" => (link(&mail.url)),
                            "Archived" => (link(&value)),
                            _ => (value),
                        }
                    }
                }
                "\n"
            }
        }
        "\n"
        div style=(style::DIFF) {
            "\n"
            @if diff.is_empty() {
                p style="margin:0" { "(no wording to show)" }
            } @else {
                // Rendered, escaped and styled by the one HTML renderer.
                (PreEscaped(diff)) "\n"
            }
        }
        "\n"
        p style=(style::FOOT) {
            "See this diff again with:" br;
            code style=(style::CODE) { (replay_command(mail)) }
        }
        "\n"
    }
}

fn html_document(title: &str, inner: Markup) -> Markup {
    html! {
        (DOCTYPE) "\n"
        html {
            "\n"
            head {
                "\n" meta charset="utf-8";
                "\n" meta name="viewport" content="width=device-width, initial-scale=1";
                "\n" title { (title) } "\n"
            }
            "\n"
            body style=(style::BODY) {
                "\n" div style=(style::WRAP) { "\n" (inner) } "\n"
            }
            "\n"
        }
        "\n"
    }
}

/// The labelled lines between the headline and the diff, shared by both bodies.
fn meta(mail: &AlertMail) -> Vec<(&'static str, String)> {
    let mut rows = vec![("Link", one_line(&mail.url))];
    if let Some(from) = &mail.moved_from {
        rows.push((
            "Moved",
            format!("{} → {}", one_line(from), one_line(&mail.url)),
        ));
    }
    if let Some(archived) = &mail.archived {
        rows.push(("Archived", one_line(archived)));
    }
    rows.push(("Feed", one_line(&mail.feed)));
    if !mail.topics.is_empty() {
        let key = if mail.topics.len() == 1 {
            "Topic"
        } else {
            "Topics"
        };
        rows.push((key, one_line(&mail.topics.join(", "))));
    }
    if mail.kind == AlertKind::Coverage {
        // The first version, set against the stored copy: no second version, no counts.
        rows.push((
            "Version",
            format!("{} ({})", mail.to_version, time(mail.to_time)),
        ));
        return rows;
    }
    rows.push((
        "Versions",
        format!(
            "{} ({}) → {} ({})",
            mail.from_version,
            time(mail.from_time),
            mail.to_version,
            time(mail.to_time)
        ),
    ));
    if !mail.labels.is_empty() {
        rows.push(("Labels", mail.labels.to_string()));
    }
    rows.push((
        "Changes",
        format!(
            "{} added, {} removed",
            count(mail.words_added, "word"),
            count(mail.words_removed, "word")
        ),
    ));
    if let Some(declared) = &mail.declared {
        rows.push(("Declared", one_line(declared)));
    }
    rows
}

fn removed_notice(mail: &AlertMail) -> String {
    format!(
        "The outlet removed this article: its link stopped leading to it (noticed {}). \
         The last version redline kept is {}.",
        time(mail.to_time),
        mail.from_version
    )
}

/// The last line of every alert: how to see the same diff again.
pub(crate) fn replay_command(mail: &AlertMail) -> String {
    if mail.kind == AlertKind::Coverage {
        return format!("redline replay --article {}", mail.article_id);
    }
    format!(
        "redline diff {} --from {} --to {}",
        mail.article_id, mail.from_version, mail.to_version
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A link for the HTML body: clickable only for `http(s)` URLs, so that a feed cannot
/// smuggle a `javascript:` or `data:` link into the message. Escaped either way.
pub(crate) fn link(url: &str) -> Markup {
    let url = one_line(url);
    let safe = url::Url::parse(&url)
        .map(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or(false);
    html! {
        @if safe {
            a href=(url) style=(style::LINK) { (url) }
        } @else {
            (url)
        }
    }
}

/// Folds line breaks, tabs and other control characters into single spaces, so a
/// headline or URL cannot break the layout (or a header) with a newline of its own.
pub(crate) fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn mail() -> AlertMail {
        AlertMail {
            alert_id: 3,
            article_id: 9,
            kind: AlertKind::Reworded,
            labels: [crate::diff::Label::Figures].into_iter().collect(),
            headline_old: "Old".into(),
            headline_new: "Old".into(),
            url: "https://example.org/a?x=1&y=2".into(),
            moved_from: None,
            archived: None,
            feed: "Feed".into(),
            topics: vec!["t".into()],
            from_version: 1,
            to_version: 2,
            from_time: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
            to_time: Utc.with_ymd_and_hms(2024, 1, 2, 5, 4, 5).unwrap(),
            words_added: 1,
            words_removed: 2,
            text_diff: "a [-b-]{+c+}\n".into(),
            html_diff: "<p>a <span>c</span></p>".into(),
            thread_root: None,
            declared: Some("no update declared".into()),
        }
    }

    #[test]
    fn last_line_is_the_replay_command() {
        let text = text_body(&mail());
        assert_eq!(text.lines().last(), Some("redline diff 9 --from 1 --to 2"));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn unchanged_headline_is_shown_once() {
        let text = text_body(&mail());
        assert!(text.starts_with("Old\n\n"), "{text}");
        assert!(!text.contains("→ Old"), "{text}");
    }

    #[test]
    fn changed_headline_shows_old_then_new() {
        let mut m = mail();
        m.headline_new = "New".into();
        assert!(text_body(&m).starts_with("Old\n→ New\n\n"));
        assert!(html_body(&m).contains("\">Old</span>→ New</h1>"));
    }

    #[test]
    fn what_the_outlet_declared_is_shown() {
        let mut m = mail();
        assert!(text_body(&m).contains("Declared: no update declared\n"));
        m.declared = Some("the outlet marked it updated at 10:41".into());
        assert!(text_body(&m).contains("Declared: the outlet marked it updated at 10:41\n"));
        assert!(html_body(&m).contains(">the outlet marked it updated at 10:41</td>"));
        m.declared = None;
        assert!(!text_body(&m).contains("Declared:"));
    }

    #[test]
    fn singular_and_plural() {
        let text = text_body(&mail());
        assert!(
            text.contains("Changes:  1 word added, 2 words removed"),
            "{text}"
        );
        assert!(text.contains("Topic:    t\n"), "{text}");
    }

    #[test]
    fn labels_are_listed_in_both_bodies() {
        let text = text_body(&mail());
        assert!(text.contains("Labels:   figures\n"), "{text}");
        assert!(
            html_body(&mail()).contains(
                ">Labels</td><td style=\"padding:2px 0;vertical-align:top\">figures</td>"
            )
        );
        let mut m = mail();
        m.labels = crate::diff::Labels::new();
        assert!(!text_body(&m).contains("Labels:"));
    }

    #[test]
    fn non_http_links_are_not_clickable() {
        let mut m = mail();
        m.url = "javascript:alert(1)".into();
        let html = html_body(&m);
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("javascript:alert(1)"));
    }

    #[test]
    fn url_is_escaped_in_href_and_text() {
        let html = html_body(&mail());
        assert!(html.contains(
            "<a href=\"https://example.org/a?x=1&amp;y=2\" style=\"color:#0969da;word-break:break-all\">https://example.org/a?x=1&amp;y=2</a>"
        ), "{html}");
    }

    #[test]
    fn no_style_block() {
        assert!(!html_body(&mail()).contains("<style"));
    }

    #[test]
    fn a_move_shows_the_old_and_new_address() {
        let mut m = mail();
        assert!(!text_body(&m).contains("Moved:"));
        m.moved_from = Some("https://example.org/old-slug".into());
        let text = text_body(&m);
        assert!(
            text.contains("Moved:    https://example.org/old-slug → https://example.org/a?x=1&y=2"),
            "{text}"
        );
        assert!(
            html_body(&m)
                .contains("https://example.org/old-slug → https://example.org/a?x=1&amp;y=2")
        );
    }

    #[test]
    fn removed_alert_says_so() {
        let mut m = mail();
        m.kind = AlertKind::Removed;
        m.text_diff.clear();
        m.html_diff.clear();
        let text = text_body(&m);
        assert!(text.contains("The outlet removed this article"), "{text}");
        assert!(text.contains("(no wording to show)"));
        assert!(html_body(&m).contains("The outlet removed this article"));
    }

    #[test]
    fn newlines_in_headlines_are_folded() {
        let mut m = mail();
        m.headline_new = "Line one\r\nLine\ttwo".into();
        m.headline_old = m.headline_new.clone();
        assert!(text_body(&m).starts_with("Line one Line two\n\n"));
    }
}
