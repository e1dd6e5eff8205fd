//! Routing a new case: to an entity by the area containing its location, then to one of that
//! entity's departments by rules on service, keywords and language. Pure: the caller loads the
//! areas and rules, builds an [`AreaIndex`] once and shares it; every [`Decision`] says why.

mod areas;
mod index;
mod route;

pub use areas::{
    geometry_json, parse_areas, AreaError, AreaShape, MAX_FEATURES, MAX_NAME_CHARS, MAX_TEXT_BYTES, MAX_VERTICES,
};
pub use index::{Area, AreaIndex};
pub use route::{route, Decision, DepartmentReason, EntityReason, Reason, RoutingInput, Rule};
