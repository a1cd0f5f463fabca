//! Unit tests of the alignment and its rendering.

use super::render::pair_text;
use super::*;

fn copy() -> Copy {
    Copy::new(
        "Putin says Russia and China are 'jointly developing high-tech weapons'",
        [
            "Russian President Vladimir Putin on Thursday said Moscow and Beijing are “jointly developing high-tech weapons”. He spoke at an annual press conference.",
            "He said NATO's expansion to the east is unacceptable.",
        ],
    )
}

fn article() -> Copy {
    Copy::new(
        "Moscow and Beijing building advanced weapons together, Putin says",
        [
            "Putin said NATO's expansion to the east is unacceptable.",
            "Russian President Vladimir Putin said on Thursday that Moscow and Beijing are “jointly developing advanced weapons”. The <b>ruble</b> fell.",
        ],
    )
}

#[test]
fn splits_sentences_and_quotes() {
    let c = copy();
    assert_eq!(sentences(&c).len(), 3);
    assert_eq!(
        quotations(&c.paragraphs),
        ["jointly developing high-tech weapons"]
    );
    let q = quotations(&["He called it 'unacceptable', NATO's line.".to_string()]);
    assert_eq!(q, ["unacceptable"]);
    let zh = Copy::new("", ["普京表示，俄中“联合研发高科技武器”。两国举行演习。"]);
    assert_eq!(sentences(&zh).len(), 2);
    assert_eq!(quotations(&zh.paragraphs), ["联合研发高科技武器"]);
}

#[test]
fn aligns_quotes_and_sentences_and_sums_up_the_rest() {
    let c = compare(&copy(), &article());
    assert_eq!(c.quotes.len(), 1);
    let q = pair_text(&c.quotes[0]);
    assert_eq!(q, "jointly developing [-high-tech-]{+advanced+} weapons");
    assert_eq!(c.sentences.len(), 2, "{:?}", c.sentences);
    // In the article's order: the NATO sentence first.
    assert!(c.sentences[0].article.contains("NATO"));
    assert_eq!(c.left_out, ["He spoke at an annual press conference."]);
    assert_eq!(c.added, ["The <b>ruble</b> fell."]);
}

#[test]
fn a_quotation_put_in_other_words_is_found_unquoted() {
    let article = Copy::new(
        "Putin hails partnership",
        [
            "The two countries were jointly developing advanced weapons such as aircraft, Putin said.",
        ],
    );
    let c = compare(&copy(), &article);
    assert_eq!(c.quotes.len(), 1, "{:?}", c.quotes);
    assert!(!c.quotes[0].quoted);
    assert_eq!(
        pair_text(&c.quotes[0]),
        "jointly developing [-high-tech-]{+advanced+} weapons"
    );
    assert!(text(&c, "c.txt", 0.4).contains("(not quoted here)"));
}

#[test]
fn renders_text_and_escaped_html() {
    let c = compare(&copy(), &article());
    let t = text(&c, "copies/en.txt", 0.5);
    assert!(t.contains("[-high-tech-]{+advanced+}"), "{t}");
    assert!(t.contains("Quotes they share (1)"), "{t}");
    assert!(t.contains("leaves out (1 sentence)"), "{t}");
    let h = html(&c, "copies/en.txt", 0.5);
    assert!(h.contains("&lt;b&gt;ruble&lt;/b&gt;"), "{h}");
    assert!(!h.contains("<b>ruble"), "{h}");
    assert!(h.contains("advanced"), "{h}");
}
