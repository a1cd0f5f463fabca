//! What one check of an article means, decided once, without I/O.
//!
//! [`decide`] takes what the store knows (the latest version and the recent ones) and
//! the freshly extracted copy, and returns one [`Decision`]; the watcher records it and
//! the alert shows the diff in it. Nothing here reads the clock, the network or the
//! database, so every branch is unit-tested below.
//!
//! The order of the questions matters:
//!
//! 1. no stored version: the copy is the baseline;
//! 2. byte for byte the same: nothing to do; whitespace and invisible characters only:
//!    cosmetic;
//! 3. the same once the feed's `ignore` patterns are masked out of both copies: furniture
//!    only. From here on only the masked copies are compared, and the one diff of the
//!    check is computed from them, so ignored text never shows in an alert or its counts;
//! 4. a version stored by another extractor: re-baseline quietly (the page did not
//!    change, our reading of it did);
//! 5. the same story once the paragraphs the extractor placed beside the story's run
//!    (any [`Place`] but [`Place::Body`]) are left out of both copies: furniture only,
//!    with the places that changed as the reason. Nothing is placed beside the story for
//!    being first or last, only for its structure (a container of its own, a line of
//!    links, a separator before it, emphasis that sets it apart from the story's plain
//!    paragraphs: see `extract::run::places`), so an edit to any paragraph of the run, a
//!    paragraph added or removed in it, still alerts; and so does a correction or
//!    editor's note ([`is_correction`]) added, removed or changed beside the story;
//! 6. most of the text gone at once: suspect (a paywall, an error or consent page), not
//!    an edit, unless what is left is the old paragraphs with some cut from the middle
//!    or the start, which is what an editor does and no paywall does;
//! 7. the same text as a version seen shortly before the latest (A → B → A): flip-flop,
//!    stored but not alerted again;
//! 8. otherwise a change, with its diff and labels.

use regex::Regex;

use crate::diff::{self, Class, CopyDiff, Labels};
use crate::extract::is_correction;
use crate::store::VersionRow;
use crate::text::{Copy, Place};

/// An extraction that keeps less than this share of the previous text is suspect.
const SHRINK_RATIO: f64 = 0.4;
/// Texts shorter than this are too small to judge a shrink by.
const SHRINK_MIN_CHARS: usize = 400;

/// Everything one decision looks at.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// The latest stored version, if any.
    pub latest: Option<&'a VersionRow>,
    /// Versions stored within the flip-flop window (any order); may include `latest`.
    pub recent: &'a [VersionRow],
    /// The copy just extracted.
    pub new: &'a Copy,
    /// Where each paragraph of `new` sat on the page (empty: not known).
    pub new_places: &'a [Place],
    /// The feed's `ignore` patterns.
    pub ignore: &'a [Regex],
    /// The extractor that produced `new`.
    pub extractor: &'a str,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The first copy of the article.
    Baseline,
    /// Byte for byte the latest version.
    Same,
    /// Different only in whitespace or invisible characters.
    Cosmetic,
    /// Different only in text the story does not hold: what the feed's `ignore` patterns
    /// match, or paragraphs placed beside the story's run; `reason` says which, for
    /// `history` ("ignore patterns", "edge block").
    FurnitureOnly { reason: String },
    /// Most of the text vanished at once: to be confirmed, never alerted.
    Suspect { old_len: usize, new_len: usize },
    /// The same text as an earlier version (`version`) seen shortly before the latest.
    FlipFlop { version: i64, diff: CopyDiff },
    /// The latest version was extracted by `from`: store the new reading, no alert.
    Rebaseline { from: String, diff: CopyDiff },
    /// The wording changed.
    Changed { diff: CopyDiff, labels: Labels },
}

impl Decision {
    /// Whether the decision stores a new version.
    pub fn makes_version(&self) -> bool {
        matches!(
            self,
            Decision::Baseline
                | Decision::FlipFlop { .. }
                | Decision::Rebaseline { .. }
                | Decision::Changed { .. }
        )
    }

    /// The diff the decision was made on, when there is one.
    pub fn diff(&self) -> Option<&CopyDiff> {
        match self {
            Decision::FlipFlop { diff, .. }
            | Decision::Rebaseline { diff, .. }
            | Decision::Changed { diff, .. } => Some(diff),
            _ => None,
        }
    }
}

/// Decides what `check.new` is, measured against the stored versions.
pub fn decide(check: &Check<'_>) -> Decision {
    let Some(latest) = check.latest else {
        return Decision::Baseline;
    };
    let old = with_headline(latest.copy.clone(), check.new);
    match diff::classify(&old, check.new) {
        Class::Identical => return Decision::Same,
        Class::Cosmetic => return Decision::Cosmetic,
        Class::Wording => {}
    }
    let old = diff::strip_ignored(&old, check.ignore);
    let new = diff::strip_ignored(check.new, check.ignore);
    if diff::classify(&old, &new) != Class::Wording {
        return Decision::FurnitureOnly {
            reason: IGNORED.to_string(),
        };
    }
    let d = diff::diff(&old, &new);
    if latest.extractor != check.extractor {
        return Decision::Rebaseline {
            from: latest.extractor.clone(),
            diff: d,
        };
    }
    let unmasked = with_headline(latest.copy.clone(), check.new);
    if let Some(places) = beside_story(
        (&unmasked, &latest.provenance.places),
        (check.new, check.new_places),
        check.ignore,
    ) {
        let names: Vec<&str> = places.iter().map(|p| p.as_str()).collect();
        return Decision::FurnitureOnly {
            reason: names.join(", "),
        };
    }
    let (old_len, new_len) = (old.char_len(), new.char_len());
    if old_len >= SHRINK_MIN_CHARS
        && (new_len as f64) < SHRINK_RATIO * old_len as f64
        && !paragraphs_cut(&old.paragraphs, &new.paragraphs)
    {
        return Decision::Suspect { old_len, new_len };
    }
    let mut earlier: Vec<&VersionRow> = check
        .recent
        .iter()
        .filter(|v| v.number < latest.number)
        .collect();
    earlier.sort_by_key(|v| std::cmp::Reverse(v.number));
    if let Some(same) = earlier.into_iter().find(|v| {
        let v = diff::strip_ignored(&with_headline(v.copy.clone(), &new), check.ignore);
        diff::classify(&v, &new) != Class::Wording
    }) {
        return Decision::FlipFlop {
            version: same.number,
            diff: d,
        };
    }
    Decision::Changed {
        labels: d.labels.clone(),
        diff: d,
    }
}

/// The reason given when only ignored text changed.
pub const IGNORED: &str = "ignore patterns";

/// When the change from `old` to `new` is confined to paragraphs placed beside the
/// story's run on both sides, the places of the paragraphs that changed; `None` when the
/// story itself changed, or when either side's places are not known.
///
/// The story of each copy is its headline and its [`Place::Body`] paragraphs; when the
/// two stories are the same (ignored text masked, whitespace aside), whatever changed
/// lies in the other paragraphs.
fn beside_story(
    (old, old_places): (&Copy, &[Place]),
    (new, new_places): (&Copy, &[Place]),
    ignore: &[Regex],
) -> Option<Vec<Place>> {
    let known = |c: &Copy, p: &[Place]| !p.is_empty() && p.len() == c.paragraphs.len();
    if !known(old, old_places) || !known(new, new_places) {
        return None;
    }
    let story = |c: &Copy, places: &[Place]| Copy {
        headline: c.headline.clone(),
        paragraphs: c
            .paragraphs
            .iter()
            .zip(places)
            .filter(|(_, p)| **p == Place::Body)
            .map(|(t, _)| t.clone())
            .collect(),
    };
    let (a, b) = (
        diff::strip_ignored(&story(old, old_places), ignore),
        diff::strip_ignored(&story(new, new_places), ignore),
    );
    if diff::classify(&a, &b) == Class::Wording {
        return None;
    }
    // The places of the paragraphs beside the story that the other side lacks.
    let lacking = |c: &Copy, places: &[Place], other: &Copy| -> Vec<Place> {
        c.paragraphs
            .iter()
            .zip(places)
            .filter(|(t, p)| **p != Place::Body && !other.paragraphs.contains(t))
            .map(|(_, p)| *p)
            .collect()
    };
    // A correction or editor's note is news whatever its place (an appended note is
    // often set apart in italics, as the outlet's own lines are).
    let noted = |c: &Copy, places: &[Place], other: &Copy| {
        c.paragraphs
            .iter()
            .zip(places)
            .any(|(t, p)| *p != Place::Body && !other.paragraphs.contains(t) && is_correction(t))
    };
    if noted(old, old_places, new) || noted(new, new_places, old) {
        return None;
    }
    let mut changed = lacking(old, old_places, new);
    changed.extend(lacking(new, new_places, old));
    if changed.is_empty() {
        // Only the order of the blocks beside the story changed.
        changed = old_places
            .iter()
            .chain(new_places)
            .copied()
            .filter(|p| *p != Place::Body)
            .collect();
    }
    changed.sort_unstable();
    changed.dedup();
    (!changed.is_empty()).then_some(changed)
}

/// A baseline from `track --file` may lack the headline: it takes the page's quietly.
fn with_headline(old: Copy, new: &Copy) -> Copy {
    if old.headline.is_empty() {
        Copy {
            headline: new.headline.clone(),
            ..old
        }
    } else {
        old
    }
}

/// What one comparison of two copies amounts to, for callers that have no stored
/// versions (the churn benchmark): [`decide`] with `old` as the only version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Identical, cosmetic, or different only in ignored text.
    Same,
    /// The wording changed.
    Wording,
    /// Most of the text is gone at once.
    Shrunk { old_len: usize, new_len: usize },
}

/// Judges `new` against `old` as the watcher would, ignoring text that `ignore` matches.
pub fn judge(old: &Copy, new: &Copy, ignore: &[Regex]) -> Verdict {
    let latest = version(1, old.clone(), crate::extract::EXTRACTOR);
    let check = Check {
        latest: Some(&latest),
        recent: &[],
        new,
        new_places: &[],
        ignore,
        extractor: crate::extract::EXTRACTOR,
    };
    match decide(&check) {
        Decision::Suspect { old_len, new_len } => Verdict::Shrunk { old_len, new_len },
        Decision::Changed { .. } => Verdict::Wording,
        _ => Verdict::Same,
    }
}

/// A stored version as [`decide`] sees it (for [`judge`] and tests).
pub fn version(number: i64, copy: Copy, extractor: &str) -> VersionRow {
    VersionRow {
        number,
        time: chrono::DateTime::default(),
        copy,
        extractor: extractor.to_string(),
        words_added: 0,
        words_removed: 0,
        note: None,
        labels: Labels::new(),
        diff: None,
        provenance: Default::default(),
    }
}

/// Whether `new` is `old` with paragraphs cut, not only from the end: every new paragraph
/// is an old one, in order, and the new copy is not just the old one's opening.
fn paragraphs_cut(old: &[String], new: &[String]) -> bool {
    if new.is_empty() || old.starts_with(new) {
        return false;
    }
    let mut rest = old.iter();
    new.iter().all(|p| rest.any(|o| o == p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Block, Label};

    const EX: &str = "test/1";

    fn copy(paragraphs: &[&str]) -> Copy {
        Copy::new("Headline", paragraphs.iter().copied())
    }

    fn decide_one(old: &Copy, new: &Copy, ignore: &[Regex]) -> Decision {
        let latest = version(1, old.clone(), EX);
        decide(&Check {
            latest: Some(&latest),
            recent: &[],
            new,
            new_places: &[],
            ignore,
            extractor: EX,
        })
    }

    #[test]
    fn no_version_is_a_baseline() {
        let new = copy(&["Body."]);
        let d = decide(&Check {
            latest: None,
            recent: &[],
            new: &new,
            new_places: &[],
            ignore: &[],
            extractor: EX,
        });
        assert_eq!(d, Decision::Baseline);
        assert!(d.makes_version());
        assert!(d.diff().is_none());
    }

    #[test]
    fn identical_is_same() {
        let a = copy(&["Putin and Xi met."]);
        assert_eq!(decide_one(&a, &a, &[]), Decision::Same);
        assert!(!Decision::Same.makes_version());
    }

    #[test]
    fn whitespace_and_invisibles_are_cosmetic() {
        let a = copy(&["Putin and Xi met."]);
        let b = Copy {
            headline: "Headline".into(),
            paragraphs: vec!["Putin and\u{200b} Xi  met.".into()],
        };
        assert_eq!(decide_one(&a, &b, &[]), Decision::Cosmetic);
    }

    #[test]
    fn ignored_text_only_is_furniture() {
        let re = Regex::new(r"Updated \d+ minutes ago").expect("regex");
        let a = copy(&["Updated 5 minutes ago", "Body text."]);
        let b = copy(&["Updated 9 minutes ago", "Body text."]);
        assert!(matches!(decide_one(&a, &b, &[]), Decision::Changed { .. }));
        assert_eq!(
            decide_one(&a, &b, std::slice::from_ref(&re)),
            Decision::FurnitureOnly {
                reason: IGNORED.into()
            }
        );
    }

    #[test]
    fn ignored_text_is_absent_from_the_diff_and_its_counts() {
        let re = Regex::new(r"Updated \d+ minutes ago\.").expect("regex");
        let a = copy(&["Talks went well. Updated 5 minutes ago.", "Body text."]);
        let b = copy(&["Talks went badly. Updated 9 minutes ago.", "Body text."]);
        let Decision::Changed { diff, labels } = decide_one(&a, &b, &[re]) else {
            panic!("a change")
        };
        let shown = crate::diff::render::word(&diff, &Default::default());
        assert!(!shown.contains("Updated"), "{shown}");
        assert_eq!((diff.words_added, diff.words_removed), (1, 1));
        assert_eq!(labels, [Label::Wording].into_iter().collect());
    }

    #[test]
    fn another_extractor_rebaselines() {
        let a = copy(&["Body text."]);
        let b = copy(&["Body text, read differently."]);
        let latest = version(1, a, "old/0");
        let d = decide(&Check {
            latest: Some(&latest),
            recent: &[],
            new: &b,
            new_places: &[],
            ignore: &[],
            extractor: EX,
        });
        let Decision::Rebaseline { from, diff } = &d else {
            panic!("{d:?}")
        };
        assert_eq!(from, "old/0");
        assert!(!diff.is_empty());
        assert!(d.makes_version());
    }

    #[test]
    fn a_collapse_is_suspect() {
        let long = "A sentence of the article that goes on for a while. ".repeat(20);
        let a = copy(&[&long, &long]);
        let b = copy(&["Subscribe to read."]);
        assert!(matches!(decide_one(&a, &b, &[]), Decision::Suspect { .. }));
        assert!(
            !Decision::Suspect {
                old_len: 1,
                new_len: 0
            }
            .makes_version()
        );
        let c = copy(&[&long]);
        assert!(
            matches!(decide_one(&a, &c, &[]), Decision::Changed { .. }),
            "half the text is an edit"
        );
    }

    #[test]
    fn a_cut_paragraph_is_an_edit_but_a_teaser_is_suspect() {
        let long = "A sentence of the article that goes on for a while. ".repeat(20);
        let a = copy(&[&long, "The short last paragraph."]);
        let cut = copy(&["The short last paragraph."]);
        let Decision::Changed { labels, .. } = decide_one(&a, &cut, &[]) else {
            panic!("an edit")
        };
        assert!(labels.contains(Label::Removal), "{labels}");
        let b = copy(&["The lead.", &long, "The short last paragraph."]);
        let teaser = copy(&["The lead."]);
        assert!(matches!(
            decide_one(&b, &teaser, &[]),
            Decision::Suspect { .. }
        ));
    }

    #[test]
    fn a_return_to_an_earlier_text_is_a_flip_flop() {
        let a = copy(&["The talks went well."]);
        let b = copy(&["The talks went badly."]);
        let recent = vec![version(1, a.clone(), EX), version(2, b.clone(), EX)];
        let d = decide(&Check {
            latest: Some(&recent[1]),
            recent: &recent,
            new: &a,
            new_places: &[],
            ignore: &[],
            extractor: EX,
        });
        let Decision::FlipFlop { version, diff } = &d else {
            panic!("{d:?}")
        };
        assert_eq!(*version, 1);
        assert!(!diff.is_empty());
        // Outside the window (not among the recent versions) it is a change again.
        let d = decide(&Check {
            latest: Some(&recent[1]),
            recent: &recent[1..],
            new: &a,
            new_places: &[],
            ignore: &[],
            extractor: EX,
        });
        assert!(matches!(d, Decision::Changed { .. }), "{d:?}");
    }

    #[test]
    fn a_change_carries_its_diff_and_labels() {
        let a = copy(&["Turnover reached 100 billion.", "Second paragraph."]);
        let b = copy(&["Turnover reached 140 billion.", "Second paragraph."]);
        let Decision::Changed { diff, labels } = decide_one(&a, &b, &[]) else {
            panic!("a change")
        };
        assert_eq!(labels, [Label::Figures].into_iter().collect());
        assert_eq!(diff.labels, labels);
        assert!(matches!(diff.blocks[0], Block::Changed { .. }));
    }

    /// Decides `new` (placed `new_places`) against `old` (placed `old_places`).
    fn decide_placed(
        (old, old_places): (&Copy, &[Place]),
        (new, new_places): (&Copy, &[Place]),
    ) -> Decision {
        let mut latest = version(1, old.clone(), EX);
        latest.provenance.places = old_places.to_vec();
        decide(&Check {
            latest: Some(&latest),
            recent: &[],
            new,
            new_places,
            ignore: &[],
            extractor: EX,
        })
    }

    const B: Place = Place::Body;
    const E: Place = Place::Edge;

    #[test]
    fn a_change_confined_to_blocks_beside_the_story_is_furniture() {
        let a = copy(&["Read more: 3 stories", "The talks went well.", "Second."]);
        let b = copy(&["Read more: 4 stories", "The talks went well.", "Second."]);
        assert_eq!(
            decide_placed((&a, &[E, B, B]), (&b, &[E, B, B])),
            Decision::FurnitureOnly {
                reason: "edge block".into()
            }
        );
        // A block beside the story that comes or goes is furniture too.
        let c = copy(&["The talks went well.", "Second."]);
        assert!(matches!(
            decide_placed((&a, &[E, B, B]), (&c, &[B, B])),
            Decision::FurnitureOnly { .. }
        ));
        assert!(matches!(
            decide_placed((&c, &[B, B]), (&a, &[E, B, B])),
            Decision::FurnitureOnly { .. }
        ));
    }

    #[test]
    fn an_emphasised_line_after_the_story_is_furniture_but_a_correction_there_alerts() {
        const S: Place = Place::Styled;
        let a = copy(&["The talks went well.", "Second.", "Reporting by Ann Lee."]);
        let b = copy(&["The talks went well.", "Second.", "Reporting by Bo Chen."]);
        assert_eq!(
            decide_placed((&a, &[B, B, S]), (&b, &[B, B, S])),
            Decision::FurnitureOnly {
                reason: "emphasised line after the story".into()
            }
        );
        // An editor's note appended in italics, in any of the languages known: news.
        for note in [
            "Correction: An earlier version of this story misstated the date of the talks.",
            "Korrektur: In einer früheren Version dieses Artikels stand ein falsches Datum.",
        ] {
            let c = copy(&[
                "The talks went well.",
                "Second.",
                "Reporting by Ann Lee.",
                note,
            ]);
            let Decision::Changed { diff, .. } =
                decide_placed((&a, &[B, B, S]), (&c, &[B, B, S, S]))
            else {
                panic!("a correction beside the story alerts: {note}")
            };
            assert!(!diff.is_empty());
            // Its removal alerts too.
            assert!(matches!(
                decide_placed((&c, &[B, B, S, S]), (&a, &[B, B, S])),
                Decision::Changed { .. }
            ));
        }
    }

    #[test]
    fn a_change_to_the_story_alerts_whatever_changed_beside_it() {
        let a = copy(&[
            "Lire aussi : 3 articles",
            "Les discussions ont bien commencé.",
            "Fin.",
        ]);
        let b = copy(&[
            "Lire aussi : 4 articles",
            "Les discussions ont mal commencé.",
            "Fin.",
        ]);
        let Decision::Changed { diff, .. } = decide_placed((&a, &[E, B, B]), (&b, &[E, B, B]))
        else {
            panic!("an edit of the story")
        };
        assert!(!diff.is_empty());
        // A headline change is the story's.
        let h = Copy::new("Another headline", a.paragraphs.iter());
        assert!(matches!(
            decide_placed((&a, &[E, B, B]), (&h, &[E, B, B])),
            Decision::Changed { .. }
        ));
    }

    #[test]
    fn a_paragraph_added_removed_or_moved_in_the_story_alerts() {
        let a = copy(&["Teaser.", "One.", "Two.", "Three."]);
        let added = copy(&["Teaser.", "One.", "Two.", "Inserted.", "Three."]);
        let removed = copy(&["Teaser.", "One.", "Three."]);
        let moved = copy(&["Teaser.", "Two.", "Three.", "One."]);
        for (new, places) in [
            (&added, &[E, B, B, B, B][..]),
            (&removed, &[E, B, B][..]),
            (&moved, &[E, B, B, B][..]),
        ] {
            let d = decide_placed((&a, &[E, B, B, B]), (new, places));
            assert!(matches!(d, Decision::Changed { .. }), "{new:?}: {d:?}");
        }
    }

    #[test]
    fn a_paragraph_that_moves_between_the_story_and_its_edge_alerts() {
        // The same text, placed beside the story on one side and in it on the other: the
        // story lost (or gained) a paragraph.
        let a = copy(&["Lead of the story.", "One.", "Two."]);
        let d = decide_placed((&a, &[B, B, B]), (&a, &[E, B, B]));
        assert_eq!(d, Decision::Same, "the same text is the same text");
        let b = copy(&["Lead of the story, reworded.", "One.", "Two."]);
        assert!(matches!(
            decide_placed((&a, &[B, B, B]), (&b, &[E, B, B])),
            Decision::Changed { .. }
        ));
    }

    #[test]
    fn unknown_places_decide_on_the_copies_alone() {
        let a = copy(&["Read more: 3 stories", "Body."]);
        let b = copy(&["Read more: 4 stories", "Body."]);
        for (old, new) in [
            (&[][..], &[E, B][..]),
            (&[E, B][..], &[][..]),
            (&[E][..], &[E, B][..]),
        ] {
            let d = decide_placed((&a, old), (&b, new));
            assert!(
                matches!(d, Decision::Changed { .. }),
                "{old:?} {new:?}: {d:?}"
            );
        }
    }

    #[test]
    fn a_new_extractor_rebaselines_before_places_are_read() {
        let a = copy(&["Read more: 3 stories", "Body."]);
        let b = copy(&["Read more: 4 stories", "Body."]);
        let mut latest = version(1, a, "old/0");
        latest.provenance.places = vec![E, B];
        let d = decide(&Check {
            latest: Some(&latest),
            recent: &[],
            new: &b,
            new_places: &[E, B],
            ignore: &[],
            extractor: EX,
        });
        assert!(matches!(d, Decision::Rebaseline { .. }), "{d:?}");
    }

    #[test]
    fn judge_follows_decide() {
        let a = copy(&["Body text."]);
        assert_eq!(judge(&a, &a, &[]), Verdict::Same);
        assert_eq!(judge(&a, &copy(&["Body text!"]), &[]), Verdict::Wording);
    }
}
