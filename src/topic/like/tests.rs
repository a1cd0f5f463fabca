//! Unit tests of feature extraction and scoring.

use super::features::hash;
use super::*;

fn labels(text: &str, class: Class) -> Vec<String> {
    let f = Features::explained(text);
    let mut out: Vec<String> = f
        .items
        .iter()
        .zip(&f.labels)
        .filter(|(i, _)| i.class == class)
        .map(|(_, l)| l.clone())
        .collect();
    out.sort();
    out
}

#[test]
fn names_figures_and_quotes_are_told_apart() {
    let text = "Officials met on Friday. The talks in Geneva covered 140 billion dollars, \
                and Putin called them “very productive”.";
    assert_eq!(labels(text, Class::Name), ["geneva", "putin"]);
    assert_eq!(labels(text, Class::Figure), ["140"]);
    assert_eq!(
        labels(text, Class::Quote),
        ["productive"],
        "quoted words and the shingles inside the quote"
    );
    // "Officials" starts a sentence: not a name.
    assert!(labels(text, Class::Term).contains(&"officials".to_string()));
}

#[test]
fn apostrophes_are_not_quotes_but_single_quotes_are() {
    let text = "Officials said NATO's expansion is 'unacceptable'.";
    assert_eq!(labels(text, Class::Quote), ["unacceptable"]);
    assert!(labels(text, Class::Name).contains(&"nato".to_string()));
}

#[test]
fn title_case_headlines_do_not_make_names() {
    let text = "Putin Says Weapons Are Jointly Developed\n\nThe weapons were shown to Putin.";
    let names = labels(text, Class::Name);
    assert_eq!(names, ["putin"], "only what the body capitalises");
}

#[test]
fn unspaced_scripts_give_bigrams() {
    let f = Features::explained("普京表示俄中联合研发高科技武器");
    assert!(f.labels.contains(&"高科".to_string()), "{:?}", f.labels);
    assert!(f.labels.contains(&"武器".to_string()));
    // 表示 is two function characters: dropped.
    assert!(!f.labels.contains(&"表示".to_string()));
}

#[test]
fn same_story_scores_above_other_events() {
    let copy = LikeCopy::new(
        "copy.txt",
        "Putin says Russia and China jointly develop high-tech weapons\n\n\
         Russian President Vladimir Putin told his annual press conference that Moscow and \
         Beijing are “jointly developing high-tech weapons”.",
    );
    let mut bg = Background::default();
    let same = Features::new(
        "Moscow, Beijing building advanced weapons together, Putin tells press conference",
    );
    let other = Features::new("Putin and Xi to hold video call next week, Kremlin says");
    bg.observe("copy", copy.features());
    bg.observe("same", &same);
    bg.observe("other", &other);
    let copies = [copy];
    let s = score_entry(&same, &copies, &bg).expect("one copy");
    let o = score_entry(&other, &copies, &bg).expect("one copy");
    assert!(s.similarity > o.similarity + 0.2, "{s:?} vs {o:?}");
}

#[test]
fn background_counts_each_document_once_and_weighs_rare_features_more() {
    let mut bg = Background::default();
    let a = Features::new("Putin weapons");
    let b = Features::new("Putin trade");
    bg.observe("a", &a);
    bg.observe("a", &a);
    bg.observe("b", &b);
    assert_eq!(bg.docs(), 2);
    let putin = hash(b"putin");
    let weapons = hash(b"weapons");
    assert!(bg.idf(weapons) > bg.idf(putin));
    assert!((bg.idf(putin) - 1.0).abs() < 1e-9);
}

#[test]
fn a_copy_that_is_not_a_small_regular_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("folder")).expect("mkdir");
    let err = load_copy(dir.path(), "folder").expect_err("a directory");
    assert!(err.contains("not a regular file"), "{err}");
    let err = load_copy(Path::new("/"), "dev/zero").expect_err("a device");
    assert!(err.contains("not a regular file"), "{err}");
    let big = format!("Headline\n\n{}\n", "word ".repeat(1 << 20));
    std::fs::write(dir.path().join("big.txt"), big).expect("write");
    let err = load_copy(dir.path(), "big.txt").expect_err("too large");
    assert!(err.contains("larger than 4 MiB"), "{err}");
}
