//! Folding and tokenising, shared by documents and query terms.
//!
//! Both sides of a match go through exactly these two functions, so whatever they do to
//! a word they do to it everywhere: a query term matches a document when their folded
//! tokens are equal, whatever the case, accents or punctuation of either.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, decompose_compatible, is_combining_mark};

use crate::text::is_invisible;

/// What a token is, which decides how it is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A word of a script written with spaces: matched whole (or as a prefix with `*`).
    Word,
    /// A run of characters of a script written without spaces (Chinese, Japanese, Thai
    /// …): there are no word boundaries to honour, so a term matches anywhere inside one.
    Run,
}

/// Folds text for matching: lower case, accents removed, compatibility forms (full-width
/// Latin, half-width katakana, ligatures) replaced by their plain letters, invisible
/// characters dropped, NFC.
pub(super) fn fold(s: &str) -> String {
    let mut folder = Folder {
        out: String::with_capacity(s.len()),
        base: ' ',
    };
    for c in s.chars() {
        // Compatibility decomposition only for letters and digits: applied to symbols it
        // would turn `™` into the letters `tm` and glue them onto the word before.
        if c.is_alphanumeric() {
            decompose_compatible(c, |d| folder.push(d));
        } else {
            decompose_canonical(c, |d| folder.push(d));
        }
    }
    // Recomposes what must stay composed: Hangul syllables and kana with (han)dakuten,
    // which were decomposed above and whose marks are not accents.
    folder.out.nfc().collect()
}

struct Folder {
    out: String,
    /// The last character that was not a combining mark.
    base: char,
}

impl Folder {
    fn push(&mut self, c: char) {
        if is_invisible(c) || c == '\u{0640}' {
            // U+0640 is the Arabic tatweel, a stretching stroke with no meaning.
            return;
        }
        for l in c.to_lowercase() {
            if is_combining_mark(l) {
                // The breve of Cyrillic й and ў makes a different letter, not an accent:
                // folding й to и would make `мой` and `мои` one word.
                let cyrillic_breve =
                    l == '\u{0306}' && matches!(self.base, '\u{0400}'..='\u{04FF}');
                if is_accent(l) && !cyrillic_breve {
                    continue;
                }
            } else {
                self.base = l;
            }
            match l {
                'ß' => self.out.push_str("ss"),
                'æ' => self.out.push_str("ae"),
                'œ' => self.out.push_str("oe"),
                'þ' => self.out.push_str("th"),
                // Letters whose stroke or dot is part of the letter in Unicode, so no
                // decomposition removes it.
                'ł' | 'ŀ' => self.out.push('l'),
                'ø' => self.out.push('o'),
                'đ' | 'ð' => self.out.push('d'),
                'ħ' => self.out.push('h'),
                'ŧ' => self.out.push('t'),
                'ı' => self.out.push('i'),
                // Greek final sigma is the same letter as σ.
                'ς' => self.out.push('σ'),
                _ => self.out.push(l),
            }
        }
    }
}

/// Combining marks that are accents or optional vowel signs, dropped when folding.
/// Deliberately not every mark: the vowel signs of Indic scripts and Thai, and the
/// Japanese dakuten, change the letter and are kept.
fn is_accent(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}' // combining diacritical marks (Latin, Greek, Cyrillic)
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{0591}'..='\u{05C7}' // Hebrew points and cantillation
            | '\u{0610}'..='\u{061A}' // Arabic honorifics and small letters
            | '\u{064B}'..='\u{065F}' // Arabic harakat and hamza above/below (أ إ → ا)
            | '\u{0670}'
            | '\u{06D6}'..='\u{06ED}'
    )
}

/// Whether `c` belongs to a token rather than separating tokens: letters, digits and
/// the marks that were not folded away. Everything else (spaces, punctuation,
/// apostrophes, hyphens, symbols) separates, so `NATO's` holds `nato` and
/// `Russia-China` holds `russia` and `china`.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Scripts written without spaces between words, plus Hangul: Korean is spaced, but
/// particles attach to nouns (`푸틴은`, `푸틴이`), so a whole-word match would miss most
/// mentions.
fn is_run_script(c: char) -> bool {
    matches!(
        c,
        '\u{3005}'..='\u{3007}' // 々 〆 〇
            | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana (with ー)
            | '\u{3100}'..='\u{312F}' // Bopomofo
            | '\u{3130}'..='\u{318F}' // Hangul compatibility jamo
            | '\u{31F0}'..='\u{31FF}' // Katakana phonetic extensions
            | '\u{3400}'..='\u{4DBF}' // CJK extension A
            | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
            | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
            | '\u{1100}'..='\u{11FF}' // Hangul jamo
            | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
            | '\u{20000}'..='\u{3FFFF}' // CJK extensions B and later
            | '\u{0E00}'..='\u{0EFF}' // Thai, Lao
            | '\u{1000}'..='\u{109F}' // Myanmar
            | '\u{1780}'..='\u{17FF}' // Khmer
    )
}

/// Splits folded text into tokens, in order. A token never spans a separator, and a
/// change between a spaced and an unspaced script ends one token and starts another
/// (`普京Putin` is a run and a word).
pub(super) fn tokenize<'a>(folded: &'a str, mut emit: impl FnMut(Kind, &'a str)) {
    let mut current: Option<(usize, Kind)> = None;
    for (i, c) in folded.char_indices() {
        if !is_word_char(c) {
            if let Some((start, kind)) = current.take() {
                emit(kind, &folded[start..i]);
            }
            continue;
        }
        let kind = if is_run_script(c) {
            Kind::Run
        } else if let (Some((_, k)), true) = (current, is_combining_mark(c)) {
            // A mark stays with the letter it modifies (Thai vowel signs, dakuten).
            k
        } else {
            Kind::Word
        };
        match current {
            Some((_, k)) if k == kind => {}
            Some((start, k)) => {
                emit(k, &folded[start..i]);
                current = Some((i, kind));
            }
            None => current = Some((i, kind)),
        }
    }
    if let Some((start, kind)) = current {
        emit(kind, &folded[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<(Kind, String)> {
        let folded = fold(s);
        let mut out = Vec::new();
        tokenize(&folded, |k, t| out.push((k, t.to_owned())));
        out
    }

    fn words(s: &str) -> Vec<String> {
        tokens(s).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn folds_case_accents_and_forms() {
        assert_eq!(fold("Élysée"), "elysee");
        assert_eq!(fold("ZELENSKYY"), "zelenskyy");
        assert_eq!(fold("Straße Łódź Ørsted"), "strasse lodz orsted");
        assert_eq!(fold("ＮＡＴＯ ﬁnal"), "nato final");
        assert_eq!(fold("ΟΔΟΣ Αθήνα"), "οδοσ αθηνα");
        // Ё folds to е; й stays a letter of its own.
        assert_eq!(fold("Ёлка мой"), "елка мой");
        // Arabic: harakat and the hamza of أ go, tatweel goes.
        assert_eq!(fold("أَحْمَد"), "احمد");
        assert_eq!(fold("كـتـاب"), "كتاب");
        // Kana keep their dakuten; half-width kana become full-width.
        assert_eq!(fold("ガ ｶﾞ"), "ガ ガ");
        assert_eq!(fold("푸틴"), "푸틴");
        assert_eq!(fold("Ukr\u{00AD}aine"), "ukraine");
    }

    #[test]
    fn symbols_do_not_become_letters() {
        assert_eq!(words("Apple™ rises"), ["apple", "rises"]);
    }

    #[test]
    fn punctuation_separates() {
        assert_eq!(
            words("NATO's Russia-China"),
            ["nato", "s", "russia", "china"]
        );
        assert_eq!(
            words("‘jointly’ — “developing”…"),
            ["jointly", "developing"]
        );
    }

    #[test]
    fn unspaced_scripts_make_runs() {
        assert_eq!(
            tokens("俄罗斯总统普京Putin周四，表示"),
            [
                (Kind::Run, "俄罗斯总统普京".to_owned()),
                (Kind::Word, "putin".to_owned()),
                (Kind::Run, "周四".to_owned()),
                (Kind::Run, "表示".to_owned()),
            ]
        );
        assert_eq!(tokens("ภาษาไทย")[0].0, Kind::Run);
        assert_eq!(tokens("Путин")[0], (Kind::Word, "путин".to_owned()));
    }
}
