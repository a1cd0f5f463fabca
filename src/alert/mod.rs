//! Alerts leaving: a detected change as an email message handed to a transport, or as a
//! webhook request POSTed to a receiver.
//!
//! The store decides *what* to send (the outbox); this module decides *how it looks* and
//! *how it leaves*:
//!
//! - [`message`]: an [`AlertMail`] (plain data: headlines, versions, the diff already
//!   rendered as text and HTML fragments) → a `multipart/alternative` [`lettre::Message`]
//!   with threading headers, and the digest that batches several alerts into one message.
//! - [`body`]: the text and HTML bodies themselves; every piece of article text that ends
//!   up in HTML is escaped here.
//! - [`coverage`]: the comparison a `coverage` alert carries: a newly matched article
//!   against the stored copy of its story.
//! - [`transport`]: the [`Mailer`] over lettre's SMTP, sendmail and file transports.
//! - [`outbox`]: the sender that drains the store's outbox exactly once, with retries,
//!   permanent failures and digests.
//! - [`failure`]: the sorting of failures into [`SendError::Temporary`] (keep queued,
//!   retry) and [`SendError::Permanent`] (mark failed), with texts a user can act on.
//! - [`webhook`]: the other channel: the outbox's webhook rows POSTed, signed, retried;
//!   [`webhook_payload`] writes an alert as a `json`, `slack` or `ntfy` request.
//!
//! Nothing here reads the database or logs a secret: the SMTP password is read once in
//! [`Mailer::from_config`] and lives only inside lettre's credentials, whose `Debug` is
//! redacted.

pub mod body;
pub mod coverage;
pub mod failure;
pub mod message;
pub mod outbox;
pub mod transport;
pub mod webhook;
pub mod webhook_payload;

use std::path::PathBuf;

pub use body::{html_body, text_body};
pub use message::{AlertKind, AlertMail, build, build_digest, message_id, subject};
pub use outbox::{DeliveryReport, alert_mail, deliver_due, deliver_due_until, resend};
pub use transport::{Mailer, SendError, test_email};
pub use webhook::Webhooks;

/// Why an alert message or a mailer could not be built. These are problems of data or
/// config, found before anything is sent; failures while sending are [`SendError`]s.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// An address in the config or given on the command line does not parse.
    #[error("{what} {value:?} is not an email address: {reason}")]
    Address {
        /// Where the address came from, e.g. `email.from`.
        what: &'static str,
        value: String,
        reason: String,
    },
    /// The message would have nobody to go to.
    #[error("no recipients: set email.to (or the topic's notify list), or pass --to ADDR")]
    NoRecipients,
    /// A digest was asked for with no alerts in it.
    #[error("a digest needs at least one alert")]
    EmptyDigest,
    /// lettre refused to assemble the message.
    #[error("cannot assemble the email: {0}")]
    Build(#[from] lettre::error::Error),
    /// `[email.smtp]` is missing or unusable (password not readable, bad TLS host …).
    #[error("email.smtp: {0}")]
    Smtp(String),
    /// The directory for `transport = "file"` cannot be created.
    #[error("cannot create the mail directory {}: {source} (set email.dir or fix its permissions)", path.display())]
    MailDir {
        path: PathBuf,
        source: std::io::Error,
    },
}
