//! Several processes on one state: the service (`redline run`) beside manual `redline
//! poll --all`s, two polls started at once on a fresh state, `replay --email` beside the
//! service, and a process killed while it holds a message's claim. Every edit must make
//! one version and one alert, every alert one message, and no command may fail because
//! another process holds the database.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use support::mime::Mime;
use support::smtp::TestSmtp;
use support::*;

/// A guard against a hung test, not a synchronisation.
const LIMIT: Duration = Duration::from_secs(90);
/// How often a wait looks at its condition again.
const LOOK: Duration = Duration::from_millis(50);

fn feed(server: &HttpServer, stories: usize) -> String {
    let items: String = (0..stories)
        .map(|i| {
            format!(
                "<item><title>Putin and Xi hold talks, round {i}</title><link>{}{}</link><guid>talks-{i}</guid>\
                 <description>Putin and China's Xi Jinping met.</description></item>",
                server.base(),
                talks_path(i)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>World</title>{items}</channel></rss>"
    )
}

/// Serves a feed of `stories` stories, each at edit 0.
async fn serve(stories: usize) -> HttpServer {
    let server = HttpServer::start().await;
    server.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml", feed(&server, stories)),
    );
    for i in 0..stories {
        server.set(&talks_path(i), Canned::html(talks_page(i, 0)));
    }
    server
}

/// A config polling the feed and re-checking every article each second, mailing through
/// `smtp`; `lease` is `[state] lease`.
fn env(server: &HttpServer, smtp: &TestSmtp, lease: &str) -> Env {
    Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nfeed_interval = \"1s\"\njitter = \"0%\"\nrevisit = [\"1s\"]\n\
         {}{TOPICS}\n[email]\nfrom = \"redline <redline@example.org>\"\nto = [\"desk@example.org\"]\n\
         transport = \"smtp\"\n[email.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout = \"20s\"\n",
        feed_toml("World", &format!("{}/feeds/world.xml", server.base())),
        smtp.port()
    ))
    .with_lease(lease)
}

fn spawn(env: &Env, args: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--config")
        .arg(env.config_path())
        .args(["--color", "never"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start redline")
}

fn store(env: &Env) -> redline::store::Store {
    redline::store::Store::open(&env.state().join("redline.db")).expect("db")
}

/// Waits until `cond` holds, looking again every [`LOOK`]; panics after [`LIMIT`].
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {LIMIT:?}"
        );
        tokio::time::sleep(LOOK).await;
    }
}

/// Each version count by article URL.
fn versions(env: &Env) -> BTreeMap<String, i64> {
    store(env)
        .articles(&Default::default())
        .expect("articles")
        .into_iter()
        .map(|a| (a.url, a.versions))
        .collect()
}

fn message_ids(smtp: &TestSmtp) -> Vec<String> {
    smtp.messages()
        .iter()
        .map(|m| {
            Mime::parse(&m.data)
                .header("Message-ID")
                .expect("Message-ID")
                .to_string()
        })
        .collect()
}

/// Every article's versions differ from one another.
fn assert_versions_distinct(env: &Env) {
    let s = store(env);
    for a in s.articles(&Default::default()).expect("articles") {
        let texts: Vec<String> = s
            .versions(a.id)
            .expect("versions")
            .iter()
            .map(|v| v.copy.to_string())
            .collect();
        let distinct: BTreeSet<&String> = texts.iter().collect();
        assert_eq!(
            distinct.len(),
            texts.len(),
            "article {} has repeated versions",
            a.url
        );
    }
}

async fn stop(mut service: tokio::process::Child) {
    signal(service.id().expect("running"), "-TERM");
    let status = tokio::time::timeout(LIMIT, service.wait())
        .await
        .expect("the service stops")
        .expect("wait");
    assert!(status.success(), "the service exits 0 on SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_polls_beside_the_service_never_double_an_alert() {
    const STORIES: usize = 30;
    const ROUNDS: usize = 6;
    const POLLS: usize = 3;
    let server = serve(STORIES).await;
    let smtp = TestSmtp::start().await;
    let env = env(&server, &smtp, "2m");
    let service = spawn(&env, &["-q", "run"]);
    wait_until("every story's baseline", || {
        let v = versions(&env);
        v.len() == STORIES && v.values().all(|&n| n == 1)
    })
    .await;

    let mut polls = 0;
    let mut left = 0;
    for round in 0..ROUNDS {
        for i in round * 5..round * 5 + 5 {
            server.set(&talks_path(i), Canned::html(talks_page(i, 1)));
        }
        // The read commands run beside them and must never fail either.
        let readers: Vec<_> = [
            &["articles", "--json"][..],
            &["history", "1"],
            &["replay", "--since", "1h"],
        ]
        .iter()
        .map(|args| spawn(&env, args))
        .collect();
        let runs = futures_join(&env, POLLS).await;
        for child in readers {
            let run = finish(child).await;
            assert_eq!(
                run.code, 0,
                "round {round}: a read command failed\nstdout:\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            );
        }
        for run in runs {
            assert_eq!(
                run.code, 0,
                "round {round}: poll --all failed\nstdout:\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            );
            assert!(run.stderr.is_empty(), "round {round}: {}", run.stderr);
            polls += 1;
            if run.stdout.contains("left ") {
                left += 1;
            }
        }
    }

    wait_until("30 messages", || smtp.messages().len() >= STORIES).await;
    // Two more full rounds of the service's re-checks (each second, every story):
    // nothing new may come of them.
    let seen = server.total();
    server.wait_total(seen + 2 * STORIES + 2, LIMIT).await;
    wait_until("an empty outbox", || {
        store(&env).outbox_counts().expect("counts").0 == 0
    })
    .await;
    stop(service).await;

    let ids = message_ids(&smtp);
    let distinct: BTreeSet<&String> = ids.iter().collect();
    let alerts = store(&env).alerts(&Default::default()).expect("alerts");
    println!(
        "concurrency: {polls} polls exited 0 ({left} left work to another process); {} alerts, {} messages, {} distinct Message-IDs for {STORIES} edits",
        alerts.len(),
        ids.len(),
        distinct.len()
    );
    assert_eq!(alerts.len(), STORIES, "one alert per edit");
    assert_eq!(ids.len(), STORIES, "one message per alert");
    assert_eq!(distinct.len(), STORIES, "no Message-ID twice");
    let v = versions(&env);
    assert!(
        v.values().all(|&n| n == 2),
        "a baseline and one edit each: {v:?}"
    );
    assert_versions_distinct(&env);
}

/// Runs `n` `redline poll --all` at once and waits for all of them.
async fn futures_join(env: &Env, n: usize) -> Vec<Run> {
    let children: Vec<_> = (0..n).map(|_| spawn(env, &["poll", "--all"])).collect();
    let mut runs = Vec::new();
    for child in children {
        runs.push(finish(child).await);
    }
    runs
}

/// Waits for a spawned command and collects what it printed.
async fn finish(child: tokio::process::Child) -> Run {
    let out = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .expect("the command finishes")
        .expect("its output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_polls_at_once_on_a_fresh_state_take_one_baseline_each() {
    const STORIES: usize = 10;
    let server = serve(STORIES).await;
    let smtp = TestSmtp::start().await;
    let env = env(&server, &smtp, "2m");
    let runs = futures_join(&env, 2).await;
    for run in &runs {
        assert_eq!(
            run.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
    }
    let v = versions(&env);
    assert_eq!(v.len(), STORIES, "{v:?}");
    assert!(v.values().all(|&n| n == 1), "one baseline each: {v:?}");
    // Between them, the two polls report each new article and each baseline once.
    let reported = |what: &str| -> usize {
        runs.iter()
            .map(|r| {
                let re = regex::Regex::new(&format!(r"(\d+) {what}")).expect("regex");
                re.captures(&r.stdout)
                    .map_or(0, |c| c[1].parse::<usize>().expect("number"))
            })
            .sum()
    };
    assert_eq!(reported("new article"), STORIES);
    assert_eq!(reported("new version"), STORIES);
    assert!(smtp.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_email_beside_the_service_resends_each_alert_once() {
    const STORIES: usize = 4;
    let server = serve(STORIES).await;
    let smtp = TestSmtp::start().await;
    let env = env(&server, &smtp, "2m");
    let service = spawn(&env, &["-q", "run"]);
    wait_until("every story's baseline", || {
        let v = versions(&env);
        v.len() == STORIES && v.values().all(|&n| n == 1)
    })
    .await;
    for i in 0..2 {
        server.set(&talks_path(i), Canned::html(talks_page(i, 1)));
    }
    wait_until("two alerts delivered", || smtp.messages().len() >= 2).await;
    // Two replays at once, while the service keeps re-checking every second.
    let replays: Vec<_> = (0..2)
        .map(|_| spawn(&env, &["replay", "--since", "1h", "--email"]))
        .collect();
    for child in replays {
        let run = finish(child).await.expect_code(0);
        assert!(
            run.stdout.contains("sent 2 messages again"),
            "{}",
            run.stdout
        );
    }
    let seen = server.total();
    server.wait_total(seen + 2 * STORIES + 2, LIMIT).await;
    stop(service).await;
    let ids = message_ids(&smtp);
    let mut per_id: BTreeMap<&String, usize> = BTreeMap::new();
    for id in &ids {
        *per_id.entry(id).or_default() += 1;
    }
    assert_eq!(per_id.len(), 2, "two alerts: {per_id:?}");
    assert!(
        per_id.values().all(|&n| n == 3),
        "each sent once by the service and once by each replay: {per_id:?}"
    );
    assert_eq!(
        store(&env)
            .alerts(&Default::default())
            .expect("alerts")
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_senders_claim_runs_out_and_each_message_goes_once() {
    const STORIES: usize = 3;
    let server = serve(STORIES).await;
    let smtp = TestSmtp::start().await;
    let env = env(&server, &smtp, "6s");
    env.run(&["poll"]).await.expect_code(0);
    for i in 0..STORIES {
        server.set(&talks_path(i), Canned::html(talks_page(i, 1)));
    }
    // The first poll records the three alerts, then sits in the middle of sending the
    // first message, holding its claim, and dies there.
    smtp.hold_messages(true);
    let mut first = spawn(&env, &["poll", "--all"]);
    smtp.wait_held(1).await;
    first.start_kill().expect("SIGKILL");
    first.wait().await.expect("reaped");
    smtp.hold_messages(false);
    assert!(
        smtp.messages().is_empty(),
        "a send cut short is not delivered"
    );

    // Right away, another process sends the two unclaimed messages and leaves the
    // claimed one queued.
    let run = env.run(&["poll", "--json"]).await.expect_code(0);
    let mail = &run.json()["mail"];
    assert_eq!(mail["sent"], 2, "{}", run.stdout);
    assert_eq!(mail["queued"], 1, "{}", run.stdout);
    assert_eq!(smtp.messages().len(), 2);

    // Once the claim has run out, the next poll sends it.
    let deadline = tokio::time::Instant::now() + LIMIT;
    while smtp.messages().len() < STORIES {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the claim never ran out"
        );
        env.run(&["poll"]).await.expect_code(0);
        tokio::time::sleep(LOOK).await;
    }
    env.run(&["poll", "--all"]).await.expect_code(0);
    let ids = message_ids(&smtp);
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), STORIES, "each message once: {ids:?}");
    assert_eq!(distinct.len(), STORIES);
    let s = store(&env);
    assert_eq!(s.outbox_counts().expect("counts"), (0, STORIES as i64, 0));
}

/// `[http] per_host` across processes holds on every hop: a page that redirects to
/// another host waits for a request slot of that host too, so another process on the
/// state finds it taken while the answer is read, and free once it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_takes_a_slot_of_that_host() {
    let origin = HttpServer::start().await;
    let target = HttpServer::start_on("127.0.0.2").await;
    origin.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml", feed(&origin, 1)),
    );
    origin.set(
        &talks_path(0),
        Canned::status(302).header("location", &format!("{}{}", target.base(), talks_path(0))),
    );
    target.set(&talks_path(0), Canned::html(talks_page(0, 0)));
    target.hold(&talks_path(0));
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\nper_host = 1\n[schedule]\njitter = \"0%\"\n{}{TOPICS}",
        feed_toml("World", &format!("{}/feeds/world.xml", origin.base()))
    ));
    let w = watcher(&env);
    let cycle = tokio::spawn(async move { w.cycle(false).await });
    target.wait_for(&talks_path(0), 1, LIMIT).await;

    let mut other = store(&env);
    let take = |other: &mut redline::store::Store| {
        let now = chrono::Utc::now();
        other
            .take_host_slot("127.0.0.2", 1, now, now + chrono::Duration::minutes(1))
            .expect("take a slot")
    };
    let held = take(&mut other);
    assert!(
        matches!(held, redline::store::HostSlot::Full { .. }),
        "the redirect's host is held while its answer is read: {held:?}"
    );
    target.release();
    let report = cycle.await.expect("join").expect("cycle");
    assert_eq!((report.new_articles, report.versions), (1, 1));
    assert_eq!(
        take(&mut other),
        redline::store::HostSlot::Taken(0),
        "given back at the end of the cycle"
    );
}
