//! Automatic call-backs, the agent's rating after a call and the closure survey by keys, as
//! a telephony platform drives them: a local HTTP server stands in for the platform's
//! call-create API (recording each request and answering with a new call id), and the test
//! posts the webhooks the platform would — the call's document when the reporter answers,
//! the status reports, the `<Dial>`'s action — each signed with `X-Twilio-Signature`, on both
//! backends, in Arabic and English. Time is the application's clock, moved by hand.

use axum::extract::State;
use chrono::{TimeZone, Utc};
use std::sync::{Arc, Mutex};
use tawasul_app::cases::intake::Intake;
use tawasul_app::{CallbackSettings, HookSettings, IvrSettings};
use tawasul_channels_ivr::signature;
use tawasul_domain::intake::{IntakeDraft, ReporterDraft};
use tawasul_domain::vocab::{Channel, Role, Status};
use tawasul_testkit::fixtures::{Fixtures, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const TOKEN: &str = "ivr-test-auth-token";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const API_TOKEN: &str = "api-token";
const AGENT: &str = "+97317000000";
const FROM: &str = "+97380008000";
const REPORTER: &str = "+97333123456";
/// Numbers the platform's stand-in refuses (400) and fails twice (503) before taking.
const REFUSED_NUMBER: &str = "+97333999400";
const FAILING_NUMBER: &str = "+97333999503";

/// What the platform's call-create API received: (path, Authorization, form).
type Placed = Arc<Mutex<Vec<(String, String, Vec<(String, String)>)>>>;

/// The platform's call-create API, in its place: every request kept, each answered as the
/// platform answers (201 with a new call's `sid`).
async fn provider() -> (String, Placed) {
    let placed: Placed = Arc::default();
    let app =
        axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Calls.json",
                axum::routing::post(
                    |State(placed): State<Placed>,
                     uri: axum::http::Uri,
                     headers: axum::http::HeaderMap,
                     body: String| async move {
                        let form: Vec<(String, String)> =
                            form_urlencoded::parse(body.as_bytes()).into_owned().collect();
                        let auth = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        let mut list = placed.lock().expect("list");
                        let to = form.iter().find(|(k, _)| k == "To").map(|(_, v)| v.clone()).unwrap_or_default();
                        let before = list.iter().filter(|(_, _, f)| f.iter().any(|(k, v)| k == "To" && *v == to)).count();
                        list.push((uri.path().to_owned(), auth, form));
                        let sid = format!("CA{:032}", list.len());
                        // As the platform's magic numbers do: one it refuses, one it fails twice.
                        let (status, body) = if to == REFUSED_NUMBER {
                            (400, serde_json::json!({ "code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400 }))
                        } else if to == FAILING_NUMBER && before < 2 {
                            (503, serde_json::json!({ "code": 20500, "message": "Internal server error", "status": 503 }))
                        } else {
                            (201, serde_json::json!({ "sid": sid, "status": "queued" }))
                        };
                        (
                            axum::http::StatusCode::from_u16(status).expect("a status"),
                            [("content-type", "application/json")],
                            body.to_string(),
                        )
                    },
                ),
            )
            .with_state(placed.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), placed)
}

struct Setup {
    t: TestApp,
    placed: Placed,
}

/// 10:00 in Bahrain (UTC+3) on a Sunday: outside the quiet hours.
fn morning() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 7, 0, 0).single().expect("a time")
}

async fn setup_at(backend: Backend, start: chrono::DateTime<Utc>) -> Setup {
    let (base, placed) = provider().await;
    let hooks = HookSettings {
        ivr: Some(IvrSettings {
            auth_token: TOKEN.into(),
            agent: AGENT.into(),
            recording_hosts: vec![],
            recording_private_addresses: false,
        }),
        callback: Some(CallbackSettings::new(tawasul_notify::CallApiSettings {
            api_base: base,
            account_sid: ACCOUNT.into(),
            auth_token: API_TOKEN.into(),
            from: FROM.into(),
        })),
        ..HookSettings::default()
    };
    let t = spawn(Options {
        hooks,
        clock_starts: Some(start),
        ..Options::on(backend)
    })
    .await;
    let fixtures = Fixtures::new(&t.app).await;
    fixtures.capital(serde_json::json!([])).await;
    fixtures.staff("cap.agent", Role::Agent, Some("cap")).await;
    Setup { t, placed }
}

async fn setup(backend: Backend) -> Setup {
    setup_at(backend, morning()).await
}

/// A case reported by phone in `language`.
async fn phone_case(t: &TestApp, language: &str) -> String {
    phone_case_from(t, language, REPORTER).await
}

async fn phone_case_from(t: &TestApp, language: &str, phone: &str) -> String {
    let draft = IntakeDraft {
        service: "water-leak".into(),
        kind: "complaint".into(),
        description: "تسرب مياه أمام المنزل منذ يومين".into(),
        answers: None,
        location: None,
        address: None,
        reporter: Some(ReporterDraft {
            name: None,
            phone: Some(phone.into()),
            email: None,
            language: Some(language.into()),
        }),
        language: Some(language.into()),
        channel: Some(Channel::Phone),
    };
    t.app
        .submit(Intake {
            draft,
            files: vec![],
            idempotency_key: None,
        })
        .await
        .expect("the case is made")
        .reference
}

async fn transition(t: &TestApp, reference: &str, body: serde_json::Value) {
    let token = t.login("cap.supervisor", PASSWORD).await;
    let (status, answer) = t
        .api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&token), body)
        .await;
    assert!(status.is_success(), "{status} {answer}");
}

async fn resolve(t: &TestApp, reference: &str) {
    transition(
        t,
        reference,
        serde_json::json!({"action": "assign", "department": "water"}),
    )
    .await;
    transition(
        t,
        reference,
        serde_json::json!({"action": "resolve", "resolution": "أصلح الأنبوب"}),
    )
    .await;
}

/// The case's call-back entries on its timeline, as (action, public).
async fn callback_events(t: &TestApp, reference: &str) -> Vec<(String, bool)> {
    let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
    t.store
        .events(case.id)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.action.starts_with("callback_"))
        .map(|e| (e.action, e.public))
        .collect()
}

async fn status_of(t: &TestApp, reference: &str) -> Status {
    t.store
        .case_by_reference(reference)
        .await
        .expect("read")
        .expect("case")
        .status
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} is missing from {form:?}"))
}

/// The calls placed so far, as (Url, StatusCallback, call id given).
fn calls(placed: &Placed) -> Vec<(String, String, String)> {
    placed
        .lock()
        .expect("list")
        .iter()
        .enumerate()
        .map(|(i, (_, _, form))| {
            (
                field(form, "Url").to_owned(),
                field(form, "StatusCallback").to_owned(),
                format!("CA{:032}", i + 1),
            )
        })
        .collect()
}

/// An answer of ours.
struct Answered {
    status: u16,
    body: String,
}

impl Answered {
    fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("not XML ({e}): {}", self.body))
    }

    fn said(&self) -> String {
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name("Say"))
            .map(|n| n.text().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn languages(&self) -> Vec<String> {
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name("Say"))
            .filter_map(|n| n.attribute("language").map(str::to_owned))
            .collect()
    }

    fn attribute(&self, tag: &str, name: &str) -> Option<String> {
        self.doc()
            .descendants()
            .find(|n| n.has_tag_name(tag))
            .and_then(|n| n.attribute(name).map(str::to_owned))
    }

    fn has(&self, tag: &str) -> bool {
        self.doc().descendants().any(|n| n.has_tag_name(tag))
    }

    fn gather(&self) -> String {
        self.attribute("Gather", "action").expect("a <Gather>")
    }
}

/// Posts `params` to `link` as the platform does for call `sid`, signed with `token`.
async fn post_as(t: &TestApp, link: &str, sid: &str, extra: &[(&str, &str)], token: &str) -> Answered {
    let mut params: Vec<(String, String)> = vec![
        ("CallSid".into(), sid.into()),
        ("AccountSid".into(), ACCOUNT.into()),
        ("From".into(), FROM.into()),
        ("To".into(), REPORTER.into()),
    ];
    params.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let url = t.url(link);
    let response = t
        .client
        .post(&url)
        .header("X-Twilio-Signature", signature::sign(token, &url, &params))
        .form(&params)
        .send()
        .await
        .expect("the hook answers");
    Answered {
        status: response.status().as_u16(),
        body: response.text().await.expect("a body"),
    }
}

async fn post(t: &TestApp, link: &str, sid: &str, extra: &[(&str, &str)]) -> Answered {
    let answered = post_as(t, link, sid, extra, TOKEN).await;
    assert!(
        (200..300).contains(&answered.status),
        "{link}: {} {}",
        answered.status,
        answered.body
    );
    answered
}

async fn press(t: &TestApp, at: &Answered, sid: &str, keys: &str) -> Answered {
    post(t, &at.gather(), sid, &[("Digits", keys)]).await
}

fn advance(t: &TestApp, minutes: i64) {
    t.clock
        .as_ref()
        .expect("a test clock")
        .advance(chrono::Duration::minutes(minutes));
}

on_both! { setup;
    async fn a_status_change_calls_the_reporter_in_arabic(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "ar").await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        assert!(calls(&s.placed).is_empty(), "no call before a change");
        transition(t, &reference, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");

        let placed = s.placed.lock().expect("list").clone();
        assert_eq!(placed.len(), 1, "one call");
        let (path, auth, form) = &placed[0];
        assert_eq!(path, &format!("/2010-04-01/Accounts/{ACCOUNT}/Calls.json"));
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{API_TOKEN}"));
        assert_eq!(auth, &format!("Basic {basic}"));
        assert_eq!(field(form, "To"), REPORTER);
        assert_eq!(field(form, "From"), FROM);
        assert!(field(form, "Url").starts_with("/hooks/ivr/callback?id="), "{form:?}");
        assert!(field(form, "StatusCallback").starts_with("/hooks/ivr/callback/status?id="), "{form:?}");
        assert_eq!(callback_events(t, &reference).await, vec![("callback_placed".to_owned(), false)]);

        let (url, _, sid) = calls(&s.placed).remove(0);
        let answered = post(t, &url, &sid, &[("CallStatus", "in-progress")]).await;
        let said = answered.said();
        assert!(said.contains("تسرب مياه"), "the service: {said}");
        assert!(said.contains("قيد المراجعة"), "the status in Arabic: {said}");
        assert!(said.contains("اضغط 1") && said.contains("اضغط 2"), "{said}");
        assert!(answered.languages().iter().all(|l| l == "ar-SA"), "{:?}", answered.languages());
        // The platform fetching the document again is the same answer, timed once.
        post(t, &url, &sid, &[("CallStatus", "in-progress")]).await;
        assert_eq!(
            callback_events(t, &reference).await,
            vec![("callback_placed".to_owned(), false), ("callback_answered".to_owned(), false)]
        );

        let reference_said = press(t, &answered, &sid, "1").await;
        let digits = tawasul_channels_dialogue::engine::reference_digits(&tawasul_channels_dialogue::prompts::Prompts::embedded(), "ar", &reference);
        assert!(reference_said.said().contains(&digits), "{} lacks {digits}", reference_said.said());
        let person = press(t, &reference_said, &sid, "2").await;
        assert_eq!(person.attribute("Dial", "action").map(|a| a.starts_with("/hooks/ivr/dialled?")), Some(true));
        let number = person.doc().descendants().find(|n| n.has_tag_name("Number")).and_then(|n| n.text().map(str::to_owned));
        assert_eq!(number.as_deref(), Some(AGENT));
        // The call that ended changed nothing on the case.
        post(t, &calls(&s.placed)[0].1, &sid, &[("CallStatus", "completed")]).await;
        assert_eq!(status_of(t, &reference).await, Status::Acknowledged);
        assert_eq!(calls(&s.placed).len(), 1);
    }

    async fn the_update_is_spoken_in_english_to_an_english_caller(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "en").await;
        transition(t, &reference, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        let (url, _, sid) = calls(&s.placed).remove(0);
        let answered = post(t, &url, &sid, &[]).await;
        let said = answered.said();
        assert!(said.contains("Water leak") && said.contains("under review"), "{said}");
        assert!(said.contains("press 1") && said.contains("press 2"), "{said}");
        assert!(answered.languages().iter().all(|l| l == "en-US"));
        let reference_said = press(t, &answered, &sid, "1").await;
        assert!(reference_said.said().contains("Your reference is"), "{}", reference_said.said());
        // A key that is no choice is asked again once; then the call ends politely.
        let again = press(t, &reference_said, &sid, "7").await;
        assert!(again.said().contains("not one of the choices"), "{}", again.said());
        let ended = press(t, &again, &sid, "8").await;
        assert!(ended.has("Hangup"), "{}", ended.body);
        assert!(ended.said().contains("goodbye"), "{}", ended.said());
    }

    async fn a_call_not_answered_is_tried_again_then_given_up(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "ar").await;
        transition(t, &reference, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        for (attempt, outcome) in [(1, "no-answer"), (2, "busy"), (3, "failed")] {
            let all = calls(&s.placed);
            assert_eq!(all.len(), attempt, "attempt {attempt}");
            let (_, status_url, sid) = all[attempt - 1].clone();
            post(t, &status_url, &sid, &[("CallStatus", outcome)]).await;
            // The platform repeating its report changes nothing more.
            post(t, &status_url, &sid, &[("CallStatus", outcome)]).await;
            t.app.run_jobs_until_idle().await.expect("jobs");
            assert_eq!(calls(&s.placed).len(), attempt, "not again at once");
            advance(t, 29);
            t.app.run_jobs_until_idle().await.expect("jobs");
            assert_eq!(calls(&s.placed).len(), attempt, "not before 30 minutes");
            advance(t, 1);
            t.app.run_jobs_until_idle().await.expect("jobs");
        }
        advance(t, 600);
        t.app.run_jobs_until_idle().await.expect("jobs");
        assert_eq!(calls(&s.placed).len(), 3, "three attempts at most");
        let events: Vec<String> = callback_events(t, &reference).await.into_iter().map(|(a, public)| {
            assert!(!public, "call-backs are internal entries");
            a
        }).collect();
        assert_eq!(
            events,
            [
                "callback_placed", "callback_no_answer",
                "callback_placed", "callback_no_answer",
                "callback_placed", "callback_no_answer", "callback_gave_up",
            ]
        );
        assert_eq!(status_of(t, &reference).await, Status::Acknowledged, "never closed nor changed");

        // The staff console's timeline names each entry, in either language.
        let staff = t.staff_cookie("cap.supervisor", PASSWORD).await;
        for (language, labels) in [
            ("ar", [("أُجري اتصال راجع", 3), ("لم يُردّ على الاتصال الراجع", 3), ("توقفت محاولات الاتصال الراجع", 1)]),
            ("en", [("Call-back placed", 3), ("Call-back not answered", 3), ("Call-back given up", 1)]),
        ] {
            let page = t.page(&format!("/staff/cases/{reference}?lang={language}"), &staff).await;
            assert_eq!(page.status, reqwest::StatusCode::OK, "{language}");
            for (label, times) in labels {
                assert_eq!(page.body.matches(label).count(), times, "{language}: {label}");
            }
            assert!(!page.body.contains("callback_"), "{language}: no entry is shown by its code");
        }
    }

    async fn the_call_apis_refusal_is_on_the_timeline_once_a_failure_retried(s: &Setup) {
        let t = &s.t;
        let refusals = |reference: String| async move {
            let case = t.store.case_by_reference(&reference).await.expect("read").expect("case");
            t.store.events(case.id).await.expect("events").into_iter()
                .filter(|e| e.action == "delivery_refused")
                .map(|e| {
                    assert!(!e.public, "for staff only");
                    serde_json::from_str::<serde_json::Value>(&e.details).expect("JSON")["status"].as_u64()
                })
                .collect::<Vec<_>>()
        };
        // Failing twice (503): noted once, tried again, then placed.
        let failing = phone_case_from(t, "ar", FAILING_NUMBER).await;
        transition(t, &failing, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        for _ in 0..2 {
            advance(t, 2);
            t.app.run_jobs_until_idle().await.expect("jobs");
        }
        assert_eq!(calls(&s.placed).len(), 3, "placed on the third try");
        assert_eq!(refusals(failing.clone()).await, [Some(503)], "once, not on every retry");
        assert_eq!(callback_events(t, &failing).await.first().map(|(a, _)| a.as_str()), Some("callback_placed"));

        // Refused (400): final, noted, never asked again.
        let refused = phone_case_from(t, "en", REFUSED_NUMBER).await;
        transition(t, &refused, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        advance(t, 120);
        t.app.run_jobs_until_idle().await.expect("jobs");
        let asked = s.placed.lock().expect("list").iter()
            .filter(|(_, _, form)| form.iter().any(|(k, v)| k == "To" && v == REFUSED_NUMBER)).count();
        assert_eq!(asked, 1, "a refusal is not retried");
        assert_eq!(refusals(refused.clone()).await, [Some(400)]);
        assert!(callback_events(t, &refused).await.is_empty(), "no call was placed");
    }

    async fn forged_signatures_are_refused_and_nothing_is_written(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "ar").await;
        transition(t, &reference, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        let (url, status_url, sid) = calls(&s.placed).remove(0);
        let before = callback_events(t, &reference).await;
        let forged = post_as(t, &status_url, &sid, &[("CallStatus", "no-answer")], "not-the-token").await;
        assert_eq!(forged.status, 401);
        let forged = post_as(t, &url, &sid, &[], "not-the-token").await;
        assert_eq!(forged.status, 401);
        let unsigned = t.client.post(t.url(&status_url)).form(&[("CallSid", sid.as_str()), ("CallStatus", "busy")]).send().await.expect("answers");
        assert_eq!(unsigned.status().as_u16(), 401);
        assert_eq!(callback_events(t, &reference).await, before);
        // Nor is a good signature over another call's id heard as this call.
        let other = post(t, &status_url, "CA99999999999999999999999999999999", &[("CallStatus", "no-answer")]).await;
        assert_eq!(other.status, 204);
        assert_eq!(callback_events(t, &reference).await, before);
        advance(t, 60);
        t.app.run_jobs_until_idle().await.expect("jobs");
        assert_eq!(calls(&s.placed).len(), 1, "no retry from a forged report");
    }

    async fn the_caller_rates_the_agent_after_the_call_in_arabic(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "ar").await;
        transition(t, &reference, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        let (url, _, sid) = calls(&s.placed).remove(0);
        let answered = post(t, &url, &sid, &[]).await;
        let person = press(t, &answered, &sid, "2").await;
        let action = person.attribute("Dial", "action").expect("the Dial's action");
        let asked = post(t, &action, &sid, &[("DialCallStatus", "completed"), ("DialSipHeader_X-Tawasul-Agent", "cap.agent")]).await;
        assert!(asked.said().contains("يرجى تقييم الموظف"), "{}", asked.said());
        // A key that is no score is asked again once.
        let again = press(t, &asked, &sid, "9").await;
        assert!(again.said().contains("ليس من الخيارات"), "{}", again.said());
        let answer = press(t, &again, &sid, "4").await;
        assert!(answer.said().contains("للإجابة التي تلقيتها"), "{}", answer.said());
        let thanks = press(t, &answer, &sid, "5").await;
        assert!(thanks.has("Hangup") && thanks.said().contains("شكراً لتقييمك"), "{}", thanks.body);
        // The platform redelivering the last webhook rates once.
        press(t, &answer, &sid, "5").await;

        let case = t.store.case_by_reference(&reference).await.expect("read").expect("case");
        let served: Vec<_> = t.store.conversations_of_case(case.id).await.expect("read")
            .into_iter().filter(|c| c.end_reason.as_deref() == Some("served")).collect();
        assert_eq!(served.len(), 1, "one served call");
        let rating = t.store.agent_rating(served[0].id).await.expect("read").expect("a rating");
        let agent = t.store.staff_by_username("cap.agent").await.expect("read").expect("agent");
        assert_eq!((rating.staff_id, rating.case_id, rating.agent_score, rating.answer_score), (agent.id, Some(case.id), 4, 5));
        // It counts in the KPIs' agent figures as a chat's rating does.
        let token = t.login("cap.supervisor", PASSWORD).await;
        let (status, report) = t.api_get("/api/v1/kpis?from=2026-12-01&to=2026-12-31", Some(&token)).await;
        assert!(status.is_success(), "{status} {report}");
        let kpi = |key: &str| {
            report["groups"][0]["kpis"]
                .as_array()
                .expect("kpis")
                .iter()
                .find(|k| k["key"] == key)
                .map(|k| k["value"].as_f64())
                .unwrap_or_else(|| panic!("no KPI {key} in {report}"))
        };
        assert_eq!((kpi("agent_rating"), kpi("agent_ratings")), (Some(4.0), Some(1.0)), "{report}");

        // A call no agent answered, or whose agent the exchange did not name, asks nothing.
        let unserved = post(t, &action, &sid, &[("DialCallStatus", "no-answer"), ("DialSipHeader_X-Tawasul-Agent", "cap.agent")]).await;
        assert!(unserved.has("Hangup") && !unserved.has("Gather"), "{}", unserved.body);
        let unnamed = post(t, &action, &sid, &[("DialCallStatus", "completed")]).await;
        assert!(unnamed.has("Hangup") && !unnamed.has("Gather"), "{}", unnamed.body);
    }

    async fn the_caller_rates_the_agent_after_the_phone_lines_handover_in_english(s: &Setup) {
        let t = &s.t;
        let sid = "CA00000000000000000000000000000777";
        let rung = post(t, "/hooks/ivr/twiml", sid, &[("CallStatus", "ringing")]).await;
        let english = press(t, &rung, sid, "2").await;
        let person = press(t, &english, sid, "3").await;
        let action = person.attribute("Dial", "action").expect("the Dial's action");
        assert!(action.contains("lang=en"), "{action}");
        let asked = post(t, &action, sid, &[("DialCallStatus", "completed"), ("DialSipHeader_X-Tawasul-Agent", "cap.agent")]).await;
        assert!(asked.said().contains("rate the staff member"), "{}", asked.said());
        let answer = press(t, &asked, sid, "3").await;
        // Two keys that are no score: asked again once, then a polite end without a rating.
        let again = press(t, &answer, sid, "0").await;
        assert!(again.said().contains("not one of the choices"), "{}", again.said());
        let ended = press(t, &again, sid, "6").await;
        assert!(ended.has("Hangup") && ended.said().contains("goodbye"), "{}", ended.body);
        let served = t.store.conversations_of_address("phone", FROM).await.expect("read")
            .into_iter().filter(|c| c.end_reason.as_deref() == Some("served")).count();
        assert_eq!(served, 0, "no rating stored");

        // Again, answered this time.
        let asked = post(t, &action, sid, &[("DialCallStatus", "completed"), ("DialSipHeader_X-Tawasul-Agent", "cap.agent")]).await;
        let answer = press(t, &asked, sid, "2").await;
        let thanks = press(t, &answer, sid, "3").await;
        assert!(thanks.said().contains("Thank you for your rating"), "{}", thanks.said());
        let served: Vec<_> = t.store.conversations_of_address("phone", FROM).await.expect("read")
            .into_iter().filter(|c| c.end_reason.as_deref() == Some("served")).collect();
        assert_eq!(served.len(), 1);
        let rating = t.store.agent_rating(served[0].id).await.expect("read").expect("a rating");
        assert_eq!((rating.case_id, rating.agent_score, rating.answer_score), (None, 2, 3));
    }

    async fn the_resolution_call_asks_the_survey_and_not_solved_reopens(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "ar").await;
        resolve(t, &reference).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        let (url, _, sid) = calls(&s.placed).remove(0);
        let answered = post(t, &url, &sid, &[]).await;
        let said = answered.said();
        assert!(said.contains("عولج") && said.contains("هل حُلّت المشكلة فعلاً"), "{said}");
        let quality = press(t, &answered, &sid, "2").await;
        assert!(quality.said().contains("جودة"), "{}", quality.said());
        let invalid = press(t, &quality, &sid, "7").await;
        assert!(invalid.said().contains("ليس من الخيارات"), "{}", invalid.said());
        let speed = press(t, &invalid, &sid, "4").await;
        let agent = press(t, &speed, &sid, "4").await;
        let done = press(t, &agent, &sid, "5").await;
        assert!(done.said().contains("أُعيد فتح بلاغك"), "{}", done.said());
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("case");
        let survey = t.store.survey(case.id).await.expect("read").expect("a survey");
        assert_eq!((survey.solved, survey.quality, survey.speed, survey.agent), (Some(false), 4, 4, 5));
        assert_eq!(case.status, Status::Assigned, "reopened as the link reopens");
        let invitation = t.store.invitation_of(case.id).await.expect("read").expect("invitation");
        assert!(invitation.answered_at.is_some(), "the link is spent with it");
    }

    async fn solved_with_good_scores_closes_the_case_in_english(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "en").await;
        resolve(t, &reference).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        let (url, _, sid) = calls(&s.placed).remove(0);
        let answered = post(t, &url, &sid, &[]).await;
        assert!(answered.said().contains("Is the problem really solved"), "{}", answered.said());
        let mut at = press(t, &answered, &sid, "1").await;
        for key in ["5", "4", "5"] {
            at = press(t, &at, &sid, key).await;
        }
        assert!(at.said().contains("your answer is recorded"), "{}", at.said());
        assert!(!at.said().contains("reopened"));
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("case");
        assert_eq!(case.status, Status::Closed, "a confirmed closure");
        let survey = t.store.survey(case.id).await.expect("read").expect("a survey");
        assert_eq!((survey.solved, survey.low), (Some(true), false));
    }
}

/// 22:00 in Bahrain: inside the default quiet hours (21:00–08:00).
async fn night(backend: Backend) -> Setup {
    setup_at(
        backend,
        Utc.with_ymd_and_hms(2026, 12, 6, 19, 0, 0).single().expect("a time"),
    )
    .await
}

on_both! { night;
    async fn a_call_due_in_the_quiet_hours_waits_for_the_morning(s: &Setup) {
        let t = &s.t;
        let reference = phone_case(t, "ar").await;
        transition(t, &reference, serde_json::json!({"action": "acknowledge"})).await;
        t.app.run_jobs_until_idle().await.expect("jobs");
        assert!(calls(&s.placed).is_empty(), "not at 22:00");
        advance(t, 9 * 60 + 59);
        t.app.run_jobs_until_idle().await.expect("jobs");
        assert!(calls(&s.placed).is_empty(), "not at 07:59");
        advance(t, 1);
        t.app.run_jobs_until_idle().await.expect("jobs");
        assert_eq!(calls(&s.placed).len(), 1, "at 08:00");
        assert_eq!(callback_events(t, &reference).await, vec![("callback_placed".to_owned(), false)]);
    }
}
