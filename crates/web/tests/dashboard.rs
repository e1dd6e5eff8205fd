//! The staff dashboard: its figures are the KPI engine's, it is drawn in both languages with
//! a table beside every chart, it links its figures to the cases behind them, and it is
//! shown only to staff who may read their entity's KPIs. Each check runs on SQLite and
//! PostgreSQL.

mod support;
use support::*;
use tawasul_app::identity::auth::Caller;
use tawasul_app::kpis::KpiQuery;

on_both! { site;
    async fn the_dashboard_shows_the_engines_figures_in_both_languages(site: &Site) {
        let f = Fixtures::new(&site.app).await;
        f.staff("cap.agent", Role::Agent, Some("cap")).await;
        f.entity("mun", "البلدية", "Municipality", "municipality").await;
        f.staff("mun.supervisor", Role::Supervisor, Some("mun")).await;
        for description in ["تسرب مياه أمام المدرسة", "تسرب مياه في الشارع الرئيسي", "انقطاع المياه عن الحي"] {
            report(site, description).await;
        }
        let staff = staff_cookie(site).await;
        let page = site.page("/staff/dashboard", &staff).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("dir=\"rtl\""), "Arabic first");
        assert!(page.body.contains("لوحة الأداء"));

        // The card of cases received says what the engine says.
        let supervisor = site.app.authenticate(Some(staff.trim_start_matches("tawasul_session="))).await.expect("session");
        assert!(matches!(supervisor, Caller::Staff(_)));
        let report = site.app.kpis(&supervisor, KpiQuery::default()).await.expect("kpis");
        let volume = report.groups[0].kpis.iter().find(|k| k.key == "volume").and_then(|k| k.value);
        assert_eq!(volume, Some(3.0));
        let card = page.body.find("البلاغات الواردة</span>").expect("the volume card");
        assert!(page.body[card..card + 120].contains("<strong class=\"kpi-value\">3</strong>"), "{}", &page.body[card..card + 120]);

        // Charts are images with a title, each with its table; the service links to its cases.
        let charts = page.body.matches("<svg ").count();
        assert!(charts >= 7, "{charts} charts");
        assert_eq!(page.body.matches("role=\"img\"").count(), charts);
        assert_eq!(page.body.matches("<details class=\"chart-data\">").count(), charts);
        let links = page.body.replace("&#x3d;", "=").replace("&#38;", "&");
        assert!(links.contains("/staff?queue=entity&from="), "drill-down to the queue");
        assert!(links.contains("&service=water-leak"), "the service's figure opens its cases");

        let english = site.page("/staff/dashboard?lang=en&group_by=channel", &staff).await;
        assert_eq!(english.status, StatusCode::OK);
        assert!(english.body.contains("dir=\"ltr\""));
        assert!(english.body.contains("Performance dashboard"));
        assert!(english.body.replace("&#x3d;", "=").contains("channel=web"), "grouped by channel, each channel opens its cases");

        // Another entity's supervisor sees their own entity's figures, with nothing of ours.
        let other = site.staff_cookie("mun.supervisor", PASSWORD).await;
        let theirs = site.page("/staff/dashboard?lang=en", &other).await;
        assert_eq!(theirs.status, StatusCode::OK);
        let card = theirs.body.find("Cases received</span>").expect("the volume card");
        assert!(theirs.body[card..card + 120].contains(">0</strong>"), "{}", &theirs.body[card..card + 120]);
        let asked = site.page("/staff/dashboard?entity=cap", &other).await;
        assert_eq!(asked.status, StatusCode::FORBIDDEN, "not another entity's figures");
    }

    async fn the_dashboard_refuses_what_it_cannot_show(site: &Site) {
        let f = Fixtures::new(&site.app).await;
        f.staff("cap.agent", Role::Agent, Some("cap")).await;
        let staff = staff_cookie(site).await;
        for (query, why) in [
            ("from=2026-13-01", "a month that does not exist"),
            ("from=yesterday", "not a date"),
            ("from=2026-05-02&to=2026-05-01", "a period that ends before it starts"),
            ("from=2010-01-01&to=2026-01-01", "a period too long"),
            ("group_by=%3Cscript%3E", "an unknown grouping"),
        ] {
            let page = site.page(&format!("/staff/dashboard?{query}"), &staff).await;
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{why}");
            assert!(!page.body.contains("<script>"), "{why}: the input is not echoed as markup");
        }
        let unknown = site.page("/staff/dashboard?entity=nowhere", &staff).await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        let agent = site.staff_cookie("cap.agent", PASSWORD).await;
        assert_eq!(site.page("/staff/dashboard", &agent).await.status, StatusCode::FORBIDDEN);
        let anonymous = site.page("/staff/dashboard", "").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "to the sign-in page");
    }
}

on_both! { site;
    async fn the_public_page_shows_whole_groups_and_no_one_in_them(site: &Site) {
        for description in ["تسرب مياه أمام المدرسة", "تسرب مياه في الشارع", "تسرب مياه قرب المسجد"] {
            report(site, description).await;
        }
        let page = site.page("/dashboard", "").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("dir=\"rtl\""));
        let cache = page.headers.get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(cache, "public, max-age=60");
        let entities = page.body.find("id=\"entities-section\"").expect("the entities' section");
        let services = page.body.find("id=\"services-section\"").expect("the services' section");
        assert!(page.body[entities..services].contains("<td>3</td>"), "three cases received");
        let table = |body: &str| -> String {
            let at = body.find("id=\"services-table\"").expect("the services' table");
            body[at..].split("</tbody>").next().unwrap_or_default().to_owned()
        };
        let service_rows = table(&page.body).matches("<th scope=\"row\">").count();
        assert_eq!(service_rows, 0, "a service with fewer than 5 cases is not shown apart");

        for description in ["تسرب مياه رابع", "تسرب مياه خامس"] {
            report(site, description).await;
        }
        // Another period than the one kept a minute: today and yesterday.
        let today = chrono::Utc::now().date_naive();
        let period = format!("from={}&to={today}", today.pred_opt().expect("as written in the test"));
        let english = site.page(&format!("/dashboard?lang=en&{period}"), "").await;
        assert_eq!(english.status, StatusCode::OK);
        assert!(english.body.contains("dir=\"ltr\""));
        let services = table(&english.body);
        assert_eq!(services.matches("<th scope=\"row\">").count(), 1, "{services}");
        assert!(services.contains("<td>5</td>"));
        for private in ["فاطمة", "TW-", "/staff/cases/", "/track/"] {
            assert!(!english.body.contains(private), "{private} on the public page");
        }

        for bad in ["from=2026-02-30", "to=soon", "from=2026-05-02&to=2026-05-01"] {
            let refused = site.page(&format!("/dashboard?{bad}"), "").await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}

on_both! { site_on_thursday_noon;
    async fn the_oversight_ranks_every_entity_and_a_missed_target_is_told_once(site: &Site) {
        let f = Fixtures::new(&site.app).await;
        f.entity("mun", "البلدية", "Municipality", "municipality").await;
        let admin = site.staff_cookie(tawasul_testkit::fixtures::ADMIN, PASSWORD).await;
        let Caller::Staff(platform) = site.app.authenticate(Some(admin.trim_start_matches("tawasul_session="))).await.expect("session") else {
            panic!("a staff session")
        };
        let director = tawasul_app::organisation::admin::NewStaff {
            username: "cap.director".into(),
            display_name: "مدير الجهة".into(),
            email: "director@cap.example".into(),
            entity: "cap".into(),
            role: "admin".into(),
            password: PASSWORD.into(),
            ..Default::default()
        };
        site.app.create_staff(&platform, director).await.expect("an administrator of the capital");
        for description in ["تسرب مياه أمام المدرسة", "تسرب مياه في الشارع"] {
            report(site, description).await;
        }

        let page = site.page("/staff/oversight?lang=en&from=2026-11-01&to=2026-11-30", &admin).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let table = page.body.split("id=\"oversight-table\"").nth(1).expect("the table");
        assert_eq!(table.matches("<th scope=\"row\">").count(), 2, "both entities, side by side");
        let links = table.replace("&#x3d;", "=").replace("&amp;", "&").replace("&#38;", "&");
        assert!(links.contains("/staff/dashboard?entity=cap&from=2026-11-01&to=2026-11-30"), "{links}");
        assert!(table.contains("class=\"kpi-missed\""), "nothing closed yet: a missed target");
        let supervisor = staff_cookie(site).await;
        assert_eq!(site.page("/staff/oversight", &supervisor).await.status, StatusCode::FORBIDDEN, "an entity's own staff");

        // In November nothing is told about November; in December it is, once.
        assert_eq!(site.app.alert_missed_kpis().await.expect("watch"), 0, "October had no case");
        site.advance(chrono::Duration::days(14));
        let told = site.app.alert_missed_kpis().await.expect("watch");
        assert!(told >= 1, "the capital missed its closure target in November");
        let notices: Vec<_> = site.store.outbox(50).await.expect("outbox").into_iter().filter(|n| n.template == "kpi_missed").collect();
        assert_eq!(notices.len(), told, "one notice per missed target");
        assert!(notices.iter().all(|n| n.recipient == "director@cap.example"));
        assert!(notices.iter().any(|n| n.payload.contains("\"kpi\":\"closure_rate\"") && n.payload.contains("\"period\":\"2026-11\"")));
        assert_eq!(site.app.alert_missed_kpis().await.expect("watch"), 0, "told once");

        // November's report, as a page and as a PDF, in both languages (signed in again: a
        // fortnight has passed).
        let supervisor = staff_cookie(site).await;
        let page = site.page("/staff/report?month=2026-11", &supervisor).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("تقرير الأداء الشهري"));
        assert!(page.body.contains("class=\"kpi-missed\""), "the missed closure target");
        assert!(page.body.contains("/staff/report.pdf?"));
        for lang in ["ar", "en"] {
            let response = site.client.get(format!("{}/staff/report.pdf?month=2026-11&lang={lang}", site.base)).header(COOKIE, &supervisor).send().await.expect("pdf");
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
            let bytes = response.bytes().await.expect("body");
            assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 10_000, "{lang}: a PDF with its text drawn, {} bytes", bytes.len());
        }
        for bad in ["month=2026-13", "month=november", "month=2026-11-01"] {
            assert_eq!(site.page(&format!("/staff/report?{bad}"), &supervisor).await.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let other = site.page("/staff/report?entity=mun", &supervisor).await;
        assert_eq!(other.status, StatusCode::FORBIDDEN, "another entity's report");
        assert_eq!(site.store.outbox(50).await.expect("outbox").iter().filter(|n| n.template == "kpi_missed").count(), told);
    }
}
