//! The KPI report: `App::kpis`, what `GET /api/v1/kpis` and the dashboards read.

use crate::error::{Failure, Outcome};
use crate::identity::auth::Caller;
use crate::identity::authz::{Permission, StaffUser};
use crate::kpis::series::{KpiSeries, KpiStep};
use crate::kpis::targets::{self, KpiTargetView};
use crate::kpis::{fold, KpisResult};
use crate::workflow::config::WorkflowConfig;
use crate::App;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tawasul_domain::kpi::{self, Backlog, Figures};
use tawasul_domain::vocab::{KpiGroupBy, KpiState, KpiUnit};
use tawasul_domain::{from_micros, Invalid};
use tawasul_store::{kpi_month, RollupRow};
use utoipa::ToSchema;

/// The longest period one report covers, in days (`from` and `to` included).
pub const MAX_DAYS: i64 = 3 * 366;
/// The period when none is given: the last 30 days, today included.
const DEFAULT_DAYS: i64 = 30;

/// What to report on. Days are the entity's local days (its SLA calendar's time zone); a
/// case counts in the period of the day it was received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiQuery {
    /// An entity's code. `None`: the caller's entity; for an installation-wide administrator,
    /// every entity (one group per entity with `group_by=entity`, else one total).
    pub entity: Option<String>,
    /// First day, included; by default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; by default today.
    pub to: Option<NaiveDate>,
    /// `None`: one group, the entity's (or the installation's) total.
    pub group_by: Option<KpiGroupBy>,
}

fn date(value: Option<&str>, field: &'static str) -> Result<Option<NaiveDate>, Invalid> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .filter(|_| v.len() == 10)
                .ok_or_else(|| Invalid::new("invalid_date", field, "expected a date YYYY-MM-DD"))
        })
        .transpose()
}

impl KpiQuery {
    /// A query from its text form (a query string's parameters), refusing bad dates,
    /// periods and groupings with the field at fault.
    pub fn parse(
        entity: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        group_by: Option<&str>,
    ) -> Result<Self, Invalid> {
        let entity = entity.filter(|e| !e.is_empty());
        if entity.is_some_and(|e| e.len() > 64) {
            return Err(Invalid::new(
                "too_long",
                "entity",
                "an entity code is at most 64 characters",
            ));
        }
        let query = Self {
            entity: entity.map(str::to_owned),
            from: date(from, "from")?,
            to: date(to, "to")?,
            group_by: group_by.filter(|g| !g.is_empty()).map(KpiGroupBy::parse).transpose()?,
        };
        if let (Some(from), Some(to)) = (query.from, query.to) {
            check_period(from, to)?;
        }
        Ok(query)
    }

    /// The period, with the defaults filled in from `today`.
    pub fn period(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Invalid> {
        let to = self.to.unwrap_or(today);
        let from = self.from.unwrap_or(to - chrono::Days::new((DEFAULT_DAYS - 1) as u64));
        check_period(from, to)?;
        Ok((from, to))
    }
}

/// The first days of the first and the last whole months of `from..=to`; `None` (or the
/// first after the last) when there are none.
pub(crate) fn whole_months(from: NaiveDate, to: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
    use chrono::Datelike;
    let first = if from.day() == 1 {
        Some(from)
    } else {
        from.with_day(1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
    };
    let last = if to.succ_opt().is_some_and(|next| next.day() == 1) {
        to.with_day(1)
    } else {
        to.with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(1)))
    };
    (first, last)
}

fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), Invalid> {
    if from > to {
        return Err(Invalid::new("invalid_period", "from", "from must not be after to"));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(Invalid::new(
            "invalid_period",
            "to",
            format!("a report covers at most {MAX_DAYS} days"),
        ));
    }
    Ok(())
}

/// The figures of a period, group by group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiReport {
    /// First day, `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub to: NaiveDate,
    /// When the figures were last brought up to date (RFC 3339).
    pub updated_at: String,
    pub groups: Vec<KpiGroup>,
}

/// One group's figures. `group` names it: `{"entity": "MUN"}` for an entity's total, and with
/// `group_by` the dimension too, e.g. `{"entity": "MUN", "department": "ROADS"}` (a department
/// code, a staff username, a service code, a channel, a kind, an area's id, a language), its
/// value `null` for cases without one (no department yet, no area). The installation-wide
/// total has `{"entity": null}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiGroup {
    pub group: BTreeMap<String, Option<String>>,
    pub kpis: Vec<KpiValue>,
}

/// One KPI of a group (keys in the README, "KPI keys").
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiValue {
    pub key: String,
    /// `null` when there is nothing to measure (no case answered yet, no rating).
    pub value: Option<f64>,
    pub unit: KpiUnit,
    /// The entity's target (the default target for a total over every entity); `null` when
    /// the KPI has none.
    pub target: Option<f64>,
    /// `null` without a value or a target.
    pub state: Option<KpiState>,
}

/// Which dimension of the rollups a grouping reads.
fn dimension(group_by: Option<KpiGroupBy>) -> &'static str {
    group_by.map_or("entity", KpiGroupBy::as_str)
}

/// The dimensions whose members are ids shown by a code.
fn labelled(dimension: &str) -> bool {
    matches!(dimension, "department" | "employee" | "service")
}

type GroupKey = (Option<i64>, Option<String>);

impl App {
    /// The entity a caller asks about (`None`: every entity), checked against what they may read.
    fn kpi_scope(user: &StaffUser, config: &WorkflowConfig, entity: Option<&str>) -> Outcome<Option<i64>> {
        let scope = match entity {
            Some(code) => Some(
                config
                    .entities
                    .values()
                    .find(|e| e.code == code)
                    .ok_or_else(|| Invalid::new("unknown_entity", "entity", format!("no entity {code:?}")))?
                    .id,
            ),
            None => user.entity_id,
        };
        user.require(Permission::ViewKpis, scope)?;
        Ok(scope)
    }

    /// The KPIs of `query` for staff who may read them: supervisors, administrators and the
    /// satisfaction unit of their own entity; an installation-wide administrator of any.
    pub async fn kpis(&self, caller: &Caller, query: KpiQuery) -> KpisResult<KpiReport> {
        let (config, scope, from, to) = self.kpi_request(caller, &query, false).await?;
        self.kpi_report(&config, scope, from, to, query.group_by).await
    }

    /// Several reports and a series at once, as one page shows them: the marks are folded
    /// once, then every report is read concurrently (each checked as `App::kpis` and
    /// `App::kpi_series` check theirs).
    pub async fn kpi_page(
        &self,
        caller: &Caller,
        queries: Vec<KpiQuery>,
        series: Option<(KpiQuery, KpiStep)>,
    ) -> KpisResult<(Vec<KpiReport>, Option<KpiSeries>)> {
        let mut checked = Vec::with_capacity(queries.len());
        for query in &queries {
            checked.push((self.kpi_request(caller, query, false).await?, query.group_by));
        }
        let series = match series {
            Some((query, step)) => Some((self.kpi_request(caller, &query, true).await?, step)),
            None => None,
        };
        self.fold_kpis(&|_| {}).await?;
        let reports = futures::future::try_join_all(
            checked
                .iter()
                .map(|((config, scope, from, to), group_by)| self.read_report(config, *scope, *from, *to, *group_by)),
        );
        let series = async {
            match &series {
                Some(((config, scope, from, to), step)) => {
                    self.read_series(config, *scope, *from, *to, *step).await.map(Some)
                }
                None => Ok(None),
            }
        };
        Ok(tokio::try_join!(reports, series)?)
    }

    /// The caller's request checked: staff who may read the entity's KPIs, a period that
    /// can be reported on, and (for a series) no grouping.
    pub(crate) async fn kpi_request(
        &self,
        caller: &Caller,
        query: &KpiQuery,
        series: bool,
    ) -> KpisResult<(Arc<WorkflowConfig>, Option<i64>, NaiveDate, NaiveDate)> {
        let user = match caller {
            Caller::Staff(user) => user,
            Caller::Anonymous => return Err(Failure::Unauthenticated.into()),
            _ => return Err(Failure::Forbidden("KPIs are for staff".into()).into()),
        };
        if series && query.group_by.is_some() {
            return Err(Failure::from(Invalid::new(
                "invalid_group_by",
                "group_by",
                "a series is of one total, without a grouping",
            ))
            .into());
        }
        let config = self.workflow().await?;
        let scope = Self::kpi_scope(user, &config, query.entity.as_deref())?;
        let (from, to) = query.period(today_of(&config, scope, self.now_micros()))?;
        Ok((config, scope, from, to))
    }

    /// The period `query` asks of the caller, its defaults filled in from today in the days
    /// the figures count in (refused as the report would be).
    pub async fn kpi_period(&self, caller: &Caller, query: &KpiQuery) -> KpisResult<(NaiveDate, NaiveDate)> {
        let (_, _, from, to) = self.kpi_request(caller, query, false).await?;
        Ok((from, to))
    }

    /// Today in the days an entity's figures count in (`None`: every entity together).
    pub async fn kpi_today(&self, entity_id: Option<i64>) -> Outcome<NaiveDate> {
        Ok(today_of(&*self.workflow().await?, entity_id, self.now_micros()))
    }

    /// The report of an entity (`None`: every entity) over a checked period, for whoever the
    /// caller has been found allowed to read it.
    pub(crate) async fn kpi_report(
        &self,
        config: &WorkflowConfig,
        scope: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
        group_by: Option<KpiGroupBy>,
    ) -> KpisResult<KpiReport> {
        self.fold_kpis(&|_| {}).await?;
        self.read_report(config, scope, from, to, group_by).await
    }

    /// The rollups of `from..=to`: its whole months from the monthly rows, the days before
    /// the first and after the last from the daily ones (read side by side).
    async fn rollups(
        &self,
        dimension: &'static str,
        scope: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> KpisResult<Vec<RollupRow>> {
        let (first, last) = whole_months(from, to);
        let store = &self.store;
        let days = |a: NaiveDate, b: NaiveDate| async move {
            if a > b {
                return Ok(vec![]);
            }
            store
                .kpi_rollups(dimension, scope, fold::day_number(a), fold::day_number(b))
                .await
        };
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(days(from, to).await?);
        };
        if first > last {
            return Ok(days(from, to).await?);
        }
        let before_end = first.pred_opt().unwrap_or(first);
        let after_start = last.checked_add_months(chrono::Months::new(1)).unwrap_or(last);
        let months = store.kpi_month_rollups(
            dimension,
            scope,
            kpi_month(fold::day_number(first)),
            kpi_month(fold::day_number(last)),
        );
        let (mut before, whole, after) = tokio::try_join!(days(from, before_end), months, days(after_start, to))?;
        before.extend(whole);
        before.extend(after);
        Ok(before)
    }

    /// The report from the rollups as they stand (folded by the caller).
    pub(crate) async fn read_report(
        &self,
        config: &WorkflowConfig,
        scope: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
        group_by: Option<KpiGroupBy>,
    ) -> KpisResult<KpiReport> {
        let dimension = dimension(group_by);
        // Without a grouping, the installation-wide report is one total over every entity.
        let per_entity = scope.is_some() || group_by.is_some();
        let key = |entity_id: i64, member: Option<String>| -> GroupKey {
            (per_entity.then_some(entity_id), member.filter(|m| !m.is_empty()))
        };
        let mut groups: BTreeMap<GroupKey, (Figures, Backlog)> = BTreeMap::new();
        for row in self.rollups(dimension, scope, from, to).await? {
            let figures: Figures = serde_json::from_str(&row.figures).map_err(anyhow::Error::from)?;
            let member = (dimension != "entity").then_some(row.member);
            groups
                .entry(key(row.entity_id, member))
                .or_default()
                .0
                .merge(&figures, 1);
        }
        for row in self.store.kpi_backlog(dimension, scope, self.now_micros()).await? {
            let backlog = &mut groups.entry(key(row.entity_id, row.member)).or_default().1;
            for (i, n) in [row.under_1d, row.d1_3, row.d3_7, row.d7_30, row.over_30d]
                .into_iter()
                .enumerate()
            {
                backlog.0[i] += n;
            }
        }
        // Every entity in scope has its total, even without a case in the period.
        if dimension == "entity" {
            let entities: Vec<i64> = match scope {
                Some(id) => vec![id],
                None => config.entities.keys().copied().collect(),
            };
            for id in entities {
                groups.entry(key(id, None)).or_default();
            }
        }
        let labels: HashMap<String, String> = if labelled(dimension) {
            let ids = groups.keys().filter_map(|(_, m)| m.as_deref()?.parse().ok()).collect();
            self.store
                .kpi_labels(dimension, ids)
                .await?
                .into_iter()
                .map(|(id, code)| (id.to_string(), code))
                .collect()
        } else {
            HashMap::new()
        };
        let mut targets: HashMap<Option<i64>, Vec<KpiTargetView>> = HashMap::new();
        let mut out = Vec::with_capacity(groups.len());
        for ((entity_id, member), (figures, backlog)) in groups {
            if let std::collections::hash_map::Entry::Vacant(slot) = targets.entry(entity_id) {
                let own = match entity_id {
                    Some(id) => self.store.kpi_targets(id).await?,
                    None => vec![],
                };
                slot.insert(targets::views(&own));
            }
            let set = &targets[&entity_id];
            let mut group = BTreeMap::new();
            group.insert("entity".to_owned(), entity_id.map(|id| config.entity_code(id)));
            if dimension != "entity" {
                let shown = member.map(|m| labels.get(&m).cloned().unwrap_or(m));
                group.insert(dimension.to_owned(), shown);
            }
            out.push(KpiGroup {
                group,
                kpis: values(&figures, &backlog, set),
            });
        }
        out.sort_by(|a, b| a.group.cmp(&b.group));
        let updated_at = self.store.kpi_folded_at().await?.unwrap_or_else(|| self.now_micros());
        Ok(KpiReport {
            from,
            to,
            updated_at: from_micros(updated_at).to_rfc3339(),
            groups: out,
        })
    }
}

/// Today in the local days of `scope`'s calendar, which its figures count in; for every entity
/// together the latest of their days, so that no case received today falls after it (a UTC
/// date would leave out the evening's cases east of Greenwich, the morning's west of it).
fn today_of(config: &WorkflowConfig, scope: Option<i64>, now: i64) -> NaiveDate {
    let local = |id: Option<i64>| config.calendar_of(id).local_date(now);
    match scope {
        Some(id) => local(Some(id)),
        None => config
            .entities
            .values()
            .map(|e| local(Some(e.id)))
            .fold(local(None), NaiveDate::max),
    }
}

/// Every KPI of the catalogue measured on `figures` and `backlog`, with its target and state
/// from `set` (one target per KPI, in the catalogue's order).
pub(crate) fn values(figures: &Figures, backlog: &Backlog, set: &[KpiTargetView]) -> Vec<KpiValue> {
    kpi::evaluate(figures, backlog)
        .into_iter()
        .zip(set)
        .map(|((def, value), target)| KpiValue {
            key: def.key.to_owned(),
            value,
            unit: def.unit,
            target: target.target,
            state: kpi::state(def, value, target.target, target.margin),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("as written in the test")
    }

    #[test]
    fn whole_months_are_those_inside_the_period() {
        for (from, to, first, last) in [
            ("2026-03-01", "2026-03-31", Some("2026-03-01"), Some("2026-03-01")),
            ("2026-02-20", "2026-04-05", Some("2026-03-01"), Some("2026-03-01")),
            ("2025-12-06", "2026-12-05", Some("2026-01-01"), Some("2026-11-01")),
            ("2024-01-01", "2026-12-31", Some("2024-01-01"), Some("2026-12-01")),
            ("2026-02-01", "2026-02-28", Some("2026-02-01"), Some("2026-02-01")),
            ("2026-02-02", "2026-02-28", Some("2026-03-01"), Some("2026-02-01")),
        ] {
            let (f, l) = whole_months(d(from), d(to));
            assert_eq!((f, l), (first.map(d), last.map(d)), "{from}..{to}");
        }
    }
}
