//! Whether an outlet disclosed an edit: the question press watchers ask first.
//!
//! A page declares when it was last changed (JSON-LD `dateModified`,
//! `article:modified_time`, a visible "Updated 10:41") and may carry a correction or an
//! editor's note. Given the previous version and the new one, each with the
//! [`Provenance`] the page declared, this decides two things about a wording change:
//!
//! - `correction`: a correction, clarification or editor's note appeared or changed,
//!   recognised by its wording in a paragraph of the copy ([`extract::is_correction`]) or
//!   by its markup on the page (kept in [`Provenance::note`]);
//! - `undisclosed`: none of the page's declared modification times moved, and there is
//!   no such correction: a stealth edit.
//!
//! A declared time "moves" when the new page declares one that differs from the one the
//! previous version recorded (a time appearing where there was none counts); a time
//! disappearing does not. Pure: no I/O, unit-tested here.

use crate::extract;
use crate::text::{Copy, Provenance};

/// What the page told its readers about one wording change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Disclosure {
    /// A declared modification time (metadata or visible line) moved.
    pub update_declared: bool,
    /// A correction, clarification or editor's note appeared or changed.
    pub correction: bool,
}

impl Disclosure {
    /// Neither a moved update time nor a correction: the edit was not disclosed.
    pub fn undisclosed(self) -> bool {
        !self.update_declared && !self.correction
    }
}

/// Assesses the change from `old` to `new` (both copies and what their pages declared).
pub fn assess(old: &Copy, old_p: &Provenance, new: &Copy, new_p: &Provenance) -> Disclosure {
    let moved =
        |before: &Option<String>, after: &Option<String>| after.is_some() && after != before;
    let update_declared =
        moved(&old_p.modified, &new_p.modified) || moved(&old_p.updated_line, &new_p.updated_line);
    let old_notes: Vec<&String> = old
        .paragraphs
        .iter()
        .filter(|p| extract::is_correction(p))
        .collect();
    let new_note_paragraph = new
        .paragraphs
        .iter()
        .filter(|p| extract::is_correction(p))
        .any(|p| !old_notes.contains(&p));
    let correction = new_note_paragraph || moved(&old_p.note, &new_p.note);
    Disclosure {
        update_declared,
        correction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(paragraphs: &[&str]) -> Copy {
        Copy::new("Headline", paragraphs.iter().copied())
    }

    fn declared(modified: Option<&str>, line: Option<&str>) -> Provenance {
        Provenance {
            published: Some("2026-11-29T08:00:00Z".into()),
            modified: modified.map(str::to_string),
            updated_line: line.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn an_edit_under_an_unchanged_date_modified_is_undisclosed() {
        let (a, b) = (
            copy(&["They met on Monday."]),
            copy(&["They met on Tuesday."]),
        );
        let same = declared(Some("2026-11-29T09:00:00Z"), None);
        assert!(assess(&a, &same, &b, &same).undisclosed());
        let later = declared(Some("2026-11-29T10:41:00Z"), None);
        let d = assess(&a, &same, &b, &later);
        assert!(d.update_declared && !d.undisclosed());
        // Nothing declared, before or after: nothing disclosed either.
        let none = Provenance::default();
        assert!(assess(&a, &none, &b, &none).undisclosed());
        // A declared time that disappears is no disclosure.
        assert!(assess(&a, &same, &b, &none).undisclosed());
    }

    #[test]
    fn a_visible_update_line_moving_forward_is_a_disclosure() {
        let (a, b) = (
            copy(&["They met on Monday."]),
            copy(&["They met on Tuesday."]),
        );
        let meta = Some("2026-11-29T09:00:00Z");
        let d = assess(
            &a,
            &declared(meta, Some("09:00")),
            &b,
            &declared(meta, Some("10:41")),
        );
        assert!(d.update_declared && !d.undisclosed());
        let d = assess(
            &a,
            &declared(meta, Some("10:41")),
            &b,
            &declared(meta, Some("10:41")),
        );
        assert!(d.undisclosed());
    }

    #[test]
    fn an_appended_correction_is_a_correction_and_disclosed() {
        let a = copy(&["They met on Monday."]);
        let b = copy(&[
            "They met on Tuesday.",
            "Correction: An earlier version of this article gave the wrong day.",
        ]);
        let same = declared(Some("2026-11-29T09:00:00Z"), None);
        let d = assess(&a, &same, &b, &same);
        assert!(d.correction && !d.update_declared && !d.undisclosed());
        // The same correction kept while something else changes is not a new one.
        let c = copy(&[
            "They met on Wednesday.",
            "Correction: An earlier version of this article gave the wrong day.",
        ]);
        assert!(assess(&b, &same, &c, &same).undisclosed());
    }

    #[test]
    fn a_marked_up_note_that_appears_or_changes_is_a_correction() {
        let (a, b) = (copy(&["One."]), copy(&["Two."]));
        let before = Provenance::default();
        let after = Provenance {
            note: Some("We misstated the day.".into()),
            ..Default::default()
        };
        assert!(assess(&a, &before, &b, &after).correction);
        assert!(!assess(&a, &after, &b, &after).correction);
    }
}
