//! The one HTML renderer of a diff: the alert e-mail's HTML part, the web view's diff
//! pages, the Atom feed's `content` and `redline diff --format html` all show a
//! [`CopyDiff`] through this module.
//!
//! It is written with [maud](https://maud.lambda.xyz/) templates rather than `format!`
//! strings. maud was chosen over askama because its templates are ordinary Rust
//! expressions checked at compile time next to the code that feeds them (no template
//! files or filters to keep in step), every `(value)` spliced into a template is escaped
//! unless it is explicitly wrapped in `PreEscaped`, and it brings no runtime beyond a
//! `String`. Article text therefore cannot reach the output unescaped by accident.
//!
//! The markup: removed words in `<del>`, added words in `<ins>`, each with inline styles
//! (red struck through, green underlined) because mail clients drop `<style>` blocks and
//! some ignore the elements' default look. Only the changed paragraphs are shown, with
//! the context of [`RenderOptions`], in the layout the text renderers share
//! ([`render::shown`](super::render)).

use maud::{Markup, html};

use super::render::{RenderOptions, Shown, shown, split_alone};
use super::{Block, CopyDiff, Span, SpanKind};

/// Inline styles, kept together so that every page and message looks the same.
pub mod style {
    /// Removed words: red, struck through.
    pub const DEL: &str = "color:#b31d28;background-color:#ffeef0;text-decoration:line-through";
    /// Added words: green, underlined.
    pub const INS: &str = "color:#22863a;background-color:#e6ffed;text-decoration:underline";
    /// The note that says where a paragraph moved.
    pub const MOVED: &str = "color:#0550ae;font-style:italic";
    /// The `…` between two hunks.
    pub const GAP: &str = "color:#6a737d";
    /// A paragraph of the diff.
    pub const PARAGRAPH: &str = "margin:0 0 12px";
    /// The side-by-side table and its cells.
    pub const SIDE_TABLE: &str = "width:100%;border-collapse:collapse;table-layout:fixed";
    pub const SIDE_HEAD: &str =
        "text-align:left;padding:4px 8px;border-bottom:1px solid #d1d9e0;color:#59636e";
    pub const SIDE_CELL: &str =
        "vertical-align:top;padding:6px 8px;border-bottom:1px solid #eff1f3;overflow-wrap:anywhere";
}

/// The diff as one column: the headline in an `<h2>` when it changed, then a `<p>` per
/// paragraph shown (`<p>…</p>` for a gap), one a line. Empty when nothing changed.
pub fn fragment(d: &CopyDiff, o: &RenderOptions) -> Markup {
    html! {
        @if let Some(spans) = &d.headline {
            h2 { (spans_markup(spans, Side::Both)) } "\n"
        }
        @for item in shown(d, o) {
            @match item {
                Shown::Gap => p style=(style::GAP) { "…" },
                Shown::Block(block) => p style=(style::PARAGRAPH) { (block_markup(block)) },
            }
            // One paragraph a line keeps the message source and its snapshots readable.
            "\n"
        }
    }
}

/// The diff side by side: a table with the old version on the left (removed words
/// struck through) and the new one on the right (added words underlined), one row per
/// paragraph shown, the headline first when it changed. `old_label` and `new_label` head
/// the columns.
pub fn side_by_side(d: &CopyDiff, o: &RenderOptions, old_label: &str, new_label: &str) -> Markup {
    html! {
        table style=(style::SIDE_TABLE) {
            thead {
                tr {
                    th style=(style::SIDE_HEAD) { (old_label) }
                    th style=(style::SIDE_HEAD) { (new_label) }
                }
            }
            tbody {
                @if let Some(spans) = &d.headline {
                    tr {
                        td style=(style::SIDE_CELL) { strong { (spans_markup(spans, Side::Old)) } }
                        td style=(style::SIDE_CELL) { strong { (spans_markup(spans, Side::New)) } }
                    }
                }
                @for item in shown(d, o) {
                    @match item {
                        Shown::Gap => tr {
                            td style=(style::SIDE_CELL) { span style=(style::GAP) { "…" } }
                            td style=(style::SIDE_CELL) { span style=(style::GAP) { "…" } }
                        },
                        Shown::Block(block) => tr {
                            td style=(style::SIDE_CELL) { (side_cell(block, Side::Old)) }
                            td style=(style::SIDE_CELL) { (side_cell(block, Side::New)) }
                        },
                    }
                }
            }
        }
    }
}

/// Which words of a word diff to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Removed and added words, inline.
    Both,
    /// Kept and removed words (the old version).
    Old,
    /// Kept and added words (the new version).
    New,
}

fn block_markup(block: &Block) -> Markup {
    html! {
        @match block {
            Block::Same { text, .. } => (text),
            Block::Changed { spans, .. } => (spans_markup(spans, Side::Both)),
            Block::Added { text, .. } => ins style=(style::INS) { (text) },
            Block::Removed { text, .. } => del style=(style::DEL) { (text) },
            Block::MovedOut { new, .. } => {
                span style=(style::MOVED) { "[moved to paragraph " (new + 1) "]" }
            },
            Block::MovedIn { old, text, .. } => {
                span style=(style::MOVED) { "[moved from paragraph " (old + 1) "]" }
                " " (text)
            },
        }
    }
}

fn side_cell(block: &Block, side: Side) -> Markup {
    let old = side == Side::Old;
    html! {
        @match block {
            Block::Same { text, .. } => (text),
            Block::Changed { spans, .. } => (spans_markup(spans, side)),
            Block::Added { text, .. } => @if !old { ins style=(style::INS) { (text) } },
            Block::Removed { text, .. } => @if old { del style=(style::DEL) { (text) } },
            Block::MovedOut { new, text, .. } => @if old {
                span style=(style::MOVED) { "[moved to paragraph " (new + 1) "]" }
                " " (text)
            },
            Block::MovedIn { old: from, text, .. } => @if !old {
                span style=(style::MOVED) { "[moved from paragraph " (from + 1) "]" }
                " " (text)
            },
        }
    }
}

fn spans_markup(spans: &[Span], side: Side) -> Markup {
    html! {
        @for (i, span) in spans.iter().enumerate() {
            @match (span.kind, side) {
                (SpanKind::Equal, _) => (span.text),
                (SpanKind::Delete, Side::New) | (SpanKind::Insert, Side::Old) => {},
                (SpanKind::Delete, _) => {
                    @let (lead, inner, trail) = split_alone(spans, i);
                    (lead) del style=(style::DEL) { (inner) } (trail)
                },
                (SpanKind::Insert, _) => {
                    @let (lead, inner, trail) = split_alone(spans, i);
                    (lead) ins style=(style::INS) { (inner) } (trail)
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;
    use crate::diff::tests::seed;
    use crate::text::Copy;

    fn hostile() -> (Copy, Copy) {
        (
            Copy::new(
                "<script>alert(1)</script> & co",
                ["Same <b>bold</b> text.", "Old \"quoted\" <i>word</i>."],
            ),
            Copy::new(
                "<script>alert(2)</script> & co",
                [
                    "Same <b>bold</b> text.",
                    "Old \"quoted\" <i>term</i>.",
                    "\"><img src=x onerror=alert(3)>",
                ],
            ),
        )
    }

    #[test]
    fn side_by_side_splits_old_and_new_words() {
        let (v1, v2) = seed();
        let out =
            side_by_side(&diff(&v1, &v2), &RenderOptions::default(), "v1", "v2").into_string();
        let rows: Vec<&str> = out.split("<tr>").collect();
        // The headline row: "high-tech" struck on the left, "advanced" added on the right.
        let head = rows
            .iter()
            .find(|r| r.contains("<strong>"))
            .expect("headline row");
        let (left, right) = head.split_once("</td>").expect("two cells");
        assert!(left.contains(">high-tech</del>") && !left.contains("advanced</ins>"));
        assert!(right.contains(">advanced</ins>") && !right.contains("high-tech</del>"));
        assert!(
            out.contains("<th style=\"") && out.contains(">v1</th>"),
            "{out}"
        );
    }

    #[test]
    fn both_views_escape_every_piece_of_article_text() {
        let (old, new) = hostile();
        let d = diff(&old, &new);
        let o = RenderOptions { context: 1 };
        for out in [
            fragment(&d, &o).into_string(),
            side_by_side(&d, &o, "<x>", "\"y\"").into_string(),
        ] {
            for raw in ["<script", "<b>", "<i>", "<img", "\"quoted\""] {
                assert!(!out.contains(raw), "{raw} unescaped in {out}");
            }
            assert!(out.contains("&lt;script&gt;alert("), "{out}");
            assert!(out.contains("&amp; co"), "{out}");
            assert!(
                out.contains("&quot;&gt;&lt;img src=x onerror=alert(3)&gt;"),
                "{out}"
            );
        }
    }

    #[test]
    fn removed_and_added_words_are_del_and_ins() {
        let (v1, v2) = seed();
        let out = fragment(&diff(&v1, &v2), &RenderOptions::default()).into_string();
        assert!(out.contains(&format!("<del style=\"{}\">high-tech</del>", style::DEL)));
        assert!(out.contains(&format!("<ins style=\"{}\">advanced</ins>", style::INS)));
        assert!(out.contains(&format!("<p style=\"{}\">…</p>", style::GAP)));
    }
}
