//! Deciding whether a new version is worth an alert.
//!
//! Pages change for reasons no reader would call an edit: a CMS swaps a space for a
//! no-break space, inserts a zero-width joiner or a soft hyphen, re-wraps a paragraph, or
//! stamps "Updated 5 minutes ago". This module owns that judgement: [`strip_ignored`]
//! removes the text a feed's `ignore` patterns name before anything is compared, and
//! [`classify`] sorts what is left into identical, cosmetic (whitespace and invisible
//! characters only) and a change of wording, the only class that alerts.

use std::cell::OnceCell;

use regex::{NoExpand, Regex};
use unicode_segmentation::UnicodeSegmentation;

use super::tokenize::{TokenKind, kind};
use crate::text::{Copy, normalize};

/// How two versions of an article differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Byte for byte the same.
    Identical,
    /// Different only in whitespace (paragraph breaks included) or invisible characters.
    Cosmetic,
    /// A word, number or punctuation mark changed: this is what alerts.
    Wording,
}

impl Class {
    /// True for the one class that is reported to the user.
    pub fn alerts(self) -> bool {
        self == Class::Wording
    }
}

/// Classifies the change from `old` to `new`.
///
/// Both are normalised ([`normalize`]: NFC, invisibles dropped, whitespace folded) and
/// compared as sequences of visible tokens, so only an edit a reader could see counts as
/// wording. Joining two words ("on line" → "online") is wording: the tokens differ.
pub fn classify(old: &Copy, new: &Copy) -> Class {
    if old == new {
        Class::Identical
    } else if same_visible_tokens(old, new) {
        Class::Cosmetic
    } else {
        Class::Wording
    }
}

/// Whether the headlines' and the bodies' non-space tokens are the same. The body is one
/// sequence, so a paragraph split in two or two merged into one is whitespace like any
/// other. The tokens are compared as they come, without a copy of each: a change of
/// wording stops the comparison at its first token, and a paragraph after it is never
/// normalised.
fn same_visible_tokens(old: &Copy, new: &Copy) -> bool {
    fn visible(t: &&str) -> bool {
        kind(t) != TokenKind::Space
    }
    fn body<'a>(
        copy: &'a Copy,
        normalized: &'a [OnceCell<String>],
    ) -> impl Iterator<Item = &'a str> + 'a {
        copy.paragraphs
            .iter()
            .zip(normalized)
            .flat_map(|(p, n)| n.get_or_init(|| normalize(p)).split_word_bounds())
            .filter(visible)
    }
    let (old_headline, new_headline) = (normalize(&old.headline), normalize(&new.headline));
    if !old_headline
        .split_word_bounds()
        .filter(visible)
        .eq(new_headline.split_word_bounds().filter(visible))
    {
        return false;
    }
    let old_paragraphs: Vec<OnceCell<String>> =
        old.paragraphs.iter().map(|_| OnceCell::new()).collect();
    let new_paragraphs: Vec<OnceCell<String>> =
        new.paragraphs.iter().map(|_| OnceCell::new()).collect();
    body(old, &old_paragraphs).eq(body(new, &new_paragraphs))
}

/// Removes every match of the feed's `ignore` patterns from the headline and paragraphs,
/// re-normalises what is left, and drops paragraphs left empty.
pub fn strip_ignored(copy: &Copy, patterns: &[Regex]) -> Copy {
    if patterns.is_empty() {
        return copy.clone();
    }
    let strip = |text: &str| {
        let mut text = text.to_string();
        for re in patterns {
            text = re.replace_all(&text, NoExpand("")).into_owned();
        }
        normalize(&text)
    };
    Copy {
        headline: strip(&copy.headline),
        paragraphs: copy
            .paragraphs
            .iter()
            .map(|p| strip(p))
            .filter(|p| !p.is_empty())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "Russian President said that Moscow and Beijing have already had a turnover of over 140 billion [dollars], and more.";

    fn copy(headline: &str, paragraphs: &[&str]) -> Copy {
        Copy {
            headline: headline.to_string(),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn with(p: &str) -> Copy {
        copy("Putin hails ties", &["First paragraph.", p])
    }

    #[test]
    fn identical() {
        assert_eq!(classify(&with(P), &with(P)), Class::Identical);
        assert!(!Class::Identical.alerts());
    }

    #[test]
    fn whitespace_only_is_cosmetic() {
        let spaced = P
            .replace("turnover of", "turnover\u{a0} of")
            .replace(' ', "  ");
        assert_eq!(classify(&with(P), &with(&spaced)), Class::Cosmetic);
        // Re-paragraphing is whitespace too.
        let (a, b) = P.split_at(P.find(" Moscow").unwrap_or(0));
        let split = copy("Putin hails ties", &["First paragraph.", a, b.trim()]);
        assert_eq!(classify(&with(P), &split), Class::Cosmetic);
        // Whitespace in the headline.
        let mut h = with(P);
        h.headline = " Putin\u{a0}hails  ties ".to_string();
        assert_eq!(classify(&with(P), &h), Class::Cosmetic);
        assert!(!Class::Cosmetic.alerts());
    }

    #[test]
    fn zero_width_and_invisible_characters_only_are_cosmetic() {
        let zw = P
            .replace("Moscow", "Mos\u{200b}cow")
            .replace("Beijing", "Bei\u{00ad}jing")
            .replace("turnover", "\u{feff}turn\u{2060}over");
        assert_eq!(classify(&with(P), &with(&zw)), Class::Cosmetic);
    }

    #[test]
    fn one_word_is_wording() {
        let c = classify(&with(P), &with(&P.replace("Moscow", "Russia")));
        assert_eq!(c, Class::Wording);
        assert!(c.alerts());
    }

    #[test]
    fn one_number_is_wording() {
        let c = classify(&with(P), &with(&P.replace("140", "150")));
        assert_eq!(c, Class::Wording);
    }

    #[test]
    fn one_comma_is_wording() {
        let c = classify(&with(P), &with(&P.replace("[dollars],", "[dollars]")));
        assert_eq!(c, Class::Wording);
    }

    #[test]
    fn an_added_sentence_is_wording() {
        let longer = format!("{P} The Kremlin later clarified the figure.");
        assert_eq!(classify(&with(P), &with(&longer)), Class::Wording);
    }

    #[test]
    fn joining_two_words_is_wording() {
        let c = classify(&with("going on line"), &with("going online"));
        assert_eq!(c, Class::Wording);
    }

    #[test]
    fn headline_change_is_wording() {
        let mut new = with(P);
        new.headline = "Putin praises ties".to_string();
        assert_eq!(classify(&with(P), &new), Class::Wording);
    }

    #[test]
    fn class_serialises_lowercase() {
        assert_eq!(
            serde_json::to_string(&Class::Wording).ok().as_deref(),
            Some("\"wording\"")
        );
    }

    #[test]
    fn strip_ignored_removes_matches_and_empty_paragraphs() {
        let patterns = [
            Regex::new(r"Updated \d+ minutes ago\.?").expect("valid regex"),
            Regex::new(r"\$\d").expect("valid regex"),
        ];
        let old = copy(
            "Ties deepen Updated 5 minutes ago",
            &[
                "Updated 12 minutes ago.",
                "Text stays. Updated 3 minutes ago. More text $1.",
            ],
        );
        let stripped = strip_ignored(&old, &patterns);
        assert_eq!(stripped, copy("Ties deepen", &["Text stays. More text ."]));
        let new = copy(
            "Ties deepen Updated 9 minutes ago",
            &[
                "Updated 20 minutes ago.",
                "Text stays. Updated 4 minutes ago. More text $2.",
            ],
        );
        assert_eq!(
            classify(&stripped, &strip_ignored(&new, &patterns)),
            Class::Identical
        );
        assert_eq!(strip_ignored(&old, &[]), old);
    }
}
