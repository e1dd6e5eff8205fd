//! How an operation is written once and run on either backend. Each aggregate module holds
//! its operations in `for_both_backends!` and its `impl Store` methods call them through
//! `write_op!` and `read_op!`.

/// Compiles the operations given once for each backend, as `sqlite::…` and `pg::…` in the
/// calling module. The SQL in them is the shared dialect: `$n` placeholders, integer
/// instants, JSON as text; what differs is in `dialect`. `uses { module: op, …; … }` brings
/// in another module's operations for the same backend, so that one transaction can write to
/// both (a case with its notifications, a service with its audit row).
macro_rules! for_both_backends {
    (uses { $($($module:ident)::+ : $($op:ident),+;)* } $($item:item)*) => {
        pub(crate) mod sqlite {
            use super::*;
            $(use crate::$($module::)+sqlite::{$($op),+};)*
            #[allow(unused_imports)]
            use crate::dialect::sqlite as dialect;
            #[allow(dead_code)]
            pub type Db = sqlx::Sqlite;
            pub type Conn = sqlx::SqliteConnection;
            $($item)*
        }
        pub(crate) mod pg {
            use super::*;
            $(use crate::$($module::)+pg::{$($op),+};)*
            #[allow(unused_imports)]
            use crate::dialect::pg as dialect;
            #[allow(dead_code)]
            pub type Db = sqlx::Postgres;
            pub type Conn = sqlx::PgConnection;
            $($item)*
        }
    };
    ($($item:item)*) => {
        for_both_backends! { uses {} $($item)* }
    };
}

/// Runs `<backend>::$op(conn, $input)` of the calling module in a write transaction: on
/// SQLite through the writer task (committed with whatever else is queued), on PostgreSQL on
/// its own.
macro_rules! write_op {
    ($self:expr, $op:ident, $input:expr) => {{
        let input = $input;
        match &$self.backend {
            $crate::Backend::Sqlite { writer, .. } => {
                writer
                    .run(move |c| Box::pin(async move { sqlite::$op(c, input).await }))
                    .await
            }
            $crate::Backend::Postgres(pool) => {
                async {
                    let mut tx = pool.begin().await?;
                    let out = pg::$op(&mut tx, input).await?;
                    tx.commit().await?;
                    Ok(out)
                }
                .await
            }
        }
    }};
}

/// Runs `<backend>::$op(conn, $input)` of the calling module on a pooled read connection.
macro_rules! read_op {
    ($self:expr, $op:ident, $input:expr) => {{
        match &$self.backend {
            $crate::Backend::Sqlite { read, .. } => sqlite::$op(&mut *read.acquire().await?, $input).await,
            $crate::Backend::Postgres(pool) => pg::$op(&mut *pool.acquire().await?, $input).await,
        }
    }};
}
