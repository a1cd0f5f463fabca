//! Two stored copies → their diff → every renderer (word, ANSI, HTML, unified, JSON) and
//! the change classification.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::diff::{self, render};
use redline::text::Copy;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\u{0}').unwrap_or((&text, ""));
    let (old, new) = (Copy::parse(a), Copy::parse(b));
    let d = diff::diff(&old, &new);
    for context in [0, 1, 3] {
        let o = render::RenderOptions { context };
        let _ = render::word(&d, &o);
        let _ = render::ansi(&d, &o);
        let html = render::html(&d, &o);
        assert!(!html.contains("<script"), "article text escaped in HTML");
    }
    let _ = render::unified(&old, &new, "old", "new");
    let _ = render::json(&d);
    let _ = diff::classify(&old, &new);
});
