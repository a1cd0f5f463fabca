//! `redline run` as a real process: it polls a local HTTP server, mails through a local
//! SMTP server, reloads on SIGHUP (keeping the old config when the new one is broken),
//! serves /metrics, and stops cleanly on SIGTERM.

mod support;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::smtp::TestSmtp;
use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

/// A guard against a hung test, not a synchronisation.
const LIMIT: Duration = Duration::from_secs(20);

/// A running `redline run` whose stderr (its log) is collected line by line.
struct Daemon {
    child: tokio::process::Child,
    log: Arc<Mutex<Vec<String>>>,
    lines: watch::Receiver<usize>,
}

impl Daemon {
    fn start(env: &Env) -> Daemon {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
            .arg("--config")
            .arg(env.config_path())
            .args(["--color", "never", "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start redline run");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = watch::channel(0);
        let sink = log.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let n = {
                    let mut log = sink.lock().expect("log");
                    log.push(line);
                    log.len()
                };
                tx.send_replace(n);
            }
        });
        Daemon { child, log, lines }
    }

    /// Waits for a log line containing `needle` (beyond the first `skip` lines).
    async fn wait_for_log(&mut self, needle: &str, skip: usize) -> String {
        let found = tokio::time::timeout(LIMIT, async {
            loop {
                if let Some(l) = self
                    .log
                    .lock()
                    .expect("log")
                    .iter()
                    .skip(skip)
                    .find(|l| l.contains(needle))
                {
                    return l.clone();
                }
                if self.lines.changed().await.is_err() {
                    panic!(
                        "redline exited before logging {needle:?}:\n{}",
                        self.log_text()
                    );
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| {
            panic!(
                "no log line {needle:?} within {LIMIT:?}:\n{}",
                self.log_text()
            )
        })
    }

    fn log_len(&self) -> usize {
        self.log.lock().expect("log").len()
    }

    fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    fn signal(&self, sig: &str) {
        signal(self.child.id().expect("running"), sig);
    }
}

fn config(server: &HttpServer, smtp: &TestSmtp, feeds: &str, schedule: &str) -> String {
    format!(
        "[http]\nallow_private = true\nlisten = \"127.0.0.1:0\"\n[schedule]\n{schedule}\n{feeds}{TOPICS}\n\
         [email]\nfrom = \"redline <redline@example.org>\"\nto = [\"desk@example.org\"]\ntransport = \"smtp\"\n\
         [email.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout = \"5s\"\n",
        smtp.port()
    )
    .replace("{base}", &server.base())
}

fn write_config(env: &Env, text: &str) {
    let state = env.state();
    std::fs::write(
        env.config_path(),
        format!("[state]\ndir = {:?}\n\n{text}", state.display().to_string()),
    )
    .expect("write config");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_reloads_and_stops_cleanly() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let second_feed = fixture("feed.rss.xml")
        .replace("{base}", &server.base())
        .replace("wn-article-2021-12-23-0038", "second-0001")
        .replace(
            "/world-news/us-warns-sanctions",
            "/world-news/nato-kyiv-summit",
        )
        .replace(
            "US warns of sanctions over Ukraine build-up",
            "NATO leaders meet in Kyiv",
        );
    server.set(
        "/feeds/second.xml",
        Canned::ok("application/rss+xml", second_feed),
    );
    server.set(
        "/world-news/nato-kyiv-summit",
        Canned::html(simple_page("NATO leaders meet in Kyiv", &["Leaders of the North Atlantic alliance met in Kyiv on Tuesday to discuss support for Ukraine over the coming winter months and beyond.", "More."])),
    );
    let smtp = TestSmtp::start().await;
    let fast = "feed_interval = \"1s\"\njitter = \"0%\"\nrevisit = [\"1s\"]";
    let one = feed_toml("World News", "{base}/feeds/world.xml");
    let env = Env::with_config("");
    write_config(&env, &config(&server, &smtp, &one, fast));
    let mut daemon = Daemon::start(&env);

    daemon.wait_for_log("redline started", 0).await;
    server.wait_for(STORY1_PATH, 1, LIMIT).await;
    // The outlet edits the story: one email.
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let mail = smtp.wait_for_message(1).await;
    assert!(mail.text().contains("redline diff 1 --from 1 --to 2"));

    // SIGHUP with a feed added: it gets polled, and its new story tracked.
    let two = format!("{one}{}", feed_toml("Second", "{base}/feeds/second.xml"));
    write_config(&env, &config(&server, &smtp, &two, fast));
    let mark = daemon.log_len();
    daemon.signal("-HUP");
    daemon.wait_for_log("config reloaded", mark).await;
    server.wait_for("/feeds/second.xml", 1, LIMIT).await;
    server
        .wait_for("/world-news/nato-kyiv-summit", 1, LIMIT)
        .await;

    // SIGHUP with a broken config: logged, and the old one (with both feeds) kept.
    std::fs::write(env.config_path(), "[schedule]\nfeed_intervall = \"1s\"\n").expect("write");
    let mark = daemon.log_len();
    let polled = server.seen("/feeds/second.xml").len();
    daemon.signal("-HUP");
    let line = daemon.wait_for_log("config reload failed", mark).await;
    assert!(line.contains("feed_intervall"), "{line}");
    server
        .wait_for("/feeds/second.xml", polled + 2, LIMIT)
        .await;

    // SIGTERM: a clean exit 0 within the grace period.
    daemon.signal("-TERM");
    let status = tokio::time::timeout(LIMIT, daemon.child.wait())
        .await
        .expect("stopped within the grace period")
        .expect("wait");
    assert!(status.success(), "{status:?}\n{}", daemon.log_text());
    assert!(daemon.log_text().contains("redline stopped"));
    assert_eq!(smtp.messages().len(), 1, "exactly one email for one edit");
    let check = redline::store::Store::open(&env.state().join("redline.db"))
        .expect("db")
        .integrity_check()
        .expect("check");
    assert_eq!(check, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_match_what_happened() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    server.set("/feeds/broken.xml", Canned::status(500));
    let smtp = TestSmtp::start().await;
    let slow = "feed_interval = \"1h\"\njitter = \"0%\"\nrevisit = [\"1h\"]";
    let feeds = format!(
        "{}{}",
        feed_toml("World News", "{base}/feeds/world.xml"),
        feed_toml("Broken", "{base}/feeds/broken.xml")
    );
    let env = Env::with_config("");
    write_config(&env, &config(&server, &smtp, &feeds, slow));
    let mut daemon = Daemon::start(&env);
    let line = daemon
        .wait_for_log("serving /healthz and /metrics", 0)
        .await;
    let addr = line
        .split("addr=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("address in the log line")
        .to_string();
    daemon.wait_for_log("cycle done", 0).await;

    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
    };
    // Every line is a comment or `name{labels} value`.
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, v) = l.rsplit_once(' ').expect("sample");
        v.parse::<f64>()
            .unwrap_or_else(|_| panic!("bad sample {l}"));
    }
    // Two feeds and three matching articles were fetched: 4 answers 200, 1 answered 500.
    assert_eq!(value("redline_fetches_total{result=\"ok\"}"), 4.0, "{text}");
    assert_eq!(value("redline_fetches_total{result=\"http_error\"}"), 1.0);
    assert_eq!(value("redline_cycles_total"), 1.0);
    assert_eq!(value("redline_articles_tracked{state=\"active\"}"), 3.0);
    assert_eq!(value("redline_versions"), 3.0);
    assert_eq!(value("redline_alerts{status=\"queued\"}"), 0.0);
    assert_eq!(value("redline_feed_error_streak{feed=\"Broken\"}"), 1.0);
    assert_eq!(value("redline_feed_error_streak{feed=\"World News\"}"), 0.0);
    let bytes = value("redline_fetch_bytes_total");
    let served: usize = [
        "/feeds/world.xml",
        STORY1_PATH,
        "/world-news/xi-putin-video-call",
        "/world-news/us-warns-sanctions",
    ]
    .iter()
    .map(|p| server.seen(p).len())
    .sum();
    assert_eq!(served, 4);
    assert!(bytes > 5000.0, "{bytes}");
    daemon.signal("-TERM");
    let status = tokio::time::timeout(LIMIT, daemon.child.wait())
        .await
        .expect("stops")
        .expect("wait");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_systemd_ready_reloading_watchdog_and_stopping() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let smtp = TestSmtp::start().await;
    let env = Env::with_config("");
    let slow = "feed_interval = \"1h\"\njitter = \"0%\"";
    write_config(
        &env,
        &config(
            &server,
            &smtp,
            &feed_toml("World News", "{base}/feeds/world.xml"),
            slow,
        ),
    );
    // Stands in for systemd's notify socket.
    let path = env.dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&path).expect("bind notify socket");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--config")
        .arg(env.config_path())
        .args(["-q", "run"])
        .env("NOTIFY_SOCKET", &path)
        .env("WATCHDOG_USEC", "200000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start redline run");
    let pid = child.id().expect("running");
    let ready = until(&socket, "READY=1").await;
    assert!(ready.contains("STATUS="), "{ready}");
    until(&socket, "WATCHDOG=1").await;
    signal(pid, "-HUP");
    until(&socket, "RELOADING=1").await;
    until(&socket, "READY=1").await;
    signal(pid, "-TERM");
    until(&socket, "STOPPING=1").await;
    let status = tokio::time::timeout(LIMIT, child.wait())
        .await
        .expect("stops")
        .expect("wait");
    assert!(status.success());
}

/// Waits for a notification containing `want`, skipping others (watchdog pings
/// interleave with the state changes).
async fn until(socket: &tokio::net::UnixDatagram, want: &str) -> String {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = tokio::time::timeout(LIMIT, socket.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {want} within {LIMIT:?}"))
            .expect("recv");
        let m = String::from_utf8_lossy(&buf[..n]).into_owned();
        if m.contains(want) {
            return m;
        }
    }
}
