//! `[email]` and `[email.smtp]`: how alerts are sent, to whom, and how the SMTP
//! password is found.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{Config, ConfigError, Dur, defaults};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Smtp,
    Sendmail,
    #[default]
    File,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    #[serde(default = "default_from")]
    pub from: Spanned<String>,
    #[serde(default)]
    pub to: Vec<Spanned<String>>,
    #[serde(default)]
    pub transport: Transport,
    /// Batch alerts per recipient into one message per window.
    #[serde(default)]
    pub digest: Option<Dur>,
    /// Subject template: `{headline}`, `{feed}`, `{topic}`, `{words_added}`, `{words_removed}`.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// The command for `transport = "sendmail"`.
    #[serde(default = "default_sendmail")]
    pub sendmail_command: String,
    /// Where `transport = "file"` writes `.eml` files; default `<state.dir>/mail`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            from: default_from(),
            to: Vec::new(),
            transport: Transport::File,
            digest: None,
            subject: default_subject(),
            sendmail_command: default_sendmail(),
            dir: None,
            smtp: None,
        }
    }
}

fn default_from() -> Spanned<String> {
    Spanned::new(0..0, "redline <redline@localhost>".to_string())
}
fn default_subject() -> String {
    defaults::SUBJECT.to_string()
}
fn default_sendmail() -> String {
    defaults::SENDMAIL.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    #[default]
    Starttls,
    Tls,
    None,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: Tls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Extra root certificate(s), PEM, trusted for the server besides the built-in
    /// roots: for a relay with a private CA or a self-signed certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_smtp_timeout")]
    pub timeout: Dur,
}

fn default_smtp_timeout() -> Dur {
    Dur(Duration::from_secs(defaults::TIMEOUT_SECS))
}

impl fmt::Debug for SmtpConfig {
    // Written by hand so that nothing secret-adjacent is printed by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl SmtpConfig {
    /// The port, defaulting by TLS mode: 587 for STARTTLS, 465 for TLS, 25 for none.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Starttls => 587,
            Tls::Tls => 465,
            Tls::None => 25,
        })
    }

    /// Reads the password from the environment variable or file named in the config.
    pub fn password(&self) -> Result<Option<String>, String> {
        if let Some(var) = &self.password_env {
            return std::env::var(var).map(Some).map_err(|_| {
                format!("environment variable {var} (email.smtp.password_env) is not set")
            });
        }
        if let Some(path) = &self.password_file {
            return std::fs::read_to_string(path)
                .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| {
                    format!(
                        "cannot read {} (email.smtp.password_file): {e}",
                        path.display()
                    )
                });
        }
        Ok(None)
    }
}

impl Config {
    /// `[email]`: valid addresses, an `[email.smtp]` table that fits the transport, a
    /// digest window longer than zero.
    pub(super) fn validate_email(&self) -> Result<(), ConfigError> {
        check_mailbox(self.email.from.get_ref())
            .map_err(|m| self.err(Some(self.email.from.span()), "email.from".into(), m))?;
        for to in &self.email.to {
            check_mailbox(to.get_ref())
                .map_err(|m| self.err(Some(to.span()), "email.to".into(), m))?;
        }
        if self.email.transport == Transport::Smtp {
            let Some(smtp) = &self.email.smtp else {
                return Err(self.err(
                    None,
                    "email.smtp".into(),
                    "transport = \"smtp\" needs an [email.smtp] table with at least `host`".into(),
                ));
            };
            if smtp.password_env.is_some() && smtp.password_file.is_some() {
                return Err(self.err(
                    None,
                    "email.smtp.password_env".into(),
                    "give password_env or password_file, not both".into(),
                ));
            }
            if smtp.ca_file.is_some() && smtp.tls == Tls::None {
                return Err(self.err(
                    None,
                    "email.smtp.ca_file".into(),
                    "is only used with tls = \"starttls\" or \"tls\", but tls = \"none\"".into(),
                ));
            }
        }
        if let Some(d) = self.email.digest
            && d.0.is_zero()
        {
            return Err(self.err(
                None,
                "email.digest".into(),
                "must be longer than zero".into(),
            ));
        }
        Ok(())
    }
}

pub(super) fn check_mailbox(addr: &str) -> Result<(), String> {
    addr.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{addr:?} is not an email address ({e})"))
}
