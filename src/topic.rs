//! Topic queries: the small search language of `[[topic]] query`, and the matcher that
//! decides which feed entries are worth tracking.
//!
//! Every entry of every feed is matched against every topic, so the work is split in
//! two: a document is folded and tokenised once into a [`MatchText`], and a parsed
//! [`Query`] is then evaluated against it with sorted-list lookups and comparisons only,
//! never touching the original text again.
//!
//! The language, as the product contract gives it:
//!
//! - words, `"quoted phrases"` (consecutive words), parentheses;
//! - `AND`, `OR`, `NOT`, upper case only (`and`, `or`, `not` are ordinary words);
//!   adjacent terms mean `AND`; `NOT` binds tighter than `AND`, `AND` tighter than `OR`;
//! - a trailing `*` makes a word a prefix (`sanction*` matches `sanctions`);
//! - matching ignores case, accents and punctuation, and is by whole words: `China` does
//!   not match `Chinatown`, but `NATO's` holds `nato` and `Russia-China` holds `russia`
//!   and `china`. A query word with punctuation inside (`build-up`) is a phrase.
//! - In scripts written without spaces (Chinese, Japanese, Thai …, and Korean, whose
//!   particles cling to nouns) there are no words to respect: a term matches as a run of
//!   characters anywhere, so `普京` matches inside `俄罗斯总统普京周四表示`.
//!
//! This module owns parsing (with the column of each mistake, [`QueryError`]), the
//! canonical form shown by `redline check` (`Display` for [`Query`]) and matching. It
//! does not strip HTML or decide which fields of an entry are joined: callers pass the
//! plain text.

mod fold;
pub mod like;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

use fold::Kind;

/// A parsed topic query, ready to be matched against many documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    root: Node,
}

/// Why a query does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct QueryError {
    /// 1-based column, in characters, of the problem in the query.
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Term(Term),
    Not(Box<Node>),
    /// Two or more parts; never directly holds another `And`.
    And(Vec<Node>),
    /// Two or more parts; never directly holds another `Or`.
    Or(Vec<Node>),
}

/// A word, or a phrase of consecutive tokens (a quoted phrase, or a word with
/// punctuation inside, such as `Russia-China`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Term {
    /// Folded tokens, never empty once parsed.
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    kind: Kind,
    text: String,
    /// Written with a trailing `*`. A run already matches anywhere inside a run of the
    /// document, so only words are affected.
    prefix: bool,
}

impl Query {
    /// Parses a query; the error names the column of the first problem.
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        parse::parse(q).map(|root| Query { root })
    }

    /// Whether the document satisfies the query.
    pub fn matches(&self, text: &MatchText) -> bool {
        self.root.matches(text)
    }
}

impl Node {
    /// Joins parts with AND, flattening nested ANDs so that `a AND (b AND c)` and
    /// `a AND b AND c` are the same query (and print the same).
    fn and(parts: Vec<Node>) -> Node {
        Node::join(parts, Node::And, |n| match n {
            Node::And(inner) => Ok(inner),
            other => Err(other),
        })
    }

    fn or(parts: Vec<Node>) -> Node {
        Node::join(parts, Node::Or, |n| match n {
            Node::Or(inner) => Ok(inner),
            other => Err(other),
        })
    }

    fn join(
        parts: Vec<Node>,
        make: fn(Vec<Node>) -> Node,
        same: fn(Node) -> Result<Vec<Node>, Node>,
    ) -> Node {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match same(part) {
                Ok(inner) => flat.extend(inner),
                Err(other) => flat.push(other),
            }
        }
        if flat.len() == 1
            && let Some(only) = flat.pop()
        {
            return only;
        }
        make(flat)
    }

    fn matches(&self, text: &MatchText) -> bool {
        match self {
            Node::Term(term) => term.matches(text),
            Node::Not(inner) => !inner.matches(text),
            Node::And(parts) => parts.iter().all(|p| p.matches(text)),
            Node::Or(parts) => parts.iter().any(|p| p.matches(text)),
        }
    }

    /// Binding strength, for deciding where the canonical form needs parentheses.
    fn strength(&self) -> u8 {
        match self {
            Node::Or(_) => 0,
            Node::And(_) => 1,
            Node::Not(_) | Node::Term(_) => 2,
        }
    }

    fn fmt_within(&self, f: &mut fmt::Formatter<'_>, min_strength: u8) -> fmt::Result {
        if self.strength() < min_strength {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for Query {
    /// The canonical form: folded terms, explicit operators, parentheses only where
    /// needed, e.g. `(putin OR kremlin) AND china`. It parses back to the same query.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Term(term) => write!(f, "{term}"),
            Node::Not(inner) => {
                f.write_str("NOT ")?;
                inner.fmt_within(f, 2)
            }
            Node::And(parts) | Node::Or(parts) => {
                let (sep, min) = match self {
                    Node::And(_) => (" AND ", 2),
                    _ => (" OR ", 1),
                };
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    part.fmt_within(f, min)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Folded tokens are lower case and hold no quotes, parentheses or `*`, so they
        // can be printed bare: none of them can be read back as an operator.
        let quoted = self.pieces.len() > 1;
        if quoted {
            f.write_str("\"")?;
        }
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&piece.text)?;
            if piece.prefix {
                f.write_str("*")?;
            }
        }
        if quoted {
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// A document prepared for matching: folded and tokenised once, then matched against
/// any number of queries.
#[derive(Debug, Clone)]
pub struct MatchText {
    /// Every distinct word, sorted, so that both an exact word and all the words with a
    /// given prefix are one binary search away (a prefix's words are contiguous).
    words: Vec<Box<str>>,
    /// Every run of unspaced script, each followed by `\n`, for substring search: a
    /// folded term never holds `\n`, so no match can straddle two runs.
    runs: String,
    /// The document's tokens in order, for phrases.
    seq: Vec<Tok>,
}

#[derive(Debug, Clone, Copy)]
enum Tok {
    /// Index into `words`.
    Word(usize),
    /// Byte range in `runs`.
    Run(usize, usize),
}

impl MatchText {
    /// Prepares plain text (for an entry: title, summary and content joined).
    pub fn new(text: &str) -> MatchText {
        let folded = fold::fold(text);
        let mut tokens: Vec<(Kind, &str)> = Vec::new();
        fold::tokenize(&folded, |kind, t| tokens.push((kind, t)));

        let mut words: Vec<&str> = tokens
            .iter()
            .filter(|(kind, _)| *kind == Kind::Word)
            .map(|&(_, t)| t)
            .collect();
        words.sort_unstable();
        words.dedup();

        let mut runs = String::new();
        let seq = tokens
            .iter()
            .map(|&(kind, t)| match kind {
                // Always found: `words` holds every word token.
                Kind::Word => match words.binary_search(&t) {
                    Ok(i) | Err(i) => Tok::Word(i),
                },
                Kind::Run => {
                    let start = runs.len();
                    runs.push_str(t);
                    runs.push('\n');
                    Tok::Run(start, start + t.len())
                }
            })
            .collect();

        MatchText {
            words: words.into_iter().map(Box::from).collect(),
            runs,
            seq,
        }
    }

    /// The indices in `words` of the words a query word matches (empty if none).
    fn word_ids(&self, piece: &Piece) -> Range<usize> {
        let text = piece.text.as_str();
        let lo = self.words.partition_point(|w| &**w < text);
        let rest = &self.words[lo..];
        let len = if piece.prefix {
            rest.partition_point(|w| w.starts_with(text))
        } else {
            usize::from(rest.first().is_some_and(|w| &**w == text))
        };
        lo..lo + len
    }
}

impl Term {
    fn matches(&self, text: &MatchText) -> bool {
        match self.pieces.as_slice() {
            [] => return false,
            [piece] => {
                return match piece.kind {
                    Kind::Word => !text.word_ids(piece).is_empty(),
                    Kind::Run => text.runs.contains(piece.text.as_str()),
                };
            }
            _ => {}
        }
        // A phrase: resolve its words first, so that a phrase with a word the document
        // lacks fails without a scan, and the scan compares indices, not strings.
        let mut ids = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            let range = match piece.kind {
                Kind::Word => text.word_ids(piece),
                Kind::Run => 0..0,
            };
            if piece.kind == Kind::Word && range.is_empty() {
                return false;
            }
            ids.push(range);
        }
        let last = self.pieces.len() - 1;
        text.seq.windows(self.pieces.len()).any(|window| {
            window
                .iter()
                .zip(self.pieces.iter().zip(&ids))
                .enumerate()
                .all(|(k, (tok, (piece, range)))| match *tok {
                    Tok::Word(id) => piece.kind == Kind::Word && range.contains(&id),
                    Tok::Run(start, end) => {
                        let run = &text.runs[start..end];
                        let want = piece.text.as_str();
                        // Inside a run there are no word boundaries: the phrase may
                        // begin anywhere in its first run and end anywhere in its last.
                        piece.kind == Kind::Run
                            && match (k == 0, k == last) {
                                (true, _) => run.ends_with(want),
                                (false, true) => run.starts_with(want),
                                (false, false) => run == want,
                            }
                    }
                })
        })
    }
}
