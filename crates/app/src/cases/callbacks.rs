//! Automatic call-backs (issue 15 §3). When staff change a case reported by phone in a way
//! its reporter wants to hear of (acknowledged, work started, waiting for them, resolved,
//! closed, rejected, reopened), a call-back is written with the change and a job places the
//! call through the telephony platform's call-create API. No call starts in the quiet hours of
//! the case's entity (its calendar's time zone): it waits for the morning. A call not answered
//! (busy, no answer, failed, as the platform's status report says) is placed again after
//! `retry_after`, up to `max_attempts` calls, then given up; each call placed, answered, not
//! answered and the giving up is an internal entry on the case's timeline, and none of them
//! changes the case. A newer change's call-back supersedes one not yet placed.
//!
//! The call itself is the phone line's (`tawasul-channels-ivr`): it reads the call-back here
//! (`callback_call`), and a resolution's call asks the closure survey by keys, recorded as the
//! survey link records it (`survey_by_phone`).

use crate::cases::survey::{SurveyRequest, SurveyView};
use crate::cases::{CasesError, CasesResult};
use crate::error::Failure;
use crate::App;
use tawasul_domain::lifecycle::Action;
use tawasul_domain::vocab::{Channel, Status};
use tawasul_store::{
    CallbackInsert, CallbackOutcome, CallbackRow, CaseRow, EventInsert, JobInsert, JobOutcome, JobRow,
};

/// The webhook the platform fetches when the reporter answers (`?id=` the call-back).
pub const CALLBACK_HOOK: &str = "/hooks/ivr/callback";
/// Where the platform reports the call's progress (`?id=` the call-back).
pub const CALLBACK_STATUS_HOOK: &str = "/hooks/ivr/callback/status";
/// Who the timeline says acted.
const ACTOR: &str = "call-back";

/// Whether a staff action is news a reporter is called about.
pub fn announced(action: Action) -> bool {
    matches!(
        action,
        Action::Acknowledge
            | Action::Start
            | Action::WaitOnReporter
            | Action::Resolve
            | Action::Close
            | Action::Reject
            | Action::Reopen
    )
}

/// What the call says, read when the reporter picks up.
#[derive(Debug, Clone)]
pub struct CallbackCall {
    pub reference: String,
    /// The status the call announces (the change that asked for it).
    pub status: Status,
    pub language: String,
    pub service_ar: String,
    pub service_en: String,
    /// The call asks the closure survey: a resolution still waiting for its reporter's verdict.
    pub survey: bool,
}

/// What a status report of a call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallReport {
    /// Recorded: the call-back is answered, tried again later, or given up.
    Taken,
    /// The same report came before; nothing more was done.
    Repeated,
    /// Not about the call now calling, or a progress report (ringing…) that changes nothing.
    Ignored,
}

impl App {
    /// The call-back a staff change of `case` asks for, when call-backs are on and the case
    /// came by phone from a number.
    pub(crate) fn callback_for(&self, case: &CaseRow, action: Action, to: Status) -> Option<CallbackInsert> {
        self.calls.as_ref()?;
        if case.channel != Channel::Phone || !announced(action) {
            return None;
        }
        let phone = case.reporter_phone.clone()?;
        Some(CallbackInsert {
            status: to.as_str().to_owned(),
            phone,
            language: case.reporter_language.unwrap_or(case.language).as_str().to_owned(),
            survey: action == Action::Resolve,
        })
    }

    fn callback_event(&self, row: &CallbackRow, action: &str, details: serde_json::Value) -> EventInsert {
        EventInsert {
            case_id: row.case_id,
            at: self.now_micros(),
            actor_type: "system".into(),
            actor_id: None,
            actor_name: ACTOR.into(),
            action: action.into(),
            from_status: None,
            to_status: None,
            public: false,
            body: None,
            details: details.to_string(),
        }
    }

    /// The job: places the call-back's next call, unless it is no longer waiting, a newer one
    /// superseded it, or the entity's quiet hours hold it until the morning.
    pub(crate) async fn place_callback(&self, job: &JobRow) -> JobOutcome {
        let id = serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|p| p["callback_id"].as_i64());
        let Some(id) = id else {
            return JobOutcome::Dead {
                error: "call-back job without a call-back id".into(),
            };
        };
        let (Some(calls), Some(settings)) = (&self.calls, &self.settings.hooks.callback) else {
            return JobOutcome::Dead {
                error: "call-backs are off on this node".into(),
            };
        };
        let row = match self.store.callback(id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                return JobOutcome::Dead {
                    error: format!("call-back {id} is gone"),
                }
            }
            Err(e) => return self.retry_or_dead(job, e.to_string()),
        };
        if row.state != "waiting" {
            return JobOutcome::Done;
        }
        if row.superseded {
            if let Err(e) = self.store.drop_callback(id, self.now_micros()).await {
                return self.retry_or_dead(job, e.to_string());
            }
            return JobOutcome::Done;
        }
        let config = match self.workflow().await {
            Ok(config) => config,
            Err(e) => return self.retry_or_dead(job, e.to_string()),
        };
        let quiet = tawasul_notify::QuietHours {
            start: settings.quiet_start,
            end: settings.quiet_end,
            time_zone: config.policy(row.entity_id).calendar.time_zone(),
        };
        if let Some(until) = quiet.defer_until(self.now()) {
            return JobOutcome::Again {
                run_at: tawasul_domain::micros(until),
            };
        }
        let request = tawasul_notify::CallRequest {
            to: row.phone.clone(),
            url: self.settings.public_link(&format!("{CALLBACK_HOOK}?id={id}")),
            status_callback: self.settings.public_link(&format!("{CALLBACK_STATUS_HOOK}?id={id}")),
        };
        match calls.place(&request).await {
            Ok(sid) => {
                let event = self.callback_event(
                    &row,
                    "callback_placed",
                    serde_json::json!({ "attempt": row.attempts + 1, "status": row.status, "call": sid }),
                );
                match self.store.callback_placed(id, row.attempts, &sid, event).await {
                    Ok(_) => JobOutcome::Done,
                    Err(e) => self.retry_or_dead(job, e.to_string()),
                }
            }
            Err(e) => {
                if let Some(status) = e.refused_status() {
                    let details = serde_json::json!({
                        "callback": id, "channel": "call", "status": status, "error": crate::jobs::excerpt(&e),
                    });
                    self.note_refusal(&row.reference, format!("callback/{id}/{}", row.attempts), details)
                        .await;
                }
                if e.is_permanent() {
                    tracing::warn!(callback = id, reference = %row.reference, error = %e, "the call API refused a call-back");
                    JobOutcome::Dead { error: e.to_string() }
                } else {
                    self.retry_or_dead(job, e.to_string())
                }
            }
        }
    }

    /// The call-back whose call `call_sid` the reporter picked up, with what it says; the
    /// answer is on the timeline once. `NotFound` for any other call.
    pub async fn callback_call(&self, id: i64, call_sid: &str) -> CasesResult<CallbackCall> {
        let row = self.calling(id, call_sid).await?;
        let event = self.callback_event(&row, "callback_answered", serde_json::json!({ "call": call_sid }));
        self.store.callback_answered(id, call_sid, event).await?;
        let case = self.case_row(&row.reference).await?;
        let service = self.store.managed_service(&case.service_code).await?;
        let survey = row.survey
            && case.status == Status::Resolved
            && self
                .store
                .invitation_of(case.id)
                .await?
                .is_some_and(|i| i.answered_at.is_none() && i.expires_at > self.now_micros());
        Ok(CallbackCall {
            reference: row.reference,
            status: Status::parse(&row.status).map_err(|e| Failure::Unexpected(anyhow::anyhow!(e.message)))?,
            language: row.language,
            service_ar: service.as_ref().map_or_else(String::new, |s| s.service.name_ar.clone()),
            service_en: service.map_or_else(String::new, |s| s.service.name_en),
            survey,
        })
    }

    /// The call-back of `call_sid`, which must be one of its calls.
    async fn calling(&self, id: i64, call_sid: &str) -> CasesResult<CallbackRow> {
        self.store
            .callback(id)
            .await?
            .filter(|row| row.call_sid.as_deref() == Some(call_sid))
            .ok_or(CasesError::Common(Failure::NotFound("call-back")))
    }

    /// The platform's report of how call `call_sid` of call-back `id` ended, taken once per
    /// call and status. A call not answered is tried again later, or given up after the last
    /// attempt; the case itself is never changed.
    pub async fn callback_report(&self, id: i64, call_sid: &str, status: &str) -> CasesResult<CallReport> {
        let answered = match status {
            "completed" => true,
            "busy" | "no-answer" | "failed" | "canceled" => false,
            _ => return Ok(CallReport::Ignored),
        };
        let Some(row) = self
            .store
            .callback(id)
            .await?
            .filter(|row| row.call_sid.as_deref() == Some(call_sid))
        else {
            return Ok(CallReport::Ignored);
        };
        let Some(settings) = &self.settings.hooks.callback else {
            return Ok(CallReport::Ignored);
        };
        let details = serde_json::json!({ "attempt": row.attempts, "call": call_sid, "outcome": status });
        let (state, events, retry) = if answered {
            (
                "answered",
                vec![self.callback_event(&row, "callback_answered", details)],
                None,
            )
        } else {
            let mut events = vec![self.callback_event(&row, "callback_no_answer", details)];
            let last = row.attempts >= i64::from(settings.max_attempts);
            if last || row.superseded {
                let why = if last { "attempts" } else { "superseded" };
                events.push(self.callback_event(
                    &row,
                    "callback_gave_up",
                    serde_json::json!({ "attempts": row.attempts, "why": why }),
                ));
                ("gave_up", events, None)
            } else {
                let run_at = self.now_micros() + i64::try_from(settings.retry_after.as_micros()).unwrap_or(i64::MAX);
                let retry = JobInsert {
                    kind: tawasul_store::CALLBACK_JOB.into(),
                    key: format!("callback:{id}:{}", row.attempts),
                    payload: serde_json::json!({ "callback_id": id }).to_string(),
                    run_at,
                };
                ("waiting", events, Some(retry))
            }
        };
        let outcome = CallbackOutcome {
            id,
            call_sid: call_sid.to_owned(),
            inbound: (
                Channel::Phone.as_str().to_owned(),
                format!("callback/{call_sid}/{status}"),
            ),
            state: state.into(),
            events,
            retry,
        };
        match self.store.callback_outcome(outcome).await {
            Ok(true) => Ok(CallReport::Taken),
            Ok(false) => Ok(CallReport::Ignored),
            Err(tawasul_store::StoreError::Duplicate(_)) => Ok(CallReport::Repeated),
            Err(e) => Err(e.into()),
        }
    }

    /// The closure survey answered by keys on a resolution's call-back: the same survey, with
    /// the same consequences, as the link's (`rate_by_link`), and the link spent with it.
    pub async fn survey_by_phone(
        &self,
        id: i64,
        call_sid: &str,
        solved: bool,
        (quality, speed, agent): (i64, i64, i64),
    ) -> CasesResult<SurveyView> {
        let row = self.calling(id, call_sid).await?;
        if !row.survey {
            return Err(CasesError::Conflict("this call does not ask the survey".into()));
        }
        let case = self.case_row(&row.reference).await?;
        let invitation = self
            .store
            .invitation_of(case.id)
            .await?
            .filter(|i| i.answered_at.is_none() && i.expires_at > self.now_micros())
            .ok_or_else(|| CasesError::Conflict("this case is no longer waiting for your answer".into()))?;
        let request = SurveyRequest {
            quality,
            speed,
            agent,
            solved,
            comment: None,
        };
        self.record_survey(&case, invitation.round, None, request).await
    }
}
