//! A cap on how deeply a page's elements nest, applied to the markup before parsing.
//!
//! html5ever checks "is there a `<p>` in scope" and the like by walking the stack of open
//! elements, so a page of 100,000 nested `<div>`s costs quadratic time to parse (minutes),
//! and the recursive passes after it (Readability's, serialisation) can overflow the
//! stack. Browsers cap the depth for the same reason (Chromium at 512): deeper elements are
//! treated as if they were siblings. We do the same on the markup: tags that would open
//! deeper than [`MAX_DEPTH`] are dropped with their end tags, their text kept.
//!
//! The scan is a light tokenizer, not a parser: it skips comments, declarations and the raw
//! text of `<script>`/`<style>`, ignores void elements and elements whose end tag is
//! optional (an unclosed `<p>` or `<li>` does not nest), and counts the rest. It can only
//! over-count, which is safe: a real page never comes near the cap.

use std::borrow::Cow;

/// Deepest nesting kept, as in Chromium's HTML parser.
const MAX_DEPTH: usize = 512;

/// Returns `html` unchanged when it nests no deeper than [`MAX_DEPTH`], else a copy with
/// the deeper tags removed.
pub(super) fn cap_depth(html: &str) -> Cow<'_, str> {
    let mut max = 0;
    scan(html, |_, depth, _| max = max.max(depth));
    if max <= MAX_DEPTH {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    scan(html, |range, depth, _| {
        if depth > MAX_DEPTH {
            out.push_str(&html[copied..range.0]);
            copied = range.1;
        }
    });
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// Calls `on_tag((start, end), depth, is_end_tag)` for every counted tag, with the depth
/// the element has (for a start tag) or had (for an end tag).
fn scan(html: &str, mut on_tag: impl FnMut((usize, usize), usize, bool)) {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + off;
        let rest = &bytes[start..];
        if rest.starts_with(b"<!--") {
            i = skip_past(bytes, start + 4, b"-->");
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            i = skip_past(bytes, start + 2, b">");
            continue;
        }
        let is_end = rest.get(1) == Some(&b'/');
        let name_start = start + 1 + usize::from(is_end);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            // A bare `<` in text.
            i = start + 1;
            continue;
        }
        // Lower case without an allocation: no name that matters is longer than this.
        let mut buf = [0u8; 10];
        let name: &str = if name_len <= buf.len() {
            buf[..name_len].copy_from_slice(&bytes[name_start..name_start + name_len]);
            buf[..name_len].make_ascii_lowercase();
            std::str::from_utf8(&buf[..name_len]).unwrap_or("")
        } else {
            ""
        };
        let end = skip_past(bytes, name_start + name_len, b">");
        i = end;
        if is_void_or_optional(name) {
            continue;
        }
        if is_end {
            on_tag((start, end), depth, true);
            depth = depth.saturating_sub(1);
            continue;
        }
        depth += 1;
        on_tag((start, end), depth, false);
        if matches!(name, "script" | "style" | "textarea" | "xmp" | "title") {
            // Raw text: its `<` are not tags. Jump to the end tag, which the next round
            // counts as usual.
            let lower_find = find_end_tag(&bytes[i..], name.as_bytes());
            i = lower_find.map_or(bytes.len(), |o| i + o);
        }
    }
}

/// Elements that never nest: void elements, and elements whose end tag may be left out
/// (the next sibling closes them).
fn is_void_or_optional(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "tbody"
            | "thead"
            | "tfoot"
            | "option"
            | "optgroup"
            | "colgroup"
            | "caption"
            | "rb"
            | "rt"
            | "rtc"
            | "rp"
            | "html"
            | "head"
            | "body"
    )
}

/// The index just past the first `needle` at or after `from`, or the end of `bytes`.
fn skip_past(bytes: &[u8], from: usize, needle: &[u8]) -> usize {
    let from = from.min(bytes.len());
    memchr::memmem::find(&bytes[from..], needle).map_or(bytes.len(), |p| from + p + needle.len())
}

/// Where the first `</name` (in any case) starts in `haystack`.
fn find_end_tag(haystack: &[u8], name: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(o) = memchr::memmem::find(&haystack[from..], b"</") {
        let at = from + o;
        if haystack
            .get(at + 2..at + 2 + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_pages_are_untouched() {
        let html = "<div><p>a<p>b<ul><li>x<li>y</ul><script>if (a<b) {}</script></div>";
        assert!(matches!(cap_depth(html), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_tags_are_dropped_and_text_kept() {
        let html = "<div>".repeat(1000) + "text" + &"</div>".repeat(1000);
        let capped = cap_depth(&html);
        assert_eq!(capped.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(capped.matches("</div>").count(), MAX_DEPTH);
        assert!(capped.contains("text"));
    }

    #[test]
    fn odd_markup_does_not_panic() {
        for html in [
            "<", "</", "<!--", "<!", "<a", "<script>", "</>", "<é>", "a < b",
        ] {
            let _ = cap_depth(html);
        }
    }
}
