//! Commands that hand over the evidence: `show --raw` (a version's page bytes as
//! received) and `export --warc` (every kept page of an article as WARC 1.1).

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use chrono::Utc;

use super::{Ctx, human_time};
use crate::archive::warc;
use crate::store::{ArticleRow, Db};

async fn article(db: &Db, reference: &str) -> anyhow::Result<ArticleRow> {
    let r = reference.to_string();
    Ok(db.call(move |s| s.resolve_article(&r)).await?)
}

/// Why an article's version has no page bytes to show.
fn missing(article: &ArticleRow, version: i64, dropped: Option<chrono::DateTime<Utc>>) -> String {
    match dropped {
        Some(t) => format!(
            "the page bytes of article {} version {version} were dropped on {} ([archive] keep); its text is still there (`redline show {} --version {version}`)",
            article.id,
            human_time(t),
            article.id
        ),
        None => format!(
            "no page bytes were kept for article {} version {version} (set [archive] raw = true to keep them for the versions to come)",
            article.id
        ),
    }
}

/// `redline show ARTICLE [--version N] --raw`: the stored bytes, as received, on stdout.
pub async fn show_raw(ctx: &Ctx, reference: &str, version: Option<i64>) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let db = ctx.db(&config).await?;
    let article = article(&db, reference).await?;
    let id = article.id;
    let number = match version {
        Some(n) => n,
        None => db
            .call(move |s| s.latest_version(id))
            .await?
            .map(|v| v.number)
            .with_context(|| format!("article {id} has no stored version yet"))?,
    };
    let found = db.call(move |s| s.raw_page(id, number)).await?;
    let page = match found {
        Some((_, Some(page))) => page,
        Some((row, None)) => anyhow::bail!(missing(&article, number, row.dropped_at)),
        None => anyhow::bail!(missing(&article, number, None)),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&page.body)?;
    out.flush()?;
    Ok(())
}

/// `redline export ARTICLE --warc FILE`: a `warcinfo` record, then one `response`
/// record per version whose page bytes are kept. Progress goes to a terminal's stderr.
pub async fn export_warc(ctx: &Ctx, reference: &str, file: &Path) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let db = ctx.db(&config).await?;
    let article = article(&db, reference).await?;
    let id = article.id;
    let rows = db.call(move |s| s.raw_pages(id)).await?;
    let kept: Vec<i64> = rows
        .iter()
        .filter(|r| r.dropped_at.is_none())
        .map(|r| r.version)
        .collect();
    if kept.is_empty() {
        anyhow::bail!(
            "article {id} has no kept page bytes to export ({}); set [archive] raw = true to keep them for the versions to come",
            if rows.is_empty() {
                "none were kept".to_string()
            } else {
                format!("[archive] keep dropped all {}", rows.len())
            }
        );
    }
    // Written beside the target and renamed into place, so a failed export never leaves
    // half a file under the name asked for.
    let partial = file.with_extension("warc.partial");
    let out = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let filename = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fields = [
        (
            "description",
            format!("redline article {id}: {}", article.title),
        ),
        ("isPartOf", article.url.clone()),
    ];
    let mut w = warc::Writer::new(std::io::BufWriter::new(out), &filename, &fields, Utc::now())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let progress = std::io::stderr().is_terminal();
    let total = kept.len();
    for (done, number) in kept.into_iter().enumerate() {
        let page = db.call(move |s| s.raw_page(id, number)).await?;
        if let Some((_, Some(page))) = page {
            w.response(&page)
                .with_context(|| format!("cannot write {}", partial.display()))?;
        }
        if progress {
            eprint!("\rexporting article {id}: {}/{total} versions", done + 1);
        }
    }
    if progress {
        eprintln!();
    }
    w.finish()
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot move {} to {}", partial.display(), file.display()))?;
    super::emit(&format!(
        "wrote {} ({total} response record{}) for article {id}\n",
        file.display(),
        if total == 1 { "" } else { "s" }
    ))
}
