//! `X-Twilio-Signature`: base64 of the HMAC-SHA1, keyed with the account's auth token, of the
//! full URL the provider asked followed by each posted parameter's name and value, by name
//! (a repeated name's values sorted, each once), as the `twilio` package's
//! `RequestValidator` computes it. Like it, the URL is accepted with or without its scheme's
//! default port, since providers sign one or the other.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::collections::{BTreeMap, BTreeSet};

type HmacSha1 = Hmac<Sha1>;

/// The signature of a request to `url` posting `params`.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac(token, url, params).finalize().into_bytes())
}

/// Whether `signature` is the request's, compared in constant time.
pub fn verify(token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    [Some(url.to_owned()), other_port_form(url)]
        .into_iter()
        .flatten()
        .any(|candidate| mac(token, &candidate, params).verify_slice(&given).is_ok())
}

fn mac(token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    // Any key length is taken by HMAC.
    let mut mac = HmacSha1::new_from_slice(token.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(url.as_bytes());
    let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in params {
        by_name.entry(name).or_default().insert(value);
    }
    for (name, values) in by_name {
        for value in values {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
    }
    mac
}

/// The URL with its scheme's default port written out when it has none, or without it when
/// it has it.
fn other_port_form(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    let default = match url.scheme() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let host = url.host_str()?;
    let authority_end = raw.find("://")? + 3;
    let rest = &raw[authority_end..];
    let path_start = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..path_start];
    let userinfo = authority.rfind('@').map_or("", |at| &authority[..=at]);
    let host_part = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let swapped = if authority.ends_with(&format!(":{default}")) {
        format!("{userinfo}{host_part}")
    } else if url.port().is_none() {
        format!("{userinfo}{host_part}:{default}")
    } else {
        return None;
    };
    Some(format!("{}{swapped}{}", &raw[..authority_end], &rest[path_start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Computed by `twilio==9.10.2`'s `RequestValidator("12345").compute_signature` (the
    /// example of the provider's documentation, and one in Arabic).
    #[test]
    fn signatures_are_the_twilio_packages() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(sign("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify("12345", url, &params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        let arabic = pairs(&[("SpeechResult", "تسرب مياه"), ("From", "+97333123456")]);
        assert_eq!(
            sign("12345", "https://example.com/hooks/ivr/twiml", &arabic),
            "TUt5eECBwDpXmBZwd/wvlDB8LuU="
        );
    }

    #[test]
    fn anything_changed_breaks_the_signature() {
        let params = pairs(&[("CallSid", "CA1"), ("Digits", "1")]);
        let url = "https://example.com/hooks/ivr/twiml?step=2";
        let good = sign("secret", url, &params);
        assert!(verify("secret", url, &params, &good));
        assert!(!verify("other", url, &params, &good));
        assert!(!verify(
            "secret",
            "https://example.com/hooks/ivr/twiml?step=3",
            &params,
            &good
        ));
        assert!(!verify(
            "secret",
            url,
            &pairs(&[("CallSid", "CA1"), ("Digits", "2")]),
            &good
        ));
        assert!(!verify(
            "secret",
            url,
            &pairs(&[("CallSid", "CA1"), ("Digits", "1"), ("Extra", "")]),
            &good
        ));
        assert!(!verify("secret", url, &params, ""));
        assert!(!verify("secret", url, &params, "not base64!"));
    }

    #[test]
    fn the_default_port_may_be_written_or_not() {
        let params = pairs(&[("CallSid", "CA1")]);
        let with = sign("t", "https://example.com:443/hooks/ivr/twiml?a=1", &params);
        assert!(verify("t", "https://example.com/hooks/ivr/twiml?a=1", &params, &with));
        let without = sign("t", "http://example.com/hooks/ivr/vxml", &params);
        assert!(verify("t", "http://example.com:80/hooks/ivr/vxml", &params, &without));
        let elsewhere = sign("t", "https://example.com:8443/x", &params);
        assert!(!verify("t", "https://example.com/x", &params, &elsewhere));
    }

    #[test]
    fn repeated_names_count_each_value_once_in_order() {
        let a = pairs(&[("K", "b"), ("K", "a"), ("K", "b")]);
        let b = pairs(&[("K", "a"), ("K", "b")]);
        assert_eq!(sign("t", "https://x/", &a), sign("t", "https://x/", &b));
    }
}
