//! A site's template: the blocks that recur across several of its articles.
//!
//! Every site repeats its furniture on each article page: the same author bio, the same
//! "Follow us" line, the same credit, the same reading-time line with another number.
//! The rules of [`super::roles`] and [`super::boiler`] catch most of it on any site, but
//! a site can always word its furniture in a way no rule foresaw. What no rule needs is
//! the observation that a block recurs, in the same words or the same shape with other
//! numbers, on different articles of one host: the story's own paragraphs do not.
//!
//! A block's [`shape`] is its text in lower case with every run of digits replaced by
//! `#`. The watcher keeps, per host, the shapes each article's extraction produced (in
//! the store, `templates` table, as their [`key`]s) and passes the shapes seen on enough
//! *other* articles of the host in [`super::Options::template`];
//! [`super::blocks::finish`] then drops blocks of those shapes. A site's first pages have no template yet and rely on the rules.
//! Should the template cover every block of a page (the same story under two addresses),
//! it is ignored for that page rather than losing the story.

use std::collections::HashSet;

/// The shape of a normalised block: lower case, each run of digits one `#`.
pub fn shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// A shape's key: the first 8 bytes of its SHA-256. The store keeps a site's shapes by
/// their keys, 16 hex digits each, rather than by their text (a story's paragraphs are
/// shapes too, and most of them).
pub fn key(shape: &str) -> u64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(shape.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The learned furniture shapes of one host, by their [`key`]s.
#[derive(Debug, Clone, Default)]
pub struct Template {
    keys: HashSet<u64>,
}

impl Template {
    /// A template of the given block shapes (as [`shape`] makes them).
    pub fn new(shapes: impl IntoIterator<Item = String>) -> Template {
        Template::from_keys(shapes.into_iter().map(|s| key(&s)))
    }

    /// A template of the shapes of the given [`key`]s.
    pub fn from_keys(keys: impl IntoIterator<Item = u64>) -> Template {
        Template {
            keys: keys.into_iter().collect(),
        }
    }

    /// Whether no shape has been learned.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a normalised block is furniture of this site.
    pub fn is_furniture(&self, text: &str) -> bool {
        !self.keys.is_empty() && self.keys.contains(&key(&shape(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_do_not_change_the_shape() {
        assert_eq!(shape("Image 3 of 12"), "image # of #");
        assert_eq!(shape("Image 10 of 12"), shape("image 4 of 9"));
        assert_ne!(shape("Image of"), shape("Image 1 of"));
        let t = Template::new([shape("5 min read")]);
        assert!(t.is_furniture("12 min read"));
        assert!(!t.is_furniture("The minister said he would read the report."));
        assert!(Template::from_keys([key("# min read")]).is_furniture("3 min read"));
        assert_ne!(key("# min read"), key("# min reads"));
    }
}
