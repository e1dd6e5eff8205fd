//! Breaches told: when an entity misses a KPI's target over a month, its administrators are
//! told once, by e-mail, whichever node notices it first. The job runner looks at the last
//! complete month a few times a day; `kpi_alerts` remembers what was told.

use crate::error::Outcome;
use crate::kpis::KpisError;
use crate::App;
use chrono::{Datelike, Months, NaiveDate};
use tawasul_domain::vocab::{KpiState, OutboundChannel, Role};
use tawasul_store::{KpiAlertInsert, OutboxInsert};

/// The first and last day of the month before the one `today` is in.
pub fn last_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let this_month = today.with_day(1).unwrap_or(today);
    let first = this_month.checked_sub_months(Months::new(1)).unwrap_or(this_month);
    (first, this_month.pred_opt().unwrap_or(this_month))
}

impl App {
    /// Tells each entity's administrators of every KPI it missed last month, once; returns
    /// how many breaches were newly told.
    pub async fn alert_missed_kpis(&self) -> Outcome<usize> {
        let config = self.workflow().await?;
        let (from, to) = last_month(self.kpi_today(None).await?);
        let period = from.format("%Y-%m").to_string();
        let now = self.now_micros();
        let mut told = 0;
        let mut entities: Vec<_> = config.entities.values().collect();
        entities.sort_by_key(|e| e.id);
        for entity in entities {
            let report = self
                .kpi_report(&config, Some(entity.id), from, to, None)
                .await
                .map_err(|e| match e {
                    KpisError::Common(failure) => failure,
                })?;
            let Some(group) = report.groups.first() else { continue };
            let missed: Vec<_> = group
                .kpis
                .iter()
                .filter(|k| k.state == Some(KpiState::Missed))
                .filter_map(|k| Some((k, k.value?, k.target?)))
                .collect();
            if missed.is_empty() {
                continue;
            }
            let admins = self.store.staff_to_notify(entity.id, vec![Role::Admin], None).await?;
            for (kpi, value, target) in missed {
                let payload = serde_json::json!({
                    "entity_ar": entity.name_ar, "entity_en": entity.name_en, "kpi": kpi.key,
                    "value": format!("{value:.1}"), "target": format!("{target:.1}"), "period": period,
                });
                let notices = admins
                    .iter()
                    .filter_map(|a| a.email.clone())
                    .map(|email| OutboxInsert {
                        channel: OutboundChannel::Email.as_str().into(),
                        recipient: email,
                        template: "kpi_missed".into(),
                        language: "ar".into(),
                        payload: payload.to_string(),
                        secret: None,
                        created_at: now,
                    })
                    .collect();
                let alert = KpiAlertInsert {
                    entity_id: entity.id,
                    key: kpi.key.clone(),
                    period: period.clone(),
                    value,
                    target,
                    created_at: now,
                    notices,
                };
                if self.store.record_kpi_alert(alert).await? {
                    told += 1;
                }
            }
        }
        Ok(told)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_month_is_the_whole_month_before() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
        assert_eq!(last_month(d("2026-12-05")), (d("2026-11-01"), d("2026-11-30")));
        assert_eq!(last_month(d("2026-03-01")), (d("2026-02-01"), d("2026-02-28")));
        assert_eq!(last_month(d("2027-01-31")), (d("2026-12-01"), d("2026-12-31")));
    }
}
