//! Privacy (issue 13): the retention job anonymises the reporters of old cases that ended for
//! good and nothing else, keeping the figures; `tawasul privacy export` finds everything held
//! about a person by any form of their contact and nothing of anyone else's; `privacy erase`
//! refuses open cases unless forced, and leaves nothing personal to export; hostile contacts
//! get clear errors and exit codes. On SQLite and PostgreSQL.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use tawasul_app::cases::privacy::{Erasure, PersonalExport};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, PASSWORD};
use tawasul_testkit::process::{run, Storage};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");

/// 1 March 2020: the first cases are reported then.
const T0: &str = "2020-03-01T05:00:00Z";

const NAME: &str = "فاطمة أحمد";
const PHONE: &str = "+97333001234";
const EMAIL: &str = "fatima@example.bh";
const OTHER_NAME: &str = "علي حسن";
const OTHER_PHONE: &str = "+97336009876";

/// The forms of Fatima's phone number intake takes as the same number.
const PHONE_FORMS: [&str; 5] = [
    "+97333001234",
    "0097333001234",
    "+973 3300 1234",
    "+973-3300-1234",
    "٠٠٩٧٣٣٣٠٠١٢٣٤",
];

async fn site(backend: Backend) -> TestApp {
    let t = spawn(Options {
        clock_starts: Some(T0.parse::<DateTime<Utc>>().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    f.capital(json!([])).await;
    f.staff("root", Role::Admin, None).await;
    t
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

fn fatima() -> Value {
    json!({"name": NAME, "phone": PHONE, "email": EMAIL, "language": "ar"})
}

fn ali() -> Value {
    json!({"name": OTHER_NAME, "phone": OTHER_PHONE, "language": "ar"})
}

/// A staff action on a case, which must succeed.
async fn act(t: &TestApp, reference: &str, body: Value) {
    let supervisor = t.login("cap.supervisor", PASSWORD).await;
    let (status, answer) = t
        .api_post(
            &format!("/api/v1/cases/{reference}/transitions"),
            Some(&supervisor),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// Fatima's old rejected case, with her name and number in its text and a comment of hers.
async fn fatimas_old_case(t: &TestApp) -> (String, String) {
    let made = t
        .submit(report(&format!("تسرب أمام بيتي، أنا {NAME} ورقمي 33001234"), fatima()))
        .await;
    let (status, answer) = t
        .api_post(
            &format!("/api/v1/cases/{}/comments", made.0),
            Some(&made.1),
            json!({"body": format!("اتصلوا بي على {PHONE} — {NAME}")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    act(t, &made.0, json!({"action": "reject", "reason": "ليس من اختصاصنا"})).await;
    made
}

/// The KPI report of a year by service and area, as the platform administrator reads it.
async fn figures(t: &TestApp, year: i32) -> Vec<Value> {
    let root = t.login("root", PASSWORD).await;
    let mut out = vec![];
    for group in ["service", "area", "channel"] {
        let (status, mut report) = t
            .api_get(
                &format!("/api/v1/kpis?from={year}-01-01&to={year}-12-31&group_by={group}"),
                Some(&root),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        // When the figures were folded is not a figure.
        if let Some(fields) = report.as_object_mut() {
            fields.remove("folded_at");
            fields.remove("generated_at");
        }
        out.push(report);
    }
    out
}

/// The cases received in a year's figures (the service groups' volumes).
fn volume(reports: &[Value]) -> f64 {
    reports[0]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["kpis"].as_array().into_iter().flatten())
        .filter(|k| k["key"] == "volume")
        .filter_map(|k| k["value"].as_f64())
        .sum()
}

/// The text of everything stored about a case that could hold personal data, as staff see it.
async fn stored_text(t: &TestApp, reference: &str) -> String {
    let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
    let events = t.store.events(case.id).await.expect("events");
    format!("{case:?} {events:?}")
}

/// A count straight from the database (the search index's rows are no read model).
async fn count(t: &TestApp, sql: &str) -> i64 {
    use sqlx::Connection;
    match &t.database_url {
        Some(url) => {
            let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut db).await.expect(sql)
        }
        None => {
            let file = tawasul_store::backup::sqlite_file(t.data_dir.path());
            let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                .await
                .expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut db).await.expect(sql)
        }
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

/// `tawasul privacy ARGS` on the test's installation: exit code, stdout, stderr.
fn privacy_cli(t: &TestApp, args: &[&str]) -> (i32, String, String) {
    let storage = Storage {
        data_dir: t.data_dir.path().to_path_buf(),
        database_url: t.database_url.clone(),
    };
    let mut all: Vec<String> = std::iter::once("privacy".to_owned())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .collect();
    all.extend(storage.args());
    let output = run(Path::new(EXE), &all, &[]);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

on_both! { site;
    async fn retention_anonymises_only_old_final_cases_and_keeps_the_figures(t: &TestApp) {
        let (old, old_token) = fatimas_old_case(t).await;
        let (open, _) = t.submit(report("تسرب ما زال مفتوحا", fatima())).await;
        let (alis, _) = t.submit(report(&format!("أنا {OTHER_NAME}"), ali())).await;
        act(t, &alis, json!({"action": "reject", "reason": "مكرر"})).await;
        t.advance(Duration::days(4 * 365));
        let (recent, _) = t.submit(report("تسرب حديث", fatima())).await;
        act(t, &recent, json!({"action": "reject", "reason": "مكرر"})).await;
        t.advance(Duration::days(400));
        let before = (figures(t, 2020).await, figures(t, 2024).await);
        assert_eq!((volume(&before.0), volume(&before.1)), (3.0, 1.0), "the figures compared hold the cases");
        assert!(t.api_get(&format!("/api/v1/cases/{old}"), Some(&old_token)).await.0.is_success(), "the link works before");

        let run = t.app.anonymise_expired(5).await.expect("retention");
        assert_eq!(run.anonymised, 2, "Fatima's and Ali's old rejected cases, not the open nor the recent one");
        assert!(!run.more);

        for reference in [&old, &alis] {
            let text = stored_text(t, reference).await;
            for personal in [NAME, PHONE, EMAIL, "33001234", OTHER_NAME, OTHER_PHONE] {
                assert!(!text.contains(personal), "{reference} still holds {personal}: {text}");
            }
            let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
            assert_eq!((case.reporter_name, case.reporter_phone, case.reporter_email), (None, None, None));
            assert_eq!(case.status.as_str(), "rejected", "the figures' fields stay");
            assert_eq!(case.service_code, "water-leak");
        }
        let old_case = t.store.case_by_reference(&old).await.expect("read").expect("case");
        assert!(old_case.description.contains("[erased]"), "{}", old_case.description);
        assert!(old_case.description.contains("تسرب أمام بيتي"), "the substance of the report stays");
        for reference in [&open, &recent] {
            let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
            assert_eq!(case.reporter_phone.as_deref(), Some(PHONE), "{reference} is left alone");
        }
        let words = count(t, &format!(
            "SELECT COUNT(*) FROM case_terms WHERE case_id = {} AND term IN ('33001234', '97333001234', 'fatima')",
            old_case.id
        )).await;
        assert_eq!(words, 0, "the search index lost her name and number");
        assert!(!t.api_get(&format!("/api/v1/cases/{old}"), Some(&old_token)).await.0.is_success(), "the tracking link is gone");

        let after = (figures(t, 2020).await, figures(t, 2024).await);
        assert_eq!(before, after, "the figures are unchanged");
        t.app.operator().rebuild_kpis(&|_| {}, &|_| {}).await.expect("rebuild");
        assert_eq!(before, (figures(t, 2020).await, figures(t, 2024).await), "and so are the figures rebuilt from the events");

        let again = t.app.anonymise_expired(5).await.expect("retention again");
        assert_eq!(again.anonymised, 0, "a repeated run finds nothing");
        let audited = t.store.audit_log(100).await.expect("audit").iter().filter(|a| a.action == "privacy_retention").count();
        assert_eq!(audited, 1, "one audit entry for the run that did something");
    }

    async fn export_finds_every_case_by_every_form_of_the_contact_and_no_one_else(t: &TestApp) {
        let (with_all, _) = t.submit(report("تسرب أول", fatima())).await;
        let (phone_only, _) = t.submit(report("تسرب ثان", json!({"phone": PHONE}))).await;
        let (email_only, _) = t.submit(report("تسرب ثالث", json!({"email": EMAIL, "name": NAME}))).await;
        let (alis, _) = t.submit(report(&format!("أنا {OTHER_NAME}"), ali())).await;
        let (status, _) = t.api_post("/api/v1/auth/code", None, json!({"contact": PHONE})).await;
        assert_eq!(status, StatusCode::ACCEPTED);

        let mut by_phone = vec![with_all.clone(), phone_only.clone()];
        by_phone.sort();
        for form in PHONE_FORMS {
            let export = t.app.operator().privacy_export(form).await.expect("export");
            assert_eq!(export.contact, PHONE, "{form}");
            assert_eq!(references(&export), by_phone, "{form}");
            assert_eq!(export.one_time_codes.len(), 1, "{form}");
            let text = serde_json::to_string(&export).expect("json");
            assert!(!text.contains(&alis) && !text.contains(OTHER_NAME) && !text.contains(OTHER_PHONE), "{form}: {text}");
            assert!(!text.contains("code_hash") && !text.contains("token"), "no secrets: {text}");
        }
        let mut by_email = vec![with_all.clone(), email_only.clone()];
        by_email.sort();
        for form in [EMAIL, "Fatima@Example.BH", "  FATIMA@EXAMPLE.BH "] {
            let export = t.app.operator().privacy_export(form).await.expect("export");
            assert_eq!(references(&export), by_email, "{form}");
        }
        let export = t.app.operator().privacy_export(PHONE).await.expect("export");
        let case = export.cases.iter().find(|c| c["reference"] == with_all.as_str()).expect("the case");
        assert_eq!(case["reporter"]["name"], NAME);
        assert_eq!(case["description"], "تسرب أول");
        assert!(case["timeline"].as_array().is_some_and(|t| t.iter().any(|e| e["action"] == "received")));
        assert!(!export.notifications.is_empty(), "the notifications sent to her number");
    }

    async fn erase_refuses_open_cases_unless_forced_and_leaves_nothing_to_export(t: &TestApp) {
        let (old, _) = fatimas_old_case(t).await;
        let (open, _) = t.submit(report("تسرب مفتوح", fatima())).await;
        let (alis, _) = t.submit(report(&format!("أنا {OTHER_NAME}"), ali())).await;
        let before = figures(t, 2020).await;

        let refused = t.app.operator().privacy_erase("00973 3300 1234", false).await.expect("erase");
        assert_eq!(refused, Erasure::Refused { open: vec![open.clone()] });
        assert_eq!(references(&t.app.operator().privacy_export(PHONE).await.expect("export")).len(), 2, "nothing changed");

        let done = t.app.operator().privacy_erase(PHONE, true).await.expect("erase");
        let mut cases = match done {
            Erasure::Done { cases, .. } => cases,
            other => panic!("erased: {other:?}"),
        };
        cases.sort();
        let mut expected = vec![old.clone(), open.clone()];
        expected.sort();
        assert_eq!(cases, expected);
        for contact in [PHONE, EMAIL] {
            let export = t.app.operator().privacy_export(contact).await.expect("export");
            assert!(export.cases.is_empty() && export.notifications.is_empty() && export.one_time_codes.is_empty(), "{contact}: {export:?}");
        }
        for reference in [&old, &open] {
            let text = stored_text(t, reference).await;
            for personal in [NAME, PHONE, EMAIL, "33001234"] {
                assert!(!text.contains(personal), "{reference} still holds {personal}");
            }
        }
        let alis_case = t.store.case_by_reference(&alis).await.expect("read").expect("case");
        assert_eq!(alis_case.reporter_name.as_deref(), Some(OTHER_NAME), "other people's cases are left alone");
        assert_eq!(before, figures(t, 2020).await, "the figures are unchanged");
        let again = t.app.operator().privacy_erase(PHONE, true).await.expect("erase again");
        assert!(matches!(again, Erasure::Done { ref cases, .. } if cases.is_empty()), "{again:?}");
        let audit = t.store.audit_log(100).await.expect("audit");
        let erasures: Vec<_> = audit.iter().filter(|a| a.action == "privacy_erase").collect();
        assert_eq!(erasures.len(), 2);
        assert!(erasures.iter().all(|a| !a.details.contains(PHONE) && !a.details.contains("33001234")), "the audit names cases, never the contact");
    }

    async fn the_command_line_exports_erases_and_refuses_hostile_contacts(t: &TestApp) {
        let (old, _) = fatimas_old_case(t).await;
        let (open, _) = t.submit(report("تسرب مفتوح", fatima())).await;
        let (alis, _) = t.submit(report("تسرب", ali())).await;

        let (code, out, err) = privacy_cli(t, &["export", "--contact", "+973 3300-1234"]);
        assert_eq!(code, 0, "{err}");
        let export: Value = serde_json::from_str(&out).expect("JSON on stdout");
        let refs: Vec<&str> = export["cases"].as_array().expect("cases").iter().filter_map(|c| c["reference"].as_str()).collect();
        assert!(refs.contains(&old.as_str()) && refs.contains(&open.as_str()) && !refs.contains(&alis.as_str()), "{refs:?}");
        let file = t.data_dir.path().join("fatima.json");
        let file_arg = file.display().to_string();
        let (code, out, _) = privacy_cli(t, &["export", "--contact", EMAIL, "--out", &file_arg]);
        assert_eq!((code, out.as_str()), (0, ""), "written to the file, not stdout");
        let written: Value = serde_json::from_slice(&std::fs::read(&file).expect("the file")).expect("JSON");
        assert_eq!(written["contact"], EMAIL);

        let long = "9".repeat(10 * 1024);
        for hostile in ["", "   ", &long, "x' OR '1'='1", "0501234567", "+973 3300 1234; DROP TABLE cases"] {
            let (code, out, err) = privacy_cli(t, &["export", "--contact", hostile]);
            assert_eq!(code, 1, "{hostile:.30}: {out}");
            assert!(err.contains("contact") && out.is_empty(), "{hostile:.30}: {err}");
            assert!(!err.contains(&long[..100]), "the error does not echo a long input");
            let (code, _, _) = privacy_cli(t, &["erase", "--contact", hostile]);
            assert_eq!(code, 1, "{hostile:.30}");
        }
        for unknown in ["+97399999999", "a'--@example.bh"] {
            let (code, out, err) = privacy_cli(t, &["export", "--contact", unknown]);
            assert_eq!(code, 0, "{err}");
            let export: Value = serde_json::from_str(&out).expect("JSON");
            assert_eq!(export["cases"], json!([]), "{unknown}");
            assert!(err.contains("nothing is held"), "{err}");
        }

        let (code, out, err) = privacy_cli(t, &["erase", "--contact", PHONE]);
        assert_eq!(code, 3, "refused while a case is open: {out}");
        assert!(err.contains(&open) && err.contains("--force"), "{err}");
        assert!(t.store.case_by_reference(&old).await.expect("read").expect("case").reporter_phone.is_some(), "nothing changed");

        let (code, out, err) = privacy_cli(t, &["erase", "--contact", PHONE, "--force"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("anonymised 2 case(s)") && out.contains(&old) && out.contains(&open), "{out}");
        let (code, out, _) = privacy_cli(t, &["export", "--contact", PHONE]);
        assert_eq!(code, 0);
        for personal in [NAME, EMAIL, old.as_str(), open.as_str()] {
            assert!(!out.contains(personal), "{personal} after the erasure: {out}");
        }
        let (code, out, _) = privacy_cli(t, &["erase", "--contact", PHONE]);
        assert_eq!((code, out.lines().next()), (0, Some("anonymised 0 case(s)")), "a repeated erasure does nothing");
    }

    async fn an_erasure_is_applied_again_to_a_backup_restored_from_before_it(t: &TestApp) {
        let (old, _) = fatimas_old_case(t).await;
        let (alis, _) = t.submit(report("تسرب", ali())).await;
        let cli = |args: Vec<String>, storage: &Storage| {
            let mut all = args;
            all.extend(storage.args());
            let output = run(Path::new(EXE), &all, &[]);
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
        };
        let here = Storage { data_dir: t.data_dir.path().to_path_buf(), database_url: t.database_url.clone() };
        let scratch = tempfile::tempdir().expect("scratch");
        let backup = scratch.path().join("before-the-erasure");
        let (code, _, err) = cli(vec!["backup".into(), "--to".into(), backup.display().to_string()], &here);
        assert_eq!(code, 0, "{err}");

        let (code, _, err) = privacy_cli(t, &["erase", "--contact", PHONE]);
        assert_eq!(code, 0, "{err}");
        let journal = t.data_dir.path().join("erasures.jsonl");
        let written = std::fs::read_to_string(&journal).expect("the erasure is journalled");
        assert!(written.contains(&old) && !written.contains(&alis), "{written}");
        for personal in [PHONE, "33001234", NAME, EMAIL] {
            assert!(!written.contains(personal), "the journal holds references, never the person: {written}");
        }

        let restored = Storage {
            data_dir: scratch.path().join("restored"),
            database_url: match &t.database_url {
                Some(_) => Some(tawasul_testkit::postgres::fresh_database().await),
                None => None,
            },
        };
        let (code, _, err) = cli(vec!["restore".into(), "--from".into(), backup.display().to_string()], &restored);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("privacy reapply"), "restore says what to do about erasures: {err}");
        let exported = |storage: &Storage| {
            let (code, out, err) = cli(vec!["privacy".into(), "export".into(), "--contact".into(), PHONE.into()], storage);
            assert_eq!(code, 0, "{err}");
            out
        };
        assert!(exported(&restored).contains(&old), "the backup brings the erased person back");

        let reapply = |journal: &Path| vec!["privacy".into(), "reapply".into(), "--journal".into(), journal.display().to_string()];
        let damaged = scratch.path().join("damaged.jsonl");
        std::fs::write(&damaged, format!("{written}{{\"at\": 1, \"cases\": \"all\"}}\n")).expect("write");
        let (code, out, err) = cli(reapply(&damaged), &restored);
        assert_eq!(code, 1, "{out}");
        assert!(err.contains("line 2"), "names the damaged line: {err}");
        assert!(exported(&restored).contains(&old), "a damaged journal changes nothing");

        let (code, out, err) = cli(reapply(&journal), &restored);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("1 case(s) listed: 1 anonymised again"), "{out}");
        let after = exported(&restored);
        for personal in [NAME, EMAIL, old.as_str()] {
            assert!(!after.contains(personal), "{personal} after re-applying the erasure: {after}");
        }
        let kept = std::fs::read_to_string(restored.data_dir.join("erasures.jsonl")).expect("the restored data's own journal");
        assert_eq!(kept, written, "the restored installation keeps the journal for its own backups");
        let (code, out, _) = cli(reapply(&journal), &restored);
        assert_eq!((code, out.trim()), (0, "1 case(s) listed: 0 anonymised again, 1 already, 0 not in this database"));
        assert_eq!(std::fs::read_to_string(restored.data_dir.join("erasures.jsonl")).expect("journal"), written, "added once");
        let alis_case = cli(vec!["privacy".into(), "export".into(), "--contact".into(), OTHER_PHONE.into()], &restored).1;
        assert!(alis_case.contains(&alis), "no one else is touched");
    }

    async fn the_retention_job_runs_in_the_job_runner_when_configured(t: &TestApp) {
        let (old, _) = fatimas_old_case(t).await;
        t.advance(Duration::days(5 * 366));
        t.app.schedule_periodic_jobs().await.expect("scheduled");
        t.app.run_jobs_until_idle().await.expect("jobs");
        let kept = t.store.case_by_reference(&old).await.expect("read").expect("case");
        assert_eq!(kept.reporter_phone.as_deref(), Some(PHONE), "off unless configured");

        // A node of the same installation started with --retention-years 5.
        let settings = tawasul_app::Settings {
            data_dir: t.data_dir.path().to_path_buf(),
            database_url: t.database_url.clone(),
            retention_years: Some(5),
            ..tawasul_app::Settings::default()
        };
        let clock = t.clock.clone().expect("the test clock");
        let node = tawasul_app::App::open(settings).await.expect("a second node").with_clock(clock);
        t.advance(Duration::days(1));
        node.run_jobs_until_idle().await.expect("jobs");
        let gone = t.store.case_by_reference(&old).await.expect("read").expect("case");
        assert_eq!((gone.reporter_name, gone.reporter_phone), (None, None), "the daily run anonymised it");
        let audited = t.store.audit_log(100).await.expect("audit").iter().filter(|a| a.action == "privacy_retention").count();
        assert_eq!(audited, 1);
        node.close().await;
    }
}
