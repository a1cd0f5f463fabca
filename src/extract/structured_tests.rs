//! Tests of [`super`]: JSON-LD in its shapes, hostile blocks, and the choice of source.

use super::*;

const BODY: &str = "Russian President Vladimir Putin said on Thursday that Moscow and Beijing are jointly developing high-tech weapons.\n\nHe called NATO expansion unacceptable and said the ties were a stabilising factor.";

fn page(ld: &str, body_html: &str) -> String {
    format!(
        "<html><head><title>T</title><script type=\"application/ld+json\">{ld}</script></head>\
         <body>{body_html}</body></html>"
    )
}

fn read_page(html: &str) -> Structured {
    read(&Document::from(html))
}

fn article_json(ty: &str) -> String {
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": serde_json::from_str::<Value>(ty).unwrap_or(Value::Null),
        "headline": "Putin says Russia and China are jointly developing weapons",
        "articleBody": BODY,
        "datePublished": "2026-11-29T08:00:00+03:00",
        "dateModified": "2026-11-29T10:41:00Z",
        "author": [{"@type": "Person", "name": "A. Writer"}, "B. Writer"],
    })
    .to_string()
}

#[test]
fn reads_a_news_article_block() {
    let s = read_page(&page(&article_json("\"NewsArticle\""), "<p>Loading…</p>"));
    assert_eq!(
        s.headline.as_deref(),
        Some("Putin says Russia and China are jointly developing weapons")
    );
    assert_eq!(s.body.as_deref(), Some(BODY));
    assert_eq!(s.published.as_deref(), Some("2026-11-29T05:00:00Z"));
    assert_eq!(s.modified.as_deref(), Some("2026-11-29T10:41:00Z"));
    assert_eq!(s.author.as_deref(), Some("A. Writer, B. Writer"));
}

#[test]
fn reads_type_arrays_iris_arrays_and_graphs() {
    for ty in [
        "[\"ReportageNewsArticle\", \"Thing\"]",
        "\"https://schema.org/Article\"",
    ] {
        let s = read_page(&page(&article_json(ty), ""));
        assert_eq!(s.body.as_deref(), Some(BODY), "{ty}");
    }
    let array = format!(
        "[{{\"@type\": \"BreadcrumbList\"}}, {}]",
        article_json("\"NewsArticle\"")
    );
    assert_eq!(read_page(&page(&array, "")).body.as_deref(), Some(BODY));
    let graph = format!(
        "{{\"@context\": \"https://schema.org\", \"@graph\": [{{\"@type\": \"WebPage\"}}, {}]}}",
        article_json("\"NewsArticle\"")
    );
    assert_eq!(read_page(&page(&graph, "")).body.as_deref(), Some(BODY));
    // Not an article: nothing read from it.
    let other = "{\"@type\": \"Organization\", \"articleBody\": \"x\"}";
    assert_eq!(read_page(&page(other, "")).body, None);
}

#[test]
fn raw_line_breaks_in_strings_are_tolerated() {
    let ld = "{\"@type\": \"NewsArticle\", \"articleBody\": \"First line.\nSecond line.\"}";
    assert_eq!(
        read_page(&page(ld, "")).body.as_deref(),
        Some("First line.\nSecond line.")
    );
}

#[test]
fn the_body_of_a_block_that_is_not_json_is_still_read() {
    // Hand-written JSON-LD: a comment and a brace too many, the body with an escaped quote.
    let ld = "{\"@type\": \"NewsArticle\", \"publisher\": {\"name\": \"X\"} } },\n\
              // empty for branded pages\n\
              \"articleBody\": \"He said \\\"no\\\".\nSecond line.\", \"x\": 1}";
    assert_eq!(
        read_page(&page(ld, "")).body.as_deref(),
        Some("He said \"no\".\nSecond line.")
    );
    // The same block naming no article type, or with no string after the key: nothing.
    let other = ld.replace("NewsArticle", "Organization");
    assert_eq!(read_page(&page(&other, "")).body, None);
    let number = "{\"@type\": \"NewsArticle\", // x\n \"articleBody\": 12}";
    assert_eq!(read_page(&page(number, "")).body, None);
}

#[test]
fn broken_empty_and_hostile_blocks_are_skipped() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = format!(
        "{{\"@type\": \"NewsArticle\", \"articleBody\": \"{}\"}}",
        "word ".repeat(600_000)
    );
    let deep_article = format!(
        "{{\"@type\": \"NewsArticle\", \"articleBody\": \"text\", \"x\": {}{}}}",
        "{\"a\":".repeat(100),
        "1}".repeat(100)
    );
    for ld in [
        "{not json at all",
        "",
        "   ",
        "null",
        "[]",
        "{}",
        deep.as_str(),
        huge.as_str(),
        deep_article.as_str(),
    ] {
        let s = read_page(&page(ld, "<p>Text.</p>"));
        assert_eq!(s.body, None, "{}", &ld[..ld.len().min(40)]);
    }
}

#[test]
fn many_values_are_walked_in_bounded_time() {
    // A wide block: a long array of non-articles, then the article past the walk's limit.
    let wide = format!(
        "[{} {}]",
        "{\"@type\": \"Thing\"},".repeat(MAX_NODES + 10),
        article_json("\"NewsArticle\"")
    );
    assert_eq!(read_page(&page(&wide, "")).body, None);
}

#[test]
fn meta_tags_fill_what_json_ld_lacks() {
    let html = r#"<html><head>
        <meta property="og:title" content="The OG headline">
        <meta property="article:published_time" content="2026-11-29T08:00:00Z">
        <meta property="article:modified_time" content="2026-11-29T09:30:00+00:00">
        <meta name="author" content="C. Writer">
        </head><body><p>Updated 10:41</p><div class="correction">We fixed a name.</div></body></html>"#;
    let s = read_page(html);
    assert_eq!(s.headline.as_deref(), Some("The OG headline"));
    assert_eq!(s.published.as_deref(), Some("2026-11-29T08:00:00Z"));
    assert_eq!(s.modified.as_deref(), Some("2026-11-29T09:30:00Z"));
    assert_eq!(s.author.as_deref(), Some("C. Writer"));
    assert_eq!(s.updated_line.as_deref(), Some("10:41"));
    assert_eq!(s.note.as_deref(), Some("We fixed a name."));
}

fn structured_body(body: &str) -> Structured {
    Structured {
        headline: Some("Full structured headline of the story".into()),
        body: Some(body.into()),
        ..Default::default()
    }
}

#[test]
fn the_body_is_taken_for_an_empty_placeholder_or_short_page() {
    let pick = |paras: &[&str]| {
        choose(
            String::new(),
            paras.iter().map(|p| p.to_string()).collect(),
            structured_body(BODY),
            Some(body_paragraphs(BODY)),
        )
    };
    for paras in [&[][..], &["Loading…"][..], &["A teaser."][..]] {
        let (copy, prov) = pick(paras).expect("a copy");
        assert_eq!(prov.source, Source::JsonLd, "{paras:?}");
        assert_eq!(copy.paragraphs.len(), 2);
        assert!(copy.paragraphs[0].starts_with("Russian President"));
        assert_eq!(copy.headline, "Full structured headline of the story");
    }
    // A full HTML text is kept.
    let long = "Russian President Vladimir Putin said on Thursday that Moscow and Beijing are jointly developing weapons, at length.";
    let (copy, prov) = pick(&[long]).expect("a copy");
    assert_eq!(prov.source, Source::Html);
    assert_eq!(copy.paragraphs, vec![long]);
}

#[test]
fn a_short_or_missing_body_changes_nothing() {
    let (copy, prov) = choose(
        "H".into(),
        vec!["Text.".into()],
        structured_body("Short."),
        Some(body_paragraphs("Short.")),
    )
    .expect("a copy");
    assert_eq!(
        (copy.paragraphs, prov.source),
        (vec!["Text.".to_string()], Source::Html)
    );
    assert_eq!(
        choose("H".into(), Vec::new(), Structured::default(), None),
        None
    );
}

#[test]
fn markup_and_entities_in_the_body_are_resolved() {
    let body = "<p>First &amp; foremost, the leaders met in Moscow on Thursday.</p><p>Then they spoke&nbsp;at length<br>about weapons and trade.</p>";
    assert_eq!(
        body_paragraphs(body),
        vec![
            "First & foremost, the leaders met in Moscow on Thursday.",
            "Then they spoke at length",
            "about weapons and trade."
        ]
    );
}

#[test]
fn headline_is_completed_not_replaced() {
    let full = "Putin says Russia and China are jointly developing weapons";
    assert_eq!(complete_headline(String::new(), Some(full)), full);
    assert_eq!(
        complete_headline("Putin says Russia and China are…".into(), Some(full)),
        full
    );
    assert_eq!(
        complete_headline("Another headline".into(), Some(full)),
        "Another headline"
    );
}
