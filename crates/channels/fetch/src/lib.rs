//! The one fetch of a file that a provider or a client names by URL (a caller's recording, a
//! Messenger photo, an Open311 request's `media_url`): such a URL comes from outside, so it is
//! fetched only over http(s), without credentials, from an allowed host, never from a
//! private, loopback or link-local address unless the operator allowed that (an intranet, a
//! provider's stand-in in tests), from the very address that was checked (no second look-up
//! can change it), without following redirects, and up to a size limit.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// What a fetch may reach, from the operator's settings.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The hosts files are fetched from; `None`: any host (on a public address).
    pub hosts: Option<&'a [String]>,
    /// Whether private, loopback and link-local addresses may be asked.
    pub private_addresses: bool,
    /// The whole request's time limit.
    pub timeout: Duration,
    /// The largest body taken, in bytes.
    pub max_bytes: usize,
}

/// A file fetched.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The `Content-Type` the host said (the caller recognises the content itself).
    pub content_type: Option<String>,
    /// The URL's last path segment, if any.
    pub filename: Option<String>,
}

/// Why a URL was not fetched, in words a client may be told.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("not a URL")]
    NotAUrl,
    #[error("only http and https URLs are fetched")]
    Scheme,
    #[error("a URL with credentials is not fetched")]
    Credentials,
    #[error("not fetched from {0}: not an allowed host")]
    Host(String),
    #[error("the host does not resolve")]
    Unresolved,
    #[error("the host resolves to a private address")]
    PrivateAddress,
    #[error("the host answered {0}")]
    Status(u16),
    #[error("larger than an attachment may be ({0} bytes)")]
    TooLarge(usize),
    #[error("could not be fetched")]
    Failed,
}

/// Whether an address is one the public internet cannot reach (or should not be asked for on
/// a stranger's behalf).
pub fn is_private(ip: IpAddr) -> bool {
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

/// Fetches `raw` under `rules`.
pub async fn fetch(rules: Rules<'_>, raw: &str) -> Result<Fetched, Refused> {
    let url = url::Url::parse(raw).map_err(|_| Refused::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    let host = url.host_str().ok_or(Refused::NotAUrl)?.to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    if let Some(hosts) = rules.hosts {
        if !hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&host) || h.eq_ignore_ascii_case(&bare))
        {
            return Err(Refused::Host(host));
        }
    }
    let port = url.port_or_known_default().ok_or(Refused::NotAUrl)?;
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
        .await
        .map_err(|_| Refused::Unresolved)?
        .collect();
    let address = *addresses.first().ok_or(Refused::Unresolved)?;
    if !rules.private_addresses && addresses.iter().any(|a| is_private(a.ip())) {
        return Err(Refused::PrivateAddress);
    }
    let client = reqwest::Client::builder()
        .resolve(&bare, address)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(rules.timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|_| Refused::Failed)?;
    let mut response = client.get(url.clone()).send().await.map_err(|_| Refused::Failed)?;
    if !response.status().is_success() {
        return Err(Refused::Status(response.status().as_u16()));
    }
    let too_large = Refused::TooLarge(rules.max_bytes);
    if response.content_length().is_some_and(|n| n > rules.max_bytes as u64) {
        return Err(too_large);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| Refused::Failed)? {
        if bytes.len() + chunk.len() > rules.max_bytes {
            return Err(too_large);
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
    Ok(Fetched {
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

    #[tokio::test]
    async fn only_allowed_hosts_on_public_addresses_are_asked() {
        let hosts = ["127.0.0.1".to_owned(), "localhost".to_owned()];
        let rules = Rules {
            hosts: Some(&hosts),
            private_addresses: false,
            timeout: Duration::from_secs(5),
            max_bytes: 1_000,
        };
        for (url, refused) in [
            ("ftp://127.0.0.1/r.wav", Refused::Scheme),
            ("http://user:pw@127.0.0.1/r.wav", Refused::Credentials),
            ("http://evil.example/r.wav", Refused::Host("evil.example".into())),
            ("http://127.0.0.1:9/r.wav", Refused::PrivateAddress),
            ("http://localhost:9/r.wav", Refused::PrivateAddress),
            ("http://[::1]:9/r.wav", Refused::Host("[::1]".into())),
            ("not a url", Refused::NotAUrl),
        ] {
            assert_eq!(fetch(rules, url).await.expect_err(url), refused, "{url}");
        }
        let any_host = Rules { hosts: None, ..rules };
        assert_eq!(
            fetch(any_host, "http://127.0.0.1:9/p.png").await.expect_err("loopback"),
            Refused::PrivateAddress,
            "any host, but never a private address"
        );
    }
}
