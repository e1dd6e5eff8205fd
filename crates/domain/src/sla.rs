//! The SLA clock of a case, on its entity's business calendar.
//!
//! A clock starts at intake. Until the first response it runs against the first-response
//! target, then against the resolution target. Business time spent waiting on the reporter
//! does not count. The escalation ladder fires at percentages of the target in force; the
//! instant of the next step is kept on the clock so that a sweep only reads due cases.

use crate::calendar::BusinessCalendar;
use crate::{Invalid, Micros};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Targets in business time (µs), for one service × priority, or from an OLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response: Micros,
    pub resolution: Micros,
}

/// Who hears of an escalation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    /// The assigned staff member (or, with no assignee, the department's officers).
    Assignee,
    Supervisor,
    /// The entity's administrators, who answer for it.
    Director,
    /// The beneficiary-satisfaction unit.
    Satisfaction,
    Reporter,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    /// Share of the target, in percent, after which this step is taken.
    pub percent: u32,
    pub notify: Vec<Notify>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationLadder {
    pub steps: Vec<EscalationStep>,
}

impl Default for EscalationLadder {
    /// 75 % reminds the assignee; 100 % goes to the supervisor; 150 % to the director and
    /// the beneficiary-satisfaction unit. The reporter hears of the last two.
    fn default() -> Self {
        use Notify::*;
        let step = |percent, notify: &[Notify]| EscalationStep {
            percent,
            notify: notify.to_vec(),
        };
        Self {
            steps: vec![
                step(75, &[Assignee]),
                step(100, &[Supervisor, Reporter]),
                step(150, &[Director, Satisfaction, Reporter]),
            ],
        }
    }
}

impl EscalationLadder {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.steps.is_empty() || self.steps.len() > 10 {
            return Err(Invalid::new("out_of_range", "steps", "a ladder has 1 to 10 steps"));
        }
        let mut previous = 0;
        for (i, step) in self.steps.iter().enumerate() {
            if step.percent == 0 || step.percent > 1000 || step.percent <= previous {
                return Err(Invalid::new(
                    "out_of_range",
                    format!("steps[{i}].percent"),
                    "percentages rise from step to step, between 1 and 1000",
                ));
            }
            if step.notify.is_empty() {
                return Err(Invalid::new(
                    "required",
                    format!("steps[{i}].notify"),
                    "say who hears of this step",
                ));
            }
            previous = step.percent;
        }
        Ok(())
    }
}

/// The clock's state, as stored on the case. It keeps the targets it was started with (a
/// service's SLA, or an OLA after a transfer), so later changes recompute against them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaClock {
    pub targets: Option<Targets>,
    pub started_at: Option<Micros>,
    pub paused_at: Option<Micros>,
    /// Business time spent paused before the current pause.
    pub paused: Micros,
    pub first_response_due: Option<Micros>,
    pub first_responded_at: Option<Micros>,
    pub resolution_due: Option<Micros>,
    /// Ladder steps taken on the target in force.
    pub level: i64,
    pub next_escalation_at: Option<Micros>,
}

/// The calendar and ladder a clock runs on, and the targets a new clock starts with.
#[derive(Debug, Clone, Copy)]
pub struct SlaTerms<'a> {
    pub calendar: &'a BusinessCalendar,
    pub targets: Option<Targets>,
    pub ladder: &'a EscalationLadder,
}

impl SlaClock {
    /// A clock started at `at` (intake, or a transfer to another entity under an OLA).
    pub fn start(at: Micros, terms: &SlaTerms) -> Self {
        let mut clock = Self {
            targets: terms.targets,
            started_at: Some(at),
            ..Self::default()
        };
        clock.recompute(terms);
        clock
    }

    /// New targets after a change of service or priority, counted from the same start.
    pub fn retarget(&mut self, terms: &SlaTerms) {
        self.targets = terms.targets;
        self.level = 0;
        self.recompute(terms);
    }

    /// Due times and the next step from the start, the pauses and the terms: after a change
    /// of service, priority or calendar, or any other change of state.
    pub fn recompute(&mut self, terms: &SlaTerms) {
        let (Some(started), Some(targets)) = (self.started_at, self.targets) else {
            self.first_response_due = None;
            self.resolution_due = None;
            self.next_escalation_at = None;
            return;
        };
        let due = |target: Micros| terms.calendar.add(started, target.saturating_add(self.paused));
        self.first_response_due = Some(due(targets.first_response));
        self.resolution_due = Some(due(targets.resolution));
        self.next_escalation_at = match (self.paused_at, self.target_in_force(targets)) {
            (Some(_), _) => None,
            (None, target) => usize::try_from(self.level)
                .ok()
                .and_then(|level| terms.ladder.steps.get(level))
                .map(|step| due(share(target, step.percent))),
        };
    }

    fn target_in_force(&self, targets: Targets) -> Micros {
        if self.first_responded_at.is_none() {
            targets.first_response
        } else {
            targets.resolution
        }
    }

    /// Which clock the ladder follows now.
    pub fn phase(&self) -> &'static str {
        if self.first_responded_at.is_none() {
            "first_response"
        } else {
            "resolution"
        }
    }

    /// The first public response: the ladder starts again on the resolution target.
    pub fn respond(&mut self, at: Micros, terms: &SlaTerms) {
        if self.first_responded_at.is_none() {
            self.first_responded_at = Some(at);
            self.level = 0;
            self.recompute(terms);
        }
    }

    /// Waiting on the reporter: the clock stops.
    pub fn pause(&mut self, at: Micros) {
        if self.paused_at.is_none() {
            self.paused_at = Some(at);
            self.next_escalation_at = None;
        }
    }

    /// The reporter answered: the business time spent waiting is added to every due time.
    pub fn resume(&mut self, at: Micros, terms: &SlaTerms) {
        if let Some(since) = self.paused_at.take() {
            self.paused = self.paused.saturating_add(terms.calendar.between(since, at));
        }
        self.recompute(terms);
    }

    /// Resolved, closed or rejected: nothing more falls due.
    pub fn stop(&mut self) {
        self.next_escalation_at = None;
    }

    /// A reopened case gets a fresh resolution clock from `at`.
    pub fn reopen(&mut self, at: Micros, terms: &SlaTerms) {
        *self = Self {
            targets: self.targets.or(terms.targets),
            started_at: Some(at),
            first_responded_at: Some(at),
            ..Self::default()
        };
        self.recompute(terms);
    }

    /// The ladder steps due at `now` (indices from the current level on), in order. A sweep
    /// that comes late takes every step it missed, each recorded on its own.
    pub fn due_steps(&self, now: Micros, terms: &SlaTerms) -> Vec<usize> {
        let (Some(started), Some(targets), None) = (self.started_at, self.targets, self.paused_at) else {
            return vec![];
        };
        let target = self.target_in_force(targets);
        let first = usize::try_from(self.level).unwrap_or(usize::MAX);
        terms
            .ladder
            .steps
            .iter()
            .enumerate()
            .skip(first)
            .take_while(|(_, step)| {
                terms
                    .calendar
                    .add(started, share(target, step.percent).saturating_add(self.paused))
                    <= now
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Records that the ladder reached `level` steps on the target in force.
    pub fn escalated_to(&mut self, level: i64, terms: &SlaTerms) {
        self.level = level;
        self.recompute(terms);
    }

    /// Whether a due time has passed at `now` (the one in force: first response until the
    /// first response, then resolution).
    pub fn overdue(&self, now: Micros) -> bool {
        let due = if self.first_responded_at.is_none() {
            self.first_response_due
        } else {
            self.resolution_due
        };
        self.paused_at.is_none() && due.is_some_and(|d| d < now)
    }
}

fn share(target: Micros, percent: u32) -> Micros {
    target.saturating_mul(i64::from(percent)) / 100
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{business_minutes, BusinessCalendar, CalendarSpec};

    fn bahrain() -> BusinessCalendar {
        BusinessCalendar::from_spec(&CalendarSpec {
            time_zone: "Asia/Bahrain".into(),
            working_days: ["sunday", "monday", "tuesday", "wednesday", "thursday"]
                .map(String::from)
                .to_vec(),
            opens: "07:00".into(),
            closes: "14:00".into(),
            holidays: vec![],
            overrides: vec![],
        })
        .expect("valid calendar")
    }

    /// Sunday 2026-11-22 08:00 in Bahrain (UTC+3).
    fn sunday_8am() -> Micros {
        crate::micros(
            chrono::DateTime::parse_from_rfc3339("2026-11-22T08:00:00+03:00")
                .expect("time")
                .to_utc(),
        )
    }

    const HOUR: Micros = 3_600_000_000;

    fn terms<'a>(calendar: &'a BusinessCalendar, ladder: &'a EscalationLadder) -> SlaTerms<'a> {
        SlaTerms {
            calendar,
            targets: Some(Targets {
                first_response: business_minutes(4 * 60),
                resolution: business_minutes(3 * 7 * 60),
            }),
            ladder,
        }
    }

    #[test]
    fn due_times_and_the_first_step_follow_the_calendar() {
        let (cal, ladder) = (bahrain(), EscalationLadder::default());
        let t = terms(&cal, &ladder);
        let clock = SlaClock::start(sunday_8am(), &t);
        assert_eq!(clock.first_response_due, Some(sunday_8am() + 4 * HOUR));
        // Three working days of seven hours: Sunday 08:00 + 21 h = Wednesday 08:00.
        assert_eq!(clock.resolution_due, Some(sunday_8am() + 3 * 24 * HOUR));
        // 75 % of the four-hour first-response target.
        assert_eq!(clock.next_escalation_at, Some(sunday_8am() + 3 * HOUR));
    }

    #[test]
    fn a_pause_stops_the_ladder_and_pushes_the_due_times() {
        let (cal, ladder) = (bahrain(), EscalationLadder::default());
        let t = terms(&cal, &ladder);
        let mut clock = SlaClock::start(sunday_8am(), &t);
        clock.respond(sunday_8am() + HOUR, &t);
        clock.pause(sunday_8am() + HOUR);
        assert_eq!(clock.next_escalation_at, None);
        assert!(clock.due_steps(sunday_8am() + 30 * 24 * HOUR, &t).is_empty());
        // Waiting two working hours moves the resolution due time by two working hours.
        clock.resume(sunday_8am() + 3 * HOUR, &t);
        assert_eq!(clock.paused, 2 * HOUR);
        assert_eq!(clock.resolution_due, Some(sunday_8am() + 3 * 24 * HOUR + 2 * HOUR));
    }

    #[test]
    fn a_late_sweep_takes_every_missed_step_once() {
        let (cal, ladder) = (bahrain(), EscalationLadder::default());
        let t = terms(&cal, &ladder);
        let mut clock = SlaClock::start(sunday_8am(), &t);
        let late = sunday_8am() + 24 * HOUR;
        assert_eq!(clock.due_steps(late, &t), vec![0, 1, 2]);
        clock.escalated_to(3, &t);
        assert!(clock.due_steps(late, &t).is_empty());
        assert_eq!(clock.next_escalation_at, None);
        assert!(clock.overdue(late));
    }

    #[test]
    fn the_first_response_restarts_the_ladder_on_the_resolution_target() {
        let (cal, ladder) = (bahrain(), EscalationLadder::default());
        let t = terms(&cal, &ladder);
        let mut clock = SlaClock::start(sunday_8am(), &t);
        clock.escalated_to(1, &t);
        clock.respond(sunday_8am() + 3 * HOUR + 1, &t);
        assert_eq!(clock.level, 0);
        assert_eq!(clock.phase(), "resolution");
        // 75 % of 21 working hours is 15 h 45 min: Tuesday 09:45.
        assert_eq!(
            clock.next_escalation_at,
            Some(sunday_8am() + 2 * 24 * HOUR + HOUR + 45 * 60_000_000)
        );
    }

    #[test]
    fn no_targets_means_no_due_times() {
        let (cal, ladder) = (bahrain(), EscalationLadder::default());
        let t = SlaTerms {
            calendar: &cal,
            targets: None,
            ladder: &ladder,
        };
        let clock = SlaClock::start(sunday_8am(), &t);
        assert_eq!((clock.first_response_due, clock.next_escalation_at), (None, None));
        assert!(clock.due_steps(i64::MAX, &t).is_empty());
    }

    #[test]
    fn ladders_are_validated() {
        assert!(EscalationLadder::default().validate().is_ok());
        let bad = EscalationLadder {
            steps: vec![
                EscalationStep {
                    percent: 100,
                    notify: vec![Notify::Supervisor],
                },
                EscalationStep {
                    percent: 90,
                    notify: vec![Notify::Director],
                },
            ],
        };
        assert_eq!(bad.validate().expect_err("falling").field, "steps[1].percent");
        let empty = EscalationLadder { steps: vec![] };
        assert_eq!(empty.validate().expect_err("empty").field, "steps");
    }
}
