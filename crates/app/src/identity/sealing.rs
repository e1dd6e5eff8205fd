//! Secrets the server must read back for a while: the tracking link and the one-time code
//! until their message is delivered, the token a retried intake answers with until its
//! idempotency key is purged. They are stored sealed with the server key (XChaCha20-Poly1305,
//! a random nonce each, bound to what they belong to), never in the clear; the database alone,
//! or a copy of it, gives none of them away.
//!
//! The key comes from configuration (`TAWASUL_SECRET_KEY`, 64 hex digits), or else from
//! `secret.key` in the data directory, made on first start. Nodes that share a PostgreSQL
//! database must share the key.

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::path::Path;

/// The file in the data directory that holds the key when configuration gives none.
pub const KEY_FILE: &str = "secret.key";
const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 24;

/// The server key as configured: 64 hex digits. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerKey(pub String);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(***)")
    }
}

/// Seals and opens the server's short-lived secrets.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

fn parse_key(hex_key: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim()).context("the secret key must be 64 hex digits")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the secret key must be 64 hex digits (32 bytes)"))
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// The configured key, else the data directory's `secret.key`, made (readable by its
    /// owner only) when it is not there yet.
    pub fn load(data_dir: &Path, configured: Option<&ServerKey>) -> anyhow::Result<Self> {
        if let Some(key) = configured {
            return Ok(Self::new(&parse_key(&key.0)?));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Self::new(
                &parse_key(&text).with_context(|| format!("reading {}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
                write_private(&path, &hex::encode(key)).with_context(|| format!("writing {}", path.display()))?;
                tracing::info!(path = %path.display(), "made a new server key for sealed secrets");
                Ok(Self::new(&key))
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// `plain` sealed for `context` (what it belongs to: opening it for another fails).
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption fails only for messages of many gigabytes; these are a few bytes.
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        format!("{VERSION}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// What `seal(context, …)` sealed; `None` for anything else (another key, another
    /// context, a changed byte).
    pub fn open(&self, context: &str, sealed: &str) -> Option<String> {
        let bytes = hex::decode(sealed.strip_prefix(VERSION)?).ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), payload).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// The key that encrypts reporters' details at rest, as configured (`TAWASUL_REPORTER_KEY`,
/// 64 hex digits). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ReporterKey(pub String);

impl std::fmt::Debug for ReporterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReporterKey(***)")
    }
}

/// Reporters' details sealed at rest (the store's `ReporterCipher`): a `Sealer` under a key
/// derived from the reporter key, each value prefixed with the key's id (`k` and 8 hex
/// digits, a hash of the key) so that values sealed under another key are told apart and a
/// later rotation can know which key opens which; and the blind indexes, HMAC-SHA256 under a
/// second derived key, so that the index gives no way into the ciphertexts and back.
pub struct ReporterSealer {
    key_id: String,
    sealer: Sealer,
    index_key: [u8; 32],
}

impl std::fmt::Debug for ReporterSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReporterSealer({})", self.key_id)
    }
}

/// HMAC-SHA256 of `message` under `key`.
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    // HMAC takes a key of any length.
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl ReporterSealer {
    pub fn new(key: &ReporterKey) -> anyhow::Result<Self> {
        let key = parse_key(&key.0).context("TAWASUL_REPORTER_KEY (--reporter-key)")?;
        Ok(Self {
            key_id: format!("k{}", &hex::encode(hmac(&key, b"tawasul reporter key id"))[..8]),
            sealer: Sealer::new(&hmac(&key, b"tawasul reporter details v1")),
            index_key: hmac(&key, b"tawasul reporter blind index v1"),
        })
    }
}

impl tawasul_store::ReporterCipher for ReporterSealer {
    fn seal(&self, context: &str, plain: &str) -> String {
        format!("{}.{}", self.key_id, self.sealer.seal(context, plain))
    }

    fn open(&self, context: &str, sealed: &str) -> Option<String> {
        let (key_id, sealed) = sealed.split_once('.')?;
        if key_id != self.key_id {
            return None;
        }
        self.sealer.open(context, sealed)
    }

    fn blind_index(&self, normal: &str) -> String {
        hex::encode(hmac(&self.index_key, normal.as_bytes()))
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }
}

impl crate::App {
    /// A notification's secret fields (`{"token": …}`), sealed for its template.
    pub(crate) fn seal_secrets(&self, template: &str, fields: serde_json::Value) -> String {
        self.sealer.seal(&format!("outbox:{template}"), &fields.to_string())
    }

    /// The payload a notification is rendered from, its secrets put back in at delivery: each
    /// one as a field of its own, and in place of `{name}` in the payload's texts (a link).
    pub(crate) fn with_secrets(
        &self,
        template: &str,
        mut payload: serde_json::Value,
        sealed: Option<&str>,
    ) -> Result<serde_json::Value, String> {
        let Some(sealed) = sealed else {
            return Ok(payload);
        };
        let secrets: serde_json::Map<String, serde_json::Value> = self
            .sealer
            .open(&format!("outbox:{template}"), sealed)
            .and_then(|plain| serde_json::from_str(&plain).ok())
            .ok_or("the notification's secrets cannot be opened with this server's key")?;
        if let Some(fields) = payload.as_object_mut() {
            for value in fields.values_mut() {
                if let serde_json::Value::String(text) = value {
                    for (name, secret) in &secrets {
                        if let Some(secret) = secret.as_str() {
                            *text = text.replace(&format!("{{{name}}}"), secret);
                        }
                    }
                }
            }
            fields.extend(secrets);
        }
        Ok(payload)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal("idempotency:k1", "the-token");
        assert!(!sealed.contains("the-token"));
        assert_ne!(
            sealed,
            sealer.seal("idempotency:k1", "the-token"),
            "a fresh nonce each time"
        );
        assert_eq!(sealer.open("idempotency:k1", &sealed).as_deref(), Some("the-token"));
        assert_eq!(sealer.open("idempotency:k2", &sealed), None, "bound to its context");
        assert_eq!(
            Sealer::new(&[8; 32]).open("idempotency:k1", &sealed),
            None,
            "another key"
        );
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            sealer.open("idempotency:k1", &String::from_utf8(tampered).expect("hex")),
            None
        );
        for garbage in ["", "v1.", "v1.zz", "v2.00", "plain"] {
            assert_eq!(sealer.open("idempotency:k1", garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn reporter_details_are_sealed_under_a_key_of_their_own_with_its_id() {
        use tawasul_store::ReporterCipher;
        let key = ReporterKey("07".repeat(32));
        let reporters = ReporterSealer::new(&key).expect("a key");
        let sealed = reporters.seal("cases.reporter_sealed:1", "Fatima");
        assert!(sealed.starts_with(&format!("{}.v1.", reporters.key_id)), "{sealed}");
        assert_eq!(
            reporters.open("cases.reporter_sealed:1", &sealed).as_deref(),
            Some("Fatima")
        );
        assert_eq!(reporters.open("cases.reporter_sealed:2", &sealed), None, "another case");
        assert_eq!(
            Sealer::new(&[7; 32]).open("cases.reporter_sealed:1", sealed.split_once('.').expect("id").1),
            None,
            "not the reporter key itself: a key derived from it"
        );
        let other = ReporterSealer::new(&ReporterKey("08".repeat(32))).expect("a key");
        assert_eq!(other.open("cases.reporter_sealed:1", &sealed), None);
        assert_ne!(other.key_id, reporters.key_id);
        assert_eq!(
            reporters.blind_index("+97333001234"),
            reporters.blind_index("+97333001234")
        );
        assert_ne!(reporters.blind_index("+97333001234"), other.blind_index("+97333001234"));
        assert_eq!(reporters.blind_index("x").len(), 64);
        for wrong in ["", "07", &"07".repeat(31), &"zz".repeat(32), &"07".repeat(33)] {
            let refused = ReporterSealer::new(&ReporterKey(wrong.to_owned())).expect_err(wrong);
            assert!(format!("{refused:#}").contains("64 hex digits"), "{refused:#}");
        }
        assert!(format!("{key:?}").contains("***"));
    }

    #[test]
    fn the_key_is_made_once_in_the_data_directory_or_taken_from_configuration() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Sealer::load(dir.path(), None).expect("made");
        let sealed = first.seal("c", "secret");
        let again = Sealer::load(dir.path(), None).expect("read back");
        assert_eq!(
            again.open("c", &sealed).as_deref(),
            Some("secret"),
            "the same key on the next start"
        );
        let text = std::fs::read_to_string(dir.path().join(KEY_FILE)).expect("key file");
        assert_eq!(text.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "readable by its owner only");
        }
        let configured = Sealer::load(dir.path(), Some(&ServerKey(text.clone()))).expect("configured");
        assert_eq!(configured.open("c", &sealed).as_deref(), Some("secret"));
        assert!(Sealer::load(dir.path(), Some(&ServerKey("short".into()))).is_err());
        assert!(format!("{:?}", ServerKey(text)).contains("***"));
    }
}
