//! Downloading a caller's recording (`RecordingUrl`) into an attachment of the case, when the
//! case is made, by the channels' one guarded fetch (`tawasul_channels_fetch`): only from the
//! hosts the operator named, never from a private, loopback or link-local address unless they
//! allowed that too. The content is then recognised by `App::submit` (WAV, MP3).

use std::time::Duration;
use tawasul_app::cases::intake::Upload;
use tawasul_app::IvrSettings;
use tawasul_channels_fetch::Rules;
use tawasul_domain::attachment::MAX_ATTACHMENT_BYTES;

/// Downloads the recording at `raw` under the settings' rules; the reason when it may not.
pub async fn fetch(settings: &IvrSettings, raw: &str) -> Result<Upload, String> {
    let rules = Rules {
        hosts: Some(&settings.recording_hosts),
        private_addresses: settings.recording_private_addresses,
        timeout: Duration::from_secs(30),
        max_bytes: MAX_ATTACHMENT_BYTES,
    };
    let fetched = tawasul_channels_fetch::fetch(rules, raw)
        .await
        .map_err(|refused| refused.to_string())?;
    Ok(Upload {
        bytes: fetched.bytes,
        content_type: fetched.content_type,
        filename: None,
    })
}
