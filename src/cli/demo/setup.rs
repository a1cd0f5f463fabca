//! What `redline demo` sets up before the story starts and shows after it: its state
//! directory (given or temporary), the mail directory, the config it writes there, and
//! the command lines that explore the result.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::site;

/// How often the demo's service polls the feed and re-checks each article.
pub const TICK: &str = "500ms";
/// The example config's two topics, which the seed story is about.
const TOPICS: &str = r#"
[[topic]]
name = "russia-china"
query = '(Putin OR Kremlin OR Russia) AND (China OR Beijing OR "Xi Jinping")'

[[topic]]
name = "nato-ukraine"
query = '(NATO OR "North Atlantic") AND (Ukrain* OR Kyiv OR Kiev OR Zelensk*)'
"#;

/// The config the demo's service runs on, kept in the state directory so that
/// `redline --config DIR/redline.toml …` explores what it stored.
pub fn config_text(dir: &Path, base: &str) -> String {
    let dir = toml::Value::String(dir.display().to_string());
    let url = toml::Value::String(format!("{base}{}", site::FEED_PATH));
    format!(
        "# Written by `redline demo`: the config it ran on. Point redline at it to explore\n\
         # what the demo stored, e.g. `redline --config <this file> replay`. The feed was\n\
         # served by the demo itself and is gone once the demo ends.\n\n\
         [state]\n\
         dir = {dir}\n\n\
         [http]\n\
         # The demo's feed and pages are on 127.0.0.1.\n\
         allow_private = true\n\
         timeout = \"10s\"\n\n\
         [schedule]\n\
         # Far faster than a real watcher should poll anyone's site.\n\
         feed_interval = \"{TICK}\"\n\
         jitter = \"0%\"\n\
         revisit = [\"{TICK}\"]\n\n\
         [[feed]]\n\
         name = \"World News\"\n\
         url = {url}\n\
         {TOPICS}\n\
         [email]\n\
         from = \"redline <redline@localhost>\"\n\
         to = [\"you@example.org\"]\n\
         # One .eml file per message under <state.dir>/mail.\n\
         transport = \"file\"\n"
    )
}

/// `--state DIR`: created if needed; refused if it already holds a database or a config,
/// so the demo never mixes with (or overwrites) anything.
pub fn given_state_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot use {} as the demo's state directory", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot use {} as the demo's state directory", dir.display()))?;
    for taken in ["redline.db", "redline.toml"] {
        if dir.join(taken).exists() {
            anyhow::bail!(
                "{} already holds {taken}; give `redline demo --state` a new or empty directory",
                dir.display()
            );
        }
    }
    Ok(dir)
}

/// A new directory under the system's temporary directory, kept after the demo so its
/// result can be explored.
pub fn temp_state_dir() -> anyhow::Result<PathBuf> {
    let tmp = std::env::temp_dir();
    let mut last_error = None;
    for attempt in 0..16u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("redline-demo-{}-{:x}", std::process::id(), nanos ^ attempt);
        match std::fs::create_dir(tmp.join(&name)) {
            Ok(()) => {
                let dir = tmp.join(name);
                return Ok(dir.canonicalize().unwrap_or(dir));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => {
                last_error = Some(e);
                break;
            }
        }
    }
    Err(anyhow::anyhow!(
        "cannot create a temporary directory for the demo in {}: {}; set TMPDIR, or pass --state DIR",
        tmp.display(),
        last_error.map_or_else(|| "no free name".to_string(), |e| e.to_string())
    ))
}

/// The file transport writes one `.eml` per message here: make sure it can.
pub fn check_mail_dir(mail: &Path) -> anyhow::Result<()> {
    let cannot = || format!("cannot write the alert email under {}", mail.display());
    std::fs::create_dir_all(mail).with_context(cannot)?;
    let probe = mail.join(".redline-demo-probe");
    std::fs::write(&probe, b"").with_context(cannot)?;
    std::fs::remove_file(&probe).with_context(cannot)
}

pub fn eml_files(mail: &Path) -> anyhow::Result<BTreeSet<PathBuf>> {
    let entries =
        std::fs::read_dir(mail).with_context(|| format!("cannot read {}", mail.display()))?;
    let mut files = BTreeSet::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", mail.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "eml") {
            files.insert(path);
        }
    }
    Ok(files)
}
/// How to call this binary again from here: as it was called when that was a path
/// (`target/release/redline` under `cargo run`), else `redline`.
pub fn program() -> String {
    std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| a.contains('/'))
        .map_or_else(|| "redline".to_string(), |a| shell_quote(&a))
}

/// `s` as one shell word.
pub fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_demo_config_is_valid_and_points_at_the_site() {
        let dir = Path::new("/tmp/redline demo \"x\"");
        let text = config_text(dir, "http://127.0.0.1:4321");
        let config = Config::from_str(&text, Path::new("redline.toml")).expect("valid");
        assert_eq!(config.state.dir, dir);
        assert_eq!(
            config.feeds[0].url.get_ref(),
            "http://127.0.0.1:4321/feeds/world.xml"
        );
        assert_eq!(config.topics.len(), 2);
        assert!(config.http.allow_private);
    }

    #[test]
    fn the_topics_are_the_example_configs() {
        let example = include_str!("../../../config/redline.toml");
        for line in TOPICS.lines().filter(|l| !l.is_empty()) {
            assert!(example.contains(line), "config/redline.toml lacks {line}");
        }
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("/tmp/a-b_c.toml"), "/tmp/a-b_c.toml");
        assert_eq!(shell_quote("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
