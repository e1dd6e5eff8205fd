//! The few statements that differ between the backends, kept in one visible place.

pub mod sqlite {
    use sqlx::SqliteConnection;

    /// One writer: a claim never races another.
    pub const SKIP_LOCKED: &str = "";

    /// One writer: a row read in its transaction cannot change under it.
    pub const FOR_UPDATE: &str = "";

    /// Makes the planner read the table (written just before) through `index`, where its
    /// estimates choose worse.
    pub fn index_hint(index: &str) -> String {
        format!(" INDEXED BY {index}")
    }

    /// The changes of case counts folded into the totals; the only writer is inside this
    /// transaction, so the changes it folds are exactly those it then deletes.
    pub const FOLD_CASE_COUNTS: &str = "INSERT INTO case_counts (status, n) \
         SELECT status, SUM(delta) FROM case_count_changes WHERE true GROUP BY status \
         ON CONFLICT (status) DO UPDATE SET n = case_counts.n + excluded.n";
    pub const FOLDED_CASE_COUNTS: Option<&str> = Some("DELETE FROM case_count_changes");
    /// SQLite's one writer already folds the KPIs one batch at a time.
    pub const KPI_FOLD_LOCK: Option<&str> = None;

    /// The next case id. Safe because SQLite has one writer and the caller is inside its
    /// transaction; ids are never reused because cases are never deleted.
    pub async fn next_case_id(c: &mut SqliteConnection) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
            .fetch_one(c)
            .await
    }

    /// `n` consecutive new case ids, for a bulk load inside the writer's transaction.
    pub async fn reserve_case_ids(c: &mut SqliteConnection, n: i64) -> sqlx::Result<Vec<i64>> {
        let first = next_case_id(c).await?;
        Ok((first..first + n).collect())
    }
}

pub mod pg {
    use sqlx::PgConnection;

    /// Nodes claiming jobs at once each take different rows, none waits.
    pub const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

    /// Writers that read a row to write after it (the audit chain's head) take it in turn.
    pub const FOR_UPDATE: &str = " FOR UPDATE";

    /// PostgreSQL has no index hints; its planner is left to choose.
    pub fn index_hint(_index: &str) -> String {
        String::new()
    }

    /// The changes of case counts folded into the totals: each node folds only the changes
    /// its own DELETE removed, so two nodes folding at once never count one twice.
    pub const FOLD_CASE_COUNTS: &str = "WITH moved AS (DELETE FROM case_count_changes RETURNING status, delta) \
         INSERT INTO case_counts (status, n) SELECT status, SUM(delta) FROM moved GROUP BY status \
         ON CONFLICT (status) DO UPDATE SET n = case_counts.n + excluded.n";
    pub const FOLDED_CASE_COUNTS: Option<&str> = None;
    /// One KPI fold at a time across nodes (two would each take out the other's old
    /// contribution); held to the end of the fold's transaction.
    pub const KPI_FOLD_LOCK: Option<&str> = Some("SELECT pg_advisory_xact_lock(21)");

    /// The next case id from the identity sequence, which never goes back, even on rollback.
    pub async fn next_case_id(c: &mut PgConnection) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('cases', 'id'))")
            .fetch_one(c)
            .await
    }

    /// `n` new case ids from the sequence (consecutive unless another node takes ids meanwhile).
    pub async fn reserve_case_ids(c: &mut PgConnection, n: i64) -> sqlx::Result<Vec<i64>> {
        sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $1)")
            .bind(n)
            .fetch_all(c)
            .await
    }
}
