//! What every admin page starts from, taken in the order the pages always took it: the state,
//! the page's context and the signed-in staff user (`Admin`); for a page about one entity
//! (`/staff/admin/entities/{code}/…`) also that entity, which the user must administer with
//! the page's right (`EntityAdmin`, and `EntityAdminForm` for its forms, whose CSRF token and
//! fields are checked before the entity is looked up — so a forged form is refused as such
//! whether or not the entity exists).

use super::{CheckedForm, SignedIn};
use crate::context::Ctx;
use crate::error::WebError;
use crate::WebState;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashMap;
use std::marker::PhantomData;
use tawasul_app::identity::authz::{Permission, StaffUser};
use tawasul_app::rows::EntityRow;

/// An admin page's state, context and signed-in user.
pub struct Admin {
    pub state: WebState,
    pub ctx: Ctx,
    pub user: StaffUser,
}

impl FromRequestParts<WebState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        Ok(Admin {
            state: state.clone(),
            ctx,
            user,
        })
    }
}

/// The permission a page about one entity needs over that entity.
pub trait Right {
    const PERMISSION: Permission;
}

/// Entities, their departments and calendars.
pub struct ManageCatalogue;

impl Right for ManageCatalogue {
    const PERMISSION: Permission = Permission::ManageCatalogue;
}

/// An entity's staff users.
pub struct ManageStaff;

impl Right for ManageStaff {
    const PERMISSION: Permission = Permission::ManageStaff;
}

/// `?saved=1`: the page says the change was saved.
#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    pub saved: String,
}

/// A page about the entity of the path's `{code}`, for a user who holds `R` over it: who asks,
/// the entity, and whether the page follows a change that was saved (`?saved=1`).
pub struct EntityAdmin<R>(pub Admin, pub EntityRow, pub bool, pub PhantomData<R>);

/// The path's `{code}`.
async fn entity_code(parts: &mut Parts, state: &WebState) -> Result<String, Response> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    params
        .get("code")
        .cloned()
        .ok_or_else(|| WebError::NotFound.into_response())
}

/// The entity `code`, when `user` holds `R` over it.
async fn administered<R: Right>(state: &WebState, user: &StaffUser, code: &str) -> Result<EntityRow, Response> {
    state
        .app
        .administered_entity(user, code, R::PERMISSION)
        .await
        .map_err(|e| WebError::from(e).into_response())
}

impl<R: Right> FromRequestParts<WebState> for EntityAdmin<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let admin = Admin::from_request_parts(parts, state).await?;
        let code = entity_code(parts, state).await?;
        let Query(query) = Query::<SavedQuery>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let entity = administered::<R>(state, &admin.user, &code).await?;
        Ok(EntityAdmin(admin, entity, !query.saved.is_empty(), PhantomData))
    }
}

/// A form `T` posted about the entity of the path's `{code}` by a user who holds `R` over it:
/// who asks, the entity, the form.
pub struct EntityAdminForm<R, T>(pub Admin, pub EntityRow, pub T, pub PhantomData<R>);

impl<R: Right, T: DeserializeOwned + Send> FromRequest<WebState> for EntityAdminForm<R, T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let admin = Admin::from_request_parts(&mut parts, state).await?;
        let code = entity_code(&mut parts, state).await?;
        let CheckedForm(form) = CheckedForm::<T>::from_request(Request::from_parts(parts, body), state).await?;
        let entity = administered::<R>(state, &admin.user, &code).await?;
        Ok(EntityAdminForm(admin, entity, form, PhantomData))
    }
}
