//! The main content as blocks of text, and the last sieve over them.
//!
//! A stored copy is a list of paragraphs, with each subheading a paragraph of its own, so
//! the content element is walked in document order and cut at every block-level element.
//! Inline markup (links, emphasis, spans) only joins text. Each block remembers how much
//! of its text sits in links and whether it was a heading, which is what the final sieve
//! needs: a block that is mostly links, or that opens with "ALSO READ" or "Related:", is a
//! box of other stories that survived inside the body; [`super::boxes`] judges the links
//! and [`super::boiler`] the words. A box's title goes with it whatever its language: a
//! few words that are no sentence ([`super::roles::is_box_title`]) just before a block of
//! links are that box's heading ("Most read", "Lesen Sie auch", "Te puede interesar"),
//! and would otherwise stay behind and change whenever the box comes and goes. Two more
//! judge a line beside the story (before its first paragraph of prose or after its last)
//! by its shape, so that a change of its words cannot bring it back: a label of one or
//! two words that is no sentence, heading or list item ("Comments", "Text size", "Leggi
//! anche"), and a line that is no prose and holds a web or mail address.

use dom_query::{LocalName, NodeData, NodeRef, local_name};

use super::template::{Template, shape};
use crate::text::{Place, normalize};

/// One block of text from the content, in page order.
#[derive(Debug, Default)]
pub(super) struct Block {
    /// The text, not yet normalised.
    pub text: String,
    /// Bytes of `text` that came from inside links.
    pub link_bytes: usize,
    /// Words of `text` outside links (counted per text node).
    pub non_link_words: usize,
    /// Whether the block is a heading (`<h2>` … `<h6>`).
    pub heading: bool,
    /// Whether the block is a list item.
    pub list_item: bool,
    /// The number [`super::gaps::mark`] gave the page's `<p>` this block lies in, if any.
    pub para: Option<usize>,
    /// Letters and digits of `text` inside emphasis ([`is_emphasis`]).
    pub emphasised: usize,
    /// Letters and digits of `text` neither inside emphasis nor inside a link.
    pub plain: usize,
    /// Whether a rule (`<hr>`) came between the previous block and this one.
    pub after_rule: bool,
    /// Whether it sits in a `<blockquote>`: a quotation (an embedded post), the story's.
    pub quoted: bool,
    /// The number [`super::gaps::mark`] gave the text holder this block lies in, if any
    /// ([`super::gaps::holder`]: a story set in no `<p>`).
    pub holder: Option<usize>,
}

impl Block {
    /// Whether the block is set apart by emphasis: every letter of it outside links sits
    /// in `<em>`, `<i>`, `<strong>`, `<b>` or `<small>` (`(<em>Reporting by …</em>)`,
    /// `<i>Follow us on </i><a>…</a>`).
    pub fn is_emphasised(&self) -> bool {
        self.emphasised > 0 && self.plain == 0
    }
}

/// Inline elements that set a line apart from the story's plain paragraphs.
fn is_emphasis(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("em")
            | local_name!("i")
            | local_name!("strong")
            | local_name!("b")
            | local_name!("small")
    )
}

/// Elements that start and end a block.
fn is_block(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("p")
            | local_name!("div")
            | local_name!("section")
            | local_name!("article")
            | local_name!("main")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("li")
            | local_name!("dl")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("blockquote")
            | local_name!("pre")
            | local_name!("table")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
            | local_name!("caption")
            | local_name!("figure")
            | local_name!("br")
            | local_name!("hr")
            | local_name!("center")
            | local_name!("address")
            | local_name!("details")
            | local_name!("summary")
            | local_name!("header")
            | local_name!("footer")
    )
}

/// Whether an element ends a run of text: a block, or an element whose content is never
/// text of the article.
pub(super) fn breaks_text(node: &NodeRef<'_>) -> bool {
    node.query_or(false, |n| match &n.data {
        NodeData::Element(e) => is_block(&e.name.local) || is_skipped(&e.name.local),
        _ => false,
    })
}

/// Elements whose content is never text of the article.
fn is_skipped(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("script")
            | local_name!("style")
            | local_name!("noscript")
            | local_name!("template")
            | local_name!("figcaption")
            | local_name!("button")
            | local_name!("select")
            | local_name!("textarea")
            | local_name!("svg")
            | local_name!("math")
            | local_name!("iframe")
    )
}

enum Step<'a> {
    Enter(NodeRef<'a>),
    Leave(LocalName),
    /// Leaving a marked paragraph: the paragraph number in force outside it.
    LeavePara(Option<usize>),
    /// Leaving a text holder: the holder number in force outside it.
    LeaveHolder(Option<usize>),
}

/// Walks the content element into blocks. Iterative, so that a page nested thousands of
/// levels deep cannot overflow the stack.
pub(super) fn collect(root: &NodeRef<'_>) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut cur = Block::default();
    let mut in_link = 0usize;
    let mut in_emphasis = 0usize;
    let mut in_quote = 0usize;
    let mut para = None;
    let mut holder = None;
    // A `<hr>` seen since the last block: the next block comes after a rule.
    let mut rule = false;
    let mut stack = vec![Step::Enter(*root)];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Leave(name) => {
                if name == local_name!("a") {
                    in_link = in_link.saturating_sub(1);
                } else if is_emphasis(&name) {
                    in_emphasis = in_emphasis.saturating_sub(1);
                } else if is_block(&name) {
                    flush(&mut blocks, &mut cur, para, holder);
                    if name == local_name!("blockquote") {
                        in_quote = in_quote.saturating_sub(1);
                    }
                }
                continue;
            }
            Step::LeavePara(outer) => {
                para = outer;
                continue;
            }
            Step::LeaveHolder(outer) => {
                holder = outer;
                continue;
            }
            Step::Enter(node) => node,
        };
        enum Kind {
            Text(String),
            Element(LocalName),
            Other,
        }
        let kind = node.query_or(Kind::Other, |n| match &n.data {
            NodeData::Text { contents } => Kind::Text(contents.to_string()),
            NodeData::Element(e) => Kind::Element(e.name.local.clone()),
            NodeData::Document | NodeData::Fragment => Kind::Element(local_name!("div")),
            _ => Kind::Other,
        });
        match kind {
            Kind::Text(text) => {
                if rule && !text.trim().is_empty() {
                    cur.after_rule = true;
                    rule = false;
                }
                if in_quote > 0 && !text.trim().is_empty() {
                    cur.quoted = true;
                }
                let letters = text.chars().filter(|c| c.is_alphanumeric()).count();
                if in_emphasis > 0 {
                    cur.emphasised += letters;
                } else if in_link == 0 {
                    cur.plain += letters;
                }
                if in_link > 0 {
                    cur.link_bytes += text.len();
                } else {
                    cur.non_link_words += text.split_whitespace().count();
                }
                cur.text.push_str(&text);
            }
            Kind::Element(name) => {
                if is_skipped(&name) {
                    continue;
                }
                if is_block(&name) {
                    flush(&mut blocks, &mut cur, para, holder);
                    if name == local_name!("hr") {
                        rule = true;
                    } else if name == local_name!("blockquote") {
                        in_quote += 1;
                    }
                    cur.heading = matches!(
                        name,
                        local_name!("h1")
                            | local_name!("h2")
                            | local_name!("h3")
                            | local_name!("h4")
                            | local_name!("h5")
                            | local_name!("h6")
                    );
                    cur.list_item = name == local_name!("li");
                } else if name == local_name!("a") {
                    in_link += 1;
                } else if is_emphasis(&name) {
                    in_emphasis += 1;
                }
                if let Some(n) = super::gaps::number(&node) {
                    stack.push(Step::LeavePara(para));
                    para = Some(n);
                }
                if let Some(n) = super::gaps::holder(&node) {
                    stack.push(Step::LeaveHolder(holder));
                    holder = Some(n);
                }
                stack.push(Step::Leave(name));
                let mut child = node.last_child();
                while let Some(c) = child {
                    child = c.prev_sibling();
                    stack.push(Step::Enter(c));
                }
            }
            Kind::Other => {}
        }
    }
    flush(&mut blocks, &mut cur, para, holder);
    blocks
}

/// Ends the current block. A block that holds only whitespace is dropped, but its kind is
/// kept for the text that follows (`<li><p>text</p></li>` is still a list item). `para` is
/// the marked paragraph the block ends in, `holder` the text holder.
fn flush(blocks: &mut Vec<Block>, cur: &mut Block, para: Option<usize>, holder: Option<usize>) {
    if cur.text.trim().is_empty() {
        cur.text.clear();
        cur.link_bytes = 0;
        cur.non_link_words = 0;
        cur.emphasised = 0;
        cur.plain = 0;
        cur.after_rule = false;
        cur.quoted = false;
        return;
    }
    cur.para = para;
    cur.holder = holder;
    blocks.push(std::mem::take(cur));
}

/// Fewer lines of prose in `<p>`s than this make no run of the story's paragraphs
/// (`super::run`'s own measure), and the text holders are looked at instead.
const MIN_RUN: usize = 3;

/// Turns blocks into the copy's paragraphs: normalised, boilerplate and the site's
/// learned furniture dropped, and the headline not repeated; with where each sat, and the
/// shapes of the blocks kept before the template was applied, for learning it.
pub(super) fn finish(
    blocks: Vec<Block>,
    containers: &[super::run::Container],
    headline: &str,
    template: &Template,
    witness: Option<&super::witness::Witness>,
) -> Finished {
    let mut kept = Vec::with_capacity(blocks.len());
    let texts: Vec<(String, &Block)> = blocks
        .iter()
        .map(|b| (normalize(&b.text), b))
        .filter(|(t, _)| !t.is_empty() && t != headline)
        .collect();
    // Measured against the raw text, as `link_bytes` is.
    let link_box: Vec<bool> = texts
        .iter()
        .map(|(_, b)| super::boxes::is_link_box(b.text.trim(), b.link_bytes, b.non_link_words))
        .collect();
    let mut keep: Vec<bool> = (0..texts.len())
        .map(|i| !link_box[i] && !super::boiler::is_boilerplate(&texts[i].0))
        .collect();
    // The title of a box of links ("Most read", "Lesen Sie auch", in any language): a few
    // words that are no sentence, just before the box. Its links go above; the title, a
    // heading or a bold line of its own, would stay and change with the box.
    for i in 1..texts.len() {
        if link_box[i] && !link_box[i - 1] && super::roles::is_box_title(&texts[i - 1].0) {
            keep[i - 1] = false;
        }
    }
    // Beside the story: labels ("Comments", "Text size", in any words), and lines with a
    // web or mail address ("Follow our coverage at https://…", a reporter's address).
    edges(&texts, &mut keep);
    // Beside the story in a container of their own: the outlet's lines of prose.
    let para: Vec<Option<usize>> = texts.iter().map(|(_, b)| b.para).collect();
    let prose: Vec<bool> = texts
        .iter()
        .map(|(t, b)| {
            !b.heading && !b.list_item && super::boxes::is_prose(t, b.link_bytes, b.non_link_words)
        })
        .collect();
    let words: Vec<&str> = texts.iter().map(|(t, _)| t.as_str()).collect();
    super::run::outside(&words, &para, &prose, containers, &mut keep);
    // A wire story's rights line, the story's own last paragraph, is the story's.
    let rights: Vec<bool> = texts
        .iter()
        .enumerate()
        .map(|(i, (t, _))| !keep[i] && !link_box[i] && super::boiler::is_rights_line(t))
        .collect();
    super::run::rights_in_story(&para, &prose, containers, &rights, &mut keep);
    // Where each kept block sits against the story's run, for the decision. With too few
    // `<p>`s of prose for a run, the story may be set in no `<p>`: its blocks then take
    // the container of the text holder they lie in.
    let in_p = (0..texts.len())
        .filter(|&i| keep[i] && prose[i] && para[i].is_some())
        .count();
    let by_holder = in_p < MIN_RUN;
    let lines: Vec<super::run::Line> = texts
        .iter()
        .enumerate()
        .map(|(i, (t, b))| super::run::Line {
            para: if by_holder {
                b.para.or(b.holder)
            } else {
                b.para
            },
            // A line set apart by emphasis does not delimit the run: the run is the
            // story's plain paragraphs, and an emphasised line at its edge (a newsletter
            // pitch in `<strong>` before it, a curator's line in `<em>` after it) is
            // judged beside it, whatever its words and so whatever their shape.
            prose: prose[i] && !b.is_emphasised(),
            linked: b.link_bytes > 0,
            emphasised: b.is_emphasised(),
            words: t.split_whitespace().count(),
            separator: b.after_rule || !t.chars().any(char::is_alphanumeric),
        })
        .collect();
    let mut places = super::run::places(&lines, containers, &keep);
    styled_tail(&texts, &keep, containers, &mut places);
    short_post_tail(&texts, &keep, &prose, &mut places);
    // A rights line given back as the story's own (a wire story's licence, the text it
    // licenses) is compared as the story is, emphasised or not.
    for i in 0..texts.len() {
        if rights[i] && keep[i] {
            places[i] = Place::Body;
        }
    }
    // Last, the page's own word: a line its `articleBody` holds is the story's.
    if let Some(witness) = witness {
        let linked: Vec<bool> = lines.iter().map(|l| l.linked).collect();
        super::witness::vouch(witness, &words, &linked, &mut keep, &mut places);
    }
    for (i, (text, _)) in texts.iter().enumerate() {
        if keep[i] {
            kept.push((text.clone(), places[i]));
        }
    }
    let shapes: Vec<String> = kept.iter().map(|(t, _)| shape(t)).collect();
    let learned: Vec<(String, Place)> = kept
        .iter()
        .filter(|(t, _)| !template.is_furniture(t))
        .cloned()
        .collect();
    // A template that would leave nothing is this story seen under another address.
    let out = if learned.is_empty() { kept } else { learned };
    let (paragraphs, places) = out.into_iter().unzip();
    Finished {
        paragraphs,
        places,
        shapes,
    }
}

/// The most lines a page with no run may end with in their own type style.
const MAX_STYLED_TAIL: usize = 2;

/// Places the last lines of a page with no run (too few lines of prose for
/// [`super::run::places`] to measure against, a calendar, a table of results) that are
/// set apart by their own inline type style as [`Place::Styled`], as the styled lines
/// at a run's end are: at most [`MAX_STYLED_TAIL`] of them, each a `<p>` whose own
/// `style` sets a size, weight, colour or border, after more lines that set none (a
/// comment policy in small bold type under a rule). A page styled throughout, or one
/// whose last lines are plain, is left whole.
fn styled_tail(
    texts: &[(String, &Block)],
    keep: &[bool],
    containers: &[super::run::Container],
    places: &mut [Place],
) {
    if places.iter().any(|p| *p != Place::Body) {
        return;
    }
    let styled = |i: usize| {
        texts[i]
            .1
            .para
            .and_then(|n| containers.get(n))
            .is_some_and(super::run::Container::styled)
    };
    let kept: Vec<usize> = (0..texts.len()).filter(|&i| keep[i]).collect();
    let tail = kept.iter().rev().take_while(|&&i| styled(i)).count();
    let before = kept.len() - tail;
    if tail == 0 || tail > MAX_STYLED_TAIL || before <= tail {
        return;
    }
    if kept[..before].iter().any(|&i| styled(i)) {
        return;
    }
    for &i in &kept[before..] {
        places[i] = Place::Styled;
    }
}

/// A pointer line has at most this many words.
const MAX_POINTER_WORDS: usize = 12;

/// The paragraph before a pointer line has at least this many times its words.
const POINTER_RATIO: usize = 3;

/// Places the last line of a short post beside it when it points elsewhere: on a page
/// too short for a run (fewer than [`MIN_RUN`] lines of prose, so [`super::run::places`]
/// placed everything in the story), a last line of one short sentence (at most
/// [`MAX_POINTER_WORDS`] words) that holds a link, after a paragraph of prose with
/// [`POINTER_RATIO`] times its words, is the outlet's pointer to another page ("You can
/// view last month's thread here."), measured against the post's own first paragraph
/// rather than a run. It becomes [`Place::Links`]; a post of one line, or one whose last
/// line is as long as a paragraph or holds no link, is left whole.
fn short_post_tail(
    texts: &[(String, &Block)],
    keep: &[bool],
    prose: &[bool],
    places: &mut [Place],
) {
    let kept: Vec<usize> = (0..texts.len()).filter(|&i| keep[i]).collect();
    let prose_lines = kept.iter().filter(|&&i| prose[i]).count();
    if prose_lines >= MIN_RUN || places.iter().any(|p| *p != Place::Body) {
        return;
    }
    let (Some(&last), Some(&first)) = (kept.last(), kept.iter().find(|&&i| prose[i])) else {
        return;
    };
    let (text, block) = &texts[last];
    let words = text.split_whitespace().count();
    let sentences = text
        .split_inclusive(['.', '!', '?', '。'])
        .filter(|s| s.chars().any(char::is_alphanumeric))
        .count();
    let lead_words = texts[first].0.split_whitespace().count();
    if first != last
        && block.link_bytes > 0
        && !block.heading
        && !block.quoted
        && sentences == 1
        && words <= MAX_POINTER_WORDS
        && lead_words >= POINTER_RATIO * words
    {
        places[last] = Place::Links;
    }
}

/// What [`finish`] makes of the blocks.
#[derive(Debug, Default)]
pub(super) struct Finished {
    /// The copy's paragraphs.
    pub paragraphs: Vec<String>,
    /// Where each of them sat ([`super::run::places`]).
    pub places: Vec<Place>,
    /// The shapes of the blocks kept before the template was applied.
    pub shapes: Vec<String>,
}

/// Drops the blocks before the story's first paragraph of prose and after its last that
/// are labels ([`is_label`]) or, no prose themselves, hold a web or mail address: a
/// "follow us" or "full coverage at" line, a reporter's address. Between two paragraphs
/// of prose a label is a subheading of the story and stays, and so does an address inside
/// the story's sentences or in a quotation (`<blockquote>`: an embedded post, its
/// `pic.twitter.com/…` link the quoted author's).
fn edges(texts: &[(String, &Block)], keep: &mut [bool]) {
    let prose = |i: usize| {
        let (t, b) = &texts[i];
        !b.heading && !b.list_item && super::boxes::is_prose(t, b.link_bytes, b.non_link_words)
    };
    let Some(first) = (0..texts.len()).find(|&i| keep[i] && prose(i)) else {
        return;
    };
    let Some(last) = (0..texts.len()).rev().find(|&i| keep[i] && prose(i)) else {
        return;
    };
    for i in (0..first).chain(last + 1..texts.len()) {
        let (text, block) = &texts[i];
        if is_label(text, block) || (!prose(i) && !block.quoted && has_address(text)) {
            keep[i] = false;
        }
    }
}

/// Whether a text holds a web or mail address: `https://…`, `www.…`, `name@host.tld`,
/// `host.tld/path`, or a bare `host.tld` (`Entermedia.co.kr`, `example.com`: a name, a
/// dot, and a top-level domain of two to six small letters).
fn has_address(text: &str) -> bool {
    text.split_whitespace().any(|t| {
        let t = t.trim_matches(|c: char| !c.is_alphanumeric());
        is_bare_domain(t)
            || t.contains("://")
            || t.starts_with("www.")
            || t.split_once('@')
                .is_some_and(|(u, h)| !u.is_empty() && h.contains('.') && !h.ends_with('.'))
            || t.split_once('/').is_some_and(|(h, _)| {
                h.contains('.')
                    && h.rsplit('.').next().is_some_and(|tld| {
                        tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
                    })
            })
    })
}

/// `host.tld`, `host.co.kr`: labels of letters, digits and hyphens joined by dots, the
/// first with a letter, the last two to six small ASCII letters. `U.S`, `3.5` and
/// `Mr.Smith` are none.
fn is_bare_domain(t: &str) -> bool {
    let labels: Vec<&str> = t.split('.').collect();
    let (Some(first), Some(tld)) = (labels.first(), labels.last()) else {
        return false;
    };
    labels.len() >= 2
        && (2..=6).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_lowercase())
        && first.chars().any(char::is_alphabetic)
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// A label has at most this many words.
const MAX_LABEL_WORDS: usize = 2;

/// Whether a block is a label of the page, not a line of the story: one or two words that
/// are no sentence and no heading or list item ("Comments", "Text size", "Highlights",
/// "Leggi anche"), the kind of line a button, a tab or a tally leaves behind.
fn is_label(text: &str, block: &Block) -> bool {
    !block.heading
        && !block.list_item
        && text.split_whitespace().count() <= MAX_LABEL_WORDS
        && !text
            .trim_end()
            .ends_with(['.', '!', '?', '"', '”', '’', '»', '。', '…'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_domains_are_addresses_and_abbreviations_are_not() {
        for t in [
            "Entermedia.co.kr",
            "example.com",
            "harbour-daily.example.org",
        ] {
            assert!(is_bare_domain(t), "{t}");
        }
        for t in ["U.S", "3.5", "Mr.Smith", "e.g", "No.1", ".com", "a..com"] {
            assert!(!is_bare_domain(t), "{t}");
        }
        assert!(has_address("Copyright Entermedia.co.kr. All rights"));
        assert!(!has_address("The U.S. economy grew 3.5 percent."));
    }
}
