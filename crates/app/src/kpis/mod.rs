//! KPIs: the figures of an entity's service over a period (volume, response and resolution
//! times, SLA and OLA compliance, backlog, reopenings, confirmed resolution, ratings…), each
//! against the entity's target; the targets' administration; the rebuild of the figures.
//!
//! Figures are kept incrementally: every change of a case marks it (migration 0021's
//! triggers), and the marked cases are folded into per-day rollups before each read and by
//! the job runner (`fold.rs`); `tawasul kpi rebuild` recomputes them all from the events.

pub mod alerts;
mod fold;
pub mod public;
pub mod report;
pub mod series;
pub mod targets;

use crate::error::{embeds_failure, Failure};
use tawasul_store::StoreError;

pub use public::{PublicFigures, MIN_PUBLIC_GROUP, PUBLIC_KPIS};
pub use report::{KpiGroup, KpiQuery, KpiReport, KpiValue, MAX_DAYS};
pub use series::{steps, KpiPoint, KpiSeries, KpiStep};
pub use targets::{KpiTargetRequest, KpiTargetView};
pub use tawasul_domain::kpi::{KpiDef, KPIS};
pub use tawasul_domain::vocab::{KpiGroupBy, KpiState, KpiUnit};

/// Why a KPI use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum KpisError {
    #[error(transparent)]
    Common(#[from] Failure),
}

pub type KpisResult<T> = Result<T, KpisError>;

embeds_failure!(KpisError);

impl From<StoreError> for KpisError {
    fn from(e: StoreError) -> Self {
        KpisError::Common(e.into())
    }
}
