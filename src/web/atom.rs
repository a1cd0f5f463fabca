//! `/changes.atom[?topic=NAME]`: Atom 1.0 (RFC 4287), one entry per alert, newest first.
//!
//! Feed readers remember entries by their `id`, so it is derived only from what never
//! changes for an alert: its id and the day it was detected (a `tag:` URI, RFC 4151).
//! Restarting the service or rendering the feed again gives the same ids. `updated` is
//! the detection time, `link` the article's address, and `content type="html"` the
//! changed paragraphs as the alert email shows them (the one HTML renderer's output,
//! escaped once more as XML text by the writer).

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{RECENT, WebError, WebState, params};
use crate::store::{AlertKind, ChangeRow};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// The entry id of an alert: the same on every render, across restarts.
pub fn entry_id(alert_id: i64, detected: DateTime<Utc>) -> String {
    format!(
        "tag:redline,{}:alert/{alert_id}",
        detected.format("%Y-%m-%d")
    )
}

/// One entry's data: the change and its rendered diff.
struct Entry {
    change: ChangeRow,
    html: String,
}

pub(super) async fn feed(
    State(st): State<WebState>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let topic = params(query.as_deref().unwrap_or("")).remove("topic");
    if topic.as_deref().is_some_and(str::is_empty) {
        return Err(WebError::BadRequest(
            "topic must name a topic, as in ?topic=russia-china".into(),
        ));
    }
    let t = topic.clone();
    let changes = st
        .db
        .call(move |s| s.recent_changes(RECENT, t.as_deref()))
        .await?;
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        // The same content as the alert's email; an alert whose versions are gone (never
        // the case in redline's own store) is listed without a diff rather than failing
        // the whole feed.
        let html = match crate::alert::alert_mail(&st.db, change.alert_id).await {
            Ok(mail) => mail.html_diff,
            Err(e) => {
                tracing::warn!(
                    alert = change.alert_id,
                    "Atom entry without its diff: {e:#}"
                );
                String::new()
            }
        };
        entries.push(Entry { change, html });
    }
    let xml = write(topic.as_deref(), &entries)
        .map_err(|e| WebError::BadRequest(format!("cannot write the feed: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

fn write(topic: Option<&str>, entries: &[Entry]) -> std::io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let updated = entries
        .first()
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |e| e.change.detected);
    let (feed_id, title) = match topic {
        Some(t) => (
            format!("tag:redline,2026:changes/topic/{t}"),
            format!("redline: changes on {t}"),
        ),
        None => (
            "tag:redline,2026:changes".to_string(),
            "redline: changes".to_string(),
        ),
    };
    w.create_element("feed")
        .with_attribute(("xmlns", ATOM_NS))
        .write_inner_content(|w| {
            text(w, "id", &feed_id)?;
            text(w, "title", &title)?;
            text(w, "updated", &rfc3339(updated))?;
            w.create_element("author")
                .write_inner_content(|w| text(w, "name", "redline"))?;
            text(w, "generator", "redline")?;
            for e in entries {
                entry(w, e)?;
            }
            Ok(())
        })?;
    String::from_utf8(w.into_inner())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

fn entry(w: &mut Writer<Vec<u8>>, e: &Entry) -> std::io::Result<()> {
    let c = &e.change;
    let what = match c.kind {
        AlertKind::Reworded if !c.labels.is_empty() => c.labels.to_string(),
        kind => kind.as_str().to_string(),
    };
    let feed = c.feed.as_deref().unwrap_or("tracked directly");
    w.create_element("entry").write_inner_content(|w| {
        text(w, "id", &entry_id(c.alert_id, c.detected))?;
        text(
            w,
            "title",
            &format!("{} — {what} ({feed})", one_line(&c.headline)),
        )?;
        text(w, "updated", &rfc3339(c.detected))?;
        w.create_element("author")
            .write_inner_content(|w| text(w, "name", feed))?;
        if url::Url::parse(&c.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            w.create_element("link")
                .with_attribute(("rel", "alternate"))
                .with_attribute(("href", c.url.as_str()))
                .write_empty()?;
        }
        for label in c.labels.iter() {
            w.create_element("category")
                .with_attribute(("term", label.to_string().as_str()))
                .write_empty()?;
        }
        text(
            w,
            "summary",
            &format!(
                "version {} → {}: +{} −{} words",
                c.from_version, c.to_version, c.words_added, c.words_removed
            ),
        )?;
        w.create_element("content")
            .with_attribute(("type", "html"))
            .write_text_content(BytesText::new(&xml_chars(&e.html)))?;
        Ok(())
    })?;
    Ok(())
}

/// `<name>value</name>`, the value escaped by the writer.
fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_chars(value)))?;
    Ok(())
}

/// The text with the characters XML 1.0 cannot carry at all (control characters other
/// than tab and line breaks, escaped or not) replaced by U+FFFD, so that one odd page
/// cannot make the whole feed unreadable.
fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (c as u32) < 0x20
            || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(xml_chars("a\u{1}b\tc\n"), "a\u{FFFD}b\tc\n");
        assert!(matches!(xml_chars("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn entry_ids_depend_only_on_the_alert() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        assert_eq!(entry_id(7, t), "tag:redline,2026-11-30:alert/7");
        assert_eq!(entry_id(7, t), entry_id(7, t));
        assert_ne!(entry_id(7, t), entry_id(8, t));
    }
}
