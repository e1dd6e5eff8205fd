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
        assert!(page.body[card..card + 400].contains(">3</a></strong>"), "{}", &page.body[card..card + 400]);

        // Charts are images with a title, each with its table; the service links to its cases.
        let charts = page.body.matches("<svg ").count();
        assert!(charts >= 7, "{charts} charts");
        assert_eq!(page.body.matches("role=\"img\"").count(), charts);
        assert_eq!(page.body.matches("<details class=\"chart-data\">").count(), charts);
        let links = page.body.replace("&#x3d;", "=").replace("&#38;", "&");
        assert!(links.contains("/staff?queue=all&from="), "drill-down to the queue");
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
        assert!(theirs.body[card..card + 400].contains(">0</a></strong>"), "{}", &theirs.body[card..card + 400]);
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
        // Another period than the one kept a minute: today and yesterday, in the days the figures
        // count in (Bahrain's, UTC+3 all year: from 21:00 UTC its today is UTC's tomorrow).
        let today = (chrono::Utc::now() + chrono::TimeDelta::hours(3)).date_naive();
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

/// Markup's escapes undone in a link (`&#x3d;`, `&#38;`, `&amp;`, …).
fn unescape(href: &str) -> String {
    let mut out = String::new();
    let mut rest = href;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').map(|e| at + e).expect("an entity ends with ;");
        let entity = &rest[at + 1..end];
        let c = match entity {
            "amp" => '&',
            "quot" => '"',
            "lt" => '<',
            "gt" => '>',
            _ => {
                let code = entity.trim_start_matches('#');
                let n = match code.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => code.parse(),
                };
                char::from_u32(n.expect("a numeric escape")).expect("a character")
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The link and figure of each row of the table of groups: `(label, href, volume)`.
fn group_rows(body: &str) -> Vec<(String, Option<String>, String)> {
    let mut out = Vec::new();
    // The table of groups is the last table before the backlog's section.
    let before = body.find("id=\"backlog-section\"").expect("the backlog's section");
    let table = body[..before]
        .rfind("<table class=\"queue\">")
        .expect("the table of groups");
    let mut rest = &body[table..table + body[table..].find("</table>").expect("its end")];
    while let Some(at) = rest.find("<th scope=\"row\">") {
        rest = &rest[at + 16..];
        let head = &rest[..rest.find("</th>").expect("end of the row's head")];
        let (label, href) = match head.strip_prefix("<a href=\"") {
            Some(link) => {
                let end = link.find('"').expect("end of the link");
                let label_at = link.find('>').expect("the link's text") + 1;
                let label = link[label_at..link.find("</a>").expect("the link's end")].to_owned();
                (label, Some(unescape(&link[..end])))
            }
            None => (head.to_owned(), None),
        };
        let cell = &rest[rest.find("<td").expect("the volume cell")..];
        let value = &cell[cell.find('>').expect("cell") + 1..cell.find("</td>").expect("cell end")];
        out.push((label, href, value.to_owned()));
    }
    out
}

/// The references the queue page at `href` lists.
async fn queue_cases(site: &Site, href: &str, cookie: &str) -> Vec<String> {
    let page = site.page(href, cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{href}: {}", page.body);
    assert!(
        !page.body.contains("class=\"field-error\""),
        "{href}: refused: {}",
        page.body
    );
    page.body
        .match_indices("<a href=\"/staff/cases/")
        .map(|(at, m)| {
            let start = at + m.len();
            page.body[start..start + page.body[start..].find('"').expect("end")].to_owned()
        })
        .collect()
}

on_both! { site_on_thursday_noon;
    async fn every_figure_opens_the_queue_of_exactly_its_cases(site: &Site) {
        let f = Fixtures::new(&site.app).await;
        f.staff("cap.officer", Role::Officer, Some("cap")).await;
        for description in ["تسرب مياه أمام المدرسة", "تسرب مياه في الشارع الرئيسي", "انقطاع المياه عن الحي"] {
            report(site, description).await;
        }
        // An English report through the API, assigned to the officer.
        let (english, _) = site
            .submit(json!({"service": "water-leak", "kind": "report", "language": "en", "description": "A leak by the school",
                           "answers": {"depth": 3}}))
            .await;
        let token = site.login("cap.supervisor", PASSWORD).await;
        let (status, body) = site
            .api_post(&format!("/api/v1/cases/{english}/transitions"), Some(&token),
                      json!({"action": "assign", "department": "water", "assignee": "cap.officer"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let staff = staff_cookie(site).await;

        // The volume card opens the period's four cases; the backlog card the open ones.
        let page = site.page("/staff/dashboard?lang=en", &staff).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for (title, want) in [("Cases received</span>", 4), ("Open now</span>", 4)] {
            let card = page.body.find(title).unwrap_or_else(|| panic!("the card {title}"));
            let link = &page.body[card..];
            let start = link.find("<a href=\"").expect("the card's link") + 9;
            let href = unescape(&link[start..start + link[start..].find('"').expect("end")]);
            let figure: usize = link[start..][link[start..].find('>').expect(">") + 1..link[start..].find("</a>").expect("</a>")]
                .parse()
                .expect("a count");
            assert_eq!(figure, want, "{title}");
            let cases = queue_cases(site, &href, &staff).await;
            assert_eq!(cases.len(), figure, "{title}: {href} lists {cases:?}");
        }

        // Each row of each breakdown opens as many cases as its volume says, and no other.
        let mut seen_rows = 0;
        for group_by in ["service", "channel", "department", "employee", "kind", "area", "language"] {
            let page = site.page(&format!("/staff/dashboard?lang=en&group_by={group_by}"), &staff).await;
            assert_eq!(page.status, StatusCode::OK, "{group_by}: {}", page.body);
            let rows = group_rows(&page.body);
            let mut total = 0;
            for (label, href, volume) in rows {
                let href = href.unwrap_or_else(|| panic!("{group_by}: the row {label} has no link"));
                let volume: usize = volume.parse().unwrap_or_else(|_| panic!("{group_by}: {label}: {volume}"));
                let cases = queue_cases(site, &href, &staff).await;
                assert_eq!(cases.len(), volume, "{group_by}: {label}: {href} lists {cases:?}");
                total += volume;
                seen_rows += 1;
                if group_by == "employee" && href.contains("assignee=cap.officer") {
                    assert_eq!(cases, vec![english.clone()], "the officer's one case");
                }
                if group_by == "language" && href.contains("language=en") {
                    assert_eq!(cases, vec![english.clone()], "the English case");
                }
            }
            assert_eq!(total, 4, "{group_by}: the rows cover every case once");
        }
        assert!(seen_rows >= 9, "{seen_rows} rows followed");
    }

    async fn the_queue_page_filters_by_the_new_dimensions_and_keeps_them(site: &Site) {
        let f = Fixtures::new(&site.app).await;
        f.staff("cap.officer", Role::Officer, Some("cap")).await;
        report(site, "تسرب مياه أمام المدرسة").await;
        let (english, _) = site
            .submit(json!({"service": "water-leak", "kind": "report", "language": "en", "description": "A leak by the school",
                           "answers": {"depth": 3}}))
            .await;
        let staff = staff_cookie(site).await;
        for (lang, labels) in [
            ("ar", ["القسم", "المكلَّف", "النوع", "اللغة", "لا أحد"]),
            ("en", ["Department", "Assigned to", "Kind", "Language", "Nobody"]),
        ] {
            let page = site.page(&format!("/staff?queue=all&lang={lang}"), &staff).await;
            assert_eq!(page.status, StatusCode::OK);
            for label in labels {
                assert!(page.body.contains(label), "{lang}: {label}");
            }
            for name in ["department", "assignee", "kind", "language"] {
                assert!(page.body.contains(&format!("<select id=\"f-{name}\" name=\"{name}\">")), "{lang}: {name}");
            }
        }
        let query = "queue=all&kind=report&language=en&assignee=none&department=water";
        let cases = queue_cases(site, &format!("/staff?{query}"), &staff).await;
        assert_eq!(cases, vec![english.clone()]);
        assert!(queue_cases(site, "/staff?queue=all&kind=report&language=ar", &staff).await.is_empty());
        // The tabs keep the filters, as the pages' links do.
        let page = site.page(&format!("/staff?{query}"), &staff).await;
        let kept = unescape(&page.body);
        let tab = kept.find("/staff?queue=triage").expect("the triage tab");
        let tab = &kept[tab..tab + kept[tab..].find('"').expect("end")];
        for pair in ["kind=report", "language=en", "assignee=none", "department=water"] {
            assert!(tab.contains(pair), "{tab} keeps {pair}");
        }
        // A value that names nothing is said, not shown as an empty queue.
        let page = site.page("/staff?queue=all&area=north&lang=en", &staff).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Choose an area from the list."), "{}", page.body);
    }
}
