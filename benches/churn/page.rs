//! What the churn bench knows about one corpus page: which of its nodes are article text
//! and which are furniture, judged against the corpus ground truth alone.
//!
//! A visible text node whose normalised text lies inside the ground-truth body is article
//! text; every other visible text node is furniture and may change, whatever the
//! extractor thinks of it. The only exceptions are what a reader calls the article even
//! where the ground truth leaves it out: the headline (`<h1>`) and the subheadings
//! (`<h2>`…`<h6>` between the story's first and last paragraphs, not in a list or a link).
//! Everything here is recomputed on each fresh parse of the page, so a variant can pick
//! "the third article paragraph" and find the same node every time. It also owns the
//! deterministic PRNG and the honesty check (a furniture variant leaves every
//! ground-truth line intact).

use std::collections::HashMap;

use dom_query::{Document, NodeId, NodeRef};
use redline::text::normalize;

/// A small deterministic PRNG (splitmix64), seeded from the page key and variant kind.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// The generator for one variant: seeded by the page key and the variant's kind, and
    /// by `CHURN_SEED` when set (another draw of every variant, to see that a figure is
    /// not one draw's luck).
    pub fn new(key: &str, salt: &str) -> Rng {
        // FNV-1a over key, salt and seed.
        let seed = std::env::var("CHURN_SEED").unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key
            .bytes()
            .chain([0])
            .chain(salt.bytes())
            .chain(seed.bytes())
        {
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

/// The ground truth of one page: its paragraphs, normalised, and all of them joined.
#[derive(Debug)]
pub struct Truth {
    pub lines: Vec<String>,
    joined: String,
}

impl Truth {
    pub fn new(body: &str) -> Truth {
        let lines: Vec<String> = body
            .lines()
            .map(normalize)
            .filter(|l| !l.is_empty())
            .collect();
        let joined = lines.join(" ");
        Truth { lines, joined }
    }

    /// Whether `text` (normalised) lies inside one ground-truth paragraph.
    pub fn contains(&self, text: &str) -> bool {
        !text.is_empty() && self.lines.iter().any(|l| l.contains(text))
    }

    /// Whether `text` (normalised) lies anywhere in the ground-truth body.
    pub fn in_body(&self, text: &str) -> bool {
        !text.is_empty() && self.joined.contains(text)
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

/// The `<p>` elements that are article text (≥ 8 words, inside a ground-truth paragraph),
/// in document order.
pub fn article_paragraphs<'a>(doc: &'a Document, truth: &Truth) -> Vec<NodeRef<'a>> {
    doc.select("body p")
        .nodes()
        .iter()
        .copied()
        .filter(|p| {
            let text = normalize(&p.text());
            text.split_whitespace().count() >= 8 && truth.contains(&text) && !in_invisible(p)
        })
        .collect()
}

/// Document order of every node under `<body>`.
fn order(doc: &Document) -> HashMap<NodeId, usize> {
    doc.body()
        .map(|b| {
            b.descendants_it()
                .enumerate()
                .map(|(i, n)| (n.id, i))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a text node is part of the headline or of a subheading of the story.
fn in_heading(n: &NodeRef<'_>, pos: &HashMap<NodeId, usize>, span: Option<(usize, usize)>) -> bool {
    // The headline, even when its text is a link to the story itself.
    if n.ancestors_it(None).any(|a| a.has_name("h1")) {
        return true;
    }
    let mut heading = None;
    for a in n.ancestors_it(None) {
        if a.has_name("li") || a.has_name("a") {
            return false;
        }
        if ["h2", "h3", "h4", "h5", "h6"].iter().any(|h| a.has_name(h)) {
            heading = Some(a);
        }
    }
    let (Some(h), Some((first, last))) = (heading, span) else {
        return false;
    };
    pos.get(&h.id).is_some_and(|&at| first < at && at < last)
}

/// Visible text nodes whose text lies outside the ground-truth body (and is no heading
/// of the story), with their normalised text, in document order.
pub fn furniture_texts<'a>(doc: &'a Document, truth: &Truth) -> Vec<(NodeRef<'a>, String)> {
    let Some(body) = doc.body() else {
        return Vec::new();
    };
    let pos = order(doc);
    let paras = article_paragraphs(doc, truth);
    let span = paras
        .first()
        .zip(paras.last())
        .and_then(|(f, l)| Some((*pos.get(&f.id)?, *pos.get(&l.id)?)));
    body.descendants_it()
        .filter(|n| n.is_text())
        .filter_map(|n| {
            let text = normalize(&n.text());
            if text.is_empty()
                || truth.in_body(&text)
                || in_invisible(&n)
                || in_heading(&n, &pos, span)
            {
                return None;
            }
            Some((n, text))
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

/// Where a box goes: between two paragraphs of the story, or beside it (before the first
/// or after the last).
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
