//! Helpers shared by the integration tests: a local HTTP server, a scratch directory
//! with a config, and a way to run the real `redline` binary against them.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod hook;
pub mod http;
pub mod mime;
pub mod smtp;

use std::path::{Path, PathBuf};

pub use http::{Canned, HttpServer};

/// The seed story's fixtures, copied from the shared seed folder.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub const STORY1_PATH: &str = "/world-news/putin-russia-china-jointly-developing-high-tech-weapons";
pub const V1_HEADLINE: &str = "Putin says Russia and China are 'jointly developing high-tech weapons'; calls NATO expansion unacceptable";

/// A simple article page.
pub fn simple_page(headline: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{headline}</title></head><body>\
         <nav><a href=\"/\">Home</a></nav><main><article><h1>{headline}</h1>\n{body}</article></main>\
         <footer>Footer</footer></body></html>"
    )
}

/// The path of numbered story `i` of the talks series that several tests serve.
pub fn talks_path(i: usize) -> String {
    format!("/world-news/putin-xi-talks-{i}")
}

/// Numbered story `i`'s page; `edit` changes one figure of its second paragraph.
pub fn talks_page(i: usize, edit: usize) -> String {
    simple_page(
        &format!("Putin and Xi hold talks, round {i}"),
        &[
            &format!(
                "Russian President Vladimir Putin and Chinese President Xi Jinping discussed trade, energy and security in round {i} of their talks, the Kremlin said on Thursday in a statement."
            ),
            &format!(
                "Trade between the two countries reached {} billion dollars last year, officials in Beijing said.",
                100 + 10 * edit
            ),
        ],
    )
}

/// Serves the seed feed and the pages of its five stories, story 1 at `page-v1.html`.
pub fn serve_seed(server: &HttpServer) {
    let feed = fixture("feed.rss.xml").replace("{base}", &server.base());
    server.set(
        "/feeds/world.xml",
        Canned::ok("application/rss+xml; charset=utf-8", feed).header("etag", "\"feed-1\""),
    );
    server.set(STORY1_PATH, Canned::html(fixture("page-v1.html")));
    let long = "The Kremlin said the two leaders would discuss bilateral relations and the situation in Europe, \
                according to a statement published on Thursday evening by the presidential press service.";
    server.set(
        "/world-news/xi-putin-video-call",
        Canned::html(simple_page(
            "Xi, Putin to hold video call next week, Kremlin says",
            &[long, "Second paragraph of the call story."],
        )),
    );
    server.set(
        "/world-news/us-warns-sanctions",
        Canned::html(simple_page(
            "US warns of sanctions over Ukraine build-up",
            &[long, "Second paragraph of the sanctions story."],
        )),
    );
    server.set(
        "/business/sensex-ends-384-points-higher",
        Canned::html(simple_page("Sensex", &["Markets."])),
    );
    server.set(
        "/sports/ashes-england-collapse",
        Canned::html(simple_page("Ashes", &["Cricket."])),
    );
}

/// A scratch directory holding a config and the state.
#[derive(Debug)]
pub struct Env {
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database of this env's state, if it is there (see `on_postgres`).
    pub pg: Option<redline::store::pg::ScratchDb>,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the output unless the exit status was `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// The two topics of the example config.
pub const TOPICS: &str = r#"
[[topic]]
name = "russia-china"
query = '(Putin OR Kremlin OR Russia) AND (China OR Beijing OR "Xi Jinping")'

[[topic]]
name = "nato-ukraine"
query = '(NATO OR "North Atlantic") AND (Ukrain* OR Kyiv OR Kiev OR Zelensk*)'
"#;

impl Env {
    /// A config with the given `[[feed]]` tables, the two example topics, file mail.
    pub fn new(feeds: &str) -> Env {
        Env::with_config(&format!(
            "[http]\nallow_private = true\ntimeout = \"10s\"\n\n[schedule]\njitter = \"0%\"\n\n{feeds}\n{TOPICS}\n\
             [email]\nfrom = \"redline <redline@example.org>\"\nto = [\"desk@example.org\"]\ntransport = \"file\"\n"
        ))
    }

    /// A config with exactly this text (the state dir is added in front).
    pub fn with_config(text: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        let config = format!("[state]\ndir = {:?}\n\n{text}", state.display().to_string());
        std::fs::write(dir.path().join("redline.toml"), config).expect("write config");
        Env { dir, pg: None }
    }

    /// Moves this env's state into a PostgreSQL database of its own (`[state]
    /// database`), on the server `REDLINE_TEST_POSTGRES` names; `None` (after saying so)
    /// when there is none outside CI.
    pub fn on_postgres(self) -> Option<Env> {
        Some(self.on_database(scratch_postgres()?))
    }

    /// Sets `[state] database` to this scratch database, which goes with the env.
    pub fn on_database(mut self, db: redline::store::pg::ScratchDb) -> Env {
        let config = std::fs::read_to_string(self.config_path()).expect("read config");
        let config = config.replacen(
            "[state]\n",
            &format!("[state]\ndatabase = {:?}\n", db.url),
            1,
        );
        std::fs::write(self.config_path(), config).expect("write config");
        self.pg = Some(db);
        self
    }

    /// Sets `[state] lease`: how long a killed process's claims outlive it.
    pub fn with_lease(self, lease: &str) -> Env {
        let config = std::fs::read_to_string(self.config_path()).expect("read config");
        let config = config.replacen("[state]\n", &format!("[state]\nlease = {lease:?}\n"), 1);
        std::fs::write(self.config_path(), config).expect("write config");
        self
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("redline.toml")
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Runs `redline --config <this config> ARGS` to completion.
    pub async fn run(&self, args: &[&str]) -> Run {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
            .arg("--config")
            .arg(self.config_path())
            .arg("--color")
            .arg("never")
            .args(args)
            .env_remove("REDLINE_CONFIG")
            .env_remove("REDLINE_LOG")
            .output()
            .await
            .expect("run redline");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// An empty PostgreSQL database of the test's own on the server `REDLINE_TEST_POSTGRES`
/// names; `None` (after saying so) when there is none outside CI.
pub fn scratch_postgres() -> Option<redline::store::pg::ScratchDb> {
    // On a plain thread: the PostgreSQL client must not run on an async one.
    std::thread::spawn(redline::store::pg::ScratchDb::create)
        .join()
        .expect("scratch database")
}

/// A watcher over this config and its database, for tests that drive the library.
pub fn watcher(env: &Env) -> redline::watch::Watcher {
    let config =
        std::sync::Arc::new(redline::config::Config::load(&env.config_path()).expect("config"));
    let store = redline::store::Store::open_state(&config.state).expect("db");
    redline::watch::Watcher::new(config, redline::store::Db::new(store)).expect("watcher")
}

/// Sends a signal (`-HUP`, `-TERM` …) to a process with the shell's own `kill`, so the
/// tests need no procps and no unsafe code.
pub fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("sh")
        .args(["-c", &format!("kill {sig} {pid}")])
        .status()
        .expect("sh");
    assert!(ok.success(), "kill {sig} {pid}");
}

/// Story 1 of the seed feed as the store knows it.
pub async fn story(w: &redline::watch::Watcher) -> redline::store::ArticleRow {
    w.db.call(|s| s.articles(&Default::default()))
        .await
        .expect("articles")
        .into_iter()
        .find(|a| a.url.ends_with(STORY1_PATH))
        .expect("story 1")
}

/// A `[[feed]]` table.
pub fn feed_toml(name: &str, url: &str) -> String {
    format!("[[feed]]\nname = {name:?}\nurl = {url:?}\n")
}

/// Replaces what changes from run to run (times, ports) so output can be snapshotted.
pub fn mask(s: &str, server: &HttpServer) -> String {
    let s = s.replace(&server.base(), "http://HOST");
    let re =
        regex::Regex::new(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z| UTC|[+-]\d\d:\d\d)?")
            .expect("regex");
    re.replace_all(&s, "TIME").into_owned()
}
