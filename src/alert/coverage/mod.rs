//! The body of a `coverage` alert: a newly matched article set against the stored copy
//! of the story it tells.
//!
//! Both texts are split into sentences and quotations. Quotations, then sentences, are
//! aligned greedily, closest pair first (overlap of their folded words, see
//! [`crate::topic::like::overlap`]); each aligned pair is shown as a word diff of the copy's
//! wording against the article's (quotes first, since which words an outlet put in
//! someone's mouth is what readers compare first). What is left over is summed up: the
//! copy's sentences the article leaves out, and the article's own additions.
//!
//! The rendering reuses the differ's word and HTML renderers, so article text is
//! escaped there exactly as in a `reworded` alert.

use crate::text::Copy;
use crate::topic::like::{Features, overlap};

mod render;
#[cfg(test)]
mod tests;

pub use render::{html, text};

/// Sentences closer than this are "the same sentence, reworded".
const SENTENCE_MATCH: f64 = 0.45;
/// Quotations closer than this are "the same quotation".
const QUOTE_MATCH: f64 = 0.34;
/// At most this many aligned sentences are shown; the rest are counted.
const MAX_PAIRS: usize = 12;
/// At most this many left-out or added sentences are listed.
const MAX_LISTED: usize = 4;
/// Listed sentences are cut to this many characters.
const LISTED_CHARS: usize = 160;

/// A copy's wording and the article's, aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub copy: String,
    pub article: String,
    /// For a quotation: false when the article has the words without quotation marks.
    pub quoted: bool,
}

/// How an article compares with the copy it matched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comparison {
    pub headline: Option<Pair>,
    pub quotes: Vec<Pair>,
    pub sentences: Vec<Pair>,
    /// The copy's sentences with no counterpart in the article.
    pub left_out: Vec<String>,
    /// The article's sentences with no counterpart in the copy.
    pub added: Vec<String>,
}

/// Aligns an article with the copy it matched.
pub fn compare(copy: &Copy, article: &Copy) -> Comparison {
    let copy_sentences = sentences(copy);
    let article_sentences = sentences(article);
    let (sentence_pairs, copy_used, article_used) =
        align(&copy_sentences, &article_sentences, SENTENCE_MATCH);
    let with_headline = |c: &Copy| -> Vec<String> {
        std::iter::once(&c.headline)
            .chain(&c.paragraphs)
            .cloned()
            .collect()
    };
    let copy_quotes = dedup(quotations(&with_headline(copy)));
    let (mut quote_pairs, quotes_used, _) = align(
        &copy_quotes,
        &dedup(quotations(&with_headline(article))),
        QUOTE_MATCH,
    );
    // A quotation the article does not quote may still be there in its own words.
    let article_text = with_headline(article);
    for (q, used) in copy_quotes.iter().zip(&quotes_used) {
        if !used && let Some(echo) = echo(q, &article_text) {
            quote_pairs.push(Pair {
                copy: q.clone(),
                article: echo,
                quoted: false,
            });
        }
    }
    let unused = |all: &[String], used: &[bool]| -> Vec<String> {
        all.iter()
            .zip(used)
            .filter(|(_, u)| !**u)
            .map(|(s, _)| s.clone())
            .collect()
    };
    Comparison {
        headline: (!copy.headline.is_empty() && !article.headline.is_empty()).then(|| Pair {
            copy: copy.headline.clone(),
            article: article.headline.clone(),
            quoted: true,
        }),
        quotes: quote_pairs,
        sentences: sentence_pairs,
        left_out: unused(&copy_sentences, &copy_used),
        added: unused(&article_sentences, &article_used),
    }
}

/// Greedy alignment, closest pair first; each item is used at most once. The pairs come
/// back in the article's order.
fn align(copy: &[String], article: &[String], min: f64) -> (Vec<Pair>, Vec<bool>, Vec<bool>) {
    let cf: Vec<Features> = copy.iter().map(|s| Features::new(s)).collect();
    let af: Vec<Features> = article.iter().map(|s| Features::new(s)).collect();
    let mut candidates = Vec::new();
    for (i, c) in cf.iter().enumerate() {
        for (j, a) in af.iter().enumerate() {
            let score = overlap(c, a);
            if score >= min {
                candidates.push((score, i, j));
            }
        }
    }
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut copy_used = vec![false; copy.len()];
    let mut article_used = vec![false; article.len()];
    let mut chosen = Vec::new();
    for (_, i, j) in candidates {
        if copy_used[i] || article_used[j] {
            continue;
        }
        copy_used[i] = true;
        article_used[j] = true;
        chosen.push((j, i));
    }
    chosen.sort_unstable();
    let pairs = chosen
        .into_iter()
        .map(|(j, i)| Pair {
            copy: copy[i].clone(),
            article: article[j].clone(),
            quoted: true,
        })
        .collect();
    (pairs, copy_used, article_used)
}

/// The sentences of a copy's paragraphs (the headline is compared on its own).
fn sentences(copy: &Copy) -> Vec<String> {
    let mut out = Vec::new();
    for p in &copy.paragraphs {
        let mut start = 0;
        let chars: Vec<(usize, char)> = p.char_indices().collect();
        for (k, &(i, c)) in chars.iter().enumerate() {
            let end_mark = matches!(c, '.' | '!' | '?' | '。' | '！' | '？');
            if !end_mark {
                continue;
            }
            // Closing quotes and brackets stay with the sentence they close.
            let mut end = i + c.len_utf8();
            let mut next = k + 1;
            while let Some(&(j, q)) = chars.get(next) {
                if matches!(q, '"' | '\'' | '”' | '’' | '»' | '」' | '』' | ')' | ']') {
                    end = j + q.len_utf8();
                    next += 1;
                } else {
                    break;
                }
            }
            let wide = matches!(c, '。' | '！' | '？');
            let at_space = chars.get(next).is_none_or(|&(_, n)| n.is_whitespace());
            if wide || at_space {
                push_trimmed(&mut out, &p[start..end]);
                start = end;
            }
        }
        push_trimmed(&mut out, &p[start..]);
    }
    out
}

fn push_trimmed(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if s.chars().any(char::is_alphanumeric) {
        out.push(s.to_string());
    }
}

/// Quotations longer than this many words are not looked for unquoted.
const MAX_ECHO_WORDS: usize = 12;
/// How close a run of the article's words must come to a quotation to be its echo.
const ECHO_MATCH: f64 = 0.6;

/// The run of the article's words that best echoes a quotation it did not quote
/// (`jointly developing advanced weapons` for “jointly developing high-tech weapons”):
/// windows of about the quotation's length, scored by the Dice coefficient of their
/// folded words. Only for scripts written with spaces.
fn echo(quote: &str, paragraphs: &[String]) -> Option<String> {
    let norm = |w: &str| -> String {
        w.chars()
            .filter(|c| c.is_alphanumeric() || *c == '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let want: Vec<String> = quote.split_whitespace().map(norm).collect();
    let n = want.len();
    if !(2..=MAX_ECHO_WORDS).contains(&n) {
        return None;
    }
    let want_set: std::collections::HashSet<&str> = want.iter().map(String::as_str).collect();
    let mut best: Option<(f64, String)> = None;
    for p in paragraphs {
        let words: Vec<&str> = p.split_whitespace().collect();
        let folded: Vec<String> = words.iter().map(|w| norm(w)).collect();
        for len in n.saturating_sub(1).max(2)..=n + 1 {
            for start in 0..words.len().saturating_sub(len - 1) {
                let window: std::collections::HashSet<&str> = folded[start..start + len]
                    .iter()
                    .map(String::as_str)
                    .collect();
                let shared = window.intersection(&want_set).count();
                let score = 2.0 * shared as f64 / (window.len() + want_set.len()) as f64;
                if score >= ECHO_MATCH && best.as_ref().is_none_or(|(b, _)| score > *b) {
                    let text = words[start..start + len].join(" ");
                    let text = text
                        .trim_matches(|c: char| !c.is_alphanumeric())
                        .to_string();
                    best = Some((score, text));
                }
            }
        }
    }
    best.map(|(_, text)| text)
}

/// Drops repeated passages (a headline quoting the same words as the lead), keeping the
/// first.
fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|q| seen.insert(q.to_lowercase()));
    items
}

/// The passages inside quotation marks, in order. Apostrophes inside words (`NATO's`)
/// are not quotation marks.
fn quotations(paragraphs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paragraphs {
        let chars: Vec<char> = p.chars().collect();
        let mut open: Option<(usize, char)> = None;
        for (k, &c) in chars.iter().enumerate() {
            let before = k.checked_sub(1).and_then(|b| chars.get(b)).copied();
            let after = chars.get(k + 1).copied();
            let word = |x: Option<char>| x.is_some_and(char::is_alphanumeric);
            match open {
                None => {
                    let opens = match c {
                        '“' | '«' | '„' | '「' | '『' => true,
                        '"' | '\'' | '‘' => !word(before) && word(after),
                        _ => false,
                    };
                    if opens {
                        open = Some((k + 1, c));
                    }
                }
                Some((start, o)) => {
                    let closes = match (o, c) {
                        ('“', '”' | '"') | ('„', '“' | '”') | ('«', '»') => true,
                        ('「', '」') | ('『', '』') => true,
                        ('"', '"' | '”') => true,
                        ('\'' | '‘', '\'' | '’') => !word(after),
                        _ => false,
                    };
                    if closes {
                        let quote: String = chars[start..k].iter().collect();
                        push_trimmed(&mut out, &quote);
                        open = None;
                    }
                }
            }
        }
    }
    out
}
