//! What the edges show beside cases: the catalogue, the entities and departments with their
//! names, the staff directory, and the figures of the operations endpoints. The edges read
//! these here, never from the store, so what a caller may see is decided in one place.

use crate::cases::intake::service_from_row;
use crate::error::{Failure, Outcome};
use crate::identity::authz::StaffUser;
use crate::App;
use tawasul_domain::catalogue::Service;
use tawasul_domain::service_search;
use tawasul_domain::vocab::Kind;
use tawasul_store::{DepartmentRow, EntityRow, ServiceRow, StaffRow};

/// Each exterior ring of an outline holds at most this many points: enough to recognise a
/// district on a dashboard's map, small enough that the map stays a few kilobytes.
const OUTLINE_POINTS: usize = 120;

/// A routing area's outline for a map: its exterior rings as (longitude, latitude), thinned.
#[derive(Debug, Clone)]
pub struct AreaOutline {
    pub id: i64,
    pub entity_id: i64,
    pub name: Option<String>,
    pub rings: Vec<Vec<(f64, f64)>>,
}

/// The database figures `/metrics` reports.
pub struct StoreFigures {
    pub cases_by_status: Vec<(String, i64)>,
    pub transfers: Vec<(String, i64)>,
    pub jobs: Vec<(String, String, i64)>,
}

impl App {
    /// Every routing area's number, entity and name (its outline left unread), for the
    /// queue's area filter.
    pub async fn area_names(&self) -> Outcome<Vec<tawasul_store::AreaRow>> {
        Ok(self.store.area_names().await?)
    }

    /// Every routing area's outline, for the dashboards' maps; an area whose stored geometry
    /// cannot be read is left out, as routing leaves it out.
    pub async fn area_outlines(&self) -> Outcome<Vec<AreaOutline>> {
        let rows = self.store.areas().await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let shapes = tawasul_routing::parse_areas(&row.geometry).ok()?;
                let rings = shapes
                    .iter()
                    .flat_map(|shape| shape.geometry.0.iter())
                    .map(|polygon| {
                        let points = &polygon.exterior().0;
                        let step = points.len().div_ceil(OUTLINE_POINTS).max(1);
                        points.iter().step_by(step).map(|p| (p.x, p.y)).collect()
                    })
                    .collect();
                Some(AreaOutline {
                    id: row.id,
                    entity_id: row.entity_id,
                    name: row.name,
                    rings,
                })
            })
            .collect())
    }

    /// The public service catalogue, active services in catalogue order.
    pub async fn services(&self) -> Outcome<Vec<ServiceRow>> {
        Ok(self.store.services().await?)
    }

    /// The public catalogue as the API shows it, each service with its expected times.
    pub async fn service_views(&self) -> Outcome<Vec<crate::cases::views::ServiceView>> {
        let config = self.workflow().await?;
        Ok(self
            .store
            .services()
            .await?
            .iter()
            .map(|row| crate::cases::views::ServiceView {
                expected: Some(config.expected(row.entity_id, row.id, row.default_priority)),
                ..crate::cases::views::ServiceView::from_row(row)
            })
            .collect())
    }

    /// The expected times of each active service (at its default priority), by code.
    pub async fn expected_times(
        &self,
    ) -> Outcome<std::collections::HashMap<String, crate::cases::views::ExpectedTimes>> {
        let config = self.workflow().await?;
        Ok(self
            .store
            .services()
            .await?
            .iter()
            .map(|row| {
                (
                    row.code.clone(),
                    config.expected(row.entity_id, row.id, row.default_priority),
                )
            })
            .collect())
    }

    /// A service of the catalogue with its form, by code.
    pub async fn service(&self, code: &str) -> Outcome<Option<Service>> {
        match self.store.service_by_code(code).await? {
            Some(row) => Ok(Some(service_from_row(&row)?)),
            None => Ok(None),
        }
    }

    /// The active services a resident's words point to, best match first (the catalogue's
    /// order among equals), in any language and forgiving typos; all of them for no words.
    /// Only services that take `kind`, when one is given.
    pub async fn find_services(&self, words: &str, kind: Option<Kind>) -> Outcome<Vec<Service>> {
        let mut scored = vec![];
        for row in self.store.services().await? {
            let service = service_from_row(&row)?;
            if kind.is_some_and(|k| !service.kinds.contains(&k)) {
                continue;
            }
            let score = match words.trim() {
                "" => 1,
                words => {
                    let text = [
                        &service.name_ar,
                        &service.name_en,
                        &service.description_ar,
                        &service.description_en,
                    ];
                    service_search::score(words, &text.map(String::as_str).join(" "))
                }
            };
            if score > 0 {
                scored.push((score, service));
            }
        }
        scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        Ok(scored.into_iter().map(|(_, service)| service).collect())
    }

    /// Every entity with its names: public, since residents and partners address them.
    pub async fn entities(&self) -> Outcome<Vec<EntityRow>> {
        Ok(self.store.entities().await?)
    }

    /// Every department with its names: public, as the departments that handle cases are.
    pub async fn departments(&self) -> Outcome<Vec<DepartmentRow>> {
        Ok(self.store.departments().await?)
    }

    /// The staff directory, for staff pages that show and choose colleagues by name: only a
    /// signed-in staff user, whatever their role, holds the `StaffUser` it asks for.
    pub async fn staff_directory(&self, _signed_in: &StaffUser) -> Outcome<Vec<StaffRow>> {
        Ok(self.store.staff().await?)
    }

    /// The code of the entity a reply template belongs to, when `user` may manage it.
    pub async fn reply_template_entity(&self, user: &StaffUser, id: i64) -> Outcome<String> {
        Ok(self.managed_template(user, id).await?.1)
    }

    /// Whether the database answers, and which one it is.
    pub async fn readiness(&self) -> Outcome<&'static str> {
        self.store.ping().await?;
        Ok(self.store.backend_name())
    }

    pub fn backend_name(&self) -> &'static str {
        self.store.backend_name()
    }

    /// Counts over the whole database for `/metrics`.
    pub async fn store_figures(&self) -> Outcome<StoreFigures> {
        let (cases_by_status, transfers, jobs) = tokio::try_join!(
            self.store.count_by_status(),
            self.store.count_transfers(),
            self.store.job_counts()
        )
        .map_err(Failure::from)?;
        Ok(StoreFigures {
            cases_by_status,
            transfers,
            jobs,
        })
    }

    /// Closes the database connections (after the server has stopped).
    pub async fn close(&self) {
        self.flush_audit_views().await;
        self.store.close().await;
    }
}
