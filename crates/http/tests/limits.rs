//! Abuse limits end to end (issue 13): labels of `/metrics` that requests cannot multiply,
//! staff sign-in throttling, one-time codes, rate limits on intake and uploads, sessions.
//! Every test runs as `<name>::sqlite` and `<name>::postgres`.

use reqwest::{Method, StatusCode};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

async fn plain(backend: Backend) -> TestApp {
    spawn(Options::on(backend)).await
}

on_both! { plain;
    async fn made_up_methods_do_not_make_new_metric_series(t: &TestApp) {
        for i in 0..40 {
            let method = Method::from_bytes(format!("FLOOD{i}").as_bytes()).expect("a token is a method");
            let answer = t.client.request(method, t.url("/healthz")).send().await.expect("sent");
            assert!(answer.status().is_client_error(), "{}", answer.status());
        }
        let text = t.client.get(t.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        assert!(!text.contains("FLOOD"), "a made-up method became a label: {text}");
        assert!(text.contains(r#"method="other""#), "{text}");
        let series = text.lines().filter(|l| l.starts_with("tawasul_http_requests_total{")).count();
        assert!(series <= 3, "{series} series after one route was asked with 40 methods: {text}");
    }
}

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, RETRY_AFTER, SET_COOKIE};
use serde_json::{json, Value};
use tawasul_app::identity::limits::{Limits, Rate};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, PASSWORD};
use tawasul_testkit::{png, CSRF};

const T0: &str = "2026-10-04T08:00:00Z";

async fn with_limits(backend: Backend, limits: Limits, public_url: Option<&str>) -> TestApp {
    let t = spawn(Options {
        limits,
        public_url: public_url.map(str::to_owned),
        clock_starts: Some(T0.parse().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    Fixtures::new(&t.app)
        .await
        .capital(json!([]))
        .await
        .staff("cap.agent", Role::Agent, Some("cap"))
        .await;
    t
}

/// The limits a contact centre runs with (`Limits::default()`).
async fn defaults(backend: Backend) -> TestApp {
    with_limits(backend, Limits::default(), None).await
}

fn case(phone: &str) -> Value {
    json!({
        "service": "water-leak",
        "kind": "complaint",
        "description": "تسرب مياه أمام المنزل",
        "reporter": {"name": "فاطمة أحمد", "phone": phone, "language": "ar"}
    })
}

/// Status and `Retry-After` of an answer.
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Option<String>, String) {
    let response = request.send().await.expect("sent");
    let retry = response
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().expect("ascii").to_owned());
    (response.status(), retry, response.text().await.expect("body"))
}

async fn sign_in(t: &TestApp, username: &str, password: &str) -> (StatusCode, Option<String>, String) {
    answer(
        t.client
            .post(t.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password})),
    )
    .await
}

on_both! { defaults;
    async fn failed_sign_ins_make_each_next_one_wait_longer(t: &TestApp) {
        for _ in 0..5 {
            assert_eq!(sign_in(t, "cap.agent", "wrong-password").await.0, StatusCode::UNAUTHORIZED);
        }
        let (status, retry, body) = sign_in(t, "cap.agent", PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("1")), "after 5 failures: {body}");
        assert!(body.contains("too_many_requests"), "{body}");
        t.advance(chrono::Duration::seconds(1));
        assert_eq!(sign_in(t, "cap.agent", "wrong-again").await.0, StatusCode::UNAUTHORIZED);
        let (status, retry, _) = sign_in(t, "cap.agent", PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("2")), "doubled");
        // The sign-in page says the same, with the same header.
        let page = t.client.post(t.url("/staff/login")).header(COOKIE, format!("tawasul_csrf={CSRF}"))
            .form(&[("csrf_token", CSRF), ("username", "cap.agent"), ("password", PASSWORD)]).send().await.expect("sent");
        assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(page.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("2"));
        t.advance(chrono::Duration::seconds(2));
        assert_eq!(sign_in(t, "cap.agent", PASSWORD).await.0, StatusCode::OK, "the wait is over");
        assert_eq!(sign_in(t, "cap.agent", "wrong-password").await.0, StatusCode::UNAUTHORIZED, "a success starts the count again");
        assert_eq!(sign_in(t, "cap.agent", PASSWORD).await.0, StatusCode::OK);
    }

    async fn one_address_guessing_many_accounts_waits_too(t: &TestApp) {
        for i in 0..20 {
            assert_eq!(sign_in(t, &format!("nobody{i}"), "wrong-password").await.0, StatusCode::UNAUTHORIZED);
        }
        let (status, retry, _) = sign_in(t, "cap.agent", PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("1")), "20 failures from one address");
    }
}

/// No password check may run at all: every sign-in finds none free.
async fn no_password_checks(backend: Backend) -> TestApp {
    let t = spawn(Options {
        limits: Limits {
            password_checks: 0,
            ..Limits::default()
        },
        ..Options::on(backend)
    })
    .await;
    t.app
        .add_staff("cap.agent", PASSWORD, Role::Admin, None, None)
        .await
        .expect("staff");
    t
}

on_both! { no_password_checks;
    async fn sign_ins_beyond_the_checks_running_are_refused_not_queued(t: &TestApp) {
        let (status, retry, body) = sign_in(t, "cap.agent", PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("1")), "{body}");
    }
}

async fn tight(backend: Backend) -> TestApp {
    let limits = Limits {
        intake_per_address: Rate::per_minute(2),
        intake_per_contact: Rate::per_hour(3),
        uploads_per_address: Rate::per_minute(2),
        codes_per_address: Rate::per_hour(3),
        ..Limits::generous()
    };
    with_limits(backend, limits, None).await
}

async fn request_code(t: &TestApp, contact: &str) -> (StatusCode, Option<String>, String) {
    answer(
        t.client
            .post(t.url("/api/v1/auth/code"))
            .json(&json!({"contact": contact})),
    )
    .await
}

on_both! { tight;
    async fn intake_is_limited_per_address_per_key_and_per_contact(t: &TestApp) {
        t.submit(case("+973 3300 0001")).await;
        t.submit(case("+973 3300 0002")).await;
        let (status, retry, body) = answer(t.client.post(t.url("/api/v1/cases")).json(&case("+973 3300 0003"))).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a third case a minute from one address: {body}");
        assert_eq!(retry.as_deref(), Some("30"), "one more every 30 s");
        // The resident's form is held to the same limit, and says so as a page.
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", CSRF).text("kind", "complaint").text("description", "تسرب مياه").text("name", "فاطمة");
        let page = t.post_multipart("/report/water-leak", form).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.headers.contains_key(RETRY_AFTER));
        // An agent's key has its own allowance, but one contact has at most 3 cases an hour.
        let agent = t.login("cap.agent", PASSWORD).await;
        for n in 0..3 {
            let (status, made) = t.api_post("/api/v1/cases", Some(&agent), case("+973 3300 0009")).await;
            assert_eq!(status, StatusCode::CREATED, "case {n} by the agent: {made}");
        }
        let (status, retry, _) = answer(t.client.post(t.url("/api/v1/cases")).bearer_auth(&agent).json(&case("+97333000009"))).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a fourth case for one phone number in an hour");
        assert!(retry.is_some());
        t.advance(chrono::Duration::seconds(30));
        t.submit(case("+973 3300 0004")).await;
    }

    async fn uploads_are_limited_per_address(t: &TestApp) {
        let (reference, token) = t.submit(case("+973 3300 0001")).await;
        let upload = |variant: u8| {
            t.client.post(t.url(&format!("/api/v1/cases/{reference}/attachments?filename=p.png")))
                .bearer_auth(&token).header(CONTENT_TYPE, "image/png").body(png(variant))
        };
        assert_eq!(answer(upload(1)).await.0, StatusCode::CREATED);
        assert_eq!(answer(upload(2)).await.0, StatusCode::CREATED);
        let (status, retry, _) = answer(upload(3)).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("30")));
    }

    async fn codes_are_limited_per_address(t: &TestApp) {
        for n in 1..=3 {
            assert_eq!(request_code(t, &format!("+97333000{n:03}")).await.0, StatusCode::ACCEPTED);
        }
        let (status, retry, _) = request_code(t, "+97333000999").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a fourth contact sprayed from one address");
        assert_eq!(retry.as_deref(), Some("3600"));
    }
}

async fn few_codes_overall(backend: Backend) -> TestApp {
    with_limits(
        backend,
        Limits {
            codes_overall: Rate::per_hour(2),
            ..Limits::generous()
        },
        None,
    )
    .await
}

on_both! { few_codes_overall;
    async fn codes_are_limited_overall(t: &TestApp) {
        assert_eq!(request_code(t, "+97333000001").await.0, StatusCode::ACCEPTED);
        assert_eq!(request_code(t, "a@example.bh").await.0, StatusCode::ACCEPTED);
        let (status, retry, _) = request_code(t, "+97333000002").await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("3600")));
        t.advance(chrono::Duration::hours(1));
        assert_eq!(request_code(t, "+97333000002").await.0, StatusCode::ACCEPTED, "a new hour");
    }
}

async fn capped(backend: Backend) -> TestApp {
    with_limits(
        backend,
        Limits {
            attachments_per_case: 2,
            ..Limits::generous()
        },
        None,
    )
    .await
}

on_both! { capped;
    async fn a_case_takes_so_many_attachments_and_no_more(t: &TestApp) {
        let (reference, token) = t.submit(case("+973 3300 0001")).await;
        let upload = |variant: u8| {
            t.client.post(t.url(&format!("/api/v1/cases/{reference}/attachments?filename=p.png")))
                .bearer_auth(&token).header(CONTENT_TYPE, "image/png").body(png(variant))
        };
        assert_eq!(answer(upload(1)).await.0, StatusCode::CREATED);
        assert_eq!(answer(upload(2)).await.0, StatusCode::CREATED);
        let (status, _, body) = answer(upload(3)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("too_many_attachments"), "{body}");
    }
}

async fn behind_a_proxy(backend: Backend) -> TestApp {
    let limits = Limits {
        intake_per_address: Rate::per_minute(1),
        trusted_proxies: vec!["127.0.0.1".parse().expect("network")],
        ..Limits::generous()
    };
    with_limits(backend, limits, None).await
}

async fn not_behind_a_proxy(backend: Backend) -> TestApp {
    with_limits(
        backend,
        Limits {
            intake_per_address: Rate::per_minute(1),
            ..Limits::generous()
        },
        None,
    )
    .await
}

async fn from(t: &TestApp, forwarded_for: &str) -> StatusCode {
    answer(
        t.client
            .post(t.url("/api/v1/cases"))
            .header("x-forwarded-for", forwarded_for)
            .json(&case("+97333000001")),
    )
    .await
    .0
}

on_both! { behind_a_proxy;
    async fn a_trusted_proxy_says_who_the_client_is(t: &TestApp) {
        assert_eq!(from(t, "203.0.113.1").await, StatusCode::CREATED);
        assert_eq!(from(t, "203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(from(t, "198.51.100.7, 203.0.113.2").await, StatusCode::CREATED, "the address our proxy saw, not what the client claims before it");
        assert_eq!(from(t, "203.0.113.1, 203.0.113.2").await, StatusCode::TOO_MANY_REQUESTS);
    }
}

on_both! { not_behind_a_proxy;
    async fn forwarded_for_from_anyone_else_counts_for_nothing(t: &TestApp) {
        assert_eq!(from(t, "203.0.113.1").await, StatusCode::CREATED);
        assert_eq!(from(t, "203.0.113.2").await, StatusCode::TOO_MANY_REQUESTS, "a made-up header does not make a new client");
    }
}

async fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

on_both! { defaults;
    async fn staff_sessions_end_when_idle_and_at_their_end_and_are_purged(t: &TestApp) {
        let token = t.login("cap.agent", PASSWORD).await;
        t.advance(chrono::Duration::minutes(50));
        assert_eq!(t.api_get("/api/v1/cases", Some(&token)).await.0, StatusCode::OK, "used within the hour");
        t.advance(chrono::Duration::minutes(50));
        assert_eq!(t.api_get("/api/v1/cases", Some(&token)).await.0, StatusCode::OK, "the use kept it alive");
        t.advance(chrono::Duration::minutes(61));
        assert_eq!(t.api_get("/api/v1/cases", Some(&token)).await.0, StatusCode::UNAUTHORIZED, "an hour idle");
        let other = t.login("cap.supervisor", PASSWORD).await;
        for _ in 0..13 {
            t.advance(chrono::Duration::minutes(59));
            t.api_get("/api/v1/cases", Some(&other)).await;
        }
        assert_eq!(t.api_get("/api/v1/cases", Some(&other)).await.0, StatusCode::UNAUTHORIZED, "12 hours after sign-in, however busy");
        let digest = tawasul_domain::secret_digest(&token);
        t.app.schedule_periodic_jobs().await.expect("scheduled");
        t.work().await;
        let far_past = 0;
        assert!(t.store.session(&digest, far_past).await.expect("read").is_none(), "the idle session was purged");
    }

    async fn signing_in_again_ends_the_session_held_before(t: &TestApp) {
        let first = t.staff_cookie("cap.agent", PASSWORD).await;
        let again = t.post_form("/staff/login", &first, &[("csrf_token", CSRF), ("username", "cap.agent"), ("password", PASSWORD)]).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        let second = again.cookie("tawasul_session").expect("a new session");
        assert_ne!(format!("tawasul_session={second}"), first);
        let old = first.trim_start_matches("tawasul_session=");
        assert_eq!(t.api_get("/api/v1/cases", Some(old)).await.0, StatusCode::UNAUTHORIZED, "the old session ended");
        assert_eq!(t.api_get("/api/v1/cases", Some(&second)).await.0, StatusCode::OK);
    }

    async fn the_csrf_token_is_bound_to_the_session(t: &TestApp) {
        let (reference, _) = t.submit(case("+973 3300 0001")).await;
        let staff = t.staff_cookie("cap.supervisor", PASSWORD).await;
        let path = format!("/staff/cases/{reference}/comment");
        // The double-submit pair alone, without the session's own token, is refused.
        let planted = t.send(t.client.post(t.url(&path)).header(COOKIE, format!("tawasul_csrf={CSRF}; {staff}"))
            .form(&[("csrf_token", CSRF), ("body", "رد"), ("visibility", "internal")])).await;
        assert_eq!(planted.status, StatusCode::FORBIDDEN, "{}", planted.body);
        let page = t.page(&format!("/staff/cases/{reference}"), &staff).await;
        let bound = TestApp::csrf_for(&staff);
        assert!(page.body.contains(&bound), "the page carries the session's token");
        assert_ne!(bound, CSRF);
    }

    async fn secure_cookies_only_by_configuration_or_a_trusted_proxy(t: &TestApp) {
        let response = t.client.post(t.url("/api/v1/auth/login")).header("x-forwarded-proto", "https")
            .json(&json!({"username": "cap.agent", "password": PASSWORD})).send().await.expect("sent");
        let cookies = set_cookies(&response).await;
        assert!(cookies.iter().all(|c| !c.contains("Secure") && c.starts_with("tawasul_")), "a client's own header: {cookies:?}");
        let page = t.client.get(t.url("/")).header("x-forwarded-proto", "https").send().await.expect("sent");
        assert!(set_cookies(&page).await.iter().all(|c| !c.contains("Secure")));
    }

    async fn a_cookie_signed_in_upload_must_say_it_is_a_file(t: &TestApp) {
        let (reference, _) = t.submit(case("+973 3300 0001")).await;
        let staff = t.staff_cookie("cap.supervisor", PASSWORD).await;
        let url = t.url(&format!("/api/v1/cases/{reference}/attachments?filename=p.png"));
        for content_type in [None, Some("text/plain"), Some("multipart/form-data; boundary=x"), Some("application/x-www-form-urlencoded")] {
            let mut request = t.client.post(&url).header(COOKIE, &staff).body(png(1));
            if let Some(ct) = content_type {
                request = request.header(CONTENT_TYPE, ct);
            }
            let (status, _, body) = answer(request).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}: {body}");
        }
        let (status, _, body) = answer(t.client.post(&url).header(COOKIE, &staff).header(CONTENT_TYPE, "image/png").body(png(1))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let token = t.login("cap.supervisor", PASSWORD).await;
        let (status, _, _) = answer(t.client.post(&url).header(AUTHORIZATION, format!("Bearer {token}")).body(png(2))).await;
        assert_eq!(status, StatusCode::CREATED, "a bearer token is no cookie: the type is read from the content");
    }
}

async fn over_tls(backend: Backend) -> TestApp {
    let limits = Limits {
        trusted_proxies: vec!["127.0.0.1".parse().expect("network")],
        ..Limits::generous()
    };
    with_limits(backend, limits, Some("https://tawasul.example.gov")).await
}

on_both! { over_tls;
    async fn over_tls_cookies_are_secure_and_host_prefixed(t: &TestApp) {
        let response = t.client.post(t.url("/api/v1/auth/login"))
            .json(&json!({"username": "cap.agent", "password": PASSWORD})).send().await.expect("sent");
        let cookies = set_cookies(&response).await;
        assert!(cookies.iter().any(|c| c.starts_with("__Host-tawasul_session=") && c.contains("; Secure") && c.contains("Path=/")), "{cookies:?}");
        let token = response.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
        let page = t.client.get(t.url("/")).send().await.expect("sent");
        let cookies = set_cookies(&page).await;
        assert!(cookies.iter().any(|c| c.starts_with("__Host-tawasul_csrf=") && c.contains("; Secure")), "{cookies:?}");
        // The prefixed cookie signs in; a plain-named one (which a subdomain could set) does not.
        let with = |cookie: String| t.client.get(t.url("/api/v1/cases")).header(COOKIE, cookie);
        assert_eq!(answer(with(format!("__Host-tawasul_session={token}"))).await.0, StatusCode::OK);
        assert_eq!(answer(with(format!("tawasul_session={token}"))).await.0, StatusCode::UNAUTHORIZED);
    }
}
