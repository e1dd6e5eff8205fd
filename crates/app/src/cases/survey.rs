//! The closure survey and the resident's verdict. When a case is resolved its reporter is
//! invited, on their channel and in their language, by a single-use link (a random token kept
//! only as its digest, expiring after the entity's `survey_days`) to rate the quality and the
//! speed of the closure and the agent, and to say whether the problem is really solved; the
//! tracking page asks the same. A "solved" with no low score closes the case (a confirmed
//! closure); "not solved" or any score of 2 or less reopens it, or sends it to the entity's
//! beneficiary-satisfaction unit when it has one. One survey per resolution. A case whose
//! invitation expires unanswered is closed by the sweep (`close_unanswered`), counted apart
//! (`{"auto": true}`).

use crate::cases::work::{Access, REPORTER_ACTOR};
use crate::cases::{CasesError, CasesResult};
use crate::error::{Failure, Outcome};
use crate::identity::auth::{new_secret, Caller};
use crate::workflow::config::{clock_of, stored, WorkflowConfig};
use crate::App;
use serde::{Deserialize, Serialize};
use tawasul_domain::lifecycle::{self, Action};
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::Status;
use tawasul_domain::{from_micros, secret_digest, Invalid};
use tawasul_store::{CaseChange, CaseRow, EventInsert, InvitationRow, InvitationWrite, SurveyInsert, SurveyRow};
use utoipa::ToSchema;

const MAX_SURVEY_COMMENT: usize = 1_000;
/// A score at or below this is a low rating.
pub const LOW_SCORE: i64 = 2;
const DAY_MICROS: i64 = 86_400_000_000;
/// Cases one sweep closes before it leaves the rest to the next run.
const CLOSE_BATCH: i64 = 500;
/// The longest token a link can carry (`new_secret` makes 40 hex digits).
const MAX_TOKEN: usize = 128;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyRequest {
    /// 1–5: how well the case was closed.
    pub quality: i64,
    /// 1–5: how fast.
    pub speed: i64,
    /// 1–5: the staff who handled it.
    pub agent: i64,
    /// Is the problem really solved? "No" reopens the case (or sends it to the satisfaction unit).
    pub solved: bool,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyView {
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    /// The reporter's verdict; absent for surveys from before it was asked.
    pub solved: Option<bool>,
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
            solved: row.solved,
            comment: row.comment,
            low: row.low,
            created_at: from_micros(row.created_at).to_rfc3339(),
        }
    }
}

/// What a survey link opens on: the case it asks about.
#[derive(Debug, Clone, Serialize)]
pub struct InvitationView {
    pub reference: String,
    pub service_ar: String,
    pub service_en: String,
    /// What was done, as staff wrote it for the reporter.
    pub resolution: Option<String>,
    pub expires_at: String,
}

/// Why a survey link cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    /// No such link: mistyped, altered, or replaced by a later resolution's.
    #[error("this survey link is not valid: it may have been altered or replaced by a newer one")]
    Unknown,
    #[error("this survey link has been used already: each link answers once")]
    Used,
    #[error("this survey link has expired")]
    Expired,
}

/// What the reporter's answer does to the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Solved, and no low score: the case is closed, confirmed by its reporter.
    Confirmed,
    /// Not solved, or a low score: the case goes back to work.
    Unhappy { why: &'static str },
}

impl Verdict {
    pub fn of(solved: bool, low: bool) -> Self {
        match (solved, low) {
            (true, false) => Verdict::Confirmed,
            (false, _) => Verdict::Unhappy { why: "not_solved" },
            (true, true) => Verdict::Unhappy { why: "low_score" },
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
    /// The reporter's survey of a resolved or closed case (the tracking page, the REST API).
    pub async fn rate(&self, caller: &Caller, reference: &str, request: SurveyRequest) -> CasesResult<SurveyView> {
        let case = self.case_for(caller, reference).await?;
        if !matches!(self.access(caller, &case)?, Access::Reporter) {
            return Err(Failure::Forbidden("only the reporter rates a case".into()).into());
        }
        let round = self.store.invitation_of(case.id).await?.map_or(0, |i| i.round);
        self.record_survey(&case, round, None, request).await
    }

    /// The case a survey link asks about, for a resident who follows it without signing in.
    pub async fn survey_invitation(&self, token: &str) -> CasesResult<InvitationView> {
        let (invitation, case) = self.open_link(token).await?;
        let service = self.store.managed_service(&case.service_code).await?;
        Ok(InvitationView {
            reference: case.reference,
            service_ar: service.as_ref().map_or_else(String::new, |s| s.service.name_ar.clone()),
            service_en: service.map_or_else(String::new, |s| s.service.name_en),
            resolution: case.resolution,
            expires_at: from_micros(invitation.expires_at).to_rfc3339(),
        })
    }

    /// The answer given by a survey link: once, before it expires.
    pub async fn rate_by_link(&self, token: &str, request: SurveyRequest) -> CasesResult<SurveyView> {
        let (invitation, case) = self.open_link(token).await?;
        self.record_survey(&case, invitation.round, Some(secret_digest(token.trim())), request)
            .await
    }

    async fn open_link(&self, token: &str) -> CasesResult<(InvitationRow, CaseRow)> {
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN {
            return Err(LinkRefused::Unknown.into());
        }
        let invitation = self
            .store
            .invitation_by_token(&secret_digest(token))
            .await?
            .ok_or(LinkRefused::Unknown)?;
        if invitation.answered_at.is_some() {
            return Err(LinkRefused::Used.into());
        }
        if invitation.expires_at <= self.now_micros() {
            return Err(LinkRefused::Expired.into());
        }
        let case = self.case_row(&invitation.reference).await?;
        if !may_rate(case.status.as_str()) {
            return Err(CasesError::Conflict(format!(
                "the case is {} again: it is no longer waiting for your answer",
                case.status
            )));
        }
        Ok((invitation, case))
    }

    /// Writes the survey of the case's resolution `round` with what its verdict does to the case.
    pub(crate) async fn record_survey(
        &self,
        case: &CaseRow,
        round: i64,
        link: Option<String>,
        request: SurveyRequest,
    ) -> CasesResult<SurveyView> {
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
        let solved = request.solved;
        let at = self.now_micros();
        let change = self.verdict_change(case, Verdict::of(solved, low), at).await?;
        let insert = SurveyInsert {
            case_id: case.id,
            round,
            quality,
            speed,
            agent,
            solved: Some(solved),
            comment: comment.clone(),
            low,
            created_at: at,
            event: EventInsert {
                case_id: case.id,
                at,
                actor_type: "reporter".into(),
                actor_id: None,
                actor_name: REPORTER_ACTOR.into(),
                action: "survey".into(),
                from_status: None,
                to_status: None,
                public: true,
                body: comment,
                details: serde_json::json!({
                    "quality": quality, "speed": speed, "agent": agent, "low": low, "solved": solved,
                })
                .to_string(),
            },
            link: link.clone(),
            change,
        };
        match self.store.insert_survey(insert).await {
            Ok(_) => {}
            Err(tawasul_store::StoreError::Duplicate(_)) => {
                return Err(match link {
                    Some(_) => LinkRefused::Used.into(),
                    None => CasesError::Conflict("this case has been rated already".into()),
                })
            }
            Err(tawasul_store::StoreError::Conflict(_)) if link.is_some() => return Err(LinkRefused::Used.into()),
            Err(e) => return Err(e.into()),
        }
        Ok(self
            .store
            .survey(case.id)
            .await?
            .map(SurveyView::from_row)
            .ok_or_else(|| Failure::Unexpected(anyhow::anyhow!("the survey just written is missing")))?)
    }

    /// The system's change of the case after the reporter's verdict: a resolved case they
    /// confirm is closed; one they are unhappy with is reopened, into the satisfaction unit's
    /// department when the entity has one (its assignee then let go).
    async fn verdict_change(&self, case: &CaseRow, verdict: Verdict, at: i64) -> CasesResult<Option<CaseChange>> {
        let config = self.workflow().await?;
        let system_event = |action: &str, to: Status, details: serde_json::Value| EventInsert {
            case_id: case.id,
            at,
            actor_type: "system".into(),
            actor_id: None,
            actor_name: "survey".into(),
            action: action.into(),
            from_status: Some(case.status),
            to_status: Some(to),
            public: true,
            body: None,
            details: details.to_string(),
        };
        match verdict {
            Verdict::Confirmed if case.status == Status::Resolved => {
                let to = lifecycle::transition(case.status, Action::Close)?;
                Ok(Some(CaseChange {
                    case_id: case.id,
                    expected_status: case.status,
                    status: Some(to),
                    at,
                    event: system_event("close", to, serde_json::json!({ "confirmed": true })),
                    ..Default::default()
                }))
            }
            Verdict::Confirmed => Ok(None),
            Verdict::Unhappy { why } => {
                let to = lifecycle::transition(case.status, Action::Reopen)?;
                let terms = config.terms(case.entity_id, case.service_id, case.priority);
                let mut clock = clock_of(&case.sla);
                clock.reopen(at, &terms);
                let unit = config.policy(case.entity_id).satisfaction_department_id;
                let mut details = serde_json::json!({ "survey": true, "why": why });
                let mut fields = serde_json::json!({});
                if let Some(d) = unit.and_then(|id| config.departments.get(&id)) {
                    details["department"] = d.code.clone().into();
                    details["department_by"] = "beneficiary_satisfaction_unit".into();
                    fields["department_ar"] = d.name_ar.clone().into();
                    fields["department_en"] = d.name_en.clone().into();
                }
                Ok(Some(CaseChange {
                    case_id: case.id,
                    expected_status: case.status,
                    status: Some(to),
                    department_id: unit.map(Some),
                    assignee_id: unit.map(|_| None),
                    sla: Some(stored(&clock)),
                    at,
                    event: system_event("reopen", to, details),
                    notifications: self.notify_reporter(case, "case_reopened", fields).await?,
                    ..Default::default()
                }))
            }
        }
    }

    /// With a resolution: a new single-use survey link for the reporter, in the resolution's
    /// notification (its token sealed until delivery) and stored as its digest.
    /// Returns the link's token, for the demo's log only.
    pub(crate) fn invite_to_survey(&self, case: &CaseRow, config: &WorkflowConfig, change: &mut CaseChange) -> String {
        let token = new_secret();
        let days = config.policy(case.entity_id).survey_days;
        change.invitation = Some(InvitationWrite {
            token_hash: secret_digest(&token),
            created_at: change.at,
            expires_at: change.at + days * DAY_MICROS,
        });
        for message in change
            .notifications
            .iter_mut()
            .filter(|n| n.template == "case_resolved")
        {
            let mut payload: serde_json::Value = serde_json::from_str(&message.payload).unwrap_or_default();
            payload["survey_url"] = self.settings.public_link("/survey/{survey_token}").into();
            message.payload = payload.to_string();
            message.secret = Some(self.seal_secrets(&message.template, serde_json::json!({ "survey_token": token })));
        }
        token
    }

    /// Closes the resolved cases whose reporter did not answer before the link expired: a
    /// `close` by the system with `{"auto": true}`, counted apart from confirmed closures.
    /// Returns how many it closed; a case changed meanwhile is left to the next run.
    pub async fn close_unanswered(&self) -> CasesResult<usize> {
        let now = self.now_micros();
        let due = self.store.unanswered_invitations(now, CLOSE_BATCH).await?;
        let mut closed = 0;
        for invitation in due {
            let case = self.case_row(&invitation.reference).await?;
            // Reopened since it was read: no longer waiting for the reporter.
            let Ok(to) = lifecycle::transition(case.status, Action::Close) else {
                continue;
            };
            let change = CaseChange {
                case_id: case.id,
                expected_status: case.status,
                status: Some(to),
                at: now,
                event: EventInsert {
                    case_id: case.id,
                    at: now,
                    actor_type: "system".into(),
                    actor_id: None,
                    actor_name: "survey".into(),
                    action: "close".into(),
                    from_status: Some(case.status),
                    to_status: Some(to),
                    public: true,
                    body: None,
                    details: serde_json::json!({ "auto": true }).to_string(),
                },
                notifications: self
                    .notify_reporter(&case, "case_closed", serde_json::json!({}))
                    .await?,
                ..Default::default()
            };
            match self.store.change_case(change).await {
                Ok(()) => closed += 1,
                Err(tawasul_store::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(closed)
    }

    /// A case's survey, for its reporter or for staff who may see the case.
    pub async fn survey(&self, caller: &Caller, reference: &str) -> CasesResult<Option<SurveyView>> {
        let case = self.case_for(caller, reference).await?;
        self.access(caller, &case)?;
        // Only the survey of the latest resolution: a case resolved again is asked again.
        let (survey, invitation) = tokio::try_join!(self.store.survey(case.id), self.store.invitation_of(case.id))?;
        let round = invitation.map_or(0, |i| i.round);
        Ok(survey.filter(|s| s.round >= round).map(SurveyView::from_row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_solved_without_a_low_score_is_a_confirmation() {
        assert_eq!(Verdict::of(true, false), Verdict::Confirmed);
        assert_eq!(Verdict::of(false, false), Verdict::Unhappy { why: "not_solved" });
        assert_eq!(Verdict::of(false, true), Verdict::Unhappy { why: "not_solved" });
        assert_eq!(Verdict::of(true, true), Verdict::Unhappy { why: "low_score" });
    }
}
