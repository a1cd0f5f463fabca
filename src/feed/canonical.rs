//! The address a page says it really lives at, and whether to believe it.
//!
//! An AMP or mobile copy of a story declares the main page with
//! `<link rel="canonical">` (or only `og:url`). When that address is on the same site (the
//! same host, or its `www.` / `m.` / `amp.` / `mobile.` counterpart) and names an article
//! rather than the home page or a section, the copy and the main page are one article.
//! A canonical link to another site (a syndicated copy) is not followed: that copy stays
//! its own article.

use url::Url;

use super::canonical_url;

/// Host labels that make a mobile or AMP counterpart of the same site.
const COUNTERPART_LABELS: &[&str] = &["www", "m", "mobile", "amp"];

/// The canonical address a page declares (`<link rel="canonical">`, else `og:url`),
/// canonicalised, when it is one to join the page to: on the same site as `page` (or its
/// mobile/AMP counterpart) and article-like. `None` when the page declares none, or one
/// that is refused.
pub fn declared_canonical(html: &str, page: &Url) -> Option<String> {
    let declared = declared(html, page)?;
    let target = Url::parse(&declared).ok()?;
    (same_site(page, &target) && article_like(&target)).then_some(declared)
}

/// The canonical address as declared, resolved against `page`, not yet judged.
fn declared(html: &str, page: &Url) -> Option<String> {
    // The declaration lives in the head: parsing only that part spares a second parse of
    // the whole page beside the extractor's. Its scripts, styles and comments, most of a
    // head's bytes and none of its links, are dropped before the parse.
    let head = crate::extract::strip_inert(&html[..head_end(html)]);
    let doc = dom_query::Document::from(&*head);
    let canonical = doc.select("link[rel][href]").nodes().iter().find_map(|n| {
        let rel = n.attr("rel")?;
        rel.split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("canonical"))
            .then(|| n.attr("href"))
            .flatten()
    });
    let href = canonical.or_else(|| {
        doc.select("meta[property][content]")
            .nodes()
            .iter()
            .find(|n| {
                n.attr("property")
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("og:url"))
            })
            .and_then(|n| n.attr("content"))
    })?;
    canonical_url(&href, Some(page))
}

/// Where the head of a page ends: the first `</head` or `<body` tag (in any case), else
/// the end of the page.
fn head_end(html: &str) -> usize {
    let bytes = html.as_bytes();
    html.match_indices('<')
        .map(|(i, _)| i)
        .find(|&i| {
            let tag = &bytes[i + 1..bytes.len().min(i + 6)];
            tag.eq_ignore_ascii_case(b"/head")
                || tag[..tag.len().min(4)].eq_ignore_ascii_case(b"body")
        })
        .unwrap_or(html.len())
}

/// The site a host belongs to: the host without a leading `www.`, `m.`, `mobile.` or
/// `amp.`, with the explicit port.
fn site(url: &Url) -> Option<(String, Option<u16>)> {
    let mut host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    while let Some((first, rest)) = host.split_once('.') {
        // Keep at least a registrable-looking name (`m.example` stays `m.example`).
        if COUNTERPART_LABELS.contains(&first) && rest.contains('.') {
            host = rest.to_string();
        } else {
            break;
        }
    }
    Some((host, url.port()))
}

/// Whether two addresses are on one site, counting mobile/AMP host counterparts.
pub fn same_site(a: &Url, b: &Url) -> bool {
    matches!((site(a), site(b)), (Some(x), Some(y)) if x == y)
}

/// Whether an address names an article rather than the home page or a section: a slug
/// of several words or a long numeric id somewhere in the path (or an id parameter).
/// A single path segment must be a longer slug, since `/world` and `/world-news` are
/// sections.
pub fn article_like(url: &Url) -> bool {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| {
            s.filter(|s| !s.is_empty() && !is_amp_segment(s) && !is_index(s))
                .collect()
        })
        .unwrap_or_default();
    let id_param = url.query_pairs().any(|(k, v)| {
        matches!(
            k.to_ascii_lowercase().as_str(),
            "p" | "id" | "story" | "article" | "articleid" | "storyid" | "aid"
        ) && longest_digit_run(&v) >= 3
    });
    if id_param {
        return true;
    }
    let Some(last) = segments.last() else {
        return false;
    };
    let words = slug_words(last);
    let digits = segments
        .iter()
        .map(|s| longest_digit_run(s))
        .max()
        .unwrap_or(0);
    if segments.len() == 1 {
        words >= 4 || digits >= 5
    } else {
        words >= 3 || digits >= 5
    }
}

fn is_amp_segment(s: &str) -> bool {
    s.eq_ignore_ascii_case("amp")
}

fn is_index(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.starts_with("index.")
}

/// The words of a slug: `putin-says-china.html` has three.
fn slug_words(segment: &str) -> usize {
    let stem = segment
        .rsplit_once('.')
        .filter(|(_, ext)| ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphabetic()))
        .map_or(segment, |(stem, _)| stem);
    stem.split(['-', '_', '+', ' ', '.'])
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

fn longest_digit_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    fn page(head: &str) -> String {
        format!("<!DOCTYPE html><html><head>{head}</head><body><p>Text</p></body></html>")
    }

    #[test]
    fn reads_link_canonical_then_og_url() {
        let amp = url("https://amp.example.org/world/putin-china-weapons/amp?utm_source=x");
        let html = page(
            r#"<meta property="og:url" content="https://www.example.org/other-story-slug-here">
               <link rel="Canonical" href="/world/putin-china-weapons?utm_medium=amp">"#,
        );
        assert_eq!(
            declared_canonical(&html, &amp).as_deref(),
            Some("https://amp.example.org/world/putin-china-weapons")
        );
        let html = page(
            r#"<meta property="og:url" content="https://www.example.org/world/putin-china-weapons">"#,
        );
        assert_eq!(
            declared_canonical(&html, &amp).as_deref(),
            Some("https://www.example.org/world/putin-china-weapons")
        );
        assert_eq!(declared_canonical(&page(""), &amp), None);
    }

    #[test]
    fn only_the_head_is_read() {
        let here = url("https://www.example.org/world/putin-china-weapons-amp");
        let canonical =
            r#"<link rel="canonical" href="https://www.example.org/world/putin-china-weapons">"#;
        let html = format!("<HTML><HEAD>{canonical}</HEAD><BODY><p>Text</p></BODY></HTML>");
        assert_eq!(head_end(&html), html.find("</HEAD>").expect("head"));
        assert!(declared_canonical(&html, &here).is_some());
        // No head element at all: the whole page is read.
        let bare = format!("{canonical}<p>Text</p>");
        assert_eq!(head_end(&bare), bare.len());
        assert!(declared_canonical(&bare, &here).is_some());
        // A link in the body is not the page's declaration.
        let late = format!("<html><head></head><body>{canonical}</body></html>");
        assert!(declared_canonical(&late, &here).is_none());
    }

    #[test]
    fn a_link_in_a_script_or_comment_of_the_head_is_none() {
        let here = url("https://www.example.org/world/putin-china-weapons-amp");
        let other =
            r#"<link rel="canonical" href="https://www.example.org/world/other-story-slug">"#;
        let real =
            r#"<link rel="canonical" href="https://www.example.org/world/putin-china-weapons">"#;
        let html = page(&format!(
            "<script>document.write('{other}');</script><!-- {other} --><style>a{{}}</style>{real}"
        ));
        assert_eq!(
            declared_canonical(&html, &here).as_deref(),
            Some("https://www.example.org/world/putin-china-weapons")
        );
        let none = page(&format!(
            "<script>var l = '{other}';</script><!-- {other} -->"
        ));
        assert_eq!(declared_canonical(&none, &here), None);
    }

    #[test]
    fn refuses_other_sites_home_pages_and_sections() {
        let here = url("https://m.example.org/world/putin-china-weapons");
        let verdict = |href: &str| {
            declared_canonical(
                &page(&format!(r#"<link rel="canonical" href="{href}">"#)),
                &here,
            )
        };
        assert!(verdict("https://www.example.org/world/putin-china-weapons").is_some());
        assert!(verdict("https://example.org/world/putin-china-weapons").is_some());
        assert!(verdict("https://news.example.org/world/putin-china-weapons").is_none());
        assert!(verdict("https://other.example/world/putin-china-weapons").is_none());
        assert!(verdict("https://www.example.org/").is_none());
        assert!(verdict("https://www.example.org/world").is_none());
        assert!(verdict("https://www.example.org/world-news").is_none());
        assert!(verdict("https://www.example.org/world/europe").is_none());
        assert!(verdict("https://www.example.org/2024/12/05/").is_none());
        assert!(verdict("mailto:desk@example.org").is_none());
    }

    #[test]
    fn article_like_addresses() {
        for yes in [
            "https://x.example/world/putin-says-china-weapons",
            "https://x.example/world/putin-says-china-weapons.html",
            "https://x.example/news/world-europe-67451234",
            "https://x.example/article/1234567/amp",
            "https://x.example/putin-says-russia-and-china",
            "https://x.example/index.php?p=4821",
        ] {
            assert!(article_like(&url(yes)), "{yes}");
        }
        for no in [
            "https://x.example/",
            "https://x.example/world",
            "https://x.example/world/",
            "https://x.example/world/europe",
            "https://x.example/elections-2024",
            "https://x.example/index.html",
            "https://x.example/?page=2",
        ] {
            assert!(!article_like(&url(no)), "{no}");
        }
    }

    #[test]
    fn counterpart_hosts_are_one_site() {
        let a = url("https://www.example.org/a");
        assert!(same_site(&a, &url("https://m.example.org/b")));
        assert!(same_site(&a, &url("https://amp.example.org/b")));
        assert!(same_site(&a, &url("http://example.org/b")));
        assert!(!same_site(&a, &url("https://example.com/b")));
        assert!(!same_site(&a, &url("https://www.example.org:8443/b")));
        assert!(!same_site(
            &url("http://127.0.0.1:8080/a"),
            &url("http://127.0.0.1:8081/a")
        ));
    }
}
