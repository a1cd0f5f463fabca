//! Blocks that are boilerplate by their words alone.
//!
//! Cleaning by markup ([`super::clean`]) misses what sites mark up as ordinary paragraphs:
//! the "Updated 1:39 am EST, Wednesday" line, a lone "Comments" or "Tags" label, "Image 1
//! of 23" gallery counters, "1.2K Shares" and "Comments (14)" tallies, date lines in any
//! language ("22 de janeiro de 2018 às 0:13"), copyright lines, "ALSO READ" and
//! newsletter pitches. Each of
//! these changes (or comes and goes) without the story changing, so it must not reach the
//! copy. The tests here are deliberately narrow: short blocks only, and whole-block
//! matches or openings, so that a real paragraph is never lost to them.

/// Openings of boxes that point at other stories or sell something; matched on short
/// blocks only.
const PROMO_OPENINGS: &[&str] = &[
    "also read",
    "read also",
    "read more",
    "related:",
    "related stories",
    "related articles",
    "related coverage",
    "related news",
    "recommended",
    "most read",
    "more from",
    "see also",
    "you may also like",
    "you might also like",
    "like this story",
    "share this",
    "follow us",
    "sign up for",
    "subscribe to",
    "click here to",
    "want more stories like this",
    "don't miss",
    "don’t miss",
    "filed under",
    "this document is subject to copyright",
    "copyright",
    "©",
    "(c) ",
];

/// Whole-block labels (lower case, trailing colon or full stop ignored).
const LABELS: &[&str] = &[
    "advertisement",
    "caption",
    "close",
    "comment",
    "comments",
    "continue reading",
    "email",
    "hide caption",
    "highlights",
    "image",
    "latest news",
    "listen",
    "loading",
    "most popular",
    "next",
    "photo",
    "play",
    "previous",
    "print",
    "related",
    "share",
    "share this article",
    "show more",
    "something to consider",
    "sponsored",
    "subscribe",
    "tags",
    "text size",
    "top stories",
    "toggle caption",
    "trending",
    "video",
];

/// Copyright signs: a short block that holds one is the outlet's rights line in any
/// language (`저작권자 ⓒ …`, `Copyright © 2024 …`), whatever words surround the sign.
const COPYRIGHT_SIGNS: &[char] = &['©', 'ⓒ', 'Ⓒ'];

/// A block longer than this is prose, whatever it opens with.
const MAX_PROMO_CHARS: usize = 250;

/// Longest dateline considered.
const MAX_DATELINE_CHARS: usize = 90;

/// Whether a normalised block is boilerplate by its words.
pub(super) fn is_boilerplate(text: &str) -> bool {
    let chars = text.chars().count();
    if chars > MAX_PROMO_CHARS {
        return false;
    }
    let lower = text.to_lowercase();
    let label = lower.trim_end_matches([':', '.', ' ', '|']);
    LABELS.contains(&label)
        || PROMO_OPENINGS.iter().any(|p| lower.starts_with(p))
        || lower.contains("all rights reserved")
        || lower.contains(COPYRIGHT_SIGNS)
        || (chars <= MAX_DATELINE_CHARS
            && (is_dateline(&lower)
                || is_counter(&lower)
                || is_tally(&lower)
                || is_timestamp(&lower)))
}

/// Whether a normalised block is the outlet's rights line (`© 2019 Associated Press. All
/// Rights Reserved.`, `Copyright …`, `저작권자 ⓒ …`), one of the blocks [`is_boilerplate`]
/// drops: [`super::run::rights_in_story`] gives back the one a wire story carries as its
/// own last line.
pub(super) fn is_rights_line(text: &str) -> bool {
    if text.chars().count() > MAX_PROMO_CHARS {
        return false;
    }
    let lower = text.to_lowercase();
    ["copyright", "©", "(c) "]
        .iter()
        .any(|p| lower.starts_with(p))
        || lower.contains("all rights reserved")
        || lower.contains(COPYRIGHT_SIGNS)
}

/// What a tally counts: `1.2K Shares`, `Comments (14)`, `12,345 views`.
const TALLY_NOUNS: &[&str] = &[
    "comment",
    "comments",
    "share",
    "shares",
    "view",
    "views",
    "like",
    "likes",
    "reaction",
    "reactions",
    "reply",
    "replies",
    "response",
    "responses",
    "vote",
    "votes",
    "clap",
    "claps",
    "retweet",
    "retweets",
    "reader",
    "readers",
];

/// Other words of a tally line: `View all comments (14)`, `Join the conversation`.
const TALLY_FILLERS: &[&str] = &[
    "view",
    "show",
    "see",
    "all",
    "join",
    "the",
    "conversation",
    "total",
];

/// Longest tally considered, in words.
const MAX_TALLY_WORDS: usize = 6;

/// Share, view and comment counters: only numbers (`14`, `1.2K`, `12,345`), counted
/// nouns and a few fillers, at least one number and one noun.
fn is_tally(lower: &str) -> bool {
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == ','))
        .map(|w| w.trim_matches(['.', ',']))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > MAX_TALLY_WORDS {
        return false;
    }
    let (mut numbers, mut nouns) = (0, 0);
    for w in &words {
        let digits = w.trim_end_matches(['k', 'm']);
        if digits.starts_with(|c: char| c.is_ascii_digit())
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            numbers += 1;
        } else if TALLY_NOUNS.contains(w) {
            nouns += 1;
        } else if !TALLY_FILLERS.contains(w) {
            return false;
        }
    }
    numbers > 0 && nouns > 0
}

/// Longest time stamp considered, in words.
const MAX_STAMP_WORDS: usize = 10;

/// A date line in any language: a clock time (`0:13`, `17:05`) and a year, in a short line
/// that does not end like a sentence (`segunda-feira, 22 de janeiro de 2018 às 0:13`).
fn is_timestamp(lower: &str) -> bool {
    if lower.split_whitespace().count() > MAX_STAMP_WORDS
        || lower.trim_end().ends_with(['.', '!', '?', '"', '”'])
    {
        return false;
    }
    let tokens = || lower.split(|c: char| !(c.is_alphanumeric() || c == ':'));
    let clock = tokens().any(|t| {
        let mut parts = t.split(':');
        let hours = parts.next().unwrap_or("");
        let minutes = parts.next().unwrap_or("");
        (1..=2).contains(&hours.len())
            && minutes.len() == 2
            && hours
                .chars()
                .chain(minutes.chars())
                .all(|c| c.is_ascii_digit())
    });
    let year = tokens().any(|t| {
        t.len() == 4
            && (t.starts_with("19") || t.starts_with("20"))
            && t.chars().all(|c| c.is_ascii_digit())
    });
    clock && year
}

/// Words that make up a dateline besides numbers.
const DATE_WORDS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
    "mon",
    "monday",
    "tue",
    "tues",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thur",
    "thurs",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
    "am",
    "pm",
    "a",
    "m",
    "p",
    "est",
    "edt",
    "cst",
    "cdt",
    "mst",
    "mdt",
    "pst",
    "pdt",
    "gmt",
    "utc",
    "bst",
    "cet",
    "cest",
    "ist",
    "et",
    "pt",
    "updated",
    "published",
    "posted",
    "modified",
    "last",
    "first",
    "on",
    "at",
    "by",
    "date",
    "time",
    "st",
    "nd",
    "rd",
    "th",
    "ago",
    "hours",
    "hour",
    "minutes",
    "minute",
    "days",
    "day",
    "h",
    "min",
];

/// `Updated 1:39 am EST, Wednesday, November 20, 2019`, `Posted: Fri 6:45 PM, Feb 16, 2018`,
/// `August 08, 2018`: only date words and numbers, at least one number.
fn is_dateline(lower: &str) -> bool {
    let mut has_number = false;
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if word.chars().all(|c| c.is_ascii_digit()) {
            has_number = true;
            continue;
        }
        // `20th`, `1st`
        let trimmed = word.trim_start_matches(|c: char| c.is_ascii_digit());
        if trimmed.len() < word.len() && DATE_WORDS.contains(&trimmed) {
            has_number = true;
            continue;
        }
        if !DATE_WORDS.contains(&word) {
            return false;
        }
    }
    has_number
}

/// Gallery counters: `Image 1 of / 23`, `1 of 6`, `3/12`.
fn is_counter(lower: &str) -> bool {
    let rest = ["image", "photo", "slide", "picture"]
        .iter()
        .find_map(|w| lower.strip_prefix(w))
        .unwrap_or(lower);
    let mut saw_number = false;
    for word in rest.split_whitespace() {
        match word {
            "of" | "/" => {}
            w if w.split('/').all(|n| n.chars().all(|c| c.is_ascii_digit())) => {
                saw_number |= w.chars().any(|c| c.is_ascii_digit());
            }
            _ => return false,
        }
    }
    saw_number
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datelines_and_counters() {
        for line in [
            "Updated 1:39 am EST, Wednesday, November 20, 2019",
            "Posted: Fri 6:45 PM, Feb 16, 2018 |",
            "August 08, 2018",
            "Nov. 20, 2019 6:02 AM EST",
            "Last Updated: December 23rd, 2021 17:05 IST",
            "Image 1 of / 23",
            "1 of 6",
            "Comments",
            "Tags:",
            "Copyright ⓒ Entermedia.co.kr. 무단전재 및 재배포 금지",
            "저작권자 ⓒ 엔터미디어, 무단전재 및 재배포금지",
            "Alle Rechte beim Verlag © 2024 Hafenzeitung",
            "ALSO READ | US warns of sanctions over Ukraine build-up",
            "1.2K Shares",
            "Comments (14)",
            "View comments (2)",
            "12,345 views",
            "Shares: 87",
            "segunda-feira, 22 de janeiro de 2018 às 0:13",
        ] {
            assert!(is_boilerplate(line), "{line}");
        }
    }

    #[test]
    fn prose_is_not_boilerplate() {
        for line in [
            "The show opens to the public on Friday.",
            "NISSAN SENTRA",
            "Trump tweeted on November 5.",
            "The vote was 52 to 48.",
            "Polls close at 20:00 on 4 July 2024.",
            "Copyright law was changed in 1998, and this paragraph explains at great length \
             why that matters to everyone who publishes anything online today, which is a \
             lot of people, more than ever before, and many of them are writers of news \
             and of opinion who depend on it for their living.",
        ] {
            assert!(!is_boilerplate(line), "{line}");
        }
    }
}
