//! The stored-copy format and text normalisation.
//!
//! A stored copy is what redline keeps of one version of an article: the headline on the
//! first line, a blank line, then the paragraphs (and subheadings), each separated by a
//! blank line. UTF-8, NFC, no markup. Everything that compares text (the differ, the
//! classifier) works on copies that went through [`normalize`], so that invisible
//! characters and whitespace never show up as edits.

use std::fmt;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// One version of an article's text: its headline and its paragraphs.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Copy {
    /// The headline; empty when it is not known.
    pub headline: String,
    /// Paragraphs and subheadings in page order, each normalised, none empty.
    pub paragraphs: Vec<String>,
}

/// Where a stored copy's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// The page's HTML, as a reader sees it.
    #[default]
    #[serde(rename = "html")]
    Html,
    /// The `articleBody` of the page's JSON-LD (a page that builds its text with
    /// JavaScript shows only a placeholder in its HTML).
    #[serde(rename = "json-ld")]
    JsonLd,
}

impl Source {
    /// The name stored with each version and shown by `history`: `html` or `json-ld`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Html => "html",
            Source::JsonLd => "json-ld",
        }
    }

    /// Reads a stored name; anything unknown is `html`, what every version was before
    /// the source was recorded.
    pub fn from_name(name: &str) -> Source {
        if name == "json-ld" {
            Source::JsonLd
        } else {
            Source::Html
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a page said about itself when a version was taken: where the copy came from,
/// the times it declared, and the correction or editor's note it marked up as such.
/// Kept with each version, so that an edit can be told disclosed or not.
///
/// Times are kept as the page gave them, made canonical: `2026-11-29T10:41:00Z` when the
/// page gave a date, a time and a zone; `2026-11-29 10:41` without a zone; `2026-11-29`
/// for a date alone; `10:41` for a time alone (a visible "Updated 10:41").
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// Which part of the page the copy came from.
    pub source: Source,
    /// `datePublished` (JSON-LD) or `article:published_time`.
    pub published: Option<String>,
    /// `dateModified` (JSON-LD), `article:modified_time` or `og:updated_time`.
    pub modified: Option<String>,
    /// The time of a visible "Updated …" line ("Mis à jour le …", "Aktualisiert am …").
    pub updated_line: Option<String>,
    /// The text of the page's elements marked up as a correction or editor's note
    /// (a `correction` class, say), when there are any. (In JSON `correction_note`, apart
    /// from a version's own `note`.)
    #[serde(rename = "correction_note", alias = "note")]
    pub note: Option<String>,
    /// The author(s) the page names (JSON-LD `author`, `article:author`, `author` meta).
    pub author: Option<String>,
    /// Where each paragraph of the copy sat on the page, one [`Place`] per paragraph;
    /// empty when not known (a copy from JSON-LD, a version stored before places were
    /// kept), and then every paragraph counts as the story's.
    #[serde(skip)]
    pub places: Vec<Place>,
}

/// Where one paragraph of a copy sat on its page, as the extractor judged it from the
/// page's structure: in the story's run of paragraphs, or beside the run in a block of
/// the outlet's. A change confined to paragraphs beside the run, on both sides, is no
/// edit of the story (see `watch::decide`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// In the story's run: in the story's container or beside its paragraphs there, or
    /// anywhere between its first and last paragraph.
    Body,
    /// Before or after the story's run, in a container of its own (or in no paragraph at
    /// all): a standfirst box, a teaser, the outlet's line after the story.
    Edge,
    /// Before or after the story's run, in its container: a line that is no prose and
    /// holds a link ("Follow us on …", "Reach the reporter at …"); or, anywhere, a
    /// sentence wholly emphasised right before a box with a link that the extraction
    /// removed (an invitation to a call to action).
    Links,
    /// After a separator (`___`, `* * *`, an `<hr>`) that follows the story's last
    /// paragraph.
    Trailer,
    /// At the end of the story's run, in its container, a line set apart by emphasis
    /// (wholly in `<em>`, `<i>`, `<strong>`, `<b>` or `<small>` where the story's
    /// paragraphs are plain), or by its own inline type style (`<p style="font-size: 12px;
    /// color: …">`): a reporting credit, a "follow us" or newsletter line, a company's
    /// "about" paragraph.
    Styled,
}

impl Place {
    /// The letter that stands for the place in the stored list.
    fn letter(self) -> char {
        match self {
            Place::Body => 'b',
            Place::Edge => 'e',
            Place::Links => 'l',
            Place::Trailer => 't',
            Place::Styled => 's',
        }
    }

    /// What `history` says of a change confined to paragraphs in this place.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Body => "story paragraph",
            Place::Edge => "edge block",
            Place::Links => "link line",
            Place::Trailer => "after a separator",
            Place::Styled => "emphasised line after the story",
        }
    }

    /// The stored form of a copy's places: one letter per paragraph (`bbbe`).
    pub fn encode(places: &[Place]) -> String {
        places.iter().map(|p| p.letter()).collect()
    }

    /// Reads [`Place::encode`]'s form; anything it cannot read is "not known" (empty).
    pub fn decode(text: &str) -> Vec<Place> {
        text.chars()
            .map(|c| match c {
                'b' => Some(Place::Body),
                'e' => Some(Place::Edge),
                'l' => Some(Place::Links),
                't' => Some(Place::Trailer),
                's' => Some(Place::Styled),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }
}

impl Provenance {
    /// The update time the outlet declared, if it declared one: the visible line first
    /// (what a reader sees), then the metadata; a modification time equal to the
    /// publication time declares nothing.
    pub fn declared_update(&self) -> Option<&str> {
        self.updated_line.as_deref().or_else(|| {
            self.modified
                .as_deref()
                .filter(|m| Some(*m) != self.published.as_deref())
        })
    }

    /// "the outlet marked it updated at T", or "no update declared"; a full time is
    /// shown as `2026-11-29 10:41 UTC`, a partial one as the page gave it.
    pub fn update_phrase(&self) -> String {
        match self.declared_update() {
            Some(t) => {
                let shown = chrono::DateTime::parse_from_rfc3339(t).map_or_else(
                    |_| t.to_string(),
                    |d| d.to_utc().format("%Y-%m-%d %H:%M UTC").to_string(),
                );
                format!("the outlet marked it updated at {shown}")
            }
            None => "no update declared".to_string(),
        }
    }
}

/// A headline longer than this is more likely a lead paragraph: see [`Copy::parse`].
const MAX_HEADLINE_CHARS: usize = 250;

impl Copy {
    /// Builds a copy from raw pieces, normalising each and dropping empty paragraphs.
    pub fn new(headline: &str, paragraphs: impl IntoIterator<Item = impl AsRef<str>>) -> Copy {
        Copy {
            headline: normalize(headline),
            paragraphs: paragraphs
                .into_iter()
                .map(|p| normalize(p.as_ref()))
                .filter(|p| !p.is_empty())
                .collect(),
        }
    }

    /// Parses a stored copy. The first block is taken as the headline when it is a single
    /// line of at most 250 characters followed by more text; otherwise the copy is taken
    /// to have no headline (as in a plain-text copy saved from a page body).
    pub fn parse(text: &str) -> Copy {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let blocks: Vec<String> = text
            .split("\n\n")
            .map(|b| normalize(&b.replace('\n', " ")))
            .filter(|b| !b.is_empty())
            .collect();
        let first_is_headline = blocks.len() > 1
            && text.trim_start().split("\n\n").next().is_some_and(|first| {
                !first.trim().contains('\n') && first.trim().chars().count() <= MAX_HEADLINE_CHARS
            });
        if first_is_headline {
            Copy {
                headline: blocks[0].clone(),
                paragraphs: blocks[1..].to_vec(),
            }
        } else {
            Copy {
                headline: String::new(),
                paragraphs: blocks,
            }
        }
    }

    /// All the words of the copy, headline included, for counting and emptiness checks.
    pub fn char_len(&self) -> usize {
        self.headline.chars().count()
            + self
                .paragraphs
                .iter()
                .map(|p| p.chars().count())
                .sum::<usize>()
    }

    /// True when the copy holds no text at all.
    pub fn is_empty(&self) -> bool {
        self.headline.is_empty() && self.paragraphs.is_empty()
    }
}

impl fmt::Display for Copy {
    /// The stored-copy text: headline, blank line, paragraphs separated by blank lines,
    /// and a final newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        if !self.headline.is_empty() {
            writeln!(f, "{}", self.headline)?;
            first = false;
        }
        for p in &self.paragraphs {
            if !first {
                writeln!(f)?;
            }
            writeln!(f, "{p}")?;
            first = false;
        }
        Ok(())
    }
}

/// Characters that render as nothing and so must never count as an edit.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM/RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // BOM / zero-width no-break space
            | '\u{034F}' // combining grapheme joiner
            | '\u{180E}' // Mongolian vowel separator
    )
}

/// Normalises one paragraph: NFC, invisible characters removed, every run of whitespace
/// (NBSP and the other Unicode spaces included) folded into one space, trimmed.
pub fn normalize(s: &str) -> String {
    // Composing is costly and almost never changes anything: ASCII is always NFC, and the
    // quick check answers for nearly all other text without composing it.
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        fold(s.chars(), s.len())
    } else {
        fold(s.nfc(), s.len())
    }
}

/// Drops invisible characters and folds whitespace runs into one space, trimmed.
fn fold(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_round_trip_and_anything_unreadable_is_not_known() {
        let places = [Place::Edge, Place::Body, Place::Links, Place::Trailer];
        assert_eq!(Place::encode(&places), "eblt");
        assert_eq!(Place::decode("eblt"), places);
        assert_eq!(Place::decode("bxb"), Vec::<Place>::new());
        assert_eq!(Place::decode(""), Vec::<Place>::new());
    }

    #[test]
    fn normalize_folds_spaces_and_drops_invisibles() {
        assert_eq!(normalize("  a\u{00A0}\u{200B}b\t\n c\u{00AD}d  "), "a b cd");
        // NFD "é" becomes NFC.
        assert_eq!(normalize("e\u{0301}"), "\u{00E9}");
    }

    #[test]
    fn parse_and_render_round_trip_with_headline() {
        let text = "Headline here\n\nFirst para.\n\nSecond para.\n";
        let copy = Copy::parse(text);
        assert_eq!(copy.headline, "Headline here");
        assert_eq!(copy.paragraphs, vec!["First para.", "Second para."]);
        assert_eq!(copy.to_string(), text);
    }

    #[test]
    fn parse_without_headline_when_first_block_is_long() {
        let long = "word ".repeat(80);
        let copy = Copy::parse(&format!("{long}\n\nSecond.\n"));
        assert_eq!(copy.headline, "");
        assert_eq!(copy.paragraphs.len(), 2);
        assert_eq!(copy.to_string(), format!("{}\n\nSecond.\n", long.trim()));
    }

    #[test]
    fn parse_handles_crlf() {
        let copy = Copy::parse("H\r\n\r\nP one\r\n\r\nP two");
        assert_eq!(copy.headline, "H");
        assert_eq!(copy.paragraphs, vec!["P one", "P two"]);
    }
}
