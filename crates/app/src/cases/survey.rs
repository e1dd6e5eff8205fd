//! The closure survey: once a case is resolved or closed, its reporter rates the quality and
//! the speed of the closure and the agent, and may comment. One survey per case; a low rating
//! (any score of 2 or less) is flagged on the staff timeline for the satisfaction unit.

use crate::cases::work::Access;
use crate::cases::{CasesError, CasesResult};
use crate::error::{Failure, Outcome};
use crate::identity::auth::Caller;
use crate::App;
use serde::{Deserialize, Serialize};
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::Status;
use tawasul_domain::{from_micros, Invalid};
use tawasul_store::{EventInsert, SurveyInsert, SurveyRow};
use utoipa::ToSchema;

const MAX_SURVEY_COMMENT: usize = 1_000;
/// A score at or below this is a low rating.
pub const LOW_SCORE: i64 = 2;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyRequest {
    /// 1–5: how well the case was closed.
    pub quality: i64,
    /// 1–5: how fast.
    pub speed: i64,
    /// 1–5: the staff who handled it.
    pub agent: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyView {
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub comment: Option<String>,
    /// True when any score is 2 or less.
    pub low: bool,
    pub created_at: String,
}

impl SurveyView {
    fn from_row(row: SurveyRow) -> Self {
        Self {
            quality: row.quality,
            speed: row.speed,
            agent: row.agent,
            comment: row.comment,
            low: row.low,
            created_at: from_micros(row.created_at).to_rfc3339(),
        }
    }
}

fn score(value: i64, field: &'static str) -> Outcome<i64> {
    if (1..=5).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new("out_of_range", field, "must be a score from 1 to 5").into())
    }
}

/// Whether a case in this status may be rated.
pub fn may_rate(status: &str) -> bool {
    status == Status::Resolved.as_str() || status == Status::Closed.as_str()
}

impl App {
    /// The reporter's survey of a resolved or closed case.
    pub async fn rate(&self, caller: &Caller, reference: &str, request: SurveyRequest) -> CasesResult<SurveyView> {
        let case = self.case_for(caller, reference).await?;
        if !matches!(self.access(caller, &case)?, Access::Reporter) {
            return Err(Failure::Forbidden("only the reporter rates a case".into()).into());
        }
        if !may_rate(case.status.as_str()) {
            return Err(CasesError::Conflict(format!(
                "a case that is {} cannot be rated yet",
                case.status
            )));
        }
        let (quality, speed, agent) = (
            score(request.quality, "quality")?,
            score(request.speed, "speed")?,
            score(request.agent, "agent")?,
        );
        let comment = request
            .comment
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(|c| CaseText::parse(c, "comment", MAX_SURVEY_COMMENT))
            .transpose()?
            .map(CaseText::into_string);
        let low = [quality, speed, agent].iter().any(|s| *s <= LOW_SCORE);
        let at = self.now_micros();
        let insert = SurveyInsert {
            case_id: case.id,
            quality,
            speed,
            agent,
            comment: comment.clone(),
            low,
            created_at: at,
            event: EventInsert {
                case_id: case.id,
                at,
                actor_type: "reporter".into(),
                actor_id: None,
                actor_name: crate::cases::work::REPORTER_ACTOR.into(),
                action: "survey".into(),
                from_status: None,
                to_status: None,
                public: true,
                body: comment,
                details: serde_json::json!({ "quality": quality, "speed": speed, "agent": agent, "low": low })
                    .to_string(),
            },
        };
        match self.store.insert_survey(insert).await {
            Ok(_) => {}
            Err(tawasul_store::StoreError::Duplicate(_)) => {
                return Err(CasesError::Conflict("this case has been rated already".into()))
            }
            Err(e) => return Err(e.into()),
        }
        self.survey(caller, reference)
            .await?
            .ok_or_else(|| Failure::Unexpected(anyhow::anyhow!("the survey just written is missing")).into())
    }

    /// A case's survey, for its reporter or for staff who may see the case.
    pub async fn survey(&self, caller: &Caller, reference: &str) -> CasesResult<Option<SurveyView>> {
        let case = self.case_for(caller, reference).await?;
        self.access(caller, &case)?;
        Ok(self.store.survey(case.id).await?.map(SurveyView::from_row))
    }
}
