//! KPIs an entity missed, each told to its administrators once per period.

use crate::{OutboxInsert, Store, StoreResult};

#[derive(Debug, Clone)]
pub struct KpiAlertInsert {
    pub entity_id: i64,
    pub key: String,
    /// The period judged, e.g. `2026-11` for a month.
    pub period: String,
    pub value: f64,
    pub target: f64,
    pub created_at: i64,
    /// The notices to the entity's administrators, sent only with the alert's first record.
    pub notices: Vec<OutboxInsert>,
}

for_both_backends! {
    uses { jobs: insert_outbox; }

    pub async fn record_kpi_alert(c: &mut Conn, a: KpiAlertInsert) -> StoreResult<bool> {
        let written = sqlx::query(
            "INSERT INTO kpi_alerts (entity_id, key, period, value, target, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entity_id, key, period) DO NOTHING",
        )
        .bind(a.entity_id).bind(&a.key).bind(&a.period).bind(a.value).bind(a.target).bind(a.created_at)
        .execute(&mut *c).await?
        .rows_affected();
        if written == 0 {
            return Ok(false);
        }
        for notice in &a.notices {
            insert_outbox(c, notice).await?;
        }
        Ok(true)
    }

    pub async fn kpi_alerts_of(c: &mut Conn, entity_id: i64) -> StoreResult<Vec<(String, String, f64, f64)>> {
        Ok(sqlx::query_as("SELECT key, period, value, target FROM kpi_alerts WHERE entity_id = $1 ORDER BY period, key")
            .bind(entity_id).fetch_all(&mut *c).await?)
    }
}

impl Store {
    /// Records that the entity missed a KPI over a period and enqueues its notices with it;
    /// `false`, and nothing sent, when it was recorded already.
    pub async fn record_kpi_alert(&self, alert: KpiAlertInsert) -> StoreResult<bool> {
        write_op!(self, record_kpi_alert, alert)
    }

    /// An entity's alerts as (key, period, value, target), oldest period first.
    pub async fn kpi_alerts_of(&self, entity_id: i64) -> StoreResult<Vec<(String, String, f64, f64)>> {
        read_op!(self, kpi_alerts_of, entity_id)
    }
}
