//! `redline migrate --to postgres://…`: copies the SQLite state into an empty PostgreSQL
//! database (see `store::copy`), with progress on a terminal and quiet when piped.

use std::io::{IsTerminal, Write};
use std::str::FromStr;

use super::{Ctx, UsageError, emit};
use crate::store::{Store, pg};

pub async fn migrate(ctx: &Ctx, to: String) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let ok = (to.starts_with("postgres://") || to.starts_with("postgresql://"))
        && postgres::Config::from_str(&to).is_ok();
    if !ok {
        return Err(UsageError(format!(
            "--to {:?} is not a PostgreSQL URL like postgres://redline@db.example.org/redline",
            pg::redact(&to)
        ))
        .into());
    }
    let path = config.db_path();
    if !path.is_file() {
        return Err(UsageError(format!(
            "no SQLite state at {} to copy (see [state] dir)",
            path.display()
        ))
        .into());
    }
    let password = config.state.password().map_err(anyhow::Error::msg)?;
    let progress = std::io::stderr().is_terminal();
    let target = pg::redact(&to);
    let copied = tokio::task::spawn_blocking(move || {
        let source = Store::open(&path)?;
        let mut dest = Store::open_postgres(&to, password.as_deref())?;
        source.copy_to(&mut dest, |table, done, total| {
            if progress {
                let mut err = std::io::stderr();
                let _ = write!(err, "\r\x1b[Kcopying {table}: {done}/{total}");
                let _ = err.flush();
            }
        })
    })
    .await??;
    if progress {
        eprint!("\r\x1b[K");
    }
    let rows: i64 = copied.iter().map(|t| t.rows).sum();
    let mut out = String::new();
    for t in &copied {
        out.push_str(&format!("{:<20} {:>9}\n", t.table, t.rows));
    }
    out.push_str(&format!(
        "copied {rows} rows in {} tables into {target}; the counts match on both sides\n",
        copied.len()
    ));
    emit(&out)
}
