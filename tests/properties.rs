//! Property tests over the parsers a hostile feed or page reaches, the same entry points
//! as the fuzz targets in `fuzz/`: feed bytes → entries (charset included), page bytes →
//! stored copy, two copies → diff → every renderer, the topic query parser, the config
//! parser. None may panic, and each case must finish within proptest's per-case
//! `timeout` (a bound on pathological inputs, far above a normal run).

use proptest::prelude::*;
use redline::diff::{self, render};
use redline::text::Copy;
use redline::topic::{MatchText, Query};

/// The fuzz targets' entry points, byte for byte as in `fuzz/fuzz_targets/`, so that an
/// input kept in `fuzz/regressions/TARGET/` replays here.
mod entry {
    use super::*;

    pub fn feed(data: &[u8]) {
        const TYPES: [Option<&str>; 5] = [
            None,
            Some("application/rss+xml"),
            Some("application/xml; charset=windows-1251"),
            Some("text/xml; charset=utf-16"),
            Some("application/feed+json; charset=shift_jis"),
        ];
        let Some((&pick, bytes)) = data.split_first() else {
            return;
        };
        let (text, _) = redline::charset::decode(bytes, TYPES[usize::from(pick) % TYPES.len()]);
        let base = url::Url::parse("http://feeds.example/world.xml").expect("url");
        if let Ok(parsed) = redline::feed::parse(&text, &base) {
            for e in &parsed.entries {
                let _ = e.key();
                let _ = e.match_text();
            }
        }
    }

    pub fn page(data: &[u8]) {
        let (html, _) = redline::charset::decode(data, Some("text/html"));
        let opts = redline::extract::Options {
            drop: redline::extract::Selectors::parse([".ad", "aside"]).expect("valid selectors"),
            url: Some("http://news.example/a/b".into()),
            ..Default::default()
        };
        if let Ok(copy) = redline::extract::extract(&html, &opts) {
            let stored = copy.to_string();
            assert_eq!(Copy::parse(&stored).to_string(), stored);
        }
    }

    pub fn diff(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let (a, b) = text.split_once('\u{0}').unwrap_or((&text, ""));
        let (old, new) = (Copy::parse(a), Copy::parse(b));
        let d = diff::diff(&old, &new);
        for context in [0, 1, 3] {
            let o = render::RenderOptions { context };
            let _ = render::word(&d, &o);
            let _ = render::ansi(&d, &o);
            assert!(!render::html(&d, &o).contains("<script"));
        }
        let _ = render::unified(&old, &new, "old", "new");
        let _ = render::json(&d);
        let _ = diff::classify(&old, &new);
    }

    pub fn topic(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let (query, against) = text
            .split_once('\u{0}')
            .unwrap_or((&text, "Putin and China"));
        if let Ok(q) = Query::parse(query) {
            let _ = q.matches(&MatchText::new(against));
        }
    }

    pub fn config(data: &[u8]) {
        if let Ok(text) = std::str::from_utf8(data)
            && let Err(e) =
                redline::config::Config::from_str(text, std::path::Path::new("fuzz.toml"))
        {
            assert!(!e.to_string().is_empty());
        }
    }
}

/// Every input a fuzz target once crashed on, replayed through the same entry point.
#[test]
fn fuzz_regressions_replay() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    type Entry = fn(&[u8]);
    let targets: [(&str, Entry); 5] = [
        ("feed", entry::feed),
        ("page", entry::page),
        ("diff", entry::diff),
        ("topic", entry::topic),
        ("config", entry::config),
    ];
    let mut replayed = 0;
    for (name, run) in targets {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for file in dir {
            let path = file.expect("dir entry").path();
            let data = std::fs::read(&path).expect("regression input");
            eprintln!("replaying {}", path.display());
            run(&data);
            replayed += 1;
        }
    }
    // At least the feed input the property tests found is there.
    assert!(replayed >= 1, "no inputs under {}", root.display());
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Per case, in milliseconds: generous for a loaded CI machine, yet it catches
        // anything exponential.
        timeout: 20_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text made of the pieces parsers care about, so the cases reach deep.
fn markup(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(pieces).prop_map(str::to_string),
            1 => "\\PC{0,12}",
            1 => any::<char>().prop_map(|c| c.to_string()),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

const FEED_PIECES: &[&str] = &[
    "<?xml version=\"1.0\" encoding=\"windows-1251\"?>",
    "<?xml version=\"1.0\"?>",
    "<rss version=\"2.0\">",
    "<channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>http://a.example/x?utm_source=rss</link>",
    "<guid>",
    "</guid>",
    "<description>&lt;p&gt;Putin",
    "<![CDATA[<b>China</b>]]>",
    "&amp;",
    "&#x1F600;",
    "&lol;",
    "<!DOCTYPE rss [<!ENTITY lol \"lol\">]>",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "<entry>",
    "<link href=\"/a\"/>",
    "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[",
    "{\"id\":\"1\",\"url\":\"http://a.example/\"}",
    "\u{feff}",
    "\u{0}",
];

const PAGE_PIECES: &[&str] = &[
    "<!DOCTYPE html>",
    "<html>",
    "<head><meta charset=\"shift_jis\">",
    "<title>",
    "<body>",
    "<article>",
    "<h1>",
    "</h1>",
    "<p>",
    "</p>",
    "<div class=\"ad\">",
    "</div>",
    "<aside>",
    "<script>",
    "</script>",
    "<br>",
    "The Kremlin said the two leaders would discuss relations. ",
    "&nbsp;",
    "\u{200b}",
    "<table><tr><td>",
    "<!--",
    "-->",
];

const COPY_PIECES: &[&str] = &[
    "\n\n",
    "\n",
    " ",
    "Putin",
    "said",
    "China",
    "'jointly developing high-tech weapons'",
    "advanced",
    "<script>alert(1)</script>",
    "&amp;",
    "\u{200b}",
    "\u{301}",
    "e\u{301}",
    "\u{1b}[31m",
    ".",
    ",",
];

const QUERY_PIECES: &[&str] = &[
    "Putin",
    "China",
    " AND ",
    " OR ",
    " NOT ",
    "(",
    ")",
    "\"",
    "*",
    "Ukrain*",
    "-",
    ":",
    " ",
    "\"Xi Jinping\"",
    "title:",
    "NEAR/3",
];

const CONFIG_PIECES: &[&str] = &[
    "[http]\n",
    "[schedule]\n",
    "[[feed]]\n",
    "[[topic]]\n",
    "[email]\n",
    "name = \"A\"\n",
    "url = \"http://a.example/feed\"\n",
    "query = 'Putin AND (China'\n",
    "query = 'Putin'\n",
    "timeout = \"30x\"\n",
    "feed_interval = \"0s\"\n",
    "jitter = \"150%\"\n",
    "max_body = \"10ZiB\"\n",
    "revisit = []\n",
    "ignore = [\"(\"]\n",
    "drop = [\"::bad\"]\n",
    "listen = \"nowhere\"\n",
    "proxy = \"ftp://x\"\n",
    "to = [\"not an address\"]\n",
    "unknown = 1\n",
    "\"",
    "=",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn feed_bytes_give_entries_or_an_error(
        text in markup(FEED_PIECES),
        junk in prop::collection::vec(any::<u8>(), 0..64),
        ct in prop::sample::select(vec![None, Some("application/rss+xml"), Some("text/xml; charset=utf-16"), Some("application/xml; charset=koi8-r")]),
    ) {
        let mut bytes = text.into_bytes();
        bytes.extend(junk);
        let (decoded, _) = redline::charset::decode(&bytes, ct);
        let base = url::Url::parse("http://feeds.example/world.xml").expect("url");
        if let Ok(parsed) = redline::feed::parse(&decoded, &base) {
            for e in &parsed.entries {
                let _ = e.key();
                prop_assert!(e.link.as_deref().is_none_or(|l| l.starts_with("http")));
            }
        }
    }

    #[test]
    fn page_bytes_give_a_stored_copy_or_an_error(
        text in markup(PAGE_PIECES),
        junk in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = text.into_bytes();
        bytes.extend(junk);
        let (html, _) = redline::charset::decode(&bytes, Some("text/html"));
        let opts = redline::extract::Options {
            drop: redline::extract::Selectors::parse([".ad", "aside"]).expect("valid selectors"),
            url: Some("http://news.example/a".into()),
            ..Default::default()
        };
        if let Ok(copy) = redline::extract::extract(&html, &opts) {
            let stored = copy.to_string();
            prop_assert_eq!(Copy::parse(&stored).to_string(), stored);
        }
    }

    #[test]
    fn two_copies_diff_and_render_in_every_format(
        old in markup(COPY_PIECES),
        new in markup(COPY_PIECES),
        cut in 0usize..4,
    ) {
        let (old, new) = (Copy::parse(&old), Copy::parse(&new));
        let d = diff::diff(&old, &new);
        for context in [0, cut] {
            let o = render::RenderOptions { context };
            let _ = render::word(&d, &o);
            let _ = render::ansi(&d, &o);
            let html = render::html(&d, &o);
            prop_assert!(!html.contains("<script"), "{}", html);
        }
        let _ = render::unified(&old, &new, "old", "new");
        let _ = render::json(&d);
        let _ = diff::classify(&old, &new);
        // A copy compared with itself has no changes.
        prop_assert!(diff::diff(&old, &old).is_empty());
    }

    #[test]
    fn topic_queries_parse_or_fail_and_match_anything(
        query in markup(QUERY_PIECES),
        text in "\\PC{0,80}",
    ) {
        if let Ok(q) = Query::parse(&query) {
            let _ = q.matches(&MatchText::new(&text));
        }
    }

    #[test]
    fn config_text_loads_or_names_a_key(text in markup(CONFIG_PIECES)) {
        if let Err(e) = redline::config::Config::from_str(&text, std::path::Path::new("p.toml")) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}
