//! A case as its reporter follows it: its page, and the forms on it (a comment, more photos,
//! the survey, "my report was ignored"), and its files.

use super::{attachment_response, resident, service, TokenQuery};
use crate::context::Ctx;
use crate::error::WebResult;
use crate::forms;
use crate::kit::{CheckedForm, CheckedMultipart, Named};
use crate::pages::{answer, redirect, refused, render, FieldErrors, Live};
use crate::{WebState, MAX_PHOTOS};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tawasul_app::cases::survey::{may_rate, SurveyRequest, SurveyView};
use tawasul_app::cases::views::{AttachmentView, CaseView};
use tawasul_app::cases::work::CommentRequest;
use tawasul_app::identity::auth::Caller;
use tawasul_app::workflow::escalation::IgnoredRequest;
use tawasul_app::{CasesError, Failure, WorkflowError};

#[derive(Template)]
#[template(path = "track.html")]
pub struct TrackPage {
    ctx: Ctx,
    case: CaseView,
    service_name: String,
    token: String,
    comment: String,
    errors: FieldErrors,
    max_photos: usize,
    survey: Option<SurveyView>,
    can_rate: bool,
    /// The scores and comment sent with a refused survey, kept for the form.
    rating: Rating,
    live: Live,
}

/// Scores offered in the survey form, best first.
pub(super) const SCORES: [i64; 5] = [5, 4, 3, 2, 1];

/// What a refused form sent, shown again beside its errors.
#[derive(Default)]
pub struct Kept {
    pub comment: String,
    pub errors: FieldErrors,
    pub rating: Rating,
}

impl Kept {
    /// Nothing kept but the message beside `field`.
    fn error(field: &str, message: String) -> Self {
        Self {
            errors: FieldErrors::from([(field.to_owned(), message)]),
            ..Self::default()
        }
    }
}

/// The survey form as it was sent (`solved` is "yes" or "no").
#[derive(Default)]
pub struct Rating {
    pub quality: String,
    pub speed: String,
    pub agent: String,
    pub solved: String,
    pub comment: String,
}

impl Rating {
    /// Whether `value` was chosen for `question` (a score, or "yes"/"no" for `solved`).
    pub fn is(&self, question: &str, value: &str) -> bool {
        let chosen = match question {
            "quality" => &self.quality,
            "speed" => &self.speed,
            "solved" => &self.solved,
            _ => &self.agent,
        };
        chosen == value
    }
}

/// The survey form read: what was sent, the request when every question has an answer, and
/// a message beside each question without one.
pub(super) fn read_rating(ctx: &Ctx, form: &forms::Submitted) -> (Rating, Option<SurveyRequest>, FieldErrors) {
    let rating = Rating {
        quality: form.text("quality"),
        speed: form.text("speed"),
        agent: form.text("agent"),
        solved: form.text("solved"),
        comment: form.text("comment"),
    };
    let mut errors = FieldErrors::new();
    let mut score = |name: &str, raw: &str| match raw.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            errors.insert(name.to_owned(), forms::message(ctx, "required"));
            0
        }
    };
    let (quality, speed, agent) = (
        score("quality", &rating.quality),
        score("speed", &rating.speed),
        score("agent", &rating.agent),
    );
    let solved = match rating.solved.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.insert("solved".to_owned(), forms::message(ctx, "required"));
            None
        }
    };
    let request = solved.filter(|_| errors.is_empty()).map(|solved| SurveyRequest {
        quality,
        speed,
        agent,
        solved,
        comment: Some(rating.comment.clone()),
    });
    (rating, request, errors)
}

impl TrackPage {
    fn scores(&self) -> [i64; 5] {
        SCORES
    }

    fn rated(&self, question: &str, score: &i64) -> bool {
        self.rating.is(question, &score.to_string())
    }

    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    /// Where an attachment of this case is fetched from by this visitor.
    fn attachment_href(&self, id: &i64) -> String {
        let token = if self.token.is_empty() {
            String::new()
        } else {
            format!("?token={}", self.token)
        };
        format!("/track/{}/attachments/{id}{token}", self.case.reference)
    }

    fn before(&self) -> Vec<&AttachmentView> {
        crate::kit::closure::before(&self.case)
    }

    fn after(&self) -> Vec<&AttachmentView> {
        crate::kit::closure::after(&self.case)
    }

    fn photo_href(&self, id: &i64) -> String {
        self.attachment_href(id)
    }

    fn is_image(mime: &str) -> bool {
        mime.starts_with("image/") && mime != "image/heic"
    }
}

async fn track_page(
    state: &WebState,
    ctx: Ctx,
    caller: &Caller,
    reference: &str,
    token: String,
    kept: Kept,
) -> WebResult<TrackPage> {
    let Kept {
        comment,
        errors,
        rating,
    } = kept;
    let case = state.app.read_case(caller, reference).await?;
    let service = service(state, &case.service).await?;
    let survey = state.app.survey(caller, reference).await?;
    let url = if token.is_empty() {
        format!("/track/{}", case.reference)
    } else {
        let query = serde_urlencoded::to_string([("token", &token)]).unwrap_or_default();
        format!("/track/{}?{query}", case.reference)
    };
    Ok(TrackPage {
        live: Live::case(&case, url, state.settings.live_poll_secs),
        can_rate: survey.is_none() && may_rate(&case.status),
        survey,
        rating,
        service_name: service.name_in(ctx.lang()).to_owned(),
        case,
        token,
        comment,
        errors,
        max_photos: MAX_PHOTOS,
        ctx,
    })
}

pub async fn track_case(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Query(query): Query<TokenQuery>,
) -> WebResult {
    let caller = resident(&state, &headers, &query.token).await?;
    if matches!(caller, Caller::Anonymous) {
        return redirect("/track");
    }
    render(&track_page(&state, ctx, &caller, &reference, query.token, Kept::default()).await?)
}

fn back_to_case(reference: &str, token: &str, anchor: &str) -> Response {
    let query = if token.is_empty() {
        String::new()
    } else {
        format!("?token={token}")
    };
    Redirect::to(&format!("/track/{reference}{query}#{anchor}")).into_response()
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    body: String,
}

pub async fn track_comment(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    CheckedForm(form): CheckedForm<CommentForm>,
) -> WebResult {
    let caller = resident(&state, &headers, &form.token).await?;
    let request = CommentRequest {
        body: form.body.clone(),
        visibility: None,
    };
    let outcome = state.app.comment(&caller, &reference, request).await;
    let back = back_to_case(&reference, &form.token, "timeline");
    answer(
        outcome,
        |_| Ok(back),
        |invalid| async move {
            let kept = Kept {
                comment: form.body,
                ..Kept::error("body", forms::message(&ctx, invalid.code))
            };
            refused(&track_page(&state, ctx, &caller, &reference, form.token, kept).await?)
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct IgnoredForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    description: String,
}

/// "My report was ignored": opens the linked escalation case and shows its confirmation.
pub async fn track_ignored(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    CheckedForm(form): CheckedForm<IgnoredForm>,
) -> WebResult {
    let caller = resident(&state, &headers, &form.token).await?;
    let request = IgnoredRequest {
        description: form.description.clone(),
    };
    match state.app.complain_ignored(&caller, &reference, request).await {
        Ok(receipt) => redirect(&format!("/submitted/{}?token={}", receipt.reference, receipt.token)),
        Err(WorkflowError::Common(Failure::Invalid(invalid))) => {
            let kept = Kept::error("ignored", forms::message(&ctx, invalid.code));
            refused(&track_page(&state, ctx, &caller, &reference, form.token, kept).await?)
        }
        // Not eligible (any more) or already complained: the page says which.
        Err(WorkflowError::NotEligible(_) | WorkflowError::Conflict(_)) => {
            Ok(back_to_case(&reference, &form.token, "ignored"))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn track_photos(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    CheckedMultipart(form): CheckedMultipart,
) -> WebResult {
    let token = form.text("token");
    let caller = resident(&state, &headers, &token).await?;
    let refusal = if form.files.is_empty() {
        Some("required")
    } else {
        forms::check_uploads(&form).err().map(|invalid| invalid.code)
    };
    if let Some(code) = refusal {
        let kept = Kept::error("photos", forms::message(&ctx, code));
        return refused(&track_page(&state, ctx, &caller, &reference, token, kept).await?);
    }
    for f in form.files {
        state.app.admit_upload(&ctx.client)?;
        let attached = state
            .app
            .attach(
                &caller,
                &reference,
                f.bytes,
                f.content_type.as_deref(),
                f.filename.as_deref(),
                true,
            )
            .await;
        // A photo that cannot be opened (broken, too large to decode, HEIC) is refused beside
        // the field, like one of the wrong type.
        if let Err(e) = attached {
            let invalid = tawasul_app::InputRefused::into_invalid(e)?;
            let kept = Kept::error("photos", forms::message(&ctx, invalid.code));
            return refused(&track_page(&state, ctx, &caller, &reference, token, kept).await?);
        }
    }
    Ok(back_to_case(&reference, &token, "attachments"))
}

pub async fn track_survey(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    CheckedForm(form): CheckedForm<forms::Submitted>,
) -> WebResult {
    let token = form.text("token");
    let caller = resident(&state, &headers, &token).await?;
    let (rating, request, mut errors) = read_rating(&ctx, &form);
    if let Some(request) = request {
        match state.app.rate(&caller, &reference, request).await {
            Ok(_) => return Ok(back_to_case(&reference, &token, "survey")),
            Err(CasesError::Common(Failure::Invalid(invalid))) => {
                errors.insert(invalid.field.clone(), forms::message(&ctx, invalid.code));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let kept = Kept {
        errors,
        rating,
        ..Kept::default()
    };
    refused(&track_page(&state, ctx, &caller, &reference, token, kept).await?)
}

pub async fn track_attachment(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((reference, id)): Path<(String, i64)>,
    Query(query): Query<TokenQuery>,
) -> WebResult {
    let caller = resident(&state, &headers, &query.token).await?;
    let (mime, filename, bytes) = state.app.attachment(&caller, &reference, id).await?;
    Ok(attachment_response(mime, &filename, bytes))
}
