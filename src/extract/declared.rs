//! The times and notes a page declares in its visible text, and the date formats they are
//! written in.
//!
//! Whether an edit was disclosed depends on what the outlet told its readers: a visible
//! "Updated 10:41" ("Mis à jour le 29 novembre à 10h41", "Aktualisiert am 29.11.2026,
//! 10:41 Uhr", "Actualizado el 29 de noviembre", "Обновлено 29 ноября", "更新于
//! 2026年11月29日"), and a correction or editor's note. This module finds the first in the
//! page's text, the second by its markup (a `correction` class) and by its wording (for
//! paragraphs of the stored copy), and reads dates in the usual formats of English,
//! French, German, Spanish, Russian and Chinese pages into one canonical form (see
//! [`Provenance`](crate::text::Provenance)), so that two fetches can be compared.
//!
//! Relative stamps ("Updated 5 minutes ago") are not read: they move on every fetch
//! whether or not anything changed.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use dom_query::{Document, NodeRef, Selection};
use regex::Regex;

use crate::text::normalize;

/// An element whose text is longer than this is prose, not an "Updated" line.
const MAX_LINE_CHARS: usize = 200;
/// How much text after an "Updated" keyword is read for its date and time.
const MAX_STAMP_CHARS: usize = 80;
/// A correction note is kept up to this length (the rest adds nothing to a comparison).
const MAX_NOTE_CHARS: usize = 2000;

/// Words that introduce a visible update time, lower-case, the longer forms first.
const UPDATE_WORDS: &[&str] = &[
    "last updated",
    "zuletzt aktualisiert",
    "mis à jour",
    "mise à jour",
    "actualisé",
    "aktualisiert",
    "última actualización",
    "actualizado",
    "actualizada",
    "обновлено",
    "обновлена",
    "обновлён",
    "обновлен",
    "最后更新",
    "最後更新",
    "更新时间",
    "更新時間",
    "更新于",
    "更新於",
    "更新",
    "updated",
];

/// Paragraph openings that make it a correction or editor's note; they count when
/// followed by punctuation (`Correction:`), so that "Corrections officers said" does not.
const CORRECTION_OPENINGS: &[&str] = &[
    "correction",
    "clarification",
    "editor's note",
    "editor’s note",
    "editors' note",
    "editors’ note",
    "erratum",
    "note de la rédaction",
    "rectificatif",
    "korrekturhinweis",
    "korrektur",
    "anmerkung der redaktion",
    "richtigstellung",
    "corrección",
    "fe de erratas",
    "nota del editor",
    "nota de la redacción",
    "aclaración",
    "поправка",
    "исправление",
    "примечание редакции",
    "от редакции",
    "更正",
    "勘误",
    "勘誤",
    "编者按",
    "編者按",
    "编者注",
    "編者註",
];

/// Phrases that make any paragraph a correction, wherever they stand.
const CORRECTION_PHRASES: &[&str] = &[
    "an earlier version of this",
    "a previous version of this",
    "this article has been corrected",
    "this story has been corrected",
    "une version précédente de cet",
    "une précédente version de cet",
    "in einer früheren version dieses",
    "una versión anterior de este",
    "в предыдущей версии",
    "本文此前版本",
];

/// Words of a `class` or `id` that mark a correction or editor's note.
const NOTE_MARKS: &[&str] = &[
    "correction",
    "corrections",
    "clarification",
    "editors-note",
    "editor-note",
    "editorsnote",
    "editors_note",
    "editor_note",
    "editornote",
];

/// Whether a paragraph of a stored copy is a correction, clarification or editor's note.
pub fn is_correction(paragraph: &str) -> bool {
    let head: String = paragraph
        .chars()
        .take(120)
        .collect::<String>()
        .to_lowercase();
    let opening = CORRECTION_OPENINGS.iter().any(|w| {
        head.strip_prefix(w).is_some_and(|rest| {
            rest.trim_start()
                .chars()
                .next()
                .is_none_or(|c| ":：-–—.,(（【[]】".contains(c))
        })
    });
    opening || {
        let lower = paragraph.to_lowercase();
        CORRECTION_PHRASES.iter().any(|p| lower.contains(p))
    }
}

/// The page's visible "Updated …" time, canonical, when it shows one.
pub(super) fn updated_line(doc: &Document) -> Option<String> {
    let mut stack: Vec<NodeRef<'_>> = vec![doc.root()];
    // Most text is ASCII: lowered in one reused buffer rather than a new string a node.
    let mut ascii = String::new();
    while let Some(node) = stack.pop() {
        if node.is_text() {
            let text = node.text();
            let lower: &str = if text.is_ascii() {
                ascii.clear();
                ascii.push_str(&text);
                ascii.make_ascii_lowercase();
                &ascii
            } else {
                &text.to_lowercase()
            };
            if UPDATE_WORDS.iter().any(|w| lower.contains(w))
                && let Some(stamp) = stamp_near(&node)
            {
                return Some(stamp);
            }
            continue;
        }
        if node.is_element() && holds_no_text(&node) {
            continue;
        }
        let mut child = node.last_child();
        while let Some(c) = child {
            child = c.prev_sibling();
            stack.push(c);
        }
    }
    None
}

/// The update time around a text node that holds an update word: in its element, else
/// in the element around that (the word and the time in sibling elements).
fn stamp_near(text: &NodeRef<'_>) -> Option<String> {
    let mut element = text.parent();
    for _ in 0..2 {
        let el = element?;
        let full = normalize(&el.text());
        if full.chars().count() > MAX_LINE_CHARS {
            return None;
        }
        if let Some(stamp) = stamp_in(&full, &el) {
            return Some(stamp);
        }
        element = el.parent();
    }
    None
}

/// Reads the time after the first update word that stands as a word of `text`.
fn stamp_in(text: &str, element: &NodeRef<'_>) -> Option<String> {
    let lower = text.to_lowercase();
    let (at, word) = UPDATE_WORDS.iter().find_map(|w| {
        lower
            .match_indices(w)
            .find(|(i, _)| {
                let before = lower[..*i].chars().next_back();
                before.is_none_or(|c| !c.is_alphanumeric() || is_cjk(c))
            })
            .map(|(i, _)| (i, *w))
    })?;
    let after: String = lower[at + word.len()..]
        .chars()
        .take(MAX_STAMP_CHARS)
        .collect();
    // A relative stamp moves on every fetch: not a declared time.
    if RELATIVE.is_match(&after) {
        return None;
    }
    let machine = Selection::from(*element)
        .select("time[datetime]")
        .nodes()
        .iter()
        .filter_map(|t| t.attr("datetime"))
        .find_map(|d| canonical(&d));
    machine.or_else(|| human(&after))
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// The text of the elements the page marks up as a correction or editor's note.
pub(super) fn marked_note(doc: &Document) -> Option<String> {
    let mut notes: Vec<String> = Vec::new();
    let mut stack: Vec<NodeRef<'_>> = vec![doc.root()];
    while let Some(node) = stack.pop() {
        if node.is_element() {
            let marked = ["class", "id"]
                .iter()
                .filter_map(|a| node.attr(a))
                .any(|v| v.split_whitespace().any(is_note_mark));
            if marked {
                let text: String = normalize(&node.text())
                    .chars()
                    .take(MAX_NOTE_CHARS)
                    .collect();
                if !text.is_empty() {
                    notes.push(text);
                }
                continue;
            }
            if holds_no_text(&node) {
                continue;
            }
        }
        let mut child = node.last_child();
        while let Some(c) = child {
            child = c.prev_sibling();
            if c.is_element() || c.is_document() {
                stack.push(c);
            }
        }
    }
    (!notes.is_empty()).then(|| notes.join(" / "))
}

static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^ \W{0,3} (?: \d+ \s* (?:min|minute|minutes|hour|hours|hrs?|h|day|days|sec|seconds) \b .* \b ago
        | il \s y \s a | vor \s \d | hace | \d+ \s* (?:минут|час) | \d+ \s* (?:分钟|小时|分鐘|小時) 前 )",
    )
});

/// A machine-readable date (JSON-LD, `<meta>`, `<time datetime>`): ISO 8601 / RFC 3339,
/// RFC 2822, or failing those, a written one. Canonical (see [`Provenance`]).
///
/// [`Provenance`]: crate::text::Provenance
pub fn canonical(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 100 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(utc(t));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(raw, fmt) {
            return Some(utc(t));
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(raw) {
        return Some(utc(t));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, fmt) {
            return Some(t.format("%Y-%m-%d %H:%M").to_string());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(d.format("%Y-%m-%d").to_string());
    }
    human(&raw.to_lowercase())
}

fn utc(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        (?P<h>\d{1,2}) \s* (?: : | h | 时 | 時 | 點 | 点 ) \s* (?P<m>\d{2}) (?: \s* : \s* \d{2} )?
        (?: \s* (?P<ampm> a\.?\s?m\b\.? | p\.?\s?m\b\.? ) )?
        | (?P<gh>\d{1,2}) \. (?P<gm>\d{2}) \s* uhr",
    )
});

static YMD: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?P<y>\d{4}) \s* [-/.年] \s* (?P<m>\d{1,2}) \s* [-/.月] \s* (?P<d>\d{1,2})")
});

static DMY: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b(?P<d>\d{1,2}) [./] (?P<m>\d{1,2}) [./] (?P<y>\d{4}|\d{2})\b"));

static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?P<d>\d{1,2}) (?:er|st|nd|rd|th)? \.? \s+ (?:de\s+)? (?P<mon>[^\W\d_]{3,}) \.? ,? (?: \s+ (?:de\s+)? (?P<y>\d{4}) )?",
    )
});

static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?P<mon>[^\W\d_]{3,}) \.? \s+ (?P<d>\d{1,2}) (?:st|nd|rd|th)? \b ,? (?: \s* (?P<y>\d{4}) )?",
    )
});

static ZONE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?P<name>utc|gmt|bst|cet|cest|eet|eest|msk|est|edt|pst|pdt)\b|(?P<sign>[+-])(?P<oh>\d{2}):?(?P<om>\d{2})\b",
    )
});

/// Compiles one of this module's literal patterns (verbose mode).
fn compile(pattern: &str) -> Regex {
    // The patterns are literals that compile (the unit tests run each one); an empty
    // never-matching regex stands in rather than a panic.
    Regex::new(&format!("(?x){pattern}"))
        .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
}

/// Reads a written date and time (lower-case text): whatever of the two it holds.
fn human(text: &str) -> Option<String> {
    let time = TIME.captures(text).and_then(|c| {
        let (h, m) = match (c.name("h"), c.name("m")) {
            (Some(h), Some(m)) => (h, m),
            _ => (c.name("gh")?, c.name("gm")?),
        };
        let mut hour: u32 = h.as_str().parse().ok()?;
        let minute: u32 = m.as_str().parse().ok()?;
        if let Some(ampm) = c.name("ampm") {
            let pm = ampm.as_str().starts_with('p');
            hour = match (hour, pm) {
                (12, false) => 0,
                (h, true) if h < 12 => h + 12,
                (h, _) => h,
            };
        }
        Some((NaiveTime::from_hms_opt(hour, minute, 0)?, c.get(0)?.end()))
    });
    let date = date_in(text);
    let zone = time.and_then(|(_, end)| zone_after(&text[end..]));
    match (date, time) {
        (Some(Ok(d)), Some((t, _))) => Some(match zone {
            Some(offset) => match offset.from_local_datetime(&d.and_time(t)).single() {
                Some(local) => utc(local),
                None => d.and_time(t).format("%Y-%m-%d %H:%M").to_string(),
            },
            None => d.and_time(t).format("%Y-%m-%d %H:%M").to_string(),
        }),
        (Some(Ok(d)), None) => Some(d.format("%Y-%m-%d").to_string()),
        (Some(Err((month, day))), Some((t, _))) => {
            Some(format!("{month:02}-{day:02} {}", t.format("%H:%M")))
        }
        (Some(Err((month, day))), None) => Some(format!("{month:02}-{day:02}")),
        (None, Some((t, _))) => Some(t.format("%H:%M").to_string()),
        (None, None) => None,
    }
}

/// A zone named right after a time (`10:41 GMT`, `10:41 +01:00`).
fn zone_after(rest: &str) -> Option<FixedOffset> {
    let c = ZONE.captures(rest)?;
    if c.get(0)?.start() > 3 {
        return None;
    }
    if let Some(name) = c.name("name") {
        let hours = match name.as_str() {
            "utc" | "gmt" => 0,
            "bst" | "cet" => 1,
            "cest" | "eet" => 2,
            "eest" | "msk" => 3,
            "est" => -5,
            "edt" => -4,
            "pst" => -8,
            "pdt" => -7,
            _ => return None,
        };
        return FixedOffset::east_opt(hours * 3600);
    }
    let sign = if c.name("sign")?.as_str() == "-" {
        -1
    } else {
        1
    };
    let h: i32 = c.name("oh")?.as_str().parse().ok()?;
    let m: i32 = c.name("om")?.as_str().parse().ok()?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// The first date in the text: a full date, or a day and month without the year.
fn date_in(text: &str) -> Option<Result<NaiveDate, (u32, u32)>> {
    if let Some(c) = YMD.captures(text) {
        let (y, m, d) = (num(&c, "y")?, num(&c, "m")?, num(&c, "d")?);
        return NaiveDate::from_ymd_opt(y as i32, m, d).map(Ok);
    }
    if let Some(c) = DMY.captures(text) {
        let (mut d, mut m, mut y) = (num(&c, "d")?, num(&c, "m")?, num(&c, "y")?);
        if m > 12 && d <= 12 {
            // 11/29/2026: the American order.
            std::mem::swap(&mut d, &mut m);
        }
        if y < 100 {
            y += 2000;
        }
        return NaiveDate::from_ymd_opt(y as i32, m, d).map(Ok);
    }
    let day_month = DAY_MONTH.captures_iter(text).find_map(|c| {
        let month = month(c.name("mon")?.as_str())?;
        Some((num(&c, "d")?, month, num(&c, "y")))
    });
    let found = day_month.or_else(|| {
        MONTH_DAY.captures_iter(text).find_map(|c| {
            let month = month(c.name("mon")?.as_str())?;
            Some((num(&c, "d")?, month, num(&c, "y")))
        })
    });
    let (d, m, y) = found?;
    match y {
        Some(y) => NaiveDate::from_ymd_opt(y as i32, m, d).map(Ok),
        None => (1..=31).contains(&d).then_some(Err((m, d))),
    }
}

fn num(c: &regex::Captures<'_>, name: &str) -> Option<u32> {
    c.name(name)?.as_str().parse().ok()
}

/// A month's number from its name or abbreviation in English, French, German, Spanish
/// or Russian (any case form: "ноября" as well as "ноябрь").
fn month(word: &str) -> Option<u32> {
    const MONTHS: &[(&str, u32)] = &[
        ("jan", 1),
        ("jän", 1),
        ("ene", 1),
        ("янв", 1),
        ("feb", 2),
        ("fév", 2),
        ("fev", 2),
        ("фев", 2),
        ("mar", 3),
        ("mär", 3),
        ("мар", 3),
        ("apr", 4),
        ("avr", 4),
        ("abr", 4),
        ("апр", 4),
        ("may", 5),
        ("mai", 5),
        ("ма", 5),
        ("jun", 6),
        ("juin", 6),
        ("июн", 6),
        ("jul", 7),
        ("juil", 7),
        ("июл", 7),
        ("aug", 8),
        ("aoû", 8),
        ("aou", 8),
        ("ago", 8),
        ("авг", 8),
        ("sep", 9),
        ("set", 9),
        ("сен", 9),
        ("oct", 10),
        ("okt", 10),
        ("окт", 10),
        ("nov", 11),
        ("ноя", 11),
        ("dec", 12),
        ("déc", 12),
        ("dez", 12),
        ("dic", 12),
        ("дек", 12),
    ];
    let w = word.to_lowercase();
    // The full word must be a month name, not just start like one ("decision", "march"
    // as a verb is rare next to a day number, "set", "ago" are not).
    if !is_month_word(&w) {
        return None;
    }
    MONTHS
        .iter()
        .filter(|(prefix, _)| w.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.chars().count())
        .map(|(_, n)| *n)
}

/// Whether a word of a `class` or `id` marks a correction or editor's note, in any case:
/// one of [`NOTE_MARKS`], or a name with a correction word between its dashes.
fn is_note_mark(word: &str) -> bool {
    let lower: std::borrow::Cow<'_, str> = if !word.is_ascii() {
        word.to_lowercase().into()
    } else if word.bytes().any(|b| b.is_ascii_uppercase()) {
        word.to_ascii_lowercase().into()
    } else {
        word.into()
    };
    NOTE_MARKS.contains(&&*lower)
        || lower
            .split(['-', '_'])
            .any(|w| matches!(w, "correction" | "corrections" | "clarification"))
}

/// Elements whose content is never text a reader sees (both walks skip them).
fn holds_no_text(node: &NodeRef<'_>) -> bool {
    node.qual_name_ref()
        .is_some_and(|n| matches!(&*n.local, "script" | "style" | "noscript" | "template"))
}

/// Whether a lower-case word is a month name or a usual abbreviation of one.
fn is_month_word(w: &str) -> bool {
    const NAMES: &[&str] = &[
        // English
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec", // French
        "janvier",
        "février",
        "fevrier",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "aout",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
        "decembre",
        "janv",
        "févr",
        "fevr",
        "avr",
        "juil", // German
        "januar",
        "jänner",
        "februar",
        "märz",
        "juni",
        "juli",
        "oktober",
        "dezember",
        "okt",
        "dez", // Spanish
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "setiembre",
        "octubre",
        "noviembre",
        "diciembre",
        "ene",
        "abr",
        "ago",
        "dic",
        // Russian, nominative and genitive
        "январь",
        "января",
        "февраль",
        "февраля",
        "март",
        "марта",
        "апрель",
        "апреля",
        "май",
        "мая",
        "июнь",
        "июня",
        "июль",
        "июля",
        "август",
        "августа",
        "сентябрь",
        "сентября",
        "октябрь",
        "октября",
        "ноябрь",
        "ноября",
        "декабрь",
        "декабря",
    ];
    NAMES.contains(&w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(html: &str) -> Option<String> {
        updated_line(&Document::from(html))
    }

    #[test]
    fn machine_dates_are_canonical() {
        assert_eq!(
            canonical("2026-11-29T10:41:00+01:00").as_deref(),
            Some("2026-11-29T09:41:00Z")
        );
        assert_eq!(
            canonical("2026-11-29T10:41:00.000Z").as_deref(),
            Some("2026-11-29T10:41:00Z")
        );
        assert_eq!(
            canonical("2026-11-29T10:41:00+0100").as_deref(),
            Some("2026-11-29T09:41:00Z")
        );
        assert_eq!(
            canonical("2026-11-29T10:41").as_deref(),
            Some("2026-11-29 10:41")
        );
        assert_eq!(canonical("2026-11-29").as_deref(), Some("2026-11-29"));
        assert_eq!(
            canonical("Sun, 29 Nov 2026 10:41:00 GMT").as_deref(),
            Some("2026-11-29T10:41:00Z")
        );
        assert_eq!(canonical("soon"), None);
        assert_eq!(canonical(""), None);
    }

    #[test]
    fn visible_update_lines_in_several_languages() {
        let cases = [
            ("<p>Updated 10:41</p>", "10:41"),
            (
                "<p>Updated 10:41 GMT, 29 November 2026</p>",
                "2026-11-29T10:41:00Z",
            ),
            (
                "<span>Last updated: Nov. 29, 2026 at 3:05 p.m.</span>",
                "2026-11-29 15:05",
            ),
            (
                "<p>Mis à jour le 29 novembre 2026 à 10h41</p>",
                "2026-11-29 10:41",
            ),
            (
                "<p>Aktualisiert am 29.11.2026, 10:41 Uhr</p>",
                "2026-11-29 10:41",
            ),
            (
                "<p>Aktualisiert am 29.11.2026, 10.41 Uhr</p>",
                "2026-11-29 10:41",
            ),
            (
                "<p>Actualizado el 29 de noviembre de 2026, 10:41</p>",
                "2026-11-29 10:41",
            ),
            ("<p>Обновлено 29 ноября 2026, 10:41</p>", "2026-11-29 10:41"),
            ("<p>更新于 2026年11月29日 10:41</p>", "2026-11-29 10:41"),
            ("<p>更新時間：2026/11/29 10:41</p>", "2026-11-29 10:41"),
            ("<p>Published 09:00 | Updated 29 Nov</p>", "11-29"),
        ];
        for (html, want) in cases {
            assert_eq!(line(html).as_deref(), Some(want), "{html}");
        }
    }

    #[test]
    fn the_time_element_wins_and_the_word_may_stand_apart() {
        let html = r#"<div class="meta"><span>Updated</span>
            <time datetime="2026-11-29T10:41:00Z">29 Nov, 10:41</time></div>"#;
        assert_eq!(line(html).as_deref(), Some("2026-11-29T10:41:00Z"));
    }

    #[test]
    fn what_is_not_an_update_line() {
        assert_eq!(line("<p>Updated 5 minutes ago</p>"), None);
        assert_eq!(line("<p>Il y a 5 minutes</p>"), None);
        assert_eq!(line("<p>Misupdated 10:41</p>"), None);
        assert_eq!(line("<script>var updated = '10:41';</script>"), None);
        let prose = format!("<p>Updated at 10:41, the {}</p>", "long story ".repeat(30));
        assert_eq!(line(&prose), None);
    }

    #[test]
    fn corrections_by_wording() {
        assert!(is_correction(
            "Correction: An earlier version of this article misstated the figure."
        ));
        assert!(is_correction(
            "This story was amended: an earlier version of this article said 100."
        ));
        assert!(is_correction(
            "Editor’s note: this article has been updated."
        ));
        assert!(is_correction(
            "Rectificatif : une version précédente de cet article…"
        ));
        assert!(is_correction(
            "Korrekturhinweis: In einer früheren Version dieses Artikels"
        ));
        assert!(is_correction("Fe de erratas: el texto decía 100."));
        assert!(is_correction("Поправка: в предыдущей версии статьи"));
        assert!(is_correction("更正：本文此前版本有误。"));
        assert!(!is_correction(
            "Corrections officers said the prison was full."
        ));
        assert!(!is_correction("Putin said Russia and China are close."));
    }

    #[test]
    fn notes_by_markup() {
        let doc = Document::from(
            r#"<article><p>Text.</p><div class="story-correction">Clarified.</div>
               <div class="correction"><p>We misstated the <b>figure</b>.</p></div>
               <p id="editors-note">Editor's note: moved.</p><div class="correction"></div></article>"#,
        );
        assert_eq!(
            marked_note(&doc).as_deref(),
            Some("Clarified. / We misstated the figure. / Editor's note: moved.")
        );
        assert_eq!(marked_note(&Document::from("<p>None here</p>")), None);
    }
}
