use super::*;

const RUSSIA_CHINA: &str = r#"(Putin OR Kremlin OR Russia) AND (China OR Beijing OR "Xi Jinping")"#;
const NATO_UKRAINE: &str =
    r#"(NATO OR "North Atlantic") AND (Ukrain* OR Kyiv OR Kiev OR Zelensk*)"#;

fn q(query: &str) -> Query {
    match Query::parse(query) {
        Ok(q) => q,
        Err(e) => panic!("{query:?} should parse: {e}"),
    }
}

fn hits(query: &str, text: &str) -> bool {
    q(query).matches(&MatchText::new(text))
}

fn error(query: &str) -> (usize, String) {
    match Query::parse(query) {
        Ok(parsed) => panic!("{query:?} should not parse, got {parsed}"),
        Err(e) => (e.column, e.message),
    }
}

#[test]
fn seed_stories_match_the_example_topics() {
    // (title, description, russia-china, nato-ukraine)
    let stories = [
        (
            "Putin says Russia and China are 'jointly developing high-tech weapons'; calls NATO expansion unacceptable",
            "Russian President Vladimir Putin on Thursday said Moscow and Beijing are \"jointly developing high-tech weapons\".",
            true,
            false,
        ),
        (
            "Sensex ends 384 points higher as banks rally",
            "Benchmark indices closed higher for a second straight session.",
            false,
            false,
        ),
        (
            "Xi, Putin to hold video call next week, Kremlin says",
            "Chinese President Xi Jinping and Russian President Vladimir Putin will speak by video link, the Kremlin said.",
            true,
            false,
        ),
        (
            "Ashes: England collapse again in Melbourne",
            "England were bowled out for 185 on the first day.",
            false,
            false,
        ),
        (
            "US warns of sanctions over Ukraine build-up",
            "Washington said it would respond to any NATO-related escalation with sanctions.",
            false,
            true,
        ),
    ];
    let russia_china = q(RUSSIA_CHINA);
    let nato_ukraine = q(NATO_UKRAINE);
    for (i, (title, description, rc, nu)) in stories.iter().enumerate() {
        let text = MatchText::new(&format!("{title}\n{description}"));
        assert_eq!(
            russia_china.matches(&text),
            *rc,
            "story {}: russia-china",
            i + 1
        );
        assert_eq!(
            nato_ukraine.matches(&text),
            *nu,
            "story {}: nato-ukraine",
            i + 1
        );
    }
}

#[test]
fn error_columns() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "empty query"),
        ("   ", 1, "empty query"),
        ("Putin AND", 7, "'AND' has nothing after it"),
        ("Putin OR", 7, "'OR' has nothing after it"),
        ("Putin NOT", 7, "'NOT' has nothing after it"),
        ("(Putin AND) China", 8, "'AND' has nothing after it"),
        ("AND Putin", 1, "'AND' has nothing before it"),
        ("Putin (OR China)", 8, "'OR' has nothing before it"),
        ("Putin AND OR China", 11, "'OR' right after 'AND'"),
        ("NOT AND China", 5, "'AND' right after 'NOT'"),
        (
            "Putin AND (China",
            17,
            "missing ')' to close the '(' at column 11",
        ),
        (
            "Putin AND (China ",
            18,
            "missing ')' to close the '(' at column 11",
        ),
        (
            "((Putin) AND China",
            19,
            "missing ')' to close the '(' at column 1",
        ),
        (
            "Putin AND (",
            12,
            "missing ')' to close the '(' at column 11",
        ),
        (
            "(Putin OR Kremlin)) AND China",
            19,
            "')' has no matching '('",
        ),
        (") Putin", 1, "')' has no matching '('"),
        ("Putin ()", 7, "empty parentheses"),
        ("\"Xi Jinping", 1, "never closed"),
        ("Putin AND \"Xi", 11, "never closed"),
        ("Putin \"\"", 7, "empty phrase"),
        ("Putin \" - \"", 7, "empty phrase"),
        ("sanc*tion", 5, "'*' can only end a word"),
        ("Putin AND sanction**", 19, "'*' can only end a word"),
        ("\"Xi* Jin*ping\"", 9, "'*' can only end a word"),
        ("*", 1, "'*' must follow a letter or digit"),
        ("Putin -*", 8, "'*' must follow a letter or digit"),
        ("\"Xi *\"", 5, "'*' must follow a letter or digit"),
        ("Putin - China", 7, "'-' has no letters or digits"),
        // Columns count characters, not bytes.
        ("Путин AND", 7, "'AND' has nothing after it"),
        ("普京 OR (中国", 10, "missing ')'"),
    ];
    for &(query, column, message) in cases {
        let (col, msg) = error(query);
        assert_eq!(col, column, "{query:?}: {msg}");
        assert!(
            msg.contains(message),
            "{query:?}: {msg:?} lacks {message:?}"
        );
    }
}

#[test]
fn error_display_names_the_column() {
    let e = Query::parse("Putin AND (China ").err();
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some("column 18: missing ')' to close the '(' at column 11")
    );
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let deep = format!("{}putin{}", "(".repeat(500), ")".repeat(500));
    assert_eq!(error(&deep).0, 101);
    let nots = format!("{}putin", "NOT ".repeat(500));
    assert!(error(&nots).1.contains("nested"));
    let fine = format!("{}putin{}", "(".repeat(50), ")".repeat(50));
    assert!(hits(&fine, "Putin"));
}

#[test]
fn operators_are_upper_case_only() {
    assert!(hits("putin and china", "Putin and China"));
    assert!(!hits("putin and china", "Putin, China"));
    assert!(!hits("putin or china", "Putin"));
    assert!(hits("Putin OR China", "China"));
    assert!(hits("not", "Not again"));
    assert!(hits("\"AND\"", "this and that"));
}

#[test]
fn precedence_not_then_and_then_or() {
    // a OR (b AND c)
    assert!(hits("kyiv OR putin china", "Kyiv"));
    assert!(hits("kyiv OR putin china", "Putin in China"));
    assert!(!hits("kyiv OR putin china", "Putin"));
    // (NOT a) AND b
    assert!(hits("NOT ashes england", "England"));
    assert!(!hits("NOT ashes england", "Ashes: England"));
    assert!(hits("putin OR NOT china", "Sensex"));
    assert!(!hits("putin OR NOT china", "China"));
    assert!(hits("NOT (ashes OR cricket) england", "England"));
    assert!(!hits("NOT (ashes OR cricket) england", "England cricket"));
    assert!(hits("NOT NOT putin", "Putin"));
}

#[test]
fn case_accents_and_punctuation_do_not_matter() {
    assert!(hits("Zelenskyy", "ZELENSKYY spoke"));
    assert!(hits("Élysée", "the Elysee palace"));
    assert!(hits("Elysee", "à l'Élysée"));
    assert!(hits("Sao Paulo", "São Paulo"));
    assert!(hits("Lodz", "Łódź"));
    assert!(hits("nato", "NATO's response"));
    assert!(hits("nato", "NATO’s response"));
    assert!(hits("russia AND china", "Russia-China ties"));
    assert!(hits("NATO's", "NATO’s response"));
    assert!(hits("Αθήνα", "ΑΘΗΝΑ"));
    assert!(hits("ＮＡＴＯ", "NATO"));
    assert!(hits("Ukraine", "Ukr\u{00AD}aine"));
}

#[test]
fn whole_words_only() {
    assert!(!hits("China", "Chinatown is busy"));
    assert!(hits("Chinatown", "Chinatown is busy"));
    assert!(hits("China", "China's exports"));
    assert!(!hits("sanction", "sanctions"));
    assert!(!hits("US", "Russia"));
}

#[test]
fn prefixes() {
    for text in ["sanction", "sanctions", "Sanctioned", "sanctioning"] {
        assert!(hits("sanction*", text), "{text}");
    }
    assert!(!hits("sanction*", "unsanctioned"));
    assert!(!hits("sanction*", "sanctimonious"));
    assert!(hits("Zelensk*", "Zelenskyy's office"));
    assert!(hits("Ukrain*", "Ukrainian forces"));
    assert!(hits("\"north atlantic*\"", "the North Atlanticist view"));
    assert!(!hits("\"north* treaty\"", "north atlantic treaty"));
}

#[test]
fn phrases_are_consecutive_words() {
    assert!(hits("\"Xi Jinping\"", "President Xi Jinping said"));
    assert!(!hits("\"Xi Jinping\"", "Jinping Xi"));
    assert!(!hits("\"Xi Jinping\"", "Xi, the leader, Jinping"));
    assert!(hits("\"Xi Jinping\" putin", "Putin and Xi Jinping"));
    // A word with punctuation inside is a phrase of its parts.
    assert!(hits("Russia-China", "Russia China summit"));
    assert!(!hits("Russia-China", "China-Russia summit"));
    assert!(hits("\"build-up\"", "a build up of troops"));
    // Repeated first word: the scan must try every start.
    assert!(hits("\"north atlantic\"", "north north atlantic"));
}

#[test]
fn cyrillic_greek_arabic_are_words() {
    assert!(hits("Путин", "Президент ПУТИН заявил"));
    assert!(!hits("Путин", "Визит Путина в Пекин"));
    assert!(hits("Путин*", "Визит Путина в Пекин"));
    assert!(hits("Путин Кремль", "Кремль: Путин и Си"));
    assert!(hits("Ёлка", "елка"));
    assert!(!hits("мой", "мои"));
    assert!(hits("Πούτιν", "Ο ΠΟΥΤΙΝ είπε"));
    assert!(hits("بوتين", "قال الرئيس الروسي بوتين"));
    assert!(!hits("بوتين", "قال البوتيني"));
    assert!(hits("أحمد", "قال احمد"));
}

#[test]
fn unspaced_scripts_match_as_runs() {
    let zh = "俄罗斯总统普京周四表示，将与中国加强合作。";
    assert!(hits("普京", zh));
    assert!(hits("普京 AND 中国", zh));
    assert!(hits("Putin OR 普京", zh));
    assert!(!hits("习近平", zh));
    assert!(hits("\"总统普京\"", zh));
    // A run never matches across punctuation.
    assert!(!hits("表示将", zh));
    // A phrase may start inside one run and end inside another.
    assert!(hits("\"普京 Putin 表示\"", "总统普京 Putin 表示将"));
    assert!(!hits("\"普京 Putin 表示\"", "总统普京 Putin 将表示"));
    assert!(hits("2021年", "2021年12月"));
    assert!(hits("プーチン", "プーチン大統領は述べた"));
    assert!(hits("プーチン", "ﾌﾟｰﾁﾝ大統領"));
    assert!(!hits("カキ", "ガキ"));
    assert!(hits("ปูติน", "ประธานาธิบดีปูตินกล่าว"));
    assert!(hits("푸틴", "푸틴은 말했다"));
    // Latin words next to CJK text are still whole words.
    assert!(!hits("china", "普京chinatown"));
    assert!(hits("china", "普京China"));
}

#[test]
fn empty_text_matches_only_negations() {
    let empty = MatchText::new("");
    assert!(!q("putin").matches(&empty));
    assert!(!q("\"xi jinping\"").matches(&empty));
    assert!(q("NOT putin").matches(&empty));
}

#[test]
fn curly_quotes_make_phrases() {
    assert_eq!(q("“Xi Jinping”"), q("\"Xi Jinping\""));
}

#[test]
fn display_is_canonical() {
    let cases = [
        (
            "(Putin OR Kremlin) AND China",
            "(putin OR kremlin) AND china",
        ),
        (
            RUSSIA_CHINA,
            "(putin OR kremlin OR russia) AND (china OR beijing OR \"xi jinping\")",
        ),
        (
            NATO_UKRAINE,
            "(nato OR \"north atlantic\") AND (ukrain* OR kyiv OR kiev OR zelensk*)",
        ),
        ("a b OR c", "a AND b OR c"),
        ("a (b OR c)", "a AND (b OR c)"),
        ("NOT (a OR b) c", "NOT (a OR b) AND c"),
        ("NOT (a b)", "NOT (a AND b)"),
        ("NOT NOT a", "NOT NOT a"),
        ("a AND (b AND c)", "a AND b AND c"),
        ("a OR (b OR c)", "a OR b OR c"),
        ("((a))", "a"),
        ("\"China\"", "china"),
        ("\"AND\" or", "and AND or"),
        ("Russia-China NATO's", "\"russia china\" AND \"nato s\""),
        ("“Élysée  Palace”", "\"elysee palace\""),
        ("普京Putin*", "\"普京 putin*\""),
    ];
    for (query, canonical) in cases {
        assert_eq!(q(query).to_string(), canonical, "{query:?}");
    }
}

#[test]
fn display_round_trips() {
    let queries = [
        RUSSIA_CHINA,
        NATO_UKRAINE,
        "a b OR c NOT d",
        "NOT (a OR b) (c OR NOT d) OR e",
        "NOT NOT \"x y*\" OR (p q)",
        "\"AND\" \"OR\" \"NOT\" and or not",
        "Russia-China NATO's sanction*",
        "普京 OR \"总统 普京\" OR Путин* OR ปูติน",
        "((a OR b) AND (c OR (d AND e)))",
    ];
    for query in queries {
        let parsed = q(query);
        let printed = parsed.to_string();
        let reparsed = q(&printed);
        assert_eq!(reparsed, parsed, "{query:?} printed as {printed:?}");
        assert_eq!(reparsed.to_string(), printed);
    }
}

#[test]
fn one_text_many_queries() {
    let text = MatchText::new("Putin says Russia and China; NATO expansion in Ukraine");
    let results: Vec<bool> = [RUSSIA_CHINA, NATO_UKRAINE, "england", "NOT england"]
        .iter()
        .map(|query| q(query).matches(&text))
        .collect();
    assert_eq!(results, [true, true, false, true]);
}
