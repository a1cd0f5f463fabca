//! Evidence: the page bytes kept with each version (`[archive] raw`), dropped past
//! `keep` without losing the text, exported as WARC that warcio and our own reader check,
//! and independent snapshots from an archive endpoint (`[archive] submit`) shown in the
//! alert, `history` and `history --json`. Everything runs against local servers.

mod support;

use std::path::{Path, PathBuf};

use chrono::Utc;
use redline::archive::{RawPage, submit_due, warc};
use redline::store::{CheckUpdate, NewArticle, NewVersion, Store};
use redline::text::{Copy, Provenance};
use support::mime::Mime;
use support::{Canned, Env, HttpServer, STORY1_PATH, feed_toml, fixture, serve_seed};

/// The archive stand-in's path prefix: `submit = "<base>/save/"`.
const SAVE: &str = "/save/";

fn env_with_archive(server: &HttpServer, archive: &str) -> Env {
    Env::new(&format!(
        "{}\n[archive]\n{archive}\n",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base()))
    ))
}

fn story_url(server: &HttpServer) -> String {
    format!("{}{STORY1_PATH}", server.base())
}

/// The Python that has warcio: `REDLINE_WARCIO_PYTHON` (set by `.ci/run`), the venv
/// `.ci/run` makes, or the system's when it has warcio. Under `CI=true` its absence fails.
fn warcio_python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/python");
    let candidates = std::env::var_os("REDLINE_WARCIO_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv, PathBuf::from("python3")]);
    for python in candidates {
        let ok = std::process::Command::new(&python)
            .args(["-c", "import warcio"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI needs Python's warcio to check the WARC export (.ci/run installs it into target/ci-venv)"
    );
    eprintln!("warcio not found: the export is checked by redline's own reader only");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_pages_export_as_warc_and_snapshots_show_in_alert_and_history() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = env_with_archive(
        &server,
        &format!(
            "raw = true\nsubmit = \"{}{SAVE}\"\nsubmit_interval = \"0s\"",
            server.base()
        ),
    );
    // The stand-in archive: a snapshot link in Content-Location for story 1, a redirect
    // to the snapshot (the link is where it ends) for the others.
    let snap = format!("/web/20261130000000/{}", story_url(&server));
    server.set(
        &format!("{SAVE}{}", story_url(&server)),
        Canned::html("saved").header("content-location", &snap),
    );
    for path in [
        "/world-news/xi-putin-video-call",
        "/world-news/us-warns-sanctions",
    ] {
        let target = format!("{}{path}", server.base());
        server.set(
            &format!("{SAVE}{target}"),
            Canned::status(302).header("location", &format!("/web/2/{target}")),
        );
        server.set(&format!("/web/2/{target}"), Canned::html("snapshot"));
    }
    let first = env.run(&["poll", "--json"]).await.expect_code(0).json();
    assert_eq!(first["cycle"]["versions"], 3, "{first}");
    assert_eq!(first["archive"]["archived"], 3, "{first}");

    // The stored bytes are the page as served, byte for byte.
    let raw = env
        .run(&["show", "1", "--version", "1", "--raw"])
        .await
        .expect_code(0);
    assert_eq!(raw.stdout, fixture("page-v1.html"));

    // The rewording: version 2, one alert carrying the snapshot link of version 2.
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let second = env
        .run(&["poll", "--all", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(second["cycle"]["alerts"], 1, "{second}");
    assert_eq!(second["archive"]["archived"], 1, "{second}");
    let link = format!("{}{snap}", server.base());
    let mails: Vec<_> = std::fs::read_dir(env.state().join("mail"))
        .expect("mail dir")
        .map(|e| Mime::parse(&std::fs::read(e.expect("entry").path()).expect("eml")))
        .collect();
    assert_eq!(mails.len(), 1);
    let text = mails[0].part("text/plain").expect("text part").text();
    assert!(text.contains(&format!("Archived: {link}")), "{text}");
    let html = mails[0].part("text/html").expect("html part").text();
    assert!(html.contains(&format!("<a href=\"{link}\"")), "{html}");

    let history = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    let archive = history["archive"].as_array().expect("archive list");
    assert_eq!(archive.len(), 2, "{history}");
    assert_eq!(archive[1]["version"], 2);
    assert_eq!(archive[1]["status"], "done");
    assert_eq!(archive[1]["snapshot"], link.as_str());
    assert_eq!(history["raw"][1]["status"], 200);
    let history = env.run(&["history", "1"]).await.expect_code(0);
    assert!(
        history.stdout.contains(&format!("version 2  {link}")),
        "{}",
        history.stdout
    );
    // The redirected submissions keep the address the redirect ended at.
    let other = env
        .run(&["history", "2", "--json"])
        .await
        .expect_code(0)
        .json();
    assert!(
        other["archive"][0]["snapshot"]
            .as_str()
            .is_some_and(|s| s.contains("/web/2/")),
        "{other}"
    );

    // The WARC: a warcinfo record, then one response per version, digests that hold.
    let file = env.dir.path().join("story.warc");
    let out = env
        .run(&["export", "1", "--warc", file.to_str().expect("path")])
        .await
        .expect_code(0);
    assert!(out.stdout.contains("2 response records"), "{}", out.stdout);
    // Quiet when not on a terminal: no progress lines.
    assert!(!out.stderr.contains("exporting"), "{}", out.stderr);
    let bytes = std::fs::read(&file).expect("warc");
    let records = warc::read(&bytes).expect("our reader checks every digest");
    let types: Vec<_> = records.iter().map(|r| r.header("WARC-Type")).collect();
    assert_eq!(
        types,
        [Some("warcinfo"), Some("response"), Some("response")]
    );
    assert_eq!(
        records[1].header("WARC-Target-URI"),
        Some(story_url(&server).as_str())
    );
    assert_eq!(
        records[1].payload(),
        Some(fixture("page-v1.html").as_bytes())
    );
    assert_eq!(
        records[2].payload(),
        Some(fixture("page-v2.html").as_bytes())
    );
    assert_eq!(
        records[1].header("Content-Type"),
        Some("application/http;msgtype=response")
    );
    if let Some(python) = warcio_python() {
        // `warcio check` verifies every block and payload digest; `index` lists records.
        let check = std::process::Command::new(&python)
            .args(["-m", "warcio.cli", "check", "-v"])
            .arg(&file)
            .output()
            .expect("warcio check");
        let said = String::from_utf8_lossy(&check.stdout).into_owned()
            + &String::from_utf8_lossy(&check.stderr);
        assert!(check.status.success(), "warcio check failed:\n{said}");
        // One line per record: its block digest, and its payload digest too for a response.
        assert_eq!(said.matches("digest pass").count(), 3, "{said}");
        assert!(
            !said.contains("fail") && !said.contains("not checked"),
            "{said}"
        );
        let script = r#"
import sys
from warcio.archiveiterator import ArchiveIterator
with open(sys.argv[1], 'rb') as f:
    for r in ArchiveIterator(f, check_digests='raise'):
        body = r.content_stream().read()
        print(r.rec_type, r.rec_headers.get_header('WARC-Target-URI'),
              r.http_headers.get_statuscode() if r.http_headers else '-', len(body))
"#;
        let read = std::process::Command::new(&python)
            .args(["-c", script])
            .arg(&file)
            .output()
            .expect("warcio read");
        let listed = String::from_utf8_lossy(&read.stdout);
        assert!(
            read.status.success(),
            "{}",
            String::from_utf8_lossy(&read.stderr)
        );
        let v1 = fixture("page-v1.html").len();
        assert!(
            listed.contains(&format!("response {} 200 {v1}", story_url(&server))),
            "{listed}"
        );
        assert_eq!(listed.lines().count(), 3, "{listed}");
    }
}

#[tokio::test]
async fn show_raw_and_export_say_what_is_missing() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = Env::new(&feed_toml(
        "World News",
        &format!("{}/feeds/world.xml", server.base()),
    ));
    env.run(&["poll"]).await.expect_code(0);
    let raw = env.run(&["show", "1", "--raw"]).await.expect_code(1);
    assert!(
        raw.stderr.contains("[archive] raw = true"),
        "{}",
        raw.stderr
    );
    let file = env.dir.path().join("x.warc");
    let export = env
        .run(&["export", "1", "--warc", file.to_str().expect("path")])
        .await
        .expect_code(1);
    assert!(
        export.stderr.contains("no kept page bytes"),
        "{}",
        export.stderr
    );
    assert!(!file.exists());
    let bad = Env::with_config("[archive]\nkeep = \"0s\"\n");
    let run = bad.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("archive.keep"), "{}", run.stderr);
    assert!(run.stderr.contains("redline.toml:5:"), "{}", run.stderr);
}

fn page(body: &str, days_ago: i64) -> RawPage {
    RawPage {
        url: "https://news.example/story".into(),
        status: 200,
        headers: vec![("content-type".into(), "text/html".into())],
        body: body.as_bytes().to_vec(),
        fetched_at: Utc::now() - chrono::Duration::days(days_ago),
    }
}

fn version(text: &str) -> NewVersion {
    NewVersion {
        copy: Copy::new("Head", [text]),
        extractor: "test/1".into(),
        words_added: 0,
        words_removed: 0,
        note: None,
        labels: Default::default(),
        diff: None,
        provenance: Provenance::default(),
    }
}

/// A page of furniture around the text, as news pages are.
fn html(text: &str, stamp: &str) -> String {
    let furniture: String = (0..300)
        .map(|i| format!("<li><a href=\"/section/{i}\">Section link {i}</a></li>\n"))
        .collect();
    format!("<html><nav>{furniture}</nav><p>{stamp}</p><article><p>{text}</p></article></html>")
}

#[test]
fn keep_drops_old_bytes_never_the_text_and_later_pages_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("redline.db")).expect("open");
    let now = Utc::now();
    let (id, _) = store
        .upsert_article(&NewArticle {
            key: "k".into(),
            url: "https://news.example/story".into(),
            title: "T".into(),
            feed_id: None,
            topics: Vec::new(),
            now,
        })
        .expect("article");
    let texts = ["one", "two", "three", "four"];
    let ages = [120, 100, 30, 1];
    let mut pages = Vec::new();
    for (i, (text, age)) in texts.iter().zip(ages).enumerate() {
        let p = page(&html(text, &format!("Updated {age} days ago")), age);
        let u = CheckUpdate {
            based_on: (i > 0).then_some(i as i64),
            version: Some(version(text)),
            raw: Some(p.clone()),
            ..CheckUpdate::new(id, p.fetched_at)
        };
        assert_eq!(
            store.record_check(&u).expect("record").version,
            Some(i as i64 + 1)
        );
        pages.push(p);
    }
    // Each page after the first cost a fraction of the first: only the stamp changed.
    let rows = store.raw_pages(id).expect("rows");
    assert!(
        rows[1].stored * 5 < rows[0].stored,
        "{} vs {}",
        rows[1].stored,
        rows[0].stored
    );

    let dropped = store
        .drop_raw_before(now - chrono::Duration::days(90), now)
        .expect("drop");
    assert_eq!(dropped, 2);
    for (n, p) in pages.iter().enumerate() {
        let (row, kept) = store
            .raw_page(id, n as i64 + 1)
            .expect("read")
            .expect("row");
        if n < 2 {
            assert!(
                kept.is_none() && row.dropped_at.is_some(),
                "version {}",
                n + 1
            );
            assert_eq!(row.status, 200, "the response's metadata stays");
        } else {
            let kept = kept.unwrap_or_else(|| panic!("version {} lost its bytes", n + 1));
            assert!(
                kept.body == p.body,
                "version {} reads back differently",
                n + 1
            );
            assert_eq!((kept.status, &kept.headers), (p.status, &p.headers));
        }
    }
    // The text of every version is still there.
    let versions = store.versions(id).expect("versions");
    assert_eq!(versions.len(), 4);
    assert_eq!(versions[0].copy.paragraphs, vec!["one"]);
    // Dropping again changes nothing; later pages still read.
    assert_eq!(
        store
            .drop_raw_before(now - chrono::Duration::days(90), now)
            .expect("drop"),
        0
    );
    let last = store.raw_page(id, 4).expect("read").expect("row").1;
    assert!(last.is_some_and(|p| p.body == pages[3].body));
}

/// A watcher whose config submits to `server`, and one queued submission per article.
async fn queued(server: &HttpServer, n: usize, interval: &str) -> (Env, Vec<String>) {
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\ntimeout = \"5s\"\n\n[archive]\nsubmit = \"{}{SAVE}\"\nsubmit_interval = \"{interval}\"\n",
        server.base()
    ));
    let w = support::watcher(&env);
    let mut urls = Vec::new();
    for i in 0..n {
        let url = format!("https://news.example/story-{i}");
        let u = url.clone();
        w.db.call(move |s| {
            let now = Utc::now();
            let (id, _) = s.upsert_article(&NewArticle {
                key: u.clone(),
                url: u.clone(),
                title: "T".into(),
                feed_id: None,
                topics: Vec::new(),
                now,
            })?;
            s.record_check(&CheckUpdate {
                version: Some(version("text")),
                submit: Some(u),
                ..CheckUpdate::new(id, now)
            })?;
            Ok(())
        })
        .await
        .expect("queue");
        urls.push(url);
    }
    (env, urls)
}

async fn submissions(w: &redline::watch::Watcher, id: i64) -> Vec<redline::store::Submission> {
    w.db.call(move |s| s.submissions(id)).await.expect("read")
}

#[tokio::test]
async fn a_failing_archive_is_retried_with_backoff_then_given_up_visibly() {
    let server = HttpServer::start().await;
    let (env, urls) = queued(&server, 1, "0s").await;
    let path = format!("{SAVE}{}", urls[0]);
    server.set(&path, Canned::status(500));
    let w = support::watcher(&env);
    let start = Utc::now();
    let mut at = start;
    for attempt in 1..=redline::archive::submit::ATTEMPTS {
        if attempt > 1 {
            // Not due before its backoff has passed.
            let early = submit_due(&w.config, &w.db, &w.http, at - chrono::Duration::seconds(1))
                .await
                .expect("pass");
            assert_eq!(early.attempted, 0, "attempt {attempt} came early");
        }
        let r = submit_due(&w.config, &w.db, &w.http, at)
            .await
            .expect("pass");
        assert_eq!(r.attempted, 1, "attempt {attempt}");
        let sub = submissions(&w, 1).await.remove(0);
        assert_eq!(sub.attempts, attempt);
        assert!(
            sub.last_error
                .as_deref()
                .is_some_and(|e| e.contains("HTTP 500"))
        );
        if attempt < redline::archive::submit::ATTEMPTS {
            assert_eq!(sub.status, "queued");
            // 30 s, 1 m, 2 m …
            let wait = 30 * 2_i64.pow(attempt as u32 - 1);
            // (Times are stored to the millisecond.)
            let waited = (sub.next_attempt - at).num_milliseconds();
            assert!(
                (wait * 1000 - 1..=wait * 1000).contains(&waited),
                "{waited} ms"
            );
            at = sub.next_attempt;
        } else {
            assert_eq!(r.given_up, 1);
            assert_eq!(sub.status, "failed");
        }
    }
    assert_eq!(
        server.seen(&path).len(),
        redline::archive::submit::ATTEMPTS as usize
    );
    // Given up: never tried again, and `history` says so.
    let later = submit_due(&w.config, &w.db, &w.http, at + chrono::Duration::days(1))
        .await
        .expect("pass");
    assert_eq!(later.attempted, 0);
    let history = env.run(&["history", "1"]).await.expect_code(0);
    assert!(
        history
            .stdout
            .contains("version 1  archive failed after 5 attempts: "),
        "{}",
        history.stdout
    );
    let json = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(json["archive"][0]["status"], "failed");
}

#[tokio::test]
async fn a_429_holds_every_submission_for_its_retry_after_and_the_rate_limit_holds() {
    let server = HttpServer::start().await;
    let (env, urls) = queued(&server, 3, "10s").await;
    for u in &urls {
        server.set(
            &format!("{SAVE}{u}"),
            Canned::status(429).header("retry-after", "120"),
        );
    }
    let w = support::watcher(&env);
    let now = Utc::now();
    let r = submit_due(&w.config, &w.db, &w.http, now)
        .await
        .expect("pass");
    assert!(r.paused && r.attempted == 1, "{r:?}");
    // Nothing goes to the endpoint before the two minutes it asked for are over …
    for later in [11, 60, 119] {
        let r = submit_due(
            &w.config,
            &w.db,
            &w.http,
            now + chrono::Duration::seconds(later),
        )
        .await
        .expect("pass");
        assert_eq!(r.attempted, 0, "{later} s after the 429");
    }
    // … and the 429 did not count as a failed attempt.
    let first = submissions(&w, 1).await.remove(0);
    assert_eq!((first.status.as_str(), first.attempts), ("queued", 0));
    assert!(
        first.describe().contains("HTTP 429"),
        "{}",
        first.describe()
    );
    for u in &urls {
        server.set(
            &format!("{SAVE}{u}"),
            Canned::html("ok").header("content-location", &format!("/web/1/{u}")),
        );
    }
    // After the pause (a new process, as `redline poll` is), one per submit_interval.
    let w = support::watcher(&env);
    let after = now + chrono::Duration::seconds(121);
    let r = submit_due(&w.config, &w.db, &w.http, after)
        .await
        .expect("pass");
    assert_eq!((r.attempted, r.archived), (1, 1), "{r:?}");
    let r = submit_due(
        &w.config,
        &w.db,
        &w.http,
        after + chrono::Duration::seconds(5),
    )
    .await
    .expect("pass");
    assert_eq!(r.attempted, 0, "within submit_interval");
    for step in [10, 20] {
        let r = submit_due(
            &w.config,
            &w.db,
            &w.http,
            after + chrono::Duration::seconds(step),
        )
        .await
        .expect("pass");
        assert_eq!(r.archived, 1, "{step} s later");
    }
    for id in 1..=3 {
        let sub = submissions(&w, id).await.remove(0);
        assert_eq!(sub.status, "done");
        assert_eq!(
            sub.snapshot.as_deref(),
            Some(format!("{}/web/1/{}", server.base(), urls[id as usize - 1]).as_str())
        );
    }
}
