//! A story that moves stays one story: a new slug under the same guid, a permanent
//! redirect, an AMP copy whose canonical link names the main page. And a story is called
//! removed only when it is: 404/410 on two checks an hour apart, and gone from its feed.
//! Feeds and pages come from a local HTTP server; mail goes to `.eml` files.

mod support;

use std::time::Duration;

use support::mime::Mime;
use support::*;

const TOPIC_TITLE: &str = "Putin and Xi meet in Beijing to discuss China ties";

/// A story's paragraphs, with `day` in the first one.
fn story_text(day: &str) -> Vec<String> {
    vec![
        format!(
            "Russian President Vladimir Putin met Chinese President Xi Jinping in Beijing on {day}, \
             the Kremlin said in a statement that described the talks as warm and productive."
        ),
        "The two leaders discussed trade, energy supplies and security in the region, and agreed \
         to meet again before the end of the year, according to the statement."
            .to_string(),
    ]
}

/// An article page with an optional `<link rel="canonical">`.
fn page(headline: &str, day: &str, canonical: Option<&str>) -> Canned {
    let paragraphs = story_text(day);
    let refs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let mut html = simple_page(headline, &refs);
    if let Some(c) = canonical {
        html = html.replace(
            "<title>",
            &format!("<link rel=\"canonical\" href=\"{c}\"><title>"),
        );
    }
    Canned::html(html)
}

/// An RSS feed of `(guid, title, link)` items.
fn rss(items: &[(&str, &str, &str)]) -> Canned {
    let items: String = items
        .iter()
        .map(|(guid, title, link)| {
            format!(
                "<item><title>{title}</title><guid isPermaLink=\"false\">{guid}</guid><link>{link}</link></item>"
            )
        })
        .collect();
    Canned::ok(
        "application/rss+xml; charset=utf-8",
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>World</title>{items}</channel></rss>"
        ),
    )
}

fn world_env(server: &HttpServer) -> Env {
    Env::new(&feed_toml(
        "World",
        &format!("{}/feeds/world.xml", server.base()),
    ))
}

/// The alert emails written so far, parsed.
fn mails(env: &Env) -> Vec<Mime> {
    let Ok(dir) = std::fs::read_dir(env.state().join("mail")) else {
        return Vec::new();
    };
    dir.map(|e| Mime::parse(&std::fs::read(e.expect("entry").path()).expect("read .eml")))
        .collect()
}

fn plain(m: &Mime) -> String {
    m.part("text/plain").expect("a text part").text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_slug_under_the_same_guid_is_the_same_story() {
    let server = HttpServer::start().await;
    let base = server.base();
    let old = "/a/putin-xi-meet-in-beijing-tuesday/";
    let new = "/a/putin-xi-agree-to-meet-again-wednesday/";
    server.set(
        "/feeds/world.xml",
        rss(&[("story-1", TOPIC_TITLE, &format!("{base}{old}"))]),
    );
    server.set(old, page(TOPIC_TITLE, "Tuesday", None));
    let env = world_env(&server);
    env.run(&["poll"]).await.expect_code(0);

    // The outlet rewords the headline and the body; the slug follows the headline, the
    // guid stays, the old address is gone.
    let headline = "Putin and Xi agree to meet again as China ties deepen";
    server.set(
        "/feeds/world.xml",
        rss(&[("story-1", headline, &format!("{base}{new}"))]),
    );
    server.set(old, Canned::status(404));
    server.set(new, page(headline, "Wednesday", None));
    let poll = env.run(&["poll", "--all"]).await.expect_code(0);
    assert!(
        poll.stdout.contains("1 new version, 1 alert"),
        "{}",
        poll.stdout
    );
    env.run(&["poll", "--all"]).await.expect_code(0);

    assert_eq!(
        server.seen(old).len(),
        1,
        "the old address is not fetched again"
    );
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let articles = articles.as_array().expect("array");
    assert_eq!(articles.len(), 1, "{articles:#?}");
    assert_eq!(articles[0]["url"], format!("{base}{new}"));
    assert_eq!(articles[0]["state"], "active");
    let replay = env.run(&["replay", "--json"]).await.expect_code(0).json();
    let kinds: Vec<&str> = replay
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["alert"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, vec!["reworded"], "no \"removed\" alert");

    let mails = mails(&env);
    assert_eq!(mails.len(), 1);
    let text = plain(&mails[0]);
    assert!(text.contains(&format!("→ {headline}")), "{text}");
    assert!(
        text.contains("[-Tuesday,-]{+Wednesday,+}") || text.contains("[-Tuesday-]{+Wednesday+}"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Moved:    {base}{old} → {base}{new}")),
        "{text}"
    );

    let history = env.run(&["history", "1"]).await.expect_code(0).stdout;
    assert!(
        history.contains(&format!("moved from {base}{old}")),
        "{history}"
    );
    assert!(history.contains("address changes:"), "{history}");
    let history = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(history["moves"][0]["url"], format!("{base}{old}"));
    assert_eq!(history["moves"][0]["new_url"], format!("{base}{new}"));
    assert_eq!(history["moves"][0]["reason"], "feed");
    assert_eq!(history["moves"][0]["version"], 2);
    // The old address still names the article.
    let by_old = env
        .run(&["history", &format!("{base}{old}"), "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(by_old["article"]["id"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_redirect_moves_the_article() {
    let server = HttpServer::start().await;
    let base = server.base();
    let old = "/a/putin-xi-meet-in-beijing/";
    let new = "/a/putin-xi-meet-in-beijing-to-discuss-ties/";
    server.set(
        "/feeds/world.xml",
        rss(&[("story-2", TOPIC_TITLE, &format!("{base}{old}"))]),
    );
    server.set(old, page(TOPIC_TITLE, "Tuesday", None));
    let env = world_env(&server);
    env.run(&["poll"]).await.expect_code(0);

    server.set(old, Canned::status(301).header("location", new));
    server.set(new, page(TOPIC_TITLE, "Tuesday", None));
    let poll = env.run(&["poll", "--all"]).await.expect_code(0);
    assert!(
        poll.stdout.contains("0 new versions, 0 alerts"),
        "{}",
        poll.stdout
    );

    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let articles = articles.as_array().expect("array");
    assert_eq!(articles.len(), 1, "{articles:#?}");
    assert_eq!(articles[0]["url"], format!("{base}{new}"));
    let history = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(history["moves"][0]["reason"], "redirect");
    assert_eq!(history["moves"][0]["url"], format!("{base}{old}"));

    // The feed still links the old slug; the article stays at its new address, and an
    // edit there is one alert.
    server.set(new, page(TOPIC_TITLE, "Wednesday", None));
    let poll = env.run(&["poll", "--all"]).await.expect_code(0);
    assert!(
        poll.stdout.contains("1 new version, 1 alert"),
        "{}",
        poll.stdout
    );
    assert_eq!(
        server.seen(old).len(),
        2,
        "the baseline and the redirect, no more"
    );
    let history = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(history["moves"].as_array().expect("moves").len(), 1);
    assert_eq!(mails(&env).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_redirect_does_not_move_the_article() {
    let server = HttpServer::start().await;
    let base = server.base();
    let old = "/a/putin-xi-meet-in-beijing/";
    server.set(
        "/feeds/world.xml",
        rss(&[("story-3", TOPIC_TITLE, &format!("{base}{old}"))]),
    );
    server.set(old, page(TOPIC_TITLE, "Tuesday", None));
    let env = world_env(&server);
    env.run(&["poll"]).await.expect_code(0);
    server.set(
        old,
        Canned::status(302).header("location", "/consent/please-accept-our-cookies-first"),
    );
    server.set(
        "/consent/please-accept-our-cookies-first",
        page(TOPIC_TITLE, "Tuesday", None),
    );
    env.run(&["poll", "--all"]).await.expect_code(0);
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    assert_eq!(articles[0]["url"], format!("{base}{old}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amp_copy_in_another_feed_is_the_same_article() {
    let server = HttpServer::start().await;
    let base = server.base();
    let main = "/world/putin-xi-meet-in-beijing-to-discuss-ties";
    let amp = "/amp/world/putin-xi-meet-in-beijing-to-discuss-ties";
    server.set(
        "/feeds/world.xml",
        rss(&[("main-1", TOPIC_TITLE, &format!("{base}{main}"))]),
    );
    server.set(
        "/feeds/amp.xml",
        rss(&[("amp-1", TOPIC_TITLE, &format!("{base}{amp}"))]),
    );
    let serve = |day: &str| {
        server.set(main, page(TOPIC_TITLE, day, Some(main)));
        server.set(amp, page(TOPIC_TITLE, day, Some(&format!("{base}{main}"))));
    };
    serve("Tuesday");
    let env = Env::new(&format!(
        "{}{}",
        feed_toml("World", &format!("{base}/feeds/world.xml")),
        feed_toml("World AMP", &format!("{base}/feeds/amp.xml"))
    ));
    env.run(&["poll"]).await.expect_code(0);
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let articles = articles.as_array().expect("array");
    assert_eq!(articles.len(), 1, "{articles:#?}");
    assert_eq!(articles[0]["url"], format!("{base}{main}"));

    // Each edit, made on both copies, is one alert.
    for (n, day) in ["Wednesday", "Thursday"].into_iter().enumerate() {
        serve(day);
        let poll = env.run(&["poll", "--all"]).await.expect_code(0);
        assert!(
            poll.stdout.contains("1 new version, 1 alert"),
            "{}",
            poll.stdout
        );
        assert_eq!(mails(&env).len(), n + 1);
    }
    assert_eq!(
        server.seen(amp).len(),
        1,
        "the copy is not revisited once joined"
    );
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    assert_eq!(articles.as_array().expect("array").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canonical_links_to_another_site_or_the_home_page_do_not_join() {
    let server = HttpServer::start().await;
    let other = HttpServer::start().await;
    let base = server.base();
    let main = "/world/putin-xi-meet-in-beijing-to-discuss-ties";
    let copy = "/syndicated/putin-xi-meet-in-beijing-copy-of-the-story";
    // A syndicated copy on another site names the main page; a page of this site names
    // the home page, which is itself tracked (a feed entry links it).
    server.set(
        "/feeds/world.xml",
        rss(&[
            ("main-1", TOPIC_TITLE, &format!("{base}{main}")),
            (
                "home",
                "Putin and China: all our coverage",
                &format!("{base}/"),
            ),
            ("copy-1", TOPIC_TITLE, &format!("{base}{copy}")),
        ]),
    );
    server.set(main, page(TOPIC_TITLE, "Tuesday", None));
    server.set(
        "/",
        page("Putin and China: all our coverage", "Monday", None),
    );
    server.set(
        copy,
        page(TOPIC_TITLE, "Tuesday", Some(&format!("{base}/"))),
    );
    other.set(
        "/feeds/partner.xml",
        rss(&[("partner-1", TOPIC_TITLE, &format!("{}{main}", other.base()))]),
    );
    other.set(
        main,
        page(TOPIC_TITLE, "Tuesday", Some(&format!("{base}{main}"))),
    );
    let env = Env::new(&format!(
        "{}{}",
        feed_toml("World", &format!("{base}/feeds/world.xml")),
        feed_toml("Partner", &format!("{}/feeds/partner.xml", other.base()))
    ));
    env.run(&["poll"]).await.expect_code(0);
    env.run(&["poll", "--all"]).await.expect_code(0);
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let mut urls: Vec<String> = articles
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["url"].as_str().expect("url").to_string())
        .collect();
    urls.sort();
    let mut expected = vec![
        format!("{base}/"),
        format!("{base}{copy}"),
        format!("{base}{main}"),
        format!("{}{main}", other.base()),
    ];
    expected.sort();
    assert_eq!(urls, expected);
    assert_eq!(server.seen(copy).len(), 2, "the copy is still revisited");
    assert_eq!(
        other.seen(main).len(),
        2,
        "the syndicated copy is still revisited"
    );
}

/// Jumps tokio's clock forward by `d` (the watcher's clock follows it).
async fn jump(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

/// A watcher on one feed carrying one story, after its baseline.
async fn tracked_story(server: &HttpServer) -> (Env, redline::watch::Watcher) {
    let base = server.base();
    server.set(
        "/feeds/world.xml",
        rss(&[(
            "story-9",
            TOPIC_TITLE,
            &format!("{base}/a/putin-xi-meet-in-beijing"),
        )]),
    );
    server.set(
        "/a/putin-xi-meet-in-beijing",
        page(TOPIC_TITLE, "Tuesday", None),
    );
    let env = world_env(server);
    let w = watcher(&env);
    w.cycle(true).await.expect("first cycle");
    (env, w)
}

async fn alert_kinds(w: &redline::watch::Watcher) -> Vec<String> {
    w.db.call(|s| s.alerts(&Default::default()))
        .await
        .expect("alerts")
        .into_iter()
        .map(|a| a.kind)
        .collect()
}

async fn state(w: &redline::watch::Watcher) -> String {
    let articles =
        w.db.call(|s| s.articles(&Default::default()))
            .await
            .expect("articles");
    assert_eq!(articles.len(), 1);
    articles[0].state.clone()
}

#[tokio::test(flavor = "current_thread")]
async fn a_page_that_is_missing_once_is_not_removed() {
    let server = HttpServer::start().await;
    let (_env, w) = tracked_story(&server).await;
    // Gone from the feed, and the page answers 404 once.
    server.set("/feeds/world.xml", rss(&[]));
    server.set("/a/putin-xi-meet-in-beijing", Canned::status(404));
    w.cycle(true).await.expect("cycle");
    assert_eq!(state(&w).await, "active");
    server.set(
        "/a/putin-xi-meet-in-beijing",
        page(TOPIC_TITLE, "Tuesday", None),
    );
    jump(Duration::from_secs(2 * 3600)).await;
    w.cycle(true).await.expect("cycle");
    // Another 404 later starts counting again.
    server.set("/a/putin-xi-meet-in-beijing", Canned::status(404));
    jump(Duration::from_secs(2 * 3600)).await;
    w.cycle(true).await.expect("cycle");
    assert_eq!(state(&w).await, "active");
    assert!(alert_kinds(&w).await.is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn a_missing_page_still_in_the_feed_is_not_removed() {
    let server = HttpServer::start().await;
    let (_env, w) = tracked_story(&server).await;
    server.set("/a/putin-xi-meet-in-beijing", Canned::status(404));
    for _ in 0..3 {
        w.cycle(true).await.expect("cycle");
        jump(Duration::from_secs(2 * 3600)).await;
    }
    assert_eq!(state(&w).await, "active");
    assert!(alert_kinds(&w).await.is_empty());
    let a = story_row(&w).await;
    assert!(
        a.last_error
            .as_deref()
            .is_some_and(|e| e.contains("feed still carries")),
        "{a:?}"
    );
}

async fn story_row(w: &redline::watch::Watcher) -> redline::store::ArticleRow {
    w.db.call(|s| s.articles(&Default::default()))
        .await
        .expect("articles")
        .remove(0)
}

#[tokio::test(flavor = "current_thread")]
async fn a_deleted_story_is_removed_once() {
    let server = HttpServer::start().await;
    let (_env, w) = tracked_story(&server).await;
    server.set("/feeds/world.xml", rss(&[]));
    server.set("/a/putin-xi-meet-in-beijing", Canned::status(404));
    w.cycle(true).await.expect("cycle");
    assert_eq!(state(&w).await, "active", "one 404 is not a deletion");
    // Checked again right away: still not an hour apart.
    w.cycle(true).await.expect("cycle");
    assert_eq!(state(&w).await, "active");
    let a = story_row(&w).await;
    let next = a.next_check.expect("a confirmation check");
    assert!(
        (next - w.clock.now()).num_minutes() >= 55,
        "the confirmation waits an hour: {next} vs {}",
        w.clock.now()
    );
    jump(Duration::from_secs(3601)).await;
    w.check_articles(false).await.expect("cycle");
    assert_eq!(state(&w).await, "removed");
    assert_eq!(alert_kinds(&w).await, vec!["removed"]);
    let hits = server.seen("/a/putin-xi-meet-in-beijing").len();
    jump(Duration::from_secs(3 * 3600)).await;
    w.cycle(true).await.expect("cycle");
    assert_eq!(server.seen("/a/putin-xi-meet-in-beijing").len(), hits);
    assert_eq!(alert_kinds(&w).await, vec!["removed"]);
}
