//! Word-level diffs between two versions of an article.
//!
//! This module owns the answer to "what did the outlet change?". It works in two passes,
//! like a reader comparing two printouts: first it lines the paragraphs up (a paragraph
//! changed by a few words pairs with its old self; an inserted or deleted paragraph is
//! reported as added or removed, never as one giant change), then it diffs the words of
//! each pair, and of the headline, with `similar`. The result, a [`CopyDiff`], is plain
//! data; turning it into text, HTML or JSON is [`render`]'s job, deciding whether it is
//! worth an alert is [`classify`]'s, and what a "word" is belongs to [`tokenize`].
//!
//! Every diff runs under a deadline ([`TIMEOUT`] by default): past it `similar` gives up
//! on finding the smallest edit and returns a coarser but still correct one, so a huge or
//! pathological page can never hang a watch cycle.

pub mod tokenize;
