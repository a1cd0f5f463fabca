//! The topic query language: any text parses or gives an error, and a query that parses
//! matches any text without panicking. A NUL splits the query from the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::topic::{MatchText, Query};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (query, against) = text
        .split_once('\u{0}')
        .unwrap_or((&text, "Putin and China"));
    if let Ok(q) = Query::parse(query) {
        let _ = q.matches(&MatchText::new(against));
    }
});
