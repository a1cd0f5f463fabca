//! Showing a [`CopyDiff`] to people and programs.
//!
//! The diff itself is plain data (see the parent module); this module owns every way of
//! printing it: the plain-text word diff of the alert e-mail and `redline diff`
//! (`[-removed-]{+added+}`), the same with terminal colours, a classic unified diff of
//! the stored copies, and a stable JSON document. HTML is written by the one HTML
//! renderer, [`super::html`], which [`html`] here calls. Text, colour and HTML share one
//! layout ([`shown`]): the headline when it changed, then only the changed paragraphs
//! with `context` unchanged neighbours, hunks separated by `…`.

use std::borrow::Cow;

use serde_json::json;
use similar::TextDiff;

use super::{Block, CopyDiff, Span, SpanKind, TIMEOUT, new_text, old_text};
use crate::text::Copy;

/// How much of the article to show around the changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Unchanged paragraphs shown before and after each changed one.
    pub context: usize,
}

impl Default for RenderOptions {
    /// One paragraph of context, as in the alert e-mail.
    fn default() -> Self {
        RenderOptions { context: 1 }
    }
}

/// How one output format marks changes and protects article text.
struct Markup {
    del: (&'static str, &'static str),
    ins: (&'static str, &'static str),
    /// Around the note that says where a paragraph moved.
    moved: (&'static str, &'static str),
    escape: fn(&str) -> Cow<'_, str>,
}

const WORD: Markup = Markup {
    del: ("[-", "-]"),
    ins: ("{+", "+}"),
    moved: ("", ""),
    escape: no_escape,
};

const ANSI: Markup = Markup {
    // Red struck-through and green underlined, like the HTML, so that the colours are
    // not the only cue.
    del: ("\x1b[31;9m", "\x1b[0m"),
    ins: ("\x1b[32;4m", "\x1b[0m"),
    moved: ("\x1b[36m", "\x1b[0m"),
    escape: escape_control,
};

/// One line of the shared layout: a paragraph, or the gap between two hunks.
enum Piece {
    Paragraph(String),
    Gap,
}

/// One item of the layout every format shares: a paragraph to show, or the gap where
/// unchanged paragraphs are skipped.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shown<'a> {
    Block(&'a Block),
    Gap,
}

/// The plain-text word diff: `Headline: …` when the headline changed, then the changed
/// paragraphs with context, removed words `[-like this-]`, added words `{+like this+}`,
/// a blank line between paragraphs and a `…` line where paragraphs are skipped. Empty
/// when nothing changed.
pub fn word(d: &CopyDiff, o: &RenderOptions) -> String {
    plain(d, o, &WORD)
}

/// [`word`] with ANSI colours (red removed, green added) instead of markers, for a
/// terminal. Control characters in the article text are replaced so that a page cannot
/// send escape sequences to the terminal.
pub fn ansi(d: &CopyDiff, o: &RenderOptions) -> String {
    plain(d, o, &ANSI)
}

fn plain(d: &CopyDiff, o: &RenderOptions, m: &Markup) -> String {
    let (headline, pieces) = layout(d, o, m);
    let mut parts: Vec<String> = Vec::new();
    if let Some(h) = headline {
        parts.push(format!("Headline: {h}"));
    }
    parts.extend(pieces.into_iter().map(|p| match p {
        Piece::Paragraph(text) => text,
        Piece::Gap => "…".to_string(),
    }));
    if parts.is_empty() {
        return String::new();
    }
    parts.join("\n\n") + "\n"
}

/// An HTML fragment for e-mail, the web view, Atom and `--format html`: see
/// [`super::html::fragment`]. Empty when nothing changed.
pub fn html(d: &CopyDiff, o: &RenderOptions) -> String {
    super::html::fragment(d, o).into_string()
}

/// A unified diff (1 line of context) of the two stored copies, one line per headline
/// and paragraph, under `--- old_label` / `+++ new_label` headers. Empty when the copies
/// are the same.
pub fn unified(old: &Copy, new: &Copy, old_label: &str, new_label: &str) -> String {
    let (old, new) = (copy_lines(old), copy_lines(new));
    TextDiff::configure()
        .timeout(TIMEOUT)
        .diff_lines(&old, &new)
        .unified_diff()
        .context_radius(1)
        .header(old_label, new_label)
        .to_string()
}

/// The stored-copy text without its blank separator lines.
fn copy_lines(copy: &Copy) -> String {
    std::iter::once(&copy.headline)
        .filter(|h| !h.is_empty())
        .chain(&copy.paragraphs)
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The diff as a stable JSON document:
/// `{"headline": {"old", "new", "spans"} | null, "changes": [...], "words_added",
/// "words_removed", "labels"}`, where `changes` holds only the changed, added, removed
/// and moved paragraphs, each tagged with its `kind` (`changed`, `added`, `removed`,
/// `moved_out`, `moved_in`) and 0-based `old`/`new` indices, and `labels` lists the
/// change labels.
pub fn json(d: &CopyDiff) -> serde_json::Value {
    let changes: Vec<&Block> = d.blocks.iter().filter(|b| !b.is_same()).collect();
    json!({
        "headline": d.headline.as_ref().map(|spans| json!({
            "old": old_text(spans),
            "new": new_text(spans),
            "spans": spans,
        })),
        "changes": changes,
        "words_added": d.words_added,
        "words_removed": d.words_removed,
        "labels": d.labels,
    })
}

/// The paragraphs to show: each changed one with `o.context` unchanged neighbours, and
/// a [`Shown::Gap`] wherever paragraphs are skipped between two hunks.
pub(super) fn shown<'a>(d: &'a CopyDiff, o: &RenderOptions) -> Vec<Shown<'a>> {
    let n = d.blocks.len();
    let mut show = vec![false; n];
    for (i, block) in d.blocks.iter().enumerate() {
        if !block.is_same() {
            let end = i.saturating_add(o.context).min(n - 1);
            show[i.saturating_sub(o.context)..=end].fill(true);
        }
    }
    let mut out = Vec::new();
    let mut previous: Option<usize> = None;
    for (i, block) in d.blocks.iter().enumerate().filter(|(i, _)| show[*i]) {
        if previous.is_some_and(|p| p + 1 < i) {
            out.push(Shown::Gap);
        }
        previous = Some(i);
        out.push(Shown::Block(block));
    }
    out
}

/// The headline (when it changed) and the paragraphs to show, marked up.
fn layout(d: &CopyDiff, o: &RenderOptions, m: &Markup) -> (Option<String>, Vec<Piece>) {
    let headline = d.headline.as_deref().map(|spans| render_spans(spans, m));
    let pieces = shown(d, o)
        .into_iter()
        .map(|s| match s {
            Shown::Block(block) => Piece::Paragraph(render_block(block, m)),
            Shown::Gap => Piece::Gap,
        })
        .collect();
    (headline, pieces)
}

fn render_block(block: &Block, m: &Markup) -> String {
    match block {
        Block::Same { text, .. } => (m.escape)(text).into_owned(),
        Block::Changed { spans, .. } => render_spans(spans, m),
        Block::Added { text, .. } => format!("{}{}{}", m.ins.0, (m.escape)(text), m.ins.1),
        Block::Removed { text, .. } => format!("{}{}{}", m.del.0, (m.escape)(text), m.del.1),
        Block::MovedOut { new, .. } => {
            format!("{}[moved to paragraph {}]{}", m.moved.0, new + 1, m.moved.1)
        }
        Block::MovedIn { old, text, .. } => format!(
            "{}[moved from paragraph {}]{} {}",
            m.moved.0,
            old + 1,
            m.moved.1,
            (m.escape)(text)
        ),
    }
}

fn render_spans(spans: &[Span], m: &Markup) -> String {
    let mut out = String::new();
    for (i, span) in spans.iter().enumerate() {
        let (open, close) = match span.kind {
            SpanKind::Equal => {
                out.push_str(&(m.escape)(&span.text));
                continue;
            }
            SpanKind::Delete => m.del,
            SpanKind::Insert => m.ins,
        };
        let (lead, inner, trail) = split_alone(spans, i);
        out.push_str(lead);
        out.push_str(open);
        out.push_str(&(m.escape)(inner));
        out.push_str(close);
        out.push_str(trail);
    }
    out
}

/// Span `i` of `spans` as (leading space, marked text, trailing space). A run that stands
/// alone (a pure insertion or deletion) carries the one space it adds or removes; showing
/// that space outside the markers reads better: "a {+very+} good", not "a {+very +}good".
pub(super) fn split_alone(spans: &[Span], i: usize) -> (&str, &str, &str) {
    let span = &spans[i];
    let alone = i
        .checked_sub(1)
        .is_none_or(|p| spans[p].kind == SpanKind::Equal)
        && spans.get(i + 1).is_none_or(|s| s.kind == SpanKind::Equal);
    let inner = span.text.trim();
    if alone && !inner.is_empty() {
        let start = span.text.len() - span.text.trim_start().len();
        let end = span.text.trim_end().len();
        (&span.text[..start], inner, &span.text[end..])
    } else {
        ("", span.text.as_str(), "")
    }
}

/// Plain text needs no escaping: the markers are not special in article text.
fn no_escape(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}

/// Replaces control characters (ESC above all) with U+FFFD for terminal output.
fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;
    use crate::diff::tests::seed;

    fn ctx(context: usize) -> RenderOptions {
        RenderOptions { context }
    }

    #[test]
    fn seed_word_context_0() {
        let (v1, v2) = seed();
        insta::assert_snapshot!(word(&diff(&v1, &v2), &ctx(0)));
    }

    #[test]
    fn seed_word_context_1() {
        let (v1, v2) = seed();
        insta::assert_snapshot!(word(&diff(&v1, &v2), &ctx(1)));
    }

    #[test]
    fn seed_html_context_0() {
        let (v1, v2) = seed();
        insta::assert_snapshot!(html(&diff(&v1, &v2), &ctx(0)));
    }

    #[test]
    fn seed_html_context_1() {
        let (v1, v2) = seed();
        insta::assert_snapshot!(html(&diff(&v1, &v2), &ctx(1)));
    }

    #[test]
    fn seed_ansi_context_0() {
        let (v1, v2) = seed();
        insta::assert_snapshot!(ansi(&diff(&v1, &v2), &ctx(0)).replace('\x1b', "␛"));
    }

    #[test]
    fn seed_unified() {
        let (v1, v2) = seed();
        insta::assert_snapshot!(unified(&v1, &v2, "version 1", "version 2"));
    }

    #[test]
    fn seed_json() {
        let (v1, v2) = seed();
        let doc = serde_json::to_string_pretty(&json(&diff(&v1, &v2))).expect("serialises");
        insta::assert_snapshot!(doc);
    }

    #[test]
    fn display_is_the_word_diff_with_one_paragraph_of_context() {
        let (v1, v2) = seed();
        let d = diff(&v1, &v2);
        assert_eq!(d.to_string(), word(&d, &RenderOptions::default()));
    }

    #[test]
    fn nothing_changed_renders_nothing() {
        let (v1, _) = seed();
        let d = diff(&v1, &v1);
        assert_eq!(word(&d, &ctx(1)), "");
        assert_eq!(html(&d, &ctx(1)), "");
        assert_eq!(unified(&v1, &v1, "a", "b"), "");
        assert_eq!(
            json(&d),
            json!({"headline": null, "changes": [], "words_added": 0, "words_removed": 0, "labels": []})
        );
    }

    #[test]
    fn removed_paragraph_and_large_context() {
        let old = Copy::new("H", ["One.", "Two.", "Three."]);
        let new = Copy::new("H", ["One.", "Three."]);
        let d = diff(&old, &new);
        assert_eq!(word(&d, &ctx(5)), "One.\n\n[-Two.-]\n\nThree.\n");
        assert_eq!(word(&d, &ctx(0)), "[-Two.-]\n");
    }

    #[test]
    fn html_escapes_every_piece_of_article_text() {
        let old = Copy::new(
            "<script>alert(1)</script> & co",
            [
                "Same <b>bold</b> text.",
                "Old \"quoted\" <i>word</i>.",
                "Gone <img src=x>.",
            ],
        );
        let new = Copy::new(
            "<script>alert(2)</script> & co",
            [
                "Same <b>bold</b> text.",
                "Old \"quoted\" <i>term</i>.",
                "New <a href='x'>.",
            ],
        );
        let out = html(&diff(&old, &new), &ctx(1));
        for raw in ["<script>", "<b>", "<i>", "<img", "<a ", "\"quoted\""] {
            assert!(!out.contains(raw), "{raw} unescaped in {out}");
        }
        assert!(out.contains("<h2>&lt;script&gt;alert("), "{out}");
        assert!(out.contains("&amp; co"), "{out}");
        assert!(out.contains("Same &lt;b&gt;bold&lt;/b&gt; text."), "{out}");
    }

    #[test]
    fn ansi_neutralises_escape_sequences_in_article_text() {
        let old = Copy {
            headline: "H".to_string(),
            paragraphs: vec!["a \x1b[2J b".to_string()],
        };
        let new = Copy {
            headline: "H".to_string(),
            paragraphs: vec!["a \x1b[2J c".to_string()],
        };
        let out = ansi(&diff(&old, &new), &ctx(0));
        assert!(!out.contains("\x1b[2J"), "{out:?}");
        assert!(
            out.contains("\x1b[31;9mb\x1b[0m\x1b[32;4mc\x1b[0m"),
            "{out:?}"
        );
    }

    #[test]
    fn gaps_only_between_hunks() {
        let paragraphs: Vec<String> = (1..=9).map(|i| format!("Paragraph {i}.")).collect();
        let old = Copy::new("H", &paragraphs);
        let mut edited = paragraphs.clone();
        edited[1] = "Paragraph two.".to_string();
        edited[7] = "Paragraph eight.".to_string();
        let new = Copy::new("H", &edited);
        let d = diff(&old, &new);
        assert_eq!(
            word(&d, &ctx(1)),
            "Paragraph 1.\n\nParagraph [-2-]{+two+}.\n\nParagraph 3.\n\n…\n\n\
             Paragraph 7.\n\nParagraph [-8-]{+eight+}.\n\nParagraph 9.\n"
        );
        // Touching hunks merge without a gap, and each paragraph is shown once.
        assert_eq!(word(&d, &ctx(3)).matches("Paragraph 5.").count(), 1);
        assert!(!word(&d, &ctx(3)).contains('…'));
    }
}
