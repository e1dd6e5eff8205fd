//! The supervisor's board: the breaches and escalations of an entity (open cases overdue, due
//! soon or escalated, and open "my report was ignored" cases), and reassignment in bulk.

use crate::cases::views::CaseSummary;
use crate::cases::work::{TransitionRequest, DUE_SOON_MICROS};
use crate::cases::{CasesError, CasesResult};
use crate::error::Failure;
use crate::identity::authz::{Permission, StaffUser};
use crate::App;
use std::collections::{BTreeMap, HashSet};
use tawasul_domain::lifecycle::Action;
use tawasul_domain::vocab::{Kind, Status};
use tawasul_domain::Invalid;
use tawasul_store::{CaseFilter, CaseRow, QueueScope, SlaFilter};

/// The most cases one bulk reassignment may name.
pub const MAX_BULK: usize = 200;
/// The most cases of each kind of trouble the board reads; beyond it, it says it is cut short.
const BOARD_CAP: i64 = 500;

/// How many cases of one department (or of none yet) are in each kind of trouble.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DepartmentCounts {
    /// `None`: cases not yet given a department.
    pub department: Option<String>,
    pub overdue: usize,
    pub due_soon: usize,
    pub escalated: usize,
    pub ignored: usize,
    /// Cases on the board, each counted once.
    pub total: usize,
}

#[derive(Debug)]
pub struct Board {
    pub counts: Vec<DepartmentCounts>,
    /// Oldest breach first: by the due time in force, cases without one last.
    pub rows: Vec<CaseSummary>,
    /// More cases are in trouble than the board reads at once.
    pub truncated: bool,
}

#[derive(Debug)]
pub struct BulkReassignRequest {
    /// References of the cases to reassign, at most 200.
    pub cases: Vec<String>,
    /// The department code (of each case's entity).
    pub department: Option<String>,
    /// The staff username to assign.
    pub assignee: Option<String>,
}

#[derive(Debug)]
pub struct BulkRefusal {
    pub reference: String,
    /// Stable code: not_found, forbidden, invalid_transition, conflict, or a field error's code.
    pub code: String,
}

/// What one bulk reassignment did, case by case.
#[derive(Debug, Default)]
pub struct BulkOutcome {
    pub reassigned: Vec<String>,
    /// Already where they were to go: nothing written (a repeated submit lands here).
    pub unchanged: Vec<String>,
    pub refused: Vec<BulkRefusal>,
}

/// The due time in force: first response until there is one, then resolution.
fn due_in_force(row: &CaseRow) -> Option<i64> {
    if row.sla.first_responded_at.is_none() {
        row.sla.first_response_due
    } else {
        row.sla.resolution_due
    }
}

impl App {
    /// The board of the supervisor's entity (of every entity, for installation-wide staff).
    pub async fn board(&self, user: &StaffUser) -> CasesResult<Board> {
        user.require(Permission::Supervise, user.entity_id)?;
        let now = self.now_micros();
        let open = Status::ALL.iter().filter(|s| s.is_open()).copied().collect();
        let base = CaseFilter {
            entity_id: user.entity_id,
            statuses: open,
            limit: BOARD_CAP + 1,
            ..CaseFilter::default()
        };
        let (overdue, due_soon, escalated) = tokio::try_join!(
            self.store.list_cases(CaseFilter {
                sla: Some(SlaFilter::Overdue { now }),
                ..base.clone()
            }),
            self.store.list_cases(CaseFilter {
                sla: Some(SlaFilter::DueBefore {
                    now,
                    before: now + DUE_SOON_MICROS
                }),
                ..base.clone()
            }),
            self.store.list_cases(CaseFilter {
                scope: QueueScope::Escalated,
                ..base
            }),
        )?;
        let truncated = [&overdue, &due_soon, &escalated]
            .iter()
            .any(|rows| rows.len() as i64 > BOARD_CAP);
        let overdue_ids: HashSet<i64> = overdue.iter().map(|r| r.id).collect();
        let due_soon_ids: HashSet<i64> = due_soon.iter().map(|r| r.id).collect();
        let mut seen = HashSet::new();
        let mut rows: Vec<CaseRow> = overdue
            .into_iter()
            .chain(due_soon)
            .chain(escalated)
            .filter(|r| seen.insert(r.id))
            .collect();
        rows.sort_by_key(|r| (due_in_force(r).is_none(), due_in_force(r), r.created_at, r.id));
        let mut counts: BTreeMap<Option<String>, DepartmentCounts> = BTreeMap::new();
        let rows = rows
            .iter()
            .map(|row| {
                let count = counts
                    .entry(row.department_code.clone())
                    .or_insert_with(|| DepartmentCounts {
                        department: row.department_code.clone(),
                        ..DepartmentCounts::default()
                    });
                count.total += 1;
                count.overdue += usize::from(overdue_ids.contains(&row.id));
                count.due_soon += usize::from(due_soon_ids.contains(&row.id));
                count.escalated += usize::from(row.sla.escalation_level > 0);
                count.ignored += usize::from(row.kind == Kind::Escalation);
                CaseSummary::from_row(row, now)
            })
            .collect();
        Ok(Board {
            counts: counts.into_values().collect(),
            rows,
            truncated,
        })
    }

    /// Reassigns many cases at once, each by the same rules and audit as the single `assign`
    /// transition. Cases already where they were to go are left alone, so a repeated submit
    /// writes nothing more; each refusal says why, and refuses only its own case.
    pub async fn reassign_many(&self, user: &StaffUser, request: BulkReassignRequest) -> CasesResult<BulkOutcome> {
        user.require(Permission::Supervise, user.entity_id)?;
        let mut seen = HashSet::new();
        let references: Vec<String> = request
            .cases
            .iter()
            .map(|r| r.trim().to_ascii_uppercase())
            .filter(|r| !r.is_empty() && seen.insert(r.clone()))
            .collect();
        if references.is_empty() {
            return Err(Invalid::new("required", "cases", "choose the cases to reassign").into());
        }
        if references.len() > MAX_BULK {
            return Err(Invalid::new(
                "too_many_cases",
                "cases",
                format!("reassign at most {MAX_BULK} cases at once"),
            )
            .into());
        }
        let blank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (department, assignee) = (blank(&request.department), blank(&request.assignee));
        if department.is_none() && assignee.is_none() {
            return Err(Invalid::new("required", "department", "name a department, an assignee or both").into());
        }
        // Staff of one entity name its departments and staff: a wrong name is the form's
        // error, not a refusal of every case.
        if let Some(entity) = user.entity_id {
            if let Some(code) = &department {
                if self.store.department_by_code(entity, code).await?.is_none() {
                    let message = format!("no department {code:?} in this entity");
                    return Err(Invalid::new("unknown_department", "department", message).into());
                }
            }
            if let Some(name) = &assignee {
                let found = self.store.staff_by_username(name).await?;
                if !found.is_some_and(|u| u.active && u.entity_id == Some(entity)) {
                    let message = format!("no active staff user {name:?} in this entity");
                    return Err(Invalid::new("unknown_assignee", "assignee", message).into());
                }
            }
        }
        let mut outcome = BulkOutcome::default();
        for reference in references {
            let already_there = match self.staff_case(user, &reference).await {
                Ok(case) => {
                    department
                        .as_ref()
                        .is_none_or(|d| case.department_code.as_ref() == Some(d))
                        && assignee
                            .as_ref()
                            .is_none_or(|a| case.assignee_username.as_ref() == Some(a))
                }
                Err(_) => false,
            };
            if already_there {
                outcome.unchanged.push(reference);
                continue;
            }
            let assign = TransitionRequest {
                action: Action::Assign,
                reason: None,
                resolution: None,
                department: department.clone(),
                assignee: assignee.clone(),
            };
            if let Err(e) = self.transition(user, &reference, assign).await {
                let code = match &e {
                    CasesError::Common(Failure::Invalid(invalid)) => invalid.code,
                    CasesError::Common(Failure::NotFound(_)) => "not_found",
                    CasesError::Common(Failure::Forbidden(_)) => "forbidden",
                    CasesError::Transition(_) => "invalid_transition",
                    CasesError::Conflict(_) => "conflict",
                    // The database or the service failing is no refusal of one case.
                    _ => return Err(e),
                };
                outcome.refused.push(BulkRefusal {
                    reference,
                    code: code.to_owned(),
                });
            } else {
                outcome.reassigned.push(reference);
            }
        }
        Ok(outcome)
    }
}
