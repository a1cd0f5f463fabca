//! What is not the article, recognised by its role on the page rather than by its words.
//!
//! The lines that change on a page while its story does not — photo captions and credits,
//! bylines and datelines, an author's bio, a reading-time line, a gallery counter — are
//! worded differently on every site and in every language, so a list of phrases never
//! catches them all. Their role shows in the markup and in the shape of the text instead:
//!
//! 1. by structure and markup, before the main content is looked for
//!    ([`remove_furniture`]): `<figure>`, `<picture>` and `<address>`; an image and the
//!    short text around it, and the short emphasised block set right after it (a
//!    `<center><em>` caption in the story's text, [`caption_after`]); schema.org `itemprop` metadata (`author`, `datePublished` …),
//!    `rel=author` links and `<time>`, each with the short block that holds it (a `<time>`
//!    inside a sentence stays, it is the story's); and, when an `<article>` holds the
//!    headline, every other `<article>` of the page, which is another story;
//! 2. by the shape of a box of links: the few words that are no sentence just before one
//!    are its title ([`is_box_title`], used by [`super::boxes`]).
//!
//! Rules on the shape of a line alone (a short line with a figure, a line mostly of
//! digits, any line that is no sentence at the article's edges) were measured on the
//! extraction corpus and left out: they drop as many lines of the story (scores, prices,
//! tour dates, a recipe's ingredients) as lines of furniture. Only narrow ones stay, in
//! [`super::blocks`]: a label of one or two words, and a line with a web or mail address
//! beside the story. What the others would catch, a site's [`super::template`] learns
//! from its other articles instead.
//!
//! Class and id words (`caption`, `credit`, `byline`, `author`, `dateline`, `bio`, `meta`
//! …) are judged with the other boilerplate classes in [`super::clean`].

use std::collections::HashSet;

use dom_query::{Document, NodeId, NodeRef};

use crate::text::normalize;

/// `itemprop` values of metadata about the article rather than the article itself.
const META_PROPS: &[&str] = &[
    "author",
    "creator",
    "contributor",
    "publisher",
    "copyrightholder",
    "copyrightyear",
    "datepublished",
    "datemodified",
    "datecreated",
    "uploaddate",
    "caption",
    "commentcount",
    "interactionstatistic",
    "keywords",
    "timerequired",
];

/// The text of a block holding a marker or an image, longer than this, is the story's.
const MAX_ROLE_CHARS: usize = 300;

/// A block with this many `<p>`s or more is a part of the story, not a caption or byline.
const MAX_ROLE_PARAGRAPHS: usize = 2;

/// Removes figures, images with their captions, and metadata blocks (see the module doc).
pub(super) fn remove_furniture(doc: &Document) {
    let mut doomed: Vec<NodeRef<'_>> = other_stories(doc);
    let headline_holders = headline_holders(doc);
    for node in doc.select("figure, picture, address").nodes() {
        if paragraphs(node, MAX_ROLE_PARAGRAPHS * 2) <= MAX_ROLE_PARAGRAPHS * 2 {
            doomed.push(*node);
        }
    }
    for node in doc
        .select("img, picture, figure, [itemprop], [rel~=author], time")
        .nodes()
    {
        let is_meta = if is_image(node) || node.has_name("time") {
            true
        } else if let Some(prop) = node.attr("itemprop") {
            prop.split_whitespace()
                .any(|p| META_PROPS.contains(&p.to_ascii_lowercase().as_str()))
        } else {
            true
        };
        if !is_meta {
            continue;
        }
        if let Some(holder) = holder(node, &headline_holders) {
            doomed.push(holder);
        }
        if node.has_name("img")
            && let Some(caption) = caption_after(node, &headline_holders)
        {
            doomed.push(caption);
        }
    }
    for node in doomed {
        node.remove_from_parent();
    }
}

/// The `<article>` elements of other stories: when an `<article>` holds the page's first
/// `<h1>`, every `<article>` that neither holds it nor lies inside it is another story (a
/// teaser, a "you may also like" list, the next story of an endless page). A page whose
/// `<h1>` is gone (or never was) names its story by the heading that held the chosen
/// headline before the page was cleaned ([`mark_story`]).
fn other_stories<'a>(doc: &'a Document) -> Vec<NodeRef<'a>> {
    let by_h1 = doc
        .select("h1")
        .nodes()
        .first()
        .map(|h1| h1.ancestors_it(None).find(|a| a.has_name("article")));
    let story = match by_h1 {
        Some(Some(story)) => story,
        Some(None) => return Vec::new(),
        None => match doc
            .select_single(&format!("article[{STORY_ATTR}]"))
            .nodes()
            .first()
        {
            Some(story) => *story,
            None => return Vec::new(),
        },
    };
    doc.select("article")
        .nodes()
        .iter()
        .filter(|a| {
            a.id != story.id
                && !story.ancestors_it(None).any(|s| s.id == a.id)
                && !a.ancestors_it(None).any(|s| s.id == story.id)
        })
        .copied()
        .collect()
}

/// The attribute that marks the story's `<article>` found by its headline ([`mark_story`]).
const STORY_ATTR: &str = "data-redline-story";

/// Marks the `<article>` that holds the chosen `headline` ([`story_by_headline`]), or
/// failing that the one that names the page's own address ([`story_by_address`]), before
/// the page is cleaned: the heading may sit in a `<header>` that cleaning removes. `url`
/// is the address the page was fetched from, if known.
pub(super) fn mark_story(doc: &Document, headline: &str, url: Option<&str>) {
    if let Some(story) = story_by_headline(doc, headline).or_else(|| story_by_address(doc, url)) {
        story.set_attr(STORY_ATTR, "");
    }
}

/// The `<article>` of the page's story when no heading holds its headline (a heading
/// whose words differ from the declared title's): the only one, among several, holding
/// [`MIN_STORY_PARAGRAPHS`] `<p>`s and an attribute whose value is the page's own
/// address or its path (`data-url="/2019/the-story"`, a share bar's or a permalink's),
/// by the page's canonical link, its `og:url` or the address it was fetched from. The
/// teasers around it name their own addresses. Markup only, in any language.
fn story_by_address<'a>(doc: &'a Document, url: Option<&str>) -> Option<NodeRef<'a>> {
    let articles = doc.select("article").nodes().to_vec();
    if articles.len() < 2 {
        return None;
    }
    let mut own: Vec<String> = Vec::new();
    let declared = [
        doc.select_single(r#"link[rel~="canonical"]"#).attr("href"),
        doc.select_single(r#"meta[property="og:url"]"#)
            .attr("content"),
    ];
    for address in declared
        .iter()
        .flatten()
        .map(|a| a.to_string())
        .chain(url.map(str::to_string))
    {
        if let Some(path) = url_path(&address)
            && !own.contains(&path)
        {
            own.push(path);
        }
    }
    if own.is_empty() {
        return None;
    }
    let names_page = |node: &NodeRef<'_>| {
        node.attrs()
            .iter()
            .any(|a| url_path(&a.value).is_some_and(|p| own.contains(&p)))
    };
    let mut found: Vec<NodeRef<'a>> = Vec::new();
    for article in articles {
        if found
            .iter()
            .any(|f| article.ancestors_it(None).any(|a| a.id == f.id))
        {
            continue;
        }
        if paragraphs(&article, MIN_STORY_PARAGRAPHS) >= MIN_STORY_PARAGRAPHS
            && (names_page(&article) || article.descendants_it().any(|d| names_page(&d)))
        {
            found.push(article);
        }
    }
    match found.as_slice() {
        [story] => Some(*story),
        _ => None,
    }
}

/// The path of an address, absolute (`https://host/a/b?q#f`) or rooted (`/a/b`), without
/// its query, fragment and last `/`; `None` for a site's front page (no path) or any
/// other value.
fn url_path(value: &str) -> Option<String> {
    let value = value.trim();
    let path = if let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .or_else(|| value.strip_prefix("//"))
    {
        &rest[rest.find('/')?..]
    } else if value.starts_with('/') && !value.starts_with("//") {
        value
    } else {
        return None;
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    // A path of one letter or none is a site's front page or a section, not a story.
    (path.chars().filter(|c| c.is_alphanumeric()).count() >= 2).then(|| path.to_string())
}

/// A headline names its story's `<article>` only with at least this many words.
const MIN_HEADLINE_WORDS: usize = 4;

/// The `<article>` of the page's story when the page has no `<h1>`: the one holding the
/// first heading (`<h2>`, `<h3>` or an `itemprop=headline` element) whose text holds the
/// chosen `headline`, of [`MIN_HEADLINE_WORDS`] words or more, provided that it also
/// holds [`MIN_STORY_PARAGRAPHS`] `<p>`s (a headline in an `<article>` of its own, the
/// story in the next, names nothing). The teasers of a front page around a story,
/// `<article>`s each with its headline in an `<h2>` and its summary in a `<p>`, then go
/// as when the story's headline is an `<h1>`.
fn story_by_headline<'a>(doc: &'a Document, headline: &str) -> Option<NodeRef<'a>> {
    if headline.split_whitespace().count() < MIN_HEADLINE_WORDS {
        return None;
    }
    doc.select("h2, h3, [itemprop~=headline]")
        .nodes()
        .iter()
        .filter(|h| normalize(&h.text()).contains(headline))
        .find_map(|h| h.ancestors_it(None).find(|a| a.has_name("article")))
        .filter(|story| paragraphs(story, MIN_STORY_PARAGRAPHS) >= MIN_STORY_PARAGRAPHS)
}

/// An `<article>` named by its headline holds at least this many `<p>`s.
const MIN_STORY_PARAGRAPHS: usize = 3;

/// A metadata element (`itemprop`, `rel=author`) longer than this is no metadata.
const MAX_META_CHARS: usize = 600;

/// A caption beside an image may read as a sentence up to this length.
const MAX_CAPTION_CHARS: usize = 200;

/// The largest block around `marker` that is still short, holds no prose and is not a
/// page container; `None` when the marker sits inside a sentence of the story. An
/// `itemprop` or `rel=author` element is removed itself whatever its text (an author's
/// bio reads as prose); an image takes a one-sentence caption beside it along.
///
/// Each step up reads at most [`MAX_ROLE_CHARS`] characters of text and a few paragraphs
/// before it gives up, and the headline's holders are found once per page, so a page
/// with many images no longer reads its whole container once per image.
fn holder<'a>(marker: &NodeRef<'a>, headline_holders: &HashSet<NodeId>) -> Option<NodeRef<'a>> {
    let is_img = is_image(marker);
    let is_time = marker.has_name("time");
    let mut best = None;
    if !is_img && !is_time {
        let fits = short_text(marker, MAX_META_CHARS).is_some();
        if !fits || paragraphs(marker, MAX_ROLE_PARAGRAPHS) > MAX_ROLE_PARAGRAPHS {
            return None;
        }
        best = Some(*marker);
    }
    let mut node = *marker;
    loop {
        if is_container(&node, headline_holders) {
            break;
        }
        let Some(text) = short_text(&node, MAX_ROLE_CHARS) else {
            // Longer than a caption, but a card of links set into a sentence (an image
            // and its links in an inline element of a prose `<p>`): the card's.
            if is_img && is_inline_card(&node) {
                best = Some(node);
                match node.parent() {
                    Some(p) if !holds_words_of_a_sentence(&p, &node) => {
                        node = p;
                        continue;
                    }
                    _ => break,
                }
            }
            break;
        };
        let paras = paragraphs(&node, MAX_ROLE_PARAGRAPHS);
        let caption = is_img && text.chars().count() <= MAX_CAPTION_CHARS && paras <= 1;
        if paras > MAX_ROLE_PARAGRAPHS
            || (reads_as_prose(&text) && (!caption || body_paragraph(&node)))
        {
            break;
        }
        best = Some(node);
        match node.parent() {
            Some(p) if is_img && holds_words_of_a_sentence(&p, &node) => break,
            Some(p) => node = p,
            None => break,
        }
    }
    if is_img || is_time {
        // An image or a time alone is no furniture to remove; only with text around it.
        return best.filter(|b| b.id != marker.id && !normalize(&b.text()).is_empty());
    }
    best
}

/// Inline elements: a sentence's words run through them.
const INLINE: &[&str] = &[
    "span", "a", "em", "strong", "b", "i", "small", "u", "mark", "abbr", "cite", "q", "sup", "sub",
];

/// How many ancestors up [`holds_words_of_a_sentence`] looks for the `<p>`.
const INLINE_DEPTH: usize = 6;

/// Whether `parent`, an inline element inside a `<p>` of prose, holds words before
/// `child`: then they are words of the sentence the image's block was set into, and the
/// walk up from the image stops below `parent`. A person's name as a link with a hover
/// card after it (`Gov. <span><a>Kristi Noem</a><span><img> … her other stories
/// …</span></span> (R) is defending …`): the card goes, the name stays, whatever the card
/// says. (Words after the image are the card's own: its caption, its links.)
fn holds_words_of_a_sentence(parent: &NodeRef<'_>, child: &NodeRef<'_>) -> bool {
    INLINE.iter().any(|t| parent.has_name(t))
        && in_prose_paragraph(parent)
        && parent
            .children_it(false)
            .take_while(|c| c.id != child.id)
            .any(|c| c.text().chars().any(char::is_alphanumeric))
}

/// A card of links set into a sentence is at most this long.
const MAX_CARD_CHARS: usize = 1_000;

/// The share of a card's text that sits in links.
const CARD_LINK_SHARE: f64 = 0.8;

/// Whether `node` is an inline element of a prose `<p>` whose text, at most
/// [`MAX_CARD_CHARS`] long, is mostly links: a hover card (a portrait, a name, links to
/// other stories), however long its words.
fn is_inline_card(node: &NodeRef<'_>) -> bool {
    if !INLINE.iter().any(|t| node.has_name(t)) || !in_prose_paragraph(node) {
        return false;
    }
    let Some(text) = short_text(node, MAX_CARD_CHARS) else {
        return false;
    };
    let linked: usize = node
        .descendants_it()
        .filter(|d| d.has_name("a"))
        .map(|a| normalize(&a.text()).chars().count())
        .sum();
    linked as f64 >= CARD_LINK_SHARE * text.chars().count() as f64
}

/// Whether `node` sits inside a `<p>` (within [`INLINE_DEPTH`] ancestors) that reads as
/// prose or is too long to be anything else.
fn in_prose_paragraph(node: &NodeRef<'_>) -> bool {
    node.ancestors_it(Some(INLINE_DEPTH))
        .find(|a| a.has_name("p"))
        .is_some_and(|p| short_text(&p, MAX_META_CHARS).is_none_or(|t| reads_as_prose(&t)))
}

/// How many siblings that are no prose (an ad slot, a box of links planted between the
/// story's paragraphs) [`body_paragraph`] looks past on each side.
const MAX_SKIPPED_SIBLINGS: usize = 3;

/// Whether `node` is a `<p>` of the story's body: on both sides, within
/// [`MAX_SKIPPED_SIBLINGS`] siblings that are no prose, a `<p>` that reads as prose. A
/// sentence that shares its paragraph with an image there (`<p><a href=…><img></a>One
/// possible explanation …</p>`, the picture set at the head of the story's next
/// paragraph) is the story's, not a caption: only the image goes.
fn body_paragraph(node: &NodeRef<'_>) -> bool {
    let prose = |n: &NodeRef<'_>| {
        n.has_name("p") && short_text(n, MAX_META_CHARS).is_none_or(|t| reads_as_prose(&t))
    };
    let prose_near = |mut next: Option<NodeRef<'_>>, forward: bool| {
        for _ in 0..=MAX_SKIPPED_SIBLINGS {
            let Some(n) = next else { return false };
            if prose(&n) {
                return true;
            }
            next = if forward {
                n.next_element_sibling()
            } else {
                n.prev_element_sibling()
            };
        }
        false
    };
    node.has_name("p")
        && prose_near(node.prev_element_sibling(), false)
        && prose_near(node.next_element_sibling(), true)
}

/// Whether `node` stands for an image: an `<img>`, or a `<picture>` or `<figure>` (one
/// whose `<img>` waits in a `<noscript>` for a script to load it holds none), so that
/// the short text beside it goes as beside an image: a "Subscribe" box set in the story
/// around a picture.
fn is_image(node: &NodeRef<'_>) -> bool {
    node.has_name("img") || node.has_name("picture") || node.has_name("figure")
}

/// How many wrappers of an image (a `<p>`, a `<div>` or a link holding only it) are
/// looked through for the caption after it.
const MAX_IMAGE_WRAPPERS: usize = 3;

/// The caption set right after an image: the next element beside it (or beside the
/// wrapper that holds only the image), when it is short, holds at most one paragraph
/// and every letter of it is emphasised (`<img><center><em>… via …</em></center>`,
/// `<p><img></p><p><small>Photo: …</small></p>`). A short plain paragraph after an image
/// is the story's, and so is text that runs on in the image's own line.
fn caption_after<'a>(img: &NodeRef<'a>, headline_holders: &HashSet<NodeId>) -> Option<NodeRef<'a>> {
    let mut node = *img;
    for _ in 0..=MAX_IMAGE_WRAPPERS {
        let mut next = node.next_sibling();
        while let Some(n) = next {
            let skip =
                (n.is_text() && n.text().trim().is_empty()) || n.has_name("br") || n.is_comment();
            if !skip {
                break;
            }
            next = n.next_sibling();
        }
        match next {
            Some(n) if n.is_element() => {
                return (short_text(&n, MAX_CAPTION_CHARS).is_some_and(|t| !t.is_empty())
                    && paragraphs(&n, 1) <= 1
                    && wholly_emphasised(&n))
                .then_some(n);
            }
            Some(_) => return None,
            None => {}
        }
        let parent = node.parent()?;
        if is_container(&parent, headline_holders) || !normalize(&parent.text()).is_empty() {
            return None;
        }
        node = parent;
    }
    None
}

/// Whether every letter of `node`'s text sits in an emphasis element (`<em>`, `<i>`,
/// `<small>`, `<strong>`, `<b>`, `<cite>`), `node` itself included.
fn wholly_emphasised(node: &NodeRef<'_>) -> bool {
    const EMPHASIS: &[&str] = &["em", "i", "small", "strong", "b", "cite"];
    let emphasis = |n: &NodeRef<'_>| EMPHASIS.iter().any(|e| n.has_name(e));
    node.descendants_it()
        .filter(|d| d.is_text() && d.text().chars().any(char::is_alphanumeric))
        .all(|t| {
            t.ancestors_it(None)
                .take_while(|a| a.id != node.id)
                .any(|a| emphasis(&a))
                || emphasis(node)
        })
}

/// The page, the story's own container, or an element that holds the headline.
fn is_container(node: &NodeRef<'_>, headline_holders: &HashSet<NodeId>) -> bool {
    node.has_name("body")
        || node.has_name("article")
        || node.has_name("main")
        || node.has_name("html")
        || headline_holders.contains(&node.id)
}

/// Every element that holds an `<h1>`, found once per page.
fn headline_holders(doc: &Document) -> HashSet<NodeId> {
    let mut ids = HashSet::new();
    for h1 in doc.select("h1").nodes() {
        for a in std::iter::once(*h1).chain(h1.ancestors_it(None)) {
            if !ids.insert(a.id) {
                break;
            }
        }
    }
    ids
}

/// The `<p>`s inside `node`, counted up to one more than `most`.
fn paragraphs(node: &NodeRef<'_>, most: usize) -> usize {
    node.descendants_it()
        .filter(|d| d.has_name("p"))
        .take(most + 1)
        .count()
}

/// The normalised text of `node` when it has at most `most` characters; `None`, without
/// reading the rest, as soon as it has more.
fn short_text(node: &NodeRef<'_>, most: usize) -> Option<String> {
    let mut raw = String::new();
    let mut visible = 0;
    for t in node.descendants_it().filter(|d| d.is_text()) {
        let text = t.text();
        visible += text.chars().filter(|c| !c.is_whitespace()).count();
        if visible > most {
            return None;
        }
        raw.push_str(&text);
    }
    if node.is_text() {
        raw.push_str(&node.text());
    }
    let text = normalize(&raw);
    (text.chars().count() <= most).then_some(text)
}

/// Whether a text reads as a sentence of the story: six words or more, ending like a
/// sentence.
fn reads_as_prose(text: &str) -> bool {
    text.split_whitespace().count() >= 6 && ends_like_sentence(text)
}

fn ends_like_sentence(text: &str) -> bool {
    text.trim_end()
        .ends_with(['.', '!', '?', '"', '”', '’', '»', '。', '…', ':', ';'])
}

/// A box title has at most this many words.
const MAX_TITLE_WORDS: usize = 6;

/// Whether a block just before a box of links is that box's title: a few words, no
/// sentence.
pub(super) fn is_box_title(text: &str) -> bool {
    text.split_whitespace().count() <= MAX_TITLE_WORDS
        && (text.ends_with(':') || !ends_like_sentence(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remaining(html: &str) -> String {
        let doc = Document::from(html);
        remove_furniture(&doc);
        normalize(&doc.select("body").text())
    }

    #[test]
    fn metadata_blocks_go_with_their_markers_but_sentences_stay() {
        assert_eq!(
            remaining(
                "<div class=x><span>By <a rel=author href=/a>Ana Lima</a></span></div>\
                 <p>The council met on <time>Monday</time> to vote on the plan.</p>\
                 <div><img src=a.jpg><span>Ana Lima / Agência</span></div>\
                 <div><span itemprop=datePublished>22.01.2018</span></div>"
            ),
            "The council met on Monday to vote on the plan."
        );
    }
}
