//! Rendering a [`Comparison`] as the alert's text and HTML parts.

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

/// The same pair as an HTML fragment, escaped and styled by the differ.
fn pair_html(pair: &Pair) -> String {
    if pair.copy == pair.article {
        return format!(
            "<p style=\"margin:0 0 8px\">{} <em>(same words)</em></p>",
            render::escape_html(&pair.article)
        );
    }
    let d = diff::diff(
        &Copy::new("", [&pair.copy]),
        &Copy::new("", [&pair.article]),
    );
    render::html(&d, &render::RenderOptions { context: 0 })
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

/// The HTML body part, with the same content as [`text`].
pub fn html(c: &Comparison, copy_name: &str, similarity: f64) -> String {
    let esc = |s: &str| render::escape_html(s).into_owned();
    let heading = |t: &str| {
        format!(
            "<h3 style=\"margin:16px 0 8px;font-size:15px\">{}</h3>\n",
            esc(t)
        )
    };
    let mut out = format!(
        "<p style=\"margin:0 0 8px\">Compared with the stored copy <code>{}</code> (similarity {:.2}): the copy's words struck through, this article's underlined.</p>\n",
        esc(copy_name),
        similarity
    );
    if let Some(h) = &c.headline {
        out.push_str(&heading("Headline"));
        out.push_str(&pair_html(h));
        out.push('\n');
    }
    if !c.quotes.is_empty() {
        out.push_str(&heading(&format!("Quotes they share ({})", c.quotes.len())));
        for q in &c.quotes {
            out.push_str(&pair_html(q));
            if !q.quoted {
                out.push_str(
                    "<p style=\"margin:0 0 8px;font-size:13px\"><em>(not quoted here)</em></p>",
                );
            }
            out.push('\n');
        }
    }
    if !c.sentences.is_empty() {
        out.push_str(&heading(&format!(
            "Sentences they share ({})",
            c.sentences.len()
        )));
        for s in c.sentences.iter().take(MAX_PAIRS) {
            out.push_str(&pair_html(s));
            out.push('\n');
        }
        if c.sentences.len() > MAX_PAIRS {
            out.push_str(&format!(
                "<p style=\"margin:0 0 8px\">… and {} more</p>\n",
                c.sentences.len() - MAX_PAIRS
            ));
        }
    }
    for (title, items) in [
        (
            "What the copy says that this article leaves out",
            &c.left_out,
        ),
        ("What this article adds", &c.added),
    ] {
        if items.is_empty() {
            continue;
        }
        out.push_str(&heading(&format!(
            "{title} ({})",
            sentences_count(items.len())
        )));
        out.push_str("<ul style=\"margin:0 0 8px;padding-left:24px\">\n");
        for s in items.iter().take(MAX_LISTED) {
            out.push_str(&format!("<li>{}</li>\n", esc(&shorten(s))));
        }
        if items.len() > MAX_LISTED {
            out.push_str(&format!(
                "<li>… and {} more</li>\n",
                items.len() - MAX_LISTED
            ));
        }
        out.push_str("</ul>\n");
    }
    out
}
