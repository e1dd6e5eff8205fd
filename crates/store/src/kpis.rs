//! The KPI engine's tables (migration 0021): each case's facts, the daily rollups per entity,
//! dimension and member (and, migration 0024, the monthly ones beside them, kept by the same
//! fold), the marks of cases to fold again, and the entities' targets.
//!
//! Folding runs in one transaction per batch of marks: it reads the marked cases with their
//! timelines, has the caller compute each one's facts (`KpiCompute`, pure), takes each case's
//! old contribution out of the rollups it was added to and adds the new one, and deletes the
//! marks it read. Marks made meanwhile stay for the next fold.

use crate::cases::{EventRow, ENDED};
use crate::{Store, StoreResult};
use std::collections::BTreeMap;
use std::sync::Arc;
use tawasul_domain::kpi::Figures;
use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Status};

/// The dimensions of the rollups, with the column of `cases` (and `kpi_facts`) each reads.
pub const KPI_DIMENSIONS: &[(&str, &str)] = &[
    ("entity", "''"),
    ("department", "department_id"),
    ("employee", "assignee_id"),
    ("service", "service_id"),
    ("channel", "channel"),
    ("kind", "kind"),
    ("area", "area_id"),
    ("language", "language"),
];

fn column(dimension: &str) -> Option<&'static str> {
    KPI_DIMENSIONS.iter().find(|(d, _)| *d == dimension).map(|(_, c)| *c)
}

/// A marked case as folding reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KpiCaseRow {
    pub id: i64,
    pub entity_id: i64,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub service_id: i64,
    pub channel: Channel,
    pub kind: Kind,
    pub area_id: Option<i64>,
    pub language: Language,
    pub status: Status,
    pub priority: Priority,
    pub created_at: i64,
}

/// What a case's facts are computed from.
#[derive(Debug, Clone)]
pub struct KpiSource {
    pub case: KpiCaseRow,
    /// Oldest first.
    pub events: Vec<EventRow>,
    /// Transfers under an OLA: (accept due, decided at).
    pub olas: Vec<(i64, Option<i64>)>,
    pub agent_scores: Vec<i64>,
}

/// A case's facts as computed, to be written with its contribution.
#[derive(Debug, Clone)]
pub struct KpiFacts {
    /// Days since 1970-01-01 of the local date the case was received on.
    pub day: i64,
    /// `CaseFacts` as JSON.
    pub facts: String,
    pub contribution: Figures,
}

/// Computes a marked case's facts (pure: it runs inside the fold's transaction).
pub type KpiCompute = Arc<dyn Fn(&KpiSource) -> KpiFacts + Send + Sync>;

#[derive(Debug, Clone, sqlx::FromRow)]
struct FactsRow {
    case_id: i64,
    entity_id: i64,
    day: i64,
    department_id: Option<i64>,
    assignee_id: Option<i64>,
    service_id: i64,
    channel: String,
    kind: String,
    area_id: Option<i64>,
    language: String,
    contribution: String,
}

impl FactsRow {
    /// The member of each dimension the case counts under ('' for none).
    fn members(&self) -> [(&'static str, String); 8] {
        let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        [
            ("entity", String::new()),
            ("department", id(self.department_id)),
            ("employee", id(self.assignee_id)),
            ("service", self.service_id.to_string()),
            ("channel", self.channel.clone()),
            ("kind", self.kind.clone()),
            ("area", id(self.area_id)),
            ("language", self.language.clone()),
        ]
    }
}

/// An entity's own target of one KPI.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KpiTargetRow {
    pub key: String,
    pub target: f64,
    pub margin: f64,
}

/// The open cases of one member by age (the domain's `Backlog` buckets).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BacklogRow {
    pub entity_id: i64,
    pub member: Option<String>,
    pub under_1d: i64,
    pub d1_3: i64,
    pub d3_7: i64,
    pub d7_30: i64,
    pub over_30d: i64,
}

/// One day's figures of one member, as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RollupRow {
    pub entity_id: i64,
    pub member: String,
    pub figures: String,
}

/// One month's total figures of one entity, as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RollupMonthRow {
    /// Months since January 1970 ([`kpi_month`]).
    pub month: i64,
    pub figures: String,
}

/// One day's total figures of one entity, as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RollupDayRow {
    /// Days since 1970-01-01.
    pub day: i64,
    pub figures: String,
}

type RollupKey = (i64, &'static str, i64, String);

/// Months since January 1970 of a day (days since 1970-01-01): the key of the monthly rollups.
pub fn kpi_month(day: i64) -> i64 {
    use chrono::Datelike;
    let date = chrono::NaiveDate::default()
        .checked_add_signed(chrono::TimeDelta::days(day))
        .unwrap_or_default();
    i64::from(date.year() - 1970) * 12 + i64::from(date.month0())
}

const DAY: i64 = 86_400_000_000;

for_both_backends! {
    /// Folds the oldest `limit` marks; returns how many marks it took (0: none were left).
    pub async fn fold_kpis(c: &mut Conn, (limit, compute, at): (i64, KpiCompute, i64)) -> StoreResult<u64> {
        if let Some(lock) = dialect::KPI_FOLD_LOCK {
            sqlx::query(lock).execute(&mut *c).await?;
        }
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM (SELECT id FROM kpi_dirty ORDER BY id LIMIT $1) t")
            .bind(limit).fetch_one(&mut *c).await?;
        let Some(last) = last else { return Ok(0) };
        let marked = "SELECT case_id FROM kpi_dirty WHERE id <= $1";
        let cases: Vec<KpiCaseRow> = sqlx::query_as(&format!(
            "SELECT id, entity_id, department_id, assignee_id, service_id, channel, kind, area_id, language, status, \
             priority, created_at FROM cases WHERE id IN ({marked}) ORDER BY id"
        )).bind(last).fetch_all(&mut *c).await?;
        let mut events: BTreeMap<i64, Vec<EventRow>> = BTreeMap::new();
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT id, case_id, at, actor_type, actor_id, actor_name, action, from_status, to_status, public, body, details \
             FROM case_events WHERE case_id IN ({marked}) ORDER BY case_id, id"
        )).bind(last).fetch_all(&mut *c).await?;
        for e in rows {
            events.entry(e.case_id).or_default().push(e);
        }
        let mut olas: BTreeMap<i64, Vec<(i64, Option<i64>)>> = BTreeMap::new();
        let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT case_id, accept_due, decided_at FROM transfers WHERE accept_due IS NOT NULL AND case_id IN ({marked}) ORDER BY id"
        )).bind(last).fetch_all(&mut *c).await?;
        for (case, due, decided) in rows {
            olas.entry(case).or_default().push((due, decided));
        }
        let mut scores: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT case_id, agent_score FROM agent_ratings WHERE case_id IN ({marked}) ORDER BY id"
        )).bind(last).fetch_all(&mut *c).await?;
        for (case, score) in rows {
            scores.entry(case).or_default().push(score);
        }
        let old: Vec<FactsRow> = sqlx::query_as(&format!(
            "SELECT case_id, entity_id, day, department_id, assignee_id, service_id, channel, kind, area_id, language, \
             contribution FROM kpi_facts WHERE case_id IN ({marked})"
        )).bind(last).fetch_all(&mut *c).await?;
        let mut deltas: BTreeMap<RollupKey, Figures> = BTreeMap::new();
        let mut add = |row: &FactsRow, figures: &Figures, sign: i64| {
            for (dimension, member) in row.members() {
                deltas.entry((row.entity_id, dimension, row.day, member)).or_default().merge(figures, sign);
            }
        };
        for row in &old {
            let figures: Figures = serde_json::from_str(&row.contribution).unwrap_or_default();
            add(row, &figures, -1);
        }
        for case in cases {
            let source = KpiSource {
                events: events.remove(&case.id).unwrap_or_default(),
                olas: olas.remove(&case.id).unwrap_or_default(),
                agent_scores: scores.remove(&case.id).unwrap_or_default(),
                case,
            };
            let computed = compute(&source);
            let case = source.case;
            let row = FactsRow {
                case_id: case.id,
                entity_id: case.entity_id,
                day: computed.day,
                department_id: case.department_id,
                assignee_id: case.assignee_id,
                service_id: case.service_id,
                channel: case.channel.as_str().to_owned(),
                kind: case.kind.as_str().to_owned(),
                area_id: case.area_id,
                language: case.language.as_str().to_owned(),
                contribution: serde_json::to_string(&computed.contribution).unwrap_or_default(),
            };
            add(&row, &computed.contribution, 1);
            sqlx::query(
                "INSERT INTO kpi_facts (case_id, entity_id, day, department_id, assignee_id, service_id, channel, kind, \
                 area_id, language, facts, contribution) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (case_id) DO UPDATE SET entity_id = excluded.entity_id, day = excluded.day, \
                 department_id = excluded.department_id, assignee_id = excluded.assignee_id, \
                 service_id = excluded.service_id, channel = excluded.channel, kind = excluded.kind, \
                 area_id = excluded.area_id, language = excluded.language, facts = excluded.facts, \
                 contribution = excluded.contribution",
            )
            .bind(row.case_id).bind(row.entity_id).bind(row.day).bind(row.department_id).bind(row.assignee_id)
            .bind(row.service_id).bind(&row.channel).bind(&row.kind).bind(row.area_id).bind(&row.language)
            .bind(&computed.facts).bind(&row.contribution)
            .execute(&mut *c).await?;
        }
        // The same changes by month, for the monthly rollups beside the daily ones.
        let mut months: BTreeMap<RollupKey, Figures> = BTreeMap::new();
        for ((entity, dimension, day, member), delta) in &deltas {
            months.entry((*entity, dimension, kpi_month(*day), member.clone())).or_default().merge(delta, 1);
        }
        for (table, period, changes) in [("kpi_rollups", "day", deltas), ("kpi_month_rollups", "month", months)] {
            for ((entity, dimension, at, member), delta) in changes {
                if delta.is_empty() {
                    continue;
                }
                let stored: Option<String> = sqlx::query_scalar(&format!(
                    "SELECT figures FROM {table} WHERE entity_id = $1 AND dimension = $2 AND {period} = $3 AND member = $4",
                )).bind(entity).bind(dimension).bind(at).bind(&member).fetch_optional(&mut *c).await?;
                let mut figures: Figures = stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
                figures.merge(&delta, 1);
                if figures.is_empty() {
                    sqlx::query(&format!("DELETE FROM {table} WHERE entity_id = $1 AND dimension = $2 AND {period} = $3 AND member = $4"))
                        .bind(entity).bind(dimension).bind(at).bind(&member).execute(&mut *c).await?;
                } else {
                    sqlx::query(&format!(
                        "INSERT INTO {table} (entity_id, dimension, {period}, member, figures) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (entity_id, dimension, {period}, member) DO UPDATE SET figures = excluded.figures",
                    ))
                    .bind(entity).bind(dimension).bind(at).bind(&member)
                    .bind(serde_json::to_string(&figures).unwrap_or_default())
                    .execute(&mut *c).await?;
                }
            }
        }
        let taken = sqlx::query("DELETE FROM kpi_dirty WHERE id <= $1").bind(last).execute(&mut *c).await?.rows_affected();
        sqlx::query("INSERT INTO kpi_folded (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at")
            .bind(at).execute(&mut *c).await?;
        Ok(taken)
    }

    pub async fn kpi_marks(c: &mut Conn, _: ()) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM kpi_dirty").fetch_one(&mut *c).await?)
    }

    /// Forgets every fact and rollup and marks every case: the next folds compute them all again.
    pub async fn reset_kpis(c: &mut Conn, _: ()) -> StoreResult<i64> {
        if let Some(lock) = dialect::KPI_FOLD_LOCK {
            sqlx::query(lock).execute(&mut *c).await?;
        }
        for table in ["kpi_facts", "kpi_rollups", "kpi_month_rollups", "kpi_dirty"] {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *c).await?;
        }
        Ok(sqlx::query("INSERT INTO kpi_dirty (case_id) SELECT id FROM cases ORDER BY id").execute(&mut *c).await?.rows_affected() as i64)
    }

    pub async fn kpi_folded_at(c: &mut Conn, _: ()) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT at FROM kpi_folded WHERE id = 1").fetch_optional(&mut *c).await?)
    }

    /// The daily figures of `dimension` from `from` to `to` (days, included), of one entity or all.
    pub async fn kpi_rollups(c: &mut Conn, (dimension, entity, from, to): (&'static str, Option<i64>, i64, i64)) -> StoreResult<Vec<RollupRow>> {
        let by_entity = if entity.is_some() { "entity_id = $4 AND " } else { "$4 IS NULL AND " };
        Ok(sqlx::query_as(&format!(
            "SELECT entity_id, member, figures FROM kpi_rollups WHERE {by_entity}dimension = $1 AND day >= $2 AND day <= $3"
        ))
        .bind(dimension).bind(from).bind(to).bind(entity)
        .fetch_all(&mut *c).await?)
    }

    /// The monthly figures of `dimension` from month `from` to `to` (months since January
    /// 1970, included), of one entity or all.
    pub async fn kpi_month_rollups(c: &mut Conn, (dimension, entity, from, to): (&'static str, Option<i64>, i64, i64)) -> StoreResult<Vec<RollupRow>> {
        let by_entity = if entity.is_some() { "entity_id = $4 AND " } else { "$4 IS NULL AND " };
        Ok(sqlx::query_as(&format!(
            "SELECT entity_id, member, figures FROM kpi_month_rollups WHERE {by_entity}dimension = $1 AND month >= $2 AND month <= $3"
        ))
        .bind(dimension).bind(from).bind(to).bind(entity)
        .fetch_all(&mut *c).await?)
    }

    /// The daily totals (dimension `entity`) from `from` to `to` (days, included), day by day,
    /// of one entity or all (one row per entity and day): what a time series reads.
    pub async fn kpi_rollup_days(c: &mut Conn, (entity, from, to): (Option<i64>, i64, i64)) -> StoreResult<Vec<RollupDayRow>> {
        let by_entity = if entity.is_some() { "entity_id = $3 AND " } else { "$3 IS NULL AND " };
        Ok(sqlx::query_as(&format!(
            "SELECT day, figures FROM kpi_rollups WHERE {by_entity}dimension = 'entity' AND day >= $1 AND day <= $2 ORDER BY day"
        ))
        .bind(from).bind(to).bind(entity)
        .fetch_all(&mut *c).await?)
    }

    /// The monthly totals (dimension `entity`) from month `from` to `to` (months since January
    /// 1970, included), month by month, of one entity or all: what a monthly series reads for
    /// its whole months.
    pub async fn kpi_rollup_months(c: &mut Conn, (entity, from, to): (Option<i64>, i64, i64)) -> StoreResult<Vec<RollupMonthRow>> {
        let by_entity = if entity.is_some() { "entity_id = $3 AND " } else { "$3 IS NULL AND " };
        Ok(sqlx::query_as(&format!(
            "SELECT month, figures FROM kpi_month_rollups WHERE {by_entity}dimension = 'entity' AND month >= $1 AND month <= $2 ORDER BY month"
        ))
        .bind(from).bind(to).bind(entity)
        .fetch_all(&mut *c).await?)
    }

    /// The open cases by member of `dimension` and by age at `now`, read through the open-case indexes.
    pub async fn kpi_backlog(c: &mut Conn, (dimension, entity, now): (&'static str, Option<i64>, i64)) -> StoreResult<Vec<BacklogRow>> {
        let member = match column(dimension) {
            Some("''") | None => "CAST(NULL AS TEXT)".to_owned(),
            Some(col) => format!("CAST({col} AS TEXT)"),
        };
        let by_entity = if entity.is_some() { "entity_id = $5 AND " } else { "$5 IS NULL AND " };
        let older = |n: usize| format!("CAST(SUM(CASE WHEN created_at <= ${n} THEN 1 ELSE 0 END) AS BIGINT)");
        Ok(sqlx::query_as(&format!(
            "SELECT entity_id, {member} AS member, CAST(COUNT(*) AS BIGINT) - {o1} AS under_1d, {o1} - {o3} AS d1_3, \
             {o3} - {o7} AS d3_7, {o7} - {o30} AS d7_30, {o30} AS over_30d \
             FROM cases WHERE {by_entity}status NOT IN {ENDED} GROUP BY entity_id, {member}",
            o1 = older(1), o3 = older(2), o7 = older(3), o30 = older(4), member = member, by_entity = by_entity,
        ))
        .bind(now - DAY).bind(now - 3 * DAY).bind(now - 7 * DAY).bind(now - 30 * DAY).bind(entity)
        .fetch_all(&mut *c).await?)
    }

    /// Codes to show for members of `dimension` (departments, staff, services) by id.
    pub async fn kpi_labels(c: &mut Conn, (dimension, ids): (&'static str, Vec<i64>)) -> StoreResult<Vec<(i64, String)>> {
        let (table, label) = match dimension {
            "department" => ("departments", "code"),
            "employee" => ("staff_users", "username"),
            "service" => ("services", "code"),
            _ => return Ok(vec![]),
        };
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut q = sqlx::QueryBuilder::<Db>::new(format!("SELECT id, {label} FROM {table} WHERE id IN ("));
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            out.extend(q.build_query_as::<(i64, String)>().fetch_all(&mut *c).await?);
        }
        Ok(out)
    }

    pub async fn kpi_targets(c: &mut Conn, entity: i64) -> StoreResult<Vec<KpiTargetRow>> {
        Ok(sqlx::query_as("SELECT key, target, margin FROM kpi_targets WHERE entity_id = $1 ORDER BY key")
            .bind(entity).fetch_all(&mut *c).await?)
    }

    /// Sets an entity's target of `key`, or (`None`) forgets it.
    pub async fn set_kpi_target(c: &mut Conn, (entity, key, target, at): (i64, String, Option<(f64, f64)>, i64)) -> StoreResult<()> {
        match target {
            Some((target, margin)) => sqlx::query(
                "INSERT INTO kpi_targets (entity_id, key, target, margin, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (entity_id, key) DO UPDATE SET target = excluded.target, margin = excluded.margin, \
                 updated_at = excluded.updated_at",
            ).bind(entity).bind(&key).bind(target).bind(margin).bind(at).execute(&mut *c).await?,
            None => sqlx::query("DELETE FROM kpi_targets WHERE entity_id = $1 AND key = $2")
                .bind(entity).bind(&key).execute(&mut *c).await?,
        };
        Ok(())
    }
}

impl Store {
    /// Folds one batch of marked cases; returns how many marks it took (0: all folded).
    pub async fn fold_kpis(&self, limit: i64, compute: KpiCompute, at: i64) -> StoreResult<u64> {
        write_op!(self, fold_kpis, (limit, compute, at))
    }

    /// How many marks wait to be folded.
    pub async fn kpi_marks(&self) -> StoreResult<i64> {
        read_op!(self, kpi_marks, ())
    }

    /// Forgets the figures and marks every case; returns how many.
    pub async fn reset_kpis(&self) -> StoreResult<i64> {
        write_op!(self, reset_kpis, ())
    }

    pub async fn kpi_folded_at(&self) -> StoreResult<Option<i64>> {
        read_op!(self, kpi_folded_at, ())
    }

    pub async fn kpi_rollups(
        &self,
        dimension: &'static str,
        entity: Option<i64>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<RollupRow>> {
        read_op!(self, kpi_rollups, (dimension, entity, from, to))
    }

    /// The monthly figures of `dimension` over whole months (months since January 1970).
    pub async fn kpi_month_rollups(
        &self,
        dimension: &'static str,
        entity: Option<i64>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<RollupRow>> {
        read_op!(self, kpi_month_rollups, (dimension, entity, from, to))
    }

    pub async fn kpi_rollup_days(&self, entity: Option<i64>, from: i64, to: i64) -> StoreResult<Vec<RollupDayRow>> {
        read_op!(self, kpi_rollup_days, (entity, from, to))
    }

    pub async fn kpi_rollup_months(&self, entity: Option<i64>, from: i64, to: i64) -> StoreResult<Vec<RollupMonthRow>> {
        read_op!(self, kpi_rollup_months, (entity, from, to))
    }

    pub async fn kpi_backlog(
        &self,
        dimension: &'static str,
        entity: Option<i64>,
        now: i64,
    ) -> StoreResult<Vec<BacklogRow>> {
        read_op!(self, kpi_backlog, (dimension, entity, now))
    }

    pub async fn kpi_labels(&self, dimension: &'static str, ids: Vec<i64>) -> StoreResult<Vec<(i64, String)>> {
        read_op!(self, kpi_labels, (dimension, ids))
    }

    pub async fn kpi_targets(&self, entity: i64) -> StoreResult<Vec<KpiTargetRow>> {
        read_op!(self, kpi_targets, entity)
    }

    pub async fn set_kpi_target(
        &self,
        entity: i64,
        key: String,
        target: Option<(f64, f64)>,
        at: i64,
    ) -> StoreResult<()> {
        write_op!(self, set_kpi_target, (entity, key, target, at))
    }
}
