//! The pages end to end (harness in `support`): every test runs as `<name>::sqlite` and
//! `<name>::postgres`.

mod support;
use support::*;

on_both! { site;
    async fn forms_without_the_right_csrf_token_are_refused_and_change_nothing(site: &Site) {
        let missing = Form::new().text("kind", "complaint").text("description", "تسرب").text("answers.depth", "1");
        let page = site.post_multipart("/report/water-leak", missing).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.body.contains("<html lang=\"ar\" dir=\"rtl\">"), "an error page, in Arabic");
        let wrong = report_form("ffffffffffffffffffffffffffffffffffffffff", "تسرب").text("answers.depth", "1");
        assert_eq!(site.post_multipart("/report/water-leak", wrong).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.case_count().await, 0, "nothing was written");
        let login = site
            .post_form("/staff/login", "", &[("username", "cap.supervisor"), ("password", "correct-horse-battery")])
            .await;
        assert_eq!(login.status, StatusCode::FORBIDDEN);
        assert!(login.cookie("tawasul_session").is_none());
        let code = site.post_form("/track/code", "", &[("csrf_token", "nope"), ("contact", "+97333001234")]).await;
        assert_eq!(code.status, StatusCode::FORBIDDEN);
    }

    async fn every_page_has_a_strict_content_security_policy(site: &Site) {
        let track = report(site, "تسرب").await;
        for path in ["/", "/?q=water", "/report/water-leak", "/track", "/staff", "/my", track.as_str(), "/track/TW-2026-9999999?token=x", "/report/nothing"] {
            let page = site.page(path, "").await;
            assert!(has_csp(&page), "{path}: {:?}", page.headers.get(CONTENT_SECURITY_POLICY));
            assert_eq!(page.headers.get("referrer-policy").and_then(|v| v.to_str().ok()), Some("no-referrer"), "{path}");
        }
        assert_eq!(site.page("/report/nothing", "").await.status, StatusCode::NOT_FOUND);
        let api = site.page("/api/v1/nothing", "").await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert!(api.body.starts_with("{\"error\""), "the API keeps its JSON 404: {}", api.body);
    }

    async fn arabic_is_right_to_left_english_left_to_right_and_the_switch_sticks(site: &Site) {
        let ar = site.send(site.client.get(format!("{}/", site.base)).header(ACCEPT_LANGUAGE, "ar")).await;
        assert!(ar.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
        assert!(ar.body.contains("ماذا تريد أن تخبرنا؟"));
        assert!(ar.body.contains("href=\"/?lang=en\""), "a switch to English");
        let browser_en = site.send(site.client.get(format!("{}/track", site.base)).header(ACCEPT_LANGUAGE, "en-GB,en;q=0.9")).await;
        assert!(browser_en.body.contains("<html lang=\"en\" dir=\"ltr\">"));
        let switched = site.page("/report/water-leak?lang=en", "").await;
        assert!(switched.body.contains("<html lang=\"en\" dir=\"ltr\">"));
        assert!(switched.body.contains("Water leak"));
        assert!(switched.body.contains("href=\"/report/water-leak?lang=ar\""), "the switch keeps the page");
        let lang = switched.cookie("tawasul_lang").expect("the choice is remembered");
        assert_eq!(lang, "en");
        let later = site.send(
            site.client.get(format!("{}/staff", site.base)).header(ACCEPT_LANGUAGE, "ar").header(COOKIE, "tawasul_lang=en"),
        ).await;
        assert!(later.body.contains("<html lang=\"en\" dir=\"ltr\">"), "the cookie beats the browser");
        assert!(later.body.contains("type=\"password\""));
        let cookie = later.cookie("tawasul_csrf").expect("a CSRF cookie for a new visitor");
        assert_eq!(cookie.len(), 40);
        let set = later.headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join("\n");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    }

    async fn invalid_reports_come_back_with_errors_beside_fields_and_data_kept(site: &Site) {
        let form = Form::new()
            .text("csrf_token", CSRF)
            .text("kind", "complaint")
            .text("description", "   ")
            .text("answers.depth", "deep")
            .text("name", "فاطمة <b>أحمد</b>")
            .text("phone", "call me")
            .text("lat", "26.2");
        let page = site.post_multipart("/report/water-leak", form).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let beside = |field: &str| {
            let start = page.body.find(&format!("id=\"field-{field}\"")).unwrap_or_else(|| panic!("no field {field}"));
            page.body[start..].find("field-error").is_some_and(|at| at < 400)
        };
        assert!(beside("answers.depth"), "the number error is beside its field");
        assert!(beside("location"), "half a location is refused beside it");
        assert!(page.body.contains("value=\"فاطمة &#60;b&#62;أحمد&#60;/b&#62;\"") || page.body.contains("value=\"فاطمة &lt;b&gt;أحمد&lt;/b&gt;\""), "the name is kept, escaped");
        assert!(page.body.contains("value=\"call me\""), "the phone is kept");
        assert!(page.body.contains("value=\"26.2\""), "the latitude is kept");
        assert!(page.body.contains("checked"), "the chosen kind is kept");
        // Fixed one by one, the domain's own checks answer beside their fields too.
        let form = report_form(CSRF, "تسرب مياه").text("answers.depth", "3").text("phone", "call me");
        let page = site.post_multipart("/report/water-leak", form).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let at = page.body.find("id=\"field-phone\"").expect("phone field");
        assert!(page.body[at..].find("field-error").is_some_and(|d| d < 300), "the phone error is beside the phone");
        assert!(page.body.contains("تسرب مياه</textarea>"), "the description is kept");
        assert_eq!(site.case_count().await, 0);
    }

    async fn oversized_and_malformed_uploads_are_refused(site: &Site) {
        let huge = site.send(
            site.client
                .post(format!("{}/report/water-leak", site.base))
                .header(COOKIE, format!("tawasul_csrf={CSRF}"))
                .header("content-type", "multipart/form-data; boundary=x")
                .header("content-length", (60 * 1024 * 1024).to_string())
                .header("expect", "100-continue")
                .body(""),
        ).await;
        assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
        let broken = site.send(
            site.client
                .post(format!("{}/report/water-leak", site.base))
                .header(COOKIE, format!("tawasul_csrf={CSRF}"))
                .header("content-type", "multipart/form-data; boundary=abc")
                .body("--abc\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nx\r\n--ab"),
        ).await;
        assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.body);
        assert!(has_csp(&broken) && broken.body.contains("<html"), "an error page, not a crash");
        let not_multipart = site.post_form("/report/water-leak", "", &[("csrf_token", CSRF)]).await;
        assert_eq!(not_multipart.status, StatusCode::BAD_REQUEST);
        let mut six = report_form(CSRF, "تسرب").text("answers.depth", "1");
        for i in 0..6 {
            six = six.part("photos", Part::bytes(png()).file_name(format!("{i}.png")).mime_str("image/png").expect("mime"));
        }
        let page = site.post_multipart("/report/water-leak", six).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "six photos: refused beside the field");
        assert!(page.body.contains("يمكن إرفاق 5 صور على الأكثر"), "{}", page.body);
        assert!(page.body.contains(">تسرب</textarea>"), "the description is kept");
        let fake = report_form(CSRF, "تسرب").text("answers.depth", "1").part(
            "photos",
            Part::bytes(b"MZ\x90\x00 not a photo".to_vec()).file_name("photo.jpg").mime_str("image/jpeg").expect("mime"),
        );
        let page = site.post_multipart("/report/water-leak", fake).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let at = page.body.find("id=\"field-photos\"").expect("photos field");
        assert!(page.body[at..].find("field-error").is_some_and(|d| d < 400));
        assert_eq!(site.case_count().await, 0, "nothing was written");
    }

    async fn hostile_text_is_shown_as_text(site: &Site) {
        let track = report(site, "<script>alert('x')</script><img src=x onerror=alert(1)> \"quoted\"").await;
        let page = site.page(&track, "").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("<script>alert"), "no script tag from the resident");
        assert!(!page.body.contains("<img src=x"), "no element from the resident");
        assert!(page.body.contains("&#60;script&#62;") || page.body.contains("&lt;script&gt;"));
        let (token, reference) = split_track(&track);
        let staff = staff_cookie(site).await;
        let case = site.page(&format!("/staff/cases/{reference}"), &staff).await;
        assert!(!case.body.contains("<script>alert") && !case.body.contains("<img src=x"));
        let _ = token;
    }

    async fn a_report_is_followed_answered_resolved_and_rated(site: &Site) {
        let track = report(site, "تسرب مياه أمام المنزل").await;
        let (token, reference) = split_track(&track);
        let page = site.page(&track, "").await;
        assert!(page.body.contains(&reference) && page.body.contains("تسرب مياه أمام المنزل"));
        assert!(page.body.contains("/attachments/"), "the photo came with the report");
        assert!(page.body.contains(" هـ"), "the Hijri date is shown");
        assert!(!page.body.contains("class=\"survey\""), "no rating before the case is resolved");
        let empty = site.post_form(&format!("/track/{reference}/comment"), "", &[("csrf_token", CSRF), ("token", &token), ("body", " ")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        let sent = site.post_form(&format!("/track/{reference}/comment"), "", &[("csrf_token", CSRF), ("token", &token), ("body", "ما زال الماء يتسرب")]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);

        let staff = staff_cookie(site).await;
        // Reply templates are the entity's data now (their own page tests: admin_catalogue.rs).
        Fixtures::new(&site.app).await.reply_template("cap", "received", "ar", "نعمل عليه", "عزيزنا {name}، استلمنا بلاغك رقم {reference} ({service}).").await;
        let templated = site.page(&format!("/staff/cases/{reference}?template=received&lang=en"), &staff).await;
        let textarea = templated.body.split("name=\"body\"").nth(1).expect("the reply box");
        assert!(textarea.contains("استلمنا بلاغك رقم"), "the template is in the reporter's language");
        assert!(textarea.contains(&reference) && textarea.contains("فاطمة أحمد"), "placeholders filled");
        let queue = site.page("/staff?queue=all", &staff).await;
        assert!(queue.body.contains(&format!("/staff/cases/{reference}")), "the case is in the queue");
        let filtered = site.page("/staff?queue=all&status=closed", &staff).await;
        assert!(!filtered.body.contains(&format!("/staff/cases/{reference}")), "filters apply");
        let reply = site.post_form(&format!("/staff/cases/{reference}/comment"), &staff, &[("csrf_token", CSRF), ("visibility", "public"), ("body", "الفريق في الطريق")]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let note = site.post_form(&format!("/staff/cases/{reference}/comment"), &staff, &[("csrf_token", CSRF), ("visibility", "internal"), ("body", "ملاحظة سرية")]).await;
        assert_eq!(note.status, StatusCode::SEE_OTHER);
        for (action, extra) in [("acknowledge", ("", "")), ("assign", ("department", "water")), ("start", ("", ""))] {
            let mut fields = vec![("csrf_token", CSRF), ("action", action)];
            if !extra.0.is_empty() {
                fields.push(extra);
            }
            let done = site.post_form(&format!("/staff/cases/{reference}/transition"), &staff, &fields).await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{action}: {}", done.body);
        }
        let bare = site.post_form(&format!("/staff/cases/{reference}/transition"), &staff, &[("csrf_token", CSRF), ("action", "resolve")]).await;
        assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY, "a resolution text is required");
        let resolved = site.post_form(&format!("/staff/cases/{reference}/transition"), &staff, &[("csrf_token", CSRF), ("action", "resolve"), ("resolution", "أُصلح الأنبوب")]).await;
        assert_eq!(resolved.status, StatusCode::SEE_OTHER);

        let page = site.page(&track, "").await;
        assert!(page.body.contains("الفريق في الطريق"), "the resident sees the public reply");
        assert!(!page.body.contains("ملاحظة سرية"), "but not the internal note");
        assert!(page.body.contains("أُصلح الأنبوب"));
        assert!(page.body.contains("class=\"survey\""), "a resolved case can be rated");
        let half = site.post_form(&format!("/track/{reference}/survey"), "", &[("csrf_token", CSRF), ("token", &token), ("quality", "1"), ("comment", "بطيء")]).await;
        assert_eq!(half.status, StatusCode::UNPROCESSABLE_ENTITY, "every score is needed");
        assert!(half.body.contains("بطيء</textarea>"), "the comment is kept");
        let rated = site.post_form(&format!("/track/{reference}/survey"), "", &[("csrf_token", CSRF), ("token", &token), ("quality", "1"), ("speed", "2"), ("agent", "4"), ("solved", "no"), ("comment", "بطيء")]).await;
        assert_eq!(rated.status, StatusCode::SEE_OTHER);
        let again = site.post_form(&format!("/track/{reference}/survey"), "", &[("csrf_token", CSRF), ("token", &token), ("quality", "5"), ("speed", "5"), ("agent", "5"), ("solved", "yes")]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "one rating per resolution (the low one reopened the case)");
        let case = site.page(&format!("/staff/cases/{reference}"), &staff).await;
        assert!(case.body.contains("low-rating"), "staff see the low rating");
        assert!(case.body.contains("ملاحظة سرية"), "staff see internal notes");
    }

}

// These two judge SLA clocks, so their site runs on the kit's clock, which they move.
on_both! { site_on_thursday_noon;
    async fn workflow_queues_sla_badges_and_the_ignored_complaint(site: &Site) {
        let track = report(site, "تسرب مياه بجوار المدرسة").await;
        let (token, reference) = split_track(&track);
        let staff = staff_cookie(site).await;
        let queue = site.page("/staff?queue=all", &staff).await;
        for tab in ["queue=triage", "queue=transferred", "queue=followed", "queue=escalated"] {
            assert!(queue.body.contains(tab), "the {tab} tab");
        }
        assert!(queue.body.contains("class=\"sla sla-on_track\""), "an SLA badge on each row");
        assert!(queue.body.contains("class=\"sla-left\""), "with the time left in words");
        let escalated = site.page("/staff?queue=escalated", &staff).await;
        assert!(!escalated.body.contains(&format!("/staff/cases/{reference}")), "not escalated yet");

        // Too early: the page says from when the complaint is possible, and offers no form.
        let page = site.page(&track, "").await;
        assert!(page.body.contains("id=\"ignored\""), "{}", page.body);
        assert!(!page.body.contains("/ignored\""), "no form yet");
        let early = site.post_form(&format!("/track/{reference}/ignored"), "", &[("csrf_token", CSRF), ("token", &token), ("description", "لا رد")]).await;
        assert_eq!((early.status, site.case_count().await), (StatusCode::SEE_OTHER, 1), "refused, nothing written");

        // Overdue: the form appears, a blank complaint is refused beside its field, a real one
        // opens the escalation case and shows its confirmation. Its first response (one working
        // day: Thursday 12:00 to 14:00, Sunday 07:00 to 12:00) was due on Sunday at 12:00; no
        // sweep runs here, so it is not escalated meanwhile.
        site.advance(chrono::Duration::days(3) + chrono::Duration::minutes(1));
        let staff = staff_cookie(site).await; // a staff session lasts twelve hours
        let page = site.page(&track, "").await;
        assert!(page.body.contains(&format!("action=\"/track/{reference}/ignored\"")), "the form is offered");
        let blank = site.post_form(&format!("/track/{reference}/ignored"), "", &[("csrf_token", CSRF), ("token", &token), ("description", " ")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.body.contains("ignored-error"));
        let forged = site.post_form(&format!("/track/{reference}/ignored"), "", &[("csrf_token", "forged"), ("token", &token), ("description", "لا رد")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let sent = site.post_form(&format!("/track/{reference}/ignored"), "", &[("csrf_token", CSRF), ("token", &token), ("description", "لم يصلني أي رد")]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let confirmation = sent.location();
        assert!(confirmation.starts_with("/submitted/TW-") && !confirmation.contains(&reference), "{confirmation}");
        assert_eq!(site.case_count().await, 2);
        let page = site.page(&track, "").await;
        let escalation = confirmation.trim_start_matches("/submitted/").split('?').next().expect("reference").to_owned();
        assert!(page.body.contains(&escalation), "the original case names its escalation case");
        let again = site.post_form(&format!("/track/{reference}/ignored"), "", &[("csrf_token", CSRF), ("token", &token), ("description", "مرة أخرى")]).await;
        assert_eq!((again.status, site.case_count().await), (StatusCode::SEE_OTHER, 2), "one at a time");

        // Handed to another entity from the case page: it leaves this entity's queues and
        // is followed from the "handed to others" tab.
        Fixtures::new(&site.app).await.entity("mun", "بلدية المنامة", "Manama Municipality", "municipality").await;
        let case = site.page(&format!("/staff/cases/{reference}"), &staff).await;
        assert!(case.body.contains("value=\"entity:mun\""), "the other entity is offered");
        let blank = site.post_form(&format!("/staff/cases/{reference}/transfer"), &staff, &[("csrf_token", CSRF), ("to", "entity:mun"), ("reason", "")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is needed");
        let handed = site.post_form(&format!("/staff/cases/{reference}/transfer"), &staff, &[("csrf_token", CSRF), ("to", "entity:mun"), ("reason", "الموقع يتبع البلدية")]).await;
        assert_eq!(handed.status, StatusCode::SEE_OTHER, "{}", handed.body);
        let followed = site.page("/staff?queue=followed", &staff).await;
        assert!(followed.body.contains(&format!("/staff/cases/{reference}")), "followed after the hand-over");
        let mine = site.page("/staff?queue=all", &staff).await;
        assert!(!mine.body.contains(&format!("/staff/cases/{reference}\"")), "no longer in this entity's queue");
        let page = site.page(&format!("/staff/cases/{reference}"), &staff).await;
        assert_eq!(page.status, StatusCode::OK, "the sender still reads it");
        assert!(!page.body.contains("/transfer\""), "but may not act on it");
    }

    async fn queues_filter_by_priority_and_sla_state_and_sort(site: &Site) {
        // Reported on Thursday at 12:00, 12:01 and 12:02.
        let mut references = vec![];
        for text in ["تسرب أول", "تسرب ثان", "تسرب ثالث"] {
            let (_, reference) = split_track(&report(site, text).await);
            references.push(reference);
            site.advance(chrono::Duration::minutes(1));
        }
        let staff = staff_cookie(site).await;
        let rows = |body: &str| -> Vec<String> {
            body.match_indices("<a href=\"/staff/cases/")
                .map(|(at, _)| body[at + 22..].split('"').next().unwrap_or("").to_owned())
                .collect()
        };
        // By Sunday at 09:00 the second, made urgent (an hour: due Thursday 13:01), is overdue by
        // two days; the third (a working day: due Sunday 12:02) is due in three hours; the first,
        // made low (two working days: due Monday 12:00), is on track.
        let token = staff.trim_start_matches("tawasul_session=");
        let tawasul_app::identity::auth::Caller::Staff(supervisor) = site.app.authenticate(Some(token)).await.expect("session") else {
            panic!("a staff session")
        };
        let urgent = tawasul_app::cases::work::ReclassifyRequest { service: None, priority: Some(tawasul_domain::vocab::Priority::Urgent), reason: None };
        site.app.reclassify(&supervisor, &references[1], urgent).await.expect("reclassified");
        let low = tawasul_app::cases::work::ReclassifyRequest { service: None, priority: Some(tawasul_domain::vocab::Priority::Low), reason: None };
        site.app.reclassify(&supervisor, &references[0], low).await.expect("reclassified");
        site.advance(chrono::Duration::hours(68) + chrono::Duration::minutes(57));
        let staff = staff_cookie(site).await; // a staff session lasts twelve hours

        // Fluent wraps arguments in bidi isolates; the words are checked without them.
        let plain = |page: &Page| page.body.replace(['\u{2068}', '\u{2069}'], "");
        let page = site.page("/staff?queue=all", &staff).await;
        assert_eq!(rows(&page.body), [references[2].clone(), references[1].clone(), references[0].clone()], "newest first");
        assert!(plain(&page).contains("متأخر يومين"), "overdue in words");
        assert!(plain(&page).contains("تبقّت 3 ساعات"), "the time left in words");
        assert!(page.body.contains("<td>المياه</td>") && !page.body.contains("<td>water</td>"), "departments by name");
        let case = site.page(&format!("/staff/cases/{}", references[0]), &staff).await;
        assert!(case.body.contains("<dd>المياه</dd>"), "the case page names its department");
        assert!(!case.body.contains("· routing</p>"), "system events are Tawasul's, not an internal name");
        let oldest = site.page("/staff?queue=all&sort=oldest", &staff).await;
        assert_eq!(rows(&oldest.body), [references[0].clone(), references[1].clone(), references[2].clone()]);
        let due = site.page("/staff?queue=all&sort=due", &staff).await;
        assert_eq!(rows(&due.body)[..2], [references[1].clone(), references[2].clone()], "soonest due first");
        assert!(due.body.contains("<option value=\"due\" selected>"), "the chosen sort stays chosen");
        let urgent_first = site.page("/staff?queue=all&sort=priority", &staff).await;
        assert_eq!(rows(&urgent_first.body)[0], references[1]);
        let only_urgent = site.page("/staff?queue=all&priority=urgent", &staff).await;
        assert_eq!(rows(&only_urgent.body), [references[1].clone()]);
        let overdue = site.page("/staff?queue=all&sla=overdue", &staff).await;
        assert_eq!(rows(&overdue.body), [references[1].clone()]);
        assert!(overdue.body.contains("<option value=\"overdue\" selected>"));
        let english = site.page("/staff?queue=all&sla=overdue&lang=en", &format!("{staff}; tawasul_lang=en")).await;
        assert!(plain(&english).contains("Overdue by 2 days"), "{}", english.body);
        // A sort or an SLA state the console does not know is refused on the page, not a 500.
        for bad in ["sort=sideways", "sla=late", "priority=panic"] {
            let page = site.page(&format!("/staff?queue=all&{bad}"), &staff).await;
            assert_eq!(page.status, StatusCode::OK, "{bad}");
            assert!(page.body.contains("role=\"alert\""), "{bad}: the error is shown");
            assert!(rows(&page.body).is_empty(), "{bad}: no rows");
        }
    }

}

on_both! { site;
    async fn case_track_and_queue_pages_carry_their_live_updates(site: &Site) {
        let track = report(site, "تسرب مياه").await;
        let (token, reference) = split_track(&track);
        let page = site.page(&track, "").await;
        assert!(page.body.contains(&format!("data-live-url=\"/track/{reference}?token={token}\"")), "{}", page.body);
        assert!(page.body.contains("data-live=\"timeline\"") && page.body.contains("data-live=\"head\""));
        let version = |body: &str| body.split("data-live-version=\"").nth(1).and_then(|v| v.split('"').next()).map(str::to_owned);
        let before = version(&page.body).expect("a version");
        let staff = staff_cookie(site).await;
        let case = site.page(&format!("/staff/cases/{reference}"), &staff).await;
        assert!(case.body.contains(&format!("data-live-url=\"/staff/cases/{reference}\"")));
        let reply = site.post_form(&format!("/staff/cases/{reference}/comment"), &staff, &[("csrf_token", CSRF), ("body", "وصلنا بلاغك"), ("visibility", "public")]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let after = version(&site.page(&track, "").await.body).expect("a version");
        assert_ne!(before, after, "a reply moves the case's version on");
        let queue = site.page("/staff?queue=all&sort=oldest", &staff).await;
        assert!(queue.body.contains("data-live-url=\"/staff?queue=all&#38;sort=oldest\""), "the queue polls itself, filters kept");
        assert!(queue.body.contains("data-live=\"queue\""));
        // A refused form is shown at its POST address; the page still polls the case's own.
        let refused = site.post_form(&format!("/staff/cases/{reference}/comment"), &staff, &[("csrf_token", CSRF), ("body", " "), ("visibility", "public")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains(&format!("data-live-url=\"/staff/cases/{reference}\"")));
    }
}
