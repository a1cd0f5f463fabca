//! Whether a freshly extracted copy is a change worth telling anyone about.
//!
//! This is the one place that decides, for the watcher and for the churn benchmark
//! alike: text matched by the feed's `ignore` regexes is removed first; differences of
//! whitespace and invisible characters are no change; a copy that lost most of the
//! previous text is suspect (a paywall, an error or consent page), not an edit, unless
//! what is left is the old paragraphs with some taken out of the middle or the start,
//! which is what an editor cutting a paragraph does and no paywall does (a paywall keeps
//! the opening as a teaser).

use crate::diff::{self, Class};
use crate::text::Copy;

/// An extraction that keeps less than this share of the previous text is suspect.
const SHRINK_RATIO: f64 = 0.4;
/// Texts shorter than this are too small to judge a shrink by.
const SHRINK_MIN_CHARS: usize = 400;

/// What a new copy is, measured against the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Identical, cosmetic, or different only in ignored text.
    Same,
    /// The wording changed.
    Wording,
    /// Most of the text is gone at once.
    Shrunk { old_len: usize, new_len: usize },
}

/// Judges `new` against `old`, ignoring text that `ignore` matches.
pub fn judge(old: &Copy, new: &Copy, ignore: &[regex::Regex]) -> Verdict {
    let old = diff::strip_ignored(old, ignore);
    let new = diff::strip_ignored(new, ignore);
    // A baseline from `track --file` may lack the headline: take the page's quietly.
    let old = if old.headline.is_empty() {
        Copy {
            headline: new.headline.clone(),
            ..old
        }
    } else {
        old
    };
    if diff::classify(&old, &new) != Class::Wording {
        return Verdict::Same;
    }
    let (old_len, new_len) = (old.char_len(), new.char_len());
    if old_len >= SHRINK_MIN_CHARS
        && (new_len as f64) < SHRINK_RATIO * old_len as f64
        && !paragraphs_cut(&old.paragraphs, &new.paragraphs)
    {
        return Verdict::Shrunk { old_len, new_len };
    }
    Verdict::Wording
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

    fn copy(paragraphs: &[&str]) -> Copy {
        Copy::new("Headline", paragraphs.iter().copied())
    }

    #[test]
    fn ignored_text_is_no_change() {
        let re = regex::Regex::new(r"Updated \d+ minutes ago").expect("regex");
        let a = copy(&["Updated 5 minutes ago", "Body text."]);
        let b = copy(&["Updated 9 minutes ago", "Body text."]);
        assert_eq!(judge(&a, &b, &[]), Verdict::Wording);
        assert_eq!(judge(&a, &b, std::slice::from_ref(&re)), Verdict::Same);
        let c = copy(&["Updated 9 minutes ago", "Body text, edited."]);
        assert_eq!(judge(&a, &c, &[re]), Verdict::Wording);
    }

    #[test]
    fn a_collapse_is_suspect() {
        let long = "A sentence of the article that goes on for a while. ".repeat(20);
        let a = copy(&[&long, &long]);
        let b = copy(&["Subscribe to read."]);
        assert!(matches!(judge(&a, &b, &[]), Verdict::Shrunk { .. }));
        let c = copy(&[&long]);
        assert_eq!(
            judge(&a, &c, &[]),
            Verdict::Wording,
            "half the text is an edit"
        );
    }

    #[test]
    fn a_cut_paragraph_is_an_edit_but_a_teaser_is_suspect() {
        let long = "A sentence of the article that goes on for a while. ".repeat(20);
        let a = copy(&[&long, "The short last paragraph."]);
        let cut = copy(&["The short last paragraph."]);
        assert_eq!(judge(&a, &cut, &[]), Verdict::Wording);
        let b = copy(&["The lead.", &long, "The short last paragraph."]);
        let teaser = copy(&["The lead."]);
        assert!(matches!(judge(&b, &teaser, &[]), Verdict::Shrunk { .. }));
    }

    #[test]
    fn whitespace_and_invisibles_are_no_change() {
        let a = copy(&["Putin and Xi met."]);
        let b = Copy {
            headline: "Headline".into(),
            paragraphs: vec!["Putin and\u{200b} Xi  met.".into()],
        };
        assert_eq!(judge(&a, &b, &[]), Verdict::Same);
    }
}
