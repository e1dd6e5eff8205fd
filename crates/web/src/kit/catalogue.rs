//! The catalogue as the pages look services up in it.

use crate::error::WebResult;
use crate::WebState;
use tawasul_app::rows::ServiceRow;

/// The active service `code` of the public catalogue, if there is one.
pub async fn service_row(state: &WebState, code: &str) -> WebResult<Option<ServiceRow>> {
    Ok(state.app.services().await?.into_iter().find(|s| s.code == code))
}
