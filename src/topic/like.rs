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

use super::fold::{self, Kind};
use crate::text::Copy;

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

/// Reads a stored copy named in the config (`file` relative to `dir`, the config file's
/// directory). The error says what is wrong with it, for the config error.
pub fn load_copy(dir: &Path, file: &str) -> Result<LikeCopy, String> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read the stored copy {} ({e}); paths are relative to the config file",
            path.display()
        )
    })?;
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
            Some((bg.weight(&Feature { id: f.id, class }), class, label.as_str()))
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

/// One token of the text, before features are made.
struct Tok<'a> {
    folded: String,
    kind: Kind,
    original: &'a str,
    sentence_start: bool,
    quoted: bool,
    /// A new sentence or clause begins before this token: no shingle spans the gap.
    break_before: bool,
    line: usize,
}

fn extract(text: &str, keep_labels: bool) -> Features {
    let toks = tokens(text);
    // A line written in Title Case (most headlines) says nothing about names by its
    // capitals: its words are names only when the rest of the text capitalises them too.
    let mut title_case_lines = HashSet::new();
    {
        let mut per_line: HashMap<usize, (usize, usize)> = HashMap::new();
        for t in toks.iter().filter(|t| t.kind == Kind::Word) {
            let e = per_line.entry(t.line).or_default();
            e.0 += 1;
            if starts_upper(t.original) {
                e.1 += 1;
            }
        }
        for (line, (words, caps)) in per_line {
            if words >= 3 && caps * 10 >= words * 6 {
                title_case_lines.insert(line);
            }
        }
    }
    let names: HashSet<&str> = toks
        .iter()
        .filter(|t| {
            t.kind == Kind::Word
                && !t.sentence_start
                && !title_case_lines.contains(&t.line)
                && starts_upper(t.original)
        })
        .map(|t| t.folded.as_str())
        .collect();

    let mut out: Vec<(Feature, String)> = Vec::with_capacity(toks.len() * 2);
    let mut push = |id: u64, class: Class, label: &dyn Fn() -> String| {
        out.push((Feature { id, class }, if keep_labels { label() } else { String::new() }));
    };
    // The previous content word, for shingles, with whether it was quoted.
    let mut prev: Option<(&str, bool)> = None;
    for t in &toks {
        if t.break_before {
            prev = None;
        }
        match t.kind {
            Kind::Word => {
                if is_stop_word(&t.folded) {
                    // Stop words do not break a shingle: "developing (of) weapons".
                    continue;
                }
                let class = if t.quoted {
                    Class::Quote
                } else if t.folded.chars().any(|c| c.is_numeric()) {
                    Class::Figure
                } else if names.contains(t.folded.as_str()) {
                    Class::Name
                } else {
                    Class::Term
                };
                push(hash(t.folded.as_bytes()), class, &|| t.folded.clone());
                if let Some((p, pq)) = prev {
                    let class = if t.quoted && pq {
                        Class::Quote
                    } else {
                        Class::Term
                    };
                    push(pair_hash(p, &t.folded), class, &|| format!("{p} {}", t.folded));
                }
                prev = Some((&t.folded, t.quoted));
            }
            Kind::Run => {
                prev = None;
                let class = if t.quoted { Class::Quote } else { Class::Term };
                let chars: Vec<(usize, char)> = t.folded.char_indices().collect();
                if chars.len() == 1 {
                    push(hash(t.folded.as_bytes()), class, &|| t.folded.clone());
                }
                for w in chars.windows(2) {
                    let (a, b) = (w[0].1, w[1].1);
                    if is_stop_char(a) && is_stop_char(b) {
                        continue;
                    }
                    let end = w[1].0 + b.len_utf8();
                    let bigram = &t.folded[w[0].0..end];
                    push(hash(bigram.as_bytes()), class, &|| bigram.to_string());
                }
            }
        }
    }
    // One entry per feature, with its strongest class (quote before figure, name, term).
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id).then(a.0.class.cmp(&b.0.class)));
    out.dedup_by_key(|(f, _)| f.id);
    let (items, labels) = out.into_iter().unzip();
    Features {
        items,
        labels: if keep_labels { labels } else { Vec::new() },
    }
}

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

/// Splits text into tokens with what the punctuation around them says: sentence starts,
/// quotation marks, lines.
fn tokens(text: &str) -> Vec<Tok<'_>> {
    let mut raw: Vec<(Kind, &str)> = Vec::new();
    fold::tokenize(text, |kind, t| raw.push((kind, t)));
    let base = text.as_ptr() as usize;
    let mut out = Vec::with_capacity(raw.len());
    let mut pos = 0;
    let mut quoted = false;
    let mut line = 0;
    let mut prev_end_char: Option<char> = None;
    for (kind, t) in raw {
        // `tokenize` hands out slices of `text`, so the offset is the pointer difference.
        let start = (t.as_ptr() as usize).saturating_sub(base).min(text.len());
        let gap = text.get(pos..start).unwrap_or("");
        let mut sentence_start = out.is_empty();
        let mut break_before = false;
        let next_char = t.chars().next();
        for (i, c) in gap.char_indices() {
            let before = if i == 0 {
                prev_end_char
            } else {
                gap[..i].chars().next_back()
            };
            let after = gap[i + c.len_utf8()..].chars().next().or(next_char);
            match c {
                '\n' => {
                    line += 1;
                    sentence_start = true;
                    break_before = true;
                    // A quotation never runs over a paragraph break unclosed.
                    if gap[i + 1..].starts_with('\n') || gap[..i].ends_with('\n') {
                        quoted = false;
                    }
                }
                '.' | '!' | '?' | '。' | '！' | '？' | ':' | ';' | '；' | '：' => {
                    if c != ':' && c != '：' {
                        sentence_start = true;
                    }
                    break_before = true;
                }
                ',' | '，' | '、' | '(' | ')' | '[' | ']' | '—' | '–' => break_before = true,
                '“' | '«' | '„' | '「' | '『' | '《' => {
                    quoted = true;
                    sentence_start = true;
                    break_before = true;
                }
                '”' | '»' | '」' | '』' | '》' => {
                    quoted = false;
                    break_before = true;
                }
                '"' => {
                    // A straight quote opens after a space and closes before one.
                    let closing =
                        before.is_some_and(|b| !b.is_whitespace() && !matches!(b, '(' | '['));
                    quoted = !closing;
                    if quoted {
                        sentence_start = true;
                    }
                    break_before = true;
                }
                '‘' | '\'' | '’' => {
                    // An apostrophe inside a word (NATO's) is not a quotation mark.
                    let word_before = before.is_some_and(fold::is_word_char);
                    let word_after = after.is_some_and(fold::is_word_char);
                    if word_before && word_after {
                        continue;
                    }
                    if !word_before && word_after {
                        quoted = true;
                        break_before = true;
                    } else if word_before && !word_after {
                        quoted = false;
                        break_before = true;
                    }
                }
                _ => {}
            }
        }
        pos = start + t.len();
        prev_end_char = t.chars().next_back();
        // Plain ASCII needs no accent or compatibility folding, only lower case.
        let folded = if t.is_ascii() {
            t.to_ascii_lowercase()
        } else {
            fold::fold(t)
        };
        out.push(Tok {
            folded,
            kind,
            original: t,
            sentence_start,
            quoted,
            break_before,
            line,
        });
    }
    out
}

/// FNV-1a, 64 bits: fast and good enough to tell words apart.
fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn pair_hash(a: &str, b: &str) -> u64 {
    let mut h = hash(a.as_bytes());
    h ^= 0x1f;
    h = h.wrapping_mul(0x0000_0100_0000_01b3);
    for byte in b.as_bytes() {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Function words (and the news trade's reporting verbs) of English and Russian, folded:
/// they say nothing about which story a text tells.
fn is_stop_word(w: &str) -> bool {
    const STOP: &[&str] = &[
        // English
        "a", "about", "after", "again", "against", "all", "also", "am", "an", "and", "any",
        "are", "as", "at", "be", "because", "been", "before", "being", "between", "both",
        "but", "by", "can", "could", "did", "do", "does", "during", "each", "even", "for",
        "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him",
        "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "last", "later",
        "may", "me", "might", "more", "most", "much", "must", "my", "new", "no", "nor", "not",
        "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "out", "over",
        "own", "s", "said", "same", "say", "says", "saying", "she", "should", "so", "some",
        "such", "t", "than", "that", "the", "their", "them", "then", "there", "these", "they",
        "this", "those", "through", "to", "told", "too", "under", "until", "up", "us", "very",
        "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
        "will", "with", "would", "you", "your", "according", "added", "told", "tuesday",
        "monday", "wednesday", "thursday", "friday", "saturday", "sunday", "week", "year",
        // Russian
        "а", "без", "бы", "был", "была", "были", "было", "быть", "в", "во", "вот", "все",
        "всё", "вы", "где", "да", "для", "до", "его", "ее", "если", "есть", "еще", "же",
        "за", "и", "из", "или", "им", "их", "к", "как", "ко", "когда", "кто", "ли", "между",
        "мы", "на", "над", "не", "него", "нет", "ни", "но", "о", "об", "однако", "он", "она",
        "они", "оно", "от", "по", "под", "при", "с", "со", "так", "также", "то", "тоже",
        "только", "у", "уже", "что", "чтобы", "эти", "это", "этот", "я", "заявил", "заявила",
        "сказал", "сказала", "сообщил", "сообщает", "говорит", "отметил", "году", "года",
    ];
    STOP.contains(&w)
}

/// Chinese characters that are function words; a bigram of two of them carries nothing.
fn is_stop_char(c: char) -> bool {
    "的了是在和与也将对就而及或其这那为于以之被把从到说称表示".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str, class: Class) -> Vec<String> {
        let f = Features::explained(text);
        let mut out: Vec<String> = f
            .items
            .iter()
            .zip(&f.labels)
            .filter(|(i, _)| i.class == class)
            .map(|(_, l)| l.clone())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn names_figures_and_quotes_are_told_apart() {
        let text = "Officials met on Friday. The talks in Geneva covered 140 billion dollars, \
                    and Putin called them “very productive”.";
        assert_eq!(labels(text, Class::Name), ["geneva", "putin"]);
        assert_eq!(labels(text, Class::Figure), ["140"]);
        assert_eq!(
            labels(text, Class::Quote),
            ["productive"],
            "quoted words and the shingles inside the quote"
        );
        // "Officials" starts a sentence: not a name.
        assert!(labels(text, Class::Term).contains(&"officials".to_string()));
    }

    #[test]
    fn apostrophes_are_not_quotes_but_single_quotes_are() {
        let text = "Officials said NATO's expansion is 'unacceptable'.";
        assert_eq!(labels(text, Class::Quote), ["unacceptable"]);
        assert!(labels(text, Class::Name).contains(&"nato".to_string()));
    }

    #[test]
    fn title_case_headlines_do_not_make_names() {
        let text = "Putin Says Weapons Are Jointly Developed\n\nThe weapons were shown to Putin.";
        let names = labels(text, Class::Name);
        assert_eq!(names, ["putin"], "only what the body capitalises");
    }

    #[test]
    fn unspaced_scripts_give_bigrams() {
        let f = Features::explained("普京表示俄中联合研发高科技武器");
        assert!(f.labels.contains(&"高科".to_string()), "{:?}", f.labels);
        assert!(f.labels.contains(&"武器".to_string()));
        // 表示 is two function characters: dropped.
        assert!(!f.labels.contains(&"表示".to_string()));
    }

    #[test]
    fn same_story_scores_above_other_events() {
        let copy = LikeCopy::new(
            "copy.txt",
            "Putin says Russia and China jointly develop high-tech weapons\n\n\
             Russian President Vladimir Putin told his annual press conference that Moscow and \
             Beijing are “jointly developing high-tech weapons”.",
        );
        let mut bg = Background::default();
        let same = Features::new(
            "Moscow, Beijing building advanced weapons together, Putin tells press conference",
        );
        let other = Features::new("Putin and Xi to hold video call next week, Kremlin says");
        bg.observe("copy", copy.features());
        bg.observe("same", &same);
        bg.observe("other", &other);
        let copies = [copy];
        let s = score_entry(&same, &copies, &bg).expect("one copy");
        let o = score_entry(&other, &copies, &bg).expect("one copy");
        assert!(s.similarity > o.similarity + 0.2, "{s:?} vs {o:?}");
    }

    #[test]
    fn background_counts_each_document_once_and_weighs_rare_features_more() {
        let mut bg = Background::default();
        let a = Features::new("Putin weapons");
        let b = Features::new("Putin trade");
        bg.observe("a", &a);
        bg.observe("a", &a);
        bg.observe("b", &b);
        assert_eq!(bg.docs(), 2);
        let putin = hash(b"putin");
        let weapons = hash(b"weapons");
        assert!(bg.idf(weapons) > bg.idf(putin));
        assert!((bg.idf(putin) - 1.0).abs() < 1e-9);
    }
}
