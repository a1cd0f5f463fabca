//! Crash safety: `redline run` is killed with SIGKILL at several points of busy cycles
//! (while fetching, in the middle of sending, right after pages were fetched and while
//! versions are being recorded) and restarted each time. Every expected alert must arrive
//! exactly once and the database must pass `PRAGMA integrity_check`.

mod support;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use support::mime::Mime;
use support::smtp::TestSmtp;
use support::*;

const LIMIT: Duration = Duration::from_secs(30);
/// Stories in the feed, each edited twice.
const STORIES: usize = 12;

fn story_path(i: usize) -> String {
    format!("/world-news/putin-china-story-{i}")
}

fn page(i: usize, edit: usize) -> String {
    let p = format!(
        "Russian President Vladimir Putin and Chinese President Xi Jinping discussed trade, energy and security in their call number {i}, the Kremlin said on Thursday in a statement about the talks."
    );
    let figure = 100 + 10 * edit;
    simple_page(
        &format!("Putin and Xi hold call {i}"),
        &[
            &p,
            &format!(
                "Trade between the two countries reached {figure} billion dollars last year, officials said."
            ),
        ],
    )
}

fn feed(server: &HttpServer) -> String {
    let items: String = (0..STORIES)
        .map(|i| {
            format!(
                "<item><title>Putin and Xi hold call {i}</title><link>{}{}</link><guid>story-{i}</guid>\
                 <description>Putin and China's Xi Jinping spoke.</description></item>",
                server.base(),
                story_path(i)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>World</title>{items}</channel></rss>"
    )
}

fn set_pages(server: &HttpServer, edit: usize) {
    for i in 0..STORIES {
        server.set(&story_path(i), Canned::html(page(i, edit)));
    }
}

fn start(env: &Env) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--config")
        .arg(env.config_path())
        .args(["-q", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start redline run")
}

async fn kill9(child: &mut tokio::process::Child) {
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("reaped");
}

async fn all_requested(server: &HttpServer, at_least: &[usize]) {
    for (i, n) in at_least.iter().enumerate() {
        server.wait_for(&story_path(i), *n, LIMIT).await;
    }
}

fn counts(server: &HttpServer) -> Vec<usize> {
    (0..STORIES)
        .map(|i| server.seen(&story_path(i)).len())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_any_point_loses_and_repeats_nothing() {
    let server = HttpServer::start().await;
    server.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml", feed(&server)),
    );
    set_pages(&server, 0);
    let smtp = TestSmtp::start().await;
    // A killed process's claims (on a check, on a message) run out after `lease`; then
    // the next start takes the work over.
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nfeed_interval = \"1s\"\njitter = \"0%\"\nrevisit = [\"1s\"]\n\
         {}{TOPICS}\n[email]\nfrom = \"redline <redline@example.org>\"\nto = [\"desk@example.org\"]\n\
         transport = \"smtp\"\n[email.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout = \"5s\"\n",
        feed_toml("World", &format!("{}/feeds/world.xml", server.base())),
        smtp.port()
    ))
    .with_lease("1s");
    let mut kills = 0;

    // 1. Killed while fetching: a page request hangs, and the process dies.
    server.hold(&story_path(0));
    let mut daemon = start(&env);
    server.wait_for(&story_path(0), 1, LIMIT).await;
    kill9(&mut daemon).await;
    kills += 1;
    server.release();

    // 2. Restarted, it takes its baselines; then every story is edited, and the process
    //    is killed in the middle of sending the first alert.
    let mut daemon = start(&env);
    let seen = counts(&server);
    all_requested(&server, &seen.iter().map(|n| n + 1).collect::<Vec<_>>()).await;
    smtp.hold_messages(true);
    set_pages(&server, 1);
    smtp.wait_held(1).await;
    kill9(&mut daemon).await;
    kills += 1;
    smtp.hold_messages(false);
    assert!(
        smtp.messages().is_empty(),
        "a send cut short is not delivered"
    );

    // 3. Restarted, it delivers the first round. Then a second edit, and a kill right
    //    after the new pages went out, while versions and alerts are being recorded (mail
    //    is held, so the kill lands in recording, not in a send).
    let mut daemon = start(&env);
    smtp.wait_for_message(STORIES).await;
    smtp.hold_messages(true);
    let seen = server.total();
    set_pages(&server, 2);
    // One page of the new round is enough: with mail held, the sender blocks the loop
    // once the first alert of the round is recorded.
    server.wait_total(seen + 1, LIMIT).await;
    kill9(&mut daemon).await;
    kills += 1;

    // 4. Restarted once more: killed again mid-send, after part of the second round.
    smtp.hold_messages(false);
    let delivered = smtp.messages().len();
    let mut daemon = start(&env);
    smtp.wait_for_message(delivered + 1).await;
    let held = smtp.held();
    smtp.hold_messages(true);
    smtp.wait_held(held + 1).await;
    kill9(&mut daemon).await;
    kills += 1;
    smtp.hold_messages(false);

    // 5. The last start delivers the rest, then stops cleanly.
    let mut daemon = start(&env);
    smtp.wait_for_message(2 * STORIES).await;
    let pid = daemon.id().expect("running");
    signal(pid, "-TERM");
    let status = tokio::time::timeout(LIMIT, daemon.wait())
        .await
        .expect("stops")
        .expect("wait");
    assert!(status.success());

    let messages = smtp.messages();
    let ids: BTreeSet<String> = messages
        .iter()
        .map(|m| {
            Mime::parse(&m.data)
                .header("Message-ID")
                .expect("id")
                .to_string()
        })
        .collect();
    println!(
        "crash test: {kills} kills, {} alerts expected, {} messages received, {} distinct",
        2 * STORIES,
        messages.len(),
        ids.len()
    );
    assert_eq!(messages.len(), 2 * STORIES, "every alert exactly once");
    assert_eq!(ids.len(), 2 * STORIES);
    let store = redline::store::Store::open(&env.state().join("redline.db")).expect("db");
    assert_eq!(store.integrity_check().expect("check"), "ok");
    let alerts = store.alerts(&Default::default()).expect("alerts");
    assert_eq!(alerts.len(), 2 * STORIES);
    assert!(
        alerts
            .iter()
            .all(|a| a.deliveries.iter().all(|d| d.status == "sent"))
    );
    for a in store.articles(&Default::default()).expect("articles") {
        assert_eq!(a.versions, 3, "baseline and two edits for {}", a.url);
    }
}
