//! Workflow: each entity's policy (calendar and escalation ladder), SLA targets, areas,
//! routing rules, OLAs between entities, transfers, and the SLA clock and escalations of cases.

use crate::cases::{CaseRow, CaseSla, CASE_SELECT, ENDED};
use crate::{Store, StoreResult};
use tawasul_domain::vocab::{Language, Priority, Status};

#[derive(Debug, Clone)]
pub enum TransferWrite {
    Open(TransferInsert),
    /// The receiving entity accepted or returned the pending transfer `id`.
    Decide {
        id: i64,
        status: String,
        decided_by: i64,
        decided_at: i64,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct TransferInsert {
    pub from_entity_id: i64,
    pub to_entity_id: i64,
    pub from_department_id: Option<i64>,
    pub to_department_id: Option<i64>,
    pub from_status: Status,
    pub reason: String,
    /// pending (between entities, until accepted or returned) or done (between departments).
    pub status: String,
    pub requested_by: i64,
    pub requested_at: i64,
    pub accept_due: Option<i64>,
    pub resolve_due: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransferRow {
    pub id: i64,
    pub case_id: i64,
    pub from_entity_id: i64,
    pub from_entity_code: String,
    pub to_entity_id: i64,
    pub to_entity_code: String,
    pub from_department_id: Option<i64>,
    pub to_department_id: Option<i64>,
    pub from_status: Status,
    pub reason: String,
    pub status: String,
    pub requested_by: Option<i64>,
    pub requested_at: i64,
    pub accept_due: Option<i64>,
    pub resolve_due: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
}

/// An entity's workflow policy: its calendar and escalation ladder as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub entity_id: i64,
    pub calendar: String,
    pub escalation: String,
    pub ignored_after_days: i64,
    pub satisfaction_department_id: Option<i64>,
    pub updated_at: i64,
    /// Administrators and supervisors sign in with a second factor.
    pub second_factor_required: bool,
    /// Days a resolved case waits for its reporter's verdict before it closes by itself.
    pub survey_days: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlaTargetRow {
    pub entity_id: i64,
    pub service_id: Option<i64>,
    pub priority: Priority,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AreaRow {
    pub id: i64,
    pub entity_id: i64,
    pub name: Option<String>,
    pub geometry: String,
}

#[derive(Debug, Clone)]
pub struct AreaInsert {
    pub name: Option<String>,
    pub geometry: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub entity_id: i64,
    pub department_id: i64,
    pub service_code: Option<String>,
    /// JSON array of words.
    pub keywords: String,
    pub language: Option<Language>,
    pub position: i64,
}

#[derive(Debug, Clone)]
pub struct RuleInsert {
    pub entity_id: i64,
    pub department_id: i64,
    pub service_code: Option<String>,
    pub keywords: String,
    pub language: Option<Language>,
    pub position: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OlaRow {
    pub from_entity_id: i64,
    pub to_entity_id: i64,
    pub service_id: Option<i64>,
    pub accept_minutes: i64,
    pub resolve_minutes: i64,
}

/// Which OLA: the sending and receiving entities, and the service (`None`: any service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OlaKey {
    pub from_entity_id: i64,
    pub to_entity_id: i64,
    pub service_id: Option<i64>,
}

/// Terms one entity proposes to another, binding once the receiver accepts them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OlaProposalRow {
    pub from_entity_id: i64,
    pub to_entity_id: i64,
    pub service_id: Option<i64>,
    pub accept_minutes: i64,
    pub resolve_minutes: i64,
    pub proposed_by: String,
    pub proposed_at: i64,
}

const OLA_KEY: &str = "from_entity_id = $1 AND to_entity_id = $2 AND COALESCE(service_id, 0) = COALESCE($3, 0)";

const TRANSFER_SELECT: &str = "SELECT t.id, t.case_id, t.from_entity_id, fe.code AS from_entity_code, t.to_entity_id, \
     te.code AS to_entity_code, t.from_department_id, t.to_department_id, t.from_status, t.reason, t.status, \
     t.requested_by, t.requested_at, t.accept_due, t.resolve_due, t.decided_at, t.decision_reason \
     FROM transfers t JOIN entities fe ON fe.id = t.from_entity_id JOIN entities te ON te.id = t.to_entity_id";

for_both_backends! {
    pub async fn upsert_policy(c: &mut Conn, p: PolicyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO entity_policies (entity_id, calendar, escalation, ignored_after_days, satisfaction_department_id, \
             updated_at, second_factor_required, survey_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (entity_id) DO UPDATE SET calendar = $2, escalation = $3, ignored_after_days = $4, \
             satisfaction_department_id = $5, updated_at = $6, second_factor_required = $7, survey_days = $8",
        )
        .bind(p.entity_id).bind(p.calendar).bind(p.escalation).bind(p.ignored_after_days)
        .bind(p.satisfaction_department_id).bind(p.updated_at).bind(p.second_factor_required).bind(p.survey_days)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn policies(c: &mut Conn, _: ()) -> StoreResult<Vec<PolicyRow>> {
        Ok(sqlx::query_as(
            "SELECT entity_id, calendar, escalation, ignored_after_days, satisfaction_department_id, updated_at, \
             second_factor_required, survey_days FROM entity_policies ORDER BY entity_id",
        )
        .fetch_all(&mut *c).await?)
    }

    pub async fn upsert_sla_target(c: &mut Conn, t: SlaTargetRow) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM sla_targets WHERE entity_id = $1 AND COALESCE(service_id, 0) = COALESCE($2, 0) AND priority = $3",
        )
        .bind(t.entity_id).bind(t.service_id).bind(t.priority).execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO sla_targets (entity_id, service_id, priority, first_response_minutes, resolution_minutes) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(t.entity_id).bind(t.service_id).bind(t.priority).bind(t.first_response_minutes).bind(t.resolution_minutes)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn sla_targets(c: &mut Conn, _: ()) -> StoreResult<Vec<SlaTargetRow>> {
        Ok(sqlx::query_as(
            "SELECT entity_id, service_id, priority, first_response_minutes, resolution_minutes FROM sla_targets ORDER BY id",
        )
        .fetch_all(&mut *c).await?)
    }

    /// Replaces the areas an entity serves with `areas`, in one transaction. An area the
    /// import names as before keeps its id with its new outline, so the cases located in it and
    /// the figures by area stay its own; the cases of an area the import drops are let go of
    /// (`area_id` emptied) before it is deleted.
    pub async fn replace_areas(c: &mut Conn, (entity_id, areas, at): (i64, Vec<AreaInsert>, i64)) -> StoreResult<usize> {
        let mut unclaimed: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, name FROM areas WHERE entity_id = $1 ORDER BY id")
                .bind(entity_id).fetch_all(&mut *c).await?;
        for a in &areas {
            let kept = a.name.as_ref().and_then(|name| unclaimed.iter().position(|(_, n)| n.as_ref() == Some(name)));
            if let Some(pos) = kept {
                let (id, _) = unclaimed.remove(pos);
                sqlx::query("UPDATE areas SET geometry = $1 WHERE id = $2")
                    .bind(&a.geometry).bind(id)
                    .execute(&mut *c).await?;
            } else {
                sqlx::query("INSERT INTO areas (entity_id, name, geometry, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(entity_id).bind(&a.name).bind(&a.geometry).bind(at)
                    .execute(&mut *c).await?;
            }
        }
        for (id, _) in unclaimed {
            sqlx::query("UPDATE cases SET area_id = NULL WHERE area_id = $1").bind(id).execute(&mut *c).await?;
            sqlx::query("DELETE FROM areas WHERE id = $1").bind(id).execute(&mut *c).await?;
        }
        Ok(areas.len())
    }

    pub async fn areas(c: &mut Conn, _: ()) -> StoreResult<Vec<AreaRow>> {
        Ok(sqlx::query_as("SELECT id, entity_id, name, geometry FROM areas ORDER BY id").fetch_all(&mut *c).await?)
    }

    pub async fn area_names(c: &mut Conn, _: ()) -> StoreResult<Vec<AreaRow>> {
        Ok(sqlx::query_as("SELECT id, entity_id, name, '' AS geometry FROM areas ORDER BY id").fetch_all(&mut *c).await?)
    }

    pub async fn area_entity(c: &mut Conn, id: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT entity_id FROM areas WHERE id = $1").bind(id).fetch_optional(&mut *c).await?)
    }

    pub async fn insert_rule(c: &mut Conn, r: RuleInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO routing_rules (entity_id, department_id, service_code, keywords, language, position) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(r.entity_id).bind(r.department_id).bind(r.service_code).bind(r.keywords).bind(r.language).bind(r.position)
        .fetch_one(&mut *c).await?)
    }

    pub async fn rules(c: &mut Conn, _: ()) -> StoreResult<Vec<RuleRow>> {
        Ok(sqlx::query_as(
            "SELECT id, entity_id, department_id, service_code, keywords, language, position FROM routing_rules \
             ORDER BY entity_id, position, id",
        )
        .fetch_all(&mut *c).await?)
    }

    /// The agreed terms of a pair (and service); a proposal for the same key is superseded.
    pub async fn upsert_ola(c: &mut Conn, o: OlaRow) -> StoreResult<()> {
        for table in ["olas", "ola_proposals"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE {OLA_KEY}"))
                .bind(o.from_entity_id).bind(o.to_entity_id).bind(o.service_id).execute(&mut *c).await?;
        }
        sqlx::query(
            "INSERT INTO olas (from_entity_id, to_entity_id, service_id, accept_minutes, resolve_minutes) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(o.from_entity_id).bind(o.to_entity_id).bind(o.service_id).bind(o.accept_minutes).bind(o.resolve_minutes)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn olas(c: &mut Conn, _: ()) -> StoreResult<Vec<OlaRow>> {
        Ok(sqlx::query_as(
            "SELECT from_entity_id, to_entity_id, service_id, accept_minutes, resolve_minutes FROM olas ORDER BY id",
        )
        .fetch_all(&mut *c).await?)
    }

    pub async fn upsert_ola_proposal(c: &mut Conn, p: OlaProposalRow) -> StoreResult<()> {
        sqlx::query(&format!("DELETE FROM ola_proposals WHERE {OLA_KEY}"))
            .bind(p.from_entity_id).bind(p.to_entity_id).bind(p.service_id).execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO ola_proposals (from_entity_id, to_entity_id, service_id, accept_minutes, resolve_minutes, \
             proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(p.from_entity_id).bind(p.to_entity_id).bind(p.service_id).bind(p.accept_minutes)
        .bind(p.resolve_minutes).bind(p.proposed_by).bind(p.proposed_at)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn ola_proposals(c: &mut Conn, _: ()) -> StoreResult<Vec<OlaProposalRow>> {
        Ok(sqlx::query_as(
            "SELECT from_entity_id, to_entity_id, service_id, accept_minutes, resolve_minutes, proposed_by, \
             proposed_at FROM ola_proposals ORDER BY id",
        )
        .fetch_all(&mut *c).await?)
    }

    /// Makes the proposal for `key` the agreed terms, in one transaction; `None` when there
    /// is no such proposal (already accepted, declined, or never made).
    pub async fn accept_ola_proposal(c: &mut Conn, key: OlaKey) -> StoreResult<Option<OlaRow>> {
        let proposal: Option<OlaProposalRow> = sqlx::query_as(&format!(
            "SELECT from_entity_id, to_entity_id, service_id, accept_minutes, resolve_minutes, proposed_by, \
             proposed_at FROM ola_proposals WHERE {OLA_KEY}"
        ))
        .bind(key.from_entity_id).bind(key.to_entity_id).bind(key.service_id)
        .fetch_optional(&mut *c).await?;
        let Some(p) = proposal else { return Ok(None) };
        let agreed = OlaRow {
            from_entity_id: p.from_entity_id,
            to_entity_id: p.to_entity_id,
            service_id: p.service_id,
            accept_minutes: p.accept_minutes,
            resolve_minutes: p.resolve_minutes,
        };
        upsert_ola(c, agreed.clone()).await?;
        Ok(Some(agreed))
    }

    /// Withdraws or declines a proposal; false when there was none.
    pub async fn delete_ola_proposal(c: &mut Conn, key: OlaKey) -> StoreResult<bool> {
        let done = sqlx::query(&format!("DELETE FROM ola_proposals WHERE {OLA_KEY}"))
            .bind(key.from_entity_id).bind(key.to_entity_id).bind(key.service_id)
            .execute(&mut *c).await?;
        Ok(done.rows_affected() > 0)
    }

    // Workflow state.

    pub async fn transfers_of(c: &mut Conn, case_id: i64) -> StoreResult<Vec<TransferRow>> {
        Ok(sqlx::query_as(&format!("{TRANSFER_SELECT} WHERE t.case_id = $1 ORDER BY t.id"))
            .bind(case_id).fetch_all(&mut *c).await?)
    }

    /// Cases whose next escalation step is due, earliest first: read from the index on
    /// next_escalation_at, so the cost follows the due cases only.
    pub async fn due_escalations(c: &mut Conn, (now, limit): (i64, i64)) -> StoreResult<Vec<CaseRow>> {
        Ok(sqlx::query_as(&format!(
            "{CASE_SELECT} WHERE c.next_escalation_at <= $1 ORDER BY c.next_escalation_at, c.id LIMIT $2"
        ))
        .bind(now).bind(limit).fetch_all(&mut *c).await?)
    }

    /// When staff last said something the reporter can see (a public event by staff).
    pub async fn last_public_update(c: &mut Conn, case_id: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(at) FROM case_events WHERE case_id = $1 AND public AND actor_type = 'staff'")
            .bind(case_id).fetch_one(&mut *c).await?)
    }

    /// Open escalation cases ("my report was ignored") of a case.
    pub async fn open_escalations_of(c: &mut Conn, case_id: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT reference FROM cases WHERE linked_case_id = $1 AND status NOT IN {ENDED} ORDER BY id"
        ))
        .bind(case_id).fetch_all(&mut *c).await?)
    }

    /// Rewrites a case's SLA clock alone, if its escalation level is still `expected_level`.
    pub async fn set_sla(c: &mut Conn, (case_id, expected_level, sla): (i64, i64, CaseSla)) -> StoreResult<()> {
        sqlx::query(
            "UPDATE cases SET sla_started_at = $3, sla_paused_at = $4, sla_paused_micros = $5, first_response_due = $6, \
             first_responded_at = $7, resolution_due = $8, escalation_level = $9, next_escalation_at = $10, \
             sla_response_target = $11, sla_resolution_target = $12 WHERE id = $1 AND escalation_level = $2",
        )
        .bind(case_id).bind(expected_level).bind(sla.sla_started_at).bind(sla.sla_paused_at).bind(sla.sla_paused_micros)
        .bind(sla.first_response_due).bind(sla.first_responded_at).bind(sla.resolution_due).bind(sla.escalation_level)
        .bind(sla.next_escalation_at).bind(sla.sla_response_target).bind(sla.sla_resolution_target)
        .execute(&mut *c).await?;
        Ok(())
    }

    /// Transfers by status: each one is a case that first reached the wrong desk.
    pub async fn count_transfers(c: &mut Conn, _: ()) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT status, COUNT(*) FROM transfers GROUP BY status ORDER BY status").fetch_all(&mut *c).await?)
    }
}

impl Store {
    pub async fn upsert_policy(&self, p: PolicyRow) -> StoreResult<()> {
        write_op!(self, upsert_policy, p)
    }

    pub async fn policies(&self) -> StoreResult<Vec<PolicyRow>> {
        read_op!(self, policies, ())
    }

    pub async fn upsert_sla_target(&self, t: SlaTargetRow) -> StoreResult<()> {
        write_op!(self, upsert_sla_target, t)
    }

    pub async fn sla_targets(&self) -> StoreResult<Vec<SlaTargetRow>> {
        read_op!(self, sla_targets, ())
    }

    /// Replaces the areas an entity serves; returns how many it now has.
    pub async fn replace_areas(&self, entity_id: i64, areas: Vec<AreaInsert>, at: i64) -> StoreResult<usize> {
        write_op!(self, replace_areas, (entity_id, areas, at))
    }

    pub async fn areas(&self) -> StoreResult<Vec<AreaRow>> {
        read_op!(self, areas, ())
    }

    /// Every routing area without its outline (`geometry` empty): for lists of names.
    pub async fn area_names(&self) -> StoreResult<Vec<AreaRow>> {
        read_op!(self, area_names, ())
    }

    /// The entity a routing area belongs to, without reading its outline; `None` if there is
    /// no such area.
    pub async fn area_entity(&self, id: i64) -> StoreResult<Option<i64>> {
        read_op!(self, area_entity, id)
    }

    pub async fn insert_rule(&self, r: RuleInsert) -> StoreResult<i64> {
        write_op!(self, insert_rule, r)
    }

    pub async fn rules(&self) -> StoreResult<Vec<RuleRow>> {
        read_op!(self, rules, ())
    }

    pub async fn upsert_ola(&self, o: OlaRow) -> StoreResult<()> {
        write_op!(self, upsert_ola, o)
    }

    pub async fn olas(&self) -> StoreResult<Vec<OlaRow>> {
        read_op!(self, olas, ())
    }

    pub async fn upsert_ola_proposal(&self, p: OlaProposalRow) -> StoreResult<()> {
        write_op!(self, upsert_ola_proposal, p)
    }

    pub async fn ola_proposals(&self) -> StoreResult<Vec<OlaProposalRow>> {
        read_op!(self, ola_proposals, ())
    }

    pub async fn accept_ola_proposal(&self, key: OlaKey) -> StoreResult<Option<OlaRow>> {
        write_op!(self, accept_ola_proposal, key)
    }

    pub async fn delete_ola_proposal(&self, key: OlaKey) -> StoreResult<bool> {
        write_op!(self, delete_ola_proposal, key)
    }

    pub async fn transfers_of(&self, case_id: i64) -> StoreResult<Vec<TransferRow>> {
        read_op!(self, transfers_of, case_id)
    }

    pub async fn due_escalations(&self, now: i64, limit: i64) -> StoreResult<Vec<CaseRow>> {
        self.open_cases(read_op!(self, due_escalations, (now, limit))?)
    }

    pub async fn last_public_update(&self, case_id: i64) -> StoreResult<Option<i64>> {
        read_op!(self, last_public_update, case_id)
    }

    pub async fn open_escalations_of(&self, case_id: i64) -> StoreResult<Vec<String>> {
        read_op!(self, open_escalations_of, case_id)
    }

    pub async fn set_sla(&self, case_id: i64, expected_level: i64, sla: CaseSla) -> StoreResult<()> {
        write_op!(self, set_sla, (case_id, expected_level, sla))
    }

    pub async fn count_transfers(&self) -> StoreResult<Vec<(String, i64)>> {
        read_op!(self, count_transfers, ())
    }
}
