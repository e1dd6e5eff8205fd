//! What staff do with a case from its page: comment, move it through its lifecycle, transfer
//! it (and accept or return a transfer), merge a duplicate. A refusal shows the case page again
//! with the message beside the form that was sent.

use super::case::{case_page, refused_at};
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::kit::{CheckedForm, CheckedMultipart, SignedIn};
use crate::pages::{answer, redirect, refused, FieldErrors};
use crate::WebState;
use axum::extract::{Path, State};
use serde::Deserialize;
use tawasul_app::cases::merge::{MergeRequest, MERGE_TARGET};
use tawasul_app::cases::work::{CommentRequest, TransitionRequest, Visibility};
use tawasul_app::identity::auth::Caller;
use tawasul_app::workflow::transfers::{TransferDecision, TransferRequest};
use tawasul_app::{CasesError, Failure};
use tawasul_domain::lifecycle::Action;

/// Back to the case page, the action done.
fn back_to(reference: &str) -> WebResult {
    redirect(&format!("/staff/cases/{reference}"))
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    visibility: String,
}

pub async fn comment(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    CheckedForm(form): CheckedForm<CommentForm>,
) -> WebResult {
    let visibility = if form.visibility == "public" {
        Visibility::Public
    } else {
        Visibility::Internal
    };
    let request = CommentRequest {
        body: form.body.clone(),
        visibility: Some(visibility),
    };
    let outcome = state
        .app
        .comment(&Caller::Staff(user.clone()), &reference, request)
        .await;
    answer(
        outcome,
        |_| redirect(&format!("/staff/cases/{reference}#timeline")),
        |invalid| refused_at(&state, ctx, user, &reference, "body".into(), invalid.code, form.body),
    )
    .await
}

#[derive(Deserialize)]
pub struct TransitionForm {
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    assignee: String,
}

pub async fn transition(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    CheckedForm(form): CheckedForm<TransitionForm>,
) -> WebResult {
    let action = Action::ALL
        .iter()
        .copied()
        .find(|a| a.as_str() == form.action)
        .ok_or_else(|| WebError::BadRequest(format!("no action {:?}", form.action)))?;
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    let request = TransitionRequest {
        action,
        reason: some(&form.reason),
        resolution: some(&form.resolution),
        department: some(&form.department),
        assignee: some(&form.assignee),
    };
    let outcome = state.app.transition(&user, &reference, request).await;
    answer(
        outcome,
        |_| back_to(&reference),
        |invalid| {
            let field = format!("{}.{}", form.action, invalid.field);
            refused_at(&state, ctx, user, &reference, field, invalid.code, String::new())
        },
    )
    .await
}

/// A resolution from the case page: what was done, with a photo of the fix (a multipart
/// form, its file under `photos`; one at most).
pub async fn resolve(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    CheckedMultipart(mut form): CheckedMultipart,
) -> WebResult {
    if form.files.len() + form.files_over_limit > 1 {
        let field = "resolve.fix_photo".to_owned();
        return refused_at(&state, ctx, user, &reference, field, "one_fix_photo", String::new()).await;
    }
    let photo = form.files.pop();
    let resolution = form.text("resolution");
    let request = TransitionRequest {
        action: Action::Resolve,
        reason: None,
        resolution: (!resolution.trim().is_empty()).then_some(resolution),
        department: None,
        assignee: None,
    };
    let outcome = state.app.transition_with(&user, &reference, request, photo).await;
    answer(
        outcome,
        |_| back_to(&reference),
        |invalid| {
            let field = format!("resolve.{}", invalid.field);
            refused_at(&state, ctx, user, &reference, field, invalid.code, String::new())
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct TransferForm {
    /// `department:CODE` or `entity:CODE` (handing over); a department code (accepting).
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
}

/// Hands a misrouted case to another department, or to another entity under their OLA.
pub async fn transfer(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    CheckedForm(form): CheckedForm<TransferForm>,
) -> WebResult {
    let (entity, department) = match form.to.split_once(':') {
        Some(("entity", code)) => (Some(code.to_owned()), None),
        Some(("department", code)) => (None, Some(code.to_owned())),
        _ => (None, None),
    };
    let request = TransferRequest {
        entity,
        department,
        reason: form.reason,
    };
    let outcome = state.app.transfer(&user, &reference, request).await;
    answer(
        outcome,
        |_| back_to(&reference),
        |invalid| {
            let field = if invalid.field == "reason" {
                "transfer.reason"
            } else {
                "transfer.to"
            };
            refused_at(&state, ctx, user, &reference, field.into(), invalid.code, String::new())
        },
    )
    .await
}

/// The receiving entity accepts (`accept`) or returns (`return`) a transferred case.
pub async fn decide_transfer(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path((reference, decision)): Path<(String, String)>,
    CheckedForm(form): CheckedForm<TransferForm>,
) -> WebResult {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    let request = TransferDecision {
        department: some(&form.to),
        reason: some(&form.reason),
    };
    let done = match decision.as_str() {
        "accept" => state
            .app
            .accept_transfer(&user, &reference, request)
            .await
            .map(|_| format!("/staff/cases/{reference}")),
        // Returned, the case is no longer this entity's to see.
        "return" => state
            .app
            .return_transfer(&user, &reference, request)
            .await
            .map(|_| "/staff?queue=transferred".to_owned()),
        other => return Err(WebError::BadRequest(format!("no transfer decision {other:?}"))),
    };
    answer(
        done,
        |to| redirect(&to),
        |invalid| {
            let field = format!("{decision}.{}", invalid.field);
            refused_at(&state, ctx, user, &reference, field, invalid.code, String::new())
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
    #[serde(default)]
    reason: String,
}

/// Merges a duplicate report into the case that stays; a refusal comes back beside the field.
pub async fn merge(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    CheckedForm(form): CheckedForm<MergeForm>,
) -> WebResult {
    let request = MergeRequest {
        into: form.into.clone(),
        reason: form.reason.clone(),
    };
    let (field, message) = match state.app.merge(&user, &reference, request).await {
        Ok(_) => return back_to(&reference),
        Err(CasesError::Common(Failure::Invalid(invalid))) => {
            (format!("merge.{}", invalid.field), forms::message(&ctx, invalid.code))
        }
        Err(CasesError::Common(Failure::NotFound(MERGE_TARGET))) => {
            ("merge.into".to_owned(), ctx.t("merge-unknown-target"))
        }
        Err(CasesError::NotMergeable(_)) => ("merge.into".to_owned(), ctx.t("merge-not-mergeable")),
        Err(e) => return Err(e.into()),
    };
    let errors = FieldErrors::from([(field, message)]);
    let mut page = case_page(&state, ctx, user, &reference, errors, String::new(), None).await?;
    // The form comes back with its error even when the case can no longer be merged.
    page.may_merge = true;
    page.merge_into = form.into;
    page.merge_reason = form.reason;
    refused(&page)
}
