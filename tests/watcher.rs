//! The watcher end to end, through the real binary: a local HTTP server serves the seed
//! story's feed and pages, and each test plays the edit the seed README describes.

mod support;

use support::*;

fn seed_env(server: &HttpServer) -> Env {
    Env::new(&feed_toml(
        "World News",
        &format!("{}/feeds/world.xml", server.base()),
    ))
}

/// Finds the id of the tracked article whose URL ends with `path`.
fn id_of(articles: &serde_json::Value, path: &str) -> i64 {
    articles
        .as_array()
        .expect("array")
        .iter()
        .find(|a| a["url"].as_str().is_some_and(|u| u.ends_with(path)))
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("no article {path} in {articles:#}"))
}

fn expected_v1(headline: &str) -> String {
    // The fixture ends with a blank line; a stored copy ends with one newline.
    format!("{headline}\n\n{}\n", fixture("article-v1.txt").trim_end())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_story_end_to_end() {
    seed_story(false).await;
}

/// The same story with the state in PostgreSQL (`[state] database`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_story_end_to_end_on_postgres() {
    seed_story(true).await;
}

async fn seed_story(postgres: bool) {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = seed_env(&server);
    let Some(env) = (if postgres {
        env.on_postgres()
    } else {
        Some(env)
    }) else {
        return;
    };

    // First poll: stories 1, 3 and 5 match a topic and are tracked; 2 and 4 are not
    // even fetched.
    let poll = env.run(&["poll"]).await.expect_code(0);
    assert!(poll.stdout.contains("3 new articles"), "{}", poll.stdout);
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let urls: Vec<String> = articles
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["url"].as_str().expect("url").replace(&server.base(), ""))
        .collect();
    let mut sorted = urls.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            STORY1_PATH.to_string(),
            "/world-news/us-warns-sanctions".to_string(),
            "/world-news/xi-putin-video-call".to_string(),
        ],
        "the utm_ parameters of story 1 are gone and stories 2 and 4 are not tracked"
    );
    assert!(
        server
            .seen("/business/sensex-ends-384-points-higher")
            .is_empty()
    );
    assert!(server.seen("/sports/ashes-england-collapse").is_empty());
    let story1 = id_of(&articles, STORY1_PATH);
    let topics = |path: &str| -> Vec<String> {
        articles
            .as_array()
            .expect("array")
            .iter()
            .find(|a| a["url"].as_str().is_some_and(|u| u.ends_with(path)))
            .map(|a| serde_json::from_value(a["topics"].clone()).expect("topics"))
            .expect("article")
    };
    assert_eq!(topics(STORY1_PATH), vec!["russia-china"]);
    assert_eq!(
        topics("/world-news/xi-putin-video-call"),
        vec!["russia-china"]
    );
    assert_eq!(
        topics("/world-news/us-warns-sanctions"),
        vec!["nato-ukraine"]
    );

    // The stored copy of story 1: its headline, then exactly the seed's paragraphs.
    let show = env.run(&["show", &story1.to_string()]).await.expect_code(0);
    assert_eq!(show.stdout, expected_v1(V1_HEADLINE));
    // `extract` prints what redline keeps for a page, here the same stored copy.
    let page = env.dir.path().join("page-v1.html");
    std::fs::write(&page, fixture("page-v1.html")).expect("write page");
    let extracted = env
        .run(&["extract", page.to_str().expect("path")])
        .await
        .expect_code(0);
    assert_eq!(extracted.stdout, expected_v1(V1_HEADLINE));
    let url = format!("{}{STORY1_PATH}", server.base());
    assert_eq!(
        env.run(&["extract", &url]).await.expect_code(0).stdout,
        expected_v1(V1_HEADLINE)
    );

    // A plain poll right after fires nothing: the feed is not due yet.
    env.run(&["poll"]).await.expect_code(0);
    assert_eq!(server.seen("/feeds/world.xml").len(), 1);

    // A second poll of the feed is conditional and the 304 changes nothing.
    env.run(&["poll", "--all"]).await.expect_code(0);
    let feed_requests = server.seen("/feeds/world.xml");
    assert_eq!(feed_requests.len(), 2);
    assert_eq!(
        feed_requests[1]
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok()),
        Some("\"feed-1\"")
    );
    let feeds = env.run(&["feeds", "--json"]).await.expect_code(0).json();
    assert_eq!(feeds[0]["last_status"], "304");
    assert_eq!(feeds[0]["entries"], 5, "a 304 keeps the last entry count");

    // Only the page furniture changes: no new version, no alert.
    server.set(
        STORY1_PATH,
        Canned::html(fixture("page-v1-boilerplate.html")),
    );
    env.run(&["poll", "--all"]).await.expect_code(0);
    let history = env
        .run(&["history", &story1.to_string(), "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(history["versions"].as_array().expect("versions").len(), 1);
    let replay = env.run(&["replay", "--json"]).await.expect_code(0).json();
    assert_eq!(replay.as_array().expect("alerts").len(), 0);

    // The edit: exactly one new version and one alert.
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let poll = env.run(&["poll", "--all"]).await.expect_code(0);
    assert!(
        poll.stdout.contains("1 new version, 1 alert"),
        "{}",
        poll.stdout
    );
    env.run(&["poll", "--all"]).await.expect_code(0);

    let id = story1.to_string();
    let word = env.run(&["diff", &id]).await.expect_code(0);
    insta::assert_snapshot!("seed_diff_word", mask(&word.stdout, &server));
    let unified = env
        .run(&["diff", &id, "--format", "unified"])
        .await
        .expect_code(0);
    insta::assert_snapshot!("seed_diff_unified", mask(&unified.stdout, &server));
    let json = env
        .run(&["diff", &id, "--format", "json"])
        .await
        .expect_code(0);
    insta::assert_snapshot!("seed_diff_json", mask(&json.stdout, &server));
    let html = env
        .run(&["diff", &id, "--format", "html"])
        .await
        .expect_code(0);
    assert!(html.stdout.contains("line-through"), "{}", html.stdout);

    // The four edits and nothing else.
    let d = json.json();
    assert_eq!(d["changes"].as_array().expect("changes").len(), 3, "{d:#}");
    assert!(!d["headline"].is_null());

    // history, articles and replay agree.
    let history = env
        .run(&["history", &id, "--json"])
        .await
        .expect_code(0)
        .json();
    let versions = history["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["words_added"], d["words_added"]);
    assert_eq!(versions[1]["words_removed"], d["words_removed"]);
    let articles = env
        .run(&["articles", "--changed", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(articles.as_array().expect("array").len(), 1);
    assert_eq!(articles[0]["id"], story1);
    assert_eq!(articles[0]["versions"], 2);
    let replay = env
        .run(&["replay", "--since", "1h", "--json"])
        .await
        .expect_code(0)
        .json();
    let alerts = replay.as_array().expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["alert"]["article_id"], story1);
    assert_eq!(alerts[0]["alert"]["from_version"], 1);
    assert_eq!(alerts[0]["alert"]["to_version"], 2);
    let mut expected = d.clone();
    for k in ["article", "url", "from", "to"] {
        expected.as_object_mut().expect("object").remove(k);
    }
    assert_eq!(alerts[0]["diff"], expected);
    let text = env.run(&["replay", "--since", "1h"]).await.expect_code(0);
    assert!(text.stdout.contains("{+advanced+}"), "{}", text.stdout);
    let none = env.run(&["replay", "--until", "1h"]).await.expect_code(0);
    assert!(none.stdout.contains("no changes"), "{}", none.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn track_with_a_stored_copy_gives_the_same_diff() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = seed_env(&server);
    let copy = env.dir.path().join("article-v1.txt");
    std::fs::write(&copy, fixture("article-v1.txt")).expect("write copy");
    let url = format!("{}{STORY1_PATH}", server.base());
    let track = env
        .run(&[
            "track",
            &url,
            "--file",
            copy.to_str().expect("path"),
            "--topic",
            "russia-china",
        ])
        .await
        .expect_code(0);
    assert!(
        track.stdout.contains("1 version stored"),
        "{}",
        track.stdout
    );
    let show = env.run(&["show", &url]).await.expect_code(0);
    assert_eq!(show.stdout, expected_v1(V1_HEADLINE));

    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    // A poll checks the tracked article (due now) and the feed's other stories.
    env.run(&["poll"]).await.expect_code(0);
    let json = env
        .run(&["diff", &url, "--format", "json"])
        .await
        .expect_code(0);
    insta::assert_snapshot!("seed_diff_json", mask(&json.stdout, &server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_feeds_are_reported_and_do_not_stop_the_others() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    server.set("/feeds/broken.xml", Canned::status(500));
    server.set(
        "/feeds/garbage.xml",
        Canned::ok("application/rss+xml", "<<<this is no feed"),
    );
    let env = Env::new(&format!(
        "{}\n{}\n{}",
        feed_toml("Broken", &format!("{}/feeds/broken.xml", server.base())),
        feed_toml("Garbage", &format!("{}/feeds/garbage.xml", server.base())),
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
    ));
    let poll = env.run(&["poll"]).await.expect_code(0);
    assert!(
        poll.stdout
            .contains("polled 3 feeds (2 failed), 3 new articles"),
        "{}",
        poll.stdout
    );
    let feeds = env.run(&["feeds", "--json"]).await.expect_code(0).json();
    let by_name = |n: &str| {
        feeds
            .as_array()
            .expect("array")
            .iter()
            .find(|f| f["name"] == n)
            .cloned()
            .expect("feed")
    };
    assert_eq!(by_name("Broken")["last_status"], "500");
    assert_eq!(by_name("Broken")["error_streak"], 1);
    assert_eq!(
        by_name("Broken")["backoff_seconds"],
        600,
        "one failure: its 10m interval"
    );
    assert!(by_name("World News")["backoff_seconds"].is_null());
    assert!(
        by_name("Garbage")["last_error"]
            .as_str()
            .expect("error")
            .contains("not a readable feed")
    );
    assert_eq!(by_name("World News")["error_streak"], 0);
    let table = env.run(&["feeds"]).await.expect_code(0);
    assert!(
        table.stdout.contains("Broken: HTTP 500"),
        "{}",
        table.stdout
    );

    // Retried next time, and a recovery clears the streak.
    server.set(
        "/feeds/broken.xml",
        Canned::ok(
            "application/rss+xml",
            fixture("feed.rss.xml").replace("{base}", &server.base()),
        ),
    );
    env.run(&["poll", "--all"]).await.expect_code(0);
    let feeds = env.run(&["feeds", "--json"]).await.expect_code(0).json();
    let broken = feeds
        .as_array()
        .expect("array")
        .iter()
        .find(|f| f["name"] == "Broken")
        .cloned()
        .expect("feed");
    assert_eq!(broken["error_streak"], 0);
    assert_eq!(broken["entries"], 5);
    // The same stories through a second feed are the same articles.
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    assert_eq!(articles.as_array().expect("array").len(), 3);
}

/// `redline articles` reads the store while it checks the config (see
/// `Ctx::with_store`): a config that turns bad once the state exists still stops it with
/// exit 2, an unknown topic is still refused, and a config the `[state]` peek cannot read
/// line by line still lists the articles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn articles_checks_the_config_it_reads_beside() {
    let feed = feed_toml("F", "https://example.org/feed.xml");
    let env = Env::with_config(&format!("{feed}{TOPICS}"));
    let empty = env.run(&["articles"]).await.expect_code(0);
    assert!(
        empty.stdout.contains("no articles tracked yet"),
        "{}",
        empty.stdout
    );
    let state = env.dir.path().join("state");
    assert!(
        state.join("redline.db").is_file(),
        "the first run made the state"
    );
    let good = std::fs::read_to_string(env.config_path()).expect("config");

    let bad = good.replace("https://example.org/feed.xml", "ftp://example.org/feed.xml");
    std::fs::write(env.config_path(), &bad).expect("write");
    let run = env.run(&["articles"]).await.expect_code(2);
    assert!(run.stderr.contains("feed[1].url"), "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "no table for a bad config: {}",
        run.stdout
    );

    std::fs::write(env.config_path(), &good).expect("write");
    let run = env
        .run(&["articles", "--topic", "nope"])
        .await
        .expect_code(2);
    assert!(run.stderr.contains("no topic \"nope\""), "{}", run.stderr);

    // `state.dir` as a dotted key at the top: read by the parser alone.
    let dotted = good.replacen("[state]\ndir =", "state.dir =", 1);
    assert_ne!(dotted, good);
    std::fs::write(env.config_path(), &dotted).expect("write");
    let run = env.run(&["articles"]).await.expect_code(0);
    assert!(
        run.stdout.contains("no articles tracked yet"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configs_exit_2_and_name_the_problem() {
    let feed = feed_toml("F", "https://example.org/feed.xml");
    let cases = [
        (
            format!("{feed}\n[schedule]\nfeed_intervall = \"5m\"\n{TOPICS}"),
            "feed_intervall",
        ),
        (
            format!("[schedule]\nstop_after = \"two weeks\"\n{feed}{TOPICS}"),
            "stop_after",
        ),
        (
            format!("{feed}{}", TOPICS.replace("(Putin OR", "(Putin OR (")),
            "topic[1].query",
        ),
    ];
    for (config, needle) in cases {
        let env = Env::with_config(&config);
        let run = env.run(&["check"]).await.expect_code(2);
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
        assert!(
            run.stderr.contains("redline.toml:"),
            "names the file and line: {}",
            run.stderr
        );
    }
    let env = Env::with_config(&format!("{feed}{TOPICS}"));
    let ok = env.run(&["check"]).await.expect_code(0);
    assert!(ok.stdout.contains("russia-china"), "{}", ok.stdout);
    let missing = env.run(&["diff", "42"]).await.expect_code(1);
    assert!(
        missing.stderr.contains("no article 42 is tracked"),
        "{}",
        missing.stderr
    );
    let usage = env
        .run(&["replay", "--since", "yesterday"])
        .await
        .expect_code(2);
    assert!(usage.stderr.contains("RFC 3339"), "{}", usage.stderr);
    // Without --config, $REDLINE_CONFIG names the file.
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("check")
        .env("REDLINE_CONFIG", "/nonexistent/redline.toml")
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("/nonexistent/redline.toml: cannot read the config"),
        "{stderr}"
    );
}

/// A bad `ignore` regex, `drop` selector or topic query is refused when the config loads,
/// naming the key and its line, before anything is fetched: `poll` and `run` stop at exit
/// 2 without a request, rather than failing later on every page of the feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_regex_selector_or_query_is_refused_at_load_with_key_and_line() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let feed = feed_toml("World News", &format!("{}/feeds/world.xml", server.base()));
    let cases = [
        (
            format!("{feed}ignore = ['Updated (\\d+']\n"),
            "`feed[1].ignore`: bad regex",
        ),
        (
            format!("{feed}drop = ['.ok', 'div[[oops']\n"),
            "`feed[1].drop`: bad CSS selector \"div[[oops\"",
        ),
        (
            TOPICS.replace("(NATO OR", "(NATO OR (") + &feed,
            "`topic[2].query`: topic \"nato-ukraine\"",
        ),
    ];
    for (config, needle) in cases {
        let env = Env::with_config(&config);
        // The bad value's line in the file `with_config` wrote (the state dir comes first).
        let text = std::fs::read_to_string(env.config_path()).expect("config");
        let line = 1 + text
            .lines()
            .position(|l| l.contains("Updated (") || l.contains("div[[") || l.contains("OR ("))
            .expect("the bad line");
        for command in [&["poll"][..], &["run"][..]] {
            let run = env.run(command).await.expect_code(2);
            let at = format!("redline.toml:{line}: {needle}");
            assert!(
                run.stderr.contains(&at),
                "{command:?}: want {at:?} in {}",
                run.stderr
            );
        }
    }
    assert_eq!(
        server.total(),
        0,
        "nothing fetched with a config that did not load"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_can_be_json_lines() {
    let server = HttpServer::start().await;
    server.set("/feeds/broken.xml", Canned::status(500));
    let env = Env::new(&feed_toml(
        "Broken",
        &format!("{}/feeds/broken.xml", server.base()),
    ));
    let run = env
        .run(&["--log-format", "json", "poll"])
        .await
        .expect_code(0);
    let lines: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let warn = lines
        .iter()
        .find(|l| l["fields"]["message"] == "feed failed; will retry")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!(warn["level"], "WARN");
    assert_eq!(warn["fields"]["feed"], "Broken");
}

#[test]
fn example_config_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/redline.toml");
    let config = redline::config::Config::load(&path).expect("the example config is valid");
    assert!(config.feeds.len() >= 8);
    let names: Vec<&str> = config
        .topics
        .iter()
        .map(|t| t.name.get_ref().as_str())
        .collect();
    assert_eq!(names, ["russia-china", "nato-ukraine"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_and_pages_in_other_charsets_and_scripts() {
    let server = HttpServer::start().await;
    let encode = |enc: &'static encoding_rs::Encoding, s: &str| enc.encode(s).0.into_owned();
    // A windows-1251 feed (declared in the XML only) with a Russian and a Chinese story.
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\"><channel><title>Новости</title>\
         <item><title>Путин и Си Цзиньпин обсудили сотрудничество России и Китая</title><link>{b}/ru/1</link></item>\
         <item><title>Погода в Москве</title><link>{b}/ru/2</link></item>\
         <item><title>Chinese desk</title><description>普京与习近平举行会谈</description><link>{b}/zh/1</link></item>\
         </channel></rss>",
        b = server.base()
    );
    server.set(
        "/feeds/ru.xml",
        Canned::ok(
            "application/rss+xml",
            encode(encoding_rs::WINDOWS_1251, &feed),
        ),
    );
    // A KOI8-R page that says so in a <meta>, and a GBK page that says so in HTTP.
    let ru = simple_page(
        "Путин и Си Цзиньпин обсудили сотрудничество",
        &["Президент России Владимир Путин и председатель КНР Си Цзиньпин в четверг обсудили торговлю, энергетику и безопасность, сообщили в Кремле.", "Второй абзац."],
    )
    .replace("<meta charset=\"utf-8\">", "<meta charset=\"koi8-r\">");
    server.set(
        "/ru/1",
        Canned::ok("text/html", encode(encoding_rs::KOI8_R, &ru)),
    );
    let zh = simple_page(
        "普京与习近平举行会谈",
        &["俄罗斯总统普京周四与中国国家主席习近平举行视频会谈，双方讨论了贸易、能源和安全问题。克里姆林宫在声明中表示，会谈气氛友好。", "第二段。"],
    )
    .replace("<meta charset=\"utf-8\">", "");
    server.set(
        "/zh/1",
        Canned::ok("text/html; charset=gbk", encode(encoding_rs::GBK, &zh)),
    );
    server.set("/ru/2", Canned::html(simple_page("Погода", &["Снег."])));
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\n{}\n[[topic]]\nname = \"ru-cn\"\nquery = '(Путин OR Кремль) AND (Китай* OR \"Си Цзиньпин\")'\n\
         [[topic]]\nname = \"zh\"\nquery = '普京 AND 习近平'\n",
        feed_toml("Russian", &format!("{}/feeds/ru.xml", server.base()))
    ));
    env.run(&["poll"]).await.expect_code(0);
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let mut tracked: Vec<(String, Vec<String>)> = articles
        .as_array()
        .expect("array")
        .iter()
        .map(|a| {
            (
                a["url"].as_str().expect("url").replace(&server.base(), ""),
                serde_json::from_value(a["topics"].clone()).expect("topics"),
            )
        })
        .collect();
    tracked.sort();
    assert_eq!(
        tracked,
        vec![
            ("/ru/1".to_string(), vec!["ru-cn".to_string()]),
            ("/zh/1".to_string(), vec!["zh".to_string()]),
        ]
    );
    let ru = env
        .run(&["show", &format!("{}/ru/1", server.base())])
        .await
        .expect_code(0);
    assert!(
        ru.stdout
            .starts_with("Путин и Си Цзиньпин обсудили сотрудничество\n\nПрезидент России"),
        "{}",
        ru.stdout
    );
    let zh = env
        .run(&["show", &format!("{}/zh/1", server.base())])
        .await
        .expect_code(0);
    assert!(
        zh.stdout
            .starts_with("普京与习近平举行会谈\n\n俄罗斯总统普京"),
        "{}",
        zh.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_restricted_to_some_topics_tracks_only_those() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    server.set(
        "/feeds/other.xml",
        Canned::ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
        ),
    );
    // The other feed keeps russia-china reachable (a topic no feed reaches is an error).
    let env = Env::new(&format!(
        "{}topics = [\"nato-ukraine\"]\n{}",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        feed_toml("Other", &format!("{}/feeds/other.xml", server.base()))
    ));
    env.run(&["poll"]).await.expect_code(0);
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    let urls: Vec<&str> = articles
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["url"].as_str().expect("url"))
        .collect();
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert!(urls[0].ends_with("/world-news/us-warns-sanctions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_capped_and_conditional_fetches() {
    use std::io::Write as _;
    let server = HttpServer::start().await;
    serve_seed(&server);
    // The feed arrives gzip-compressed; story 1's page carries an ETag.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        fixture("feed.rss.xml")
            .replace("{base}", &server.base())
            .as_bytes(),
    )
    .expect("gzip");
    server.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml", gz.finish().expect("gzip"))
            .header("content-encoding", "gzip"),
    );
    server.set(
        STORY1_PATH,
        Canned::html(fixture("page-v1.html")).header("etag", "\"p1\""),
    );
    // A page far over the body cap.
    server.set(
        "/feeds/huge.xml",
        Canned::ok("application/rss+xml", "x".repeat(300_000)),
    );
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\nmax_body = \"256KiB\"\n{}{}{TOPICS}",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        feed_toml("Huge", &format!("{}/feeds/huge.xml", server.base())),
    ));
    let poll = env.run(&["poll"]).await.expect_code(0);
    assert!(poll.stdout.contains("3 new articles"), "{}", poll.stdout);
    assert!(
        server.seen("/feeds/world.xml")[0]
            .headers
            .get("accept-encoding")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip")),
        "asks for compression"
    );
    let feeds = env.run(&["feeds", "--json"]).await.expect_code(0).json();
    let huge = feeds
        .as_array()
        .expect("array")
        .iter()
        .find(|f| f["name"] == "Huge")
        .cloned()
        .expect("feed");
    assert!(
        huge["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("larger than http.max_body")),
        "{huge}"
    );

    // Article re-checks are conditional too, and a 304 stores nothing.
    env.run(&["poll", "--all"]).await.expect_code(0);
    let requests = server.seen(STORY1_PATH);
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1]
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok()),
        Some("\"p1\"")
    );
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    assert!(
        articles
            .as_array()
            .expect("array")
            .iter()
            .all(|a| a["versions"] == 1)
    );
}
