//! Feed bytes → entries: the charset detection, then the feed parser, as a poll runs
//! them. The first byte picks the Content-Type the server claimed.
#![no_main]

use libfuzzer_sys::fuzz_target;

const TYPES: [Option<&str>; 5] = [
    None,
    Some("application/rss+xml"),
    Some("application/xml; charset=windows-1251"),
    Some("text/xml; charset=utf-16"),
    Some("application/feed+json; charset=shift_jis"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let content_type = TYPES[usize::from(pick) % TYPES.len()];
    let (text, _) = redline::charset::decode(bytes, content_type);
    let base = url::Url::parse("http://feeds.example/world.xml").expect("static URL");
    if let Ok(parsed) = redline::feed::parse(&text, &base) {
        for e in &parsed.entries {
            let _ = e.key();
            let _ = e.match_text();
        }
    }
});
