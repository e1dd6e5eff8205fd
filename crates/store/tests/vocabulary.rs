//! The domain's vocabulary is read and written by sqlx as TEXT on both backends, and a word
//! the vocabulary does not have is refused when read, never taken for a default.

use sqlx::Connection;
use tawasul_domain::vocab::{Role, Status};

/// The same checks on a connection of either backend.
macro_rules! round_trip {
    ($c:expr) => {{
        let c = $c;
        let role: Role = sqlx::query_scalar("SELECT $1")
            .bind(Role::Supervisor)
            .fetch_one(&mut *c)
            .await
            .expect("role");
        assert_eq!(role, Role::Supervisor);
        let status: Status = sqlx::query_scalar("SELECT 'in_progress'")
            .fetch_one(&mut *c)
            .await
            .expect("status");
        assert_eq!(status, Status::InProgress);
        let unknown = sqlx::query_scalar::<_, Status>("SELECT 'lost'")
            .fetch_one(&mut *c)
            .await
            .expect_err("not a status");
        assert!(matches!(unknown, sqlx::Error::ColumnDecode { .. }), "{unknown:?}");
        assert!(unknown.to_string().contains("unknown status \"lost\""), "{unknown}");
    }};
}

#[tokio::test]
async fn vocabulary_round_trips_and_unknown_words_fail_on_sqlite() {
    let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .expect("sqlite");
    round_trip!(&mut c);
}

#[tokio::test]
async fn vocabulary_round_trips_and_unknown_words_fail_on_postgres() {
    let url = tawasul_testkit::postgres::server_url();
    let mut c = sqlx::PgConnection::connect(&url).await.expect("postgres");
    round_trip!(&mut c);
}
