//! Merging a duplicate report into the case that stays: the same leak reported twice becomes
//! one case to work. The duplicate ends as `merged` (its SLA clock stops) and records the case
//! it joined; both timelines show it, and its reporter is told where to follow it now.

use crate::cases::views::CaseView;
use crate::cases::{CasesError, CasesResult};
use crate::error::{Failure, Outcome};
use crate::identity::auth::Caller;
use crate::identity::authz::{Permission, StaffUser};
use crate::workflow::config::{clock_of, stored};
use crate::App;
use serde::Deserialize;
use tawasul_domain::lifecycle;
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::Status;
use tawasul_domain::Invalid;
use tawasul_store::{CaseChange, CaseRow, EventInsert};
use utoipa::ToSchema;

const MAX_REASON: usize = 1_000;

/// What `Failure::NotFound` names when the case to merge into does not exist (or is not the
/// caller's to see), so that an edge can tell it from the merged case itself being unknown.
pub const MERGE_TARGET: &str = "case to merge into";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The reference of the case that stays (`TW-2026-0000123`).
    pub into: String,
    /// Why the two are one case, as both timelines will show it.
    pub reason: String,
}

/// `TW-2026-0000123`, case aside; the reference as stored.
fn parse_reference(raw: &str) -> Outcome<String> {
    let reference = raw.trim().to_ascii_uppercase();
    if reference.is_empty() {
        return Err(Invalid::new("required", "into", "give the reference of the case to merge into").into());
    }
    let parts: Vec<&str> = reference.split('-').collect();
    let well_formed = parts.len() == 3
        && parts[0] == "TW"
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 12 && p.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(Invalid::new("invalid_reference", "into", "a reference looks like TW-2026-0000123").into());
    }
    Ok(reference)
}

impl App {
    /// Merges the case `reference` into `request.into`. Both must be open cases of one entity,
    /// neither merged nor awaiting a transfer; the merged one ends and points at the other.
    pub async fn merge(&self, user: &StaffUser, reference: &str, request: MergeRequest) -> CasesResult<CaseView> {
        let case = self.staff_case(user, reference).await?;
        user.require(Permission::Merge, Some(case.entity_id))?;
        let into = parse_reference(&request.into)?;
        let reason = CaseText::parse(&request.reason, "reason", MAX_REASON)?;
        if into == case.reference {
            return Err(Invalid::new("same_case", "into", "a case cannot be merged into itself").into());
        }
        let target = match self.case_row(&into).await {
            Ok(t) if user.may(Permission::ViewCase, Some(t.entity_id)) => t,
            Ok(_) | Err(Failure::NotFound(_)) => return Err(Failure::NotFound(MERGE_TARGET).into()),
            Err(e) => return Err(e.into()),
        };
        Self::check_mergeable(&case, &target)?;
        let at = self.now_micros();
        let mut clock = clock_of(&case.sla);
        clock.stop();
        let details = serde_json::json!({ "into": target.reference });
        let change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            status: Some(Status::Merged),
            merged_into_id: Some(target.id),
            sla: Some(stored(&clock)),
            at,
            event: EventInsert {
                body: Some(reason.as_str().to_owned()),
                details: details.to_string(),
                ..self.staff_event(user, &case, "merged", Some(Status::Merged))
            },
            // The case that stays carries on as it was; its reporter need not hear of it.
            more_events: vec![EventInsert {
                case_id: target.id,
                public: false,
                body: Some(reason.as_str().to_owned()),
                details: serde_json::json!({ "from": case.reference }).to_string(),
                ..self.staff_event(user, &target, "merged_in", None)
            }],
            audit: Some(self.audit_of(
                user,
                &case,
                "merge",
                serde_json::json!({ "into": target.reference, "reason": reason.as_str() }),
            )),
            notifications: self.notify_reporter(&case, "case_merged", details).await?,
            ..Default::default()
        };
        self.store.change_case(change).await?;
        self.read_case(&Caller::Staff(user.clone()), reference).await
    }

    fn check_mergeable(case: &CaseRow, target: &CaseRow) -> CasesResult<()> {
        let refuse = |why: &str| Err(CasesError::NotMergeable(why.to_owned()));
        if target.entity_id != case.entity_id {
            return refuse("both cases must belong to the same entity");
        }
        let (from, to) = (case.status, target.status);
        if from == Status::Merged {
            return refuse("this case is already merged into another");
        }
        if to == Status::Merged {
            return refuse("the case to merge into is itself merged; merge into the case it joined");
        }
        // A case is `transferred` exactly while its transfer to another entity is open.
        if from == Status::Transferred || to == Status::Transferred {
            return refuse("a case with an open transfer cannot be merged");
        }
        if !lifecycle::may_merge(from) {
            return refuse(&format!("a case that is {from} cannot be merged"));
        }
        if !lifecycle::may_merge(to) {
            return refuse(&format!("a case that is {to} cannot be merged into"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_case_aside_and_garbage_is_refused() {
        assert_eq!(
            parse_reference(" tw-2026-0000123 ").expect("reference"),
            "TW-2026-0000123"
        );
        for bad in [
            "",
            "  ",
            "TW-2026",
            "XX-2026-1",
            "TW-2026-12a",
            "TW--1",
            "TW-2026-1234567890123",
        ] {
            assert!(parse_reference(bad).is_err(), "{bad:?}");
        }
    }
}
