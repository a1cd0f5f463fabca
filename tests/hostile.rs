//! `redline run` beside hostile feeds: a trickle, a 2 GiB body, a gzip bomb, a redirect
//! loop, random bytes, truncated XML, an empty body, HTML, a 500, a 429 with Retry-After
//! and a dead host. The daemon stays under 200 MB, every hostile feed is recorded as
//! failing, and the good feed beside them keeps being polled on schedule and its story
//! tracked. The peak RSS it measured is printed (`--no-capture` shows it).

mod support;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A guard against a hung test, not a synchronisation.
const LIMIT: Duration = Duration::from_secs(90);
/// The bound on the daemon's peak resident memory.
const MAX_RSS_KB: u64 = 200 * 1024;

/// What a raw server sends after the status line and headers.
#[derive(Clone, Copy)]
enum Raw {
    /// One byte of a feed every 100 ms, for ever.
    Trickle,
    /// 2 GiB of body with no Content-Length, as fast as the client reads.
    Endless,
}

/// A server on `ip`:0 that answers every request with `kind`, written by hand so the
/// body can be endless or slow.
async fn raw_server(ip: &str, kind: Raw) -> String {
    let listener = tokio::net::TcpListener::bind((ip, 0))
        .await
        .unwrap_or_else(|e| panic!("bind {ip}:0: {e}"));
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\n\
                            connection: close\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                match kind {
                    Raw::Trickle => {
                        let feed = b"<?xml version=\"1.0\"?><rss><channel><title>slow";
                        for byte in feed.iter().cycle() {
                            if sock.write_all(&[*byte]).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                    Raw::Endless => {
                        let chunk = vec![b'A'; 64 * 1024];
                        for _ in 0..(2u64 << 30) / chunk.len() as u64 {
                            if sock.write_all(&chunk).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// 256 MiB of zeros, gzipped to a few hundred KiB.
fn gzip_bomb() -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        gz.write_all(&zeros).expect("gzip");
    }
    gz.finish().expect("gzip")
}

/// Peak resident memory of a process, in KiB (`VmHWM`).
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_feeds_neither_sink_the_daemon_nor_delay_the_good_feed() {
    // Each kind of trouble on its own loopback address, since politeness and Retry-After
    // pauses are per host: what is measured is the daemon, not a shared host queue.
    let good = HttpServer::start_on("127.0.0.2").await;
    serve_seed(&good);
    let bad = HttpServer::start().await;
    let random: Vec<u8> = (0u32..64 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let feed = fixture("feed.rss.xml").replace("{base}", &bad.base());
    let rss = "application/rss+xml";
    bad.set(
        "/bomb.xml",
        Canned::ok(rss, gzip_bomb()).header("content-encoding", "gzip"),
    );
    bad.set(
        "/loop.xml",
        Canned::status(302).header("location", "/loop.xml"),
    );
    bad.set("/random.xml", Canned::ok(rss, random));
    bad.set("/truncated.xml", Canned::ok(rss, &feed[..feed.len() / 2]));
    bad.set("/empty.xml", Canned::ok(rss, ""));
    bad.set(
        "/html.xml",
        Canned::html(simple_page("Not a feed", &["A page."])),
    );
    bad.set("/500.xml", Canned::status(500));
    let busy = HttpServer::start_on("127.0.0.3").await;
    busy.set("/429.xml", Canned::status(429).header("retry-after", "120"));
    let trickle = raw_server("127.0.0.4", Raw::Trickle).await;
    let endless = raw_server("127.0.0.5", Raw::Endless).await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.6:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };

    let mut feeds = feed_toml("Good", &format!("{}/feeds/world.xml", good.base()));
    let hostile = [
        ("Trickle", format!("{trickle}/feed.xml")),
        ("Endless", format!("{endless}/feed.xml")),
        ("Bomb", format!("{}/bomb.xml", bad.base())),
        ("Loop", format!("{}/loop.xml", bad.base())),
        ("Random", format!("{}/random.xml", bad.base())),
        ("Truncated", format!("{}/truncated.xml", bad.base())),
        ("Empty", format!("{}/empty.xml", bad.base())),
        ("HTML", format!("{}/html.xml", bad.base())),
        ("500", format!("{}/500.xml", bad.base())),
        ("429", format!("{}/429.xml", busy.base())),
        ("Dead", format!("{dead}/feed.xml")),
    ];
    for (name, url) in &hostile {
        feeds.push_str(&feed_toml(name, url));
    }
    let env = Env::with_config(&format!(
        "[http]\nallow_private = true\ntimeout = \"3s\"\n\n\
         [schedule]\nfeed_interval = \"1s\"\njitter = \"0%\"\nrevisit = [\"1h\"]\n\n\
         {feeds}{TOPICS}\n[email]\nto = [\"desk@example.org\"]\ntransport = \"file\"\n"
    ));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--config")
        .arg(env.config_path())
        .args(["--color", "never", "run"])
        .env_remove("REDLINE_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start redline run");
    let pid = child.id().expect("pid");

    // Every hostile feed is tried, the good one polled again and again beside them (each
    // cycle waits at most the 3 s timeout for the trickle), and its story fetched.
    good.wait_for("/feeds/world.xml", 6, LIMIT).await;
    good.wait_for(STORY1_PATH, 1, LIMIT).await;
    for path in ["/bomb.xml", "/random.xml", "/truncated.xml", "/500.xml"] {
        bad.wait_for(path, 2, LIMIT).await;
    }
    busy.wait_for("/429.xml", 1, LIMIT).await;

    let peak = peak_rss_kb(pid);
    println!(
        "hostile feeds: peak RSS of redline run {:.1} MB",
        peak as f64 / 1024.0
    );
    assert!(
        peak < MAX_RSS_KB,
        "peak RSS {peak} KiB is over {MAX_RSS_KB} KiB"
    );
    assert_eq!(
        busy.seen("/429.xml").len(),
        1,
        "a 429 with Retry-After: 120 is not asked again within the pause"
    );

    signal(pid, "-TERM");
    let status = tokio::time::timeout(LIMIT, child.wait())
        .await
        .expect("stopped within the grace period")
        .expect("wait");
    assert!(status.success(), "{status:?}");

    // The good story is stored; each hostile feed carries its own error.
    let out = env.run(&["feeds", "--json"]).await.expect_code(0);
    let rows = out.json();
    let rows = rows.as_array().expect("feeds array");
    for (name, _) in &hostile {
        let row = rows
            .iter()
            .find(|r| r["name"] == *name)
            .unwrap_or_else(|| panic!("feed {name} in {rows:#?}"));
        let failing = !row["last_error"].is_null() || !row["paused_until"].is_null();
        assert!(failing, "{name} is shown failing: {row:#}");
    }
    let good_row = rows
        .iter()
        .find(|r| r["name"] == "Good")
        .expect("good feed");
    assert!(good_row["last_error"].is_null(), "{good_row:#}");
    let articles = env.run(&["articles", "--json"]).await.expect_code(0).json();
    assert!(
        articles
            .as_array()
            .expect("articles")
            .iter()
            .any(|a| a["url"].as_str().is_some_and(|u| u.ends_with(STORY1_PATH))),
        "{articles:#}"
    );
}
