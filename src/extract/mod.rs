//! Placeholder until the extractor lands: the `<h1>` and the `<p>`/`<h2>` inside `<article>`.

use crate::text::Copy;

pub const EXTRACTOR: &str = "redline-extract/0";

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub drop: Vec<String>,
    pub url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("no article text found on the page")]
    NoArticle,
}

pub fn extract(html: &str, opts: &Options) -> Result<Copy, ExtractError> {
    let doc = dom_query::Document::from(html);
    for sel in &opts.drop {
        doc.select(sel).remove();
    }
    doc.select(".also-read, .comments, aside, nav, footer, header, script, style")
        .remove();
    let headline = doc.select("h1").first().text().to_string();
    let paras: Vec<String> = doc
        .select("article p, article h2")
        .iter()
        .map(|n| n.text().to_string())
        .collect();
    let copy = Copy::new(&headline, paras);
    if copy.paragraphs.is_empty() {
        return Err(ExtractError::NoArticle);
    }
    Ok(copy)
}
