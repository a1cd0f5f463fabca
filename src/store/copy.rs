//! `redline migrate`: copies an SQLite state into an empty PostgreSQL database.
//!
//! Table by table, parents first ([`pg::TABLES`]), every row with its id as it is, each
//! table in one transaction; then each identity sequence is moved past the largest id
//! copied, so new rows never collide with copied ones, and the row counts of both sides
//! are compared. A database that already holds rows is refused: the copy never merges.

use super::sql::Value;
use super::{Result, Store, StoreError, pg};

/// What the copy did to one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCopied {
    pub table: &'static str,
    pub rows: i64,
}

impl Store {
    /// Copies every row of this (SQLite) store into `dest`, an empty PostgreSQL store,
    /// calling `progress(table, copied, total)` as it goes. Returns each table's count,
    /// verified on both sides.
    pub fn copy_to(
        &self,
        dest: &mut Store,
        mut progress: impl FnMut(&str, i64, i64),
    ) -> Result<Vec<TableCopied>> {
        if self.is_postgres() || !dest.is_postgres() {
            return Err(StoreError::Copy(
                "the copy goes from an SQLite state to a PostgreSQL database".into(),
            ));
        }
        for table in pg::TABLES {
            let n = count(dest, table)?;
            if n > 0 {
                return Err(StoreError::Copy(format!(
                    "the PostgreSQL database is not empty ({table} holds {n} rows): give an empty database"
                )));
            }
        }
        let mut copied = Vec::new();
        for &table in pg::TABLES {
            let columns: Vec<String> = dest.conn.query_map(
                "SELECT column_name FROM information_schema.columns
                 WHERE table_name = ?1 AND table_schema = current_schema()
                 ORDER BY ordinal_position",
                [table],
                |r| r.get(0),
            )?;
            let total = count(self, table)?;
            let list = columns.join(", ");
            let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
            let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
            let tx = dest.conn.write()?;
            let mut done = 0;
            progress(table, 0, total);
            self.conn
                .query_map(&format!("SELECT {list} FROM {table} ORDER BY 1"), (), |r| {
                    let values = (0..columns.len())
                        .map(|i| r.get::<_, Value<'static>>(i))
                        .collect::<Result<Vec<_>>>()?;
                    tx.execute(&insert, values)?;
                    done += 1;
                    if done % 500 == 0 {
                        progress(table, done, total);
                    }
                    Ok(())
                })?;
            if columns.iter().any(|c| c == "id") {
                tx.query_row(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                       COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                    ),
                    (),
                    |r| r.get::<_, i64>(0),
                )?;
            }
            tx.commit()?;
            progress(table, done, total);
            let there = count(dest, table)?;
            if there != total {
                return Err(StoreError::Copy(format!(
                    "{table}: {total} rows in SQLite but {there} in PostgreSQL after the copy"
                )));
            }
            copied.push(TableCopied { table, rows: total });
        }
        Ok(copied)
    }
}

fn count(store: &Store, table: &str) -> Result<i64> {
    store
        .conn
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))
}
