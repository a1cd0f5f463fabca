//! redline at newsroom scale: `cargo bench --bench scale`.
//!
//! A local server (`scale/newsroom.rs`) serves a synthetic newsroom on several loopback
//! hosts (127.0.H.1, port 0, so the per-host limit spreads as it would over real sites):
//! 10,000 RSS feeds of 10 items, 100,000 small article pages in four languages, with
//! `ETag`, `Last-Modified` and 304 answers. The real service, `redline run` (the release
//! binary; `REDLINE_BIN` runs another), starts on a fresh state with every interval of
//! the schedule divided by a fixed speed-up (default 10: the 10-minute feed interval is a
//! minute, the 5-minute first revisit 30 s, an hour of simulated time six minutes). Every
//! rate the service sees is the speed-up times the real one, so the figures are
//! pessimistic. The run:
//!
//! 1. **feeds only**: the feeds are empty; after every feed has been fetched once, the
//!    service's CPU (from `/proc`) over a feed interval, divided by the 304s it got, is
//!    the CPU per unchanged feed poll, the service's scheduling included;
//! 2. **load**: the feeds publish their items; the service tracks every article and
//!    stores its first version (the revisits of the articles fetched early, which fall
//!    due while the rest loads, are measured apart);
//! 3. **the measured hour** (simulated): a share of the pages is edited every simulated
//!    ten minutes; the service's RSS is sampled twelve times;
//! 4. after a clean stop: `redline articles`, `history ID` and `replay --since 1d`, the
//!    median wall time of five runs each, and the database's bytes per version.
//!
//! Revisit lag is measured by the server, not taken from the service: a reader polls the
//! store every second for each article's `next_check_at`, and when the article's page is
//! asked for, the lag is the request's time minus the due time set after the previous
//! check (a first check is due when its feed first listed it). It asserts nothing.
//!
//! Options (after `--`): `--feeds N` (10000), `--items M` per feed (10), `--minutes K`
//! simulated minutes measured (60), `--speedup F` (10), `--hosts H` (20), `--edits P`
//! percent of the articles edited per simulated hour (2), `--keep` (keep the state
//! directory and say where it is).

#[path = "scale/newsroom.rs"]
mod newsroom;

use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;

use newsroom::{Newsroom, Request, now_ms};

fn main() {
    if let Err(e) = run() {
        eprintln!("scale bench: {e}");
        std::process::exit(1);
    }
}

struct Opts {
    feeds: usize,
    items: usize,
    minutes: u64,
    speedup: u32,
    hosts: usize,
    edits: f64,
}

fn arg<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
        None => Ok(default),
    }
}

/// A real interval as the compressed schedule runs it.
fn scaled(real: Duration, speedup: u32) -> Duration {
    real / speedup
}

fn dur(d: Duration) -> String {
    format!("{}ms", d.as_millis().max(1))
}

const REVISIT_MINUTES: [u64; 12] = [5, 15, 30, 60, 120, 240, 480, 960, 1440, 2880, 5760, 10080];

fn config(opts: &Opts, room: &Newsroom, state: &Path) -> String {
    let s = |secs: u64| dur(scaled(Duration::from_secs(secs), opts.speedup));
    let revisit: Vec<String> = REVISIT_MINUTES
        .iter()
        .map(|m| format!("\"{}\"", s(m * 60)))
        .collect();
    let mut out = format!(
        "[state]\ndir = \"{}\"\n\n[http]\nallow_private = true\n\n[schedule]\nfeed_interval = \"{}\"\njitter = \"10%\"\nrevisit = [{}]\nstop_after = \"{}\"\nflip_flop = \"{}\"\n\n",
        state.display(),
        s(600),
        revisit.join(", "),
        s(14 * 24 * 3600),
        s(2 * 24 * 3600),
    );
    for f in 0..opts.feeds {
        out.push_str(&format!(
            "[[feed]]\nname = \"Desk {f}\"\nurl = \"{}\"\n\n",
            room.feed_url(f)
        ));
    }
    out.push_str("[[topic]]\nname = \"newsroom\"\nquery = 'newsroom'\n\n[email]\nto = [\"desk@example.org\"]\n");
    out
}

/// The service's CPU time so far (user + system, from `/proc`, at 100 ticks a second).
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces): state is field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Reads every article's `next_check_at` into the newsroom, once a second, until stopped.
fn read_due(room: &Newsroom, db: &Path, stop: &AtomicBool) {
    let mut conn = None;
    while !stop.load(Ordering::Relaxed) {
        if conn.is_none() && db.exists() {
            conn = rusqlite::Connection::open_with_flags(
                db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .ok();
            if let Some(c) = &conn {
                let _ = c.busy_timeout(Duration::from_secs(5));
            }
        }
        if let Some(c) = &conn {
            let read = c
                .prepare_cached(
                    "SELECT url, next_check_at FROM articles WHERE next_check_at IS NOT NULL",
                )
                .and_then(|mut stmt| {
                    let rows = stmt
                        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                    for row in rows {
                        let (url, due) = row?;
                        let j = url.rsplit('/').next().and_then(|j| j.parse::<usize>().ok());
                        let due = chrono::DateTime::parse_from_rfc3339(&due)
                            .map(|d| d.timestamp_millis())
                            .ok();
                        if let (Some(j), Some(due)) = (j, due)
                            && j < room.due.len()
                        {
                            room.due[j].store(due, Ordering::Relaxed);
                        }
                    }
                    Ok(())
                });
            if let Err(e) = read {
                eprintln!("store reader: {e}");
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Waits for `done` with a deadline, printing progress every ten seconds.
fn wait_for(
    what: &str,
    deadline: Duration,
    done: impl Fn() -> (bool, String),
) -> Result<f64, String> {
    let start = Instant::now();
    let mut said = Instant::now();
    loop {
        let (ok, progress) = done();
        if ok {
            return Ok(start.elapsed().as_secs_f64());
        }
        if start.elapsed() > deadline {
            return Err(format!("{what}: not done after {deadline:?} ({progress})"));
        }
        if said.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "  {what}: {progress} after {:.0} s",
                start.elapsed().as_secs_f64()
            );
            said = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn lag_line(name: &str, lags: &mut [i64], speedup: u32) -> String {
    lags.sort_unstable();
    let f = |ms: i64| format!("{:.2} s", ms as f64 / 1000.0);
    let sim = |ms: i64| format!("{:.0} s", ms as f64 * f64::from(speedup) / 1000.0);
    let (p50, p99, max) = (
        percentile(lags, 0.5),
        percentile(lags, 0.99),
        lags.last().copied().unwrap_or(0),
    );
    format!(
        "{name:<26} {:>8}  p50 {} p99 {} max {}  (simulated: p50 {} p99 {} max {})",
        lags.len(),
        f(p50),
        f(p99),
        f(max),
        sim(p50),
        sim(p99),
        sim(max)
    )
}

/// Stops the service with SIGTERM and waits for it to exit.
fn stop(child: &mut Child) -> Result<(), String> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let start = Instant::now();
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            return Err("redline run did not stop within 40 s of SIGTERM".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The median wall time of five runs of a redline command, in ms.
fn latency(bin: &Path, config: &Path, args: &[&str]) -> Result<f64, String> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let status = Command::new(bin)
            .arg("--config")
            .arg(config)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        if !status.success() {
            return Err(format!("redline {} exited with {status}", args.join(" ")));
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn run() -> Result<(), String> {
    let opts = Opts {
        feeds: arg("--feeds", 10_000)?,
        items: arg("--items", 10)?,
        minutes: arg("--minutes", 60)?,
        speedup: arg("--speedup", 10u32)?.max(1),
        hosts: arg("--hosts", 20)?.clamp(1, 250),
        edits: arg("--edits", 2.0)?,
    };
    let bin = std::env::var_os("REDLINE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_redline")),
        PathBuf::from,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut listeners = Vec::new();
    for h in 0..opts.hosts {
        let ip = format!("127.0.{h}.1");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind((ip.as_str(), 0)))
            .map_err(|e| format!("{ip}: {e}"))?;
        listeners.push(listener);
    }
    let bases = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| format!("http://{a}")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let room = Arc::new(Newsroom::new(opts.feeds, opts.items, bases));
    let app = Router::new()
        .route("/a/{j}", get(newsroom::serve_page))
        .route("/feed/{name}", get(newsroom::serve_feed))
        .with_state(room.clone());
    for listener in listeners {
        runtime.spawn(axum::serve(listener, app.clone()).into_future());
    }

    let n = room.articles();
    let speedup = opts.speedup;
    let interval = scaled(Duration::from_secs(600), speedup);
    let hour = scaled(Duration::from_secs(opts.minutes * 60), speedup);
    println!(
        "scale bench: {} RSS feeds of {} items = {n} articles (4 languages, ~2.5 KB pages) on {} loopback hosts; schedule sped up {speedup}x: feed interval 10m -> {:?}, revisit 5m -> {:?}, {} simulated minutes -> {:?}; {}% of articles edited per simulated hour",
        opts.feeds,
        opts.items,
        opts.hosts,
        interval,
        scaled(Duration::from_secs(300), speedup),
        opts.minutes,
        hour,
        opts.edits
    );

    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    if std::env::args().any(|a| a == "--keep") {
        println!("state kept in {}", tmp.path().display());
    }
    let state = tmp.path().join("state");
    let config_path = tmp.path().join("redline.toml");
    std::fs::write(&config_path, config(&opts, &room, &state)).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(tmp.path().join("redline.log")).map_err(|e| e.to_string())?;
    let mut child = Command::new(&bin)
        .arg("--config")
        .arg(&config_path)
        .args(["-q", "run"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let pid = child.id();
    let stop_reader = Arc::new(AtomicBool::new(false));
    let reader = {
        let (room, db, stop) = (room.clone(), state.join("redline.db"), stop_reader.clone());
        std::thread::spawn(move || read_due(&room, &db, &stop))
    };
    let result = phases(&opts, &room, pid, &mut child);
    let stopped = stop(&mut child);
    stop_reader.store(true, Ordering::Relaxed);
    let _ = reader.join();
    if result.is_err() || stopped.is_err() {
        let log = std::fs::read_to_string(tmp.path().join("redline.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        eprintln!(
            "redline's log, last lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    result?;
    stopped?;

    // The CLI at this size, the service stopped.
    let db = rusqlite::Connection::open(state.join("redline.db")).map_err(|e| e.to_string())?;
    let one = |sql: &str| -> Result<i64, String> {
        db.query_row(sql, [], |r| r.get(0))
            .map_err(|e| format!("{sql}: {e}"))
    };
    let versions = one("SELECT COUNT(*) FROM versions")?;
    let tracked = one("SELECT COUNT(*) FROM articles")?;
    let busiest = one(
        "SELECT article_id FROM versions GROUP BY article_id ORDER BY COUNT(*) DESC, article_id LIMIT 1",
    )?;
    let alerts = one("SELECT COUNT(*) FROM alerts")?;
    drop(db);
    let id = busiest.to_string();
    println!(
        "\nCLI at this size ({tracked} articles, {versions} versions, {alerts} alerts; median of 5 runs, wall time):"
    );
    for args in [
        vec!["articles"],
        vec!["history", id.as_str()],
        vec!["replay", "--since", "1d"],
    ] {
        let ms = latency(&bin, &config_path, &args)?;
        println!("  redline {:<24} {ms:>7.0} ms", args.join(" "));
    }
    let bytes: u64 = ["redline.db", "redline.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(state.join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "\ndatabase: {:.1} MB for {versions} versions = {:.0} bytes per version (everything in the file: articles, versions, alerts, outbox, templates, indexes)",
        bytes as f64 / 1e6,
        bytes as f64 / versions.max(1) as f64
    );
    if std::env::args().any(|a| a == "--keep") {
        let _ = tmp.keep();
    }
    Ok(())
}

fn phases(opts: &Opts, room: &Newsroom, pid: u32, child: &mut Child) -> Result<(), String> {
    let alive = |child: &mut Child| -> Result<(), String> {
        match child.try_wait() {
            Ok(Some(status)) => Err(format!("redline run exited: {status}")),
            _ => Ok(()),
        }
    };
    let speedup = opts.speedup;
    let interval = scaled(Duration::from_secs(600), speedup);
    let feeds = opts.feeds as u64;
    let fetched = || room.feed_200.load(Ordering::Relaxed) + room.feed_304.load(Ordering::Relaxed);

    // 1. Feeds only: every feed fetched once, then one feed interval of 304s.
    let took = wait_for("first poll of every feed", Duration::from_secs(600), || {
        (
            fetched() >= feeds,
            format!("{} of {feeds} feeds", fetched()),
        )
    })?;
    alive(child)?;
    let (cpu0, polls0, t0) = (
        cpu_seconds(pid),
        room.feed_304.load(Ordering::Relaxed),
        Instant::now(),
    );
    std::thread::sleep(interval + interval / 5);
    alive(child)?;
    let (cpu1, polls1, wall) = (
        cpu_seconds(pid),
        room.feed_304.load(Ordering::Relaxed),
        t0.elapsed(),
    );
    let polls = polls1 - polls0;
    println!("\n1. feeds only (the feeds are empty):");
    println!("  first poll of {feeds} feeds took {took:.1} s (cold, from the service's start)");
    println!(
        "  then {polls} unchanged polls (304) in {:.1} s: {:.2} CPU-s = {:.3} ms of CPU per unchanged feed poll (the service's whole CPU: polls, scheduling, store)",
        wall.as_secs_f64(),
        cpu1 - cpu0,
        (cpu1 - cpu0) * 1000.0 / polls.max(1) as f64
    );

    // 2. Load: the feeds publish; every article is tracked and stored.
    room.published.store(true, Ordering::Relaxed);
    let load_ms = now_ms();
    let cpu2 = cpu_seconds(pid);
    let n = room.articles();
    let first = || {
        room.last_request
            .iter()
            .filter(|t| t.load(Ordering::Relaxed) > 0)
            .count()
    };
    let took = wait_for(
        "first check of every article",
        Duration::from_secs(3600),
        || {
            let k = first();
            (k >= n, format!("{k} of {n} articles fetched"))
        },
    )?;
    alive(child)?;
    let cpu3 = cpu_seconds(pid);
    let mut baseline: Vec<i64> = match room.log.lock() {
        Ok(log) => log.iter().filter(|r| r.first).map(|r| r.late).collect(),
        Err(_) => Vec::new(),
    };
    // The revisits of the articles fetched first while the rest of the burst loaded.
    let mut during: Vec<i64> = match room.log.lock() {
        Ok(log) => log
            .iter()
            .filter(|r| !r.first && r.at >= load_ms)
            .map(|r| r.late)
            .collect(),
        Err(_) => Vec::new(),
    };
    println!("\n2. load (the feeds publish {n} articles at once):");
    println!(
        "  every article fetched and stored in {took:.1} s, {:.1} CPU-s = {:.2} ms a new article; RSS {:.1} MB",
        cpu3 - cpu2,
        (cpu3 - cpu2) * 1000.0 / n as f64,
        rss_mb(pid)
    );
    println!(
        "  {}",
        lag_line("feed listing -> first fetch", &mut baseline, speedup)
    );
    println!(
        "  {}",
        lag_line("revisits during the load", &mut during, speedup)
    );

    // 3. The measured hour: edits every simulated ten minutes, RSS sampled.
    let hour = scaled(Duration::from_secs(opts.minutes * 60), speedup);
    let start_ms = now_ms();
    let start = Instant::now();
    let cpu4 = cpu_seconds(pid);
    let (f0, p0) = (
        fetched(),
        room.page_200.load(Ordering::Relaxed) + room.page_304.load(Ordering::Relaxed),
    );
    let slots = 12u32;
    let per_slot = ((n as f64) * opts.edits / 100.0
        * (hour.as_secs_f64() / 3600.0 * f64::from(speedup))
        / f64::from(slots))
    .round() as usize;
    let mut rss = Vec::new();
    let mut edited = 0usize;
    for slot in 1..=slots {
        // Edits are spread over the newsroom: every k-th article in turn.
        let stride = (n / per_slot.max(1)).max(1);
        for i in 0..per_slot {
            let j = (i * stride + 2 * slot as usize) % n;
            room.generation[j].fetch_add(1, Ordering::Relaxed);
            edited += 1;
        }
        let until = hour * slot / slots;
        if let Some(rest) = until.checked_sub(start.elapsed()) {
            std::thread::sleep(rest);
        }
        alive(child)?;
        rss.push(rss_mb(pid));
    }
    let cpu5 = cpu_seconds(pid);
    let (f1, p1) = (
        fetched(),
        room.page_200.load(Ordering::Relaxed) + room.page_304.load(Ordering::Relaxed),
    );
    let mut revisits: Vec<i64> = match room.log.lock() {
        Ok(log) => log
            .iter()
            .filter(|r: &&Request| !r.first && r.at >= start_ms)
            .map(|r| r.late)
            .collect(),
        Err(_) => Vec::new(),
    };
    println!(
        "\n3. {} simulated minutes ({:.0} s): {edited} pages edited, {} feed polls, {} article checks, {:.1} CPU-s ({:.0} % of one core)",
        opts.minutes,
        start.elapsed().as_secs_f64(),
        f1 - f0,
        p1 - p0,
        cpu5 - cpu4,
        (cpu5 - cpu4) * 100.0 / start.elapsed().as_secs_f64()
    );
    println!(
        "  {}",
        lag_line("revisit lag (checks)", &mut revisits, speedup)
    );
    // Where in the hour the late checks were.
    let slot_ms = (hour.as_millis() as i64 / i64::from(slots)).max(1);
    let mut worst = vec![0i64; slots as usize];
    if let Ok(log) = room.log.lock() {
        for r in log.iter().filter(|r| !r.first && r.at >= start_ms) {
            let i = (((r.at - start_ms) / slot_ms) as usize).min(worst.len() - 1);
            worst[i] = worst[i].max(r.late);
        }
    }
    println!(
        "  worst lag in each {:.0} simulated minutes (s): {}",
        opts.minutes as f64 / f64::from(slots),
        worst
            .iter()
            .map(|ms| format!("{:.2}", *ms as f64 / 1000.0))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  ({} checks whose due time the store reader had not seen are not counted)",
        room.unmeasured.load(Ordering::Relaxed)
    );
    let first = rss.first().copied().unwrap_or(0.0);
    let last = rss.last().copied().unwrap_or(0.0);
    let max = rss.iter().copied().fold(0.0, f64::max);
    println!(
        "  RSS every {:.0} simulated minutes (MB): {}  (first {first:.1}, last {last:.1}, max {max:.1})",
        opts.minutes as f64 / f64::from(slots),
        rss.iter()
            .map(|r| format!("{r:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}
