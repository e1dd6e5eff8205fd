//! Staff's second factor through the REST API (issue 13, finding 1): enrolment and its
//! confirmation, sign-in in two steps, a code good once (the same time step refused, one step
//! of skew either way), wrong codes counted with failed passwords, an entity's policy that
//! sends its administrators and supervisors to enrol, the node's policy that sends platform
//! administrators to enrol, and the platform administrator's audited reset. Expected codes come from the otpauth:// URI through totp-rs, whose
//! generator the application's unit tests check against RFC 6238's test vectors.

use reqwest::header::{RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tawasul_app::identity::limits::Limits;
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ADMIN, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};
use totp_rs::TOTP;

const T0: &str = "2026-10-04T08:00:10Z";
const SUPERVISOR: &str = "cap.supervisor";

async fn with_limits(backend: Backend, limits: Limits) -> TestApp {
    let t = spawn(Options {
        limits,
        clock_starts: Some(T0.parse().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    Fixtures::new(&t.app)
        .await
        .entity("cap", "العاصمة", "Capital", "governorate")
        .await
        .staff(SUPERVISOR, Role::Supervisor, Some("cap"))
        .await
        .staff("cap.agent", Role::Agent, Some("cap"))
        .await
        .staff("cap.admin", Role::Admin, Some("cap"))
        .await;
    t
}

async fn site(backend: Backend) -> TestApp {
    with_limits(backend, Limits::generous()).await
}

/// A node started with `--require-platform-second-factor`.
async fn platform_policy(backend: Backend) -> TestApp {
    let t = spawn(Options {
        platform_second_factor: true,
        clock_starts: Some(T0.parse().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    // Made as the operator makes the first one (`tawasul user add`): the fixtures sign in
    // with the password alone.
    t.app
        .add_staff(ADMIN, PASSWORD, Role::Admin, None, Some("Platform"))
        .await
        .expect("platform administrator");
    t
}

/// Three failed sign-ins of an account before each next one waits.
async fn strict(backend: Backend) -> TestApp {
    let mut limits = Limits::generous();
    limits.set("login_failures_per_account", "3").expect("limit");
    with_limits(backend, limits).await
}

/// The code the app shows `steps` time steps from the application's now.
fn code(t: &TestApp, totp: &TOTP, steps: i64) -> String {
    totp.generate(u64::try_from(t.app.now().timestamp() + 30 * steps).expect("after 1970"))
}

fn step_on(t: &TestApp) {
    t.advance(chrono::Duration::seconds(30));
}

async fn password(t: &TestApp, username: &str) -> (StatusCode, Value) {
    t.api_post(
        "/api/v1/auth/login",
        None,
        json!({"username": username, "password": PASSWORD}),
    )
    .await
}

/// Signs in with the password, expecting the second step, and returns its challenge.
async fn challenge(t: &TestApp, username: &str, next: &str) -> String {
    let (status, body) = password(t, username).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["next"], next, "{body}");
    assert!(body.get("token").is_none(), "no session before the second step: {body}");
    body["challenge"].as_str().expect("challenge").to_owned()
}

async fn send_code(t: &TestApp, challenge: &str, code: &str) -> (StatusCode, Value) {
    t.api_post(
        "/api/v1/auth/login/code",
        None,
        json!({"challenge": challenge, "code": code}),
    )
    .await
}

fn enrolment_totp(enrolment: &Value, username: &str) -> TOTP {
    let uri = enrolment["otpauth_uri"].as_str().expect("uri");
    assert!(uri.starts_with(&format!("otpauth://totp/Tawasul:{username}?")), "{uri}");
    let totp = TOTP::from_url(uri).expect("an otpauth URI an app reads");
    assert_eq!(
        enrolment["secret"],
        totp.get_secret_base32(),
        "the base32 text is the URI's secret"
    );
    totp
}

/// Enrols `username` from a signed-in session and returns their authenticator.
async fn enrol(t: &TestApp, username: &str) -> TOTP {
    let token = t.login(username, PASSWORD).await;
    let (status, enrolment) = t.api_post("/api/v1/auth/second-factor", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let totp = enrolment_totp(&enrolment, username);
    let (status, body) = t
        .api_post(
            "/api/v1/auth/second-factor/confirm",
            Some(&token),
            json!({"code": code(t, &totp, 0)}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    totp
}

async fn audit_actions(t: &TestApp) -> Vec<(String, String, String)> {
    t.store
        .audit_log(200)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| (a.action, a.target, a.details))
        .collect()
}

on_both! { site;
    async fn an_enrolled_user_signs_in_with_password_then_code_once(t: &TestApp) {
        let token = t.login(SUPERVISOR, PASSWORD).await;
        let (status, enrolment) = t.api_post("/api/v1/auth/second-factor", Some(&token), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{enrolment}");
        let totp = enrolment_totp(&enrolment, SUPERVISOR);
        let (_, again) = t.api_post("/api/v1/auth/second-factor", Some(&token), json!({})).await;
        assert_eq!(again["secret"], enrolment["secret"], "the same secret until it is confirmed");

        // Sealed with the server key, never in the clear.
        let id = t.store.staff_by_username(SUPERVISOR).await.expect("read").expect("user").id;
        let stored = t.store.second_factor(id).await.expect("read").expect("pending");
        let secret = enrolment["secret"].as_str().expect("secret");
        assert!(stored.secret.starts_with("v1."), "sealed: {}", stored.secret);
        assert!(!stored.secret.contains(secret) && !stored.secret.contains(&hex::encode(totp.secret.clone())));
        assert!(stored.confirmed_at.is_none());

        // Until it is confirmed, sign-in asks for nothing more.
        assert_eq!(password(t, SUPERVISOR).await.0, StatusCode::OK);
        let wrong = if code(t, &totp, 0) == "000000" { "111111" } else { "000000" };
        let (status, body) = t.api_post("/api/v1/auth/second-factor/confirm", Some(&token), json!({"code": wrong})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_code")), "{body}");
        let confirming = code(t, &totp, 0);
        let (status, _) = t.api_post("/api/v1/auth/second-factor/confirm", Some(&token), json!({"code": confirming})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = t.api_post("/api/v1/auth/second-factor", Some(&token), json!({})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate")), "{body}");

        // The password alone no longer signs in.
        let challenge = challenge(t, SUPERVISOR, "code").await;
        let (status, body) = send_code(t, &challenge, &confirming).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_code")), "the confirming code is spent: {body}");
        step_on(t);
        let now = code(t, &totp, 0);
        let (status, body) = t.call(reqwest::Method::POST, "/api/v1/auth/login/code", None, Some(json!({"challenge": challenge, "code": now}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let session = body["token"].as_str().expect("token").to_owned();
        let (status, _) = t.api_get("/api/v1/cases", Some(&session)).await;
        assert_eq!(status, StatusCode::OK, "a full staff session");
        let (status, _) = send_code(t, &challenge, &now).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a challenge opens one session");

        // The same code, and the step before it, are refused on a new sign-in.
        let challenge = self::challenge(t, SUPERVISOR, "code").await;
        for spent in [now.clone(), code(t, &totp, -1)] {
            let (status, body) = send_code(t, &challenge, &spent).await;
            assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_code")), "{body}");
        }
        // One step ahead (a fast phone) is taken; two are not.
        let (status, body) = send_code(t, &challenge, &code(t, &totp, 2)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = send_code(t, &challenge, &code(t, &totp, 1)).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // One step behind (a slow phone) is taken too, once the step is unspent.
        step_on(t);
        step_on(t);
        step_on(t);
        let challenge = self::challenge(t, SUPERVISOR, "code").await;
        let (status, body) = send_code(t, &challenge, &code(t, &totp, -1)).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let actions = audit_actions(t).await;
        assert!(actions.iter().any(|(a, target, _)| a == "enrol_second_factor" && target == "staff:cap.supervisor"));
        assert!(actions.iter().any(|(a, _, details)| a == "login" && details.contains("second_factor")));
    }

    async fn codes_arrive_in_any_form_and_hostile_ones_are_refused(t: &TestApp) {
        let totp = enrol(t, SUPERVISOR).await;
        step_on(t);
        let challenge = challenge(t, SUPERVISOR, "code").await;
        for (bad, expected) in [
            ("", "invalid_code"),
            ("12345", "invalid_code"),
            ("abcdef", "invalid_code"),
            ("<script>alert(1)</script>", "invalid_code"),
            ("١٢٣٤٥٦٧", "invalid_code"),
        ] {
            let (status, body) = send_code(t, &challenge, bad).await;
            assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(expected)), "{bad:?}: {body}");
            assert_eq!(body["error"]["field"], "code");
        }
        let (status, _) = send_code(t, &challenge, &"9".repeat(100_000)).await;
        assert!(status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::PAYLOAD_TOO_LARGE, "{status}");
        let (status, _) = send_code(t, "not-a-challenge", &code(t, &totp, 0)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = t.api_post("/api/v1/auth/login/code", None, json!({"challenge": challenge})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no code");
        let (status, _) = t.api_post("/api/v1/auth/login/code", None, json!({"challenge": challenge, "code": "1", "extra": 1})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields");
        let (status, _) = t.api_post("/api/v1/auth/login/enrolment", None, json!({"challenge": challenge})).await;
        assert_eq!(status, StatusCode::CONFLICT, "an enrolled user's challenge enrols nothing");

        // Arabic-Indic digits, with spaces, as a phone keyboard may type them.
        let arabic: String = code(t, &totp, 0)
            .chars()
            .map(|c| char::from_u32(0x0660 + c.to_digit(10).expect("digit")).expect("digit"))
            .collect();
        let spaced = format!("{} {}", &arabic[..6], &arabic[6..]);
        let (status, body) = send_code(t, &challenge, &spaced).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // A challenge lasts five minutes.
        let challenge = self::challenge(t, SUPERVISOR, "code").await;
        t.advance(chrono::Duration::minutes(6));
        let (status, _) = send_code(t, &challenge, &code(t, &totp, 0)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn the_same_code_sent_twice_at_once_opens_one_session(t: &TestApp) {
        let totp = enrol(t, SUPERVISOR).await;
        step_on(t);
        let (first, second) = (challenge(t, SUPERVISOR, "code").await, challenge(t, SUPERVISOR, "code").await);
        let now = code(t, &totp, 0);
        let (a, b) = tokio::join!(send_code(t, &first, &now), send_code(t, &second, &now));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY], "{a:?} {b:?}");
    }

    async fn the_entity_policy_sends_administrators_and_supervisors_to_enrol(t: &TestApp) {
        let admin = t.login("cap.admin", PASSWORD).await;
        let (status, mut policy) = t.api_get("/api/v1/admin/entities/cap/policy", Some(&admin)).await;
        assert_eq!(status, StatusCode::OK, "{policy}");
        assert_eq!(policy["second_factor_required"], false, "off unless the entity says so");
        policy["second_factor_required"] = json!(true);
        let (status, body) = t.call(reqwest::Method::PUT, "/api/v1/admin/entities/cap/policy", Some(&admin), Some(policy)).await;
        assert!(status.is_success(), "{body}");
        let (_, policy) = t.api_get("/api/v1/admin/entities/cap/policy", Some(&admin)).await;
        assert_eq!(policy["second_factor_required"], true);

        // An agent is not asked; the supervisor must enrol before any session.
        assert_eq!(password(t, "cap.agent").await.0, StatusCode::OK);
        let challenge = challenge(t, SUPERVISOR, "enrol").await;
        let (status, body) = send_code(t, &challenge, "123456").await;
        assert_eq!(body["error"]["code"], "not_enrolled", "{status} {body}");
        let (status, enrolment) = t.api_post("/api/v1/auth/login/enrolment", None, json!({"challenge": challenge})).await;
        assert_eq!(status, StatusCode::OK, "{enrolment}");
        let totp = enrolment_totp(&enrolment, SUPERVISOR);
        let (_, again) = t.api_post("/api/v1/auth/login/enrolment", None, json!({"challenge": challenge})).await;
        assert_eq!(again["secret"], enrolment["secret"]);
        let (status, body) = send_code(t, &challenge, &code(t, &totp, 0)).await;
        assert_eq!(status, StatusCode::OK, "the first code confirms and signs in: {body}");
        assert!(body["token"].is_string());
        // From then on, the code.
        step_on(t);
        let challenge = self::challenge(t, SUPERVISOR, "code").await;
        assert_eq!(send_code(t, &challenge, &code(t, &totp, 0)).await.0, StatusCode::OK);
        let (status, _) = t.api_post("/api/v1/auth/login/enrolment", None, json!({"challenge": "nothing"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn a_platform_administrator_resets_a_lost_second_factor_audited(t: &TestApp) {
        enrol(t, SUPERVISOR).await;
        let path = format!("/api/v1/admin/staff/{SUPERVISOR}/second-factor");
        let entity_admin = t.login("cap.admin", PASSWORD).await;
        let (status, _) = t.call(reqwest::Method::DELETE, &path, Some(&entity_admin), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "an entity's administrator may not");
        let (status, _) = t.call(reqwest::Method::DELETE, &path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let platform = t.login(ADMIN, PASSWORD).await;
        let (status, body) = t.call(reqwest::Method::DELETE, &path, Some(&platform), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(audit_actions(t).await.iter().any(|(a, target, _)| a == "reset_second_factor" && target == "staff:cap.supervisor"));
        assert_eq!(password(t, SUPERVISOR).await.0, StatusCode::OK, "the password alone again");
        let (status, _) = t.call(reqwest::Method::DELETE, &path, Some(&platform), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to reset");
        let (status, _) = t.call(reqwest::Method::DELETE, "/api/v1/admin/staff/nobody/second-factor", Some(&platform), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

on_both! { platform_policy;
    async fn the_platform_policy_sends_platform_administrators_to_enrol(t: &TestApp) {
        // No entity's policy reaches the platform administrator; this node's settings do.
        let challenge = challenge(t, ADMIN, "enrol").await;
        let (status, enrolment) = t.api_post("/api/v1/auth/login/enrolment", None, json!({"challenge": challenge})).await;
        assert_eq!(status, StatusCode::OK, "{enrolment}");
        let totp = enrolment_totp(&enrolment, ADMIN);
        let (status, body) = send_code(t, &challenge, &code(t, &totp, 0)).await;
        assert_eq!(status, StatusCode::OK, "the first code confirms and signs in: {body}");
        step_on(t);
        let challenge = self::challenge(t, ADMIN, "code").await;
        assert_eq!(send_code(t, &challenge, "000000").await.0, StatusCode::UNPROCESSABLE_ENTITY, "a wrong code");
        assert_eq!(send_code(t, &challenge, &code(t, &totp, 0)).await.0, StatusCode::OK);
    }
}

on_both! { site;
    async fn without_the_platform_policy_the_password_alone_signs_a_platform_administrator_in(t: &TestApp) {
        let (status, body) = password(t, ADMIN).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["token"].is_string(), "{body}");
    }
}

on_both! { strict;
    async fn wrong_codes_count_with_failed_passwords_and_a_right_password_forgives_none(t: &TestApp) {
        let totp = enrol(t, SUPERVISOR).await;
        step_on(t);
        let wrong = |n: u8| format!("{:06}", (u32::from(n) * 111_111 + 7) % 1_000_000);
        let challenge = challenge(t, SUPERVISOR, "code").await;
        let right = code(t, &totp, 0);
        let mut failures = 0;
        for n in 0..10u8 {
            let guess = wrong(n);
            if [code(t, &totp, -1), right.clone(), code(t, &totp, 1)].contains(&guess) {
                continue;
            }
            assert_eq!(send_code(t, &challenge, &guess).await.0, StatusCode::UNPROCESSABLE_ENTITY);
            failures += 1;
            if failures == 2 {
                break;
            }
        }
        // A right password again clears nothing: the third wrong code blocks the account.
        let challenge = self::challenge(t, SUPERVISOR, "code").await;
        let third = (0..10u8).map(wrong).find(|g| ![code(t, &totp, -1), right.clone(), code(t, &totp, 1)].contains(g)).expect("a wrong code");
        assert_eq!(send_code(t, &challenge, &third).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let blocked = t
            .client
            .post(t.url("/api/v1/auth/login/code"))
            .json(&json!({"challenge": challenge, "code": right}))
            .send()
            .await
            .expect("sent");
        assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS, "even the right code waits");
        assert!(blocked.headers().get(RETRY_AFTER).is_some());
        assert_eq!(password(t, SUPERVISOR).await.0, StatusCode::TOO_MANY_REQUESTS, "and the password");
        t.advance(chrono::Duration::seconds(2));
        let (status, body) = send_code(t, &challenge, &code(t, &totp, 0)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // A finished sign-in forgives the account's failures.
        let challenge = self::challenge(t, SUPERVISOR, "code").await;
        assert_eq!(send_code(t, &challenge, &third).await.0, StatusCode::UNPROCESSABLE_ENTITY, "one failure, not blocked");
        let cookie = t.client.post(t.url("/api/v1/auth/login")).json(&json!({"username": "cap.agent", "password": PASSWORD})).send().await.expect("sent");
        assert!(cookie.headers().get(SET_COOKIE).is_some(), "others sign in meanwhile");
    }
}
