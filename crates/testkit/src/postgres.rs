//! Fresh PostgreSQL databases for tests: each test gets its own, so tests never share state.

use sqlx::Connection;

/// The PostgreSQL server tests use: `TAWASUL_TEST_POSTGRES_URL`, by default the local one.
pub fn server_url() -> String {
    std::env::var("TAWASUL_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates a fresh, empty database on the test server and returns its URL. Fails loudly
/// when the server is unreachable: a PostgreSQL test must never pass by being skipped.
pub async fn fresh_database() -> String {
    let server = server_url();
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {server} is unreachable ({e}); the tests need it"));
    let name = format!("tw_test_{:016x}", random_u64());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}
