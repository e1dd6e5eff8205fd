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
//!
//! The guided dialogue's conversation address and the call-back's number (`Contact`) are
//! sealed with the same cipher, bound to their blind index, which every look-up by them
//! matches. `rotate_reporter_key` seals every value anew under another key, recording the
//! rotation until it has finished so that no other store opens meanwhile.

use crate::cases::CaseRow;
use crate::{Store, StoreError, StoreResult};
use std::ops::ControlFlow;
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
    /// The key's id, which starts every value `seal` makes (`kXXXXXXXX.`): which key sealed a
    /// value, read without opening it.
    fn key_id(&self) -> &str;
}

/// A `LIKE` pattern of every value `cipher` seals (its key id has no wildcard: `k` and hex).
fn key_pattern(cipher: &dyn ReporterCipher) -> String {
    format!("{}.%", cipher.key_id())
}

/// The key id a sealed value names, if it has one.
fn key_of(sealed: &str) -> &str {
    sealed.split_once('.').map_or("", |(id, _)| id)
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

/// A contact column of a row the store finds by its value: the guided dialogue's conversation
/// address (looked up on every inbound message) and the call-back's number. Sealed, it holds
/// the ciphertext, bound to its blind index (the row's id is not known when it is written),
/// and the index column beside it the keyed hash every look-up matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contact {
    ConversationAddress,
    CallbackPhone,
}

impl Contact {
    const ALL: [Contact; 2] = [Contact::ConversationAddress, Contact::CallbackPhone];

    fn table(self) -> &'static str {
        match self {
            Self::ConversationAddress => "conversations",
            Self::CallbackPhone => "callbacks",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::ConversationAddress => "address",
            Self::CallbackPhone => "phone",
        }
    }

    fn index_column(self) -> &'static str {
        match self {
            Self::ConversationAddress => "address_index",
            Self::CallbackPhone => "phone_index",
        }
    }

    /// The associated data of a sealed value: the table, the column and the blind index.
    fn context(self, index: &str) -> String {
        format!("{}.{}:{index}", self.table(), self.column())
    }

    fn unreadable(self, id: i64) -> StoreError {
        StoreError::ContactUnreadable(format!("{}.{} of row {id}", self.table(), self.column()))
    }

    /// `plain` as it is written: in the clear without a cipher (no index), else sealed with
    /// its blind index.
    pub(crate) fn write(self, cipher: Option<&dyn ReporterCipher>, plain: String) -> (String, Option<String>) {
        match cipher {
            Some(cipher) => {
                let index = cipher.blind_index(&plain);
                (cipher.seal(&self.context(&index), &plain), Some(index))
            }
            None => (plain, None),
        }
    }
}

/// A look-up of a contact column by its clear value: the clear value (rows written without a
/// key, or not converted yet) and, with a key, its blind index. Bound as two parameters of
/// `(col = $a OR col_index = $b)`.
#[derive(Debug, Clone)]
pub(crate) struct ContactKey {
    pub plain: String,
    pub index: Option<String>,
}

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

/// A rotation of the reporter key under way: from the key id `.0` to `.1`.
pub(crate) type Rotation = (String, String);

/// What a run of `rotate_reporter_key` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// Values sealed anew under the new key.
    pub values: u64,
    /// Nothing is left under the old key; false when `progress` stopped it.
    pub finished: bool,
}

for_both_backends! {
    /// One sealed case, if any: what the key is checked against at start.
    pub async fn a_sealed_reporter(c: &mut Conn, _: ()) -> StoreResult<Option<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, reporter_sealed FROM cases WHERE reporter_sealed IS NOT NULL ORDER BY id LIMIT 1")
            .fetch_optional(&mut *c).await?)
    }

    /// One sealed value of a contact column, if any: (row id, value, blind index).
    pub async fn a_sealed_contact(c: &mut Conn, contact: Contact) -> StoreResult<Option<(i64, String, String)>> {
        let (table, column, index) = (contact.table(), contact.column(), contact.index_column());
        Ok(sqlx::query_as(&format!(
            "SELECT id, {column}, {index} FROM {table} WHERE {index} IS NOT NULL ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&mut *c).await?)
    }

    pub async fn rotation(c: &mut Conn, _: ()) -> StoreResult<Option<Rotation>> {
        Ok(sqlx::query_as("SELECT from_key, to_key FROM reporter_key_rotation WHERE id = 1")
            .fetch_optional(&mut *c).await?)
    }

    /// Records the rotation from `from` to `to` (the one under way, if it is that one); the
    /// rotation under way when it is another.
    pub async fn begin_rotation(c: &mut Conn, (from, to, at): (String, String, i64)) -> StoreResult<Option<Rotation>> {
        if let Some(under_way) = rotation(c, ()).await? {
            return Ok(Some(under_way).filter(|r| *r != (from, to)));
        }
        sqlx::query("INSERT INTO reporter_key_rotation (id, from_key, to_key, started_at) VALUES (1, $1, $2, $3)")
            .bind(from).bind(to).bind(at).execute(&mut *c).await?;
        Ok(None)
    }

    pub async fn end_rotation(c: &mut Conn, _: ()) -> StoreResult<()> {
        sqlx::query("DELETE FROM reporter_key_rotation").execute(&mut *c).await?;
        Ok(())
    }

    /// How many values are sealed under another key than the one of `pattern` (`key_pattern`).
    pub async fn count_under_other_key(c: &mut Conn, pattern: String) -> StoreResult<i64> {
        let mut total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE reporter_sealed IS NOT NULL AND reporter_sealed NOT LIKE $1",
        )
        .bind(&pattern).fetch_one(&mut *c).await?;
        for contact in Contact::ALL {
            let (table, column, index) = (contact.table(), contact.column(), contact.index_column());
            let more: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {table} WHERE {index} IS NOT NULL AND {column} NOT LIKE $1"
            ))
            .bind(&pattern).fetch_one(&mut *c).await?;
            total += more;
        }
        Ok(total)
    }

    /// Seals the reporters of the next `limit` cases after `after` sealed under `old`'s key
    /// anew under `new`'s, with new blind indexes; returns the last case looked at and how
    /// many were sealed anew. A value under neither key stops it (`ReporterUnreadable`).
    pub async fn rotate_reporters(c: &mut Conn, (old, new, after, limit): (Arc<dyn ReporterCipher>, Arc<dyn ReporterCipher>, i64, i64)) -> StoreResult<Option<(i64, u64)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, reporter_sealed FROM cases WHERE id > $1 AND reporter_sealed IS NOT NULL \
             AND reporter_sealed NOT LIKE $2 ORDER BY id LIMIT $3",
        )
        .bind(after).bind(key_pattern(new.as_ref())).bind(limit).fetch_all(&mut *c).await?;
        let mut rotated = 0;
        for (id, sealed) in &rows {
            let details = old
                .open(&context(*id), sealed)
                .and_then(|plain| ReporterDetails::from_json(&plain))
                .ok_or(StoreError::ReporterUnreadable(*id))?;
            let columns = ReporterColumns::of(Some(new.as_ref()), *id, details.name, details.phone, details.email);
            rotated += sqlx::query(
                "UPDATE cases SET reporter_sealed = $2, reporter_phone_index = $3, reporter_email_index = $4 \
                 WHERE id = $1 AND reporter_sealed = $5",
            )
            .bind(id).bind(&columns.sealed).bind(&columns.phone_index).bind(&columns.email_index).bind(sealed)
            .execute(&mut *c).await?.rows_affected();
        }
        Ok(rows.last().map(|(id, _)| (*id, rotated)))
    }

    /// `rotate_reporters` of a contact column.
    pub async fn rotate_contacts(c: &mut Conn, (contact, old, new, after, limit): (Contact, Arc<dyn ReporterCipher>, Arc<dyn ReporterCipher>, i64, i64)) -> StoreResult<Option<(i64, u64)>> {
        let (table, column, index) = (contact.table(), contact.column(), contact.index_column());
        let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
            "SELECT id, {column}, {index} FROM {table} WHERE id > $1 AND {index} IS NOT NULL \
             AND {column} NOT LIKE $2 ORDER BY id LIMIT $3"
        ))
        .bind(after).bind(key_pattern(new.as_ref())).bind(limit).fetch_all(&mut *c).await?;
        let mut rotated = 0;
        for (id, sealed, old_index) in &rows {
            let plain = old
                .open(&contact.context(old_index), sealed)
                .ok_or_else(|| contact.unreadable(*id))?;
            let (value, new_index) = contact.write(Some(new.as_ref()), plain);
            rotated += sqlx::query(&format!("UPDATE {table} SET {column} = $2, {index} = $3 WHERE id = $1 AND {column} = $4"))
                .bind(id).bind(value).bind(new_index).bind(sealed)
                .execute(&mut *c).await?.rows_affected();
        }
        Ok(rows.last().map(|(id, _, _)| (*id, rotated)))
    }

    /// How many values of a contact column are in the clear.
    pub async fn plain_contact_count(c: &mut Conn, contact: Contact) -> StoreResult<i64> {
        let (table, index) = (contact.table(), contact.index_column());
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {index} IS NULL")).fetch_one(&mut *c).await?)
    }

    /// Seals the next `limit` values of a contact column after row `after` still in the
    /// clear; returns the last row looked at and how many were sealed.
    pub async fn seal_contacts(c: &mut Conn, (contact, cipher, after, limit): (Contact, Arc<dyn ReporterCipher>, i64, i64)) -> StoreResult<Option<(i64, u64)>> {
        let (table, column, index) = (contact.table(), contact.column(), contact.index_column());
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, {column} FROM {table} WHERE id > $1 AND {index} IS NULL ORDER BY id LIMIT $2"
        ))
        .bind(after).bind(limit).fetch_all(&mut *c).await?;
        let mut sealed = 0;
        for (id, plain) in &rows {
            let (value, blind) = contact.write(Some(cipher.as_ref()), plain.clone());
            // Guarded on the clear value, so that a row changed meanwhile is left alone.
            sealed += sqlx::query(&format!(
                "UPDATE {table} SET {column} = $2, {index} = $3 WHERE id = $1 AND {index} IS NULL AND {column} = $4"
            ))
            .bind(id).bind(value).bind(blind).bind(plain)
            .execute(&mut *c).await?.rows_affected();
        }
        Ok(rows.last().map(|(id, _)| (*id, sealed)))
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

    /// Refuses a store whose sealed values this store cannot open: sealed values and no key
    /// (`ReporterKeyMissing`), values sealed under another key (`ReporterKeyOther`), or that do
    /// not open (`ReporterUnreadable`, `ContactUnreadable`); and, while a rotation of the key is
    /// unfinished, any store but the rotation's own (`rotating_from`: the old key beside the
    /// new one), which opens values under either key.
    pub async fn check_reporter_key(&self, rotating_from: Option<&dyn ReporterCipher>) -> StoreResult<()> {
        if let Some((from, to)) = read_op!(self, rotation, ())? {
            let ours = match (self.reporters.as_deref(), rotating_from) {
                (Some(new), Some(old)) => new.key_id() == to && old.key_id() == from,
                _ => false,
            };
            if !ours {
                return Err(StoreError::RotationUnfinished { from, to });
            }
        }
        let keys: Vec<&dyn ReporterCipher> = self.reporters.as_deref().into_iter().chain(rotating_from).collect();
        let opens = |context: &str, sealed: &str| keys.iter().any(|key| key.open(context, sealed).is_some());
        if let Some((id, sealed)) = read_op!(self, a_sealed_reporter, ())? {
            if !opens(&context(id), &sealed) {
                return Err(self.refusal(&sealed, StoreError::ReporterUnreadable(id)));
            }
        }
        for contact in Contact::ALL {
            if let Some((id, sealed, index)) = read_op!(self, a_sealed_contact, contact)? {
                if !opens(&contact.context(&index), &sealed) {
                    return Err(self.refusal(&sealed, contact.unreadable(id)));
                }
            }
        }
        Ok(())
    }

    /// Why a sealed value does not open: no key, another key, or else `unreadable`.
    fn refusal(&self, sealed: &str, unreadable: StoreError) -> StoreError {
        let Some(cipher) = self.reporters.as_deref() else {
            return StoreError::ReporterKeyMissing;
        };
        match key_of(sealed) {
            found if !found.is_empty() && found != cipher.key_id() => StoreError::ReporterKeyOther {
                found: found.to_owned(),
                configured: cipher.key_id().to_owned(),
            },
            _ => unreadable,
        }
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

    /// How many conversation addresses and call-back numbers are in the clear.
    pub async fn plain_contact_count(&self) -> StoreResult<u64> {
        let mut total = 0;
        for contact in Contact::ALL {
            total += read_op!(self, plain_contact_count, contact)?.max(0) as u64;
        }
        Ok(total)
    }

    /// Seals every conversation address and call-back number still in the clear, `batch` rows
    /// a transaction, telling `progress` how many each time; returns how many of each
    /// (conversations, call-backs). Repeating it seals nothing more.
    pub async fn seal_contacts(&self, batch: i64, mut progress: impl FnMut(u64)) -> StoreResult<(u64, u64)> {
        let cipher = self.reporters.clone().ok_or(StoreError::ReporterKeyMissing)?;
        let mut sealed = [0, 0];
        for (contact, count) in Contact::ALL.into_iter().zip(&mut sealed) {
            let mut after = 0;
            while let Some((last, n)) = write_op!(self, seal_contacts, (contact, cipher.clone(), after, batch))? {
                after = last;
                *count += n;
                progress(n);
            }
        }
        Ok((sealed[0], sealed[1]))
    }

    /// How many values are sealed under another key than this store's.
    pub async fn count_under_other_key(&self) -> StoreResult<u64> {
        let cipher = self.reporters.as_deref().ok_or(StoreError::ReporterKeyMissing)?;
        Ok(read_op!(self, count_under_other_key, key_pattern(cipher))?.max(0) as u64)
    }

    /// Seals every value sealed under `old` (reporters, conversation addresses, call-back
    /// numbers) anew under this store's key, with new blind indexes, `batch` rows a
    /// transaction; `progress` hears how many each time and may stop it between two batches.
    /// A value already under the new key is left as it is, so that a second run finishes an
    /// interrupted one. The rotation is recorded (from, to) until it finishes, and no other
    /// store opens meanwhile (`check_reporter_key`): nodes must be stopped while it runs,
    /// since a node with either key alone cannot read the other's values.
    pub async fn rotate_reporter_key(
        &self,
        old: Arc<dyn ReporterCipher>,
        batch: i64,
        at: i64,
        mut progress: impl FnMut(u64) -> ControlFlow<()>,
    ) -> StoreResult<Rotated> {
        let new = self.reporters.clone().ok_or(StoreError::ReporterKeyMissing)?;
        let (from, to) = (old.key_id().to_owned(), new.key_id().to_owned());
        if let Some((from, to)) = write_op!(self, begin_rotation, (from, to, at))? {
            return Err(StoreError::RotationUnfinished { from, to });
        }
        let mut rotated = Rotated::default();
        loop {
            let mut after = 0;
            while let Some((last, n)) = write_op!(self, rotate_reporters, (old.clone(), new.clone(), after, batch))? {
                after = last;
                rotated.values += n;
                if progress(n).is_break() {
                    return Ok(rotated);
                }
            }
            for contact in Contact::ALL {
                let mut after = 0;
                while let Some((last, n)) =
                    write_op!(self, rotate_contacts, (contact, old.clone(), new.clone(), after, batch))?
                {
                    after = last;
                    rotated.values += n;
                    if progress(n).is_break() {
                        return Ok(rotated);
                    }
                }
            }
            // Anything sealed under the old key meanwhile (a node left running) is taken too.
            if self.count_under_other_key().await? == 0 {
                break;
            }
        }
        write_op!(self, end_rotation, ())?;
        rotated.finished = true;
        Ok(rotated)
    }

    /// A contact column's value as stored, opened when it is sealed (it has a blind index).
    pub(crate) fn open_contact(
        &self,
        contact: Contact,
        id: i64,
        stored: String,
        index: Option<&str>,
    ) -> StoreResult<String> {
        let Some(index) = index else {
            return Ok(stored);
        };
        let cipher = self.reporters.as_deref().ok_or(StoreError::ReporterKeyMissing)?;
        cipher
            .open(&contact.context(index), &stored)
            .ok_or_else(|| contact.unreadable(id))
    }

    /// A contact column's value as it is written (sealed when there is a key) and its index.
    pub(crate) fn write_contact(&self, contact: Contact, plain: String) -> (String, Option<String>) {
        contact.write(self.reporters.as_deref(), plain)
    }

    /// The look-up of a contact column by `plain`.
    pub(crate) fn contact_key(&self, plain: &str) -> ContactKey {
        ContactKey {
            plain: plain.to_owned(),
            index: self.reporters.as_deref().map(|cipher| cipher.blind_index(plain)),
        }
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
