//! What one cycle of the daemon costs, page for page: `cargo bench --bench cycle`.
//!
//! A local server serves N article pages — the 90 real pages of the shared corpus
//! (`shared/corpus/aeb-dev`, read in place), repeated up to N, each repeat on a host of
//! its own (127.0.R.1, port 0) — with `ETag` and `Last-Modified` and honours
//! `If-None-Match` with a 304, as nginx does for static files; and N/20 RSS feeds of 20
//! items that carry them. redline's settings are the defaults (two requests per host).
//! redline, the release binary, runs `redline poll --all` against it three times per
//! round on a fresh state:
//!
//! - **cold**: every page is new (feeds fetched, every page fetched, decoded, extracted,
//!   stored as a first version);
//! - **unchanged**: every feed and page answers 304;
//! - **edited**: 5 % of the pages have one word of their article text replaced (taken
//!   from the corpus's human-written text, so the edit is in the story), the rest 304.
//!
//! Each run is a separate process; its `poll --json` reports, as the kernel counts them,
//! its CPU time (user + system) and peak RSS, and the per-stage split (`cpu_seconds`, see
//! `redline::cpu`); "other" is the rest: HTTP, feeds, the runtime. It prints the median of the rounds, the store's size, and beside it the
//! one-parse limit: what html5ever alone takes to parse the same pages into a
//! `dom_query` document. It also writes the figures as JSON to
//! `target/cycle-bench.json` (under `CARGO_TARGET_DIR` when set), which `benches/urlwatch_cycle.py` reads to print the ratios
//! against urlwatch on the same pages. It asserts nothing.
//!
//! Options (after `--`): `--pages N` (default 1000), `--rounds R` (default 3), `--keep
//! DIR` (copies the database after each cycle of the last round to `DIR/<cycle>/`, so two
//! builds' stored versions, alerts and outbox can be compared row for row). The
//! environment variable `REDLINE_BIN` runs another redline binary instead of this build's.

#[path = "common/corpus.rs"]
mod corpus;

use std::collections::HashMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cpu_time::ProcessTime;

/// Items per feed, as in the figures the issue quotes (50 feeds of 20).
const PER_FEED: usize = 20;
/// Share of pages edited in the third cycle, in percent.
const EDITED_PERCENT: usize = 5;

fn main() {
    if let Err(e) = run() {
        eprintln!("cycle bench: {e}");
        std::process::exit(1);
    }
}

/// The pages as served: the corpus page each repeats, and how often it was edited.
struct Site {
    pages: Vec<Arc<Vec<u8>>>,
    /// For each corpus page, a word of its article text and where it sits in the page.
    edits: Vec<Option<(usize, usize)>>,
    n: usize,
    generation: Vec<AtomicU32>,
    /// One address per repeat of the corpus (127.0.R.1), so that no host serves the same
    /// page twice: a site's template is learned from its other articles, and a host whose
    /// "other articles" were copies of this one would be no site at all.
    bases: Vec<String>,
}

impl Site {
    fn corpus_index(&self, j: usize) -> usize {
        j % self.pages.len()
    }

    /// Page `j` as it is now: the corpus page, with its edit applied once per generation.
    fn page(&self, j: usize) -> Vec<u8> {
        let c = self.corpus_index(j);
        let page = &self.pages[c];
        let generation = self.generation[j].load(Ordering::Relaxed);
        match self.edits[c] {
            Some((start, end)) if generation > 0 => {
                let mut out = Vec::with_capacity(page.len() + 16);
                out.extend_from_slice(&page[..start]);
                out.extend_from_slice(format!("revised{generation}").as_bytes());
                out.extend_from_slice(&page[end..]);
                out
            }
            _ => page.to_vec(),
        }
    }

    fn link(&self, j: usize) -> String {
        format!("{}/a/{j}", self.bases[j / self.pages.len()])
    }

    fn feed(&self, f: usize) -> String {
        let items: String = (f * PER_FEED..((f + 1) * PER_FEED).min(self.n))
            .map(|j| {
                format!(
                    "<item><title>Bench story {j}</title><link>{link}</link><guid>{link}</guid><description>Bench story number {j}.</description><pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate></item>",
                    link = self.link(j)
                )
            })
            .collect();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Bench feed {f}</title><link>{}/</link><description>bench</description>{items}</channel></rss>",
            self.bases[0]
        )
    }
}

/// Answers 304 when the request's `If-None-Match` is the current tag.
fn conditional(
    headers: &HeaderMap,
    etag: &str,
    modified: &str,
    body: Vec<u8>,
    ctype: &str,
) -> Response {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag.to_string()),
                (header::LAST_MODIFIED, modified.to_string()),
            ],
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [
            (header::ETAG, etag.to_string()),
            (header::LAST_MODIFIED, modified.to_string()),
            (header::CONTENT_TYPE, ctype.to_string()),
        ],
        body,
    )
        .into_response()
}

async fn serve_page(
    State(site): State<Arc<Site>>,
    UrlPath(j): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    if j >= site.n {
        return StatusCode::NOT_FOUND.into_response();
    }
    let generation = site.generation[j].load(Ordering::Relaxed);
    let etag = format!("\"{j}-{generation}\"");
    let modified = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(1_764_000_000 + u64::from(generation) * 3600),
    );
    conditional(&headers, &etag, &modified, site.page(j), "text/html")
}

async fn serve_feed(
    State(site): State<Arc<Site>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(f) = name
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    conditional(
        &headers,
        &format!("\"feed-{f}\""),
        "Mon, 30 Nov 2026 08:00:00 GMT",
        site.feed(f).into_bytes(),
        "application/rss+xml",
    )
}

/// For each corpus page, a word of its human-written article text (7+ letters) and its
/// first place in the page after `<body`, so that replacing it edits the story.
fn edit_points(
    dir: &Path,
    pages: &[(String, Vec<u8>)],
) -> Result<Vec<Option<(usize, usize)>>, String> {
    let truth: HashMap<String, serde_json::Value> = serde_json::from_slice(
        &std::fs::read(dir.join("ground-truth.json"))
            .map_err(|e| format!("ground-truth.json: {e}"))?,
    )
    .map_err(|e| format!("ground-truth.json: {e}"))?;
    Ok(pages
        .iter()
        .map(|(key, bytes)| {
            let body = truth.get(key)?.get("articleBody")?.as_str()?;
            let text = std::str::from_utf8(bytes).ok()?;
            let from = text.find("<body")?;
            body.split_whitespace()
                .filter(|w| w.len() >= 7 && w.chars().all(|c| c.is_ascii_alphabetic()))
                .find_map(|w| {
                    let at = text[from..].find(&format!(" {w} "))? + from + 1;
                    Some((at, at + w.len()))
                })
        })
        .collect())
}

/// One `redline poll --all` as a child process, measured by the kernel.
struct Run {
    cpu: f64,
    wall: f64,
    peak_rss_kb: i64,
    stages: Vec<(String, f64)>,
    versions: u64,
    alerts: u64,
    checked: u64,
}

fn poll(bin: &Path, config: &Path) -> Result<Run, String> {
    let out_path = config.with_extension("out.json");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let status = Command::new(bin)
        .args(["--config"])
        .arg(config)
        .args(["-q", "poll", "--all", "--json"])
        .stdout(out)
        .status()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let wall = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("redline poll exited with status {status}"));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_path).map_err(|e| e.to_string())?)
            .map_err(|e| format!("poll --json: {e}"))?;
    let stages = json["cpu_seconds"]["stages"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(0.0)))
                .collect()
        })
        .unwrap_or_default();
    let n = |k: &str| json["cycle"][k].as_u64().unwrap_or(0);
    Ok(Run {
        cpu: json["cpu_seconds"]["total"].as_f64().unwrap_or(0.0),
        wall,
        peak_rss_kb: json["cpu_seconds"]["peak_rss_kib"].as_i64().unwrap_or(0),
        stages,
        versions: n("versions"),
        alerts: n("alerts"),
        checked: n("articles_checked"),
    })
}

fn store_bytes(state: &Path) -> u64 {
    ["redline.db", "redline.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(state.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// Copies the database files of `state` (no process has it open) to `to`.
fn keep_state(state: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for f in ["redline.db", "redline.db-wal"] {
        let from = state.join(f);
        if from.exists() {
            std::fs::copy(&from, to.join(f)).map_err(|e| format!("{}: {e}", from.display()))?;
        }
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn arg(name: &str, default: usize) -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
        None => Ok(default),
    }
}

const CYCLES: [&str; 3] = ["cold", "unchanged", "edited"];

fn run() -> Result<(), String> {
    let n = arg("--pages", 1000)?;
    let rounds = arg("--rounds", 3)?.max(1);
    let keep = {
        let args: Vec<String> = std::env::args().collect();
        args.iter()
            .position(|a| a == "--keep")
            .map(|i| {
                args.get(i + 1)
                    .map(PathBuf::from)
                    .ok_or("--keep needs a directory")
            })
            .transpose()?
    };
    let shared = corpus::shared_dir().ok_or("no shared/corpus/aeb-dev beside the repository")?;
    let dir = shared.join("corpus/aeb-dev");
    let corpus_pages = corpus::load_pages(&dir.join("html"))?;
    let edits = edit_points(&dir, &corpus_pages)?;
    // `REDLINE_BIN` measures another build of redline against the same pages.
    let bin = std::env::var_os("REDLINE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_redline")),
        PathBuf::from,
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let repeats = n.div_ceil(corpus_pages.len()).max(1);
    let mut listeners = Vec::new();
    for r in 0..repeats {
        let ip = format!("127.0.{r}.1");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind((ip.as_str(), 0)))
            .map_err(|e| format!("{ip}: {e}"))?;
        listeners.push(listener);
    }
    let bases = listeners
        .iter()
        .map(|l| l.local_addr().map(|a: SocketAddr| format!("http://{a}")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let site = Arc::new(Site {
        pages: corpus_pages
            .iter()
            .map(|(_, b)| Arc::new(b.clone()))
            .collect(),
        edits,
        n,
        generation: (0..n).map(|_| AtomicU32::new(0)).collect(),
        bases,
    });
    let app = Router::new()
        .route("/a/{j}", get(serve_page))
        .route("/feed/{name}", get(serve_feed))
        .with_state(site.clone());
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let mut servers = tokio::task::JoinSet::new();
            for listener in listeners {
                servers.spawn(axum::serve(listener, app.clone()).into_future());
            }
            while servers.join_next().await.is_some() {}
        })
    });

    let feeds = n.div_ceil(PER_FEED);
    let edited: Vec<usize> = (0..n)
        .filter(|j| site.edits[site.corpus_index(*j)].is_some())
        .step_by(100 / EDITED_PERCENT)
        .collect();
    let bytes: usize = (0..n).map(|j| site.pages[site.corpus_index(j)].len()).sum();
    println!(
        "cycle bench: {n} pages ({} corpus pages repeated on {} local hosts, {:.1} MB), {feeds} RSS feeds of {PER_FEED}, ETag/Last-Modified, {} pages edited in the third cycle; {rounds} round(s), medians",
        site.pages.len(),
        site.bases.len(),
        bytes as f64 / 1e6,
        edited.len()
    );

    let mut runs: HashMap<&str, Vec<(Run, u64)>> = HashMap::new();
    for round in 0..rounds {
        for g in &site.generation {
            g.store(0, Ordering::Relaxed);
        }
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let state = tmp.path().join("state");
        let config = tmp.path().join("redline.toml");
        let feed_tables: String = (0..feeds)
            .map(|f| {
                format!(
                    "[[feed]]\nname = \"Bench {f}\"\nurl = \"{}/feed/{f}.xml\"\n\n",
                    site.bases[0]
                )
            })
            .collect();
        std::fs::write(
            &config,
            format!(
                "[state]\ndir = \"{}\"\n\n[http]\nallow_private = true\n\n{feed_tables}[[topic]]\nname = \"bench\"\nquery = 'bench'\n\n[email]\nto = [\"desk@example.org\"]\n",
                state.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        for cycle in CYCLES {
            if cycle == "edited" {
                for &j in &edited {
                    site.generation[j].fetch_add(1, Ordering::Relaxed);
                }
            }
            let r = poll(&bin, &config)?;
            eprintln!(
                "round {}: {cycle:<9} {:.2} CPU-s, {:.2} s wall, {} checked, {} versions, {} alerts",
                round + 1,
                r.cpu,
                r.wall,
                r.checked,
                r.versions,
                r.alerts
            );
            let size = store_bytes(&state);
            if let Some(keep) = keep.as_ref().filter(|_| round + 1 == rounds) {
                keep_state(&state, &keep.join(cycle))?;
            }
            runs.entry(cycle).or_default().push((r, size));
        }
    }

    println!("\ncycle      CPU-s   wall-s  peak RSS  store     checked versions alerts  CPU/page");
    let mut json = serde_json::Map::new();
    for cycle in CYCLES {
        let rs = &runs[cycle];
        let cpu = median(rs.iter().map(|(r, _)| r.cpu).collect());
        let wall = median(rs.iter().map(|(r, _)| r.wall).collect());
        let rss = median(rs.iter().map(|(r, _)| r.peak_rss_kb as f64).collect());
        let size = median(rs.iter().map(|(_, s)| *s as f64).collect());
        let (last, _) = &rs[rs.len() - 1];
        println!(
            "{cycle:<10} {cpu:>6.2}  {wall:>6.2}  {:>5.1} MB  {:>5.1} MB  {:>7} {:>8} {:>6}  {:.2} ms",
            rss / 1024.0,
            size / 1e6,
            last.checked,
            last.versions,
            last.alerts,
            cpu * 1000.0 / n as f64
        );
        json.insert(
            cycle.into(),
            serde_json::json!({ "cpu_s": cpu, "wall_s": wall, "peak_rss_mb": rss / 1024.0, "store_mb": size / 1e6 }),
        );
    }
    println!(
        "\nper-stage CPU-s (median)   decode  extract  diff    store   other (HTTP, feeds, runtime)"
    );
    let mut prepass = Vec::new();
    for cycle in CYCLES {
        let rs = &runs[cycle];
        let stage = |name: &str| {
            median(
                rs.iter()
                    .map(|(r, _)| {
                        r.stages
                            .iter()
                            .find(|(k, _)| k == name)
                            .map_or(0.0, |s| s.1)
                    })
                    .collect(),
            )
        };
        let (d, e, f, s) = (
            stage("decode"),
            stage("extract"),
            stage("diff"),
            stage("store"),
        );
        let total = median(rs.iter().map(|(r, _)| r.cpu).collect());
        println!(
            "  {cycle:<24} {d:>6.2}  {e:>7.2}  {f:>6.2}  {s:>6.2}  {:>6.2}",
            (total - d - e - f - s).max(0.0)
        );
        prepass.push((cycle, stage("prepass"), e));
    }
    // The pass over the markup before the parse is a part of extract.
    let shares: Vec<String> = prepass
        .iter()
        .filter(|(_, _, e)| *e > 0.0)
        .map(|(cycle, p, e)| format!("{cycle} {p:.2} CPU-s ({:.0} % of extract)", p / e * 100.0))
        .collect();
    println!(
        "pre-pass before the parse (part of extract): {}",
        if shares.is_empty() {
            "none".to_string()
        } else {
            shares.join(", ")
        }
    );

    // The one-parse limit: html5ever alone on the same pages, in this process.
    let mut per_pass = Vec::new();
    for _ in 0..5 {
        let t = ProcessTime::now();
        for (_, page) in &corpus_pages {
            let html = String::from_utf8_lossy(page);
            let doc = dom_query::Document::from(html.as_ref());
            std::hint::black_box(doc.root().id);
        }
        per_pass.push(t.elapsed().as_secs_f64() / corpus_pages.len() as f64);
    }
    let parse = median(per_pass);
    let cold = median(runs["cold"].iter().map(|(r, _)| r.cpu).collect());
    println!(
        "\none-parse limit: an html5ever parse of the same pages alone costs {:.2} ms a page = {:.2} CPU-s for {n} pages; the cold cycle is {:.1} parses' worth a page",
        parse * 1000.0,
        parse * n as f64,
        cold / (parse * n as f64)
    );
    json.insert("pages".into(), n.into());
    json.insert("parse_ms_per_page".into(), (parse * 1000.0).into());
    // Cargo's target directory, where `benches/urlwatch_cycle.py` looks: `CARGO_TARGET_DIR`
    // when set (a worktree building into a shared one has no `target/` of its own).
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let out = target.join("cycle-bench.json");
    std::fs::write(&out, serde_json::Value::Object(json).to_string())
        .map_err(|e| format!("{}: {e}", out.display()))?;
    println!("figures written to {}", out.display());
    Ok(())
}
