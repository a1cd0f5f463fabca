//! Page bytes → the stored copy: charset detection, extraction, and the stored text read
//! back (which must give the same copy).
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::extract::{Options, Selectors, extract};
use redline::text::Copy;

fuzz_target!(|data: &[u8]| {
    let (html, _) = redline::charset::decode(data, Some("text/html"));
    let opts = Options {
        drop: Selectors::parse([".ad", "aside"]).expect("static selectors"),
        url: Some("http://news.example/a/b".into()),
        ..Default::default()
    };
    if let Ok(copy) = extract(&html, &opts) {
        let stored = copy.to_string();
        assert_eq!(
            Copy::parse(&stored).to_string(),
            stored,
            "stored copy round trip"
        );
    }
});
