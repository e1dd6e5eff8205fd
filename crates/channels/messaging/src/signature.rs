//! HMAC-SHA256 signatures over a webhook's raw body, compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `header` is `sha256=<hex HMAC-SHA256(secret, body)>` (WhatsApp's and Facebook's
/// `X-Hub-Signature-256`, and the SMS gateway's `X-Tawasul-Signature`).
pub(crate) fn valid_sha256(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_digest) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(digest) = hex::decode(hex_digest) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&digest).is_ok()
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
}
