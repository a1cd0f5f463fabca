//! Furniture-only variants: every text of the page outside the human-written article may
//! change, the way live sites change it.
//!
//! Furniture is what [`super::page::furniture_texts`] finds: visible text outside the
//! ground-truth body, whatever the extractor makes of it. Each text is given a role by
//! its place in the markup (only to report leaks by kind; the generator changes the text
//! whatever its role): a caption or credit, a byline, bio or dateline, navigation, an item
//! of a list or a link, or other text. The kinds:
//!
//! - `dates`: every date and time of the furniture moved forward to another valid one;
//! - `counters`: every other number of the furniture incremented;
//! - `captions`, `bylines`, `nav`, `lists`, `other-text`: words replaced in every text of
//!   that role;
//! - `box-inside`: an "also read" / "most read" box planted between two paragraphs of
//!   the story (in the new version only);
//! - `box-beside`: such a box beside the story (before or after it), with other items in
//!   each version;
//! - `all`: all of the above at once.
//!
//! [`apply`] is called twice on fresh parses of the page with the same seed: once for the
//! old version (`new == false`) and once for the new one, so that both make the same
//! choices.

use dom_query::{Document, NodeRef};

use super::page::{Rng, Spot, Truth, article_paragraphs, furniture_texts, in_link, insert_at};

/// The kinds of furniture change, one variant of each per page.
pub const KINDS: &[&str] = &[
    "dates",
    "counters",
    "captions",
    "bylines",
    "nav",
    "lists",
    "other-text",
    "box-inside",
    "box-beside",
    "all",
];

/// Where a furniture text sits, by its markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Caption,
    Byline,
    Nav,
    List,
    Other,
}

fn role_of(kind: &str) -> Option<Role> {
    Some(match kind {
        "captions" => Role::Caption,
        "bylines" => Role::Byline,
        "nav" => Role::Nav,
        "lists" => Role::List,
        "other-text" => Role::Other,
        _ => return None,
    })
}

/// The class, id, rel and itemprop values of an element, lower case.
fn marks(node: &NodeRef<'_>) -> String {
    ["class", "id", "rel", "itemprop"]
        .iter()
        .filter_map(|k| node.attr(k))
        .map(|v| v.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn role(node: &NodeRef<'_>) -> Role {
    let ancestors: Vec<NodeRef<'_>> = node.ancestors_it(None).collect();
    let has_mark = |words: &[&str]| {
        ancestors.iter().take(6).any(|a| {
            let m = marks(a);
            words.iter().any(|w| m.contains(w))
        })
    };
    let named = |names: &[&str]| {
        ancestors
            .iter()
            .any(|a| names.iter().any(|n| a.has_name(n)))
    };
    let near_image = ancestors.iter().take(3).any(|a| {
        a.descendants_it()
            .any(|d| d.has_name("img") || d.has_name("picture"))
    });
    if named(&["figure", "figcaption", "caption"])
        || has_mark(&["caption", "credit", "photo", "image", "gallery", "media"])
        || near_image
    {
        Role::Caption
    } else if named(&["address", "time"])
        || has_mark(&[
            "author",
            "byline",
            "bio",
            "dateline",
            "meta",
            "date",
            "time",
            "writer",
            "contributor",
            "profile",
        ])
    {
        Role::Byline
    } else if named(&["nav", "header", "footer", "menu"])
        || has_mark(&["nav", "menu", "breadcrumb", "footer", "header"])
    {
        Role::Nav
    } else if named(&["li"]) || in_link(node) {
        Role::List
    } else {
        Role::Other
    }
}

/// Words put in place of furniture words.
const POOL: &[&str] = &[
    "harbour",
    "meadow",
    "lantern",
    "orchard",
    "Kowalski",
    "Ferreira",
    "Nakamura",
    "pebble",
    "violet",
    "summit",
    "Okafor",
    "Lindqvist",
    "canyon",
    "marble",
    "thunder",
    "Dubois",
];

/// Replaces about half of the words of `text` (at least one) with pool words.
fn replace_words(text: &str, rng: &mut Rng) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let wordy: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].chars().any(char::is_alphabetic))
        .collect();
    if wordy.is_empty() {
        return text.to_string();
    }
    let forced = wordy[rng.below(wordy.len())];
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        if wordy.contains(&i) && (i == forced || rng.below(2) == 0) {
            let mut new = POOL[rng.below(POOL.len())];
            if new == *w {
                new = POOL[0];
            }
            out.push(new.to_string());
        } else {
            out.push((*w).to_string());
        }
    }
    out.join(" ")
}

/// Whether a text holds a date or time: a clock time, a year, or a numeric date.
fn is_date_like(text: &str) -> bool {
    let tokens: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_digit() || c == ':' || c == '/' || c == '-' || c == '.'))
        .filter(|t| !t.is_empty())
        .collect();
    tokens.iter().any(|t| {
        let digits: Vec<&str> = t
            .split([':', '/', '-', '.'])
            .filter(|d| !d.is_empty())
            .collect();
        let year = |d: &&str| d.len() == 4 && (d.starts_with("19") || d.starts_with("20"));
        digits.iter().any(year) || (digits.len() >= 2 && digits.iter().all(|d| d.len() <= 2))
    })
}

/// Every number of a date moved so that the date stays valid: years +1, a clock's hour
/// +1, other numbers (days, months) +1 (12 → 11, 23 → 22, 28 and above kept).
fn move_dates(text: &str) -> String {
    map_numbers(text, |n, len, prev| {
        Some(match (len, prev) {
            (4, _) if (1900..2100).contains(&n) => n + 1,
            // A clock's minutes: kept.
            (2, Some(':')) => n,
            (_, _) if n == 12 => 11,
            (_, _) if n == 23 => 22,
            (_, _) if n < 28 => n + 1,
            _ => n,
        })
    })
}

/// Every number incremented by 1 to 9 (its width may grow).
fn increment(text: &str, rng: &mut Rng) -> String {
    let step = 1 + rng.below(9) as u64;
    map_numbers(text, |n, _, _| Some(n + step))
}

/// Applies `f(value, digits, char before)` to each run of ASCII digits, keeping leading
/// zeros' width.
fn map_numbers(text: &str, f: impl Fn(u64, usize, Option<char>) -> Option<u64>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let mut prev = None;
    let flush = |run: &mut String, out: &mut String, prev: Option<char>| {
        if run.is_empty() {
            return;
        }
        let value = run.parse::<u64>().ok().and_then(|n| f(n, run.len(), prev));
        match value {
            Some(v) => out.push_str(&format!("{v:0width$}", width = run.len())),
            None => out.push_str(run),
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out, prev);
            out.push(c);
            prev = Some(c);
        }
    }
    flush(&mut run, &mut out, prev);
    out
}

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

/// A made-up headline of another story, sometimes with a figure in it.
fn headline(rng: &mut Rng) -> String {
    let s = rng.pick(SUBJECTS).copied().unwrap_or("Council");
    let v = rng.pick(VERBS).copied().unwrap_or("backs");
    let o = rng.pick(OBJECTS).copied().unwrap_or("plan");
    match rng.below(3) {
        0 => format!("{s} {v} {o} after {} votes", 10 + rng.below(90)),
        _ => format!("{s} {v} {o}"),
    }
}

/// Titles of boxes of other stories, in several languages.
const BOX_TITLES: &[&str] = &[
    "Also read",
    "Most read",
    "Related",
    "Read more",
    "Lesen Sie auch",
    "Leia também",
    "Lire aussi",
    "Te puede interesar",
];

/// A box of teaser links to other stories, in one of the forms sites use.
fn teaser_box(rng: &mut Rng, form: usize, items: &[String]) -> String {
    let title = BOX_TITLES[rng.below(BOX_TITLES.len())];
    let lis: String = items
        .iter()
        .enumerate()
        .map(|(i, h)| format!("<li><a href=\"/news/{i}-{}\">{h}</a></li>", h.len()))
        .collect();
    match form {
        0 => format!(
            "<p><strong>{title}:</strong> <a href=\"/a\">{}</a></p>",
            items[0]
        ),
        1 => format!(
            "<p>{} | <a href=\"/a\">{}</a></p>",
            title.to_uppercase(),
            items[0]
        ),
        2 => format!("<p><a href=\"/a\">{}</a></p>", items[0]),
        3 => format!("<div class=\"box\"><h3>{title}</h3><ul>{lis}</ul></div>"),
        4 => format!("<div><strong>{title}</strong><ol>{lis}</ol></div>"),
        _ => format!(
            "<div><p><b>{title}</b></p><p><a href=\"/a\">{}</a></p><p><a href=\"/b\">{}</a></p></div>",
            items[0],
            items.get(1).unwrap_or(&items[0])
        ),
    }
}

/// Applies furniture change `kind` to one version of the page. Returns what it changed,
/// or `None` when the page offers no place for it.
pub fn apply(
    kind: &str,
    doc: &Document,
    truth: &Truth,
    rng: &mut Rng,
    new: bool,
) -> Option<String> {
    if kind == "all" {
        let mut done = Vec::new();
        for k in KINDS.iter().filter(|k| **k != "all") {
            if let Some(d) = apply(
                k,
                doc,
                truth,
                &mut Rng::new(&rng.next().to_string(), k),
                new,
            ) {
                done.push(d);
            }
        }
        return (!done.is_empty()).then(|| done.join("; "));
    }
    if kind == "box-inside" || kind == "box-beside" {
        let paras = article_paragraphs(doc, truth);
        let form = rng.below(6);
        let all: Vec<String> = (0..4).map(|_| headline(rng)).collect();
        let spot = if kind == "box-inside" {
            Spot::Between
        } else {
            [Spot::BeforeFirst, Spot::AfterLast][rng.below(2)]
        };
        let items = if new { &all[1..] } else { &all[..3] };
        let html = teaser_box(rng, form, items);
        if kind == "box-inside" && !new {
            return (paras.len() >= 2).then(|| "no box".to_string());
        }
        return insert_at(&paras, spot, rng, &html).then(|| format!("{kind} ({spot:?}): {html}"));
    }
    let texts = furniture_texts(doc, truth);
    let mut changed = Vec::new();
    for (node, text) in &texts {
        let raw = node.text().to_string();
        let to = match kind {
            "dates" if is_date_like(&raw) => move_dates(&raw),
            "counters" if !is_date_like(&raw) && raw.chars().any(|c| c.is_ascii_digit()) => {
                increment(&raw, rng)
            }
            _ if role_of(kind).is_some_and(|r| r == role(node)) => replace_words(&raw, rng),
            _ => continue,
        };
        if to == raw {
            continue;
        }
        if new {
            node.set_text(to.as_str());
        }
        if changed.len() < 6 {
            changed.push(format!("{:?} → {:?}", cut(text), cut(&normalize_ws(&to))));
        }
    }
    (!changed.is_empty()).then(|| format!("{kind}: {}", changed.join(", ")))
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(s: &str) -> String {
    s.chars().take(60).collect()
}
