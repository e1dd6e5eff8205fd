//! Downloading a caller's recording (`RecordingUrl`) into an attachment of the case, when the
//! case is made: only from the hosts the operator named, never from a private, loopback or
//! link-local address unless they allowed that too, without following redirects, and under
//! the attachments' size limit. The content is then recognised by `App::submit` (WAV, MP3).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tawasul_app::cases::intake::Upload;
use tawasul_app::IvrSettings;
use tawasul_domain::attachment::MAX_ATTACHMENT_BYTES;

/// Whether an address is one the public internet cannot reach (or should not be asked for
/// on a caller's behalf).
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64)
                || a >= 224
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Downloads the recording at `raw` under the settings' rules; the reason when it may not.
pub async fn fetch(settings: &IvrSettings, raw: &str) -> Result<Upload, String> {
    let url = url::Url::parse(raw).map_err(|_| "not a URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https URLs are fetched".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a URL with credentials is not fetched".into());
    }
    let host = url.host_str().ok_or("the URL has no host")?.to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    if !settings
        .recording_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host) || h.eq_ignore_ascii_case(&bare))
    {
        return Err(format!("recordings are not fetched from {host}"));
    }
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
        .await
        .map_err(|_| "the host does not resolve".to_owned())?
        .collect();
    let address = *addresses.first().ok_or("the host does not resolve")?;
    if !settings.recording_private_addresses && addresses.iter().any(|a| is_private(a.ip())) {
        return Err("the host resolves to a private address".into());
    }
    // The address checked is the one connected to: no second look-up can change it.
    let client = reqwest::Client::builder()
        .resolve(&bare, address)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("could not be fetched: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("the host answered {}", response.status().as_u16()));
    }
    let too_large = || format!("larger than an attachment may be ({MAX_ATTACHMENT_BYTES} bytes)");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ATTACHMENT_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("could not be fetched: {e}"))?
    {
        if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Upload {
        bytes,
        content_type,
        filename: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(hosts: &[&str]) -> IvrSettings {
        IvrSettings {
            auth_token: "t".into(),
            agent: "+97317000000".into(),
            recording_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            recording_private_addresses: false,
        }
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_private() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().expect("ip")), "{private}");
        }
        for public in ["8.8.8.8", "2001:4860:4860::8888"] {
            assert!(!is_private(public.parse().expect("ip")), "{public}");
        }
    }

    #[tokio::test]
    async fn only_named_hosts_on_public_addresses_are_asked() {
        let s = settings(&["127.0.0.1", "localhost"]);
        for (url, why) in [
            ("ftp://127.0.0.1/r.wav", "only http"),
            ("http://user:pw@127.0.0.1/r.wav", "credentials"),
            ("http://evil.example/r.wav", "not fetched from evil.example"),
            ("http://127.0.0.1:9/r.wav", "private address"),
            ("http://localhost:9/r.wav", "private address"),
            ("not a url", "not a URL"),
        ] {
            let refused = fetch(&s, url).await.expect_err(url);
            assert!(refused.contains(why), "{url}: {refused}");
        }
    }
}
