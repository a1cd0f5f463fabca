//! Change labels: what kind of edit a new version is, at a glance.
//!
//! A reader of an alert first wants to know whether a figure moved or a comma did. The
//! differ notes, while it diffs, the evidence for each change ([`Notes`]): the words of
//! each in-sentence edit, and the sentences added or removed whole. [`Notes::finish`]
//! turns that into the version's [`Labels`], the set of its changes' labels, matching
//! removed sentences against added ones first so that a sentence or paragraph that moved
//! is a `move`, not a removal plus an addition.
//!
//! Every in-sentence edit is sorted by the words it touches: a number (digits, number
//! words, month names) is `figures`, a word inside quotation marks is `quotes`, a
//! capitalised word that does not open a sentence is `names`, any other word is
//! `wording`; an edit with no word at all is `punctuation`. `url`, `undisclosed` and
//! `correction` are set elsewhere (the watcher knows about addresses, declared
//! modification times and correction notes); the differ never sets them.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use unicode_segmentation::UnicodeSegmentation;

use super::tokenize::{TokenKind, kind, tokenize};
use super::{Span, SpanKind};
use crate::text::Copy;

/// One kind of change, as product.md's "Change labels" table lists them, in that order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// The headline changed.
    Headline,
    /// A number was added, removed or changed (`44` → `48`, `one hundred` → `140`, a date).
    Figures,
    /// Words inside quotation marks changed.
    Quotes,
    /// A capitalised name was added, removed or changed.
    Names,
    /// A sentence or paragraph was added.
    Addition,
    /// A sentence or paragraph was removed.
    Removal,
    /// A sentence or paragraph moved, unchanged.
    Move,
    /// Other words changed.
    Wording,
    /// Only punctuation changed.
    Punctuation,
    /// The article moved to another address. Set by the watcher, never by the differ.
    Url,
    /// The wording changed while the page's declared modification time did not move.
    /// Set by the watcher, never by the differ.
    Undisclosed,
    /// A correction, clarification or editor's note appeared or changed. Set by the
    /// watcher, never by the differ.
    Correction,
}

impl Label {
    /// Every label, in display order.
    pub const ALL: [Label; 12] = [
        Label::Headline,
        Label::Figures,
        Label::Quotes,
        Label::Names,
        Label::Addition,
        Label::Removal,
        Label::Move,
        Label::Wording,
        Label::Punctuation,
        Label::Url,
        Label::Undisclosed,
        Label::Correction,
    ];

    /// The label's name, as in config, JSON, subjects and `history`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Headline => "headline",
            Label::Figures => "figures",
            Label::Quotes => "quotes",
            Label::Names => "names",
            Label::Addition => "addition",
            Label::Removal => "removal",
            Label::Move => "move",
            Label::Wording => "wording",
            Label::Punctuation => "punctuation",
            Label::Url => "url",
            Label::Undisclosed => "undisclosed",
            Label::Correction => "correction",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown change label {0:?}: use headline, figures, quotes, names, addition, removal, move, wording, punctuation, url, undisclosed or correction"
)]
pub struct UnknownLabel(pub String);

impl FromStr for Label {
    type Err = UnknownLabel;

    fn from_str(s: &str) -> Result<Label, UnknownLabel> {
        Label::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim())
            .ok_or_else(|| UnknownLabel(s.to_string()))
    }
}

/// The labels of one version: a set, always listed in [`Label::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeSet<Label>);

impl Labels {
    /// No label.
    pub fn new() -> Labels {
        Labels::default()
    }

    /// Adds a label.
    pub fn insert(&mut self, label: Label) {
        self.0.insert(label);
    }

    /// Whether the set holds `label`.
    pub fn contains(&self, label: Label) -> bool {
        self.0.contains(&label)
    }

    /// True when there is no label.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The labels in display order.
    pub fn iter(&self) -> impl Iterator<Item = Label> + '_ {
        self.0.iter().copied()
    }

    /// Whether any label is in `wanted` (a topic's `alert_on`).
    pub fn any_in(&self, wanted: &[Label]) -> bool {
        self.iter().any(|l| wanted.contains(&l))
    }

    /// The stored form: names joined by commas, e.g. `figures,addition`.
    pub fn to_storage(&self) -> String {
        self.iter().map(Label::as_str).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form; names this redline does not know are skipped (a newer
    /// version may have written them).
    pub fn from_storage(s: &str) -> Labels {
        Labels(
            s.split(',')
                .filter(|p| !p.trim().is_empty())
                .filter_map(|p| p.parse().ok())
                .collect(),
        )
    }
}

impl FromIterator<Label> for Labels {
    fn from_iter<I: IntoIterator<Item = Label>>(iter: I) -> Labels {
        Labels(iter.into_iter().collect())
    }
}

impl fmt::Display for Labels {
    /// `figures, addition`, the form of subjects and tables.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Label::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

/// The labels of the change from `old` to `new`: the labels of [`super::diff`]'s result.
pub fn labels(old: &Copy, new: &Copy) -> Labels {
    super::diff(old, new).labels
}

/// Number words (English): a change to one of them is a change of figures, as much as a
/// change of digits is.
const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "trillion",
    "dozen",
    "dozens",
];

/// Month and day names (English), figures when capitalised (a date), so that the verbs
/// "may" and "march" are not.
const DATE_WORDS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// CJK numerals, which are words of their own (one token per character).
const CJK_NUMERALS: &str = "〇零一二三四五六七八九十百千万萬亿億兆";

fn is_figure(word: &str) -> bool {
    word.chars()
        .any(|c| c.is_numeric() || CJK_NUMERALS.contains(c))
        || NUMBER_WORDS.contains(&word.to_lowercase().as_str())
        || (starts_upper(word) && DATE_WORDS.contains(&word.to_lowercase().as_str()))
}

fn starts_upper(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Quotation marks that open a quote, with the mark that closes it.
const PAIRED_QUOTES: &[(char, char)] = &[
    ('“', '”'),
    ('„', '“'),
    ('«', '»'),
    ('»', '«'),
    ('‹', '›'),
    ('「', '」'),
    ('『', '』'),
    ('‘', '’'),
    ('‚', '‘'),
];

/// Marks that open and close alike.
const SYMMETRIC_QUOTES: &[char] = &['"', '\'', '”', '’'];

/// Sentence ends, after which a capitalised word is not a name by its capital alone.
fn ends_sentence(token: &str) -> bool {
    matches!(token, "." | "!" | "?" | "…" | "。" | "！" | "？" | ":")
}

/// One token of one side of a sentence pair, as the labeller sees it.
struct Seen<'a> {
    token: &'a str,
    /// The edit (a run of non-equal spans) this token belongs to, if it changed.
    edit: Option<usize>,
    in_quote: bool,
    opens_sentence: bool,
}

/// The quotation marks open along a run of text, as the labeller tracks them.
#[derive(Debug, Clone)]
pub(crate) struct Quotes {
    /// Quote marks open so far: the mark that will close each one.
    open: Vec<char>,
    previous_space: bool,
}

impl Default for Quotes {
    fn default() -> Quotes {
        Quotes {
            open: Vec::new(),
            previous_space: true,
        }
    }
}

impl Quotes {
    /// Takes one token; returns whether it is inside a quotation, and whether it closes
    /// a quotation that opened before everything seen (so that all of it was inside).
    fn step(&mut self, token: &str) -> (bool, bool) {
        let k = kind(token);
        let mut chars = token.chars();
        let single = match (chars.next(), chars.next()) {
            (Some(c), None) if k == TokenKind::Punct => Some(c),
            _ => None,
        };
        let mut inside = !self.open.is_empty();
        let mut closed_before = false;
        if let Some(c) = single {
            if self.open.last() == Some(&c) {
                self.open.pop();
            } else if let Some(&(_, close)) = PAIRED_QUOTES.iter().find(|(o, _)| *o == c)
                && self.previous_space
            {
                self.open.push(close);
                inside = true;
            } else if SYMMETRIC_QUOTES.contains(&c) {
                if self.previous_space {
                    self.open.push(c);
                    inside = true;
                } else if self.open.is_empty() && matches!(c, '"' | '”') {
                    closed_before = true;
                }
            }
        }
        self.previous_space = k != TokenKind::Word;
        (inside, closed_before)
    }
}

/// The quotation marks open before each sentence of one side of a paragraph, read
/// sentence by sentence as the alignment goes on: what a sentence opens inside (the
/// second sentence of a quotation that runs over several).
pub(crate) struct QuotesBefore<'a> {
    sentences: &'a [&'a str],
    /// Sentences read so far.
    next: usize,
    quotes: Quotes,
}

impl<'a> QuotesBefore<'a> {
    pub(crate) fn new(sentences: &'a [&'a str]) -> QuotesBefore<'a> {
        QuotesBefore {
            sentences,
            next: 0,
            quotes: Quotes::default(),
        }
    }

    /// The marks open before sentence `i`.
    pub(crate) fn at(&mut self, i: usize) -> Quotes {
        if i < self.next {
            *self = QuotesBefore::new(self.sentences);
        }
        for sentence in self.sentences.get(self.next..i).unwrap_or_default() {
            for token in tokenize(sentence) {
                self.quotes.step(token);
            }
        }
        self.next = self.next.max(i);
        // The sentence starts after a space.
        Quotes {
            previous_space: true,
            ..self.quotes.clone()
        }
    }
}

/// The tokens of one side of a word diff, with quote and sentence context. `side` is
/// the span kind only this side has (`Delete` for the old side, `Insert` for the new);
/// `quotes` the quotations open where the spans start.
fn side_tokens<'a>(spans: &'a [Span], side: SpanKind, mut quotes: Quotes) -> Vec<Seen<'a>> {
    let mut out: Vec<Seen<'a>> = Vec::new();
    let mut edit = 0usize;
    let mut in_edit = false;
    let mut sentence_start = true;
    for span in spans {
        if span.kind == SpanKind::Equal {
            if in_edit {
                edit += 1;
                in_edit = false;
            }
        } else {
            in_edit = true;
        }
        if span.kind != SpanKind::Equal && span.kind != side {
            continue;
        }
        let changed = (span.kind == side).then_some(edit);
        for token in tokenize(&span.text) {
            let k = kind(token);
            let (inside, closed_before) = quotes.step(token);
            if closed_before {
                // A quote closed that opened before this sentence: everything so far was
                // inside it.
                for seen in &mut out {
                    seen.in_quote = true;
                }
            }
            out.push(Seen {
                token,
                edit: changed,
                in_quote: inside,
                opens_sentence: k == TokenKind::Word && sentence_start,
            });
            match k {
                TokenKind::Word => sentence_start = false,
                TokenKind::Punct if ends_sentence(token) => sentence_start = true,
                _ => {}
            }
        }
    }
    out
}

/// A text added or removed whole is a sentence of its own when it has at least this many
/// words.
const MIN_SENTENCE_WORDS: usize = 3;

/// The edits of a word diff (numbered as [`side_tokens`] numbers them) that only add or
/// only remove text, where that text is one or more sentences of their own: it opens with
/// a capital (or a letter that has no case) and ends with a sentence's end (`.`, `!`, `?`,
/// `…`, `。`, a closing quote after one), with [`MIN_SENTENCE_WORDS`] words or more.
/// Returns each with whether it was removed, and its text.
fn whole_sentence_edits(spans: &[Span]) -> Vec<(usize, (bool, String))> {
    let mut runs: Vec<(String, String)> = Vec::new();
    let mut in_edit = false;
    for span in spans {
        if span.kind == SpanKind::Equal {
            in_edit = false;
            continue;
        }
        if !in_edit {
            runs.push(Default::default());
            in_edit = true;
        }
        if let Some(run) = runs.last_mut() {
            match span.kind {
                SpanKind::Delete => run.0.push_str(&span.text),
                _ => run.1.push_str(&span.text),
            }
        }
    }
    runs.into_iter()
        .enumerate()
        .filter_map(|(id, (del, ins))| {
            let (removed, text) = match (del.trim().is_empty(), ins.trim().is_empty()) {
                (true, false) => (false, ins),
                (false, true) => (true, del),
                _ => return None,
            };
            is_sentence(text.trim()).then(|| (id, (removed, text.trim().to_string())))
        })
        .collect()
}

/// Whether `text` reads as a sentence of its own (see [`whole_sentence_edits`]).
fn is_sentence(text: &str) -> bool {
    let opens = text
        .chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()));
    let ends = text
        .trim_end_matches(['"', '\'', '”', '’', '»', '」', '』', ')'])
        .ends_with(['.', '!', '?', '…', '。', '！', '？']);
    let words = tokenize(text)
        .into_iter()
        .filter(|t| kind(t) == TokenKind::Word)
        .count();
    opens && ends && words >= MIN_SENTENCE_WORDS
}

/// What one edit touched.
#[derive(Debug, Default, Clone, Copy)]
struct Edit {
    words: bool,
    punct: bool,
    figures: bool,
    quotes: bool,
    names: bool,
    plain: bool,
}

/// The evidence for a version's labels, gathered while diffing.
#[derive(Debug)]
pub(crate) struct Notes {
    /// Past this, edits are labelled `wording` without a look at their words, as the
    /// diff itself turns coarse past its deadline.
    deadline: Instant,
    labels: Labels,
    /// Sentences removed whole, as comparison keys.
    removed: Vec<String>,
    /// Sentences added whole, as comparison keys.
    added: Vec<String>,
}

/// A sentence as a comparison key: its words, whatever the whitespace between them.
fn key(sentence: &str) -> String {
    sentence.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Past this size a paragraph is compared whole, not sentence by sentence: sentence
/// segmentation is the slow part of labelling a huge page.
pub(crate) const MAX_SENTENCE_SPLIT: usize = 20_000;

/// The sentences of a paragraph (UAX #29 sentence boundaries), trailing spaces included,
/// so that they concatenate back to the paragraph.
pub(crate) fn sentences(paragraph: &str) -> Vec<&str> {
    paragraph.split_sentence_bounds().collect()
}

impl Notes {
    pub(crate) fn new(deadline: Instant) -> Notes {
        Notes {
            deadline,
            labels: Labels::new(),
            removed: Vec::new(),
            added: Vec::new(),
        }
    }

    /// The headline changed: `headline`, plus what its edits touched. In a headline
    /// written in title case every word is capitalised, so capitals say nothing there.
    pub(crate) fn headline(&mut self, spans: &[Span]) {
        self.labels.insert(Label::Headline);
        let new = super::new_text(spans);
        let words: Vec<&str> = tokenize(&new)
            .into_iter()
            .filter(|t| kind(t) == TokenKind::Word)
            .collect();
        let capitals = words.iter().filter(|w| starts_upper(w)).count();
        let title_case = words.len() >= 3 && capitals * 2 > words.len();
        self.edits(spans, !title_case);
    }

    /// A sentence (or sentences) reworded in place: label each of its edits. An edit that
    /// only adds (or only removes) text that is a sentence of its own is an addition (a
    /// removal): the sentence appended to a paragraph whose last one ends without a full
    /// stop (`… pic.twitter.com/x`, an emoji, a title) shares that sentence's segment, so
    /// the alignment pairs it with the old one instead of seeing it added.
    ///
    /// `quotes` are the quotations open where the pair starts in the old and the new
    /// paragraph ([`QuotesBefore`]).
    pub(crate) fn pair(&mut self, spans: &[Span], quotes: [Quotes; 2]) {
        let whole = whole_sentence_edits(spans);
        for (_, (removed, text)) in &whole {
            let out = if *removed {
                &mut self.removed
            } else {
                &mut self.added
            };
            Notes::units(out, text, true);
        }
        let skip: Vec<usize> = whole.iter().map(|(id, _)| *id).collect();
        self.edits_but(spans, true, &skip, quotes);
    }

    /// Text removed whole (a sentence or a paragraph); `split` looks at its sentences one
    /// by one (so that one moved elsewhere is found), else at the whole.
    pub(crate) fn removed(&mut self, text: &str, split: bool) {
        Notes::units(&mut self.removed, text, split);
    }

    /// Text added whole (a sentence or a paragraph); `split` as for [`Notes::removed`].
    pub(crate) fn added(&mut self, text: &str, split: bool) {
        Notes::units(&mut self.added, text, split);
    }

    fn units(out: &mut Vec<String>, text: &str, split: bool) {
        if split && text.len() <= MAX_SENTENCE_SPLIT {
            out.extend(
                sentences(text)
                    .into_iter()
                    .map(key)
                    .filter(|k| !k.is_empty()),
            );
        } else {
            out.push(key(text));
        }
    }

    /// A paragraph moved unchanged.
    pub(crate) fn moved(&mut self) {
        self.labels.insert(Label::Move);
    }

    fn edits(&mut self, spans: &[Span], names: bool) {
        self.edits_but(spans, names, &[], Default::default());
    }

    /// Labels each edit of `spans` but those numbered in `skip`.
    fn edits_but(&mut self, spans: &[Span], names: bool, skip: &[usize], quotes: [Quotes; 2]) {
        if Instant::now() >= self.deadline {
            self.labels.insert(Label::Wording);
            return;
        }
        let mut edits: HashMap<usize, Edit> = HashMap::new();
        for (side, quotes) in [SpanKind::Delete, SpanKind::Insert].into_iter().zip(quotes) {
            for seen in side_tokens(spans, side, quotes) {
                let Some(id) = seen.edit.filter(|id| !skip.contains(id)) else {
                    continue;
                };
                let e = edits.entry(id).or_default();
                match kind(seen.token) {
                    TokenKind::Word => {
                        e.words = true;
                        let figure = is_figure(seen.token);
                        let name =
                            names && !figure && starts_upper(seen.token) && !seen.opens_sentence;
                        e.figures |= figure;
                        e.quotes |= seen.in_quote;
                        e.names |= name;
                        e.plain |= !figure && !name && !seen.in_quote;
                    }
                    TokenKind::Punct => e.punct = true,
                    TokenKind::Space => {}
                }
            }
        }
        for e in edits.values() {
            if !e.words {
                if e.punct {
                    self.labels.insert(Label::Punctuation);
                }
                continue;
            }
            for (on, label) in [
                (e.figures, Label::Figures),
                (e.quotes, Label::Quotes),
                (e.names, Label::Names),
                (e.plain, Label::Wording),
            ] {
                if on {
                    self.labels.insert(label);
                }
            }
        }
    }

    /// The labels: a sentence removed in one place and added in another is a `move`;
    /// the others are `removal`s and `addition`s.
    pub(crate) fn finish(mut self) -> Labels {
        let mut removed: HashMap<&str, usize> = HashMap::new();
        for k in &self.removed {
            *removed.entry(k).or_insert(0) += 1;
        }
        let mut additions = false;
        for k in &self.added {
            match removed.get_mut(k.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    self.labels.insert(Label::Move);
                }
                _ => additions = true,
            }
        }
        if additions {
            self.labels.insert(Label::Addition);
        }
        if removed.values().any(|&n| n > 0) {
            self.labels.insert(Label::Removal);
        }
        self.labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in Label::ALL {
            assert_eq!(l.as_str().parse::<Label>(), Ok(l));
            assert_eq!(
                serde_json::to_string(&l).ok(),
                Some(format!("\"{}\"", l.as_str()))
            );
        }
        assert!("reworded".parse::<Label>().is_err());
        let set: Labels = [Label::Addition, Label::Figures].into_iter().collect();
        assert_eq!(set.to_string(), "figures, addition");
        assert_eq!(set.to_storage(), "figures,addition");
        assert_eq!(Labels::from_storage("figures,addition"), set);
        assert_eq!(Labels::from_storage(""), Labels::new());
        assert_eq!(
            serde_json::to_string(&set).ok().as_deref(),
            Some(r#"["figures","addition"]"#)
        );
    }

    #[test]
    fn sentences_concatenate_back() {
        let p = "He said “we agree.” Then he left! Did he? 他走了。她来了。";
        assert_eq!(sentences(p).concat(), p);
        assert!(sentences(p).len() >= 4, "{:?}", sentences(p));
    }
}
