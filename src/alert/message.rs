//! An alert as an email message: subject, threading headers and the two bodies.
//!
//! Every header that identifies a message is derived from stored data, never from the
//! clock or a random number, so that sending the same alert again (after a crash, or with
//! `redline replay --email`) produces a message a mail client recognises as the same one:
//!
//! - `Message-ID: <redline.alert.<alert id>@<domain of email.from>>`;
//! - `In-Reply-To` and `References` name the article's first alert, so that every edit
//!   of one article lands in one thread;
//! - `Date` is the time the new version was seen;
//! - `List-Id: redline <redline.<domain>>`, to filter on, and `Auto-Submitted:
//!   auto-generated` (RFC 3834), so that vacation responders stay quiet.
//!
//! Non-ASCII subjects are encoded by lettre as RFC 2047 encoded-words.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, MultiPart};

use super::AlertError;
use super::body::{digest_html, digest_text, html_body, one_line, text_body};
use crate::config::EmailConfig;
use crate::diff::Labels;
pub use crate::store::AlertKind;

/// Everything one alert message shows, as plain data from the store and the differ.
#[derive(Debug, Clone)]
pub struct AlertMail {
    pub alert_id: i64,
    pub article_id: i64,
    pub kind: AlertKind,
    /// What kind of change the new version is (empty for a removal).
    pub labels: Labels,
    /// The headline of the `from` version.
    pub headline_old: String,
    /// The headline of the `to` version; equal to `headline_old` when it did not change.
    pub headline_new: String,
    pub url: String,
    /// The address the article moved from on its way to this version (a new slug, a
    /// permanent redirect), when it moved.
    pub moved_from: Option<String>,
    /// The independent snapshot of the new version (`[archive] submit`), once the
    /// archive answered with its link.
    pub archived: Option<String>,
    /// The feed's name.
    pub feed: String,
    /// The names of the topics the article matched.
    pub topics: Vec<String>,
    pub from_version: u32,
    pub to_version: u32,
    pub from_time: DateTime<Utc>,
    pub to_time: DateTime<Utc>,
    pub words_added: usize,
    pub words_removed: usize,
    /// Plain-text diff fragment: only the changed paragraphs with context, removed words
    /// `[-like this-]`, added words `{+like this+}`.
    pub text_diff: String,
    /// HTML fragment of the same, escaped and inline-styled by the differ, embedded as is.
    pub html_diff: String,
    /// The alert id of this article's first alert; `None` when this one is the first.
    pub thread_root: Option<i64>,
    /// What the outlet declared about the new version ("the outlet marked it updated at
    /// T" or "no update declared"); `None` for a removal.
    pub declared: Option<String>,
}

const LIST_ID: HeaderName = HeaderName::new_from_ascii_str("List-Id");
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

/// Used in message ids when `email.from` has no usable domain.
const FALLBACK_DOMAIN: &str = "redline.invalid";

/// Builds the alert message for `to`.
pub fn build(mail: &AlertMail, email: &EmailConfig, to: &[Mailbox]) -> Result<Message, AlertError> {
    if to.is_empty() {
        return Err(AlertError::NoRecipients);
    }
    let from = from_mailbox(email)?;
    let domain = id_domain(&from);
    let mut builder = headers(Message::builder(), from, &domain)
        .subject(subject(mail, &email.subject))
        .date(SystemTime::from(mail.to_time))
        .message_id(Some(make_id("alert", mail.alert_id, &domain)));
    for mailbox in to {
        builder = builder.to(mailbox.clone());
    }
    if let Some(root) = mail.thread_root.filter(|&root| root != mail.alert_id) {
        let root = make_id("alert", root, &domain);
        builder = builder.in_reply_to(root.clone()).references(root);
    }
    let body = MultiPart::alternative_plain_html(text_body(mail), html_body(mail));
    Ok(builder.multipart(body)?)
}

/// Builds one message that carries several alerts, each in its own section formatted
/// like a single alert. `digest_id` identifies the batch (e.g. the outbox row that
/// collected it) and makes its `Message-ID`.
pub fn build_digest(
    mails: &[AlertMail],
    email: &EmailConfig,
    to: &Mailbox,
    digest_id: i64,
) -> Result<Message, AlertError> {
    let (first, latest) = match (mails.first(), mails.iter().map(|m| m.to_time).max()) {
        (Some(first), Some(latest)) => (first, latest),
        _ => return Err(AlertError::EmptyDigest),
    };
    let subject = if mails.len() == 1 {
        subject(first, &email.subject)
    } else {
        let mut feeds: Vec<String> = Vec::new();
        for mail in mails {
            let feed = one_line(&mail.feed);
            if !feeds.contains(&feed) {
                feeds.push(feed);
            }
        }
        format!(
            "[redline] digest: {} changes ({})",
            mails.len(),
            feeds.join(", ")
        )
    };
    let from = from_mailbox(email)?;
    let domain = id_domain(&from);
    let body = MultiPart::alternative_plain_html(digest_text(mails), digest_html(mails));
    Ok(headers(Message::builder(), from, &domain)
        .to(to.clone())
        .subject(subject)
        .date(SystemTime::from(latest))
        .message_id(Some(make_id("digest", digest_id, &domain)))
        .multipart(body)?)
}

/// The `Message-ID` of an alert, e.g. `<redline.alert.42@example.org>`: the same every
/// time the alert is built, as long as the domain of `email.from` stays the same.
pub fn message_id(alert_id: i64, email: &EmailConfig) -> String {
    message_id_for("alert", alert_id, email)
}

/// A message id of redline's form for any kind of message (`alert`, `digest`, `test`).
pub(crate) fn message_id_for(kind: &str, id: i64, email: &EmailConfig) -> String {
    let domain = from_mailbox(email)
        .map(|from| id_domain(&from))
        .unwrap_or_else(|_| FALLBACK_DOMAIN.to_string());
    make_id(kind, id, &domain)
}

/// The subject for an alert, from the `email.subject` template.
///
/// Placeholders: `{headline}` (the new headline), `{feed}`, `{topic}` (all topics, comma
/// separated), `{words_added}`, `{words_removed}` and `{change}`: the version's change
/// labels (`figures, addition`), `reworded` for a change without labels, `removed`, or `coverage`.
/// Unknown placeholders are left as written. For a removed article the word
/// `reworded` in the template itself reads `removed` (for a coverage alert, `coverage`),
/// so the default template works for every kind. Substitution is one pass: a headline containing `{feed}` stays as it is.
pub fn subject(mail: &AlertMail, template: &str) -> String {
    let headline = [&mail.headline_new, &mail.headline_old, &mail.url]
        .into_iter()
        .map(|s| one_line(s))
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "headline" => headline.clone(),
            "feed" => mail.feed.clone(),
            "topic" => mail.topics.join(", "),
            "words_added" => mail.words_added.to_string(),
            "words_removed" => mail.words_removed.to_string(),
            "change" => change(mail),
            _ => return None,
        })
    };
    let literal = |s: &str| -> String {
        match mail.kind {
            AlertKind::Reworded => s.to_string(),
            AlertKind::Removed => s.replace("reworded", "removed"),
            AlertKind::Coverage => s.replace("reworded", "coverage"),
        }
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&literal(&rest[..open]));
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((value(&after[..close])?, close)))
        {
            Some((v, close)) => {
                out.push_str(&v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(&literal(rest));
    one_line(&out)
}

/// What `{change}` stands for: the labels of a rewording, else the alert kind.
pub(crate) fn change(mail: &AlertMail) -> String {
    match mail.kind {
        AlertKind::Reworded if !mail.labels.is_empty() => mail.labels.to_string(),
        kind => kind.verb().to_string(),
    }
}

/// From, List-Id and Auto-Submitted: the headers every redline message carries.
fn headers(builder: MessageBuilder, from: Mailbox, domain: &str) -> MessageBuilder {
    builder
        .from(from)
        .raw_header(HeaderValue::new(
            LIST_ID,
            format!("redline <redline.{domain}>"),
        ))
        .raw_header(HeaderValue::new(AUTO_SUBMITTED, "auto-generated".into()))
}

fn from_mailbox(email: &EmailConfig) -> Result<Mailbox, AlertError> {
    let value = email.from.get_ref();
    value.parse().map_err(|e| AlertError::Address {
        what: "email.from",
        value: value.clone(),
        reason: format!("{e}"),
    })
}

/// The right-hand side of message ids: the sender's domain, lower-cased and in ASCII
/// (an internationalised domain becomes its punycode form).
fn id_domain(from: &Mailbox) -> String {
    let domain = from.email.domain().trim().to_lowercase();
    let ascii = if domain.is_ascii() {
        Some(domain)
    } else {
        url::Host::parse(&domain).ok().map(|h| h.to_string())
    };
    ascii
        .filter(|d| {
            !d.is_empty()
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b))
        })
        .unwrap_or_else(|| FALLBACK_DOMAIN.to_string())
}

fn make_id(kind: &str, id: i64, domain: &str) -> String {
    format!("<redline.{kind}.{id}@{domain}>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::defaults;
    use crate::diff::Label;
    use chrono::TimeZone;

    fn mail() -> AlertMail {
        AlertMail {
            alert_id: 42,
            article_id: 7,
            kind: AlertKind::Reworded,
            labels: [Label::Figures, Label::Addition].into_iter().collect(),
            headline_old: "Old headline".into(),
            headline_new: "New headline".into(),
            url: "https://example.org/a".into(),
            moved_from: None,
            archived: None,
            feed: "World".into(),
            topics: vec!["russia-china".into(), "nato".into()],
            from_version: 1,
            to_version: 2,
            from_time: Utc.with_ymd_and_hms(2021, 12, 23, 11, 40, 0).unwrap(),
            to_time: Utc.with_ymd_and_hms(2021, 12, 23, 14, 5, 0).unwrap(),
            words_added: 3,
            words_removed: 1,
            text_diff: "a [-b-]{+c+}".into(),
            html_diff: "<p>a</p>".into(),
            thread_root: None,
            declared: None,
        }
    }

    fn email(from: &str) -> EmailConfig {
        EmailConfig {
            from: toml::Spanned::new(0..0, from.to_string()),
            ..EmailConfig::default()
        }
    }

    fn raw(msg: &Message) -> String {
        String::from_utf8(msg.formatted()).expect("lettre writes ASCII")
    }

    #[test]
    fn default_subject() {
        assert_eq!(
            subject(&mail(), defaults::SUBJECT),
            "[redline] New headline — figures, addition (World)"
        );
        // A version stored before labels existed says what it is in one word.
        let mut m = mail();
        m.labels = Labels::new();
        assert_eq!(
            subject(&m, defaults::SUBJECT),
            "[redline] New headline — reworded (World)"
        );
    }

    #[test]
    fn removed_subject_says_removed() {
        let mut m = mail();
        m.kind = AlertKind::Removed;
        assert_eq!(
            subject(&m, defaults::SUBJECT),
            "[redline] New headline — removed (World)"
        );
    }

    #[test]
    fn every_placeholder() {
        assert_eq!(
            subject(
                &mail(),
                "{topic}: {headline} +{words_added} -{words_removed} {change} {nope} {"
            ),
            "russia-china, nato: New headline +3 -1 figures, addition {nope} {"
        );
    }

    #[test]
    fn substitution_is_one_pass() {
        let mut m = mail();
        m.headline_new = "About {feed} and reworded".into();
        m.kind = AlertKind::Removed;
        assert_eq!(
            subject(&m, "{headline} reworded"),
            "About {feed} and reworded removed"
        );
    }

    #[test]
    fn message_id_is_stable_and_uses_the_from_domain() {
        let e = email("redline <Alerts@News.Example.ORG>");
        assert_eq!(message_id(42, &e), "<redline.alert.42@news.example.org>");
        assert_eq!(message_id(42, &e), message_id(42, &e));
        assert_eq!(
            message_id(1, &email("r <r@bücher.example>")),
            "<redline.alert.1@xn--bcher-kva.example>"
        );
    }

    #[test]
    fn first_alert_has_no_thread_headers() {
        let to = ["you@example.org".parse().expect("valid address")];
        let text = raw(&build(&mail(), &email("r <r@example.org>"), &to).expect("builds"));
        assert!(
            text.contains("Message-ID: <redline.alert.42@example.org>\r\n"),
            "{text}"
        );
        assert!(!text.contains("In-Reply-To"), "{text}");
        assert!(!text.contains("References"), "{text}");
        assert!(
            text.contains("List-Id: redline <redline.example.org>\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Auto-Submitted: auto-generated\r\n"),
            "{text}"
        );
        assert!(text.contains("Date: Thu, 23 Dec 2021 14:05:00 "), "{text}");
    }

    #[test]
    fn follow_up_points_at_the_first_alert() {
        let mut m = mail();
        m.thread_root = Some(40);
        let to = ["you@example.org".parse().expect("valid address")];
        let text = raw(&build(&m, &email("r <r@example.org>"), &to).expect("builds"));
        assert!(
            text.contains("In-Reply-To: <redline.alert.40@example.org>\r\n"),
            "{text}"
        );
        assert!(
            text.contains("References: <redline.alert.40@example.org>\r\n"),
            "{text}"
        );
    }

    #[test]
    fn no_recipients_is_an_error() {
        assert!(matches!(
            build(&mail(), &email("r <r@example.org>"), &[]),
            Err(AlertError::NoRecipients)
        ));
    }

    #[test]
    fn digest_needs_alerts_and_has_one_section_each() {
        let e = email("r <r@example.org>");
        let to: Mailbox = "you@example.org".parse().expect("valid address");
        assert!(matches!(
            build_digest(&[], &e, &to, 1),
            Err(AlertError::EmptyDigest)
        ));
        let mut second = mail();
        second.article_id = 8;
        second.feed = "Other".into();
        let text = digest_text(&[mail(), second.clone()]);
        assert!(
            text.starts_with("redline: 2 changes\n\n1. New headline (World)\n"),
            "{text}"
        );
        assert_eq!(text.matches("redline diff ").count(), 2);
        let msg = raw(&build_digest(&[mail(), second], &e, &to, 5).expect("builds"));
        assert!(
            msg.contains("Message-ID: <redline.digest.5@example.org>\r\n"),
            "{msg}"
        );
        assert!(
            msg.contains("Subject: [redline] digest: 2 changes (World, Other)\r\n"),
            "{msg}"
        );
    }
}
