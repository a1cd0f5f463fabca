//! Feed documents → entries, and the identity of an article.
//!
//! feed-rs parses RSS 0.9x/1.0/2.0, Atom and JSON Feed; this module turns its model into
//! the few fields redline needs, as plain text, and decides what identifies an article:
//! the entry's id/guid, else its canonical link ([`canonical_url`]). An article keeps its
//! identity when it moves: [`canonical`] reads the address a page declares for itself,
//! which joins AMP and mobile copies to the main page.

mod canonical;

use std::time::Duration;

use url::Url;

pub use canonical::{article_like, declared_canonical, same_site};

/// Query parameters that only track where a click came from; they never make a
/// different article.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ocid",
    "cmpid",
    "ito",
    "at_medium",
    "at_campaign",
    "ns_mchannel",
    "ns_source",
    "ns_campaign",
    "ns_linkname",
    "ns_fee",
    "smid",
    "taid",
];

/// Canonicalises a link: resolved against `base`, scheme and host lower-cased, default
/// port and fragment dropped, tracking parameters (`utm_*`, `fbclid`, …) removed. `None`
/// for anything that is not an http(s) URL.
pub fn canonical_url(link: &str, base: Option<&Url>) -> Option<String> {
    let link = link.trim();
    let mut url = match base {
        Some(b) => b.join(link).ok()?,
        None => Url::parse(link).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else if url.query_pairs().count() != kept.len() {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

/// One entry of a feed, reduced to what redline uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's own id/guid, when it has one.
    pub id: Option<String>,
    /// The canonical link.
    pub link: Option<String>,
    pub title: String,
    /// Summary and content as plain text.
    pub summary: String,
    pub content: String,
}

impl Entry {
    /// The article identity: the id/guid, else the canonical link.
    pub fn key(&self) -> Option<&str> {
        self.id.as_deref().or(self.link.as_deref())
    }

    /// Title, summary and content, for topic matching.
    pub fn match_text(&self) -> String {
        format!("{}\n{}\n{}", self.title, self.summary, self.content)
    }
}

/// A parsed feed document.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    /// The feed's own `<ttl>`, a hint that it changes no more often.
    pub ttl: Option<Duration>,
}

/// A document that is not a feed redline can read.
#[derive(Debug, thiserror::Error)]
#[error("not a readable feed (RSS, Atom or JSON Feed): {0}")]
pub struct FeedError(String);

/// Parses a feed document (already decoded to UTF-8) fetched from `base`.
pub fn parse(text: &str, base: &Url) -> Result<Parsed, FeedError> {
    let xml = strip_xml_encoding(text);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        // An entry without an id must stay without one, so that its link identifies it
        // (feed-rs would otherwise invent one from the link and title).
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser
        .parse(xml.as_bytes())
        .map_err(|e| FeedError(e.to_string()))?;
    let entries = feed
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .and_then(|l| canonical_url(&l.href, Some(base)));
            Entry {
                id: Some(e.id.trim().to_string()).filter(|s| !s.is_empty()),
                link,
                title: e.title.map(|t| plain(&t.content)).unwrap_or_default(),
                summary: e.summary.map(|t| plain(&t.content)).unwrap_or_default(),
                content: e
                    .content
                    .and_then(|c| c.body)
                    .map(|b| plain(&b))
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(Parsed {
        entries,
        ttl: feed.ttl.map(|m| Duration::from_secs(u64::from(m) * 60)),
    })
}

/// Text from a fragment that may hold HTML.
fn plain(s: &str) -> String {
    if s.contains('<') || s.contains('&') {
        let doc = dom_query::Document::fragment(s);
        crate::text::normalize(&doc.root().text())
    } else {
        crate::text::normalize(s)
    }
}

/// The text is UTF-8 by now: drop the XML declaration's `encoding` so the parser does
/// not decode it a second time.
fn strip_xml_encoding(text: &str) -> std::borrow::Cow<'_, str> {
    let t = text.trim_start_matches('\u{feff}');
    if let Some(rest) = t.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        let decl = &rest[..end];
        if decl.contains("encoding") {
            let version = if decl.contains("1.1") { "1.1" } else { "1.0" };
            return format!("<?xml version=\"{version}\"?>{}", &rest[end + 2..]).into();
        }
    }
    t.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_drops_tracking_and_fragment() {
        assert_eq!(
            canonical_url(
                "HTTPS://News.Example.ORG:443/a/b?utm_source=rss&utm_medium=feed&id=7&fbclid=x#top",
                None
            )
            .as_deref(),
            Some("https://news.example.org/a/b?id=7")
        );
        assert_eq!(
            canonical_url("http://x.example/a?utm_source=rss&gclid=1", None).as_deref(),
            Some("http://x.example/a")
        );
        assert_eq!(
            canonical_url("http://x.example/a?b=1&c=2", None).as_deref(),
            Some("http://x.example/a?b=1&c=2")
        );
    }

    #[test]
    fn canonical_resolves_relative_and_refuses_other_schemes() {
        let base = Url::parse("https://x.example/feeds/world.xml").expect("url");
        assert_eq!(
            canonical_url("/news/1", Some(&base)).as_deref(),
            Some("https://x.example/news/1")
        );
        assert_eq!(canonical_url("mailto:a@x.example", None), None);
        assert_eq!(canonical_url("not a url", None), None);
    }

    #[test]
    fn parses_rss_atom_and_json_feed() {
        let base = Url::parse("http://x.example/feed").expect("url");
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><ttl>30</ttl>
            <item><title>A &amp; B</title><link>http://x.example/a?utm_source=rss</link><description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description></item>
            <item><title>C</title><guid isPermaLink="false">g-2</guid><link>http://x.example/c</link></item>
            </channel></rss>"#;
        let p = parse(rss, &base).expect("rss");
        assert_eq!(p.ttl, Some(Duration::from_secs(1800)));
        assert_eq!(p.entries.len(), 2);
        assert_eq!(p.entries[0].title, "A & B");
        assert_eq!(p.entries[0].summary, "Hello world");
        assert_eq!(p.entries[0].id, None);
        assert_eq!(p.entries[0].key(), Some("http://x.example/a"));
        assert_eq!(p.entries[1].key(), Some("g-2"));

        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>f</id><updated>2024-01-01T00:00:00Z</updated>
            <entry><id>tag:x,1</id><title>Atom one</title><link href="/one"/><updated>2024-01-01T00:00:00Z</updated><summary>S</summary></entry></feed>"#;
        let p = parse(atom, &base).expect("atom");
        assert_eq!(p.entries[0].link.as_deref(), Some("http://x.example/one"));
        assert_eq!(p.entries[0].key(), Some("tag:x,1"));

        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"j1","url":"http://x.example/j","title":"Json","content_text":"Body"}]}"#;
        let p = parse(json, &base).expect("json");
        assert_eq!(p.entries[0].content, "Body");
        assert_eq!(p.entries[0].key(), Some("j1"));
    }

    #[test]
    fn garbage_is_an_error() {
        let base = Url::parse("http://x.example/feed").expect("url");
        assert!(parse("this is not a feed", &base).is_err());
        assert!(parse("<html><body>nope</body></html>", &base).is_err());
    }

    #[test]
    fn utf8_text_with_foreign_declaration_parses() {
        let base = Url::parse("http://x.example/feed").expect("url");
        let rss = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\"><channel><title>t</title><item><title>Путин и Китай</title><link>http://x.example/r</link></item></channel></rss>";
        let p = parse(rss, &base).expect("rss");
        assert_eq!(p.entries[0].title, "Путин и Китай");
    }
}
