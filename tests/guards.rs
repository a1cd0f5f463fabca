//! The guards that keep noise out of alerts: a page that suddenly loses its text, a text
//! that flips back, an extractor upgrade.

mod support;

use chrono::Utc;
use redline::store::{NewArticle, NewVersion};
use redline::text::Copy;
use redline::watch::Watcher;
use support::*;

async fn alert_count(w: &Watcher) -> usize {
    w.db.call(|s| s.alerts(&Default::default()))
        .await
        .expect("alerts")
        .len()
}

fn seed_env(server: &HttpServer) -> Env {
    Env::new(&feed_toml(
        "World",
        &format!("{}/feeds/world.xml", server.base()),
    ))
}

/// The story behind a paywall: the headline, the lead paragraph as a teaser, a prompt.
fn paywall() -> String {
    let lead = fixture("article-v1.txt")
        .split("\n\n")
        .next()
        .expect("lead")
        .to_string();
    format!(
        "<html><body><main><article><h1>Putin says Russia and China are &#x27;jointly developing high-tech weapons&#x27;; calls NATO expansion unacceptable</h1>\
         <p>{lead}</p><p>Subscribe to continue reading this article. Already a subscriber? Sign in.</p></article></main></body></html>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_turned_paywall_is_an_extraction_failure_not_an_edit() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = seed_env(&server);
    let w = watcher(&env);
    w.cycle(false).await.expect("baseline");

    server.set(STORY1_PATH, Canned::html(paywall()));
    let r = w.check_articles(true).await.expect("check");
    assert_eq!(
        (r.versions, r.alerts),
        (0, 0),
        "first sighting only raises suspicion"
    );
    let a = story(&w).await;
    assert!(a.last_error.is_none());
    assert!(
        a.next_check.expect("due") <= Utc::now() + chrono::Duration::minutes(6),
        "re-fetched soon to confirm"
    );

    let r = w.check_articles(true).await.expect("confirm");
    assert_eq!((r.versions, r.alerts), (0, 0));
    let a = story(&w).await;
    assert!(
        a.last_error
            .as_deref()
            .is_some_and(|e| e.contains("extraction failure")),
        "{:?}",
        a.last_error
    );
    assert_eq!(a.versions, 1);

    // The text comes back unchanged: still no alert, and the failure clears.
    server.set(STORY1_PATH, Canned::html(fixture("page-v1.html")));
    let r = w.check_articles(true).await.expect("back");
    assert_eq!((r.versions, r.alerts), (0, 0));
    assert!(story(&w).await.last_error.is_none());
    assert_eq!(alert_count(&w).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_to_b_to_a_alerts_once() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = seed_env(&server);
    let w = watcher(&env);
    w.cycle(false).await.expect("baseline");
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    w.check_articles(true).await.expect("edit");
    server.set(STORY1_PATH, Canned::html(fixture("page-v1.html")));
    let r = w.check_articles(true).await.expect("flip back");
    assert_eq!((r.versions, r.alerts), (1, 0), "recorded, not alerted");
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let r = w.check_articles(true).await.expect("flip again");
    assert_eq!((r.versions, r.alerts), (1, 0));
    assert_eq!(alert_count(&w).await, 1);
    let id = story(&w).await.id;
    let versions = w.db.call(move |s| s.versions(id)).await.expect("versions");
    assert_eq!(versions.len(), 4);
    assert_eq!(
        versions[2].note.as_deref(),
        Some("flip-flop: same text as version 1")
    );
    assert_eq!(
        versions[3].note.as_deref(),
        Some("flip-flop: same text as version 2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flip_flop_alerts_again_when_turned_off() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n[schedule]\nflip_flop = \"0s\"\n{}{TOPICS}",
        feed_toml("World", &format!("{}/feeds/world.xml", server.base()))
    ));
    let w = watcher(&env);
    w.cycle(false).await.expect("baseline");
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    w.check_articles(true).await.expect("edit");
    server.set(STORY1_PATH, Canned::html(fixture("page-v1.html")));
    w.check_articles(true).await.expect("flip back");
    assert_eq!(alert_count(&w).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extractor_upgrade_rebaselines_silently() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = seed_env(&server);
    let w = watcher(&env);
    // A version stored by an older extractor, which kept the byline as a paragraph.
    let url = format!("{}{STORY1_PATH}", server.base());
    let mut paragraphs: Vec<String> = vec!["Written By Digital Desk | Mumbai".into()];
    paragraphs.extend(
        fixture("article-v1.txt")
            .split("\n\n")
            .map(|p| p.trim().to_string()),
    );
    let old = NewVersion {
        copy: Copy::new(V1_HEADLINE, paragraphs),
        extractor: "redline-extract/0-older".into(),
        words_added: 0,
        words_removed: 0,
        note: Some("baseline".into()),
        labels: Default::default(),
        diff: None,
        provenance: Default::default(),
    };
    let new = NewArticle {
        key: url.clone(),
        url: url.clone(),
        title: V1_HEADLINE.into(),
        feed_id: None,
        topics: vec!["russia-china".into()],
        now: Utc::now(),
    };
    let (id, _) =
        w.db.call(move |s| s.track(&new, Some(&old)))
            .await
            .expect("track");
    let r = w.check_articles(true).await.expect("check");
    assert_eq!(r.alerts, 0, "no alert for the extractor's own difference");
    let versions = w.db.call(move |s| s.versions(id)).await.expect("versions");
    assert_eq!(versions.len(), 2);
    assert!(
        versions[1]
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("re-baselined"))
    );
    assert_eq!(versions[1].extractor, redline::extract::EXTRACTOR);

    // From the new baseline on, a real edit alerts as usual.
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let r = w.check_articles(true).await.expect("edit");
    assert_eq!(r.alerts, 1);
}

/// The seed page with two blocks inside the story body that change on every visit and
/// read like article text, so only the feed's settings can tell them apart.
fn with_counters(page: &str, n: u32) -> String {
    page.replace(
        "<div class=\"story-body\">",
        &format!(
            "<div class=\"story-body\"><p>This story has been read {n},234 times since it was published on our website this morning.</p>\
             <div class=\"factbox\"><p>Oil price today: ${n}1.23 a barrel, compared with $80.10 yesterday, according to the market data we track.</p></div>"
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feeds_ignore_and_drop_settings_keep_its_noise_out() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let feed_url = format!("{}/feeds/world.xml", server.base());
    let plain = Env::new(&feed_toml("World", &feed_url));
    let tuned = Env::new(&format!(
        "{}ignore = ['has been read [\\d,]+ times']\ndrop = ['.factbox']\n",
        feed_toml("World", &feed_url)
    ));
    let (plain, tuned) = (watcher(&plain), watcher(&tuned));
    server.set(
        STORY1_PATH,
        Canned::html(with_counters(&fixture("page-v1.html"), 5)),
    );
    plain.cycle(false).await.expect("baseline");
    tuned.cycle(false).await.expect("baseline");

    server.set(
        STORY1_PATH,
        Canned::html(with_counters(&fixture("page-v1.html"), 8)),
    );
    let r = plain.check_articles(true).await.expect("check");
    assert_eq!(r.alerts, 1, "without the settings, the ticker is an edit");
    let r = tuned.check_articles(true).await.expect("check");
    assert_eq!(r.alerts, 0, "ignored and dropped");
    let shown = story(&tuned).await;
    let id = shown.id;
    let copy = tuned
        .db
        .call(move |s| s.latest_version(id))
        .await
        .expect("v")
        .expect("v")
        .copy;
    assert!(
        !copy.to_string().contains("Oil price"),
        "dropped before extraction"
    );
    assert!(
        copy.to_string().contains("has been read"),
        "ignored text is kept, not compared"
    );

    // A real edit still alerts.
    server.set(
        STORY1_PATH,
        Canned::html(with_counters(&fixture("page-v2.html"), 9)),
    );
    let r = tuned.check_articles(true).await.expect("check");
    assert_eq!(r.alerts, 1);
}
