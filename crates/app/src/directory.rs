//! What the edges show beside cases: the catalogue, the entities and departments with their
//! names, the staff directory, and the figures of the operations endpoints. The edges read
//! these here, never from the store, so what a caller may see is decided in one place.

use crate::authz::StaffUser;
use crate::{App, AppError, AppResult};
use tawasul_store::{DepartmentRow, EntityRow, ServiceRow, StaffRow};

/// The database figures `/metrics` reports.
pub struct StoreFigures {
    pub cases_by_status: Vec<(String, i64)>,
    pub transfers: Vec<(String, i64)>,
    pub jobs: Vec<(String, String, i64)>,
}

impl App {
    /// The public service catalogue, active services in catalogue order.
    pub async fn services(&self) -> AppResult<Vec<ServiceRow>> {
        Ok(self.store.services().await?)
    }

    /// Every entity with its names: public, since residents and partners address them.
    pub async fn entities(&self) -> AppResult<Vec<EntityRow>> {
        Ok(self.store.entities().await?)
    }

    /// Every department with its names: public, as the departments that handle cases are.
    pub async fn departments(&self) -> AppResult<Vec<DepartmentRow>> {
        Ok(self.store.departments().await?)
    }

    /// The staff directory, for staff pages that show and choose colleagues by name: only a
    /// signed-in staff user, whatever their role, holds the `StaffUser` it asks for.
    pub async fn staff_directory(&self, _signed_in: &StaffUser) -> AppResult<Vec<StaffRow>> {
        Ok(self.store.staff().await?)
    }

    /// The code of the entity a reply template belongs to, when `user` may manage it.
    pub async fn reply_template_entity(&self, user: &StaffUser, id: i64) -> AppResult<String> {
        Ok(self.managed_template(user, id).await?.1)
    }

    /// Whether the database answers, and which one it is.
    pub async fn readiness(&self) -> AppResult<&'static str> {
        self.store.ping().await?;
        Ok(self.store.backend_name())
    }

    pub fn backend_name(&self) -> &'static str {
        self.store.backend_name()
    }

    /// Counts over the whole database for `/metrics`.
    pub async fn store_figures(&self) -> AppResult<StoreFigures> {
        let (cases_by_status, transfers, jobs) = tokio::try_join!(
            self.store.count_by_status(),
            self.store.count_transfers(),
            self.store.job_counts()
        )
        .map_err(AppError::from)?;
        Ok(StoreFigures {
            cases_by_status,
            transfers,
            jobs,
        })
    }

    /// Closes the database connections (after the server has stopped).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
