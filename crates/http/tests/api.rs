//! The HTTP API end to end: the real router on a real port, a fresh database of each kind per
//! test, a real HTTP client. Every test runs as `<name>::sqlite` and `<name>::postgres`.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

/// The application with two entities, each with a service, and staff of several roles.
async fn api(backend: Backend) -> TestApp {
    // The limit on codes per contact is the real one: a test below reaches it.
    let limits = tawasul_app::identity::limits::Limits {
        codes_per_contact: tawasul_app::identity::limits::Limits::default().codes_per_contact,
        ..tawasul_app::identity::limits::Limits::generous()
    };
    let t = spawn(Options {
        limits,
        smtp: true,
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    for (code, dept) in [("cap", "water"), ("mun", "lighting")] {
        f.entity(code, "جهة", "Entity", "governorate").await;
        f.department(code, dept, "قسم", "Dept").await;
        f.department(code, "other", "آخر", "Other").await;
        f.service(ServiceSpec {
            entity: code,
            code: &format!("{code}-service"),
            name: ("تسرب مياه", "Water leak"),
            description: ("", ""),
            kinds: &["complaint", "report"],
            department: dept,
            fields: json!([
                {"key": "depth", "label_ar": "العمق", "label_en": "Depth", "type": "number", "required": code == "mun", "min": 0, "max": 10}
            ]),
        })
        .await;
    }
    for (name, role, entity) in [
        ("cap.agent", Role::Agent, Some("cap")),
        ("cap.officer", Role::Officer, Some("cap")),
        ("cap.supervisor", Role::Supervisor, Some("cap")),
        ("cap.inspector", Role::Inspector, Some("cap")),
        ("mun.officer", Role::Officer, Some("mun")),
        ("root", Role::Admin, None),
    ] {
        f.staff(name, role, entity).await;
    }
    t
}

fn complaint(text: &str) -> Value {
    json!({
        "service": "cap-service",
        "kind": "complaint",
        "description": text,
        "location": {"lat": 26.2, "lon": 50.58},
        "reporter": {"name": "فاطمة أحمد", "phone": "+973 3300 1234", "email": "fatima@example.bh", "language": "ar"}
    })
}

on_both! { api;
    async fn operations_answer(t: &TestApp) {
        assert_eq!(t.api_get("/healthz", None).await.0, StatusCode::OK);
        let (status, ready) = t.api_get("/readyz", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ready["status"], "ready");
        t.submit(complaint("تسرب مياه أمام المنزل")).await;
        let metrics = t.client.get(format!("{}/metrics", t.base)).send().await.expect("metrics").text().await.expect("text");
        assert!(metrics.contains(r#"tawasul_http_requests_total{method="POST",route="/api/v1/cases",status="201"} 1"#), "{metrics}");
        assert!(metrics.contains("tawasul_http_request_duration_seconds_bucket"));
        assert!(metrics.contains(r#"tawasul_cases{status="new"} 1"#));
        let (status, err) = t.api_get("/no/such/route", None).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    }

    async fn a_reporter_submits_and_follows_with_the_token_only(t: &TestApp) {
        let (status, made) = t.api_post("/api/v1/cases", None, complaint("تسرب مياه أمام المنزل رقم 12")).await;
        assert_eq!(status, StatusCode::CREATED);
        let reference = made["reference"].as_str().expect("reference");
        let token = made["token"].as_str().expect("token");
        assert!(reference.starts_with("TW-20"), "{reference}");
        assert!(token.len() >= 32, "128+ bits");
        let (status, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["description"], "تسرب مياه أمام المنزل رقم 12");
        assert_eq!(case["status"], "new");
        assert_eq!(case["department"], "water");
        assert_eq!(case["reporter"]["phone"], "+97333001234", "the reporter sees their own details");
        let actions: Vec<&str> = case["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, ["received", "routed"]);
        assert!(case["timeline"][0]["actor"].is_null(), "no staff names on the reporter's view");
        assert_eq!(t.api_get(&format!("/api/v1/cases/{reference}"), None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(t.api_get(&format!("/api/v1/cases/{reference}"), Some("wrong-token")).await.0, StatusCode::NOT_FOUND);
        let (other_ref, _) = t.submit(complaint("حالة أخرى")).await;
        assert_eq!(t.api_get(&format!("/api/v1/cases/{other_ref}"), Some(token)).await.0, StatusCode::NOT_FOUND, "one token opens one case");
    }

    async fn an_idempotent_retry_returns_the_same_case(t: &TestApp) {
        let send = |key: &'static str, text: &'static str| {
            t.client.post(format!("{}/api/v1/cases", t.base)).header("Idempotency-Key", key).json(&complaint(text)).send()
        };
        let first = send("retry-1", "نص").await.expect("first");
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.expect("json");
        let again = send("retry-1", "نص").await.expect("again");
        assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        let again: Value = again.json().await.expect("json");
        assert_eq!((&first["reference"], &first["token"]), (&again["reference"], &again["token"]));
        let other = send("retry-1", "نص آخر").await.expect("other body");
        assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let other: Value = other.json().await.expect("json");
        assert_eq!(other["error"]["code"], "idempotency_key_reused");
        assert_eq!(t.case_count().await, 1);
    }

    async fn bad_input_gets_a_clear_error_and_writes_nothing(t: &TestApp) {
        let mut cases: Vec<(Value, StatusCode, &str, &str)> = vec![];
        let mut with = |patch: Value, status, code, field| {
            let mut body = complaint("نص صالح");
            if let (Some(b), Some(p)) = (body.as_object_mut(), patch.as_object()) {
                for (k, v) in p { b.insert(k.clone(), v.clone()); }
            }
            cases.push((body, status, code, field));
        };
        let u = StatusCode::UNPROCESSABLE_ENTITY;
        with(json!({"location": {"lat": 999, "lon": 50}}), u, "out_of_range", "location.lat");
        with(json!({"location": {"lat": 26, "lon": -181}}), u, "out_of_range", "location.lon");
        with(json!({"location": {"lat": "north", "lon": 50}}), u, "invalid_field", "location.lat");
        with(json!({"service": "no-such-service"}), u, "unknown_service", "service");
        with(json!({"kind": "nonsense"}), u, "unknown_kind", "kind");
        with(json!({"kind": "suggestion"}), u, "kind_not_accepted", "kind");
        with(json!({"description": "x".repeat(5_001)}), u, "too_long", "description");
        with(json!({"description": "   "}), u, "required", "description");
        with(json!({"description": "ref \u{202E}gpj.exe"}), u, "forbidden_character", "description");
        with(json!({"description": "bell \u{7}"}), u, "forbidden_character", "description");
        with(json!({"colour": "red"}), u, "invalid_field", "");
        with(json!({"description": 42}), u, "invalid_field", "description");
        with(json!({"answers": {"depth": "deep"}}), u, "invalid_type", "answers.depth");
        with(json!({"answers": {"shoe_size": 4}}), u, "unknown_field", "answers.shoe_size");
        with(json!({"service": "mun-service"}), u, "required", "answers.depth");
        with(json!({"reporter": {"phone": "call me maybe"}}), u, "invalid_phone", "reporter.phone");
        with(json!({"reporter": {"email": "not-an-address"}}), u, "invalid_email", "reporter.email");
        with(json!({"reporter": {"language": "klingon"}}), u, "unknown_language", "reporter.language");
        for (body, status, code, field) in cases {
            let (got, err) = t.api_post("/api/v1/cases", None, body.clone()).await;
            assert_eq!(got, status, "{body} → {err}");
            assert_eq!(err["error"]["code"], code, "{body} → {err}");
            if !field.is_empty() {
                assert_eq!(err["error"]["field"], field, "{body} → {err}");
            }
        }
        let raw = |bytes: Vec<u8>, content_type: &'static str| {
            t.client.post(format!("{}/api/v1/cases", t.base)).header("content-type", content_type).body(bytes).send()
        };
        let broken = raw(b"{\"service\": ".to_vec(), "application/json").await.expect("send");
        assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
        assert_eq!(broken.json::<Value>().await.expect("json")["error"]["code"], "malformed_json");
        let too_big = t.declare_oversized("/api/v1/cases", "application/json", 2_000_000).await;
        assert_eq!(too_big, (413, json!("payload_too_large")));
        // A client that sends the whole body first still reads its answer.
        let huge = serde_json::to_vec(&complaint(&"a".repeat(2_000_000))).expect("json");
        let sent = raw(huge, "application/json").await.expect("the answer arrives");
        assert_eq!(sent.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(sent.json::<Value>().await.expect("json")["error"]["code"], "payload_too_large");
        let form = raw(b"service=x".to_vec(), "application/x-www-form-urlencoded").await.expect("send");
        assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let bad_key = t.client.post(format!("{}/api/v1/cases", t.base)).header("Idempotency-Key", "x".repeat(300)).json(&complaint("نص")).send().await.expect("send");
        assert_eq!(bad_key.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(t.case_count().await, 0, "nothing was written");
        assert!(t.store.outbox(10).await.expect("outbox").is_empty(), "nothing was sent");
    }

    async fn markup_is_stored_as_text_and_returned_as_json(t: &TestApp) {
        let (reference, token) = t.submit(complaint("<script>alert('x')</script> حفرة")).await;
        let (_, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&token)).await;
        assert_eq!(case["description"], "<script>alert('x')</script> حفرة");
    }

    async fn staff_work_a_case_through_its_lifecycle(t: &TestApp) {
        let (reference, token) = t.submit(complaint("إنارة الشارع معطلة منذ أسبوع")).await;
        let agent = t.login("cap.agent", PASSWORD).await;
        let officer = t.login("cap.officer", PASSWORD).await;
        let path = format!("/api/v1/cases/{reference}/transitions");
        let act = |who: &str, body: Value| {
            let who = who.to_owned();
            let path = path.clone();
            async move { t.api_post(&path, Some(&who), body).await }
        };
        let (status, case) = act(&agent, json!({"action": "acknowledge"})).await;
        assert_eq!((status, case["status"].as_str()), (StatusCode::OK, Some("acknowledged")), "{case}");
        let (status, err) = act(&agent, json!({"action": "resolve", "resolution": "done"})).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "agents do not resolve");
        let (status, case) = act(&agent, json!({"action": "assign", "department": "other", "assignee": "cap.officer"})).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!((case["department"].as_str(), case["assignee"].as_str()), (Some("other"), Some("cap.officer")));
        let (status, err) = act(&agent, json!({"action": "assign", "assignee": "mun.officer"})).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("assignee")), "no assignee from another entity");
        let (status, err) = act(&officer, json!({"action": "close"})).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")));
        assert_eq!(act(&officer, json!({"action": "start"})).await.0, StatusCode::OK);
        let (status, err) = act(&officer, json!({"action": "resolve"})).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("resolution")));
        let (status, err) = act(&officer, json!({"action": "fly"})).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("action")));

        let comments = format!("/api/v1/cases/{reference}/comments");
        assert_eq!(t.api_post(&comments, Some(&officer), json!({"body": "ملاحظة داخلية", "visibility": "internal"})).await.0, StatusCode::CREATED);
        assert_eq!(t.api_post(&comments, Some(&officer), json!({"body": "تم إرسال فريق الصيانة", "visibility": "public"})).await.0, StatusCode::CREATED);
        assert_eq!(act(&officer, json!({"action": "wait_on_reporter", "reason": "أين بالضبط؟"})).await.0, StatusCode::OK);
        let (status, case) = t.api_post(&comments, Some(&token), json!({"body": "بجانب المسجد"})).await;
        assert_eq!((status, case["status"].as_str()), (StatusCode::CREATED, Some("in_progress")), "the reporter's reply resumes the case");
        let (status, case) = act(&officer, json!({"action": "resolve", "resolution": "تم إصلاح الإنارة"})).await;
        assert_eq!((status, case["status"].as_str(), case["resolution"].as_str()), (StatusCode::OK, Some("resolved"), Some("تم إصلاح الإنارة")));
        assert_eq!(act(&officer, json!({"action": "close"})).await.0, StatusCode::OK);

        let (_, mine) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&token)).await;
        let bodies: Vec<&str> = mine["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["body"].as_str()).collect();
        assert!(bodies.contains(&"تم إرسال فريق الصيانة"), "{bodies:?}");
        assert!(!bodies.contains(&"ملاحظة داخلية"), "internal notes stay internal");
        assert_eq!(mine["status"], "closed");
        assert!(mine["assignee"].is_null(), "staff names stay internal");
        let (_, staff_view) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&officer)).await;
        assert!(staff_view["timeline"].as_array().expect("timeline").iter().any(|e| e["body"] == "ملاحظة داخلية"));
        assert_eq!(staff_view["available_actions"], json!([]), "officers cannot reopen");
        let audit = t.store.audit_log(50).await.expect("audit");
        assert!(audit.iter().filter(|a| a.target == format!("case:{reference}")).count() >= 8, "every staff action is audited");
        let outbox = t.store.outbox(50).await.expect("outbox");
        let templates: Vec<&str> = outbox.iter().map(|m| m.template.as_str()).collect();
        for expected in ["case_received", "case_acknowledged", "case_assigned", "case_waiting_on_you", "case_resolved", "case_reply"] {
            assert!(templates.contains(&expected), "{expected} in {templates:?}");
        }
        assert!(outbox.iter().all(|m| m.recipient == "fatima@example.bh" && m.language == "ar"));
    }

    async fn the_reporter_rates_the_closure_once(t: &TestApp) {
        let (reference, token) = t.submit(complaint("حفرة في الطريق")).await;
        let survey = format!("/api/v1/cases/{reference}/survey");
        let good = json!({"quality": 5, "speed": 4, "agent": 5, "solved": true, "comment": "شكرًا"});
        assert_eq!(t.api_get(&survey, Some(&token)).await.0, StatusCode::NO_CONTENT, "not rated yet");
        let (status, err) = t.api_post(&survey, Some(&token), good.clone()).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "not before resolution: {err}");
        let officer = t.login("cap.officer", PASSWORD).await;
        let path = format!("/api/v1/cases/{reference}/transitions");
        let steps = [
            json!({"action": "acknowledge"}),
            json!({"action": "assign", "assignee": "cap.officer"}),
            json!({"action": "start"}),
            json!({"action": "resolve", "resolution": "رُدمت الحفرة"}),
        ];
        for step in steps {
            let who = if step["action"] == "assign" { t.login("cap.agent", PASSWORD).await } else { officer.clone() };
            let (status, case) = t.api_post(&path, Some(&who), step).await;
            assert_eq!(status, StatusCode::OK, "{case}");
        }
        for (bad, field) in [
            (json!({"quality": 0, "speed": 4, "agent": 5, "solved": true}), "quality"),
            (json!({"quality": 5, "speed": 6, "agent": 5, "solved": true}), "speed"),
            (json!({"quality": 5, "speed": 4, "agent": 5, "solved": true, "comment": "x".repeat(1_001)}), "comment"),
            (json!({"quality": 5, "speed": 4, "solved": true}), "agent"),
            (json!({"quality": 5, "speed": 4, "agent": 5}), "solved"),
            (json!({"quality": 5, "speed": 4, "agent": 5, "solved": "yes"}), "solved"),
            (json!({"quality": 5, "speed": 4, "agent": 5, "solved": true, "stars": 9}), "stars"),
        ] {
            let (status, err) = t.api_post(&survey, Some(&token), bad.clone()).await;
            assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{bad} → {err}");
        }
        let (status, err) = t.api_post(&survey, Some(&officer), good.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "staff do not rate: {err}");
        assert_eq!(t.api_get(&survey, Some(&token)).await.0, StatusCode::NO_CONTENT, "refused ratings wrote nothing");
        let (status, rated) = t.api_post(&survey, Some(&token), good.clone()).await;
        assert_eq!((status, rated["quality"].as_i64(), rated["low"].as_bool()), (StatusCode::CREATED, Some(5), Some(false)), "{rated}");
        let (status, err) = t.api_post(&survey, Some(&token), json!({"quality": 1, "speed": 1, "agent": 1, "solved": false})).await;
        assert_eq!(status, StatusCode::CONFLICT, "one rating per resolution: {err}");
        let (status, read) = t.api_get(&survey, Some(&officer)).await;
        assert_eq!((status, read["comment"].as_str(), read["speed"].as_i64()), (StatusCode::OK, Some("شكرًا"), Some(4)), "staff read it");
        let mun = t.login("mun.officer", PASSWORD).await;
        assert_eq!(t.api_get(&survey, Some(&mun)).await.0, StatusCode::NOT_FOUND, "not another entity's staff");
        assert_eq!(t.api_get(&survey, None).await.0, StatusCode::UNAUTHORIZED);
        let unknown = t.api_get("/api/v1/cases/TW-2026-9999999/survey", Some(&officer)).await.0;
        assert_eq!(unknown, StatusCode::NOT_FOUND);
    }

    async fn staff_see_only_their_entity_and_masked_details_by_role(t: &TestApp) {
        let (reference, _) = t.submit(complaint("تسرب")).await;
        let mun = t.login("mun.officer", PASSWORD).await;
        let (status, err) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&mun)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "as if there were no such case");
        let (_, page) = t.api_get("/api/v1/cases", Some(&mun)).await;
        assert_eq!(page["items"], json!([]));
        assert_eq!(t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&mun), json!({"action": "acknowledge"})).await.0, StatusCode::NOT_FOUND);
        let inspector = t.login("cap.inspector", PASSWORD).await;
        let (_, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&inspector)).await;
        assert_eq!(case["reporter"]["phone"], "+973****1234");
        assert_eq!(case["reporter"]["email"], "f***@example.bh");
        assert_eq!(case["reporter"]["masked"], true);
        let root = t.login("root", PASSWORD).await;
        let (_, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&root)).await;
        assert_eq!(case["reporter"]["phone"], "+97333001234");
        let (_, by_phone) = t.api_get("/api/v1/cases?q=3300%201234", Some(&root)).await;
        assert!(by_phone["items"].as_array().is_some_and(|items| !items.is_empty()), "the reporter's phone finds the case for a role that sees it: {by_phone}");
        let (_, masked) = t.api_get("/api/v1/cases?q=3300%201234", Some(&inspector)).await;
        assert_eq!(masked["items"], json!([]), "and nothing for a role that sees it masked");
        assert_eq!(t.api_get("/api/v1/cases", None).await.0, StatusCode::UNAUTHORIZED);
        let (status, _) = t.api_post("/api/v1/auth/login", None, json!({"username": "cap.agent", "password": "wrong-password"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = t.api_post("/api/v1/auth/login", None, json!({"username": "nobody", "password": "wrong-password"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn the_staff_list_filters_searches_and_pages(t: &TestApp) {
        for i in 0..12 {
            let text = if i % 3 == 0 { format!("إنارة معطلة {i}") } else { format!("Broken pipe {i}") };
            t.submit(json!({"service": "cap-service", "kind": if i % 2 == 0 { "complaint" } else { "report" }, "description": text})).await;
        }
        let root = t.login("root", PASSWORD).await;
        let mut seen: Vec<String> = vec![];
        for sort in ["newest", "oldest", "due", "priority"] {
            let (status, page) = t.api_get(&format!("/api/v1/cases?limit=5&sort={sort}"), Some(&root)).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(page["items"].as_array().expect("items").len(), 5);
            seen = page["items"].as_array().expect("items").iter().map(|c| c["reference"].as_str().expect("ref").to_owned()).collect();
            let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
            while let Some(c) = cursor {
                let (_, next) = t.api_get(&format!("/api/v1/cases?limit=5&sort={sort}&cursor={c}"), Some(&root)).await;
                seen.extend(next["items"].as_array().expect("items").iter().map(|c| c["reference"].as_str().expect("ref").to_owned()));
                cursor = next["next_cursor"].as_str().map(str::to_owned);
            }
            let unique: std::collections::HashSet<_> = seen.iter().collect();
            assert_eq!((seen.len(), unique.len()), (12, 12), "sorted by {sort}: every case once, across pages");
        }
        let root_ref = root.as_str();
        let count = |path: String| async move { t.api_get(&path, Some(root_ref)).await.1["items"].as_array().map_or(usize::MAX, Vec::len) };
        assert_eq!(count("/api/v1/cases?q=%D8%A7%D9%86%D8%A7%D8%B1%D9%87".into()).await, 4, "اناره finds إنارة");
        assert_eq!(count("/api/v1/cases?q=PIPE".into()).await, 8);
        assert_eq!(count("/api/v1/cases?kind=report".into()).await, 6);
        assert_eq!(count("/api/v1/cases?status=new,closed&entity=cap&department=water&channel=api".into()).await, 12);
        assert_eq!(count("/api/v1/cases?service=cap-service&from=2000-01-01&to=2000-01-02".into()).await, 0);
        assert_eq!(count(format!("/api/v1/cases?q={}", seen[3].to_lowercase())).await, 1, "a reference finds its case");
        for bad in ["status=lost", "limit=0", "limit=1000", "cursor=abc", "from=yesterday", "entity=nowhere", "sort=up", "limit=ten"] {
            let (status, err) = t.api_get(&format!("/api/v1/cases?{bad}"), Some(&root)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} → {err}");
            assert!(err["error"]["code"].is_string(), "{bad} → {err}");
        }
    }

    async fn attachments_are_checked_by_content(t: &TestApp) {
        let (reference, token) = t.submit(complaint("حفرة")).await;
        let png = tawasul_testkit::png(0);
        let png_bytes = png.as_slice();
        let upload = |bytes: Vec<u8>, content_type: &'static str, who: String| {
            t.client
                .post(format!("{}/api/v1/cases/{reference}/attachments?filename=photo.png", t.base))
                .bearer_auth(who)
                .header("content-type", content_type)
                .body(bytes)
                .send()
        };
        let ok = upload(png.clone(), "image/png", token.clone()).await.expect("upload");
        assert_eq!(ok.status(), StatusCode::CREATED);
        let view: Value = ok.json().await.expect("json");
        assert_eq!(view["mime"], "image/png");
        let url = view["url"].as_str().expect("url").to_owned();
        let back = t.client.get(format!("{}{url}", t.base)).bearer_auth(&token).send().await.expect("download");
        assert_eq!(back.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
        assert_eq!(back.bytes().await.expect("bytes").as_ref(), png_bytes);
        for (bytes, claimed, code) in [
            (png.clone(), "application/pdf", "content_mismatch"),
            (b"<html><script>alert(1)</script></html>".to_vec(), "image/png", "unsupported_file_type"),
            (vec![], "image/png", "empty_file"),
        ] {
            let r = upload(bytes, claimed, token.clone()).await.expect("upload");
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(r.json::<Value>().await.expect("json")["error"]["code"], code);
        }
        let huge = t.declare_oversized(&format!("/api/v1/cases/{reference}/attachments"), "image/png", 11 * 1024 * 1024).await;
        assert_eq!(huge, (413, json!("payload_too_large")));
        let stranger = upload(png.clone(), "image/png", "not-a-token".into()).await.expect("upload");
        assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
        let officer = t.login("cap.officer", PASSWORD).await;
        let internal = upload(png.clone(), "image/png", officer).await.expect("upload");
        let internal: Value = internal.json().await.expect("json");
        assert_eq!(internal["public"], false);
        let (_, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&token)).await;
        assert_eq!(case["attachments"].as_array().expect("list").len(), 1, "the reporter sees only public files");
        let hidden = t.client.get(format!("{}{}", t.base, internal["url"].as_str().expect("url"))).bearer_auth(&token).send().await.expect("get");
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    }

    async fn residents_sign_in_with_a_one_time_code(t: &TestApp) {
        let (reference, _) = t.submit(complaint("تسرب")).await;
        assert_eq!(t.api_post("/api/v1/auth/code", None, json!({"contact": "fatima@example.bh"})).await.0, StatusCode::ACCEPTED);
        let sent = t.store.outbox(1).await.expect("outbox").remove(0);
        assert_eq!((sent.template.as_str(), sent.recipient.as_str()), ("one_time_code", "fatima@example.bh"));
        // The code is in no stored payload: it is read from the mail that delivered it.
        t.work().await;
        let mail = t.inbox("fatima@example.bh", 2).await;
        let body = &mail.iter().find(|m| !m.body.contains(&reference)).expect("the code's mail").body;
        let code = body.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() >= 6).expect("a code").to_owned();
        assert!(!sent.payload.contains(&code), "{}", sent.payload);
        let (status, _) = t.api_post("/api/v1/auth/code/verify", None, json!({"contact": "fatima@example.bh", "code": "000000x"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, session) = t.api_post("/api/v1/auth/code/verify", None, json!({"contact": "Fatima@Example.bh", "code": code})).await;
        assert_eq!(status, StatusCode::OK, "{session}");
        let resident = session["token"].as_str().expect("token");
        let (_, mine) = t.api_get("/api/v1/me/cases", Some(resident)).await;
        assert_eq!(mine["items"][0]["reference"], reference.as_str());
        assert_eq!(t.api_get(&format!("/api/v1/cases/{reference}"), Some(resident)).await.0, StatusCode::OK);
        let (status, _) = t.api_post("/api/v1/auth/code/verify", None, json!({"contact": "fatima@example.bh", "code": code})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a code works once");
        for _ in 0..4 {
            t.api_post("/api/v1/auth/code", None, json!({"contact": "fatima@example.bh"})).await;
        }
        assert_eq!(t.api_post("/api/v1/auth/code", None, json!({"contact": "fatima@example.bh"})).await.0, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(t.api_post("/api/v1/auth/code", None, json!({"contact": "nobody"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    }
    async fn a_duplicate_is_merged_into_the_case_that_stays(t: &TestApp) {
        let (stays, _) = t.submit(complaint("تسرب مياه أمام المدرسة")).await;
        let (duplicate, token) = t.submit(complaint("تسرب مياه أمام المدرسة مرة ثانية")).await;
        let (third, _) = t.submit(complaint("تسرب ثالث")).await;
        let other_entity = t.submit(json!({"service": "mun-service", "kind": "complaint", "description": "x", "answers": {"depth": 1}})).await.0;
        let agent = t.login("cap.agent", PASSWORD).await;
        let merge = |reference: &str| format!("/api/v1/cases/{reference}/merge");
        let body = |into: &str| json!({"into": into, "reason": "البلاغ نفسه"});
        let (status, err) = t.api_post(&merge(&duplicate), Some(&t.login("cap.inspector", PASSWORD).await), body(&stays)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "inspectors do not merge");
        assert_eq!(t.api_post(&merge(&duplicate), Some(&t.login("mun.officer", PASSWORD).await), body(&stays)).await.0, StatusCode::NOT_FOUND, "another entity's case");
        for (bad, field) in [(json!({"into": "", "reason": "x"}), "into"), (json!({"into": "nonsense", "reason": "x"}), "into"), (json!({"into": stays, "reason": " "}), "reason"), (body(&duplicate), "into")] {
            let (status, err) = t.api_post(&merge(&duplicate), Some(&agent), bad.clone()).await;
            assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{bad}: {err}");
        }
        let (status, err) = t.api_post(&merge(&duplicate), Some(&agent), body("TW-2026-9999999")).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "unknown target");
        let (status, _) = t.api_post(&merge(&duplicate), Some(&agent), body(&other_entity)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another entity's case is unknown to cap's staff");
        let (status, err) = t.api_post(&merge(&duplicate), Some(&t.login("root", PASSWORD).await), body(&other_entity)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_mergeable")), "two entities: {err}");
        let (status, moved) = t.api_post(&format!("/api/v1/cases/{third}/transfer"), Some(&agent), json!({"entity": "mun", "reason": "ليس من اختصاصنا"})).await;
        assert_eq!((status, moved["status"].as_str()), (StatusCode::OK, Some("transferred")), "{moved}");
        let (status, err) = t.api_post(&merge(&third), Some(&t.login("root", PASSWORD).await), body(&other_entity)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_mergeable")), "an open transfer: {err}");
        assert_eq!(t.api_get(&format!("/api/v1/cases/{duplicate}"), Some(&agent)).await.1["status"], "new", "refusals wrote nothing");

        let (status, case) = t.api_post(&merge(&duplicate), Some(&agent), body(&stays.to_lowercase())).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!((case["status"].as_str(), case["merged_into"].as_str(), case["sla"]["state"].as_str()), (Some("merged"), Some(stays.as_str()), Some("stopped")));
        let (status, err) = t.api_post(&merge(&duplicate), Some(&agent), body(&stays)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_mergeable")), "merged once only");
        let (fourth, _) = t.submit(complaint("تسرب رابع")).await;
        let (status, err) = t.api_post(&merge(&fourth), Some(&agent), body(&duplicate)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_mergeable")), "not into a merged case");

        let (_, mine) = t.api_get(&format!("/api/v1/cases/{duplicate}"), Some(&token)).await;
        assert_eq!((mine["status"].as_str(), mine["merged_into"].as_str()), (Some("merged"), Some(stays.as_str())));
        assert!(mine["timeline"].as_array().expect("timeline").iter().any(|e| e["action"] == "merged"));
        let (_, kept) = t.api_get(&format!("/api/v1/cases/{stays}"), Some(&agent)).await;
        let merged_in = kept["timeline"].as_array().expect("timeline").iter().find(|e| e["action"] == "merged_in").cloned().expect("event");
        assert_eq!((merged_in["details"]["from"].as_str(), merged_in["public"].as_bool()), (Some(duplicate.as_str()), Some(false)));
        let outbox = t.store.outbox(50).await.expect("outbox");
        let notice = outbox.iter().find(|m| m.template == "case_merged").expect("the reporter is told");
        let payload: Value = serde_json::from_str(&notice.payload).expect("json");
        assert_eq!((payload["reference"].as_str(), payload["into"].as_str(), notice.language.as_str()), (Some(duplicate.as_str()), Some(stays.as_str()), "ar"));
        assert!(t.store.audit_log(50).await.expect("audit").iter().any(|a| a.action == "merge" && a.target == format!("case:{duplicate}")));
    }
}

/// The OpenAPI document is generated from the code and names every route the router serves.
#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let t = api(Backend::Sqlite).await;
    let (status, doc) = t.api_get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let served: &[(&str, &str)] = &[
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/api/v1/services"),
        ("PUT", "/api/v1/admin/services/{code}/fix-photo"),
        ("POST", "/api/v1/cases"),
        ("GET", "/api/v1/cases"),
        ("GET", "/api/v1/cases/{reference}"),
        ("POST", "/api/v1/cases/{reference}/transitions"),
        ("POST", "/api/v1/cases/{reference}/comments"),
        ("GET", "/api/v1/cases/{reference}/survey"),
        ("POST", "/api/v1/cases/{reference}/survey"),
        ("POST", "/api/v1/cases/{reference}/attachments"),
        ("GET", "/api/v1/cases/{reference}/attachments/{id}"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/login/code"),
        ("POST", "/api/v1/auth/login/enrolment"),
        ("POST", "/api/v1/auth/second-factor"),
        ("POST", "/api/v1/auth/second-factor/confirm"),
        ("DELETE", "/api/v1/admin/staff/{username}/second-factor"),
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/code"),
        ("POST", "/api/v1/auth/code/verify"),
        ("GET", "/api/v1/me/cases"),
        ("GET", "/api/v1/exports/cases"),
        ("POST", "/api/v1/cases/{reference}/classification"),
        ("POST", "/api/v1/cases/{reference}/transfer"),
        ("POST", "/api/v1/cases/{reference}/transfer/accept"),
        ("POST", "/api/v1/cases/{reference}/transfer/return"),
        ("POST", "/api/v1/cases/{reference}/merge"),
        ("POST", "/api/v1/cases/{reference}/ignored"),
        ("GET", "/api/v1/admin/entities/{code}/policy"),
        ("PUT", "/api/v1/admin/entities/{code}/policy"),
        ("PUT", "/api/v1/admin/entities/{code}/areas"),
        ("PUT", "/api/v1/admin/sla-targets"),
        ("POST", "/api/v1/admin/routing-rules"),
        ("PUT", "/api/v1/admin/olas"),
        ("POST", "/api/v1/admin/olas/accept"),
        ("POST", "/api/v1/admin/olas/decline"),
        ("GET", "/api/v1/admin/entities/{code}/olas"),
        ("GET", "/api/v1/kpis"),
        ("GET", "/api/v1/kpis/targets"),
        ("GET", "/api/v1/kpis/series"),
        ("PUT", "/api/v1/kpis/targets"),
    ];
    let documented = tawasul_http::documented_routes(&tawasul_http::openapi());
    for (method, path) in served {
        assert!(
            documented.contains(&(method.to_string(), path.to_string())),
            "{method} {path} is not documented"
        );
        let probe = path
            .replace("{reference}", "TW-2026-0000001")
            .replace("{id}", "1")
            .replace("{code}", "cap")
            .replace("{username}", "cap.supervisor");
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let (status, body) = t.call(m, &probe, None, None).await;
        assert!(
            !(status == StatusCode::NOT_FOUND && body["error"]["message"] == "no such route"),
            "{method} {path} is documented but not served"
        );
    }
    assert_eq!(
        documented.len(),
        served.len(),
        "a documented route is missing from this list: {documented:?}"
    );
    assert!(doc["paths"]["/api/v1/cases"]["post"]["requestBody"].is_object());
}
