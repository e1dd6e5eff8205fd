//! The staff console's second factor end to end (harness in `support`): a user's own
//! enrolment (QR code, base32 key, otpauth link, a first code), the sign-in's second step
//! after the password, the enrolment an entity's policy requires, and the platform
//! administrator's reset on the user's page. Every test runs on both backends.

mod support;
use support::*;
use totp_rs::{Algorithm, Secret, TOTP};

const SUPERVISOR: &str = "cap.supervisor";

/// The code the app shows `steps` time steps from the application's now.
fn code(site: &Site, totp: &TOTP, steps: i64) -> String {
    totp.generate(u64::try_from(site.app.now().timestamp() + 30 * steps).expect("after 1970"))
}

fn step_on(site: &Site) {
    site.advance(chrono::Duration::seconds(30));
}

/// The authenticator a page's base32 key sets up, after checking the page shows the key three
/// ways: the QR code, the text, the otpauth:// link.
fn authenticator(page: &Page) -> TOTP {
    assert!(
        page.body.contains("<svg") && page.body.contains("<path d=\"M"),
        "a QR code"
    );
    assert!(page.body.contains("href=\"otpauth://totp/Tawasul:"), "an otpauth link");
    let start = page.body.find("id=\"second-factor-secret\">").expect("the key as text") + 26;
    let end = page.body[start..].find('<').expect("end of key") + start;
    let key: String = page.body[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    let secret = Secret::Encoded(key).to_bytes().expect("base32");
    assert_eq!(secret.len(), 20, "160 bits");
    TOTP::new(Algorithm::SHA1, 6, 0, 30, secret, None, SUPERVISOR.into()).expect("totp")
}

fn sign_in_cookie(page: &Page) -> String {
    format!(
        "tawasul_sign_in={}",
        page.cookie("tawasul_sign_in").expect("the sign-in's cookie")
    )
}

async fn send_code(site: &Site, cookie: &str, code: &str, enrol: bool) -> Page {
    let mut fields = vec![("csrf_token", CSRF), ("code", code)];
    if enrol {
        fields.push(("enrol", "true"));
    }
    site.post_form("/staff/login/code", cookie, &fields).await
}

/// Enrols the supervisor from their own page and returns their authenticator.
async fn enrol_on_own_page(site: &Site) -> TOTP {
    let session = site.staff_cookie(SUPERVISOR, PASSWORD).await;
    let page = site.page("/staff/second-factor", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let totp = authenticator(&page);
    let confirmed = site
        .post_form(
            "/staff/second-factor",
            &session,
            &[("csrf_token", CSRF), ("code", &code(site, &totp, 0))],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{}", confirmed.body);
    totp
}

async fn root(site: &Site) -> String {
    site.app
        .add_staff("root", PASSWORD, Role::Admin, None, Some("Root"))
        .await
        .expect("root");
    site.staff_cookie("root", PASSWORD).await
}

on_both! { site_on_thursday_noon;
    async fn an_enrolled_user_signs_in_in_two_steps(site: &Site) {
        let session = site.staff_cookie(SUPERVISOR, PASSWORD).await;
        let queue = site.page("/staff", &session).await;
        assert!(queue.body.contains("href=\"/staff/second-factor\""), "the nav links the page");
        let page = site.page("/staff/second-factor", &session).await;
        let totp = authenticator(&page);
        let wrong = if code(site, &totp, 0) == "000000" { "111111" } else { "000000" };
        let refused = site.post_form("/staff/second-factor", &session, &[("csrf_token", CSRF), ("code", wrong)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("id=\"code-error\"") && refused.body.contains("aria-describedby=\"code-error\""));
        assert_eq!(authenticator(&refused).get_secret_base32(), totp.get_secret_base32(), "the same key again");
        let confirming = code(site, &totp, 0);
        let done = site.post_form("/staff/second-factor", &session, &[("csrf_token", CSRF), ("code", &confirming)]).await;
        assert_eq!((done.status, done.location()), (StatusCode::SEE_OTHER, "/staff/second-factor?done=1".to_owned()));
        let enrolled = site.page("/staff/second-factor?done=1", &session).await;
        assert!(enrolled.body.contains("id=\"second-factor-done\"") && enrolled.body.contains("id=\"second-factor-enrolled\""));
        assert!(!enrolled.body.contains("<svg"), "the key is not shown again");

        // The password leads to the code, with no session yet.
        let first = site.sign_in(SUPERVISOR, PASSWORD).await;
        assert_eq!((first.status, first.location()), (StatusCode::SEE_OTHER, "/staff/login/code".to_owned()));
        assert!(first.cookie("tawasul_session").is_none(), "no session before the code");
        let pending = sign_in_cookie(&first);
        let form = site.page("/staff/login/code", &pending).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("action=\"/staff/login/code\"") && form.body.contains("autocomplete=\"one-time-code\""));
        assert!(!form.body.contains("<svg"), "no key for an enrolled user");
        let nobody = site.page("/staff/login/code", "").await;
        assert_eq!((nobody.status, nobody.location()), (StatusCode::SEE_OTHER, "/staff".to_owned()));

        let replayed = send_code(site, &pending, &confirming, false).await;
        assert_eq!(replayed.status, StatusCode::UNPROCESSABLE_ENTITY, "the confirming code is spent");
        assert!(replayed.body.contains("id=\"code-error\""));
        step_on(site);
        let now = code(site, &totp, 0);
        let signed_in = send_code(site, &pending, &now, false).await;
        assert_eq!((signed_in.status, signed_in.location()), (StatusCode::SEE_OTHER, "/staff".to_owned()), "{}", signed_in.body);
        let session = format!("tawasul_session={}", signed_in.cookie("tawasul_session").expect("a session"));
        assert_eq!(signed_in.cookie("tawasul_sign_in").as_deref(), Some(""), "the sign-in's cookie is cleared");
        assert_eq!(site.page("/staff", &session).await.status, StatusCode::OK);

        // Once used, the code opens nothing else.
        let again = sign_in_cookie(&site.sign_in(SUPERVISOR, PASSWORD).await);
        assert_eq!(send_code(site, &again, &now, false).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(send_code(site, &pending, &code(site, &totp, 1), false).await.location(), "/staff", "a finished sign-in's cookie is spent");
        // The sign-in waits five minutes for its code.
        site.advance(chrono::Duration::minutes(6));
        let expired = site.page("/staff/login/code", &again).await;
        assert_eq!((expired.status, expired.location()), (StatusCode::SEE_OTHER, "/staff".to_owned()));
    }

    async fn the_entity_policy_sends_a_supervisor_to_enrol_after_the_password(site: &Site) {
        site.app.add_staff("cap.admin", PASSWORD, Role::Admin, Some("cap"), None).await.expect("admin");
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let saved = site
            .post_form(
                "/staff/admin/entities/cap/calendar",
                &admin,
                &[
                    ("csrf_token", CSRF),
                    ("time_zone", "Asia/Bahrain"),
                    ("opens", "07:00"),
                    ("closes", "14:00"),
                    ("working_days", "sunday"),
                    ("working_days", "monday"),
                    ("escalation[0].percent", "100"),
                    ("escalation[0].notify", "supervisor"),
                    ("second_factor_required", "on"),
                ],
            )
            .await;
        let error = saved.body.find("field-error").map(|i| &saved.body[i..(i + 300).min(saved.body.len())]);
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{error:?}");
        let calendar = site.page("/staff/admin/entities/cap/calendar", &admin).await;
        assert!(calendar.body.contains("name=\"second_factor_required\" value=\"on\" checked"), "the policy shows its word");

        let first = site.sign_in(SUPERVISOR, PASSWORD).await;
        assert_eq!((first.status, first.location()), (StatusCode::SEE_OTHER, "/staff/login/enrol".to_owned()));
        let pending = sign_in_cookie(&first);
        let page = site.page("/staff/login/enrol", &pending).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("id=\"second-factor-required\""));
        let totp = authenticator(&page);
        let wrong = if code(site, &totp, 0) == "000000" { "111111" } else { "000000" };
        let refused = send_code(site, &pending, wrong, true).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(authenticator(&refused).get_secret_base32(), totp.get_secret_base32(), "the key is shown again beside the refusal");
        let signed_in = send_code(site, &pending, &code(site, &totp, 0), true).await;
        assert_eq!((signed_in.status, signed_in.location()), (StatusCode::SEE_OTHER, "/staff".to_owned()), "{}", signed_in.body);
        assert!(signed_in.cookie("tawasul_session").is_some());
        // From then on, the code.
        let next = site.sign_in(SUPERVISOR, PASSWORD).await;
        assert_eq!(next.location(), "/staff/login/code");
        // The entity's administrator signs in the same way; they enrol too.
        assert_eq!(site.sign_in("cap.admin", PASSWORD).await.location(), "/staff/login/enrol");
    }

    async fn a_platform_administrator_resets_a_lost_second_factor(site: &Site) {
        enrol_on_own_page(site).await;
        site.app.add_staff("cap.admin", PASSWORD, Role::Admin, Some("cap"), None).await.expect("admin");
        let entity_admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let user_page = site.page(&format!("/staff/admin/users/{SUPERVISOR}"), &entity_admin).await;
        let reset_form = format!("action=\"/staff/admin/users/{SUPERVISOR}/second-factor\"");
        assert!(!user_page.body.contains(&reset_form), "only a platform administrator sees the reset");
        let refused = site
            .post_form(&format!("/staff/admin/users/{SUPERVISOR}/second-factor"), &entity_admin, &[("csrf_token", CSRF)])
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let root = root(site).await;
        let user_page = site.page(&format!("/staff/admin/users/{SUPERVISOR}"), &root).await;
        assert!(user_page.body.contains(&reset_form));
        let no_token = site.post_form(&format!("/staff/admin/users/{SUPERVISOR}/second-factor"), &root, &[]).await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN, "CSRF checked");
        let reset = site
            .post_form(&format!("/staff/admin/users/{SUPERVISOR}/second-factor"), &root, &[("csrf_token", CSRF)])
            .await;
        assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
        assert!(audit_of_test(&site.store, 100).await.iter().any(|r| r.action == "reset_second_factor" && r.target == "staff:cap.supervisor"));
        let user_page = site.page(&format!("/staff/admin/users/{SUPERVISOR}"), &root).await;
        assert!(!user_page.body.contains(&reset_form), "nothing left to reset");
        let signed_in = site.sign_in(SUPERVISOR, PASSWORD).await;
        assert_eq!(signed_in.location(), "/staff", "the password alone again");
        assert!(signed_in.cookie("tawasul_session").is_some());
    }
}
