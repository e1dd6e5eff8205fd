//! Exports of cases (issue 16, §4): the staff's CSV and XLSX read back with the `csv` and
//! `calamine` crates, the open-data file in NYC 311's columns, who may export what, masking by
//! role, filters, hostile cells and bad input, the staff console's page and the operator's
//! export of many pages. Every test runs on SQLite and on PostgreSQL.

use calamine::{Data, DataType, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;
use tawasul_app::cases::export::ExportQuery;
use tawasul_app::cases::views::{mask_name, mask_phone};
use tawasul_domain::export::{NYC311_COLUMNS, STAFF_COLUMNS};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const NAME: &str = "فاطمة أحمد";
const PHONE: &str = "+97333001234";
const EMAIL: &str = "fatima@example.bh";
/// Descriptions a spreadsheet would run as formulas, were they left as they are.
const HOSTILE: [&str; 6] = [
    "=HYPERLINK(\"http://evil.example\",\"اضغط\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
];
const START: &str = "2026-03-01T08:00:00Z";

/// Two entities with a service each; staff of `cap` who see the reporter (officer) and who
/// see them masked (inspector), an officer of `mun`, and a platform administrator.
async fn exports(backend: Backend) -> TestApp {
    let t = spawn(Options {
        clock_starts: Some(START.parse().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    for (code, service) in [("cap", "cap-lights"), ("mun", "mun-roads")] {
        f.entity(code, "محافظة العاصمة", "Capital Governorate", "governorate")
            .await;
        f.department(code, "ops", "العمليات", "Operations").await;
        f.service(ServiceSpec {
            entity: code,
            code: service,
            name: ("إنارة الشوارع", "Street lighting"),
            description: ("", ""),
            kinds: &["complaint", "report", "suggestion"],
            department: "ops",
            fields: json!([]),
        })
        .await;
    }
    f.staff("cap.officer", Role::Officer, Some("cap")).await;
    f.staff("cap.inspector", Role::Inspector, Some("cap")).await;
    f.staff("mun.officer", Role::Officer, Some("mun")).await;
    f.staff("root", Role::Admin, None).await;
    t
}

fn case(service: &str, kind: &str, description: &str) -> Value {
    json!({
        "service": service,
        "kind": kind,
        "description": description,
        "location": {"lat": 26.228_516, "lon": 50.586_049},
        "address": "منزل فاطمة، مجمع 304",
        "reporter": {"name": NAME, "phone": "+973 3300 1234", "email": EMAIL, "language": "ar"}
    })
}

/// Submits cases a day apart: `cap` an Arabic report, six hostile complaints and a suggestion;
/// `mun` one report. Returns the references of `cap`'s in order.
async fn fill(t: &TestApp) -> Vec<String> {
    let mut cap = vec![t.submit(case("cap-lights", "report", "الإنارة معطلة في الشارع")).await.0];
    t.advance(chrono::Duration::days(1));
    for text in HOSTILE {
        cap.push(t.submit(case("cap-lights", "complaint", text)).await.0);
    }
    t.advance(chrono::Duration::days(1));
    cap.push(
        t.submit(case("cap-lights", "suggestion", "اقتراح: أعمدة بالطاقة الشمسية"))
            .await
            .0,
    );
    t.submit(case("mun-roads", "report", "حفرة في الطريق")).await;
    cap
}

async fn download(t: &TestApp, token: Option<&str>, query: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = t.client.get(t.url(&format!("/api/v1/exports/cases?{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("body").to_vec())
}

/// The CSV's header and rows, after checking that it starts with the UTF-8 BOM.
fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a UTF-8 BOM first, for Excel");
    let mut reader = csv::Reader::from_reader(body);
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a well-formed record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn refused(status: StatusCode, body: &[u8]) -> (StatusCode, String, String) {
    let error: Value = serde_json::from_slice(body).expect("a JSON error");
    (
        status,
        error["error"]["code"].as_str().unwrap_or_default().to_owned(),
        error["error"]["field"].as_str().unwrap_or_default().to_owned(),
    )
}

on_both! { exports;
    async fn csv_reads_back_with_arabic_masking_by_role_and_neutralised_cells(t: &TestApp) {
        let cap = fill(t).await;
        let officer = t.login("cap.officer", PASSWORD).await;
        let (status, headers, body) = download(t, Some(&officer), "format=csv").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert!(headers["content-disposition"].to_str().expect("ascii").contains("tawasul-cases.csv"));
        assert_eq!(headers["cache-control"], "no-store");
        let (header, rows) = read_csv(&body);
        assert_eq!(header, STAFF_COLUMNS);
        let reference = column(&header, "reference");
        let exported: Vec<&str> = rows.iter().map(|r| r[reference].as_str()).collect();
        assert_eq!(exported, cap, "the entity's cases, oldest first, and no other entity's");
        let at = |name: &str| column(&header, name);
        assert_eq!(rows[0][at("description")], "الإنارة معطلة في الشارع");
        assert_eq!(rows[0][at("service_name_ar")], "إنارة الشوارع");
        assert_eq!(rows[0][at("entity")], "cap");
        assert_eq!(rows[0][at("status")], "new");
        assert_eq!(rows[0][at("latitude")], "26.228516");
        // Bahrain's clock (the default calendar), three hours ahead of UTC.
        assert_eq!(rows[0][at("created_at")], "2026-03-01 11:00:00");
        assert_eq!(rows[0][at("closed_at")], "");
        assert_eq!(rows[0][at("reporter_name")], NAME);
        assert_eq!(rows[0][at("reporter_phone")], PHONE);
        assert_eq!(rows[0][at("reporter_email")], EMAIL);
        // Intake trims a description's leading white space (the domain's unit test covers a tab
        // and a carriage return at a cell's start).
        for (row, text) in rows[1..7].iter().zip(HOSTILE) {
            assert_eq!(row[at("description")], format!("'{}", text.trim_start()), "a formula opener is neutralised");
        }
        // Numbers the export writes are never touched: only text cells are neutralised.
        assert!(rows.iter().all(|r| !r[at("latitude")].starts_with('\'')));

        // An inspector sees the reporter masked on the case page, and so in the file.
        let inspector = t.login("cap.inspector", PASSWORD).await;
        let (status, _, body) = download(t, Some(&inspector), "").await;
        assert_eq!(status, StatusCode::OK, "csv is the default format");
        let (header, rows) = read_csv(&body);
        assert_eq!(rows.len(), cap.len());
        assert!(rows.iter().all(|r| r[column(&header, "reporter_name")] == mask_name(NAME)));
        assert!(rows.iter().all(|r| r[column(&header, "reporter_phone")] == mask_phone(PHONE)));
        assert!(!String::from_utf8_lossy(&body).contains(EMAIL));

        // Another entity's staff see only theirs, and may not ask for this one's.
        let mun = t.login("mun.officer", PASSWORD).await;
        let (_, _, body) = download(t, Some(&mun), "format=csv").await;
        let (header, rows) = read_csv(&body);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][column(&header, "entity")], "mun");
        let (status, _, body) = download(t, Some(&mun), "format=csv&entity=cap").await;
        assert_eq!(refused(status, &body).0, StatusCode::FORBIDDEN);

        // The platform administrator: every entity, or the one named.
        let root = t.login("root", PASSWORD).await;
        let (_, _, body) = download(t, Some(&root), "format=csv").await;
        assert_eq!(read_csv(&body).1.len(), cap.len() + 1);
        let (_, _, body) = download(t, Some(&root), "format=csv&entity=mun").await;
        let (header, rows) = read_csv(&body);
        assert_eq!(rows.iter().map(|r| r[column(&header, "entity")].as_str()).collect::<Vec<_>>(), ["mun"]);
        assert!(rows.iter().all(|r| r[column(&header, "reporter_name")] == NAME));
    }

    async fn filters_an_empty_export_and_bad_input(t: &TestApp) {
        let cap = fill(t).await;
        let officer = t.login("cap.officer", PASSWORD).await;
        // From the second day (midnight in Manama): the hostile complaints and the suggestion.
        let (_, _, body) = download(t, Some(&officer), "format=csv&from=2026-03-02").await;
        let (header, rows) = read_csv(&body);
        assert_eq!(rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), cap[1..]);
        let (_, _, body) = download(t, Some(&officer), "from=2026-03-02&to=2026-03-03T00:00:00Z").await;
        assert_eq!(read_csv(&body).1.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), cap[1..7]);
        assert_eq!(header[0], "reference");

        // Nothing in the period: a valid file with its header only, in every format.
        let (status, _, body) = download(t, Some(&officer), "format=csv&from=2030-01-01").await;
        assert_eq!(status, StatusCode::OK);
        let (header, rows) = read_csv(&body);
        assert_eq!((header.len(), rows.len()), (STAFF_COLUMNS.len(), 0));
        let (_, _, body) = download(t, Some(&officer), "format=nyc311&from=2030-01-01").await;
        assert_eq!(read_csv(&body), (NYC311_COLUMNS.iter().map(|c| c.to_string()).collect(), vec![]));
        let (_, _, body) = download(t, Some(&officer), "format=xlsx&from=2030-01-01").await;
        let mut book = Xlsx::new(std::io::Cursor::new(body)).expect("an XLSX");
        assert_eq!(book.worksheet_range("cases").expect("sheet").height(), 1);

        // Malformed, hostile and unknown input: a clear refusal naming the field.
        for (query, code, field) in [
            ("format=pdf", "unknown_format", "format"),
            ("format=CSV", "unknown_format", "format"),
            ("from=2026-13-01", "invalid_date", "from"),
            ("to=yesterday", "invalid_date", "to"),
            ("from=2026-03-02&to=2026-03-02", "empty_period", "to"),
            ("from=2026-03-05&to=2026-03-01", "empty_period", "to"),
            ("entity=nowhere", "unknown_entity", "entity"),
            ("from=%3D1%2B1", "invalid_date", "from"),
            ("limit=10", "invalid_query", "limit"),
        ] {
            let (status, _, body) = download(t, Some(&officer), query).await;
            assert_eq!(refused(status, &body), (StatusCode::UNPROCESSABLE_ENTITY, code.to_owned(), field.to_owned()), "{query}");
        }
        let long = format!("from={}", "9".repeat(10_000));
        let (status, _, body) = download(t, Some(&officer), &long).await;
        assert_eq!(refused(status, &body).1, "invalid_date");
        let (status, _, _) = download(t, None, "format=csv").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn a_date_is_a_local_day_of_each_cases_entity(t: &TestApp) {
        // cap keeps the default calendar (Asia/Bahrain, UTC+3); mun counts its days in New
        // York (UTC-5 in early March).
        let root = t.login("root", PASSWORD).await;
        let path = "/api/v1/admin/entities/mun/policy";
        let (status, mut policy) = t.api_get(path, Some(&root)).await;
        assert_eq!(status, StatusCode::OK, "{policy}");
        policy["calendar"]["time_zone"] = json!("America/New_York");
        let saved = t.json_of(t.client.put(t.url(path)).bearer_auth(&root).json(&policy)).await;
        assert_eq!(saved.0, StatusCode::OK, "{}", saved.1);
        // From 08:00Z on 1 March: each case with its local day.
        let at = |minutes: i64, service: &str, text: &str| {
            t.advance(chrono::Duration::minutes(minutes));
            case(service, "report", text)
        };
        let cap_1 = t.submit(at(12 * 60 + 30, "cap-lights", "cap 1 March, 23:30 in Manama")).await.0; // 20:30Z
        let mun_1 = t.submit(at(0, "mun-roads", "mun 1 March, 15:30 in New York")).await.0;
        let cap_2 = t.submit(at(2 * 60, "cap-lights", "cap 2 March, 01:30 in Manama")).await.0; // 22:30Z
        let mun_late = t.submit(at(4 * 60 + 30, "mun-roads", "mun 1 March, 22:00 in New York")).await.0; // 03:00Z
        let mun_2 = t.submit(at(3 * 60, "mun-roads", "mun 2 March, 01:00 in New York")).await.0; // 06:00Z
        // Signed in again: a day has passed since.
        let root = t.login("root", PASSWORD).await;
        let references = |body: &[u8]| {
            assert!(body.starts_with(b"\xEF\xBB\xBF"), "{}", String::from_utf8_lossy(body));
            read_csv(body).1.into_iter().map(|r| r[0].clone()).collect::<Vec<_>>()
        };
        for format in ["csv", "nyc311"] {
            // Every entity at once: each case in its own entity's day.
            let (_, _, body) = download(t, Some(&root), &format!("format={format}&from=2026-03-02")).await;
            assert_eq!(references(&body), [cap_2.clone(), mun_2.clone()], "{format}");
            let (_, _, body) = download(t, Some(&root), &format!("format={format}&to=2026-03-02")).await;
            assert_eq!(references(&body), [cap_1.clone(), mun_1.clone(), mun_late.clone()], "{format}");
        }
        // One entity: its own days.
        let (_, _, body) = download(t, Some(&root), "entity=mun&from=2026-03-01&to=2026-03-02").await;
        assert_eq!(references(&body), [mun_1.clone(), mun_late.clone()]);
        let officer = t.login("cap.officer", PASSWORD).await;
        let (_, _, body) = download(t, Some(&officer), "from=2026-03-02").await;
        assert_eq!(references(&body), std::slice::from_ref(&cap_2));
        // An instant is the same instant for everyone.
        let (_, _, body) = download(t, Some(&root), "from=2026-03-01T22:00:00Z").await;
        assert_eq!(references(&body), [cap_2.clone(), mun_late.clone(), mun_2.clone()]);
        // The XLSX counts the same rows.
        let (_, _, body) = download(t, Some(&root), "format=xlsx&from=2026-03-02").await;
        let mut book = Xlsx::new(std::io::Cursor::new(body)).expect("an XLSX");
        let sheet = book.worksheet_range("cases").expect("sheet");
        let seen: Vec<String> = sheet.rows().skip(1).map(|r| r[0].to_string()).collect();
        assert_eq!(seen, [cap_2, mun_2]);
    }

    async fn xlsx_reads_back_with_calamine(t: &TestApp) {
        let cap = fill(t).await;
        let officer = t.login("cap.officer", PASSWORD).await;
        let (status, headers, body) = download(t, Some(&officer), "format=xlsx").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let mut book = Xlsx::new(std::io::Cursor::new(body)).expect("an XLSX");
        let sheet = book.worksheet_range("cases").expect("the sheet");
        let rows: Vec<&[Data]> = sheet.rows().collect();
        let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        assert_eq!(header, STAFF_COLUMNS);
        assert_eq!(rows.len(), cap.len() + 1);
        let at = |name: &str| column(&header, name);
        assert_eq!(rows[1][at("reference")], Data::String(cap[0].clone()));
        assert_eq!(rows[1][at("description")], Data::String("الإنارة معطلة في الشارع".into()));
        assert_eq!(rows[1][at("reporter_name")], Data::String(NAME.into()));
        assert_eq!(rows[1][at("latitude")], Data::Float(26.228_516));
        let created = rows[1][at("created_at")].as_datetime().expect("a real date");
        assert_eq!(created.to_string(), "2026-03-01 11:00:00");
        // A text cell is a typed string, which no spreadsheet evaluates: kept as written (but
        // for XML's leading white space), and the workbook has no formula at all.
        for (row, text) in rows[2..8].iter().zip(HOSTILE) {
            match &row[at("description")] {
                Data::String(s) => assert_eq!(s.trim_start(), text.trim_start()),
                other => panic!("{text:?} became {other:?}"),
            }
        }
        let formulas = book.worksheet_formula("cases").expect("formulas");
        assert!(formulas.cells().all(|(_, _, f)| f.is_empty()), "no formula in the workbook");

        let inspector = t.login("cap.inspector", PASSWORD).await;
        let (_, _, body) = download(t, Some(&inspector), "format=xlsx").await;
        let mut book = Xlsx::new(std::io::Cursor::new(body)).expect("an XLSX");
        let sheet = book.worksheet_range("cases").expect("the sheet");
        let masked: HashSet<String> = sheet.rows().skip(1).map(|r| r[at("reporter_name")].to_string()).collect();
        assert_eq!(masked, HashSet::from([mask_name(NAME)]));
    }

    async fn the_open_data_file_has_nyc_311_columns_and_no_personal_data(t: &TestApp) {
        let cap = fill(t).await;
        // One case ends, so that it has a closed date and a resolution (whose words, naming
        // people, stay out of the open data).
        t.advance(chrono::Duration::hours(2));
        let root = t.login("root", PASSWORD).await;
        for action in [json!({"action": "assign", "department": "ops"}), json!({"action": "start"}),
                       json!({"action": "resolve", "resolution": "أصلح الفني أحمد العمود لفاطمة"})] {
            let (status, body) = t.api_post(&format!("/api/v1/cases/{}/transitions", cap[0]), Some(&root), action).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let inspector = t.login("cap.inspector", PASSWORD).await;
        let (status, headers, body) = download(t, Some(&inspector), "format=nyc311").await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-disposition"].to_str().expect("ascii").contains("tawasul-311.csv"));
        let text = String::from_utf8(body.clone()).expect("UTF-8");
        for personal in [NAME, "فاطمة", PHONE, "3300", EMAIL, "مجمع 304", "الإنارة معطلة", "أحمد", "HYPERLINK", "calc"] {
            assert!(!text.contains(personal), "{personal:?} is in the open data");
        }
        let (header, rows) = read_csv(&body);
        assert_eq!(header, NYC311_COLUMNS);
        assert_eq!(rows.len(), cap.len());
        let at = |name: &str| column(&header, name);
        let resolved = &rows[0];
        assert_eq!(resolved[at("Unique Key")], cap[0]);
        assert_eq!(resolved[at("Created Date")], "03/01/2026 11:00:00 AM");
        assert_eq!(resolved[at("Closed Date")], "03/03/2026 01:00:00 PM");
        assert_eq!(resolved[at("Agency")], "cap");
        assert_eq!(resolved[at("Agency Name")], "Capital Governorate");
        assert_eq!(resolved[at("Complaint Type")], "Street lighting");
        assert_eq!(resolved[at("Descriptor")], "report");
        assert_eq!(resolved[at("Status")], "Closed");
        assert_eq!(resolved[at("Resolution Description")], "The entity resolved this request.");
        assert_eq!(resolved[at("Resolution Action Updated Date")], "03/03/2026 01:00:00 PM");
        assert_eq!(resolved[at("Open Data Channel Type")], "ONLINE");
        assert_eq!(resolved[at("Incident Address")], "");
        // A block, not a door: three decimals; and only for reports and complaints.
        assert_eq!((resolved[at("Latitude")].as_str(), resolved[at("Longitude")].as_str()), ("26.229", "50.586"));
        assert_eq!(resolved[at("Location")], "(26.229, 50.586)");
        assert_eq!(resolved[at("Address Type")], "LATLONG");
        let open = &rows[1];
        assert_eq!((open[at("Status")].as_str(), open[at("Closed Date")].as_str()), ("Open", ""));
        assert_eq!(open[at("Latitude")], "26.229");
        let suggestion = rows.last().expect("the suggestion");
        assert_eq!((suggestion[at("Latitude")].as_str(), suggestion[at("Location")].as_str()), ("", ""));
    }

    async fn the_staff_console_downloads_through_its_form(t: &TestApp) {
        let cap = fill(t).await;
        let cookies = t.staff_cookie("cap.inspector", PASSWORD).await;
        let page = t.page("/staff/export", &cookies).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("action=\"/staff/export/download\""));
        assert!(page.body.contains("value=\"nyc311\""));
        assert!(!page.body.contains("name=\"entity\""), "staff of one entity choose no entity");
        let page = t.page("/staff/export", &format!("{cookies}; tawasul_lang=ar")).await;
        assert!(page.body.contains("تصدير البلاغات"), "the page in Arabic");
        let response = t
            .client
            .get(t.url("/staff/export/download?format=csv&entity=&from=&to="))
            .header("cookie", cookies.clone())
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), StatusCode::OK);
        let (_, rows) = read_csv(&response.bytes().await.expect("body"));
        assert_eq!(rows.len(), cap.len());
        // A bad date comes back as the form with the message beside the field.
        let page = t.page("/staff/export/download?format=csv&from=2026-02-30&to=", &cookies).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("id=\"x-from-error\""), "{}", page.body);
        // Installation-wide staff choose the entity.
        let root = t.staff_cookie("root", PASSWORD).await;
        assert!(t.page("/staff/export", &root).await.body.contains("name=\"entity\""));
        assert_eq!(t.page("/staff/export", "").await.status, StatusCode::SEE_OTHER);
    }

    async fn the_operators_export_reads_page_after_page(t: &TestApp) {
        use tawasul_store::{CaseInsert, LoadedCase};
        let entity = t.app.operator().entity_id("cap").await.expect("entity").expect("cap");
        let service = t.app.services().await.expect("services").into_iter().find(|s| s.code == "cap-lights").expect("service");
        // More than two pages of the export (5,000 cases each), some sharing an instant, so
        // that the keyset cursor must order by id within one.
        let total = 12_345;
        let start = t.app.now_micros();
        let cases: Vec<LoadedCase> = (0..total)
            .map(|i| LoadedCase {
                case: CaseInsert {
                    token_hash: format!("{i:064x}"),
                    entity_id: entity,
                    service_id: service.id,
                    kind: "report".into(),
                    status: "new".into(),
                    channel: "phone".into(),
                    language: "ar".into(),
                    priority: "normal".into(),
                    description: format!("بلاغ رقم {i}"),
                    answers: "{}".into(),
                    reporter_name: Some(NAME.into()),
                    created_at: start + (i as i64 / 3) * 1_000_000,
                    ..CaseInsert::default()
                },
                updated_at: start,
                ..LoadedCase::default()
            })
            .collect();
        t.app.operator().load_cases(cases).await.expect("loaded");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("all.csv");
        let mut export = t.app.operator().export_cases(ExportQuery { format: Some("csv".into()), ..ExportQuery::default() }).await.expect("export");
        let mut pages = 0;
        export.write_to(&path, |_| pages += 1).await.expect("written");
        assert_eq!(export.rows(), total as u64);
        assert!(pages >= 3, "{pages} pieces: the header and at least three pages");
        let (header, rows) = read_csv(&std::fs::read(&path).expect("the file"));
        let description = column(&header, "description");
        let seen: Vec<String> = rows.iter().map(|r| r[description].clone()).collect();
        let expected: Vec<String> = (0..total).map(|i| format!("بلاغ رقم {i}")).collect();
        assert_eq!(seen, expected, "every case once, oldest first");
        // The operator's export is in full: the reporter unmasked.
        assert!(rows.iter().all(|r| r[column(&header, "reporter_name")] == NAME));
        // An XLSX of the same, written a row at a time.
        let path = dir.path().join("all.xlsx");
        let mut export = t.app.operator().export_cases(ExportQuery { format: Some("xlsx".into()), entity: Some("cap".into()), ..ExportQuery::default() }).await.expect("export");
        export.write_to(&path, |_| {}).await.expect("written");
        let mut book: Xlsx<_> = calamine::open_workbook(&path).expect("an XLSX");
        let sheet = book.worksheet_range("cases").expect("the sheet");
        assert_eq!(sheet.height(), total + 1);
        assert_eq!(sheet.get_value((total as u32, description as u32)), Some(&Data::String(format!("بلاغ رقم {}", total - 1))));
    }
}
