//! Each entity's target per KPI and the margin within which a miss is only "at risk".

use crate::error::{Failure, Outcome};
use crate::identity::authz::{Permission, StaffUser};
use crate::kpis::KpisResult;
use crate::workflow::config::WorkflowConfig;
use crate::App;
use serde::{Deserialize, Serialize};
use tawasul_domain::kpi::{kpi, Better, DEFAULT_MARGIN, KPIS};
use tawasul_domain::vocab::KpiUnit;
use tawasul_domain::Invalid;
use tawasul_store::KpiTargetRow;
use utoipa::ToSchema;

/// Sets one KPI's target of an entity; `target: null` goes back to the default.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiTargetRequest {
    /// The entity's code; by default the administrator's own.
    #[serde(default)]
    pub entity: Option<String>,
    /// A KPI key (README, "KPI keys") that can be judged (not `volume`, a backlog bucket or a
    /// distribution).
    pub key: String,
    /// `null`: the default target.
    pub target: Option<f64>,
    /// How far the value may fall short of the target and be "at risk" rather than missed:
    /// percentage points for a percentage, per cent of the target otherwise. Default 5.
    #[serde(default)]
    pub margin: Option<f64>,
}

/// A KPI's target as it stands for an entity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiTargetView {
    pub key: String,
    pub unit: KpiUnit,
    /// "higher", "lower", or "neither" (a figure without a target).
    pub better: String,
    pub target: Option<f64>,
    pub margin: f64,
    /// True when the entity set it; false for the default.
    pub set: bool,
}

/// Every KPI's target in the catalogue's order: the entity's own where it set one.
pub(crate) fn views(own: &[KpiTargetRow]) -> Vec<KpiTargetView> {
    KPIS.iter()
        .map(|def| {
            let set = own.iter().find(|t| t.key == def.key);
            KpiTargetView {
                key: def.key.to_owned(),
                unit: def.unit,
                better: match def.better {
                    Better::Higher => "higher",
                    Better::Lower => "lower",
                    Better::Neither => "neither",
                }
                .to_owned(),
                target: set.map(|t| t.target).or(def.default_target),
                margin: set.map_or(DEFAULT_MARGIN, |t| t.margin),
                set: set.is_some(),
            }
        })
        .collect()
}

/// The largest margin: beyond it "at risk" would mean nothing.
const MAX_MARGIN: f64 = 100.0;

impl App {
    fn target_entity(&self, user: &StaffUser, config: &WorkflowConfig, entity: Option<&str>) -> Outcome<i64> {
        match entity.filter(|e| !e.is_empty()) {
            Some(code) => config
                .entities
                .values()
                .find(|e| e.code == code)
                .map(|e| e.id)
                .ok_or_else(|| Invalid::new("unknown_entity", "entity", format!("no entity {code:?}")).into()),
            None => user
                .entity_id
                .ok_or_else(|| Invalid::new("required", "entity", "name the entity").into()),
        }
    }

    /// Every KPI's target of an entity (the caller's by default), for staff who may read KPIs.
    pub async fn kpi_targets(&self, user: &StaffUser, entity: Option<&str>) -> KpisResult<Vec<KpiTargetView>> {
        let config = self.workflow().await?;
        let entity = self.target_entity(user, &config, entity)?;
        user.require(Permission::ViewKpis, Some(entity))?;
        Ok(views(&self.store.kpi_targets(entity).await?))
    }

    /// Sets (or resets) one target: an administrator of the entity, or installation-wide.
    pub async fn set_kpi_target(&self, user: &StaffUser, request: KpiTargetRequest) -> KpisResult<KpiTargetView> {
        let config = self.workflow().await?;
        let entity = self.target_entity(user, &config, request.entity.as_deref())?;
        user.require(Permission::SetKpiTargets, Some(entity))?;
        let def = kpi(&request.key)
            .filter(|d| d.better != Better::Neither)
            .ok_or_else(|| Invalid::new("unknown_kpi", "key", "not a KPI that has a target"))?;
        let margin = request.margin.unwrap_or(DEFAULT_MARGIN);
        if !margin.is_finite() || !(0.0..=MAX_MARGIN).contains(&margin) {
            return Err(Invalid::new(
                "out_of_range",
                "margin",
                format!("a margin lies between 0 and {MAX_MARGIN}"),
            )
            .into());
        }
        if let Some(target) = request.target {
            let limit = match def.unit {
                KpiUnit::Percent => 100.0,
                KpiUnit::Score => 5.0,
                _ => 1e9,
            };
            if !target.is_finite() || !(0.0..=limit).contains(&target) {
                return Err(
                    Invalid::new("out_of_range", "target", format!("a target lies between 0 and {limit}")).into(),
                );
            }
        }
        self.store
            .set_kpi_target(
                entity,
                def.key.to_owned(),
                request.target.map(|t| (t, margin)),
                self.now_micros(),
            )
            .await?;
        let all = views(&self.store.kpi_targets(entity).await?);
        all.into_iter()
            .find(|v| v.key == def.key)
            .ok_or_else(|| Failure::Unexpected(anyhow::anyhow!("the target just set is missing")).into())
    }
}
