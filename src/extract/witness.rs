//! The page's own word on which lines are its story: the JSON-LD `articleBody`.
//!
//! The rules of [`super::blocks`] judge a line by its markup and place: an outlet's
//! rights line, a line set apart by emphasis at the story's end, a line in a container of
//! its own are dropped or placed beside the story, so that their changes alert no one.
//! Most of the time that is what a reader calls the article. But a page that declares its
//! article's text in a `NewsArticle` JSON-LD block says itself which lines belong to it:
//! a line the rules set aside that the `articleBody` holds (a closing line in italics, a
//! station's rights line in a card of its own) is the story's, and an edit there is an
//! edit of the story.
//!
//! The declaration is only believed when it is the story the HTML shows: most of the
//! lines the rules placed in the story's run must be in it (a teaser-length
//! `articleBody`, or another article's, vouches for nothing). A line is in it when most of
//! its words, and most of its pairs of neighbouring words, are (UAX #29 words, lower
//! case, so it holds in every script): the visible line may already carry an edit the
//! structured data does not, or the other way round, and a line of a few words is too
//! short to tell. Links are never vouched for: a box of other stories stays a box.

use std::collections::{HashMap, HashSet};

use crate::diff::tokenize::{is_word, tokenize};
use crate::text::Place;

/// A line needs this many words for the `articleBody` to vouch for it, or to count in
/// judging whether the `articleBody` is the story's.
const MIN_WORDS: usize = 5;

/// The share of a line's words that the `articleBody` must hold.
const WORD_SHARE: f64 = 0.8;

/// The share of a line's pairs of neighbouring words that the `articleBody` must hold.
const PAIR_SHARE: f64 = 0.6;

/// The share of the run's lines (of [`MIN_WORDS`] or more) that the `articleBody` must
/// hold for it to be believed.
const RUN_SHARE: f64 = 0.8;

/// The fewest lines of the run the `articleBody` must hold to be believed.
const MIN_RUN_LINES: usize = 3;

/// The words, and pairs of neighbouring words, of a page's `articleBody`: each word by
/// its number, each pair by its two words' numbers.
#[derive(Debug, Default)]
pub(super) struct Witness {
    words: HashMap<String, u32>,
    pairs: HashSet<(u32, u32)>,
}

impl Witness {
    /// The witness of an `articleBody`'s paragraphs; `None` when they hold no word.
    pub(super) fn new(paragraphs: &[String]) -> Option<Witness> {
        let mut w = Witness::default();
        for p in paragraphs {
            let mut previous = None;
            for word in words(p) {
                let next = u32::try_from(w.words.len()).unwrap_or(u32::MAX);
                let id = *w.words.entry(word).or_insert(next);
                if let Some(before) = previous {
                    w.pairs.insert((before, id));
                }
                previous = Some(id);
            }
        }
        (!w.words.is_empty()).then_some(w)
    }

    /// Whether the `articleBody` holds a line of these `words` (see the module doc); a
    /// line of fewer than [`MIN_WORDS`] words is never held.
    fn holds(&self, words: &[String]) -> bool {
        if words.len() < MIN_WORDS {
            return false;
        }
        let ids: Vec<Option<u32>> = words.iter().map(|w| self.words.get(w).copied()).collect();
        let held = ids.iter().flatten().count();
        let pairs_held = ids
            .windows(2)
            .filter(|p| matches!(p, [Some(a), Some(b)] if self.pairs.contains(&(*a, *b))))
            .count();
        held as f64 >= WORD_SHARE * words.len() as f64
            && pairs_held as f64 >= PAIR_SHARE * (words.len() - 1) as f64
    }
}

/// The word tokens of `text`, in lower case. A token that holds a `.` or `:` between a
/// small letter and a capital is two words: an `articleBody` whose paragraphs were joined
/// without a break (`…smaller than Earth’s Moon.Copyright 2019 …`) is one token there.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in tokenize(text).into_iter().filter(|t| is_word(t)) {
        let mut start = 0;
        let chars: Vec<(usize, char)> = token.char_indices().collect();
        for w in chars.windows(3) {
            let [(_, before), (at, mark), (_, after)] = [w[0], w[1], w[2]];
            if matches!(mark, '.' | ':') && before.is_lowercase() && after.is_uppercase() {
                out.push(token[start..at].to_lowercase());
                start = at + mark.len_utf8();
            }
        }
        out.push(token[start..].to_lowercase());
    }
    out
}

/// Gives the story the lines the `articleBody` holds that the rules dropped or placed
/// beside it: `texts` are the blocks' normalised texts, `linked` whether a block holds a
/// link, `keep` and `places` what the rules decided. Nothing changes unless the witness
/// holds [`RUN_SHARE`] of the run's lines (at least [`MIN_RUN_LINES`]).
pub(super) fn vouch(
    witness: &Witness,
    texts: &[&str],
    linked: &[bool],
    keep: &mut [bool],
    places: &mut [Place],
) {
    let words: Vec<Vec<String>> = texts.iter().map(|t| words(t)).collect();
    let run: Vec<usize> = (0..texts.len())
        .filter(|&i| keep[i] && places[i] == Place::Body && words[i].len() >= MIN_WORDS)
        .collect();
    let held = run.iter().filter(|&&i| witness.holds(&words[i])).count();
    if held < MIN_RUN_LINES || (held as f64) < RUN_SHARE * run.len() as f64 {
        return;
    }
    for i in 0..texts.len() {
        let aside = !keep[i] || places[i] != Place::Body;
        if aside && !linked[i] && witness.holds(&words[i]) {
            keep[i] = true;
            places[i] = Place::Body;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Witness {
        fn holds_text(&self, text: &str) -> bool {
            self.holds(&words(text))
        }
    }

    fn witness(paragraphs: &[&str]) -> Witness {
        let owned: Vec<String> = paragraphs.iter().map(|p| p.to_string()).collect();
        Witness::new(&owned).expect("words")
    }

    #[test]
    fn holds_a_line_with_one_word_changed_but_not_a_short_or_foreign_one() {
        let w = witness(&["Copyright 2019 Hawaii News Now. All rights reserved."]);
        assert!(w.holds_text("Copyright 2019 Hawaii News Now. All rights reserved."));
        assert!(w.holds_text("Copyright 2020 Hawaii News Now. All rights reserved."));
        assert!(!w.holds_text("All rights reserved."), "too short to tell");
        assert!(!w.holds_text("Copyright 2019 another outlet entirely, every right kept."));
    }

    #[test]
    fn paragraphs_joined_without_a_break_are_words_apart() {
        assert_eq!(
            words("Earth’s Moon.Copyright U.S. 3.5"),
            ["earth’s", "moon", "copyright", "u.s", "3.5"]
        );
        let w = witness(&[
            "The story ends on the Moon.Copyright 2019 Hawaii News Now. All rights reserved.",
        ]);
        assert!(w.holds_text("Copyright 2020 Hawaii News Now. All rights reserved."));
    }

    #[test]
    fn holds_words_of_any_script() {
        let w = witness(&["版权所有 © 2019 夏威夷新闻台 保留所有权利"]);
        assert!(w.holds_text("版权所有 © 2020 夏威夷新闻台 保留所有权利"));
    }

    const STORY: &[&str] = &[
        "The council voted on Tuesday to close the old bridge for repairs.",
        "Residents of the eastern bank will have to drive around through town.",
        "Engineers found cracks in two of its piers during a routine inspection.",
        "Work should start in the spring and last for about eighteen months.",
    ];

    fn run(n: usize) -> Vec<String> {
        STORY[..n].iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn vouches_for_a_set_aside_line_only_when_it_holds_the_run() {
        let mut body = run(4);
        body.push("Copyright 2019 Hawaii News Now. All rights reserved.".into());
        let mut lines = run(4);
        lines.push("Copyright 2021 Hawaii News Now. All rights reserved.".into());
        lines.push("Read more stories like this one at our home page today.".into());
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        let linked = [false, false, false, false, false, true];

        // What `vouch` decides with an articleBody of these paragraphs.
        let vouched = |body: &[String]| {
            let (mut keep, mut places) = (
                vec![true, true, true, true, false, false],
                vec![Place::Body; 6],
            );
            let witness = Witness::new(body).expect("words");
            vouch(&witness, &texts, &linked, &mut keep, &mut places);
            (keep, places)
        };

        let (keep, places) = vouched(&body);
        assert!(
            keep[4],
            "the rights line the articleBody holds is the story's"
        );
        assert_eq!(places[4], Place::Body);
        assert!(!keep[5], "a line with a link is never vouched for");

        // An articleBody with only the rights line and one paragraph is not the story's.
        let teaser = vec![body[0].clone(), body[4].clone()];
        let (keep, _) = vouched(&teaser);
        assert!(!keep[4]);
    }

    #[test]
    fn moves_a_line_placed_beside_the_story_into_it() {
        let mut body = run(3);
        body.push("This story was first published by our partners in the region.".into());
        let texts: Vec<&str> = body.iter().map(String::as_str).collect();
        let mut keep = vec![true; 4];
        let mut places = vec![Place::Body, Place::Body, Place::Body, Place::Styled];
        vouch(
            &Witness::new(&body).expect("words"),
            &texts,
            &[false; 4],
            &mut keep,
            &mut places,
        );
        assert_eq!(places[3], Place::Body);
    }
}
