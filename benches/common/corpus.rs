//! The shared corpus for the benches: where `shared/` is, and its pages, decompressed.
//! Included by `extraction.rs` and `churn.rs` with `#[path]`.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Every `KEY.html.gz` of the corpus, decompressed, sorted by key.
pub fn load_pages(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut pages = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(key) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".html.gz"))
        else {
            continue;
        };
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        pages.push((key.to_string(), bytes));
    }
    pages.sort();
    Ok(pages)
}

/// `shared/` beside the repository (as in CI), else `/work/shared`.
pub fn shared_dir() -> Option<PathBuf> {
    [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from("/work/shared"),
    ]
    .into_iter()
    .find(|p| p.join("corpus/aeb-dev").is_dir())
}
