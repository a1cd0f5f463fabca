//! `redline coverage TOPIC`: the articles a "like this article" topic matched, with the
//! outlet, headline, similarity and the copy each matched; `--explain` adds what each
//! article shares with its copy (names, figures, quotes, terms).

use serde_json::json;

use super::table::Table;
use super::{Ctx, UsageError, emit, emit_json};
use crate::store::CoverageRow;
use crate::topic::like::{self, Background, Features, LikeCopy, Shared};

pub async fn coverage(ctx: &Ctx, topic: &str, json: bool, explain: bool) -> anyhow::Result<()> {
    let config = ctx.config()?;
    if config.like_topic(topic).is_none() {
        let known = config.topics.iter().any(|t| t.name.get_ref() == topic);
        let why = if known {
            "has no `like` copies"
        } else {
            "is not in"
        };
        return Err(UsageError(format!(
            "topic {topic:?} {why} {} (a coverage topic has `like = [\"copy.txt\"]`; see `redline check`)",
            config.path.display()
        ))
        .into());
    }
    let db = ctx.db(&config).await?;
    let name = topic.to_string();
    let rows = db.call(move |s| s.coverage(&name)).await?;
    let mut explained = Vec::new();
    if explain {
        for row in &rows {
            let id = row.article_id;
            let first = db.call(move |s| s.version(id, 1)).await?;
            // The first stored version is what matched; before it is fetched, the title.
            let text = first.map_or_else(|| row.title.clone(), |v| v.copy.to_string());
            explained.push(explain_row(row, &text));
        }
    }
    if json {
        let docs: Vec<serde_json::Value> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut doc = json!(r);
                if let Some(shared) = explained.get(i) {
                    doc["shared"] = json!(shared);
                }
                doc
            })
            .collect();
        return emit_json(&docs);
    }
    if rows.is_empty() {
        return emit(&format!(
            "no article matched topic {topic:?} yet (run `redline poll`)\n"
        ));
    }
    let mut t = Table::new(&["ID", "SIMILARITY", "OUTLET", "COPY", "HEADLINE"]);
    for r in &rows {
        t.row(vec![
            r.article_id.to_string(),
            format!("{:.2}", r.similarity),
            r.feed.clone().unwrap_or_else(|| "-".into()),
            r.copy.clone(),
            r.title.clone(),
        ]);
    }
    let mut out = t.to_string();
    for (r, shared) in rows.iter().zip(&explained) {
        out.push_str(&format!(
            "\n{} {} — similarity {:.2} to {}\n{}\n",
            r.article_id, r.title, r.similarity, r.copy, r.url
        ));
        for (label, items) in [
            ("names", &shared.names),
            ("figures", &shared.figures),
            ("quotes", &shared.quotes),
            ("terms", &shared.terms),
        ] {
            if items.is_empty() {
                continue;
            }
            out.push_str(&format!("  {label:<8} {}\n", list(items, 20)));
        }
    }
    emit(&out)
}

/// What an article's text shares with the copy it matched, strongest first.
fn explain_row(row: &CoverageRow, text: &str) -> Shared {
    let copy = LikeCopy::new(&row.copy, &row.copy_text);
    like::shared(&Features::explained(text), &copy, &Background::default())
}

fn list(items: &[String], max: usize) -> String {
    let mut out = items
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        out.push_str(&format!(", … ({} more)", items.len() - max));
    }
    out
}
