//! The web view in a real browser: `redline run` watches the seed story on a local news
//! site, the story is reworded and another gets a hostile headline, and headless
//! Chromium renders `/` and the diff pages (`--dump-dom`, with a virtual-time budget so
//! that any script would have run). The rendered DOM must show the headline and the
//! removed and added words, and nothing planted in the hostile headline may have run.
//!
//! Chromium is found through `REDLINE_CHROMIUM`, else `chromium` on `PATH` (`.ci/run`
//! installs Debian's). Without it the test fails under `CI=true` and says so; elsewhere
//! it prints "skipped: no chromium".

mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};

/// A guard against a hung test, not a synchronisation.
const LIMIT: Duration = Duration::from_secs(30);
const XI_PATH: &str = "/world-news/xi-putin-video-call";
/// Would retitle the page, or add an image that retitles it, if it ever ran.
const HOSTILE_HEADLINE: &str = "Xi <script>document.title='PWNED'</script> \"><img src=x onerror=\"document.title='PWNED'\"> call";

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The Chromium to drive, or `None` (after saying so) when there is none outside CI.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REDLINE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs the `chromium` binary for tests/browser.rs (apt-get install chromium, \
             or set REDLINE_CHROMIUM to its path)"
        );
        eprintln!("skipped: no chromium (set REDLINE_CHROMIUM or put chromium on PATH)");
    }
    found
}

/// The DOM Chromium built for `url`, after scripts would have run.
async fn dump_dom(chromium: &PathBuf, profile: &std::path::Path, url: &str) -> String {
    let run = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .unwrap_or_else(|_| panic!("chromium did not finish rendering {url}"))
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", chromium.display()));
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && dom.contains("</html>"),
        "chromium on {url}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// `redline run` with its log collected.
struct Daemon {
    child: tokio::process::Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    fn start(env: &Env) -> Daemon {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
            .arg("--config")
            .arg(env.config_path())
            .args(["--color", "never", "run"])
            .env_remove("REDLINE_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start redline run");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().expect("log").push(line);
            }
        });
        Daemon { child, log }
    }

    /// The address in the line that says where the view is served.
    async fn address(&self) -> String {
        let line = until("the web view's address in the log", || {
            self.log
                .lock()
                .expect("log")
                .iter()
                .find(|l| l.contains("the web view at http://"))
                .cloned()
        })
        .await;
        line.split("addr=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("no addr= in {line}"))
            .to_string()
    }
}

/// Polls `check` until it gives a value, or fails after [`LIMIT`].
async fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "no {what} within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fetches `url` until its body satisfies `ok`, or fails after [`LIMIT`].
async fn page_until(url: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Ok(r) = reqwest::get(url).await {
            let body = r.text().await.unwrap_or_default();
            if ok(&body) {
                return body;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{url}: no {what} within {LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_diff_renders_in_chromium_and_no_planted_script_runs() {
    let Some(chromium) = chromium() else {
        return;
    };
    let server = HttpServer::start().await;
    serve_seed(&server);
    // A page that does run script, to show this harness would see it if ours did.
    server.set(
        "/control.html",
        Canned::html(
            "<!DOCTYPE html><html><head><title>before</title></head><body>\
             <script>document.title='RAN'</script></body></html>",
        ),
    );
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\ntimeout = \"10s\"\nlisten = \"127.0.0.1:0\"\n\n\
         [schedule]\nfeed_interval = \"1s\"\njitter = \"0%\"\nrevisit = [\"1s\"]\n\n{}\n{TOPICS}\n\
         [email]\nfrom = \"redline <redline@example.org>\"\nto = [\"desk@example.org\"]\ntransport = \"file\"\n",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base()))
    ));
    let mut daemon = Daemon::start(&env);
    let base = format!("http://{}", daemon.address().await);
    page_until(
        &format!("{base}/articles/2"),
        "version 1 of the Xi story",
        |b| b.contains("Versions") && b.contains("baseline"),
    )
    .await;

    // The outlet rewords story 1, and the Xi story gets a hostile headline.
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let long = "The Kremlin said the two leaders would discuss bilateral relations and the situation in Europe, \
                according to a statement published on Thursday evening by the presidential press service.";
    server.set(
        XI_PATH,
        Canned::html(simple_page(
            &html_escape(HOSTILE_HEADLINE),
            &[long, "Second paragraph of the call story, now longer."],
        )),
    );
    page_until(&format!("{base}/"), "both changes", |b| {
        b.contains("advanced weapons") && b.contains("Xi &lt;script&gt;")
    })
    .await;

    let profile = tempfile::tempdir().expect("profile dir");
    let control = dump_dom(
        &chromium,
        profile.path(),
        &format!("{}/control.html", server.base()),
    )
    .await;
    assert!(
        control.contains("<title>RAN</title>"),
        "chromium ran no script on the control page:\n{control}"
    );

    let home = dump_dom(&chromium, profile.path(), &format!("{base}/")).await;
    let diff = dump_dom(
        &chromium,
        profile.path(),
        &format!("{base}/articles/1/diff"),
    )
    .await;
    let side = dump_dom(
        &chromium,
        profile.path(),
        &format!("{base}/articles/1/diff?view=side"),
    )
    .await;
    let xi = dump_dom(
        &chromium,
        profile.path(),
        &format!("{base}/articles/2/diff"),
    )
    .await;

    // The headline and the words, as the browser rendered them.
    assert!(
        home.contains("jointly developing advanced weapons"),
        "{home}"
    );
    for dom in [&diff, &side] {
        assert!(dom.contains("jointly developing advanced weapons"), "{dom}");
        assert!(
            dom.contains("text-decoration:line-through\">high-tech</del>"),
            "{dom}"
        );
        assert!(
            dom.contains("text-decoration:underline\">advanced</ins>"),
            "{dom}"
        );
        assert!(
            dom.contains(">one hundred</del>") && dom.contains(">140</ins>"),
            "{dom}"
        );
    }

    // Nothing planted in the hostile headline ran or became an element: the title is
    // the headline's text, and no image or script element exists.
    for (name, dom) in [("/", &home), ("the Xi diff", &xi)] {
        assert!(
            !dom.contains("PWNED</title>"),
            "{name}: a script ran:\n{dom}"
        );
        assert!(
            !dom.contains("<img"),
            "{name}: an image element was planted:\n{dom}"
        );
        assert!(
            !dom.contains("<script"),
            "{name}: a script element was planted:\n{dom}"
        );
        assert!(
            dom.contains("Xi &lt;script&gt;document.title='PWNED'&lt;/script&gt;"),
            "{name}: the headline is not shown as text:\n{dom}"
        );
    }
    assert!(
        xi.contains("<title>Xi &lt;script&gt;"),
        "the page title is the headline's text:\n{xi}"
    );

    daemon.child.start_kill().expect("stop redline run");
    daemon.child.wait().await.expect("wait");
}
