//! The webhook sender: drains the outbox's webhook rows, exactly once per receiver that
//! drops duplicates.
//!
//! `Store::record_check` writes one outbox row per (alert, `[[webhook]]`) in the
//! version's transaction, beside the email rows. This module claims each due row (so one
//! process sends it, as with mail), builds its request once ([`webhook_payload`]) and
//! keeps it in the row, so every retry sends the same bytes with the same
//! `X-Redline-Delivery: <alert id>.<webhook name>` and, with a secret, the same
//! `X-Redline-Signature: sha256=<hex HMAC-SHA256 of the body>`.
//!
//! The answer decides the row's fate: a 2xx marks it sent; a 429, a 5xx or no answer at
//! all keeps it queued, retried with the outbox's backoff or after the `Retry-After` the
//! receiver asked for; any other status fails it for good, with the status and the start
//! of the answer kept for `redline replay`. A crash between the POST and the mark can
//! send a delivery twice, with the same delivery id; it can never lose one.
//!
//! Requests go through the one HTTP client ([`Fetcher::post`]): its user agent, timeout
//! and proxy. A webhook URL is the user's choice, like an SMTP host, so it may be on a
//! private network: the public-address rule for links found in feeds does not apply.
//! Neither the secret nor the URL's path (often a secret itself) is logged or kept in an
//! error; see [`shown_url`].
//!
//! [`webhook_payload`]: super::webhook_payload

use std::fmt;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::outbox::{DeliveryReport, alert_mail, retry_delay};
use super::webhook_payload::{Payload, document, payload, test_payload};
use crate::config::{Config, ConfigError, WebhookFormat};
use crate::fetch::{Fetcher, MAX_PAUSE, Posted};
use crate::store::{Channel, Db, OutboxRow};

/// The shortest wait before a retry, whatever `Retry-After` says, so a receiver that
/// answers `Retry-After: 0` to everything is not hammered.
const RETRY_FLOOR: Duration = Duration::from_secs(1);
/// How much of a refusal's answer is kept with the delivery.
const ANSWER_KEPT: usize = 200;

/// One configured webhook, its secret read.
pub struct Hook {
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    secret: Option<String>,
}

impl fmt::Debug for Hook {
    // Written by hand so that the secret is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("name", &self.name)
            .field("url", &shown_url(&self.url))
            .field("format", &self.format)
            .field("signed", &self.secret.is_some())
            .finish()
    }
}

/// The configured webhooks with their secrets, built once per config (the daemon owns
/// it, as it owns the mailer).
#[derive(Debug, Default)]
pub struct Webhooks {
    hooks: Vec<Hook>,
}

impl Webhooks {
    /// Reads each webhook's secret from its `secret_env` variable; an unset variable is
    /// a config error naming the key and line.
    pub fn from_config(config: &Config) -> Result<Webhooks, ConfigError> {
        let secrets = config.webhook_secrets()?;
        let hooks = config
            .webhooks
            .iter()
            .zip(secrets)
            .map(|(h, secret)| Hook {
                name: h.name.get_ref().clone(),
                url: h.url.get_ref().clone(),
                format: h.format,
                secret,
            })
            .collect();
        Ok(Webhooks { hooks })
    }

    /// The webhook named `name`.
    pub fn get(&self, name: &str) -> Option<&Hook> {
        self.hooks.iter().find(|h| h.name == name)
    }
}

/// A webhook URL as logs, errors and `redline check` show it: scheme, host and port
/// only, because the rest often is a secret (a Slack or ntfy URL is its own password).
pub fn shown_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let rest = if u.path() == "/" && u.query().is_none() {
                "/"
            } else {
                "/…"
            };
            format!(
                "{}://{}{port}{rest}",
                u.scheme(),
                u.host_str().unwrap_or_default()
            )
        }
        Err(_) => "(not a URL)".into(),
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: the
/// `X-Redline-Signature` header.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!(
        "sha256={}",
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    )
}

/// What one POST came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: the receiver has it.
    Delivered(String),
    /// A 429, a 5xx, or no answer: try again, after `after` when the receiver said.
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// Any other status: never tried again.
    Failed(String),
}

/// Sorts an answer into an [`Outcome`].
pub fn judge(p: &Posted) -> Outcome {
    let reason = reqwest::StatusCode::from_u16(p.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    let snippet: String = super::body::one_line(&p.answer)
        .chars()
        .take(ANSWER_KEPT)
        .collect();
    let described = if snippet.is_empty() {
        format!("HTTP {}{reason}", p.status)
    } else {
        format!("HTTP {}{reason}: {snippet}", p.status)
    };
    match p.status {
        200..=299 => Outcome::Delivered(described),
        429 | 500..=599 => Outcome::Retry {
            error: described,
            after: p.retry_after,
        },
        _ => Outcome::Failed(described),
    }
}

/// POSTs `payload` to `hook` once, with the delivery id and (with a secret) the
/// signature.
pub async fn send(http: &Fetcher, hook: &Hook, delivery: &str, payload: &Payload) -> Outcome {
    let url = match Url::parse(&hook.url) {
        Ok(u) => u,
        Err(e) => return Outcome::Failed(format!("webhook.url is not a URL: {e}")),
    };
    let mut headers = payload.headers.clone();
    headers.push(("X-Redline-Delivery".into(), delivery.to_string()));
    if let Some(secret) = &hook.secret {
        headers.push((
            "X-Redline-Signature".into(),
            signature(secret.as_bytes(), &payload.body),
        ));
    }
    match http.post(&url, &headers, payload.body.clone()).await {
        Ok(answer) => judge(&answer),
        Err(e) => Outcome::Retry {
            error: format!("{}: {e}", shown_url(&hook.url)),
            after: None,
        },
    }
}

/// The request for one alert to one webhook, built from the store.
pub async fn build(db: &Db, alert_id: i64, format: WebhookFormat) -> anyhow::Result<Payload> {
    let mail = alert_mail(db, alert_id).await?;
    let alert = db
        .call(move |s| s.alert(alert_id))
        .await?
        .with_context(|| format!("alert {alert_id} is missing"))?;
    let doc = document(&mail, alert.feed.as_deref(), alert.created);
    Ok(payload(format, &doc, &mail))
}

/// The request kept for a row's first try, or a new one, kept now.
async fn request_for(db: &Db, row: &OutboxRow, hook: &Hook) -> anyhow::Result<Payload> {
    let id = row.id;
    if let Some((headers, body)) = db.call(move |s| s.webhook_request(id)).await? {
        return Ok(Payload::from_kept(&headers, body));
    }
    let built = build(db, row.alert_id, hook.format).await?;
    let headers = built.headers_json();
    let (headers, body) = db
        .call(move |s| s.keep_webhook_request(id, &headers, &built.body))
        .await?;
    Ok(Payload::from_kept(&headers, body))
}

/// Sends every due webhook delivery once; `now` decides what is due.
pub async fn deliver_due(
    config: &Config,
    db: &Db,
    http: &Fetcher,
    now: DateTime<Utc>,
) -> anyhow::Result<DeliveryReport> {
    let hooks = Webhooks::from_config(config).map_err(|e| e.to_string());
    deliver_due_until(
        config,
        db,
        http,
        hooks.as_ref(),
        now,
        &CancellationToken::new(),
    )
    .await
}

/// Like [`deliver_due`], with the caller's webhooks (the daemon builds them once per
/// config), taking no new delivery once `stop` is cancelled. Webhooks that could not be
/// set up (`Err` says why: a secret variable unset) keep their deliveries queued.
pub async fn deliver_due_until(
    config: &Config,
    db: &Db,
    http: &Fetcher,
    hooks: Result<&Webhooks, &String>,
    now: DateTime<Utc>,
    stop: &CancellationToken,
) -> anyhow::Result<DeliveryReport> {
    let due = db.call(move |s| s.due_webhooks(now)).await?;
    let mut report = DeliveryReport::default();
    let until = now + chrono::Duration::from_std(config.state.lease.0)?;
    for row in due {
        if stop.is_cancelled() {
            break;
        }
        let id = row.id;
        if db
            .call(move |s| s.claim_outbox(&[id], now, until))
            .await?
            .is_empty()
        {
            // Another process is sending it, or has sent it.
            continue;
        }
        let hook = match hooks {
            Ok(hooks) => hooks.get(&row.recipient),
            Err(e) => {
                retry(db, &row, &format!("cannot set up webhooks: {e}"), None, now).await?;
                continue;
            }
        };
        let Some(hook) = hook else {
            let e = format!(
                "no [[webhook]] is named {:?} in the config any more",
                row.recipient
            );
            tracing::error!(alert = row.alert_id, webhook = %row.recipient, "{e}");
            db.call(move |s| s.mark_failed(&[id], &e)).await?;
            continue;
        };
        report.attempted += 1;
        let outcome = match request_for(db, &row, hook).await {
            Ok(request) => {
                let delivery = format!("{}.{}", row.alert_id, hook.name);
                send(http, hook, &delivery, &request).await
            }
            Err(e) => Outcome::Failed(format!("cannot build the request: {e:#}")),
        };
        match outcome {
            Outcome::Delivered(answer) => {
                tracing::info!(alert = row.alert_id, webhook = %hook.name, %answer, "webhook delivered");
                db.call(move |s| s.mark_sent(&[id], &answer, now)).await?;
                report.sent += 1;
            }
            Outcome::Retry { error, after } => {
                tracing::warn!(alert = row.alert_id, webhook = %hook.name, %error, "webhook not delivered; will retry");
                retry(db, &row, &error, after, now).await?;
            }
            Outcome::Failed(error) => {
                tracing::error!(alert = row.alert_id, webhook = %hook.name, %error, "webhook delivery failed for good");
                db.call(move |s| s.mark_failed(&[id], &error)).await?;
            }
        }
    }
    let (queued, _, failed) = db.call(|s| s.outbox_counts_on(Channel::Webhook)).await?;
    report.queued = queued as usize;
    report.failed = failed as usize;
    Ok(report)
}

/// Keeps a row queued: until the receiver's `Retry-After` when it gave one (at least
/// [`RETRY_FLOOR`], at most [`MAX_PAUSE`]), else the outbox's backoff.
async fn retry(
    db: &Db,
    row: &OutboxRow,
    error: &str,
    after: Option<Duration>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let wait = match after {
        Some(a) => a.clamp(RETRY_FLOOR, MAX_PAUSE),
        None => retry_delay(row.attempts),
    };
    let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
    let (id, error) = (row.id, error.to_string());
    db.call(move |s| s.mark_retry(&[id], &error, next)).await?;
    Ok(())
}

/// What `redline test-webhook` got.
#[derive(Debug, Clone)]
pub struct TestReport {
    pub delivery: String,
    pub outcome: Outcome,
}

/// Sends a test document to the webhook `hook` now, outside the outbox. The delivery id
/// is `test-<unix time>.<name>`, so a receiver that drops duplicates still shows each
/// test.
pub async fn test_webhook(http: &Fetcher, hook: &Hook, now: DateTime<Utc>) -> TestReport {
    let delivery = format!("test-{}.{}", now.timestamp(), hook.name);
    let outcome = send(http, hook, &delivery, &test_payload(hook.format, now)).await;
    TestReport { delivery, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn answers_are_sorted_into_delivered_retried_and_failed() {
        let answer = |status, retry_after, body: &str| Posted {
            status,
            retry_after,
            answer: body.into(),
        };
        assert_eq!(
            judge(&answer(204, None, "")),
            Outcome::Delivered("HTTP 204 No Content".into())
        );
        assert_eq!(
            judge(&answer(429, Some(Duration::from_secs(120)), "slow down")),
            Outcome::Retry {
                error: "HTTP 429 Too Many Requests: slow down".into(),
                after: Some(Duration::from_secs(120))
            }
        );
        assert!(matches!(
            judge(&answer(503, None, "")),
            Outcome::Retry { after: None, .. }
        ));
        let long = "x".repeat(5000);
        let Outcome::Failed(e) = judge(&answer(410, None, &format!("gone\n{long}"))) else {
            panic!("410 fails for good");
        };
        assert!(e.starts_with("HTTP 410 Gone: gone x"), "{e}");
        assert!(e.len() < 250, "{e}");
        assert!(matches!(judge(&answer(301, None, "")), Outcome::Failed(_)));
    }

    #[test]
    fn a_url_is_shown_without_its_path() {
        assert_eq!(
            shown_url("https://hooks.slack.com/services/T0/B0/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            shown_url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(shown_url("https://ntfy.sh/?t=secret"), "https://ntfy.sh/…");
    }

    #[test]
    fn a_hook_never_prints_its_secret() {
        let h = Hook {
            name: "desk".into(),
            url: "https://x/".into(),
            format: WebhookFormat::Json,
            secret: Some("hunter2".into()),
        };
        let shown = format!("{h:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("signed: true"),
            "{shown}"
        );
    }
}
