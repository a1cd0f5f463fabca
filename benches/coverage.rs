//! The coverage benchmark: does a "like this article" topic pick out the same story told
//! by other outlets, and nothing else?
//!
//! The labelled set is `tests/fixtures/coverage/`: three copies of one story (English,
//! Russian, Chinese, in `copies/`) and, in `set/`, rewrites of it as other outlets would
//! write it (`same-LANG-*`), stories with the same actors about other events
//! (`other-*`) and unrelated stories (`unrelated-*`). Each file is a stored copy; its
//! headline and first paragraph make the feed entry, the whole file is the page.
//!
//! Every entry is matched against three topics (one per copy) exactly as the watcher
//! does: the entries of the "feed" are counted into the background first, the entry is
//! scored, and an entry close to the line is decided on its page. A `same-LANG` entry
//! should match the `LANG` topic and no other; any other entry should match none. It
//! prints precision and recall at the default similarity and at a few others, the
//! misses and false matches, and the cost of matching one entry against one topic.

use std::path::Path;
use std::time::Instant;

use redline::topic::like::{
    self, Background, DEFAULT_SIMILARITY, EntryVerdict, Features, LikeCopy,
};

struct Item {
    name: String,
    /// The copy (language) it should match, if any.
    label: Option<String>,
    entry: String,
    page: String,
}

/// The copies, each with its language.
type Copies = Vec<(String, LikeCopy)>;

fn load(dir: &Path) -> Result<(Copies, Vec<Item>), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut copies = Vec::new();
    for lang in ["en", "ru", "zh"] {
        let path = dir.join("copies").join(format!("{lang}.txt"));
        copies.push((
            lang.to_string(),
            LikeCopy::new(&format!("{lang}.txt"), &read(&path)?),
        ));
    }
    let mut items = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("set"))
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for path in names {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let page = read(&path)?;
        let mut blocks = page.split("\n\n");
        let entry = format!(
            "{}\n\n{}",
            blocks.next().unwrap_or_default(),
            blocks.next().unwrap_or_default()
        );
        let label = name
            .strip_prefix("same-")
            .and_then(|rest| rest.split('-').next())
            .map(str::to_string);
        items.push(Item {
            name,
            label,
            entry,
            page,
        });
    }
    Ok((copies, items))
}

/// The topics (languages) an item matches at `similarity`, and whether a page was needed.
fn matches(
    item: &Item,
    copies: &[(String, LikeCopy)],
    bg: &Background,
    similarity: f64,
) -> (Vec<String>, bool) {
    let entry = Features::new(&item.entry);
    let mut out = Vec::new();
    let mut fetched = false;
    for (lang, copy) in copies {
        let one = std::slice::from_ref(copy);
        let Some(score) = like::score_entry(&entry, one, bg) else {
            continue;
        };
        let hit = match like::entry_verdict(score.similarity, similarity) {
            EntryVerdict::Match => true,
            EntryVerdict::No => false,
            EntryVerdict::Unsure => {
                fetched = true;
                like::score_page(&Features::new(&item.page), one, bg)
                    .is_some_and(|s| s.similarity >= similarity)
            }
        };
        if hit {
            out.push(lang.clone());
        }
    }
    (out, fetched)
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coverage");
    let (copies, items) = match load(&dir) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cannot load the labelled set: {e}");
            std::process::exit(1);
        }
    };
    let mut bg = Background::default();
    for (lang, copy) in &copies {
        bg.observe(&format!("copy:{lang}"), copy.features());
    }
    for item in &items {
        bg.observe(&item.name, &Features::new(&item.entry));
    }
    let same = items.iter().filter(|i| i.label.is_some()).count();
    println!(
        "labelled set: {} entries ({same} rewrites of the story, {} other stories), {} copies",
        items.len(),
        items.len() - same,
        copies.len()
    );
    println!("\nsimilarity  precision  recall  pages fetched");
    for sim in [0.2, 0.25, DEFAULT_SIMILARITY, 0.35, 0.4, 0.5] {
        let (mut tp, mut fp, mut fetched) = (0usize, 0usize, 0usize);
        let mut report = Vec::new();
        for item in &items {
            let (hits, f) = matches(item, &copies, &bg, sim);
            fetched += usize::from(f);
            for h in &hits {
                if item.label.as_deref() == Some(h.as_str()) {
                    tp += 1;
                } else {
                    fp += 1;
                    report.push(format!("  false match: {} ~ {h}", item.name));
                }
            }
            if let Some(l) = &item.label
                && !hits.contains(l)
            {
                report.push(format!("  missed: {}", item.name));
            }
        }
        let precision = if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        let recall = tp as f64 / same.max(1) as f64;
        let mark = if (sim - DEFAULT_SIMILARITY).abs() < 1e-9 {
            "  (default)"
        } else {
            ""
        };
        println!("{sim:<10.2}  {precision:<9.3}  {recall:<6.3}  {fetched}{mark}");
        if (sim - DEFAULT_SIMILARITY).abs() < 1e-9 {
            for line in &report {
                println!("{line}");
            }
        }
    }

    println!("\nscores (entry against its best copy; page score where the entry was unsure):");
    for item in &items {
        let entry = Features::new(&item.entry);
        let all: Vec<LikeCopy> = copies.iter().map(|(_, c)| c.clone()).collect();
        if let Some(s) = like::score_entry(&entry, &all, &bg) {
            let page = like::score_page(&Features::new(&item.page), &all, &bg)
                .map_or(0.0, |p| p.similarity);
            println!(
                "  {:<16} entry {:.3}  page {:.3}  ({})",
                item.name, s.similarity, page, copies[s.copy].0
            );
        }
    }

    // Cost: an entry's features plus its score against one topic's copies, as the
    // watcher does for every entry of every feed.
    let rounds = 200;
    let start = Instant::now();
    let mut sink = 0.0;
    for _ in 0..rounds {
        for item in &items {
            let entry = Features::new(&item.entry);
            for (_, copy) in &copies {
                if let Some(s) = like::score_entry(&entry, std::slice::from_ref(copy), &bg) {
                    sink += s.similarity;
                }
            }
        }
    }
    let per_entry_all = start.elapsed().as_secs_f64() * 1e6 / (rounds * items.len()) as f64;
    let start = Instant::now();
    for _ in 0..rounds {
        for item in &items {
            let entry = Features::new(&item.entry);
            if let Some(s) = like::score_entry(&entry, std::slice::from_ref(&copies[0].1), &bg) {
                sink += s.similarity;
            }
        }
    }
    let per_entry_one = start.elapsed().as_secs_f64() * 1e6 / (rounds * items.len()) as f64;
    println!(
        "\ncost: {per_entry_one:.1} µs per entry against one topic (features + score), \
         {per_entry_all:.1} µs against all {} topics ({} entries × {rounds} rounds; checksum {sink:.0})",
        copies.len(),
        items.len()
    );
}
