//! The few statements that differ between the backends, kept in one visible place.

pub mod sqlite {
    use sqlx::SqliteConnection;

    /// One writer: a claim never races another.
    pub const SKIP_LOCKED: &str = "";

    /// The next case id. Safe because SQLite has one writer and the caller is inside its
    /// transaction; ids are never reused because cases are never deleted.
    pub async fn next_case_id(c: &mut SqliteConnection) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
            .fetch_one(c)
            .await
    }
}

pub mod pg {
    use sqlx::PgConnection;

    /// Nodes claiming jobs at once each take different rows, none waits.
    pub const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

    /// The next case id from the identity sequence, which never goes back, even on rollback.
    pub async fn next_case_id(c: &mut PgConnection) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('cases', 'id'))")
            .fetch_one(c)
            .await
    }
}
