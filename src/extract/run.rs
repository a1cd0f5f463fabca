//! The story's run of paragraphs, and the outlet's lines beside it in other containers.
//!
//! A story's paragraphs sit side by side in one container (or in a row of containers
//! alike: one card per paragraph, one section per screen). Around them, Readability
//! often keeps a few lines of prose that are the outlet's, not the story's: a reporting
//! credit, a "follow us" line, a newsletter or membership pitch, an affiliate disclosure,
//! a company's "about" paragraph. They read
//! as sentences in any language, so no word list catches them, and their words change
//! with the site's campaigns. What gives them away is where they sit: after the story's
//! last paragraph, in a container of their own or with markup of their own.
//!
//! [`container`] names the element a `<p>` is and the chain it sits in (tag, class and id
//! of it and of its nearest ancestors, digits left out so that numbered wrappers read
//! alike); [`outside`] takes the name that most of the copy's prose has as the story's,
//! and drops the lines after the story's last paragraph that have another name: in a
//! container of their own beside the story's, or with a class of their own where the
//! story's paragraphs share one. Four limits keep the story whole:
//!
//! - only after the story: before its first paragraph, a lead in a container of its own
//!   is too often the story's opening (measured on the churn bench: dropping there lost
//!   edits);
//! - only lines whose name has fewer than [`MIN_RUN`] lines: a container with more is a
//!   part of the story;
//! - a line beside the story's last paragraph in the same container, with a class of its
//!   own, only when it is short (at most [`MAX_SIBLING_WORDS`] words): a long one is a
//!   paragraph of the story styled apart, such as its lead moved to the end;
//! - never a line inside the container of the story's last paragraph (the story's end
//!   wrapped in a `<div>` of the body); and between the story's first and last paragraph
//!   nothing is dropped, whatever its markup: a paragraph inserted without its
//!   neighbours' markup is the story's.
//!
//! [`places`] judges more than [`outside`] drops, since it only tells the decision where
//! a line sat: among others, the lines at the run's end that emphasis or their own
//! inline type style sets apart from the story's plain paragraphs
//! (`(<em>Reporting by …</em>)`, `<i>Follow us on</i>`, `<p style="font-size: 12px">`),
//! and the lines after a rule (`<hr>`) that follows the run.
//! Their words read as prose like the story's; the markup is the outlet's habit.

use std::collections::HashMap;

use dom_query::{NodeId, NodeRef};

use crate::text::Place;

/// How many ancestors name a paragraph's container.
const DEPTH: usize = 3;

/// How many ancestors are looked through for one paragraph's container holding another's.
const CHAIN: usize = 12;

/// A line beside the story's last paragraph, in the same container, is dropped for a
/// class of its own only when it has at most this many words: a longer one is a
/// paragraph of the story moved or styled apart (a lead moved to the end).
const MAX_SIBLING_WORDS: usize = 20;

/// A line wholly emphasised right before a removed box with a link is an invitation to
/// it with at least this many words (a short one may be a subheading of the story).
const MIN_INVITATION_WORDS: usize = 6;

/// A container needs this many paragraphs of prose to be the story's, and one with this
/// many is never dropped.
const MIN_RUN: usize = 3;

/// Where a `<p>` sits: the name of its container, and the elements around it.
#[derive(Debug)]
pub(super) struct Container {
    /// Tag, classes and id of its [`DEPTH`] nearest ancestors, without digits.
    name: String,
    /// Its [`CHAIN`] nearest ancestors, the parent first.
    chain: Vec<NodeId>,
    /// Whether the `<p>`'s own `style` sets its type apart ([`sets_type_apart`]).
    styled: bool,
    /// Whether the `<p>` sat just before a box with a link that cleaning removed
    /// ([`super::clean::BESIDE_BOX_ATTR`]).
    before_box: bool,
    /// Where in `chain` the nearest `<article>` is, if any.
    article_at: Option<usize>,
}

/// Two paragraphs are in the same part of the page when one of this many nearest
/// ancestors of each is the same element.
const NEAR: usize = 4;

impl Container {
    /// Tag, classes and id of the `<p>` and its [`DEPTH`] nearest ancestors.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Whether this `<p>` and `other` share one of their [`NEAR`] nearest ancestors, and
    /// neither sits in an `<article>` below the one they share (two stories' `<article>`s
    /// side by side are not one part of the page).
    pub(super) fn near(&self, other: &Container) -> bool {
        for (k, a) in self.chain.iter().take(NEAR).enumerate() {
            if let Some(j) = other.chain.iter().take(NEAR).position(|b| b == a) {
                return self.article_at.is_none_or(|i| i >= k)
                    && other.article_at.is_none_or(|i| i >= j);
            }
        }
        false
    }

    /// Whether the `<p>`'s own `style` sets its type apart ([`sets_type_apart`]).
    pub(super) fn styled(&self) -> bool {
        self.styled
    }

    /// Whether this `<p>` has the same parent as `story`'s.
    fn sibling(&self, story: &Container) -> bool {
        !self.chain.is_empty() && self.chain.first() == story.chain.first()
    }

    /// Whether this `<p>` sits deeper inside the container of `story`'s (the story's last
    /// paragraphs wrapped in a `<div>` of the body); beside it in the same container is
    /// not inside.
    fn inside(&self, story: &Container) -> bool {
        story
            .chain
            .first()
            .is_some_and(|p| self.chain.iter().skip(1).any(|a| a == p))
    }

    /// Whether the story's `<p>` sits deeper inside this one's container (the story's
    /// opening before a `<div>` that wraps the rest of it, a paywall's, say).
    fn encloses(&self, story: &Container) -> bool {
        self.chain
            .first()
            .is_some_and(|p| story.chain.iter().skip(1).any(|a| a == p))
    }
}

/// Where `node` sits (see [`Container`]).
pub(super) fn container(node: &NodeRef<'_>) -> Container {
    let ancestors: Vec<NodeRef<'_>> = node.ancestors_it(Some(CHAIN)).collect();
    Container {
        name: name(node),
        chain: ancestors.iter().map(|a| a.id).collect(),
        article_at: ancestors.iter().position(|a| a.has_name("article")),
        styled: node.attr("style").is_some_and(|s| sets_type_apart(&s)),
        before_box: node.has_attr(super::clean::BESIDE_BOX_ATTR),
    }
}

/// Whether an inline `style` sets a paragraph's type apart from the story's: its size,
/// weight, slant or colour, a background or a rule (`font-size: 12px; color: …`,
/// `border-top: 1px solid`). CSS names, the same in every language; alignment, margins
/// and spacing say nothing of whose line it is.
fn sets_type_apart(style: &str) -> bool {
    style.split(';').any(|decl| {
        let Some((prop, value)) = decl.split_once(':') else {
            return false;
        };
        let prop = prop.trim().to_ascii_lowercase();
        !value.trim().is_empty()
            && (matches!(
                prop.as_str(),
                "font-size" | "font-weight" | "font-style" | "color" | "font"
            ) || prop.starts_with("background")
                || prop.starts_with("border"))
    })
}

/// The element `node` and the chain it sits in: tag, classes and id of it and of its
/// [`DEPTH`] nearest ancestors, without digits.
fn name(node: &NodeRef<'_>) -> String {
    let mut out = String::new();
    for a in std::iter::once(*node).chain(node.ancestors_it(Some(DEPTH))) {
        let Some(name) = a.node_name() else { continue };
        out.push_str(&name);
        for (mark, attr) in [('.', "class"), ('#', "id")] {
            if let Some(v) = a.attr(attr) {
                let mut words: Vec<&str> = v.split_whitespace().collect();
                words.sort_unstable();
                out.push(mark);
                out.extend(words.join(".").chars().filter(|c| !c.is_ascii_digit()));
            }
        }
        out.push('<');
    }
    out
}

/// The story's container name and how many prose lines it holds: the name with the most
/// kept prose, the first such in page order on a tie.
fn story_name<'c>(
    of: &impl Fn(usize) -> Option<&'c str>,
    prose: &[bool],
    keep: &[bool],
) -> Option<(&'c str, usize)> {
    let mut prose_in: HashMap<&str, usize> = HashMap::new();
    for i in (0..keep.len()).filter(|&i| keep[i] && prose[i]) {
        if let Some(c) = of(i) {
            *prose_in.entry(c).or_default() += 1;
        }
    }
    let mut story: Option<(&str, usize)> = None;
    for c in (0..keep.len()).filter_map(|i| of(i).filter(|_| keep[i] && prose[i])) {
        let n = prose_in.get(c).copied().unwrap_or(0);
        if story.is_none_or(|(_, most)| n > most) {
            story = Some((c, n));
        }
    }
    story
}

/// How many kept lines each container name holds.
fn lines_in<'c>(of: &impl Fn(usize) -> Option<&'c str>, keep: &[bool]) -> HashMap<&'c str, usize> {
    let mut lines: HashMap<&str, usize> = HashMap::new();
    for i in (0..keep.len()).filter(|&i| keep[i]) {
        if let Some(c) = of(i) {
            *lines.entry(c).or_default() += 1;
        }
    }
    lines
}

/// Drops the blocks after the story's last paragraph that have another name than the
/// story's (see the module doc). `texts` are the blocks' texts, `para` the numbered `<p>`
/// each block came from, `prose` whether it reads as prose, `containers` the
/// [`container`] of each numbered `<p>`.
pub(super) fn outside(
    texts: &[&str],
    para: &[Option<usize>],
    prose: &[bool],
    containers: &[Container],
    keep: &mut [bool],
) {
    let at = |i: usize| para[i].and_then(|n| containers.get(n));
    let of = |i: usize| at(i).map(|c| c.name.as_str());
    let lines_in = lines_in(&of, keep);
    let Some((story, n)) = story_name(&of, prose, keep) else {
        return;
    };
    if n < MIN_RUN {
        return;
    }
    let in_story = |i: usize| keep[i] && of(i) == Some(story);
    let Some(last) = (0..keep.len()).rev().find(|&i| in_story(i)) else {
        return;
    };
    let Some(story_at) = at(last) else { return };
    for i in last + 1..keep.len() {
        if let Some(c) = at(i)
            && c.name != story
            && lines_in.get(c.name.as_str()).copied().unwrap_or(0) < MIN_RUN
            && !c.inside(story_at)
            && !(c.sibling(story_at) && texts[i].split_whitespace().count() > MAX_SIBLING_WORDS)
        {
            keep[i] = false;
        }
    }
}

/// Gives back the rights lines (`rights`: blocks dropped as the outlet's `© …` line, see
/// [`super::boiler::is_rights_line`]) that sit in the story's own container: after the
/// run's first paragraph, with the story's name or beside the run's last paragraph in the
/// same parent. A wire story carries its agency's rights line as its last `<p>` (`<p><em>©
/// 2019 Associated Press. All Rights Reserved. …</em></p>`), part of the text it licenses;
/// a site's own rights line sits in its footer, in a container of its own, and stays
/// dropped. A line given back is placed in the story's run whatever its emphasis
/// ([`super::blocks`]): it is the text the wire licenses, and an edit of it alerts. With
/// no run of [`MIN_RUN`] prose lines nothing is given back.
pub(super) fn rights_in_story(
    para: &[Option<usize>],
    prose: &[bool],
    containers: &[Container],
    rights: &[bool],
    keep: &mut [bool],
) {
    if !rights.contains(&true) {
        return;
    }
    let at = |i: usize| para[i].and_then(|n| containers.get(n));
    let of = |i: usize| at(i).map(|c| c.name.as_str());
    let Some((story, n)) = story_name(&of, prose, keep) else {
        return;
    };
    if n < MIN_RUN {
        return;
    }
    let in_run = |i: usize| keep[i] && prose[i] && of(i) == Some(story);
    let (Some(first), Some(last)) = (
        (0..keep.len()).find(|&i| in_run(i)),
        (0..keep.len()).rev().find(|&i| in_run(i)),
    ) else {
        return;
    };
    let Some(last_at) = at(last) else { return };
    for i in first + 1..keep.len() {
        if rights[i] && at(i).is_some_and(|c| c.name == story || c.sibling(last_at)) {
            keep[i] = true;
        }
    }
}

/// What [`places`] knows of each block besides its container.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Line {
    /// The `<p>` it came from ([`super::gaps::number`]).
    pub para: Option<usize>,
    /// Whether it reads as prose ([`super::boxes::is_prose`]).
    pub prose: bool,
    /// Whether any of its text sits in a link.
    pub linked: bool,
    /// Whether it is set apart by emphasis ([`super::blocks::Block::is_emphasised`]).
    pub emphasised: bool,
    /// How many words it has.
    pub words: usize,
    /// Whether it is a separator: no letter or digit (`___`, `* * *`, `—`), or the first
    /// line after a rule (`<hr>`, [`super::blocks::Block::after_rule`]).
    pub separator: bool,
}

/// Where each kept block sits against the story's run ([`Place`]), for the decision that
/// a change confined to blocks beside the story is none of the story's. Unlike
/// [`outside`], nothing is dropped, so this may judge both edges. The run goes from the
/// first paragraph of prose with the story's name to the last:
///
/// - everything inside the run is [`Place::Body`], whatever its markup (a paragraph
///   inserted without its neighbours' markup, a subheading, a quote);
/// - before and after it, a block in a container of its own is [`Place::Edge`]: a
///   `<p>` whose container is neither the story's name, nor the container of the run's
///   nearest paragraph (beside it, deeper inside it, or holding it: the story's opening
///   before a `<div>` that wraps the rest), nor one with [`MIN_RUN`] lines or more; or a
///   block in no `<p>` at all (a list, a `<div>` of text);
/// - a line beside the story's paragraphs there (the story's name, or the same parent)
///   that is no prose and holds a link is [`Place::Links`] ("Follow us on …", "Reach the
///   reporter at …"); one nested deeper (a quoted post's attribution in a
///   `<blockquote>`: measured, removing one such line was an edit the rule lost) stays
///   the story's;
/// - after a separator that follows the run's last paragraph (`___`, `* * *`, an
///   `<hr>`), a line is [`Place::Trailer`]: the outlet's notes after the story's end.
///
/// - at the run's end, the story's lines set apart by emphasis or by their own inline
///   type style where the story's paragraphs are plain are [`Place::Styled`]
///   ([`styled_end`]);
/// - anywhere, a line of [`MIN_INVITATION_WORDS`] words or more wholly emphasised in the
///   story's container, right before a box
///   with a link that cleaning removed ([`super::clean::BESIDE_BOX_ATTR`]: "We look
///   forward to your visit, book a meeting now." before a call to action), is
///   [`Place::Links`]: an invitation to the outlet's box.
///
/// Nothing is placed beside the story for being first or last: a paragraph of prose
/// added at either end of the run, in its container, is the run's unless all its letters
/// are emphasised. With no run of [`MIN_RUN`] prose lines, every block is the story's:
/// nothing then says what is beside it.
pub(super) fn places(lines: &[Line], containers: &[Container], keep: &[bool]) -> Vec<Place> {
    let mut out = vec![Place::Body; keep.len()];
    let at = |i: usize| lines[i].para.and_then(|n| containers.get(n));
    let of = |i: usize| at(i).map(|c| c.name.as_str());
    let prose: Vec<bool> = lines.iter().map(|l| l.prose).collect();
    let lines_in = lines_in(&of, keep);
    let Some((story, n)) = story_name(&of, &prose, keep) else {
        return out;
    };
    if n < MIN_RUN {
        return out;
    }
    let in_run = |i: usize| keep[i] && prose[i] && of(i) == Some(story);
    let (Some(first), Some(last)) = (
        (0..keep.len()).find(|&i| in_run(i)),
        (0..keep.len()).rev().find(|&i| in_run(i)),
    ) else {
        return out;
    };
    let (Some(first_at), Some(last_at)) = (at(first), at(last)) else {
        return out;
    };
    let mut after_separator = false;
    for i in (0..first).chain(last + 1..keep.len()) {
        if i > last && lines[i].separator {
            after_separator = true;
        }
        let near = if i < first { first_at } else { last_at };
        let story_like = at(i).is_some_and(|c| {
            c.name == story
                || c.sibling(near)
                || c.inside(near)
                || c.encloses(near)
                || lines_in.get(c.name.as_str()).copied().unwrap_or(0) >= MIN_RUN
        });
        // A line nested deeper than the story's paragraphs (a quoted post's attribution
        // in a `<blockquote>`) is a quotation of the story's, links or not.
        let beside = at(i).is_some_and(|c| c.name == story || c.sibling(near));
        out[i] = if !story_like {
            Place::Edge
        } else if beside && !prose[i] && lines[i].linked {
            Place::Links
        } else if after_separator {
            Place::Trailer
        } else {
            Place::Body
        };
    }
    let set_apart = |i: usize| lines[i].emphasised || at(i).is_some_and(|c| c.styled);
    styled_end(&in_run, &set_apart, &mut out);
    // An invitation to a box of the outlet's that cleaning removed (a call to action, a
    // sign-up button): a line of a sentence's length wholly emphasised, in the story's
    // container, right before where the box with its link stood, even between the story's
    // paragraphs. Its words may take any shape, punctuation or not.
    for i in 0..keep.len() {
        let invites = keep[i]
            && lines[i].emphasised
            && lines[i].words >= MIN_INVITATION_WORDS
            && at(i).is_some_and(|c| {
                c.before_box && (c.name == story || c.sibling(first_at) || c.sibling(last_at))
            });
        if invites && matches!(out[i], Place::Body) {
            out[i] = Place::Links;
        }
    }
    out
}

/// Marks the lines at the end of the story's run that are set apart from its plain
/// paragraphs as [`Place::Styled`], and the set-apart lines just after the run beside
/// them: by emphasis ([`Line::emphasised`]: a reporting credit in `<em>`, a "follow us"
/// line in `<i>`, a newsletter pitch in `<strong>`), or by the `<p>`'s own inline type
/// style ([`sets_type_apart`]: a company's "about" paragraphs in small grey type, a
/// comment policy in small bold type under a rule). Walking back from the run's last
/// paragraph, it stops at the first plain paragraph of the run; it marks nothing unless
/// [`MIN_RUN`] plain paragraphs of prose stay in the run (a story set wholly in italics,
/// or every paragraph in one inline style, is still the story), and only at the end: a
/// paragraph set apart between two plain ones (a quotation, a subheading) is the story's.
fn styled_end(
    in_run: &impl Fn(usize) -> bool,
    set_apart: &impl Fn(usize) -> bool,
    out: &mut [Place],
) {
    let lines = out.len();
    let plain = (0..lines).filter(|&i| in_run(i) && !set_apart(i)).count();
    if plain < MIN_RUN {
        return;
    }
    let Some(last_plain) = (0..lines).rev().find(|&i| in_run(i) && !set_apart(i)) else {
        return;
    };
    for (i, place) in out.iter_mut().enumerate().skip(last_plain + 1) {
        if set_apart(i) && matches!(place, Place::Body) {
            *place = Place::Styled;
        }
    }
}
