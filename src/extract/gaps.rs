//! Paragraphs of the story that Readability cleaned away from between two it kept.
//!
//! Readability's last clean-up removes a `<div>` with few words when more than a fifth of
//! its text is links. Sites that wrap every paragraph in its own `<div>` then lose the
//! one short paragraph that cites a source through a link ("… published Monday in the
//! <a>journal Nature Astronomy</a>."), and an edit to that paragraph can never show. Its
//! choice of the main content is right, only the sieve is too fine; unwrapping such
//! paragraphs before Readability would change what it scores and chooses, so instead:
//!
//! 1. [`mark`] numbers every `<p>` of the cleaned page in document order (an attribute
//!    Readability carries along) and keeps the blocks of those that read as prose: one
//!    block, at least [`super::boxes`]' six words outside links, ending like a sentence,
//!    no more than half of it links;
//! 2. [`super::blocks::collect`] notes which numbered `<p>` each block of the content came
//!    from;
//! 3. [`fill`] puts back, in order, the prose paragraphs numbered strictly between two
//!    consecutive kept ones. Only between: what precedes the first kept paragraph or
//!    follows the last is outside the story as Readability delimited it. A gap of more
//!    than [`MAX_RUN`] missing paragraphs (prose or not) is left alone, as that is a
//!    section Readability chose to drop, not a paragraph it sieved out;
//! 4. [`siblings`] makes one exception: a story set in several sections of the same
//!    markup (its `<div>` of the body repeated between ad rows) loses whole sections when
//!    Readability's choice of siblings flips on a changed ad label or box title; the
//!    prose paragraphs in a container of the story's name, in the same part of the page,
//!    come back wherever they sit.
//!
//! Everything put back still passes the final sieve of [`super::blocks::finish`].

use std::collections::{BTreeMap, HashSet};

use dom_query::{Document, NodeRef};

use crate::text::normalize;

use super::blocks::{self, Block};
use super::run::Container;

/// The attribute that carries a paragraph's number through Readability.
const ATTR: &str = "data-redline-p";

/// The attribute that carries a text holder's number ([`holder`]).
const HOLDER_ATTR: &str = "data-redline-t";

/// An element that holds at least this many runs of prose directly, outside any `<p>`
/// (text between its `<br>`s, headings and lists), is a text holder: a story set in
/// no `<p>`.
const MIN_HOLDER_RUNS: usize = 3;

/// The elements that may hold a story's text directly.
const HOLDERS: &str = "div, section, article, main, td";

/// The most paragraphs put back into one gap between two kept ones.
const MAX_RUN: usize = 3;

/// Prose paragraphs of the page by number.
pub(super) type Prose = BTreeMap<usize, Block>;

/// Numbers the page's `<p>` elements and returns the blocks of those that read as prose,
/// and the [`super::run::container`] of every one, by number. Then numbers the text
/// holders ([`holder`]) after them, and appends their containers.
pub(super) fn mark(doc: &Document) -> (Prose, Vec<Container>) {
    let mut prose = Prose::new();
    let mut containers = Vec::new();
    for (i, node) in doc.select("p").nodes().iter().enumerate() {
        node.set_attr(ATTR, &i.to_string());
        containers.push(super::run::container(node));
        let mut found = blocks::collect(node);
        if found.len() != 1 {
            continue;
        }
        let Some(block) = found.pop() else { continue };
        if super::boxes::is_prose(block.text.trim(), block.link_bytes, block.non_link_words) {
            prose.insert(i, block);
        }
    }
    for node in doc.select(HOLDERS).nodes() {
        if prose_runs(node, MIN_HOLDER_RUNS) >= MIN_HOLDER_RUNS {
            node.set_attr(HOLDER_ATTR, &containers.len().to_string());
            containers.push(super::run::container(node));
        }
    }
    (prose, containers)
}

/// The number [`mark`] gave `node` as a text holder: an element whose own text, outside
/// any `<p>`, holds [`MIN_HOLDER_RUNS`] runs of prose (a story set as text between `<br>`s,
/// headings and lists, as some CMSs write it). Its number follows the `<p>`s', so that
/// it names a [`Container`] like theirs; a block in no `<p>` within it takes it.
pub(super) fn holder(node: &NodeRef<'_>) -> Option<usize> {
    node.attr(HOLDER_ATTR)?.parse().ok()
}

/// How many runs of `node`'s own text read as prose ([`super::boxes::is_prose`]),
/// counted up to `most`: a run is the text of its text and inline children between two
/// block children (a `<br>`, a heading, a list, a `<p>`).
fn prose_runs(node: &NodeRef<'_>, most: usize) -> usize {
    let mut runs = 0;
    let mut text = String::new();
    let (mut link_bytes, mut non_link_words) = (0, 0);
    let mut end_run = |text: &mut String, link_bytes: &mut usize, words: &mut usize| {
        let t = normalize(text);
        if !t.is_empty() && super::boxes::is_prose(&t, *link_bytes, *words) {
            runs += 1;
        }
        text.clear();
        *link_bytes = 0;
        *words = 0;
    };
    for child in node.children_it(false) {
        if child.is_text() {
            let t = child.text();
            non_link_words += t.split_whitespace().count();
            text.push_str(&t);
        } else if child.is_element() {
            if blocks::breaks_text(&child) {
                end_run(&mut text, &mut link_bytes, &mut non_link_words);
                continue;
            }
            let t = child.text();
            if child.has_name("a") {
                link_bytes += t.len();
            } else {
                non_link_words += t.split_whitespace().count();
            }
            text.push_str(&t);
        }
    }
    end_run(&mut text, &mut link_bytes, &mut non_link_words);
    runs.min(most)
}

/// The number [`mark`] gave `node`, if it is a marked paragraph.
pub(super) fn number(node: &NodeRef<'_>) -> Option<usize> {
    node.attr(ATTR)?.parse().ok()
}

/// Puts the prose paragraphs missing from between two consecutive kept paragraphs back
/// into `content`, in place.
pub(super) fn fill(content: Vec<Block>, prose: &mut Prose) -> Vec<Block> {
    let kept: HashSet<usize> = content.iter().filter_map(|b| b.para).collect();
    let mut out = Vec::with_capacity(content.len());
    let mut prev: Option<usize> = None;
    for block in content {
        if let Some(next) = block.para {
            if let Some(prev) = prev.filter(|&p| p < next) {
                let missing: Vec<usize> = (prev + 1..next).filter(|i| !kept.contains(i)).collect();
                if missing.len() <= MAX_RUN {
                    out.extend(missing.iter().filter_map(|i| prose.remove(i)));
                }
            }
            prev = Some(next);
        }
        out.push(block);
    }
    out
}

/// A story needs this many prose paragraphs in the content, in containers of one name,
/// for [`siblings`] to look for more.
const MIN_STORY: usize = 3;

/// A story split into sections of the same markup (a `<div>` of the body between each
/// two ad rows) whose sections Readability partly left out: puts back, in page order, the
/// prose paragraphs of `prose` missing from `content` that sit in a container of the
/// story's name (the name with the most prose paragraphs in `content`, [`MIN_STORY`] at
/// least), in the same part of the page as one of them ([`Container::near`]). Another
/// story on the page (the next one of an endless page, a teaser) sits elsewhere, and a
/// box of links is no prose.
pub(super) fn siblings(
    content: Vec<Block>,
    prose: &mut Prose,
    containers: &[Container],
) -> Vec<Block> {
    let in_content: HashSet<usize> = content.iter().filter_map(|b| b.para).collect();
    let story: Vec<&Container> = {
        let kept: Vec<&Container> = in_content
            .iter()
            .filter(|n| prose.contains_key(n))
            .filter_map(|&n| containers.get(n))
            .collect();
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &kept {
            *count.entry(c.name()).or_default() += 1;
        }
        let Some((name, n)) = count.into_iter().max_by_key(|(_, n)| *n) else {
            return content;
        };
        if n < MIN_STORY {
            return content;
        }
        kept.into_iter().filter(|c| c.name() == name).collect()
    };
    let back: Vec<usize> = prose
        .keys()
        .copied()
        .filter(|n| !in_content.contains(n))
        .filter(|&n| {
            containers
                .get(n)
                .is_some_and(|c| c.name() == story[0].name() && story.iter().any(|s| c.near(s)))
        })
        .collect();
    if back.is_empty() {
        return content;
    }
    let mut back = back.into_iter().peekable();
    let mut out = Vec::with_capacity(content.len() + back.len());
    for block in content {
        if let Some(n) = block.para {
            while let Some(b) = back.next_if(|&b| b < n) {
                out.extend(prose.remove(&b));
            }
        }
        out.push(block);
    }
    out.extend(back.filter_map(|b| prose.remove(&b)));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is the failure report

    use super::super::{Options, extract};

    /// A page that wraps every paragraph in its own card, as some news CMSs do.
    fn carded(paragraphs: &[&str]) -> String {
        let cards: String = paragraphs
            .iter()
            .map(|p| {
                format!("<div class=\"card\"><div class=\"card-content\"><p>{p}</p></div></div>")
            })
            .collect();
        format!(
            "<html><head><title>Moon water</title></head><body><h1>Moon water</h1>\
             <div id=\"article-body\">{cards}</div></body></html>"
        )
    }

    const BEFORE: &[&str] = &[
        "Scientists using a telescope on the mountain have confirmed the presence of water \
         vapour on the surface of the moon, one of the planet's many satellites.",
        "The find almost certainly means the moon has liquid water, an essential ingredient \
         for life as we know it, according to the team behind the observations.",
        "In fact, scientists believe that there is a liquid water ocean beneath a thick shell \
         of ice that holds twice as much water as all of the oceans on Earth.",
    ];
    const AFTER: &[&str] = &[
        "The team reported that they detected thousands of pounds of water vapour being \
         released from the moon every second, enough to fill a pool within minutes.",
        "The moon, located hundreds of millions of miles away, is slightly smaller than our \
         own, and it will be visited by two spacecraft in the coming decade.",
    ];

    fn paragraphs(middle: &str) -> Vec<String> {
        let all: Vec<&str> = BEFORE
            .iter()
            .chain([&middle])
            .chain(AFTER)
            .copied()
            .collect();
        extract(&carded(&all), &Options::default())
            .unwrap()
            .paragraphs
    }

    #[test]
    fn a_short_paragraph_with_a_link_comes_back_between_its_neighbours() {
        let got = paragraphs(
            "The discovery was announced in an article published on Monday in the \
             <a href=\"https://example.org/paper\">journal of planetary science</a>.",
        );
        assert_eq!(got.len(), 6, "{got:#?}");
        assert_eq!(
            got[3],
            "The discovery was announced in an article published on Monday in the journal of \
             planetary science."
        );
    }

    /// The texts of the blocks Readability would have chosen (`chosen`: a selector), after
    /// [`super::siblings`] looked for the story's other sections.
    fn with_siblings(html: &str, chosen: &str) -> Vec<String> {
        let doc = dom_query::Document::from(html);
        let (mut prose, containers) = super::mark(&doc);
        let node = *doc.select_single(chosen).nodes().first().unwrap();
        let content = super::blocks::collect(&node);
        super::siblings(content, &mut prose, &containers)
            .iter()
            .map(|b| crate::text::normalize(&b.text))
            .collect()
    }

    fn paras(ps: &[&str]) -> String {
        ps.iter().map(|p| format!("<p>{p}</p>")).collect()
    }

    #[test]
    fn a_section_of_the_story_left_out_comes_back_in_page_order() {
        // The story in two sections of the same markup with an ad row between them, as
        // some sites set a long story; the content chosen holds the second only.
        let section = |ps: &[&str]| {
            format!(
                "<div class=\"grid\"><div class=\"body\">{}</div></div>",
                paras(ps)
            )
        };
        let html = format!(
            "<html><body><h1>Moon water</h1><div class=\"story\">{}\
             <div class=\"row\"><span>Advertisement</span></div>{}</div></body></html>",
            section(&BEFORE[..2]),
            section(&[BEFORE[2], AFTER[0], AFTER[1]]),
        );
        let got = with_siblings(&html, "div.grid:last-of-type");
        let want: Vec<&str> = BEFORE.iter().chain(AFTER).copied().collect();
        assert_eq!(got, want);
    }

    #[test]
    fn another_story_of_the_same_markup_stays_out() {
        // The next story of an endless page, in an `<article>` of its own beside the
        // story's, with the same markup down to the paragraphs.
        let article =
            |ps: &[&str]| format!("<article><div class=\"body\">{}</div></article>", paras(ps));
        let html = format!(
            "<html><body><div id=\"stories\">{}{}</div></body></html>",
            article(BEFORE),
            article(AFTER)
        );
        assert_eq!(with_siblings(&html, "article"), BEFORE);
    }

    #[test]
    fn a_link_that_is_no_sentence_stays_out() {
        let got = paragraphs("<a href=\"/other\">Council backs new harbour bridge plan</a>");
        assert_eq!(got.len(), 5, "{got:#?}");
    }
}
