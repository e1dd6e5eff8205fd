//! The case lifecycle: which action may move a case from which status, and to where.
//!
//! ```text
//! new → acknowledged → assigned → in_progress ⇄ waiting_on_reporter → resolved → closed
//!                                     reopen: resolved | closed | rejected → assigned
//!                  reject (with reason): any open status → rejected
//!   transfer to another entity: new | acknowledged | assigned | in_progress → transferred
//!                  the receiver accepts (→ acknowledged) or returns it (→ where it was)
//!   merge into another case (a duplicate): any open status but transferred → merged (final)
//! ```

use crate::vocab::Status;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Acknowledge,
    Assign,
    Start,
    WaitOnReporter,
    Resume,
    Resolve,
    Close,
    Reopen,
    Reject,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Acknowledge,
        Action::Assign,
        Action::Start,
        Action::WaitOnReporter,
        Action::Resume,
        Action::Resolve,
        Action::Close,
        Action::Reopen,
        Action::Reject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Assign => "assign",
            Action::Start => "start",
            Action::WaitOnReporter => "wait_on_reporter",
            Action::Resume => "resume",
            Action::Resolve => "resolve",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot be {}", past(*.action))]
pub struct TransitionRefused {
    pub from: Status,
    pub action: Action,
}

fn past(action: Action) -> &'static str {
    match action {
        Action::Acknowledge => "acknowledged",
        Action::Assign => "assigned",
        Action::Start => "started",
        Action::WaitOnReporter => "put to wait on the reporter",
        Action::Resume => "resumed",
        Action::Resolve => "resolved",
        Action::Close => "closed",
        Action::Reopen => "reopened",
        Action::Reject => "rejected",
    }
}

/// The status an action leads to from `from`, or why it may not be taken.
pub fn transition(from: Status, action: Action) -> Result<Status, TransitionRefused> {
    use Action as A;
    use Status as S;
    let to = match (from, action) {
        (S::New, A::Acknowledge) => S::Acknowledged,
        (S::New | S::Acknowledged | S::Assigned | S::InProgress | S::WaitingOnReporter, A::Assign) => S::Assigned,
        (S::Assigned, A::Start) => S::InProgress,
        (S::InProgress, A::WaitOnReporter) => S::WaitingOnReporter,
        (S::WaitingOnReporter, A::Resume) => S::InProgress,
        (S::Assigned | S::InProgress, A::Resolve) => S::Resolved,
        (S::Resolved, A::Close) => S::Closed,
        (S::Resolved | S::Closed | S::Rejected, A::Reopen) => S::Assigned,
        (S::New | S::Acknowledged | S::Assigned | S::InProgress | S::WaitingOnReporter, A::Reject) => S::Rejected,
        _ => return Err(TransitionRefused { from, action }),
    };
    Ok(to)
}

/// Whether a case in `from` may be handed to another department or entity. A transfer
/// carries its own data (where to, why), so it is not one of the plain actions.
pub fn may_transfer(from: Status) -> bool {
    matches!(
        from,
        Status::New | Status::Acknowledged | Status::Assigned | Status::InProgress
    )
}

/// Whether a case in `from` may be merged into another case as its duplicate, or be the case
/// another is merged into. A transferred case waits for the receiver's decision first, and a
/// merged case is final: nothing more is merged into it.
pub fn may_merge(from: Status) -> bool {
    from.is_open() && from != Status::Transferred
}

/// Where a transferred case goes when the receiving entity accepts it.
pub const ACCEPTED: Status = Status::Acknowledged;

/// The actions open to a case in `from`: what a console offers as buttons.
pub fn available(from: Status) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| transition(from, *a).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_runs_from_new_to_closed() {
        let path = [
            Action::Acknowledge,
            Action::Assign,
            Action::Start,
            Action::WaitOnReporter,
            Action::Resume,
            Action::Resolve,
            Action::Close,
        ];
        let end = path
            .iter()
            .try_fold(Status::New, |s, a| transition(s, *a))
            .expect("allowed");
        assert_eq!(end, Status::Closed);
    }

    #[test]
    fn refusals_say_what_was_tried() {
        let err = transition(Status::Closed, Action::Resolve).expect_err("closed is final");
        assert_eq!(err.to_string(), "a case that is closed cannot be resolved");
        assert!(transition(Status::New, Action::Close).is_err());
        assert!(transition(Status::Rejected, Action::Reject).is_err());
    }

    #[test]
    fn a_closed_case_can_only_be_reopened() {
        assert_eq!(available(Status::Closed), vec![Action::Reopen]);
        assert_eq!(transition(Status::Closed, Action::Reopen), Ok(Status::Assigned));
    }

    #[test]
    fn open_cases_merge_and_a_merged_case_is_final() {
        for s in [
            Status::New,
            Status::Acknowledged,
            Status::Assigned,
            Status::InProgress,
            Status::WaitingOnReporter,
        ] {
            assert!(may_merge(s), "{s}");
        }
        for s in [
            Status::Transferred,
            Status::Resolved,
            Status::Closed,
            Status::Rejected,
            Status::Merged,
        ] {
            assert!(!may_merge(s), "{s}");
        }
        assert!(
            !Status::Merged.is_open(),
            "the SLA clock stops and it is not counted open"
        );
        assert!(available(Status::Merged).is_empty(), "no action moves a merged case");
    }

    fn any_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn no_sequence_of_actions_reaches_new_again(actions in proptest::collection::vec(any_action(), 0..30)) {
            let mut s = Status::New;
            for (i, a) in actions.iter().enumerate() {
                if let Ok(next) = transition(s, *a) {
                    s = next;
                    prop_assert!(s != Status::New, "step {i} went back to new");
                }
            }
        }

        #[test]
        fn every_open_case_can_be_rejected_and_every_ended_one_reopened(s in any_status()) {
            if s == Status::Transferred || s == Status::Merged {
                // The receiving entity accepts or returns it first; a merged case is final.
                prop_assert!(available(s).is_empty());
            } else if s.is_open() {
                prop_assert_eq!(transition(s, Action::Reject), Ok(Status::Rejected));
            } else {
                prop_assert_eq!(transition(s, Action::Reopen), Ok(Status::Assigned));
            }
        }
    }
}
