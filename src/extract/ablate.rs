//! TEMPORARY: rule toggles for measurement (REDLINE_OFF=a,b,c).
use std::sync::OnceLock;

pub(super) fn off(name: &str) -> bool {
    static OFF: OnceLock<Vec<String>> = OnceLock::new();
    OFF.get_or_init(|| {
        std::env::var("REDLINE_OFF")
            .unwrap_or_default()
            .split(',')
            .map(str::to_string)
            .collect()
    })
    .iter()
    .any(|o| o == name)
}

pub(super) fn word_group(w: &str) -> Option<&'static str> {
    Some(match w {
        "auteur" | "author" | "authors" | "autor" | "writer" | "contributor" => "w_author",
        "bio" | "biography" => "w_bio",
        "date" | "dateline" | "published" | "time" | "timestamp" => "w_date",
        "meta" => "w_meta",
        "gallery" | "counter" => "w_gallery",
        "legenda" | "leyenda" => "w_legenda",
        "readtime" => "w_readtime",
        _ => return None,
    })
}
