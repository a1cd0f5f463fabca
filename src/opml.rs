//! OPML in and out: the feed lists other readers export become `[[feed]]` tables, and the
//! configured feeds leave as OPML 2.0.
//!
//! Import edits the config file as text with `toml_edit`, so its comments and layout stay
//! as the user wrote them; the new tables go after the last `[[feed]]`. An OPML file is
//! input from elsewhere: a DOCTYPE (the way entity tricks come in) is refused outright, as
//! is anything that is not well-formed OPML, before the config is touched.

use quick_xml::XmlVersion;
use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

/// One feed an OPML file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// Its `title` or `text`, else the URL's host.
    pub title: String,
    /// Its `xmlUrl`.
    pub xml_url: String,
}

/// Why an OPML file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("the file is not UTF-8 text; save it as UTF-8 and import it again")]
    NotUtf8,
    #[error("not well-formed XML at byte {at}: {reason}")]
    NotXml { at: u64, reason: String },
    #[error(
        "the file has a DOCTYPE; OPML needs none, and entity declarations are refused (remove the <!DOCTYPE …> line)"
    )]
    Doctype,
    #[error("the root element is <{0}>, not <opml>")]
    NotOpml(String),
    #[error("no <outline> has an xmlUrl: there are no feeds to import")]
    NoFeeds,
    #[error("outline {title:?}: xmlUrl {url:?} is not an http(s) URL")]
    BadUrl { title: String, url: String },
    #[error("the config file is not TOML that can be edited: {0}")]
    Config(String),
}

/// Reads the feeds an OPML document lists, in document order, each URL once.
pub fn parse(bytes: &[u8]) -> Result<Vec<Outline>, OpmlError> {
    let text = std::str::from_utf8(bytes).map_err(|_| OpmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut out: Vec<Outline> = Vec::new();
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| OpmlError::NotXml {
            at,
            reason: e.to_string(),
        })?;
        match event {
            Event::DocType(_) => return Err(OpmlError::Doctype),
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_string();
                if depth == 0 && !name.eq_ignore_ascii_case("opml") {
                    return Err(OpmlError::NotOpml(name));
                }
                if name.eq_ignore_ascii_case("outline")
                    && let Some(outline) = outline(e, at)?
                    && !out.iter().any(|o| o.xml_url == outline.xml_url)
                {
                    out.push(outline);
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::GeneralRef(r) => {
                // Text is not read, but an undefined entity still makes the file invalid.
                let name = r.to_string();
                if !name.starts_with('#')
                    && quick_xml::escape::resolve_predefined_entity(&name).is_none()
                {
                    return Err(OpmlError::NotXml {
                        at,
                        reason: format!("undefined entity &{name};"),
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(OpmlError::NotXml {
            at: reader.buffer_position(),
            reason: "the document ends inside an element".into(),
        });
    }
    if out.is_empty() {
        return Err(OpmlError::NoFeeds);
    }
    Ok(out)
}

/// The feed an `<outline>` names, if it has an `xmlUrl`.
fn outline(e: &BytesStart<'_>, at: u64) -> Result<Option<Outline>, OpmlError> {
    let mut url = None;
    let mut title = None;
    let mut text = None;
    for attr in e.attributes() {
        let attr = attr.map_err(|err| OpmlError::NotXml {
            at,
            reason: err.to_string(),
        })?;
        let key = attr.key.local_name().as_ref().to_ascii_lowercase();
        let slot = match key.as_str() {
            "xmlurl" => &mut url,
            "title" => &mut title,
            "text" => &mut text,
            _ => continue,
        };
        let v = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| OpmlError::NotXml {
                at,
                reason: err.to_string(),
            })?;
        *slot = Some(v.trim().to_string());
    }
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let title = [title, text].into_iter().flatten().find(|t| !t.is_empty());
    let parsed = url::Url::parse(&url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    let Some(parsed) = parsed else {
        return Err(OpmlError::BadUrl {
            title: title.unwrap_or_default(),
            url,
        });
    };
    let title = title.unwrap_or_else(|| parsed.host_str().unwrap_or_default().to_string());
    Ok(Some(Outline {
        title,
        xml_url: url,
    }))
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    /// Added as new `[[feed]]` tables, with the name each got.
    pub added: Vec<Outline>,
    /// Left out: the config already has a feed at that URL.
    pub skipped: Vec<Outline>,
}

/// Adds `outlines` to the config text as `[[feed]]` tables after the last one, leaving
/// everything else as written. Returns the new text and what was added and skipped.
pub fn import_into(config: &str, outlines: &[Outline]) -> Result<(String, Imported), OpmlError> {
    let mut doc: DocumentMut = config
        .parse()
        .map_err(|e: toml_edit::TomlError| OpmlError::Config(e.to_string()))?;
    if !doc.contains_key("feed") {
        doc.insert("feed", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let feeds = doc["feed"]
        .as_array_of_tables_mut()
        .ok_or_else(|| OpmlError::Config("`feed` is not a list of [[feed]] tables".into()))?;
    let field = |t: &Table, key: &str| t.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let mut urls: Vec<String> = feeds.iter().filter_map(|t| field(t, "url")).collect();
    let mut names: Vec<String> = feeds.iter().filter_map(|t| field(t, "name")).collect();
    let mut done = Imported::default();
    for o in outlines {
        if urls.iter().any(|u| same_url(u, &o.xml_url)) {
            done.skipped.push(o.clone());
            continue;
        }
        let mut name = o.title.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{} ({n})", o.title);
            n += 1;
        }
        let mut table = Table::new();
        table.decor_mut().set_prefix("\n");
        table.insert("name", value(name.as_str()));
        table.insert("url", value(o.xml_url.as_str()));
        feeds.push(table);
        urls.push(o.xml_url.clone());
        names.push(name.clone());
        done.added.push(Outline {
            title: name,
            xml_url: o.xml_url.clone(),
        });
    }
    Ok((doc.to_string(), done))
}

/// Two feed URLs name the same feed: equal but for a trailing slash and the case of the
/// scheme and host.
fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| match url::Url::parse(s.trim()) {
        Ok(u) => u.as_str().trim_end_matches('/').to_string(),
        Err(_) => s.trim().trim_end_matches('/').to_string(),
    };
    norm(a) == norm(b)
}

/// OPML 2.0 listing `feeds` as (name, url) pairs.
pub fn write<'a>(feeds: impl IntoIterator<Item = (&'a str, &'a str)>, created: &str) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str("  <head>\n    <title>redline feeds</title>\n");
    out.push_str(&format!(
        "    <dateCreated>{}</dateCreated>\n  </head>\n  <body>\n",
        escape(created)
    ));
    for (name, url) in feeds {
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"/>\n",
            escape(name),
            escape(url)
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0"?>
<opml version="1.0"><head><title>Mine</title></head><body>
  <outline text="News">
    <outline text="BBC &amp; World" type="rss" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline title="Kyiv Independent" xmlUrl="https://kyivindependent.com/feed/"/>
  </outline>
  <outline xmlUrl="https://example.org/rss"/>
  <outline text="a folder only"/>
</body></opml>"#;

    #[test]
    fn reads_nested_outlines_with_titles_and_hosts() {
        let got = parse(OPML.as_bytes()).expect("parse");
        let titles: Vec<_> = got.iter().map(|o| o.title.as_str()).collect();
        assert_eq!(titles, ["BBC & World", "Kyiv Independent", "example.org"]);
        assert_eq!(got[1].xml_url, "https://kyivindependent.com/feed/");
    }

    #[test]
    fn refuses_what_is_not_opml() {
        assert!(matches!(
            parse(b"{\"feeds\": []}"),
            Err(OpmlError::NotXml { .. }) | Err(OpmlError::NoFeeds)
        ));
        assert!(
            matches!(parse(b"<rss><channel/></rss>"), Err(OpmlError::NotOpml(n)) if n == "rss")
        );
        assert!(matches!(
            parse(b"<opml><body><outline text=\"x\"/></body></opml>"),
            Err(OpmlError::NoFeeds)
        ));
        assert!(matches!(
            parse(b"<opml><body><outline xmlUrl=\"file:///etc/passwd\"/></body></opml>"),
            Err(OpmlError::BadUrl { .. })
        ));
        assert!(matches!(
            parse(b"<opml><body><outline xmlUrl=\"https://a.example/\">"),
            Err(OpmlError::NotXml { .. })
        ));
        let laughs =
            br#"<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>
<opml><body><outline text="&b;" xmlUrl="https://a.example/"/></body></opml>"#;
        assert!(matches!(parse(laughs), Err(OpmlError::Doctype)));
        assert!(matches!(
            parse(
                b"<opml><body><outline text=\"&x;\" xmlUrl=\"https://a.example/\"/></body></opml>"
            ),
            Err(OpmlError::NotXml { .. })
        ));
    }

    #[test]
    fn import_keeps_comments_and_skips_known_feeds() {
        let config = "# my config\n[schedule]\nfeed_interval = \"10m\" # often\n\n# the BBC\n[[feed]]\nname = \"BBC\"\nurl = \"https://feeds.bbci.co.uk/news/world/rss.xml/\"\n\n[[topic]]\nname = \"t\"\nquery = 'x'\n";
        let outlines = parse(OPML.as_bytes()).expect("parse");
        let (text, done) = import_into(config, &outlines).expect("import");
        assert_eq!(done.skipped.len(), 1, "{done:?}");
        assert_eq!(done.added.len(), 2);
        assert!(
            text.starts_with(
                "# my config\n[schedule]\nfeed_interval = \"10m\" # often\n\n# the BBC\n[[feed]]"
            ),
            "{text}"
        );
        let kyiv = text.find("Kyiv Independent").expect("added");
        assert!(kyiv < text.find("[[topic]]").expect("topic"), "{text}");
        let again = parse(
            write(
                [
                    ("BBC", "https://x.example/a"),
                    ("BBC", "https://x.example/b"),
                ],
                "now",
            )
            .as_bytes(),
        )
        .expect("own output");
        let (text, done) = import_into(&text, &again).expect("import");
        assert_eq!(done.added[1].title, "BBC (3)", "{text}");
    }

    #[test]
    fn export_escapes_and_reads_back() {
        let xml = write(
            [("A \"quoted\" <feed> & co", "https://a.example/?x=1&y=2")],
            "Mon, 30 Nov 2026 12:00:00 +0000",
        );
        let back = parse(xml.as_bytes()).expect("parse own output");
        assert_eq!(
            back,
            [Outline {
                title: "A \"quoted\" <feed> & co".into(),
                xml_url: "https://a.example/?x=1&y=2".into()
            }]
        );
    }
}
