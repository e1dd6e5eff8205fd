//! Downloads of cases at `/staff/export`: the staff's spreadsheet (CSV or XLSX) and the open
//! data file, over a period, of the entity the user works for (any entity, installation-wide).
//! The file itself is `tawasul_app`'s export, streamed by `kit::download`.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::kit::download::export_response;
use crate::kit::{options, Named, SelectOption, SignedIn};
use crate::pages::{refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;
use tawasul_app::cases::export::ExportQuery;
use tawasul_app::identity::authz::{Permission, StaffUser};
use tawasul_app::InputRefused;

#[derive(Template)]
#[template(path = "staff_export.html")]
pub struct ExportPage {
    ctx: Ctx,
    user: StaffUser,
    form: ExportForm,
    formats: Vec<SelectOption>,
    /// Installation-wide users choose an entity (or all); others export their own.
    entities: Vec<SelectOption>,
    /// Whether the spreadsheet will show the reporter's details masked to this user.
    masked: bool,
    errors: FieldErrors,
}

impl ExportPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

/// The form, read from the query of `/staff/export/download`; empty fields are unset.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    format: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl ExportForm {
    fn query(&self) -> ExportQuery {
        let set = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        ExportQuery {
            format: set(&self.format),
            entity: set(&self.entity),
            from: set(&self.from),
            to: set(&self.to),
        }
    }
}

async fn export_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    form: ExportForm,
    errors: FieldErrors,
) -> WebResult<ExportPage> {
    let entities = if user.entity_id.is_none() {
        let lang = ctx.lang().to_owned();
        options(
            state
                .app
                .entities()
                .await?
                .iter()
                .map(|e| (e.code.clone(), e.name_in(&lang).to_owned())),
            &form.entity,
        )
    } else {
        vec![]
    };
    let formats = options(
        ["csv", "xlsx", "nyc311"].map(|f| (f.to_owned(), ctx.t(&format!("export-format-{f}")))),
        if form.format.is_empty() { "csv" } else { &form.format },
    );
    Ok(ExportPage {
        masked: !user.may(Permission::ViewReporter, user.entity_id),
        formats,
        entities,
        form,
        errors,
        user,
        ctx,
    })
}

pub async fn page(State(state): State<WebState>, ctx: Ctx, SignedIn(user): SignedIn) -> WebResult {
    render(&export_page(&state, ctx, user, ExportForm::default(), FieldErrors::new()).await?)
}

/// The file; a refused field brings the form back with its message beside that field.
pub async fn download(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(form): Query<ExportForm>,
) -> WebResult {
    match state.app.export_cases(&user, form.query()).await {
        Ok(export) => Ok(export_response(export).await.map_err(WebError::from)?),
        Err(e) => {
            let invalid = e.into_invalid()?;
            let mut errors = FieldErrors::new();
            errors.insert(invalid.field.clone(), forms::message(&ctx, invalid.code));
            refused(&export_page(&state, ctx, user, form, errors).await?)
        }
    }
}
