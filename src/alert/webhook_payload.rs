//! What a webhook receives: an alert written as a request body in one of the three
//! formats (`json`, `slack`, `ntfy`), with the headers that format needs.
//!
//! Plain functions of the alert's data, with no clock and no I/O, so the same alert gives
//! the same bytes. The sender still keeps the request it built for a row's first try and
//! sends exactly that on every retry ([`super::webhook`]), because the data can grow in
//! between (an archive snapshot link that arrives later) and the signature and the
//! receiver's de-duplication depend on the bytes being the same.
//!
//! The diff is the one the email shows: [`AlertMail::text_diff`] and
//! [`AlertMail::html_diff`], rendered by the same functions as the alert email.

use chrono::{DateTime, SecondsFormat, Utc};

use super::{AlertKind, AlertMail, subject};
use crate::config::{WebhookFormat, defaults};
use crate::diff::{self, Labels, render};
use crate::text::Copy;

/// A request body and the headers that describe it (`Content-Type`, ntfy's `Title` …).
/// The delivery id and the signature are added when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Payload {
    /// The headers as JSON, as the outbox keeps them.
    pub fn headers_json(&self) -> String {
        serde_json::to_string(&self.headers).unwrap_or_else(|_| "[]".into())
    }

    /// A payload as the outbox kept it.
    pub fn from_kept(headers: &str, body: Vec<u8>) -> Payload {
        Payload {
            headers: serde_json::from_str(headers).unwrap_or_default(),
            body,
        }
    }
}

/// What a document reports: an alert's kind, or `test` for `redline test-webhook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Reworded,
    Removed,
    Coverage,
    Test,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reworded => "reworded",
            Kind::Removed => "removed",
            Kind::Coverage => "coverage",
            Kind::Test => "test",
        }
    }
}

impl From<AlertKind> for Kind {
    fn from(k: AlertKind) -> Kind {
        match k {
            AlertKind::Reworded => Kind::Reworded,
            AlertKind::Removed => Kind::Removed,
            AlertKind::Coverage => Kind::Coverage,
        }
    }
}

/// The `json` document: one per alert, its fields as the README lists them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Document {
    pub alert_id: i64,
    pub kind: Kind,
    pub article_id: i64,
    pub url: String,
    /// The feed's name; `null` for an article tracked directly.
    pub feed: Option<String>,
    pub topics: Vec<String>,
    pub headline: String,
    /// The headline of the `from` version when the change altered it, else `null`.
    pub old_headline: Option<String>,
    pub from_version: u32,
    pub to_version: u32,
    /// RFC 3339, UTC.
    pub detected_at: String,
    pub labels: Labels,
    pub words_added: usize,
    pub words_removed: usize,
    /// The changed paragraphs with a little context, as the email's text part shows them.
    pub diff_text: String,
    /// The same as an HTML fragment, as the email's HTML part shows it.
    pub diff_html: String,
    /// The independent snapshot of the new version (`[archive] submit`), `null` when
    /// there is none (yet).
    pub archive_url: Option<String>,
}

/// The document for an alert detected at `detected_at`, from `feed` (`None`: tracked
/// directly).
pub fn document(mail: &AlertMail, feed: Option<&str>, detected_at: DateTime<Utc>) -> Document {
    Document {
        alert_id: mail.alert_id,
        kind: Kind::from(mail.kind),
        article_id: mail.article_id,
        url: mail.url.clone(),
        feed: feed.map(str::to_string),
        topics: mail.topics.clone(),
        headline: mail.headline_new.clone(),
        old_headline: (mail.headline_old != mail.headline_new).then(|| mail.headline_old.clone()),
        from_version: mail.from_version,
        to_version: mail.to_version,
        detected_at: detected_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        labels: mail.labels.clone(),
        words_added: mail.words_added,
        words_removed: mail.words_removed,
        diff_text: mail.text_diff.clone(),
        diff_html: mail.html_diff.clone(),
        archive_url: mail.archived.clone(),
    }
}

/// The request for `doc` in `format`. `mail` supplies the one-line summary (the email's
/// default subject) that the chat formats lead with.
pub fn payload(format: WebhookFormat, doc: &Document, mail: &AlertMail) -> Payload {
    let summary = subject(mail, defaults::SUBJECT);
    payload_with(format, doc, &summary)
}

fn payload_with(format: WebhookFormat, doc: &Document, summary: &str) -> Payload {
    let see_again = (doc.kind != Kind::Test).then(|| {
        format!(
            "redline diff {} --from {} --to {}",
            doc.article_id, doc.from_version, doc.to_version
        )
    });
    match format {
        WebhookFormat::Json => Payload {
            headers: vec![("Content-Type".into(), "application/json".into())],
            // A struct of strings, numbers and lists always serialises.
            body: serde_json::to_vec(doc).unwrap_or_default(),
        },
        WebhookFormat::Slack => {
            let mut text = format!("{}\n{}\n", slack_escape(summary), slack_escape(&doc.url));
            if let Some(archived) = &doc.archive_url {
                text.push_str(&format!("Archived: {}\n", slack_escape(archived)));
            }
            text.push('\n');
            text.push_str(&slack_escape(doc.diff_text.trim_end()));
            if let Some(line) = &see_again {
                text.push_str(&format!("\n\n{line}"));
            }
            Payload {
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: serde_json::to_vec(&serde_json::json!({ "text": text })).unwrap_or_default(),
            }
        }
        WebhookFormat::Ntfy => {
            let mut body = doc.diff_text.trim_end().to_string();
            if let Some(archived) = &doc.archive_url {
                body.push_str(&format!("\n\nArchived: {archived}"));
            }
            if let Some(line) = &see_again {
                body.push_str(&format!("\n\n{line}"));
            }
            let tags = if doc.labels.is_empty() {
                doc.kind.as_str().to_string()
            } else {
                doc.labels
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            Payload {
                headers: vec![
                    ("Content-Type".into(), "text/plain; charset=utf-8".into()),
                    ("Title".into(), header_text(summary)),
                    ("Tags".into(), header_text(&tags)),
                    ("Click".into(), doc.url.clone()),
                ],
                body: body.into_bytes(),
            }
        }
    }
}

/// Slack's three control characters, escaped as its docs ask (Mattermost reads the
/// same entities back).
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A header value: as it is when printable ASCII, else an RFC 2047 encoded-word, which
/// ntfy (2.4 and later) decodes. Line breaks never reach a header.
fn header_text(s: &str) -> String {
    let line = super::body::one_line(s);
    if line.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        line
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            data_encoding::BASE64.encode(line.as_bytes())
        )
    }
}

/// The document `redline test-webhook` sends: kind `test`, alert id 0, an invented
/// one-word change, rendered like a real one, that shows every field filled in.
pub fn test_document(now: DateTime<Utc>) -> Document {
    let copy = |word: &str| Copy {
        headline: "redline test: this webhook works".into(),
        paragraphs: vec![format!("This is a {word} from redline.")],
    };
    let (old, new) = (copy("rehearsal"), copy("test"));
    let d = diff::diff(&old, &new);
    let opts = render::RenderOptions { context: 1 };
    Document {
        alert_id: 0,
        kind: Kind::Test,
        article_id: 0,
        url: "https://example.org/redline-test".into(),
        feed: Some("redline test".into()),
        topics: Vec::new(),
        headline: new.headline.clone(),
        old_headline: None,
        from_version: 1,
        to_version: 2,
        detected_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        labels: d.labels.clone(),
        words_added: d.words_added,
        words_removed: d.words_removed,
        diff_text: render::word(&d, &opts),
        diff_html: render::html(&d, &opts),
        archive_url: None,
    }
}

/// The test request for `format`.
pub fn test_payload(format: WebhookFormat, now: DateTime<Utc>) -> Payload {
    let doc = test_document(now);
    let summary = doc.headline.clone();
    payload_with(format, &doc, &summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Label;

    fn mail() -> AlertMail {
        AlertMail {
            alert_id: 7,
            article_id: 3,
            kind: AlertKind::Reworded,
            labels: [Label::Figures, Label::Headline].into_iter().collect(),
            headline_old: "Putin & Xi <talk>".into(),
            headline_new: "Putin & Xi — talks".into(),
            url: "https://news.example/a".into(),
            moved_from: None,
            archived: Some("https://web.archive.org/web/1/https://news.example/a".into()),
            feed: "World".into(),
            topics: vec!["russia-china".into()],
            from_version: 1,
            to_version: 2,
            from_time: DateTime::UNIX_EPOCH,
            to_time: DateTime::UNIX_EPOCH,
            words_added: 2,
            words_removed: 1,
            text_diff: "Trade reached [-100-]{+140+} billion.\n".into(),
            html_diff: "<p>Trade</p>".into(),
            thread_root: None,
            declared: None,
        }
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T10:04:07.123Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_json_document_has_every_field_of_the_contract() {
        let m = mail();
        let doc = document(&m, Some("World"), at());
        let p = payload(WebhookFormat::Json, &doc, &m);
        assert_eq!(
            p.headers,
            [("Content-Type".into(), "application/json".into())]
        );
        let v: serde_json::Value = serde_json::from_slice(&p.body).expect("json");
        let mut keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut contract = [
            "alert_id",
            "kind",
            "article_id",
            "url",
            "feed",
            "topics",
            "headline",
            "old_headline",
            "from_version",
            "to_version",
            "detected_at",
            "labels",
            "words_added",
            "words_removed",
            "diff_text",
            "diff_html",
            "archive_url",
        ];
        contract.sort_unstable();
        assert_eq!(keys, contract);
        // In the body, the fields come in the order of the contract.
        let body = String::from_utf8(p.body.clone()).expect("utf-8");
        assert!(
            body.starts_with("{\"alert_id\":7,\"kind\":\"reworded\",\"article_id\":3,"),
            "{body}"
        );
        assert_eq!(v["detected_at"], "2026-11-30T10:04:07Z");
        assert_eq!(v["labels"], serde_json::json!(["headline", "figures"]));
        assert_eq!(v["old_headline"], "Putin & Xi <talk>");
        assert_eq!(v["kind"], "reworded");
        for k in AlertKind::ALL {
            assert_eq!(Kind::from(*k).as_str(), k.as_str());
        }
        // Rendering is a function of the data: the same alert, the same bytes.
        assert_eq!(payload(WebhookFormat::Json, &doc, &m), p);
        // An unchanged headline has no old one.
        let mut same = m.clone();
        same.headline_old = same.headline_new.clone();
        assert!(document(&same, None, at()).old_headline.is_none());
    }

    #[test]
    fn slack_text_is_escaped_and_leads_with_the_summary() {
        let m = mail();
        let p = payload(WebhookFormat::Slack, &document(&m, Some("World"), at()), &m);
        let v: serde_json::Value = serde_json::from_slice(&p.body).expect("json");
        let text = v["text"].as_str().expect("text");
        assert_eq!(v.as_object().map(|o| o.len()), Some(1));
        assert!(
            text.starts_with("[redline] Putin &amp; Xi — talks — headline, figures (World)\nhttps://news.example/a\n"),
            "{text}"
        );
        assert!(text.contains("[-100-]{+140+}"), "{text}");
        assert!(text.ends_with("redline diff 3 --from 1 --to 2"), "{text}");
    }

    #[test]
    fn ntfy_headers_are_ascii_or_encoded_words() {
        let m = mail();
        let p = payload(WebhookFormat::Ntfy, &document(&m, Some("World"), at()), &m);
        let h = |n: &str| {
            p.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(h("Content-Type"), "text/plain; charset=utf-8");
        assert_eq!(h("Tags"), "headline,figures");
        assert_eq!(h("Click"), "https://news.example/a");
        let title = h("Title");
        let encoded = title
            .strip_prefix("=?UTF-8?B?")
            .and_then(|t| t.strip_suffix("?="))
            .expect("an encoded-word: the headline has a dash");
        let decoded = data_encoding::BASE64
            .decode(encoded.as_bytes())
            .expect("base64");
        assert_eq!(
            String::from_utf8(decoded).expect("utf-8"),
            "[redline] Putin & Xi — talks — headline, figures (World)"
        );
        let body = String::from_utf8(p.body).expect("utf-8");
        assert!(
            body.starts_with("Trade reached [-100-]{+140+} billion."),
            "{body}"
        );
        assert!(
            body.contains("Archived: https://web.archive.org/"),
            "{body}"
        );
        assert_eq!(header_text("plain"), "plain");
    }

    #[test]
    fn the_kept_headers_read_back() {
        let p = test_payload(WebhookFormat::Ntfy, at());
        assert_eq!(Payload::from_kept(&p.headers_json(), p.body.clone()), p);
    }
}
