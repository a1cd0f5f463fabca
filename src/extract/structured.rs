//! What a page says about itself in its structured data: JSON-LD and `<meta>` tags.
//!
//! Two things come from here. First, a second source for the article text: pages built by
//! JavaScript serve a placeholder ("Loading…") where the story goes, but carry the story
//! in a `NewsArticle` JSON-LD block (`articleBody`); [`choose`] takes that text when the
//! HTML one is missing, a placeholder, or much shorter, and otherwise keeps the HTML text
//! and only uses the structured headline to complete its own. Second, what the outlet
//! declares about the version: `datePublished` / `dateModified` (or the `article:` meta
//! tags), with the visible "Updated" line and correction notes of [`super::declared`],
//! gathered into a [`Provenance`].
//!
//! JSON-LD is text from the web inside a `<script>`: a block larger than
//! [`MAX_BLOCK_BYTES`], nested deeper than [`MAX_NESTING`], or not JSON at all is skipped
//! (the page falls back to its HTML, with no error), and the walk over a parsed block
//! visits each value once, at most [`MAX_NODES`] of them.

use dom_query::Document;
use serde_json::Value;

use super::declared;
use crate::text::{Copy, Provenance, Source, normalize};

/// JSON-LD blocks larger than this are skipped: no article needs more.
const MAX_BLOCK_BYTES: usize = 2 * 1024 * 1024;
/// At most this many JSON-LD blocks are read from a page.
const MAX_BLOCKS: usize = 32;
/// JSON nested deeper than this is skipped before parsing (serde_json recurses).
const MAX_NESTING: usize = 64;
/// At most this many JSON values are looked at for articles in one block.
const MAX_NODES: usize = 20_000;
/// An `articleBody` shorter than this (in characters) is not credible as a whole story.
const MIN_BODY_CHARS: usize = 80;
/// The HTML text is "much shorter" than the `articleBody` below this share of its length.
const SHORT_SHARE: f64 = 0.4;

/// The `@type`s of an article (the schema.org `Article` family).
const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "BackgroundNewsArticle",
    "OpinionNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
];

/// What the page's structured data says about its article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Structured {
    pub headline: Option<String>,
    /// `articleBody`, raw (it may hold line breaks, entities or even markup).
    pub body: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub author: Option<String>,
    /// The visible "Updated …" time and the marked-up correction notes.
    pub updated_line: Option<String>,
    pub note: Option<String>,
}

/// Reads the page's JSON-LD, meta tags, visible "Updated" line and correction notes.
/// Read before the page is cleaned, since cleaning removes scripts and bylines.
pub(super) fn read(doc: &Document) -> Structured {
    let mut s = Structured::default();
    let scripts = doc.select("script");
    let blocks = scripts.nodes().iter().filter(|script| {
        script.attr("type").is_some_and(|t| {
            t.trim()
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/ld+json"))
        })
    });
    for script in blocks.take(MAX_BLOCKS) {
        let text = script.text();
        match parse_block(&text) {
            Some(block) => {
                if let Some(article) = find_article(&block) {
                    merge(&mut s, article);
                    if s.body.is_some() {
                        break;
                    }
                }
            }
            None if s.body.is_none()
                && text.len() <= MAX_BLOCK_BYTES
                && nesting(&text) <= MAX_NESTING =>
            {
                s.body = salvage_body(&text);
            }
            None => {}
        }
    }
    let meta = |sel: &str| {
        doc.select_single(sel)
            .attr("content")
            .map(|c| normalize(&c))
            .filter(|c| !c.is_empty())
    };
    s.headline = s.headline.or_else(|| meta(r#"meta[property="og:title"]"#));
    s.published = s.published.or_else(|| {
        meta(r#"meta[property="article:published_time"]"#).and_then(|t| declared::canonical(&t))
    });
    s.modified = s.modified.or_else(|| {
        meta(r#"meta[property="article:modified_time"]"#)
            .or_else(|| meta(r#"meta[property="og:updated_time"]"#))
            .and_then(|t| declared::canonical(&t))
    });
    s.author = s.author.or_else(|| {
        meta(r#"meta[property="article:author"]"#).or_else(|| meta(r#"meta[name="author"]"#))
    });
    s.updated_line = declared::updated_line(doc);
    s.note = declared::marked_note(doc);
    s
}

/// Parses one JSON-LD block, or `None` when it is too large, too deep or not JSON.
fn parse_block(text: &str) -> Option<Value> {
    let text = text.trim();
    let text = text
        .strip_prefix("<![CDATA[")
        .and_then(|t| t.strip_suffix("]]>"))
        .unwrap_or(text)
        .trim();
    if text.is_empty() || text.len() > MAX_BLOCK_BYTES || nesting(text) > MAX_NESTING {
        return None;
    }
    serde_json::from_str(text).ok().or_else(|| {
        // Many sites write line breaks inside strings as they are, which JSON forbids.
        serde_json::from_str(&escape_controls(text)).ok()
    })
}

/// The `articleBody` of a block that is not JSON, when the block names an article type:
/// JSON-LD written into a page template by hand often carries a `// comment` or a brace
/// too many, and the text in it is the page's word all the same. The string after the
/// first `"articleBody":` is read as the JSON string it is meant to be.
fn salvage_body(text: &str) -> Option<String> {
    const KEY: &str = "\"articleBody\"";
    if !ARTICLE_TYPES
        .iter()
        .any(|t| text.contains(&format!("\"{t}\"")))
    {
        return None;
    }
    let after = &text[text.find(KEY)? + KEY.len()..];
    let literal = after.trim_start().strip_prefix(':')?.trim_start();
    if !literal.starts_with('"') {
        return None;
    }
    let mut escaped = false;
    let end = literal.bytes().enumerate().skip(1).find_map(|(i, b)| {
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return Some(i),
            _ => {}
        }
        None
    })?;
    let literal = &literal[..=end];
    serde_json::from_str::<String>(literal)
        .or_else(|_| serde_json::from_str(&escape_controls(literal)))
        .ok()
}

/// How deeply brackets nest in JSON text, strings skipped: one linear pass.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Escapes raw control characters inside JSON strings (`\n` as written → `\\n`).
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                (false, '\n') => {
                    out.push_str("\\n");
                    continue;
                }
                (false, '\r') => continue,
                (false, '\t') => {
                    out.push_str("\\t");
                    continue;
                }
                (false, c) if c.is_control() => {
                    out.push(' ');
                    continue;
                }
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

/// The article object of a block: at its top, in an array, in `@graph` or `mainEntity`;
/// the first one with an `articleBody`, else the first one.
fn find_article(root: &Value) -> Option<&serde_json::Map<String, Value>> {
    let mut first = None;
    let mut queue = std::collections::VecDeque::from([root]);
    let mut seen = 0;
    while let Some(value) = queue.pop_front() {
        seen += 1;
        if seen > MAX_NODES {
            break;
        }
        match value {
            Value::Array(items) => queue.extend(items),
            Value::Object(obj) => {
                if is_article(obj.get("@type")) {
                    if obj.get("articleBody").is_some_and(Value::is_string) {
                        return Some(obj);
                    }
                    first = first.or(Some(obj));
                }
                for key in ["@graph", "mainEntity"] {
                    if let Some(v) = obj.get(key) {
                        queue.push_back(v);
                    }
                }
            }
            _ => {}
        }
    }
    first
}

/// Whether an `@type` (a string or an array of them, maybe `schema:`-prefixed or a full
/// `https://schema.org/…` IRI) names an article.
fn is_article(ty: Option<&Value>) -> bool {
    let one = |v: &Value| {
        v.as_str().is_some_and(|t| {
            let name = t.rsplit(['/', ':', '#']).next().unwrap_or(t);
            ARTICLE_TYPES.contains(&name)
        })
    };
    match ty {
        Some(Value::Array(types)) => types.iter().any(one),
        Some(v) => one(v),
        None => false,
    }
}

/// Fills what `s` lacks from an article object.
fn merge(s: &mut Structured, obj: &serde_json::Map<String, Value>) {
    let text = |key: &str| {
        obj.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|t| !t.trim().is_empty())
    };
    s.headline = s.headline.take().or_else(|| {
        text("headline")
            .or_else(|| text("name"))
            .map(|h| normalize(&h))
    });
    s.body = s.body.take().or_else(|| text("articleBody"));
    s.published = s
        .published
        .take()
        .or_else(|| text("datePublished").and_then(|t| declared::canonical(&t)));
    s.modified = s
        .modified
        .take()
        .or_else(|| text("dateModified").and_then(|t| declared::canonical(&t)));
    s.author = s.author.take().or_else(|| author(obj.get("author")?));
}

/// The names of an `author`: a string, a `Person` with a `name`, or an array of those.
fn author(v: &Value) -> Option<String> {
    let names: Vec<String> = match v {
        Value::Array(items) => items.iter().take(20).filter_map(author).collect(),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .map(normalize)
            .into_iter()
            .collect(),
        Value::String(s) => vec![normalize(s)],
        _ => Vec::new(),
    };
    let names: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The `articleBody` as paragraphs: markup and entities (some sites put HTML in it)
/// resolved, split on its line breaks.
pub(super) fn body_paragraphs(body: &str) -> Vec<String> {
    let text = if body.contains('<') || body.contains('&') {
        let marked = BREAKS.replace_all(body, "\n");
        Document::fragment(marked.as_ref()).text().to_string()
    } else {
        body.to_string()
    };
    text.split(['\n', '\r', '\u{2028}', '\u{2029}'])
        .map(normalize)
        .filter(|p| !p.is_empty())
        .collect()
}

static BREAKS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    // A literal pattern: it compiles (the unit tests run it); a never-matching one stands in.
    regex::Regex::new(r"(?i)<br\s*/?>|</(?:p|div|h[1-6]|li|blockquote)\s*>")
        .unwrap_or_else(|_| regex::Regex::new("$^").unwrap_or_else(|_| unreachable!()))
});

/// Text an empty page shows while its script loads the story.
fn is_placeholder(paragraphs: &[String]) -> bool {
    const WORDS: &[&str] = &[
        "loading",
        "please wait",
        "enable javascript",
        "javascript is disabled",
        "javascript required",
        "chargement",
        "wird geladen",
        "cargando",
        "загрузка",
        "加载中",
        "載入中",
    ];
    let text = paragraphs.join(" ").to_lowercase();
    text.chars().count() < 200 && WORDS.iter().any(|w| text.contains(w))
}

/// The stored copy and where it came from: the HTML text (`headline`, `paragraphs`) when
/// it is the article, else the `articleBody` (`body`: [`body_paragraphs`] of `s.body`,
/// split once for the page); `None` when neither holds any text.
pub(super) fn choose(
    headline: String,
    paragraphs: Vec<String>,
    s: Structured,
    body: Option<Vec<String>>,
) -> Option<(Copy, Provenance)> {
    let html_chars: usize = paragraphs.iter().map(|p| p.chars().count()).sum();
    let body =
        body.filter(|b| b.iter().map(|p| p.chars().count()).sum::<usize>() >= MIN_BODY_CHARS);
    let body_chars = body
        .as_ref()
        .map_or(0, |b| b.iter().map(|p| p.chars().count()).sum::<usize>());
    let from_json = body.is_some()
        && (paragraphs.is_empty()
            || is_placeholder(&paragraphs)
            || (html_chars as f64) < SHORT_SHARE * body_chars as f64);
    let headline = complete_headline(headline, s.headline.as_deref());
    let (paragraphs, source) = match body {
        Some(body) if from_json => (body, Source::JsonLd),
        _ => (paragraphs, Source::Html),
    };
    let copy = Copy::new(&headline, paragraphs);
    if copy.paragraphs.is_empty() {
        return None;
    }
    let provenance = Provenance {
        source,
        published: s.published,
        modified: s.modified,
        updated_line: s.updated_line,
        note: s.note,
        author: s.author,
        places: Vec::new(),
    };
    Some((copy, provenance))
}

/// The HTML headline, completed from the structured one: taken when the page has none,
/// or when the page's is a cut-off start of it ("Putin says Russia and China are…").
fn complete_headline(html: String, structured: Option<&str>) -> String {
    let Some(full) = structured.map(normalize).filter(|h| !h.is_empty()) else {
        return html;
    };
    if html.is_empty() {
        return full;
    }
    let stem = html.trim_end_matches(['…', '.']).trim_end();
    if stem.len() < html.len() && stem.chars().count() >= 10 && full.starts_with(stem) {
        return full;
    }
    html
}

#[cfg(test)]
#[path = "structured_tests.rs"]
mod tests;
