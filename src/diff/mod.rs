//! Placeholder until the differ lands.

use crate::text::Copy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Identical,
    Cosmetic,
    Wording,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CopyDiff {
    pub words_added: usize,
    pub words_removed: usize,
}

pub fn classify(old: &Copy, new: &Copy) -> Class {
    if old == new {
        Class::Identical
    } else {
        Class::Wording
    }
}

pub fn diff(_old: &Copy, _new: &Copy) -> CopyDiff {
    CopyDiff {
        words_added: 0,
        words_removed: 0,
    }
}

pub fn strip_ignored(copy: &Copy, patterns: &[regex::Regex]) -> Copy {
    let strip = |s: &str| {
        patterns.iter().fold(s.to_string(), |acc, re| {
            re.replace_all(&acc, "").into_owned()
        })
    };
    Copy::new(
        &strip(&copy.headline),
        copy.paragraphs.iter().map(|p| strip(p)),
    )
}
pub mod render;
