//! A streaming pass over the markup, before it is parsed, that drops what no later stage
//! reads: scripts (all but JSON-LD), style sheets, comments, and the drawing inside inline
//! SVG icons.
//!
//! A news page is often more script than story: tracking, ads, hydration data, a style
//! sheet or two, and an SVG path for every share icon. html5ever tokenises each byte of
//! them and builds a node for each, the cleaning walk then removes them, and until it does
//! every pass over the tree walks them too. Dropping them from the markup first makes the
//! parse, the one cost every page pays, smaller.
//!
//! What is dropped must be exactly what the later stages would never see, so the pass
//! follows the tokenizer's rules and gives up (returns the page unchanged) wherever they
//! get subtle:
//!
//! - `<script>`: raw text up to the first `</script` followed by a space, `/` or `>`. A
//!   script holding `<!--` may hide its end tag in the tokenizer's escaped states: the
//!   page is left alone. `application/ld+json` scripts are kept ([`super::structured`]
//!   reads them).
//! - `<style>`: raw text up to `</style`.
//! - comments (`<!--` to `-->` or `--!>`); `<!-->` and `<!--->` are empty comments.
//! - `<svg>`: the start and end tags stay, the content goes, only when the content is
//!   drawing alone: no text outside its tags, no nested `<svg>`, no `foreignObject`, no
//!   HTML tag that would end the SVG early (`<p>`, `<div>` …), no CDATA. Otherwise the
//!   SVG is kept as it is.
//! - the raw text of `<title>`, `<textarea>`, `<xmp>`, `<iframe>`, `<noembed>` and
//!   `<noframes>` is text, not markup: copied as it is. `<math>` and `<plaintext>` leave
//!   the page unchanged.
//!
//! Removing a script or comment between two runs of text joins them into one text node
//! where the parser made two; what any stage reads of them (their text) is the same.

use std::borrow::Cow;

/// Returns `html` without its scripts, styles, comments and SVG drawings, or unchanged
/// when there is nothing to drop or its markup is one the pass does not follow.
pub(crate) fn strip(html: &str) -> Cow<'_, str> {
    match cuts(html.as_bytes()) {
        Some(cuts) if !cuts.is_empty() => {
            let dropped: usize = cuts.iter().map(|(a, b)| b - a).sum();
            let mut out = String::with_capacity(html.len() - dropped);
            let mut from = 0;
            for (a, b) in cuts {
                out.push_str(&html[from..a]);
                from = b;
            }
            out.push_str(&html[from..]);
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(html),
    }
}

/// Elements whose content the tokenizer reads as text up to their end tag.
const RAW_TEXT: &[&[u8]] = &[
    b"title",
    b"textarea",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
];

/// Start tags that end SVG (foreign) content and return to HTML.
const BREAKOUT: &[&[u8]] = &[
    b"b",
    b"big",
    b"blockquote",
    b"body",
    b"br",
    b"center",
    b"code",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"em",
    b"embed",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"head",
    b"hr",
    b"i",
    b"img",
    b"li",
    b"listing",
    b"menu",
    b"meta",
    b"nobr",
    b"ol",
    b"p",
    b"pre",
    b"ruby",
    b"s",
    b"small",
    b"span",
    b"strong",
    b"strike",
    b"sub",
    b"sup",
    b"table",
    b"tt",
    b"u",
    b"ul",
    b"var",
    b"font",
];

/// The byte ranges to drop, in order; `None` when the page should be left alone.
fn cuts(b: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut cuts = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let start = i + off;
        let rest = &b[start..];
        if rest.starts_with(b"<!--") {
            let end = comment_end(b, start)?;
            cuts.push((start, end));
            i = end;
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            // A doctype or a bogus comment: up to the first `>`.
            i = past(b, start + 2, b'>')?;
            continue;
        }
        if rest.starts_with(b"</") {
            if rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
                let (_, end) = tag(b, start + 2)?;
                i = end;
            } else {
                // `</>` or a bogus comment: both end at the first `>`.
                i = past(b, start + 2, b'>')?;
            }
            continue;
        }
        if !rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            // A bare `<` in text.
            i = start + 1;
            continue;
        }
        let (name, end, self_closing) = tag_closing(b, start + 1)?;
        let name = &b[name.0..name.1];
        if name.eq_ignore_ascii_case(b"script") {
            let close = raw_end(b, end, b"script")?;
            if memchr::memmem::find(&b[end..close], b"<!--").is_some() {
                return None;
            }
            let after = tag(b, close + 2)?.1;
            if !is_json_ld(&b[start..end]) {
                cuts.push((start, after));
            }
            i = after;
        } else if name.eq_ignore_ascii_case(b"style") {
            let close = raw_end(b, end, b"style")?;
            let after = tag(b, close + 2)?.1;
            cuts.push((start, after));
            i = after;
        } else if name.eq_ignore_ascii_case(b"svg") {
            if self_closing {
                // `<svg/>`: no content.
                i = end;
                continue;
            }
            let (close, drawing) = svg_end(b, end)?;
            if drawing && close > end {
                cuts.push((end, close));
            }
            i = close;
        } else if name.eq_ignore_ascii_case(b"math") || name.eq_ignore_ascii_case(b"plaintext") {
            return None;
        } else if let Some(raw) = RAW_TEXT.iter().find(|r| name.eq_ignore_ascii_case(r)) {
            i = raw_end(b, end, raw)?;
        } else {
            i = end;
        }
    }
    Some(cuts)
}

/// The end of the comment opening at `start` (`<!--`), just past its `-->` or `--!>`.
fn comment_end(b: &[u8], start: usize) -> Option<usize> {
    let body = start + 4;
    // `<!-->` and `<!--->` end at once.
    if b.get(body) == Some(&b'>') {
        return Some(body + 1);
    }
    if b.get(body..body + 2) == Some(b"->") {
        return Some(body + 2);
    }
    let close = memchr::memmem::find(&b[body..], b"-->").map(|o| (body + o, 3));
    let bang = memchr::memmem::find(&b[body..], b"--!>").map(|o| (body + o, 4));
    let (at, len) = match (close, bang) {
        (Some(c), Some(x)) => c.min(x),
        (c, x) => c.or(x)?,
    };
    Some(at + len)
}

/// Reads the tag whose name starts at `at` (just after `<` or `</`): the name's range and
/// the index just past the tag's `>`, honouring quoted attribute values. `None` when the
/// page ends inside the tag.
fn tag(b: &[u8], at: usize) -> Option<((usize, usize), usize)> {
    tag_closing(b, at).map(|(name, end, _)| (name, end))
}

/// [`tag`], and whether the tag is self-closing (`<svg/>`).
fn tag_closing(b: &[u8], at: usize) -> Option<((usize, usize), usize, bool)> {
    let mut i = at;
    while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = (at, i);
    loop {
        let mut slash = false;
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            slash = b[i] == b'/';
            i += 1;
        }
        match b.get(i)? {
            b'>' => return Some((name, i + 1, slash)),
            _ => {
                // An attribute name (its first character may be `=`), then maybe a value.
                i += 1;
                while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                    i += 1;
                }
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                if b.get(i) != Some(&b'=') {
                    continue;
                }
                i += 1;
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                match b.get(i)? {
                    q @ (b'"' | b'\'') => i = past(b, i + 1, *q)?,
                    _ => {
                        while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}

/// Where the raw text from `from` ends: the `<` of the first `</name` followed by a
/// space, `/` or `>`. `None` when there is none (the text runs to the end of the page).
fn raw_end(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    loop {
        let at = i + memchr::memmem::find(&b[i..], b"</")?;
        let after = at + 2 + name.len();
        if b.get(at + 2..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && b.get(after)
                .is_some_and(|&c| is_space(c) || c == b'/' || c == b'>')
        {
            return Some(at);
        }
        i = at + 2;
    }
}

/// The `<` of the end tag of an SVG whose content starts at `from`, and whether that
/// content is drawing alone (see the module's notes); `None` when it has no end tag.
fn svg_end(b: &[u8], from: usize) -> Option<(usize, bool)> {
    let mut drawing = true;
    let mut i = from;
    loop {
        let at = i + memchr::memchr(b'<', &b[i..])?;
        if b[i..at].iter().any(|&c| !is_space(c)) {
            drawing = false;
        }
        let rest = &b[at..];
        if rest.starts_with(b"<!--") {
            i = comment_end(b, at)?;
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            // CDATA (which may hold `>`), or a bogus comment.
            return None;
        }
        let end_tag = rest.starts_with(b"</");
        let name_at = at + 1 + usize::from(end_tag);
        if !b.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            if end_tag {
                i = past(b, at + 2, b'>')?;
            } else {
                drawing = false;
                i = at + 1;
            }
            continue;
        }
        let (name, end) = tag(b, name_at)?;
        let name = &b[name.0..name.1];
        if end_tag {
            if name.eq_ignore_ascii_case(b"svg") {
                return Some((at, drawing));
            }
            if name.eq_ignore_ascii_case(b"p") || name.eq_ignore_ascii_case(b"br") {
                drawing = false;
            }
        } else if name.eq_ignore_ascii_case(b"svg")
            || name.eq_ignore_ascii_case(b"foreignobject")
            || name.eq_ignore_ascii_case(b"math")
            || BREAKOUT.iter().any(|t| name.eq_ignore_ascii_case(t))
        {
            // Nested or mixed content: this SVG's end is not for this scan to find.
            return None;
        }
        i = end;
    }
}

/// Whether a `<script …>` start tag declares JSON-LD.
fn is_json_ld(start_tag: &[u8]) -> bool {
    let lower = start_tag.to_ascii_lowercase();
    memchr::memmem::find(&lower, b"ld+json").is_some()
}

/// The index just past the first `c` at or after `from`.
fn past(b: &[u8], from: usize, c: u8) -> Option<usize> {
    let from = from.min(b.len());
    memchr::memchr(c, &b[from..]).map(|o| from + o + 1)
}

/// The tokenizer's whitespace between attributes.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_comments_and_drawings_go() {
        let html = "<head><style>p{color:red}</style><script src=x></script>\
                    <script type=\"application/ld+json\">{\"a\":1}</script></head>\
                    <body><!-- ad --><p>one<script>if (a<b) document.write('</p>')</script> two</p>\
                    <svg viewBox=\"0 0 1 1\"><path d=\"M0 0\"/></svg></body>";
        assert_eq!(
            strip(html),
            "<head><script type=\"application/ld+json\">{\"a\":1}</script></head>\
             <body><p>one two</p><svg viewBox=\"0 0 1 1\"></svg></body>"
        );
    }

    #[test]
    fn raw_text_is_not_markup() {
        for html in [
            "<title>a <!-- b --> c</title><p>x</p>",
            "<textarea><script>x</script></textarea>",
            "<p title=\"<script>x</script>\">a</p>",
            "<p>a < b</p><xmp><style></xmp>",
        ] {
            assert_eq!(strip(html), html, "{html}");
        }
        assert_eq!(
            strip("<title>t</title><style>s</style><p>x"),
            "<title>t</title><p>x"
        );
        // `</scripts` is not the end of a script.
        assert_eq!(strip("<script>a = '</scripts>';</script ><p>x"), "<p>x");
    }

    #[test]
    fn markup_it_does_not_follow_leaves_the_page_alone() {
        for html in [
            "<script><!-- document.write('<script></script>') --></script><p>x</p><!-- c -->",
            "<svg><p>out of the svg</p></svg><!-- c -->",
            "<svg><foreignObject><div>x</div></foreignObject></svg><!-- c -->",
            "<math><mi>x</mi></math><!-- c -->",
            "<svg><style><![CDATA[.a>b{}]]></style></svg><!-- c -->",
            "<script>never closed",
            "<!-- never closed",
            "<p class=\"never closed><!-- c -->",
        ] {
            assert!(matches!(strip(html), Cow::Borrowed(_)), "{html}");
        }
        // A self-closing SVG has no content; an unquoted value may end in `/`.
        assert_eq!(strip("<svg/><p>a</p><!-- c -->"), "<svg/><p>a</p>");
        assert_eq!(
            strip("<svg a=b/><path/></svg><!-- c -->"),
            "<svg a=b/></svg>"
        );
        // An SVG with text of its own keeps it.
        let html = "<svg><text>Share</text></svg><!-- c -->";
        assert_eq!(strip(html), "<svg><text>Share</text></svg>");
    }

    #[test]
    fn odd_comments_end_where_the_tokenizer_ends_them() {
        assert_eq!(strip("a<!-->b"), "ab");
        assert_eq!(strip("a<!--->b"), "ab");
        assert_eq!(strip("a<!-- x --!>b"), "ab");
        assert_eq!(strip("a<!-- x -- y -->b"), "ab");
    }
}
