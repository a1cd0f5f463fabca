//! Furniture made of numbers: timestamps, share and view counters, comment counts.
//!
//! The three kinds work alike: short furniture texts that a pattern finds get their
//! digits changed; a page with none gets one of the lines here inserted, in both
//! versions, with other numbers in the new one.

use dom_query::Document;
use regex::Regex;

use super::page::{Rng, Spot, Truth, article_paragraphs, furniture_texts, insert_at};

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Old and new forms of a line to insert when the page has none: (old, new, markup).
pub type Insertable = (&'static str, &'static str, &'static str);

pub const TIMESTAMPS: &[Insertable] = &[
    (
        "Updated 5 minutes ago",
        "Updated 9 minutes ago",
        "<div><span>{}</span></div>",
    ),
    (
        "Last Updated: December 23rd, 2021 17:05 IST",
        "Last Updated: December 23rd, 2021 18:42 IST",
        "<p>{}</p>",
    ),
    (
        "Published 2 hours ago",
        "Published 3 hours ago",
        "<div class=\"meta\">{}</div>",
    ),
    (
        "Nov. 20, 2019 6:02 AM EST",
        "Nov. 20, 2019 7:15 AM EST",
        "<p><time>{}</time></p>",
    ),
];
pub const COUNTERS: &[Insertable] = &[
    ("1.2K Shares", "3.4K Shares", "<div><span>{}</span></div>"),
    ("12,345 views", "12,398 views", "<p>{}</p>"),
    (
        "Shares: 87",
        "Shares: 91",
        "<div class=\"share-count\">{}</div>",
    ),
];
pub const COMMENTS: &[Insertable] = &[
    (
        "Comments (0)",
        "Comments (14)",
        "<p><a href=\"#comments\">{}</a></p>",
    ),
    ("3 Comments", "17 Comments", "<div><span>{}</span></div>"),
    (
        "View comments (2)",
        "View comments (5)",
        "<div class=\"meta\">{}</div>",
    ),
];

/// Bumps the last digit of every run of digits.
fn bump_digits(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let last_of_run = c.is_ascii_digit() && !chars.get(i + 1).is_some_and(char::is_ascii_digit);
        match c.to_digit(10) {
            Some(d) if last_of_run => out.extend(char::from_digit((d + 3) % 10, 10)),
            _ => out.push(c),
        }
    }
    out
}

/// Changes the numbers of short furniture texts that `re` matches; inserts one of
/// `fallback` when there is none.
pub fn numbers_in(
    doc: &Document,
    truth: &Truth,
    rng: &mut Rng,
    new: bool,
    kind: &str,
    re: &Regex,
    fallback: &[Insertable],
) -> Option<String> {
    let found: Vec<_> = furniture_texts(doc, truth)
        .into_iter()
        .filter(|(_, t)| words(t) <= 14 && t.chars().any(|c| c.is_ascii_digit()) && re.is_match(t))
        .collect();
    if found.is_empty() {
        let paras = article_paragraphs(doc, truth);
        let (old_text, new_text, markup) = *rng.pick(fallback)?;
        let text = if new { new_text } else { old_text };
        let spot = [Spot::BeforeFirst, Spot::AfterLast][rng.below(2)];
        let html = markup.replace("{}", text);
        return insert_at(&paras, spot, rng, &html)
            .then(|| format!("{kind} inserted ({spot:?}): {old_text:?} → {new_text:?}"));
    }
    let mut changed = Vec::new();
    for (node, text) in found.iter().take(4) {
        let bumped = bump_digits(&node.text());
        if new {
            node.set_text(bumped.as_str());
        }
        changed.push(format!("{text:?} → {:?}", bump_digits(text)));
    }
    Some(format!("{kind}: {}", changed.join(", ")))
}
