//! The committed corpus (`tests/corpus/`): real-world-shaped mails from Gmail, Outlook and
//! iPhone, in UTF-8, windows-1256 and ISO-8859-6, replies, automatic mail and malformed mail,
//! each with what it must parse to (`expected.tsv`). The service each new mail should go to is
//! measured against the demo's catalogue; the hit rate is printed and held to a floor.

use std::path::{Path, PathBuf};
use tawasul_channels_email::guess::guess;
use tawasul_channels_email::message::{language_of, reference_in, ParseError};
use tawasul_channels_email::{InboundMail, MailClass};
use tawasul_domain::catalogue::Service;
use tawasul_domain::vocab::Priority;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

struct Expected {
    file: String,
    class: String,
    language: String,
    service: String,
    files: Option<usize>,
    words: String,
}

fn expectations() -> Vec<Expected> {
    std::fs::read_to_string(corpus().join("expected.tsv"))
        .expect("expected.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "six columns: {l}");
            Expected {
                file: f[0].into(),
                class: f[1].into(),
                language: f[2].into(),
                service: f[3].into(),
                files: f[4].parse().ok(),
                words: f[5].into(),
            }
        })
        .collect()
}

/// The demo's catalogue, as a mail can use it: services whose forms need no answers.
fn demo_catalogue() -> Vec<Service> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/data/services.json");
    let services: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the demo's services")).expect("JSON");
    services
        .iter()
        .filter(|s| {
            s["fields"]
                .as_array()
                .is_none_or(|f| f.iter().all(|f| f["required"] != serde_json::Value::Bool(true)))
        })
        .map(|s| Service {
            id: 0,
            code: s["code"].as_str().expect("code").into(),
            entity: s["entity"].as_str().expect("entity").into(),
            entity_id: 0,
            name_ar: s["name"]["ar"].as_str().expect("name").into(),
            name_en: s["name"]["en"].as_str().expect("name").into(),
            description_ar: s["description"]["ar"].as_str().expect("description").into(),
            description_en: s["description"]["en"].as_str().expect("description").into(),
            kinds: vec![],
            fields: vec![],
            default_department: None,
            default_department_id: None,
            default_priority: Priority::Normal,
        })
        .collect()
}

fn parse(file: &str) -> InboundMail {
    let raw = std::fs::read(corpus().join(file)).expect("the corpus file");
    InboundMail::parse(&raw, None).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_mail_of_the_corpus_parses_to_what_it_says() {
    let expected = expectations();
    let on_disk = std::fs::read_dir(corpus()).expect("corpus").filter(|e| {
        e.as_ref()
            .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".eml"))
    });
    assert_eq!(
        on_disk.count(),
        expected.len() + 1,
        "every mail but the non-message is described"
    );
    let mut failures = vec![];
    for e in &expected {
        let mail = parse(&e.file);
        let text = format!("{}\n{}", mail.subject, mail.text);
        let words = e.words.as_str();
        if mail.class.as_str() != e.class {
            failures.push(format!("{}: class {:?}, expected {}", e.file, mail.class, e.class));
        }
        if !text.contains(words) {
            failures.push(format!("{}: {words:?} not in {text:?}", e.file));
        }
        if text.contains('\u{fffd}') && !e.file.contains("malformed") {
            failures.push(format!("{}: undecoded characters in {text:?}", e.file));
        }
        if e.class == "personal" && language_of(&text) != e.language {
            failures.push(format!(
                "{}: language {}, expected {}",
                e.file,
                language_of(&text),
                e.language
            ));
        }
        if let Some(n) = e.files {
            if mail.files.len() != n {
                failures.push(format!("{}: {} files, expected {n}", e.file, mail.files.len()));
            }
        }
        if e.class == "personal" && mail.from.is_none() {
            failures.push(format!("{}: no sender", e.file));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn arabic_in_every_encoding_is_decoded() {
    let gmail = parse("01_gmail_ar_utf8_water_leak.eml");
    assert_eq!(gmail.subject, "تسرب مياه أمام المنزل");
    assert_eq!(gmail.from_name.as_deref(), Some("أحمد البحراني"));
    assert_eq!(
        gmail.message_id.as_deref(),
        Some("CAJx9Kq1r0+Vd3vB=fYw1@mail.gmail.com")
    );
    let outlook = parse("02_outlook_ar_cp1256_pothole_inline.eml");
    assert_eq!(
        outlook.subject, "حفرة في الطريق قرب المدرسة",
        "RFC 2047 Q in windows-1256"
    );
    assert_eq!(outlook.from_name.as_deref(), Some("فاطمة علي"));
    assert_eq!(
        outlook.from.as_deref(),
        Some("fatima.ali@company.com.bh"),
        "lower-cased"
    );
    assert!(outlook.text.starts_with("مساء الخير،"), "{}", outlook.text);
    let iphone = parse("03_iphone_ar_iso88596_waste_photo.eml");
    assert_eq!(iphone.subject, "النفايات لم تجمع", "RFC 2047 B in ISO-8859-6");
    assert!(iphone.text.contains("القمامة لم تجمع منذ أسبوع"), "{}", iphone.text);
    let elderly = parse("08_ar_cp1256_elderly.eml");
    assert_eq!(elderly.subject, "رعاية كبار السن");
    let raw = parse("15_malformed_raw_8bit_headers.eml");
    assert_eq!(raw.subject, "شارع متسخ جدا", "raw UTF-8 in a header is read as UTF-8");
    assert_eq!(raw.message_id, None);
}

#[test]
fn html_only_mail_becomes_readable_text() {
    let mail = parse("04_html_only_en_stray_dogs.eml");
    assert!(
        !mail.text.contains('<') && !mail.text.contains("&amp;"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Dear Sir/Madam,"), "{}", mail.text);
    assert!(mail.text.contains("Please send someone."), "{}", mail.text);
}

#[test]
fn inline_images_and_attachments_are_kept_with_their_names() {
    let outlook = parse("02_outlook_ar_cp1256_pothole_inline.eml");
    let [image] = outlook.files.as_slice() else {
        panic!("{:?}", outlook.files)
    };
    assert_eq!(image.filename.as_deref(), Some("image001.png"));
    assert_eq!(image.content_type.as_deref(), Some("image/png"));
    assert!(image.inline);
    assert!(image.bytes.starts_with(b"\x89PNG"));
    let iphone = parse("03_iphone_ar_iso88596_waste_photo.eml");
    let [photo] = iphone.files.as_slice() else {
        panic!("{:?}", iphone.files)
    };
    assert_eq!(photo.filename.as_deref(), Some("IMG_0412.JPG"));
    assert!(!photo.inline);
    assert!(photo.bytes.starts_with(&[0xff, 0xd8, 0xff]));
}

#[test]
fn replies_name_what_they_answer_and_keep_only_their_new_words() {
    let gmail = parse("17_gmail_reply_ar.eml");
    assert_eq!(
        gmail.replies_to,
        ["notification-1@tawasul", "CAJx9Kq1r0+Vd3vB=fYw1@mail.gmail.com"]
    );
    assert_eq!(gmail.reply_text(), "شكرا لكم، ما زال التسرب مستمرا حتى اليوم.");
    assert_eq!(reference_in(&gmail.subject).as_deref(), Some("TW-2026-0000001"));
    assert_eq!(gmail.cc, ["complaints@localhost"]);
    let outlook = parse("18_outlook_reply_en.eml");
    assert_eq!(outlook.replies_to, ["notification-2@tawasul"]);
    assert_eq!(outlook.reply_text(), "The car is still there.");
    let iphone = parse("19_iphone_reply_ar.eml");
    assert_eq!(iphone.reply_text(), "نعم الحفرة ما زالت موجودة");
    let forward = parse("16_outlook_forward_en.eml");
    assert!(!forward.is_reply());
    assert!(
        forward.text.contains("deep pothole"),
        "a forward keeps what it forwards"
    );
}

#[test]
fn automatic_mail_is_recognised_by_each_sign() {
    let mail = |headers: &str| {
        InboundMail::parse(format!("{headers}\r\n\r\nbody\r\n").as_bytes(), Some("a@b.c")).map(|m| m.class)
    };
    let base = "From: a@b.c\r\nTo: complaints@localhost\r\nSubject: hi";
    assert_eq!(mail(base), Ok(MailClass::Personal));
    assert_eq!(mail(&format!("{base}\r\nAuto-Submitted: no")), Ok(MailClass::Personal));
    assert_eq!(
        mail(&format!("{base}\r\nAuto-Submitted: auto-generated")),
        Ok(MailClass::AutoReply)
    );
    assert_eq!(
        mail(&format!("{base}\r\nAuto-Submitted: auto-replied; owner-email=x@y")),
        Ok(MailClass::AutoReply)
    );
    assert_eq!(mail(&format!("{base}\r\nPrecedence: bulk")), Ok(MailClass::List));
    assert_eq!(mail(&format!("{base}\r\nPrecedence: junk")), Ok(MailClass::List));
    assert_eq!(
        mail(&format!("{base}\r\nPrecedence: auto_reply")),
        Ok(MailClass::AutoReply)
    );
    assert_eq!(
        mail(&format!("{base}\r\nList-Unsubscribe: <mailto:u@b.c>")),
        Ok(MailClass::List)
    );
    assert_eq!(mail(&format!("{base}\r\nReturn-Path: <>")), Ok(MailClass::Bounce));
    assert_eq!(
        mail("From: MAILER-DAEMON@b.c\r\nSubject: failure"),
        Ok(MailClass::Bounce)
    );
    let null_sender = InboundMail::parse(format!("{base}\r\n\r\nbody\r\n").as_bytes(), Some("")).map(|m| m.class);
    assert_eq!(null_sender, Ok(MailClass::Bounce), "MAIL FROM:<>");
    assert_eq!(
        mail("From: a@b.c\r\nSubject: Automatic reply: away"),
        Ok(MailClass::AutoReply)
    );
}

#[test]
fn what_is_not_a_message_is_refused_by_name() {
    let raw = std::fs::read(corpus().join("26_not_a_message.eml")).expect("file");
    assert_eq!(InboundMail::parse(&raw, None).err(), Some(ParseError::NotAMessage));
    assert_eq!(InboundMail::parse(b"", None).err(), Some(ParseError::NotAMessage));
    let many_parts: String =
        std::iter::once("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n".to_owned())
            .chain((0..100).map(|i| format!("--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n")))
            .chain(std::iter::once("--b--\r\n".to_owned()))
            .collect();
    assert_eq!(
        InboundMail::parse(many_parts.as_bytes(), None).err(),
        Some(ParseError::TooManyParts)
    );
}

/// The service guessed for each new mail of the corpus against the demo's catalogue.
#[test]
fn the_service_is_guessed_for_most_mails_of_the_corpus() {
    let catalogue = demo_catalogue();
    let (mut hits, mut total, mut report) = (0, 0, vec![]);
    for e in expectations()
        .iter()
        .filter(|e| e.class == "personal" && e.service != "-")
    {
        let mail = parse(&e.file);
        let found = guess(&catalogue, &mail.subject, &mail.text).map_or("triage", |s| s.code.as_str());
        total += 1;
        if found == e.service {
            hits += 1;
        }
        report.push(format!("{:<45} expected {:<18} guessed {found}", e.file, e.service));
    }
    println!("{}\nservice guess: {hits} of {total} right", report.join("\n"));
    assert!(total >= 15, "the corpus has enough new mails");
    assert!(hits * 100 >= total * 75, "{hits} of {total}:\n{}", report.join("\n"));
}
