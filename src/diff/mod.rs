//! Word-level diffs between two versions of an article.
//!
//! This module owns the answer to "what did the outlet change?". It works in two passes,
//! like a reader comparing two printouts: first it lines the paragraphs up (a paragraph
//! changed by a few words pairs with its old self; an inserted or deleted paragraph is
//! reported as added or removed, never as one giant change), then it diffs the words of
//! each pair, and of the headline, with `similar`. Within a reworded paragraph the
//! sentences are lined up the same way before their words are diffed, so an added or
//! removed sentence is one run, and a sentence split in two pairs with its old self. A
//! paragraph that moved unchanged is reported as moved, not as removed and added. The
//! result, a [`CopyDiff`], is plain data and carries the change's [`Labels`] (see
//! [`labels`](mod@labels)); turning it into text, HTML or JSON is [`render`]'s job,
//! deciding whether it is worth an alert is [`classify`](fn@classify)'s, and what a
//! "word" is belongs to [`tokenize`](mod@tokenize).
//!
//! Every diff runs under a deadline ([`TIMEOUT`] by default): past it `similar` gives up
//! on finding the smallest edit and returns a coarser but still correct one, so a huge or
//! pathological page can never hang a watch cycle.

pub mod classify;
pub mod html;
pub mod labels;
pub mod render;
pub mod tokenize;

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};

pub use self::classify::{Class, classify, strip_ignored};
use self::labels::Notes;
pub use self::labels::{Label, Labels, UnknownLabel, labels};
use self::tokenize::{TokenKind, is_word, tokenize};
use crate::text::Copy;

/// How long [`diff`] may spend before settling for a coarser diff.
pub const TIMEOUT: Duration = Duration::from_millis(500);

/// Two paragraphs pair up (one reworded into the other) when at least this share of their
/// tokens is common; below it they are reported as one removed and one added paragraph.
const PAIR_THRESHOLD: f64 = 0.5;

/// Pairing is quadratic in the size of a run of consecutive differing paragraphs. Past
/// this many candidate pairs (a run of ~100 × 100, i.e. a rewritten page) the paragraphs
/// are reported as removed and added without trying to pair them.
const MAX_PAIRING_CELLS: usize = 10_000;

/// What a piece of a word diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    /// In both versions.
    Equal,
    /// Only in the old version.
    Delete,
    /// Only in the new version.
    Insert,
}

/// A run of text with the same fate in a word diff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    /// Whether the text was kept, removed or added.
    pub kind: SpanKind,
    /// The text, whitespace included, so that the spans concatenate back to the versions.
    pub text: String,
}

/// One paragraph of the aligned article. Indices are 0-based positions in the old and new
/// copies' `paragraphs`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// The paragraph is in both versions, unchanged.
    Same {
        old: usize,
        new: usize,
        text: String,
    },
    /// The paragraph was reworded; `spans` is its word diff.
    Changed {
        old: usize,
        new: usize,
        spans: Vec<Span>,
    },
    /// The paragraph is new.
    Added { new: usize, text: String },
    /// The paragraph was removed.
    Removed { old: usize, text: String },
    /// Where a paragraph that moved unchanged used to be (old paragraph `old`, now new
    /// paragraph `new`).
    MovedOut {
        old: usize,
        new: usize,
        text: String,
    },
    /// Where a paragraph that moved unchanged is now.
    MovedIn {
        old: usize,
        new: usize,
        text: String,
    },
}

impl Block {
    /// True for [`Block::Same`].
    pub fn is_same(&self) -> bool {
        matches!(self, Block::Same { .. })
    }

    /// The paragraph as it was, or `None` for an added one.
    pub fn old_text(&self) -> Option<String> {
        match self {
            Block::Same { text, .. }
            | Block::Removed { text, .. }
            | Block::MovedOut { text, .. } => Some(text.clone()),
            Block::Changed { spans, .. } => Some(old_text(spans)),
            Block::Added { .. } | Block::MovedIn { .. } => None,
        }
    }

    /// The paragraph as it is now, or `None` for a removed one.
    pub fn new_text(&self) -> Option<String> {
        match self {
            Block::Same { text, .. } | Block::Added { text, .. } | Block::MovedIn { text, .. } => {
                Some(text.clone())
            }
            Block::Changed { spans, .. } => Some(new_text(spans)),
            Block::Removed { .. } | Block::MovedOut { .. } => None,
        }
    }
}

/// The difference between two versions of an article.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CopyDiff {
    /// The headline's word diff; `None` when the headline did not change.
    pub headline: Option<Vec<Span>>,
    /// Every paragraph, in order, aligned old ↔ new.
    pub blocks: Vec<Block>,
    /// Word tokens (not punctuation or spaces) only in the new version.
    pub words_added: usize,
    /// Word tokens only in the old version.
    pub words_removed: usize,
    /// What kind of change this is; empty when nothing changed.
    #[serde(default)]
    pub labels: Labels,
}

impl CopyDiff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.headline.is_none() && self.blocks.iter().all(Block::is_same)
    }

    /// How many paragraphs changed, were added or were removed.
    pub fn changed_blocks(&self) -> usize {
        self.blocks.iter().filter(|b| !b.is_same()).count()
    }
}

impl fmt::Display for CopyDiff {
    /// The plain-text word diff with the default options: see [`render::word`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render::word(self, &render::RenderOptions::default()))
    }
}

/// The old text of a word diff: its equal and deleted spans.
pub fn old_text(spans: &[Span]) -> String {
    side_text(spans, SpanKind::Delete)
}

/// The new text of a word diff: its equal and inserted spans.
pub fn new_text(spans: &[Span]) -> String {
    side_text(spans, SpanKind::Insert)
}

fn side_text(spans: &[Span], side: SpanKind) -> String {
    spans
        .iter()
        .filter(|s| s.kind == SpanKind::Equal || s.kind == side)
        .map(|s| s.text.as_str())
        .collect()
}

/// Diffs two versions of an article, giving up on minimality after [`TIMEOUT`].
pub fn diff(old: &Copy, new: &Copy) -> CopyDiff {
    diff_with_deadline(old, new, Instant::now() + TIMEOUT)
}

/// Diffs two versions of an article; past `deadline` the remaining work is done coarsely
/// (whole runs replaced) rather than minimally, but the result is always a correct diff.
pub fn diff_with_deadline(old: &Copy, new: &Copy, deadline: Instant) -> CopyDiff {
    let mut counts = Counts::default();
    let mut notes = Notes::new(deadline);
    let headline = (old.headline != new.headline).then(|| {
        let spans = word_diff(&old.headline, &new.headline, deadline, &mut counts);
        if old_text(&spans).trim() != new_text(&spans).trim() {
            notes.headline(&spans);
        }
        spans
    });
    let mut blocks: Vec<Block> = align(&old.paragraphs, &new.paragraphs, deadline)
        .into_iter()
        .map(|step| match step {
            Step::Pair(o, n) if old.paragraphs[o] == new.paragraphs[n] => Block::Same {
                old: o,
                new: n,
                text: new.paragraphs[n].clone(),
            },
            Step::Pair(o, n) => Block::Changed {
                old: o,
                new: n,
                spans: sentence_diff(
                    &old.paragraphs[o],
                    &new.paragraphs[n],
                    deadline,
                    &mut counts,
                    &mut notes,
                ),
            },
            Step::Removed(o) => Block::Removed {
                old: o,
                text: old.paragraphs[o].clone(),
            },
            Step::Added(n) => Block::Added {
                new: n,
                text: new.paragraphs[n].clone(),
            },
        })
        .collect();
    mark_moves(&mut blocks);
    // Past the deadline, whole paragraphs are enough to tell a move from an addition.
    let split = Instant::now() < deadline;
    for block in &blocks {
        match block {
            Block::Removed { text, .. } => {
                counts.removed += tokenize::count_words(text);
                notes.removed(text, split);
            }
            Block::Added { text, .. } => {
                counts.added += tokenize::count_words(text);
                notes.added(text, split);
            }
            Block::MovedIn { .. } => notes.moved(),
            _ => {}
        }
    }
    CopyDiff {
        headline,
        blocks,
        words_added: counts.added,
        words_removed: counts.removed,
        labels: notes.finish(),
    }
}

/// Turns a removed paragraph and an added one with the same text into a move: the pair
/// becomes [`Block::MovedOut`] at the old place and [`Block::MovedIn`] at the new one.
fn mark_moves(blocks: &mut [Block]) {
    let mut removed: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (i, b) in blocks.iter().enumerate() {
        if let Block::Removed { old, text } = b {
            removed.entry(text.clone()).or_default().push((i, *old));
        }
    }
    if removed.is_empty() {
        return;
    }
    let mut moves = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        if let Block::Added { new, text } = b
            && let Some(candidates) = removed.get_mut(text)
            && !candidates.is_empty()
        {
            let (j, old) = candidates.remove(0);
            moves.push((j, i, old, *new, text.clone()));
        }
    }
    for (j, i, old, new, text) in moves {
        blocks[j] = Block::MovedOut {
            old,
            new,
            text: text.clone(),
        };
        blocks[i] = Block::MovedIn { old, new, text };
    }
}

/// One step of the sentence alignment within a paragraph: runs of old and new sentences
/// that pair up (one to one, or one split in two, or two merged into one), or a sentence
/// removed or added whole.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Unit {
    Pair(Range<usize>, Range<usize>),
    Removed(usize),
    Added(usize),
}

/// The word diff of a reworded paragraph, sentence by sentence: sentences are lined up
/// first (as paragraphs are), then each pair is diffed word by word, and a sentence
/// without a partner is one removed or added run. Records the labels' evidence.
fn sentence_diff(
    old: &str,
    new: &str,
    deadline: Instant,
    counts: &mut Counts,
    notes: &mut Notes,
) -> Vec<Span> {
    let whole = old.len().max(new.len()) > labels::MAX_SENTENCE_SPLIT || Instant::now() >= deadline;
    let (a, b) = if whole {
        (vec![old], vec![new])
    } else {
        (labels::sentences(old), labels::sentences(new))
    };
    if a.len() <= 1 && b.len() <= 1 {
        let spans = word_diff(old, new, deadline, counts);
        notes.pair(&spans, Default::default());
        return spans;
    }
    let a_keys: Vec<String> = a.iter().map(|s| s.trim_end().to_string()).collect();
    let b_keys: Vec<String> = b.iter().map(|s| s.trim_end().to_string()).collect();
    let units = join_splits(align(&a_keys, &b_keys, deadline), &a_keys, &b_keys);
    let mut spans: Vec<Span> = Vec::new();
    let (mut quotes_a, mut quotes_b) =
        (labels::QuotesBefore::new(&a), labels::QuotesBefore::new(&b));
    for unit in units {
        match unit {
            Unit::Pair(ra, rb) => {
                let (o, n) = (a[ra.clone()].concat(), b[rb.clone()].concat());
                if o == n {
                    push_span(&mut spans, SpanKind::Equal, o);
                    continue;
                }
                let pair = word_diff(&o, &n, deadline, counts);
                let quotes = [quotes_a.at(ra.start), quotes_b.at(rb.start)];
                notes.pair(&pair, quotes);
                for s in pair {
                    push_span(&mut spans, s.kind, s.text);
                }
            }
            Unit::Removed(i) => {
                counts.removed += tokenize::count_words(a[i]);
                notes.removed(a[i], false);
                push_span(&mut spans, SpanKind::Delete, a[i].to_string());
            }
            Unit::Added(j) => {
                counts.added += tokenize::count_words(b[j]);
                notes.added(b[j], false);
                push_span(&mut spans, SpanKind::Insert, b[j].to_string());
            }
        }
    }
    spans
}

/// Turns an aligned sentence that was split in two (or two merged into one) into one
/// pair, when the joined sentences resemble their partner more than the half alone, or
/// when only the joined ones resemble it at all.
fn join_splits(steps: Vec<Step>, a: &[String], b: &[String]) -> Vec<Unit> {
    let joined = |r: &Range<usize>, side: &[String]| side[r.clone()].join(" ");
    let sim = |ra: &Range<usize>, rb: &Range<usize>| {
        let (o, n) = (joined(ra, a), joined(rb, b));
        Bag::new(&o).similarity(&Bag::new(&n))
    };
    let mut out: Vec<Unit> = Vec::new();
    for step in steps {
        let unit = match step {
            Step::Pair(i, j) => Unit::Pair(i..i + 1, j..j + 1),
            Step::Removed(i) => Unit::Removed(i),
            Step::Added(j) => Unit::Added(j),
        };
        let merged = match (out.last(), &unit) {
            (Some(Unit::Pair(ra, rb)), Unit::Added(j)) if rb.end == *j => {
                let wider = rb.start..j + 1;
                (sim(ra, &wider) > sim(ra, rb)).then(|| Unit::Pair(ra.clone(), wider))
            }
            (Some(Unit::Pair(ra, rb)), Unit::Removed(i)) if ra.end == *i => {
                let wider = ra.start..i + 1;
                (sim(&wider, rb) > sim(ra, rb)).then(|| Unit::Pair(wider, rb.clone()))
            }
            (Some(Unit::Added(j)), Unit::Pair(ra, rb)) if j + 1 == rb.start => {
                let wider = *j..rb.end;
                (sim(ra, &wider) > sim(ra, rb)).then(|| Unit::Pair(ra.clone(), wider))
            }
            (Some(Unit::Removed(i)), Unit::Pair(ra, rb)) if i + 1 == ra.start => {
                let wider = *i..ra.end;
                (sim(&wider, rb) > sim(ra, rb)).then(|| Unit::Pair(wider, rb.clone()))
            }
            _ => None,
        };
        match merged {
            Some(m) => {
                out.pop();
                out.push(m);
            }
            None => out.push(unit),
        }
    }
    // A sentence kept whole at the start or the end of a longer one (`PTI` →
    // `PTI Officials did not …`: a sentence added after one without a full stop shares
    // its segment): the same sentence, extended, however little of it is common text.
    let mut i = 0;
    while i + 1 < out.len() {
        let pair = match (&out[i], &out[i + 1]) {
            (Unit::Removed(x), Unit::Added(y)) | (Unit::Added(y), Unit::Removed(x))
                if extends(&a[*x], &b[*y]) || extends(&b[*y], &a[*x]) =>
            {
                Some(Unit::Pair(*x..x + 1, *y..y + 1))
            }
            _ => None,
        };
        if let Some(pair) = pair {
            out.splice(i..i + 2, [pair]);
        }
        i += 1;
    }
    // A sentence that resembles neither half of its split alone: removed i, added j and
    // j + 1 (or removed i and i + 1, added j) that pair once joined.
    let mut i = 0;
    while i + 2 < out.len() {
        let window = (&out[i], &out[i + 1], &out[i + 2]);
        let pair = match window {
            (Unit::Removed(x), Unit::Added(y), Unit::Added(z)) if y + 1 == *z => {
                Some(Unit::Pair(*x..x + 1, *y..z + 1))
            }
            (Unit::Removed(x), Unit::Removed(y), Unit::Added(z)) if x + 1 == *y => {
                Some(Unit::Pair(*x..y + 1, *z..z + 1))
            }
            _ => None,
        };
        match pair {
            Some(Unit::Pair(ra, rb)) if sim(&ra, &rb) >= PAIR_THRESHOLD => {
                out.splice(i..i + 3, [Unit::Pair(ra, rb)]);
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether `long` is `short` with words added before or after it (whole words: `PTI` is
/// not extended by `PTIs`).
fn extends(short: &str, long: &str) -> bool {
    let short = short.trim();
    if short.is_empty() || long.len() <= short.len() {
        return false;
    }
    let boundary = |rest: &str, at_start: bool| {
        let c = if at_start {
            rest.chars().next()
        } else {
            rest.chars().next_back()
        };
        c.is_some_and(|c| !c.is_alphanumeric())
    };
    (long.starts_with(short) && boundary(&long[short.len()..], true))
        || (long.ends_with(short) && boundary(&long[..long.len() - short.len()], false))
}

#[derive(Debug, Default)]
struct Counts {
    added: usize,
    removed: usize,
}

/// One step of the paragraph alignment, by index into the old and new paragraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Old paragraph `.0` became new paragraph `.1` (identical or reworded).
    Pair(usize, usize),
    Removed(usize),
    Added(usize),
}

/// Lines up the paragraphs of two versions.
///
/// Identical paragraphs anchor the alignment (a patience diff over whole paragraphs);
/// each run of differing paragraphs between anchors is then paired by similarity.
fn align(old: &[String], new: &[String], deadline: Instant) -> Vec<Step> {
    let ops = capture_diff_slices_deadline(Algorithm::Patience, old, new, Some(deadline));
    let mut steps = Vec::with_capacity(old.len().max(new.len()));
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => steps.extend(o.zip(n).map(|(o, n)| Step::Pair(o, n))),
            DiffTag::Delete => steps.extend(o.map(Step::Removed)),
            DiffTag::Insert => steps.extend(n.map(Step::Added)),
            DiffTag::Replace => {
                let pairs = pair_by_similarity(&old[o.clone()], &new[n.clone()], deadline);
                steps.extend(pairs.into_iter().map(|step| match step {
                    Step::Pair(i, j) => Step::Pair(o.start + i, n.start + j),
                    Step::Removed(i) => Step::Removed(o.start + i),
                    Step::Added(j) => Step::Added(n.start + j),
                }));
            }
        }
    }
    steps
}

/// Pairs the paragraphs of one run of differing paragraphs, in order, maximising the
/// total similarity of the pairs (each at least [`PAIR_THRESHOLD`]). Unpaired old
/// paragraphs come out as removed, before the unpaired new ones as added.
fn pair_by_similarity(old: &[String], new: &[String], deadline: Instant) -> Vec<Step> {
    let (n, m) = (old.len(), new.len());
    let unpaired = || {
        (0..n)
            .map(Step::Removed)
            .chain((0..m).map(Step::Added))
            .collect()
    };
    if n.saturating_mul(m) > MAX_PAIRING_CELLS || Instant::now() >= deadline {
        return unpaired();
    }
    let old_bags: Vec<Bag> = old.iter().map(|p| Bag::new(p)).collect();
    let new_bags: Vec<Bag> = new.iter().map(|p| Bag::new(p)).collect();

    #[derive(Clone, Copy)]
    enum Move {
        Pair,
        SkipOld,
        SkipNew,
    }
    // score[i][j]: best total similarity aligning old[..i] with new[..j].
    let width = m + 1;
    let mut score = vec![0.0_f64; (n + 1) * width];
    let mut moves = vec![Move::SkipOld; (n + 1) * width];
    // Row 0: only new paragraphs consumed.
    moves[1..=m].fill(Move::SkipNew);
    for i in 1..=n {
        if Instant::now() >= deadline {
            return unpaired();
        }
        for j in 1..=m {
            let skip_old = score[(i - 1) * width + j];
            let skip_new = score[i * width + j - 1];
            // Preferring SkipNew on a tie puts removed paragraphs before added ones
            // once the moves are replayed backwards.
            let (mut best, mut mv) = if skip_new >= skip_old {
                (skip_new, Move::SkipNew)
            } else {
                (skip_old, Move::SkipOld)
            };
            let sim = old_bags[i - 1].similarity(&new_bags[j - 1]);
            if sim >= PAIR_THRESHOLD && score[(i - 1) * width + j - 1] + sim >= best {
                best = score[(i - 1) * width + j - 1] + sim;
                mv = Move::Pair;
            }
            score[i * width + j] = best;
            moves[i * width + j] = mv;
        }
    }
    let mut steps = Vec::with_capacity(n + m);
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        match moves[i * width + j] {
            Move::Pair => {
                i -= 1;
                j -= 1;
                steps.push(Step::Pair(i, j));
            }
            Move::SkipOld => {
                i -= 1;
                steps.push(Step::Removed(i));
            }
            Move::SkipNew => {
                j -= 1;
                steps.push(Step::Added(j));
            }
        }
    }
    steps.reverse();
    steps
}

/// A paragraph as a multiset of its non-space tokens, for similarity.
struct Bag<'a> {
    counts: HashMap<&'a str, usize>,
    len: usize,
}

impl<'a> Bag<'a> {
    fn new(text: &'a str) -> Bag<'a> {
        let mut counts = HashMap::new();
        let mut len = 0;
        for t in tokenize(text) {
            if tokenize::kind(t) != TokenKind::Space {
                *counts.entry(t).or_insert(0) += 1;
                len += 1;
            }
        }
        Bag { counts, len }
    }

    /// The share of tokens the two have in common (Dice coefficient), in `0..=1`.
    fn similarity(&self, other: &Bag<'_>) -> f64 {
        if self.len + other.len == 0 {
            return 1.0;
        }
        let shared: usize = other
            .counts
            .iter()
            .map(|(t, &c)| c.min(self.counts.get(t).copied().unwrap_or(0)))
            .sum();
        2.0 * shared as f64 / (self.len + other.len) as f64
    }
}

/// One stretch of a word diff while it is being tidied up.
#[derive(Debug)]
enum Segment {
    Equal(String),
    Change { del: String, ins: String },
}

/// The word diff of two strings as readable spans.
///
/// Consecutive changes are merged into one removed run followed by one added run, and a
/// bare space between two changes is pulled inside the run, so that replacing "one
/// hundred" with "140" reads `[-one hundred-]{+140+}` rather than alternating pieces.
fn word_diff(old: &str, new: &str, deadline: Instant, counts: &mut Counts) -> Vec<Span> {
    let a = tokenize(old);
    let b = tokenize(new);
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(deadline));

    let mut segments: Vec<Segment> = Vec::new();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            match segments.last_mut() {
                Some(Segment::Equal(text)) => text.extend(a[o].iter().copied()),
                _ => segments.push(Segment::Equal(a[o].concat())),
            }
            continue;
        }
        counts.removed += a[o.clone()].iter().filter(|t| is_word(t)).count();
        counts.added += b[n.clone()].iter().filter(|t| is_word(t)).count();
        let (del, ins) = (a[o].concat(), b[n].concat());
        push_change(&mut segments, del, ins);
    }

    let mut spans: Vec<Span> = Vec::new();
    for segment in segments {
        match segment {
            Segment::Equal(text) => push_span(&mut spans, SpanKind::Equal, text),
            Segment::Change { del, ins } => {
                // A space common to the start (or end) of both sides is not a change.
                let head = common_space_prefix(&del, &ins);
                let tail = common_space_suffix(&del[head..], &ins[head..]);
                push_span(&mut spans, SpanKind::Equal, del[..head].to_string());
                push_span(
                    &mut spans,
                    SpanKind::Delete,
                    del[head..del.len() - tail].to_string(),
                );
                push_span(
                    &mut spans,
                    SpanKind::Insert,
                    ins[head..ins.len() - tail].to_string(),
                );
                push_span(
                    &mut spans,
                    SpanKind::Equal,
                    del[del.len() - tail..].to_string(),
                );
            }
        }
    }
    spans
}

/// Appends a change, merging it with the previous one when only a space separates them
/// and both sides keep some text (a run that is purely removed or purely added would
/// otherwise lose or gain that space).
fn push_change(segments: &mut Vec<Segment>, del: String, ins: String) {
    if absorbs_gap(segments, &del, &ins) {
        if let Some(Segment::Equal(gap)) = segments.pop()
            && let Some(Segment::Change { del: d0, ins: i0 }) = segments.last_mut()
        {
            // The gap is in both versions, so it joins both sides; where it lands at
            // the edge of a side, word_diff moves it back out as a common prefix or
            // suffix.
            for (side, more) in [(d0, &del), (i0, &ins)] {
                side.push_str(&gap);
                side.push_str(more);
            }
        }
        return;
    }
    match segments.last_mut() {
        Some(Segment::Change { del: d0, ins: i0 }) => {
            d0.push_str(&del);
            i0.push_str(&ins);
        }
        _ => segments.push(Segment::Change { del, ins }),
    }
}

/// True when `segments` ends with a change and a bare space that the next change (`del`,
/// `ins`) should swallow.
fn absorbs_gap(segments: &[Segment], del: &str, ins: &str) -> bool {
    match segments {
        [
            ..,
            Segment::Change { del: d0, ins: i0 },
            Segment::Equal(gap),
        ] => {
            !gap.is_empty()
                && gap.chars().all(char::is_whitespace)
                && (!d0.is_empty() || !del.is_empty())
                && (!i0.is_empty() || !ins.is_empty())
        }
        _ => false,
    }
}

fn push_span(spans: &mut Vec<Span>, kind: SpanKind, text: String) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.kind == kind => last.text.push_str(&text),
        _ => spans.push(Span { kind, text }),
    }
}

/// Length in bytes of the whitespace both strings start with.
fn common_space_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .take_while(|((_, x), y)| x == y && x.is_whitespace())
        .map(|((i, x), _)| i + x.len_utf8())
        .last()
        .unwrap_or(0)
}

/// Length in bytes of the whitespace both strings end with.
fn common_space_suffix(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y && x.is_whitespace())
        .map(|(x, _)| x.len_utf8())
        .sum()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const HEADLINE_V1: &str = "Putin says Russia and China are 'jointly developing high-tech weapons'; calls NATO expansion unacceptable";
    pub(crate) const HEADLINE_V2: &str = "Putin says Russia and China are 'jointly developing advanced weapons'; calls NATO expansion unacceptable";

    /// The seed story's two versions, with their headlines.
    pub(crate) fn seed() -> (Copy, Copy) {
        let body = |text: &str| Copy::parse(text).paragraphs;
        let v1 = Copy {
            headline: HEADLINE_V1.to_string(),
            paragraphs: body(include_str!("../../tests/fixtures/seed/article-v1.txt")),
        };
        let v2 = Copy {
            headline: HEADLINE_V2.to_string(),
            paragraphs: body(include_str!("../../tests/fixtures/seed/article-v2.txt")),
        };
        (v1, v2)
    }

    fn copy(paragraphs: &[&str]) -> Copy {
        Copy {
            headline: "H".to_string(),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn span(kind: SpanKind, text: &str) -> Span {
        Span {
            kind,
            text: text.to_string(),
        }
    }

    /// The blocks without their text: which paragraphs went where.
    fn shape(d: &CopyDiff) -> Vec<String> {
        d.blocks
            .iter()
            .map(|b| match b {
                Block::Same { old, new, .. } => format!("same {old}-{new}"),
                Block::Changed { old, new, .. } => format!("changed {old}-{new}"),
                Block::Added { new, .. } => format!("added {new}"),
                Block::Removed { old, .. } => format!("removed {old}"),
                Block::MovedOut { old, new, .. } => format!("moved_out {old}-{new}"),
                Block::MovedIn { old, new, .. } => format!("moved_in {old}-{new}"),
            })
            .collect()
    }

    /// Every diff must give back both versions exactly.
    fn assert_reconstructs(d: &CopyDiff, old: &Copy, new: &Copy) {
        if let Some(spans) = &d.headline {
            assert_eq!(old_text(spans), old.headline);
            assert_eq!(new_text(spans), new.headline);
        } else {
            assert_eq!(old.headline, new.headline);
        }
        let olds: Vec<String> = d.blocks.iter().filter_map(Block::old_text).collect();
        let news: Vec<String> = d.blocks.iter().filter_map(Block::new_text).collect();
        assert_eq!(olds, old.paragraphs);
        assert_eq!(news, new.paragraphs);
    }

    const P1: &str = "Russian President Vladimir Putin on Thursday said Moscow and Beijing are jointly developing weapons.";
    const P2: &str = "The Chinese Army is largely equipped with the most advanced weapons systems.";
    const P3: &str =
        "He further said that Russia and China also develop cooperation between the armed forces.";
    const P4: &str = "NATO Expansion to the East is unacceptable: Putin";

    #[test]
    fn seed_diff_has_exactly_the_four_edits() {
        let (v1, v2) = seed();
        let d = diff(&v1, &v2);
        assert_reconstructs(&d, &v1, &v2);

        let headline = d.headline.as_deref().unwrap_or_default();
        let changes: Vec<_> = headline
            .iter()
            .filter(|s| s.kind != SpanKind::Equal)
            .collect();
        assert_eq!(
            changes,
            vec![
                &span(SpanKind::Delete, "high-tech"),
                &span(SpanKind::Insert, "advanced")
            ]
        );

        let changed: Vec<&Block> = d.blocks.iter().filter(|b| !b.is_same()).collect();
        assert_eq!(changed.len(), 3, "{changed:#?}");
        assert_eq!(d.changed_blocks(), 3);
        let edits = |b: &Block| match b {
            Block::Changed { spans, .. } => spans
                .iter()
                .filter(|s| s.kind != SpanKind::Equal)
                .map(|s| (s.kind, s.text.clone()))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert!(matches!(changed[0], Block::Changed { old: 0, new: 0, .. }));
        assert_eq!(
            edits(changed[0]),
            vec![
                (SpanKind::Delete, "high-tech".to_string()),
                (SpanKind::Insert, "advanced".to_string())
            ]
        );
        assert!(matches!(changed[1], Block::Changed { old: 4, new: 4, .. }));
        assert_eq!(
            edits(changed[1]),
            vec![
                (SpanKind::Delete, "one hundred".to_string()),
                (SpanKind::Insert, "140".to_string())
            ]
        );
        assert_eq!(
            changed[2],
            &Block::Added {
                new: 8,
                text: "The Kremlin later said the remarks on military cooperation referred to existing agreements.".to_string()
            }
        );
        // high, tech (×2), one, hundred out; advanced (×2), 140 and the 13-word
        // paragraph in.
        assert_eq!(d.words_removed, 6);
        assert_eq!(d.words_added, 3 + 13);
        assert!(!d.is_empty());
    }

    #[test]
    fn identical_copies_give_an_empty_diff() {
        let (v1, _) = seed();
        let d = diff(&v1, &v1);
        assert!(d.is_empty());
        assert_eq!(d.changed_blocks(), 0);
        assert_eq!(d.headline, None);
        assert_eq!(d.blocks.len(), v1.paragraphs.len());
        assert_eq!((d.words_added, d.words_removed), (0, 0));
    }

    #[test]
    fn added_paragraph_in_the_middle_is_added_not_changed() {
        let old = copy(&[P1, P2, P3]);
        let new = copy(&[P1, P2, P4, P3]);
        let d = diff(&old, &new);
        assert_reconstructs(&d, &old, &new);
        assert_eq!(
            shape(&d),
            vec!["same 0-0", "same 1-1", "added 2", "same 2-3"]
        );
        assert_eq!(d.words_added, 8);
    }

    #[test]
    fn removed_paragraph_is_removed() {
        let old = copy(&[P1, P2, P3, P4]);
        let new = copy(&[P1, P3, P4]);
        let d = diff(&old, &new);
        assert_reconstructs(&d, &old, &new);
        assert_eq!(
            shape(&d),
            vec!["same 0-0", "removed 1", "same 2-1", "same 3-2"]
        );
        assert_eq!((d.words_added, d.words_removed), (0, 12));
    }

    #[test]
    fn reworded_paragraph_next_to_an_added_one_pairs_with_its_old_self() {
        let p2b = P2.replace("most advanced", "latest");
        let old = copy(&[P1, P2, P3]);
        let new = copy(&[P1, P4, &p2b, P3]);
        let d = diff(&old, &new);
        assert_reconstructs(&d, &old, &new);
        assert_eq!(
            shape(&d),
            vec!["same 0-0", "added 1", "changed 1-2", "same 2-3"]
        );
    }

    #[test]
    fn rewritten_paragraph_is_removed_and_added() {
        let old = copy(&[P1, P2, P3]);
        let new = copy(&[P1, P4, P3]);
        let d = diff(&old, &new);
        assert_reconstructs(&d, &old, &new);
        assert_eq!(
            shape(&d),
            vec!["same 0-0", "removed 1", "added 1", "same 2-2"]
        );
    }

    #[test]
    fn moved_paragraph_is_a_move_not_a_removal_and_an_addition() {
        let old = copy(&[P1, P2, P3, P4]);
        let new = copy(&[P2, P3, P1, P4]);
        let d = diff(&old, &new);
        assert_reconstructs(&d, &old, &new);
        assert_eq!(
            shape(&d),
            vec![
                "moved_out 0-2",
                "same 1-0",
                "same 2-1",
                "moved_in 0-2",
                "same 3-3"
            ]
        );
        assert_eq!((d.words_added, d.words_removed), (0, 0));
        assert_eq!(d.labels, set(&[Label::Move]));
        let shown = render::word(&d, &render::RenderOptions { context: 0 });
        assert!(shown.contains("[moved to paragraph 3]"), "{shown}");
        assert!(
            shown.contains(&format!("[moved from paragraph 1] {P1}")),
            "{shown}"
        );
        assert!(!shown.contains("{+") && !shown.contains("[-"), "{shown}");
    }

    fn set(labels: &[Label]) -> Labels {
        labels.iter().copied().collect()
    }

    /// The labels of changing one paragraph `old` into `new`.
    fn labels_of(old: &str, new: &str) -> Labels {
        let d = diff(&copy(&[P1, old]), &copy(&[P1, new]));
        assert_reconstructs(&d, &copy(&[P1, old]), &copy(&[P1, new]));
        d.labels
    }

    #[test]
    fn seed_edit_is_headline_figures_quotes_addition() {
        let (v1, v2) = seed();
        assert_eq!(
            labels(&v1, &v2),
            set(&[
                Label::Headline,
                Label::Figures,
                Label::Quotes,
                Label::Addition
            ])
        );
        assert!(labels(&v1, &v1).is_empty());
    }

    #[test]
    fn each_label_of_an_in_sentence_edit() {
        let base = "Officials in Moscow said the talks with Xi went well and lasted 44 minutes.";
        let cases: &[(&str, &[Label])] = &[
            (
                "Officials in Moscow said the talks with Xi went well and lasted 48 minutes.",
                &[Label::Figures],
            ),
            (
                "Officials in Moscow said the talks with Xi went well and lasted forty minutes.",
                &[Label::Figures],
            ),
            (
                "Officials in Beijing said the talks with Xi went well and lasted 44 minutes.",
                &[Label::Names],
            ),
            (
                "Officials in Moscow said the talks with Xi went badly and lasted 44 minutes.",
                &[Label::Wording],
            ),
            (
                "Officials in Moscow said the talks with Xi went well, and lasted 44 minutes.",
                &[Label::Punctuation],
            ),
        ];
        for (new, want) in cases {
            assert_eq!(labels_of(base, new), set(want), "{new}");
        }
        let quoted = "He said the talks were “a great success for both sides” on Friday.";
        assert_eq!(
            labels_of(
                quoted,
                "He said the talks were “a modest success for both sides” on Friday."
            ),
            set(&[Label::Quotes])
        );
        // A quotation of several sentences: a word of its second one is quoted, though
        // that sentence holds no quotation mark of its own; a word after it is not.
        let long = "He spoke first. “We wanted to win. Now, obviously, we need help. We will see.” Then he left quietly.";
        assert_eq!(
            labels_of(long, &long.replace("obviously", "clearly")),
            set(&[Label::Quotes])
        );
        assert_eq!(
            labels_of(long, &long.replace("quietly", "slowly")),
            set(&[Label::Wording])
        );
        // A day or a month is a date: figures, not a name.
        assert_eq!(
            labels_of(
                quoted,
                "He said the talks were “a great success for both sides” on Saturday."
            ),
            set(&[Label::Figures])
        );
        let mut h = copy(&[P1]);
        h.headline = "Putin meets Xi".into();
        let mut h2 = h.clone();
        h2.headline = "Putin greets Xi".into();
        assert_eq!(labels(&h, &h2), set(&[Label::Headline, Label::Wording]));
    }

    #[test]
    fn sentences_added_removed_and_moved_within_a_paragraph() {
        let p = "The talks lasted an hour. Both sides called them useful. No date was set for the next round.";
        assert_eq!(
            labels_of(
                p,
                &format!("{p} The Kremlin later confirmed the meeting took place.")
            ),
            set(&[Label::Addition])
        );
        assert_eq!(
            labels_of(
                p,
                "The talks lasted an hour. No date was set for the next round."
            ),
            set(&[Label::Removal])
        );
        let moved = "Both sides called them useful. The talks lasted an hour. No date was set for the next round.";
        assert_eq!(labels_of(p, moved), set(&[Label::Move]));
        // A whole sentence added reads as one run, not as scattered words.
        let d = diff(
            &copy(&[p]),
            &copy(&[
                "The talks lasted an hour. A new sentence sits here. Both sides called them useful. No date was set for the next round.",
            ]),
        );
        let Some(Block::Changed { spans, .. }) = d.blocks.first() else {
            panic!("{d:?}")
        };
        let inserted: Vec<&str> = spans
            .iter()
            .filter(|s| s.kind == SpanKind::Insert)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(inserted, vec!["A new sentence sits here. "]);
    }

    #[test]
    fn a_sentence_added_after_one_without_a_full_stop_is_an_addition() {
        for p in [
            "Good luck and hope to see you again my friend. pic.twitter.com/dUO6AJlMxR",
            "Nós seremos o teatro que sempre se esforça para tornar a cultura conhecida 🙂",
            "* Calendário sujeito a alterações feitas pelo Organizador",
        ] {
            let added = format!("{p} Two people familiar with the matter confirmed this account.");
            assert_eq!(labels_of(p, &added), set(&[Label::Addition]), "{p}");
            assert_eq!(labels_of(&added, p), set(&[Label::Removal]), "{p}");
        }
        // A line without a full stop (an agency's name) that a sentence now follows.
        let p = "More than 300 people were sent back on Friday. PTI";
        let added = format!("{p} Officials did not immediately respond to requests.");
        assert_eq!(labels_of(p, &added), set(&[Label::Addition]));
        // Words that are no sentence of their own, added there, are still words.
        let p = "Good luck and hope to see you again my friend";
        assert_eq!(
            labels_of(p, &format!("{p} and thanks")),
            set(&[Label::Wording])
        );
        let l = labels_of(p, &format!("{p} in Lisbon."));
        assert!(
            l.contains(Label::Names) && !l.contains(Label::Addition),
            "{l}"
        );
    }

    #[test]
    fn a_sentence_split_in_two_is_an_edit_not_a_rewrite() {
        let old = "Putin met Xi in Beijing on Friday, and the two leaders agreed to expand trade in energy and grain.";
        let new = "Putin met Xi in Beijing on Friday. The two leaders agreed to expand trade in energy and grain.";
        let l = labels_of(old, new);
        assert!(!l.contains(Label::Addition), "{l}");
        assert!(!l.contains(Label::Removal), "{l}");
        let d = diff(&copy(&[old]), &copy(&[new]));
        let Some(Block::Changed { spans, .. }) = d.blocks.first() else {
            panic!("{d:?}")
        };
        // Only the joint changed: most of both sentences is common text.
        let changed: usize = spans
            .iter()
            .filter(|s| s.kind != SpanKind::Equal)
            .map(|s| s.text.len())
            .sum();
        assert!(changed < 20, "{spans:?}");
        // And the reverse, two sentences merged into one.
        let l = labels_of(new, old);
        assert!(
            !l.contains(Label::Addition) && !l.contains(Label::Removal),
            "{l}"
        );
    }

    #[test]
    fn stored_diffs_read_back() {
        let (v1, v2) = seed();
        let d = diff(&v1, &v2);
        let json = serde_json::to_string(&d).expect("serialises");
        let back: CopyDiff = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, d);
    }

    #[test]
    fn headline_only_change() {
        let old = copy(&[P1]);
        let mut new = old.clone();
        new.headline = "H2".to_string();
        let d = diff(&old, &new);
        assert_reconstructs(&d, &old, &new);
        assert_eq!(
            d.headline,
            Some(vec![
                span(SpanKind::Delete, "H"),
                span(SpanKind::Insert, "H2")
            ])
        );
        assert_eq!(d.changed_blocks(), 0);
        assert!(!d.is_empty());
    }

    #[test]
    fn consecutive_changed_words_form_one_run() {
        let mut c = Counts::default();
        let far = Instant::now() + TIMEOUT;
        let spans = word_diff("the big red car", "the small blue car", far, &mut c);
        assert_eq!(
            spans,
            vec![
                span(SpanKind::Equal, "the "),
                span(SpanKind::Delete, "big red"),
                span(SpanKind::Insert, "small blue"),
                span(SpanKind::Equal, " car"),
            ]
        );
        assert_eq!((c.added, c.removed), (2, 2));
    }

    #[test]
    fn pure_insertion_and_deletion_keep_their_spaces_right() {
        let mut c = Counts::default();
        let far = Instant::now() + TIMEOUT;
        for (old, new) in [
            ("a good plan", "a very good plan"),
            ("a very good plan", "a good plan"),
            ("He said.", "He said. Then he left."),
            ("over one hundred billion", "over billion"),
            ("x", ""),
            ("", "x y"),
        ] {
            let spans = word_diff(old, new, far, &mut c);
            assert_eq!(old_text(&spans), old);
            assert_eq!(new_text(&spans), new);
            let runs = spans.iter().filter(|s| s.kind != SpanKind::Equal).count();
            assert_eq!(runs, 1, "{old:?} → {new:?}: {spans:?}");
        }
    }

    #[test]
    fn one_number_changes_alone() {
        let mut c = Counts::default();
        let far = Instant::now() + TIMEOUT;
        let spans = word_diff(
            "a turnover of 1,200 units",
            "a turnover of 1,300 units",
            far,
            &mut c,
        );
        assert_eq!(
            spans,
            vec![
                span(SpanKind::Equal, "a turnover of "),
                span(SpanKind::Delete, "1,200"),
                span(SpanKind::Insert, "1,300"),
                span(SpanKind::Equal, " units"),
            ]
        );
    }

    #[test]
    fn chinese_changes_by_the_character() {
        let old = copy(&["普京说俄中两国正在联合研发高科技武器。"]);
        let new = copy(&["普京说俄中两国正在联合研发先进武器。"]);
        let d = diff(&old, &new);
        assert_reconstructs(&d, &old, &new);
        let Some(Block::Changed { spans, .. }) = d.blocks.first() else {
            panic!("{d:?}")
        };
        assert_eq!(
            spans,
            &vec![
                span(SpanKind::Equal, "普京说俄中两国正在联合研发"),
                span(SpanKind::Delete, "高科技"),
                span(SpanKind::Insert, "先进"),
                span(SpanKind::Equal, "武器。"),
            ]
        );
        assert_eq!((d.words_removed, d.words_added), (3, 2));
    }

    /// Two 100,000-word copies that differ everywhere: past the deadline the work is
    /// coarse (whole runs replaced) yet the diff stays correct. Without a deadline the
    /// small-vocabulary case (many partial matches, the hard case for Myers) takes over
    /// 6 s in a test build. The test gives a deadline that has already passed and checks
    /// the shape of the result, not the wall time, so a busy machine cannot fail it.
    #[test]
    fn deadline_bounds_a_huge_diff() {
        // Distinct words, so only the spaces match.
        let distinct = |prefix: &str| -> Vec<String> {
            (0..100_000).map(|i| format!("{prefix}{i}")).collect()
        };
        // Pseudo-random words from a vocabulary of 50, so nearly every word matches
        // somewhere.
        let shuffled = |seed: u64| -> Vec<String> {
            let mut x = seed;
            (0..100_000)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    format!("w{}", (x >> 33) % 50)
                })
                .collect()
        };
        let cases = [
            (distinct("a"), distinct("b"), 100_000),
            (distinct("a"), distinct("b"), 100),
            (shuffled(1), shuffled(2), 100_000),
        ];
        for (old_words, new_words, per_paragraph) in cases {
            let paragraphs = |words: &[String]| -> Vec<String> {
                words.chunks(per_paragraph).map(|c| c.join(" ")).collect()
            };
            let old = Copy {
                headline: "old".to_string(),
                paragraphs: paragraphs(&old_words),
            };
            let new = Copy {
                headline: "new".to_string(),
                paragraphs: paragraphs(&new_words),
            };
            let d = diff_with_deadline(&old, &new, Instant::now());
            assert_reconstructs(&d, &old, &new);
            assert_eq!(d.words_removed, d.words_added);
            assert!(d.words_added > 1_000);
            // Coarse: each changed paragraph is at most a kept prefix, a removed run, an
            // added run and a kept suffix, where a minimal diff has thousands of spans.
            for b in &d.blocks {
                if let Block::Changed { spans, .. } = b {
                    assert!(spans.len() <= 4, "{} spans past the deadline", spans.len());
                }
            }
        }
    }
}
