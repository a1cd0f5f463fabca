//! Removing what is never article text, before the main content is looked for.
//!
//! Readability finds the block of the page with the most prose, but it keeps what sits
//! inside that block: the byline and "Last updated" line, the share bar with its counter,
//! captions, the "ALSO READ" box wedged between paragraphs, tags, the comments. Those are
//! exactly the parts of a page that change without the story changing, so they go first,
//! by tag (navigation, headers, footers, asides, forms, scripts) and by the words in their
//! `class` and `id` (`share`, `byline`, `also-read`, `comments` …). Removing them before
//! scoring also keeps their text from pulling Readability towards the wrong block.

use dom_query::{Document, NodeData, NodeRef, local_name};

/// Tags that never hold article text.
fn is_junk_tag(name: &dom_query::LocalName) -> bool {
    matches!(
        *name,
        local_name!("script")
            | local_name!("style")
            | local_name!("noscript")
            | local_name!("template")
            | local_name!("iframe")
            | local_name!("object")
            | local_name!("embed")
            | local_name!("button")
            | local_name!("select")
            | local_name!("textarea")
            | local_name!("input")
            | local_name!("figcaption")
            | local_name!("dialog")
            | local_name!("menu")
            | local_name!("nav")
            | local_name!("aside")
            | local_name!("footer")
            | local_name!("header")
            | local_name!("form")
    )
}

/// Tags that some sites wrap around the whole page (ASP.NET's `<form>`, a `<header>` or
/// `<aside>` misused as a section): removed only when they are not carrying the story.
fn needs_guard(name: &dom_query::LocalName) -> bool {
    matches!(
        *name,
        local_name!("form") | local_name!("header") | local_name!("aside") | local_name!("footer")
    )
}

/// Containers that are the page or the story itself and are never removed by their class.
fn is_structural(name: &dom_query::LocalName) -> bool {
    matches!(
        *name,
        local_name!("html") | local_name!("body") | local_name!("main") | local_name!("article")
    )
}

/// Words of `class`/`id` values that mark boilerplate. Matched against whole words of a
/// value split at `-`, `_`, spaces and case changes, so `ad` matches `ad-slot` but not
/// `header` or `shadow`.
const JUNK_WORDS: &[&str] = &[
    "ad",
    "ads",
    "adslot",
    "advert",
    "advertisement",
    "advertising",
    "author",
    "authors",
    "bio",
    "biography",
    "breadcrumb",
    "breadcrumbs",
    "byline",
    "caption",
    "carousel",
    "consent",
    "cookie",
    "cookies",
    "contributor",
    "counter",
    "credit",
    "credits",
    "cta",
    "date",
    "dateline",
    "gallery",
    "meta",
    "newsletter",
    "outbrain",
    "popular",
    "promo",
    "published",
    "readtime",
    "recommended",
    "related",
    "share",
    "sharebar",
    "sharing",
    "slider",
    "slideshow",
    "social",
    "sponsored",
    "submitted",
    "subscribe",
    "taboola",
    "tags",
    "ticker",
    "time",
    "timestamp",
    "trending",
    "writer",
];

/// Words that mark boilerplate only when nothing in the same `class`/`id` says "content":
/// a layout class such as `l-sidebar-fixed l-article-body` wraps the story itself.
const WEAK_WORDS: &[&str] = &["sidebar", "popup", "modal", "widget"];

/// Words that say an element is (part of) the story.
const CONTENT_WORDS: &[&str] = &[
    "article", "content", "body", "story", "entry", "main", "post", "text",
];

/// Two-word phrases that mark boilerplate (`also-read`, `mostRead`, `read_more`).
const JUNK_PAIRS: &[(&str, &str)] = &[
    ("also", "read"),
    ("read", "also"),
    ("most", "read"),
    ("more", "stories"),
    ("read", "more"),
    ("see", "also"),
    ("reading", "time"),
    ("read", "time"),
];

/// A guarded container with at least this many paragraphs is carrying the story.
const GUARD_PARAGRAPHS: usize = 4;

/// Removes boilerplate elements from the page (see the module doc).
pub(super) fn remove_boilerplate(doc: &Document) {
    let mut doomed = Vec::new();
    let mut stack: Vec<NodeRef<'_>> = vec![doc.root()];
    while let Some(node) = stack.pop() {
        match verdict(&node) {
            Verdict::Remove => {
                doomed.push(node);
                continue;
            }
            Verdict::RemoveBox => {
                mark_beside_box(&node);
                doomed.push(node);
                continue;
            }
            Verdict::Keep => {}
        }
        // Children pushed in reverse so the walk stays in document order (not needed for
        // correctness, but it keeps debugging output readable).
        let mut child = node.last_child();
        while let Some(c) = child {
            child = c.prev_sibling();
            if c.is_element() || c.is_document() {
                stack.push(c);
            } else if c.is_comment() {
                doomed.push(c);
            }
        }
    }
    for node in doomed {
        node.remove_from_parent();
    }
    keep_script_links(doc);
}

/// Takes the address off the links that only run a script (`href="javascript:…"`, a
/// "pin it" or print button): Readability turns such a link into plain text once it has
/// chosen the content, so a share bar with one would read as words rather than links
/// (and come back as a line of text whenever its labels change). Without an address
/// they stay links, as Readability's own scoring counted them.
fn keep_script_links(doc: &Document) {
    for a in doc.select(r#"a[href^="javascript:"]"#).nodes() {
        a.remove_attr("href");
    }
}

enum Verdict {
    Keep,
    Remove,
    /// Removed by its class, and it holds a link: a box of the outlet's (a call to
    /// action, a sign-up button) whose place [`mark_beside_box`] remembers.
    RemoveBox,
}

/// The attribute on a `<p>` just before a removed box that held a link
/// ([`mark_beside_box`]).
pub(super) const BESIDE_BOX_ATTR: &str = "data-redline-box";

/// Remembers where a removed box with a link sat: the line it filled (the box and the
/// ancestors that hold no other text, such as the `<p><strong>` around a button) has the
/// `<p>` just before it marked ([`BESIDE_BOX_ATTR`]), so that the placement rules can
/// tell a line that invites to the box (wholly emphasised, right before it) from the
/// story's prose even where the box stood between the story's paragraphs. Only before:
/// a bold lead after a removed byline box is the story's opening. Structure only: which
/// box, in which language, says nothing.
fn mark_beside_box(node: &NodeRef<'_>) {
    let mut line = *node;
    while let Some(parent) = line.parent() {
        let alone = parent
            .children_it(false)
            .all(|c| c.id == line.id || c.is_comment() || c.text().trim().is_empty());
        if !parent.is_element() || is_structural_node(&parent) || !alone {
            break;
        }
        line = parent;
    }
    if let Some(before) = line.prev_element_sibling()
        && before.has_name("p")
    {
        before.set_attr(BESIDE_BOX_ATTR, "");
    }
}

/// Whether `node` is the page or the story itself ([`is_structural`]).
fn is_structural_node(node: &NodeRef<'_>) -> bool {
    node.query_or(false, |n| match &n.data {
        NodeData::Element(e) => is_structural(&e.name.local),
        _ => false,
    })
}

fn verdict(node: &NodeRef<'_>) -> Verdict {
    let info = node.query(|n| match &n.data {
        NodeData::Element(e) => {
            let mut marks = String::new();
            for attr in &e.attrs {
                if matches!(attr.name.local, local_name!("class") | local_name!("id")) {
                    marks.push(' ');
                    marks.push_str(&attr.value);
                }
            }
            let hidden = e.attrs.iter().any(|a| {
                a.name.local == local_name!("hidden")
                    || (a.name.local == local_name!("aria-hidden") && &*a.value == "true")
            });
            Some((e.name.local.clone(), marks, hidden))
        }
        _ => None,
    });
    let Some(Some((name, marks, hidden))) = info else {
        return Verdict::Keep;
    };
    if is_junk_tag(&name) {
        if needs_guard(&name) && carries_story(node) {
            return Verdict::Keep;
        }
        return Verdict::Remove;
    }
    if is_structural(&name) {
        return Verdict::Keep;
    }
    let mark = if hidden { Mark::Junk } else { classify(&marks) };
    let boxed = !hidden && matches!(mark, Mark::Junk);
    let remove = match mark {
        Mark::None => false,
        // A paragraph of the body is kept whatever its class: one between two paragraphs
        // of prose is the story's, not a caption beside it.
        Mark::Junk if name == local_name!("p") && between_prose(node) => false,
        // Comments are many paragraphs long: only a page wrapper (one that holds the
        // headline) is spared.
        Mark::Comments => !holds_headline(node),
        Mark::Junk => !holds_headline(node) && !carries_story(node),
    };
    if !remove {
        Verdict::Keep
    } else if boxed && (name == local_name!("a") || node.descendants_it().any(|d| d.has_name("a")))
    {
        Verdict::RemoveBox
    } else {
        Verdict::Remove
    }
}

enum Mark {
    None,
    Junk,
    Comments,
}

/// What `class`/`id` values say about an element.
fn classify(marks: &str) -> Mark {
    if marks.is_empty() {
        return Mark::None;
    }
    let words = split_words(marks);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if words
        .iter()
        .any(|w| w.starts_with("comment") || w == "disqus" || w == "replies")
    {
        return Mark::Comments;
    }
    let pair = words.windows(2).any(|pair| {
        JUNK_PAIRS
            .iter()
            .any(|(a, b)| pair[0] == *a && pair[1] == *b)
    }) || words.iter().any(|w| {
        // Run together, as in `alsoread` or `mostread`.
        JUNK_PAIRS
            .iter()
            .any(|(a, b)| w.len() == a.len() + b.len() && w.starts_with(a) && w.ends_with(b))
    });
    if pair || has(JUNK_WORDS) || (has(WEAK_WORDS) && !has(CONTENT_WORDS)) {
        Mark::Junk
    } else {
        Mark::None
    }
}

/// `storyShare ad-slot  related_links` → `story share ad slot related links`.
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_numeric();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Whether a `<p>` reads as prose and sits between two `<p>` siblings of prose.
fn between_prose(node: &NodeRef<'_>) -> bool {
    let prose = |n: Option<NodeRef<'_>>| {
        n.is_some_and(|n| {
            n.has_name("p") && {
                let text = crate::text::normalize(&n.text());
                text.split_whitespace().count() >= 6
                    && text.ends_with(['.', '!', '?', '"', '”', '’', '»', '。'])
            }
        })
    };
    prose(Some(*node)) && prose(node.prev_element_sibling()) && prose(node.next_element_sibling())
}

/// Whether an element holds an `<h1>`: then it is a wrapper around the whole story.
fn holds_headline(node: &NodeRef<'_>) -> bool {
    node.descendants_it().any(|d| d.has_name("h1"))
}

/// Whether an element holds enough paragraphs to be the story rather than a box beside it.
fn carries_story(node: &NodeRef<'_>) -> bool {
    node.descendants_it()
        .filter(|d| d.has_name("p"))
        .take(GUARD_PARAGRAPHS)
        .count()
        >= GUARD_PARAGRAPHS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_case_and_punctuation() {
        assert_eq!(
            split_words("storyShare ad-slot related_links"),
            ["story", "share", "ad", "slot", "related", "links"]
        );
        let junk = |m| matches!(classify(m), Mark::Junk);
        assert!(junk(" also-read"));
        assert!(junk(" alsoRead"));
        assert!(junk(" mostread"));
        assert!(junk(" sidebar"));
        assert!(!junk(" l-sidebar-fixed l-article-body-segment"));
        assert!(!junk(" site-header shadow"));
        assert!(!junk(" story-body"));
        assert!(matches!(classify(" commentlist"), Mark::Comments));
    }

    #[test]
    fn removes_boilerplate_but_keeps_the_story() {
        let doc = Document::from(
            "<form id=aspnetForm><div class=story><p>a</p><p>b</p><p>c</p><p>d</p>\
             <div class=share>Share 1.2K</div></div></form><nav>menu</nav>",
        );
        remove_boilerplate(&doc);
        let text = doc.select("body").text();
        assert_eq!(&*text, "abcd");
    }
}
