//! What a failed delivery means: [`SendError`], and the sorting of lettre's errors into
//! temporary and permanent, each with a text a user can act on.
//!
//! The sender keeps an alert queued until it is delivered, so what matters about a
//! failure is whether trying again later can help:
//!
//! - [`SendError::Temporary`]: connection refused, reset or timed out, a host that does
//!   not resolve (DNS may be down), a `4xx` answer, a TLS handshake cut short. Keep the
//!   alert queued and retry with backoff.
//! - [`SendError::Permanent`]: a `5xx` answer, failed authentication, a certificate that
//!   does not verify, a server without the STARTTLS the config asks for. Mark it failed;
//!   `redline replay --email` can send it again once the cause is fixed.
//!
//! When the server answered, the text carries its answer (`550 5.7.1 …`).

use std::error::Error as _;
use std::fmt;
use std::io;

use crate::config::Tls;

/// Why a message was not delivered, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Try again later: the server or the network may recover.
    #[error("{0}")]
    Temporary(String),
    /// Trying again will fail the same way until something is changed.
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    /// Whether the message should stay queued for another attempt.
    pub fn is_temporary(&self) -> bool {
        matches!(self, SendError::Temporary(_))
    }
}

/// `250 2.0.0 OK queued`: a reply code and its text on one line.
pub(crate) fn answer<'a>(code: impl fmt::Display, lines: impl Iterator<Item = &'a str>) -> String {
    let text = lines.collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        code.to_string()
    } else {
        format!("{code} {text}")
    }
}

/// Sorts an SMTP failure into temporary or permanent and says what happened.
pub(crate) fn smtp_error(
    e: &lettre::transport::smtp::Error,
    host: &str,
    port: u16,
    tls: Tls,
) -> SendError {
    use SendError::{Permanent, Temporary};

    let server = format!("{host}:{port}");
    if let Some(code) = e.status() {
        let reply = answer(
            code,
            e.source().map(|s| s.to_string()).iter().map(String::as_str),
        );
        return match u16::from(code) {
            454 => Temporary(format!("authentication failed for now: {reply}")),
            530 => Permanent(format!(
                "{server} requires authentication: {reply} (set email.smtp.username and password_env)"
            )),
            534 | 535 | 538 => Permanent(format!(
                "authentication failed: {reply} (check email.smtp.username and the password)"
            )),
            _ if e.is_transient() => Temporary(format!("{server} deferred the message: {reply}")),
            _ => Permanent(format!("{server} refused the message: {reply}")),
        };
    }
    let detail = chain(e);
    if let Some(io) = find_io(e) {
        let tls_name = match tls {
            Tls::None => None,
            Tls::Starttls | Tls::Tls => Some(host),
        };
        return match (io.kind(), tls_name) {
            (io::ErrorKind::ConnectionRefused, _) => Temporary(format!(
                "connection refused by {server}: is the SMTP server running, and is email.smtp.port right?"
            )),
            (io::ErrorKind::TimedOut, _) => Temporary(format!("connection to {server} timed out")),
            _ if is_dns_failure(&detail) => Temporary(format!("no such host {host}: {io}")),
            (io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable, _) => {
                Temporary(format!("cannot reach {server}: {io}"))
            }
            // rustls reports what it cannot accept (a certificate, a protocol) as
            // InvalidData: the same will happen next time.
            (io::ErrorKind::InvalidData, Some(host)) => Permanent(format!(
                "TLS handshake with {host} failed: {io}{}",
                if io.to_string().contains("invalid peer certificate") {
                    " (the certificate does not verify for this host: for a private CA or a self-signed certificate, set email.smtp.ca_file)".to_string()
                } else if tls == Tls::Tls {
                    format!(
                        " (tls = \"tls\" expects TLS from the first byte, as on port 465; port {port} may want \"starttls\")"
                    )
                } else {
                    String::new()
                }
            )),
            // lettre calls both the TCP connect and the TLS upgrade a "Connection
            // error"; the connect failures were sorted out above.
            (_, Some(host)) if detail.starts_with("Connection error") => {
                Temporary(format!("TLS handshake with {host} failed: {io}"))
            }
            (
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof,
                _,
            ) => Temporary(format!("connection to {server} was closed: {io}")),
            _ => Temporary(format!("cannot talk to {server}: {detail}")),
        };
    }
    if is_dns_failure(&detail) {
        return Temporary(format!("no such host {host}: {detail}"));
    }
    if e.is_client() || e.is_tls() {
        let message = if detail.contains("STARTTLS is not supported") {
            format!(
                "{server} does not offer STARTTLS, which tls = \"starttls\" requires: check the host and port"
            )
        } else if detail.contains("authentication mechanism") {
            format!(
                "authentication failed: {server} offers no mechanism redline supports (PLAIN, LOGIN)"
            )
        } else {
            format!("cannot send through {server}: {detail}")
        };
        return Permanent(message);
    }
    if e.is_response() {
        return Temporary(format!(
            "{server} sent an answer redline cannot read: {detail}"
        ));
    }
    Temporary(format!("cannot send through {server}: {detail}"))
}

pub(crate) fn sendmail_error(e: &lettre::transport::sendmail::Error, command: &str) -> SendError {
    let detail = chain(e);
    match find_io(e) {
        Some(io) if io.kind() == io::ErrorKind::NotFound => SendError::Permanent(format!(
            "cannot run {command}: {io} (set email.sendmail_command)"
        )),
        _ => SendError::Temporary(format!("{command} did not take the message: {detail}")),
    }
}

fn is_dns_failure(text: &str) -> bool {
    text.contains("lookup address") || text.contains("could not resolve")
}

/// The first I/O error in an error's chain of causes.
fn find_io<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a io::Error> {
    let mut cause = Some(e);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io);
        }
        cause = err.source();
    }
    None
}

/// An error and its causes on one line, skipping causes already part of the text.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(err) = cause {
        let next = err.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = err.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_joins_code_and_text() {
        assert_eq!(
            answer(250, ["2.0.0 OK", "queued"].into_iter()),
            "250 2.0.0 OK queued"
        );
        assert_eq!(answer(250, std::iter::empty()), "250");
    }

    #[derive(Debug)]
    struct Outer(&'static str, io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn chain_adds_causes_not_yet_in_the_text() {
        assert_eq!(
            chain(&Outer("network error", io::Error::other("reset"))),
            "network error: reset"
        );
        assert_eq!(
            chain(&Outer("network error: reset", io::Error::other("reset"))),
            "network error: reset"
        );
    }

    #[test]
    fn finds_the_io_error_behind_a_wrapper() {
        let e = Outer("x", io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(
            find_io(&e).map(io::Error::kind),
            Some(io::ErrorKind::ConnectionRefused)
        );
    }
}
