//! The Facebook Page's and X's webhooks as their providers call them, signed, on both
//! backends, with payloads shaped as their public documentation shows: the subscription
//! handshake and X's challenge-response check (against a value computed apart, by the
//! documented algorithm), a Messenger conversation in English and an X direct-message one in
//! Arabic that make cases, a Page comment and an X mention that make cases, posts naming a
//! reference that join its case, redeliveries taken once, forgeries (401, nothing written),
//! malformed and oversized bodies, and adapters without their secrets (404); public posts
//! answered in public with the reference only and privately with the rest; a Messenger photo
//! at a private address refused. The Graph API and X's API are local HTTP servers in the
//! providers' place, which record the replies.

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::Duration;
use tawasul_app::cases::social::{Posted, SocialPost};
use tawasul_app::identity::auth::Caller;
use tawasul_app::{CasesError, FacebookSettings, Failure, HookSettings, SocialPostSettings, XSettings};
use tawasul_domain::vocab::{Kind, Role};
use tawasul_testkit::fixtures::{Fixtures, PASSWORD};
use tawasul_testkit::sinks::{HttpSink, RecordedRequest};
use tawasul_testkit::{on_both, png, spawn, Backend, Options, TestApp};

const APP_SECRET: &str = "facebook-app-secret";
const VERIFY_TOKEN: &str = "page-verify-me";
const PAGE_TOKEN: &str = "page-token";
const PAGE_ID: &str = "106540352242922";
const PSID: &str = "6842281075826133";
const CONSUMER_SECRET: &str = "x-consumer-secret";
const BEARER: &str = "x-user-bearer";
const ACCOUNT: &str = "2244994945";
const RESIDENT: &str = "3001969357";

struct Setup {
    t: TestApp,
    graph: HttpSink,
    x_api: HttpSink,
}

/// The providers' stand-ins, with Messenger photos served from the Graph API's stand-in on
/// loopback: allowed by the setting an operator would use for an intranet CDN.
async fn setup(backend: Backend) -> Setup {
    setup_with(backend, true).await
}

/// The same with residents' photos from public addresses only, as in production.
async fn public_media_only(backend: Backend) -> Setup {
    setup_with(backend, false).await
}

async fn setup_with(backend: Backend, media_private_addresses: bool) -> Setup {
    let graph = HttpSink::start().await.expect("the Graph API's stand-in");
    let x_api = HttpSink::start().await.expect("X's API stand-in");
    let hooks = HookSettings {
        facebook: Some(FacebookSettings {
            app_secret: APP_SECRET.into(),
            verify_token: VERIFY_TOKEN.into(),
            page_token: PAGE_TOKEN.into(),
            api_base: graph.url("/v21.0"),
            media_private_addresses,
        }),
        x: Some(XSettings {
            consumer_secret: CONSUMER_SECRET.into(),
            bearer_token: BEARER.into(),
            api_base: x_api.url(""),
            user_id: ACCOUNT.into(),
        }),
        social_posts: SocialPostSettings {
            service: Some("water-leak".into()),
            kind: Kind::Complaint,
        },
        ..HookSettings::default()
    };
    let t = spawn(Options {
        hooks,
        clock_starts: Some("2025-12-07T08:00:00Z".parse().expect("an instant")),
        ..Options::on(backend)
    })
    .await;
    Fixtures::new(&t.app).await.capital(json!([])).await;
    Setup { t, graph, x_api }
}

/// Meta's `X-Hub-Signature-256`: hex.
fn sign_meta(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).expect("a key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// X's `x-twitter-webhooks-signature`: base64.
fn sign_x(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(body);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

async fn facebook(t: &TestApp, body: &Value) -> StatusCode {
    let bytes = serde_json::to_vec(body).expect("JSON");
    t.client
        .post(t.url("/hooks/facebook"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign_meta(&bytes))
        .body(bytes)
        .send()
        .await
        .expect("sent")
        .status()
}

async fn x(t: &TestApp, body: &Value) -> StatusCode {
    let bytes = serde_json::to_vec(body).expect("JSON");
    t.client
        .post(t.url("/hooks/x"))
        .header("content-type", "application/json")
        .header("x-twitter-webhooks-signature", sign_x(CONSUMER_SECRET, &bytes))
        .body(bytes)
        .send()
        .await
        .expect("sent")
        .status()
}

/// A Page notification carrying one Messenger event from `PSID`.
fn messenger(event: Value) -> Value {
    let mut event = event;
    event["sender"] = json!({"id": PSID});
    event["recipient"] = json!({"id": PAGE_ID});
    event["timestamp"] = json!(1_764_921_600_000_i64);
    json!({"object": "page", "entry": [{"id": PAGE_ID, "time": 1_764_921_600_000_i64, "messaging": [event]}]})
}

fn text(mid: &str, body: &str) -> Value {
    messenger(json!({"message": {"mid": mid, "text": body}}))
}

fn quick_reply(mid: &str, title: &str, payload: &str) -> Value {
    messenger(json!({"message": {"mid": mid, "text": title, "quick_reply": {"payload": payload}}}))
}

/// A comment added on the Page's post, as the `feed` field reports it.
fn comment(comment_id: &str, from: (&str, &str), message: &str) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE_ID, "time": 1_764_921_600, "changes": [{"field": "feed", "value": {
        "from": {"id": from.0, "name": from.1},
        "post": {"status_type": "mobile_status_update", "is_published": true, "id": format!("{PAGE_ID}_244444444")},
        "message": message,
        "post_id": format!("{PAGE_ID}_244444444"),
        "comment_id": comment_id,
        "created_time": 1_764_921_600,
        "item": "comment",
        "parent_id": format!("{PAGE_ID}_244444444"),
        "verb": "add"
    }}]}]})
}

/// Account activity carrying one direct message to the account.
fn direct_message(id: &str, sender: &str, body: &str) -> Value {
    json!({
        "for_user_id": ACCOUNT,
        "direct_message_events": [{
            "type": "message_create",
            "id": id,
            "created_timestamp": "1764921600000",
            "message_create": {
                "target": {"recipient_id": if sender == ACCOUNT { RESIDENT } else { ACCOUNT }},
                "sender_id": sender,
                "message_data": {"text": body, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}
            }
        }],
        "users": {sender: {"id": sender, "name": "Fatima", "screen_name": "fatima_bh"}}
    })
}

/// Account activity carrying one post by `author` that mentions the account (or not).
fn post(id: &str, author: &str, body: &str, mentions_account: bool) -> Value {
    let mentions = if mentions_account {
        json!([{"screen_name": "TawasulGov", "name": "Tawasul", "id": ACCOUNT.parse::<i64>().expect("digits"), "id_str": ACCOUNT, "indices": [0, 11]}])
    } else {
        json!([])
    };
    json!({
        "for_user_id": ACCOUNT,
        "user_has_blocked": false,
        "tweet_create_events": [{
            "created_at": "Fri Dec 05 08:00:00 +0000 2025",
            "id": id.parse::<i64>().expect("digits"),
            "id_str": id,
            "text": body,
            "truncated": false,
            "user": {"id": author.parse::<i64>().expect("digits"), "id_str": author, "name": "Ali", "screen_name": "ali_bh"},
            "entities": {"hashtags": [], "urls": [], "user_mentions": mentions, "symbols": []}
        }]
    })
}

/// The Send API's requests so far, as JSON, each checked for the Page token.
fn sent_to_messenger(graph: &HttpSink) -> Vec<Value> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v21.0/me/messages")
        .map(|r| {
            assert!(
                r.query_pairs().contains(&("access_token".into(), PAGE_TOKEN.into())),
                "{:?}",
                r.query
            );
            serde_json::from_slice(&r.body).expect("a JSON message")
        })
        .collect()
}

/// The direct messages sent to `participant` so far, each checked for the bearer token.
fn sent_by_dm(x_api: &HttpSink, participant: &str) -> Vec<String> {
    x_api
        .requests()
        .into_iter()
        .filter(|r: &RecordedRequest| r.path == format!("/2/dm_conversations/with/{participant}/messages"))
        .map(|r| {
            assert_eq!(r.header("authorization"), Some(format!("Bearer {BEARER}").as_str()));
            let body: Value = serde_json::from_slice(&r.body).expect("JSON");
            body["text"].as_str().expect("a text").to_owned()
        })
        .collect()
}

/// The public replies under Page comments so far: (comment id, words), each checked for the
/// Page token.
fn public_comment_replies(graph: &HttpSink) -> Vec<(String, String)> {
    graph
        .requests()
        .into_iter()
        .filter_map(|r| {
            let comment = r.path.strip_prefix("/v21.0/")?.strip_suffix("/comments")?.to_owned();
            assert!(
                r.query_pairs().contains(&("access_token".into(), PAGE_TOKEN.into())),
                "{:?}",
                r.query
            );
            let body: Value = serde_json::from_slice(&r.body).expect("JSON");
            Some((comment, body["message"].as_str().expect("a message").to_owned()))
        })
        .collect()
}

/// The public replies to posts on X so far: (post replied to, words), each checked for the
/// bearer token.
fn public_post_replies(x_api: &HttpSink) -> Vec<(String, String)> {
    x_api
        .requests()
        .into_iter()
        .filter(|r| r.path == "/2/tweets")
        .map(|r| {
            assert_eq!(r.header("authorization"), Some(format!("Bearer {BEARER}").as_str()));
            let body: Value = serde_json::from_slice(&r.body).expect("JSON");
            (
                body["reply"]["in_reply_to_tweet_id"]
                    .as_str()
                    .expect("a reply")
                    .to_owned(),
                body["text"].as_str().expect("a text").to_owned(),
            )
        })
        .collect()
}

fn reference_in(text: &str) -> String {
    tawasul_domain::text::reference_in(text).expect("a reference")
}

async fn conversations(t: &TestApp, address: &str) -> usize {
    t.store
        .conversations_of_address("social", address)
        .await
        .expect("read")
        .len()
}

async fn social_comments(t: &TestApp, reference: &str) -> Vec<tawasul_store::EventRow> {
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
        .filter(|e| e.action == "social_comment")
        .collect()
}

on_both! { setup;
    async fn the_handshakes_answer_as_documented(s: &Setup) {
        let t = &s.t;
        let get = |query: &str| t.client.get(t.url(&format!("/hooks/facebook?{query}"))).send();
        let ok = get(&format!("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}")).await.expect("sent");
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.text().await.expect("text"), "1158201444");
        let wrong = get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess").await.expect("sent");
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);

        // X's CRC: base64(HMAC-SHA256(consumer secret, crc_token)), here computed apart by
        // Python's hmac and base64 modules, as X's documentation shows it.
        let crc = t.client.get(t.url("/hooks/x?crc_token=9b4507b3-2e8b-4b8f-a3d4-0f6b0e5c7d21")).send().await.expect("sent");
        assert_eq!(crc.status(), StatusCode::OK);
        let answer: Value = crc.json().await.expect("JSON");
        assert_eq!(answer, json!({"response_token": "sha256=O+WgrZclPFaJQHGiyc/0bQvJDyywp73/1jEkf/at5pc="}));
        let none = t.client.get(t.url("/hooks/x")).send().await.expect("sent");
        assert_eq!(none.status(), StatusCode::BAD_REQUEST);
        let long = t.client.get(t.url(&format!("/hooks/x?crc_token={}", "a".repeat(600)))).send().await.expect("sent");
        assert_eq!(long.status(), StatusCode::BAD_REQUEST);

        // A CRC answer is exactly the signature X puts on a body, and anyone may ask for one:
        // a token that is an activity (short enough to be taken otherwise) is refused, so no
        // one signs their own direct message with it.
        let forged = serde_json::to_string(&direct_message("1900000000000000099", RESIDENT, "1")).expect("JSON");
        assert!(forged.len() <= 512, "{}", forged.len());
        let oracle = t.client.get(t.url("/hooks/x")).query(&[("crc_token", &forged)]).send().await.expect("sent");
        assert_eq!(oracle.status(), StatusCode::BAD_REQUEST);
    }

    async fn a_messenger_conversation_makes_a_case_in_english(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        graph.serve("/cdn/leak.png", "image/png", png(9));

        assert_eq!(facebook(t, &text("m_1", "Hello")).await, StatusCode::OK);
        let first = sent_to_messenger(graph);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0]["recipient"]["id"], PSID);
        assert_eq!(first[0]["messaging_type"], "RESPONSE");
        let titles: Vec<&str> = first[0]["message"]["quick_replies"].as_array().expect("quick replies")
            .iter().filter_map(|q| q["title"].as_str()).collect();
        assert_eq!(titles, ["العربية", "English"]);

        // The language by a postback (a button's payload is the dialogue's key).
        let postback = messenger(json!({"postback": {"mid": "m_2", "title": "English", "payload": "2"}}));
        assert_eq!(facebook(t, &postback).await, StatusCode::OK);
        let menu = sent_to_messenger(graph).last().cloned().expect("a reply");
        let menu_text = menu["message"]["text"].as_str().expect("text");
        assert!(menu_text.contains("1. a new report"), "longer than 20 characters: numbered text: {menu_text}");
        assert!(menu["message"].get("quick_replies").is_none());

        for (n, expect) in [(3, "What would you like to tell us?"), (4, "1. Water leak"), (5, "Describe the problem")] {
            assert_eq!(facebook(t, &quick_reply(&format!("m_{n}"), "1", "1")).await, StatusCode::OK);
            let reply = sent_to_messenger(graph).last().cloned().expect("a reply");
            assert!(reply["message"]["text"].as_str().is_some_and(|b| b.contains(expect)), "{expect}: {reply}");
        }
        let photo = messenger(json!({"message": {"mid": "m_6", "attachments": [
            {"type": "image", "payload": {"url": graph.url("/cdn/leak.png")}}]}}));
        assert_eq!(facebook(t, &photo).await, StatusCode::OK);
        assert_eq!(facebook(t, &text("m_7", "Water has been leaking from a broken pipe by the school gate since Monday")).await, StatusCode::OK);
        let location = messenger(json!({"message": {"mid": "m_8", "attachments": [{"type": "location", "title": "School gate, Manama",
            "url": "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.bing.com%2Fmaps", "payload": {"coordinates": {"lat": 26.2235, "long": 50.5876}}}]}}));
        assert_eq!(facebook(t, &location).await, StatusCode::OK);
        let confirm = sent_to_messenger(graph).last().cloned().expect("a reply");
        assert_eq!(confirm["message"]["quick_replies"][0]["title"], "yes, send it", "{confirm}");
        assert_eq!(facebook(t, &quick_reply("m_9", "yes, send it", "1")).await, StatusCode::OK);

        let done = sent_to_messenger(graph).last().cloned().expect("a reply");
        let reference = reference_in(done["message"]["text"].as_str().expect("text"));
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.language.as_str()), ("social", "en"));
        assert_eq!((case.lat, case.lon), (Some(26.2235), Some(50.5876)));
        assert_eq!(case.address.as_deref(), Some("School gate, Manama"));
        assert_eq!(t.store.attachments(case.id).await.expect("read").len(), 1, "the photo is on the case");

        // Meta delivers the last notification again: no second case, no second reply.
        let sent = sent_to_messenger(graph).len();
        assert_eq!(facebook(t, &quick_reply("m_9", "yes, send it", "1")).await, StatusCode::OK);
        assert_eq!(sent_to_messenger(graph).len(), sent);
        assert_eq!(t.case_count().await, 1);

        // The Page's own messages come back as echoes: they start nothing.
        let echo = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "messaging": [{
            "sender": {"id": PAGE_ID}, "recipient": {"id": "7000000000000001"}, "timestamp": 1,
            "message": {"is_echo": true, "app_id": 1_517_776_481_860_111_i64, "mid": "m_echo", "text": "hi"}}]}]});
        assert_eq!(facebook(t, &echo).await, StatusCode::OK);
        assert_eq!(conversations(t, &format!("fb:{PAGE_ID}")).await, 0);
        assert_eq!(conversations(t, "fb:7000000000000001").await, 0);
    }

    async fn an_x_direct_message_conversation_makes_a_case_in_arabic(s: &Setup) {
        let (t, x_api) = (&s.t, &s.x_api);
        assert_eq!(x(t, &direct_message("1001", RESIDENT, "السلام عليكم")).await, StatusCode::OK);
        let first = sent_by_dm(x_api, RESIDENT);
        assert_eq!(first.len(), 1);
        assert!(first[0].contains("1. العربية"), "numbered, as text: {}", first[0]);
        for (n, (said, expect)) in [
            ("1", "1. تقديم بلاغ"),
            ("1", "ما الذي تود تقديمه"),
            ("1", "1. تسرب مياه"),
            ("1", "صف المشكلة"),
            ("الماء يتسرب من الأنبوب الرئيسي أمام المسجد منذ يومين", "أرسل موقعك"),
            ("حي السلمانية، طريق 2411", "هل نرسل ما سبق"),
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(x(t, &direct_message(&format!("{}", 1002 + n), RESIDENT, said)).await, StatusCode::OK);
            let last = sent_by_dm(x_api, RESIDENT).last().cloned().expect("a reply");
            assert!(last.contains(expect), "after {said:?}: {last}");
        }
        assert_eq!(x(t, &direct_message("1010", RESIDENT, "1")).await, StatusCode::OK);
        let done = sent_by_dm(x_api, RESIDENT).last().cloned().expect("a reply");
        assert!(done.contains("سُجّل طلبك"), "{done}");
        let reference = reference_in(&done);
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.language.as_str()), ("social", "ar"));
        assert_eq!(case.address.as_deref(), Some("حي السلمانية، طريق 2411"));

        // Redelivered: answered once. The account's own message, echoed: nothing.
        let sent = sent_by_dm(x_api, RESIDENT).len();
        assert_eq!(x(t, &direct_message("1010", RESIDENT, "1")).await, StatusCode::OK);
        assert_eq!(x(t, &direct_message("1011", ACCOUNT, "شكراً لك")).await, StatusCode::OK);
        assert_eq!(sent_by_dm(x_api, RESIDENT).len(), sent);
        assert_eq!(conversations(t, &format!("x:{ACCOUNT}")).await, 0);
        assert_eq!(t.case_count().await, 1);
    }

    async fn a_page_comment_becomes_a_case_answered_in_public_with_its_reference_and_in_private_after(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let said = "الإنارة مطفأة والمياه تتسرب في شارع 12 منذ أسبوع";
        let added = comment("244444444_555555555", ("7000000000000002", "فاطمة"), said);
        assert_eq!(facebook(t, &added).await, StatusCode::OK);
        assert_eq!(t.case_count().await, 1);

        // In public, under the comment: the reference, and nothing of the person or the case.
        let public = public_comment_replies(graph);
        assert_eq!(public.len(), 1, "{public:?}");
        assert_eq!(public[0].0, "244444444_555555555");
        let reference = reference_in(&public[0].1);
        assert_eq!(public[0].1, format!("شكراً لك. سُجّل بلاغك برقم {reference}، وسنتابع معك برسالة خاصة."), "in the comment's language");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!(case.channel.as_str(), "social");
        assert_eq!((case.kind.as_str(), case.language.as_str(), case.description.as_str()), ("complaint", "ar", said));

        // In private, by the outbox: a private reply to the comment, with the tracking link.
        assert!(sent_to_messenger(graph).is_empty(), "nothing private before the outbox runs");
        t.work().await;
        let private = sent_to_messenger(graph);
        assert_eq!(private.len(), 1);
        assert_eq!(private[0]["recipient"], json!({"comment_id": "244444444_555555555"}), "a private reply");
        let receipt = private[0]["message"]["text"].as_str().expect("text");
        assert!(receipt.contains(&reference) && receipt.contains("/track/") && receipt.contains("تم استلام"), "{receipt}");

        // A change of the case reaches them privately too, in their language.
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, _) = t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"})).await;
        assert_eq!(status, StatusCode::OK);
        t.work().await;
        let private = sent_to_messenger(graph);
        assert_eq!(private.len(), 2, "one notice");
        assert_eq!(private[1]["recipient"], json!({"comment_id": "244444444_555555555"}));
        let notice = private[1]["message"]["text"].as_str().expect("text");
        assert!(notice.contains(&reference) && notice.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{notice}");
        let outbox = t.store.outbox(10).await.expect("read");
        assert!(outbox.iter().all(|n| n.channel == "social" && n.recipient == "fb-comment:244444444_555555555" && n.status == "sent"), "{outbox:?}");
        assert_eq!(public_comment_replies(graph).len(), 1, "one public reply only");

        // Delivered again: one case, one reply; and again a day and a half later, when Meta
        // still retries but the intake's retry key is forgotten.
        assert_eq!(facebook(t, &added).await, StatusCode::OK);
        t.app.schedule_periodic_jobs().await.expect("scheduled");
        t.advance(chrono::Duration::hours(36));
        t.work().await;
        assert_eq!(facebook(t, &added).await, StatusCode::OK);
        assert_eq!(t.case_count().await, 1);
        assert_eq!(sent_to_messenger(graph).len(), 2);
        assert_eq!(public_comment_replies(graph).len(), 1);

        // The Page's own comment, an edit and a like make nothing.
        assert_eq!(facebook(t, &comment("244444444_666", (PAGE_ID, "Tawasul"), "نعمل على ذلك، شكراً لكم")).await, StatusCode::OK);
        let mut edited = comment("244444444_555555555", ("7000000000000002", "فاطمة"), "تعديل: الشارع مظلم تماماً");
        edited["entry"][0]["changes"][0]["value"]["verb"] = json!("edited");
        assert_eq!(facebook(t, &edited).await, StatusCode::OK);
        let reaction = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "changes": [{"field": "feed",
            "value": {"item": "reaction", "verb": "add", "reaction_type": "like", "from": {"id": "7000000000000003"}, "post_id": "1_2"}}]}]});
        assert_eq!(facebook(t, &reaction).await, StatusCode::OK);
        assert_eq!(t.case_count().await, 1);
    }

    async fn a_comment_or_mention_naming_a_reference_joins_that_case(s: &Setup) {
        let (t, graph, x_api) = (&s.t, &s.graph, &s.x_api);
        let (reference, token) = t
            .submit(json!({"service": "water-leak", "kind": "complaint", "description": "Water leaking by the roundabout"}))
            .await;
        let words = format!("Still leaking a week later, see {reference}");
        let added = comment("244444444_777", ("7000000000000004", "Sara"), &words);
        assert_eq!(facebook(t, &added).await, StatusCode::OK);
        assert_eq!(facebook(t, &added).await, StatusCode::OK, "delivered again");
        let mention = post("1850006245121695744", RESIDENT, &format!("@TawasulGov ما زال التسرب مستمراً {reference}"), true);
        assert_eq!(x(t, &mention).await, StatusCode::OK);
        assert_eq!(x(t, &mention).await, StatusCode::OK, "delivered again");

        assert_eq!(t.case_count().await, 1, "no new case");
        let comments = social_comments(t, &reference).await;
        assert_eq!(comments.len(), 2, "each post once: {comments:?}");
        assert_eq!((comments[0].actor_type.as_str(), comments[0].actor_name.as_str()), ("social", "fb:7000000000000004"));
        assert_eq!(comments[0].body.as_deref(), Some(words.as_str()));
        assert_eq!(comments[1].actor_name, format!("x:{RESIDENT}"));
        assert_eq!(comments[1].body.as_deref(), Some(format!("ما زال التسرب مستمراً {reference}").as_str()));
        assert!(comments.iter().all(|c| !c.public), "anyone may name a reference: staff read it, the reporter's view does not");
        // Answered in public, in each post's language, with the reference only; nothing
        // private: the authors are not the reporter.
        assert_eq!(public_comment_replies(graph), [("244444444_777".to_owned(), format!("Thank you. Your comment was added to report {reference}."))]);
        assert_eq!(public_post_replies(x_api), [("1850006245121695744".to_owned(), format!("شكراً لك. أُضيف تعليقك إلى البلاغ رقم {reference}."))]);
        t.work().await;
        assert!(sent_to_messenger(graph).is_empty() && sent_by_dm(x_api, RESIDENT).is_empty(), "nothing private");

        let reporter = t.app.read_case(&Caller::CaseToken(token), &reference).await.expect("the reporter's view");
        assert!(reporter.timeline.iter().all(|e| e.action != "social_comment"));
        let supervisor = t.staff_cookie("cap.supervisor", PASSWORD).await;
        let page = t.page(&format!("/staff/cases/{reference}"), &supervisor).await;
        assert!(page.body.contains("Still leaking a week later"), "its staff read it");

        // A reference of no case is read as a new report.
        let unknown = comment("244444444_888", ("7000000000000005", "Omar"), "Nobody came about TW-2020-0009999, water everywhere");
        assert_eq!(facebook(t, &unknown).await, StatusCode::OK);
        assert_eq!(t.case_count().await, 2);
    }

    async fn a_mention_becomes_a_case_answered_in_public_with_its_reference_and_by_direct_message_after(s: &Setup) {
        let (t, x_api) = (&s.t, &s.x_api);
        let said = "@TawasulGov A water pipe burst on Road 2411 and the street is flooded";
        assert_eq!(x(t, &post("1850006245121695745", RESIDENT, said, true)).await, StatusCode::OK);
        let public = public_post_replies(x_api);
        assert_eq!(public.len(), 1, "{public:?}");
        assert_eq!(public[0].0, "1850006245121695745", "a reply to the post");
        let reference = reference_in(&public[0].1);
        assert_eq!(public[0].1, format!("Thank you. Your report is registered as {reference}; we will follow up in a private message."));
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!(case.channel.as_str(), "social");
        assert_eq!(case.description, "A water pipe burst on Road 2411 and the street is flooded");
        assert_eq!(case.language.as_str(), "en");

        assert!(sent_by_dm(x_api, RESIDENT).is_empty(), "nothing private before the outbox runs");
        t.work().await;
        let told = sent_by_dm(x_api, RESIDENT);
        assert_eq!(told.len(), 1, "the receipt by direct message");
        assert!(told[0].contains(&reference) && told[0].contains("/track/") && told[0].contains("We have received"), "{}", told[0]);
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, _) = t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"})).await;
        assert_eq!(status, StatusCode::OK);
        t.work().await;
        let told = sent_by_dm(x_api, RESIDENT);
        assert_eq!(told.len(), 2, "a change of the case too");
        assert!(told[1].contains(&reference) && told[1].contains("reviewing it"), "{}", told[1]);

        assert_eq!(x(t, &post("1850006245121695745", RESIDENT, said, true)).await, StatusCode::OK, "again");
        // A post that does not mention the account, the account's own, and a repost: nothing.
        assert_eq!(x(t, &post("1850006245121695746", RESIDENT, "Flooded street on Road 2411", false)).await, StatusCode::OK);
        assert_eq!(x(t, &post("1850006245121695747", ACCOUNT, "@TawasulGov we are on it", true)).await, StatusCode::OK);
        let mut repost = post("1850006245121695748", "3001969358", said, true);
        repost["tweet_create_events"][0]["retweeted_status"] = json!({"id_str": "1850006245121695745"});
        assert_eq!(x(t, &repost).await, StatusCode::OK);
        // Activity for another account subscribed to the same app: not ours.
        let mut other = post("1850006245121695749", RESIDENT, said, true);
        other["for_user_id"] = json!("999");
        assert_eq!(x(t, &other).await, StatusCode::OK);
        assert_eq!(t.case_count().await, 1);
        assert_eq!(sent_by_dm(x_api, RESIDENT).len(), 2);
        assert_eq!(public_post_replies(x_api).len(), 1);
    }

    async fn a_social_post_naming_a_case_is_taken_once_and_checked(s: &Setup) {
        let t = &s.t;
        let (reference, _) = t
            .submit(json!({"service": "water-leak", "kind": "complaint", "description": "Water leaking by the roundabout"}))
            .await;
        let social = |id: &str, body: &str| SocialPost {
            network: "facebook".into(),
            post_id: id.into(),
            author: "fb:7000000000000006".into(),
            author_name: Some("Huda".into()),
            body: body.into(),
        };
        let first = t.app.comment_from_social(&reference, social("c1", "Still leaking")).await.expect("taken");
        assert_eq!(first, Posted::Commented { reference: reference.clone() });
        let again = t.app.comment_from_social(&reference, social("c1", "Still leaking")).await.expect("taken");
        assert_eq!(again, Posted::Replayed { reference: reference.clone() });
        let unknown = t.app.comment_from_social("TW-2020-0009999", social("c2", "Still leaking")).await;
        assert!(matches!(unknown, Err(CasesError::Common(Failure::NotFound(_)))), "{unknown:?}");
        let long = t.app.comment_from_social(&reference, social("c3", &"م".repeat(5_001))).await;
        assert!(matches!(long, Err(CasesError::Common(Failure::Invalid(_)))), "{long:?}");
        let hostile = t.app.comment_from_social(&reference, social("c4", "see \u{202e}TW-2026-0000001")).await;
        assert!(matches!(hostile, Err(CasesError::Common(Failure::Invalid(_)))), "a bidi override: {hostile:?}");
        assert_eq!(social_comments(t, &reference).await.len(), 1);
    }

    async fn forged_unsigned_and_malformed_notifications_change_nothing(s: &Setup) {
        let (t, graph, x_api) = (&s.t, &s.graph, &s.x_api);
        let post_raw = |path: &'static str, header: &'static str, signature: Option<String>, body: Vec<u8>| {
            let mut request = t.client.post(t.url(path)).header("content-type", "application/json").body(body);
            if let Some(signature) = signature {
                request = request.header(header, signature);
            }
            request.send()
        };
        let status = |r: reqwest::Result<reqwest::Response>| r.expect("sent").status();

        let fb_body = serde_json::to_vec(&text("m_f", "1")).expect("JSON");
        let dm_body = serde_json::to_vec(&direct_message("2001", RESIDENT, "1")).expect("JSON");
        let mention_body = serde_json::to_vec(&post("1850006245121695750", RESIDENT, "@TawasulGov the street is flooded again", true)).expect("JSON");
        for (path, header, signature, body) in [
            ("/hooks/facebook", "x-hub-signature-256", None, fb_body.clone()),
            ("/hooks/facebook", "x-hub-signature-256", Some(sign_x(APP_SECRET, &fb_body)), fb_body.clone()),
            ("/hooks/facebook", "x-hub-signature-256", Some(sign_meta(b"another body")), fb_body.clone()),
            ("/hooks/x", "x-twitter-webhooks-signature", None, dm_body.clone()),
            ("/hooks/x", "x-twitter-webhooks-signature", Some(sign_x("guess", &dm_body)), dm_body.clone()),
            // Meta's hex form with X's secret is not X's signature.
            ("/hooks/x", "x-twitter-webhooks-signature", Some({
                let mut mac = Hmac::<Sha256>::new_from_slice(CONSUMER_SECRET.as_bytes()).expect("a key");
                mac.update(&dm_body);
                format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
            }), dm_body.clone()),
            ("/hooks/x", "x-twitter-webhooks-signature", Some(sign_x(CONSUMER_SECRET, &dm_body)), mention_body.clone()),
        ] {
            assert_eq!(status(post_raw(path, header, signature, body).await), StatusCode::UNAUTHORIZED, "{path}");
        }
        assert_eq!(conversations(t, &format!("fb:{PSID}")).await, 0);
        assert_eq!(conversations(t, &format!("x:{RESIDENT}")).await, 0);

        let malformed_facebook = [
            json!({"object": "whatsapp_business_account", "entry": []}),
            json!([1, 2]),
            messenger(json!({"message": {"mid": "m_x", "text": "1"}})).tap(|v| v["entry"][0]["messaging"][0]["sender"]["id"] = json!("../../me")),
            text(&"m".repeat(301), "1"),
            text("m_long", &"ب".repeat(2_001)),
            comment("244444444_999", ("7000000000000007", "x"), "y").tap(|v| v["entry"][0]["changes"][0]["value"]["comment_id"] = Value::Null),
            comment("244444444_999", ("7000000000000007", "x"), "y").tap(|v| v["entry"][0]["changes"][0]["value"] = json!("a string")),
            // A good message beside a bad one: neither is taken.
            json!({"object": "page", "entry": [
                {"id": PAGE_ID, "time": 1, "messaging": [{"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": 1, "message": {"mid": "m_ok", "text": "hi"}}]},
                {"id": PAGE_ID, "time": 1, "messaging": [{"sender": {"id": "not digits"}, "recipient": {"id": PAGE_ID}, "timestamp": 1, "message": {"mid": "m_bad", "text": "hi"}}]}]}),
        ];
        for body in &malformed_facebook {
            assert_eq!(facebook(t, body).await, StatusCode::BAD_REQUEST, "{body:.200}");
        }
        let broken = b"{\"object\": \"page\", \"entry\": [".to_vec();
        assert_eq!(status(post_raw("/hooks/facebook", "x-hub-signature-256", Some(sign_meta(&broken)), broken).await), StatusCode::BAD_REQUEST);

        let malformed_x = [
            json!({"direct_message_events": []}),
            direct_message("2002", "not-digits", "1"),
            direct_message("../2003", RESIDENT, "1"),
            direct_message("2004", RESIDENT, &"ب".repeat(10_001)),
            post("1850006245121695751", RESIDENT, "x", true).tap(|v| v["tweet_create_events"][0]["user"]["id_str"] = json!("")),
        ];
        for body in &malformed_x {
            assert_eq!(x(t, body).await, StatusCode::BAD_REQUEST, "{body:.200}");
        }
        let huge = serde_json::to_vec(&text("m_huge", &"x".repeat(100_000))).expect("JSON");
        assert_eq!(status(post_raw("/hooks/facebook", "x-hub-signature-256", Some(sign_meta(&huge)), huge).await), StatusCode::PAYLOAD_TOO_LARGE);
        let huge = serde_json::to_vec(&direct_message("2005", RESIDENT, &"x".repeat(100_000))).expect("JSON");
        assert_eq!(status(post_raw("/hooks/x", "x-twitter-webhooks-signature", Some(sign_x(CONSUMER_SECRET, &huge)), huge).await), StatusCode::PAYLOAD_TOO_LARGE);

        assert_eq!(conversations(t, &format!("fb:{PSID}")).await, 0);
        assert_eq!(conversations(t, &format!("x:{RESIDENT}")).await, 0);
        assert_eq!(t.case_count().await, 0);
        assert!(graph.wait_for(1, Duration::from_millis(200)).await.is_empty(), "nothing was sent");
        assert!(x_api.requests().is_empty());
    }
}

/// Runs a Messenger conversation from `PSID` to a case, in English, sending a photo at
/// `photo` if given; its reference.
async fn messenger_case(s: &Setup, photo: Option<String>) -> String {
    let (t, graph) = (&s.t, &s.graph);
    assert_eq!(facebook(t, &text("n_1", "Hello")).await, StatusCode::OK);
    for (n, key) in [(2, "2"), (3, "1"), (4, "1"), (5, "1")] {
        assert_eq!(
            facebook(t, &quick_reply(&format!("n_{n}"), key, key)).await,
            StatusCode::OK
        );
    }
    if let Some(url) = photo {
        let photo =
            messenger(json!({"message": {"mid": "n_5p", "attachments": [{"type": "image", "payload": {"url": url}}]}}));
        assert_eq!(facebook(t, &photo).await, StatusCode::OK);
    }
    assert_eq!(
        facebook(
            t,
            &text("n_6", "Water has been leaking from a broken pipe by the school gate")
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(facebook(t, &text("n_7", "School gate, Manama")).await, StatusCode::OK);
    assert_eq!(
        facebook(t, &quick_reply("n_8", "yes, send it", "1")).await,
        StatusCode::OK
    );
    let done = sent_to_messenger(graph).last().cloned().expect("a reply");
    reference_in(done["message"]["text"].as_str().expect("text"))
}

on_both! { setup;
    async fn messenger_cases_hear_back_by_messenger_as_updates_within_a_day_tagged_after(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let reference = messenger_case(s, None).await;
        let sent = sent_to_messenger(graph).len();
        t.work().await;
        assert_eq!(sent_to_messenger(graph).len(), sent, "the conversation said the reference: no notice of it");

        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, _) = t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"})).await;
        assert_eq!(status, StatusCode::OK);
        t.work().await;
        let notices = sent_to_messenger(graph);
        assert_eq!(notices.len(), sent + 1, "one notice");
        let notice = &notices[sent];
        assert_eq!(notice["recipient"]["id"], PSID);
        assert_eq!(notice["messaging_type"], "UPDATE", "within the window: {notice}");
        assert!(notice.get("tag").is_none());
        assert!(notice["message"]["text"].as_str().is_some_and(|b| b.contains(&reference)), "{notice}");

        // A day and more after the resident's last message Messenger takes only tagged updates.
        t.advance(chrono::Duration::hours(25));
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let comments = format!("/api/v1/cases/{reference}/comments");
        let (status, _) = t.api_post(&comments, Some(&supervisor), json!({"body": "The crew fixed the pipe this morning", "visibility": "public"})).await;
        assert_eq!(status, StatusCode::CREATED);
        t.work().await;
        let later = sent_to_messenger(graph);
        assert_eq!(later.len(), sent + 2);
        let tagged = &later[sent + 1];
        assert_eq!((tagged["messaging_type"].as_str(), tagged["tag"].as_str()), (Some("MESSAGE_TAG"), Some("ACCOUNT_UPDATE")), "{tagged}");
        assert!(tagged["message"]["text"].as_str().is_some_and(|b| b.contains("The crew fixed the pipe")), "{tagged}");
        let outbox = t.store.outbox(10).await.expect("read");
        assert!(outbox.iter().all(|n| n.channel == "social" && n.recipient == format!("fb:{PSID}")), "{outbox:?}");
    }

    async fn x_cases_hear_back_by_direct_message_in_arabic(s: &Setup) {
        let (t, x_api) = (&s.t, &s.x_api);
        for (n, said) in ["مرحبا", "1", "1", "1", "1", "الماء يتسرب من الأنبوب الرئيسي أمام المسجد منذ يومين", "حي السلمانية، طريق 2411", "1"].into_iter().enumerate() {
            assert_eq!(x(t, &direct_message(&format!("{}", 3001 + n), RESIDENT, said)).await, StatusCode::OK);
        }
        let reference = reference_in(&sent_by_dm(x_api, RESIDENT).last().cloned().expect("a reply"));
        let sent = sent_by_dm(x_api, RESIDENT).len();
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, _) = t.api_post(&format!("/api/v1/cases/{reference}/transitions"), Some(&supervisor), json!({"action": "acknowledge"})).await;
        assert_eq!(status, StatusCode::OK);
        t.work().await;
        let dms = sent_by_dm(x_api, RESIDENT);
        assert_eq!(dms.len(), sent + 1, "one notice");
        assert!(dms[sent].contains(&reference), "{}", dms[sent]);
        assert!(dms[sent].chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "in Arabic: {}", dms[sent]);
        let outbox = t.store.outbox(10).await.expect("read");
        assert_eq!((outbox[0].channel.as_str(), outbox[0].recipient.as_str(), outbox[0].status.as_str()), ("social", format!("x:{RESIDENT}").as_str(), "sent"));
    }
}

on_both! { public_media_only;
    async fn a_messenger_photo_at_a_private_address_is_never_fetched(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        // The stand-in is on loopback: what a photo URL pointing into the intranet looks like.
        graph.serve("/cdn/leak.png", "image/png", png(9));
        let reference = messenger_case(s, Some(graph.url("/cdn/leak.png"))).await;
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert!(t.store.attachments(case.id).await.expect("read").is_empty(), "the case is made without the photo");
        assert!(graph.requests().iter().all(|r| r.path != "/cdn/leak.png"), "the address was never asked");
    }
}

on_both! { setup;
    async fn status_by_reference_invalid_input_and_a_person_on_x_in_arabic_and_messenger_in_english(s: &Setup) {
        let (t, graph, x_api) = (&s.t, &s.graph, &s.x_api);
        let (reference, _) = t
            .submit(json!({"service": "water-leak", "kind": "complaint", "description": "Water leaking by the roundabout"}))
            .await;

        // X, in Arabic, by direct messages: the status of a reference, three answers that are
        // no choice (re-prompted twice, then a person offered), and the person accepted.
        let mut n = 5000;
        let mut dm = |said: String| {
            n += 1;
            let id = n.to_string();
            async move {
                assert_eq!(x(t, &direct_message(&id, RESIDENT, &said)).await, StatusCode::OK);
                sent_by_dm(x_api, RESIDENT).last().cloned().expect("a reply")
            }
        };
        dm("مرحبا".into()).await;
        dm("1".into()).await;
        assert!(dm("2".into()).await.contains("اكتب رقم البلاغ"));
        let status = dm(reference.clone()).await;
        assert!(status.contains(&format!("البلاغ {reference}")) && status.contains("استُلم وينتظر المراجعة"), "{status}");
        let invalid = dm("موز".into()).await;
        assert!(invalid.starts_with("عذراً، هذا ليس من الخيارات."), "{invalid}");
        dm("42".into()).await;
        let offer = dm("؟".into()).await;
        assert!(offer.contains("هل تود التحدث إلى أحد موظفينا؟"), "{offer}");
        let handed = dm("1".into()).await;
        assert!(handed.contains("سيتواصل معك أحد موظفينا هنا"), "{handed}");
        let waiting = t.store.open_conversation("social", &format!("x:{RESIDENT}")).await.expect("read").expect("open");
        assert!(waiting.waiting_since.is_some(), "in the staff's chat queue");

        // Messenger, in English, the same way.
        let mut m = 0;
        let mut say = |said: &'static str| {
            m += 1;
            let mid = format!("st_{m}");
            async move {
                assert_eq!(facebook(t, &text(&mid, said)).await, StatusCode::OK);
                let last = sent_to_messenger(graph).last().cloned().expect("a reply");
                last["message"]["text"].as_str().expect("text").to_owned()
            }
        };
        say("Hello").await;
        say("2").await;
        assert!(say("2").await.contains("Type the reference"));
        let mid = "st_ref";
        assert_eq!(facebook(t, &text(mid, &reference)).await, StatusCode::OK);
        let status = sent_to_messenger(graph).last().cloned().expect("a reply");
        let status = status["message"]["text"].as_str().expect("text");
        assert!(status.contains(&format!("Case {reference}")) && status.contains("received, waiting for review"), "{status}");
        let invalid = say("banana").await;
        assert!(invalid.starts_with("Sorry, that is not one of the choices."), "{invalid}");
        say("42").await;
        let offer = say("?").await;
        assert!(offer.contains("Would you like to speak to one of our staff?"), "{offer}");
        let handed = say("1").await;
        assert!(handed.contains("One of our staff will answer you here"), "{handed}");
        let waiting = t.store.open_conversation("social", &format!("fb:{PSID}")).await.expect("read").expect("open");
        assert!(waiting.waiting_since.is_some(), "in the staff's chat queue");
    }
}

on_both! { setup;
    async fn a_conversation_left_idle_times_out_on_x_in_arabic_and_messenger_in_english(s: &Setup) {
        let (t, graph, x_api) = (&s.t, &s.graph, &s.x_api);
        assert_eq!(x(t, &direct_message("6001", RESIDENT, "مرحبا")).await, StatusCode::OK);
        assert_eq!(x(t, &direct_message("6002", RESIDENT, "1")).await, StatusCode::OK);
        assert_eq!(facebook(t, &text("to_1", "Hello")).await, StatusCode::OK);
        assert_eq!(facebook(t, &quick_reply("to_2", "English", "2")).await, StatusCode::OK);

        // Half an hour and more without a word: housekeeping ends both, saying why.
        t.app.schedule_periodic_jobs().await.expect("scheduled");
        t.advance(chrono::Duration::minutes(31));
        t.work().await;
        for address in [format!("x:{RESIDENT}"), format!("fb:{PSID}")] {
            let ended: Vec<Option<String>> = t.store.conversations_of_address("social", &address).await.expect("read")
                .into_iter().map(|c| c.end_reason).collect();
            assert_eq!(ended, [Some("timed_out".to_owned())], "{address}");
        }
        // The next message begins again, from the choice of language.
        assert_eq!(x(t, &direct_message("6003", RESIDENT, "2")).await, StatusCode::OK);
        let again = sent_by_dm(x_api, RESIDENT).last().cloned().expect("a reply");
        assert!(again.contains("1. العربية"), "{again}");
        assert_eq!(facebook(t, &text("to_3", "2")).await, StatusCode::OK);
        let again = sent_to_messenger(graph).last().cloned().expect("a reply");
        let titles: Vec<&str> = again["message"]["quick_replies"].as_array().expect("quick replies")
            .iter().filter_map(|q| q["title"].as_str()).collect();
        assert_eq!(titles, ["العربية", "English"], "{again}");
        assert_eq!(conversations(t, &format!("x:{RESIDENT}")).await, 2);
    }
}

/// An agent of the contact centre picks up the one conversation waiting in the staff's chat
/// queue, answers `answer` and ends it; the conversation's id.
async fn an_agent_serves_and_ends(t: &TestApp, answer: &str) -> i64 {
    Fixtures::new(&t.app)
        .await
        .staff("cap.agent", Role::Agent, Some("cap"))
        .await;
    let agent = t.staff_cookie("cap.agent", PASSWORD).await;
    let waiting = t.store.chat_queue(10).await.expect("read");
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let id = waiting[0].conversation.id;
    let csrf = [("csrf_token", tawasul_testkit::CSRF)];
    let picked = t.post_form(&format!("/staff/chats/{id}/pick"), &agent, &csrf).await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER);
    let said = t
        .post_form(
            &format!("/staff/chats/{id}/say"),
            &agent,
            &[("csrf_token", tawasul_testkit::CSRF), ("message", answer)],
        )
        .await;
    assert_eq!(said.status, StatusCode::SEE_OTHER, "{}", said.body);
    t.work().await;
    let ended = t.post_form(&format!("/staff/chats/{id}/end"), &agent, &csrf).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
    t.work().await;
    id
}

on_both! { setup;
    async fn an_agent_served_messenger_conversation_is_rated_by_quick_replies_and_digits_in_english(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        for (mid, said) in [("ra_1", "Hello"), ("ra_2", "2"), ("ra_3", "0"), ("ra_4", "The pipe by the school still leaks")] {
            assert_eq!(facebook(t, &text(mid, said)).await, StatusCode::OK);
        }
        let id = an_agent_serves_and_ends(t, "A crew is on its way").await;
        let sent = sent_to_messenger(graph);
        let ask = sent.last().cloned().expect("the question");
        assert_eq!(ask["recipient"]["id"], PSID);
        assert!(ask["message"]["text"].as_str().is_some_and(|q| q.contains("How would you rate the agent who served you?")), "{ask}");
        let quick: Vec<(&str, &str)> = ask["message"]["quick_replies"].as_array().expect("quick replies").iter()
            .map(|q| (q["payload"].as_str().unwrap_or_default(), q["title"].as_str().unwrap_or_default())).collect();
        assert_eq!(quick, [("1", "Very poor"), ("2", "Poor"), ("3", "Fair"), ("4", "Good"), ("5", "Excellent")]);

        // A quick reply, a redelivery of it, then digits typed.
        assert_eq!(facebook(t, &quick_reply("ra_5", "Good", "4")).await, StatusCode::OK);
        let next = sent_to_messenger(graph).last().cloned().expect("a reply");
        assert!(next["message"]["text"].as_str().is_some_and(|q| q.contains("how do you rate the answer")), "{next}");
        assert_eq!(next["message"]["quick_replies"].as_array().map(Vec::len), Some(5), "{next}");
        let count = sent_to_messenger(graph).len();
        assert_eq!(facebook(t, &quick_reply("ra_5", "Good", "4")).await, StatusCode::OK);
        assert_eq!(sent_to_messenger(graph).len(), count, "a redelivery is not answered");
        assert_eq!(facebook(t, &text("ra_6", "3")).await, StatusCode::OK);
        let thanks = sent_to_messenger(graph).last().cloned().expect("a reply");
        assert!(thanks["message"]["text"].as_str().is_some_and(|q| q.contains("Thank you for your rating")), "{thanks}");
        let agent = t.store.staff_by_username("cap.agent").await.expect("read").expect("the agent");
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.staff_id, rating.agent_score, rating.answer_score), (agent.id, 4, 3));
        let second = t.app.rate_agent(&format!("fb:{PSID}"), id, 1, 1).await;
        assert!(second.is_err(), "a second rating is refused");
    }

    async fn an_agent_served_x_conversation_is_rated_by_numbered_options_in_arabic(s: &Setup) {
        let (t, x_api) = (&s.t, &s.x_api);
        for (n, said) in ["مرحبا", "1", "0", "الإنارة معطلة في شارعنا"].into_iter().enumerate() {
            assert_eq!(x(t, &direct_message(&format!("{}", 7001 + n), RESIDENT, said)).await, StatusCode::OK);
        }
        let id = an_agent_serves_and_ends(t, "سيصلكم الفريق اليوم").await;
        let ask = sent_by_dm(x_api, RESIDENT).last().cloned().expect("the question");
        assert!(ask.contains("كيف تقيّم الموظف الذي خدمك؟") && ask.contains("1. ضعيف جدًا") && ask.contains("5. ممتاز"), "{ask}");
        assert_eq!(x(t, &direct_message("7010", RESIDENT, "٥")).await, StatusCode::OK);
        assert!(sent_by_dm(x_api, RESIDENT).last().is_some_and(|m| m.contains("وما تقييمك للإجابة")));
        assert_eq!(x(t, &direct_message("7011", RESIDENT, "٤")).await, StatusCode::OK);
        assert!(sent_by_dm(x_api, RESIDENT).last().is_some_and(|m| m.contains("شكراً لتقييمك")));
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.agent_score, rating.answer_score), (5, 4));
        let ended: Vec<Option<String>> = t.store.conversations_of_address("social", &format!("x:{RESIDENT}")).await.expect("read")
            .into_iter().map(|c| c.end_reason).collect();
        assert_eq!(ended, [Some("served".to_owned()), Some("rated".to_owned())]);
    }
}

fn in_arabic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// Acknowledges the case `reference` as its supervisor, and lets the notifications go.
async fn acknowledge(t: &TestApp, reference: &str) {
    let supervisor = t.login("cap.supervisor", PASSWORD).await;
    let (status, _) = t
        .api_post(
            &format!("/api/v1/cases/{reference}/transitions"),
            Some(&supervisor),
            json!({"action": "acknowledge"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    t.work().await;
}

on_both! { setup;
    async fn messenger_in_arabic_a_case_its_update_a_status_wrong_choices_a_person_and_a_rating(s: &Setup) {
        let (t, graph) = (&s.t, &s.graph);
        let mut m = 0;
        let mut say = |said: String| {
            m += 1;
            let mid = format!("ar_{m}");
            async move {
                assert_eq!(facebook(t, &text(&mid, &said)).await, StatusCode::OK);
                let last = sent_to_messenger(graph).last().cloned().expect("a reply");
                last["message"]["text"].as_str().unwrap_or_default().to_owned()
            }
        };
        for said in ["مرحبا", "1", "1", "1", "1", "الماء يتسرب من الأنبوب الرئيسي أمام المدرسة", "حي السلمانية، طريق 2411"] {
            say(said.into()).await;
        }
        let done = say("1".into()).await;
        let reference = reference_in(&done);
        assert!(in_arabic(&done), "{done}");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.language.as_str()), ("social", "ar"));
        t.work().await;
        let before = sent_to_messenger(graph).len();
        acknowledge(t, &reference).await;
        let notices = sent_to_messenger(graph);
        assert_eq!(notices.len(), before + 1, "one notice");
        let notice = notices[before]["message"]["text"].as_str().unwrap_or_default();
        assert!(notice.contains(&reference) && in_arabic(notice), "{notice}");

        say("مرحبا".into()).await;
        say("1".into()).await;
        assert!(say("2".into()).await.contains("اكتب رقم البلاغ"));
        let status = say(reference.clone()).await;
        assert!(status.contains(&format!("البلاغ {reference}")) && status.contains("قيد المراجعة"), "{status}");
        assert!(say("موز".into()).await.starts_with("عذراً، هذا ليس من الخيارات."));
        say("42".into()).await;
        assert!(say("؟".into()).await.contains("هل تود التحدث إلى أحد موظفينا؟"));
        assert!(say("1".into()).await.contains("سيتواصل معك أحد موظفينا هنا"));

        let id = an_agent_serves_and_ends(t, "سيصلكم الفريق اليوم").await;
        let ask = last_to_messenger(graph);
        assert!(ask["message"]["text"].as_str().is_some_and(|q| q.contains("كيف تقيّم الموظف الذي خدمك؟")), "{ask}");
        assert_eq!(ask["message"]["quick_replies"][4]["title"], "ممتاز", "{ask}");
        assert_eq!(facebook(t, &quick_reply("ar_rate1", "ممتاز", "5")).await, StatusCode::OK);
        assert!(say("٤".into()).await.contains("شكراً لتقييمك"));
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.agent_score, rating.answer_score), (5, 4));
    }

    async fn x_in_english_a_case_its_update_a_status_wrong_choices_a_person_and_a_rating(s: &Setup) {
        let (t, x_api) = (&s.t, &s.x_api);
        let mut n = 8000;
        let mut dm = |said: String| {
            n += 1;
            let id = n.to_string();
            async move {
                assert_eq!(x(t, &direct_message(&id, RESIDENT, &said)).await, StatusCode::OK);
                sent_by_dm(x_api, RESIDENT).last().cloned().expect("a reply")
            }
        };
        for said in ["Hello", "2", "1", "1", "1", "Water is leaking from the main pipe by the school", "School road, Manama"] {
            dm(said.into()).await;
        }
        let done = dm("1".into()).await;
        let reference = reference_in(&done);
        assert!(!in_arabic(&done), "{done}");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.language.as_str()), ("social", "en"));
        t.work().await;
        let before = sent_by_dm(x_api, RESIDENT).len();
        acknowledge(t, &reference).await;
        let dms = sent_by_dm(x_api, RESIDENT);
        assert_eq!(dms.len(), before + 1, "one notice");
        assert!(dms[before].contains(&reference) && !in_arabic(&dms[before]), "{}", dms[before]);

        dm("Hello".into()).await;
        dm("2".into()).await;
        assert!(dm("2".into()).await.contains("Type the reference"));
        let status = dm(reference.clone()).await;
        assert!(status.contains(&format!("Case {reference}")) && status.contains("under review"), "{status}");
        assert!(dm("banana".into()).await.starts_with("Sorry, that is not one of the choices."));
        dm("42".into()).await;
        assert!(dm("?".into()).await.contains("Would you like to speak to one of our staff?"));
        assert!(dm("1".into()).await.contains("One of our staff will answer you here"));

        let id = an_agent_serves_and_ends(t, "A crew is on its way").await;
        let ask = sent_by_dm(x_api, RESIDENT).last().cloned().expect("the question");
        assert!(ask.contains("How would you rate the agent who served you?") && ask.contains("1. Very poor") && ask.contains("5. Excellent"), "{ask}");
        assert!(dm("2".into()).await.contains("how do you rate the answer"));
        assert!(dm("3".into()).await.contains("Thank you for your rating"));
        let rating = t.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.agent_score, rating.answer_score), (2, 3));
    }

    async fn a_conversation_left_idle_times_out_on_messenger_in_arabic_and_x_in_english(s: &Setup) {
        let (t, graph, x_api) = (&s.t, &s.graph, &s.x_api);
        assert_eq!(facebook(t, &text("ia_1", "مرحبا")).await, StatusCode::OK);
        assert_eq!(facebook(t, &quick_reply("ia_2", "العربية", "1")).await, StatusCode::OK);
        assert_eq!(x(t, &direct_message("6101", RESIDENT, "Hello")).await, StatusCode::OK);
        assert_eq!(x(t, &direct_message("6102", RESIDENT, "2")).await, StatusCode::OK);
        t.app.schedule_periodic_jobs().await.expect("scheduled");
        t.advance(chrono::Duration::minutes(31));
        t.work().await;
        for address in [format!("fb:{PSID}"), format!("x:{RESIDENT}")] {
            let ended: Vec<Option<String>> = t.store.conversations_of_address("social", &address).await.expect("read")
                .into_iter().map(|c| c.end_reason).collect();
            assert_eq!(ended, [Some("timed_out".to_owned())], "{address}");
        }
        assert_eq!(facebook(t, &text("ia_3", "1")).await, StatusCode::OK);
        let again = sent_to_messenger(graph).last().cloned().expect("a reply");
        assert_eq!(again["message"]["quick_replies"][0]["title"], "العربية", "from the choice of language: {again}");
        assert_eq!(x(t, &direct_message("6103", RESIDENT, "1")).await, StatusCode::OK);
        let again = sent_by_dm(x_api, RESIDENT).last().cloned().expect("a reply");
        assert!(again.contains("2. English"), "{again}");
    }
}

/// The last message sent to Messenger.
fn last_to_messenger(graph: &HttpSink) -> Value {
    sent_to_messenger(graph).last().cloned().expect("a message")
}

/// `value` changed by `f`, for a malformed variant of a good payload.
trait Tap {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

/// Without their secrets the adapters are off: their hooks answer 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_adapters_without_secrets_are_off() {
    let t = spawn(Options::on(Backend::Sqlite)).await;
    for (method, path) in [
        ("POST", "/hooks/facebook"),
        (
            "GET",
            "/hooks/facebook?hub.mode=subscribe&hub.verify_token=&hub.challenge=1",
        ),
        ("POST", "/hooks/x"),
        ("GET", "/hooks/x?crc_token=abc"),
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
