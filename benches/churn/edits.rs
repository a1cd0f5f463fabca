//! Edit variants: one real change to the article text, and the check that a diff shows it.
//!
//! Every edit lands in a `<p>` that the ground truth says is article text (see
//! [`super::page::article_paragraphs`]), in a text node outside links: one word, one
//! figure, one punctuation mark, a sentence of five words or more appended; or a
//! paragraph of twelve words or more inserted between two paragraphs of the story (once
//! with a copy of its neighbour's markup, once as a bare `<p>` without its neighbours'
//! wrappers and class), one removed, one moved two or more places. [`Edit`] records the
//! tokens the diff must show as deleted and inserted (a moved paragraph's words both).

use dom_query::{Document, NodeRef};
use redline::diff::tokenize::{TokenKind, kind, tokenize};
use redline::diff::{Block, CopyDiff, Label, SpanKind};
use redline::text::normalize;

use super::page::{Rng, Truth, article_paragraphs, in_link};

/// The kinds of edit, one variant of each per page.
pub const KINDS: &[&str] = &[
    "word",
    "figure",
    "punct",
    "sentence",
    "para-insert",
    "para-insert-bare",
    "para-remove",
    "para-move",
];

/// The label product.md's "Change labels" gives an edit of `kind`: a changed word is
/// `wording` (`quotes` when `quoted`: inside quotation marks, see [`Edit::quoted`]), a changed number
/// `figures`, a changed mark `punctuation`, a sentence or paragraph added `addition`,
/// removed `removal`, moved unchanged `move`.
pub fn expected(kind: &str, quoted: bool) -> Label {
    match kind {
        "word" if quoted => Label::Quotes,
        "word" => Label::Wording,
        "figure" => Label::Figures,
        "punct" => Label::Punctuation,
        "para-remove" => Label::Removal,
        "para-move" => Label::Move,
        _ => Label::Addition,
    }
}

/// One edit made to a page.
#[derive(Debug)]
pub struct Edit {
    /// What changed, for the failure listing.
    pub desc: String,
    /// The edited (or anchoring) paragraph's text before the edit, normalised.
    pub para: String,
    /// Tokens the diff must show as removed.
    pub del: Vec<String>,
    /// Tokens the diff must show as added.
    pub ins: Vec<String>,
    /// Whether the replaced token sat inside quotation marks: after an odd number of the
    /// paragraph's double quotation marks (`"`, `“`, `”`, `„`, `«`, `»`, `「`, `」`, `『`,
    /// `』`, each counted as opening or closing in turn, as languages pair them
    /// differently); single marks are left out, as they double as apostrophes.
    pub quoted: bool,
}

/// The double quotation marks [`Edit::quoted`] counts.
const QUOTE_MARKS: &[char] = &['"', '“', '”', '„', '«', '»', '「', '」', '『', '』'];

const WORDS: &[&str] = &[
    "reportedly",
    "notably",
    "formally",
    "briefly",
    "largely",
    "quietly",
    "sharply",
];

const SENTENCES: &[&str] = &[
    "Officials did not immediately respond to requests for comment.",
    "The figures were later disputed by several independent analysts.",
    "A spokesperson declined to say when the review would end.",
    "This account was confirmed by two people familiar with the matter.",
];

const PARAGRAPHS: &[&str] = &[
    "In a statement released late on Tuesday, the agency said it would publish a full \
     account of its findings once the review had been completed.",
    "Several residents who spoke to reporters said they had not been told about the \
     changes in advance and were still waiting for an explanation.",
    "The proposal is expected to be debated again next month, when a committee will \
     hear evidence from experts and members of the public.",
];

/// Applies edit `kind` to the page; `None` when the page has no paragraph it fits.
pub fn apply(kind_name: &str, doc: &Document, truth: &Truth, rng: &mut Rng) -> Option<Edit> {
    let paras = article_paragraphs(doc, truth);
    if paras.is_empty() {
        return None;
    }
    match kind_name {
        "word" => replace_token(&paras, rng, is_plain_word, |tok, rng| {
            let mut w = WORDS[rng.below(WORDS.len())];
            if w.eq_ignore_ascii_case(tok) {
                w = "notably";
            }
            match_case(tok, w)
        })
        .map(|e| e.described("word")),
        "figure" => replace_token(&paras, rng, is_number, |tok, _| bump(tok))
            .map(|e| e.described("figure"))
            .or_else(|| {
                replace_token(&paras, rng, is_long_word, |_, _| "42".to_string())
                    .map(|e| e.described("figure (replaces a word: no number in the text)"))
            }),
        "punct" => punct(&paras, rng),
        "sentence" => {
            let p = *rng.pick(&paras)?;
            let s = SENTENCES[rng.below(SENTENCES.len())];
            let para = normalize(&p.text());
            p.append_html(format!(" {}", escape(s)));
            Some(Edit {
                quoted: false,
                desc: format!("sentence appended: {s:?}"),
                para,
                del: Vec::new(),
                ins: words_of(s),
            })
        }
        "para-insert" | "para-insert-bare" => {
            if paras.len() < 2 {
                return None;
            }
            let i = rng.below(paras.len() - 1);
            let (p, next) = (paras[i], paras[i + 1]);
            let s = PARAGRAPHS[rng.below(PARAGRAPHS.len())];
            let para = normalize(&p.text());
            let top = top_wrapper(&p, &next);
            let html = if kind_name == "para-insert" {
                // A copy of the neighbour's markup (wrappers, class) with the new text.
                let outer = top.html().to_string();
                let inner = p.inner_html().to_string();
                if !inner.is_empty() && outer.matches(&inner).count() == 1 {
                    outer.replacen(&inner, &escape(s), 1)
                } else {
                    format!("<p>{}</p>", escape(s))
                }
            } else {
                format!("<p>{}</p>", escape(s))
            };
            top.after_html(html.as_str());
            Some(Edit {
                quoted: false,
                desc: format!(
                    "paragraph inserted after {:?}: {}",
                    excerpt(&para),
                    cut(&html)
                ),
                para,
                del: Vec::new(),
                ins: words_of(s),
            })
        }
        "para-remove" => {
            // Removing a story's only paragraph empties the story: that is the shrink
            // guard's case (a page turned into a stub is held back, `tests/guards.rs`),
            // not a paragraph edit, as an insertion needs two paragraphs and a move three.
            if paras.len() < 2 {
                return None;
            }
            let p = *rng.pick(&paras)?;
            let para = normalize(&p.text());
            p.remove_from_parent();
            Some(Edit {
                quoted: false,
                desc: format!("paragraph removed: {:?}", excerpt(&para)),
                del: words_of(&para),
                para,
                ins: Vec::new(),
            })
        }
        "para-move" => {
            if paras.len() < 3 {
                return None;
            }
            let i = rng.below(paras.len());
            let far: Vec<usize> = (0..paras.len()).filter(|j| j.abs_diff(i) >= 2).collect();
            let j = *rng.pick(&far)?;
            let (p, to) = (paras[i], paras[j]);
            let para = normalize(&p.text());
            let html = p.html().to_string();
            p.remove_from_parent();
            to.after_html(html.as_str());
            let words = words_of(&para);
            Some(Edit {
                quoted: false,
                desc: format!(
                    "paragraph {i} moved after paragraph {j}: {:?}",
                    excerpt(&para)
                ),
                del: words.clone(),
                para,
                ins: words,
            })
        }
        _ => None,
    }
}

impl Edit {
    fn described(mut self, what: &str) -> Edit {
        self.desc = format!("{what}: {}", self.desc);
        self
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;")
}

fn cut(s: &str) -> String {
    s.chars().take(200).collect()
}

/// The outermost ancestor of `p` (or `p` itself) that does not also hold `next`: the
/// wrapper a site puts around each paragraph, if any.
fn top_wrapper<'a>(p: &NodeRef<'a>, next: &NodeRef<'a>) -> NodeRef<'a> {
    let mut top = *p;
    while let Some(parent) = top.parent() {
        if parent.descendants_it().any(|d| d.id == next.id) || parent.has_name("body") {
            break;
        }
        top = parent;
    }
    top
}

fn excerpt(s: &str) -> String {
    s.chars().take(60).collect()
}

fn words_of(s: &str) -> Vec<String> {
    tokenize(s)
        .into_iter()
        .filter(|t| kind(t) == TokenKind::Word)
        .map(str::to_string)
        .collect()
}

fn is_long_word(tok: &str) -> bool {
    tok.chars().count() >= 4 && tok.chars().all(char::is_alphabetic)
}

/// A long word in lower case: replacing it changes no name.
fn is_plain_word(tok: &str) -> bool {
    is_long_word(tok) && tok.chars().all(char::is_lowercase)
}

fn is_number(tok: &str) -> bool {
    tok.chars().any(|c| c.is_ascii_digit())
        && tok
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// The number with its last digit changed.
fn bump(tok: &str) -> String {
    let mut chars: Vec<char> = tok.chars().collect();
    if let Some(c) = chars.iter_mut().rev().find(|c| c.is_ascii_digit()) {
        let d = c.to_digit(10).unwrap_or(0);
        *c = char::from_digit((d + 1) % 10, 10).unwrap_or('1');
    }
    chars.into_iter().collect()
}

fn match_case(like: &str, word: &str) -> String {
    if like.chars().next().is_some_and(char::is_uppercase) {
        let mut c = word.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    } else {
        word.to_string()
    }
}

/// The text nodes of a paragraph outside links.
fn text_nodes<'a>(p: &NodeRef<'a>) -> Vec<NodeRef<'a>> {
    p.descendants_it()
        .filter(|n| n.is_text() && !in_link(n))
        .collect()
}

/// Replaces one token that `fits`, in a paragraph that has one, with `with(token)`.
fn replace_token(
    paras: &[NodeRef<'_>],
    rng: &mut Rng,
    fits: fn(&str) -> bool,
    with: impl Fn(&str, &mut Rng) -> String,
) -> Option<Edit> {
    // (paragraph, text node, byte offset, token, inside quotation marks)
    let mut spots = Vec::new();
    for p in paras {
        let mut marks = 0usize;
        for node in p.descendants_it().filter(NodeRef::is_text) {
            let text = node.text().to_string();
            let editable = !in_link(&node);
            let mut at = 0;
            for tok in tokenize(&text) {
                marks += tok.chars().filter(|c| QUOTE_MARKS.contains(c)).count();
                if editable && fits(tok) {
                    spots.push((*p, node, at, tok.to_string(), marks % 2 == 1));
                }
                at += tok.len();
            }
        }
    }
    let (p, node, at, tok, quoted) = rng.pick(&spots)?.clone();
    let new_tok = with(&tok, rng);
    let para = normalize(&p.text());
    let text = node.text().to_string();
    node.set_text(format!(
        "{}{new_tok}{}",
        &text[..at],
        &text[at + tok.len()..]
    ));
    Some(Edit {
        desc: format!("{tok:?} → {new_tok:?}"),
        para,
        del: vec![tok],
        ins: vec![new_tok],
        quoted,
    })
}

/// `,` → `;` after a word; else a sentence's final `.` removed.
fn punct(paras: &[NodeRef<'_>], rng: &mut Rng) -> Option<Edit> {
    for (mark, new) in [(", ", "; "), (". ", " ")] {
        let mut spots = Vec::new();
        for p in paras {
            for node in text_nodes(p) {
                let text = node.text().to_string();
                for (at, _) in text.match_indices(mark) {
                    if text[..at].chars().last().is_some_and(char::is_alphabetic) {
                        spots.push((*p, node, at));
                    }
                }
            }
        }
        let Some(&(p, node, at)) = rng.pick(&spots) else {
            continue;
        };
        let para = normalize(&p.text());
        let text = node.text().to_string();
        node.set_text(format!("{}{new}{}", &text[..at], &text[at + mark.len()..]));
        let (del, ins) = (mark.trim().to_string(), new.trim().to_string());
        return Some(Edit {
            quoted: false,
            desc: format!(
                "punctuation: {:?} → {:?} in {:?}",
                mark.trim(),
                new.trim(),
                excerpt(&para)
            ),
            para,
            ins: if ins.is_empty() {
                Vec::new()
            } else {
                vec![ins]
            },
            del: vec![del],
        });
    }
    None
}

/// The non-space tokens a diff shows as removed and as added.
fn changed_tokens(d: &CopyDiff) -> (Vec<String>, Vec<String>) {
    let (mut del, mut ins) = (Vec::new(), Vec::new());
    let add = |out: &mut Vec<String>, text: &str| {
        out.extend(
            tokenize(text)
                .into_iter()
                .filter(|t| kind(t) != TokenKind::Space)
                .map(str::to_string),
        );
    };
    let spans = d
        .headline
        .iter()
        .flatten()
        .chain(d.blocks.iter().flat_map(|b| match b {
            Block::Changed { spans, .. } => spans.as_slice(),
            _ => &[],
        }));
    for s in spans {
        match s.kind {
            SpanKind::Delete => add(&mut del, &s.text),
            SpanKind::Insert => add(&mut ins, &s.text),
            SpanKind::Equal => {}
        }
    }
    for b in &d.blocks {
        match b {
            // A paragraph that moved shows where it left and where it arrived.
            Block::Added { text, .. } | Block::MovedIn { text, .. } => add(&mut ins, text),
            Block::Removed { text, .. } | Block::MovedOut { text, .. } => add(&mut del, text),
            _ => {}
        }
    }
    (del, ins)
}

/// Whether the diff shows the edit: its removed tokens among the removed, its added
/// tokens among the added.
pub fn shows(d: &CopyDiff, edit: &Edit) -> bool {
    let (del, ins) = changed_tokens(d);
    edit.del.iter().all(|t| del.contains(t)) && edit.ins.iter().all(|t| ins.contains(t))
}
