//! Fetching a request's `media_url` into an attachment of its case, when the operator turns
//! it on: only from the hosts they allowed, never from a private, loopback or link-local
//! address unless they allowed that too, without following redirects, and under the
//! uploads' size limit (the content is then recognised by `App::submit` like any upload).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tawasul_app::cases::intake::Upload;
use tawasul_app::Open311Settings;
use tawasul_domain::attachment::MAX_ATTACHMENT_BYTES;

/// Why a media URL was not fetched: said to the client as `media_url: …`.
#[derive(Debug)]
pub struct MediaRefused(String);

impl std::fmt::Display for MediaRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn refused(why: impl Into<String>) -> MediaRefused {
    MediaRefused(why.into())
}

/// Whether an address is one the public internet cannot reach (or should not be asked for
/// on behalf of a stranger).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 0
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
                || v4.octets()[0] >= 224
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

/// Fetches `raw` under the settings' rules.
pub async fn fetch(settings: &Open311Settings, raw: &str) -> Result<Upload, MediaRefused> {
    let url = url::Url::parse(raw).map_err(|_| refused("not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused("only http and https URLs are fetched"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("a URL with credentials is not fetched"));
    }
    let host = url
        .host_str()
        .ok_or_else(|| refused("the URL has no host"))?
        .to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    if !settings
        .media_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host) || h.eq_ignore_ascii_case(&bare))
    {
        return Err(refused("media are not fetched from this host"));
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| refused("the URL has no port"))?;
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
        .await
        .map_err(|_| refused("the host does not resolve"))?
        .collect();
    let address = *addresses.first().ok_or_else(|| refused("the host does not resolve"))?;
    if !settings.media_private_addresses && addresses.iter().any(|a| is_private(a.ip())) {
        return Err(refused("the host resolves to a private address"));
    }
    // The address checked is the one connected to: no second look-up can change it.
    let client = reqwest::Client::builder()
        .resolve(&bare, address)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|_| refused("could not be fetched"))?;
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|_| refused("could not be fetched"))?;
    if !response.status().is_success() {
        return Err(refused(format!("the host answered {}", response.status().as_u16())));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ATTACHMENT_BYTES as u64)
    {
        return Err(refused("larger than an attachment may be"));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| refused("could not be fetched"))? {
        if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
            return Err(refused("larger than an attachment may be"));
        }
        bytes.extend_from_slice(&chunk);
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let filename = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(Upload {
        bytes,
        content_type,
        filename,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_private() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(is_private(private.parse().expect("ip")), "{private}");
        }
        for public in ["8.8.8.8", "2001:4860:4860::8888", "185.199.108.153"] {
            assert!(!is_private(public.parse().expect("ip")), "{public}");
        }
    }
}
