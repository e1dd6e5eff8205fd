//! The pure core of Tawasul: what a case is, how it may change, and which input is valid.
//!
//! Nothing here does I/O. Values are parsed once at the border (`CaseText::parse`,
//! `Coordinates::parse`, …); once one exists it is valid.

pub mod attachment;
pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod export;
pub mod intake;
pub mod kpi;
pub mod lifecycle;
pub mod points;
pub mod privacy;
pub mod reply;
pub mod service_search;
pub mod sla;
pub mod text;
pub mod vocab;

mod invalid;

pub use invalid::Invalid;

/// Microseconds since the Unix epoch: the one way instants are stored, on both backends,
/// so that ordering and range filters behave the same on SQLite and PostgreSQL.
pub type Micros = i64;

pub fn micros(t: chrono::DateTime<chrono::Utc>) -> Micros {
    t.timestamp_micros()
}

pub fn from_micros(m: Micros) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(m).unwrap_or_default()
}

/// The public reference of a case: `TW-2026-0000123`. The number is the case's id, which
/// the store never reuses; the year is the year of intake.
pub fn reference(year: i32, id: i64) -> String {
    format!("TW-{year}-{id:07}")
}

/// The Message-ID (without angle brackets) of the e-mail that carries notification `id`: the
/// transport sends it, the store files it under the notification's case, and a reply's
/// `In-Reply-To` finds the case by it.
pub fn notification_message_id(id: i64) -> String {
    format!("notification-{id}@tawasul")
}

/// SHA-256 of a bearer secret (tracking token, API token, one-time code), hex-encoded.
/// Secrets of 128+ random bits need no slow hash; passwords do (argon2id, in the app).
pub fn secret_digest(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}
