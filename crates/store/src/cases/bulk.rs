//! Cases written as they stand after their history, many rows per statement: the path of
//! data generators and imports, where one statement per row would take hours at millions.

use super::{CaseInsert, EventInsert};
use crate::{Store, StoreResult};
use chrono::Datelike;

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

for_both_backends! {
    uses { cases::search: index_batch; cases::counts: fold_case_counts; }

    /// Writes the cases with their events and surveys in one transaction, indexes them for
    /// search and counts them; returns their ids in order.
    pub async fn load_cases(c: &mut Conn, cases: Vec<LoadedCase>) -> StoreResult<Vec<i64>> {
        let ids = dialect::reserve_case_ids(c, cases.len() as i64).await?;
        for (chunk, chunk_ids) in cases.chunks(CASE_ROWS).zip(ids.chunks(CASE_ROWS)) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO cases (id, reference, token_hash, entity_id, department_id, assignee_id, service_id, kind, \
                 status, channel, language, priority, description, answers, lat, lon, address, reporter_name, \
                 reporter_phone, reporter_email, reporter_language, resolution, created_at, updated_at, \
                 sla_started_at, sla_paused_at, sla_paused_micros, first_response_due, first_responded_at, \
                 resolution_due, escalation_level, next_escalation_at, sla_response_target, sla_resolution_target, area_id) ",
            );
            q.push_values(chunk.iter().zip(chunk_ids), |mut row, (loaded, &id)| {
                let case = &loaded.case;
                let year = tawasul_domain::from_micros(case.created_at).year();
                row.push_bind(id).push_bind(tawasul_domain::reference(year, id)).push_bind(case.token_hash.clone())
                    .push_bind(case.entity_id).push_bind(case.department_id).push_bind(loaded.assignee_id)
                    .push_bind(case.service_id).push_bind(case.kind.clone()).push_bind(case.status.clone())
                    .push_bind(case.channel.clone()).push_bind(case.language.clone()).push_bind(case.priority.clone())
                    .push_bind(case.description.clone()).push_bind(case.answers.clone()).push_bind(case.lat)
                    .push_bind(case.lon).push_bind(case.address.clone()).push_bind(case.reporter_name.clone())
                    .push_bind(case.reporter_phone.clone()).push_bind(case.reporter_email.clone())
                    .push_bind(case.reporter_language.clone()).push_bind(loaded.resolution.clone())
                    .push_bind(case.created_at).push_bind(loaded.updated_at)
                    .push_bind(case.sla.sla_started_at).push_bind(case.sla.sla_paused_at)
                    .push_bind(case.sla.sla_paused_micros).push_bind(case.sla.first_response_due)
                    .push_bind(case.sla.first_responded_at).push_bind(case.sla.resolution_due)
                    .push_bind(case.sla.escalation_level).push_bind(case.sla.next_escalation_at)
                    .push_bind(case.sla.sla_response_target).push_bind(case.sla.sla_resolution_target)
                    .push_bind(case.area_id);
            });
            q.build().execute(&mut *c).await?;
        }
        let events: Vec<EventInsert> = cases.iter().zip(&ids)
            .flat_map(|(loaded, &case_id)| loaded.case.events.iter().map(move |e| EventInsert { case_id, ..e.clone() }))
            .collect();
        for chunk in events.chunks(EVENT_ROWS) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO case_events (case_id, at, actor_type, actor_id, actor_name, action, from_status, to_status, \
                 public, body, details) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(e.case_id).push_bind(e.at).push_bind(e.actor_type.clone()).push_bind(e.actor_id)
                    .push_bind(e.actor_name.clone()).push_bind(e.action.clone()).push_bind(e.from_status)
                    .push_bind(e.to_status).push_bind(e.public).push_bind(e.body.clone()).push_bind(e.details.clone());
            });
            q.build().execute(&mut *c).await?;
        }
        let surveys: Vec<(i64, &LoadedSurvey)> = cases.iter().zip(&ids)
            .filter_map(|(loaded, &id)| loaded.survey.as_ref().map(|s| (id, s)))
            .collect();
        for chunk in surveys.chunks(SURVEY_ROWS) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO case_surveys (case_id, quality, speed, agent, comment, low, created_at, solved) ",
            );
            q.push_values(chunk, |mut row, (case_id, s)| {
                row.push_bind(*case_id).push_bind(s.quality).push_bind(s.speed).push_bind(s.agent)
                    .push_bind(s.comment.clone()).push_bind(s.low).push_bind(s.created_at).push_bind(s.solved);
            });
            q.build().execute(&mut *c).await?;
        }
        // Indexed by the same code as a rebuild, from what was just written.
        if let (Some(&first), Some(&last)) = (ids.first(), ids.last()) {
            let mut after = first - 1;
            while after < last {
                match index_batch(c, after).await? {
                    Some((indexed_to, _)) => after = indexed_to,
                    None => break,
                }
            }
        }
        // Counted now, so that the first count after a load of millions is not the one to fold them.
        fold_case_counts(c, ()).await?;
        Ok(ids)
    }
}

impl Store {
    /// Many cases as they stand after their history, in one transaction: all or none.
    pub async fn load_cases(&self, cases: Vec<LoadedCase>) -> StoreResult<Vec<i64>> {
        write_op!(self, load_cases, cases)
    }
}
