//! Webhooks end to end: the watcher records versions and alerts from a local HTTP
//! server, the outbox's webhook sender POSTs them to a local receiver (127.0.0.1:0),
//! which checks what arrives: the signature, the delivery id on retries, the formats,
//! the topics; refusals, `Retry-After`, a retry while a cycle waits for a page, a SIGKILL
//! mid-delivery, and `test-webhook`.

mod support;

use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use redline::alert::DeliveryReport;
use redline::watch::Watcher;
use support::hook::{Got, Receiver, Reply};
use support::*;

const LIMIT: Duration = Duration::from_secs(30);
const SECRET_VAR: &str = "REDLINE_TEST_WEBHOOK_SECRET";
const SECRET: &str = "correct horse battery staple";

/// The seed feed's config with these `[[webhook]]` tables.
fn hook_env(server: &HttpServer, hooks: &str) -> Env {
    Env::new(&format!(
        "{}\n{hooks}",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base()))
    ))
}

/// A `[[webhook]]` table.
fn hook_toml(name: &str, url: &str, extra: &str) -> String {
    format!("[[webhook]]\nname = {name:?}\nurl = {url:?}\n{extra}\n")
}

async fn deliver(w: &Watcher, at: DateTime<Utc>) -> DeliveryReport {
    redline::alert::webhook::deliver_due(&w.config, &w.db, &w.http, at)
        .await
        .expect("deliver webhooks")
}

/// Plays the seed edit: baseline from page-v1, then page-v2: one alert.
async fn seed_edit(server: &HttpServer, w: &Watcher) {
    w.cycle(false).await.expect("baseline");
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let r = w.check_articles(true).await.expect("edit");
    assert_eq!(r.alerts, 1);
}

/// The signature the receiver expects, computed here independently of redline.
fn expected_signature(body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Starts `redline run` in the background with the webhook secret in its environment.
fn start_service(env: &Env) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--config")
        .arg(env.config_path())
        .args(["-q", "run"])
        .env(SECRET_VAR, SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start redline run")
}

/// Runs the binary with the webhook secret in its environment (or without it).
async fn run_signed(env: &Env, secret: bool, args: &[&str]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"));
    cmd.arg("--config")
        .arg(env.config_path())
        .args(["--color", "never"])
        .args(args)
        .env_remove("REDLINE_CONFIG")
        .env_remove("REDLINE_LOG")
        .env_remove(SECRET_VAR);
    if secret {
        cmd.env(SECRET_VAR, SECRET);
    }
    let out = cmd.output().await.expect("run redline");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn header(g: &Got, name: &str) -> String {
    g.header(name)
        .unwrap_or_else(|| panic!("no {name} header in {g:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_posts_one_signed_json_document_per_alert() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(
        &server,
        &hook_toml(
            "desk",
            &hooks.url("/hooks/desk"),
            &format!("secret_env = {SECRET_VAR:?}"),
        ),
    );
    // Without the secret, the commands that send or vouch for the config refuse.
    for cmd in ["poll", "check"] {
        let run = run_signed(&env, false, &[cmd]).await.expect_code(2);
        assert!(
            run.stderr.contains("`webhook[1].secret_env`")
                && run.stderr.contains(&format!("{SECRET_VAR} is not set")),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("redline.toml:"),
            "names the line: {}",
            run.stderr
        );
    }
    let check = run_signed(&env, true, &["check"]).await.expect_code(0);
    assert!(
        check.stdout.contains(&format!(
            "webhook: desk <http://{}/…>: json, signed, every topic",
            hooks.addr
        )) && !check.stdout.contains("/hooks/desk"),
        "{}",
        check.stdout
    );

    run_signed(&env, true, &["poll"]).await.expect_code(0);
    assert!(hooks.got().is_empty(), "a baseline is not an alert");
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let poll = run_signed(&env, true, &["poll", "--all"])
        .await
        .expect_code(0);
    assert!(
        poll.stdout.contains("webhooks: 1 sent, 0 queued, 0 failed"),
        "{}",
        poll.stdout
    );

    let got = hooks.got();
    assert_eq!(got.len(), 1, "{got:?}");
    let g = &got[0];
    assert_eq!(
        (g.method.as_str(), g.path.as_str()),
        ("POST", "/hooks/desk")
    );
    assert_eq!(header(g, "content-type"), "application/json");
    assert_eq!(header(g, "x-redline-delivery"), "1.desk");
    assert_eq!(
        header(g, "x-redline-signature"),
        expected_signature(&g.body)
    );
    assert!(header(g, "user-agent").starts_with("redline/"));
    let doc = g.json();
    assert_eq!(doc["alert_id"], 1);
    assert_eq!(doc["kind"], "reworded");
    assert_eq!(doc["article_id"], 1);
    assert!(doc["url"].as_str().expect("url").ends_with(STORY1_PATH));
    assert_eq!(doc["feed"], "World News");
    assert_eq!(doc["topics"], serde_json::json!(["russia-china"]));
    assert!(
        doc["headline"]
            .as_str()
            .expect("headline")
            .contains("jointly developing advanced weapons")
    );
    assert_eq!(doc["old_headline"], V1_HEADLINE);
    assert_eq!(
        (doc["from_version"].clone(), doc["to_version"].clone()),
        (1.into(), 2.into())
    );
    let detected = doc["detected_at"].as_str().expect("detected_at");
    assert!(
        DateTime::parse_from_rfc3339(detected).is_ok() && detected.ends_with('Z'),
        "{detected}"
    );
    assert_eq!(
        doc["labels"],
        serde_json::json!(["headline", "figures", "quotes", "addition"])
    );
    assert!(doc["words_added"].as_u64().expect("added") > 0);
    assert!(doc["words_removed"].as_u64().expect("removed") > 0);
    let text = doc["diff_text"].as_str().expect("diff_text");
    for edit in ["[-high-tech-]{+advanced+}", "[-one hundred-]{+140+}"] {
        assert!(text.contains(edit), "{edit} in {text}");
    }
    let html = doc["diff_html"].as_str().expect("diff_html");
    // The email's HTML diff, escaped: the old and new words in their spans.
    assert!(
        html.contains(">high-tech<") && html.contains(">advanced<") && html.contains("&quot;"),
        "{html}"
    );
    assert!(doc["archive_url"].is_null(), "no [archive] submit: {doc}");

    // The email went too, and replay shows both targets.
    let replay = env.run(&["replay", "--json"]).await.expect_code(0).json();
    let targets: Vec<(String, String, String)> = replay[0]["alert"]["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| {
            (
                d["channel"].as_str().unwrap_or_default().to_string(),
                d["recipient"].as_str().unwrap_or_default().to_string(),
                d["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let t = |c: &str, r: &str| (c.to_string(), r.to_string(), "sent".to_string());
    assert_eq!(
        targets,
        [t("email", "desk@example.org"), t("webhook", "desk")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_then_a_200_is_one_delivery_with_one_id_and_one_body() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(&server, &hook_toml("desk", &hooks.url("/h"), ""));
    let w = watcher(&env);
    seed_edit(&server, &w).await;
    hooks.script([Reply::status(500).body("database on fire")]);
    let t0 = Utc::now();
    let r = deliver(&w, t0).await;
    assert_eq!((r.attempted, r.sent, r.queued, r.failed), (1, 0, 1, 0));
    // Not before its backoff (30 s) is over.
    assert_eq!(
        deliver(&w, t0 + chrono::Duration::seconds(10))
            .await
            .attempted,
        0
    );
    let replay = env.run(&["replay"]).await.expect_code(0).stdout;
    assert!(
        replay.contains("webhook desk: queued (1 attempt, next ")
            && replay.contains("last error: HTTP 500 Internal Server Error: database on fire"),
        "{replay}"
    );
    let r = deliver(&w, t0 + chrono::Duration::seconds(30)).await;
    assert_eq!((r.attempted, r.sent, r.queued), (1, 1, 0));
    assert_eq!(
        deliver(&w, t0 + chrono::Duration::days(1)).await.attempted,
        0
    );

    let got = hooks.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got.iter().filter(|g| g.accepted()).count(), 1);
    assert_eq!(header(&got[0], "x-redline-delivery"), "1.desk");
    assert_eq!(header(&got[1], "x-redline-delivery"), "1.desk");
    assert_eq!(got[0].body, got[1].body, "a retry sends the same bytes");
    assert!(
        got[0].header("x-redline-signature").is_none(),
        "no secret, no signature"
    );
    let replay = env.run(&["replay"]).await.expect_code(0).stdout;
    assert!(
        replay.contains("webhook desk: sent ") && replay.contains("(2 attempts): HTTP 200 OK"),
        "{replay}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(&server, &hook_toml("desk", &hooks.url("/h"), ""));
    let w = watcher(&env);
    seed_edit(&server, &w).await;
    let t0 = Utc::now();
    let date = redline::fetch::http_date(t0 + chrono::Duration::seconds(600));
    hooks.script([
        Reply::status(429).header("retry-after", "120"),
        Reply::status(503).header("retry-after", &date),
    ]);
    assert_eq!(deliver(&w, t0).await.queued, 1);
    // The backoff alone would retry after 30 s; the receiver asked for 120.
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    assert_eq!(deliver(&w, at(60)).await.attempted, 0);
    assert_eq!(deliver(&w, at(119)).await.attempted, 0);
    let r = deliver(&w, at(120)).await;
    assert_eq!((r.attempted, r.sent, r.queued), (1, 0, 1));
    // Now an HTTP date ten minutes after t0: a wait of about ten minutes from the answer
    // (which came a moment after t0 on the real clock), counted from this pass.
    assert_eq!(deliver(&w, at(400)).await.attempted, 0);
    let r = deliver(&w, at(720)).await;
    assert_eq!((r.attempted, r.sent), (1, 1));
    assert_eq!(hooks.got().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_fails_for_good_and_replay_shows_it() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(&server, &hook_toml("gone", &hooks.url("/h"), ""));
    let w = watcher(&env);
    seed_edit(&server, &w).await;
    hooks.script([Reply::status(410).body("this hook was deleted")]);
    let t0 = Utc::now();
    let r = deliver(&w, t0).await;
    assert_eq!((r.attempted, r.sent, r.queued, r.failed), (1, 0, 0, 1));
    assert_eq!(
        deliver(&w, t0 + chrono::Duration::days(1)).await.attempted,
        0
    );
    assert_eq!(hooks.got().len(), 1);

    let replay = env.run(&["replay"]).await.expect_code(0).stdout;
    assert!(
        replay.contains("[1 queued, 1 failed]")
            && replay.contains(
                "  webhook gone: failed after 1 attempt: HTTP 410 Gone: this hook was deleted\n"
            ),
        "{replay}"
    );
    let json = env.run(&["replay", "--json"]).await.expect_code(0).json();
    let d = json[0]["alert"]["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("the webhook's delivery");
    assert_eq!(d["recipient"], "gone");
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_error"], "HTTP 410 Gone: this hook was deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_and_ntfy_formats() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(
        &server,
        &format!(
            "{}{}",
            hook_toml("chat", &hooks.url("/slack"), "format = \"slack\""),
            hook_toml("phone", &hooks.url("/ntfy/redline"), "format = \"ntfy\"")
        ),
    );
    let w = watcher(&env);
    seed_edit(&server, &w).await;
    let r = deliver(&w, Utc::now()).await;
    assert_eq!((r.attempted, r.sent), (2, 2));
    let url = format!("{}{STORY1_PATH}", server.base());

    let slack = &hooks.got_at("/slack")[0];
    assert_eq!(header(slack, "content-type"), "application/json");
    assert_eq!(header(slack, "x-redline-delivery"), "1.chat");
    let doc = slack.json();
    assert_eq!(
        doc.as_object().map(|o| o.len()),
        Some(1),
        "only `text`: {doc}"
    );
    let text = doc["text"].as_str().expect("text");
    assert!(
        text.starts_with(
            "[redline] Putin says Russia and China are 'jointly developing advanced weapons'"
        ),
        "{text}"
    );
    assert!(
        text.contains("— headline, figures, quotes, addition (World News)"),
        "{text}"
    );
    assert!(text.contains(&format!("\n{url}\n")), "{text}");
    assert!(text.contains("[-high-tech-]{+advanced+}"), "{text}");
    assert!(text.ends_with("redline diff 1 --from 1 --to 2"), "{text}");

    let ntfy = &hooks.got_at("/ntfy/redline")[0];
    assert_eq!(header(ntfy, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(header(ntfy, "x-redline-delivery"), "1.phone");
    assert_eq!(header(ntfy, "tags"), "headline,figures,quotes,addition");
    assert_eq!(header(ntfy, "click"), url);
    // The title has a dash (—), so it is an RFC 2047 encoded-word.
    let title = header(ntfy, "title");
    let b64 = title
        .strip_prefix("=?UTF-8?B?")
        .and_then(|t| t.strip_suffix("?="))
        .unwrap_or_else(|| panic!("{title}"));
    let title = String::from_utf8(
        data_encoding::BASE64
            .decode(b64.as_bytes())
            .expect("base64"),
    )
    .expect("utf-8");
    assert!(
        title.starts_with("[redline] Putin says") && title.ends_with("(World News)"),
        "{title}"
    );
    let body = ntfy.text();
    assert!(body.contains("[-high-tech-]{+advanced+}"), "{body}");
    assert!(
        !body.trim_start().starts_with('{'),
        "plain text, not JSON: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_choose_which_webhooks_get_an_alert() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(
        &server,
        &format!(
            "{}{}{}",
            hook_toml("rc", &hooks.url("/rc"), "topics = [\"russia-china\"]"),
            hook_toml("nato", &hooks.url("/nato"), "topics = [\"nato-ukraine\"]"),
            hook_toml("all", &hooks.url("/all"), "")
        ),
    );
    let w = watcher(&env);
    seed_edit(&server, &w).await;
    let r = deliver(&w, Utc::now()).await;
    assert_eq!((r.attempted, r.sent), (2, 2));
    assert_eq!(hooks.got_at("/rc").len(), 1);
    assert_eq!(hooks.got_at("/all").len(), 1);
    assert!(
        hooks.got_at("/nato").is_empty(),
        "story 1 is not a NATO story"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_the_version_and_the_delivery_delivers_once_after_restart() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nfeed_interval = \"1s\"\njitter = \"0%\"\nrevisit = [\"1s\"]\n\
         {}{TOPICS}\n{}",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        hook_toml(
            "desk",
            &hooks.url("/h"),
            &format!("secret_env = {SECRET_VAR:?}")
        )
    ))
    .with_lease("1s");
    let start = || start_service(&env);

    let mut daemon = start();
    server.wait_for(STORY1_PATH, 1, LIMIT).await;
    // The receiver takes the delivery and holds its answer; the service is killed while
    // it waits, after the version and its outbox rows were committed.
    hooks.script([Reply::status(503)]);
    hooks.hold();
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    hooks.wait_for(1, LIMIT).await;
    daemon.start_kill().expect("SIGKILL");
    daemon.wait().await.expect("reaped");
    hooks.release();
    {
        let store = redline::store::Store::open(&env.state().join("redline.db")).expect("db");
        let alerts = store.alerts(&Default::default()).expect("alerts");
        assert_eq!(alerts.len(), 1, "the version and its alert were stored");
        let d = &alerts[0].deliveries[0];
        assert_eq!(
            (d.status, d.attempts),
            (redline::store::DeliveryStatus::Queued, 0),
            "the killed try was never recorded"
        );
    }

    // Restarted, the service takes the delivery over once the dead one's lease is out.
    let mut daemon = start();
    hooks.wait_accepted(1, LIMIT).await;
    signal(daemon.id().expect("running"), "-TERM");
    let status = tokio::time::timeout(LIMIT, daemon.wait())
        .await
        .expect("stops")
        .expect("wait");
    assert!(status.success());

    let got = hooks.got();
    assert_eq!(
        got.len(),
        2,
        "the killed try and the one after the restart: {got:?}"
    );
    assert_eq!(
        got.iter().filter(|g| g.accepted()).count(),
        1,
        "accepted once"
    );
    for g in &got {
        assert_eq!(header(g, "x-redline-delivery"), "1.desk");
        assert_eq!(
            header(g, "x-redline-signature"),
            expected_signature(&g.body)
        );
        assert_eq!(g.body, got[0].body);
    }
    let store = redline::store::Store::open(&env.state().join("redline.db")).expect("db");
    let d = store.alerts(&Default::default()).expect("alerts")[0].deliveries[0].clone();
    assert_eq!(
        (d.status, d.attempts),
        (redline::store::DeliveryStatus::Sent, 1)
    );
    assert_eq!(store.integrity_check().expect("check"), "ok");
}

/// A retry that falls due while a cycle is held up (a page that does not answer) is
/// sent at once: delivery runs beside the cycles, not after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_is_delivered_while_a_cycle_waits_for_a_page() {
    const HELD: &str = "/world-news/putin-xi-held";
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    // The held page outlasts the test's limit: a delivery that waited for the cycle
    // holding it would come too late.
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\ntimeout = \"5m\"\n[schedule]\nfeed_interval = \"1s\"\njitter = \"0%\"\nrevisit = [\"1s\"]\n\
         {}{TOPICS}\n{}",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        hook_toml(
            "desk",
            &hooks.url("/h"),
            &format!("secret_env = {SECRET_VAR:?}")
        )
    ));
    let mut daemon = start_service(&env);
    server.wait_for(STORY1_PATH, 1, LIMIT).await;

    // The edit's first try is refused, to be retried a second later; the refusal is held
    // back until a cycle is stuck on a page that does not answer.
    hooks.script([Reply::status(503).header("retry-after", "1")]);
    hooks.hold();
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    hooks.wait_for(1, LIMIT).await;
    server.hold(HELD);
    let feed = fixture("feed.rss.xml")
        .replace("{base}", &server.base())
        .replacen(
            "<item>",
            &format!(
                "<item><title>Putin and Xi Jinping talk again</title><link>{}{HELD}</link>\
                 <guid>held</guid></item>\n<item>",
                server.base()
            ),
            1,
        );
    server.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml; charset=utf-8", feed).header("etag", "\"feed-2\""),
    );
    server.wait_for(HELD, 1, LIMIT).await;
    hooks.release();

    // The retry falls due while that cycle still waits.
    hooks.wait_accepted(1, LIMIT).await;
    assert_eq!(
        (server.seen(HELD).len(), server.in_flight(HELD)),
        (1, 1),
        "the held page was asked for once and has not answered"
    );
    let got = hooks.got();
    assert_eq!(got.len(), 2, "the refused try and the retry: {got:?}");
    assert_eq!(got[1].status, 200);
    assert_eq!(got[0].body, got[1].body, "the retry sends the same request");

    server.release();
    signal(daemon.id().expect("running"), "-TERM");
    let status = tokio::time::timeout(LIMIT, daemon.wait())
        .await
        .expect("stops")
        .expect("wait");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_webhook_sends_a_signed_test_document_to_a_local_address() {
    let hooks = Receiver::start().await;
    // No allow_private: the guard on links found in feeds does not apply to a webhook
    // the user configured, here on 127.0.0.1.
    let env = Env::with_config(&format!(
        "{TOPICS}\n{}",
        hook_toml(
            "desk",
            &hooks.url("/hooks/test"),
            &format!("secret_env = {SECRET_VAR:?}")
        )
    ));
    let run = run_signed(&env, true, &["test-webhook", "desk"])
        .await
        .expect_code(0);
    assert!(
        run.stdout.contains(&format!(
            "sent a test document to desk (http://{}/…, delivery test-",
            hooks.addr
        )) && run.stdout.contains("it answered HTTP 200 OK"),
        "{}",
        run.stdout
    );
    let got = hooks.got();
    assert_eq!(got.len(), 1);
    let g = &got[0];
    assert_eq!(
        header(g, "x-redline-signature"),
        expected_signature(&g.body)
    );
    let id = header(g, "x-redline-delivery");
    assert!(id.starts_with("test-") && id.ends_with(".desk"), "{id}");
    let doc = g.json();
    assert_eq!(doc["kind"], "test");
    assert_eq!(doc["alert_id"], 0);
    assert!(
        doc["diff_text"]
            .as_str()
            .expect("text")
            .contains("[-rehearsal-]{+test+}"),
        "{doc}"
    );

    // A refusal is exit 1 with the status and the answer.
    hooks.script([Reply::status(404).body("no such hook")]);
    let run = run_signed(&env, true, &["test-webhook", "desk"])
        .await
        .expect_code(1);
    assert!(
        run.stderr.contains("HTTP 404 Not Found: no such hook"),
        "{}",
        run.stderr
    );
    // An unknown name, or the secret unset: exit 2.
    let run = run_signed(&env, true, &["test-webhook", "nobody"])
        .await
        .expect_code(2);
    assert!(
        run.stderr.contains("no [[webhook]] is named \"nobody\""),
        "{}",
        run.stderr
    );
    let run = run_signed(&env, false, &["test-webhook", "desk"])
        .await
        .expect_code(2);
    assert!(
        run.stderr.contains("webhook[1].secret_env"),
        "{}",
        run.stderr
    );
    // Nothing listening (a port just freed): exit 1, the reason named.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let closed = Env::with_config(&format!(
        "{TOPICS}\n{}",
        hook_toml("desk", &format!("http://{free}/nothing-here"), "")
    ));
    let run = closed.run(&["test-webhook", "desk"]).await.expect_code(1);
    assert!(run.stderr.contains("was not accepted"), "{}", run.stderr);
    // The URL's path (often a secret) is never shown.
    assert!(!run.stderr.contains("nothing-here"), "{}", run.stderr);
    assert_eq!(hooks.got().len(), 2);
}

#[test]
fn the_example_config_with_the_webhook_commented_in_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/redline.toml");
    let text = std::fs::read_to_string(&path).expect("example config");
    // Uncomment the `# [[webhook]]` table: its line and the commented lines after it.
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line == "# [[webhook]]" {
            inside = true;
        } else if !line.starts_with("# ") {
            inside = false;
        }
        out.push(match line.strip_prefix("# ") {
            Some(rest) if inside => rest,
            _ => line,
        });
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("redline.toml");
    std::fs::write(&copy, out.join("\n")).expect("write");
    let config = redline::config::Config::load(&copy).expect("the example with a webhook is valid");
    assert_eq!(config.webhooks.len(), 1);
    let h = &config.webhooks[0];
    assert_eq!(h.name.get_ref(), "desk-chat");
    assert_eq!(h.format, redline::config::WebhookFormat::Json);
    assert_eq!(
        h.secret_env.as_ref().map(|s| s.get_ref().as_str()),
        Some("REDLINE_WEBHOOK_SECRET")
    );
    assert!(h.topics.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_snapshot_link_rides_along() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(
        &server,
        &format!(
            "{}\n[archive]\nsubmit = \"{}/save/\"\nsubmit_interval = \"0s\"\n",
            hook_toml("desk", &hooks.url("/h"), ""),
            server.base()
        ),
    );
    // The stand-in archive answers with the snapshot's address in Content-Location.
    let story = format!("{}{STORY1_PATH}", server.base());
    let snap = format!("/web/20261130000000/{story}");
    server.set(
        &format!("/save/{story}"),
        Canned::html("saved").header("content-location", &snap),
    );
    env.run(&["poll"]).await.expect_code(0);
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let poll = env
        .run(&["poll", "--all", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(poll["archive"]["archived"], 1, "{poll}");
    assert_eq!(poll["webhooks"]["sent"], 1, "{poll}");
    let doc = hooks.got()[0].json();
    assert_eq!(doc["archive_url"], format!("{}{snap}", server.base()));
}

#[tokio::test(flavor = "current_thread")]
async fn a_removal_reaches_the_webhook_as_kind_removed() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(&server, &hook_toml("desk", &hooks.url("/h"), ""));
    let w = watcher(&env);
    seed_edit(&server, &w).await;
    // The story is deleted: its page answers 410 and the feed drops it; two checks an
    // hour apart make it removed.
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
    server.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml; charset=utf-8", without.into_owned()),
    );
    w.poll_feeds(true).await.expect("poll");
    w.check_articles(true).await.expect("check");
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(3601)).await;
    tokio::time::resume();
    assert_eq!(w.check_articles(true).await.expect("check").alerts, 1);
    let r = deliver(&w, w.clock.now()).await;
    assert_eq!(
        (r.attempted, r.sent),
        (2, 2),
        "the rewording, then the removal"
    );
    let got = hooks.got();
    let doc = got[1].json();
    assert_eq!(header(&got[1], "x-redline-delivery"), "2.desk");
    assert_eq!(doc["kind"], "removed");
    assert_eq!(doc["labels"], serde_json::json!([]));
    assert_eq!(
        (doc["words_added"].clone(), doc["words_removed"].clone()),
        (0.into(), 0.into())
    );
    assert!(
        doc["diff_text"]
            .as_str()
            .expect("text")
            .starts_with("The page is gone"),
        "{doc}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_state_send_a_delivery_once() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let hooks = Receiver::start().await;
    let env = hook_env(&server, &hook_toml("desk", &hooks.url("/h"), ""));
    let first = watcher(&env);
    seed_edit(&server, &first).await;
    // A second process on the same database (its own connection and claim owner).
    let second = watcher(&env);
    let t = Utc::now();
    // The first holds the delivery (its answer is held back) while the second drains.
    hooks.hold();
    let (a, b) = tokio::join!(deliver(&first, t), async {
        hooks.wait_for(1, LIMIT).await;
        let r = deliver(&second, t).await;
        hooks.release();
        r
    });
    assert_eq!((a.attempted, a.sent), (1, 1));
    assert_eq!(b.attempted, 0, "claimed by the first");
    assert_eq!(hooks.got().len(), 1);
}
