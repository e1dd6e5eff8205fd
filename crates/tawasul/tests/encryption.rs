//! Reporters' details encrypted at rest (issue 13, `--reporter-key`): with the key, what intake
//! stores holds no reporter's name, phone or e-mail in the clear (cases, search index, events,
//! audit, notification payloads), and every look-up by them still works: the resident's own
//! cases by one-time code, the privacy export and erasure by any form of the contact, an
//! e-mail reply threaded to its case. A sealed value copied onto another case does not open;
//! a node without the key, or with another, refuses to open the store; `tawasul privacy
//! encrypt` converts a store written in the clear, and again converts nothing; without the
//! key nothing changes. The guided dialogue's conversation addresses and the call-backs'
//! numbers are sealed too, with blind indexes, and found by the contact; `tawasul privacy
//! rotate-key` moves every sealed value to a new key, and an interrupted rotation, which no
//! node starts on, finishes when run again. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::ops::ControlFlow;
use std::path::Path;
use tawasul_app::cases::mail::{MailReply, Threaded};
use tawasul_app::cases::privacy::{Erasure, PersonalExport};
use tawasul_app::identity::sealing::{ReporterKey, ReporterSealer};
use tawasul_app::operator::Rotated;
use tawasul_app::{App, Settings};
use tawasul_domain::vocab::Role;
use tawasul_store::{CallbackInsert, CaseChange, ConversationStart, EventInsert, ReporterCipher};
use tawasul_testkit::fixtures::{Fixtures, PASSWORD};
use tawasul_testkit::process::{run, Storage};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");

const NAME: &str = "فاطمة أحمد";
const PHONE: &str = "+97333001234";
const SUBSCRIBER: &str = "33001234";
const EMAIL: &str = "fatima@example.bh";
const OTHER_PHONE: &str = "+97336009876";
/// Fatima's WhatsApp id: her number's digits.
const WA_ID: &str = "97333001234";

fn key() -> ReporterKey {
    ReporterKey("5a".repeat(32))
}

async fn site(backend: Backend, reporter_key: Option<ReporterKey>) -> TestApp {
    let t = spawn(Options {
        smtp: true,
        reporter_key,
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    f.capital(json!([])).await;
    f.staff("root", Role::Admin, None).await;
    t
}

async fn sealed_site(backend: Backend) -> TestApp {
    site(backend, Some(key())).await
}

async fn plain_site(backend: Backend) -> TestApp {
    site(backend, None).await
}

fn report(description: &str, reporter: Value) -> Value {
    json!({
        "service": "water-leak",
        "kind": "complaint",
        "description": description,
        "location": {"lat": 26.22, "lon": 50.58},
        "reporter": reporter,
    })
}

/// Fatima, her number written as people write it.
fn fatima() -> Value {
    json!({"name": NAME, "phone": "+973 3300 1234", "email": EMAIL, "language": "ar"})
}

/// Every value of a text query's one column, straight from the database.
async fn texts(t: &TestApp, sql: &str) -> Vec<String> {
    t.texts(sql).await
}

/// One statement straight on the database.
async fn execute(t: &TestApp, sql: &str) {
    use sqlx::Connection;
    match &t.database_url {
        Some(url) => {
            let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query(sql).execute(&mut db).await.expect(sql);
        }
        None => {
            let file = tawasul_store::backup::sqlite_file(t.data_dir.path());
            let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                .await
                .expect("connect");
            sqlx::query(sql).execute(&mut db).await.expect(sql);
        }
    }
}

/// The text of every place intake or staff work could leave a reporter's details.
async fn stored_text(t: &TestApp) -> String {
    let mut all = Vec::new();
    for sql in [
        "SELECT reporter_name FROM cases",
        "SELECT reporter_phone FROM cases",
        "SELECT reporter_email FROM cases",
        "SELECT reporter_sealed FROM cases",
        "SELECT reporter_phone_index FROM cases",
        "SELECT description FROM cases",
        "SELECT term FROM case_terms",
        "SELECT actor_name FROM case_events",
        "SELECT body FROM case_events",
        "SELECT details FROM case_events",
        "SELECT details FROM audit_log",
        "SELECT target FROM audit_log",
        "SELECT payload FROM outbox",
        "SELECT address FROM conversations",
        "SELECT address_index FROM conversations",
        "SELECT phone FROM callbacks",
        "SELECT phone_index FROM callbacks",
    ] {
        all.extend(texts(t, sql).await);
    }
    all.join("\n")
}

fn assert_nothing_personal(text: &str) {
    for (what, value) in [
        ("name", NAME),
        ("name's word", "فاطمة"),
        ("phone", SUBSCRIBER),
        ("e-mail", EMAIL),
        ("e-mail's word", "fatima"),
    ] {
        assert!(
            !text.to_lowercase().contains(value),
            "the reporter's {what} is stored in the clear:\n{text}"
        );
    }
}

fn references(export: &PersonalExport) -> Vec<String> {
    let mut refs: Vec<String> = export
        .cases
        .iter()
        .filter_map(|c| c["reference"].as_str().map(str::to_owned))
        .collect();
    refs.sort();
    refs
}

/// `tawasul ARGS` on the test's installation, with `env`: exit code, stdout, stderr.
fn cli(t: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let storage = Storage {
        data_dir: t.data_dir.path().to_path_buf(),
        database_url: t.database_url.clone(),
    };
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(storage.args());
    let output = run(Path::new(EXE), &all, env);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Fatima's conversations that made no case, by SMS and by WhatsApp, started in the store as
/// the dialogue starts them; and a call-back to her number on case `reference`.
async fn conversations_and_a_callback(t: &TestApp, reference: &str) {
    let at = t.app.now_micros();
    for (channel, address) in [("sms", PHONE), ("whatsapp", WA_ID)] {
        t.store
            .start_conversation(ConversationStart {
                channel: channel.into(),
                address: address.into(),
                state: "{}".into(),
                at,
            })
            .await
            .expect("started");
    }
    let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
    t.store
        .change_case(CaseChange {
            case_id: case.id,
            expected_status: case.status,
            at,
            event: EventInsert {
                case_id: case.id,
                at,
                actor_type: "system".into(),
                actor_id: None,
                actor_name: "call-back".into(),
                action: "note".into(),
                from_status: None,
                to_status: None,
                public: false,
                body: None,
                details: "{}".into(),
            },
            callback: Some(CallbackInsert {
                status: "acknowledged".into(),
                phone: PHONE.into(),
                language: "ar".into(),
                survey: false,
            }),
            ..CaseChange::default()
        })
        .await
        .expect("the call-back");
}

/// What an export by Fatima's number says of her conversations and calls, opened.
fn conversations_and_calls(export: &PersonalExport) -> (Vec<(String, String)>, Vec<String>) {
    let conversations = export
        .conversations
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap_or_default().to_owned(),
                c["address"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let calls = export
        .cases
        .iter()
        .flat_map(|c| c["calls"].as_array().cloned().unwrap_or_default())
        .map(|call| call["phone"].as_str().unwrap_or_default().to_owned())
        .collect();
    (conversations, calls)
}

/// The application opened anew on the test's store with `reporter_key`, as a node starts.
async fn open(t: &TestApp, reporter_key: Option<ReporterKey>) -> anyhow::Result<App> {
    App::open(Settings {
        data_dir: t.data_dir.path().to_path_buf(),
        database_url: t.database_url.clone(),
        reporter_key,
        ..Settings::default()
    })
    .await
}

/// The application opened for a rotation of the reporter key from `old` to `new`.
async fn open_rotating(t: &TestApp, new: ReporterKey, old: ReporterKey) -> anyhow::Result<App> {
    App::open(Settings {
        data_dir: t.data_dir.path().to_path_buf(),
        database_url: t.database_url.clone(),
        reporter_key: Some(new),
        old_reporter_key: Some(old),
        ..Settings::default()
    })
    .await
}

on_both! { sealed_site;
    async fn intake_stores_nothing_in_the_clear_and_every_look_up_still_works(t: &TestApp) {
        let (reference, _) = t.submit(report("تسرب أمام البيت", fatima())).await;
        let (others, _) = t.submit(report("تسرب آخر", json!({"name": "علي", "phone": OTHER_PHONE}))).await;
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, answer) = t
            .api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        t.work().await;
        assert_nothing_personal(&stored_text(t).await);
        let sealed = texts(t, "SELECT reporter_sealed FROM cases ORDER BY id").await;
        assert_eq!(sealed.len(), 2, "both cases sealed");
        assert!(sealed.iter().all(|s| s.starts_with('k') && s.contains(".v1.")), "{sealed:?}");
        assert_eq!(texts(t, "SELECT reporter_email_index FROM cases").await.len(), 1, "Fatima's e-mail's blind index");

        // Staff read the details as before (the supervisor's role sees them in full).
        let (status, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&supervisor)).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        let shown = case.to_string();
        assert!(shown.contains(NAME) && shown.contains(EMAIL), "{shown}");

        // The resident's own cases, after a one-time code to her e-mail address.
        assert_eq!(t.api_post("/api/v1/auth/code", None, json!({"contact": EMAIL})).await.0, StatusCode::ACCEPTED);
        t.work().await;
        let mail = t.inbox(EMAIL, 2).await;
        let body = &mail.iter().find(|m| !m.body.contains(&reference)).expect("the code's mail").body;
        let code = body.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() >= 6).expect("a code").to_owned();
        let (status, session) = t
            .api_post("/api/v1/auth/code/verify", None, json!({"contact": "Fatima@Example.bh", "code": code}))
            .await;
        assert_eq!(status, StatusCode::OK, "{session}");
        let resident = session["token"].as_str().expect("token");
        let (_, mine) = t.api_get("/api/v1/me/cases", Some(resident)).await;
        let mine: Vec<&str> = mine["items"].as_array().expect("items").iter().filter_map(|c| c["reference"].as_str()).collect();
        assert_eq!(mine, [reference.as_str()]);
        assert_eq!(t.api_get(&format!("/api/v1/cases/{reference}"), Some(resident)).await.0, StatusCode::OK);
        assert_eq!(t.api_get(&format!("/api/v1/cases/{others}"), Some(resident)).await.0, StatusCode::NOT_FOUND);

        // An e-mail reply from her address threads into her case.
        let threaded = t
            .app
            .thread_mail(MailReply {
                sender: "FATIMA@example.bh".into(),
                message_id: Some("reply-1@mail.example".into()),
                replies_to: vec![],
                subject_reference: Some(reference.clone()),
                body: "ما زال التسرب".into(),
                files: vec![],
            })
            .await
            .expect("threaded");
        assert_eq!(threaded, Threaded::Commented { reference: reference.clone() });

        // The privacy export by any form of her number or address, and nothing of Ali's.
        for form in [PHONE, "0097333001234", "+973 3300 1234", "٠٠٩٧٣٣٣٠٠١٢٣٤", EMAIL, " Fatima@EXAMPLE.bh "] {
            let export = t.app.operator().privacy_export(form).await.expect("export");
            assert_eq!(references(&export), [reference.as_str()], "{form}");
            assert_eq!(export.cases[0]["reporter"]["name"], NAME, "{form}");
        }
        assert_nothing_personal(&stored_text(t).await);

        // Erasure by her number clears the sealed details and their blind indexes too.
        match t.app.operator().privacy_erase("+973-3300-1234", true).await.expect("erase") {
            Erasure::Done { cases, .. } => assert_eq!(cases, [reference.as_str()]),
            refused => panic!("{refused:?}"),
        }
        assert_eq!(texts(t, "SELECT reporter_sealed FROM cases").await.len(), 1, "only Ali's left");
        assert!(texts(t, "SELECT reporter_email_index FROM cases").await.is_empty());
        assert!(t.app.operator().privacy_export(PHONE).await.expect("export").cases.is_empty());
        let alis = t.app.operator().privacy_export(OTHER_PHONE).await.expect("export");
        assert_eq!(references(&alis), [others]);
    }

    async fn a_sealed_value_opens_only_on_its_own_case_and_only_with_its_key(t: &TestApp) {
        let (first, _) = t.submit(report("تسرب أول", fatima())).await;
        let (second, _) = t.submit(report("تسرب ثان", json!({"name": "علي", "phone": OTHER_PHONE}))).await;
        let read = t.store.case_by_reference(&second).await.expect("opens").expect("case");
        assert_eq!(read.reporter_phone.as_deref(), Some(OTHER_PHONE));
        assert_eq!(read.reporter_sealed, None, "handed on opened");

        // A node without the key, or with another, refuses the store.
        let refused = open(t, None).await.err().expect("refused without the key");
        assert!(format!("{refused:#}").contains("TAWASUL_REPORTER_KEY"), "{refused:#}");
        let other = ReporterKey("a5".repeat(32));
        let refused = open(t, Some(other)).await.err().expect("refused with another key");
        assert!(format!("{refused:#}").contains("cannot be opened"), "{refused:#}");
        let short = open(t, Some(ReporterKey("5a".repeat(31)))).await.err().expect("a short key is refused");
        assert!(format!("{short:#}").contains("64 hex digits"), "{short:#}");
        let (code, _, stderr) = cli(t, &["privacy", "export", "--contact", PHONE], &[]);
        assert_ne!(code, 0);
        assert!(stderr.contains("no reporter key is configured"), "{stderr}");
        let again = open(t, Some(key())).await.expect("the right key opens it");
        again.close().await;

        // The first case's ciphertext copied onto the second does not open there.
        let first_id = t.store.case_by_reference(&first).await.expect("read").expect("case").id;
        execute(t, &format!(
            "UPDATE cases SET reporter_sealed = (SELECT reporter_sealed FROM cases WHERE id = {first_id}) WHERE reference = '{second}'"
        )).await;
        let moved = t.store.case_by_reference(&second).await.expect_err("does not open on another case");
        assert!(moved.to_string().contains("cannot be opened"), "{moved}");
        assert!(t.store.case_by_reference(&first).await.expect("its own still opens").is_some());
    }
}

on_both! { sealed_site;
    async fn conversation_addresses_and_call_back_numbers_are_sealed_and_found_by_the_contact(t: &TestApp) {
        let (reference, _) = t.submit(report("تسرب", fatima())).await;
        conversations_and_a_callback(t, &reference).await;
        assert_nothing_personal(&stored_text(t).await);
        for sql in ["SELECT address FROM conversations", "SELECT phone FROM callbacks"] {
            let sealed = texts(t, sql).await;
            assert!(!sealed.is_empty() && sealed.iter().all(|s| s.starts_with('k') && s.contains(".v1.")), "{sql}: {sealed:?}");
        }
        assert_eq!(texts(t, "SELECT address_index FROM conversations").await.len(), 2);
        assert_eq!(texts(t, "SELECT phone_index FROM callbacks").await.len(), 1);

        // Read back opened, found by the address, one open conversation per address.
        let sms = t.store.open_conversation("sms", PHONE).await.expect("read").expect("open");
        assert_eq!(sms.address, PHONE);
        let again = ConversationStart { channel: "sms".into(), address: PHONE.into(), state: "{}".into(), at: 0 };
        assert!(matches!(t.store.start_conversation(again).await, Err(tawasul_store::StoreError::Duplicate(_))), "unique on the blind index");
        assert_eq!(t.store.conversations_of_address("whatsapp", WA_ID).await.expect("read").len(), 1);
        let case_id = t.store.case_by_reference(&reference).await.expect("read").expect("case").id;
        assert_eq!(t.store.callbacks_of_case(case_id).await.expect("read")[0].phone, PHONE);

        // A sealed address is bound to its blind index: given another's, it does not open.
        let own = texts(t, &format!("SELECT address_index FROM conversations WHERE id = {}", sms.id)).await.remove(0);
        execute(t, &format!(
            "UPDATE conversations SET address_index = (SELECT address_index FROM conversations WHERE channel = 'whatsapp') WHERE id = {}",
            sms.id
        )).await;
        let moved = t.store.conversation(sms.id).await.expect_err("bound to its blind index");
        assert!(moved.to_string().contains("cannot be opened"), "{moved}");
        execute(t, &format!("UPDATE conversations SET address_index = '{own}' WHERE id = {}", sms.id)).await;

        // The export and the erasure by her number find them by the blind index.
        let export = t.app.operator().privacy_export("+973 3300 1234").await.expect("export");
        let (conversations, calls) = conversations_and_calls(&export);
        assert_eq!(conversations, [("sms".to_owned(), PHONE.to_owned()), ("whatsapp".to_owned(), WA_ID.to_owned())]);
        assert_eq!(calls, [PHONE]);
        match t.app.operator().privacy_erase(PHONE, true).await.expect("erase") {
            Erasure::Done { forgotten, .. } => assert_eq!(forgotten.conversations, 2),
            refused => panic!("{refused:?}"),
        }
        for sql in ["SELECT address_index FROM conversations", "SELECT phone_index FROM callbacks"] {
            assert!(texts(t, sql).await.is_empty(), "{sql}: erased with the rest");
        }
    }

    async fn rotating_the_key_moves_every_value_and_an_interrupted_rotation_finishes(t: &TestApp) {
        let (reference, _) = t.submit(report("تسرب", fatima())).await;
        let (others, _) = t.submit(report("تسرب آخر", json!({"name": "علي", "phone": OTHER_PHONE}))).await;
        conversations_and_a_callback(t, &reference).await;
        let before = t.app.operator().privacy_export(PHONE).await.expect("export");
        assert_eq!(conversations_and_calls(&before).0.len(), 2);
        let new = ReporterKey("b7".repeat(32));
        let new_id = ReporterSealer::new(&new).expect("a key").key_id().to_owned();

        // A node started with the new key before any rotation is told how to rotate.
        let refused = open(t, Some(new.clone())).await.err().expect("refused");
        assert!(format!("{refused:#}").contains("cannot be opened") && format!("{refused:#}").contains("rotate-key"), "{refused:#}");

        // A rotation stopped after its first batch: no node starts, with either key.
        let rotating = open_rotating(t, new.clone(), key()).await.expect("opens for the rotation");
        let first = rotating.operator().rotate_reporter_key(1, |_| ControlFlow::Break(())).await.expect("one batch");
        rotating.close().await;
        assert_eq!(first, Rotated { values: 1, finished: false });
        for k in [key(), new.clone()] {
            let refused = open(t, Some(k)).await.err().expect("refused mid-rotation");
            assert!(format!("{refused:#}").contains("has not finished") && format!("{refused:#}").contains("rotate-key"), "{refused:#}");
        }
        let (code, _, stderr) = cli(t, &["privacy", "export", "--contact", PHONE], &[("TAWASUL_REPORTER_KEY", &new.0)]);
        assert_ne!(code, 0);
        assert!(stderr.contains("rotate-key"), "{stderr}");

        // The command finishes it, a batch at a time, and repeated changes nothing.
        let old_hex = key().0;
        let env = [("TAWASUL_REPORTER_KEY", new.0.as_str()), ("TAWASUL_OLD_REPORTER_KEY", old_hex.as_str())];
        let (code, stdout, stderr) = cli(t, &["privacy", "rotate-key", "--batch", "1"], &env);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("encrypted 4 value(s) anew"), "the other case, two conversations, a call-back: {stdout}");
        let (code, stdout, stderr) = cli(t, &["privacy", "rotate-key"], &env);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("encrypted 0 value(s) anew"), "{stdout}");
        for sql in [
            "SELECT reporter_sealed FROM cases",
            "SELECT address FROM conversations",
            "SELECT phone FROM callbacks",
        ] {
            let values = texts(t, sql).await;
            assert!(!values.is_empty() && values.iter().all(|v| v.starts_with(&format!("{new_id}."))), "{sql}: {values:?}");
        }
        assert_nothing_personal(&stored_text(t).await);

        // The store opens with the new key only, and reads back the same, found by contact.
        let refused = open(t, Some(key())).await.err().expect("the old key opens it no more");
        assert!(format!("{refused:#}").contains("cannot be opened"), "{refused:#}");
        let app = open(t, Some(new)).await.expect("the new key opens it");
        let after = app.operator().privacy_export("+973 3300 1234").await.expect("export");
        assert_eq!(after.cases, before.cases);
        assert_eq!(after.conversations, before.conversations);
        assert_eq!(references(&app.operator().privacy_export(OTHER_PHONE).await.expect("export")), [others]);
        assert_eq!(app.operator().values_under_old_key().await.expect("count"), 0);
        app.close().await;
    }
}

on_both! { plain_site;
    async fn without_the_key_nothing_changes(t: &TestApp) {
        let (reference, _) = t.submit(report("تسرب", fatima())).await;
        assert_eq!(texts(t, "SELECT reporter_name FROM cases").await, [NAME]);
        assert_eq!(texts(t, "SELECT reporter_phone FROM cases").await, [PHONE]);
        assert_eq!(texts(t, "SELECT reporter_email FROM cases").await, [EMAIL]);
        for column in ["reporter_sealed", "reporter_phone_index", "reporter_email_index"] {
            assert!(texts(t, &format!("SELECT {column} FROM cases")).await.is_empty(), "{column}");
        }
        assert!(texts(t, "SELECT term FROM case_terms WHERE personal").await.contains(&SUBSCRIBER.to_owned()));
        conversations_and_a_callback(t, &reference).await;
        assert_eq!(texts(t, "SELECT address FROM conversations ORDER BY id").await, [PHONE, WA_ID]);
        assert_eq!(texts(t, "SELECT phone FROM callbacks").await, [PHONE]);
        for sql in ["SELECT address_index FROM conversations", "SELECT phone_index FROM callbacks"] {
            assert!(texts(t, sql).await.is_empty(), "{sql}");
        }
        let export = t.app.operator().privacy_export("0097333001234").await.expect("export");
        assert_eq!(references(&export), [reference.as_str()]);
        assert_eq!(conversations_and_calls(&export), (vec![("sms".to_owned(), PHONE.to_owned()), ("whatsapp".to_owned(), WA_ID.to_owned())], vec![PHONE.to_owned()]));
    }

    async fn the_encrypt_command_converts_a_store_written_in_the_clear_once(t: &TestApp) {
        let (with_all, _) = t.submit(report("تسرب أول", fatima())).await;
        conversations_and_a_callback(t, &with_all).await;
        let (name_only, _) = t.submit(report("تسرب ثان", json!({"name": NAME}))).await;
        let mut no_reporter = report("تسرب ثالث", json!({}));
        no_reporter.as_object_mut().expect("object").remove("reporter");
        let (anonymous, _) = t.submit(no_reporter).await;
        let hex = key().0;
        let (code, _, stderr) = cli(t, &["privacy", "encrypt"], &[]);
        assert_ne!(code, 0, "the key is required");
        assert!(stderr.contains("needs the reporter key"), "{stderr}");
        let (code, _, stderr) = cli(t, &["privacy", "encrypt", "--reporter-key", "abcd"], &[]);
        assert_ne!(code, 0, "a key of the wrong length is refused");
        assert!(stderr.contains("64 hex digits"), "{stderr}");
        assert_eq!(texts(t, "SELECT reporter_name FROM cases").await.len(), 2, "nothing changed");

        let (code, stdout, stderr) = cli(t, &["privacy", "encrypt", "--batch", "1"], &[("TAWASUL_REPORTER_KEY", &hex)]);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains("encrypted the reporter details of 2 case(s), the addresses of 2 conversation(s) and the numbers of 1 call-back(s)"),
            "{stdout}"
        );
        assert_nothing_personal(&stored_text(t).await);
        assert_eq!(texts(t, "SELECT reporter_sealed FROM cases").await.len(), 2, "the anonymous case has nothing to seal");
        let (code, stdout, stderr) = cli(t, &["privacy", "encrypt"], &[("TAWASUL_REPORTER_KEY", &hex)]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("of 0 case(s), the addresses of 0 conversation(s) and the numbers of 0 call-back(s)"), "repeated, it encrypts nothing more: {stdout}");

        // The store now opens only with the key, and finds her cases by her contact.
        assert!(open(t, None).await.is_err());
        let app = open(t, Some(key())).await.expect("opens with the key");
        let export = app.operator().privacy_export("+973 3300 1234").await.expect("export");
        assert_eq!(references(&export), [with_all.as_str()]);
        assert_eq!(export.cases[0]["reporter"]["email"], EMAIL);
        assert_eq!(conversations_and_calls(&export), (vec![("sms".to_owned(), PHONE.to_owned()), ("whatsapp".to_owned(), WA_ID.to_owned())], vec![PHONE.to_owned()]));
        app.close().await;
        let (code, stdout, stderr) = cli(t, &["privacy", "export", "--contact", EMAIL], &[("TAWASUL_REPORTER_KEY", &hex)]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains(&with_all) && stdout.contains(NAME), "{stdout}");
        assert!(!stdout.contains(&name_only) && !stdout.contains(&anonymous), "{stdout}");
    }
}
