//! Several workers on one PostgreSQL: `cargo bench --bench workers`.
//!
//! A local server (127.0.0.1, port 0) serves N small article pages (default 2,000) from
//! 20 feeds, with `ETag` and 304 answers, each answer after a fixed delay (default 50
//! ms, a site's answer time; `--latency 0` measures redline and the database alone). For
//! 1 worker and then 3, on a fresh PostgreSQL database each time:
//!
//! 1. one `redline poll` tracks every article and stores its first version;
//! 2. a share of the pages is edited (default 10 %), every article is made due, and the
//!    workers, W `redline poll` processes started at once, share the checks: each claims
//!    a batch at a time until none is left.
//!
//! It prints checks per second for each W, each worker's share, and where the time went:
//! the server's request rate and mean requests in flight (against what the workers may
//! have open: W × `max_concurrent`), the database's transactions per second and its
//! `active_time` per connection (from `pg_stat_database`), and the workers' CPU per
//! stage (their `poll --json`), then which of them limits the rate. It asserts nothing
//! but that every article was checked exactly once.
//!
//! The database server comes from `--database URL` or `REDLINE_TEST_POSTGRES` (a role
//! that may create databases); without one the bench says so and exits 2. Options
//! (after `--`): `--pages N` (2000), `--edited P` percent (10), `--latency MS` (50),
//! `--workers LIST` (`1,3`). `REDLINE_BIN` runs another redline binary than this build's
//! (a release build copied out of a shared target directory, say).

use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const FEEDS: usize = 20;
const MAX_CONCURRENT: usize = 16;

fn main() {
    match run() {
        Ok(()) => {}
        Err(Fail::NoDatabase) => {
            eprintln!(
                "workers bench: no PostgreSQL server: give one with --database postgres://USER:PASS@HOST/DB \
                 or REDLINE_TEST_POSTGRES (a role that may create databases)"
            );
            std::process::exit(2);
        }
        Err(Fail::Other(e)) => {
            eprintln!("workers bench: {e}");
            std::process::exit(1);
        }
    }
}

enum Fail {
    NoDatabase,
    Other(String),
}

impl From<String> for Fail {
    fn from(e: String) -> Fail {
        Fail::Other(e)
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

fn num<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match arg(name) {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name} needs a number, not {v:?}")),
        None => Ok(default),
    }
}

/// The synthetic site: each page's edit count, and what the server did.
struct Site {
    pages: usize,
    latency: Duration,
    edits: Vec<AtomicU32>,
    base: Mutex<String>,
    requests: AtomicU64,
    not_modified: AtomicU64,
    /// Sum of the time every request spent in the server, in microseconds.
    busy_us: AtomicU64,
}

impl Site {
    fn etag(&self, i: usize) -> String {
        format!("\"p{i}-e{}\"", self.edits[i].load(Ordering::Relaxed))
    }

    fn page(&self, i: usize) -> String {
        let e = self.edits[i].load(Ordering::Relaxed);
        let words = |seed: usize| -> String {
            (0..28)
                .map(|k| format!("w{}", (seed * 31 + k * 7) % 997))
                .collect::<Vec<_>>()
                .join(" ")
        };
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Newsroom story {i}</title></head><body>\
             <nav><a href=\"/\">Home</a></nav><main><article><h1>Newsroom story {i}</h1>\n\
             <p>The council of district {i} met on Tuesday and said the budget would rise to {} million, {}.</p>\n\
             <p>Officials of district {i} said the plan, which {}, would be put to a vote in the spring.</p>\n\
             <p>Residents of district {i} were asked for their views before the end of the month, {}.</p>\n\
             </article></main><footer>Footer</footer></body></html>",
            40 + e,
            words(i),
            words(i + 1),
            words(i + 2),
        )
    }

    fn feed(&self, f: usize) -> String {
        let base = self.base.lock().map(|b| b.clone()).unwrap_or_default();
        let mut items = String::new();
        for i in (f..self.pages).step_by(FEEDS) {
            items.push_str(&format!(
                "<item><title>Newsroom story {i}</title><link>{base}/a/{i}</link>\
                 <guid>{base}/a/{i}</guid><description>Newsroom story {i} of the council.</description></item>"
            ));
        }
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Desk {f}</title>\
             <link>{base}/</link><description>Desk {f}</description>{items}</channel></rss>"
        )
    }
}

async fn article(
    State(site): State<Arc<Site>>,
    UrlPath(i): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    tokio::time::sleep(site.latency).await;
    site.requests.fetch_add(1, Ordering::Relaxed);
    let resp = if i >= site.pages {
        StatusCode::NOT_FOUND.into_response()
    } else {
        let etag = site.etag(i);
        let matched = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == etag);
        if matched {
            site.not_modified.fetch_add(1, Ordering::Relaxed);
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()
        } else {
            (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                    (header::ETAG, etag),
                ],
                site.page(i),
            )
                .into_response()
        }
    };
    let spent = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    site.busy_us.fetch_add(spent, Ordering::Relaxed);
    resp
}

async fn feed(State(site): State<Arc<Site>>, UrlPath(name): UrlPath<String>) -> Response {
    let f: usize = name.trim_end_matches(".xml").parse().unwrap_or(usize::MAX);
    if f >= FEEDS {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        site.feed(f),
    )
        .into_response()
}

/// The server's counters at one moment.
#[derive(Clone, Copy, Default)]
struct ServerCount {
    requests: u64,
    not_modified: u64,
    busy_s: f64,
}

fn server_count(site: &Site) -> ServerCount {
    ServerCount {
        requests: site.requests.load(Ordering::Relaxed),
        not_modified: site.not_modified.load(Ordering::Relaxed),
        busy_s: site.busy_us.load(Ordering::Relaxed) as f64 / 1e6,
    }
}

/// A database of its own on the server, dropped when this goes.
struct Scratch {
    admin: String,
    name: String,
    url: String,
}

impl Scratch {
    fn create(admin: &str, n: usize) -> Result<Scratch, String> {
        let name = format!("redline_bench_workers_{}_{n}", std::process::id());
        let mut client = postgres::Client::connect(admin, postgres::NoTls)
            .map_err(|e| format!("cannot connect to {}: {e}", redact(admin)))?;
        // Two statements: CREATE DATABASE cannot run inside the transaction a batch is.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&sql)
                .map_err(|e| format!("cannot create the database {name}: {e}"))?;
        }
        let mut url = url::Url::parse(admin).map_err(|e| format!("{}: {e}", redact(admin)))?;
        url.set_path(&format!("/{name}"));
        Ok(Scratch {
            admin: admin.to_string(),
            name,
            url: url.to_string(),
        })
    }

    fn client(&self) -> Result<postgres::Client, String> {
        postgres::Client::connect(&self.url, postgres::NoTls).map_err(|e| e.to_string())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// `pg_stat_database` for one database: committed transactions, and the milliseconds
/// its connections spent running statements.
fn db_stats(db: &Scratch) -> Result<(i64, f64), String> {
    let mut c = db.client()?;
    let row = c
        .query_one(
            "SELECT xact_commit + xact_rollback, COALESCE(active_time, 0)
             FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .map_err(|e| e.to_string())?;
    Ok((row.get(0), row.get(1)))
}

/// What one `redline poll --json` reported.
#[derive(Default)]
struct Poll {
    checked: u64,
    versions: u64,
    cpu: f64,
    stages: Vec<(String, f64)>,
}

fn poll_json(out: &[u8]) -> Result<Poll, String> {
    let json: serde_json::Value =
        serde_json::from_slice(out).map_err(|e| format!("poll --json: {e}"))?;
    let n = |k: &str| json["cycle"][k].as_u64().unwrap_or(0);
    Ok(Poll {
        checked: n("articles_checked"),
        versions: n("versions"),
        cpu: json["cpu_seconds"]["total"].as_f64().unwrap_or(0.0),
        stages: json["cpu_seconds"]["stages"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(0.0)))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Runs `workers` `redline poll --json` at once and waits for all of them.
fn polls(bin: &Path, config: &Path, workers: usize) -> Result<Vec<Poll>, String> {
    let children = (0..workers)
        .map(|_| {
            Command::new(bin)
                .arg("--config")
                .arg(config)
                .args(["-q", "poll", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("{}: {e}", bin.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    for child in children {
        let done = child.wait_with_output().map_err(|e| e.to_string())?;
        if !done.status.success() {
            return Err(format!(
                "redline poll exited with {}: {}",
                done.status,
                String::from_utf8_lossy(&done.stderr)
            ));
        }
        out.push(poll_json(&done.stdout)?);
    }
    Ok(out)
}

fn config(dir: &Path, db: &Scratch, base: &str) -> String {
    let mut out = format!(
        "[state]\ndir = {:?}\ndatabase = {:?}\n\n[http]\nallow_private = true\nper_host = {MAX_CONCURRENT}\n\
         max_concurrent = {MAX_CONCURRENT}\n\n[schedule]\nfeed_interval = \"1h\"\njitter = \"0%\"\nrevisit = [\"1h\"]\n\n",
        dir.join("state").display().to_string(),
        db.url,
    );
    for f in 0..FEEDS {
        out.push_str(&format!(
            "[[feed]]\nname = \"Desk {f}\"\nurl = \"{base}/feeds/{f}.xml\"\n\n"
        ));
    }
    out.push_str(&format!(
        "[[topic]]\nname = \"newsroom\"\nquery = 'newsroom'\n\n[email]\nto = [\"desk@example.org\"]\n\
         transport = \"file\"\ndir = {:?}\n",
        dir.join("mail").display().to_string()
    ));
    out
}

/// One measured run with `workers` workers.
struct Measured {
    workers: usize,
    load_s: f64,
    wall: f64,
    polls: Vec<Poll>,
    server: ServerCount,
    xacts: i64,
    active_s: f64,
}

fn measure(
    site: &Site,
    bin: &Path,
    admin: &str,
    workers: usize,
    edited: usize,
    run: usize,
) -> Result<Measured, String> {
    for e in &site.edits {
        e.store(0, Ordering::Relaxed);
    }
    let db = Scratch::create(admin, run)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("redline.toml");
    let base = site.base.lock().map(|b| b.clone()).unwrap_or_default();
    std::fs::write(&path, config(dir.path(), &db, &base)).map_err(|e| e.to_string())?;

    // 1. Track every article and store its first version.
    let started = Instant::now();
    let load = polls(bin, &path, 1)?;
    let load_s = started.elapsed().as_secs_f64();
    let tracked: u64 = load.iter().map(|p| p.checked).sum();
    if tracked != site.pages as u64 {
        return Err(format!(
            "the first poll checked {tracked} articles, not {}",
            site.pages
        ));
    }

    // 2. Edit a share of the pages, spread over the whole set; make every article due.
    let step = site.pages.checked_div(edited).unwrap_or(0);
    for k in 0..edited {
        site.edits[k * step].fetch_add(1, Ordering::Relaxed);
    }
    db.client()?
        .batch_execute("UPDATE articles SET next_check_at = '2000-01-01T00:00:00.000Z'")
        .map_err(|e| e.to_string())?;
    let (x0, a0) = db_stats(&db)?;
    let s0 = server_count(site);
    let started = Instant::now();
    let polls = polls(bin, &path, workers)?;
    let wall = started.elapsed().as_secs_f64();
    let s1 = server_count(site);
    // The workers' statistics reach pg_stat_database when their connections close.
    std::thread::sleep(Duration::from_millis(700));
    let (x1, a1) = db_stats(&db)?;
    Ok(Measured {
        workers,
        load_s,
        wall,
        polls,
        server: ServerCount {
            requests: s1.requests - s0.requests,
            not_modified: s1.not_modified - s0.not_modified,
            busy_s: s1.busy_s - s0.busy_s,
        },
        xacts: x1 - x0,
        active_s: (a1 - a0) / 1000.0,
    })
}

fn run() -> Result<(), Fail> {
    let admin = arg("--database")
        .or_else(|| std::env::var("REDLINE_TEST_POSTGRES").ok())
        .ok_or(Fail::NoDatabase)?;
    let pages: usize = num("--pages", 2000)?;
    let edited_pct: f64 = num("--edited", 10.0)?;
    let latency = Duration::from_millis(num("--latency", 50)?);
    let workers: Vec<usize> = arg("--workers")
        .unwrap_or_else(|| "1,3".into())
        .split(',')
        .map(|w| w.trim().parse().map_err(|_| format!("--workers: {w:?}")))
        .collect::<Result<_, _>>()?;
    let edited = ((pages as f64) * edited_pct / 100.0).round() as usize;
    let bin = std::env::var_os("REDLINE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_redline")),
        PathBuf::from,
    );

    let site = Arc::new(Site {
        pages,
        latency,
        edits: (0..pages).map(|_| AtomicU32::new(0)).collect(),
        base: Mutex::new(String::new()),
        requests: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
        busy_us: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if let Ok(mut b) = site.base.lock() {
        *b = format!("http://{addr}");
    }
    let app = Router::new()
        .route("/a/{i}", get(article))
        .route("/feeds/{name}", get(feed))
        .with_state(site.clone());
    runtime.spawn(axum::serve(listener, app).into_future());

    println!(
        "workers bench: {pages} pages in {FEEDS} feeds, {edited} edited ({edited_pct}%), each answer after {} ms; \
         max_concurrent = per_host = {MAX_CONCURRENT}; PostgreSQL at {}; {} on {} cores",
        latency.as_millis(),
        redact(&admin),
        bin.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let mut results = Vec::new();
    for (run, &w) in workers.iter().enumerate() {
        let m = measure(&site, &bin, &admin, w, edited, run)?;
        results.push(m);
    }

    println!(
        "\nfirst poll (1 worker, every page new, tracked and stored): {}",
        results
            .iter()
            .map(|m| format!("{:.0} checks/s", pages as f64 / m.load_s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "\nworkers  checks  wall s  checks/s  each worker's checks  versions  server req/s  304s   in flight (of)  db xact/s  db active/conn  worker CPU-s"
    );
    for m in &results {
        let checked: u64 = m.polls.iter().map(|p| p.checked).sum();
        let versions: u64 = m.polls.iter().map(|p| p.versions).sum();
        let each: Vec<String> = m.polls.iter().map(|p| p.checked.to_string()).collect();
        let cpu: f64 = m.polls.iter().map(|p| p.cpu).sum();
        println!(
            "{:<8} {:<7} {:<7.2} {:<9.0} {:<21} {:<9} {:<13.0} {:<6} {:<15} {:<10.0} {:<15} {:.2}",
            m.workers,
            checked,
            m.wall,
            checked as f64 / m.wall,
            each.join(" + "),
            versions,
            m.server.requests as f64 / m.wall,
            m.server.not_modified,
            format!(
                "{:.1} ({})",
                m.server.busy_s / m.wall,
                m.workers * MAX_CONCURRENT
            ),
            m.xacts as f64 / m.wall,
            format!("{:.0}%", 100.0 * m.active_s / (m.wall * m.workers as f64)),
            cpu,
        );
        if checked != pages as u64 {
            return Err(Fail::Other(format!(
                "{} workers checked {checked} articles between them, not each of the {pages} once",
                m.workers
            )));
        }
    }
    println!(
        "\nworker CPU-s by stage   decode  extract  diff    store   other (HTTP, scheduling, runtime)"
    );
    for m in &results {
        let stage = |name: &str| -> f64 {
            m.polls
                .iter()
                .flat_map(|p| p.stages.iter())
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v)
                .sum()
        };
        let cpu: f64 = m.polls.iter().map(|p| p.cpu).sum();
        let known = stage("decode") + stage("extract") + stage("diff") + stage("store");
        println!(
            "{} worker{:<17} {:<7.2} {:<8.2} {:<7.2} {:<7.2} {:.2}",
            m.workers,
            if m.workers == 1 { "" } else { "s" },
            stage("decode"),
            stage("extract"),
            stage("diff"),
            stage("store"),
            (cpu - known).max(0.0),
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!();
    if let (Some(one), Some(last)) = (results.first(), results.last()) {
        let rate = |m: &Measured| m.polls.iter().map(|p| p.checked).sum::<u64>() as f64 / m.wall;
        if last.workers != one.workers {
            println!(
                "{} workers check {:.2}× as fast as {}.",
                last.workers,
                rate(last) / rate(one),
                one.workers
            );
        }
    }
    for m in &results {
        let in_flight = m.server.busy_s / m.wall;
        let open = (m.workers * MAX_CONCURRENT) as f64;
        let db_share = m.active_s / (m.wall * m.workers as f64);
        let cpu: f64 = m.polls.iter().map(|p| p.cpu).sum();
        let machine = (cpu + m.active_s) / (m.wall * cores);
        let limit = if in_flight >= 0.8 * open {
            "the fetches: the workers keep nearly every request place busy waiting for the server"
        } else if db_share >= 0.5 {
            "the database: each worker's connection is busy running statements most of the time"
        } else if machine >= 0.7 {
            "the CPU: the workers and PostgreSQL together keep the machine's cores busy"
        } else {
            "none of the three clearly (see the figures)"
        };
        println!(
            "{} worker{}: {:.1} of {} request places busy, database connections {:.0}% busy, \
             workers + database CPU {:.0}% of {} cores: limited by {limit}.",
            m.workers,
            if m.workers == 1 { "" } else { "s" },
            in_flight,
            open,
            100.0 * db_share,
            100.0 * machine,
            cores,
        );
    }
    Ok(())
}
