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

use crate::diff::{self, render};
use crate::text::Copy;
use crate::topic::like::{Features, overlap};

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
                    let text = text.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
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

/// A word diff of one aligned pair, copy → article, in the differ's plain-text markup.
fn pair_text(pair: &Pair) -> String {
    if pair.copy == pair.article {
        return format!("{} (same words)", pair.article);
    }
    let d = diff::diff(&Copy::new("", [&pair.copy]), &Copy::new("", [&pair.article]));
    // A pair reworded throughout comes back as a removed and an added paragraph: keep
    // them on consecutive, indented lines.
    render::word(&d, &render::RenderOptions { context: 0 })
        .trim()
        .split("\n\n")
        .collect::<Vec<_>>()
        .join("\n     ")
}

/// The same pair as an HTML fragment, escaped and styled by the differ.
fn pair_html(pair: &Pair) -> String {
    if pair.copy == pair.article {
        return format!(
            "<p style=\"margin:0 0 8px\">{} <em>(same words)</em></p>",
            render::escape_html(&pair.article)
        );
    }
    let d = diff::diff(&Copy::new("", [&pair.copy]), &Copy::new("", [&pair.article]));
    render::html(&d, &render::RenderOptions { context: 0 })
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= LISTED_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(LISTED_CHARS).collect();
    format!("{}…", cut.trim_end())
}

fn sentences_count(n: usize) -> String {
    if n == 1 {
        "1 sentence".into()
    } else {
        format!("{n} sentences")
    }
}

/// The plain-text body part: headline, quotes, sentences, then what is left out and added.
pub fn text(c: &Comparison, copy_name: &str, similarity: f64) -> String {
    let mut out = format!(
        "Compared with the stored copy {copy_name} (similarity {similarity:.2}); \
         [-copy's words-] {{+this article's words+}}\n"
    );
    if let Some(h) = &c.headline {
        out.push_str(&format!("\nHeadline:\n  {}\n", pair_text(h)));
    }
    if !c.quotes.is_empty() {
        out.push_str(&format!("\nQuotes they share ({}):\n", c.quotes.len()));
        for (i, q) in c.quotes.iter().enumerate() {
            let note = if q.quoted { "" } else { " (not quoted here)" };
            out.push_str(&format!("  {}. “{}”{note}\n", i + 1, pair_text(q)));
        }
    }
    if !c.sentences.is_empty() {
        out.push_str(&format!(
            "\nSentences they share ({}):\n",
            c.sentences.len()
        ));
        for (i, s) in c.sentences.iter().take(MAX_PAIRS).enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, pair_text(s)));
        }
        if c.sentences.len() > MAX_PAIRS {
            out.push_str(&format!("  … and {} more\n", c.sentences.len() - MAX_PAIRS));
        }
    }
    let list = |out: &mut String, title: &str, items: &[String]| {
        if items.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title} ({}):\n", sentences_count(items.len())));
        for s in items.iter().take(MAX_LISTED) {
            out.push_str(&format!("  - {}\n", shorten(s)));
        }
        if items.len() > MAX_LISTED {
            out.push_str(&format!("  … and {} more\n", items.len() - MAX_LISTED));
        }
    };
    list(
        &mut out,
        "What the copy says that this article leaves out",
        &c.left_out,
    );
    list(&mut out, "What this article adds", &c.added);
    out
}

/// The HTML body part, with the same content as [`text`].
pub fn html(c: &Comparison, copy_name: &str, similarity: f64) -> String {
    let esc = |s: &str| render::escape_html(s).into_owned();
    let heading = |t: &str| format!("<h3 style=\"margin:16px 0 8px;font-size:15px\">{}</h3>\n", esc(t));
    let mut out = format!(
        "<p style=\"margin:0 0 8px\">Compared with the stored copy <code>{}</code> (similarity {:.2}): the copy's words struck through, this article's underlined.</p>\n",
        esc(copy_name),
        similarity
    );
    if let Some(h) = &c.headline {
        out.push_str(&heading("Headline"));
        out.push_str(&pair_html(h));
        out.push('\n');
    }
    if !c.quotes.is_empty() {
        out.push_str(&heading(&format!("Quotes they share ({})", c.quotes.len())));
        for q in &c.quotes {
            out.push_str(&pair_html(q));
            if !q.quoted {
                out.push_str("<p style=\"margin:0 0 8px;font-size:13px\"><em>(not quoted here)</em></p>");
            }
            out.push('\n');
        }
    }
    if !c.sentences.is_empty() {
        out.push_str(&heading(&format!("Sentences they share ({})", c.sentences.len())));
        for s in c.sentences.iter().take(MAX_PAIRS) {
            out.push_str(&pair_html(s));
            out.push('\n');
        }
        if c.sentences.len() > MAX_PAIRS {
            out.push_str(&format!(
                "<p style=\"margin:0 0 8px\">… and {} more</p>\n",
                c.sentences.len() - MAX_PAIRS
            ));
        }
    }
    for (title, items) in [
        ("What the copy says that this article leaves out", &c.left_out),
        ("What this article adds", &c.added),
    ] {
        if items.is_empty() {
            continue;
        }
        out.push_str(&heading(&format!("{title} ({})", sentences_count(items.len()))));
        out.push_str("<ul style=\"margin:0 0 8px;padding-left:24px\">\n");
        for s in items.iter().take(MAX_LISTED) {
            out.push_str(&format!("<li>{}</li>\n", esc(&shorten(s))));
        }
        if items.len() > MAX_LISTED {
            out.push_str(&format!("<li>… and {} more</li>\n", items.len() - MAX_LISTED));
        }
        out.push_str("</ul>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy() -> Copy {
        Copy::new(
            "Putin says Russia and China are 'jointly developing high-tech weapons'",
            [
                "Russian President Vladimir Putin on Thursday said Moscow and Beijing are “jointly developing high-tech weapons”. He spoke at an annual press conference.",
                "He said NATO's expansion to the east is unacceptable.",
            ],
        )
    }

    fn article() -> Copy {
        Copy::new(
            "Moscow and Beijing building advanced weapons together, Putin says",
            [
                "Putin said NATO's expansion to the east is unacceptable.",
                "Russian President Vladimir Putin said on Thursday that Moscow and Beijing are “jointly developing advanced weapons”. The <b>ruble</b> fell.",
            ],
        )
    }

    #[test]
    fn splits_sentences_and_quotes() {
        let c = copy();
        assert_eq!(sentences(&c).len(), 3);
        assert_eq!(
            quotations(&c.paragraphs),
            ["jointly developing high-tech weapons"]
        );
        let q = quotations(&["He called it 'unacceptable', NATO's line.".to_string()]);
        assert_eq!(q, ["unacceptable"]);
        let zh = Copy::new("", ["普京表示，俄中“联合研发高科技武器”。两国举行演习。"]);
        assert_eq!(sentences(&zh).len(), 2);
        assert_eq!(quotations(&zh.paragraphs), ["联合研发高科技武器"]);
    }

    #[test]
    fn aligns_quotes_and_sentences_and_sums_up_the_rest() {
        let c = compare(&copy(), &article());
        assert_eq!(c.quotes.len(), 1);
        let q = pair_text(&c.quotes[0]);
        assert_eq!(q, "jointly developing [-high-tech-]{+advanced+} weapons");
        assert_eq!(c.sentences.len(), 2, "{:?}", c.sentences);
        // In the article's order: the NATO sentence first.
        assert!(c.sentences[0].article.contains("NATO"));
        assert_eq!(c.left_out, ["He spoke at an annual press conference."]);
        assert_eq!(c.added, ["The <b>ruble</b> fell."]);
    }

    #[test]
    fn a_quotation_put_in_other_words_is_found_unquoted() {
        let article = Copy::new(
            "Putin hails partnership",
            ["The two countries were jointly developing advanced weapons such as aircraft, Putin said."],
        );
        let c = compare(&copy(), &article);
        assert_eq!(c.quotes.len(), 1, "{:?}", c.quotes);
        assert!(!c.quotes[0].quoted);
        assert_eq!(
            pair_text(&c.quotes[0]),
            "jointly developing [-high-tech-]{+advanced+} weapons"
        );
        assert!(text(&c, "c.txt", 0.4).contains("(not quoted here)"));
    }

    #[test]
    fn renders_text_and_escaped_html() {
        let c = compare(&copy(), &article());
        let t = text(&c, "copies/en.txt", 0.5);
        assert!(t.contains("[-high-tech-]{+advanced+}"), "{t}");
        assert!(t.contains("Quotes they share (1)"), "{t}");
        assert!(t.contains("leaves out (1 sentence)"), "{t}");
        let h = html(&c, "copies/en.txt", 0.5);
        assert!(h.contains("&lt;b&gt;ruble&lt;/b&gt;"), "{h}");
        assert!(!h.contains("<b>ruble"), "{h}");
        assert!(h.contains("advanced"), "{h}");
    }
}
