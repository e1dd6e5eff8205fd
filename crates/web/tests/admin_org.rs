//! The admin console's organisation half end to end (harness in `support`): entities,
//! departments, calendars and policy, users and roles. Every test runs on both backends.

mod support;
use support::*;
use tawasul_domain::vocab::Role;

/// The entity's administrator (`cap.admin`).
async fn admin(site: &Site) -> String {
    site.app
        .add_staff("cap.admin", PASSWORD, Role::Admin, Some("cap"), Some("Cap Admin"))
        .await
        .expect("admin");
    site.staff_cookie("cap.admin", PASSWORD).await
}

/// The installation-wide administrator (no entity).
async fn root(site: &Site) -> String {
    site.app
        .add_staff("root", PASSWORD, Role::Admin, None, Some("Root"))
        .await
        .expect("root");
    site.staff_cookie("root", PASSWORD).await
}

/// A second entity with a department, made by the global administrator.
async fn other_entity(site: &Site, root: &str) {
    let page = site
        .post_form(
            "/staff/admin/entities",
            root,
            &[
                ("csrf_token", CSRF),
                ("code", "mun"),
                ("name_ar", "البلدية"),
                ("name_en", "Municipality"),
                ("entity_type", "municipality"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = site
        .post_form(
            "/staff/admin/entities/mun/departments",
            root,
            &[
                ("csrf_token", CSRF),
                ("code", "roads"),
                ("name_ar", "الطرق"),
                ("name_en", "Roads"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    site.app
        .add_staff("mun.agent", PASSWORD, Role::Agent, Some("mun"), None)
        .await
        .expect("staff of mun");
}

async fn audit_actions(site: &Site) -> Vec<String> {
    let rows = audit_of_test(&site.store, 500).await;
    rows.into_iter()
        .filter(|r| r.action != "login")
        .map(|r| r.action)
        .collect()
}

/// The message shown beside input `id` (its error paragraph is `{id}-error`).
fn error_beside(page: &Page, id: &str) -> bool {
    page.body.contains(&format!("id=\"{id}-error\"")) && page.body.contains(&format!("aria-describedby=\"{id}-error\""))
}

async fn calendar_form(site: &Site, cookie: &str, fields: &[(&str, &str)]) -> Page {
    let mut all = vec![("csrf_token", CSRF)];
    all.extend_from_slice(fields);
    site.post_form("/staff/admin/entities/cap/calendar", cookie, &all).await
}

const WEEK: [(&str, &str); 5] = [
    ("working_days", "sunday"),
    ("working_days", "monday"),
    ("working_days", "tuesday"),
    ("working_days", "wednesday"),
    ("working_days", "thursday"),
];

on_both! { site;
    async fn only_administrators_reach_the_console_and_see_its_link(site: &Site) {
        let anonymous = site.page("/staff/admin", "").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert_eq!(anonymous.location(), "/staff");
        let supervisor = staff_cookie(site).await;
        let queue = site.page("/staff", &supervisor).await;
        assert!(!queue.body.contains("href=\"/staff/admin\""), "no console link for a supervisor");
        for path in ["/staff/admin", "/staff/admin/entities/cap", "/staff/admin/entities/cap/calendar", "/staff/admin/entities/cap/users", "/staff/admin/users/cap.supervisor", "/staff/admin/users"] {
            assert_eq!(site.page(path, &supervisor).await.status, StatusCode::FORBIDDEN, "{path}");
        }
        let cookie = admin(site).await;
        let queue = site.page("/staff", &cookie).await;
        assert!(queue.body.contains("href=\"/staff/admin\""), "the header links to the console");
        let home = site.page("/staff/admin", &cookie).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(has_csp(&home));
        assert!(home.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
        for section in ["/staff/admin/entities\"", "/staff/admin/departments\"", "/staff/admin/calendar\"", "/staff/admin/users\""] {
            assert!(home.body.contains(&format!("href=\"{section}")), "the navigation has {section}");
        }
        let to_mine = site.page("/staff/admin/calendar", &cookie).await;
        assert_eq!(to_mine.location(), "/staff/admin/entities/cap/calendar", "an entity administrator goes to their own");
        assert_eq!(site.page("/staff/admin/nothing", &cookie).await.status, StatusCode::NOT_FOUND);
        let en = site.send(
            site.client.get(format!("{}/staff/admin/entities/cap/calendar", site.base))
                .header(ACCEPT_LANGUAGE, "en")
                .header(COOKIE, &cookie),
        ).await;
        assert!(en.body.contains("<html lang=\"en\" dir=\"ltr\">") && en.body.contains("Calendar and policy"));
    }

    async fn a_global_administrator_adds_entities_and_an_entity_administrator_cannot(site: &Site) {
        let mine = admin(site).await;
        let entities = site.page("/staff/admin/entities", &mine).await;
        assert_eq!(entities.status, StatusCode::OK);
        assert!(!entities.body.contains("action=\"/staff/admin/entities\""), "no add form for an entity administrator");
        let fields = [("csrf_token", CSRF), ("code", "mun"), ("name_ar", "البلدية"), ("name_en", "Municipality"), ("entity_type", "municipality")];
        assert_eq!(site.post_form("/staff/admin/entities", &mine, &fields).await.status, StatusCode::FORBIDDEN);
        assert!(site.store.entity_by_code("mun").await.expect("read").is_none(), "nothing was written");

        let root = root(site).await;
        let mut bad_csrf = fields;
        bad_csrf[0] = ("csrf_token", "ffffffffffffffffffffffffffffffffffffffff");
        assert_eq!(site.post_form("/staff/admin/entities", &root, &bad_csrf).await.status, StatusCode::FORBIDDEN);
        assert!(site.store.entity_by_code("mun").await.expect("read").is_none());

        let long = "ب".repeat(201);
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("csrf_token", CSRF), ("code", "Bad Code!"), ("name_ar", "البلدية"), ("name_en", "Municipality"), ("entity_type", "municipality")], "f-code"),
            (&[("csrf_token", CSRF), ("code", "mun"), ("name_ar", &long), ("name_en", "Municipality"), ("entity_type", "municipality")], "f-name_ar"),
            (&[("csrf_token", CSRF), ("code", "mun"), ("name_ar", "البلدية"), ("name_en", "  "), ("entity_type", "municipality")], "f-name_en"),
            (&[("csrf_token", CSRF), ("code", "mun"), ("name_ar", "البلدية"), ("name_en", "Municipality"), ("entity_type", "planet")], "f-entity_type"),
        ];
        for (form, field) in cases {
            let page = site.post_form("/staff/admin/entities", &root, form).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(error_beside(&page, field), "the error is beside {field}");
            assert!(page.body.contains("value=\"البلدية\"") || field == "f-name_ar", "the data is kept");
        }
        assert!(site.store.entity_by_code("mun").await.expect("read").is_none(), "refused forms wrote nothing");

        let added = site.post_form("/staff/admin/entities", &root, &fields).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        assert_eq!(added.location(), "/staff/admin/entities/mun?saved=1");
        let row = site.store.entity_by_code("mun").await.expect("read").expect("added");
        assert_eq!((row.name_en.as_str(), row.entity_type.as_str()), ("Municipality", "municipality"));
        let again = site.post_form("/staff/admin/entities", &root, &fields).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "the same code twice");
        assert!(error_beside(&again, "f-code"));
        assert_eq!(audit_actions(site).await, vec!["add_entity"], "one audited change");
        let listed = site.page("/staff/admin/entities", &root).await;
        assert!(listed.body.contains("href=\"/staff/admin/entities/mun/users\"") && listed.body.contains("href=\"/staff/admin/entities/cap\""));
    }

    async fn an_entity_administrator_edits_only_their_own_entity(site: &Site) {
        let root = root(site).await;
        other_entity(site, &root).await;
        let mine = admin(site).await;
        let rename = [("csrf_token", CSRF), ("name_ar", "محافظة العاصمة"), ("name_en", "Capital Governorate"), ("entity_type", "governorate")];
        let page = site.post_form("/staff/admin/entities/cap", &mine, &rename).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let saved = site.page(&page.location(), &mine).await;
        assert!(saved.body.contains("value=\"محافظة العاصمة\"") && saved.body.contains("role=\"status\""));
        assert_eq!(site.store.entity_by_code("cap").await.expect("read").expect("cap").name_en, "Capital Governorate");
        let listed = site.page("/staff/admin/entities", &mine).await;
        assert!(!listed.body.contains("/staff/admin/entities/mun"), "another entity is not listed");
        assert_eq!(site.page("/staff/admin/entities/mun", &mine).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.post_form("/staff/admin/entities/mun", &mine, &rename).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.store.entity_by_code("mun").await.expect("read").expect("mun").name_en, "Municipality");
        assert_eq!(site.page("/staff/admin/entities/nowhere", &mine).await.status, StatusCode::NOT_FOUND);
    }

    async fn departments_are_added_and_renamed_within_the_entity(site: &Site) {
        let root = root(site).await;
        other_entity(site, &root).await;
        let mine = admin(site).await;
        let add = [("csrf_token", CSRF), ("code", "parks"), ("name_ar", "الحدائق"), ("name_en", "Parks")];
        let page = site.post_form("/staff/admin/entities/cap/departments", &mine, &add).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let again = site.post_form("/staff/admin/entities/cap/departments", &mine, &add).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&again, "f-code") && again.body.contains("value=\"الحدائق\""), "beside the code, data kept");
        let listed = site.page("/staff/admin/entities/cap/departments", &mine).await;
        assert!(listed.body.contains("value=\"Parks\"") && listed.body.contains("value=\"Water\""));

        let rename = [("csrf_token", CSRF), ("name_ar", "الحدائق العامة"), ("name_en", "Public parks")];
        let page = site.post_form("/staff/admin/entities/cap/departments/parks", &mine, &rename).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let cap = site.store.entity_by_code("cap").await.expect("read").expect("cap");
        let parks = site.store.department_by_code(cap.id, "parks").await.expect("read").expect("parks");
        assert_eq!(parks.name_en, "Public parks");
        let empty = site.post_form("/staff/admin/entities/cap/departments/parks", &mine, &[("csrf_token", CSRF), ("name_ar", ""), ("name_en", "X")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&empty, "f-name_ar-parks"), "beside the name of the department renamed");
        assert_eq!(site.post_form("/staff/admin/entities/cap/departments/nothing", &mine, &rename).await.status, StatusCode::NOT_FOUND);

        assert_eq!(site.post_form("/staff/admin/entities/mun/departments", &mine, &add).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.post_form("/staff/admin/entities/mun/departments/roads", &mine, &rename).await.status, StatusCode::FORBIDDEN);
        let mun = site.store.entity_by_code("mun").await.expect("read").expect("mun");
        assert!(site.store.department_by_code(mun.id, "parks").await.expect("read").is_none());
        assert_eq!(site.store.department_by_code(mun.id, "roads").await.expect("read").expect("roads").name_en, "Roads");
        let supervisor = staff_cookie(site).await;
        assert_eq!(site.post_form("/staff/admin/entities/cap/departments", &supervisor, &[("csrf_token", CSRF), ("code", "x1"), ("name_ar", "س"), ("name_en", "X")]).await.status, StatusCode::FORBIDDEN);
        let actions = audit_actions(site).await;
        assert_eq!(actions.iter().filter(|a| *a == "add_department").count(), 2, "roads and parks: {actions:?}");
        assert_eq!(actions.iter().filter(|a| *a == "rename_department").count(), 1);
    }

    async fn the_calendar_form_saves_holidays_ramadan_hours_and_the_ladder(site: &Site) {
        let mine = admin(site).await;
        let opened = site.page("/staff/admin/entities/cap/calendar", &mine).await;
        assert_eq!(opened.status, StatusCode::OK);
        assert!(opened.body.contains("name=\"holidays[0].name\""), "an empty row to add a holiday");
        let mut fields = vec![
            ("time_zone", "Asia/Bahrain"), ("opens", "07:00"), ("closes", "14:00"),
            ("holidays[0].name", "عيد الفطر"), ("holidays[0].from", "2026-03-20"), ("holidays[0].to", "2026-03-22"),
            ("holidays[1].name", "National Day"), ("holidays[1].from", "2026-12-16"), ("holidays[1].to", "2026-12-17"),
            ("holidays[2].name", ""), ("holidays[2].from", ""), ("holidays[2].to", ""),
            ("overrides[0].name", "رمضان"), ("overrides[0].from", "2026-02-18"), ("overrides[0].to", "2026-03-19"),
            ("overrides[0].opens", "09:00"), ("overrides[0].closes", "13:00"),
            ("ignored_after_days", "7"), ("satisfaction_department", "water"),
            ("escalation[0].percent", "50"), ("escalation[0].notify", "assignee"),
            ("escalation[1].percent", "100"), ("escalation[1].notify", "supervisor"), ("escalation[1].notify", "reporter"),
        ];
        fields.extend_from_slice(&WEEK);
        let page = calendar_form(site, &mine, &fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let policy = site.store.policies().await.expect("policies");
        assert_eq!(policy.len(), 1);
        let calendar: serde_json::Value = serde_json::from_str(&policy[0].calendar).expect("json");
        assert_eq!(calendar["holidays"].as_array().map(Vec::len), Some(2), "the blank row is no holiday");
        assert_eq!(calendar["overrides"][0]["opens"], "09:00");
        assert_eq!(calendar["working_days"].as_array().map(Vec::len), Some(5));
        assert_eq!(policy[0].ignored_after_days, 7);
        assert!(policy[0].satisfaction_department_id.is_some());
        let ladder: serde_json::Value = serde_json::from_str(&policy[0].escalation).expect("json");
        assert_eq!(ladder["steps"][1]["notify"], json!(["supervisor", "reporter"]));
        let shown = site.page(&page.location(), &mine).await;
        assert!(shown.body.contains("value=\"National Day\"") && shown.body.contains("value=\"Asia/Bahrain\""), "the page shows what was saved");

        // Remove the first holiday.
        let mut removing = fields.clone();
        removing.push(("holidays[0].remove", "1"));
        assert_eq!(calendar_form(site, &mine, &removing).await.status, StatusCode::SEE_OTHER);
        let policy = site.store.policies().await.expect("policies");
        let calendar: serde_json::Value = serde_json::from_str(&policy[0].calendar).expect("json");
        assert_eq!(calendar["holidays"].as_array().map(Vec::len), Some(1));
        assert_eq!(calendar["holidays"][0]["name"], "National Day");
        let saved = policy[0].calendar.clone();
        let audits = audit_actions(site).await.len();

        // Refusals: each beside its field, the data kept, nothing written.
        let with = |changes: &[(&'static str, &'static str)]| {
            let mut f: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).copied().collect();
            f.extend_from_slice(changes);
            f
        };
        let refusals: [(Vec<(&str, &str)>, &str); 6] = [
            (with(&[("holidays[1].to", "2026-12-01")]), "f-holidays-1-to"),
            (with(&[("time_zone", "Mars/Olympus")]), "f-time_zone"),
            (with(&[("closes", "06:00")]), "f-closes"),
            (with(&[("overrides[0].closes", "08:00")]), "f-overrides-0-closes"),
            (with(&[("escalation[1].percent", "40")]), "f-escalation-1-percent"),
            (with(&[("ignored_after_days", "many")]), "f-ignored_after_days"),
        ];
        for (form, field) in refusals {
            let page = calendar_form(site, &mine, &form).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(error_beside(&page, field), "the error is beside {field}");
            assert!(page.body.contains("value=\"عيد الفطر\""), "{field}: the data is kept");
        }
        let no_days: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "working_days").copied().collect();
        let page = calendar_form(site, &mine, &no_days).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("<fieldset class=\"field invalid\">"), "the working days are marked");
        let policy = site.store.policies().await.expect("policies");
        assert_eq!(policy[0].calendar, saved, "refused forms wrote nothing");
        assert_eq!(audit_actions(site).await.len(), audits, "and audited nothing");
        assert!(audit_actions(site).await.iter().all(|a| a == "set_policy"));

        // A row number beyond any form's is no row at all, not a page of a billion rows.
        let hostile = [("time_zone", "Asia/Bahrain"), ("opens", "07:00"), ("closes", "14:00"), ("working_days", "sunday"), ("holidays[99999999999].name", "x")];
        let no_ladder = calendar_form(site, &mine, &hostile).await;
        assert_eq!(no_ladder.status, StatusCode::UNPROCESSABLE_ENTITY, "a ladder needs a step");
        let mut hostile = hostile.to_vec();
        hostile.extend([("escalation[0].percent", "100"), ("escalation[0].notify", "supervisor")]);
        assert_eq!(calendar_form(site, &mine, &hostile).await.status, StatusCode::SEE_OTHER);
        let policy = site.store.policies().await.expect("policies");
        let calendar: serde_json::Value = serde_json::from_str(&policy[0].calendar).expect("json");
        assert_eq!(calendar["holidays"], json!([]));

        let supervisor = staff_cookie(site).await;
        assert_eq!(calendar_form(site, &supervisor, &fields).await.status, StatusCode::FORBIDDEN);
        let mut bad_csrf = fields.clone();
        bad_csrf.insert(0, ("csrf_token", "nope"));
        let page = site.post_form("/staff/admin/entities/cap/calendar", &mine, &bad_csrf[..]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    }

    async fn administrators_add_change_deactivate_and_reset_staff(site: &Site) {
        let root = root(site).await;
        other_entity(site, &root).await;
        let mine = admin(site).await;
        let listed = site.page("/staff/admin/entities/cap/users", &mine).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert!(listed.body.contains("cap.supervisor") && !listed.body.contains("mun.agent"), "only this entity's staff");

        let add = [("csrf_token", CSRF), ("username", "cap.officer"), ("display_name", "سارة"), ("email", "sara@example.bh"),
            ("department", "water"), ("role", "officer"), ("password", "a-long-initial-pass")];
        let weak = [("password", "short")];
        let huge = "x".repeat(5000);
        let oversized = [("password", huge.as_str())];
        let bad_cases: [(&[(&str, &str)], &str); 6] = [
            (&weak, "f-password"),
            (&oversized, "f-password"),
            (&[("username", "no spaces")], "f-username"),
            (&[("email", "not-mail")], "f-email"),
            (&[("department", "roads")], "f-department"),
            (&[("role", "emperor")], "f-role"),
        ];
        for (change, field) in bad_cases {
            let mut form: Vec<(&str, &str)> = add.iter().filter(|(k, _)| !change.iter().any(|(c, _)| c == k)).copied().collect();
            form.extend_from_slice(change);
            let page = site.post_form("/staff/admin/entities/cap/users", &mine, &form).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(error_beside(&page, field), "the error is beside {field}");
            assert!(page.body.contains("value=\"سارة\""), "{field}: the data is kept");
            assert!(!page.body.contains("a-long-initial-pass"), "a password is never sent back");
        }
        assert!(site.store.staff_by_username("cap.officer").await.expect("read").is_none(), "refused forms wrote nothing");

        let page = site.post_form("/staff/admin/entities/cap/users", &mine, &add).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let again = site.post_form("/staff/admin/entities/cap/users", &mine, &add).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&again, "f-username"));
        let row = site.store.staff_by_username("cap.officer").await.expect("read").expect("added");
        assert!(row.password_hash.starts_with("$argon2id$"));
        assert_eq!((row.role.as_str(), row.email.as_deref(), row.entity_code.as_deref()), ("officer", Some("sara@example.bh"), Some("cap")));
        let officer = site.staff_cookie("cap.officer", "a-long-initial-pass").await;

        // Another entity's staff and the other entity's list are out of reach.
        assert_eq!(site.page("/staff/admin/users/mun.agent", &mine).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.page("/staff/admin/entities/mun/users", &mine).await.status, StatusCode::FORBIDDEN);
        let into_mun = site.post_form("/staff/admin/entities/mun/users", &mine, &add).await;
        assert_eq!(into_mun.status, StatusCode::FORBIDDEN);
        assert_eq!(site.post_form("/staff/admin/users/mun.agent/active", &mine, &[("csrf_token", CSRF), ("active", "false")]).await.status, StatusCode::FORBIDDEN);
        assert!(site.store.staff_by_username("mun.agent").await.expect("read").expect("mun.agent").active);
        assert_eq!(site.page("/staff/admin/users/root", &mine).await.status, StatusCode::FORBIDDEN, "nor the global administrator");
        let supervisor = staff_cookie(site).await;
        assert_eq!(site.post_form("/staff/admin/users/cap.officer/password", &supervisor, &[("csrf_token", CSRF), ("password", "taken-over-by-me")]).await.status, StatusCode::FORBIDDEN);

        // Change role, department and e-mail.
        let change = [("csrf_token", CSRF), ("display_name", "سارة أحمد"), ("email", ""), ("department", ""), ("role", "supervisor")];
        let page = site.post_form("/staff/admin/users/cap.officer", &mine, &change).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let row = site.store.staff_by_username("cap.officer").await.expect("read").expect("found");
        assert_eq!((row.role.as_str(), row.email, row.department_id, row.display_name.as_str()), ("supervisor", None, None, "سارة أحمد"));

        // Deactivate: the open session stops working, and signing in fails.
        assert!(!site.page("/staff", &officer).await.body.contains("type=\"password\""), "signed in before");
        let page = site.post_form("/staff/admin/users/cap.officer/active", &mine, &[("csrf_token", CSRF), ("active", "false")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert!(site.page("/staff", &officer).await.body.contains("type=\"password\""), "the session ended");
        assert_eq!(site.sign_in("cap.officer", "a-long-initial-pass").await.status, StatusCode::UNAUTHORIZED);
        let shown = site.page("/staff/admin/entities/cap/users", &mine).await;
        assert!(shown.body.contains("<strong>"), "the list shows who is deactivated");
        let page = site.post_form("/staff/admin/users/cap.officer/active", &mine, &[("csrf_token", CSRF), ("active", "true")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        site.staff_cookie("cap.officer", "a-long-initial-pass").await;

        // Reset the password: the old one fails, the new one works.
        let short = site.post_form("/staff/admin/users/cap.officer/password", &mine, &[("csrf_token", CSRF), ("password", "short")]).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&short, "f-password"));
        let page = site.post_form("/staff/admin/users/cap.officer/password", &mine, &[("csrf_token", CSRF), ("password", "a-brand-new-password")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(site.sign_in("cap.officer", "a-long-initial-pass").await.status, StatusCode::UNAUTHORIZED);
        site.staff_cookie("cap.officer", "a-brand-new-password").await;

        // Nobody deactivates themself or drops their own admin role.
        let page = site.post_form("/staff/admin/users/cap.admin/active", &mine, &[("csrf_token", CSRF), ("active", "false")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(site.store.staff_by_username("cap.admin").await.expect("read").expect("me").active);
        let page = site.post_form("/staff/admin/users/cap.admin", &mine, &[("csrf_token", CSRF), ("display_name", "Me"), ("email", ""), ("department", ""), ("role", "agent")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&page, "f-role"));
        assert_eq!(site.store.staff_by_username("cap.admin").await.expect("read").expect("me").role, Role::Admin);
        let bad = site.post_form("/staff/admin/users/cap.officer/active", &mine, &[("csrf_token", CSRF), ("active", "maybe")]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let csrf = site.post_form("/staff/admin/users/cap.officer/active", &mine, &[("csrf_token", "nope"), ("active", "false")]).await;
        assert_eq!(csrf.status, StatusCode::FORBIDDEN);
        assert!(site.store.staff_by_username("cap.officer").await.expect("read").expect("found").active);

        let actions = audit_actions(site).await;
        for expected in ["add_staff", "change_staff", "deactivate_staff", "reactivate_staff", "reset_staff_password"] {
            assert_eq!(actions.iter().filter(|a| *a == expected).count(), 1, "{expected} in {actions:?}");
        }

        // The global administrator manages the staff of every entity.
        assert_eq!(site.page("/staff/admin/entities/mun/users", &root).await.status, StatusCode::OK);
        let page = site.post_form("/staff/admin/users/mun.agent", &root, &[("csrf_token", CSRF), ("display_name", "Agent"), ("email", ""), ("department", "roads"), ("role", "agent")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }

    async fn a_staff_users_display_name_is_checked_as_every_name_is(site: &Site) {
        let long = "ن".repeat(201);
        let bad = ["", "   ", "\u{202E}nimda", "Ali\u{0007}", "سارة\u{200F}\u{202D}", long.as_str()];
        // The console's form: 422 with the error beside the field, nothing written.
        let mine = admin(site).await;
        for name in bad {
            let form = [("csrf_token", CSRF), ("username", "cap.officer"), ("display_name", name), ("email", ""),
                ("department", ""), ("role", "officer"), ("password", "a-long-initial-pass")];
            let page = site.post_form("/staff/admin/entities/cap/users", &mine, &form).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
            assert!(error_beside(&page, "f-display_name"), "{name:?}: the error is beside the name");
        }
        // `tawasul user add` and the demo's seeding (`App::add_staff`) alike: refused naming the field.
        for name in bad {
            let refused = site.app.add_staff("cap.clerk", PASSWORD, Role::Agent, Some("cap"), Some(name)).await;
            match refused {
                Err(tawasul_app::identity::IdentityError::Common(tawasul_app::Failure::Invalid(invalid))) => {
                    assert_eq!(invalid.field, "display_name", "{name:?}");
                }
                other => panic!("{name:?}: {other:?}"),
            }
        }
        for username in ["cap.officer", "cap.clerk"] {
            assert!(site.store.staff_by_username(username).await.expect("read").is_none(), "{username} was not written");
        }
        // A name is trimmed as the console trims it; without one the username stands in.
        site.app.add_staff("cap.clerk", PASSWORD, Role::Agent, Some("cap"), Some("  سارة أحمد ")).await.expect("added");
        let row = site.store.staff_by_username("cap.clerk").await.expect("read").expect("found");
        assert_eq!(row.display_name, "سارة أحمد");
    }
}
