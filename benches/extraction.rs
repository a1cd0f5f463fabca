//! Extraction quality and speed over the shared corpus (`shared/corpus/aeb-dev`).
//!
//! `cargo bench --bench extraction` decompresses each page, decodes it with
//! [`redline::charset::decode`], extracts it, writes the bodies (paragraphs joined by
//! newlines, no headline) to `target/extraction-predictions.json`, and runs the shared
//! scorer over them. It then times decoding + extraction (parse included) over all pages
//! in CPU time, several runs, and prints the median as pages per CPU-second. It prints
//! figures and asserts nothing: timings depend on the machine.
//!
//! `cargo bench --bench extraction -- KEY` prints one page's extraction instead.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/score.rs"]
mod score;

use std::collections::BTreeMap;
use std::time::Duration;

use cpu_time::ProcessTime;
use redline::extract::{Options, extract};

/// Timed passes over the corpus; the median is reported.
const RUNS: usize = 5;

fn main() {
    if let Err(e) = run() {
        eprintln!("extraction bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let shared = corpus::shared_dir()
        .ok_or("shared/ not found beside the repository nor at /work/shared")?;
    let corpus = shared.join("corpus/aeb-dev");
    let pages = corpus::load_pages(&corpus.join("html"))?;
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let Some(key) = filter.first() {
        return show(&pages, key);
    }

    // Quality.
    let mut bodies = BTreeMap::new();
    let mut failures = Vec::new();
    for (key, bytes) in &pages {
        let (html, _) = redline::charset::decode(bytes, None);
        let body = match extract(&html, &Options::default()) {
            Ok(copy) => copy.paragraphs.join("\n"),
            Err(e) => {
                failures.push(format!("{}: {e}", &key[..16]));
                String::new()
            }
        };
        bodies.insert(key.clone(), body);
    }
    println!("extractor {}", redline::extract::EXTRACTOR);
    for f in &failures {
        println!("no extraction: {f}");
    }
    print!("{}", score::score(&shared, "extraction", &bodies, 10)?);

    // Speed: decoding and extraction, parse included, on this one thread.
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = ProcessTime::now();
        for (_, bytes) in &pages {
            let (html, _) = redline::charset::decode(bytes, None);
            let _ = std::hint::black_box(extract(&html, &Options::default()));
        }
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[RUNS / 2];
    let per_sec = pages.len() as f64 / median.as_secs_f64().max(1e-9);
    println!(
        "speed: {} pages in {:.1} ms CPU (median of {RUNS} runs; min {:.1}, max {:.1}) = {:.0} pages per CPU-second, {:.2} ms/page",
        pages.len(),
        ms(median),
        ms(times[0]),
        ms(times[RUNS - 1]),
        per_sec,
        ms(median) / pages.len() as f64,
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints the stored copy of the page(s) whose key starts with `prefix`.
fn show(pages: &[(String, Vec<u8>)], prefix: &str) -> Result<(), String> {
    for (key, bytes) in pages.iter().filter(|(k, _)| k.starts_with(prefix)) {
        let (html, enc) = redline::charset::decode(bytes, None);
        println!("== {key} ({})", enc.name());
        match extract(&html, &Options::default()) {
            Ok(copy) => print!("{copy}"),
            Err(e) => println!("error: {e}"),
        }
    }
    Ok(())
}
