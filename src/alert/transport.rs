//! Delivering messages: one [`Mailer`] over lettre's SMTP, sendmail and file transports,
//! and [`test_email`] for `redline test-email`.
//!
//! Failures come back as [`SendError`]s, sorted into temporary (keep queued, retry) and
//! permanent (mark failed) by [`super::failure`].
//!
//! The SMTP password never appears in an error, a log line or a `Debug` output: it is
//! read in [`Mailer::from_config`] and handed straight to lettre, whose credentials print
//! as `Credentials`. Keep lettre's `tracing` feature off: it logs every line written to
//! the server, the base64 AUTH exchange included (`tests/email.rs` would catch that).

use std::fmt;
use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
use lettre::{
    AsyncFileTransport, AsyncSendmailTransport, AsyncSmtpTransport, AsyncTransport, Message,
    Tokio1Executor,
};

use super::AlertError;
pub use super::failure::SendError;
use super::failure::{answer, chain, sendmail_error, smtp_error};
use super::message::message_id_for;
use crate::config::{Config, SmtpConfig, Tls, Transport};

/// The configured way out for messages. Build it once and keep it: the SMTP transport
/// pools its connections.
pub struct Mailer {
    inner: Inner,
}

enum Inner {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        host: String,
        port: u16,
        tls: Tls,
        username: Option<String>,
    },
    Sendmail {
        transport: AsyncSendmailTransport<Tokio1Executor>,
        command: String,
    },
    File {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

impl Mailer {
    /// Builds the transport named in `[email]`.
    ///
    /// For `smtp`, reads the password from `password_env` or `password_file`; this must
    /// run inside a Tokio runtime, where lettre's connection pool keeps its cleanup task.
    /// For `file`, creates [`Config::mail_dir`] if needed.
    pub fn from_config(config: &Config) -> Result<Mailer, AlertError> {
        let email = &config.email;
        let inner = match email.transport {
            Transport::Smtp => {
                let smtp = email.smtp.as_ref().ok_or_else(|| {
                    AlertError::Smtp(
                        "transport = \"smtp\" needs an [email.smtp] table with at least `host`"
                            .into(),
                    )
                })?;
                Inner::Smtp {
                    transport: smtp_transport(smtp)?,
                    host: smtp.host.clone(),
                    port: smtp.port(),
                    tls: smtp.tls,
                    username: smtp.username.clone(),
                }
            }
            Transport::Sendmail => Inner::Sendmail {
                transport: AsyncSendmailTransport::new_with_command(&email.sendmail_command),
                command: email.sendmail_command.clone(),
            },
            Transport::File => {
                let dir = config.mail_dir();
                std::fs::create_dir_all(&dir).map_err(|source| AlertError::MailDir {
                    path: dir.clone(),
                    source,
                })?;
                Inner::File {
                    transport: AsyncFileTransport::new(&dir),
                    dir,
                }
            }
        };
        let mailer = Mailer { inner };
        tracing::debug!(transport = %mailer, "mail transport ready");
        Ok(mailer)
    }

    /// Sends one message to the recipients of its envelope (its `To` addresses) and
    /// returns what the other side said: the SMTP server's answer (`250 2.0.0 OK …`), the
    /// file written, or that sendmail took it.
    pub async fn send(&self, msg: &Message) -> Result<String, SendError> {
        let message_id = msg.headers().get_raw("Message-ID").unwrap_or("-");
        tracing::debug!(message_id, transport = %self, "sending mail");
        let (envelope, raw) = (msg.envelope(), msg.formatted());
        let result = match &self.inner {
            Inner::Smtp {
                transport,
                host,
                port,
                tls,
                ..
            } => match transport.send_raw(envelope, &raw).await {
                Ok(response) => Ok(answer(response.code(), response.message())),
                Err(e) => Err(smtp_error(&e, host, *port, *tls)),
            },
            Inner::Sendmail { transport, command } => {
                match transport.send_raw(envelope, &raw).await {
                    Ok(()) => Ok(format!("accepted by {command}")),
                    Err(e) => Err(sendmail_error(&e, command)),
                }
            }
            Inner::File { transport, dir } => match transport.send_raw(envelope, &raw).await {
                Ok(id) => Ok(format!(
                    "written to {}",
                    dir.join(format!("{id}.eml")).display()
                )),
                Err(e) => Err(SendError::Temporary(format!(
                    "cannot write the message to {}: {}",
                    dir.display(),
                    chain(&e)
                ))),
            },
        };
        match &result {
            Ok(answer) => tracing::info!(message_id, answer = %answer, "mail sent"),
            Err(e) => tracing::debug!(
                message_id,
                error = %e,
                temporary = e.is_temporary(),
                "mail not sent"
            ),
        }
        result
    }
}

impl fmt::Display for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Smtp {
                host,
                port,
                tls,
                username,
                ..
            } => {
                let tls = match tls {
                    Tls::Starttls => "starttls",
                    Tls::Tls => "tls",
                    Tls::None => "none",
                };
                write!(f, "smtp {host}:{port} (tls {tls}")?;
                if let Some(user) = username {
                    write!(f, ", user {user}")?;
                }
                write!(f, ")")
            }
            Inner::Sendmail { command, .. } => write!(f, "sendmail ({command})"),
            Inner::File { dir, .. } => write!(f, "file {}", dir.display()),
        }
    }
}

impl fmt::Debug for Mailer {
    // By hand, so that nothing of the transport's internals is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("transport", &format_args!("{self}"))
            .finish()
    }
}

/// Sends a short test message through the configured transport to `to`, or else to
/// `email.to`, and returns the server's answer.
pub async fn test_email(config: &Config, to: Option<&str>) -> Result<String, SendError> {
    let permanent = |e: AlertError| SendError::Permanent(e.to_string());
    let mailer = Mailer::from_config(config).map_err(permanent)?;
    let msg = test_message(config, &mailer, to).map_err(permanent)?;
    mailer.send(&msg).await
}

fn test_message(config: &Config, mailer: &Mailer, to: Option<&str>) -> Result<Message, AlertError> {
    let parse = |what: &'static str, value: &str| -> Result<Mailbox, AlertError> {
        value.parse().map_err(|e| AlertError::Address {
            what,
            value: value.to_string(),
            reason: format!("{e}"),
        })
    };
    let recipients = match to {
        Some(addr) => vec![parse("--to", addr)?],
        None => config
            .email
            .to
            .iter()
            .map(|t| parse("email.to", t.get_ref()))
            .collect::<Result<_, _>>()?,
    };
    if recipients.is_empty() {
        return Err(AlertError::NoRecipients);
    }
    let from = parse("email.from", config.email.from.get_ref())?;
    let text = format!(
        "This is a test message from redline {}.\n\n\
         It was sent through {mailer} to check that alerts can reach you.\n\
         Nothing needs to be done.\n",
        env!("CARGO_PKG_VERSION")
    );
    let html = maud::html! {
        (maud::DOCTYPE) "\n"
        html {
            head { meta charset="utf-8"; title { "redline test message" } }
            body style="font-family:Helvetica,Arial,sans-serif;font-size:15px" {
                p { "This is a test message from redline " (env!("CARGO_PKG_VERSION")) "." }
                p {
                    "It was sent through " (mailer.to_string()) " to check that alerts can reach you."
                    br; "Nothing needs to be done."
                }
            }
        }
        "\n"
    }
    .into_string();
    // Unlike an alert, every test message is a new one.
    let id = message_id_for("test", chrono::Utc::now().timestamp_millis(), &config.email);
    let mut builder = Message::builder()
        .from(from)
        .subject("[redline] test message")
        .message_id(Some(id));
    for mailbox in recipients {
        builder = builder.to(mailbox);
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(text, html))?)
}

fn smtp_transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, AlertError> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(AlertError::Smtp(
            "the SMTP transport must be built inside a Tokio runtime".into(),
        ));
    }
    let tls = match smtp.tls {
        Tls::None => SmtpTls::None,
        Tls::Starttls => SmtpTls::Required(tls_parameters(smtp)?),
        Tls::Tls => SmtpTls::Wrapper(tls_parameters(smtp)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port())
        .tls(tls)
        .timeout(Some(smtp.timeout.0));
    match (&smtp.username, smtp.password().map_err(AlertError::Smtp)?) {
        (Some(user), Some(password)) => {
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        (Some(_), None) => {
            return Err(AlertError::Smtp(
                "`username` is set but no password: set password_env or password_file".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(AlertError::Smtp(
                "a password is configured but no `username`".into(),
            ));
        }
        (None, None) => {}
    }
    Ok(builder.build())
}

/// The TLS settings for `host`: the built-in roots, plus the certificates in `ca_file`
/// when one is configured. The server's certificate must name `host` (a DNS name, or an
/// IP address as an IP SAN).
fn tls_parameters(smtp: &SmtpConfig) -> Result<TlsParameters, AlertError> {
    let mut builder = TlsParameters::builder(smtp.host.clone());
    if let Some(path) = &smtp.ca_file {
        let bad = |what: String| {
            AlertError::Smtp(format!(
                "cannot use {} (email.smtp.ca_file): {what}",
                path.display()
            ))
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        // lettre takes a PEM file without any certificate in it as an empty list.
        if !pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(bad(
                "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into(),
            ));
        }
        let certificate = Certificate::from_pem(&pem).map_err(|e| bad(chain(&e)))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build().map_err(|e| match &smtp.ca_file {
        // rustls only parses the certificates here, when adding them to the roots.
        Some(path) => AlertError::Smtp(format!(
            "cannot set up TLS for {} with {} (email.smtp.ca_file): {}",
            smtp.host,
            path.display(),
            chain(&e)
        )),
        None => AlertError::Smtp(format!(
            "cannot set up TLS for {}: {}",
            smtp.host,
            chain(&e)
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn smtp_outside_a_runtime_is_an_error_not_a_panic() {
        let config = Config::from_str(
            "[email]\ntransport = \"smtp\"\n[email.smtp]\nhost = \"127.0.0.1\"\ntls = \"none\"\n",
            Path::new("t.toml"),
        )
        .expect("valid config");
        let e = Mailer::from_config(&config).expect_err("must fail");
        assert!(e.to_string().contains("Tokio runtime"), "{e}");
    }

    #[tokio::test]
    async fn missing_password_variable_is_named() {
        let config = Config::from_str(
            "[email]\ntransport = \"smtp\"\n[email.smtp]\nhost = \"127.0.0.1\"\nusername = \"u\"\n\
             password_env = \"REDLINE_TEST_SURELY_UNSET_9f2c\"\n",
            Path::new("t.toml"),
        )
        .expect("valid config");
        let e = Mailer::from_config(&config).expect_err("must fail");
        assert!(
            e.to_string().contains("REDLINE_TEST_SURELY_UNSET_9f2c"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_bad_ca_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let smtp = |file: &Path| {
            Config::from_str(
                &format!(
                    "[email]\ntransport = \"smtp\"\n[email.smtp]\nhost = \"127.0.0.1\"\n\
                     ca_file = {:?}\n",
                    file.display().to_string()
                ),
                Path::new("t.toml"),
            )
            .expect("valid config")
        };
        let missing = dir.path().join("missing.pem");
        let e = Mailer::from_config(&smtp(&missing)).expect_err("must fail");
        assert!(
            e.to_string().contains(&format!(
                "cannot use {} (email.smtp.ca_file): ",
                missing.display()
            )),
            "{e}"
        );

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let e = Mailer::from_config(&smtp(&empty)).expect_err("must fail");
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        assert!(e.to_string().contains(&empty.display().to_string()), "{e}");

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let e = Mailer::from_config(&smtp(&garbage)).expect_err("must fail");
        assert!(
            e.to_string().contains(&garbage.display().to_string()),
            "{e}"
        );
        assert!(e.to_string().contains("email.smtp.ca_file"), "{e}");
    }

    #[tokio::test]
    async fn mailer_debug_shows_only_the_destination() {
        let dir = std::env::temp_dir().join(format!("redline-mailer-{}", std::process::id()));
        let config = Config::from_str(
            &format!("[email]\ndir = {:?}\n", dir.display().to_string()),
            Path::new("t.toml"),
        )
        .expect("valid config");
        let mailer = Mailer::from_config(&config).expect("file mailer");
        assert_eq!(
            format!("{mailer:?}"),
            format!("Mailer {{ transport: file {} }}", dir.display())
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn missing_sendmail_is_permanent() {
        let config = Config::from_str(
            "[email]\ntransport = \"sendmail\"\nto = [\"you@example.org\"]\n\
             sendmail_command = \"/nonexistent/redline-sendmail\"\n",
            Path::new("t.toml"),
        )
        .expect("valid config");
        let e = test_email(&config, None).await.expect_err("must fail");
        assert!(!e.is_temporary(), "{e}");
        assert!(
            e.to_string()
                .contains("cannot run /nonexistent/redline-sendmail"),
            "{e}"
        );
    }
}
