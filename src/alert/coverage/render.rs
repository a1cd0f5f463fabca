//! Rendering a [`Comparison`] as the alert's text and HTML parts.

use maud::{Markup, html};

use super::{Comparison, LISTED_CHARS, MAX_LISTED, MAX_PAIRS, Pair};
use crate::diff::{self, render};
use crate::text::Copy;

/// A word diff of one aligned pair, copy → article, in the differ's plain-text markup.
pub(super) fn pair_text(pair: &Pair) -> String {
    if pair.copy == pair.article {
        return format!("{} (same words)", pair.article);
    }
    let d = diff::diff(
        &Copy::new("", [&pair.copy]),
        &Copy::new("", [&pair.article]),
    );
    // A pair reworded throughout comes back as a removed and an added paragraph: keep
    // them on consecutive, indented lines.
    render::word(&d, &render::RenderOptions { context: 0 })
        .trim()
        .split("\n\n")
        .collect::<Vec<_>>()
        .join("\n     ")
}

/// The same pair as an HTML fragment, escaped and styled by the one HTML renderer.
fn pair_html(pair: &Pair) -> Markup {
    if pair.copy == pair.article {
        return html! {
            p style="margin:0 0 8px" { (pair.article) " " em { "(same words)" } }
        };
    }
    let d = diff::diff(
        &Copy::new("", [&pair.copy]),
        &Copy::new("", [&pair.article]),
    );
    diff::html::fragment(&d, &render::RenderOptions { context: 0 })
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= LISTED_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(LISTED_CHARS).collect();
    format!("{}…", cut.trim_end())
}

fn sentences_count(n: usize) -> String {
    if n == 1 {
        "1 sentence".into()
    } else {
        format!("{n} sentences")
    }
}

/// The plain-text body part: headline, quotes, sentences, then what is left out and added.
pub fn text(c: &Comparison, copy_name: &str, similarity: f64) -> String {
    let mut out = format!(
        "Compared with the stored copy {copy_name} (similarity {similarity:.2}); \
         [-copy's words-] {{+this article's words+}}\n"
    );
    if let Some(h) = &c.headline {
        out.push_str(&format!("\nHeadline:\n  {}\n", pair_text(h)));
    }
    if !c.quotes.is_empty() {
        out.push_str(&format!("\nQuotes they share ({}):\n", c.quotes.len()));
        for (i, q) in c.quotes.iter().enumerate() {
            let note = if q.quoted { "" } else { " (not quoted here)" };
            out.push_str(&format!("  {}. “{}”{note}\n", i + 1, pair_text(q)));
        }
    }
    if !c.sentences.is_empty() {
        out.push_str(&format!(
            "\nSentences they share ({}):\n",
            c.sentences.len()
        ));
        for (i, s) in c.sentences.iter().take(MAX_PAIRS).enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, pair_text(s)));
        }
        if c.sentences.len() > MAX_PAIRS {
            out.push_str(&format!("  … and {} more\n", c.sentences.len() - MAX_PAIRS));
        }
    }
    let list = |out: &mut String, title: &str, items: &[String]| {
        if items.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title} ({}):\n", sentences_count(items.len())));
        for s in items.iter().take(MAX_LISTED) {
            out.push_str(&format!("  - {}\n", shorten(s)));
        }
        if items.len() > MAX_LISTED {
            out.push_str(&format!("  … and {} more\n", items.len() - MAX_LISTED));
        }
    };
    list(
        &mut out,
        "What the copy says that this article leaves out",
        &c.left_out,
    );
    list(&mut out, "What this article adds", &c.added);
    out
}

/// The HTML body part, with the same content as [`text`]: a maud template, so every
/// piece of either text is escaped.
pub fn html(c: &Comparison, copy_name: &str, similarity: f64) -> String {
    let heading = |t: String| html! { h3 style="margin:16px 0 8px;font-size:15px" { (t) } "\n" };
    let lists = [
        (
            "What the copy says that this article leaves out",
            &c.left_out,
        ),
        ("What this article adds", &c.added),
    ];
    html! {
        p style="margin:0 0 8px" {
            "Compared with the stored copy " code { (copy_name) } " (similarity "
            (format!("{similarity:.2}"))
            "): the copy's words struck through, this article's underlined."
        }
        "\n"
        @if let Some(h) = &c.headline {
            (heading("Headline".into()))
            (pair_html(h)) "\n"
        }
        @if !c.quotes.is_empty() {
            (heading(format!("Quotes they share ({})", c.quotes.len())))
            @for q in &c.quotes {
                (pair_html(q))
                @if !q.quoted {
                    p style="margin:0 0 8px;font-size:13px" { em { "(not quoted here)" } }
                }
                "\n"
            }
        }
        @if !c.sentences.is_empty() {
            (heading(format!("Sentences they share ({})", c.sentences.len())))
            @for s in c.sentences.iter().take(MAX_PAIRS) {
                (pair_html(s)) "\n"
            }
            @if c.sentences.len() > MAX_PAIRS {
                p style="margin:0 0 8px" { "… and " (c.sentences.len() - MAX_PAIRS) " more" } "\n"
            }
        }
        @for (title, items) in lists {
            @if !items.is_empty() {
                (heading(format!("{title} ({})", sentences_count(items.len()))))
                ul style="margin:0 0 8px;padding-left:24px" {
                    "\n"
                    @for s in items.iter().take(MAX_LISTED) {
                        li { (shorten(s)) } "\n"
                    }
                    @if items.len() > MAX_LISTED {
                        li { "… and " (items.len() - MAX_LISTED) " more" } "\n"
                    }
                }
                "\n"
            }
        }
    }
    .into_string()
}
