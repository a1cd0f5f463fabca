//! Placeholder renderers until the differ lands.
use super::CopyDiff;
use crate::text::Copy;
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub context: usize,
}
pub fn word(d: &CopyDiff, _o: &RenderOptions) -> String {
    format!("+{} -{}\n", d.words_added, d.words_removed)
}
pub fn ansi(d: &CopyDiff, o: &RenderOptions) -> String {
    word(d, o)
}
pub fn html(d: &CopyDiff, o: &RenderOptions) -> String {
    word(d, o)
}
pub fn unified(_a: &Copy, _b: &Copy, _x: &str, _y: &str) -> String {
    String::new()
}
pub fn json(d: &CopyDiff) -> serde_json::Value {
    serde_json::json!({"words_added": d.words_added})
}
