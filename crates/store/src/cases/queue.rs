//! Staff queues: which cases a list shows, in which order, a page at a time; and the
//! resident's own cases. Text search is in `search`.

use super::{CaseRow, CASE_SELECT, ENDED};
use crate::reporters::{ContactLookup, CONTACT_MATCH};
use crate::{Store, StoreResult};
use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Status};

/// Which queue a staff list shows, beyond the plain filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueScope {
    /// Cases of the filter's entity (or all, for installation-wide staff).
    #[default]
    Entity,
    /// Cases with no department yet: the entity's triage queue.
    Triage,
    /// Cases transferred to the entity and not yet accepted.
    TransferredIn,
    /// Cases the entity handed over to another entity, wherever they are now.
    Followed,
    /// Cases past a ladder step, and escalation cases.
    Escalated,
}

/// The order of a staff list. Each order is a descending or ascending sort on two integer
/// keys and the id, so one keyset cursor (`CaseCursor`) pages them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseOrder {
    /// Newest received first.
    #[default]
    Newest,
    /// Oldest received first.
    Oldest,
    /// Soonest due time in force first; paused, ended and untimed cases last.
    DueFirst,
    /// Urgent first, then high, normal and low; newest first within a priority.
    PriorityFirst,
}

/// Where the previous page ended: the last row's two sort keys and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseCursor {
    pub first: i64,
    pub second: i64,
    pub id: i64,
}

impl CaseOrder {
    /// The SQL of the sort keys, which `cursor_after` computes from a row: generated columns
    /// of the cases table (migration 0007), each with its indexes. An order with one key has
    /// none second.
    pub(crate) fn key_sql(self) -> (&'static str, Option<&'static str>) {
        match self {
            CaseOrder::Newest | CaseOrder::Oldest => ("c.created_at", None),
            CaseOrder::DueFirst => ("c.due_key", None),
            CaseOrder::PriorityFirst => ("c.priority_rank", Some("c.created_at")),
        }
    }

    pub(crate) fn descending(self) -> bool {
        matches!(self, CaseOrder::Newest | CaseOrder::PriorityFirst)
    }

    /// The cursor that continues after `row`.
    pub fn cursor_after(self, row: &CaseRow) -> CaseCursor {
        let (first, second) = match self {
            CaseOrder::Newest | CaseOrder::Oldest => (row.created_at, 0),
            CaseOrder::DueFirst => {
                let sla = &row.sla;
                let ended = !row.status.is_open();
                let due = match sla.first_responded_at {
                    None => sla.first_response_due,
                    Some(_) => sla.resolution_due,
                };
                let due = due.filter(|_| !ended && sla.sla_paused_at.is_none());
                (due.unwrap_or(i64::MAX), 0)
            }
            CaseOrder::PriorityFirst => {
                let rank = match row.priority {
                    Priority::Urgent => 3,
                    Priority::High => 2,
                    Priority::Normal => 1,
                    Priority::Low => 0,
                };
                (rank, row.created_at)
            }
        };
        CaseCursor {
            first,
            second,
            id: row.id,
        }
    }
}

/// SLA state filter: due times compared with `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaFilter {
    Overdue { now: i64 },
    DueBefore { now: i64, before: i64 },
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only cases of this entity (staff of one entity); `None` for the whole installation.
    pub entity_id: Option<i64>,
    pub scope: QueueScope,
    pub sla: Option<SlaFilter>,
    pub priority: Option<Priority>,
    pub statuses: Vec<Status>,
    pub service_id: Option<i64>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// Only cases assigned to nobody.
    pub unassigned: bool,
    /// Only cases in no department yet (the triage scope's condition, as a filter).
    pub no_department: bool,
    pub channel: Option<Channel>,
    pub kind: Option<Kind>,
    /// Only cases reported at this service point.
    pub point_id: Option<i64>,
    /// Only cases in this routing area (`cases.area_id`, set at intake).
    pub area_id: Option<i64>,
    /// Only cases in no routing area (no location, or outside every area).
    pub no_area: bool,
    /// Only cases written in this language.
    pub language: Option<Language>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// Search words (`tawasul_domain::text::search_words`); every one must be a word of the case.
    pub words: Vec<String>,
    /// The words may also be the reporter's name, phone or e-mail (roles that see them).
    pub search_reporter: bool,
    pub order: CaseOrder,
    /// Keyset cursor: rows strictly after this one in `order`.
    pub after: Option<CaseCursor>,
    pub limit: i64,
}

for_both_backends! {
    pub async fn list_cases(c: &mut Conn, f: &CaseFilter) -> StoreResult<Vec<CaseRow>> {
        let mut q = sqlx::QueryBuilder::<Db>::new(CASE_SELECT);
        q.push(" WHERE 1 = 1");
        push_filters(&mut q, f);
        push_page(&mut q, f);
        Ok(q.build_query_as::<CaseRow>().fetch_all(&mut *c).await?)
    }

    /// The filters of `f` other than its words and page, as `AND …` on `c`, the cases.
    pub(crate) fn push_filters(q: &mut sqlx::QueryBuilder<'_, Db>, f: &CaseFilter) {
        match (f.scope, f.entity_id) {
            (QueueScope::Followed, Some(v)) => {
                q.push(" AND c.entity_id <> ").push_bind(v);
                q.push(" AND EXISTS (SELECT 1 FROM transfers t WHERE t.case_id = c.id AND t.from_entity_id = ").push_bind(v).push(")");
            }
            (QueueScope::Followed, None) => {
                q.push(" AND EXISTS (SELECT 1 FROM transfers t WHERE t.case_id = c.id AND t.from_entity_id <> t.to_entity_id)");
            }
            (_, Some(v)) => { q.push(" AND c.entity_id = ").push_bind(v); }
            (_, None) => {}
        }
        match f.scope {
            QueueScope::Entity | QueueScope::Followed => {}
            QueueScope::Triage => { q.push(" AND c.department_id IS NULL"); }
            QueueScope::TransferredIn => { q.push(" AND c.status = 'transferred'"); }
            QueueScope::Escalated => { q.push(" AND (c.escalation_level > 0 OR c.kind = 'escalation')"); }
        }
        match f.sla {
            None => {}
            Some(SlaFilter::Overdue { now }) => {
                q.push(format!(" AND c.status NOT IN {ENDED} AND c.sla_paused_at IS NULL AND ((c.first_responded_at IS NULL AND c.first_response_due < "))
                    .push_bind(now).push(") OR c.resolution_due < ").push_bind(now).push(")");
            }
            Some(SlaFilter::DueBefore { now, before }) => {
                q.push(format!(" AND c.status NOT IN {ENDED} AND c.sla_paused_at IS NULL AND c.resolution_due >= "))
                    .push_bind(now).push(" AND c.resolution_due < ").push_bind(before);
            }
        }
        if let Some(v) = f.priority { q.push(" AND c.priority = ").push_bind(v); }
        if !f.statuses.is_empty() {
            if f.statuses.iter().all(|s| s.is_open()) {
                // Implied by the list, but said in the words of the open-case indexes so that
                // the planner may read them: the backlog, not the whole store.
                q.push(format!(" AND c.status NOT IN {ENDED}"));
            }
            q.push(" AND c.status IN (");
            let mut each = q.separated(", ");
            for s in &f.statuses { each.push_bind(*s); }
            q.push(")");
        }
        if let Some(v) = f.service_id { q.push(" AND c.service_id = ").push_bind(v); }
        if let Some(v) = f.department_id { q.push(" AND c.department_id = ").push_bind(v); }
        if let Some(v) = f.assignee_id { q.push(" AND c.assignee_id = ").push_bind(v); }
        if f.unassigned { q.push(" AND c.assignee_id IS NULL"); }
        if f.no_department { q.push(" AND c.department_id IS NULL"); }
        if let Some(v) = f.channel { q.push(" AND c.channel = ").push_bind(v); }
        if let Some(v) = f.kind { q.push(" AND c.kind = ").push_bind(v); }
        if let Some(v) = f.point_id { q.push(" AND c.point_id = ").push_bind(v); }
        if let Some(v) = f.area_id { q.push(" AND c.area_id = ").push_bind(v); }
        if f.no_area { q.push(" AND c.area_id IS NULL"); }
        if let Some(v) = f.language { q.push(" AND c.language = ").push_bind(v); }
        if let Some(v) = f.created_from { q.push(" AND c.created_at >= ").push_bind(v); }
        if let Some(v) = f.created_to { q.push(" AND c.created_at < ").push_bind(v); }
    }

    /// Rows after `f.after` in `f.order`, in that order, at most `f.limit`.
    pub(crate) fn push_page(q: &mut sqlx::QueryBuilder<'_, Db>, f: &CaseFilter) {
        let (first, second) = f.order.key_sql();
        let (beyond, direction) = if f.order.descending() { ("<", "DESC") } else { (">", "ASC") };
        let keys = match second { Some(second) => format!("{first}, {second}, c.id"), None => format!("{first}, c.id") };
        if let Some(after) = f.after {
            q.push(format!(" AND ({keys}) {beyond} (")).push_bind(after.first).push(", ");
            if second.is_some() { q.push_bind(after.second).push(", "); }
            q.push_bind(after.id).push(")");
        }
        let order = match second {
            Some(second) => format!("{first} {direction}, {second} {direction}, c.id {direction}"),
            None => format!("{first} {direction}, c.id {direction}"),
        };
        q.push(format!(" ORDER BY {order} LIMIT ")).push_bind(f.limit);
    }

    /// The cases reported with this phone number or e-mail address (normal forms), in the
    /// clear or sealed (found by their blind indexes, `ContactLookup`), newest first.
    pub async fn cases_for_contact(c: &mut Conn, (contact, limit): (ContactLookup, i64)) -> StoreResult<Vec<CaseRow>> {
        Ok(sqlx::query_as(&format!(
            "{CASE_SELECT} WHERE {CONTACT_MATCH} ORDER BY c.created_at DESC, c.id DESC LIMIT $5"
        ))
        .bind(contact.phone).bind(contact.email).bind(contact.phone_index).bind(contact.email_index).bind(limit)
        .fetch_all(&mut *c).await?)
    }
}

impl Store {
    /// A page of staff cases; with search words, through the search index.
    pub async fn list_cases(&self, filter: CaseFilter) -> StoreResult<Vec<CaseRow>> {
        if filter.words.is_empty() {
            self.open_cases(read_op!(self, list_cases, &filter)?)
        } else {
            self.search_cases(&filter).await
        }
    }

    pub async fn cases_for_contact(
        &self,
        phone: Option<String>,
        email: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<CaseRow>> {
        let lookup = self.contact_lookup(phone, email);
        self.open_cases(read_op!(self, cases_for_contact, (lookup, limit))?)
    }
}
