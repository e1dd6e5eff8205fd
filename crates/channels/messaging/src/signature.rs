//! HMAC-SHA256 signatures over a webhook's raw body, compared in constant time.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &str, message: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(message);
    mac
}

/// Whether `header` is `sha256=<hex HMAC-SHA256(secret, body)>` (WhatsApp's and Facebook's
/// `X-Hub-Signature-256`, and the SMS gateway's `X-Tawasul-Signature`).
pub fn valid_sha256(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_digest) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(digest) = hex::decode(hex_digest) else {
        return false;
    };
    mac(secret, body).verify_slice(&digest).is_ok()
}

/// Whether `header` is `sha256=<base64 HMAC-SHA256(secret, body)>` (X's
/// `x-twitter-webhooks-signature`).
pub fn valid_sha256_base64(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(encoded) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(digest) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
        return false;
    };
    mac(secret, body).verify_slice(&digest).is_ok()
}

/// `sha256=<base64 HMAC-SHA256(secret, message)>`: X's answer to its challenge-response check.
pub fn sha256_base64(secret: &str, message: &[u8]) -> String {
    let digest = mac(secret, message).finalize().into_bytes();
    format!("sha256={}", base64::engine::general_purpose::STANDARD.encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of GitHub's webhook documentation, which signs the same way.
    #[test]
    fn the_documented_example_verifies_and_nothing_else_does() {
        let secret = "It's a Secret to Everybody";
        let body = b"Hello, World!";
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(valid_sha256(secret, body, Some(good)));
        assert!(!valid_sha256(secret, b"Hello, World?", Some(good)));
        assert!(!valid_sha256("another secret", body, Some(good)));
        assert!(
            !valid_sha256(secret, body, Some(&good[7..])),
            "without its sha256= prefix"
        );
        assert!(!valid_sha256(secret, body, Some("sha256=zz")));
        assert!(!valid_sha256(secret, body, None));
    }

    #[test]
    fn the_base64_form_verifies_what_it_makes_and_nothing_else() {
        let signed = sha256_base64("consumer secret", b"{}");
        assert!(valid_sha256_base64("consumer secret", b"{}", Some(&signed)));
        assert!(!valid_sha256_base64("consumer secret", b"{ }", Some(&signed)));
        assert!(!valid_sha256_base64("another", b"{}", Some(&signed)));
        assert!(!valid_sha256_base64("consumer secret", b"{}", Some("sha256=!!")));
        assert!(!valid_sha256_base64("consumer secret", b"{}", None));
        // Meta's hex form is not X's.
        let hex_form = format!(
            "sha256={}",
            hex::encode(mac("consumer secret", b"{}").finalize().into_bytes())
        );
        assert!(!valid_sha256_base64("consumer secret", b"{}", Some(&hex_form)));
    }
}
