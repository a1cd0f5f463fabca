//! Text → features: the tokens of a text with what the punctuation around them says
//! (sentence starts, quotation marks, lines), then the weighted features the parent
//! module scores: words, names, figures, quoted words, shingles and CJK bigrams.

use std::collections::{HashMap, HashSet};

use super::super::fold::{self, Kind};
use super::{Class, Feature, Features};

/// One token of the text, before features are made.
struct Tok<'a> {
    folded: String,
    kind: Kind,
    original: &'a str,
    sentence_start: bool,
    quoted: bool,
    /// A new sentence or clause begins before this token: no shingle spans the gap.
    break_before: bool,
    line: usize,
}

pub(super) fn extract(text: &str, keep_labels: bool) -> Features {
    let toks = tokens(text);
    // A line written in Title Case (most headlines) says nothing about names by its
    // capitals: its words are names only when the rest of the text capitalises them too.
    let mut title_case_lines = HashSet::new();
    {
        let mut per_line: HashMap<usize, (usize, usize)> = HashMap::new();
        for t in toks.iter().filter(|t| t.kind == Kind::Word) {
            let e = per_line.entry(t.line).or_default();
            e.0 += 1;
            if starts_upper(t.original) {
                e.1 += 1;
            }
        }
        for (line, (words, caps)) in per_line {
            if words >= 3 && caps * 10 >= words * 6 {
                title_case_lines.insert(line);
            }
        }
    }
    let names: HashSet<&str> = toks
        .iter()
        .filter(|t| {
            t.kind == Kind::Word
                && !t.sentence_start
                && !title_case_lines.contains(&t.line)
                && starts_upper(t.original)
        })
        .map(|t| t.folded.as_str())
        .collect();

    let mut out: Vec<(Feature, String)> = Vec::with_capacity(toks.len() * 2);
    let mut push = |id: u64, class: Class, label: &dyn Fn() -> String| {
        out.push((
            Feature { id, class },
            if keep_labels { label() } else { String::new() },
        ));
    };
    // The previous content word, for shingles, with whether it was quoted.
    let mut prev: Option<(&str, bool)> = None;
    for t in &toks {
        if t.break_before {
            prev = None;
        }
        match t.kind {
            Kind::Word => {
                if is_stop_word(&t.folded) {
                    // Stop words do not break a shingle: "developing (of) weapons".
                    continue;
                }
                let class = if t.quoted {
                    Class::Quote
                } else if t.folded.chars().any(|c| c.is_numeric()) {
                    Class::Figure
                } else if names.contains(t.folded.as_str()) {
                    Class::Name
                } else {
                    Class::Term
                };
                push(hash(t.folded.as_bytes()), class, &|| t.folded.clone());
                if let Some((p, pq)) = prev {
                    let class = if t.quoted && pq {
                        Class::Quote
                    } else {
                        Class::Term
                    };
                    push(pair_hash(p, &t.folded), class, &|| {
                        format!("{p} {}", t.folded)
                    });
                }
                prev = Some((&t.folded, t.quoted));
            }
            Kind::Run => {
                prev = None;
                let class = if t.quoted { Class::Quote } else { Class::Term };
                let chars: Vec<(usize, char)> = t.folded.char_indices().collect();
                if chars.len() == 1 {
                    push(hash(t.folded.as_bytes()), class, &|| t.folded.clone());
                }
                for w in chars.windows(2) {
                    let (a, b) = (w[0].1, w[1].1);
                    if is_stop_char(a) && is_stop_char(b) {
                        continue;
                    }
                    let end = w[1].0 + b.len_utf8();
                    let bigram = &t.folded[w[0].0..end];
                    push(hash(bigram.as_bytes()), class, &|| bigram.to_string());
                }
            }
        }
    }
    // One entry per feature, with its strongest class (quote before figure, name, term).
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id).then(a.0.class.cmp(&b.0.class)));
    out.dedup_by_key(|(f, _)| f.id);
    let (items, labels) = out.into_iter().unzip();
    Features {
        items,
        labels: if keep_labels { labels } else { Vec::new() },
    }
}

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

/// Splits text into tokens with what the punctuation around them says: sentence starts,
/// quotation marks, lines.
fn tokens(text: &str) -> Vec<Tok<'_>> {
    let mut raw: Vec<(Kind, &str)> = Vec::new();
    fold::tokenize(text, |kind, t| raw.push((kind, t)));
    let base = text.as_ptr() as usize;
    let mut out = Vec::with_capacity(raw.len());
    let mut pos = 0;
    let mut quoted = false;
    let mut line = 0;
    let mut prev_end_char: Option<char> = None;
    for (kind, t) in raw {
        // `tokenize` hands out slices of `text`, so the offset is the pointer difference.
        let start = (t.as_ptr() as usize).saturating_sub(base).min(text.len());
        let gap = text.get(pos..start).unwrap_or("");
        let mut sentence_start = out.is_empty();
        let mut break_before = false;
        let next_char = t.chars().next();
        for (i, c) in gap.char_indices() {
            let before = if i == 0 {
                prev_end_char
            } else {
                gap[..i].chars().next_back()
            };
            let after = gap[i + c.len_utf8()..].chars().next().or(next_char);
            match c {
                '\n' => {
                    line += 1;
                    sentence_start = true;
                    break_before = true;
                    // A quotation never runs over a paragraph break unclosed.
                    if gap[i + 1..].starts_with('\n') || gap[..i].ends_with('\n') {
                        quoted = false;
                    }
                }
                '.' | '!' | '?' | '。' | '！' | '？' | ':' | ';' | '；' | '：' => {
                    if c != ':' && c != '：' {
                        sentence_start = true;
                    }
                    break_before = true;
                }
                ',' | '，' | '、' | '(' | ')' | '[' | ']' | '—' | '–' => break_before = true,
                '“' | '«' | '„' | '「' | '『' | '《' => {
                    quoted = true;
                    sentence_start = true;
                    break_before = true;
                }
                '”' | '»' | '」' | '』' | '》' => {
                    quoted = false;
                    break_before = true;
                }
                '"' => {
                    // A straight quote opens after a space and closes before one.
                    let closing =
                        before.is_some_and(|b| !b.is_whitespace() && !matches!(b, '(' | '['));
                    quoted = !closing;
                    if quoted {
                        sentence_start = true;
                    }
                    break_before = true;
                }
                '‘' | '\'' | '’' => {
                    // An apostrophe inside a word (NATO's) is not a quotation mark.
                    let word_before = before.is_some_and(fold::is_word_char);
                    let word_after = after.is_some_and(fold::is_word_char);
                    if word_before && word_after {
                        continue;
                    }
                    if !word_before && word_after {
                        quoted = true;
                        break_before = true;
                    } else if word_before && !word_after {
                        quoted = false;
                        break_before = true;
                    }
                }
                _ => {}
            }
        }
        pos = start + t.len();
        prev_end_char = t.chars().next_back();
        // Plain ASCII needs no accent or compatibility folding, only lower case.
        let folded = if t.is_ascii() {
            t.to_ascii_lowercase()
        } else {
            fold::fold(t)
        };
        out.push(Tok {
            folded,
            kind,
            original: t,
            sentence_start,
            quoted,
            break_before,
            line,
        });
    }
    out
}

/// FNV-1a, 64 bits: fast and good enough to tell words apart.
pub(super) fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn pair_hash(a: &str, b: &str) -> u64 {
    let mut h = hash(a.as_bytes());
    h ^= 0x1f;
    h = h.wrapping_mul(0x0000_0100_0000_01b3);
    for byte in b.as_bytes() {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Function words (and the news trade's reporting verbs) of English and Russian, folded:
/// they say nothing about which story a text tells.
fn is_stop_word(w: &str) -> bool {
    #[rustfmt::skip]
    const STOP: &[&str] = &[
        // English
        "a", "about", "after", "again", "against", "all", "also", "am", "an", "and", "any",
        "are", "as", "at", "be", "because", "been", "before", "being", "between", "both",
        "but", "by", "can", "could", "did", "do", "does", "during", "each", "even", "for",
        "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
        "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "last",
        "later", "may", "me", "might", "more", "most", "much", "must", "my", "new", "no",
        "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other",
        "our", "out", "over", "own", "s", "said", "same", "say", "says", "saying", "she",
        "should", "so", "some", "such", "t", "than", "that", "the", "their", "them",
        "then", "there", "these", "they", "this", "those", "through", "to", "told", "too",
        "under", "until", "up", "us", "very", "was", "we", "were", "what", "when", "where",
        "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
        "according", "added", "told", "tuesday", "monday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "week", "year",
        // Russian
        "а", "без", "бы", "был", "была", "были", "было", "быть", "в", "во", "вот", "все",
        "всё", "вы", "где", "да", "для", "до", "его", "ее", "если", "есть", "еще", "же",
        "за", "и", "из", "или", "им", "их", "к", "как", "ко", "когда", "кто", "ли",
        "между", "мы", "на", "над", "не", "него", "нет", "ни", "но", "о", "об", "однако",
        "он", "она", "они", "оно", "от", "по", "под", "при", "с", "со", "так", "также",
        "то", "тоже", "только", "у", "уже", "что", "чтобы", "эти", "это", "этот", "я",
        "заявил", "заявила", "сказал", "сказала", "сообщил", "сообщает", "говорит",
        "отметил", "году", "года",
    ];
    STOP.contains(&w)
}

/// Chinese characters that are function words; a bigram of two of them carries nothing.
fn is_stop_char(c: char) -> bool {
    "的了是在和与也将对就而及或其这那为于以之被把从到说称表示".contains(c)
}
