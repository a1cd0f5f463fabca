//! Delivery end to end: the watcher records versions and alerts from a local HTTP
//! server, the outbox sender hands them to lettre, and lettre talks SMTP over TCP to the
//! in-process test server. Exactly once, in order, through refusals and outages.

mod support;

use chrono::{DateTime, Utc};
use redline::watch::Watcher;
use support::mime::Mime;
use support::smtp::{Stage, TestSmtp};
use support::*;

fn smtp_env(server: &HttpServer, smtp: &TestSmtp, extra_email: &str) -> Env {
    Env::with_config(&format!(
        "[http]\nallow_private = true\n\n{}{TOPICS}\n[email]\nfrom = \"redline <redline@example.org>\"\n\
         to = [\"desk@example.org\"]\ntransport = \"smtp\"\n{extra_email}\n\
         [email.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout = \"5s\"\n",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        smtp.port()
    ))
}

/// The seed feed and pages, a test SMTP server, a config that mails through it (with
/// `extra_email` in `[email]`), and a watcher over it.
async fn setup(extra_email: &str) -> (HttpServer, TestSmtp, Env, Watcher) {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let smtp = TestSmtp::start().await;
    let env = smtp_env(&server, &smtp, extra_email);
    let w = watcher(&env);
    (server, smtp, env, w)
}

async fn deliver(w: &Watcher, at: DateTime<Utc>) -> redline::alert::DeliveryReport {
    redline::alert::deliver_due(&w.config, &w.db, at)
        .await
        .expect("deliver")
}

/// Plays the seed edit: baseline from page-v1, then page-v2.
async fn seed_edit(server: &HttpServer, w: &Watcher) {
    w.cycle(false).await.expect("baseline");
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let r = w.check_articles(true).await.expect("edit");
    assert_eq!(r.alerts, 1);
}

/// Masks what changes from run to run in a received message.
fn mask_mail(s: &str, server: &HttpServer) -> String {
    let s = mask(s, server);
    let re = regex::Regex::new(r"\d\d \w{3} \d{4} \d\d:\d\d(:\d\d)? [+-]\d{4}").expect("regex");
    re.replace_all(&s, "DATE").into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_edit_delivers_exactly_one_message() {
    let (server, smtp, env, w) = setup("").await;
    seed_edit(&server, &w).await;
    let report = deliver(&w, Utc::now()).await;
    assert_eq!((report.attempted, report.sent, report.queued), (1, 1, 0));
    // Nothing more to send, now or later.
    assert_eq!(
        deliver(&w, Utc::now() + chrono::Duration::days(1))
            .await
            .attempted,
        0
    );
    let received = smtp.wait_for_message(1).await;
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(received.rcpt_to, vec!["desk@example.org"]);

    let mail = Mime::parse(&received.data);
    let text = mail.part("text/plain").expect("text part").text();
    let html = mail.part("text/html").expect("html part").text();
    insta::assert_snapshot!("seed_alert_text", mask_mail(&text, &server));
    insta::assert_snapshot!("seed_alert_html", mask_mail(&html, &server));
    // The four edits and nothing else.
    assert_eq!(text.matches("[-").count(), 3, "{text}");
    assert_eq!(text.matches("{+").count(), 4, "{text}");
    for edit in [
        "[-high-tech-]{+advanced+}",
        "[-one hundred-]{+140+}",
        "{+The Kremlin later said",
    ] {
        assert!(text.contains(edit), "{edit} in:\n{text}");
    }
    assert!(
        text.trim_end().ends_with("redline diff 1 --from 1 --to 2"),
        "{text}"
    );
    let subject = mail.header_decoded("Subject").expect("subject");
    assert!(subject.starts_with("[redline] Putin says"), "{subject}");
    assert!(subject.ends_with("— reworded (World News)"), "{subject}");

    // The replay shows it delivered, with the server's answer.
    let replay = env.run(&["replay", "--json"]).await.expect_code(0).json();
    assert_eq!(replay[0]["alert"]["deliveries"][0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_text_is_escaped_in_the_html_part() {
    let (server, smtp, _env, w) = setup("").await;
    w.cycle(false).await.expect("baseline");
    let evil = fixture("page-v2.html").replace(
        "<h1>Putin says",
        "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &lt;a href=\"http://evil\"&gt;Putin says",
    );
    server.set(STORY1_PATH, Canned::html(evil));
    w.check_articles(true).await.expect("edit");
    deliver(&w, Utc::now()).await;
    let mail = Mime::parse(&smtp.wait_for_message(1).await.data);
    let html = mail.part("text/html").expect("html part").text();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<a href=\"http://evil\">"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_edit_threads_to_the_first() {
    let (server, smtp, _env, w) = setup("").await;
    seed_edit(&server, &w).await;
    deliver(&w, Utc::now()).await;
    server.set(
        STORY1_PATH,
        Canned::html(fixture("page-v2.html").replace("140 billion", "150 billion")),
    );
    w.check_articles(true).await.expect("second edit");
    deliver(&w, Utc::now()).await;
    let first = Mime::parse(&smtp.wait_for_message(1).await.data);
    let second = Mime::parse(&smtp.wait_for_message(2).await.data);
    let root = first.header("Message-ID").expect("message id").to_string();
    assert_eq!(first.header("In-Reply-To"), None);
    assert_eq!(second.header("In-Reply-To"), Some(root.as_str()));
    assert_eq!(second.header("References"), Some(root.as_str()));
    assert_ne!(second.header("Message-ID"), Some(root.as_str()));
    assert!(
        second
            .part("text/plain")
            .expect("text")
            .text()
            .contains("[-140-]{+150+}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_outages_delay_but_never_lose_or_repeat() {
    let (server, mut smtp, env, w) = setup("").await;
    seed_edit(&server, &w).await;

    // 451 twice, then accepted: one message.
    smtp.reply_next(Stage::Mail, 2, "451 4.3.0 try again later");
    let t0 = Utc::now();
    let r = deliver(&w, t0).await;
    assert_eq!((r.attempted, r.sent, r.queued), (1, 0, 1));
    // Not retried before its backoff is over …
    assert_eq!(deliver(&w, t0).await.attempted, 0);
    let r = deliver(&w, t0 + chrono::Duration::seconds(30)).await;
    assert_eq!((r.sent, r.queued), (0, 1));
    let replay = env.run(&["replay"]).await.expect_code(0);
    assert!(
        replay.stdout.contains("451 4.3.0 try again later"),
        "{}",
        replay.stdout
    );
    let r = deliver(&w, t0 + chrono::Duration::seconds(120)).await;
    assert_eq!((r.sent, r.queued), (1, 0));
    smtp.wait_for_message(1).await;
    assert_eq!(smtp.messages().len(), 1);

    // The server is down during a poll, then starts: the next alert arrives once.
    smtp.stop().await;
    server.set(
        STORY1_PATH,
        Canned::html(fixture("page-v2.html").replace("140 billion", "150 billion")),
    );
    w.check_articles(true).await.expect("second edit");
    let t1 = Utc::now();
    let r = deliver(&w, t1).await;
    assert_eq!((r.sent, r.queued), (0, 1));
    smtp.restart().await;
    let r = deliver(&w, t1 + chrono::Duration::seconds(30)).await;
    assert_eq!((r.sent, r.queued), (1, 0));
    smtp.wait_for_message(2).await;
    assert_eq!(
        deliver(&w, t1 + chrono::Duration::days(1)).await.attempted,
        0
    );
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_marks_the_alert_failed_and_is_not_retried() {
    let (server, smtp, env, w) = setup("").await;
    seed_edit(&server, &w).await;
    smtp.reply_always(Stage::Rcpt, "550 5.1.1 mailbox unavailable");
    let r = deliver(&w, Utc::now()).await;
    assert_eq!((r.sent, r.queued, r.failed), (0, 0, 1));
    assert_eq!(
        deliver(&w, Utc::now() + chrono::Duration::days(2))
            .await
            .attempted,
        0
    );
    let replay = env.run(&["replay", "--json"]).await.expect_code(0).json();
    let d = &replay[0]["alert"]["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert!(
        d["last_error"]
            .as_str()
            .expect("error")
            .contains("550 5.1.1 mailbox unavailable"),
        "{d}"
    );
    assert!(smtp.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_batches_a_window_into_one_message() {
    let (server, smtp, _env, w) = setup("digest = \"1h\"").await;
    seed_edit(&server, &w).await;
    for figure in ["150", "160"] {
        server.set(
            STORY1_PATH,
            Canned::html(
                fixture("page-v2.html").replace("140 billion", &format!("{figure} billion")),
            ),
        );
        w.check_articles(true).await.expect("edit");
    }
    let now = Utc::now();
    assert_eq!(
        deliver(&w, now).await.attempted,
        0,
        "the window is still open"
    );
    let r = deliver(&w, now + chrono::Duration::hours(1)).await;
    assert_eq!((r.attempted, r.sent, r.queued), (1, 3, 0));
    assert_eq!(
        deliver(&w, now + chrono::Duration::hours(3))
            .await
            .attempted,
        0
    );
    let mail = Mime::parse(&smtp.wait_for_message(1).await.data);
    assert_eq!(smtp.messages().len(), 1);
    let text = mail.part("text/plain").expect("text").text();
    for range in ["--from 1 --to 2", "--from 2 --to 3", "--from 3 --to 4"] {
        assert!(
            text.contains(&format!("redline diff 1 {range}")),
            "{range} in:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_mails_each_recipient_once() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let smtp = TestSmtp::start().await;
    // Story 1 matches both topics here; each topic has its own list, overlapping.
    let topics = "[[topic]]\nname = \"putin\"\nquery = 'Putin'\nnotify = [\"a@example.org\", \"b@example.org\"]\n\
                  [[topic]]\nname = \"china\"\nquery = 'China'\nnotify = [\"b@example.org\", \"c@example.org\"]\n";
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n{}{topics}\n[email]\nfrom = \"redline <redline@example.org>\"\n\
         transport = \"smtp\"\n[email.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        smtp.port()
    ));
    let w = watcher(&env);
    w.cycle(false).await.expect("baseline");
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    w.check_articles(true).await.expect("edit");
    deliver(&w, Utc::now()).await;
    smtp.wait_for_message(3).await;
    let mut to: Vec<String> = smtp
        .messages()
        .iter()
        .flat_map(|m| m.rcpt_to.clone())
        .collect();
    to.sort();
    assert_eq!(to, ["a@example.org", "b@example.org", "c@example.org"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_email_and_replay_by_email_through_the_binary() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let mut smtp = TestSmtp::start().await;
    let env = smtp_env(&server, &smtp, "");
    let ok = env.run(&["test-email"]).await.expect_code(0);
    assert!(ok.stdout.contains("250"), "{}", ok.stdout);
    smtp.wait_for_message(1).await;

    // Replay by email sends the same Message-ID again.
    env.run(&["poll"]).await.expect_code(0);
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    env.run(&["poll", "--all"]).await.expect_code(0);
    let first = Mime::parse(&smtp.wait_for_message(2).await.data);
    let again = env
        .run(&["replay", "--email", "--to", "archive@example.org"])
        .await
        .expect_code(0);
    assert!(
        again.stdout.contains("sent 1 message again"),
        "{}",
        again.stdout
    );
    let resent = smtp.wait_for_message(3).await;
    assert_eq!(resent.rcpt_to, ["archive@example.org"]);
    assert_eq!(
        Mime::parse(&resent.data).header("Message-ID"),
        first.header("Message-ID")
    );

    smtp.stop().await;
    let refused = env.run(&["test-email"]).await.expect_code(1);
    assert!(refused.stderr.contains("refused"), "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smtp_password_appears_in_no_log_line() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let smtp = TestSmtp::start().await;
    const SECRET: &str = "s3cret-Pa55phrase-xyzzy";
    smtp.require_auth("redline", SECRET);
    let env = smtp_env(&server, &smtp, "");
    let config = std::fs::read_to_string(env.config_path()).expect("config")
        + "username = \"redline\"\npassword_env = \"REDLINE_TEST_PASSWORD\"\n";
    std::fs::write(env.config_path(), config).expect("config");
    let run = |args: &'static [&'static str]| {
        let path = env.config_path();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
                .arg("--config")
                .arg(path)
                .args(["-vvv", "--color", "never"])
                .args(args)
                .env("REDLINE_TEST_PASSWORD", SECRET)
                .output()
                .await
                .expect("run")
        }
    };
    let out = run(&["test-email"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.set(STORY1_PATH, Canned::html(fixture("page-v1.html")));
    let poll = run(&["poll"]).await;
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let edit = run(&["poll", "--all"]).await;
    let check = run(&["check"]).await;
    smtp.wait_for_message(2).await;
    assert!(smtp.logins().iter().all(|l| l.accepted), "logged in");
    let b64 = redline_base64(SECRET);
    for o in [&out, &poll, &edit, &check] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!all.is_empty());
        assert!(!all.contains(SECRET), "password in output:\n{all}");
        assert!(!all.contains(&b64), "encoded password in output:\n{all}");
    }
    let logs = String::from_utf8_lossy(&edit.stderr);
    assert!(
        logs.contains("alert sent"),
        "the logs were captured:\n{logs}"
    );
}

/// The AUTH PLAIN encoding of the secret alone, which a careless log could also leak.
fn redline_base64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &x)| acc | (u32::from(x) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

// Current-thread, so that tokio's clock (which redline's follows) can jump an hour.
#[tokio::test(flavor = "current_thread")]
async fn a_removed_article_alerts_once_in_its_thread_and_is_not_revisited() {
    let (server, smtp, env, w) = setup("").await;
    seed_edit(&server, &w).await;
    deliver(&w, w.clock.now()).await;
    // The story is deleted: its page answers 410 and the feed drops it.
    server.set(STORY1_PATH, Canned::status(410));
    let feed = fixture("feed.rss.xml").replace("{base}", &server.base());
    let items = regex::Regex::new(r"(?s)<item>.*?</item>").expect("regex");
    let without = items.replace_all(&feed, |c: &regex::Captures<'_>| {
        if c[0].contains(STORY1_PATH) {
            String::new()
        } else {
            c[0].to_string()
        }
    });
    assert_ne!(without, feed);
    server.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml; charset=utf-8", without.into_owned()),
    );
    w.poll_feeds(true).await.expect("poll");
    let r = w.check_articles(true).await.expect("check");
    assert_eq!(r.alerts, 0, "one 410 is not yet a deletion");
    tokio::time::pause();
    tokio::time::advance(std::time::Duration::from_secs(3601)).await;
    tokio::time::resume();
    let r = w.check_articles(true).await.expect("check");
    assert_eq!(r.alerts, 1);
    deliver(&w, w.clock.now()).await;
    let first = Mime::parse(&smtp.wait_for_message(1).await.data);
    let removed = Mime::parse(&smtp.wait_for_message(2).await.data);
    let subject = removed.header_decoded("Subject").expect("subject");
    assert!(subject.contains("removed"), "{subject}");
    assert_eq!(removed.header("In-Reply-To"), first.header("Message-ID"));

    // Recorded once: later checks do not fetch it again, and nothing more is sent.
    let hits = server.seen(STORY1_PATH).len();
    let r = w.check_articles(true).await.expect("check");
    assert_eq!(r.alerts, 0);
    assert_eq!(server.seen(STORY1_PATH).len(), hits);
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let story = articles
        .as_array()
        .expect("array")
        .iter()
        .find(|a| a["url"].as_str().is_some_and(|u| u.ends_with(STORY1_PATH)))
        .cloned()
        .expect("story");
    assert_eq!(story["state"], "removed");
    assert_eq!(
        deliver(&w, w.clock.now() + chrono::Duration::days(1))
            .await
            .attempted,
        0
    );
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sendmail_transport_pipes_the_message_to_the_command() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let dir = tempfile::tempdir().expect("tempdir");
    // A stand-in for sendmail: records its arguments and the message on stdin.
    let script = dir.path().join("fake-sendmail");
    let out = dir.path().join("out");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > '{0}.args'\ncat > '{0}.eml'\n",
            out.display()
        ),
    )
    .expect("write script");
    std::process::Command::new("chmod")
        .args(["+x", script.to_str().expect("path")])
        .status()
        .expect("chmod");
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n{}{TOPICS}\n[email]\nfrom = \"redline <redline@example.org>\"\n\
         to = [\"desk@example.org\"]\ntransport = \"sendmail\"\nsendmail_command = {:?}\n",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        script.display().to_string()
    ));
    let w = watcher(&env);
    seed_edit(&server, &w).await;
    let r = deliver(&w, Utc::now()).await;
    assert_eq!((r.sent, r.queued), (1, 0));
    let args = std::fs::read_to_string(out.with_extension("args")).expect("args");
    assert!(args.contains("desk@example.org"), "{args}");
    let mail = Mime::parse(&std::fs::read(out.with_extension("eml")).expect("message"));
    assert!(
        mail.part("text/plain")
            .expect("text")
            .text()
            .contains("{+advanced+}")
    );
}
