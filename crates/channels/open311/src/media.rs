//! Fetching a request's `media_url` into an attachment of its case, when the operator turns
//! it on, by the channels' one guarded fetch (`tawasul_channels_fetch`): only from the hosts
//! they allowed, never from a private, loopback or link-local address unless they allowed that
//! too, under the uploads' size limit (the content is then recognised by `App::submit` like
//! any upload).

use std::time::Duration;
use tawasul_app::cases::intake::Upload;
use tawasul_app::Open311Settings;
use tawasul_channels_fetch::{Refused, Rules};
use tawasul_domain::attachment::MAX_ATTACHMENT_BYTES;

/// Fetches `raw` under the settings' rules; why not, to be said to the client as `media_url: …`.
pub async fn fetch(settings: &Open311Settings, raw: &str) -> Result<Upload, Refused> {
    let rules = Rules {
        hosts: Some(&settings.media_hosts),
        private_addresses: settings.media_private_addresses,
        timeout: Duration::from_secs(15),
        max_bytes: MAX_ATTACHMENT_BYTES,
    };
    let fetched = tawasul_channels_fetch::fetch(rules, raw).await?;
    Ok(Upload {
        bytes: fetched.bytes,
        content_type: fetched.content_type,
        filename: fetched.filename,
    })
}
