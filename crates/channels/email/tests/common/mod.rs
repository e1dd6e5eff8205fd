//! What the e-mail channel's end-to-end tests share: the application receiving mail for one
//! mailbox of the capital, with its services, and the committed corpus.

use serde_json::json;
use std::path::Path;
use tawasul_channels_email::imap::ImapSettings;
use tawasul_channels_email::smtp::StartTls;
use tawasul_channels_email::{MailSettings, MailboxConfig};
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec};
use tawasul_testkit::{spawn, Backend, Options, TestApp};

pub const MAILBOX: &str = "complaints@localhost";
pub const LIMIT: usize = 256 * 1024;

pub async fn mail_app(backend: Backend) -> TestApp {
    mail_app_with(backend, None, None).await
}

/// The mailbox `complaints@localhost` of the capital (its general enquiries when no service is
/// recognised), with mail up to [`LIMIT`].
pub fn mail_settings(starttls: Option<StartTls>) -> MailSettings {
    MailSettings {
        mailboxes: vec![MailboxConfig {
            address: MAILBOX.into(),
            service: "cap-general".into(),
        }],
        max_message_bytes: LIMIT,
        hostname: "tawasul.test".into(),
        starttls,
    }
}

/// The application receiving mail by SMTP (STARTTLS offered with `starttls`) and, given
/// `imap`, reading that mailbox too; notifications go to the test kit's SMTP sink.
pub async fn mail_app_with(backend: Backend, starttls: Option<StartTls>, imap: Option<ImapSettings>) -> TestApp {
    let t = spawn(Options {
        smtp: true,
        mail: Some(mail_settings(starttls)),
        imap,
        ..Options::on(backend)
    })
    .await;
    let fixtures = Fixtures::new(&t.app).await;
    fixtures.capital(json!([])).await;
    fixtures.department("cap", "roads", "الطرق", "Roads").await;
    for (code, name, description, department) in [
        (
            "pothole",
            ("حفرة في الطريق", "Pothole"),
            (
                "الحفر والتشققات في الطرق والأرصفة",
                "Holes and cracks in roads and pavements",
            ),
            "roads",
        ),
        (
            "cap-general",
            ("استفسارات عامة", "General enquiries"),
            ("ما لا يندرج تحت خدمة أخرى", "Anything no other service covers"),
            "water",
        ),
    ] {
        fixtures
            .service(ServiceSpec {
                entity: "cap",
                code,
                name,
                description,
                kinds: &["complaint", "inquiry"],
                department,
                fields: json!([]),
            })
            .await;
    }
    t
}

pub fn corpus(file: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(file)).expect("corpus file")
}

/// The case and the actions of its timeline.
pub async fn case(t: &TestApp, reference: &str) -> (tawasul_store::CaseRow, Vec<tawasul_store::EventRow>) {
    let case = t
        .store
        .case_by_reference(reference)
        .await
        .expect("read")
        .expect("the case");
    let events = t.store.events(case.id).await.expect("events");
    (case, events)
}

/// A plain mail, as a client writes it.
pub fn mail(from: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {MAILBOX}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{extra}\r\n{body}\r\n"
    )
    .into_bytes()
}
