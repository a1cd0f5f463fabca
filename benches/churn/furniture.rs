//! Furniture-only variants: changes to a page that leave every word of the story alone.
//!
//! Each kind first looks for the real thing on the page (navigation links, a "most read"
//! list, a timestamp, a share counter …), found as text that is in no ground-truth
//! paragraph, and changes it. A page without one gets one inserted, in both versions,
//! with different text in each, where such things sit on real pages: between the
//! headline and the story, between two paragraphs, or after the last one. The
//! "in-body box" kind inserts an "Also read"/"Related"/"Most read" box between two
//! paragraphs of the new version only.
//!
//! [`apply`] is called twice on fresh parses of the page with the same seed: once for the
//! old version (`new == false`) and once for the new one, so that both make the same
//! choices.

use dom_query::{Document, NodeRef};
use regex::Regex;

use super::page::{Rng, Spot, Truth, article_paragraphs, furniture_texts, in_link, insert_at};
use super::stamps;

/// The kinds of furniture change, one variant of each per page.
pub const KINDS: &[&str] = &[
    "nav",
    "related-list",
    "inbody-box",
    "timestamp",
    "counter",
    "ad",
    "share-caption",
    "comment-count",
];

const SECTIONS: &[&str] = &[
    "World", "Business", "Opinion", "Sport", "Culture", "Video", "Podcasts", "Science", "Travel",
    "Weather", "Markets", "Health", "Style",
];

const SUBJECTS: &[&str] = &[
    "City council",
    "Regional airline",
    "Star striker",
    "Tech giant",
    "Veteran senator",
    "Local bakery",
    "Research team",
    "Central bank",
];
const VERBS: &[&str] = &[
    "unveils plan for",
    "faces questions over",
    "wins backing for",
    "scraps proposal on",
    "signs deal over",
    "warns of delays to",
];
const OBJECTS: &[&str] = &[
    "new harbour bridge",
    "weekend rail fares",
    "summer music festival",
    "school lunch menus",
    "downtown parking rules",
    "electric ferry fleet",
];

/// A made-up headline of another story.
fn headline(rng: &mut Rng) -> String {
    let s = rng.pick(SUBJECTS).copied().unwrap_or("Council");
    let v = rng.pick(VERBS).copied().unwrap_or("backs");
    let o = rng.pick(OBJECTS).copied().unwrap_or("plan");
    format!("{s} {v} {o}")
}

/// Applies furniture change `kind` to one version of the page. Returns what it changed,
/// or `None` when the page offers no place for it.
pub fn apply(
    kind: &str,
    doc: &Document,
    truth: &Truth,
    rng: &mut Rng,
    new: bool,
    pats: &Patterns,
) -> Option<String> {
    match kind {
        "nav" => nav(doc, truth, rng, new),
        "related-list" => related_list(doc, truth, rng, new),
        "inbody-box" => inbody_box(doc, truth, rng, new),
        "timestamp" => stamps::numbers_in(
            doc,
            truth,
            rng,
            new,
            kind,
            &pats.timestamp,
            stamps::TIMESTAMPS,
        ),
        "counter" => {
            stamps::numbers_in(doc, truth, rng, new, kind, &pats.counter, stamps::COUNTERS)
        }
        "ad" => ad(doc, truth, rng, new, &pats.ad_word),
        "share-caption" => share_caption(doc, truth, rng, new, &pats.share),
        "comment-count" => {
            stamps::numbers_in(doc, truth, rng, new, kind, &pats.comment, stamps::COMMENTS)
        }
        _ => None,
    }
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// The class and id values of a node and its ancestors, lower case.
fn marks(node: &NodeRef<'_>) -> String {
    let mut out = String::new();
    for a in node.ancestors_it(None) {
        for attr in ["class", "id"] {
            if let Some(v) = a.attr(attr) {
                out.push(' ');
                out.push_str(&v.to_lowercase());
            }
        }
        if let Some(name) = a.node_name() {
            out.push_str(" <");
            out.push_str(&name.to_lowercase());
        }
    }
    out
}

fn nav(doc: &Document, truth: &Truth, rng: &mut Rng, new: bool) -> Option<String> {
    let texts = furniture_texts(doc, truth);
    let short_links = |(n, t): &&(NodeRef<'_>, String)| in_link(n) && (1..=4).contains(&words(t));
    let mut links: Vec<_> = texts
        .iter()
        .filter(short_links)
        .filter(|(n, _)| {
            let m = marks(n);
            ["<nav", "<header", "<footer", "menu", "nav"]
                .iter()
                .any(|w| m.contains(w))
        })
        .collect();
    if links.is_empty() {
        links = texts.iter().filter(short_links).collect();
    }
    if links.is_empty() {
        return None;
    }
    let start = rng.below(links.len());
    let shift = rng.below(SECTIONS.len());
    let mut changed = Vec::new();
    for (i, (node, text)) in links
        .iter()
        .cycle()
        .skip(start)
        .take(links.len().min(6))
        .enumerate()
    {
        let mut label = SECTIONS[(shift + i) % SECTIONS.len()];
        if label == text {
            label = SECTIONS[(shift + i + 1) % SECTIONS.len()];
        }
        if new {
            node.set_text(label);
        }
        changed.push(format!("{text:?} → {label:?}"));
    }
    Some(format!("nav links: {}", changed.join(", ")))
}

const LIST_MARKS: &[&str] = &[
    "related",
    "popular",
    "most",
    "trending",
    "recommend",
    "also",
    "read",
    "more",
    "top",
    "latest",
    "stories",
    "teaser",
    "headlines",
];

fn related_list(doc: &Document, truth: &Truth, rng: &mut Rng, new: bool) -> Option<String> {
    let texts = furniture_texts(doc, truth);
    let teaser = |(n, t): &&(NodeRef<'_>, String)| in_link(n) && words(t) >= 3;
    let mut items: Vec<_> = texts
        .iter()
        .filter(teaser)
        .filter(|(n, _)| {
            let m = marks(n);
            LIST_MARKS.iter().any(|w| m.contains(w))
        })
        .collect();
    if items.is_empty() {
        items = texts
            .iter()
            .filter(|x| teaser(x) && words(&x.1) >= 4)
            .collect();
    }
    if items.is_empty() {
        // No list on the page: one inside the story, with other items in the new version.
        let paras = article_paragraphs(doc, truth);
        let all = (0..4).map(|_| headline(rng)).collect::<Vec<_>>();
        let heads = if new { &all[1..] } else { &all[..3] };
        let lis: String = heads
            .iter()
            .map(|h| format!("<li><a href=\"/news/{}\">{h}</a></li>", h.len()))
            .collect();
        let html = format!("<div class=\"related-box\"><h3>Most read</h3><ul>{lis}</ul></div>");
        return insert_at(&paras, Spot::Between, rng, &html)
            .then(|| format!("inserted most-read box, items now {heads:?}"));
    }
    let start = rng.below(items.len());
    let mut changed = Vec::new();
    for (node, text) in items.iter().cycle().skip(start).take(items.len().min(5)) {
        let h = headline(rng);
        if new {
            node.set_text(h.as_str());
        }
        changed.push(format!("{text:?} → {h:?}"));
    }
    Some(format!("list items: {}", changed.join(", ")))
}

fn inbody_box(doc: &Document, truth: &Truth, rng: &mut Rng, new: bool) -> Option<String> {
    let paras = article_paragraphs(doc, truth);
    if paras.len() < 2 {
        return None;
    }
    let (h1, h2, h3) = (headline(rng), headline(rng), headline(rng));
    let form = rng.below(7);
    let html = match form {
        0 => format!("<p><strong>Also read:</strong> <a href=\"/a\">{h1}</a></p>"),
        1 => format!("<p>ALSO READ | <a href=\"/a\">{h1}</a></p>"),
        2 => format!("<p><b>Related:</b> <a href=\"/a\">{h1}</a></p>"),
        3 => format!("<p><em>READ MORE: <a href=\"/a\">{h1}</a></em></p>"),
        4 => format!(
            "<div class=\"related-links\"><h4>Related</h4><ul><li><a href=\"/a\">{h1}</a></li>\
             <li><a href=\"/b\">{h2}</a></li></ul></div>"
        ),
        5 => format!(
            "<div><strong>Most read</strong><ol><li><a href=\"/a\">{h1}</a></li>\
             <li><a href=\"/b\">{h2}</a></li><li><a href=\"/c\">{h3}</a></li></ol></div>"
        ),
        _ => format!("<p><a href=\"/a\">{h1}</a></p>"),
    };
    if new && !insert_at(&paras, Spot::Between, rng, &html) {
        return None;
    }
    Some(format!("inserted in the body: {html}"))
}

/// The regular expressions the generators look for furniture with.
#[derive(Debug)]
pub struct Patterns {
    timestamp: Regex,
    counter: Regex,
    comment: Regex,
    ad_word: Regex,
    share: Regex,
}

impl Patterns {
    pub fn new() -> Result<Patterns, String> {
        let re = |s: &str| Regex::new(s).map_err(|e| e.to_string());
        Ok(Patterns {
            timestamp: re(
                r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\d{1,2}:\d{2}|\bago\b|\b(updated|published|posted)\b.*\d|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}",
            )?,
            counter: re(
                r"(?i)^\(?\d[\d.,]*\s*[km]?\)?(\s+(shares?|views?|likes?|reads?|reactions?|claps?))?$|^(shares?|views?|likes?)\s*[:(]?\s*\d[\d.,]*[km]?\)?$",
            )?,
            comment: re(r"(?i)\d+\s*comments?|comments?\s*[:(]?\s*\d+")?,
            ad_word: re(r"(^|[\s_-])(ad|ads|advert|advertisement|adslot|dfp|gpt)([\s_-]|$)")?,
            share: re(
                r"(?i)share|tweet|facebook|twitter|whatsapp|linkedin|pinterest|e-?mail|reddit|copy link",
            )?,
        })
    }
}

const AD_COPY: &[&str] = &[
    "Advertisement",
    "ADVERTISEMENT - Story continues below",
    "Sponsored: Save 40% on your first order with code SPRING",
    "Try our premium plan free for thirty days",
    "Mortgage rates drop again: compare offers now",
];

fn ad(doc: &Document, truth: &Truth, rng: &mut Rng, new: bool, ad_word: &Regex) -> Option<String> {
    let found: Vec<_> = furniture_texts(doc, truth)
        .into_iter()
        .filter(|(n, _)| {
            n.ancestors_it(None).any(|a| {
                ["class", "id"]
                    .iter()
                    .filter_map(|k| a.attr(k))
                    .any(|v| ad_word.is_match(&v.to_lowercase()))
            })
        })
        .collect();
    let copy = |rng: &mut Rng| AD_COPY[rng.below(AD_COPY.len())];
    if let Some((node, text)) = found.first() {
        let mut c = copy(rng);
        if c == text {
            c = AD_COPY[0];
        }
        if new {
            node.set_text(c);
        }
        return Some(format!("ad text: {text:?} → {c:?}"));
    }
    let paras = article_paragraphs(doc, truth);
    let (a, b) = (rng.below(AD_COPY.len()), 1 + rng.below(AD_COPY.len() - 1));
    let text = if new {
        AD_COPY[(a + b) % AD_COPY.len()]
    } else {
        AD_COPY[a]
    };
    let markup = [
        "<div class=\"ad-slot\"><p>{}</p></div>",
        "<div id=\"div-gpt-ad-1571\"><span>{}</span></div>",
        "<aside class=\"advert\"><p>{}</p></aside>",
    ][rng.below(3)];
    let html = markup.replace("{}", text);
    insert_at(&paras, Spot::Between, rng, &html).then(|| format!("ad slot inserted: {html}"))
}

const SHARE_CAPTIONS: &[&str] = &[
    "Share",
    "Share this",
    "Tweet",
    "Post",
    "Email",
    "Send",
    "Share on Facebook",
    "Copy link",
];

fn share_caption(
    doc: &Document,
    truth: &Truth,
    rng: &mut Rng,
    new: bool,
    re: &Regex,
) -> Option<String> {
    let found: Vec<_> = furniture_texts(doc, truth)
        .into_iter()
        .filter(|(_, t)| {
            words(t) <= 4 && re.is_match(t) && !t.contains(['@', '/']) && !t.contains(".com")
        })
        .collect();
    if !found.is_empty() {
        let mut changed = Vec::new();
        for (node, text) in found.iter().take(4) {
            let mut c = SHARE_CAPTIONS[rng.below(SHARE_CAPTIONS.len())];
            if c == text {
                c = "Share now";
            }
            if new {
                node.set_text(c);
            }
            changed.push(format!("{text:?} → {c:?}"));
        }
        return Some(format!("share captions: {}", changed.join(", ")));
    }
    let paras = article_paragraphs(doc, truth);
    let links = if new {
        "<a href=\"#\">Share</a> <a href=\"#\">Post</a> <a href=\"#\">Send</a>"
    } else {
        "<a href=\"#\">Share on Facebook</a> <a href=\"#\">Tweet</a> <a href=\"#\">Email</a>"
    };
    let html = if rng.below(2) == 0 {
        format!("<div class=\"social-share\">{links}</div>")
    } else {
        format!("<div>{links}</div>")
    };
    let spot = [Spot::BeforeFirst, Spot::AfterLast][rng.below(2)];
    insert_at(&paras, spot, rng, &html).then(|| format!("share bar inserted ({spot:?}): {html}"))
}
