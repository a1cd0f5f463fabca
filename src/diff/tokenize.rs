//! Splitting text into the tokens the differ compares.
//!
//! A word diff is only as good as its tokens: "1,200" must change as one number, not as
//! "1", ",", "200"; a Chinese sentence has no spaces, so each ideograph has to be a token
//! of its own or one changed character would mark the whole sentence. UAX #29 word
//! boundaries (via `unicode-segmentation`) give exactly that, for every script, so this
//! module is a thin layer over them that also says what kind each token is. Only word
//! tokens (letters or digits) are counted in "words added/removed".

use unicode_segmentation::UnicodeSegmentation;

/// What a token is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters, digits, or both: `advanced`, `Russia’s`, `140`, `1,200`, `3.5`, `中`.
    Word,
    /// A run of whitespace.
    Space,
    /// Anything else: punctuation, symbols, emoji.
    Punct,
}

/// Splits `s` into tokens that concatenate back to `s` exactly.
///
/// Words, numbers (with their inner `.`/`,`), runs of whitespace and single punctuation
/// marks are separate tokens; CJK ideographs are one token each.
pub fn tokenize(s: &str) -> Vec<&str> {
    s.split_word_bounds().collect()
}

/// The kind of one token produced by [`tokenize`].
pub fn kind(token: &str) -> TokenKind {
    if token.chars().any(char::is_alphanumeric) {
        TokenKind::Word
    } else if !token.is_empty() && token.chars().all(char::is_whitespace) {
        TokenKind::Space
    } else {
        TokenKind::Punct
    }
}

/// True when the token counts as a word (see [`TokenKind::Word`]).
pub fn is_word(token: &str) -> bool {
    kind(token) == TokenKind::Word
}

/// The number of word tokens in `s`: what "words added/removed" counts.
pub fn count_words(s: &str) -> usize {
    s.split_word_bounds().filter(|t| is_word(t)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        tokenize(s)
            .into_iter()
            .filter(|t| kind(t) != TokenKind::Space)
            .collect()
    }

    #[test]
    fn tokens_concatenate_back_to_the_input() {
        let s = "Putin said: “jointly developing high-tech weapons”, 1,200 km.";
        assert_eq!(tokenize(s).concat(), s);
    }

    #[test]
    fn latin_words_and_punctuation() {
        assert_eq!(
            words("Moscow and Beijing are “jointly developing high-tech weapons”."),
            vec![
                "Moscow",
                "and",
                "Beijing",
                "are",
                "“",
                "jointly",
                "developing",
                "high",
                "-",
                "tech",
                "weapons",
                "”",
                "."
            ]
        );
        // An apostrophe inside a word keeps it whole.
        assert_eq!(words("Russia’s NATO's"), vec!["Russia’s", "NATO's"]);
    }

    #[test]
    fn numbers_are_single_tokens() {
        assert_eq!(
            words("over 140 billion, 3.5 per cent of 1,200 units."),
            vec![
                "over", "140", "billion", ",", "3.5", "per", "cent", "of", "1,200", "units", "."
            ]
        );
        assert_eq!(kind("1,200"), TokenKind::Word);
        assert_eq!(kind("3.5"), TokenKind::Word);
    }

    #[test]
    fn cyrillic_words() {
        assert_eq!(
            words("Путин заявил, что Россия и Китай."),
            vec!["Путин", "заявил", ",", "что", "Россия", "и", "Китай", "."]
        );
        assert_eq!(count_words("Путин заявил, что Россия и Китай."), 6);
    }

    #[test]
    fn chinese_ideographs_are_one_token_each() {
        assert_eq!(
            words("普京说俄中两国，140亿。"),
            vec![
                "普", "京", "说", "俄", "中", "两", "国", "，", "140", "亿", "。"
            ]
        );
        assert_eq!(count_words("普京说俄中两国，140亿。"), 9);
    }

    #[test]
    fn kinds_and_word_counts() {
        assert_eq!(kind(" "), TokenKind::Space);
        assert_eq!(kind("\u{a0}"), TokenKind::Space);
        assert_eq!(kind("—"), TokenKind::Punct);
        assert_eq!(kind("“"), TokenKind::Punct);
        assert_eq!(kind("Xi"), TokenKind::Word);
        // Punctuation and spaces are not words.
        assert_eq!(count_words("one hundred — “140”, 3.5!"), 4);
        assert_eq!(count_words(""), 0);
    }
}
