//! The call-create API of call-backs, against a real HTTP server (HttpSink) in the
//! telephony platform's place: what is posted, and how its answers are read.

use tawasul_notify::{CallApiSettings, CallPlacer, CallRequest, DeliveryError};
use tawasul_testkit::sinks::HttpSink;

const CALLS: &str = "/2010-04-01/Accounts/AC123/Calls.json";

fn placer(sink: &HttpSink) -> CallPlacer {
    CallPlacer::new(CallApiSettings {
        api_base: sink.url(""),
        account_sid: "AC123".into(),
        auth_token: "secret".into(),
        from: "+97317000000".into(),
    })
    .expect("valid settings")
}

fn request() -> CallRequest {
    CallRequest {
        to: "+97333123456".into(),
        url: "https://tawasul.example/hooks/ivr/callback?id=7".into(),
        status_callback: "https://tawasul.example/hooks/ivr/callback/status?id=7".into(),
    }
}

#[tokio::test]
async fn a_call_is_posted_as_the_platform_takes_it_and_its_sid_kept() {
    let sink = HttpSink::start().await.expect("sink");
    sink.serve(CALLS, "application/json", r#"{"sid": "CAabc", "status": "queued"}"#);
    let sid = placer(&sink).place(&request()).await.expect("placed");
    assert_eq!(sid, "CAabc");
    let seen = sink.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("POST", CALLS));
    // HTTP Basic with the account and its token.
    assert_eq!(seen[0].header("authorization"), Some("Basic QUMxMjM6c2VjcmV0"));
    let form: Vec<(String, String)> = form_urlencoded::parse(&seen[0].body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(field("To"), Some("+97333123456"));
    assert_eq!(field("From"), Some("+97317000000"));
    assert_eq!(field("Url"), Some("https://tawasul.example/hooks/ivr/callback?id=7"));
    assert_eq!(
        field("StatusCallback"),
        Some("https://tawasul.example/hooks/ivr/callback/status?id=7")
    );
}

#[tokio::test]
async fn a_refusal_is_permanent_and_a_failure_or_an_answer_without_a_sid_transient() {
    let sink = HttpSink::start().await.expect("sink");
    sink.serve(CALLS, "application/json", r#"{"code": 21211, "message": "invalid To"}"#);
    sink.respond_with([400, 503]);
    let placer = placer(&sink);
    let refused = placer.place(&request()).await;
    assert!(
        matches!(&refused, Err(e @ DeliveryError::Refused { status: 400, .. }) if e.is_permanent()),
        "{refused:?}"
    );
    let failing = placer.place(&request()).await;
    assert!(
        matches!(&failing, Err(e @ DeliveryError::Refused { status: 503, .. }) if !e.is_permanent()),
        "{failing:?}"
    );
    // 200 without a call's sid: the platform did not say it took the call.
    assert!(matches!(
        placer.place(&request()).await,
        Err(DeliveryError::Transient(_))
    ));
}

#[test]
fn settings_without_an_account_token_or_number_are_refused() {
    let base = CallApiSettings {
        api_base: "https://api.twilio.com".into(),
        account_sid: "AC123".into(),
        auth_token: "secret".into(),
        from: "+97317000000".into(),
    };
    assert!(CallPlacer::new(base.clone()).is_ok());
    for broken in [
        CallApiSettings {
            account_sid: String::new(),
            ..base.clone()
        },
        CallApiSettings {
            account_sid: "AC/../x".into(),
            ..base.clone()
        },
        CallApiSettings {
            auth_token: String::new(),
            ..base.clone()
        },
        CallApiSettings {
            from: " ".into(),
            ..base.clone()
        },
        CallApiSettings {
            api_base: "ftp://api.twilio.com".into(),
            ..base.clone()
        },
    ] {
        assert!(CallPlacer::new(broken).is_err());
    }
}
