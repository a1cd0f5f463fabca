//! Runs the shared corpus scorer (`shared/tools/score_extraction.py`) over a set of
//! extracted bodies. Included by `extraction.rs` and `churn.rs` with `#[path]`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Writes `bodies` (page key → article body, paragraphs joined by newlines) to
/// `target/NAME-predictions.json`, runs the scorer with `--worst worst`, and returns its
/// output (the last line is `pages N  precision P  recall R  F1 F`).
pub fn score(
    shared: &Path,
    name: &str,
    bodies: &BTreeMap<String, String>,
    worst: usize,
) -> Result<String, String> {
    let predictions: BTreeMap<&String, serde_json::Value> = bodies
        .iter()
        .map(|(k, b)| (k, serde_json::json!({ "articleBody": b })))
        .collect();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/{name}-predictions.json"));
    let json = serde_json::to_string_pretty(&predictions).map_err(|e| e.to_string())?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&out, json).map_err(|e| format!("{}: {e}", out.display()))?;
    let scorer = Command::new("python3")
        .arg(shared.join("tools/score_extraction.py"))
        .arg(shared.join("corpus/aeb-dev/ground-truth.json"))
        .arg(&out)
        .args(["--worst", &worst.to_string()])
        .output()
        .map_err(|e| format!("running score_extraction.py: {e}"))?;
    if !scorer.status.success() {
        return Err(format!(
            "score_extraction.py failed: {}",
            String::from_utf8_lossy(&scorer.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&scorer.stdout).into_owned())
}
