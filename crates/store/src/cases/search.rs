//! Staff full-text search without a scan: an inverted index, `case_terms`, one row per word
//! and case, keyed by (word, case's entity, case's `created_at`, case id). Both backends hold the same rows
//! (the domain's `search_words`, computed here in Rust) and run the same SQL, so they answer
//! alike by construction. A case's words are written in the transaction that writes the case
//! or the event that adds text to it, so a case is findable as soon as it is committed, from
//! every node that shares the database.
//!
//! A query's every word must match a whole word of the case (spelling folded, the Arabic
//! article set aside). Newest or oldest first, the rarest word's rows are walked in index
//! order, each checked against the other words and the filters, until a page is full: a
//! common word's first page costs a page, not all its matches. Staff search within their
//! entity, whose rows lie together under each word; a search over every entity (the
//! platform administrator's, or the cases an entity transferred away) walks each entity's rows
//! in order and merges them. Under the due and priority orders the rarest word's cases are
//! gathered and sorted, so their cost follows that word.

use super::{CaseFilter, CaseOrder, CaseRow, QueueScope, CASE_SELECT};
use crate::{Store, StoreResult};
use std::collections::BTreeMap;
use tawasul_domain::text::search_words;

/// Rows of one word counted, at most, when choosing the rarest word of a query.
const FREQUENCY_CAP: i64 = 10_000;
/// Cases indexed per transaction by a rebuild.
const REBUILD_BATCH: i64 = 2_000;

/// The words of one case, each marked personal when only the reporter's details hold it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CaseWords(BTreeMap<String, bool>);

impl CaseWords {
    fn add(&mut self, word: String, personal: bool) {
        let entry = self.0.entry(word).or_insert(personal);
        *entry &= personal;
    }

    /// Text anyone who sees the case sees: description, address, service, replies and notes.
    pub fn text(&mut self, text: &str) {
        for w in search_words(text) {
            self.add(w, false);
        }
    }

    /// The reporter's name or e-mail: searched only for roles that see reporter details.
    pub fn personal(&mut self, text: &str) {
        for w in search_words(text) {
            self.add(w, true);
        }
    }

    /// A phone number in international form is found by all its digits and by its last
    /// eight (the subscriber number staff usually type); personal.
    pub fn phone(&mut self, phone: &str) {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() > 8 {
            self.add(digits[digits.len() - 8..].to_owned(), true);
        }
        self.add(digits, true);
    }

    /// A reference (`TW-2026-0000123`) is found by its number, with or without the zeros.
    pub fn reference(&mut self, reference: &str) {
        if let Some(number) = reference.rsplit('-').next().filter(|n| !n.is_empty()) {
            let short = number.trim_start_matches('0');
            if !short.is_empty() && short != number {
                self.add(short.to_owned(), false);
            }
            self.text(number);
        }
    }

    pub fn words(&self) -> impl Iterator<Item = (&str, bool)> {
        self.0.iter().map(|(w, p)| (w.as_str(), *p))
    }

    /// Adds another set's words: the same as adding its texts here, in any order.
    pub fn merge(&mut self, other: &CaseWords) {
        for (word, personal) in other.words() {
            self.add(word.to_owned(), personal);
        }
    }
}

/// What a case is found by when it is written.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CaseDocument {
    pub id: i64,
    pub entity_id: i64,
    pub created_at: i64,
    pub reference: String,
    /// The case an escalation case is about: found by its number too.
    pub linked_reference: Option<String>,
    pub description: String,
    pub address: Option<String>,
    pub service_ar: String,
    pub service_en: String,
    pub resolution: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
}

impl CaseDocument {
    pub(crate) fn words(&self) -> CaseWords {
        let mut words = OwnText {
            description: &self.description,
            address: self.address.as_deref(),
            resolution: self.resolution.as_deref(),
            reporter_name: self.reporter_name.as_deref(),
            reporter_phone: self.reporter_phone.as_deref(),
            reporter_email: self.reporter_email.as_deref(),
        }
        .words();
        for reference in [Some(&self.reference), self.linked_reference.as_ref()]
            .into_iter()
            .flatten()
        {
            words.reference(reference);
        }
        words.merge(&service_words(&self.service_ar, &self.service_en));
        words
    }
}

/// A case's own text, borrowed from a row read back or from a case being loaded in bulk
/// (which is indexed from what it writes, not read back). With the words of its reference
/// and of its service's names, it is what the case is found by.
pub(crate) struct OwnText<'a> {
    pub description: &'a str,
    pub address: Option<&'a str>,
    pub resolution: Option<&'a str>,
    pub reporter_name: Option<&'a str>,
    pub reporter_phone: Option<&'a str>,
    pub reporter_email: Option<&'a str>,
}

impl OwnText<'_> {
    pub(crate) fn words(&self) -> CaseWords {
        let mut words = CaseWords::default();
        for text in [Some(self.description), self.address, self.resolution]
            .into_iter()
            .flatten()
        {
            words.text(text);
        }
        for text in [self.reporter_name, self.reporter_email].into_iter().flatten() {
            words.personal(text);
        }
        if let Some(phone) = self.reporter_phone {
            words.phone(phone);
        }
        words
    }
}

/// The words of a service's names, which each of its cases is found by.
pub(crate) fn service_words(name_ar: &str, name_en: &str) -> CaseWords {
    let mut words = CaseWords::default();
    words.text(name_ar);
    words.text(name_en);
    words
}

pub(crate) const DOCUMENT_SELECT: &str =
    "SELECT c.id, c.entity_id, c.created_at, c.reference, lc.reference AS linked_reference, \
     c.description, c.address, s.name_ar AS service_ar, s.name_en AS service_en, c.resolution, c.reporter_name, \
     c.reporter_phone, c.reporter_email FROM cases c JOIN services s ON s.id = c.service_id \
     LEFT JOIN cases lc ON lc.id = c.linked_case_id";

const TERM_COLUMNS: &str = "term, entity_id, created_at, case_id, personal";
/// A word already indexed for a case stays, and stops being personal once the case's text
/// holds it too.
const TERM_CONFLICT: &str =
    " ON CONFLICT (term, entity_id, created_at, case_id) DO UPDATE SET personal = case_terms.personal AND excluded.personal";

/// One case's index rows.
pub(crate) struct CaseTerms {
    pub case_id: i64,
    pub entity_id: i64,
    pub created_at: i64,
    pub words: CaseWords,
}

/// Whose rows a search reads.
enum Searched {
    /// One entity's: staff searching their own.
    Within(i64),
    /// Every entity's but one, if any: the platform administrator's search, or the cases an
    /// entity transferred away (which are now another's).
    AllBut(Option<i64>),
}

fn searched(f: &CaseFilter) -> Searched {
    match (f.scope, f.entity_id) {
        (QueueScope::Followed, skipped) => Searched::AllBut(skipped),
        (_, Some(entity)) => Searched::Within(entity),
        (_, None) => Searched::AllBut(None),
    }
}

/// Leaves out words only the reporter's details hold, for roles that may not see them.
fn visible(f: &CaseFilter, alias: &str) -> String {
    if f.search_reporter {
        String::new()
    } else {
        format!(" AND NOT {alias}.personal")
    }
}

for_both_backends! {
    uses { cases::queue: push_filters, push_page; }

    /// Writes the rows of `cases`; a word already indexed for a case stays, and stops being
    /// personal once the case's text holds it too.
    pub(crate) async fn insert_terms(c: &mut Conn, cases: &[CaseTerms]) -> StoreResult<()> {
        let rows: Vec<(&str, &CaseTerms, bool)> =
            cases.iter().flat_map(|t| t.words.words().map(move |(w, p)| (w, t, p))).collect();
        // Five parameters a row, under SQLite's 32,766.
        for chunk in rows.chunks(6_000) {
            let mut q = sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO case_terms ({TERM_COLUMNS}) "));
            q.push_values(chunk, |mut row, (term, case, personal)| {
                row.push_bind(*term).push_bind(case.entity_id).push_bind(case.created_at)
                    .push_bind(case.case_id).push_bind(*personal);
            });
            q.push(TERM_CONFLICT);
            q.build().execute(&mut *c).await?;
        }
        Ok(())
    }

    /// Indexes a case just written, with its reporter's details.
    pub async fn index_case(c: &mut Conn, case_id: i64) -> StoreResult<()> {
        let doc: CaseDocument = sqlx::query_as(&format!("{DOCUMENT_SELECT} WHERE c.id = $1"))
            .bind(case_id).fetch_one(&mut *c).await?;
        insert_terms(c, &[CaseTerms { case_id, entity_id: doc.entity_id, created_at: doc.created_at, words: doc.words() }]).await
    }

    /// Indexes a case and the text of its events again: after its words were removed, or
    /// when it moved to another entity.
    pub async fn index_case_and_events(c: &mut Conn, case_id: i64) -> StoreResult<()> {
        index_case(c, case_id).await?;
        let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM case_events WHERE case_id = $1 AND body IS NOT NULL")
            .bind(case_id).fetch_all(&mut *c).await?;
        for body in &bodies {
            index_text(c, (case_id, body.as_str())).await?;
        }
        Ok(())
    }

    /// The case as indexed now and all its words, its events' text among them: what
    /// `unindex` removes.
    pub async fn indexed_words(c: &mut Conn, case_id: i64) -> StoreResult<Option<(CaseDocument, CaseWords)>> {
        let doc: Option<CaseDocument> = sqlx::query_as(&format!("{DOCUMENT_SELECT} WHERE c.id = $1"))
            .bind(case_id).fetch_optional(&mut *c).await?;
        let Some(doc) = doc else { return Ok(None) };
        let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM case_events WHERE case_id = $1 AND body IS NOT NULL")
            .bind(case_id).fetch_all(&mut *c).await?;
        let mut words = doc.words();
        for body in &bodies {
            words.text(body);
        }
        Ok(Some((doc, words)))
    }

    /// Removes a case's rows of `words`, each by its whole key.
    pub async fn unindex(c: &mut Conn, (doc, words): (&CaseDocument, &CaseWords)) -> StoreResult<()> {
        for (term, _) in words.words() {
            sqlx::query("DELETE FROM case_terms WHERE term = $1 AND entity_id = $2 AND created_at = $3 AND case_id = $4")
                .bind(term).bind(doc.entity_id).bind(doc.created_at).bind(doc.id).execute(&mut *c).await?;
        }
        Ok(())
    }

    /// Adds the words of text written on a case later: a reply, a note, a resolution.
    pub async fn index_text(c: &mut Conn, (case_id, text): (i64, &str)) -> StoreResult<()> {
        let mut words = CaseWords::default();
        words.text(text);
        if words.0.is_empty() {
            return Ok(());
        }
        let (entity_id, created_at): (i64, i64) = sqlx::query_as("SELECT entity_id, created_at FROM cases WHERE id = $1")
            .bind(case_id).fetch_one(&mut *c).await?;
        insert_terms(c, &[CaseTerms { case_id, entity_id, created_at, words }]).await
    }

    pub async fn search_index_built(c: &mut Conn, _: ()) -> StoreResult<bool> {
        Ok(sqlx::query_scalar("SELECT built FROM search_index WHERE id = 1").fetch_one(&mut *c).await?)
    }

    /// Empties the index before a rebuild; search finds nothing until it is built again.
    pub async fn clear_search_index(c: &mut Conn, _: ()) -> StoreResult<()> {
        sqlx::query("UPDATE search_index SET built = FALSE WHERE id = 1").execute(&mut *c).await?;
        sqlx::query("DELETE FROM case_terms").execute(&mut *c).await?;
        Ok(())
    }

    /// Indexes the cases after `after_id` (by id), at most a batch; returns the last id
    /// indexed and how many cases, `None` when there were none left, when the index is marked
    /// built.
    pub async fn index_batch(c: &mut Conn, after_id: i64) -> StoreResult<Option<(i64, u64)>> {
        let docs: Vec<CaseDocument> = sqlx::query_as(&format!("{DOCUMENT_SELECT} WHERE c.id > $1 ORDER BY c.id LIMIT $2"))
            .bind(after_id).bind(REBUILD_BATCH).fetch_all(&mut *c).await?;
        let (Some(first), Some(last)) = (docs.first().map(|d| d.id), docs.last().map(|d| d.id)) else {
            sqlx::query("UPDATE search_index SET built = TRUE WHERE id = 1").execute(&mut *c).await?;
            return Ok(None);
        };
        let bodies: Vec<(i64, String)> = sqlx::query_as(
            "SELECT case_id, body FROM case_events WHERE case_id BETWEEN $1 AND $2 AND body IS NOT NULL",
        )
        .bind(first).bind(last).fetch_all(&mut *c).await?;
        let mut terms: Vec<CaseTerms> = docs
            .iter()
            .map(|d| CaseTerms { case_id: d.id, entity_id: d.entity_id, created_at: d.created_at, words: d.words() })
            .collect();
        for (case_id, body) in &bodies {
            if let Ok(i) = terms.binary_search_by_key(case_id, |t| t.case_id) {
                terms[i].words.text(body);
            }
        }
        insert_terms(c, &terms).await?;
        Ok(Some((last, docs.len() as u64)))
    }

    /// How many of `term`'s rows the caller may match, within the entity searched if one is,
    /// counted up to `FREQUENCY_CAP`.
    async fn frequency(c: &mut Conn, (term, f): (&str, &CaseFilter)) -> StoreResult<i64> {
        let mut q = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) FROM (SELECT 1 FROM case_terms t WHERE t.term = ");
        q.push_bind(term);
        if let Searched::Within(entity) = searched(f) {
            q.push(" AND t.entity_id = ").push_bind(entity);
        }
        q.push(visible(f, "t")).push(" LIMIT ").push_bind(FREQUENCY_CAP).push(") x");
        Ok(q.build_query_scalar().fetch_one(&mut *c).await?)
    }

    /// One entity's cases holding `driver` and every one of `others`, under the filters of `f`,
    /// a page in `f.order` (newest or oldest) read straight from the index.
    fn push_walk<'a>(q: &mut sqlx::QueryBuilder<'a, Db>, f: &'a CaseFilter, (driver, others): (&'a str, &[&'a str]), entity: i64) {
        let (beyond, direction) = if f.order.descending() { ("<", "DESC") } else { (">", "ASC") };
        q.push("SELECT t.case_id, t.created_at FROM case_terms t JOIN cases c ON c.id = t.case_id WHERE t.term = ")
            .push_bind(driver).push(" AND t.entity_id = ").push_bind(entity).push(visible(f, "t"));
        push_filters(q, f);
        for w in others {
            q.push(" AND EXISTS (SELECT 1 FROM case_terms u WHERE u.term = ").push_bind(*w)
                .push(" AND u.entity_id = t.entity_id AND u.created_at = t.created_at AND u.case_id = t.case_id")
                .push(visible(f, "u")).push(")");
        }
        if let Some(after) = f.after {
            q.push(format!(" AND (t.created_at, t.case_id) {beyond} (")).push_bind(after.first)
                .push(", ").push_bind(after.id).push(")");
        }
        q.push(format!(" ORDER BY t.created_at {direction}, t.case_id {direction} LIMIT ")).push_bind(f.limit);
    }

    /// Staff cases whose text holds every word of `f.words`, in `f.order`, a page after
    /// `f.after`, under every other filter of `f`.
    pub async fn search_cases(c: &mut Conn, f: &CaseFilter) -> StoreResult<Vec<CaseRow>> {
        let mut words: Vec<&str> = f.words.iter().map(String::as_str).collect();
        words.sort_unstable();
        words.dedup();
        // The rarest word drives; each other one is a lookup of the full key per candidate.
        let mut counted = Vec::with_capacity(words.len());
        if words.len() > 1 {
            for w in words {
                counted.push((frequency(c, (w, f)).await?, w));
            }
            counted.sort_unstable();
        } else {
            counted.extend(words.into_iter().map(|w| (0, w)));
        }
        let Some(&(_, driver)) = counted.first() else {
            return Ok(vec![]);
        };
        let others: Vec<&str> = counted[1..].iter().map(|(_, w)| *w).collect();
        let mut q = sqlx::QueryBuilder::<Db>::new(CASE_SELECT);
        match f.order {
            CaseOrder::Newest | CaseOrder::Oldest => {
                let direction = if f.order.descending() { "DESC" } else { "ASC" };
                let entities: Vec<i64> = match searched(f) {
                    Searched::Within(entity) => vec![entity],
                    Searched::AllBut(skipped) => sqlx::query_scalar("SELECT id FROM entities ORDER BY id")
                        .fetch_all(&mut *c).await?
                        .into_iter().filter(|e| Some(*e) != skipped).collect(),
                };
                // Each entity's page from its own rows, merged: a page of pages.
                q.push(" WHERE c.id IN (SELECT w.case_id FROM (");
                for (i, entity) in entities.iter().enumerate() {
                    if i > 0 {
                        q.push(" UNION ALL ");
                    }
                    q.push("SELECT * FROM (");
                    push_walk(&mut q, f, (driver, &others), *entity);
                    q.push(format!(") w{i}"));
                }
                if entities.is_empty() {
                    return Ok(vec![]);
                }
                q.push(format!(") w ORDER BY w.created_at {direction}, w.case_id {direction} LIMIT ")).push_bind(f.limit);
                q.push(format!(") ORDER BY c.created_at {direction}, c.id {direction} LIMIT ")).push_bind(f.limit);
            }
            CaseOrder::DueFirst | CaseOrder::PriorityFirst => {
                // The driving word's cases are gathered and sorted. (Walking the order and
                // checking each case's words instead took 5.4 s for a word in 92 % of a
                // million cases, against 0.9 s, while no index serves these orders.)
                q.push(" WHERE c.id IN (SELECT t.case_id FROM case_terms t WHERE t.term = ").push_bind(driver);
                if let Searched::Within(entity) = searched(f) {
                    q.push(" AND t.entity_id = ").push_bind(entity);
                }
                q.push(visible(f, "t")).push(")");
                push_filters(&mut q, f);
                for w in others {
                    q.push(" AND EXISTS (SELECT 1 FROM case_terms u WHERE u.term = ").push_bind(w)
                        .push(" AND u.entity_id = c.entity_id AND u.created_at = c.created_at AND u.case_id = c.id")
                        .push(visible(f, "u")).push(")");
                }
                push_page(&mut q, f);
            }
        }
        Ok(q.build_query_as::<CaseRow>().fetch_all(&mut *c).await?)
    }
}

impl Store {
    pub(crate) async fn search_cases(&self, filter: &CaseFilter) -> StoreResult<Vec<CaseRow>> {
        self.open_cases(read_op!(self, search_cases, filter)?)
    }

    /// Whether the index holds every case (false from the migration that made it until the
    /// first build, and during a rebuild).
    pub async fn search_index_built(&self) -> StoreResult<bool> {
        read_op!(self, search_index_built, ())
    }

    /// Rebuilds the search index from the cases and their events, a batch per transaction,
    /// calling `progress` with the number of cases indexed by each batch. Cases written
    /// meanwhile index themselves.
    pub async fn rebuild_search_index(&self, mut progress: impl FnMut(u64)) -> StoreResult<u64> {
        write_op!(self, clear_search_index, ())?;
        let (mut after, mut total) = (0, 0);
        while let Some((last, n)) = write_op!(self, index_batch, after)? {
            after = last;
            total += n;
            progress(n);
        }
        Ok(total)
    }

    /// Builds the index once after the migration that created it, when the store opens.
    pub(crate) async fn build_search_index_if_new(&self) -> StoreResult<()> {
        if !self.search_index_built().await? {
            let cases = self.rebuild_search_index(|_| {}).await?;
            tracing::info!(cases, "built the search index");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_words_are_those_only_the_reporter_details_hold() {
        let mut words = CaseWords::default();
        words.text("Ahmed reported a leak at Ahmed's house");
        words.personal("Ahmed Salman");
        words.phone("+97333001234");
        let personal: Vec<_> = words.words().filter(|(_, p)| *p).map(|(w, _)| w).collect();
        assert_eq!(personal, ["33001234", "97333001234", "salman"]);
        assert!(words.words().any(|(w, p)| w == "ahmed" && !p));
    }

    #[test]
    fn a_reference_is_found_by_its_number() {
        let mut words = CaseWords::default();
        words.reference("TW-2026-0000123");
        let all: Vec<_> = words.words().map(|(w, _)| w).collect();
        assert_eq!(all, ["0000123", "123"]);
    }
}
