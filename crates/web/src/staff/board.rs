//! The supervisor's board at `/staff/board`: the entity's breaches and escalations, counted
//! per department, and a form that reassigns the ticked cases in one submit.

use super::Names;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms::{self, Submitted};
use crate::kit::{options, CheckedForm, Named, SelectOption, SignedIn};
use crate::pages::{refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use std::collections::HashSet;
use tawasul_app::cases::board::{BulkOutcome, BulkReassignRequest};
use tawasul_app::cases::views::CaseSummary;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::{CasesError, Failure};

pub struct CountRow {
    pub label: String,
    /// The board narrowed to this department (`None`: cases with no department yet).
    pub href: Option<String>,
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
    names: Names,
    truncated: bool,
    /// The department the board is narrowed to, by name, with the link back to all.
    narrowed_to: Option<String>,
    departments: Vec<SelectOption>,
    assignees: Vec<SelectOption>,
    errors: FieldErrors,
    /// The cases ticked in a form that came back refused.
    checked: HashSet<String>,
    outcome: Option<OutcomeView>,
}

impl BoardPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

/// `?department=CODE` narrows the board to one department's cases.
#[derive(serde::Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    department: String,
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
    department: &str,
    errors: FieldErrors,
    chosen: Chosen,
    outcome: Option<BulkOutcome>,
) -> WebResult<BoardPage> {
    let mut board = state.app.board(&user).await?;
    let (departments, staff) = tokio::try_join!(state.app.departments(), state.app.staff_directory(&user))?;
    let lang = ctx.lang();
    let own = |entity: Option<i64>| user.entity_id.is_none() || entity == user.entity_id;
    let names = Names::new(&departments, &staff, lang);
    let narrowed_to = departments
        .iter()
        .find(|d| d.code == department && own(Some(d.entity_id)))
        .map(|d| d.name_in(lang).to_owned());
    // A department that is not one of the user's leaves the board whole.
    if narrowed_to.is_some() {
        board.rows.retain(|r| r.department.as_deref() == Some(department));
    }
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
                    .map_or_else(|| code.clone(), |d| d.name_in(lang).to_owned()),
                None => ctx.t("board-no-department"),
            },
            href: c.department.as_ref().map(|code| {
                let query = serde_urlencoded::to_string([("department", code)]).unwrap_or_default();
                format!("/staff/board?{query}")
            }),
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
            .map(|d| (d.code.clone(), d.name_in(lang).to_owned())),
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
        names,
        narrowed_to,
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

pub async fn board(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(query): Query<BoardQuery>,
) -> WebResult {
    require_supervisor(&user)?;
    let page = board_page(
        &state,
        ctx,
        user,
        &query.department,
        FieldErrors::new(),
        Chosen::default(),
        None,
    );
    render(&page.await?)
}

/// Reassigns the ticked cases. The form's fields repeat (`cases` once per ticked row), so it
/// is read as pairs.
pub async fn reassign(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    require_supervisor(&user)?;
    let cases = form.all("cases");
    let chosen = Chosen {
        cases: cases.iter().cloned().collect(),
        department: form.text("department"),
        assignee: form.text("assignee"),
    };
    let request = BulkReassignRequest {
        cases,
        department: Some(chosen.department.clone()),
        assignee: Some(chosen.assignee.clone()),
    };
    match state.app.reassign_many(&user, request).await {
        // The board as it now stands, with what happened to each case.
        Ok(outcome) => render(
            &board_page(
                &state,
                ctx,
                user,
                "",
                FieldErrors::new(),
                Chosen::default(),
                Some(outcome),
            )
            .await?,
        ),
        Err(CasesError::Common(Failure::Invalid(invalid))) => {
            let errors = FieldErrors::from([(invalid.field.clone(), forms::message(&ctx, invalid.code))]);
            refused(&board_page(&state, ctx, user, "", errors, chosen, None).await?)
        }
        Err(e) => Err(e.into()),
    }
}
