//! The public transparency page's figures: per entity, service and area, the volumes, the
//! median response and resolution times, the share within target, confirmed resolution and
//! satisfaction, for anyone. Nothing personal is in them: counts and medians of whole groups,
//! areas rather than points, and a group too small to hide the residents in it
//! (`MIN_PUBLIC_GROUP` cases) is left out of the breakdowns.

use crate::kpis::report::{KpiGroup, KpiReport};
use crate::kpis::KpisResult;
use crate::App;
use chrono::NaiveDate;
use tawasul_domain::vocab::KpiGroupBy;

/// The KPIs shown to the public.
pub const PUBLIC_KPIS: &[&str] = &[
    "volume",
    "first_response_business_median",
    "resolution_business_median",
    "within_sla",
    "confirmed_resolution_rate",
    "quality_mean",
    "surveys",
];

/// Fewer cases than this in a service or an area of the period, and it is not shown apart.
pub const MIN_PUBLIC_GROUP: f64 = 5.0;

/// The public figures of a period.
#[derive(Debug, Clone)]
pub struct PublicFigures {
    /// One group per entity.
    pub entities: KpiReport,
    /// One group per entity and service.
    pub services: KpiReport,
    /// One group per entity and routing area (the area's id).
    pub areas: KpiReport,
}

fn public(mut report: KpiReport, breakdown: bool) -> KpiReport {
    let volume = |g: &KpiGroup| {
        g.kpis
            .iter()
            .find(|k| k.key == "volume")
            .and_then(|k| k.value)
            .unwrap_or(0.0)
    };
    if breakdown {
        report.groups.retain(|g| volume(g) >= MIN_PUBLIC_GROUP);
    }
    for group in &mut report.groups {
        group.kpis.retain(|k| PUBLIC_KPIS.contains(&k.key.as_str()));
    }
    report
}

impl App {
    /// What the public transparency page shows for `from`–`to` (days included).
    pub async fn public_kpis(&self, from: NaiveDate, to: NaiveDate) -> KpisResult<PublicFigures> {
        let config = self.workflow().await?;
        let report = |group_by| self.kpi_report(&config, None, from, to, Some(group_by));
        Ok(PublicFigures {
            entities: public(report(KpiGroupBy::Entity).await?, false),
            services: public(report(KpiGroupBy::Service).await?, true),
            areas: public(report(KpiGroupBy::Area).await?, true),
        })
    }
}
