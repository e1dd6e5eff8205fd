//! Reporters' details encrypted at rest, when the installation configures a reporter key.
//!
//! A sealed case keeps its reporter's name, phone and e-mail as one ciphertext in
//! `reporter_sealed`, bound to the case's id (a value copied onto another case does not open),
//! with the plain columns NULL; it is found by phone or e-mail through keyed hashes of their
//! normal forms (`reporter_phone_index`, `reporter_email_index`). The store seals what it writes
//! and opens what it reads, so that everything above it sees the details as before. The
//! search index holds no word of a sealed reporter's details (they are NULL where it reads
//! them). A store without a key writes the plain columns as it always did, and refuses to
//! start while sealed rows exist (`check_reporter_key`).

use crate::cases::CaseRow;
use crate::{Store, StoreError, StoreResult};
use std::sync::Arc;

/// Encrypts reporters' details and makes the keyed hashes they are looked up by; the
/// application makes one of its configured key (`tawasul_app::identity::sealing`).
pub trait ReporterCipher: Send + Sync {
    /// `plain` encrypted for `context`: it opens for that context only.
    fn seal(&self, context: &str, plain: &str) -> String;
    /// What `seal(context, …)` made; `None` for another key, another context, a changed byte.
    fn open(&self, context: &str, sealed: &str) -> Option<String>;
    /// The keyed hash (blind index) of a phone number's or e-mail address's normal form.
    fn blind_index(&self, normal: &str) -> String;
}

/// What a case's reporter ciphertext holds: `{"name": …, "phone": …, "email": …}`.
#[derive(Debug, Default, PartialEq, Eq)]
struct ReporterDetails {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

impl ReporterDetails {
    fn to_json(&self) -> String {
        serde_json::json!({"name": self.name, "phone": self.phone, "email": self.email}).to_string()
    }

    fn from_json(text: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        Some(Self {
            name: field("name"),
            phone: field("phone"),
            email: field("email"),
        })
    }
}

/// The associated data of a case's reporter ciphertext: the column and the case's id.
fn context(case_id: i64) -> String {
    format!("cases.reporter_sealed:{case_id}")
}

/// A case's reporter columns as they are written: in the clear without a cipher, else sealed
/// with the blind indexes.
#[derive(Debug, Default)]
pub(crate) struct ReporterColumns {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub sealed: Option<String>,
    pub phone_index: Option<String>,
    pub email_index: Option<String>,
}

impl ReporterColumns {
    pub(crate) fn of(
        cipher: Option<&dyn ReporterCipher>,
        case_id: i64,
        name: Option<String>,
        phone: Option<String>,
        email: Option<String>,
    ) -> Self {
        match cipher {
            Some(cipher) if name.is_some() || phone.is_some() || email.is_some() => {
                let phone_index = phone.as_deref().map(|p| cipher.blind_index(p));
                let email_index = email.as_deref().map(|e| cipher.blind_index(e));
                let details = ReporterDetails { name, phone, email };
                Self {
                    sealed: Some(cipher.seal(&context(case_id), &details.to_json())),
                    phone_index,
                    email_index,
                    ..Self::default()
                }
            }
            _ => Self {
                name,
                phone,
                email,
                ..Self::default()
            },
        }
    }
}

/// The shared handle on the configured cipher (none: details are written in the clear).
pub(crate) type Cipher = Option<Arc<dyn ReporterCipher>>;

/// Cases reported with a phone number or e-mail address: in the clear, or sealed and found by
/// their blind indexes. Bound as $1–$4 of `CONTACT_MATCH`.
#[derive(Debug, Clone)]
pub(crate) struct ContactLookup {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub phone_index: Option<String>,
    pub email_index: Option<String>,
}

/// The condition on cases `c` a `ContactLookup` binds as $1–$4.
pub(crate) const CONTACT_MATCH: &str = "(c.reporter_phone = $1 OR c.reporter_email = $2 \
     OR c.reporter_phone_index = $3 OR c.reporter_email_index = $4)";

/// A plain row to be sealed by `seal_reporters`.
#[derive(sqlx::FromRow)]
struct PlainReporter {
    id: i64,
    reporter_name: Option<String>,
    reporter_phone: Option<String>,
    reporter_email: Option<String>,
}

/// Rows with reporter details in the clear, in SQL.
const PLAIN: &str = "reporter_sealed IS NULL AND (reporter_name IS NOT NULL OR reporter_phone IS NOT NULL \
     OR reporter_email IS NOT NULL)";

for_both_backends! {
    /// One sealed case, if any: what the key is checked against at start.
    pub async fn a_sealed_reporter(c: &mut Conn, _: ()) -> StoreResult<Option<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, reporter_sealed FROM cases WHERE reporter_sealed IS NOT NULL ORDER BY id LIMIT 1")
            .fetch_optional(&mut *c).await?)
    }

    pub async fn plain_reporter_count(c: &mut Conn, _: ()) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM cases WHERE {PLAIN}")).fetch_one(&mut *c).await?)
    }

    /// Seals the reporters of the next `limit` cases after `after` still in the clear, and
    /// removes the search words only their details held; returns the last case looked at and
    /// how many were sealed.
    pub async fn seal_reporters(c: &mut Conn, (cipher, after, limit): (Arc<dyn ReporterCipher>, i64, i64)) -> StoreResult<Option<(i64, u64)>> {
        let rows: Vec<PlainReporter> = sqlx::query_as(&format!(
            "SELECT id, reporter_name, reporter_phone, reporter_email FROM cases WHERE id > $1 AND {PLAIN} ORDER BY id LIMIT $2"
        ))
        .bind(after).bind(limit).fetch_all(&mut *c).await?;
        let mut sealed = 0;
        for row in &rows {
            let columns = ReporterColumns::of(
                Some(cipher.as_ref()), row.id, row.reporter_name.clone(), row.reporter_phone.clone(), row.reporter_email.clone(),
            );
            // Guarded on the clear columns, so that a row sealed meanwhile is left alone.
            sealed += sqlx::query(&format!(
                "UPDATE cases SET reporter_name = NULL, reporter_phone = NULL, reporter_email = NULL, reporter_sealed = $2, \
                 reporter_phone_index = $3, reporter_email_index = $4 WHERE id = $1 AND {PLAIN}"
            ))
            .bind(row.id).bind(&columns.sealed).bind(&columns.phone_index).bind(&columns.email_index)
            .execute(&mut *c).await?.rows_affected();
            sqlx::query("DELETE FROM case_terms WHERE case_id = $1 AND personal").bind(row.id).execute(&mut *c).await?;
        }
        Ok(rows.last().map(|r| (r.id, sealed)))
    }
}

impl Store {
    /// The store with reporters' details sealed by `cipher` from now on, and sealed ones opened.
    pub fn with_reporter_cipher(mut self, cipher: Arc<dyn ReporterCipher>) -> Self {
        self.reporters = Some(cipher);
        self
    }

    /// Whether reporters' details are written encrypted.
    pub fn seals_reporters(&self) -> bool {
        self.reporters.is_some()
    }

    /// Refuses a store whose sealed reporters this store cannot open: sealed rows and no key
    /// (`ReporterKeyMissing`), or a key that does not open them (`ReporterUnreadable`).
    pub async fn check_reporter_key(&self) -> StoreResult<()> {
        let Some((id, sealed)) = read_op!(self, a_sealed_reporter, ())? else {
            return Ok(());
        };
        let cipher = self.reporters.as_deref().ok_or(StoreError::ReporterKeyMissing)?;
        cipher
            .open(&context(id), &sealed)
            .map(drop)
            .ok_or(StoreError::ReporterUnreadable(id))
    }

    /// How many cases still hold their reporter's details in the clear.
    pub async fn plain_reporter_count(&self) -> StoreResult<u64> {
        Ok(read_op!(self, plain_reporter_count, ())?.max(0) as u64)
    }

    /// Seals every case's reporter still in the clear, `batch` cases a transaction, telling
    /// `progress` how many each time; returns how many. Repeating it seals nothing more.
    pub async fn seal_reporters(&self, batch: i64, mut progress: impl FnMut(u64)) -> StoreResult<u64> {
        let cipher = self.reporters.clone().ok_or(StoreError::ReporterKeyMissing)?;
        let (mut after, mut sealed) = (0, 0);
        while let Some((last, n)) = write_op!(self, seal_reporters, (cipher.clone(), after, batch))? {
            after = last;
            sealed += n;
            progress(n);
        }
        Ok(sealed)
    }

    /// The row as stored, its reporter's details opened when they are sealed.
    pub(crate) fn open_case(&self, mut row: CaseRow) -> StoreResult<CaseRow> {
        let Some(sealed) = row.reporter_sealed.take() else {
            return Ok(row);
        };
        let details = self.open_reporter(row.id, &sealed)?;
        row.reporter_name = details.name;
        row.reporter_phone = details.phone;
        row.reporter_email = details.email;
        Ok(row)
    }

    pub(crate) fn open_cases(&self, rows: Vec<CaseRow>) -> StoreResult<Vec<CaseRow>> {
        rows.into_iter().map(|row| self.open_case(row)).collect()
    }

    /// A sealed reporter's (name, phone, e-mail).
    pub(crate) fn open_reporter_fields(
        &self,
        case_id: i64,
        sealed: &str,
    ) -> StoreResult<(Option<String>, Option<String>, Option<String>)> {
        let d = self.open_reporter(case_id, sealed)?;
        Ok((d.name, d.phone, d.email))
    }

    fn open_reporter(&self, case_id: i64, sealed: &str) -> StoreResult<ReporterDetails> {
        let cipher = self.reporters.as_deref().ok_or(StoreError::ReporterKeyMissing)?;
        cipher
            .open(&context(case_id), sealed)
            .and_then(|plain| ReporterDetails::from_json(&plain))
            .ok_or(StoreError::ReporterUnreadable(case_id))
    }

    /// A look-up by phone number or e-mail address (their normal forms), with their blind
    /// indexes when there is a key.
    pub(crate) fn contact_lookup(&self, phone: Option<String>, email: Option<String>) -> ContactLookup {
        let index = |v: &Option<String>| Some(self.reporters.as_deref()?.blind_index(v.as_deref()?));
        ContactLookup {
            phone_index: index(&phone),
            email_index: index(&email),
            phone,
            email,
        }
    }

    pub(crate) fn cipher(&self) -> Cipher {
        self.reporters.clone()
    }
}
