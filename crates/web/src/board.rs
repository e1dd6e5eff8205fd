//! The supervisor's board at `/staff/board`: the entity's breaches and escalations, counted
//! per department, and a form that reassigns the ticked cases in one submit.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::pages::{render, FieldErrors};
use crate::staff::{options, require_staff, Option2};
use crate::WebState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Form;
use std::collections::{HashMap, HashSet};
use tawasul_app::authz::StaffUser;
use tawasul_app::board::{BulkOutcome, BulkReassignRequest};
use tawasul_app::views::CaseSummary;
use tawasul_app::AppError;

pub struct CountRow {
    pub label: String,
    pub overdue: usize,
    pub due_soon: usize,
    pub escalated: usize,
    pub ignored: usize,
    pub total: usize,
}

pub struct Refused {
    pub reference: String,
    pub why: String,
}

pub struct OutcomeView {
    pub reassigned: Vec<String>,
    pub unchanged: Vec<String>,
    pub refused: Vec<Refused>,
}

#[derive(Template)]
#[template(path = "staff_board.html")]
pub struct BoardPage {
    ctx: Ctx,
    user: StaffUser,
    counts: Vec<CountRow>,
    rows: Vec<CaseSummary>,
    /// Department names by (entity code, department code), for the rows.
    department_names: HashMap<(String, String), String>,
    truncated: bool,
    departments: Vec<Option2>,
    assignees: Vec<Option2>,
    errors: FieldErrors,
    /// The cases ticked in a form that came back refused.
    checked: HashSet<String>,
    outcome: Option<OutcomeView>,
}

impl BoardPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    fn department_name(&self, case: &CaseSummary) -> String {
        match &case.department {
            Some(code) => self
                .department_names
                .get(&(case.entity.clone(), code.clone()))
                .cloned()
                .unwrap_or_else(|| code.clone()),
            None => "—".to_owned(),
        }
    }
}

/// What was chosen in the bulk form, kept when it comes back refused.
#[derive(Default)]
struct Chosen {
    cases: HashSet<String>,
    department: String,
    assignee: String,
}

async fn board_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    errors: FieldErrors,
    chosen: Chosen,
    outcome: Option<BulkOutcome>,
) -> WebResult<BoardPage> {
    let board = state.app.board(&user).await?;
    let (departments, staff) =
        tokio::try_join!(state.app.store.departments(), state.app.store.staff()).map_err(AppError::from)?;
    let ar = ctx.lang() == "ar";
    let own = |entity: Option<i64>| user.entity_id.is_none() || entity == user.entity_id;
    let department_names: HashMap<(String, String), String> = departments
        .iter()
        .filter(|d| own(Some(d.entity_id)))
        .map(|d| {
            let name = if ar { &d.name_ar } else { &d.name_en };
            ((d.entity_code.clone(), d.code.clone()), name.clone())
        })
        .collect();
    let counts = board
        .counts
        .iter()
        .map(|c| CountRow {
            label: match &c.department {
                // Installation-wide staff see several entities, whose departments may share a
                // code: the first one's name stands for them.
                Some(code) => departments
                    .iter()
                    .find(|d| &d.code == code && own(Some(d.entity_id)))
                    .map_or_else(
                        || code.clone(),
                        |d| if ar { d.name_ar.clone() } else { d.name_en.clone() },
                    ),
                None => ctx.t("board-no-department"),
            },
            overdue: c.overdue,
            due_soon: c.due_soon,
            escalated: c.escalated,
            ignored: c.ignored,
            total: c.total,
        })
        .collect();
    let mut seen = HashSet::new();
    let department_options = options(
        departments
            .iter()
            .filter(|d| own(Some(d.entity_id)) && seen.insert(d.code.clone()))
            .map(|d| (d.code.clone(), if ar { d.name_ar.clone() } else { d.name_en.clone() })),
        &chosen.department,
    );
    let assignees = options(
        staff
            .into_iter()
            .filter(|s| s.active && s.entity_id.is_some() && own(s.entity_id))
            .map(|s| (s.username, s.display_name)),
        &chosen.assignee,
    );
    let outcome = outcome.map(|o| OutcomeView {
        reassigned: o.reassigned,
        unchanged: o.unchanged,
        refused: o
            .refused
            .into_iter()
            .map(|r| Refused {
                why: match r.code.as_str() {
                    "not_found" | "forbidden" | "invalid_transition" | "conflict" => {
                        ctx.t(&format!("board-refusal-{}", r.code))
                    }
                    code => forms::message(&ctx, code),
                },
                reference: r.reference,
            })
            .collect(),
    });
    Ok(BoardPage {
        counts,
        rows: board.rows,
        department_names,
        truncated: board.truncated,
        departments: department_options,
        assignees,
        errors,
        checked: chosen.cases,
        outcome,
        user,
        ctx,
    })
}

/// Only supervisors (and administrators) have a board; anyone else is told so.
fn require_supervisor(user: &StaffUser) -> WebResult<()> {
    if user.may_supervise() {
        Ok(())
    } else {
        Err(WebError::Forbidden("only supervisors have a board".into()))
    }
}

pub async fn board(State(state): State<WebState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    let user = match require_staff(&state, &headers).await? {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    require_supervisor(&user)?;
    render(&board_page(&state, ctx, user, FieldErrors::new(), Chosen::default(), None).await?)
}

/// Reassigns the ticked cases. The form's fields repeat (`cases` once per ticked row), so it
/// is read as pairs.
pub async fn reassign(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    forms::check_csrf(&ctx, field(crate::CSRF_FIELD).as_deref())?;
    let user = match require_staff(&state, &headers).await? {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    require_supervisor(&user)?;
    let cases: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "cases")
        .map(|(_, v)| v.clone())
        .collect();
    let chosen = Chosen {
        cases: cases.iter().cloned().collect(),
        department: field("department").unwrap_or_default(),
        assignee: field("assignee").unwrap_or_default(),
    };
    let request = BulkReassignRequest {
        cases,
        department: Some(chosen.department.clone()),
        assignee: Some(chosen.assignee.clone()),
    };
    match state.app.reassign_many(&user, request).await {
        // The board as it now stands, with what happened to each case.
        Ok(outcome) => {
            render(&board_page(&state, ctx, user, FieldErrors::new(), Chosen::default(), Some(outcome)).await?)
        }
        Err(AppError::Invalid(invalid)) => {
            let errors = FieldErrors::from([(invalid.field.clone(), forms::message(&ctx, invalid.code))]);
            let mut response = render(&board_page(&state, ctx, user, errors, chosen, None).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
