//! Privacy end to end (issue 13): no existence oracles, no staff identities or internal
//! reasons for residents, masking by role in every view, no credentials stored in the clear,
//! photos without their location. Every test runs on SQLite and on PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

/// Two entities with a service each, and staff of every role of `cap`.
async fn privacy(backend: Backend) -> TestApp {
    let t = spawn(Options {
        smtp: true,
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    for (code, dept) in [("cap", "water"), ("mun", "lighting")] {
        f.entity(code, "جهة", "Entity", "governorate").await;
        f.department(code, dept, "قسم", "Dept").await;
        f.department(code, "roads", "الطرق", "Roads").await;
        f.service(ServiceSpec {
            entity: code,
            code: &format!("{code}-service"),
            name: ("تسرب مياه", "Water leak"),
            description: ("", ""),
            kinds: &["complaint", "report"],
            department: dept,
            fields: json!([]),
        })
        .await;
    }
    for role in Role::ALL {
        f.staff(&format!("cap.{}", role.as_str()), *role, Some("cap")).await;
    }
    f.staff("mun.officer", Role::Officer, Some("mun")).await;
    f.staff("mun.admin", Role::Admin, Some("mun")).await;
    f.staff("root", Role::Admin, None).await;
    t
}

const NAME: &str = "فاطمة أحمد";
const PHONE: &str = "+97333001234";
const EMAIL: &str = "fatima@example.bh";

fn complaint(text: &str) -> Value {
    json!({
        "service": "cap-service",
        "kind": "complaint",
        "description": text,
        "reporter": {"name": NAME, "phone": "+973 3300 1234", "email": EMAIL, "language": "ar"}
    })
}

/// The first run of six or more digits in a mail: the one-time code it carries.
fn code_in(body: &str) -> String {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() >= 6)
        .expect("a code in the mail")
        .to_owned()
}

/// A resident's bearer session, signed in with the one-time code mailed to `email`.
async fn resident_session(t: &TestApp, email: &str) -> String {
    let before = t.inbox(email, 0).await.len();
    assert_eq!(
        t.api_post("/api/v1/auth/code", None, json!({"contact": email})).await.0,
        StatusCode::ACCEPTED
    );
    t.work().await;
    let mail = t.inbox(email, before + 1).await;
    let code = code_in(&mail.last().expect("the code's mail").body);
    let (status, session) = t
        .api_post(
            "/api/v1/auth/code/verify",
            None,
            json!({"contact": email, "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    session["token"].as_str().expect("token").to_owned()
}

/// Every staff view where a case or its reporter could appear, as `username` sees it: the
/// REST case, list, search and survey, and the console's case, queue, search and board pages.
async fn staff_views(t: &TestApp, reference: &str, username: &str) -> Vec<(String, StatusCode, String)> {
    let bearer = t.login(username, PASSWORD).await;
    let cookie = t.staff_cookie(username, PASSWORD).await;
    let by_name = "q=%D9%81%D8%A7%D8%B7%D9%85%D8%A9"; // فاطمة
    let mut seen = vec![];
    for path in [
        format!("/api/v1/cases/{reference}"),
        "/api/v1/cases".into(),
        format!("/api/v1/cases?{by_name}"),
        format!("/api/v1/cases/{reference}/survey"),
    ] {
        let (status, body) = t.api_get(&path, Some(&bearer)).await;
        seen.push((format!("GET {path}"), status, body.to_string()));
    }
    for path in [
        format!("/staff/cases/{reference}"),
        "/staff".into(),
        format!("/staff?{by_name}"),
        "/staff/board".into(),
    ] {
        let page = t.page(&path, &cookie).await;
        // The search box shows back what was searched for.
        seen.push((
            format!("page {path}"),
            page.status,
            page.body.replace(r#"value="فاطمة""#, ""),
        ));
    }
    seen
}

/// A reference in the right shape that no case has.
const MISSING: &str = "TW-2026-9999999";

on_both! { privacy;
    async fn no_one_learns_whether_a_case_exists(t: &TestApp) {
        let (real, token) = t.submit(complaint("تسرب مياه أمام المنزل")).await;
        let mun = t.login("mun.officer", PASSWORD).await;
        let mun_admin = t.login("mun.admin", PASSWORD).await;
        let own = t.login("cap.officer", PASSWORD).await;
        // Every path of the API that names a case, as each kind of stranger.
        let paths = |r: &str| [
            format!("/api/v1/cases/{r}"),
            format!("/api/v1/cases/{r}/survey"),
            format!("/api/v1/cases/{r}/attachments/1"),
        ];
        let strangers: [(&str, Option<&str>); 4] = [
            ("anonymous", None),
            ("a wrong token", Some("not-the-token-of-any-case-0123456789")),
            ("another entity's officer", Some(&mun)),
            ("another entity's administrator", Some(&mun_admin)),
        ];
        for (who, bearer) in strangers {
            for (at_real, at_missing) in paths(&real).iter().zip(paths(MISSING).iter()) {
                let (real_status, real_body) = t.api_get(at_real, bearer).await;
                let (missing_status, missing_body) = t.api_get(at_missing, bearer).await;
                assert_eq!((real_status, &real_body), (missing_status, &missing_body), "{who}: {at_real} against {at_missing}");
                assert!(matches!(real_status, StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND), "{who}: {at_real} → {real_status}");
            }
            for (r, label) in [(real.as_str(), "real"), (MISSING, "missing")] {
                let (status, _) = t.api_post(&format!("/api/v1/cases/{r}/comments"), bearer, json!({"body": "مرحبا"})).await;
                let expected = if bearer.is_none() { StatusCode::UNAUTHORIZED } else { StatusCode::NOT_FOUND };
                assert_eq!(status, expected, "{who} comments on the {label} case");
                let (status, _) = t.api_post(&format!("/api/v1/cases/{r}/survey"), bearer, json!({"quality": 5, "speed": 5, "agent": 5, "solved": true})).await;
                assert_eq!(status, expected, "{who} rates the {label} case");
            }
        }
        assert_eq!(t.api_get(&format!("/api/v1/cases/{MISSING}"), None).await.0, StatusCode::UNAUTHORIZED, "no credentials: 401 for all");
        assert_eq!(t.api_get(&format!("/api/v1/cases/{real}"), Some(&mun)).await.0, StatusCode::NOT_FOUND, "another entity: 404 as for none");
        // Those who may see it still do.
        assert_eq!(t.api_get(&format!("/api/v1/cases/{real}"), Some(&token)).await.0, StatusCode::OK);
        assert_eq!(t.api_get(&format!("/api/v1/cases/{real}"), Some(&own)).await.0, StatusCode::OK);

        // The pages: the staff console of another entity, and the tracking page without or
        // with a wrong token, answer alike for the real case and the missing one.
        let mun_cookie = t.staff_cookie("mun.officer", PASSWORD).await;
        for path in ["/staff/cases/{r}", "/staff/cases/{r}/attachments/1"] {
            let at_real = t.page(&path.replace("{r}", &real), &mun_cookie).await;
            let at_missing = t.page(&path.replace("{r}", MISSING), &mun_cookie).await;
            assert_eq!((at_real.status, at_missing.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND), "{path}");
            assert_eq!(at_real.body.replace(&real, MISSING), at_missing.body, "{path}: the same page");
        }
        for query in ["", "?token=not-the-token-of-any-case-0123456789"] {
            let at_real = t.page(&format!("/track/{real}{query}"), "").await;
            let at_missing = t.page(&format!("/track/{MISSING}{query}"), "").await;
            assert_eq!((at_real.status, at_real.location()), (at_missing.status, at_missing.location()), "/track{query}");
            assert_eq!(at_real.body.replace(&real, MISSING), at_missing.body, "/track{query}: the same page");
        }
        let own_cookie = t.staff_cookie("cap.officer", PASSWORD).await;
        assert_eq!(t.page(&format!("/staff/cases/{real}"), &own_cookie).await.status, StatusCode::OK);
        assert_eq!(t.page(&format!("/track/{real}?token={token}"), "").await.status, StatusCode::OK);
    }

    async fn residents_see_departments_never_staff_or_internal_reasons(t: &TestApp) {
        const INTERNAL: &str = "طلب المدير نقلها لأسباب داخلية";
        let (reference, token) = t.submit(complaint("عمود إنارة مكسور")).await;
        let agent = t.login("cap.agent", PASSWORD).await;
        let case_path = format!("/api/v1/cases/{reference}");
        let (status, view) = t.api_post(&format!("{case_path}/transitions"), Some(&agent),
            json!({"action": "assign", "department": "water", "assignee": "cap.officer"})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let (status, view) = t.api_post(&format!("{case_path}/transfer"), Some(&agent),
            json!({"department": "roads", "reason": INTERNAL})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let (status, view) = t.api_post(&format!("{case_path}/transfer"), Some(&agent),
            json!({"entity": "mun", "reason": INTERNAL})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let mun = t.login("mun.officer", PASSWORD).await;
        let mun_admin = t.login("mun.admin", PASSWORD).await;
        let (status, view) = t.api_post(&format!("{case_path}/transfer/accept"), Some(&mun_admin), json!({"department": "lighting"})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let (status, view) = t.api_post(&format!("{case_path}/transitions"), Some(&mun_admin),
            json!({"action": "assign", "assignee": "mun.officer", "reason": INTERNAL})).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        t.work().await;

        // Staff still see who and why.
        let (_, staff_view) = t.api_get(&case_path, Some(&mun)).await;
        assert!(staff_view.to_string().contains(INTERNAL), "staff read the transfer's reason");
        let (_, cap_view) = t.api_get(&case_path, Some(&t.login("root", PASSWORD).await)).await;
        assert!(cap_view["timeline"].as_array().expect("timeline").iter().any(|e| e["details"]["assignee"] == "cap.officer"), "{cap_view}");

        let leaks = |what: &str, text: &str| {
            for secret in ["cap.agent", "cap.officer", "mun.officer", "mun.admin", INTERNAL] {
                assert!(!text.contains(secret), "{what} shows {secret:?} to the resident: {text}");
            }
        };
        let (status, mine) = t.api_get(&case_path, Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        leaks("the case by token", &mine.to_string());
        let timeline = mine["timeline"].as_array().expect("timeline");
        let assign = timeline.iter().find(|e| e["action"] == "assign").expect("the assignment is public");
        assert_eq!(assign["details"]["department"], "water", "the department is shown: {assign}");
        let transfers: Vec<&Value> = timeline.iter().filter(|e| e["action"] == "transferred").collect();
        assert_eq!(transfers.len(), 2, "the transfers are shown: {mine}");
        assert!(transfers.iter().all(|e| e["body"].is_null() && e["details"].get("under_ola").is_none()), "{transfers:?}");
        assert_eq!(transfers[1]["details"]["to_entity"], "mun");
        assert!(mine["assignee"].is_null() && mine["transfers"] == json!([]));

        let session = resident_session(t, EMAIL).await;
        let (status, listed) = t.api_get("/api/v1/me/cases", Some(&session)).await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        assert_eq!(listed["items"][0]["reference"], reference.as_str());
        assert!(listed["items"][0]["assignee"].is_null(), "no assignee in the resident's list: {listed}");
        assert_eq!(listed["items"][0]["department"], "lighting", "but the department: {listed}");
        leaks("the resident's list", &listed.to_string());
        let (_, by_session) = t.api_get(&case_path, Some(&session)).await;
        leaks("the case by session", &by_session.to_string());

        let page = t.page(&format!("/track/{reference}?token={token}"), "").await;
        assert_eq!(page.status, StatusCode::OK);
        leaks("the tracking page", &page.body);

        let outbox = t.store.outbox(100).await.expect("outbox");
        assert!(outbox.iter().any(|n| n.template == "case_assigned"), "the assignment was notified");
        for n in &outbox {
            leaks(&format!("the {} notification", n.template), &n.payload);
        }
        for mail in t.inbox(EMAIL, 4).await {
            leaks(&format!("the mail {:?}", mail.subject), &mail.body);
        }
    }

    async fn the_reporter_s_details_show_only_to_roles_that_may_see_them(t: &TestApp) {
        let (reference, token) = t.submit(complaint("تسرب مياه في الشارع الرئيسي")).await;
        let case_path = format!("/api/v1/cases/{reference}");
        let (status, _) = t.api_post(&format!("{case_path}/comments"), Some(&token), json!({"body": "ما زال التسرب مستمرا"})).await;
        assert_eq!(status, StatusCode::CREATED);
        let upload = t.client.post(t.url(&format!("{case_path}/attachments"))).bearer_auth(&token)
            .header("content-type", "image/png").body(tawasul_testkit::png(1)).send().await.expect("upload");
        assert_eq!(upload.status(), StatusCode::CREATED);
        // Every piece of the reporter's details as it could appear in a view.
        let personal = ["فاطمة", "أحمد", PHONE, "3300 1234", "33001234", EMAIL, "fatima@"];
        let check = |who: &str, may_see: bool, seen: Vec<(String, StatusCode, String)>| {
            let mut shown_whole = false;
            for (view, status, body) in seen {
                assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{who}: {view}");
                if may_see {
                    shown_whole |= [NAME, PHONE, EMAIL].iter().all(|p| body.contains(p));
                } else {
                    for p in personal {
                        assert!(!body.contains(p), "{who} may not see the reporter, but {view} shows {p:?}: {body}");
                    }
                }
            }
            assert_eq!(shown_whole, may_see, "{who}: the case's views show the reporter's details to roles that may see them");
        };
        let may_see = |role: Role| matches!(role, Role::Admin | Role::Supervisor | Role::Agent | Role::Officer | Role::Satisfaction);
        for role in Role::ALL {
            let who = format!("cap.{}", role.as_str());
            check(&who, may_see(*role), staff_views(t, &reference, &who).await);
        }
        check("root", true, staff_views(t, &reference, "root").await);
        check("mun.officer", false, staff_views(t, &reference, "mun.officer").await);

        // Handed to another entity: the sender's staff follow it, masked whatever their role;
        // the receiver's see it by their own roles.
        let agent = t.login("cap.agent", PASSWORD).await;
        let (status, moved) = t.api_post(&format!("{case_path}/transfer"), Some(&agent), json!({"entity": "mun", "reason": "من اختصاص البلدية"})).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        for role in Role::ALL {
            let who = format!("cap.{}", role.as_str());
            let seen = staff_views(t, &reference, &who).await;
            let (_, status, _) = &seen[0];
            assert_eq!(*status, StatusCode::OK, "{who} follows the case it handed over");
            check(&format!("{who}, following"), false, seen);
        }
        check("mun.officer, receiving", true, staff_views(t, &reference, "mun.officer").await);
        check("mun.admin, receiving", true, staff_views(t, &reference, "mun.admin").await);
    }
}

on_both! { privacy;
    async fn every_view_of_the_reporter_s_details_is_audited_by_whom(t: &TestApp) {
        let (reference, _) = t.submit(complaint("تسرب مياه أمام المدرسة")).await;
        let target = format!("case:{reference}");
        let may_see = |role: Role| matches!(role, Role::Admin | Role::Supervisor | Role::Agent | Role::Officer | Role::Satisfaction);
        for role in Role::ALL {
            staff_views(t, &reference, &format!("cap.{}", role.as_str())).await;
        }
        staff_views(t, &reference, "mun.officer").await;
        // Many reads in a row, written in batches, each a link of the chain.
        let agent = t.login("cap.agent", PASSWORD).await;
        for _ in 0..60 {
            assert_eq!(t.api_get(&format!("/api/v1/cases/{reference}"), Some(&agent)).await.0, StatusCode::OK);
        }
        let cookie = t.staff_cookie("cap.supervisor", PASSWORD).await;
        let export = t.page("/staff/export/download?format=csv&entity=&from=&to=", &cookie).await;
        assert_eq!(export.status, StatusCode::OK);
        let inspector = t.staff_cookie("cap.inspector", PASSWORD).await;
        assert_eq!(t.page("/staff/export/download?format=csv&entity=&from=&to=", &inspector).await.status, StatusCode::OK);

        t.app.flush_audit_views().await;
        let log = t.store.audit_log(1_000).await.expect("audit");
        let mut ids = std::collections::HashMap::new();
        for who in Role::ALL.iter().map(|r| format!("cap.{}", r.as_str())).chain(["mun.officer".to_owned()]) {
            let id = t.store.staff_by_username(&who).await.expect("staff").expect("known").id;
            ids.insert(who, id);
        }
        let views_by = |who: &str| {
            log.iter()
                .filter(|a| a.action == "view_reporter" && a.target == target && a.staff_id == Some(ids[who]))
                .collect::<Vec<_>>()
        };
        for role in Role::ALL {
            let who = format!("cap.{}", role.as_str());
            let views = views_by(&who);
            if may_see(*role) {
                // The API's case and the case page; the queue and the board show no reporter.
                let expected = if *role == Role::Agent { 62 } else { 2 };
                assert_eq!(views.len(), expected, "{who}'s views of the reporter's details are each audited");
                let details: Value = serde_json::from_str(&views[0].details).expect("details");
                assert_eq!(details, json!({"fields": ["name", "phone", "email"]}));
            } else {
                assert!(views.is_empty(), "{who} sees the reporter masked: nothing to audit, yet {views:?}");
            }
        }
        assert!(views_by("mun.officer").is_empty(), "another entity's officer sees nothing of the case");
        let exports: Vec<Value> = log
            .iter()
            .filter(|a| a.action == "export_cases")
            .map(|a| serde_json::from_str(&a.details).expect("details"))
            .collect();
        assert_eq!(exports.len(), 2, "each export is audited once: {exports:?}");
        assert!(exports.iter().any(|e| e["reporters"] == json!(true)), "the supervisor's export holds the reporters");
        assert!(exports.iter().any(|e| e["reporters"] == json!(false)), "the inspector's holds them masked");
        let verdict = t.app.operator().verify_audit_log(|_| {}).await.expect("walk");
        assert!(
            matches!(verdict, tawasul_app::operator::audit::AuditVerdict::Intact { rows } if rows as usize == log.len()),
            "the batched rows are links of the one chain: {verdict:?}"
        );
    }
}

/// Whether `bytes` carry any of the camera's metadata.
fn metadata_in(bytes: &[u8]) -> Vec<String> {
    tawasul_testkit::photos::METADATA_MARKERS
        .iter()
        .filter(|m| bytes.windows(m.len()).any(|w| w == **m))
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect()
}

/// Every file of the attachment store, byte for byte.
fn stored_blobs(t: &TestApp) -> Vec<Vec<u8>> {
    let mut found = vec![];
    let mut dirs = vec![t.data_dir.path().join("blobs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path)
            } else {
                found.push(std::fs::read(&path).expect("blob"))
            }
        }
    }
    found
}

on_both! { privacy;
    async fn photos_are_stored_and_served_without_their_location(t: &TestApp) {
        use reqwest::multipart::{Form, Part};
        use tawasul_testkit::photos::{jpeg_with_location, png_claiming};
        let photo = jpeg_with_location();
        assert_eq!(metadata_in(&photo).len(), tawasul_testkit::photos::METADATA_MARKERS.len(), "the test photo carries it all");
        let photo_part = |bytes: Vec<u8>| Part::bytes(bytes).file_name("صورة.jpg").mime_str("image/jpeg").expect("mime");
        // At intake, as a part of the report.
        let form = Form::new()
            .part("case", Part::text(complaint("حفرة في الطريق").to_string()).mime_str("application/json").expect("mime"))
            .part("photos", photo_part(photo.clone()));
        let (status, receipt) = t.json_of(t.client.post(t.url("/api/v1/cases")).multipart(form)).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        let reference = receipt["reference"].as_str().expect("reference").to_owned();
        let token = receipt["token"].as_str().expect("token").to_owned();
        // Later, by the reporter and by staff (a public reply with a photo).
        let upload = |bytes: Vec<u8>, bearer: String, public: bool| {
            t.client.post(t.url(&format!("/api/v1/cases/{reference}/attachments?filename=photo.jpg&public={public}")))
                .bearer_auth(bearer).header("content-type", "image/jpeg").body(bytes).send()
        };
        let by_reporter = upload(photo.clone(), token.clone(), true).await.expect("upload");
        assert_eq!(by_reporter.status(), StatusCode::CREATED);
        let officer = t.login("cap.officer", PASSWORD).await;
        let by_staff = upload(photo.clone(), officer.clone(), true).await.expect("upload");
        assert_eq!(by_staff.status(), StatusCode::CREATED);

        let (_, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&token)).await;
        let attachments = case["attachments"].as_array().expect("attachments").clone();
        assert_eq!(attachments.len(), 3, "{case}");
        for a in &attachments {
            assert_eq!(a["mime"], "image/jpeg", "{a}");
            let url = a["url"].as_str().expect("url");
            for (who, bearer) in [("the reporter", &token), ("staff", &officer)] {
                let served = t.client.get(t.url(url)).bearer_auth(bearer).send().await.expect("download");
                assert_eq!(served.status(), StatusCode::OK);
                let bytes = served.bytes().await.expect("bytes");
                assert_eq!(metadata_in(&bytes), Vec::<String>::new(), "{who} is served the photo with its metadata ({url})");
                let decoded = image::load_from_memory(&bytes).expect("still a photo");
                assert_eq!((decoded.width(), decoded.height()), (64, 48));
            }
        }
        let page = t.page(&format!("/track/{reference}/attachments/{}?token={token}", attachments[0]["id"]), "").await;
        assert_eq!((page.status, metadata_in(page.body.as_bytes())), (StatusCode::OK, vec![]), "the resident's page serves it clean");
        let blobs = stored_blobs(t);
        assert!(!blobs.is_empty());
        for blob in &blobs {
            assert_eq!(metadata_in(blob), Vec::<String>::new(), "no original is kept with its metadata");
        }

        // Decompression bombs: refused with a clear 422 before they are decoded, on every path.
        for (bomb, what) in [(png_claiming(60_000, 60_000), "wider than allowed"), (png_claiming(11_000, 11_000), "more memory than allowed")] {
            let refused = t.client.post(t.url(&format!("/api/v1/cases/{reference}/attachments")))
                .bearer_auth(&token).header("content-type", "image/png").body(bomb.clone()).send().await.expect("upload");
            assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
            let err: Value = refused.json().await.expect("json");
            assert_eq!((err["error"]["code"].as_str(), err["error"]["field"].as_str()), (Some("image_too_large"), Some("file")), "{what}: {err}");
            let cases = t.case_count().await;
            let form = Form::new()
                .part("case", Part::text(complaint("قنبلة").to_string()).mime_str("application/json").expect("mime"))
                .part("photos", Part::bytes(bomb.clone()).file_name("bomb.png").mime_str("image/png").expect("mime"));
            let (status, err) = t.json_of(t.client.post(t.url("/api/v1/cases")).multipart(form)).await;
            assert_eq!((status, err["error"]["code"].as_str(), err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("image_too_large"), Some("photos")), "{what}: {err}");
            assert_eq!(t.case_count().await, cases, "a refused report writes no case");
            let form = Form::new().text("csrf_token", tawasul_testkit::CSRF).text("token", token.clone())
                .part("photos", Part::bytes(bomb).file_name("bomb.png").mime_str("image/png").expect("mime"));
            let page = t.post_multipart(&format!("/track/{reference}/photos"), form).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: the page says so");
        }
        let (_, after) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&token)).await;
        assert_eq!(after["attachments"].as_array().map(Vec::len), Some(3), "nothing of the bombs was attached");
        assert_eq!(stored_blobs(t).len(), blobs.len(), "nor stored");
    }
}

/// The application with a test clock, for what housekeeping forgets.
async fn privacy_clocked(backend: Backend) -> TestApp {
    let t = spawn(Options {
        smtp: true,
        clock_starts: Some(chrono::Utc::now()),
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    f.entity("cap", "جهة", "Entity", "governorate").await;
    f.department("cap", "water", "قسم", "Dept").await;
    f.service(ServiceSpec {
        entity: "cap",
        code: "cap-service",
        name: ("تسرب مياه", "Water leak"),
        description: ("", ""),
        kinds: &["complaint", "report"],
        department: "water",
        fields: json!([]),
    })
    .await;
    t
}

/// Everything the database holds, as text: on SQLite every file of the data directory
/// (database, WAL, attachments) byte for byte; on PostgreSQL every row of every table.
async fn stored_text(t: &TestApp) -> String {
    match &t.database_url {
        None => {
            let mut text = String::new();
            let mut dirs = vec![t.data_dir.path().to_path_buf()];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).expect("read dir") {
                    let path = entry.expect("entry").path();
                    if path.is_dir() {
                        dirs.push(path);
                    } else {
                        text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).expect("read file")));
                    }
                }
            }
            text
        }
        Some(url) => {
            use sqlx::Connection;
            let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(&mut db).await.expect("tables");
            assert!(tables.iter().any(|t| t == "outbox"), "{tables:?}");
            let mut text = String::new();
            for table in tables {
                let rows: Option<String> = sqlx::query_scalar(&format!(
                    r#"SELECT string_agg(row_to_json(t)::text, E'\n') FROM "{table}" t"#
                ))
                .fetch_one(&mut db)
                .await
                .expect("rows");
                text.push_str(&rows.unwrap_or_default());
            }
            text
        }
    }
}

/// Whether `text` holds `secret` on its own (not inside a longer run of digits or letters).
fn holds(text: &str, secret: &str) -> bool {
    text.match_indices(secret).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + secret.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

on_both! { privacy_clocked;
    async fn no_credential_is_stored_in_the_clear(t: &TestApp) {
        let report = || {
            t.client.post(t.url("/api/v1/cases")).header("Idempotency-Key", "privacy-retry-1").json(&complaint("تسرب مياه")).send()
        };
        let first: Value = report().await.expect("report").json().await.expect("json");
        let token = first["token"].as_str().expect("token").to_owned();
        let reference = first["reference"].as_str().expect("reference").to_owned();
        assert_eq!(t.api_post("/api/v1/auth/code", None, json!({"contact": EMAIL})).await.0, StatusCode::ACCEPTED);
        let before_delivery = stored_text(t).await;
        assert!(!holds(&before_delivery, &token), "the tracking token is stored in the clear before delivery");

        t.work().await;
        let mail = t.inbox(EMAIL, 2).await;
        let received = mail.iter().find(|m| m.body.contains(&reference)).expect("the case's mail");
        assert!(received.body.contains(&format!("/track/{reference}?token={token}")), "the link is rendered at delivery: {}", received.body);
        let code = code_in(&mail.iter().find(|m| !m.body.contains(&reference)).expect("the code's mail").body);
        assert!(!holds(&before_delivery, &code), "the one-time code is stored in the clear before delivery");
        let after_delivery = stored_text(t).await;
        for (what, secret) in [("tracking token", &token), ("one-time code", &code)] {
            assert!(!holds(&after_delivery, secret), "the {what} is stored in the clear after delivery");
        }

        // A retry with the same key still answers with the token, read from its sealed copy.
        let again = report().await.expect("retry");
        assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        let again: Value = again.json().await.expect("json");
        assert_eq!((again["reference"].as_str(), again["token"].as_str()), (Some(reference.as_str()), Some(token.as_str())));
        let (status, session) = t.api_post("/api/v1/auth/code/verify", None, json!({"contact": EMAIL, "code": code})).await;
        assert_eq!(status, StatusCode::OK, "the code delivered works: {session}");

        // Housekeeping forgets delivered notifications after their retention, and the key
        // with its sealed token after a day.
        t.app.schedule_periodic_jobs().await.expect("schedule");
        t.work().await;
        let delivered: Vec<i64> = t.store.outbox(10).await.expect("outbox").iter().map(|n| n.id).collect();
        assert_eq!(delivered.len(), 2, "kept for a while");
        t.advance(chrono::Duration::days(31));
        t.work().await;
        let left: Vec<i64> = t.store.outbox(50).await.expect("outbox").iter().map(|n| n.id).collect();
        assert!(delivered.iter().all(|id| !left.contains(id)), "ended notifications are purged: {delivered:?} still in {left:?}");
        let later: Value = report().await.expect("report").json().await.expect("json");
        assert_eq!(later["replayed"], false, "the key is forgotten: {later}");
        assert_ne!(later["reference"], first["reference"]);
    }
}
