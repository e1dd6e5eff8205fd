//! A raw mail (RFC 5322 bytes, as SMTP's DATA or IMAP delivers it) through parsing,
//! classification and what intake takes from it: the reply's own words, the reference in
//! the subject, the language and the guessed service. Input: the first byte chooses the
//! envelope's MAIL FROM (none, null `<>`, a person), the rest is the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tawasul_channels_email::guess::guess;
use tawasul_channels_email::message::{language_of, reference_in, strip_quoted};
use tawasul_channels_email::{InboundMail, MailClass};
use tawasul_domain::catalogue::Service;
use tawasul_fuzz::{other_service, service};

fuzz_target!(|data: &[u8]| {
    static CATALOGUE: OnceLock<Vec<Service>> = OnceLock::new();
    let catalogue = CATALOGUE.get_or_init(|| vec![service(), other_service()]);
    let Some((first, raw)) = data.split_first() else {
        return;
    };
    let envelope = match first % 3 {
        0 => None,
        1 => Some(""),
        _ => Some("resident@example.com"),
    };
    let Ok(mail) = InboundMail::parse(raw, envelope) else {
        return;
    };
    if envelope == Some("") {
        assert_eq!(mail.class, MailClass::Bounce, "a null return path is a bounce");
    }
    // Decoding never makes text out of nothing: a charset or an entity at most quadruples bytes.
    assert!(
        mail.text.len() <= 4 * raw.len() + 16,
        "text {} from {} bytes",
        mail.text.len(),
        raw.len()
    );
    assert!(mail.files.len() <= 64);
    let files: usize = mail.files.iter().map(|f| f.bytes.len()).sum();
    assert!(
        files <= 4 * raw.len(),
        "{files} bytes of files from {} bytes",
        raw.len()
    );
    for id in &mail.replies_to {
        assert!(!id.is_empty() && id.len() <= 500);
        assert!(!id.starts_with('<') && !id.ends_with('>'));
    }
    let reply = mail.reply_text();
    assert!(reply.len() <= mail.text.len(), "the reply is longer than the text");
    assert!(strip_quoted(&reply).len() <= reply.len());
    if let Some(reference) = reference_in(&mail.subject) {
        assert_eq!(
            reference_in(&reference).as_deref(),
            Some(reference.as_str()),
            "a reference reads as itself"
        );
    }
    assert!(matches!(language_of(&reply), "ar" | "en"));
    if let Some(found) = guess(catalogue, &mail.subject, &mail.text) {
        assert!(catalogue.iter().any(|s| s.code == found.code));
    }
});
