//! Schedules under tokio's test clock: the watcher runs against a real local HTTP server
//! in real time, and between steps the test jumps tokio's clock (pause, advance, resume)
//! across minutes, hours and days. redline's clock follows tokio's, so every due time it
//! stores is in that virtual time.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use support::*;

/// Jumps tokio's clock forward by `d`.
async fn jump(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_seconds()
}

#[tokio::test(flavor = "current_thread")]
async fn revisit_ladder_is_followed_until_stop_after() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nrevisit = [\"5m\", \"1h\", \"1d\"]\nstop_after = \"3d\"\n\
         feed_interval = \"1000d\"\njitter = \"0%\"\n{}{TOPICS}",
        feed_toml("World", &format!("{}/feeds/world.xml", server.base()))
    ));
    let w = watcher(&env);
    w.cycle(false).await.expect("first cycle");
    let story = || story(&w);
    let page_hits = || server.seen(STORY1_PATH).len();
    assert_eq!(page_hits(), 1, "fetched once for the baseline");

    // Expected waits after each check: 5m, 1h, 1d, then 1d again until 3 days have
    // passed since the baseline.
    let mut waits = Vec::new();
    loop {
        let a = story().await;
        let Some(next) = a.next_check else {
            assert_eq!(a.state, redline::store::ArticleState::Stopped);
            break;
        };
        let last = a.last_check.expect("checked");
        waits.push(secs(last, next));
        // One second early: nothing happens.
        let early = (next - w.clock.now()).to_std().expect("future") - Duration::from_secs(1);
        jump(early).await;
        let hits = page_hits();
        w.check_articles(false).await.expect("cycle");
        assert_eq!(page_hits(), hits, "not checked before it is due");
        jump(Duration::from_secs(1)).await;
        w.check_articles(false).await.expect("cycle");
        assert_eq!(page_hits(), hits + 1, "checked when due");
    }
    assert_eq!(waits, vec![300, 3600, 86_400, 86_400]);

    // After it stops, nothing more is fetched, even days later and after it left the feed.
    server.set(
        "/feeds/world.xml",
        Canned::ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
        ),
    );
    jump(Duration::from_secs(10 * 86_400)).await;
    let hits = page_hits();
    w.cycle(false).await.expect("cycle");
    assert_eq!(page_hits(), hits);
}

#[tokio::test(flavor = "current_thread")]
async fn a_change_restarts_the_ladder_and_articles_are_revisited_after_leaving_the_feed() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nrevisit = [\"5m\", \"1h\"]\nstop_after = \"1d\"\n\
         feed_interval = \"1000d\"\njitter = \"0%\"\n{}{TOPICS}",
        feed_toml("World", &format!("{}/feeds/world.xml", server.base()))
    ));
    let w = watcher(&env);
    w.cycle(false).await.expect("first cycle");
    // The story leaves the feed; it is still revisited.
    server.set(
        "/feeds/world.xml",
        Canned::ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
        ),
    );
    jump(Duration::from_secs(300)).await;
    w.cycle(false).await.expect("5m");
    jump(Duration::from_secs(1800)).await;
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    jump(Duration::from_secs(1800)).await;
    let r = w.cycle(false).await.expect("1h");
    assert_eq!((r.versions, r.alerts), (1, 1), "{r:?}");
    let a = story(&w).await;
    assert_eq!(
        secs(a.last_check.expect("checked"), a.next_check.expect("due")),
        300,
        "back to the first rung after a change"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn feed_backoff_grows_and_recovers_and_jitter_stays_in_bounds() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    server.set("/feeds/flaky.xml", Canned::status(500));
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nfeed_interval = \"10m\"\njitter = \"10%\"\n{}{}{TOPICS}",
        feed_toml("Flaky", &format!("{}/feeds/flaky.xml", server.base())),
        feed_toml("World", &format!("{}/feeds/world.xml", server.base())),
    ));
    let w = watcher(&env);
    let feed = |name: &'static str| {
        let db = w.db.clone();
        async move {
            db.call(|s| s.feeds())
                .await
                .expect("feeds")
                .into_iter()
                .find(|f| f.name == name)
                .expect("feed")
        }
    };
    let mut waits = Vec::new();
    for _ in 0..4 {
        w.poll_feeds(false).await.expect("poll");
        let f = feed("Flaky").await;
        waits.push(secs(
            f.last_fetch.expect("fetched"),
            f.next_due.expect("due"),
        ));
        // The healthy feed stays on its jittered interval: 10m ± 10%.
        let ok = feed("World").await;
        let wait = secs(ok.last_fetch.expect("fetched"), ok.next_due.expect("due"));
        assert!((540..=660).contains(&wait), "jittered wait {wait}s");
        let until = (f.next_due.expect("due") - w.clock.now())
            .to_std()
            .unwrap_or_default();
        jump(until).await;
    }
    // 10m, 20m, 40m, 80m: doubling after each failure in a row.
    assert_eq!(waits, vec![600, 1200, 2400, 4800]);
    assert_eq!(feed("Flaky").await.error_streak, 4);

    server.set(
        "/feeds/flaky.xml",
        Canned::ok(
            "application/rss+xml",
            fixture("feed.rss.xml").replace("{base}", &server.base()),
        ),
    );
    w.poll_feeds(false).await.expect("poll");
    let f = feed("Flaky").await;
    assert_eq!(f.error_streak, 0, "recovers by itself");
    let wait = secs(f.last_fetch.expect("fetched"), f.next_due.expect("due"));
    assert!((540..=660).contains(&wait), "back on its interval: {wait}s");
}

#[tokio::test(flavor = "current_thread")]
async fn retry_after_pauses_the_host_for_the_stated_time() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    server.set(
        "/feeds/world.xml",
        Canned::status(429).header("retry-after", "120"),
    );
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nfeed_interval = \"1m\"\njitter = \"0%\"\n{}{TOPICS}",
        feed_toml("World", &format!("{}/feeds/world.xml", server.base()))
    ));
    let w = watcher(&env);
    w.poll_feeds(true).await.expect("poll");
    assert_eq!(server.seen("/feeds/world.xml").len(), 1);
    let f = w.db.call(|s| s.feeds()).await.expect("feeds").remove(0);
    assert_eq!(f.last_status.as_deref(), Some("429"));
    assert_eq!(
        secs(f.last_fetch.expect("fetched"), f.next_due.expect("due")),
        120
    );

    // Within the 120 s nothing goes to that host, even when forced.
    jump(Duration::from_secs(119)).await;
    w.poll_feeds(true).await.expect("poll");
    assert_eq!(server.seen("/feeds/world.xml").len(), 1, "host paused");
    let f = w.db.call(|s| s.feeds()).await.expect("feeds").remove(0);
    // The pause is its own state; the feed's own last answer and error stay.
    assert_eq!(f.last_status.as_deref(), Some("429"));
    assert_eq!(f.last_error.as_deref(), Some("HTTP 429"));
    assert_eq!(f.error_streak, 1);
    assert_eq!(
        secs(
            f.last_fetch.expect("fetched"),
            f.paused_until.expect("paused")
        ),
        120
    );

    serve_seed(&server);
    jump(Duration::from_secs(2)).await;
    let r = w.poll_feeds(true).await.expect("poll");
    assert_eq!(
        server.seen("/feeds/world.xml").len(),
        2,
        "asked again after the pause"
    );
    assert_eq!(r.feeds_failed, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_feeds_own_hints_slow_polling_but_never_speed_it_up() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let rss = |ttl: u32| {
        format!("<rss version=\"2.0\"><channel><title>t</title><ttl>{ttl}</ttl></channel></rss>")
    };
    server.set("/feeds/ttl.xml", Canned::ok("application/rss+xml", rss(60)));
    server.set(
        "/feeds/cached.xml",
        Canned::ok("application/rss+xml", rss(1)).header("cache-control", "public, max-age=1800"),
    );
    server.set(
        "/feeds/eager.xml",
        Canned::ok("application/rss+xml", rss(1)),
    );
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nfeed_interval = \"10m\"\njitter = \"0%\"\n{}{}{}{TOPICS}",
        feed_toml("Ttl", &format!("{}/feeds/ttl.xml", server.base())),
        feed_toml("Cached", &format!("{}/feeds/cached.xml", server.base())),
        feed_toml("Eager", &format!("{}/feeds/eager.xml", server.base())),
    ));
    let w = watcher(&env);
    w.poll_feeds(false).await.expect("poll");
    let feeds = w.db.call(|s| s.feeds()).await.expect("feeds");
    let wait = |name: &str| {
        let f = feeds.iter().find(|f| f.name == name).expect("feed");
        secs(f.last_fetch.expect("fetched"), f.next_due.expect("due"))
    };
    assert_eq!(
        wait("Ttl"),
        3600,
        "<ttl>60</ttl> slows a 10m feed to an hour"
    );
    assert_eq!(wait("Cached"), 1800, "max-age=1800 slows it to 30m");
    assert_eq!(
        wait("Eager"),
        600,
        "a 1-minute ttl does not speed up a 10m feed"
    );

    // Due times live in the database: a second watcher (a restart) fires nothing early.
    let again = watcher(&env);
    let r = again.poll_feeds(false).await.expect("poll");
    assert_eq!(r.feeds_polled, 0);
    assert_eq!(server.seen("/feeds/ttl.xml").len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn requests_per_host_stay_within_the_limit() {
    let server = HttpServer::start().await;
    let items: String = (0..8)
        .map(|i| {
            server.set(
                &format!("/s/{i}"),
                Canned::html(simple_page("Putin and Xi", &["Putin and China's Xi Jinping spoke at length on Thursday about trade, energy and the war, officials in Moscow said."]))
                    .slow(Duration::from_millis(50)),
            );
            format!("<item><title>Putin meets China's Xi {i}</title><link>{}/s/{i}</link></item>", server.base())
        })
        .collect();
    server.set(
        "/feeds/world.xml",
        Canned::ok(
            "application/rss+xml",
            format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"),
        ),
    );
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\nper_host = 2\n{}{TOPICS}",
        feed_toml("World", &format!("{}/feeds/world.xml", server.base()))
    ));
    let w = watcher(&env);
    let r = w.cycle(false).await.expect("cycle");
    assert_eq!(r.versions, 8);
    assert_eq!(server.max_in_flight(), 2, "per_host = 2");
}
