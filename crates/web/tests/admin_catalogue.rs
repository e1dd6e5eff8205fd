//! The catalogue admin pages end to end (harness in `support`): SLA targets and reply
//! templates, each check as `<name>::sqlite` and `<name>::postgres`.

mod support;
use support::*;

/// A second entity with its own administrator, and an administrator for `cap`.
async fn admins(site: &Site) {
    let f = Fixtures::new(&site.app).await;
    f.entity("mun", "البلدية", "Municipality", "municipality").await;
    for (username, entity) in [("cap.admin", "cap"), ("mun.admin", "mun")] {
        f.staff(username, Role::Admin, Some(entity)).await;
    }
}

async fn cap_id(site: &Site) -> i64 {
    site.store.entity_by_code("cap").await.expect("read").expect("cap").id
}

async fn templates_of_cap(site: &Site) -> Vec<ReplyTemplateRow> {
    site.store.reply_templates(cap_id(site).await).await.expect("templates")
}

/// The test's audit log's actions, newest first, sign-ins left out.
async fn audit_actions(site: &Site) -> Vec<String> {
    let rows = audit_of_test(&site.store, 100).await;
    rows.into_iter().map(|a| a.action).filter(|a| a != "login").collect()
}

/// Whether the page shows an error inside the field whose wrapper has `id="field-{field}"`.
fn error_beside(page: &Page, field: &str) -> bool {
    let Some(start) = page.body.find(&format!("id=\"field-{field}\"")) else {
        return false;
    };
    let end = page.body[start..].find("</div>").map_or(page.body.len(), |e| start + e);
    page.body[start..end].contains("field-error")
}

fn add_form<'a>(key: &'a str, language: &'a str, title: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", CSRF),
        ("entity", "cap"),
        ("key", key),
        ("language", language),
        ("title", title),
        ("body", body),
    ]
}

on_both! { site;
    async fn an_admin_adds_edits_and_deletes_a_reply_template_each_change_audited(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let empty = site.page("/staff/admin/templates", &admin).await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
        assert!(has_csp(&empty));
        assert!(empty.body.contains("action=\"/staff/admin/templates\""));
        let added = site
            .post_form("/staff/admin/templates", &admin, &add_form("received", "ar", "استلمنا", "عزيزنا {name}، استلمنا {reference}."))
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let list = site.page(&added.location(), &admin).await;
        assert!(list.body.contains("عزيزنا {name}، استلمنا {reference}."), "the new template is listed");
        let id = templates_of_cap(site).await[0].id;
        let edited = site
            .post_form(&format!("/staff/admin/templates/{id}"), &admin, &[("csrf_token", CSRF), ("title", "وصلنا"), ("body", "شكرًا {name}")])
            .await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
        let stored = templates_of_cap(site).await;
        assert_eq!((stored[0].title.as_str(), stored[0].body.as_str()), ("وصلنا", "شكرًا {name}"));
        let english = site
            .send(site.client.get(format!("{}/staff/admin/templates", site.base)).header(ACCEPT_LANGUAGE, "en").header(COOKIE, admin.as_str()))
            .await;
        assert!(english.body.contains("<html lang=\"en\" dir=\"ltr\">") && english.body.contains("Reply templates"));
        let deleted = site.post_form(&format!("/staff/admin/templates/{id}/delete"), &admin, &[("csrf_token", CSRF)]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
        assert!(templates_of_cap(site).await.is_empty());
        assert_eq!(audit_actions(site).await, ["delete_reply_template", "edit_reply_template", "add_reply_template"]);
    }

    async fn refused_templates_come_back_beside_their_field_with_the_data_kept_and_nothing_written(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let typo = site
            .post_form("/staff/admin/templates", &admin, &add_form("received", "en", "On it", "Dear {nmae}, thanks"))
            .await;
        assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&typo, "new.body"), "{}", typo.body);
        assert!(typo.body.contains("value=\"On it\"") && typo.body.contains("Dear {nmae}, thanks"), "the data is kept");
        let long = "x".repeat(4_001);
        let oversized = site.post_form("/staff/admin/templates", &admin, &add_form("received", "en", "On it", &long)).await;
        assert_eq!(oversized.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&oversized, "new.body"));
        let bad_key = site.post_form("/staff/admin/templates", &admin, &add_form("On It!", "en", "On it", "Hello")).await;
        assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&bad_key, "new.key"));
        let bad_language = site.post_form("/staff/admin/templates", &admin, &add_form("received", "xx", "On it", "Hello")).await;
        assert_eq!(bad_language.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&bad_language, "new.language"));
        let no_title = site.post_form("/staff/admin/templates", &admin, &add_form("received", "en", "  ", "Hello")).await;
        assert!(error_beside(&no_title, "new.title"));
        assert!(templates_of_cap(site).await.is_empty(), "nothing refused was written");
        assert!(audit_actions(site).await.is_empty());

        let good = add_form("received", "en", "On it", "Dear {name}");
        assert_eq!(site.post_form("/staff/admin/templates", &admin, &good).await.status, StatusCode::SEE_OTHER);
        let again = site.post_form("/staff/admin/templates", &admin, &good).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "the same key and language twice");
        assert!(error_beside(&again, "new.key"));
        assert_eq!(templates_of_cap(site).await.len(), 1);

        let id = templates_of_cap(site).await[0].id;
        let broken = site
            .post_form(&format!("/staff/admin/templates/{id}"), &admin, &[("csrf_token", CSRF), ("title", "Kept title"), ("body", "Dear {name")])
            .await;
        assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&broken, &format!("{id}.body")), "{}", broken.body);
        assert!(broken.body.contains("value=\"Kept title\"") && broken.body.contains("Dear {name</textarea>"));
        assert_eq!(templates_of_cap(site).await[0].body, "Dear {name}", "the refused edit changed nothing");
        assert_eq!(audit_actions(site).await.len(), 1);
    }

    async fn templates_are_refused_to_forgers_other_entities_and_staff_without_the_permission(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let good = add_form("received", "ar", "استلمنا", "عزيزنا {name}");
        let forged = [("csrf_token", "f".repeat(40))];
        let no_csrf: Vec<_> = good.iter().filter(|(k, _)| *k != "csrf_token").copied().collect();
        assert_eq!(site.post_form("/staff/admin/templates", &admin, &no_csrf).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.post_form("/staff/admin/templates", "", &good).await.status, StatusCode::SEE_OTHER, "signed out: to the sign-in");
        assert!(templates_of_cap(site).await.is_empty());
        assert_eq!(site.post_form("/staff/admin/templates", &admin, &good).await.status, StatusCode::SEE_OTHER);
        let id = templates_of_cap(site).await[0].id;

        let supervisor = staff_cookie(site).await;
        assert_eq!(site.page("/staff/admin/templates", &supervisor).await.status, StatusCode::FORBIDDEN);
        let other = site.staff_cookie("mun.admin", PASSWORD).await;
        assert_eq!(site.page("/staff/admin/templates?entity=cap", &other).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.page("/staff/admin/templates", &other).await.status, StatusCode::OK, "its own entity's page");
        for who in [&supervisor, &other] {
            let add = site.post_form("/staff/admin/templates", who, &add_form("more-info", "ar", "تفاصيل", "نحتاج")).await;
            assert_eq!(add.status, StatusCode::FORBIDDEN);
            let edit = site
                .post_form(&format!("/staff/admin/templates/{id}"), who, &[("csrf_token", CSRF), ("title", "x"), ("body", "y")])
                .await;
            assert_eq!(edit.status, StatusCode::FORBIDDEN);
            let delete = site.post_form(&format!("/staff/admin/templates/{id}/delete"), who, &[("csrf_token", CSRF)]).await;
            assert_eq!(delete.status, StatusCode::FORBIDDEN);
        }
        let forged_delete = site
            .post_form(&format!("/staff/admin/templates/{id}/delete"), &admin, &forged.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())
            .await;
        assert_eq!(forged_delete.status, StatusCode::FORBIDDEN);
        assert_eq!(site.post_form("/staff/admin/templates/9999/delete", &admin, &[("csrf_token", CSRF)]).await.status, StatusCode::NOT_FOUND);
        let stored = templates_of_cap(site).await;
        assert_eq!((stored.len(), stored[0].title.as_str()), (1, "استلمنا"), "no refused change reached the store");
        assert_eq!(audit_actions(site).await, ["add_reply_template"]);
    }

    async fn the_case_page_fills_templates_in_the_reporters_language_or_the_other_one(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        for form in [
            add_form("received", "ar", "استلمنا", "عزيزنا {name}، استلمنا {reference} ({service})."),
            add_form("received", "en", "On it", "Dear {name}, we have {reference} ({service})."),
            add_form("photo", "en", "A photo please", "Dear {name}, please send a photo of {reference}."),
        ] {
            assert_eq!(site.post_form("/staff/admin/templates", &admin, &form).await.status, StatusCode::SEE_OTHER);
        }
        let (_, reference) = split_track(&report(site, "تسرب مياه أمام المنزل").await);
        let staff = staff_cookie(site).await;
        let page = site.page(&format!("/staff/cases/{reference}"), &staff).await;
        assert!(page.body.contains(&format!("href=\"/staff/cases/{reference}?template=received#comment-title\">استلمنا</a>")), "{}", page.body);
        assert!(page.body.contains("?template=photo#comment-title\">A photo please</a>"), "a template only in English is offered too");
        let english_page = site.page(&format!("/staff/cases/{reference}?lang=en"), &staff).await;
        assert!(english_page.body.contains("?template=received#comment-title\">On it</a>"), "titled in the page's language");

        let received = site.page(&format!("/staff/cases/{reference}?template=received"), &staff).await;
        assert!(received.body.contains(&format!("عزيزنا فاطمة أحمد، استلمنا {reference} (تسرب مياه).")), "{}", received.body);
        let received_en = site.page(&format!("/staff/cases/{reference}?template=received&lang=en"), &staff).await;
        assert!(received_en.body.contains(&format!("عزيزنا فاطمة أحمد، استلمنا {reference}")), "the reporter's language, not the page's");
        let photo = site.page(&format!("/staff/cases/{reference}?template=photo"), &staff).await;
        assert!(photo.body.contains(&format!("Dear فاطمة أحمد, please send a photo of {reference}.")), "the other language when the reporter's is missing");
        let unknown = site.page(&format!("/staff/cases/{reference}?template=nothing"), &staff).await;
        assert_eq!(unknown.status, StatusCode::OK);
        assert!(unknown.body.contains("name=\"body\" rows=\"4\"></textarea>"), "an unknown template leaves the reply empty");
    }

    async fn sla_targets_are_edited_cell_by_cell_validated_and_audited(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let grid = site.page("/staff/admin/sla", &admin).await;
        assert_eq!(grid.status, StatusCode::OK, "{}", grid.body);
        assert!(grid.body.contains("Water leak") || grid.body.contains("تسرب مياه"));
        assert!(grid.body.contains("<span class=\"targets\">7 / 35</span>"), "the default for normal priority: a day and five");
        let edit = site.page("/staff/admin/sla?entity=cap&service=water-leak&priority=high", &admin).await;
        assert!(edit.body.contains("id=\"sla-edit\"") && edit.body.contains("value=\"4\""), "{}", edit.body);
        let cell = |first: &'static str, resolution: &'static str| {
            vec![("csrf_token", CSRF), ("entity", "cap"), ("service", "water-leak"), ("priority", "high"), ("first_response", first), ("resolution", resolution)]
        };
        for (first, resolution, field) in [("8", "2", "resolution"), ("0", "2", "first_response"), ("soon", "2", "first_response"), ("2", "", "resolution"), ("2", "999999", "resolution")] {
            let refused = site.post_form("/staff/admin/sla", &admin, &cell(first, resolution)).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{first} {resolution}");
            assert!(error_beside(&refused, field), "{first} {resolution}: {}", refused.body);
            assert!(refused.body.contains(&format!("value=\"{first}\"")), "the data is kept");
        }
        assert!(site.store.sla_targets().await.expect("targets").is_empty(), "nothing refused was written");
        let saved = site.post_form("/staff/admin/sla", &admin, &cell("١٫٥", "14")).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let rows = site.store.sla_targets().await.expect("targets");
        assert_eq!((rows.len(), rows[0].first_response_minutes, rows[0].resolution_minutes), (1, 90, 840));
        let after = site.page("/staff/admin/sla?lang=en", &admin).await;
        assert!(after.body.contains("<span class=\"targets\">1.5 / 14</span>"), "the set cell shows: {}", after.body);
        assert_eq!(audit_actions(site).await, ["set_sla_target"]);

        let supervisor = staff_cookie(site).await;
        assert_eq!(site.page("/staff/admin/sla", &supervisor).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.post_form("/staff/admin/sla", &supervisor, &cell("1", "2")).await.status, StatusCode::FORBIDDEN);
        let other = site.staff_cookie("mun.admin", PASSWORD).await;
        assert_eq!(site.post_form("/staff/admin/sla", &other, &cell("1", "2")).await.status, StatusCode::FORBIDDEN);
        let mut foreign = cell("1", "2");
        foreign[1] = ("entity", "mun");
        assert_eq!(site.post_form("/staff/admin/sla", &other, &foreign).await.status, StatusCode::BAD_REQUEST, "cap's service is not mun's");
        let mut forged = cell("1", "2");
        forged[0] = ("csrf_token", "nope");
        assert_eq!(site.post_form("/staff/admin/sla", &admin, &forged).await.status, StatusCode::FORBIDDEN);
        let rows = site.store.sla_targets().await.expect("targets");
        assert_eq!((rows.len(), rows[0].first_response_minutes), (1, 90), "no refused change was written");
        assert_eq!(audit_actions(site).await.len(), 1);
    }
}

fn service_form<'a>(code: &'a str, name_en: &'a str, kinds: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf_token", CSRF),
        ("entity", "cap"),
        ("code", code),
        ("name_ar", "حفرة في الطريق"),
        ("name_en", name_en),
        ("description_ar", ""),
        ("description_en", "Holes in the road"),
        ("default_department", "water"),
        ("default_priority", "high"),
        ("active", "yes"),
    ];
    form.extend(kinds.iter().map(|k| ("kinds", *k)));
    form
}

async fn service(site: &Site, code: &str) -> Option<ManagedServiceRow> {
    site.store.managed_service(code).await.expect("read")
}

fn field_form<'a>(key: &'a str, field_type: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf_token", CSRF),
        ("key", key),
        ("label_ar", "السؤال"),
        ("label_en", "The question"),
        ("type", field_type),
    ];
    form.extend_from_slice(extra);
    form
}

fn field_keys(row: &ManagedServiceRow) -> Vec<String> {
    let fields: Vec<serde_json::Value> = serde_json::from_str(&row.service.fields).expect("fields");
    fields
        .iter()
        .map(|f| f["key"].as_str().unwrap_or("").to_owned())
        .collect()
}

on_both! { site;
    async fn an_admin_adds_and_edits_a_service_refusals_beside_their_field(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let list = site.page("/staff/admin/services", &admin).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.body.contains("href=\"/staff/admin/services/water-leak\""));
        for (form, field) in [
            (service_form("Pot Hole", "Pothole", &["report"]), "service.code"),
            (service_form("pothole", " ", &["report"]), "service.name_en"),
            (service_form("pothole", "Pothole", &[]), "service.kinds"),
            (service_form("pothole", "Pothole", &["gossip"]), "service.kinds"),
            (service_form("water-leak", "Pothole", &["report"]), "service.code"),
        ] {
            let refused = site.post_form("/staff/admin/services", &admin, &form).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(error_beside(&refused, field), "{field}: {}", refused.body);
            assert!(refused.body.contains("Holes in the road</textarea>"), "the data is kept");
        }
        let mut unknown_department = service_form("pothole", "Pothole", &["report"]);
        unknown_department[7] = ("default_department", "roads");
        let refused = site.post_form("/staff/admin/services", &admin, &unknown_department).await;
        assert!(error_beside(&refused, "service.default_department"));
        assert!(service(site, "pothole").await.is_none() && audit_actions(site).await.is_empty(), "nothing refused was written");

        let added = site.post_form("/staff/admin/services", &admin, &service_form("pothole", "Pothole", &["report", "complaint"])).await;
        assert_eq!((added.status, added.location().as_str()), (StatusCode::SEE_OTHER, "/staff/admin/services/pothole"), "{}", added.body);
        let again = site.post_form("/staff/admin/services", &admin, &service_form("pothole", "Pothole", &["report"])).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "the same code twice");
        let page = site.page("/staff/admin/services/pothole", &admin).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("value=\"pothole\"") && !page.body.contains("readonly"), "no case yet: the code may change");
        let mut renamed = service_form("road-hole", "Road hole", &["report"]);
        renamed.retain(|(k, _)| *k != "active");
        assert_eq!(site.post_form("/staff/admin/services/pothole", &admin, &renamed).await.location(), "/staff/admin/services/road-hole");
        let stored = service(site, "road-hole").await.expect("renamed");
        assert_eq!((stored.service.name_en.as_str(), stored.service.kinds.as_str(), stored.active), ("Road hole", "report", false));
        assert!(site.page("/report/road-hole", "").await.status == StatusCode::NOT_FOUND, "an inactive service is not offered");
        assert_eq!(audit_actions(site).await, ["update_service", "add_service"]);

        report(site, "تسرب").await;
        let leak = site.page("/staff/admin/services/water-leak", &admin).await;
        assert!(leak.body.contains("readonly"), "a service with cases shows its code as fixed");
        let recode = service_form("leak", "Leak", &["complaint"]);
        let refused = site.post_form("/staff/admin/services/water-leak", &admin, &recode).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&refused, "service.code"));
        assert!(service(site, "water-leak").await.is_some() && service(site, "leak").await.is_none());
        let kept = service_form("water-leak", "Leak in the street", &["complaint"]);
        assert_eq!(site.post_form("/staff/admin/services/water-leak", &admin, &kept).await.status, StatusCode::SEE_OTHER);
        assert_eq!(service(site, "water-leak").await.expect("there").service.name_en, "Leak in the street");
    }

    async fn a_services_form_is_edited_question_by_question_and_old_answers_stay(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let (_, reference) = split_track(&report(site, "تسرب مياه").await);
        let base = "/staff/admin/services/water-leak/fields";
        let added = site.post_form(base, &admin, &field_form("colour", "single_choice", &[("choices", "blue | أزرق | Blue\nbrown | بني | Brown")])).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        for (form, field) in [
            (field_form("colour", "text", &[]), "new.key"),
            (field_form("Colour!", "text", &[]), "new.key"),
            (field_form("smell", "smell", &[]), "new.type"),
            (field_form("smell", "single_choice", &[]), "new.choices"),
            (field_form("smell", "single_choice", &[("choices", "strong")]), "new.choices"),
            (field_form("smell", "number", &[("min", "a lot")]), "new.min"),
            (field_form("smell", "number", &[("min", "5"), ("max", "1")]), "new.max"),
            (field_form("smell", "text", &[("max", "5")]), "new.min"),
        ] {
            let refused = site.post_form(base, &admin, &form).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {form:?}");
            assert!(error_beside(&refused, field), "{field}: {form:?}");
            assert!(refused.body.contains("value=\"The question\""), "the data is kept");
        }
        assert_eq!(field_keys(&service(site, "water-leak").await.expect("there")), ["depth", "colour"], "nothing refused was written");

        let edited = site.post_form(&format!("{base}/colour"), &admin, &field_form("colour", "multiple_choice", &[("required", "yes"), ("choices", "blue | أزرق | Blue")])).await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
        let clash = site.post_form(&format!("{base}/colour"), &admin, &field_form("depth", "text", &[])).await;
        assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_beside(&clash, "q-colour.key"), "{}", clash.body);
        assert_eq!(site.post_form(&format!("{base}/colour/up"), &admin, &[("csrf_token", CSRF)]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(field_keys(&service(site, "water-leak").await.expect("there")), ["colour", "depth"]);
        site.post_form(&format!("{base}/colour/down"), &admin, &[("csrf_token", CSRF)]).await;
        assert_eq!(field_keys(&service(site, "water-leak").await.expect("there")), ["depth", "colour"]);
        assert_eq!(site.post_form(&format!("{base}/depth/remove"), &admin, &[("csrf_token", CSRF)]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(site.post_form(&format!("{base}/depth/remove"), &admin, &[("csrf_token", CSRF)]).await.status, StatusCode::NOT_FOUND, "removed once");
        assert_eq!(site.post_form(&format!("{base}/colour/sideways"), &admin, &[("csrf_token", CSRF)]).await.status, StatusCode::BAD_REQUEST);
        let row = service(site, "water-leak").await.expect("there");
        assert_eq!(field_keys(&row), ["colour"]);
        assert!(row.service.fields.contains("\"required\":true") && row.service.fields.contains("multiple_choice"));

        let case = site.store.case_by_reference(&reference).await.expect("read").expect("the old case");
        assert_eq!(case.answers, "{\"depth\":3.0}", "the old case keeps its answer to the removed question");
        let staff = staff_cookie(site).await;
        assert_eq!(site.page(&format!("/staff/cases/{reference}"), &staff).await.status, StatusCode::OK);
        let actions = audit_actions(site).await;
        assert_eq!((actions.len(), actions[0].as_str()), (5, "set_service_fields"));
    }

    async fn services_are_refused_to_forgers_other_entities_and_staff_without_the_permission(site: &Site) {
        admins(site).await;
        let admin = site.staff_cookie("cap.admin", PASSWORD).await;
        let supervisor = staff_cookie(site).await;
        let other = site.staff_cookie("mun.admin", PASSWORD).await;
        assert_eq!(site.page("/staff/admin/services", &supervisor).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.page("/staff/admin/services?entity=cap", &other).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.page("/staff/admin/services", &other).await.status, StatusCode::OK, "its own entity's list");
        assert_eq!(site.page("/staff/admin/services/nothing", &admin).await.status, StatusCode::NOT_FOUND);
        for who in [&supervisor, &other] {
            assert_eq!(site.page("/staff/admin/services/water-leak", who).await.status, StatusCode::FORBIDDEN);
            let add = site.post_form("/staff/admin/services", who, &service_form("pothole", "Pothole", &["report"])).await;
            assert_eq!(add.status, StatusCode::FORBIDDEN);
            let edit = site.post_form("/staff/admin/services/water-leak", who, &service_form("water-leak", "Mine now", &["report"])).await;
            assert_eq!(edit.status, StatusCode::FORBIDDEN);
            let field = site.post_form("/staff/admin/services/water-leak/fields", who, &field_form("colour", "text", &[])).await;
            assert_eq!(field.status, StatusCode::FORBIDDEN);
            let remove = site.post_form("/staff/admin/services/water-leak/fields/depth/remove", who, &[("csrf_token", CSRF)]).await;
            assert_eq!(remove.status, StatusCode::FORBIDDEN);
        }
        let mut forged = field_form("colour", "text", &[]);
        forged[0] = ("csrf_token", "nope");
        assert_eq!(site.post_form("/staff/admin/services/water-leak/fields", &admin, &forged).await.status, StatusCode::FORBIDDEN);
        let mut foreign = service_form("pothole", "Pothole", &["report"]);
        foreign[1] = ("entity", "mun");
        assert_eq!(site.post_form("/staff/admin/services", &admin, &foreign).await.status, StatusCode::FORBIDDEN);
        let row = service(site, "water-leak").await.expect("there");
        assert_eq!((row.service.name_en.as_str(), field_keys(&row)), ("Water leak", vec!["depth".to_owned()]), "no refused change reached the store");
        assert!(service(site, "pothole").await.is_none());
        assert!(audit_actions(site).await.is_empty());
    }
}
