//! QR service points end to end (harness in `support`): administrators add and import points
//! and print their codes; a resident scanning one gets the report form prefilled and the case
//! carries the point; the staff console filters and counts by point. Each check runs as
//! `<name>::sqlite` and `<name>::postgres`.

mod support;
use support::*;

const POINTS: &str = "/staff/admin/entities/cap/points";

async fn cap_admin(site: &Site) -> String {
    let f = Fixtures::new(&site.app).await;
    f.entity("mun", "البلدية", "Municipality", "municipality").await;
    f.staff("cap.admin", Role::Admin, Some("cap")).await;
    f.staff("mun.admin", Role::Admin, Some("mun")).await;
    site.staff_cookie("cap.admin", PASSWORD).await
}

async fn cap_points(site: &Site) -> Vec<PointRow> {
    let cap = site.store.entity_by_code("cap").await.expect("read").expect("cap");
    site.store.points(Some(cap.id)).await.expect("points")
}

fn add_form<'a>(name_ar: &'a str, lat: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", CSRF),
        ("name_ar", name_ar),
        ("name_en", "Street light 1042"),
        ("service", "water-leak"),
        ("lat", lat),
        ("lon", "50.58"),
        ("asset_kind", "street-light"),
        ("code", code),
    ]
}

async fn import(site: &Site, cookie: &str, csv: &str) -> Page {
    site.post_form(
        &format!("{POINTS}/import"),
        cookie,
        &[("csrf_token", CSRF), ("csv", csv)],
    )
    .await
}

/// A point added through the use case, as `tawasul point add` does.
async fn point(site: &Site, code: &str) -> PointRow {
    site.app
        .add_point_as_operator(tawasul_domain::points::PointDraft {
            code: Some(code.into()),
            entity: "cap".into(),
            service: "water-leak".into(),
            name_ar: "صمام الحديقة".into(),
            name_en: Some("Park valve".into()),
            lat: 26.2235,
            lon: 50.5876,
            asset_kind: Some("valve".into()),
        })
        .await
        .expect("the point is added")
}

fn point_report(description: &str) -> Form {
    report_form(CSRF, description)
        .text("answers.depth", "2")
        .text("lat", "26.2235")
        .text("lon", "50.5876")
}

on_both! { site;
    async fn an_admin_adds_a_point_with_arabic_digits_and_a_code_is_made(site: &Site) {
        let admin = cap_admin(site).await;
        let empty = site.page(POINTS, &admin).await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
        assert!(has_csp(&empty) && empty.body.contains("id=\"add-point\""));
        let added = site.post_form(POINTS, &admin, &add_form("عمود إنارة ١٠٤٢", "٢٦٫٢", "")).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let points = cap_points(site).await;
        assert_eq!(points.len(), 1);
        let p = &points[0];
        assert_eq!((p.name_ar.as_str(), p.lat, p.service_code.as_str(), p.asset_kind.as_deref()), ("عمود إنارة ١٠٤٢", 26.2, "water-leak", Some("street-light")));
        assert_eq!(p.code.len(), 8, "a generated code: {}", p.code);
        let list = site.page(&added.location(), &admin).await;
        assert!(list.body.contains(&format!("id=\"point-{}\"", p.code)) && list.body.contains("عمود إنارة ١٠٤٢"));
        let audit = audit_of_test(&site.store, 10).await;
        assert!(audit.iter().any(|a| a.action == "add_point" && a.target == "entity:cap"));
    }

    async fn hostile_or_bad_points_are_refused_beside_their_field_or_shown_inert(site: &Site) {
        let admin = cap_admin(site).await;
        let bidi = site.post_form(POINTS, &admin, &add_form("exe.\u{202E}txt", "26.2", "")).await;
        assert_eq!(bidi.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bidi.body);
        assert!(bidi.body.contains("id=\"f-name_ar-error\""), "the error is beside the name");
        let far = site.post_form(POINTS, &admin, &add_form("عمود", "91", "")).await;
        assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(far.body.contains("id=\"f-lat-error\""));
        let words = site.post_form(POINTS, &admin, &add_form("عمود", "north", "")).await;
        assert_eq!(words.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bad_code = site.post_form(POINTS, &admin, &add_form("عمود", "26.2", "../../etc")).await;
        assert_eq!(bad_code.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_code.body.contains("id=\"f-code-error\""));
        assert!(cap_points(site).await.is_empty(), "nothing refused was kept");
        let script = "<script>alert(1)</script>";
        let added = site.post_form(POINTS, &admin, &add_form(script, "26.2", "sl-1")).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "a name is text, whatever it says");
        let list = site.page(POINTS, &admin).await;
        assert!(!list.body.contains(script) && (list.body.contains("&#60;script&#62;alert(1)") || list.body.contains("&lt;script&gt;alert(1)")), "the name is shown as text");
        let again = site.post_form(POINTS, &admin, &add_form("عمود آخر", "26.2", "SL-1")).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "a code is taken whatever its case");
        assert_eq!(cap_points(site).await.len(), 1);
        let svg = site.page(&format!("{POINTS}/sl-1/qr/svg"), &admin).await;
        assert_eq!(svg.status, StatusCode::OK);
        assert_eq!(svg.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("image/svg+xml"));
        assert!(!svg.body.contains(script) && svg.body.contains("&lt;script&gt;"), "the SVG's title is escaped");
    }

    async fn an_import_adds_every_row_or_none_and_names_the_bad_line(site: &Site) {
        let admin = cap_admin(site).await;
        let good = "service,name_ar,name_en,lat,lon,asset_kind,code\n\
                    water-leak,صمام ١,Valve 1,26.21,50.58,valve,v-1\n\
                    water-leak,\"صمام ٢، الحديقة\",Valve 2,٢٦٫٢٢,50.59,,v-2\n\
                    water-leak,صمام ٣,,26.23,50.60,valve,\n";
        let page = import(site, &admin, good).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let points = cap_points(site).await;
        let names: Vec<&str> = points.iter().map(|p| p.name_ar.as_str()).collect();
        assert_eq!(names, ["صمام ١", "صمام ٢، الحديقة", "صمام ٣"]);
        assert_eq!((points[1].lat, points[2].name_en.as_str(), points[1].asset_kind.as_deref()), (26.22, "صمام ٣", None));
        let cases: [(&str, &str); 9] = [
            ("repeated", good),
            ("bad row", "service,name_ar,lat,lon,code\nwater-leak,أ,26.2,50.5,n-1\nwater-leak,ب,26.2,500,n-2\n"),
            ("other entity", "entity,service,name_ar,lat,lon\ncap,water-leak,أ,26.2,50.5\nmun,water-leak,ب,26.2,50.5\n"),
            ("unknown service", "service,name_ar,lat,lon\nwater-leak,أ,26.2,50.5\nno-such,ب,26.2,50.5\n"),
            ("bidi", "service,name_ar,lat,lon\nwater-leak,أ,26.2,50.5\nwater-leak,\"exe.\u{202E}txt\",26.2,50.5\n"),
            ("ragged", "service,name_ar,lat,lon\nwater-leak,أ,26.2,50.5\nwater-leak,ب,26.2\n"),
            ("twice in the file", "service,name_ar,lat,lon,code\nwater-leak,أ,26.2,50.5,d-1\nwater-leak,ب,26.2,50.5,d-1\n"),
            ("unknown column", "service,name_ar,lat,lon,=cmd|' /C calc'!A0\nwater-leak,أ,26.2,50.5,x\n"),
            ("no rows", "service,name_ar,lat,lon\n"),
        ];
        for (what, csv) in cases {
            let refused = import(site, &admin, csv).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", refused.body);
            assert!(refused.body.contains("id=\"f-csv-error\""), "{what}: the problem is beside the text");
            if !matches!(what, "unknown column" | "no rows") {
                let line = if what == "repeated" { "line 2" } else { "line 3" };
                assert!(refused.body.contains(line), "{what}: the message names {line}");
            }
        }
        assert_eq!(cap_points(site).await.len(), 3, "no refused import added anything");
        // Larger than an import reads: refused whole, with its size.
        let mut big = String::from("service,name_ar,lat,lon\n");
        while big.len() <= tawasul_app::catalogue::points::MAX_IMPORT_BYTES {
            big.push_str("water-leak,عمود إنارة في الطريق,26.2,50.5\n");
        }
        let refused = site.app.import_points_as_operator(Some("cap"), big.as_bytes()).await;
        let invalid = refused.err().and_then(|e| tawasul_app::InputRefused::into_invalid(e).ok()).expect("refused as input");
        assert_eq!(invalid.code, "import_too_large");
        let not_utf8 = site.app.import_points_as_operator(Some("cap"), b"service,name_ar,lat,lon\nwater-leak,\xff\xfe,26.2,50.5\n").await;
        let invalid = not_utf8.err().and_then(|e| tawasul_app::InputRefused::into_invalid(e).ok()).expect("refused");
        assert_eq!(invalid.code, "invalid_encoding");
        assert!(invalid.message.contains("line 2"), "{}", invalid.message);
        assert_eq!(cap_points(site).await.len(), 3);
    }

    async fn printable_codes_come_one_by_one_and_as_a_sheet_for_the_points_admins_only(site: &Site) {
        let admin = cap_admin(site).await;
        point(site, "pv-1").await;
        point(site, "pv-2").await;
        let png = site.client.get(site.url(&format!("{POINTS}/pv-1/qr/png"))).header(COOKIE, admin.as_str()).send().await.expect("png");
        assert_eq!(png.status(), StatusCode::OK);
        assert_eq!(png.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
        let bytes = png.bytes().await.expect("body");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let sheet = site.client.get(site.url(&format!("{POINTS}/sheet"))).header(COOKIE, admin.as_str()).send().await.expect("pdf");
        assert_eq!(sheet.status(), StatusCode::OK);
        let pdf = sheet.bytes().await.expect("body");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        for code in ["pv-1", "pv-2"] {
            assert!(text.contains(&format!("/p/{code})")), "the sheet links {code}");
        }
        assert_eq!(site.page(&format!("{POINTS}/pv-1/qr/gif"), &admin).await.status, StatusCode::NOT_FOUND);
        assert_eq!(site.page(&format!("{POINTS}/nope/qr/png"), &admin).await.status, StatusCode::NOT_FOUND);
        let other = site.staff_cookie("mun.admin", PASSWORD).await;
        for path in [POINTS.to_owned(), format!("{POINTS}/pv-1/qr/png"), format!("{POINTS}/sheet")] {
            let page = site.page(&path, &other).await;
            assert!(matches!(page.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{path}: {}", page.status);
        }
        let forged = site.post_form(POINTS, &other, &add_form("عمود", "26.2", "x-1")).await;
        assert!(matches!(forged.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", forged.status);
        assert_eq!(cap_points(site).await.len(), 2);
    }

    async fn scanning_a_point_opens_the_form_prefilled_and_the_case_carries_the_point(site: &Site) {
        let p = point(site, "pv-1").await;
        let form = site.page("/p/pv-1", "").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(form.body.contains("action=\"/p/pv-1\""), "the form posts to the point");
        assert!(form.body.contains("صمام الحديقة") && form.body.contains("data-point=\"pv-1\""));
        assert!(form.body.contains("value=\"26.2235\"") && form.body.contains("value=\"50.5876\""), "its location is filled in");
        assert!(form.body.contains("تسرب مياه"), "it is the point's service's form");
        for missing in ["/p/nope", "/p/..%2F..%2Fetc", "/p/%3Cscript%3E"] {
            assert_eq!(site.page(missing, "").await.status, StatusCode::NOT_FOUND, "{missing}");
        }
        let sent = site.post_multipart("/p/pv-1", point_report("الصمام يسرب الماء")).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let reference = sent.location().trim_start_matches("/submitted/").split('?').next().expect("reference").to_owned();
        let case = site.store.case_by_reference(&reference).await.expect("read").expect("case");
        assert_eq!((case.point_id, case.service_code.as_str(), case.lat), (Some(p.id), "water-leak", Some(26.2235)));
        let events = site.store.events(case.id).await.expect("events");
        assert!(events[0].details.contains("\"point\":\"pv-1\""), "{}", events[0].details);
        // A refused report from the point comes back as the point's form.
        let refused = site.post_multipart("/p/pv-1", point_report("")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("action=\"/p/pv-1\"") && refused.body.contains("data-point=\"pv-1\""));
        let plain = report(site, "تسرب بعيد عن النقطة").await;
        assert!(plain.starts_with("/track/"));
        assert_eq!(cap_points_count(site, "pv-1").await, 1, "only the report from the point counts");
    }

    async fn the_staff_console_filters_by_point_and_shows_each_points_count(site: &Site) {
        point(site, "pv-1").await;
        point(site, "pv-2").await;
        let mut at_first = vec![];
        for text in ["الصمام الأول يسرب", "الصمام الأول ما زال يسرب"] {
            let sent = site.post_multipart("/p/pv-1", point_report(text)).await;
            assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
            at_first.push(sent.location().trim_start_matches("/submitted/").split('?').next().expect("ref").to_owned());
        }
        let sent = site.post_multipart("/p/pv-2", point_report("الصمام الثاني يسرب")).await;
        let at_second = sent.location().trim_start_matches("/submitted/").split('?').next().expect("ref").to_owned();
        let elsewhere = report(site, "تسرب في مكان آخر").await;
        assert!(elsewhere.starts_with("/track/"));
        let supervisor = site.staff_cookie("cap.supervisor", PASSWORD).await;
        let all = site.page("/staff?queue=all", &supervisor).await;
        assert_eq!(all.status, StatusCode::OK);
        assert!(all.body.contains("id=\"f-point\""), "the filter offers the points");
        assert!(all.body.contains("صمام الحديقة (2)") && all.body.contains("صمام الحديقة (1)"), "each point with its count");
        let filtered = site.page("/staff?queue=all&point=pv-1", &supervisor).await;
        assert_eq!(filtered.status, StatusCode::OK);
        for reference in &at_first {
            assert!(filtered.body.contains(reference.as_str()), "{reference} is listed");
        }
        assert!(!filtered.body.contains(at_second.as_str()), "a case of another point is not");
        let unknown = site.page("/staff?queue=all&point=nope", &supervisor).await;
        assert_eq!(unknown.status, StatusCode::OK);
        assert!(unknown.body.contains("role=\"alert\""), "an unknown point is said, not ignored");
        assert_eq!(cap_points_count(site, "pv-1").await, 2);
        assert_eq!(cap_points_count(site, "pv-2").await, 1);
    }
}

async fn cap_points_count(site: &Site, code: &str) -> i64 {
    site.store
        .point_by_code(code)
        .await
        .expect("read")
        .expect("point")
        .case_count
}
