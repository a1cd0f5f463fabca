//! The headline of a page.
//!
//! The headline is part of the stored copy and of the diff, so it must be the story's own
//! headline as the reader sees it: the `<h1>`. Pages do not always agree with that rule
//! (a site logo in an `<h1>`, several `<h1>`s, none at all), so an `<h1>` is taken only when
//! it shares most of its words with the page's declared titles (`og:title`,
//! `twitter:title`, `<title>`); otherwise the declared title is used, minus the site
//! name that `<title>` usually carries.

use dom_query::Document;

use crate::text::normalize;

/// Longer than this, an `<h1>` is a block of text that happens to be marked up as one.
const MAX_HEADLINE_CHARS: usize = 300;

/// Share of an `<h1>`'s words that must appear in a declared title for it to be believed.
const MIN_AGREEMENT: f64 = 0.5;

/// Finds the headline; empty when the page has none.
pub(super) fn find(doc: &Document) -> String {
    let declared = declared_titles(doc);
    let reference = declared.first().map_or("", String::as_str);
    let mut best: Option<(f64, String)> = None;
    for h1 in doc.select("h1").nodes() {
        let text = normalize(&h1.text());
        if text.is_empty() || text.chars().count() > MAX_HEADLINE_CHARS {
            continue;
        }
        if reference.is_empty() {
            // Nothing to check against: the first `<h1>` is the best guess there is.
            return text;
        }
        let score = declared
            .iter()
            .map(|title| agreement(&text, title))
            .fold(0.0, f64::max);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, text));
        }
    }
    match best {
        Some((score, text)) if score >= MIN_AGREEMENT => text,
        _ => strip_site_name(reference),
    }
}

/// The page's declared titles, the most specific first.
fn declared_titles(doc: &Document) -> Vec<String> {
    let mut titles = Vec::new();
    for sel in [
        r#"meta[property="og:title"]"#,
        r#"meta[name="twitter:title"]"#,
    ] {
        if let Some(content) = doc.select_single(sel).attr("content") {
            titles.push(normalize(&content));
        }
    }
    let title = normalize(&doc.select_single("title").text());
    let stripped = strip_site_name(&title);
    titles.push(title);
    titles.push(stripped);
    titles.retain(|t| !t.is_empty());
    titles
}

/// The words `h1` shares with `title`, as a share of the longer of the two: a site name
/// in an `<h1>` shares all its words with `Headline | Site name`, but few of them.
fn agreement(h1: &str, title: &str) -> f64 {
    let title_words: Vec<String> = words(title).collect();
    let (mut total, mut shared) = (0usize, 0usize);
    for word in words(h1) {
        total += 1;
        if title_words.contains(&word) {
            shared += 1;
        }
    }
    let longer = total.max(title_words.len());
    if longer == 0 {
        0.0
    } else {
        shared as f64 / longer as f64
    }
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// `Story headline | Site name` → `Story headline`: the longest of the parts that a
/// title separator splits off, when there is one.
fn strip_site_name(title: &str) -> String {
    for sep in [" | ", " – ", " — ", " - ", " :: ", " · "] {
        if title.contains(sep) {
            let longest = title
                .split(sep)
                .max_by_key(|part| part.chars().count())
                .unwrap_or(title);
            return longest.trim().to_string();
        }
    }
    title.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headline(html: &str) -> String {
        find(&Document::from(html))
    }

    #[test]
    fn takes_the_h1_that_agrees_with_the_title() {
        let html = "<title>Big news today | Daily Paper</title><h1>Daily Paper</h1>\
                    <article><h1>Big news  today</h1></article>";
        assert_eq!(headline(html), "Big news today");
    }

    #[test]
    fn falls_back_to_the_title_without_site_name() {
        let html = "<title>Big news today | Daily Paper</title><h1 class=logo>Paper</h1>";
        assert_eq!(headline(html), "Big news today");
        assert_eq!(headline("<p>no title at all</p>"), "");
        assert_eq!(headline("<h1>Only an h1</h1>"), "Only an h1");
    }
}
