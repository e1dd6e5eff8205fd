//! Cases written as they stand after their history, in bulk: the path of data generators and
//! imports, where a transaction per case would take hours at millions.

use super::search::{service_words, CaseTerms, CaseWords, OwnText};
use super::{CaseInsert, EventInsert};
use crate::reporters::Cipher;
use crate::{Backend, Store, StoreResult};
use chrono::Datelike;
use std::collections::HashMap;

/// A case as it stands after its history: its final status, SLA clock and events, all
/// decided by the caller. `case.notifications`, `case.attachments`, `case.idempotency` and
/// the linked case are not written by this path.
#[derive(Debug, Clone, Default)]
pub struct LoadedCase {
    pub case: CaseInsert,
    pub assignee_id: Option<i64>,
    pub resolution: Option<String>,
    pub updated_at: i64,
    pub survey: Option<LoadedSurvey>,
    /// Its own text's search words, when the caller worked them out ahead (on its own
    /// threads, see [`LoadedWords::of`]); else the load does.
    pub words: Option<LoadedWords>,
}

/// The search words of a loaded case's own text — description, address, resolution, the
/// reporter's details and its events' bodies — as the load would work them out; the load adds
/// those of its reference and its service. Worked out after the case is complete.
#[derive(Debug, Clone, Default)]
pub struct LoadedWords(CaseWords);

impl LoadedWords {
    pub fn of(loaded: &LoadedCase) -> Self {
        let case = &loaded.case;
        let mut words = OwnText {
            description: &case.description,
            address: case.address.as_deref(),
            resolution: loaded.resolution.as_deref(),
            reporter_name: case.reporter_name.as_deref(),
            reporter_phone: case.reporter_phone.as_deref(),
            reporter_email: case.reporter_email.as_deref(),
        }
        .words();
        for body in case.events.iter().filter_map(|e| e.body.as_deref()) {
            words.text(body);
        }
        Self(words)
    }
}

/// The resident's survey of a loaded case; its event is among the case's events.
#[derive(Debug, Clone)]
pub struct LoadedSurvey {
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub comment: Option<String>,
    /// Whether the satisfaction unit should look at it (the application's rule).
    pub low: bool,
    /// "Is the problem really solved?"
    pub solved: Option<bool>,
    pub created_at: i64,
}

/// Rows per multi-row INSERT: under SQLite's 32,766 bound parameters for every table here.
const CASE_ROWS: usize = 500;
const EVENT_ROWS: usize = 2_000;
const SURVEY_ROWS: usize = 2_000;

/// A value in its column's place: each table's columns are listed once, below, and both
/// backends' writers bind the same cells in the same order.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<&'a str>),
    Bool(Option<bool>),
}

const CASE_COLUMNS: &str = "id, reference, token_hash, entity_id, department_id, assignee_id, service_id, kind, \
     status, channel, language, priority, description, answers, lat, lon, address, reporter_name, \
     reporter_phone, reporter_email, reporter_language, resolution, created_at, updated_at, \
     sla_started_at, sla_paused_at, sla_paused_micros, first_response_due, first_responded_at, \
     resolution_due, escalation_level, next_escalation_at, sla_response_target, sla_resolution_target, area_id";

fn case_cells<'a>(loaded: &'a LoadedCase, id: i64, reference: &'a str) -> [Cell<'a>; 35] {
    use Cell::{Int, Real, Text};
    let (case, sla) = (&loaded.case, &loaded.case.sla);
    let text = |s: &'a String| Text(Some(s.as_str()));
    [
        Int(Some(id)),
        Text(Some(reference)),
        text(&case.token_hash),
        Int(Some(case.entity_id)),
        Int(case.department_id),
        Int(loaded.assignee_id),
        Int(Some(case.service_id)),
        text(&case.kind),
        text(&case.status),
        text(&case.channel),
        text(&case.language),
        text(&case.priority),
        text(&case.description),
        text(&case.answers),
        Real(case.lat),
        Real(case.lon),
        Text(case.address.as_deref()),
        Text(case.reporter_name.as_deref()),
        Text(case.reporter_phone.as_deref()),
        Text(case.reporter_email.as_deref()),
        Text(case.reporter_language.as_deref()),
        Text(loaded.resolution.as_deref()),
        Int(Some(case.created_at)),
        Int(Some(loaded.updated_at)),
        Int(sla.sla_started_at),
        Int(sla.sla_paused_at),
        Int(Some(sla.sla_paused_micros)),
        Int(sla.first_response_due),
        Int(sla.first_responded_at),
        Int(sla.resolution_due),
        Int(Some(sla.escalation_level)),
        Int(sla.next_escalation_at),
        Int(sla.sla_response_target),
        Int(sla.sla_resolution_target),
        Int(case.area_id),
    ]
}

const EVENT_COLUMNS: &str =
    "case_id, at, actor_type, actor_id, actor_name, action, from_status, to_status, public, body, details";

fn event_cells(e: &EventInsert, case_id: i64) -> [Cell<'_>; 11] {
    use Cell::{Bool, Int, Text};
    [
        Int(Some(case_id)),
        Int(Some(e.at)),
        Text(Some(&e.actor_type)),
        Int(e.actor_id),
        Text(Some(&e.actor_name)),
        Text(Some(&e.action)),
        Text(e.from_status.map(|s| s.as_str())),
        Text(e.to_status.map(|s| s.as_str())),
        Bool(Some(e.public)),
        Text(e.body.as_deref()),
        Text(Some(&e.details)),
    ]
}

const SURVEY_COLUMNS: &str = "case_id, quality, speed, agent, comment, low, created_at, solved";

fn survey_cells(case_id: i64, s: &LoadedSurvey) -> [Cell<'_>; 8] {
    use Cell::{Bool, Int, Text};
    [
        Int(Some(case_id)),
        Int(Some(s.quality)),
        Int(Some(s.speed)),
        Int(Some(s.agent)),
        Text(s.comment.as_deref()),
        Bool(Some(s.low)),
        Int(Some(s.created_at)),
        Bool(s.solved),
    ]
}

/// What a load writes besides the cases as given: their references and search words.
struct Derived {
    references: Vec<String>,
    terms: Vec<CaseTerms>,
}

fn derive(cases: &mut [LoadedCase], ids: &[i64], services: &HashMap<i64, CaseWords>) -> Derived {
    let references: Vec<String> = cases
        .iter()
        .zip(ids)
        .map(|(loaded, &id)| tawasul_domain::reference(tawasul_domain::from_micros(loaded.case.created_at).year(), id))
        .collect();
    let terms = cases
        .iter_mut()
        .zip(ids)
        .zip(&references)
        .map(|((loaded, &id), reference)| {
            // What the case is found by, as `index_batch` would read it back (a loaded case
            // links to no other).
            let mut words = loaded.words.take().unwrap_or_else(|| LoadedWords::of(loaded)).0;
            words.reference(reference);
            if let Some(service) = services.get(&loaded.case.service_id) {
                words.merge(service);
            }
            CaseTerms {
                case_id: id,
                entity_id: loaded.case.entity_id,
                created_at: loaded.case.created_at,
                words,
            }
        })
        .collect();
    Derived { references, terms }
}

for_both_backends! {
    uses { cases::search: insert_terms; cases::counts: fold_case_counts; reporters: seal_reporters; }

    /// The ids the cases will take, and the words of every service's names.
    pub(crate) async fn load_start(c: &mut Conn, n: usize) -> StoreResult<(Vec<i64>, HashMap<i64, CaseWords>)> {
        let ids = dialect::reserve_case_ids(c, n as i64).await?;
        let services = sqlx::query_as::<_, (i64, String, String)>("SELECT id, name_ar, name_en FROM services")
            .fetch_all(&mut *c).await?
            .into_iter().map(|(id, ar, en)| (id, service_words(&ar, &en))).collect();
        Ok((ids, services))
    }

    /// Many rows per statement on both backends, one round trip each. (On SQLite, one prepared
    /// statement stepped a row at a time was tried: inside the writer's savepoint each statement
    /// opens a statement journal whose cost grows with the transaction, and a batch of 10,000
    /// cases took minutes.)
    pub(crate) async fn load_cases(c: &mut Conn, (mut cases, cipher): (Vec<LoadedCase>, Cipher)) -> StoreResult<Vec<i64>> {
        let (ids, services) = load_start(c, cases.len()).await?;
        let derived = derive(&mut cases, &ids, &services);
        let rows: Vec<[Cell<'_>; 35]> = cases
            .iter()
            .zip(&ids)
            .zip(&derived.references)
            .map(|((loaded, &id), reference)| case_cells(loaded, id, reference))
            .collect();
        insert(c, "cases", CASE_COLUMNS, &rows, CASE_ROWS).await?;
        let events: Vec<[Cell<'_>; 11]> = cases
            .iter()
            .zip(&ids)
            .flat_map(|(loaded, &id)| loaded.case.events.iter().map(move |e| event_cells(e, id)))
            .collect();
        insert(c, "case_events", EVENT_COLUMNS, &events, EVENT_ROWS).await?;
        let surveys: Vec<[Cell<'_>; 8]> = cases
            .iter()
            .zip(&ids)
            .filter_map(|(loaded, &id)| loaded.survey.as_ref().map(|s| survey_cells(id, s)))
            .collect();
        insert(c, "case_surveys", SURVEY_COLUMNS, &surveys, SURVEY_ROWS).await?;
        insert_terms(c, &derived.terms).await?;
        // Written in the clear like any row, sealed before the transaction commits.
        if let (Some(cipher), Some(first)) = (cipher, ids.iter().min()) {
            let mut after = first - 1;
            while let Some((last, _)) = seal_reporters(c, (cipher.clone(), after, CASE_ROWS as i64)).await? {
                after = last;
            }
        }
        // Counted now, so that the first count after a load of millions is not the one to fold them.
        fold_case_counts(c, ()).await?;
        Ok(ids)
    }

    async fn insert<const N: usize>(
        c: &mut Conn,
        table: &str,
        columns: &str,
        rows: &[[Cell<'_>; N]],
        per_statement: usize,
    ) -> StoreResult<()> {
        for chunk in rows.chunks(per_statement) {
            let mut q = sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO {table} ({columns}) "));
            q.push_values(chunk, |mut row, cells| {
                for cell in cells {
                    match *cell {
                        Cell::Int(v) => row.push_bind(v),
                        Cell::Real(v) => row.push_bind(v),
                        Cell::Text(v) => row.push_bind(v),
                        Cell::Bool(v) => row.push_bind(v),
                    };
                }
            });
            q.build().execute(&mut *c).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Many cases as they stand after their history, in one transaction: all or none. They
    /// are written with their events and surveys, indexed for search and counted; returns
    /// their ids in order.
    pub async fn load_cases(&self, cases: Vec<LoadedCase>) -> StoreResult<Vec<i64>> {
        let cases = (cases, self.cipher());
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                writer
                    .run(move |c| Box::pin(async move { sqlite::load_cases(c, cases).await }))
                    .await
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let ids = pg::load_cases(&mut tx, cases).await?;
                tx.commit().await?;
                Ok(ids)
            }
        }
    }
}
