//! What `[archive] raw = true` costs: stored bytes per version of the corpus pages.
//!
//! `cargo bench --bench raw` takes each of the 90 pages of the shared corpus
//! (`shared/corpus/aeb-dev`, read in place) as an article's first version, then makes
//! nine more versions of it that change only furniture — a ticker, a view counter, a
//! "most read" list, an ad slot, the "updated" stamp — and records all ten through the
//! store (an in-memory SQLite) exactly as a check does. It prints the bytes stored per
//! version against the page's size and against compressing each page on its own, and the
//! time spent recording. It prints figures and asserts nothing.

#[path = "common/corpus.rs"]
mod corpus;

use std::time::Instant;

use chrono::Utc;
use redline::archive::{RawPage, pack};
use redline::store::{CheckUpdate, NewArticle, NewVersion, Store};
use redline::text::{Copy, Provenance};

/// Versions per page: the first, then furniture-only changes.
const VERSIONS: usize = 10;

fn main() {
    if let Err(e) = run() {
        eprintln!("raw bench: {e}");
        std::process::exit(1);
    }
}

/// The page with version `n`'s furniture: new ticker, counter, list, ad and stamp.
fn furnish(page: &[u8], n: usize) -> Vec<u8> {
    let most_read: String = (0..5)
        .map(|i| {
            let k = (n * 3 + i) % 17;
            format!(
                "<li><a href=\"/news/story-{k}\">Most read story number {k} of the day</a></li>"
            )
        })
        .collect();
    let top = format!(
        "<div class=\"ticker\">Markets {:02}:{:02} FTSE {} ▲{}</div><div class=\"ad\" data-slot=\"{:x}\"></div>",
        9 + n,
        (n * 7) % 60,
        7000 + n * 13,
        n,
        n * 7919
    );
    let bottom = format!(
        "<aside class=\"most-read\"><ol>{most_read}</ol></aside><span class=\"views\">{} views</span><p class=\"updated\">Updated {} minutes ago</p>",
        1000 + n * 37,
        n * 5 + 1
    );
    let text = String::from_utf8_lossy(page);
    let open = text
        .find("<body")
        .and_then(|i| text[i..].find('>').map(|j| i + j + 1));
    let close = text.rfind("</body>");
    match (open, close) {
        (Some(o), Some(c)) if o <= c => {
            format!("{}{top}{}{bottom}{}", &text[..o], &text[o..c], &text[c..]).into_bytes()
        }
        _ => format!("{top}{text}{bottom}").into_bytes(),
    }
}

fn run() -> Result<(), String> {
    let shared = corpus::shared_dir()
        .ok_or("shared/ not found beside the repository nor at /work/shared")?;
    let pages = corpus::load_pages(&shared.join("corpus/aeb-dev/html"))?;
    let mut store = Store::open_in_memory().map_err(|e| e.to_string())?;
    let (mut raw_total, mut first_stored, mut later_stored, mut later_raw, mut alone) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut elapsed = std::time::Duration::ZERO;
    for (key, page) in &pages {
        let now = Utc::now();
        let (id, _) = store
            .upsert_article(&NewArticle {
                key: key.clone(),
                url: format!("https://corpus.example/{key}"),
                title: String::new(),
                feed_id: None,
                topics: Vec::new(),
                now,
            })
            .map_err(|e| e.to_string())?;
        for n in 0..VERSIONS {
            let body = furnish(page, n);
            raw_total += body.len();
            if n > 0 {
                later_raw += body.len();
                alone += pack::compress(&body, None)
                    .map_err(|e| e.to_string())?
                    .len();
            }
            let u = CheckUpdate {
                based_on: (n > 0).then_some(n as i64),
                version: Some(NewVersion {
                    // A distinct text per version, so each check records one.
                    copy: Copy::new("Headline", [format!("version {n}")]),
                    extractor: "bench".into(),
                    words_added: 0,
                    words_removed: 0,
                    note: None,
                    labels: Default::default(),
                    diff: None,
                    provenance: Provenance::default(),
                }),
                raw: Some(RawPage {
                    url: format!("https://corpus.example/{key}"),
                    status: 200,
                    headers: vec![("content-type".into(), "text/html".into())],
                    body,
                    fetched_at: now,
                }),
                ..CheckUpdate::new(id, now)
            };
            let t = Instant::now();
            store.record_check(&u).map_err(|e| e.to_string())?;
            elapsed += t.elapsed();
        }
        let rows = store.raw_pages(id).map_err(|e| e.to_string())?;
        first_stored += rows[0].stored as usize;
        later_stored += rows[1..].iter().map(|r| r.stored as usize).sum::<usize>();
        // Every kept page reads back as it was recorded.
        let last = store
            .raw_page(id, VERSIONS as i64)
            .map_err(|e| e.to_string())?
            .and_then(|(_, p)| p)
            .ok_or("a kept page did not read back")?;
        if last.body != furnish(page, VERSIONS - 1) {
            return Err(format!("{key}: the last page read back differently"));
        }
    }
    let n_pages = pages.len();
    let later = n_pages * (VERSIONS - 1);
    println!(
        "pages {n_pages}, {VERSIONS} versions each (the page, then {} furniture-only changes); zstd level {}, chains of up to {}",
        VERSIONS - 1,
        pack::LEVEL,
        pack::CHAIN_MAX
    );
    println!(
        "page as received: {} bytes per version (mean)",
        raw_total / (n_pages * VERSIONS)
    );
    println!(
        "first version stored: {} bytes (mean, compressed on its own)",
        first_stored / n_pages
    );
    println!(
        "furniture-only version stored: {} bytes (mean; {:.2} % of the page; {} bytes if compressed on its own)",
        later_stored / later,
        100.0 * later_stored as f64 / later_raw as f64,
        alone / later
    );
    println!(
        "recording: {:.2} ms per version (compress + SQLite insert, wall time)",
        elapsed.as_secs_f64() * 1000.0 / (n_pages * VERSIONS) as f64
    );
    Ok(())
}
