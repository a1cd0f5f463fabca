//! "Like this article" topics end to end: a local feed carrying rewrites of the seed
//! story by other outlets, stories about other events with the same actors, and
//! unrelated ones; the real binary polls it and writes alert mail to files.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use support::mime::Mime;
use support::{Canned, Env, HttpServer, feed_toml, simple_page};

fn set_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coverage")
}

/// The labelled stories whose file name starts with one of `prefixes`, as
/// (name, headline, paragraphs).
fn stories(prefixes: &[&str]) -> Vec<(String, String, Vec<String>)> {
    let mut names: Vec<String> = std::fs::read_dir(set_dir().join("set"))
        .expect("labelled set")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| prefixes.iter().any(|p| n.starts_with(p)))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no story starts with {prefixes:?}");
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(set_dir().join("set").join(&n)).expect("story");
            let mut blocks = text.split("\n\n").map(|b| b.trim().to_string());
            let headline = blocks.next().expect("headline");
            let paragraphs: Vec<String> = blocks.filter(|b| !b.is_empty()).collect();
            (n.trim_end_matches(".txt").to_string(), headline, paragraphs)
        })
        .collect()
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Serves an RSS feed of the stories (title, first paragraph as the description) and a
/// page for each at `/story/NAME`.
fn serve(server: &HttpServer, stories: &[(String, String, Vec<String>)]) {
    let mut items = String::new();
    for (name, headline, paragraphs) in stories {
        items.push_str(&format!(
            "<item><title>{}</title><link>{}/story/{name}</link><guid isPermaLink=\"false\">{name}</guid>\
             <description>{}</description></item>\n",
            xml(headline),
            server.base(),
            xml(paragraphs.first().map_or("", String::as_str)),
        ));
        let paras: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
        server.set(
            &format!("/story/{name}"),
            Canned::html(simple_page(&xml(headline), &paras)),
        );
    }
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Wire</title>\
         <link>{}</link><description>d</description>\n{items}</channel></rss>",
        server.base()
    );
    server.set(
        "/feed.xml",
        Canned::ok("application/rss+xml; charset=utf-8", feed),
    );
}

/// A config with one feed and the given topics; the copies are copied next to it.
fn env(server: &HttpServer, topics: &str) -> Env {
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\ntimeout = \"10s\"\n\n[schedule]\njitter = \"0%\"\n\n{}\n{topics}\n\
         [email]\nfrom = \"redline <redline@example.org>\"\nto = [\"desk@example.org\"]\ntransport = \"file\"\n",
        feed_toml("Wire", &format!("{}/feed.xml", server.base()))
    ));
    let copies = env.dir.path().join("copies");
    std::fs::create_dir_all(&copies).expect("mkdir");
    for lang in ["en", "ru", "zh"] {
        std::fs::copy(
            set_dir().join("copies").join(format!("{lang}.txt")),
            copies.join(format!("{lang}.txt")),
        )
        .expect("copy");
    }
    env
}

/// The names (`/story/NAME`) of the tracked articles.
async fn tracked(env: &Env) -> BTreeSet<String> {
    let run = env.run(&["articles", "--json"]).await.expect_code(0);
    run.json()
        .as_array()
        .expect("array")
        .iter()
        .map(|a| {
            let url = a["url"].as_str().expect("url");
            url.rsplit('/').next().expect("name").to_string()
        })
        .collect()
}

/// The text parts of the alert messages written so far.
fn mails(env: &Env) -> Vec<String> {
    let dir = env.state().join("mail");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| {
            let m = Mime::parse(&std::fs::read(&p).expect("read"));
            m.part("text/plain").expect("text part").text()
        })
        .collect();
    out.sort();
    out
}

fn names(stories: &[(String, String, Vec<String>)], prefix: &str) -> BTreeSet<String> {
    stories
        .iter()
        .filter(|s| s.0.starts_with(prefix))
        .map(|s| s.0.clone())
        .collect()
}

const LIKE_EN: &str = "[[topic]]\nname = \"putin-china-weapons\"\nlike = [\"copies/en.txt\"]\n";

#[tokio::test]
async fn only_the_rewrites_are_tracked_and_each_alerts_once_against_the_copy() {
    let server = HttpServer::start().await;
    let all = stories(&["same-en-", "other-en-", "unrelated-"]);
    serve(&server, &all);
    let env = env(&server, LIKE_EN);

    env.run(&["poll"]).await.expect_code(0);
    let rewrites = names(&all, "same-en-");
    assert_eq!(tracked(&env).await, rewrites);

    let mails = mails(&env);
    assert_eq!(
        mails.len(),
        rewrites.len(),
        "one coverage alert per rewrite"
    );
    let removed = regex::Regex::new(r"\[-[^\]]*high-tech[^\]]*-\]").expect("re");
    let added = regex::Regex::new(r"\{\+[^}]*advanced[^}]*\+\}").expect("re");
    for text in &mails {
        assert!(
            text.contains("Compared with the stored copy copies/en.txt"),
            "{text}"
        );
        // One aligned pair (one line, or a replaced line and its replacement) sets the
        // copy's "high-tech" against the outlet's "advanced".
        let lines: Vec<&str> = text.lines().chain([""]).collect();
        let paired = lines
            .windows(2)
            .any(|w| removed.is_match(w[0]) && (added.is_match(w[0]) || added.is_match(w[1])));
        assert!(paired, "high-tech → advanced in one aligned pair:\n{text}");
        assert!(text.contains("leaves out"), "{text}");
    }

    // Polling again changes nothing: no new articles, no new alert.
    let again = env.run(&["poll", "--all", "--json"]).await.expect_code(0);
    assert_eq!(again.json()["cycle"]["new_articles"], 0);
    assert_eq!(self::mails(&env).len(), rewrites.len());

    let list = env
        .run(&["coverage", "putin-china-weapons", "--json"])
        .await
        .expect_code(0)
        .json();
    let rows = list.as_array().expect("array");
    assert_eq!(rows.len(), rewrites.len());
    for row in rows {
        assert_eq!(row["topic"], "putin-china-weapons");
        assert_eq!(row["feed"], "Wire");
        assert_eq!(row["copy"], "copies/en.txt");
        let sim = row["similarity"].as_f64().expect("similarity");
        assert!((0.3..=1.0).contains(&sim), "{row}");
        assert!(!row["title"].as_str().expect("title").is_empty());
    }
    let sims: Vec<f64> = rows
        .iter()
        .filter_map(|r| r["similarity"].as_f64())
        .collect();
    assert!(
        sims.windows(2).all(|w| w[0] >= w[1]),
        "closest first: {sims:?}"
    );

    let explained = env
        .run(&["coverage", "putin-china-weapons", "--explain"])
        .await
        .expect_code(0);
    assert!(
        explained.stdout.contains("SIMILARITY"),
        "{}",
        explained.stdout
    );
    assert!(
        explained.stdout.contains("names    "),
        "{}",
        explained.stdout
    );
    assert!(explained.stdout.contains("beijing"), "{}", explained.stdout);
    let json = env
        .run(&["coverage", "putin-china-weapons", "--explain", "--json"])
        .await
        .expect_code(0)
        .json();
    let quotes = &json[0]["shared"]["quotes"];
    assert!(quotes.is_array(), "{json}");

    // The coverage alert replays like any other.
    let replay = env.run(&["replay"]).await.expect_code(0);
    assert!(replay.stdout.contains("coverage"), "{}", replay.stdout);
    assert!(removed.is_match(&replay.stdout), "{}", replay.stdout);
}

#[tokio::test]
async fn query_and_like_must_both_hold() {
    let server = HttpServer::start().await;
    let all = stories(&["same-en-", "other-en-"]);
    serve(&server, &all);
    let env = env(&server, &format!("{LIKE_EN}query = 'NATO'\n"));

    env.run(&["poll"]).await.expect_code(0);
    // Only one rewrite names NATO in its title or summary; the other-event stories that
    // do are not like the copy.
    let with_nato: BTreeSet<String> = all
        .iter()
        .filter(|(n, h, p)| {
            n.starts_with("same-en-") && (h.contains("NATO") || p[0].contains("NATO"))
        })
        .map(|s| s.0.clone())
        .collect();
    assert!(!with_nato.is_empty());
    assert!(with_nato.len() < names(&all, "same-en-").len());
    assert_eq!(tracked(&env).await, with_nato);
}

#[tokio::test]
async fn copies_in_russian_and_chinese_match_their_own_rewrites() {
    let server = HttpServer::start().await;
    let all = stories(&[
        "same-ru-",
        "other-ru-",
        "same-zh-",
        "other-zh-",
        "unrelated-",
    ]);
    serve(&server, &all);
    let env = env(
        &server,
        "[[topic]]\nname = \"ru\"\nlike = [\"copies/ru.txt\"]\n\n\
         [[topic]]\nname = \"zh\"\nlike = [\"copies/zh.txt\"]\n",
    );
    env.run(&["poll"]).await.expect_code(0);
    let mut want = names(&all, "same-ru-");
    want.extend(names(&all, "same-zh-"));
    assert_eq!(tracked(&env).await, want);
    for (topic, prefix) in [("ru", "same-ru-"), ("zh", "same-zh-")] {
        let rows = env
            .run(&["coverage", topic, "--json"])
            .await
            .expect_code(0)
            .json();
        let got: BTreeSet<String> = rows
            .as_array()
            .expect("array")
            .iter()
            .map(|r| {
                let url = r["url"].as_str().expect("url");
                url.rsplit('/').next().expect("name").to_string()
            })
            .collect();
        assert_eq!(got, names(&all, prefix), "topic {topic}");
    }
    let mails = mails(&env);
    assert_eq!(mails.len(), want.len());
    assert!(
        mails.iter().any(|m| m.contains("[-высокотехнологичное-]")),
        "{mails:?}"
    );
}

#[tokio::test]
async fn a_missing_or_empty_copy_is_a_config_error_naming_it() {
    let server = HttpServer::start().await;
    let env = env(
        &server,
        "[[topic]]\nname = \"story\"\nlike = [\"copies/en.txt\", \"copies/gone.txt\"]\n",
    );
    let run = env.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("copies/gone.txt"), "{}", run.stderr);
    assert!(run.stderr.contains("topic[1].like"), "{}", run.stderr);
    let text = std::fs::read_to_string(env.config_path()).expect("config");
    let line = text
        .lines()
        .position(|l| l.starts_with("like = "))
        .expect("like line")
        + 1;
    assert!(
        run.stderr.contains(&format!(":{line}:")),
        "the line of the copy ({line}): {}",
        run.stderr
    );

    std::fs::write(env.dir.path().join("copies/empty.txt"), "\n \n").expect("write");
    let config = std::fs::read_to_string(env.config_path())
        .expect("config")
        .replace("copies/gone.txt", "copies/empty.txt");
    std::fs::write(env.config_path(), config).expect("write");
    let run = env.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("copies/empty.txt"), "{}", run.stderr);
    assert!(run.stderr.contains("is empty"), "{}", run.stderr);

    let config = std::fs::read_to_string(env.config_path())
        .expect("config")
        .replace(", \"copies/empty.txt\"", "");
    std::fs::write(env.config_path(), config).expect("write");
    let run = env.run(&["check"]).await.expect_code(0);
    assert!(
        run.stdout.contains("like: copies/en.txt (similarity 0.3)"),
        "{}",
        run.stdout
    );
}
