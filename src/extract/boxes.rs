//! Boxes of links to other stories, found by how much of their text is links.
//!
//! An "Also read: <a>…</a>" line, a "Most read" list or a bare link to another story sits
//! between two paragraphs of the story on many sites, and its items change whenever the
//! site's other stories do. It has to go before Readability looks at the page, not only
//! at the end: a box that appears between two paragraphs shifts Readability's scores, and
//! it can then choose a different block of the page or clean away a neighbouring
//! paragraph, so the story itself would seem to change. The judgement (a block mostly
//! made of links, unless it reads as a sentence with a link in it) is shared with the
//! final sieve in [`super::blocks`].

use dom_query::{Document, NodeRef};

use crate::text::normalize;

/// Blocks with more than this share of their text in links are link boxes.
const MAX_LINK_DENSITY: f64 = 0.5;

/// A block with at least this many words outside its links, ending like a sentence, is
/// prose with a long link in it ("… was <a>re-opened earlier this year</a>."), not a box.
const PROSE_WORDS: usize = 6;

/// Paragraphs longer than this (in bytes) are never removed before Readability: a box of
/// links is short.
const MAX_BOX_BYTES: usize = 400;

/// Whether a block of `text` (normalised), `link_bytes` of which sit in links, is a box
/// of links rather than prose.
pub(super) fn is_link_box(text: &str, link_bytes: usize, non_link_words: usize) -> bool {
    let density = link_bytes as f64 / text.len().max(1) as f64;
    density > MAX_LINK_DENSITY && !reads_as_sentence(text, non_link_words)
}

/// Whether a block of `text` (normalised) reads as a paragraph of prose: a sentence with
/// enough words outside its links, no more than half of it links.
pub(super) fn is_prose(text: &str, link_bytes: usize, non_link_words: usize) -> bool {
    let density = link_bytes as f64 / text.len().max(1) as f64;
    density <= MAX_LINK_DENSITY && reads_as_sentence(text, non_link_words)
}

fn reads_as_sentence(text: &str, non_link_words: usize) -> bool {
    non_link_words >= PROSE_WORDS
        && text
            .trim_end()
            .ends_with(['.', '!', '?', '"', '”', '’', '»', '。'])
}

/// Removes the paragraphs that are link boxes from the page, with the title just before
/// a box (a few words that are no sentence). Only link boxes, and only `<p>`s: removing more (lists, copyright lines) before Readability tips its choice of
/// block on some pages and loses story paragraphs; [`super::blocks`] drops those later.
pub(super) fn remove_link_boxes(doc: &Document) {
    let mut doomed: Vec<NodeRef<'_>> = Vec::new();
    for node in doc.select("p").nodes() {
        let raw = node.text();
        if raw.len() > MAX_BOX_BYTES {
            continue;
        }
        let text = normalize(&raw);
        if text.is_empty() {
            continue;
        }
        let (link_bytes, non_link_words) = link_share(node);
        if is_link_box(&text, link_bytes, non_link_words) {
            doomed.push(*node);
        }
    }
    // The title of a box ("Leia também", "Lire aussi"): a few words that are no sentence,
    // in a `<p>` or heading of their own just before the box's first link.
    let mut titles = Vec::new();
    for node in &doomed {
        let Some(prev) = node.prev_element_sibling() else {
            continue;
        };
        let is_title_tag = ["p", "h2", "h3", "h4", "h5", "h6", "strong", "b"]
            .iter()
            .any(|t| prev.has_name(t));
        if !is_title_tag || doomed.iter().any(|d| d.id == prev.id) {
            continue;
        }
        let text = normalize(&prev.text());
        if text.chars().any(char::is_alphabetic)
            && super::roles::is_box_title(&text)
            && !prev.descendants_it().any(|d| d.has_name("a"))
        {
            titles.push(prev);
        }
    }
    doomed.extend(titles);
    for node in doomed {
        node.remove_from_parent();
    }
}

/// Bytes of normalised text inside links, and words outside them.
fn link_share(node: &NodeRef<'_>) -> (usize, usize) {
    let mut link_bytes = 0;
    let mut outside = String::new();
    for t in node.descendants_it().filter(|n| n.is_text()) {
        let text = t.text();
        if t.ancestors_it(None)
            .take_while(|a| a.id != node.id)
            .any(|a| a.has_name("a"))
        {
            link_bytes += normalize(&text).len();
        } else {
            outside.push_str(&text);
            outside.push(' ');
        }
    }
    (link_bytes, outside.split_whitespace().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remaining(html: &str) -> String {
        let doc = Document::from(html);
        remove_link_boxes(&doc);
        normalize(&doc.select("body").text())
    }

    #[test]
    fn link_boxes_go_and_prose_with_links_stays() {
        assert_eq!(
            remaining(
                "<p>Story one goes on here.</p>\
                 <p><strong>Also read:</strong> <a href=/a>Council backs new harbour bridge</a></p>\
                 <p><a href=/b>A bare link to another story</a></p>\
                 <div><b>Most read</b><ol><li><a href=/c>One headline here</a></li>\
                 <li><a href=/d>Two headline here</a></li></ol></div>\
                 <p>The inquiry had been shelved in 2017 but was <a href=/e>re-opened \
                 earlier this year following his eviction from the embassy</a>.</p>"
            ),
            "Story one goes on here.Most readOne headline hereTwo headline hereThe inquiry had been shelved in 2017 but was \
             re-opened earlier this year following his eviction from the embassy."
        );
    }
}
