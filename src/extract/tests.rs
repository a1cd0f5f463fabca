//! Extraction tests: the seed story pages against their stored copies, snapshots of a few
//! real pages from the shared corpus, and inputs that must not break the extractor.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::io::Read;
use std::path::{Path, PathBuf};

use super::*;

fn seed(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The stored copy `article-vN.txt` as paragraphs.
fn seed_paragraphs(name: &str) -> Vec<String> {
    Copy::parse(&seed(name)).paragraphs
}

const HEADLINE_V1: &str = "Putin says Russia and China are 'jointly developing high-tech weapons'; \
                           calls NATO expansion unacceptable";

#[test]
fn seed_v1_gives_the_stored_copy() {
    let copy = extract(&seed("page-v1.html"), &Options::default()).unwrap();
    assert_eq!(copy.headline, HEADLINE_V1);
    assert_eq!(copy.paragraphs, seed_paragraphs("article-v1.txt"));
}

#[test]
fn seed_boilerplate_changes_give_the_same_copy() {
    let v1 = extract(&seed("page-v1.html"), &Options::default()).unwrap();
    let boiler = extract(&seed("page-v1-boilerplate.html"), &Options::default()).unwrap();
    assert_eq!(boiler, v1);
}

#[test]
fn seed_v2_gives_the_edited_copy() {
    let copy = extract(&seed("page-v2.html"), &Options::default()).unwrap();
    assert_eq!(
        copy.headline,
        "Putin says Russia and China are 'jointly developing advanced weapons'; \
         calls NATO expansion unacceptable"
    );
    assert_eq!(copy.paragraphs, seed_paragraphs("article-v2.txt"));
}

#[test]
fn drop_selectors_apply_before_extraction() {
    let opts = Options {
        drop: Selectors::parse(["h2", ".nothing-matches"]).unwrap(),
        url: Some("https://example.org/world-news/putin".into()),
        ..Options::default()
    };
    let copy = extract(&seed("page-v1.html"), &opts).unwrap();
    let expected: Vec<String> = seed_paragraphs("article-v1.txt")
        .into_iter()
        .filter(|p| !p.starts_with("‘China") && !p.starts_with("NATO Expansion"))
        .collect();
    assert_eq!(copy.paragraphs, expected);
}

#[test]
fn bad_selector_is_named() {
    let err = Selectors::parse([".ok", "div[[oops"]).unwrap_err();
    assert!(matches!(&err, ExtractError::BadSelector(s) if s == "div[[oops"));
    assert!(err.to_string().contains("div[[oops"), "{err}");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let deep = "<div>".repeat(100_000) + "<p>deep text</p>" + &"</div>".repeat(100_000);
    let inline = "<b><i>".repeat(50_000) + "text";
    let garbage: String = (0..20_000u32)
        .map(|i| char::from_u32((i * 7919) % 0x2FFF).unwrap_or('x'))
        .collect();
    for html in [
        "",
        " ",
        "<",
        "<html>",
        "<p></p>",
        "\u{0}\u{1}\u{FFFD}",
        &deep,
        &inline,
        &garbage,
        "<table><tr><td><table><tr><td><p>x",
        "<svg><p>in svg</p></svg><math><p>m</p></math>",
    ] {
        match extract(html, &Options::default()) {
            Ok(copy) => assert!(!copy.paragraphs.is_empty()),
            Err(e) => assert!(matches!(e, ExtractError::NoArticle)),
        }
    }
}

/// A story whose paragraphs are `body`, between a headline and a footer.
fn story_page(body: &str) -> String {
    format!(
        "<html><body><h1>Le conseil municipal adopte le budget</h1><div class=texte>{body}\
         </div><footer>Mentions légales</footer></body></html>"
    )
}

#[test]
fn a_sentence_beside_an_image_between_story_paragraphs_is_the_story() {
    let html = story_page(
        "<p>Le conseil municipal a adopté mardi soir le budget de la ville pour l'année prochaine.</p>\
         <p>Les élus de l'opposition ont voté contre le texte et dénoncé une hausse des impôts locaux:</p>\
         <div class=pub></div><p>À LIRE AUSSI | <a href=/a>Le budget de la région</a></p>\
         <p><a href=/photo.jpg><img src=/photo.jpg></a>Une explication possible de cet écart tient aux \
         nouvelles règles de calcul.</p>\
         <p>Le maire a répondu que les investissements prévus étaient indispensables à la ville.</p>\
         <p><img src=/b.jpg>Photo : Ana Lima / Agence</p>\
         <p>La séance s'est terminée tard dans la nuit après quatre heures de débat animé.</p>",
    );
    let copy = extract(&html, &Options::default()).unwrap();
    assert!(
        copy.paragraphs
            .iter()
            .any(|p| p.starts_with("Une explication possible")),
        "{:#?}",
        copy.paragraphs
    );
    // A credit beside an image there is no sentence: it still goes.
    assert!(
        !copy.paragraphs.iter().any(|p| p.contains("Ana Lima")),
        "{:#?}",
        copy.paragraphs
    );
    // An ad slot and a box of links planted before it change nothing.
    assert_eq!(copy.paragraphs.len(), 5, "{:#?}", copy.paragraphs);
}

#[test]
fn a_wire_storys_rights_line_is_kept_and_the_sites_is_not() {
    let html = "<html><body><h1>Le conseil municipal adopte le budget</h1><div class=texte>\
         <p>Le conseil municipal a adopté mardi soir le budget de la ville pour l'année prochaine.</p>\
         <p>Les élus de l'opposition ont voté contre le texte et dénoncé une hausse des impôts.</p>\
         <p>Le maire a répondu que les investissements prévus étaient indispensables à la ville.</p>\
         <p>La séance s'est terminée tard dans la nuit après quatre heures de débat animé.</p>\
         <p><em>© 2024 Agence Presse. Tous droits réservés. Reproduction interdite.</em></p>\
         </div><div class=pied><p>© 2024 La Gazette du Sud</p></div></body></html>";
    let page = extract_page(html, &Options::default()).unwrap();
    let paragraphs = &page.copy.paragraphs;
    assert_eq!(
        paragraphs.last().map(String::as_str),
        Some("© 2024 Agence Presse. Tous droits réservés. Reproduction interdite."),
        "{paragraphs:#?}"
    );
    assert!(
        !paragraphs.iter().any(|p| p.contains("Gazette")),
        "{paragraphs:#?}"
    );
    // Set apart by emphasis after the story's last paragraph, but the text the wire
    // licenses: compared as the story is, so that an edit of it alerts.
    assert_eq!(
        crate::text::Place::encode(&page.provenance.places),
        "bbbbb",
        "{paragraphs:#?}"
    );
}

#[test]
fn empty_page_is_no_article() {
    let err = extract("", &Options::default()).unwrap_err();
    assert!(matches!(err, ExtractError::NoArticle));
    assert!(err.to_string().contains("no article text"));
}

/// The shared folder sits beside the repository (`<clone>/../shared`); a worktree that
/// lives elsewhere falls back to `/work/shared`.
pub(crate) fn shared_dir() -> Option<PathBuf> {
    [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from("/work/shared"),
    ]
    .into_iter()
    .find(|p| p.join("corpus/aeb-dev").is_dir())
}

/// A few corpus pages of different shapes: a paywalled teaser (WSJ), a wire story with
/// subheadings (AP via ctpost), a Korean page, a German company blog post, a
/// Portuguese blog post.
const SNAPSHOT_PAGES: &[&str] = &[
    "042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856",
    "05844573ca7e1fba714d715bb11ca08c26e25328999c74a1cb3bc8a0e4399f0f",
    "0ec95c7261d122f304728e90c983450ef1ce1e0b423546835c397d50aaf0d0f2",
    "57b4dafd18cfd0531b69f81e87158648227c673ef159f8d8c87d34e34bdb21f2",
    "3252222e61fe78982cffe0b0bad2b089c27b32f65852d1c5d3951517f3c2e295",
];

#[test]
fn corpus_snapshots() {
    let Some(shared) = shared_dir() else {
        // CI must check these snapshots; elsewhere a clone without the corpus beside it
        // says so loudly.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the extraction corpus is missing: expected shared/corpus/aeb-dev \
             beside the repository (<clone>/../shared) or at /work/shared"
        );
        eprintln!(
            "WARNING: shared/corpus not found beside the repository; corpus snapshots NOT checked"
        );
        return;
    };
    for key in SNAPSHOT_PAGES {
        let path = shared.join(format!("corpus/aeb-dev/html/{key}.html.gz"));
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .unwrap();
        let (html, _) = crate::charset::decode(&bytes, None);
        let copy = extract(&html, &Options::default()).unwrap();
        insta::assert_snapshot!(key[..16].to_string(), copy.to_string());
    }
}
