//! SMS gateway and webhook requests, against a real HTTP server (HttpSink).

use std::time::Duration;

use serde_json::Value;
use tawasul_notify::{
    verify_signature, DeliveryError, Outbound, Rendered, SmsGateway, SmsSettings, Transport, WebhookSender,
    WebhookSettings, SIGNATURE_HEADER,
};
use tawasul_testkit::sinks::HttpSink;

const WAIT: Duration = Duration::from_secs(10);
const PHONE: &str = "+97333001122";
/// Quotes, a backslash, newlines, JSON and form syntax, and the placeholders themselves.
const HOSTILE: &str = "قال \"مرحبًا\" \\ {to} {text} {id}\n\r\"},\"to\":\"+1\"&to=+1&x=%41\u{2028}";

fn sms(id: i64, body: &str) -> Outbound {
    let rendered = Rendered {
        language: "ar".into(),
        subject: "not sent by SMS".into(),
        body: body.into(),
        choices: vec![],
    };
    Outbound {
        id,
        channel: "sms".into(),
        recipient: PHONE.into(),
        template: "one_time_code".into(),
        rendered,
        references: vec![],
        in_session: false,
    }
}

fn gateway(sink: &HttpSink, method: &str, path: &str, body_template: &str, content_type: &str) -> SmsGateway {
    SmsGateway::new(SmsSettings {
        url: sink.url(path),
        method: method.into(),
        body_template: body_template.into(),
        content_type: content_type.into(),
        headers: vec![("Authorization".into(), "Bearer gateway-key".into())],
    })
    .expect("valid settings")
}

#[tokio::test]
async fn a_json_gateway_gets_the_text_escaped_and_nothing_injected() {
    let sink = HttpSink::start().await.expect("sink");
    let gateway = gateway(
        &sink,
        "POST",
        "/sms",
        r#"{"to":"{to}","text":"{text}","ref":"{id}"}"#,
        "application/json",
    );
    for (id, text) in [(7, "رمز التحقق الخاص بكم هو: 048213"), (8, HOSTILE)] {
        gateway.deliver(&sms(id, text)).await.expect("delivered");
    }
    let requests = sink.wait_for(2, WAIT).await;
    for (request, (id, text)) in requests
        .iter()
        .zip([("7", "رمز التحقق الخاص بكم هو: 048213"), ("8", HOSTILE)])
    {
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/sms"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("authorization"), Some("Bearer gateway-key"));
        let body: Value = serde_json::from_slice(&request.body).expect("valid JSON");
        assert_eq!(body, serde_json::json!({ "to": PHONE, "text": text, "ref": id }));
    }
}

#[tokio::test]
async fn a_form_gateway_gets_the_text_url_encoded() {
    let sink = HttpSink::start().await.expect("sink");
    let gateway = gateway(
        &sink,
        "post",
        "/send",
        "to={to}&text={text}&ref={id}",
        "application/x-www-form-urlencoded",
    );
    gateway.deliver(&sms(9, HOSTILE)).await.expect("delivered");
    let request = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&request.body).into_owned().collect();
    let expected = [("to", PHONE), ("text", HOSTILE), ("ref", "9")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    assert_eq!(pairs, expected);
}

#[tokio::test]
async fn a_get_gateway_gets_the_text_in_the_query() {
    let sink = HttpSink::start().await.expect("sink");
    let gateway = gateway(&sink, "GET", "/api/send?key=abc", "to={to}&text={text}&ref={id}", "");
    gateway.deliver(&sms(10, HOSTILE)).await.expect("delivered");
    let request = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/api/send"));
    assert!(request.body.is_empty() && request.header("content-type").is_none());
    let expected =
        [("key", "abc"), ("to", PHONE), ("text", HOSTILE), ("ref", "10")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    assert_eq!(request.query_pairs(), expected);
}

#[tokio::test]
async fn gateway_statuses_decide_between_retry_and_dead_letter() {
    let sink = HttpSink::start().await.expect("sink");
    let gateway = gateway(
        &sink,
        "POST",
        "/sms",
        r#"{"to":"{to}","text":"{text}"}"#,
        "application/json",
    );
    for (status, permanent) in [
        (503, false),
        (500, false),
        (429, false),
        (408, false),
        (400, true),
        (401, true),
    ] {
        sink.respond_with([status]);
        let result = gateway.deliver(&sms(1, "x")).await;
        assert!(
            result.as_ref().is_err_and(|e| e.is_permanent() == permanent),
            "{status}: {result:?}"
        );
        assert!(
            result.is_err_and(|e| e.to_string().contains(&status.to_string())),
            "{status}: says which status"
        );
    }
    // First 503, then the retry goes through.
    sink.respond_with([503]);
    assert!(gateway.deliver(&sms(2, "x")).await.is_err_and(|e| !e.is_permanent()));
    gateway.deliver(&sms(2, "x")).await.expect("delivered on retry");
    assert_eq!(sink.requests().len(), 8);
}

#[tokio::test]
async fn a_gateway_that_does_not_answer_in_time_is_transient() {
    let sink = HttpSink::start().await.expect("sink");
    sink.delay(Duration::from_secs(5));
    let gateway = gateway(
        &sink,
        "PUT",
        "/sms",
        "to={to}&text={text}",
        "application/x-www-form-urlencoded",
    )
    .with_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let result = gateway.deliver(&sms(1, "x")).await;
    assert!(matches!(result, Err(DeliveryError::Transient(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_gateway_that_is_not_there_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("address").port()
    };
    let gateway = SmsGateway::new(SmsSettings {
        url: format!("http://127.0.0.1:{port}/sms?to=secret"),
        method: "POST".into(),
        body_template: "to={to}&text={text}".into(),
        content_type: "application/x-www-form-urlencoded".into(),
        headers: vec![],
    })
    .expect("valid settings");
    let result = gateway.deliver(&sms(1, "x")).await;
    assert!(
        matches!(&result, Err(DeliveryError::Transient(m)) if !m.contains("secret")),
        "{result:?}"
    );
}

#[test]
fn gateway_settings_are_checked() {
    let settings = |method: &str, body_template: &str, url: &str| SmsSettings {
        url: url.into(),
        method: method.into(),
        body_template: body_template.into(),
        content_type: "application/json".into(),
        headers: vec![("X-Key".into(), "k".into())],
    };
    assert!(SmsGateway::new(settings("POST", "{to} {text}", "https://sms.example.com/send")).is_ok());
    assert!(SmsGateway::new(settings("DELETE", "{to} {text}", "https://sms.example.com/send")).is_err());
    assert!(SmsGateway::new(settings("POST", "{to}", "https://sms.example.com/send")).is_err());
    assert!(SmsGateway::new(settings("POST", "{to} {text}", "ftp://sms.example.com/")).is_err());
    assert!(
        !format!("{:?}", settings("POST", "", "")).contains("\"k\""),
        "header values stay out of logs"
    );
}

fn webhook(id: i64) -> Outbound {
    Outbound {
        id,
        channel: "webhook".into(),
        recipient: "case-system-7".into(),
        template: "case_closed".into(),
        rendered: Rendered {
            language: "ar".into(),
            subject: "إغلاق بلاغكم رقم TW-2026-0000123".into(),
            body: "نفيدكم بأنه تم إغلاق بلاغكم.".into(),
            choices: vec![],
        },
        references: vec![],
        in_session: false,
    }
}

#[tokio::test]
async fn a_webhook_is_signed_and_the_receiver_can_check_it() {
    let sink = HttpSink::start().await.expect("sink");
    let sender = WebhookSender::new(WebhookSettings {
        url: sink.url("/hooks/tawasul"),
        secret: "s3cret".into(),
    })
    .expect("valid settings");
    sender.deliver(&webhook(5)).await.expect("delivered");
    let request = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/hooks/tawasul")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("idempotency-key"), Some("notification-5"));
    let body: Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(
        body,
        serde_json::json!({
            "id": 5, "channel": "webhook", "recipient": "case-system-7", "template": "case_closed", "language": "ar",
            "subject": "إغلاق بلاغكم رقم TW-2026-0000123", "body": "نفيدكم بأنه تم إغلاق بلاغكم.",
        })
    );
    let signature = request.header(SIGNATURE_HEADER).expect("signed");
    let now = chrono::Utc::now().timestamp();
    assert!(
        verify_signature("s3cret", signature, &request.body, now, 300),
        "{signature}"
    );
    let mut tampered = request.body.clone();
    tampered[10] ^= 1;
    assert!(
        !verify_signature("s3cret", signature, &tampered, now, 300),
        "a changed body fails"
    );
    assert!(
        !verify_signature("other", signature, &request.body, now, 300),
        "another secret fails"
    );
    assert!(
        !verify_signature("s3cret", signature, &request.body, now + 3600, 300),
        "a replay an hour later fails"
    );
}

#[tokio::test]
async fn webhook_statuses_decide_between_retry_and_dead_letter() {
    let sink = HttpSink::start().await.expect("sink");
    let sender = WebhookSender::new(WebhookSettings {
        url: sink.url("/hook"),
        secret: "s".into(),
    })
    .expect("valid");
    sink.respond_with([502, 410]);
    assert!(sender.deliver(&webhook(1)).await.is_err_and(|e| !e.is_permanent()));
    assert!(sender.deliver(&webhook(1)).await.is_err_and(|e| e.is_permanent()));
    sender.deliver(&webhook(1)).await.expect("delivered");
    assert!(WebhookSender::new(WebhookSettings {
        url: sink.url("/"),
        secret: String::new()
    })
    .is_err());
}
