//! The workflow end to end, on the demo data, on each backend: a case is routed by its
//! location, acknowledged, transferred to the other entity and accepted there, breaches its
//! SLA on a test clock and escalates step by step; the reporter says it was ignored and gets
//! an escalation case; every step reaches the reporter's inbox on a real SMTP server, in the
//! reporter's language.

use chrono::{DateTime, Duration};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tawasul_demo::DEMO_PASSWORD;
use tawasul_testkit::{spawn, Backend, Options, TestApp};

/// The demo on a test clock starting on Sunday 22 November 2026, 08:00 in Bahrain (a working
/// morning), its e-mail going to a real SMTP receiver.
async fn demo(backend: Backend) -> TestApp {
    let start = DateTime::parse_from_rfc3339("2026-11-22T08:00:00+03:00")
        .expect("time")
        .to_utc();
    let t = spawn(Options {
        clock_starts: Some(start),
        smtp: true,
        demo: true,
        ..Options::on(backend)
    })
    .await;
    tawasul_demo::seed(&t.app).await.expect("demo seeded");
    t
}

/// A JSON resource the token may read.
async fn get(t: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = t.api_get(path, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

fn escalation_levels(case: &Value) -> Vec<i64> {
    case["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["action"] == "escalated")
        .map(|e| e["details"]["level"].as_i64().expect("level"))
        .collect()
}
async fn the_whole_story(postgres: bool) {
    let t = demo(if postgres { Backend::Postgres } else { Backend::Sqlite }).await;
    let (language, inbox) = if postgres {
        ("en", "resident.en@example.bh")
    } else {
        ("ar", "resident.ar@example.bh")
    };
    t.app.schedule_periodic_jobs().await.expect("periodic jobs");
    t.work().await;

    // Submitted with a location in the Capital Governorate, outside Manama.
    let (status, made) = t
        .api_post(
            "/api/v1/cases",
            None,
            json!({
                "service": "water-leak",
                "kind": "complaint",
                "description": "تسرب مياه مستمر أمام المنزل منذ يومين",
                "location": {"lat": 26.165, "lon": 50.645},
                "reporter": {"name": "مريم", "email": inbox, "language": language},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let reference = made["reference"].as_str().expect("reference").to_owned();
    let token = made["token"].as_str().expect("token").to_owned();
    let path = format!("/api/v1/cases/{reference}");

    let agent = t.login("cap.agent", DEMO_PASSWORD).await;
    let case = get(&t, &path, &agent).await;
    assert_eq!(
        (case["entity"].as_str(), case["department"].as_str()),
        (Some("cap"), Some("water"))
    );
    let routed = case["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["action"] == "routed")
        .expect("a routing event");
    assert_eq!(routed["details"]["entity_by"], "area", "{routed}");
    assert!(case["sla"]["first_response_due"].is_string(), "{case}");

    // Acknowledged, then found to be the municipality's and transferred there.
    let (status, body) = t
        .api_post(
            &format!("{path}/transitions"),
            Some(&agent),
            json!({"action": "acknowledge"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .api_post(
            &format!("{path}/transfer"),
            Some(&agent),
            json!({"entity": "mun", "reason": "الموقع يتبع بلدية المنامة"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "transferred");
    let followed = get(&t, "/api/v1/cases?queue=followed", &agent).await;
    assert!(followed["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|c| c["reference"] == reference.as_str()));

    // The municipality's liaison accepts it from its "transferred to us" queue.
    let liaison = t.login("mun.liaison", DEMO_PASSWORD).await;
    let incoming = get(&t, "/api/v1/cases?queue=transferred", &liaison).await;
    assert!(incoming["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|c| c["reference"] == reference.as_str()));
    let (status, accepted) = t
        .api_post(
            &format!("{path}/transfer/accept"),
            Some(&liaison),
            json!({"department": "cleaning"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(
        (accepted["status"].as_str(), accepted["entity"].as_str()),
        (Some("acknowledged"), Some("mun"))
    );
    // The governorate still follows it, read-only.
    let followed_case = get(&t, &path, &agent).await;
    assert_eq!(followed_case["status"], "acknowledged");
    assert!(followed_case["available_actions"]
        .as_array()
        .expect("actions")
        .is_empty());

    // Too early to say it was ignored: a clear refusal that says from when.
    let (status, refused) = t
        .api_post(
            &format!("{path}/ignored"),
            Some(&token),
            json!({"description": "لم يصلني أي رد"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "not_eligible");
    assert!(
        refused["error"]["message"].as_str().expect("message").contains("2026-"),
        "{refused}"
    );

    // The clock runs: working hour by working hour the ladder climbs, one step at a time.
    let mut seen = vec![];
    let mut liaison = liaison;
    for hour in 1..(24 * 30) {
        // A staff session ends after an hour unused: the liaison looks in on the half hour.
        t.advance(Duration::minutes(30));
        get(&t, &path, &liaison).await;
        t.advance(Duration::minutes(30));
        t.work().await;
        if hour % 10 == 0 {
            liaison = t.login("mun.liaison", DEMO_PASSWORD).await; // sessions last 12 hours
        }
        let levels = escalation_levels(&get(&t, &path, &liaison).await);
        if levels.len() > seen.len() {
            assert_eq!(levels.len(), seen.len() + 1, "one step per hour at most: {levels:?}");
            seen = levels;
        }
        if seen.len() == 3 {
            break;
        }
    }
    assert_eq!(seen, vec![1, 2, 3], "the whole ladder, in order");
    let breached = get(&t, &path, &liaison).await;
    assert_eq!(breached["sla"]["state"], "overdue", "{}", breached["sla"]);
    let escalated = get(&t, "/api/v1/cases?queue=escalated", &liaison).await;
    assert!(escalated["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|c| c["reference"] == reference.as_str()));

    // Now the reporter may say it was ignored, with the tracking token alone.
    let mine = get(&t, &path, &token).await;
    assert_eq!(
        mine["ignored_complaint"]["eligible"], true,
        "{}",
        mine["ignored_complaint"]
    );
    let (status, receipt) = t
        .api_post(
            &format!("{path}/ignored"),
            Some(&token),
            json!({"description": "لم يصلني أي رد منذ أسابيع"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let escalation_ref = receipt["reference"].as_str().expect("reference").to_owned();
    let satisfaction = t.login("mun.satisfaction", DEMO_PASSWORD).await;
    let liaison = t.login("mun.liaison", DEMO_PASSWORD).await;
    let escalation = get(&t, &format!("/api/v1/cases/{escalation_ref}"), &satisfaction).await;
    assert_eq!(escalation["kind"], "escalation");
    assert_eq!(escalation["linked_case"].as_str(), Some(reference.as_str()));
    assert_eq!(escalation["department"], "satisfaction");
    assert!(escalation["sla"]["resolution_due"].is_string());
    let original = get(&t, &path, &liaison).await;
    let noted = original["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["action"] == "ignored_complaint")
        .expect("the complaint is on the original timeline");
    assert_eq!(
        noted["details"]["linked_reference"].as_str(),
        Some(escalation_ref.as_str())
    );
    let (status, again) = t
        .api_post(
            &format!("{path}/ignored"),
            Some(&token),
            json!({"description": "مرة أخرى"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one open escalation case at a time: {again}"
    );

    // Every step reached the reporter's inbox, once each, in their language.
    t.work().await;
    let expected = [
        "case_received",
        "case_acknowledged",
        "case_transferred",
        "case_acknowledged",
        "case_escalated",
        "case_escalated",
        "escalation_received",
    ];
    let mail = t.inbox(inbox, expected.len()).await;
    assert_eq!(
        mail.len(),
        expected.len(),
        "{:#?}",
        mail.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<_> = mail.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), mail.len(), "each notification delivered once");
    for m in &mail {
        assert_eq!(m.content_language.as_deref(), Some(language), "{}", m.subject);
        let arabic = m.subject.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
        assert_eq!(
            arabic,
            language == "ar",
            "subject in the reporter's language: {}",
            m.subject
        );
    }
    assert!(mail
        .iter()
        .all(|m| m.body.contains(&reference) || m.body.contains(&escalation_ref)));
    // The supervisor and the satisfaction unit heard of the steps addressed to them.
    let staff_mail = t.smtp.as_ref().expect("SMTP receiver").messages();
    for who in [
        "mun.supervisor@demo.tawasul.example",
        "mun.satisfaction@demo.tawasul.example",
    ] {
        assert!(
            staff_mail
                .iter()
                .any(|m| m.to.iter().any(|to| to == who) && m.body.contains(&reference)),
            "{who} was told"
        );
    }
    let outbox = t.store.outbox_deliveries(100_000).await.expect("outbox");
    let undelivered: Vec<_> = outbox
        .iter()
        .filter(|o| o.recipient == inbox && o.status != "sent")
        .collect();
    assert!(undelivered.is_empty(), "{undelivered:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_on_sqlite() {
    the_whole_story(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_on_postgres() {
    the_whole_story(true).await;
}
