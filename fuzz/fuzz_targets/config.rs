//! The config parser and validation: any text loads or gives an error naming a key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = redline::config::Config::from_str(text, std::path::Path::new("fuzz.toml")) {
        let _ = e.to_string();
    }
});
