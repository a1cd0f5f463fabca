//! What the churn bench knows about one corpus page: which of its nodes are article text
//! and which are furniture, judged against the corpus ground truth.
//!
//! A `<p>` whose normalised text lies inside a ground-truth paragraph is article text; a
//! text node whose normalised text lies in none of them is furniture. Everything here is
//! recomputed on each fresh parse of the page, so a variant can pick "the third article
//! paragraph" and find the same node every time. It also owns the deterministic PRNG and
//! the honesty check (a furniture variant leaves every ground-truth line intact).

use dom_query::{Document, NodeRef};
use redline::text::normalize;

/// A small deterministic PRNG (splitmix64), seeded from the page key and variant kind.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(key: &str, salt: &str) -> Rng {
        // FNV-1a over key and salt.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes().chain([0]).chain(salt.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        Rng(h)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

/// The ground truth of one page: its paragraphs, normalised.
#[derive(Debug)]
pub struct Truth {
    pub lines: Vec<String>,
}

impl Truth {
    pub fn new(body: &str) -> Truth {
        Truth {
            lines: body
                .lines()
                .map(normalize)
                .filter(|l| !l.is_empty())
                .collect(),
        }
    }

    /// Whether `text` (normalised) lies inside one ground-truth paragraph.
    pub fn contains(&self, text: &str) -> bool {
        !text.is_empty() && self.lines.iter().any(|l| l.contains(text))
    }
}

/// Elements whose text is never shown.
const INVISIBLE: &[&str] = &["script", "style", "noscript", "template", "head", "title"];

fn in_invisible(node: &NodeRef<'_>) -> bool {
    node.ancestors_it(None).any(|a| {
        a.node_name()
            .is_some_and(|n| INVISIBLE.contains(&n.to_ascii_lowercase().as_str()))
    })
}

/// Whether a paragraph is a caption or a legal notice: the ground truth of some pages
/// keeps a video's caption or an agency's copyright notice, but no reader would call
/// either the story, and redline drops both by design.
fn caption_or_notice(p: &NodeRef<'_>, text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.starts_with('©')
        || lower.starts_with("copyright")
        || lower.contains("all rights reserved")
        || p.ancestors_it(None).any(|a| {
            a.has_name("figure")
                || a.has_name("figcaption")
                || a.attr("class")
                    .is_some_and(|c| c.to_lowercase().contains("caption"))
        })
}

/// The `<p>` elements that are article text (≥ 8 words, inside a ground-truth paragraph,
/// not a caption or notice), in document order.
pub fn article_paragraphs<'a>(doc: &'a Document, truth: &Truth) -> Vec<NodeRef<'a>> {
    doc.select("body p")
        .nodes()
        .iter()
        .copied()
        .filter(|p| {
            let text = normalize(&p.text());
            text.split_whitespace().count() >= 8
                && truth.contains(&text)
                && !in_invisible(p)
                && !caption_or_notice(p, &text)
        })
        .collect()
}

/// Whether a paragraph reads as prose (a sentence of six words or more, or twelve words
/// or more): then it is article text, whatever the ground truth says.
fn is_prose(text: &str) -> bool {
    let words = text.split_whitespace().count();
    words >= 12 || (words >= 6 && text.ends_with(['.', '!', '?', '"', '”']))
}

/// Visible text nodes whose text lies in no ground-truth paragraph, with their
/// normalised text, in document order.
pub fn furniture_texts<'a>(doc: &'a Document, truth: &Truth) -> Vec<(NodeRef<'a>, String)> {
    let Some(body) = doc.body() else {
        return Vec::new();
    };
    body.descendants_it()
        .filter(|n| n.is_text())
        .filter_map(|n| {
            let text = normalize(&n.text());
            if text.is_empty() || truth.contains(&text) || in_invisible(&n) {
                return None;
            }
            // Text inside an article paragraph is article text whatever its own words.
            // Text inside an article paragraph, inside any paragraph that reads as prose,
            // or in the headline is article text, whatever its own words.
            let in_prose = n.ancestors_it(None).any(|a| {
                a.has_name("h1")
                    || (a.has_name("p") && {
                        let p = normalize(&a.text());
                        truth.contains(&p) || is_prose(&p)
                    })
            });
            (!in_prose).then_some((n, text))
        })
        .collect()
}

/// Whether a node sits inside a link.
pub fn in_link(node: &NodeRef<'_>) -> bool {
    node.ancestors_it(None).any(|a| a.has_name("a"))
}

/// The page's visible text, normalised (blocks joined by spaces).
pub fn visible_text(doc: &Document) -> String {
    let Some(body) = doc.body() else {
        return String::new();
    };
    let mut out = String::new();
    for n in body.descendants_it().filter(|n| n.is_text()) {
        if !in_invisible(&n) {
            out.push_str(&n.text());
            out.push(' ');
        }
    }
    normalize(&out)
}

/// Honesty check of a furniture variant: every ground-truth paragraph that can be found
/// in the original's visible text is found as often in the variant's.
pub fn truth_intact(truth: &Truth, original: &str, variant: &str) -> bool {
    truth.lines.iter().all(|line| {
        let before = original.matches(line.as_str()).count();
        before == 0 || variant.matches(line.as_str()).count() == before
    })
}

/// Where a box or a line goes when the page has none of its kind: between the headline and
/// the story, between two paragraphs, or after the last one.
#[derive(Debug, Clone, Copy)]
pub enum Spot {
    BeforeFirst,
    Between,
    AfterLast,
}

/// Inserts `html` at `spot` relative to the article paragraphs; false when the page has
/// none (or, for `Between`, fewer than two).
pub fn insert_at(paras: &[NodeRef<'_>], spot: Spot, rng: &mut Rng, html: &str) -> bool {
    match spot {
        Spot::BeforeFirst => paras.first().map(|p| p.before_html(html)).is_some(),
        Spot::AfterLast => paras.last().map(|p| p.after_html(html)).is_some(),
        Spot::Between => {
            if paras.len() < 2 {
                return false;
            }
            let i = rng.below(paras.len() - 1);
            paras[i].after_html(html);
            true
        }
    }
}
