//! `redline feeds import FILE.opml` and `redline feeds export`: the glue between
//! [`crate::opml`] and the config file on disk.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::{Ctx, UsageError};
use crate::config::Config;
use crate::opml;

/// Adds the OPML file's feeds to the config file, or leaves it untouched on any error.
pub fn import(ctx: &Ctx, file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let outlines =
        opml::parse(&bytes).map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    let path = &ctx.config_path;
    let before = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config {}", path.display()))?;
    let (after, done) = opml::import_into(&before, &outlines)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if !done.added.is_empty() {
        // Written beside the config and checked as a config before it replaces it, so a
        // failed import never leaves a half-written or invalid file behind.
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let dir = dir.unwrap_or(Path::new("."));
        let mut tmp = tempfile_in(dir)?;
        tmp.1
            .write_all(after.as_bytes())
            .and_then(|()| tmp.1.sync_all())
            .with_context(|| format!("writing {}", tmp.0.display()))?;
        if let Err(e) = Config::load(&tmp.0) {
            let _ = std::fs::remove_file(&tmp.0);
            return Err(UsageError(format!(
                "the config with these feeds would not load, so {} is left as it was: {e}",
                path.display()
            ))
            .into());
        }
        std::fs::rename(&tmp.0, path).with_context(|| format!("replacing {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    for o in &done.added {
        writeln!(out, "added    {}  {}", o.title, o.xml_url)?;
    }
    for o in &done.skipped {
        writeln!(
            out,
            "skipped  {}  {} (already in the config)",
            o.title, o.xml_url
        )?;
    }
    writeln!(
        out,
        "{} added, {} already there; {} {}",
        done.added.len(),
        done.skipped.len(),
        path.display(),
        if done.added.is_empty() {
            "unchanged"
        } else {
            "updated"
        }
    )?;
    Ok(())
}

/// A new file next to the config, created exclusively.
fn tempfile_in(dir: &Path) -> anyhow::Result<(std::path::PathBuf, std::fs::File)> {
    for n in 0..100u32 {
        let p = dir.join(format!(".redline-import-{}-{n}.toml", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", p.display())),
        }
    }
    anyhow::bail!("could not create a temporary file in {}", dir.display())
}

/// Prints the configured feeds as OPML 2.0.
pub fn export(ctx: &Ctx) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let created = chrono::Utc::now().to_rfc2822();
    let xml = opml::write(
        config
            .feeds
            .iter()
            .map(|f| (f.name.as_str(), f.url.get_ref().as_str())),
        &created,
    );
    std::io::stdout().lock().write_all(xml.as_bytes())?;
    Ok(())
}
