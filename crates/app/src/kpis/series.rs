//! The KPI time series: an entity's (or the installation's) figures day by day, week by week
//! or month by month over a period, read in one pass over the rollups (the daily ones, and the
//! monthly ones for a monthly series' whole months) rather than one report per step (what the
//! staff dashboard's trend draws; `GET /api/v1/kpis/series`).

use crate::identity::auth::Caller;
use crate::kpis::report::{self, KpiQuery, KpiValue};
use crate::kpis::targets;
use crate::kpis::{fold, KpisResult};
use crate::workflow::config::WorkflowConfig;
use crate::App;
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;
use tawasul_domain::kpi::{Backlog, Figures};
use tawasul_domain::{from_micros, Invalid};
use tawasul_store::kpi_month;
use utoipa::ToSchema;

/// The length of a series' steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiStep {
    /// One point per day.
    Day,
    /// Seven days, the last week ending on the period's last day (the first may be shorter).
    Week,
    /// Calendar months (the first and the last may be cut by the period).
    Month,
}

impl KpiStep {
    pub const ALL: &'static [KpiStep] = &[KpiStep::Day, KpiStep::Week, KpiStep::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            KpiStep::Day => "day",
            KpiStep::Week => "week",
            KpiStep::Month => "month",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| Invalid::new("invalid_step", "step", "expected day, week or month"))
    }
}

/// The consecutive steps of `from..=to`, oldest first, without gaps or overlaps.
pub fn steps(from: NaiveDate, to: NaiveDate, step: KpiStep) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut end = to;
    while end >= from {
        let start = match step {
            KpiStep::Day => end,
            KpiStep::Week => end.checked_sub_days(Days::new(6)).unwrap_or(from),
            KpiStep::Month => end.with_day(1).unwrap_or(end),
        }
        .max(from);
        out.push((start, end));
        let Some(previous) = start.pred_opt() else { break };
        end = previous;
    }
    out.reverse();
    out
}

/// The month of `date` as the monthly rollups number it (months since January 1970).
fn month_of(date: NaiveDate) -> i64 {
    kpi_month(fold::day_number(date))
}

/// A series: the figures of each step of the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiSeries {
    /// First day, `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub to: NaiveDate,
    pub step: KpiStep,
    /// The entity's code; `null` for every entity together.
    pub entity: Option<String>,
    /// When the figures were last brought up to date (RFC 3339).
    pub updated_at: String,
    pub points: Vec<KpiPoint>,
}

/// One step's figures: every KPI of the catalogue but the backlog (the open cases now, not
/// of a period), each against the entity's target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiPoint {
    /// First day of the step, `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub from: NaiveDate,
    /// Last day of the step, `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub to: NaiveDate,
    pub kpis: Vec<KpiValue>,
}

impl KpiPoint {
    /// The value of `key` (`None` when not measured or not a KPI of a series).
    pub fn value(&self, key: &str) -> Option<f64> {
        self.kpis.iter().find(|k| k.key == key).and_then(|k| k.value)
    }
}

impl App {
    /// The series of `query` (its grouping must be none: a series is of one total) by `step`,
    /// for staff who may read KPIs (as `App::kpis`).
    pub async fn kpi_series(&self, caller: &Caller, query: KpiQuery, step: KpiStep) -> KpisResult<KpiSeries> {
        let (config, scope, from, to) = self.kpi_request(caller, &query, true).await?;
        self.fold_kpis(&|_| {}).await?;
        self.read_series(&config, scope, from, to, step).await
    }

    /// The series of an entity (`None`: every entity) over a checked period, from the rollups
    /// as they stand (folded by the caller).
    pub(crate) async fn read_series(
        &self,
        config: &WorkflowConfig,
        scope: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
        step: KpiStep,
    ) -> KpisResult<KpiSeries> {
        let periods = steps(from, to, step);
        let mut figures = vec![Figures::default(); periods.len()];
        let first = fold::day_number(from);
        // The step of each day of the period, by its offset from `from`.
        let mut step_of = Vec::with_capacity((to - from).num_days() as usize + 1);
        for (i, (start, end)) in periods.iter().enumerate() {
            step_of.extend(std::iter::repeat_n(i, (*end - *start).num_days() as usize + 1));
        }
        // By month, the whole months come from the monthly rows (one a month rather than one a
        // day) and only the cut first and last months from the daily ones.
        let whole = match (step, report::whole_months(from, to)) {
            (KpiStep::Month, (Some(a), Some(b))) if a <= b => Some((a, b)),
            _ => None,
        };
        let (days_before, days_after) = match whole {
            Some((a, b)) => (a.pred_opt(), b.checked_add_months(Months::new(1))),
            None => (Some(to), to.succ_opt()),
        };
        let store = &self.store;
        let days = |a: Option<NaiveDate>, b: Option<NaiveDate>| async move {
            match (a, b) {
                (Some(a), Some(b)) if a <= b => {
                    store
                        .kpi_rollup_days(scope, fold::day_number(a), fold::day_number(b))
                        .await
                }
                _ => Ok(vec![]),
            }
        };
        let months = async {
            match whole {
                Some((a, b)) => store.kpi_rollup_months(scope, month_of(a), month_of(b)).await,
                None => Ok(vec![]),
            }
        };
        let (before, months, after) =
            tokio::try_join!(days(Some(from), days_before), months, days(days_after, Some(to)))?;
        for row in before.into_iter().chain(after) {
            let Some(&i) = usize::try_from(row.day - first).ok().and_then(|d| step_of.get(d)) else {
                continue;
            };
            let day: Figures = serde_json::from_str(&row.figures).map_err(anyhow::Error::from)?;
            figures[i].merge(&day, 1);
        }
        // Month steps are consecutive months from `from`'s.
        for row in months {
            let Some(i) = usize::try_from(row.month - month_of(from))
                .ok()
                .filter(|&i| i < figures.len())
            else {
                continue;
            };
            let month: Figures = serde_json::from_str(&row.figures).map_err(anyhow::Error::from)?;
            figures[i].merge(&month, 1);
        }
        let own = match scope {
            Some(id) => self.store.kpi_targets(id).await?,
            None => vec![],
        };
        let set = targets::views(&own);
        let points = periods
            .into_iter()
            .zip(figures)
            .map(|((start, end), figures)| KpiPoint {
                from: start,
                to: end,
                kpis: report::values(&figures, &Backlog::default(), &set)
                    .into_iter()
                    .filter(|value| !value.key.starts_with("backlog"))
                    .collect(),
            })
            .collect();
        let updated_at = self.store.kpi_folded_at().await?.unwrap_or_else(|| self.now_micros());
        Ok(KpiSeries {
            from,
            to,
            step,
            entity: scope.map(|id| config.entity_code(id)),
            updated_at: from_micros(updated_at).to_rfc3339(),
            points,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("as written in the test")
    }

    #[test]
    fn steps_cover_the_period_without_gaps_or_overlaps() {
        for (from, to, step, first, count) in [
            (
                "2026-11-01",
                "2026-11-30",
                KpiStep::Day,
                ("2026-11-01", "2026-11-01"),
                30,
            ),
            (
                "2026-11-01",
                "2026-11-30",
                KpiStep::Week,
                ("2026-11-01", "2026-11-02"),
                5,
            ),
            (
                "2026-09-01",
                "2026-11-30",
                KpiStep::Week,
                ("2026-09-01", "2026-09-07"),
                13,
            ),
            (
                "2025-12-06",
                "2026-12-05",
                KpiStep::Month,
                ("2025-12-06", "2025-12-31"),
                13,
            ),
            (
                "2026-02-01",
                "2026-02-28",
                KpiStep::Month,
                ("2026-02-01", "2026-02-28"),
                1,
            ),
            (
                "2026-03-09",
                "2026-03-09",
                KpiStep::Week,
                ("2026-03-09", "2026-03-09"),
                1,
            ),
        ] {
            let s = steps(d(from), d(to), step);
            assert_eq!(s.len(), count, "{from}..{to} by {step:?}");
            assert_eq!(s[0], (d(first.0), d(first.1)), "{from}..{to} by {step:?}");
            assert_eq!(s.last().expect("a step").1, d(to));
            for w in s.windows(2) {
                assert_eq!(w[0].1.succ_opt(), Some(w[1].0), "{from}..{to}: a gap or an overlap");
            }
        }
    }

    #[test]
    fn a_step_is_named_or_refused() {
        assert_eq!(KpiStep::parse("week").map(KpiStep::as_str).ok(), Some("week"));
        assert_eq!(KpiStep::parse("year").err().map(|e| e.field), Some("step".to_owned()));
    }
}
