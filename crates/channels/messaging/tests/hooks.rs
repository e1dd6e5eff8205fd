//! The SMS gateway's and WhatsApp's webhooks as their providers call them, signed, on both
//! backends: a new case end to end in Arabic and English, the status of a reference, a
//! redelivered message answered once, forged and missing signatures (401, nothing written),
//! malformed and oversized bodies, and an adapter without its secret (404); a conversation
//! handed to a person, whose agent's page is fed the resident's new messages live (its
//! long-poll, woken on this node by the message itself). WhatsApp's Cloud
//! API is a local HTTP server in the provider's place, which records the replies and serves
//! a photo. With the reporter key, a conversation's address is stored sealed and every
//! look-up by it (the next message, WhatsApp's 24-hour window) still works.

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::Duration;
use tawasul_app::identity::sealing::ReporterKey;
use tawasul_app::{HookSettings, SmsHookSettings, WhatsappSettings};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, PASSWORD};
use tawasul_testkit::sinks::HttpSink;
use tawasul_testkit::{on_both, png, spawn, Backend, Options, TestApp};

const SMS_SECRET: &str = "sms-gateway-secret";
const APP_SECRET: &str = "whatsapp-app-secret";
const VERIFY_TOKEN: &str = "verify-me";
const PHONE_ID: &str = "106540352242922";

struct Setup {
    t: TestApp,
    graph: HttpSink,
}

async fn setup(backend: Backend) -> Setup {
    setup_from(backend, None).await
}

/// `setup` on the kit's clock, for what depends on time (WhatsApp's 24-hour window).
async fn setup_on_clock(backend: Backend) -> Setup {
    setup_from(backend, Some(chrono::Utc::now())).await
}

/// `setup` with an agent of the contact centre, and the SMS gateway that agents' answers go
/// out through (the Cloud API's stand-in records it too, at `/gateway/sms`).
async fn setup_with_agent(backend: Backend) -> Setup {
    let s = setup_with(backend, None, true, None).await;
    Fixtures::new(&s.t.app)
        .await
        .staff("cap.agent", Role::Agent, Some("cap"))
        .await;
    s
}

async fn setup_from(backend: Backend, clock_starts: Option<chrono::DateTime<chrono::Utc>>) -> Setup {
    setup_with(backend, clock_starts, false, None).await
}

/// `setup_on_clock` with reporters' details encrypted at rest (`--reporter-key`).
async fn setup_sealed(backend: Backend) -> Setup {
    setup_with(
        backend,
        Some(chrono::Utc::now()),
        false,
        Some(ReporterKey("5a".repeat(32))),
    )
    .await
}

async fn setup_with(
    backend: Backend,
    clock_starts: Option<chrono::DateTime<chrono::Utc>>,
    sms_out: bool,
    reporter_key: Option<ReporterKey>,
) -> Setup {
    let graph = HttpSink::start().await.expect("the Cloud API's stand-in");
    let hooks = HookSettings {
        sms: Some(SmsHookSettings {
            secret: SMS_SECRET.into(),
            from_field: "sender".into(),
            text_field: "body".into(),
            id_field: "msgid".into(),
        }),
        whatsapp: Some(WhatsappSettings {
            app_secret: APP_SECRET.into(),
            verify_token: VERIFY_TOKEN.into(),
            access_token: "graph-token".into(),
            api_base: graph.url("/v21.0"),
            phone_number_id: PHONE_ID.into(),
            template: "case_update".into(),
        }),
        ..HookSettings::default()
    };
    let mut delivery = tawasul_app::DeliverySettings::default();
    if sms_out {
        delivery.sms = Some(tawasul_notify::SmsSettings {
            url: graph.url("/gateway/sms"),
            method: "POST".into(),
            body_template: "to={to}&text={text}".into(),
            content_type: "application/x-www-form-urlencoded".into(),
            headers: vec![],
        });
    }
    let t = spawn(Options {
        hooks,
        clock_starts,
        delivery,
        reporter_key,
        ..Options::on(backend)
    })
    .await;
    Fixtures::new(&t.app).await.capital(json!([])).await;
    Setup { t, graph }
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// An SMS as the gateway posts it (a form), signed.
async fn sms(t: &TestApp, from: &str, body: &str, id: &str) -> (StatusCode, Value) {
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("sender", from)
        .append_pair("body", body)
        .append_pair("msgid", id)
        .finish();
    let response = t
        .client
        .post(t.url("/hooks/sms"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-tawasul-signature", sign(SMS_SECRET, form.as_bytes()))
        .body(form)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn text_of(reply: &Value) -> String {
    reply["text"].as_str().unwrap_or_default().to_owned()
}

/// A WhatsApp notification carrying one message from `wa_id`.
fn notification(wa_id: &str, message: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "97317000000", "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": "Fatima"}, "wa_id": wa_id}],
            "messages": [message]
        }}]}]
    })
}

async fn whatsapp(t: &TestApp, body: &Value) -> StatusCode {
    let bytes = serde_json::to_vec(body).expect("JSON");
    t.client
        .post(t.url("/hooks/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(APP_SECRET, &bytes))
        .body(bytes)
        .send()
        .await
        .expect("sent")
        .status()
}

fn text_message(id: &str, body: &str) -> Value {
    json!({"from": WA_ID, "id": id, "timestamp": "1764921600", "type": "text", "text": {"body": body}})
}

fn button(id: &str, key: &str) -> Value {
    json!({"from": WA_ID, "id": id, "timestamp": "1764921600", "type": "interactive",
           "interactive": {"type": "button_reply", "button_reply": {"id": key, "title": "…"}}})
}

const WA_ID: &str = "97333987654";

/// The replies sent to the Cloud API so far, as JSON.
fn replies(graph: &HttpSink) -> Vec<Value> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path == format!("/v21.0/{PHONE_ID}/messages"))
        .map(|r| {
            assert_eq!(r.header("authorization"), Some("Bearer graph-token"));
            serde_json::from_slice(&r.body).expect("a JSON message")
        })
        .collect()
}

async fn conversations(t: &TestApp, channel: &str, address: &str) -> usize {
    t.store
        .conversations_of_address(channel, address)
        .await
        .expect("read")
        .len()
}

on_both! { setup;
    async fn an_sms_conversation_makes_a_case_in_arabic(s: &Setup) {
        let t = &s.t;
        let from = "97333111222";
        let (status, first) = sms(t, from, "السلام عليكم", "m1").await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["to"], "+97333111222");
        assert!(text_of(&first).contains("1. العربية"), "{first}");
        for (i, (said, expect)) in [
            ("1", "1. تقديم بلاغ"),
            ("1", "ما الذي تود تقديمه"),
            ("1", "1. تسرب مياه"),
            ("1", "صف المشكلة"),
            ("الماء يتسرب من الأنبوب الرئيسي أمام المسجد", "أرسل موقعك"),
            ("حي السلمانية، طريق 2411", "هل نرسل ما سبق"),
        ]
        .into_iter()
        .enumerate()
        {
            let (status, reply) = sms(t, from, said, &format!("m{}", i + 2)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(text_of(&reply).contains(expect), "after {said:?}: {reply}");
        }
        let (_, done) = sms(t, from, "1", "m9").await;
        let reference = text_of(&done)
            .split_whitespace()
            .find(|w| w.starts_with("TW-"))
            .map(|w| w.trim_end_matches('.').to_owned())
            .expect("a reference");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.reporter_phone.as_deref()), ("sms", Some("+97333111222")));

        // The conversation stays with the case: its staff read it on the case page, an
        // inspector (who may not see the reporter's details) does not.
        let fixtures = Fixtures::new(&t.app).await;
        fixtures.staff("cap.inspector", Role::Inspector, Some("cap")).await;
        let supervisor = t.staff_cookie("cap.supervisor", PASSWORD).await;
        let page = t.page(&format!("/staff/cases/{reference}"), &supervisor).await;
        assert!(page.body.contains("نص المحادثة"), "the transcript is shown");
        assert!(page.body.contains("الماء يتسرب من الأنبوب الرئيسي أمام المسجد"));
        assert!(page.body.contains("class=\"said-out\""), "with the service's side");
        let inspector = t.staff_cookie("cap.inspector", PASSWORD).await;
        let page = t.page(&format!("/staff/cases/{reference}"), &inspector).await;
        assert!(!page.body.contains("نص المحادثة"), "not to an inspector");

        // The gateway delivers the last message again: answered once, nothing more made.
        let (status, again) = sms(t, from, "1", "m9").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["replayed"], true, "{again}");
        assert_eq!(t.case_count().await, 1);
    }

    async fn an_sms_in_json_asks_the_status_in_english(s: &Setup) {
        let t = &s.t;
        let (reference, _) = t
            .submit(json!({"service": "water-leak", "kind": "report", "description": "Water leaking by the roundabout"}))
            .await;
        let post = |body: Value| {
            let bytes = serde_json::to_vec(&body).expect("JSON");
            t.client
                .post(t.url("/hooks/sms"))
                .header("content-type", "application/json")
                .header("x-tawasul-signature", sign(SMS_SECRET, &bytes))
                .body(bytes)
                .send()
        };
        for (id, said) in [(1, "hi"), (2, "2"), (3, "2")] {
            let response = post(json!({"sender": "+97333111333", "body": said, "msgid": id})).await.expect("sent");
            assert_eq!(response.status(), StatusCode::OK);
        }
        let response = post(json!({"sender": "+97333111333", "body": reference, "msgid": 4})).await.expect("sent");
        let reply: Value = response.json().await.expect("JSON");
        assert!(text_of(&reply).contains("received, waiting for review"), "{reply}");
        assert_eq!(reply["language"], "en");
    }

    async fn unsigned_forged_and_malformed_sms_are_refused_and_write_nothing(s: &Setup) {
        let t = &s.t;
        let form = "sender=97333111444&body=1&msgid=x1";
        let post = |signature: Option<String>, body: String, content_type: &'static str| {
            let mut request = t.client.post(t.url("/hooks/sms")).header("content-type", content_type).body(body);
            if let Some(signature) = signature {
                request = request.header("x-tawasul-signature", signature);
            }
            request.send()
        };
        let status = |r: reqwest::Result<reqwest::Response>| r.expect("sent").status();
        assert_eq!(status(post(None, form.into(), "application/x-www-form-urlencoded").await), StatusCode::UNAUTHORIZED);
        let forged = sign("not the secret", form.as_bytes());
        assert_eq!(status(post(Some(forged), form.into(), "application/x-www-form-urlencoded").await), StatusCode::UNAUTHORIZED);
        // Signed, then changed on the way.
        let signed = sign(SMS_SECRET, form.as_bytes());
        let changed = form.replace("body=1", "body=2");
        assert_eq!(status(post(Some(signed), changed, "application/x-www-form-urlencoded").await), StatusCode::UNAUTHORIZED);
        assert_eq!(conversations(t, "sms", "+97333111444").await, 0);

        for body in [
            "body=1&msgid=x2".to_owned(),
            "sender=not-a-number&body=1".to_owned(),
            format!("sender=97333111444&body={}", "ب".repeat(1_601)),
            format!("sender=97333111444&body=1&msgid={}", "x".repeat(201)),
        ] {
            let signature = sign(SMS_SECRET, body.as_bytes());
            let response = post(Some(signature), body.clone(), "application/x-www-form-urlencoded").await.expect("sent");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body:.60}");
        }
        let broken = "{\"sender\": ".to_owned();
        let signature = sign(SMS_SECRET, broken.as_bytes());
        assert_eq!(status(post(Some(signature), broken, "application/json").await), StatusCode::BAD_REQUEST);
        let huge = format!("sender=97333111444&body={}", "x".repeat(100_000));
        let signature = sign(SMS_SECRET, huge.as_bytes());
        assert_eq!(status(post(Some(signature), huge, "application/x-www-form-urlencoded").await), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(conversations(t, "sms", "+97333111444").await, 0);
        assert_eq!(t.case_count().await, 0);
    }

    async fn whatsapp_verifies_its_subscription(s: &Setup) {
        let t = &s.t;
        let get = |query: &str| t.client.get(t.url(&format!("/hooks/whatsapp?{query}"))).send();
        let ok = get(&format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")).await.expect("sent");
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.text().await.expect("text"), "1158201444");
        let wrong = get("hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1").await.expect("sent");
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        let no_mode = get(&format!("hub.verify_token={VERIFY_TOKEN}&hub.challenge=1")).await.expect("sent");
        assert_eq!(no_mode.status(), StatusCode::FORBIDDEN);
    }

    async fn a_whatsapp_conversation_with_buttons_a_location_and_a_photo(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        graph.serve("/v21.0/1493247338229452", "application/json",
            serde_json::to_vec(&json!({"url": graph.url("/media/leak.png"), "mime_type": "image/png",
                                       "id": "1493247338229452", "messaging_product": "whatsapp"})).expect("JSON"));
        graph.serve("/media/leak.png", "image/png", png(7));

        assert_eq!(whatsapp(t, &notification(WA_ID, text_message("wamid.1", "مرحبا"))).await, StatusCode::OK);
        let first = replies(graph);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0]["to"], WA_ID);
        assert_eq!(first[0]["interactive"]["type"], "button", "two languages, two buttons: {}", first[0]);
        assert_eq!(first[0]["interactive"]["action"]["buttons"][0]["reply"]["title"], "العربية");

        for (n, key) in [(2, "1"), (3, "1"), (4, "1"), (5, "1")] {
            assert_eq!(whatsapp(t, &notification(WA_ID, button(&format!("wamid.{n}"), key))).await, StatusCode::OK);
        }
        let photo = json!({"from": WA_ID, "id": "wamid.6", "timestamp": "1764921600", "type": "image",
                           "image": {"id": "1493247338229452", "mime_type": "image/png", "sha256": "x"}});
        assert_eq!(whatsapp(t, &notification(WA_ID, photo)).await, StatusCode::OK);
        let describe = text_message("wamid.7", "تسرب مياه من أنبوب مكسور عند مدخل العمارة");
        assert_eq!(whatsapp(t, &notification(WA_ID, describe)).await, StatusCode::OK);
        let location = json!({"from": WA_ID, "id": "wamid.8", "timestamp": "1764921600", "type": "location",
                              "location": {"latitude": 26.2235, "longitude": 50.5876, "name": "عمارة 12", "address": "المنامة"}});
        assert_eq!(whatsapp(t, &notification(WA_ID, location)).await, StatusCode::OK);
        let confirm = replies(graph).last().cloned().expect("a reply");
        assert!(confirm["interactive"]["body"]["text"].as_str().is_some_and(|b| b.contains("هل نرسل")), "{confirm}");
        assert_eq!(whatsapp(t, &notification(WA_ID, button("wamid.9", "1"))).await, StatusCode::OK);

        let done = replies(graph).last().cloned().expect("a reply");
        let body = done["text"]["body"].as_str().expect("a text reply").to_owned();
        let reference = body
            .split_whitespace()
            .find(|w| w.starts_with("TW-"))
            .map(|w| w.trim_end_matches('.').to_owned())
            .expect("the reference");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!(case.channel.as_str(), "whatsapp");
        assert_eq!(case.reporter_phone.as_deref(), Some("+97333987654"));
        assert_eq!((case.lat, case.lon), (Some(26.2235), Some(50.5876)));
        assert_eq!(case.address.as_deref(), Some("عمارة 12، المنامة"));
        let attachments = t.store.attachments(case.id).await.expect("read");
        assert_eq!(attachments.len(), 1, "the photo is on the case");

        // WhatsApp delivers the last notification again: no second case, no second reply.
        let sent = replies(graph).len();
        assert_eq!(whatsapp(t, &notification(WA_ID, button("wamid.9", "1"))).await, StatusCode::OK);
        assert_eq!(replies(graph).len(), sent);
        assert_eq!(t.case_count().await, 1);
    }

    async fn whatsapp_statuses_forgeries_and_junk(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let statuses = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "statuses": [
                {"id": "wamid.out", "status": "delivered", "timestamp": "1764921600", "recipient_id": WA_ID},
                {"id": "wamid.out2", "status": "failed", "timestamp": "1764921600", "recipient_id": WA_ID,
                 "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}}]}]});
        assert_eq!(whatsapp(t, &statuses).await, StatusCode::OK);
        let reaction = json!({"from": WA_ID, "id": "wamid.r", "timestamp": "1", "type": "reaction",
                              "reaction": {"message_id": "wamid.out", "emoji": "👍"}});
        assert_eq!(whatsapp(t, &notification(WA_ID, reaction)).await, StatusCode::OK);
        assert_eq!(conversations(t, "whatsapp", WA_ID).await, 0, "statuses and reactions start nothing");

        let body = serde_json::to_vec(&notification(WA_ID, text_message("wamid.f", "1"))).expect("JSON");
        let forged = t.client.post(t.url("/hooks/whatsapp")).header("x-hub-signature-256", sign("guess", &body))
            .body(body.clone()).send().await.expect("sent");
        assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
        let unsigned = t.client.post(t.url("/hooks/whatsapp")).body(body).send().await.expect("sent");
        assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(whatsapp(t, &json!({"object": "page", "entry": []})).await, StatusCode::BAD_REQUEST);
        assert_eq!(whatsapp(t, &json!([1, 2])).await, StatusCode::BAD_REQUEST);
        let no_sender = json!({"from": "", "id": "wamid.x", "type": "text", "text": {"body": "1"}});
        assert_eq!(whatsapp(t, &notification(WA_ID, no_sender)).await, StatusCode::BAD_REQUEST);
        assert_eq!(conversations(t, "whatsapp", WA_ID).await, 0);
        assert!(graph.wait_for(1, Duration::from_millis(200)).await.is_empty(), "nothing was sent");
    }
}

/// The WhatsApp resident `wa` makes a case in English through the dialogue (its messages'
/// ids `wamid.{tag}1`, `wamid.{tag}2`…); the case's reference, as the last reply gave it.
async fn whatsapp_case(t: &TestApp, graph: &HttpSink, wa: &str, tag: &str) -> String {
    let steps = [
        (1, "hi"),
        (2, "2"),
        (3, "1"),
        (4, "1"),
        (5, "1"),
        (6, "Water is leaking from the main pipe by the mosque"),
        (7, "1"),
        (8, "1"),
    ];
    for (n, key) in steps {
        let message = json!({"from": wa, "id": format!("wamid.{tag}{n}"), "type": "text", "text": {"body": key}});
        assert_eq!(whatsapp(t, &notification(wa, message)).await, StatusCode::OK);
    }
    let made = replies(graph).last().cloned().expect("a reply");
    made["text"]["body"]
        .as_str()
        .and_then(|b| b.split_whitespace().find(|w| w.starts_with("TW-")))
        .map(|w| w.trim_end_matches('.').to_owned())
        .expect("a case was made")
}

on_both! { setup_on_clock;
    async fn whatsapp_cases_hear_back_by_whatsapp_free_within_a_day_by_template_after(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let wa = "97333555111";
        let reference = whatsapp_case(t, graph, wa, "n").await;
        let sent = replies(graph).len();

        // The case's acknowledgement goes by WhatsApp, as free text: the resident wrote minutes ago.
        t.work().await;
        let received = replies(graph);
        assert_eq!(received.len(), sent + 1, "one notification");
        assert_eq!(received[sent]["type"], "text");
        assert_eq!(received[sent]["to"], wa);
        assert!(received[sent]["text"]["body"].as_str().is_some_and(|b| b.contains(&reference)), "{}", received[sent]);

        // A day and more later the window is closed: only the approved template may go.
        t.advance(chrono::Duration::hours(25));
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, _) = t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"})).await;
        assert_eq!(status, StatusCode::OK);
        t.work().await;
        let later = replies(graph);
        assert_eq!(later.len(), sent + 2);
        let template = &later[sent + 1];
        assert_eq!(template["type"], "template", "{template}");
        assert_eq!(template["template"]["name"], "case_update");
        assert_eq!(template["template"]["language"]["code"], "en");
        assert!(template["template"]["components"][0]["parameters"][0]["text"].as_str().is_some_and(|p| p.contains(&reference)));
    }
}

/// The words of a WhatsApp reply: a text's body, or an interactive message's.
fn words_of(reply: &Value) -> String {
    reply["text"]["body"]
        .as_str()
        .or(reply["interactive"]["body"]["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}

on_both! { setup;
    async fn status_by_reference_invalid_input_and_a_person_on_whatsapp_in_arabic_and_sms_in_english(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let (reference, _) = t
            .submit(json!({"service": "water-leak", "kind": "report", "description": "Water leaking by the roundabout"}))
            .await;
        let mut n = 0;
        let mut wa = |said: String| {
            n += 1;
            let id = format!("wamid.st{n}");
            async move {
                assert_eq!(whatsapp(t, &notification(WA_ID, text_message(&id, &said))).await, StatusCode::OK);
                words_of(&replies(graph).last().cloned().expect("a reply"))
            }
        };
        wa("مرحبا".into()).await;
        wa("1".into()).await;
        assert!(wa("2".into()).await.contains("اكتب رقم البلاغ"));
        let status = wa(reference.clone()).await;
        assert!(status.contains(&format!("البلاغ {reference}")) && status.contains("استُلم وينتظر المراجعة"), "{status}");
        let invalid = wa("موز".into()).await;
        assert!(invalid.starts_with("عذراً، هذا ليس من الخيارات."), "{invalid}");
        wa("42".into()).await;
        let offer = wa("؟".into()).await;
        assert!(offer.contains("هل تود التحدث إلى أحد موظفينا؟"), "{offer}");
        let handed = wa("1".into()).await;
        assert!(handed.contains("سيتواصل معك أحد موظفينا هنا"), "{handed}");
        let queue = t.store.chat_queue(10).await.expect("read");
        assert_eq!(queue.iter().map(|q| q.conversation.channel.as_str()).collect::<Vec<_>>(), ["whatsapp"], "in the staff's chat queue");

        // SMS, in English: answers that are no choice, a person offered and accepted.
        let from = "+97333111444";
        for (id, said) in [("e-1", "hi"), ("e-2", "2")] {
            assert_eq!(sms(t, from, said, id).await.0, StatusCode::OK);
        }
        let (_, invalid) = sms(t, from, "banana", "e-3").await;
        assert!(text_of(&invalid).starts_with("Sorry, that is not one of the choices."), "{invalid}");
        sms(t, from, "42", "e-4").await;
        let (_, offer) = sms(t, from, "?", "e-5").await;
        assert!(text_of(&offer).contains("Would you like to speak to one of our staff?"), "{offer}");
        let (_, handed) = sms(t, from, "1", "e-6").await;
        assert!(text_of(&handed).contains("One of our staff will answer you here"), "{handed}");
        let queue = t.store.chat_queue(10).await.expect("read");
        assert_eq!(queue.iter().map(|q| q.conversation.channel.as_str()).collect::<Vec<_>>(), ["whatsapp", "sms"], "in the staff's chat queue");
    }
}

/// The ids of the conversations in the staff queue page's pick-up forms.
fn queued(page: &tawasul_testkit::Page) -> Vec<i64> {
    page.body
        .match_indices("/staff/chats/")
        .filter_map(|(i, _)| {
            let rest = &page.body[i + "/staff/chats/".len()..];
            let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[id.len()..].starts_with("/pick").then(|| id.parse().ok()).flatten()
        })
        .collect()
}

/// The agent takes the one waiting conversation from the staff console's chat queue, sees
/// `heard` in it and its `channel`, and answers `answer`; the conversation's id.
async fn agent_answers(t: &TestApp, channel: &str, heard: &str, answer: &str) -> i64 {
    let agent = t.staff_cookie("cap.agent", PASSWORD).await;
    let queue = t.page("/staff/chats", &agent).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains(heard), "the resident's last words: {}", queue.body);
    assert!(queue.body.contains(channel), "where it came from: {}", queue.body);
    let ids = queued(&queue);
    assert_eq!(ids.len(), 1, "{}", queue.body);
    let id = ids[0];
    let picked = t
        .post_form(
            &format!("/staff/chats/{id}/pick"),
            &agent,
            &[("csrf_token", tawasul_testkit::CSRF)],
        )
        .await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER);
    let page = t.page(&format!("/staff/chats/{id}"), &agent).await;
    assert!(page.body.contains(heard), "the history: {}", page.body);
    let said = t
        .post_form(
            &format!("/staff/chats/{id}/say"),
            &agent,
            &[("csrf_token", tawasul_testkit::CSRF), ("message", answer)],
        )
        .await;
    assert_eq!(said.status, StatusCode::SEE_OTHER, "{}", said.body);
    id
}

on_both! { setup_with_agent;
    async fn a_person_asked_for_by_sms_answers_by_sms_from_the_chat_queue(s: &Setup) {
        let (t, gateway) = (&s.t, &s.graph);
        let from = "+97333111222";
        sms(t, from, "مرحبا", "s-1").await;
        sms(t, from, "1", "s-2").await;
        let (status, handed) = sms(t, from, "0", "s-3").await;
        assert_eq!(status, StatusCode::OK);
        assert!(text_of(&handed).contains("سيتواصل معك أحد موظفينا هنا"), "{handed}");
        let (status, quiet) = sms(t, from, "الماء مقطوع عن بيتنا منذ الصباح", "s-4").await;
        assert_eq!(status, StatusCode::OK);
        assert!(text_of(&quiet).is_empty(), "the bot leaves the resident to the person: {quiet}");

        let id = agent_answers(t, "<td>رسالة نصية</td>", "الماء مقطوع عن بيتنا منذ الصباح", "سنرسل فريق الصيانة خلال ساعة").await;
        t.work().await;
        let sent: Vec<Vec<(String, String)>> = gateway.requests().into_iter().filter(|r| r.path == "/gateway/sms")
            .map(|r| form_urlencoded::parse(&r.body).into_owned().collect()).collect();
        assert_eq!(sent, vec![vec![("to".to_owned(), from.to_owned()), ("text".to_owned(), "سنرسل فريق الصيانة خلال ساعة".to_owned())]],
            "the agent's words alone, to the resident's number");

        // The resident answers by SMS: it is the agent's to read, not the bot's to answer,
        // and the agent's page (waiting on its long-poll) is given it without a reload.
        let seen = t.store.transcript(id, 0, 100).await.expect("read").last().map_or(0, |l| l.id);
        let mut waiter = t.app.chat_hub().subscribe(id);
        let agent = t.staff_cookie("cap.agent", PASSWORD).await;
        let poll = format!("/staff/chats/{id}/poll?after={seen}");
        let (fed, (_, quiet)) = tokio::join!(
            t.page(&poll, &agent),
            sms(t, from, "شكراً", "s-5"),
        );
        assert!(text_of(&quiet).is_empty(), "{quiet}");
        assert_eq!(waiter.try_recv().ok(), Some(tawasul_app::conversations::hub::Event::Line), "the SMS woke the page's wait on this node");
        assert_eq!(fed.status, StatusCode::OK, "{}", fed.body);
        let update: Value = serde_json::from_str(&fed.body).expect("JSON");
        let lines: Vec<(&str, &str)> = update["lines"].as_array().expect("lines").iter()
            .map(|l| (l["direction"].as_str().unwrap_or_default(), l["body"].as_str().unwrap_or_default())).collect();
        assert_eq!(lines, [("in", "شكراً")], "{update}");
        let lines = t.store.transcript(id, 0, 100).await.expect("read");
        let said: Vec<(&str, &str)> = lines.iter().map(|l| (l.direction.as_str(), l.body.as_str())).collect();
        assert!(said.ends_with(&[("agent", "سنرسل فريق الصيانة خلال ساعة"), ("in", "شكراً")]), "{said:?}");
    }

    async fn a_person_asked_for_on_whatsapp_answers_on_whatsapp_from_the_chat_queue(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        for (n, body) in ["hi", "2", "0"].into_iter().enumerate() {
            assert_eq!(whatsapp(t, &notification(WA_ID, text_message(&format!("wamid.p{n}"), body))).await, StatusCode::OK);
        }
        let handed = replies(graph).last().cloned().expect("a reply");
        assert!(handed["text"]["body"].as_str().is_some_and(|b| b.contains("One of our staff will answer you here")), "{handed}");
        let before = replies(graph).len();
        assert_eq!(whatsapp(t, &notification(WA_ID, text_message("wamid.p3", "There is no water in my street"))).await, StatusCode::OK);
        assert_eq!(replies(graph).len(), before, "the bot leaves the resident to the person");

        agent_answers(t, "<td>واتساب</td>", "There is no water in my street", "A crew is on its way").await;
        t.work().await;
        let sent = replies(graph);
        assert_eq!(sent.len(), before + 1);
        let answer = &sent[before];
        assert_eq!((answer["to"].as_str(), answer["type"].as_str()), (Some(WA_ID), Some("text")), "{answer}");
        assert_eq!(answer["text"]["body"], "A crew is on its way");
    }
}

/// The internal timeline entries that say a provider refused a message about the case.
async fn refusals(t: &TestApp, reference: &str) -> Vec<Value> {
    let case = t
        .store
        .case_by_reference(reference)
        .await
        .expect("read")
        .expect("the case");
    t.store
        .events(case.id)
        .await
        .expect("read")
        .into_iter()
        .filter(|e| e.action == "delivery_refused")
        .map(|e| {
            assert!(!e.public, "for staff only");
            serde_json::from_str(&e.details).expect("JSON details")
        })
        .collect()
}

on_both! { setup_on_clock;
    async fn a_providers_refusal_is_on_the_case_once_a_failure_retried_a_refusal_final(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let wa = "97333555222";
        let reference = whatsapp_case(t, graph, wa, "r").await;
        let sent = replies(graph).len();

        // The acknowledgement meets a failing Cloud API twice: noted once, tried again, delivered.
        graph.respond_with([503, 503]);
        t.work().await;
        assert_eq!(refusals(t, &reference).await.len(), 1);
        for _ in 0..2 {
            t.advance(chrono::Duration::hours(2));
            t.work().await;
        }
        let noted = refusals(t, &reference).await;
        assert_eq!(noted.len(), 1, "once, not on every retry: {noted:?}");
        assert_eq!((noted[0]["channel"].as_str(), noted[0]["status"].as_u64()), (Some("whatsapp"), Some(503)));
        assert_eq!(replies(graph).len(), sent + 3, "two refused, the third delivered");
        let outbox = t.store.outbox(1).await.expect("read");
        assert_eq!(outbox[0].status, "sent");

        // A refusal (4xx) is final: noted, not tried again.
        graph.respond_with([400]);
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, _) = t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"})).await;
        assert_eq!(status, StatusCode::OK);
        t.work().await;
        t.advance(chrono::Duration::hours(2));
        t.work().await;
        assert_eq!(replies(graph).len(), sent + 4, "asked once");
        let noted = refusals(t, &reference).await;
        assert_eq!(noted.len(), 2, "{noted:?}");
        assert_eq!(noted[1]["status"].as_u64(), Some(400));
        assert_eq!(t.store.outbox(1).await.expect("read")[0].status, "failed");
    }
}

/// Without their secrets the adapters are off: their hooks answer 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapters_without_secrets_are_off() {
    let t = spawn(Options::on(Backend::Sqlite)).await;
    for (method, path) in [
        ("POST", "/hooks/sms"),
        ("POST", "/hooks/whatsapp"),
        ("GET", "/hooks/whatsapp?hub.mode=subscribe"),
    ] {
        let request = match method {
            "GET" => t.client.get(t.url(path)),
            _ => t.client.post(t.url(path)).body("{}"),
        };
        assert_eq!(
            request.send().await.expect("sent").status(),
            StatusCode::NOT_FOUND,
            "{method} {path}"
        );
    }
}

/// Hundreds of damaged notifications, correctly signed (so that the parser, not the signature,
/// meets them): bytes flipped, cut short, fields of the wrong type. Each is answered 200 or
/// 4xx, never 5xx, and none makes a case. Deterministic: the seed is fixed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_notifications_are_refused_or_ignored_never_a_server_error() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let s = setup(Backend::Sqlite).await;
    let t = &s.t;
    let mut rng = StdRng::seed_from_u64(20_261_205);
    let whatsapp_body = serde_json::to_vec(&notification(WA_ID, text_message("wamid.z", "1"))).expect("JSON");
    let sms_body = b"sender=97333111999&body=1&msgid=z".to_vec();
    let wrong_types = [
        json!({"object": "whatsapp_business_account", "entry": "x"}),
        json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"from": 5, "id": [], "type": "text"}]}}]}]}),
        json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"from": WA_ID, "id": "w", "type": "location", "location": {"latitude": "north"}}]}}]}]}),
        json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"from": WA_ID, "id": "w2", "type": "interactive", "interactive": {}}]}}]}]}),
        json!(null),
    ];
    for round in 0..300 {
        let (path, header, secret, mut body) = if round % 2 == 0 {
            (
                "/hooks/whatsapp",
                "x-hub-signature-256",
                APP_SECRET,
                whatsapp_body.clone(),
            )
        } else {
            ("/hooks/sms", "x-tawasul-signature", SMS_SECRET, sms_body.clone())
        };
        match rng.gen_range(0..4) {
            0 => {
                for _ in 0..rng.gen_range(1..8) {
                    let i = rng.gen_range(0..body.len());
                    body[i] = rng.gen();
                }
            }
            1 => body.truncate(rng.gen_range(0..body.len())),
            2 if path == "/hooks/whatsapp" => {
                body = serde_json::to_vec(&wrong_types[rng.gen_range(0..wrong_types.len())]).expect("JSON")
            }
            _ => body.extend((0..rng.gen_range(1..64)).map(|_| rng.gen::<u8>())),
        }
        let response = t
            .client
            .post(t.url(path))
            .header(header, sign(secret, &body))
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        assert!(
            !response.status().is_server_error(),
            "round {round}: {} for {:?}",
            response.status(),
            String::from_utf8_lossy(&body)
        );
    }
    assert_eq!(t.case_count().await, 0);
}

/// `setup_with_agent` on the kit's clock, for the ratings (WhatsApp's window, a day to answer).
async fn setup_with_agent_on_clock(backend: Backend) -> Setup {
    let s = setup_with(backend, Some(chrono::Utc::now()), true, None).await;
    Fixtures::new(&s.t.app)
        .await
        .staff("cap.agent", Role::Agent, Some("cap"))
        .await;
    s
}

/// The agent who has conversation `id` ends it from its page.
async fn agent_ends(t: &TestApp, id: i64) {
    let agent = t.staff_cookie("cap.agent", PASSWORD).await;
    let ended = t
        .post_form(
            &format!("/staff/chats/{id}/end"),
            &agent,
            &[("csrf_token", tawasul_testkit::CSRF)],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
}

/// The texts the SMS gateway was given for `to`, in order.
fn texts_to(gateway: &HttpSink, to: &str) -> Vec<String> {
    gateway
        .requests()
        .into_iter()
        .filter(|r| r.path == "/gateway/sms")
        .map(|r| {
            form_urlencoded::parse(&r.body)
                .into_owned()
                .collect::<Vec<(String, String)>>()
        })
        .filter(|fields| fields.iter().any(|(k, v)| k == "to" && v == to))
        .filter_map(|fields| fields.into_iter().find(|(k, _)| k == "text").map(|(_, v)| v))
        .collect()
}

/// The staff id of the contact centre's agent.
async fn agent_id(t: &TestApp) -> i64 {
    t.store
        .staff_by_username("cap.agent")
        .await
        .expect("read")
        .expect("the agent")
        .id
}

on_both! { setup_with_agent_on_clock;
    async fn an_agent_served_sms_conversation_is_rated_by_digits_in_arabic_once(s: &Setup) {
        let (t, gateway) = (&s.t, &s.graph);
        let from = "+97333111222";
        for (said, id) in [("مرحبا", "r-1"), ("1", "r-2"), ("0", "r-3"), ("الماء مقطوع عن بيتنا منذ الصباح", "r-4")] {
            assert_eq!(sms(t, from, said, id).await.0, StatusCode::OK);
        }
        let id = agent_answers(t, "<td>رسالة نصية</td>", "الماء مقطوع عن بيتنا منذ الصباح", "سنرسل فريق الصيانة خلال ساعة").await;
        // The agent makes a case of it, then ends it.
        let agent = t.staff_cookie("cap.agent", PASSWORD).await;
        let made = t.post_form(&format!("/staff/chats/{id}/case"), &agent, &[("csrf_token", tawasul_testkit::CSRF),
            ("service", "water-leak"), ("kind", "complaint"), ("description", "انقطاع المياه عن البيت منذ الصباح")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        t.work().await;
        agent_ends(t, id).await;
        t.work().await;
        let sent = texts_to(gateway, from);
        assert_eq!(sent.len(), 3, "the agent's answer, the case's reference, then the question: {sent:?}");
        assert!(sent[2].contains("كيف تقيّم الموظف الذي خدمك؟") && sent[2].contains("من 1"), "{}", sent[2]);
        let reference = sent[..2].iter().find_map(|s| tawasul_domain::text::reference_in(s)).expect("the reference was sent");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");

        // Out of range: asked again (the digits are the resident's, Arabic-Indic or not).
        let (_, again) = sms(t, from, "٩", "r-5").await;
        assert!(text_of(&again).starts_with("عذراً، هذا ليس من الخيارات.") && text_of(&again).contains("كيف تقيّم الموظف"), "{again}");
        let (_, answer) = sms(t, from, "٤", "r-6").await;
        assert!(text_of(&answer).contains("وما تقييمك للإجابة التي تلقيتها؟") && text_of(&answer).contains("5. ممتاز"), "{answer}");
        let (_, thanks) = sms(t, from, "5", "r-7").await;
        assert!(text_of(&thanks).contains("شكراً لتقييمك"), "{thanks}");
        assert_eq!(thanks["language"], "ar");

        // Stored once, with the chat ratings: the agent, the case, the conversation; the KPIs'
        // agent figures count it.
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.staff_id, rating.case_id, rating.agent_score, rating.answer_score), (agent_id(t).await, Some(case.id), 4, 5));
        let today = t.app.now().date_naive();
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, report) = t.api_get(&format!("/api/v1/kpis?from={}&to={}", today.pred_opt().expect("a day"), today.succ_opt().expect("a day")), Some(&supervisor)).await;
        assert!(status.is_success(), "{status} {report}");
        let kpi = |key: &str| report["groups"][0]["kpis"].as_array().expect("kpis").iter()
            .find(|k| k["key"] == key).and_then(|k| k["value"].as_f64());
        assert_eq!((kpi("agent_rating"), kpi("agent_ratings")), (Some(4.0), Some(1.0)), "{report}");
        let (status, replayed) = sms(t, from, "5", "r-7").await;
        assert_eq!((status, replayed["replayed"].as_bool()), (StatusCode::OK, Some(true)), "a redelivery rates once");
        let second = t.app.rate_agent(from, id, 1, 1).await;
        assert!(matches!(second, Err(tawasul_app::conversations::ConversationsError::Taken)), "a second rating is refused: {second:?}");
        assert_eq!(t.store.agent_rating(id).await.expect("read").map(|r| r.agent_score), Some(4));

        // Rated: the next message is a new request, from the choice of language.
        let (_, next) = sms(t, from, "3", "r-8").await;
        assert!(text_of(&next).contains("1. العربية"), "{next}");
        let ended: Vec<Option<String>> = t.store.conversations_of_address("sms", from).await.expect("read")
            .into_iter().map(|c| c.end_reason).collect();
        assert_eq!(ended, [Some("served".to_owned()), Some("rated".to_owned()), None]);
    }

    async fn the_rating_question_waits_for_the_agent_s_last_answer_that_a_gateway_failure_held_back(s: &Setup) {
        let (t, gateway) = (&s.t, &s.graph);
        let from = "+97333111444";
        for (said, id) in [("مرحبا", "o-1"), ("1", "o-2"), ("0", "o-3"), ("أريد التحدث إلى موظف بخصوص فاتورة الماء", "o-4")] {
            assert_eq!(sms(t, from, said, id).await.0, StatusCode::OK);
        }
        let answer = "تم تصحيح الفاتورة، وستصلك الجديدة غداً";
        let id = agent_answers(t, "<td>رسالة نصية</td>", "أريد التحدث إلى موظف بخصوص فاتورة الماء", answer).await;
        // The gateway fails the answer once; the agent ends the chat meanwhile.
        gateway.respond_with([503]);
        agent_ends(t, id).await;
        t.work().await;
        assert_eq!(texts_to(gateway, from), [answer], "the answer was refused, and the question waits for it");
        for _ in 0..3 {
            t.advance(chrono::Duration::minutes(1));
            t.work().await;
        }
        let sent = texts_to(gateway, from);
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert_eq!(sent[1], answer, "the answer again, delivered");
        assert!(sent[2].contains("كيف تقيّم الموظف الذي خدمك؟"), "then the question: {}", sent[2]);
    }

    async fn an_sms_rating_answered_with_junk_is_dropped_politely_and_words_start_the_dialogue_in_english(s: &Setup) {
        let (t, gateway) = (&s.t, &s.graph);
        let serve = |from: &'static str, heard: &'static str, prefix: &'static str| async move {
            for (n, said) in ["hi", "2", "0", heard].into_iter().enumerate() {
                assert_eq!(sms(t, from, said, &format!("{prefix}-{n}")).await.0, StatusCode::OK);
            }
            let id = agent_answers(t, "<td>رسالة نصية</td>", heard, "A crew is on its way").await;
            t.work().await;
            agent_ends(t, id).await;
            t.work().await;
            id
        };
        let from = "+97333111444";
        let id = serve(from, "No water in my street since this morning", "j").await;
        let asked = texts_to(gateway, from);
        assert!(asked.last().is_some_and(|q| q.contains("How would you rate the agent who served you?")), "{asked:?}");
        let (_, first) = sms(t, from, "0", "j-5").await;
        assert!(text_of(&first).starts_with("Sorry, that is not one of the choices.") && text_of(&first).contains("1. Very poor"), "{first}");
        sms(t, from, "77", "j-6").await;
        let (_, dropped) = sms(t, from, "?!", "j-7").await;
        assert!(text_of(&dropped).contains("we will not ask you for a rating again"), "{dropped}");
        assert!(t.store.agent_rating(id).await.expect("read").is_none());
        let (_, next) = sms(t, from, "4", "j-8").await;
        assert!(text_of(&next).contains("1. العربية"), "not asked again: {next}");

        // Words instead of a rating: a new request, which the dialogue takes from its start.
        let other = "+97333111555";
        let id = serve(other, "The street light is broken", "w").await;
        let (_, words) = sms(t, other, "I have another problem", "w-5").await;
        assert!(text_of(&words).contains("1. العربية") && !text_of(&words).contains("rate"), "{words}");
        assert!(t.store.agent_rating(id).await.expect("read").is_none());
        let (_, menu) = sms(t, other, "2", "w-6").await;
        assert!(text_of(&menu).contains("1. a new report"), "{menu}");

        // And one who answers: rated, in English.
        let rater = "+97333111666";
        let id = serve(rater, "The bin was not collected", "k").await;
        let (_, answer) = sms(t, rater, "4", "k-5").await;
        assert!(text_of(&answer).contains("And how do you rate the answer you received?") && text_of(&answer).contains("5. Excellent"), "{answer}");
        let (_, thanks) = sms(t, rater, "5", "k-6").await;
        assert!(text_of(&thanks).contains("Thank you for your rating"), "{thanks}");
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.staff_id, rating.agent_score, rating.answer_score), (agent_id(t).await, 4, 5));
    }

    async fn an_agent_served_whatsapp_conversation_is_rated_from_a_list_in_arabic(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        for (n, body) in ["مرحبا", "1", "0", "لا يوجد ماء في شارعنا"].into_iter().enumerate() {
            assert_eq!(whatsapp(t, &notification(WA_ID, text_message(&format!("wamid.rt{n}"), body))).await, StatusCode::OK);
        }
        let id = agent_answers(t, "<td>واتساب</td>", "لا يوجد ماء في شارعنا", "فريق الصيانة في الطريق").await;
        t.work().await;
        let before = replies(graph).len();
        agent_ends(t, id).await;
        t.work().await;
        let sent = replies(graph);
        assert_eq!(sent.len(), before + 1, "the question");
        let ask = &sent[before];
        assert_eq!((ask["to"].as_str(), ask["type"].as_str(), ask["interactive"]["type"].as_str()), (Some(WA_ID), Some("interactive"), Some("list")), "{ask}");
        assert!(words_of(ask).contains("كيف تقيّم الموظف الذي خدمك؟"), "{ask}");
        let rows: Vec<(&str, &str)> = ask["interactive"]["action"]["sections"][0]["rows"].as_array().expect("rows").iter()
            .map(|r| (r["id"].as_str().unwrap_or_default(), r["title"].as_str().unwrap_or_default())).collect();
        assert_eq!(rows, [("1", "ضعيف جدًا"), ("2", "ضعيف"), ("3", "مقبول"), ("4", "جيد"), ("5", "ممتاز")]);
        assert_eq!(ask["interactive"]["action"]["button"], "قيّم الموظف");

        // A row tapped, then digits typed.
        let tapped = json!({"from": WA_ID, "id": "wamid.rt-list", "timestamp": "1764921600", "type": "interactive",
            "interactive": {"type": "list_reply", "list_reply": {"id": "3", "title": "مقبول"}}});
        assert_eq!(whatsapp(t, &notification(WA_ID, tapped.clone())).await, StatusCode::OK);
        let next = replies(graph).last().cloned().expect("a reply");
        assert_eq!(next["interactive"]["type"], "list", "{next}");
        assert!(words_of(&next).contains("وما تقييمك للإجابة"), "{next}");
        assert_eq!(whatsapp(t, &notification(WA_ID, tapped)).await, StatusCode::OK, "redelivered");
        assert_eq!(whatsapp(t, &notification(WA_ID, text_message("wamid.rt-typed", "٢"))).await, StatusCode::OK);
        assert!(words_of(&replies(graph).last().cloned().expect("a reply")).contains("شكراً لتقييمك"));
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.staff_id, rating.agent_score, rating.answer_score), (agent_id(t).await, 3, 2), "the redelivery changed nothing");
    }

    async fn a_whatsapp_rating_in_english_within_the_window_and_none_asked_outside_it(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let early = "97333444001";
        for (n, body) in ["hi", "2", "0", "The bins were not collected"].into_iter().enumerate() {
            let message = json!({"from": early, "id": format!("wamid.in{n}"), "type": "text", "text": {"body": body}});
            assert_eq!(whatsapp(t, &notification(early, message)).await, StatusCode::OK);
        }
        let id = agent_answers(t, "<td>واتساب</td>", "The bins were not collected", "They will be collected today").await;
        t.work().await;
        agent_ends(t, id).await;
        t.work().await;
        let ask = replies(graph).last().cloned().expect("the question");
        assert_eq!((ask["to"].as_str(), ask["interactive"]["type"].as_str()), (Some(early), Some("list")), "{ask}");
        assert!(words_of(&ask).contains("How would you rate the agent who served you?"), "{ask}");
        assert_eq!(ask["interactive"]["action"]["button"], "Rate the agent");
        for (n, typed) in ["5", "4"].into_iter().enumerate() {
            let message = json!({"from": early, "id": format!("wamid.ir{n}"), "type": "text", "text": {"body": typed}});
            assert_eq!(whatsapp(t, &notification(early, message)).await, StatusCode::OK);
        }
        assert!(words_of(&replies(graph).last().cloned().expect("a reply")).contains("Thank you for your rating"));
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.agent_score, rating.answer_score), (5, 4));

        // Outside the window no question is sent.
        for (n, body) in ["hi", "2", "0", "There is no water in my street"].into_iter().enumerate() {
            assert_eq!(whatsapp(t, &notification(WA_ID, text_message(&format!("wamid.ow{n}"), body))).await, StatusCode::OK);
        }
        let id = agent_answers(t, "<td>واتساب</td>", "There is no water in my street", "A crew is on its way").await;
        t.work().await;
        let before = replies(graph).len();
        // The resident's last words were more than a day ago when the agent ends it.
        t.advance(chrono::Duration::hours(25));
        agent_ends(t, id).await;
        t.work().await;
        assert_eq!(replies(graph).len(), before, "no question outside the window");
        assert_eq!(t.store.outbox(10).await.expect("read").iter().filter(|n| n.template == "agent_rating" && n.recipient == WA_ID).count(), 0);
        assert_eq!(whatsapp(t, &notification(WA_ID, text_message("wamid.ow9", "5"))).await, StatusCode::OK);
        let next = replies(graph).last().cloned().expect("a reply");
        assert!(words_of(&next).contains("Choose your language"), "the dialogue's start: {next}");
        assert!(t.store.agent_rating(id).await.expect("read").is_none());
    }
}

/// Whether `text` is written in Arabic letters.
fn in_arabic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// The reference a reply names.
fn reference_of(text: &str) -> String {
    tawasul_domain::text::reference_in(text).expect("a reference")
}

/// A case made by SMS from `from`: the language's key, then the same keys and words in either
/// language; its reference.
async fn sms_case(t: &TestApp, from: &str, language: &str, description: &str, prefix: &str) -> String {
    let said = ["hello", language, "1", "1", "1", description, "Manama, road 2411", "1"];
    let mut last = Value::Null;
    for (n, said) in said.into_iter().enumerate() {
        let (status, reply) = sms(t, from, said, &format!("{prefix}-{n}")).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        last = reply;
    }
    reference_of(&text_of(&last))
}

on_both! { setup_with_agent_on_clock;
    async fn sms_cases_are_made_and_hear_back_by_sms_in_english_and_arabic_and_whatsapp_in_arabic(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let english = "+97333222001";
        let arabic = "+97333222002";
        let reference_en = sms_case(t, english, "2", "Water is leaking from the main pipe by the mosque", "en").await;
        let reference_ar = sms_case(t, arabic, "1", "الماء يتسرب من الأنبوب الرئيسي أمام المسجد", "ar").await;
        for (reference, language) in [(&reference_en, "en"), (&reference_ar, "ar")] {
            let case = t.store.case_by_reference(reference).await.expect("read").expect("the case");
            assert_eq!((case.channel.as_str(), case.language.as_str()), ("sms", language));
        }
        let wa = "97333555333";
        for (n, key) in ["مرحبا", "1", "1", "1", "1", "الماء يتسرب من الأنبوب الرئيسي أمام المسجد", "1", "1"].into_iter().enumerate() {
            assert_eq!(whatsapp(t, &notification(wa, json!({"from": wa, "id": format!("wamid.hb{n}"), "type": "text", "text": {"body": key}}))).await, StatusCode::OK);
        }
        let reference_wa = reference_of(&words_of(&replies(graph).last().cloned().expect("a reply")));
        t.work().await;
        let (sms_before, wa_before) = (texts_to(graph, english).len() + texts_to(graph, arabic).len(), replies(graph).len());

        // A status change: each reporter hears of it on their own channel, in their language.
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        for reference in [&reference_en, &reference_ar, &reference_wa] {
            let (status, _) = t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"})).await;
            assert_eq!(status, StatusCode::OK);
        }
        t.work().await;
        let heard_en = texts_to(graph, english);
        let heard_ar = texts_to(graph, arabic);
        assert_eq!(heard_en.len() + heard_ar.len(), sms_before + 2, "one SMS each: {heard_en:?} {heard_ar:?}");
        let (last_en, last_ar) = (heard_en.last().expect("an SMS"), heard_ar.last().expect("an SMS"));
        assert!(last_en.contains(&reference_en) && !in_arabic(last_en), "in English: {last_en}");
        assert!(last_ar.contains(&reference_ar) && in_arabic(last_ar), "in Arabic: {last_ar}");
        let sent = replies(graph);
        assert_eq!(sent.len(), wa_before + 1, "one WhatsApp message");
        let update = &sent[wa_before];
        assert_eq!((update["to"].as_str(), update["type"].as_str()), (Some(wa), Some("text")), "{update}");
        let body = update["text"]["body"].as_str().unwrap_or_default();
        assert!(body.contains(&reference_wa) && in_arabic(body), "in Arabic: {body}");
    }
}

on_both! { setup_on_clock;
    async fn a_conversation_left_idle_times_out_on_sms_and_whatsapp_in_arabic_and_english(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let (sms_ar, sms_en, wa_ar, wa_en) = ("+97333222011", "+97333222012", "97333222013", "97333222014");
        for (from, language) in [(sms_ar, "1"), (sms_en, "2")] {
            sms(t, from, "hello", &format!("{from}-1")).await;
            sms(t, from, language, &format!("{from}-2")).await;
        }
        for (wa, language) in [(wa_ar, "1"), (wa_en, "2")] {
            for (n, said) in ["hello", language].into_iter().enumerate() {
                let message = json!({"from": wa, "id": format!("wamid.{wa}.{n}"), "type": "text", "text": {"body": said}});
                assert_eq!(whatsapp(t, &notification(wa, message)).await, StatusCode::OK);
            }
        }

        // Half an hour and more without a word: housekeeping ends each, saying why.
        t.app.schedule_periodic_jobs().await.expect("scheduled");
        t.advance(chrono::Duration::minutes(31));
        t.work().await;
        for (channel, address) in [("sms", sms_ar), ("sms", sms_en), ("whatsapp", wa_ar), ("whatsapp", wa_en)] {
            let ended: Vec<Option<String>> = t.store.conversations_of_address(channel, address).await.expect("read")
                .into_iter().map(|c| c.end_reason).collect();
            assert_eq!(ended, [Some("timed_out".to_owned())], "{channel} {address}");
        }
        // The next message begins again, from the choice of language (asked in both).
        for from in [sms_ar, sms_en] {
            let (_, again) = sms(t, from, "1", &format!("{from}-3")).await;
            assert!(text_of(&again).contains("1. العربية") && text_of(&again).contains("2. English"), "{again}");
        }
        for wa in [wa_ar, wa_en] {
            let message = json!({"from": wa, "id": format!("wamid.{wa}.again"), "type": "text", "text": {"body": "1"}});
            assert_eq!(whatsapp(t, &notification(wa, message)).await, StatusCode::OK);
            let again = replies(graph).last().cloned().expect("a reply");
            assert_eq!(again["to"], wa);
            assert!(words_of(&again).contains("اختر اللغة") && words_of(&again).contains("Choose your language"), "{again}");
        }
    }
}

on_both! { setup;
    async fn status_by_reference_and_wrong_choices_on_sms_in_arabic_and_whatsapp_in_english(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let (reference, _) = t
            .submit(json!({"service": "water-leak", "kind": "report", "description": "Water leaking by the roundabout"}))
            .await;
        let from = "+97333222021";
        for (id, said) in [("sa-1", "مرحبا"), ("sa-2", "1")] {
            sms(t, from, said, id).await;
        }
        let (_, ask) = sms(t, from, "2", "sa-3").await;
        assert!(text_of(&ask).contains("اكتب رقم البلاغ"), "{ask}");
        let (_, status) = sms(t, from, &reference, "sa-4").await;
        assert!(text_of(&status).contains(&format!("البلاغ {reference}")) && text_of(&status).contains("استُلم وينتظر المراجعة"), "{status}");
        assert_eq!(status["language"], "ar");
        let (_, invalid) = sms(t, from, "موز", "sa-5").await;
        assert!(text_of(&invalid).starts_with("عذراً، هذا ليس من الخيارات."), "{invalid}");
        sms(t, from, "42", "sa-6").await;
        let (_, offer) = sms(t, from, "؟", "sa-7").await;
        assert!(text_of(&offer).contains("هل تود التحدث إلى أحد موظفينا؟"), "{offer}");

        let mut n = 0;
        let mut wa = |said: String| {
            n += 1;
            let id = format!("wamid.se{n}");
            async move {
                assert_eq!(whatsapp(t, &notification(WA_ID, text_message(&id, &said))).await, StatusCode::OK);
                words_of(&replies(graph).last().cloned().expect("a reply"))
            }
        };
        wa("hi".into()).await;
        wa("2".into()).await;
        assert!(wa("2".into()).await.contains("Type the reference"));
        let status = wa(reference.clone()).await;
        assert!(status.contains(&format!("Case {reference}")) && status.contains("received, waiting for review"), "{status}");
        assert!(wa("banana".into()).await.starts_with("Sorry, that is not one of the choices."));
        wa("42".into()).await;
        assert!(wa("?".into()).await.contains("Would you like to speak to one of our staff?"));
        let handed = wa("1".into()).await;
        assert!(handed.contains("One of our staff will answer you here"), "{handed}");
    }
}

on_both! { setup_sealed;
    async fn with_the_reporter_key_conversations_work_and_store_no_address_in_the_clear(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        // An SMS conversation to a case, each message found by its sealed address.
        let from = "97333111444";
        for (i, (said, expect)) in [
            ("السلام عليكم", "1. العربية"),
            ("1", "1. تقديم بلاغ"),
            ("1", "ما الذي تود تقديمه"),
            ("1", "1. تسرب مياه"),
            ("1", "صف المشكلة"),
            ("الماء يتسرب من الأنبوب الرئيسي أمام المسجد", "أرسل موقعك"),
            ("حي السلمانية، طريق 2411", "هل نرسل ما سبق"),
        ]
        .into_iter()
        .enumerate()
        {
            let (status, reply) = sms(t, from, said, &format!("s{i}")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(text_of(&reply).contains(expect), "after {said:?}: {reply}");
        }
        let (_, done) = sms(t, from, "1", "s9").await;
        let sms_case = text_of(&done).split_whitespace().find(|w| w.starts_with("TW-"))
            .map(|w| w.trim_end_matches('.').to_owned()).expect("a case was made");
        let case = t.store.case_by_reference(&sms_case).await.expect("read").expect("the case");
        assert_eq!(case.reporter_phone.as_deref(), Some("+97333111444"));
        let conversation = &t.store.conversations_of_address("sms", "+97333111444").await.expect("read")[0];
        assert_eq!((conversation.address.as_str(), conversation.case_id), ("+97333111444", Some(case.id)), "handed on opened");

        // A WhatsApp conversation to a case, and its acknowledgement by WhatsApp as free text:
        // when the resident last wrote is found by the sealed address too.
        let wa = "97333555222";
        let reference = whatsapp_case(t, graph, wa, "e").await;
        let sent = replies(graph).len();
        t.work().await;
        let received = replies(graph);
        assert_eq!(received.len(), sent + 1, "one notification");
        assert_eq!((received[sent]["type"].as_str(), received[sent]["to"].as_str()), (Some("text"), Some(wa)), "{}", received[sent]);
        assert!(received[sent]["text"]["body"].as_str().is_some_and(|b| b.contains(&reference)), "{}", received[sent]);
        assert_eq!(conversations(t, "whatsapp", wa).await, 1);

        // What is stored: sealed addresses with their blind indexes, and neither number.
        let addresses = t.texts("SELECT address FROM conversations").await;
        assert_eq!(addresses.len(), 2);
        assert!(addresses.iter().all(|a| a.starts_with('k') && a.contains(".v1.")), "{addresses:?}");
        assert_eq!(t.texts("SELECT address_index FROM conversations").await.len(), 2);
        let mut stored = addresses.join("\n");
        for sql in ["SELECT address_index FROM conversations", "SELECT phone FROM callbacks", "SELECT reporter_phone FROM cases"] {
            stored.push_str(&t.texts(sql).await.join("\n"));
        }
        for number in ["33111444", "33555222"] {
            assert!(!stored.contains(number), "{number} is stored in the clear:\n{stored}");
        }
    }
}
