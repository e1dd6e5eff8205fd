//! Closure the resident confirms (issue 16 §1), end to end on both backends: the photo of the
//! fix a service asks for, the survey link in the resolution's notice (valid, used, altered,
//! expired), the verdict that reopens a case or sends it to the satisfaction unit, and the
//! case that closes itself when nobody answers.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, photos, spawn, Backend, Options, TestApp};

const REPORTER: &str = "fatima@example.bh";
/// The pages in English, whose messages the tests read.
const EN: &str = "tawasul_lang=en";

/// One entity with a field service, a satisfaction department (not yet named in its policy)
/// and its staff; e-mail delivered to a real SMTP receiver; the test clock.
async fn closure(backend: Backend) -> TestApp {
    let t = spawn(Options {
        smtp: true,
        clock_starts: Some("2026-03-01T06:00:00Z".parse().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    f.entity("cap", "المحافظة", "Governorate", "governorate").await;
    f.department("cap", "roads", "الطرق", "Roads").await;
    f.department("cap", "satisfaction", "وحدة رضا المستفيدين", "Beneficiary Satisfaction")
        .await;
    f.service(ServiceSpec {
        entity: "cap",
        code: "pothole",
        name: ("حفرة في الطريق", "Pothole"),
        description: ("", ""),
        kinds: &["report", "complaint"],
        department: "roads",
        fields: json!([]),
    })
    .await;
    for (name, role) in [("cap.agent", Role::Agent), ("cap.officer", Role::Officer)] {
        f.staff(name, role, Some("cap")).await;
    }
    f.staff("root", Role::Admin, None).await;
    t
}

fn report(language: &str) -> Value {
    json!({
        "service": "pothole",
        "kind": "report",
        "description": "حفرة عميقة أمام المدرسة",
        "location": {"lat": 26.2, "lon": 50.58},
        "reporter": {"name": "Fatima", "email": REPORTER, "language": language}
    })
}

/// A reported case taken up to the point of resolution; its reference and tracking token.
async fn in_progress(t: &TestApp, language: &str) -> (String, String, String) {
    let (reference, token) = t.submit(report(language)).await;
    let officer = t.login("cap.officer", PASSWORD).await;
    let agent = t.login("cap.agent", PASSWORD).await;
    let path = format!("/api/v1/cases/{reference}/transitions");
    for (who, step) in [
        (&officer, json!({"action": "acknowledge"})),
        (&agent, json!({"action": "assign", "assignee": "cap.officer"})),
        (&officer, json!({"action": "start"})),
    ] {
        let (status, body) = t.api_post(&path, Some(who), step).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    (reference, token, officer)
}

async fn resolve(t: &TestApp, reference: &str, officer: &str) {
    let (status, body) = t
        .api_post(
            &format!("/api/v1/cases/{reference}/transitions"),
            Some(officer),
            json!({"action": "resolve", "resolution": "رُدمت الحفرة وأُعيد رصف الطريق"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The survey token of the latest resolution notice mailed to the reporter.
async fn survey_token(t: &TestApp, mails: usize) -> (String, String) {
    t.work().await;
    let inbox = t.inbox(REPORTER, mails).await;
    let notice = inbox
        .iter()
        .rev()
        .find(|m| m.body.contains("/survey/"))
        .unwrap_or_else(|| panic!("no survey link in {inbox:?}"));
    let token: String = notice
        .body
        .split("/survey/")
        .nth(1)
        .expect("link")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    assert_eq!(token.len(), 40, "{}", notice.body);
    (token, notice.body.clone())
}

async fn case_of(t: &TestApp, reference: &str, officer: &str) -> Value {
    let (status, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(officer)).await;
    assert_eq!(status, StatusCode::OK);
    case
}

fn answer(solved: &'static str, quality: &'static str, speed: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("csrf_token", tawasul_testkit::CSRF),
        ("solved", solved),
        ("quality", quality),
        ("speed", speed),
        ("agent", "4"),
        ("comment", "شكرًا"),
    ]
}

async fn set_policy(t: &TestApp, change: impl FnOnce(&mut Value)) {
    let root = t.login("root", PASSWORD).await;
    let path = "/api/v1/admin/entities/cap/policy";
    let (status, mut policy) = t.api_get(path, Some(&root)).await;
    assert_eq!(status, StatusCode::OK, "{policy}");
    change(&mut policy);
    let saved = t
        .json_of(t.client.put(t.url(path)).bearer_auth(&root).json(&policy))
        .await;
    assert_eq!(saved.0, StatusCode::OK, "{}", saved.1);
}

on_both! { closure;
    async fn a_service_that_asks_for_a_fix_photo_is_resolved_only_with_one(t: &TestApp) {
        let root = t.login("root", PASSWORD).await;
        let put = |who: &str, body: Value| t.client.put(t.url("/api/v1/admin/services/pothole/fix-photo")).bearer_auth(who).json(&body);
        let (reference, _, officer) = in_progress(t, "ar").await;
        assert_eq!(t.json_of(put(&officer, json!({"required": true}))).await.0, StatusCode::FORBIDDEN, "officers do not edit the catalogue");
        let (status, err) = t.json_of(put(&root, json!({"required": "yes"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(t.json_of(t.client.put(t.url("/api/v1/admin/services/nothing/fix-photo")).bearer_auth(&root).json(&json!({"required": true}))).await.0, StatusCode::NOT_FOUND);
        let (status, service) = t.json_of(put(&root, json!({"required": true}))).await;
        assert_eq!((status, service["fix_photo_required"].as_bool()), (StatusCode::OK, Some(true)), "{service}");
        let (_, catalogue) = t.api_get("/api/v1/services", None).await;
        let listed = &catalogue["items"][0];
        assert_eq!(listed["fix_photo_required"], json!(true));
        assert!(listed["expected"]["resolution_minutes"].as_i64().is_some_and(|m| m > 0), "{listed}");

        let path = format!("/api/v1/cases/{reference}/transitions");
        let (status, err) = t.api_post(&path, Some(&officer), json!({"action": "resolve", "resolution": "تم"})).await;
        assert_eq!((status, err["error"]["code"].as_str(), err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("required"), Some("fix_photo")), "{err}");
        assert_eq!(case_of(t, &reference, &officer).await["status"], "in_progress", "nothing changed");

        let multipart = |transition: Value, photo: Option<(Vec<u8>, &str)>| {
            let mut form = Form::new().text("transition", transition.to_string());
            if let Some((bytes, mime)) = photo {
                form = form.part("fix_photo", Part::bytes(bytes).file_name("fix.jpg").mime_str(mime).expect("mime"));
            }
            t.client.post(t.url(&path)).bearer_auth(&officer).multipart(form)
        };
        let resolve = json!({"action": "resolve", "resolution": "رُدمت الحفرة"});
        // Hostile and malformed: not a photo, a PDF, no transition part, an unknown part, a photo on another action.
        let (status, err) = t.json_of(multipart(resolve.clone(), Some((b"not a photo at all".to_vec(), "image/jpeg")))).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fix_photo")), "{err}");
        let (status, err) = t.json_of(multipart(resolve.clone(), Some((b"%PDF-1.4\n%%EOF".to_vec(), "application/pdf")))).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_photo")), "{err}");
        let (status, err) = t.json_of(t.client.post(t.url(&path)).bearer_auth(&officer).multipart(Form::new().part("fix_photo", Part::bytes(tawasul_testkit::png(1))))).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("transition")), "{err}");
        let (status, err) = t.json_of(multipart(resolve.clone(), None)).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fix_photo")), "multipart without the photo: {err}");
        let (status, err) = t.json_of(multipart(json!({"action": "wait_on_reporter"}), Some((tawasul_testkit::png(2), "image/png")))).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unexpected")), "{err}");
        let (status, err) = t.json_of(multipart(json!({"action": "resolve", "bogus": 1}), Some((tawasul_testkit::png(2), "image/png")))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let case = case_of(t, &reference, &officer).await;
        assert_eq!((case["status"].as_str(), case["attachments"].as_array().map(Vec::len)), (Some("in_progress"), Some(0)), "refusals wrote nothing");

        let (status, case) = t.json_of(multipart(resolve, Some((photos::jpeg_with_location(), "image/jpeg")))).await;
        assert_eq!((status, case["status"].as_str()), (StatusCode::OK, Some("resolved")), "{case}");
        let fix: Vec<&Value> = case["attachments"].as_array().expect("attachments").iter().filter(|a| a["fix"] == json!(true)).collect();
        assert_eq!(fix.len(), 1, "{case}");
        assert_eq!((fix[0]["public"].as_bool(), fix[0]["from_reporter"].as_bool()), (Some(true), Some(false)));
        let bytes = t.client.get(t.url(fix[0]["url"].as_str().expect("url"))).bearer_auth(&officer).send().await.expect("photo").bytes().await.expect("bytes");
        for marker in photos::METADATA_MARKERS {
            assert!(!bytes.windows(marker.len()).any(|w| w == *marker), "the fix photo is re-encoded without its metadata");
        }
        let resolve_event = case["timeline"].as_array().expect("timeline").iter().rev().find(|e| e["action"] == "resolve").expect("resolved");
        assert_eq!(resolve_event["details"]["fix_photo"], json!(true));

        // The pages: the staff case page and the reporter's show before and after.
        let staff = t.staff_cookie("cap.officer", PASSWORD).await;
        let page = t.page(&format!("/staff/cases/{reference}"), &staff).await;
        assert!(page.body.contains("class=\"before-after\"") && page.body.contains("class=\"after\""), "{}", page.status);
    }

    async fn the_staff_page_resolves_with_the_photo_and_refuses_without(t: &TestApp) {
        let root = t.login("root", PASSWORD).await;
        t.json_of(t.client.put(t.url("/api/v1/admin/services/pothole/fix-photo")).bearer_auth(&root).json(&json!({"required": true}))).await;
        let (reference, token, officer) = in_progress(t, "en").await;
        let staff = t.staff_cookie("cap.officer", PASSWORD).await;
        let csrf = TestApp::csrf_for(&staff);
        let send = |form: Form| t.client.post(t.url(&format!("/staff/cases/{reference}/resolve"))).header("cookie", format!("tawasul_csrf={}; {staff}", tawasul_testkit::CSRF)).multipart(form);
        let page = t.send(send(Form::new().text("csrf_token", csrf.clone()).text("resolution", "Filled"))).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "no photo");
        assert!(page.body.contains("id=\"fix-photo\""), "the form again");
        let two = Form::new().text("csrf_token", csrf.clone()).text("resolution", "Filled")
            .part("photos", Part::bytes(tawasul_testkit::png(1)).file_name("a.png"))
            .part("photos", Part::bytes(tawasul_testkit::png(2)).file_name("b.png"));
        assert_eq!(t.send(send(two)).await.status, StatusCode::UNPROCESSABLE_ENTITY, "one photo of the fix");
        let forged = Form::new().text("csrf_token", "forged").text("resolution", "Filled").part("photos", Part::bytes(tawasul_testkit::png(1)).file_name("a.png"));
        assert_eq!(t.send(send(forged)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(case_of(t, &reference, &officer).await["status"], "in_progress");
        let good = Form::new().text("csrf_token", csrf).text("resolution", "Filled and resurfaced")
            .part("photos", Part::bytes(tawasul_testkit::png(3)).file_name("after.png").mime_str("image/png").expect("mime"));
        let done = t.send(send(good)).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let track = t.page(&format!("/track/{reference}?token={token}"), "").await;
        assert!(track.body.contains("class=\"before-after\"") && track.body.contains("Filled and resurfaced"));
        assert!(track.body.contains("class=\"expected\""), "the resident sees the expected times");
    }

    async fn the_survey_link_answers_once_and_refuses_what_is_altered(t: &TestApp) {
        let (reference, _, officer) = in_progress(t, "en").await;
        resolve(t, &reference, &officer).await;
        let (token, body) = survey_token(t, 4).await;
        assert!(body.contains("Is the problem really solved?"), "in the reporter's language: {body}");
        let page = t.page(&format!("/survey/{token}"), "").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&reference) && page.body.contains("name=\"solved\""));
        // Altered, truncated, oversized, hostile: the same clear refusal, nothing written.
        let mut altered = token.clone().into_bytes();
        altered[39] = if altered[39] == b'0' { b'1' } else { b'0' };
        let altered = String::from_utf8(altered).expect("ascii");
        for bad in [altered.as_str(), &token[..39], &"a".repeat(500), "%3Cscript%3E"] {
            let refused = t.page(&format!("/survey/{bad}"), EN).await;
            assert_eq!(refused.status, StatusCode::NOT_FOUND, "{bad}");
            assert!(refused.body.contains("This link is not valid"), "{bad}: a clear message");
            let posted = t.post_form(&format!("/survey/{bad}"), "", &answer("yes", "5", "5")).await;
            assert_eq!(posted.status, StatusCode::NOT_FOUND, "{bad}");
        }
        let missing = t.post_form(&format!("/survey/{token}"), "", &[("csrf_token", tawasul_testkit::CSRF), ("quality", "5"), ("speed", "5"), ("agent", "5")]).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "the verdict is needed");
        let out_of_range = t.post_form(&format!("/survey/{token}"), "", &answer("yes", "9", "5")).await;
        assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(t.store.survey(case_id(t, &reference).await).await.expect("read").is_none(), "refusals wrote nothing");

        let done = t.post_form(&format!("/survey/{token}"), "", &answer("yes", "5", "4")).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let case = case_of(t, &reference, &officer).await;
        assert_eq!(case["status"], "closed", "a confirmed closure");
        let timeline = case["timeline"].as_array().expect("timeline");
        let survey = timeline.iter().find(|e| e["action"] == "survey").expect("survey event");
        assert_eq!(survey["details"], json!({"quality": 5, "speed": 4, "agent": 4, "low": false, "solved": true}));
        let close = timeline.iter().rev().find(|e| e["action"] == "close").expect("closed");
        assert_eq!((close["actor_type"].as_str(), close["details"]["confirmed"].as_bool(), close["details"]["auto"].as_bool()), (Some("system"), Some(true), None));

        let again = t.page(&format!("/survey/{token}"), EN).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.body.contains("This link has been used already"));
        let twice = t.post_form(&format!("/survey/{token}"), "", &answer("no", "1", "1")).await;
        assert_eq!(twice.status, StatusCode::CONFLICT, "single use");
        assert_eq!(case_of(t, &reference, &officer).await["status"], "closed", "the second answer changed nothing");
    }

    async fn not_solved_reopens_the_case_and_a_low_score_goes_to_the_satisfaction_unit(t: &TestApp) {
        // No satisfaction unit named: "not solved" reopens the case where it was.
        let (reference, _, officer) = in_progress(t, "ar").await;
        resolve(t, &reference, &officer).await;
        let (token, body) = survey_token(t, 4).await;
        assert!(body.contains("هل حُلّت المشكلة فعلًا؟"), "in Arabic for an Arabic reporter: {body}");
        let done = t.post_form(&format!("/survey/{token}"), "", &answer("no", "4", "4")).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let case = case_of(t, &reference, &officer).await;
        assert_eq!((case["status"].as_str(), case["department"].as_str(), case["assignee"].as_str()), (Some("assigned"), Some("roads"), Some("cap.officer")), "reopened where it was");
        let reopen = case["timeline"].as_array().expect("timeline").iter().rev().find(|e| e["action"] == "reopen").expect("reopened");
        assert_eq!((reopen["actor_type"].as_str(), reopen["details"]["why"].as_str()), (Some("system"), Some("not_solved")));
        assert!(case["sla"]["resolution_due"].is_string(), "the clock runs again");
        let staff = t.staff_cookie("cap.officer", PASSWORD).await;
        let page = t.page(&format!("/staff/cases/{reference}"), &format!("{staff}; {EN}")).await;
        assert!(page.body.contains("Reopened: the reporter said the problem is not solved."), "the timeline says why");

        // Resolved again: a new link, the old one is no more; a low score with a unit named goes there.
        set_policy(t, |p| p["satisfaction_department"] = json!("satisfaction")).await;
        t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&officer), json!({"action": "start"})).await;
        resolve(t, &reference, &officer).await;
        let (second, _) = survey_token(t, 6).await;
        assert_ne!(second, token);
        assert_eq!(t.page(&format!("/survey/{token}"), "").await.status, StatusCode::NOT_FOUND, "replaced by the new link");
        let done = t.post_form(&format!("/survey/{second}"), "", &answer("yes", "4", "2")).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let case = case_of(t, &reference, &officer).await;
        assert_eq!((case["status"].as_str(), case["department"].as_str(), case["assignee"].as_str()), (Some("assigned"), Some("satisfaction"), None), "{case}");
        let moved = case["timeline"].as_array().expect("timeline").iter().rev().find(|e| e["action"] == "reopen").expect("moved");
        assert_eq!((moved["details"]["why"].as_str(), moved["details"]["department"].as_str()), (Some("low_score"), Some("satisfaction")));
        let surveys: Vec<&Value> = case["timeline"].as_array().expect("timeline").iter().filter(|e| e["action"] == "survey").collect();
        assert_eq!(surveys.len(), 2, "one survey per resolution");
        assert_eq!((surveys[1]["details"]["solved"].as_bool(), surveys[1]["details"]["low"].as_bool()), (Some(true), Some(true)));
    }

    async fn an_unanswered_survey_closes_the_case_after_its_days_and_not_before(t: &TestApp) {
        set_policy(t, |p| p["survey_days"] = json!(3)).await;
        for bad in [json!(0), json!(61), json!("a week")] {
            let root = t.login("root", PASSWORD).await;
            let (_, mut policy) = t.api_get("/api/v1/admin/entities/cap/policy", Some(&root)).await;
            policy["survey_days"] = bad.clone();
            let (status, _) = t.json_of(t.client.put(t.url("/api/v1/admin/entities/cap/policy")).bearer_auth(&root).json(&policy)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        t.app.schedule_periodic_jobs().await.expect("periodic jobs");
        let (reference, _, officer) = in_progress(t, "en").await;
        resolve(t, &reference, &officer).await;
        let (token, _) = survey_token(t, 4).await;
        // Days pass: each look at the case is a fresh sign-in (sessions end when idle).
        let status = || async { case_of(t, &reference, &t.login("cap.officer", PASSWORD).await).await["status"].clone() };
        t.advance(chrono::Duration::days(3) - chrono::Duration::minutes(1));
        t.work().await;
        assert_eq!(status().await, "resolved", "not before its days");
        assert_eq!(t.page(&format!("/survey/{token}"), "").await.status, StatusCode::OK, "the link still works");
        t.advance(chrono::Duration::minutes(2));
        // The sweep runs every few minutes; let it come round.
        for _ in 0..10 {
            t.work().await;
            if status().await == "closed" {
                break;
            }
            t.advance(chrono::Duration::minutes(1));
        }
        let officer = t.login("cap.officer", PASSWORD).await;
        let case = case_of(t, &reference, &officer).await;
        assert_eq!(case["status"], "closed");
        let closes: Vec<&Value> = case["timeline"].as_array().expect("timeline").iter().filter(|e| e["action"] == "close").collect();
        assert_eq!(closes.len(), 1);
        assert_eq!((closes[0]["actor_type"].as_str(), &closes[0]["details"]), (Some("system"), &json!({"auto": true})));
        let expired = t.page(&format!("/survey/{token}"), EN).await;
        assert_eq!(expired.status, StatusCode::GONE);
        assert!(expired.body.contains("This link has expired"));
        assert_eq!(t.post_form(&format!("/survey/{token}"), "", &answer("no", "1", "1")).await.status, StatusCode::GONE);
        t.work().await;
        assert_eq!(case_of(t, &reference, &officer).await["timeline"].as_array().expect("timeline").iter().filter(|e| e["action"] == "close").count(), 1, "closed once");
    }
}

async fn case_id(t: &TestApp, reference: &str) -> i64 {
    t.store
        .case_by_reference(reference)
        .await
        .expect("read")
        .expect("case")
        .id
}
