//! "Like this article" topics: does an entry tell the same story as a stored copy?
//!
//! Two texts about the same story share what identifies it: the people and places named
//! (capitalised words), the figures, the words put in quotation marks, and the rarer
//! terms and two-word phrases. Two texts about *other* events with the same actors share
//! only the actors, and those are common. So each text becomes a set of weighted
//! features, and the score is weighted containment (the weighted Jaccard family used for
//! near-duplicate detection):
//!
//! - **features**: folded words (stop words dropped), two-word shingles of consecutive
//!   content words, and, in scripts written without spaces (Chinese, Japanese …),
//!   character bigrams of each run. Tokenising and folding are the topic module's own
//!   (`fold.rs`), so case, accents and punctuation never matter.
//! - **weights**: a class weight ([`Class`]: a name counts 1.5, a figure 2, a word or
//!   phrase in quotation marks 1.5, anything else 1) times the inverse document
//!   frequency of the feature over the entries seen so far ([`Background`]): a feature in
//!   every entry (the week's main actors) weighs 1, one seen once weighs up to
//!   `1 + ln(n + 1)`.
//! - **score**: `max(C(a⊂b), C(b⊂a))` where `C(a⊂b)` is the weight of `a`'s features
//!   found in `b` over the weight of all of `a`'s. A feed entry (title and summary) is
//!   short, so it is scored by how much of it the copy holds; a fetched page is scored
//!   both ways, so that a short wire version and a long analysis both match.
//!
//! A copy's features are computed once per config load ([`LikeCopy::new`]); scoring an
//! entry is one pass over its tokens plus a binary search per feature.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use crate::text::Copy;

mod features;
#[cfg(test)]
mod tests;

use features::{extract, hash};

/// What a feature is; decides its weight and how `--explain` groups it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Words inside quotation marks.
    Quote,
    /// Tokens holding a digit.
    Figure,
    /// Capitalised words not at the start of a sentence.
    Name,
    /// Any other content word, shingle or character bigram.
    Term,
}

impl Class {
    fn weight(self) -> f64 {
        match self {
            Class::Figure => 2.0,
            Class::Quote | Class::Name => 1.5,
            Class::Term => 1.0,
        }
    }
}

/// One feature of a text: a hash of its folded form, and its strongest class.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Feature {
    id: u64,
    class: Class,
}

/// A text's features, sorted by id, each once; with their readable forms when asked.
#[derive(Debug, Clone, Default)]
pub struct Features {
    items: Vec<Feature>,
    /// The folded text of each item (same order), kept only for `--explain`.
    labels: Vec<String>,
}

impl Features {
    /// The features of plain text (a headline and paragraphs joined by blank lines).
    pub fn new(text: &str) -> Features {
        extract(text, false)
    }

    /// The same, keeping each feature's text for explanations.
    pub fn explained(text: &str) -> Features {
        extract(text, true)
    }

    /// How many distinct features the text has.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the text has no features at all (empty, or only stop words).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn class_of(&self, id: u64) -> Option<Class> {
        self.items
            .binary_search_by_key(&id, |f| f.id)
            .ok()
            .map(|i| self.items[i].class)
    }
}

/// Document frequencies of features over the entries seen so far, for the IDF part of
/// the weights. Each entry counts once, however often it is seen again in later polls.
#[derive(Debug, Clone, Default)]
pub struct Background {
    docs: u32,
    df: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    seen: HashSet<u64, BuildHasherDefault<Prehashed>>,
}

/// Feature ids are hashes already: the maps keyed by them use them as they are.
#[derive(Debug, Clone, Copy, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `u64` keys; fold anything else in for safety.
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Past this many documents the counts are halved, so the background follows the news
/// of the last days rather than growing without end.
const BACKGROUND_MAX_DOCS: u32 = 20_000;

impl Background {
    /// Counts one document, unless a document with the same `key` was counted before.
    pub fn observe(&mut self, key: &str, features: &Features) {
        if !self.seen.insert(hash(key.as_bytes())) {
            return;
        }
        self.docs += 1;
        for f in &features.items {
            *self.df.entry(f.id).or_insert(0) += 1;
        }
        if self.docs > BACKGROUND_MAX_DOCS {
            self.docs /= 2;
            self.df.retain(|_, n| {
                *n /= 2;
                *n > 0
            });
            self.seen.clear();
        }
    }

    /// How many documents were counted.
    pub fn docs(&self) -> u32 {
        self.docs
    }

    /// The inverse document frequency of a feature: 1 for one in every document (or when
    /// nothing was counted yet), up to `1 + ln(docs + 1)` for one never seen.
    fn idf(&self, id: u64) -> f64 {
        let df = self.df.get(&id).copied().unwrap_or(0).min(self.docs);
        1.0 + ((f64::from(self.docs) + 1.0) / (f64::from(df) + 1.0)).ln()
    }

    fn weight(&self, f: &Feature) -> f64 {
        f.class.weight() * self.idf(f.id)
    }
}

/// A stored copy a topic is defined by, with its features computed once.
#[derive(Debug, Clone)]
pub struct LikeCopy {
    /// The path as written in the config, to name it in listings and alerts.
    pub name: String,
    /// The copy's text (headline, blank line, paragraphs).
    pub text: String,
    features: Features,
}

impl LikeCopy {
    /// Prepares a copy for matching.
    pub fn new(name: &str, text: &str) -> LikeCopy {
        LikeCopy {
            name: name.to_string(),
            text: text.to_string(),
            features: Features::explained(text),
        }
    }

    /// The copy's features (for counting them into a [`Background`]).
    pub fn features(&self) -> &Features {
        &self.features
    }
}

/// A topic defined by stored copies, ready to match.
#[derive(Debug, Clone)]
pub struct LikeTopic {
    pub name: String,
    /// 0–1: how close an entry must be to one of the copies.
    pub similarity: f64,
    pub copies: Vec<LikeCopy>,
}

/// The largest stored copy a `like` topic reads.
const MAX_COPY_BYTES: u64 = 4 << 20;

/// Reads a stored copy named in the config (`file` relative to `dir`, the config file's
/// directory). The error says what is wrong with it, for the config error.
pub fn load_copy(dir: &Path, file: &str) -> Result<LikeCopy, String> {
    use std::io::Read;
    let path = dir.join(file);
    let cannot = |e: &dyn std::fmt::Display| {
        format!(
            "cannot read the stored copy {} ({e}); paths are relative to the config file",
            path.display()
        )
    };
    // Only a regular file, and only so much of it: a device or a pipe named by mistake
    // must not hang or swamp the config load.
    let meta = std::fs::metadata(&path).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&"not a regular file"));
    }
    let mut text = String::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_COPY_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| cannot(&e))?;
    if text.len() as u64 > MAX_COPY_BYTES {
        return Err(format!(
            "the stored copy {} is larger than {} MiB; a copy is one article's text",
            path.display(),
            MAX_COPY_BYTES >> 20
        ));
    }
    let copy = Copy::parse(&text);
    if copy.is_empty() {
        return Err(format!(
            "the stored copy {} is empty: save the article's text in it (headline, blank line, paragraphs)",
            path.display()
        ));
    }
    let text = copy.to_string();
    let copy = LikeCopy::new(file, &text);
    if copy.features.is_empty() {
        return Err(format!(
            "the stored copy {} has no words to match on",
            path.display()
        ));
    }
    Ok(copy)
}

/// How one text compares with the best of a topic's copies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// 0–1.
    pub similarity: f64,
    /// Index of the copy in the topic's list.
    pub copy: usize,
}

/// `C(a⊂b)`: the weight of `a`'s features that `b` holds, over the weight of all of `a`'s.
fn containment(a: &Features, b: &Features, bg: &Background) -> f64 {
    let mut total = 0.0;
    let mut shared = 0.0;
    for f in &a.items {
        let w = bg.weight(f);
        total += w;
        if b.class_of(f.id).is_some() {
            shared += w;
        }
    }
    if total > 0.0 { shared / total } else { 0.0 }
}

/// How much two short texts (sentences, quotations) share, by the Dice coefficient over
/// their features with class weights only: 1 for the same words, 0 for none in common.
pub fn overlap(a: &Features, b: &Features) -> f64 {
    let total = |f: &Features| f.items.iter().map(|i| i.class.weight()).sum::<f64>();
    let shared: f64 = a
        .items
        .iter()
        .filter(|i| b.class_of(i.id).is_some())
        .map(|i| i.class.weight())
        .sum();
    let all = total(a) + total(b);
    if all > 0.0 { 2.0 * shared / all } else { 0.0 }
}

/// Scores a feed entry (title, summary and any content) against copies, both ways: a
/// short entry scores by how much of it a copy holds. `None` when there are no copies.
pub fn score_entry(entry: &Features, copies: &[LikeCopy], bg: &Background) -> Option<Score> {
    score_page(entry, copies, bg)
}

/// Scores a whole article against copies, both ways, so that a short wire version (mostly
/// inside the copy) and a long analysis (holding most of the copy) both score high.
pub fn score_page(page: &Features, copies: &[LikeCopy], bg: &Background) -> Option<Score> {
    best(copies, |c| {
        containment(page, &c.features, bg).max(containment(&c.features, page, bg))
    })
}

fn best(copies: &[LikeCopy], score: impl Fn(&LikeCopy) -> f64) -> Option<Score> {
    copies
        .iter()
        .enumerate()
        .map(|(i, c)| Score {
            similarity: score(c),
            copy: i,
        })
        .max_by(|a, b| a.similarity.total_cmp(&b.similarity))
}

/// The default `similarity` of a `like` topic.
pub const DEFAULT_SIMILARITY: f64 = 0.3;

/// Entry scores this close to `similarity` (either side) are "not sure": the page is
/// fetched and decides.
pub const UNSURE_BAND: f64 = 0.15;

/// What a feed entry's score says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EntryVerdict {
    /// Clearly the same story: track it.
    Match,
    /// Close to the line: fetch the page and score its text.
    Unsure,
    /// Clearly another story.
    No,
}

/// Reads an entry's score against a topic's `similarity`.
pub fn entry_verdict(score: f64, similarity: f64) -> EntryVerdict {
    if score >= similarity + UNSURE_BAND {
        EntryVerdict::Match
    } else if score >= similarity - UNSURE_BAND {
        EntryVerdict::Unsure
    } else {
        EntryVerdict::No
    }
}

/// What a text shares with a copy, by class, for `coverage --explain`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Shared {
    pub names: Vec<String>,
    pub figures: Vec<String>,
    pub quotes: Vec<String>,
    pub terms: Vec<String>,
}

/// The features of `text` (extracted with labels) that the copy holds, grouped by class
/// and heaviest first.
pub fn shared(text: &Features, copy: &LikeCopy, bg: &Background) -> Shared {
    let mut found: Vec<(f64, Class, &str)> = text
        .items
        .iter()
        .zip(&text.labels)
        .filter_map(|(f, label)| {
            let theirs = copy.features.class_of(f.id)?;
            // A word quoted in either text is a shared quote.
            let class = f.class.min(theirs);
            Some((
                bg.weight(&Feature { id: f.id, class }),
                class,
                label.as_str(),
            ))
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(b.2)));
    let mut out = Shared::default();
    for (_, class, label) in found {
        let list = match class {
            Class::Name => &mut out.names,
            Class::Figure => &mut out.figures,
            Class::Quote => &mut out.quotes,
            Class::Term => &mut out.terms,
        };
        list.push(label.to_string());
    }
    out
}
