//! Key performance indicators: which there are, what each counts in and which way is better,
//! their default targets and the state of a value against its target.

use crate::sla::{SlaClock, SlaTerms};
use crate::vocab::{KpiState, KpiUnit, Status};
use crate::Micros;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which way a KPI is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// A figure to read, not to judge (volume, the backlog's buckets, a distribution).
    Neither,
}

/// One KPI of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiDef {
    pub key: &'static str,
    pub unit: KpiUnit,
    pub better: Better,
    /// The target an entity has until it sets its own; `None`: no target.
    pub default_target: Option<f64>,
}

const fn def(key: &'static str, unit: KpiUnit, better: Better, default_target: Option<f64>) -> KpiDef {
    KpiDef {
        key,
        unit,
        better,
        default_target,
    }
}

use Better::{Higher, Lower, Neither};
use KpiUnit::{BusinessMinutes, Count, Minutes, Percent, Score};

/// Every KPI, in the order reports list them (README: "KPI keys").
pub const KPIS: &[KpiDef] = &[
    def("volume", Count, Neither, None),
    def("first_response_median", Minutes, Lower, None),
    def("first_response_p90", Minutes, Lower, None),
    def("first_response_business_median", BusinessMinutes, Lower, None),
    def("first_response_business_p90", BusinessMinutes, Lower, None),
    def("resolution_median", Minutes, Lower, None),
    def("resolution_p90", Minutes, Lower, None),
    def("resolution_business_median", BusinessMinutes, Lower, None),
    def("resolution_business_p90", BusinessMinutes, Lower, None),
    def("within_sla_first_response", Percent, Higher, Some(90.0)),
    def("within_sla", Percent, Higher, Some(90.0)),
    def("within_ola", Percent, Higher, Some(90.0)),
    def("backlog", Count, Neither, None),
    def("backlog_under_1d", Count, Neither, None),
    def("backlog_1d_3d", Count, Neither, None),
    def("backlog_3d_7d", Count, Neither, None),
    def("backlog_7d_30d", Count, Neither, None),
    def("backlog_over_30d", Count, Neither, None),
    def("reopen_rate", Percent, Lower, Some(5.0)),
    def("closure_rate", Percent, Higher, Some(90.0)),
    def("confirmed_resolution_rate", Percent, Higher, Some(70.0)),
    def("auto_closed", Count, Neither, None),
    def("auto_closed_rate", Percent, Lower, Some(10.0)),
    def("transfer_rate", Percent, Lower, Some(10.0)),
    def("escalation_rate", Percent, Lower, Some(10.0)),
    def("ignored", Count, Lower, Some(0.0)),
    def("quality_mean", Score, Higher, Some(4.0)),
    def("quality_1", Count, Neither, None),
    def("quality_2", Count, Neither, None),
    def("quality_3", Count, Neither, None),
    def("quality_4", Count, Neither, None),
    def("quality_5", Count, Neither, None),
    def("speed_mean", Score, Higher, Some(4.0)),
    def("speed_1", Count, Neither, None),
    def("speed_2", Count, Neither, None),
    def("speed_3", Count, Neither, None),
    def("speed_4", Count, Neither, None),
    def("speed_5", Count, Neither, None),
    def("employee_mean", Score, Higher, Some(4.0)),
    def("employee_1", Count, Neither, None),
    def("employee_2", Count, Neither, None),
    def("employee_3", Count, Neither, None),
    def("employee_4", Count, Neither, None),
    def("employee_5", Count, Neither, None),
    def("agent_rating", Score, Higher, Some(4.0)),
    def("agent_ratings", Count, Neither, None),
    def("surveys", Count, Neither, None),
    def("survey_response_rate", Percent, Higher, Some(30.0)),
];

/// The KPI `key`, if there is one.
pub fn kpi(key: &str) -> Option<&'static KpiDef> {
    KPIS.iter().find(|k| k.key == key)
}

/// The margin of "at risk" when an entity sets none: 5 percentage points for a percentage,
/// 5 % of the target for anything else.
pub const DEFAULT_MARGIN: f64 = 5.0;

/// `value` against `target`: met when at least as good; at risk when worse by no more than
/// `margin` (percentage points for a percentage, per cent of the target otherwise); missed
/// beyond. No state without a value, a target, or a direction.
pub fn state(def: &KpiDef, value: Option<f64>, target: Option<f64>, margin: f64) -> Option<KpiState> {
    let (value, target) = (value?, target?);
    let shortfall = match def.better {
        Higher => target - value,
        Lower => value - target,
        Neither => return None,
    };
    let allowed = match def.unit {
        Percent => margin,
        _ => target.abs() * margin / 100.0,
    };
    Some(if shortfall <= 0.0 {
        KpiState::Met
    } else if shortfall <= allowed {
        KpiState::AtRisk
    } else {
        KpiState::Missed
    })
}

// ---------------------------------------------------------------------------------------
// Durations: mergeable histograms with log-spaced buckets.

/// Each bucket's upper bound is this many times its lower bound.
pub const GROWTH: f64 = 1.1;
/// The largest relative error of a median or p90 read from a histogram, against the exact
/// nearest-rank value: a bucket `[g^(b-1), g^b)` is read as its geometric middle `g^(b-½)`,
/// off by at most `√g − 1` (4.88 %). Durations under a second are read as 0.
pub const RELATIVE_ERROR: f64 = 0.048_808_848_170_151_55;

/// The bucket of a duration in seconds: 0 under a second, else `b` with `g^(b-1) ≤ s < g^b`.
pub fn bucket(seconds: f64) -> u32 {
    if seconds.is_nan() || seconds < 1.0 {
        0
    } else {
        (seconds.ln() / GROWTH.ln()).floor() as u32 + 1
    }
}

/// What a bucket is read as, in seconds.
pub fn bucket_value(bucket: u32) -> f64 {
    if bucket == 0 {
        0.0
    } else {
        GROWTH.powf(f64::from(bucket) - 0.5)
    }
}

/// Counts and duration histograms, added case by case and day by day: a case's contribution,
/// a day's rollup, a period's total are all one of these. Stored as JSON (`c`, `h`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    #[serde(default, rename = "c", skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, i64>,
    #[serde(default, rename = "h", skip_serializing_if = "BTreeMap::is_empty")]
    pub histograms: BTreeMap<String, BTreeMap<u32, i64>>,
}

impl Figures {
    fn count(&mut self, key: &str, n: i64) {
        if n != 0 {
            *self.counts.entry(key.to_owned()).or_default() += n;
        }
    }

    fn duration(&mut self, key: &str, micros: Micros) {
        let seconds = micros.max(0) as f64 / 1e6;
        *self
            .histograms
            .entry(key.to_owned())
            .or_default()
            .entry(bucket(seconds))
            .or_default() += 1;
    }

    /// Adds `other` (`sign` 1) or takes it away (`sign` -1); what comes to zero is dropped.
    pub fn merge(&mut self, other: &Figures, sign: i64) {
        for (k, n) in &other.counts {
            let v = self.counts.entry(k.clone()).or_default();
            *v += sign * n;
            if *v == 0 {
                self.counts.remove(k);
            }
        }
        for (k, h) in &other.histograms {
            let mine = self.histograms.entry(k.clone()).or_default();
            for (b, n) in h {
                let v = mine.entry(*b).or_default();
                *v += sign * n;
                if *v == 0 {
                    mine.remove(b);
                }
            }
            if mine.is_empty() {
                self.histograms.remove(k);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.histograms.is_empty()
    }

    pub fn get(&self, key: &str) -> i64 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// The nearest-rank `q`-quantile (the value at rank ⌈q·n⌉) of a histogram, in seconds.
    pub fn quantile(&self, key: &str, q: f64) -> Option<f64> {
        let h = self.histograms.get(key)?;
        let n: i64 = h.values().sum();
        if n <= 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as i64).max(1);
        let mut seen = 0;
        for (b, c) in h {
            seen += c;
            if seen >= rank {
                return Some(bucket_value(*b));
            }
        }
        None
    }
}

/// The exact nearest-rank `q`-quantile of `values` (what a histogram's quantile approximates).
pub fn exact_quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).max(1);
    v.get(rank - 1).copied()
}

// ---------------------------------------------------------------------------------------
// A case's facts, from its row and its timeline.

/// One event of a case's timeline, as KPIs read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEvent {
    pub at: Micros,
    /// system, staff, reporter, social.
    pub actor_type: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    /// The event's JSON details.
    pub details: String,
}

/// What the facts of a case are computed from.
#[derive(Debug, Clone, Copy)]
pub struct CaseHistory<'a> {
    pub created_at: Micros,
    pub status: Status,
    /// Oldest first.
    pub events: &'a [TimelineEvent],
    /// Each transfer to another entity under an OLA: (accept due, decided at).
    pub olas: &'a [(Micros, Option<Micros>)],
    /// The chat agent's scores (1–5) of conversations that made or named the case.
    pub agent_scores: &'a [i64],
}

/// The reporter's closure survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyFacts {
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    /// "Is the problem really solved?"; `None` when not asked or not answered.
    pub solved: Option<bool>,
}

/// What KPIs need to know of one case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub created_at: Micros,
    /// The first staff action that answers the reporter (a transition, a public reply, a
    /// transfer accepted).
    pub first_response_at: Option<Micros>,
    /// When the case reached resolved (or closed, when it was never resolved) for the last
    /// time; `None` while it is not resolved or closed.
    pub resolved_at: Option<Micros>,
    pub closed_at: Option<Micros>,
    /// Closed automatically (a `close` event by the system with `"auto": true`).
    pub auto_closed: bool,
    /// Resolved or closed now.
    pub closed: bool,
    /// Ever resolved or closed.
    pub ever_resolved: bool,
    pub reopens: i64,
    pub transfers: i64,
    pub escalations: i64,
    /// "My report was ignored" complaints about the case.
    pub ignored: i64,
    pub response_within_sla: Option<bool>,
    pub resolution_within_sla: Option<bool>,
    pub olas: i64,
    pub olas_met: i64,
    pub first_response_business: Option<Micros>,
    pub resolution_business: Option<Micros>,
    pub survey: Option<SurveyFacts>,
    pub agent_scores: Vec<i64>,
}

fn answers(e: &TimelineEvent) -> bool {
    e.actor_type == "staff" && (e.to_status.is_some() || e.action == "reply" || e.action == "transfer_accepted")
}

fn details(e: &TimelineEvent) -> serde_json::Value {
    serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null)
}

fn is_ended_ok(s: Status) -> bool {
    matches!(s, Status::Resolved | Status::Closed)
}

/// The facts of a case. The SLA clock is replayed from the timeline on `terms` (the case's
/// entity, service and priority as they are now), so "within SLA" honours the pauses while
/// waiting on the reporter and restarts on reopening, as the live clock does; durations are
/// elapsed from intake, in calendar time and in the calendar's working time.
pub fn facts(history: &CaseHistory, terms: &SlaTerms) -> CaseFacts {
    let mut f = CaseFacts {
        created_at: history.created_at,
        ..CaseFacts::default()
    };
    let mut clock = SlaClock::start(history.created_at, terms);
    let mut close_auto = false;
    // A ladder step at 100 % or more of a target: that target is missed, whenever the answer comes.
    let (mut response_breached, mut resolution_breached) = (false, false);
    for e in history.events {
        match e.action.as_str() {
            "reopen" => f.reopens += 1,
            "transferred" => f.transfers += 1,
            "escalated" => {
                f.escalations += 1;
                let d = details(e);
                if d.get("percent")
                    .and_then(serde_json::Value::as_i64)
                    .is_some_and(|p| p >= 100)
                {
                    match d.get("phase").and_then(serde_json::Value::as_str) {
                        Some("first_response") => response_breached = true,
                        Some("resolution") => resolution_breached = true,
                        _ => {}
                    }
                }
            }
            "ignored_complaint" => f.ignored += 1,
            "survey" => {
                let d = details(e);
                let score = |k: &str| d.get(k).and_then(serde_json::Value::as_i64);
                if let (Some(quality), Some(speed), Some(agent)) = (score("quality"), score("speed"), score("agent")) {
                    f.survey = Some(SurveyFacts {
                        quality,
                        speed,
                        agent,
                        solved: d.get("solved").and_then(serde_json::Value::as_bool),
                    });
                }
            }
            _ => {}
        }
        if e.action == "reopen" {
            clock.reopen(e.at, terms);
            f.resolved_at = None;
            f.closed_at = None;
            resolution_breached = false;
            continue;
        }
        if e.from_status == Some(Status::WaitingOnReporter) {
            clock.resume(e.at, terms);
        }
        if answers(e) {
            if f.first_response_at.is_none() {
                f.first_response_at = Some(e.at);
                f.response_within_sla = clock
                    .first_response_due
                    .map(|due| !response_breached && e.at <= due)
                    .or(response_breached.then_some(false));
            }
            clock.respond(e.at, terms);
        }
        match e.to_status {
            Some(Status::WaitingOnReporter) => clock.pause(e.at),
            Some(s) if is_ended_ok(s) => {
                f.ever_resolved = true;
                if f.resolved_at.is_none() {
                    f.resolved_at = Some(e.at);
                    f.resolution_within_sla = clock
                        .resolution_due
                        .map(|due| !resolution_breached && e.at <= due)
                        .or(resolution_breached.then_some(false));
                }
                if s == Status::Closed {
                    f.closed_at = Some(e.at);
                    close_auto = e.actor_type == "system" && details(e).get("auto") == Some(&true.into());
                }
                clock.stop();
            }
            _ => {}
        }
    }
    if f.first_response_at.is_none() && response_breached {
        f.response_within_sla = Some(false);
    }
    f.closed = is_ended_ok(history.status);
    if !f.closed {
        f.resolved_at = None;
        f.closed_at = None;
        f.resolution_within_sla = resolution_breached.then_some(false);
    }
    f.auto_closed = f.closed_at.is_some() && close_auto;
    f.first_response_business = f
        .first_response_at
        .map(|at| terms.calendar.between(history.created_at, at));
    f.resolution_business = f.resolved_at.map(|at| terms.calendar.between(history.created_at, at));
    f.olas = history.olas.len() as i64;
    f.olas_met = history
        .olas
        .iter()
        .filter(|(due, decided)| decided.is_some_and(|d| d <= *due))
        .count() as i64;
    f.agent_scores = history.agent_scores.to_vec();
    f
}

/// What one case adds to the rollups of the day it was received.
pub fn contribution(f: &CaseFacts) -> Figures {
    let mut c = Figures::default();
    c.count("volume", 1);
    if let Some(at) = f.first_response_at {
        c.duration("first_response", at - f.created_at);
    }
    if let Some(b) = f.first_response_business {
        c.duration("first_response_business", b);
    }
    if let Some(at) = f.resolved_at {
        c.duration("resolution", at - f.created_at);
    }
    if let Some(b) = f.resolution_business {
        c.duration("resolution_business", b);
    }
    if let Some(met) = f.response_within_sla {
        c.count("sla_response", 1);
        c.count("sla_response_met", i64::from(met));
    }
    if let Some(met) = f.resolution_within_sla {
        c.count("sla_resolution", 1);
        c.count("sla_resolution_met", i64::from(met));
    }
    c.count("olas", f.olas);
    c.count("olas_met", f.olas_met);
    c.count("closed", i64::from(f.closed));
    c.count("ever_resolved", i64::from(f.ever_resolved));
    c.count("reopened", i64::from(f.ever_resolved && f.reopens > 0));
    c.count("auto_closed", i64::from(f.auto_closed));
    c.count("transferred", i64::from(f.transfers > 0));
    c.count("escalated", i64::from(f.escalations > 0));
    c.count("ignored", f.ignored);
    if let Some(s) = &f.survey {
        c.count("surveys", 1);
        c.count("confirmed", i64::from(s.solved == Some(true)));
        for (name, score) in [("quality", s.quality), ("speed", s.speed), ("employee", s.agent)] {
            c.count(&format!("{name}_sum"), score);
            c.count(&format!("{name}_{}", score.clamp(1, 5)), 1);
        }
    }
    c.count("agent_ratings", f.agent_scores.len() as i64);
    c.count("agent_rating_sum", f.agent_scores.iter().sum());
    c
}

/// The open cases by age, now: under a day, 1–3 days, 3–7, 7–30, over 30.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog(pub [i64; 5]);

/// The upper bounds (exclusive) of the backlog's age buckets, in days.
pub const BACKLOG_DAYS: [i64; 4] = [1, 3, 7, 30];

impl Backlog {
    /// The bucket of an open case received `age` ago.
    pub fn bucket(age: Micros) -> usize {
        let day = 86_400_000_000;
        BACKLOG_DAYS.iter().position(|d| age < d * day).unwrap_or(4)
    }
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| 100.0 * n as f64 / d as f64)
}

fn mean(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| sum as f64 / n as f64)
}

/// Every KPI's value from a period's figures and the backlog now, in the catalogue's order.
pub fn evaluate(f: &Figures, backlog: &Backlog) -> Vec<(&'static KpiDef, Option<f64>)> {
    let minutes = |key: &str, q: f64| f.quantile(key, q).map(|s| s / 60.0);
    let count = |key: &str| Some(f.get(key) as f64);
    KPIS.iter()
        .map(|def| {
            let value = match def.key {
                "volume" => count("volume"),
                "first_response_median" => minutes("first_response", 0.5),
                "first_response_p90" => minutes("first_response", 0.9),
                "first_response_business_median" => minutes("first_response_business", 0.5),
                "first_response_business_p90" => minutes("first_response_business", 0.9),
                "resolution_median" => minutes("resolution", 0.5),
                "resolution_p90" => minutes("resolution", 0.9),
                "resolution_business_median" => minutes("resolution_business", 0.5),
                "resolution_business_p90" => minutes("resolution_business", 0.9),
                "within_sla_first_response" => ratio(f.get("sla_response_met"), f.get("sla_response")),
                "within_sla" => ratio(f.get("sla_resolution_met"), f.get("sla_resolution")),
                "within_ola" => ratio(f.get("olas_met"), f.get("olas")),
                "backlog" => Some(backlog.0.iter().sum::<i64>() as f64),
                "backlog_under_1d" => Some(backlog.0[0] as f64),
                "backlog_1d_3d" => Some(backlog.0[1] as f64),
                "backlog_3d_7d" => Some(backlog.0[2] as f64),
                "backlog_7d_30d" => Some(backlog.0[3] as f64),
                "backlog_over_30d" => Some(backlog.0[4] as f64),
                "reopen_rate" => ratio(f.get("reopened"), f.get("ever_resolved")),
                "closure_rate" => ratio(f.get("closed"), f.get("volume")),
                "confirmed_resolution_rate" => ratio(f.get("confirmed"), f.get("volume")),
                "auto_closed" => count("auto_closed"),
                "auto_closed_rate" => ratio(f.get("auto_closed"), f.get("closed")),
                "transfer_rate" => ratio(f.get("transferred"), f.get("volume")),
                "escalation_rate" => ratio(f.get("escalated"), f.get("volume")),
                "ignored" => count("ignored"),
                "quality_mean" => mean(f.get("quality_sum"), f.get("surveys")),
                "speed_mean" => mean(f.get("speed_sum"), f.get("surveys")),
                "employee_mean" => mean(f.get("employee_sum"), f.get("surveys")),
                "agent_rating" => mean(f.get("agent_rating_sum"), f.get("agent_ratings")),
                "agent_ratings" => count("agent_ratings"),
                "surveys" => count("surveys"),
                "survey_response_rate" => ratio(f.get("surveys"), f.get("closed")),
                // The distributions: quality_1 … employee_5.
                other => count(other),
            };
            (def, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_known() {
        for (i, k) in KPIS.iter().enumerate() {
            assert!(KPIS[..i].iter().all(|o| o.key != k.key), "{} twice", k.key);
            assert_eq!(kpi(k.key), Some(k));
        }
        assert!(kpi("nonsense").is_none());
    }

    #[test]
    fn state_against_target_and_margin() {
        let sla = kpi("within_sla").expect("within_sla");
        assert_eq!(state(sla, Some(90.0), Some(90.0), 5.0), Some(KpiState::Met));
        assert_eq!(state(sla, Some(86.0), Some(90.0), 5.0), Some(KpiState::AtRisk));
        assert_eq!(state(sla, Some(85.0), Some(90.0), 5.0), Some(KpiState::AtRisk));
        assert_eq!(state(sla, Some(84.9), Some(90.0), 5.0), Some(KpiState::Missed));
        assert_eq!(state(sla, None, Some(90.0), 5.0), None);
        let reopen = kpi("reopen_rate").expect("reopen_rate");
        assert_eq!(state(reopen, Some(4.0), Some(5.0), 5.0), Some(KpiState::Met));
        assert_eq!(state(reopen, Some(11.0), Some(5.0), 5.0), Some(KpiState::Missed));
        // A score's margin is a share of its target: 5 % of 4.0 is 0.2.
        let quality = kpi("quality_mean").expect("quality_mean");
        assert_eq!(state(quality, Some(3.85), Some(4.0), 5.0), Some(KpiState::AtRisk));
        assert_eq!(state(quality, Some(3.7), Some(4.0), 5.0), Some(KpiState::Missed));
        assert_eq!(state(kpi("volume").expect("volume"), Some(3.0), Some(1.0), 5.0), None);
    }

    #[test]
    fn the_stated_error_is_the_bucket_half_width() {
        assert!((RELATIVE_ERROR - (GROWTH.sqrt() - 1.0)).abs() < 1e-12);
        for seconds in [1.0, 1.05, 59.0, 60.0, 3_600.0, 86_399.0, 31_536_000.0] {
            let read = bucket_value(bucket(seconds));
            assert!(
                (read - seconds).abs() / seconds <= RELATIVE_ERROR + 1e-12,
                "{seconds} read as {read}"
            );
        }
        assert_eq!(bucket(0.5), 0);
    }

    proptest::proptest! {
        /// Days' histograms merged over any period give the period's quantiles within the
        /// stated error of the exact ones, wherever the period's boundaries fall; taking a day
        /// away again gives back the rest.
        #[test]
        fn merged_days_answer_within_the_stated_error(
            days in proptest::collection::vec(proptest::collection::vec(1u64..40_000_000u64, 0..20), 1..10),
            cut in 0usize..10,
            q in proptest::sample::select(vec![0.5, 0.9]),
        ) {
            let per_day: Vec<Figures> = days.iter().map(|d| {
                let mut f = Figures::default();
                for s in d { f.duration("resolution", *s as i64 * 1_000_000); }
                f
            }).collect();
            let start = cut.min(days.len() - 1);
            let mut period = Figures::default();
            for f in &per_day[start..] { period.merge(f, 1); }
            let exact: Vec<f64> = days[start..].iter().flatten().map(|s| *s as f64).collect();
            match (period.quantile("resolution", q), exact_quantile(&exact, q)) {
                (Some(read), Some(truth)) => proptest::prop_assert!((read - truth).abs() / truth <= RELATIVE_ERROR + 1e-9),
                (None, None) => {}
                other => proptest::prop_assert!(false, "{other:?}"),
            }
            let mut all = Figures::default();
            for f in &per_day { all.merge(f, 1); }
            for f in &per_day[..start] { all.merge(f, -1); }
            proptest::prop_assert_eq!(all, period);
        }
    }
}
