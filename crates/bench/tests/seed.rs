//! `tawasul-bench seed` is deterministic for a seed and a moment: two runs of the real binary,
//! with the cases made on different numbers of threads (and in batches of other sizes),
//! write the same rows (all but the secret tracking tokens' digests; staff by username), on
//! both backends.

use sqlx::Connection;
use tawasul_testkit::postgres::fresh_database;

/// Three batches of 1,000 (`--batch 1000`), the last one short.
const CASES: &str = "2500";
const NOW: &str = "2026-06-15T10:30:00Z";

/// Each table the seed writes, its columns read as text, and its order.
const TABLES: [(&str, &str); 4] = [
    ("cases", "id"),
    ("case_events", "case_id, id"),
    ("case_surveys", "case_id"),
    ("case_terms", "case_id, term"),
];

/// Runs the seeder into the SQLite data directory or the PostgreSQL database `target`.
async fn seed(target: &[&str], seed: &str, threads: &str, batch: &str) -> Result<(), String> {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tawasul-bench"))
        .args(["seed", "--cases", CASES, "--years", "1", "--now", NOW, "--seed", seed])
        .args(["--threads", threads, "--batch", batch])
        .args(target)
        .output()
        .await
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Every row the generator wrote (those of the cases after the demo's), each column as text,
/// but the tracking token's digest, which is secret and random by design.
macro_rules! dump {
    ($conn:expr, $columns:expr) => {{
        let conn = $conn;
        let mut rows = Vec::new();
        let first: i64 = sqlx::query_scalar(&format!("SELECT MAX(id) - {CASES} FROM cases"))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
        for (table, order) in TABLES {
            let columns: Vec<String> = sqlx::query_scalar($columns)
                .bind(table)
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| e.to_string())?;
            let text: Vec<String> = columns
                .iter()
                .filter(|c| c.as_str() != "token_hash")
                .map(|c| match c.as_str() {
                    // Staff ids follow the order the demo's staff were added in (at once):
                    // compared by username.
                    "assignee_id" | "actor_id" => {
                        format!("COALESCE((SELECT s.username FROM staff_users s WHERE s.id = {table}.{c}), '-')")
                    }
                    _ => format!("COALESCE(CAST({c} AS TEXT), '-')"),
                })
                .collect();
            let key = if table == "cases" { "id" } else { "case_id" };
            let sql = format!(
                "SELECT {} FROM {table} WHERE {key} > $1 ORDER BY {order}",
                text.join(" || '|' || ")
            );
            let table_rows: Vec<String> = sqlx::query_scalar(&sql)
                .bind(first)
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| e.to_string())?;
            rows.push(format!("{table}: {} rows", table_rows.len()));
            rows.extend(table_rows);
        }
        rows
    }};
}

async fn sqlite_rows(dir: &std::path::Path) -> Result<Vec<String>, String> {
    let url = format!("sqlite://{}?mode=ro", dir.join("tawasul.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.map_err(|e| e.to_string())?;
    Ok(dump!(&mut conn, "SELECT name FROM pragma_table_info($1) ORDER BY cid"))
}

async fn postgres_rows(url: &str) -> Result<Vec<String>, String> {
    let mut conn = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
    Ok(dump!(
        &mut conn,
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 \
         AND table_schema = current_schema() ORDER BY ordinal_position"
    ))
}

/// The rows are the same, and they are the generator's: cases with events, surveys and words.
fn same_rows(first: &[String], second: &[String]) -> Result<(), String> {
    for table in TABLES.map(|(t, _)| t) {
        let count = first
            .iter()
            .find_map(|r| r.strip_prefix(&format!("{table}: ")))
            .ok_or_else(|| format!("no {table}"))?;
        if count == "0 rows" {
            return Err(format!("the seed wrote no {table}"));
        }
    }
    if first.len() != second.len() {
        return Err(format!("{} rows, then {}", first.len(), second.len()));
    }
    match first.iter().zip(second).find(|(a, b)| a != b) {
        Some((a, b)) => Err(format!("rows differ:\n{a}\n{b}")),
        None => Ok(()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_writes_the_same_rows_on_sqlite_whatever_the_threads() -> Result<(), String> {
    let (a, b, c) = (tempfile::tempdir(), tempfile::tempdir(), tempfile::tempdir());
    let (a, b, c) = (
        a.map_err(|e| e.to_string())?,
        b.map_err(|e| e.to_string())?,
        c.map_err(|e| e.to_string())?,
    );
    let dir = |d: &tempfile::TempDir| d.path().display().to_string();
    seed(&["--data-dir", &dir(&a)], "11", "1", "1000").await?;
    seed(&["--data-dir", &dir(&b)], "11", "3", "1000").await?;
    seed(&["--data-dir", &dir(&c)], "12", "2", "1000").await?;
    let (a, b, c) = (
        sqlite_rows(a.path()).await?,
        sqlite_rows(b.path()).await?,
        sqlite_rows(c.path()).await?,
    );
    same_rows(&a, &b)?;
    // And the seed matters: another seed, other cases.
    if same_rows(&a, &c).is_ok() {
        return Err("seeds 11 and 12 wrote the same rows".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_writes_the_same_rows_on_postgres_whatever_the_threads() -> Result<(), String> {
    let (a, b) = (fresh_database().await, fresh_database().await);
    seed(&["--database-url", &a], "11", "1", "1000").await?;
    seed(&["--database-url", &b], "11", "2", "3000").await?;
    same_rows(&postgres_rows(&a).await?, &postgres_rows(&b).await?)
}
