//! The alert email end to end: messages built by `redline::alert`, sent by lettre over
//! real TCP to the test SMTP server in `support::smtp` (or written by the file
//! transport), and read back as a mail client would.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use lettre::message::Mailbox;
use redline::alert::{
    self, AlertKind, AlertMail, Mailer, SendError, html_body, message_id, text_body,
};
use redline::config::Config;
use redline::diff::Label;
use support::mime::Mime;
use support::smtp::{Stage, TestSmtp};

const FROM: &str = "redline@example.org";
const TO: &str = "you@example.org";

fn config(toml: &str) -> Config {
    Config::from_str(toml, Path::new("test.toml")).expect("valid test config")
}

/// SMTP to the test server without TLS; `extra` goes into `[email.smtp]`.
fn smtp_config(port: u16, tls: &str, extra: &str) -> Config {
    config(&format!(
        "[email]\nfrom = \"redline <{FROM}>\"\nto = [\"{TO}\"]\ntransport = \"smtp\"\n\
         [email.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\ntimeout = \"5s\"\n{extra}"
    ))
}

/// SMTP without TLS, logging in as `redline` with `password` read from a file (kept in
/// the returned directory).
fn auth_config(port: u16, password: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("smtp-password");
    std::fs::write(&file, format!("{password}\n")).expect("write password file");
    let config = smtp_config(
        port,
        "none",
        &format!(
            "username = \"redline\"\npassword_file = {:?}\n",
            file.display().to_string()
        ),
    );
    (dir, config)
}

fn recipients() -> Vec<Mailbox> {
    vec![TO.parse().expect("valid address")]
}

const SEED_HEADLINE_V1: &str = "Putin says Russia and China are 'jointly developing high-tech weapons'; calls NATO expansion unacceptable";
const SEED_HEADLINE_V2: &str = "Putin says Russia and China are 'jointly developing advanced weapons'; calls NATO expansion unacceptable";

/// What the differ renders for the seed story, v1 → v2, written out by hand.
const SEED_TEXT_DIFF: &str = "\
… Russian President Vladimir Putin on Thursday said Moscow and Beijing are “jointly developing [-high-tech-]{+advanced+} weapons”. While answering questions at an annual press conference, …

… Russian President said that Moscow and Beijing “have already had a turnover of over [-one hundred-]{+140+} billion [dollars]\" and that both countries are \"working in different directions\" …

… How would Americans react if we placed our missiles at the US border with Canada or Mexico?\"

{+The Kremlin later said the remarks on military cooperation referred to existing agreements.+}
";

const SEED_HTML_DIFF: &str = "\
<p style=\"margin:0 0 12px\">… Russian President Vladimir Putin on Thursday said Moscow and Beijing are “jointly developing <span style=\"color:#82071e;background:#ffebe9;text-decoration:line-through\">high-tech</span> <span style=\"color:#116329;background:#dafbe1;text-decoration:underline\">advanced</span> weapons”. While answering questions at an annual press conference, …</p>
<p style=\"margin:0 0 12px\">… Russian President said that Moscow and Beijing “have already had a turnover of over <span style=\"color:#82071e;background:#ffebe9;text-decoration:line-through\">one hundred</span> <span style=\"color:#116329;background:#dafbe1;text-decoration:underline\">140</span> billion [dollars]&quot; and that both countries are &quot;working in different directions&quot; …</p>
<p style=\"margin:0 0 12px\">… How would Americans react if we placed our missiles at the US border with Canada or Mexico?&quot;</p>
<p style=\"margin:0 0 12px\"><span style=\"color:#116329;background:#dafbe1;text-decoration:underline\">The Kremlin later said the remarks on military cooperation referred to existing agreements.</span></p>";

/// The seed story's first rewording, as the store would hand it over.
fn seed_alert() -> AlertMail {
    AlertMail {
        alert_id: 42,
        article_id: 7,
        kind: AlertKind::Reworded,
        labels: [
            Label::Headline,
            Label::Figures,
            Label::Quotes,
            Label::Addition,
        ]
        .into_iter()
        .collect(),
        headline_old: SEED_HEADLINE_V1.into(),
        headline_new: SEED_HEADLINE_V2.into(),
        url:
            "https://example.org/world-news/putin-russia-china-jointly-developing-high-tech-weapons"
                .into(),
        moved_from: None,
        archived: None,
        feed: "World News".into(),
        topics: vec!["russia-china".into()],
        from_version: 1,
        to_version: 2,
        from_time: Utc
            .with_ymd_and_hms(2021, 12, 23, 11, 40, 0)
            .single()
            .expect("valid time"),
        to_time: Utc
            .with_ymd_and_hms(2021, 12, 23, 14, 5, 0)
            .single()
            .expect("valid time"),
        words_added: 16,
        words_removed: 4,
        text_diff: SEED_TEXT_DIFF.into(),
        html_diff: SEED_HTML_DIFF.into(),
        thread_root: None,
        declared: None,
    }
}

/// Log output captured from the `tracing` events of the current thread.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures every event, at every level, until the guard is dropped. `#[tokio::test]`
    /// runs on one thread, so this also sees the events of spawned tasks.
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Asserts that `secret` shows up nowhere in `text`, not even base64-encoded as it
/// travels in AUTH PLAIN and AUTH LOGIN.
fn assert_no_secret(text: &str, username: &str, secret: &str) {
    let plain = base64(format!("\0{username}\0{secret}").as_bytes());
    for needle in [secret.to_string(), base64(secret.as_bytes()), plain] {
        assert!(!text.contains(&needle), "{needle:?} leaked into:\n{text}");
    }
}

#[tokio::test]
async fn alert_arrives_with_both_parts_and_the_right_headers() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let mail = seed_alert();
    let msg = alert::build(&mail, &config.email, &recipients()).expect("message");

    let answer = mailer.send(&msg).await.expect("delivered");
    assert_eq!(answer, "250 2.0.0 OK queued as 1");

    let received = server.wait_for_message(1).await;
    assert_eq!(received.mail_from, FROM);
    assert_eq!(received.rcpt_to, [TO]);
    let parsed = Mime::parse(&received.data);
    assert_eq!(
        parsed.header("Message-ID"),
        Some("<redline.alert.42@example.org>")
    );
    assert_eq!(
        parsed.header("Message-ID").map(str::to_string),
        Some(message_id(42, &config.email))
    );
    assert_eq!(parsed.header("From"), Some("redline <redline@example.org>"));
    assert_eq!(parsed.header("To"), Some(TO));
    assert_eq!(
        parsed.header("Date"),
        Some("Thu, 23 Dec 2021 14:05:00 +0000")
    );
    assert_eq!(
        parsed.header("List-Id"),
        Some("redline <redline.example.org>")
    );
    assert_eq!(parsed.header("Auto-Submitted"), Some("auto-generated"));
    assert_eq!(parsed.header("MIME-Version"), Some("1.0"));
    assert_eq!(parsed.header("In-Reply-To"), None);
    assert_eq!(parsed.header("References"), None);
    assert_eq!(
        parsed.header_decoded("Subject").as_deref(),
        Some(
            "[redline] Putin says Russia and China are 'jointly developing advanced weapons'; \
             calls NATO expansion unacceptable — headline, figures, quotes, addition (World News)"
        )
    );
    assert!(
        parsed
            .header("Content-Type")
            .is_some_and(|ct| ct.starts_with("multipart/alternative;")),
        "{:?}",
        parsed.header("Content-Type")
    );

    let parts = parsed.parts();
    assert_eq!(parts.len(), 2);
    let (text, html) = (&parts[0], &parts[1]);
    assert_eq!(
        text.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        html.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(text.text(), text_body(&mail));
    assert_eq!(html.text(), html_body(&mail));

    // The same content in both: every line of the text part shows up in the HTML part.
    let text = text.text();
    for needle in [
        SEED_HEADLINE_V1,
        "World News",
        "russia-china",
        "2021-12-23 11:40 UTC",
        "2021-12-23 14:05 UTC",
        "16 words added, 4 words removed",
        "redline diff 7 --from 1 --to 2",
    ] {
        assert!(text.contains(needle), "text part lacks {needle:?}");
        // Apostrophes need no escaping in element content; `<`, `>`, `&` and `"` do.
        assert!(html.text().contains(needle), "HTML part lacks {needle:?}");
    }
    assert_eq!(text.lines().last(), Some("redline diff 7 --from 1 --to 2"));
    assert!(!html.text().contains("<style"));
}

#[tokio::test]
async fn a_follow_up_threads_under_the_first_alert() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let first = AlertMail {
        alert_id: 40,
        ..seed_alert()
    };
    let follow_up = AlertMail {
        alert_id: 42,
        from_version: 2,
        to_version: 3,
        thread_root: Some(40),
        ..seed_alert()
    };
    for mail in [&first, &follow_up] {
        let msg = alert::build(mail, &config.email, &recipients()).expect("message");
        mailer.send(&msg).await.expect("delivered");
    }

    let first = Mime::parse(&server.wait_for_message(1).await.data);
    let second = Mime::parse(&server.wait_for_message(2).await.data);
    let root = first.header("Message-ID").expect("a Message-ID");
    assert_eq!(root, "<redline.alert.40@example.org>");
    assert_eq!(first.header("In-Reply-To"), None);
    assert_eq!(
        second.header("Message-ID"),
        Some("<redline.alert.42@example.org>")
    );
    assert_eq!(second.header("In-Reply-To"), Some(root));
    assert_eq!(second.header("References"), Some(root));
}

#[tokio::test]
async fn a_resend_has_the_same_message_id() {
    let config = smtp_config(2525, "none", "");
    let build = || alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    let (a, b) = (build(), build());
    assert_eq!(
        a.headers().get_raw("Message-ID"),
        b.headers().get_raw("Message-ID")
    );
    assert_eq!(a.headers().get_raw("Date"), b.headers().get_raw("Date"));
}

#[tokio::test]
async fn a_451_is_temporary_and_the_retry_gets_through() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");

    server.reply_next(Stage::EndOfData, 1, "451 4.3.0 Try again later");
    server.reply_next(
        Stage::Mail,
        1,
        "451 4.7.1 Greylisted, come back in 5 minutes",
    );
    let mut errors = Vec::new();
    for _ in 0..2 {
        match mailer.send(&msg).await {
            Err(e @ SendError::Temporary(_)) => errors.push(e.to_string()),
            other => panic!("expected a temporary failure, got {other:?}"),
        }
    }
    errors.sort();
    assert!(
        errors[0].contains("deferred the message: 451 4.3.0 Try again later"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("451 4.7.1 Greylisted, come back in 5 minutes"),
        "{errors:?}"
    );
    assert!(server.messages().is_empty());

    mailer.send(&msg).await.expect("the third try is delivered");
    server.wait_for_message(1).await;
}

#[tokio::test]
async fn a_550_is_permanent_and_carries_the_server_text() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    server.reply_always(
        Stage::Rcpt,
        "550 5.1.1 <you@example.org>: Recipient address rejected",
    );

    for _ in 0..2 {
        match mailer.send(&msg).await {
            Err(SendError::Permanent(text)) => assert!(
                text.contains("550 5.1.1 <you@example.org>: Recipient address rejected"),
                "{text}"
            ),
            other => panic!("expected a permanent failure, got {other:?}"),
        }
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn server_down_is_temporary_connection_refused_then_up_again() {
    let mut server = TestSmtp::start().await;
    let port = server.port();
    let config = smtp_config(port, "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    // A first message leaves a connection in lettre's pool, which the stop must break.
    mailer.send(&msg).await.expect("delivered while up");

    server.stop().await;
    match mailer.send(&msg).await {
        Err(SendError::Temporary(text)) => {
            assert!(text.contains("refused"), "{text}");
            assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        }
        other => panic!("expected a temporary failure, got {other:?}"),
    }
    let e = alert::test_email(&config, None)
        .await
        .expect_err("server is down");
    assert!(
        e.to_string()
            .starts_with(&format!("connection refused by 127.0.0.1:{port}")),
        "{e}"
    );

    server.restart().await;
    assert_eq!(server.port(), port);
    mailer.send(&msg).await.expect("delivered once back up");
    server.wait_for_message(2).await;
}

#[tokio::test]
async fn test_email_returns_the_server_answer() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");

    let answer = alert::test_email(&config, None).await.expect("sent");
    assert_eq!(answer, "250 2.0.0 OK queued as 1");
    let answer = alert::test_email(&config, Some("Desk <desk@example.org>"))
        .await
        .expect("sent");
    assert_eq!(answer, "250 2.0.0 OK queued as 2");

    let first = server.wait_for_message(1).await;
    let second = server.wait_for_message(2).await;
    assert_eq!(first.rcpt_to, [TO]);
    assert_eq!(second.rcpt_to, ["desk@example.org"]);
    let parsed = Mime::parse(&first.data);
    assert_eq!(parsed.header("Subject"), Some("[redline] test message"));
    assert!(
        parsed
            .header("Message-ID")
            .is_some_and(|id| id.starts_with("<redline.test.") && id.ends_with("@example.org>")),
        "{:?}",
        parsed.header("Message-ID")
    );
    let text = parsed.part("text/plain").expect("a text part").text();
    assert!(
        text.contains(&format!("smtp 127.0.0.1:{} (tls none)", server.port())),
        "{text}"
    );

    let e = alert::test_email(&config, Some("not an address"))
        .await
        .expect_err("bad --to");
    assert!(!e.is_temporary());
    assert!(
        e.to_string()
            .contains("\"not an address\" is not an email address"),
        "{e}"
    );
}

#[tokio::test]
async fn tls_against_a_plain_server_fails_with_a_clear_text() {
    let server = TestSmtp::start().await;
    let e = alert::test_email(&smtp_config(server.port(), "tls", ""), None)
        .await
        .expect_err("no TLS on the test server");
    assert!(
        e.to_string()
            .starts_with("TLS handshake with 127.0.0.1 failed: "),
        "{e}"
    );
    assert!(!e.is_temporary(), "{e:?}");

    let e = alert::test_email(&smtp_config(server.port(), "starttls", ""), None)
        .await
        .expect_err("no STARTTLS on the test server");
    assert!(e.to_string().contains("does not offer STARTTLS"), "{e}");
    assert!(!e.is_temporary(), "{e:?}");
    assert!(server.messages().is_empty());
}

/// Writes the test server's CA certificate to `dir` and returns the `ca_file` line for
/// `[email.smtp]`.
fn ca_file(server: &TestSmtp, dir: &Path) -> String {
    let path = dir.join("test-ca.pem");
    std::fs::write(&path, server.ca_pem().expect("a TLS test server")).expect("write CA");
    format!("ca_file = {:?}\n", path.display().to_string())
}

#[tokio::test]
async fn implicit_tls_delivers_when_the_ca_is_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestSmtp::start_tls().await;
    let config = smtp_config(server.port(), "tls", &ca_file(&server, dir.path()));

    let mailer = Mailer::from_config(&config).expect("mailer");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    let answer = mailer.send(&msg).await.expect("delivered over TLS");
    assert_eq!(answer, "250 2.0.0 OK queued as 1");
    let answer = alert::test_email(&config, None).await.expect("sent");
    assert_eq!(answer, "250 2.0.0 OK queued as 2");

    let received = server.wait_for_message(1).await;
    assert!(received.tls, "not over TLS");
    assert_eq!(received.rcpt_to, [TO]);
    let subject = Mime::parse(&received.data)
        .header("Subject")
        .map(str::to_string);
    assert!(
        subject
            .as_deref()
            .is_some_and(|s| s.ends_with("headline, figures, quotes, addition (World News)")),
        "{subject:?}"
    );
    let test = server.wait_for_message(2).await;
    assert!(test.tls);
    let text = Mime::parse(&test.data)
        .part("text/plain")
        .expect("a text part")
        .text();
    assert!(
        text.contains(&format!("smtp 127.0.0.1:{} (tls tls)", server.port())),
        "{text}"
    );
}

/// STARTTLS, then AUTH: the test server refuses AUTH and MAIL before the upgrade, and
/// forgets a login made before it, so a delivered message with a login went over TLS.
#[tokio::test]
async fn starttls_delivers_and_logs_in_after_the_upgrade() {
    let dir = tempfile::tempdir().expect("tempdir");
    let password_file = dir.path().join("smtp-password");
    std::fs::write(&password_file, "tls-h0rse-battery\n").expect("write password file");
    let server = TestSmtp::start_starttls().await;
    server.require_auth("redline", "tls-h0rse-battery");
    let config = smtp_config(
        server.port(),
        "starttls",
        &format!(
            "username = \"redline\"\npassword_file = {:?}\n{}",
            password_file.display().to_string(),
            ca_file(&server, dir.path())
        ),
    );

    let mailer = Mailer::from_config(&config).expect("mailer");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    let answer = mailer.send(&msg).await.expect("delivered after STARTTLS");
    assert_eq!(answer, "250 2.0.0 OK queued as 1");

    let received = server.wait_for_message(1).await;
    assert!(received.tls, "not over TLS");
    let login = received.login.expect("logged in");
    assert_eq!(
        (
            login.username.as_str(),
            login.password.as_str(),
            login.accepted
        ),
        ("redline", "tls-h0rse-battery", true)
    );
    assert_eq!(server.logins().len(), 1, "{:?}", server.logins());
    assert_eq!(received.rcpt_to, [TO]);
}

/// Without `ca_file`, the test servers' made-up CA is trusted by no one: a permanent
/// certificate failure, on either kind of TLS, and nothing is sent.
#[tokio::test]
async fn an_untrusted_certificate_is_refused_permanently() {
    let server = TestSmtp::start_tls().await;
    let e = alert::test_email(&smtp_config(server.port(), "tls", ""), None)
        .await
        .expect_err("the CA is not trusted");
    assert!(!e.is_temporary(), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("TLS handshake with 127.0.0.1 failed: invalid peer certificate: "),
        "{e}"
    );
    assert!(e.to_string().ends_with("set email.smtp.ca_file)"), "{e}");
    assert!(server.messages().is_empty());

    let server = TestSmtp::start_starttls().await;
    let e = alert::test_email(&smtp_config(server.port(), "starttls", ""), None)
        .await
        .expect_err("the CA is not trusted");
    assert!(!e.is_temporary(), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("TLS handshake with 127.0.0.1 failed: invalid peer certificate: "),
        "{e}"
    );
    assert!(server.messages().is_empty());
}

/// AUTH with a password read from `password_file`: the login works, and the password
/// (plain or base64) shows up in no log line, no `Debug` output and no answer. The
/// `password_env` route is covered through the real binary in `tests/delivery.rs`.
#[tokio::test]
async fn auth_with_a_password_leaks_it_nowhere() {
    let password = "s3cret-Pa55phrase".to_string();
    let (logs, _guard) = Logs::capture();
    let server = TestSmtp::start().await;
    server.require_auth("redline", &password);
    let (_dir, config) = auth_config(server.port(), &password);

    let mailer = Mailer::from_config(&config).expect("mailer");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    let answer = mailer.send(&msg).await.expect("delivered after AUTH");
    let test_answer = alert::test_email(&config, None).await.expect("sent");

    let logins = server.logins();
    assert!(!logins.is_empty());
    assert!(
        logins
            .iter()
            .all(|l| l.username == "redline" && l.password == password && l.accepted),
        "{logins:?}"
    );
    let received = server.wait_for_message(1).await;
    assert!(received.login.is_some(), "sent without logging in");

    let debug = format!("{mailer:?} {config:?} {answer} {test_answer}");
    let logs = logs.text();
    assert!(logs.contains("mail sent"), "nothing was logged:\n{logs}");
    assert!(logs.contains("user redline"), "{logs}");
    assert_no_secret(&logs, "redline", &password);
    assert_no_secret(&debug, "redline", &password);
}

#[tokio::test]
async fn a_wrong_password_is_permanent_and_not_repeated() {
    let (logs, _guard) = Logs::capture();
    let server = TestSmtp::start().await;
    server.require_auth("redline", "correct-h0rse-battery");
    let (_dir, config) = auth_config(server.port(), "wrong-h0rse-battery");

    let mailer = Mailer::from_config(&config).expect("mailer");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    let e = mailer.send(&msg).await.expect_err("wrong password");
    assert!(!e.is_temporary(), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("authentication failed: 535 5.7.8 Authentication credentials invalid"),
        "{e}"
    );
    // The trailing newline of the file is not part of the password.
    assert_eq!(server.logins()[0].password, "wrong-h0rse-battery");
    assert_no_secret(
        &format!("{e} {e:?} {mailer:?}"),
        "redline",
        "wrong-h0rse-battery",
    );
    assert_no_secret(&logs.text(), "redline", "wrong-h0rse-battery");
}

#[tokio::test]
async fn file_transport_writes_one_eml_per_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let config = config(&format!(
        "[state]\ndir = {:?}\n[email]\nfrom = \"redline <{FROM}>\"\nto = [\"{TO}\"]\ntransport = \"file\"\n",
        state.display().to_string()
    ));
    let mail_dir = config.mail_dir();
    assert!(!mail_dir.exists());

    let mailer = Mailer::from_config(&config).expect("mailer");
    assert!(mail_dir.is_dir(), "the mail directory is created");
    let msg = alert::build(&seed_alert(), &config.email, &recipients()).expect("message");
    let answer = mailer.send(&msg).await.expect("written");

    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .expect("read mail dir")
        .map(|entry| entry.expect("dir entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    assert_eq!(answer, format!("written to {}", files[0].display()));
    let parsed = Mime::parse(&std::fs::read(&files[0]).expect("read .eml"));
    assert_eq!(
        parsed.header("Message-ID"),
        Some("<redline.alert.42@example.org>")
    );
    assert_eq!(
        parsed.part("text/plain").expect("text part").text(),
        text_body(&seed_alert())
    );
}

#[tokio::test]
async fn subjects_in_any_script_are_rfc2047_encoded() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let headline = "Путин и Си Цзиньпин: 中俄“联合研发高科技武器” 🚀🇨🇳🇷🇺";
    let mail = AlertMail {
        headline_old: headline.into(),
        headline_new: headline.into(),
        feed: "Новости мира".into(),
        topics: vec!["россия-китай".into()],
        ..seed_alert()
    };
    let msg = alert::build(&mail, &config.email, &recipients()).expect("message");
    mailer.send(&msg).await.expect("delivered");

    let received = server.wait_for_message(1).await;
    let head_end = received
        .data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = &received.data[..head_end];
    assert!(head.is_ascii(), "raw headers are ASCII only");
    let parsed = Mime::parse(&received.data);
    let raw_subject = parsed.header("Subject").expect("a subject");
    assert!(raw_subject.contains("=?utf-8?b?"), "{raw_subject}");
    assert_eq!(
        parsed.header_decoded("Subject").as_deref(),
        Some(
            format!("[redline] {headline} — headline, figures, quotes, addition (Новости мира)")
                .as_str()
        )
    );
    assert_eq!(
        parsed.part("text/plain").expect("text part").text(),
        text_body(&mail)
    );
    assert_eq!(
        parsed.part("text/html").expect("HTML part").text(),
        html_body(&mail)
    );
}

#[tokio::test]
async fn article_text_is_escaped_in_the_html_part() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let mail = AlertMail {
        headline_old: "<a href=\"http://evil\">click</a>".into(),
        headline_new: "<script>alert(1)</script>".into(),
        url: "https://example.org/search?q=<b>&x=\"y\"".into(),
        feed: "<img src=x onerror=alert(2)>".into(),
        topics: vec!["<i>topic</i>".into()],
        ..seed_alert()
    };
    let msg = alert::build(&mail, &config.email, &recipients()).expect("message");
    mailer.send(&msg).await.expect("delivered");

    let received = server.wait_for_message(1).await;
    let html = Mime::parse(&received.data)
        .part("text/html")
        .expect("HTML part")
        .text();
    for raw in [
        "<script",
        "<a href=\"http://evil\"",
        "<img",
        "<i>",
        "<b>",
        "\"y\"",
    ] {
        assert!(!html.contains(raw), "{raw:?} is not escaped in:\n{html}");
    }
    for escaped in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;a href=&quot;http://evil&quot;&gt;click&lt;/a&gt;",
        "&lt;img src=x onerror=alert(2)&gt;",
        "&lt;i&gt;topic&lt;/i&gt;",
        "href=\"https://example.org/search?q=&lt;b&gt;&amp;x=&quot;y&quot;\"",
        ">https://example.org/search?q=&lt;b&gt;&amp;x=&quot;y&quot;</a>",
    ] {
        assert!(html.contains(escaped), "{escaped:?} missing from:\n{html}");
    }
    assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
}

#[tokio::test]
async fn lines_starting_with_dots_survive_the_trip() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let mail = AlertMail {
        headline_old: "Dots".into(),
        headline_new: "Dots".into(),
        text_diff: ".\n\n..two\n\n. one [-a-]{+b+}\n".into(),
        html_diff: "<p>.</p>".into(),
        ..seed_alert()
    };
    let msg = alert::build(&mail, &config.email, &recipients()).expect("message");
    mailer.send(&msg).await.expect("delivered");
    let received = server.wait_for_message(1).await;
    assert_eq!(
        Mime::parse(&received.data)
            .part("text/plain")
            .expect("text part")
            .text(),
        text_body(&mail)
    );
}

#[tokio::test]
async fn a_digest_carries_one_section_per_alert() {
    let server = TestSmtp::start().await;
    let config = smtp_config(server.port(), "none", "");
    let mailer = Mailer::from_config(&config).expect("mailer");
    let second = AlertMail {
        alert_id: 43,
        article_id: 8,
        feed: "Other Feed".into(),
        headline_old: "Xi, Putin to hold video call next week, Kremlin says".into(),
        headline_new: "Xi, Putin to hold video call next week, Kremlin says".into(),
        ..seed_alert()
    };
    let to: Mailbox = TO.parse().expect("valid address");
    let msg = alert::build_digest(&[seed_alert(), second], &config.email, &to, 9).expect("digest");
    mailer.send(&msg).await.expect("delivered");

    let parsed = Mime::parse(&server.wait_for_message(1).await.data);
    assert_eq!(
        parsed.header("Message-ID"),
        Some("<redline.digest.9@example.org>")
    );
    assert_eq!(
        parsed.header("Subject"),
        Some("[redline] digest: 2 changes (World News, Other Feed)")
    );
    let text = parsed.part("text/plain").expect("text part").text();
    let html = parsed.part("text/html").expect("HTML part").text();
    for command in [
        "redline diff 7 --from 1 --to 2",
        "redline diff 8 --from 1 --to 2",
    ] {
        assert!(text.contains(command), "{text}");
        assert!(html.contains(command), "{html}");
    }
}

#[test]
fn snapshot_of_the_seed_alert() {
    let mail = seed_alert();
    let config = smtp_config(2525, "none", "");
    let msg = alert::build(
        &AlertMail {
            thread_root: Some(40),
            ..mail.clone()
        },
        &config.email,
        &recipients(),
    )
    .expect("message");
    let parsed = Mime::parse(&msg.formatted());
    let boundary = parsed.boundary().expect("a boundary");

    // The headers as sent, with the random MIME boundary masked. Date and Message-ID are
    // derived from the alert, so they are stable and need no masking.
    let head = parsed
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(&boundary, "[boundary]");
    insta::assert_snapshot!("seed_alert_headers", head);
    insta::assert_snapshot!(
        "seed_alert_text",
        parsed.part("text/plain").expect("text part").text()
    );
    insta::assert_snapshot!(
        "seed_alert_html",
        parsed.part("text/html").expect("HTML part").text()
    );
}

/// The test server itself, driven by hand: the commands lettre does not use (HELO, RSET,
/// AUTH LOGIN) and dot-unstuffing.
#[tokio::test]
async fn the_test_server_speaks_plain_smtp() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let server = TestSmtp::start().await;
    let stream = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut exchange = async |line: &str| -> String {
        if !line.is_empty() {
            writer
                .write_all(format!("{line}\r\n").as_bytes())
                .await
                .expect("write");
        }
        let mut reply = String::new();
        reader.read_line(&mut reply).await.expect("read");
        reply.trim_end().to_string()
    };
    assert!(exchange("").await.starts_with("220 "));
    assert!(exchange("HELO client").await.starts_with("250 "));
    assert!(exchange("DATA").await.starts_with("503 "));
    assert_eq!(exchange("AUTH LOGIN").await, "334 VXNlcm5hbWU6");
    assert_eq!(exchange(&base64(b"user")).await, "334 UGFzc3dvcmQ6");
    assert!(exchange(&base64(b"pass")).await.starts_with("235 "));
    assert!(
        exchange("MAIL FROM:<a@example.org>")
            .await
            .starts_with("250 ")
    );
    assert!(exchange("RSET").await.starts_with("250 "));
    assert!(
        exchange("RCPT TO:<b@example.org>")
            .await
            .starts_with("503 ")
    );
    assert!(exchange("NOOP").await.starts_with("250 "));
    assert!(
        exchange("MAIL FROM:<c@example.org> BODY=8BITMIME")
            .await
            .starts_with("250 ")
    );
    assert!(
        exchange("RCPT TO:<d@example.org>")
            .await
            .starts_with("250 ")
    );
    assert!(exchange("DATA").await.starts_with("354 "));
    let reply = exchange("Subject: dots\r\n\r\n..one dot\r\n...\r\nend\r\n.").await;
    assert_eq!(reply, "250 2.0.0 OK queued as 1");
    assert!(exchange("QUIT").await.starts_with("221 "));

    let received = server.wait_for_message(1).await;
    assert_eq!(received.mail_from, "c@example.org");
    assert_eq!(received.rcpt_to, ["d@example.org"]);
    assert_eq!(
        received.text(),
        "Subject: dots\r\n\r\n.one dot\r\n..\r\nend\r\n"
    );
    let login = received.login.expect("logged in");
    assert_eq!(
        (
            login.mechanism.as_str(),
            login.username.as_str(),
            login.password.as_str()
        ),
        ("LOGIN", "user", "pass")
    );
}
