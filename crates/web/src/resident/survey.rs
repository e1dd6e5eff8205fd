//! The survey a resolution's notification links to: `/survey/{token}` opens without signing
//! in, once, until it expires. The resident rates the closure and says whether the problem is
//! really solved; what that does to the case is the application's (`App::rate_by_link`).

use super::track::{read_rating, Rating, SCORES};
use crate::context::Ctx;
use crate::error::WebResult;
use crate::forms::Submitted;
use crate::kit::CheckedForm;
use crate::pages::{refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tawasul_app::cases::survey::{InvitationView, LinkRefused};
use tawasul_app::{CasesError, Failure};

#[derive(Template)]
#[template(path = "survey.html")]
pub struct SurveyPage {
    ctx: Ctx,
    invitation: InvitationView,
    token: String,
    errors: FieldErrors,
    rating: Rating,
}

impl SurveyPage {
    fn scores(&self) -> [i64; 5] {
        SCORES
    }

    fn rated(&self, question: &str, score: &i64) -> bool {
        self.rating.is(question, &score.to_string())
    }

    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

/// Why the link cannot be answered, or the thanks once it has been.
#[derive(Template)]
#[template(path = "survey_done.html")]
pub struct SurveyDonePage {
    ctx: Ctx,
    /// A Fluent id: the thanks, or why the link does not open.
    message: &'static str,
    reference: Option<String>,
}

/// A refused link as a page with its own status: unknown (404), used (409), expired (410),
/// or a case no longer waiting for the answer (409).
fn link_refused(ctx: Ctx, e: CasesError) -> WebResult {
    let (status, message) = match e {
        CasesError::SurveyLink(LinkRefused::Unknown) => (StatusCode::NOT_FOUND, "survey-link-unknown"),
        CasesError::SurveyLink(LinkRefused::Used) => (StatusCode::CONFLICT, "survey-link-used"),
        CasesError::SurveyLink(LinkRefused::Expired) => (StatusCode::GONE, "survey-link-expired"),
        CasesError::Conflict(_) => (StatusCode::CONFLICT, "survey-link-moved"),
        other => return Err(other.into()),
    };
    let page = SurveyDonePage {
        ctx,
        message,
        reference: None,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response.into_response())
}

pub async fn survey_link(State(state): State<WebState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    match state.app.survey_invitation(&token).await {
        Ok(invitation) => render(&SurveyPage {
            ctx,
            invitation,
            token,
            errors: FieldErrors::new(),
            rating: Rating::default(),
        }),
        Err(e) => link_refused(ctx, e),
    }
}

pub async fn survey_answer(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    let invitation = match state.app.survey_invitation(&token).await {
        Ok(invitation) => invitation,
        Err(e) => return link_refused(ctx, e),
    };
    let (rating, request, mut errors) = read_rating(&ctx, &form);
    let Some(request) = request else {
        return refused(&SurveyPage {
            ctx,
            invitation,
            token,
            errors,
            rating,
        });
    };
    match state.app.rate_by_link(&token, request).await {
        Ok(survey) => {
            let message = if survey.solved == Some(true) && !survey.low {
                "survey-link-thanks-closed"
            } else {
                "survey-link-thanks-reopened"
            };
            render(&SurveyDonePage {
                ctx,
                message,
                reference: Some(invitation.reference),
            })
        }
        Err(CasesError::Common(Failure::Invalid(invalid))) => {
            errors.insert(invalid.field.clone(), crate::forms::message(&ctx, invalid.code));
            refused(&SurveyPage {
                ctx,
                invitation,
                token,
                errors,
                rating,
            })
        }
        Err(e) => link_refused(ctx, e),
    }
}
