//! The churn benchmark: does redline alert on every edit, and on nothing else?
//!
//! From each of the 90 corpus pages (`shared/corpus/aeb-dev`) it builds variants by
//! editing the page's DOM, deterministically (seeded by the page key):
//!
//! - furniture-only variants ([`furniture`]): furniture is defined by the corpus ground
//!   truth (the human-written article text), not by the extractor: every visible text
//!   outside it may change — dates moved forward, counters incremented, words of
//!   captions, credits, bylines, bios, navigation and lists replaced, boxes of other
//!   stories planted inside and beside the story — and is checked to leave every
//!   ground-truth line intact;
//! - edit variants ([`edits`]): one word, one figure, one punctuation mark, a sentence
//!   appended, a paragraph inserted (with and without its neighbours' markup), removed or
//!   moved.
//!
//! Each variant and its baseline are extracted alike and judged by
//! [`redline::watch::decide`], the function the watcher decides by, with the baseline as
//! the latest stored version: a [`Decision::Changed`] is an alert. An edit must alert,
//! its diff must show the edit, and its labels should name the edit's kind (each kind
//! expects the label product.md's "Change labels" gives it, see [`edits::expected`]); a
//! furniture change must not alert. It prints figures per kind, label accuracy per edit
//! kind, every furniture alert with the diff that leaked, the first failures of each edit
//! kind, the extraction F1 of the baseline pages (the shared scorer) and the extraction
//! speed over every extraction made, in pages per CPU-second. It asserts nothing.
//!
//! `cargo bench --bench churn -- KEY` runs only the pages whose key starts with `KEY`
//! and lists every failure.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "churn/edits.rs"]
mod edits;
#[path = "churn/furniture.rs"]
mod furniture;
#[path = "churn/page.rs"]
mod page;
#[path = "common/score.rs"]
mod score;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use cpu_time::ProcessTime;

use dom_query::Document;
use redline::diff::{self, Labels, render};
use redline::extract::{EXTRACTOR, Options, extract_page};
use redline::store::VersionRow;
use redline::text::{Copy, Place, Provenance};
use redline::watch::{Check, Decision, decide};

use page::{Rng, Truth};

/// The labels an edit of `kind` may expect, for the listing: a word's depends on whether
/// it sat inside quotation marks.
fn expected_names(kind: &str) -> String {
    let (plain, quoted) = (edits::expected(kind, false), edits::expected(kind, true));
    if plain == quoted {
        plain.as_str().to_string()
    } else {
        format!("{}/{}", plain.as_str(), quoted.as_str())
    }
}

/// Failures listed per kind.
const SHOW_FAILURES: usize = 3;

fn main() {
    if let Err(e) = run() {
        eprintln!("churn bench: {e}");
        std::process::exit(1);
    }
}

/// The fate of the variants of one kind.
#[derive(Debug, Default)]
struct Tally {
    total: usize,
    alerted: usize,
    /// Edit variants only: alerted and the diff shows the edit.
    shown: usize,
    /// Edit variants only: missed because the edited paragraph was not in the old copy.
    recall_misses: usize,
    /// Pages that offered no place for this kind.
    skipped: usize,
    /// Furniture variants that changed ground-truth text (a generator bug; not counted).
    dishonest: usize,
    /// Edit variants only: alerted with the label the kind expects among its labels.
    label_has: usize,
    /// Edit variants only: alerted with exactly the label the kind expects.
    label_exact: usize,
    /// Edit variants only: how often each set of labels was given.
    label_sets: BTreeMap<String, usize>,
    /// Alerted (edits: and shown) when the decision does not know where the paragraphs
    /// sat: the figure without [`Place`]s, to measure them by.
    alerted_off: usize,
    shown_off: usize,
    /// Pages (short keys) this kind alerted on, in order.
    pages: Vec<String>,
    failures: Vec<String>,
}

/// Extraction, timed in CPU time.
#[derive(Debug, Default)]
struct Extractor {
    pages: usize,
    cpu: Duration,
}

impl Extractor {
    /// The page's copy, and where each of its paragraphs sat (as the watcher stores them).
    fn extract(&mut self, html: &str) -> Page {
        let start = ProcessTime::now();
        let page = extract_page(html, &Options::default())
            .map(|p| Page {
                copy: p.copy,
                places: p.provenance.places,
            })
            .unwrap_or_default();
        self.cpu += start.elapsed();
        self.pages += 1;
        page
    }
}

/// One extraction as the watcher keeps it.
#[derive(Debug, Default, Clone)]
struct Page {
    copy: Copy,
    places: Vec<Place>,
}

fn run() -> Result<(), String> {
    let shared = corpus::shared_dir()
        .ok_or("shared/ not found beside the repository nor at /work/shared")?;
    let corpus = shared.join("corpus/aeb-dev");
    let pages = corpus::load_pages(&corpus.join("html"))?;
    let truth_path = corpus.join("ground-truth.json");
    let truth_json = std::fs::read_to_string(&truth_path)
        .map_err(|e| format!("{}: {e}", truth_path.display()))?;
    let truth: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&truth_json).map_err(|e| format!("ground-truth.json: {e}"))?;
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let show_failures = if filter.is_some() {
        usize::MAX
    } else {
        SHOW_FAILURES
    };

    let mut ex = Extractor::default();
    let mut furniture_tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut edit_tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut no_extraction = Vec::new();
    let mut bodies = BTreeMap::new();
    let mut pages_run = 0;
    let mut leaky_pages = std::collections::BTreeSet::new();
    for (key, bytes) in &pages {
        if filter
            .as_ref()
            .is_some_and(|f| !key.starts_with(f.as_str()))
        {
            continue;
        }
        pages_run += 1;
        let body = truth
            .get(key)
            .and_then(|t| t["articleBody"].as_str())
            .ok_or_else(|| format!("{key}: not in ground-truth.json"))?;
        let truth = Truth::new(body);
        let (html, _) = redline::charset::decode(bytes, None);
        let base = Document::from(html.as_str());
        let base_visible = page::visible_text(&base);
        let base_page = ex.extract(&base.html());
        let base_copy = &base_page.copy;
        bodies.insert(key.clone(), base_copy.paragraphs.join("\n"));
        if base_copy.is_empty() {
            no_extraction.push(key[..16].to_string());
            continue;
        }
        let short = &key[..12];

        for &kind in furniture::KINDS {
            let tally = furniture_tally.entry(kind).or_default();
            let (old_doc, new_doc) = (Document::from(html.as_str()), Document::from(html.as_str()));
            let old_desc =
                furniture::apply(kind, &old_doc, &truth, &mut Rng::new(key, kind), false);
            let new_desc = furniture::apply(kind, &new_doc, &truth, &mut Rng::new(key, kind), true);
            let (Some(_), Some(desc)) = (old_desc, new_desc) else {
                tally.skipped += 1;
                continue;
            };
            let honest = [&old_doc, &new_doc]
                .iter()
                .all(|d| page::truth_intact(&truth, &base_visible, &page::visible_text(d)));
            if !honest {
                tally.dishonest += 1;
                continue;
            }
            tally.total += 1;
            let old = ex.extract(&old_doc.html());
            let new = ex.extract(&new_doc.html());
            tally.alerted_off +=
                usize::from(matches!(judge(&old, &new, false), Decision::Changed { .. }));
            if matches!(judge(&old, &new, true), Decision::Changed { .. }) {
                tally.alerted += 1;
                tally.pages.push(short.to_string());
                leaky_pages.insert(short.to_string());
                dump(&format!("{short}-{kind}"), &old_doc.html(), &new_doc.html());
                tally.failures.push(format!(
                    "{short} {}\n    places: {} → {}\n{}",
                    cut(&desc, 300),
                    Place::encode(&old.places),
                    Place::encode(&new.places),
                    changes(&old.copy, &new.copy)
                ));
            }
        }

        for &kind in edits::KINDS {
            let tally = edit_tally.entry(kind).or_default();
            let doc = Document::from(html.as_str());
            let Some(edit) = edits::apply(kind, &doc, &truth, &mut Rng::new(key, kind)) else {
                tally.skipped += 1;
                continue;
            };
            tally.total += 1;
            let new = ex.extract(&doc.html());
            let off = judge(&base_page, &new, false);
            let alerted_off = matches!(off, Decision::Changed { .. });
            tally.alerted_off += usize::from(alerted_off);
            tally.shown_off +=
                usize::from(alerted_off && off.diff().is_some_and(|d| edits::shows(d, &edit)));
            let verdict = judge(&base_page, &new, true);
            let alerted = matches!(verdict, Decision::Changed { .. });
            let shown = alerted && verdict.diff().is_some_and(|d| edits::shows(d, &edit));
            tally.alerted += usize::from(alerted);
            tally.shown += usize::from(shown);
            if let Decision::Changed { labels, .. } = &verdict {
                let expected = edits::expected(kind, edit.quoted);
                tally.label_has += usize::from(labels.contains(expected));
                tally.label_exact +=
                    usize::from(labels.contains(expected) && labels.iter().count() == 1);
                *tally.label_sets.entry(label_names(labels)).or_default() += 1;
                if shown && !labels.contains(expected) && tally.failures.len() < show_failures {
                    tally.failures.push(format!(
                        "{short} {} [labelled {} where {} was expected]",
                        cut(&edit.desc, 300),
                        label_names(labels),
                        expected.as_str()
                    ));
                }
            }
            if !shown {
                tally.pages.push(short.to_string());
                dump(&format!("{short}-{kind}"), &base.html(), &doc.html());
                let recall_miss = !base_copy.paragraphs.join(" ").contains(&edit.para);
                tally.recall_misses += usize::from(recall_miss);
                if tally.failures.len() < show_failures {
                    let why = match (recall_miss, alerted) {
                        (true, _) => {
                            &format!("recall miss: not in the old copy: {}", cut(&edit.para, 120))
                        }
                        (false, false) => &format!("no alert: {}", decision_name(&verdict)),
                        (false, true) => "alert, but the diff does not show the edit",
                    };
                    tally.failures.push(format!(
                        "{short} {} [{why}]\n{}",
                        cut(&edit.desc, 300),
                        changes(base_copy, &new.copy)
                    ));
                }
            }
        }
    }

    println!("extractor {}", redline::extract::EXTRACTOR);
    for k in &no_extraction {
        println!("no extraction of the original page: {k}");
    }
    println!(
        "\nedit variants (pages alerted / total; diff shows the edit; recall misses; pages skipped; \
         alerted and shown without the paragraphs' places)"
    );
    let (mut e_total, mut e_alerted, mut e_shown) = (0, 0, 0);
    let mut e_off = (0, 0);
    for (kind, t) in &edit_tally {
        println!(
            "  {kind:<17} {:>3}/{:<3}  shown {:>3}  recall misses {:>2}  skipped {:>2}  places off {:>3}/{:<3}",
            t.alerted, t.total, t.shown, t.recall_misses, t.skipped, t.alerted_off, t.shown_off
        );
        e_total += t.total;
        e_alerted += t.alerted;
        e_shown += t.shown;
        e_off.0 += t.alerted_off;
        e_off.1 += t.shown_off;
    }
    println!(
        "\nlabel accuracy per edit kind (alerted variants whose labels include the expected one; \
         exactly that one; the label sets given)"
    );
    let (mut l_has, mut l_alerted) = (0, 0);
    for (kind, t) in &edit_tally {
        let sets: Vec<String> = t
            .label_sets
            .iter()
            .map(|(k, n)| format!("{k}×{n}"))
            .collect();
        println!(
            "  {kind:<17} expects {:<12} {:>3}/{:<3} ({:>5.1} %)  exactly {:>3}  [{}]",
            expected_names(kind),
            t.label_has,
            t.alerted,
            100.0 * t.label_has as f64 / t.alerted.max(1) as f64,
            t.label_exact,
            sets.join(" ")
        );
        l_has += t.label_has;
        l_alerted += t.alerted;
    }
    println!(
        "\nfurniture-only variants (pages alerted / total; pages skipped; dishonest, excluded; \
         alerted without the paragraphs' places; pages alerted)"
    );
    let (mut f_total, mut f_alerted, mut f_off) = (0, 0, 0);
    for (kind, t) in &furniture_tally {
        println!(
            "  {kind:<17} {:>3}/{:<3}  skipped {:>2}  dishonest {:>2}  places off {:>3}  {}",
            t.alerted,
            t.total,
            t.skipped,
            t.dishonest,
            t.alerted_off,
            t.pages.join(" ")
        );
        f_total += t.total;
        f_alerted += t.alerted;
        f_off += t.alerted_off;
    }
    println!();
    println!("edit variants alerted: {e_alerted} of {e_total} (diff shows the edit in {e_shown})");
    println!(
        "paragraph places off: furniture-only variants alerted {f_off} of {f_total}; edits alerted {} (shown {})",
        e_off.0, e_off.1
    );
    println!(
        "labels: the expected label among the labels in {l_has} of {l_alerted} alerted edits ({:.1} %)",
        100.0 * l_has as f64 / l_alerted.max(1) as f64
    );
    println!(
        "furniture-only variants alerted: {f_alerted} of {f_total} ({:.2} %); pages with a furniture-only alert: {} of {pages_run} ({:.2} %)",
        100.0 * f_alerted as f64 / f_total.max(1) as f64,
        leaky_pages.len(),
        100.0 * leaky_pages.len() as f64 / pages_run.max(1) as f64
    );
    if filter.is_none() {
        let scored = score::score(&shared, "churn", &bodies, 0)?;
        println!("extraction (baseline pages): {}", scored.trim());
    }
    println!(
        "speed: {} extractions in {:.1} s CPU = {:.0} pages per CPU-second",
        ex.pages,
        ex.cpu.as_secs_f64(),
        ex.pages as f64 / ex.cpu.as_secs_f64().max(1e-9)
    );
    for (label, tallies) in [("furniture", &furniture_tally), ("edit", &edit_tally)] {
        for (kind, t) in tallies {
            for f in &t.failures {
                println!("\n-- {label} {kind}: {f}");
            }
        }
    }
    Ok(())
}

/// Decides `new` against `old` as the watcher does when `old` is the latest stored version
/// (no earlier versions, no `ignore` patterns); with `places` false, as if the places of
/// the paragraphs were not known (the decision on the copies alone).
fn judge(old: &Page, new: &Page, places: bool) -> Decision {
    let known = |p: &Page| if places { p.places.clone() } else { Vec::new() };
    let latest = VersionRow {
        number: 1,
        time: chrono::DateTime::default(),
        copy: old.copy.clone(),
        extractor: EXTRACTOR.to_string(),
        words_added: 0,
        words_removed: 0,
        note: None,
        labels: Labels::new(),
        diff: None,
        provenance: Provenance {
            places: known(old),
            ..Default::default()
        },
    };
    let new_places = known(new);
    decide(&Check {
        latest: Some(&latest),
        recent: &[],
        new: &new.copy,
        new_places: &new_places,
        ignore: &[],
        extractor: EXTRACTOR,
    })
}

fn decision_name(d: &Decision) -> String {
    match d {
        Decision::Suspect { old_len, new_len } => format!("suspect (shrink {old_len} → {new_len})"),
        Decision::Changed { .. } => "changed".to_string(),
        other => format!("{other:?}")
            .split([' ', '{'])
            .next()
            .unwrap_or("")
            .to_lowercase(),
    }
}

fn label_names(labels: &Labels) -> String {
    let names: Vec<&str> = labels.iter().map(|l| l.as_str()).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join("+")
    }
}

/// With `CHURN_DUMP=DIR`, writes the two versions of a failing variant there.
fn dump(name: &str, old: &str, new: &str) {
    if let Some(dir) = std::env::var_os("CHURN_DUMP") {
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.old.html")), old);
        let _ = std::fs::write(dir.join(format!("{name}.new.html")), new);
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The changed lines of the word diff, shortened.
fn changes(old: &Copy, new: &Copy) -> String {
    let d = diff::diff(old, new);
    let text = render::word(&d, &render::RenderOptions { context: 0 });
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != "…")
        .take(4)
        .map(|l| format!("    {}", cut(l, 240)))
        .collect();
    if lines.is_empty() {
        "    (no difference in the copies)".to_string()
    } else {
        lines.join("\n")
    }
}
