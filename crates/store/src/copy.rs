//! Moving an installation from its embedded SQLite store to PostgreSQL: every row of every
//! table copied as it stands, so that cases keep their ids, references, clocks and history.
//!
//! The schema is read from the target (PostgreSQL's catalogue says each column's type, which
//! columns are generated and which tables refer to which), so a new migration needs no change
//! here; a table that exists on one side only stops the copy before it writes anything.

use crate::{Backend, Store, StoreError, StoreResult};
use futures::TryStreamExt;
use sqlx::{PgConnection, Row, SqlitePool};
use std::collections::{BTreeMap, BTreeSet};

/// How many rows went into each table, in the order they were copied.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(String, u64)>,
}

/// Bytes of COPY data sent to PostgreSQL at once.
const COPY_CHUNK: usize = 1 << 20;

/// A column of the target and how its values are read from SQLite.
struct Column {
    name: String,
    kind: ValueKind,
}

#[derive(Clone, Copy)]
enum ValueKind {
    Integer,
    Boolean,
    Float,
    Text,
    Bytes,
}

impl ValueKind {
    fn of(pg_type: &str) -> Option<Self> {
        Some(match pg_type {
            "bigint" | "integer" | "smallint" => Self::Integer,
            "boolean" => Self::Boolean,
            "double precision" | "real" => Self::Float,
            "text" | "json" | "jsonb" | "character varying" => Self::Text,
            "bytea" => Self::Bytes,
            _ => return None,
        })
    }
}

fn copy_error(message: impl Into<String>) -> StoreError {
    StoreError::Copy(message.into())
}

impl Store {
    /// Copies every row of this store (SQLite) into `target` (PostgreSQL, migrated to the same
    /// version and empty), in one transaction of the target: all or nothing. `progress` hears
    /// each table's name and then its rows as they are sent.
    pub async fn copy_into(&self, target: &Store, mut progress: impl FnMut(&str, u64)) -> StoreResult<CopyReport> {
        let (Backend::Sqlite { read, .. }, Backend::Postgres(pool)) = (&self.backend, &target.backend) else {
            return Err(copy_error("a store is copied from SQLite into PostgreSQL"));
        };
        let source_version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(read)
            .await?;
        let target_version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
        if source_version != target_version {
            return Err(copy_error(format!(
                "the stores are at different schema versions ({source_version:?} and {target_version:?})"
            )));
        }
        let mut tx = pool.begin().await?;
        let tables = target_tables(&mut tx).await?;
        let source_tables: BTreeSet<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
        )
        .fetch_all(read)
        .await?
        .into_iter()
        .collect();
        let target_names: BTreeSet<String> = tables.keys().cloned().collect();
        if source_tables != target_names {
            let only_source: Vec<_> = source_tables.difference(&target_names).collect();
            let only_target: Vec<_> = target_names.difference(&source_tables).collect();
            return Err(copy_error(format!(
                "the schemas differ: tables only in SQLite {only_source:?}, only in PostgreSQL {only_target:?}"
            )));
        }
        for table in tables.keys().filter(|t| !FILLED_BY_MIGRATIONS.contains(&t.as_str())) {
            let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(table)))
                .fetch_one(&mut *tx)
                .await?;
            if any {
                return Err(copy_error(format!("the target already holds data (table {table})")));
            }
        }
        let order = referenced_first(&mut tx, &target_names).await?;
        let all: Vec<String> = order.iter().map(|t| quoted(t)).collect();
        sqlx::query(&format!("TRUNCATE {}", all.join(", ")))
            .execute(&mut *tx)
            .await?;
        let mut report = CopyReport::default();
        for table in &order {
            progress(table, 0);
            // Rows are copied as they stand: the triggers that keep rollups (case counts)
            // would count them a second time, and the rollups are copied too.
            sqlx::query(&format!("ALTER TABLE {} DISABLE TRIGGER USER", quoted(table)))
                .execute(&mut *tx)
                .await?;
            let rows = copy_table(read, &mut tx, table, &tables[table], &mut progress).await?;
            sqlx::query(&format!("ALTER TABLE {} ENABLE TRIGGER USER", quoted(table)))
                .execute(&mut *tx)
                .await?;
            report.tables.push((table.clone(), rows));
        }
        restart_sequences(&mut tx).await?;
        tx.commit().await?;
        sqlx::query("ANALYZE").execute(pool).await?;
        Ok(report)
    }
}

/// Tables whose rows a migration writes into a new database (a row that says the search index
/// is built, the audit chain's head): replaced by the source's, not a sign that the target is
/// in use.
const FILLED_BY_MIGRATIONS: &[&str] = &["search_index", "audit_head"];

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The target's tables with the columns a row is written with (generated ones are computed).
async fn target_tables(c: &mut PgConnection) -> StoreResult<BTreeMap<String, Vec<Column>>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' AND is_generated = 'NEVER' \
         AND table_name IN (SELECT table_name FROM information_schema.tables \
                            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE') \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *c)
    .await?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, name, pg_type) in rows {
        let kind = ValueKind::of(&pg_type)
            .ok_or_else(|| copy_error(format!("{table}.{name} has a type the copy does not know: {pg_type}")))?;
        tables.entry(table).or_default().push(Column { name, kind });
    }
    Ok(tables)
}

/// The tables in an order where each comes after those its foreign keys point to.
async fn referenced_first(c: &mut PgConnection, tables: &BTreeSet<String>) -> StoreResult<Vec<String>> {
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT cl.relname::text, ref.relname::text FROM pg_constraint k \
         JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class ref ON ref.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         WHERE k.contype = 'f' AND n.nspname = current_schema() AND cl.oid <> ref.oid",
    )
    .fetch_all(&mut *c)
    .await?;
    let mut waiting_on: BTreeMap<&str, BTreeSet<&str>> = tables.iter().map(|t| (t.as_str(), BTreeSet::new())).collect();
    for (table, referenced) in &edges {
        if let Some(set) = waiting_on.get_mut(table.as_str()) {
            set.insert(referenced.as_str());
        }
    }
    let mut order = Vec::with_capacity(tables.len());
    while !waiting_on.is_empty() {
        let ready: Vec<&str> = waiting_on
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            let cycle: Vec<_> = waiting_on.keys().collect();
            return Err(copy_error(format!("the foreign keys of {cycle:?} form a cycle")));
        }
        for table in ready {
            waiting_on.remove(table);
            for deps in waiting_on.values_mut() {
                deps.remove(table);
            }
            order.push(table.to_owned());
        }
    }
    Ok(order)
}

/// Streams one table from SQLite into PostgreSQL's COPY, in its rows' order of insertion.
async fn copy_table(
    source: &SqlitePool,
    target: &mut PgConnection,
    table: &str,
    columns: &[Column],
    progress: &mut impl FnMut(&str, u64),
) -> StoreResult<u64> {
    let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
    let select = format!("SELECT {} FROM {}", names.join(", "), quoted(table));
    let mut copy = target
        .copy_in_raw(&format!("COPY {} ({}) FROM STDIN", quoted(table), names.join(", ")))
        .await?;
    let mut rows = sqlx::query(&select).fetch(source);
    let (mut buffer, mut count) = (String::with_capacity(COPY_CHUNK + 4096), 0u64);
    while let Some(row) = rows.try_next().await? {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                buffer.push('\t');
            }
            let field = |e: sqlx::Error| copy_error(format!("{table}.{}: {e}", column.name));
            match column.kind {
                ValueKind::Integer => push_plain(&mut buffer, row.try_get::<Option<i64>, _>(i).map_err(field)?),
                ValueKind::Boolean => match row.try_get::<Option<bool>, _>(i).map_err(field)? {
                    Some(b) => buffer.push(if b { 't' } else { 'f' }),
                    None => buffer.push_str("\\N"),
                },
                ValueKind::Float => match row.try_get::<Option<f64>, _>(i).map_err(field)? {
                    Some(f) if f.is_nan() => buffer.push_str("NaN"),
                    Some(f) if f.is_infinite() => buffer.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" }),
                    other => push_plain(&mut buffer, other),
                },
                ValueKind::Text => match row.try_get::<Option<String>, _>(i).map_err(field)? {
                    Some(text) => push_escaped(&mut buffer, &text),
                    None => buffer.push_str("\\N"),
                },
                ValueKind::Bytes => match row.try_get::<Option<Vec<u8>>, _>(i).map_err(field)? {
                    // bytea's hex form, its backslash escaped for COPY's text format.
                    Some(bytes) => {
                        buffer.push_str("\\\\x");
                        buffer.push_str(&hex::encode(bytes));
                    }
                    None => buffer.push_str("\\N"),
                },
            }
        }
        buffer.push('\n');
        count += 1;
        if buffer.len() >= COPY_CHUNK {
            copy.send(std::mem::take(&mut buffer).into_bytes()).await?;
            buffer.reserve(COPY_CHUNK + 4096);
            progress(table, count);
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.into_bytes()).await?;
    }
    copy.finish().await?;
    progress(table, count);
    Ok(count)
}

fn push_plain(buffer: &mut String, value: Option<impl std::fmt::Display>) {
    use std::fmt::Write;
    match value {
        Some(v) => write!(buffer, "{v}").expect("writing to a String"),
        None => buffer.push_str("\\N"),
    }
}

/// Text in COPY's text format: backslash, tab, newline and carriage return escaped.
fn push_escaped(buffer: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '\\' => buffer.push_str("\\\\"),
            '\t' => buffer.push_str("\\t"),
            '\n' => buffer.push_str("\\n"),
            '\r' => buffer.push_str("\\r"),
            c => buffer.push(c),
        }
    }
}

/// Each identity or serial column's sequence continues after the highest value copied.
async fn restart_sequences(c: &mut PgConnection) -> StoreResult<()> {
    let serials: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t, col, seq FROM (SELECT table_name::text AS t, column_name::text AS col, \
         pg_get_serial_sequence(quote_ident(table_name::text), column_name::text) AS seq \
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations') s \
         WHERE seq IS NOT NULL",
    )
    .fetch_all(&mut *c)
    .await?;
    for (table, column, sequence) in serials {
        sqlx::query(&format!(
            "SELECT setval($1::regclass, COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
            quoted(&column),
            quoted(&table)
        ))
        .bind(sequence)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::push_escaped;

    #[test]
    fn copy_text_escapes_what_would_end_a_field_or_a_row() {
        let mut out = String::new();
        push_escaped(&mut out, "بلاغ\tعن\\حفرة\r\nسطر");
        assert_eq!(out, "بلاغ\\tعن\\\\حفرة\\r\\nسطر");
    }
}
