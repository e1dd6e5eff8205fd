//! Bringing the KPI rollups up to date: the marked cases' facts computed again (the domain's
//! `kpi::facts` on each case's timeline and its entity's SLA terms) and folded in, before
//! each report and by the job runner; and `tawasul kpi rebuild`, which marks every case.

use crate::error::Outcome;
use crate::workflow::config::WorkflowConfig;
use crate::App;
use chrono::NaiveDate;
use std::sync::Arc;
use tawasul_domain::kpi::{self, CaseHistory, TimelineEvent};
use tawasul_store::{KpiCompute, KpiFacts, KpiSource};

/// Marks folded per transaction: small enough not to hold SQLite's writer for long.
const BATCH: i64 = 500;

/// Days since 1970-01-01.
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    (date - NaiveDate::default()).num_days()
}

fn compute(config: &WorkflowConfig, source: &KpiSource) -> KpiFacts {
    let case = &source.case;
    let terms = config.terms(case.entity_id, case.service_id, case.priority);
    let events: Vec<TimelineEvent> = source
        .events
        .iter()
        .map(|e| TimelineEvent {
            at: e.at,
            actor_type: e.actor_type.clone(),
            action: e.action.clone(),
            from_status: e.from_status,
            to_status: e.to_status,
            details: e.details.clone(),
        })
        .collect();
    let facts = kpi::facts(
        &CaseHistory {
            created_at: case.created_at,
            status: case.status,
            events: &events,
            olas: &source.olas,
            agent_scores: &source.agent_scores,
        },
        &terms,
    );
    KpiFacts {
        day: day_number(terms.calendar.local_date(case.created_at)),
        facts: serde_json::to_string(&facts).unwrap_or_default(),
        contribution: kpi::contribution(&facts),
    }
}

impl App {
    async fn kpi_compute(&self) -> Outcome<KpiCompute> {
        let config = self.workflow().await?;
        Ok(Arc::new(move |source: &KpiSource| compute(&config, source)))
    }

    /// Folds every marked case into the rollups; `progress` hears how many marks each batch took.
    pub(crate) async fn fold_kpis(&self, progress: &(dyn Fn(u64) + Sync)) -> Outcome<u64> {
        let compute = self.kpi_compute().await?;
        let mut total = 0;
        loop {
            let taken = self.store.fold_kpis(BATCH, compute.clone(), self.now_micros()).await?;
            total += taken;
            if taken > 0 {
                progress(taken);
            }
            // A short batch took every mark there was: marks made meanwhile wait for the next fold.
            if taken < BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Forgets every figure and computes them all again from the events (`Operator::rebuild_kpis`).
    pub(crate) async fn rebuild_kpis(
        &self,
        start: &(dyn Fn(u64) + Sync),
        progress: &(dyn Fn(u64) + Sync),
    ) -> Outcome<u64> {
        let marked = self.store.reset_kpis().await?;
        start(marked as u64);
        self.fold_kpis(progress).await
    }
}
