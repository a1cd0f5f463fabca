//! An HTML page → the stored copy of its article: headline and paragraphs.
//!
//! redline compares versions of an article word by word, so what this module keeps decides
//! what counts as an edit: anything of the page that changes on its own (tickers, share
//! counts, "also read" links, update times, comment counts) must never reach the copy,
//! and every sentence of the story must. The stages:
//!
//! 1. parse the page (`dom_query`, html5ever underneath; first [`inert`] drops from the
//!    markup the scripts, styles, comments and SVG drawings no stage reads, and [`depth`]
//!    caps how deep it may nest) and apply the feed's `drop` selectors ([`Selectors`],
//!    compiled once when the config loads);
//! 2. [`headline`]: pick the headline (the page's `<h1>`, checked against its titles);
//! 3. [`clean`]: remove what is never article text: scripts, navigation, headers and
//!    footers, asides, forms, comments, share bars, and elements whose class or id says
//!    caption, credit, byline, author, dateline, bio, meta … (a `<p>` between two
//!    paragraphs of prose is kept whatever its class); [`roles`]: figures, images (and
//!    pictures and figures whose image a script loads) with the text beside them (and an
//!    emphasised caption right after one), schema.org metadata (`itemprop` author, dates …), `rel=author`,
//!    and `<time>` with the short block that holds it, the `<article>`s of other stories
//!    (beside the one holding the `<h1>`, or on a page with none, the one whose heading
//!    held the chosen headline before cleaning or, failing that, the only one whose markup
//!    names the page's own address, [`roles::mark_story`]); the `<p>` just before a
//!    removed box with a link is marked, so that an emphasised invitation to it is placed
//!    beside the story ([`run::places`]);
//!    then [`boxes`]: paragraphs that are mostly links ("Also read: …", a bare link to
//!    another story) and the title just before them, so that one appearing mid-story
//!    cannot shift what Readability picks;
//! 4. find the main content with `dom_smoothie` (a port of Mozilla's Readability), then
//!    [`gaps`]: put back the prose paragraphs its final clean-up removed from between two
//!    paragraphs it kept (a short paragraph with a link, wrapped in a `<div>` of its own),
//!    and those of a section of the story it left out (a story set in sections of the
//!    same markup between ad rows);
//! 5. [`blocks`]: walk that content into blocks (paragraphs, subheadings, list items) and
//!    drop the ones that are boilerplate after all: link lists with the title just before
//!    them, "ALSO READ" boxes by their words ([`boiler`]), and the blocks the site's
//!    [`template`] learned from its other articles;
//! 6. normalise each block with [`crate::text::normalize`] into a [`Copy`](struct@crate::text::Copy),
//!    and record where each sat ([`run::places`]: the story's run, or a block beside it,
//!    or a line after a rule or separator that ends it, or a line at its end set apart by
//!    emphasis or by its own inline type style; a story set in no `<p>` is measured on
//!    the element that holds its text, [`gaps::holder`]; an emphasised line never
//!    delimits the run; on a page with no run, its last lines in their own type style
//!    and a short post's closing pointer line are placed beside it, [`blocks`]),
//!    kept in the [`Provenance`] so that the decision can tell a change beside the story
//!    from an edit of it.
//!
//! Beside these, [`structured`] reads what the page says about itself before it is
//! cleaned (JSON-LD, `<meta>` tags, a visible "Updated" line, correction notes): the
//! copy comes from the JSON-LD `articleBody` when the HTML holds only a placeholder (read
//! even from a block that is no JSON, a comment or a brace too many in it), a line the
//! rules dropped or placed beside the story that the `articleBody` holds is the story's
//! after all ([`witness`]: the page's own word, believed when it holds the story's run),
//! and [`extract_page`] returns that [`Provenance`] with the copy.
//!
//! [`EXTRACTOR`] names this exact behaviour and is stored with every version: when a change
//! here alters the output for the same page, bump it, so that a difference caused by a new
//! extractor is never mistaken for an edit by the outlet.

mod blocks;
mod boiler;
mod boxes;
mod clean;
mod declared;
mod depth;
mod gaps;
mod headline;
mod inert;
#[cfg(test)]
mod role_tests;
mod roles;
mod run;
mod structured;
mod template;
#[cfg(test)]
mod tests;
mod witness;

use std::sync::Arc;

use dom_query::{Document, Matcher};

pub use declared::{canonical as canonical_time, is_correction};

use crate::cpu::{self, Stage};
use crate::text::{Copy, Provenance, Source};

pub use template::{Template, key as shape_key, shape};

pub(crate) use inert::strip as strip_inert;

/// The name and version of the extractor, recorded with every stored version.
pub const EXTRACTOR: &str = "redline-extract/11";

/// A page's stored copy, what the page said about it, and what the site's template learns
/// from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub copy: Copy,
    pub provenance: Provenance,
    /// The [`shape`] of every block the rules kept (including those the template then
    /// dropped), for learning the site's template.
    pub shapes: Vec<String>,
}

/// Per-feed extraction settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// CSS selectors whose elements are removed before anything else (the feed's `drop`).
    pub drop: Selectors,
    /// The page's address, when known; used to resolve relative links only.
    pub url: Option<String>,
    /// The furniture learned from the site's other articles ([`template`]).
    pub template: Template,
}

/// Why a page gave no stored copy.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Nothing on the page looks like article text.
    #[error(
        "no article text found on the page (it may be an index page, a paywall, or built by \
         JavaScript)"
    )]
    NoArticle,
    /// One of the feed's `drop` selectors is not valid CSS (from [`Selectors::parse`]).
    #[error(
        "drop selector {0:?} is not a valid CSS selector; fix or remove it in the feed's `drop`"
    )]
    BadSelector(String),
}

/// Compiled CSS selectors (a feed's `drop`): parsed once, when the config loads, and
/// shared by every page of the feed (cloning is cheap).
#[derive(Debug, Clone, Default)]
pub struct Selectors(Arc<[Matcher]>);

impl Selectors {
    /// Compiles CSS selectors, in order.
    ///
    /// # Errors
    ///
    /// [`ExtractError::BadSelector`] naming the first selector that is not valid CSS.
    pub fn parse<'a>(selectors: impl IntoIterator<Item = &'a str>) -> Result<Self, ExtractError> {
        selectors
            .into_iter()
            .map(|sel| Matcher::new(sel).map_err(|_| ExtractError::BadSelector(sel.to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(|m| Selectors(m.into()))
    }

    /// How many selectors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Extracts the article of an HTML page as a stored copy.
///
/// # Errors
///
/// [`ExtractError::NoArticle`] when no article text is found.
pub fn extract(html: &str, opts: &Options) -> Result<Copy, ExtractError> {
    extract_page(html, opts).map(|page| page.copy)
}

/// Extracts the article of an HTML page with its [`Provenance`]: which source the copy
/// came from, the times the page declared, its correction notes; and the block shapes the
/// site's template learns from.
///
/// # Errors
///
/// As [`extract`].
pub fn extract_page(html: &str, opts: &Options) -> Result<Extracted, ExtractError> {
    let html = cpu::measure(Stage::Prepass, || inert::strip(html));
    let doc = Document::from(&*depth::cap_depth(&html));
    for matcher in opts.drop.0.iter() {
        doc.select_matcher(matcher).remove();
    }
    let structured = structured::read(&doc);
    let declared = structured.body.as_deref().map(structured::body_paragraphs);
    let witness = declared.as_deref().and_then(witness::Witness::new);
    let headline = headline::find(&doc);
    roles::mark_story(&doc, &headline, opts.url.as_deref());
    clean::remove_boilerplate(&doc);
    roles::remove_furniture(&doc);
    boxes::remove_link_boxes(&doc);

    let blocks::Finished {
        paragraphs,
        places,
        shapes,
    } = main_content(doc, opts.url.as_deref())
        .map(|(blocks, containers)| {
            blocks::finish(
                blocks,
                &containers,
                &headline,
                &opts.template,
                witness.as_ref(),
            )
        })
        .unwrap_or_default();
    let (copy, mut provenance) = structured::choose(headline, paragraphs, structured, declared)
        .ok_or(ExtractError::NoArticle)?;
    // The places belong to the HTML paragraphs, one each; a copy from JSON-LD has none.
    if provenance.source == Source::Html && places.len() == copy.paragraphs.len() {
        provenance.places = places;
    }
    Ok(Extracted {
        copy,
        provenance,
        shapes,
    })
}

/// Runs Readability over the cleaned page and walks the content it chose into blocks;
/// also returns the container of every `<p>` of the page ([`run::container`]), by the
/// number the blocks carry.
fn main_content(
    doc: Document,
    url: Option<&str>,
) -> Option<(Vec<blocks::Block>, Vec<run::Container>)> {
    // Readability only uses the URL to resolve links, which a copy does not keep; one it
    // would refuse (not absolute) is left out rather than failing the page.
    let url = url.filter(|u| url::Url::parse(u).is_ok_and(|u| u.has_host()));
    let (mut prose, containers) = gaps::mark(&doc);
    let mut readability = dom_smoothie::Readability::with_document(doc, url, None).ok()?;
    readability.parse().ok()?;
    let root = readability.doc.select_single("#readability-page-1");
    let node = root.nodes().first()?;
    let content = gaps::fill(blocks::collect(node), &mut prose);
    Some((gaps::siblings(content, &mut prose, &containers), containers))
}
