//! The inert-text test (issue 13): hostile text is put into every field a resident, a
//! provider or a staff member writes — a case's description, address, reporter's name and form
//! answer, comments both ways, a resolution, a survey comment, a chat both ways, an e-mail's
//! subject and body, the catalogue's and the organisation's names, a reply template, a staff
//! user's name — and then every output is read back: the resident's and the staff's pages in
//! Arabic and English (parsed as a browser would, with html5ever), the e-mails of a real SMTP
//! exchange (headers and HTML part), the SMS gateway's JSON, the CSV, XLSX, open-data and PDF
//! exports, Open311's JSON and XML and the privacy export. Markup must stay text, spreadsheet
//! formulas must be neutralised, no bidi override or embedding may reach an output and every
//! isolate must be closed on its line, and no header may be injected. Bidi controls themselves
//! are refused where text is written (the cases below check each door).

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use scraper::{ElementRef, Html};
use serde_json::{json, Value};
use tawasul_app::organisation::admin::NewStaff;
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::sinks::HttpSink;
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp, CSRF};

/// In every hostile text, so that the test can tell that an output did show it.
const MARK: &str = "INERT";
const EMAIL: &str = "fatima@example.bh";
const PHONE: &str = "+97333001234";
const MAILBOX: &str = "complaints@localhost";
const CHAT: &str = "tawasul_chat=0123456789abcdef0123456789abcdef01234567";

/// A hostile text of at most 80 characters (a reply template's title), starting with `opener`
/// (a formula opener for spreadsheets).
fn short(opener: &str) -> String {
    format!("{opener}{MARK}<script>alert(1)</script>\"><img src=x onerror=alert(1)>{{{{7*7}}}}${{7*7}} نص")
}

/// A hostile text with everything: markup, template syntax, a `javascript:` URL, formulas,
/// zero-width characters, a line break with a header after it, a 200-letter word, Arabic.
fn long(opener: &str) -> String {
    format!(
        "{opener}{MARK} شكوى <script>alert(1)</script> '\"><img src=x onerror=alert(1)> <svg onload=alert(1)> \
         <a href=\"javascript:alert(1)\">رابط</a> javascript:alert(1) {{{{7*7}}}} ${{7*7}} #{{7*7}} \
         =HYPERLINK(\"http://evil.example\",\"x\") +1 -1 @SUM(1+1) \u{200B}\u{200C}\u{200D}\u{FEFF} \
         \r\nBcc: victim@evil.example\r\nX-Injected: yes\r\n {} عربي",
        "ك".repeat(200)
    )
}

/// Text with each bidi control that can reverse what is around it.
fn with_bidi() -> Vec<String> {
    [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    ]
    .iter()
    .map(|c| format!("فاطمة {c}gnp.exe{MARK}"))
    .collect()
}

async fn inert(backend: Backend) -> (TestApp, HttpSink) {
    let sms = HttpSink::start().await.expect("HTTP receiver");
    let delivery = tawasul_app::DeliverySettings {
        sms: Some(tawasul_notify::SmsSettings {
            url: sms.url("/sms"),
            method: "POST".into(),
            body_template: r#"{"to":"{to}","text":"{text}","ref":"{id}"}"#.into(),
            content_type: "application/json".into(),
            headers: vec![],
        }),
        ..Default::default()
    };
    let t = spawn(Options {
        smtp: true,
        delivery,
        mail: Some(tawasul_server::MailSettings {
            mailboxes: vec![tawasul_server::MailboxConfig {
                address: MAILBOX.into(),
                service: "leak".into(),
            }],
            max_message_bytes: 256 * 1024,
            hostname: "tawasul.test".into(),
            starttls: None,
        }),
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    f.entity("cap", &short("="), &short("+"), "governorate").await;
    f.department("cap", "water", &short("-"), &short("@")).await;
    f.service(ServiceSpec {
        entity: "cap",
        code: "leak",
        name: (&short("="), &short("+")),
        description: (&long("-"), &long("@")),
        kinds: &["complaint", "report"],
        department: "water",
        fields: json!([{"key": "detail", "label_ar": short("="), "label_en": short("+"), "type": "text", "required": false}]),
    })
    .await;
    // A template's body may name only its placeholders (`{reference}`, …): braces are refused.
    f.reply_template("cap", "hostile", "ar", &short("="), &long("+").replace(['{', '}'], ""))
        .await;
    f.staff("cap.agent", Role::Agent, Some("cap")).await;
    f.staff("root", Role::Admin, None).await;
    // A staff user whose name was typed by an administrator, as the users page does.
    t.app
        .create_staff(
            f.admin(),
            NewStaff {
                username: "cap.officer".into(),
                display_name: short("="),
                email: "officer@cap.example".into(),
                entity: "cap".into(),
                department: "water".into(),
                role: "officer".into(),
                password: PASSWORD.into(),
            },
        )
        .await
        .expect("an officer with a hostile name");
    (t, sms)
}

/// Every element of a page, checked for what could only have come from the input.
fn assert_inert_html(what: &str, html: &str) {
    let document = Html::parse_document(html);
    for element in document.root_element().descendants().filter_map(ElementRef::wrap) {
        let e = element.value();
        for (name, value) in e.attrs() {
            assert!(
                !name.starts_with("on"),
                "{what}: an event handler {name}={value:?} on <{}>",
                e.name()
            );
            if matches!(name, "href" | "src" | "action" | "formaction" | "xlink:href" | "data") {
                let url = value.trim().to_ascii_lowercase();
                assert!(
                    !url.starts_with("javascript:"),
                    "{what}: a javascript: URL in {name} of <{}>",
                    e.name()
                );
            }
        }
        assert!(
            !(e.name() == "img" && e.attr("src") == Some("x")),
            "{what}: the input's <img> became an element"
        );
        if e.name() == "script" {
            let code: String = element.text().collect();
            assert!(
                !code.contains("alert(1)"),
                "{what}: the input's script became a script element"
            );
        }
    }
    // Each text node and attribute on its own: an isolate must close where it opened.
    for node in document.root_element().descendants() {
        if let Some(text) = node.value().as_text() {
            assert_bidi_safe(what, text);
        } else if let Some(element) = node.value().as_element() {
            element.attrs().for_each(|(_, value)| assert_bidi_safe(what, value));
        }
    }
}

/// No override or embedding (U+202A–U+202E) anywhere; every isolate (U+2066–U+2068) closed
/// by U+2069 on its own line, so that no text can reverse what follows it.
fn assert_bidi_safe(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|c| matches!(c, '\u{202A}'..='\u{202E}')) {
        panic!("{what}: the bidi control U+{:04X} reached the output", c as u32);
    }
    for line in text.lines() {
        let mut depth = 0i32;
        for c in line.chars() {
            match c {
                '\u{2066}'..='\u{2068}' => depth += 1,
                '\u{2069}' => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "{what}: an isolate closed that was not opened: {line:?}");
        }
        assert_eq!(depth, 0, "{what}: an isolate left open: {line:?}");
    }
}

/// A page read as a browser would, in `lang`; it must answer 200 and be inert.
async fn page(t: &TestApp, path: &str, cookies: &str, lang: &str) -> String {
    let page = t.page(path, &format!("{cookies}; tawasul_lang={lang}")).await;
    assert_eq!(page.status, StatusCode::OK, "{path} in {lang}: {}", page.body);
    assert_inert_html(&format!("{path} ({lang})"), &page.body);
    page.body
}

/// The header block of a mail as it travelled: no line the input made.
fn assert_no_injected_header(raw: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    for line in head.split("\r\n") {
        let name = line.split(':').next().unwrap_or_default().to_ascii_lowercase();
        assert!(
            !matches!(name.as_str(), "bcc" | "x-injected"),
            "an injected header: {line:?}"
        );
    }
}

/// Sends a raw mail to the application's SMTP receiver.
async fn send_mail(t: &TestApp, raw: &[u8]) {
    use lettre::{address::Envelope, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
    let address = t.smtp_in.expect("the application receives mail");
    let client = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
        .port(address.port())
        .build();
    let envelope = Envelope::new(
        Some(EMAIL.parse().expect("address")),
        vec![MAILBOX.parse().expect("address")],
    )
    .expect("envelope");
    client.send_raw(&envelope, raw).await.expect("the mail is taken");
}

/// Every string in a JSON document.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

on_both! { inert;
    async fn hostile_text_stays_text_on_every_page_mail_and_export(fixture: &(TestApp, HttpSink)) {
        let (t, sms) = fixture;
        // Bidi controls are refused at each door that takes text from outside.
        for text in with_bidi() {
            let (status, body) = t.api_post("/api/v1/cases", None, json!({"service": "leak", "kind": "complaint", "description": text})).await;
            assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("forbidden_character")), "{text:?}");
            let (status, _) = t.api_post("/api/v1/cases", None, json!({"service": "leak", "kind": "complaint", "description": "x", "reporter": {"name": text, "email": EMAIL}})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a name with {text:?}");
        }

        // A resident's case by the API (e-mail), another by phone (SMS), one by e-mail.
        let (reference, token) = t.submit(json!({
            "service": "leak", "kind": "complaint", "description": long("="),
            "address": long("+"), "answers": {"detail": long("-")},
            "location": {"lat": 26.2285, "lon": 50.586},
            "reporter": {"name": short("@"), "email": EMAIL, "language": "ar"}
        })).await;
        let (by_phone, _) = t.submit(json!({
            "service": "leak", "kind": "report", "description": long("@"),
            "reporter": {"name": short("-"), "phone": PHONE, "language": "en"}
        })).await;
        let mail = format!(
            "From: {} <{EMAIL}>\r\nTo: {MAILBOX}\r\nSubject: =?utf-8?B?{}?=\r\nMessage-ID: <inert-1@example.bh>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            "Fatima",
            base64(short("=").as_bytes()),
            base64(long("+").as_bytes()),
        );
        send_mail(t, mail.as_bytes()).await;

        // Both sides write on the case: comments, a template-free reply, the resolution.
        let officer = t.login("cap.officer", PASSWORD).await;
        let agent = t.login("cap.agent", PASSWORD).await;
        let comments = format!("/api/v1/cases/{reference}/comments");
        for (who, body) in [
            (&token, json!({"body": long("-")})),
            (&officer, json!({"body": long("="), "visibility": "public"})),
            (&officer, json!({"body": long("@"), "visibility": "internal"})),
        ] {
            let (status, answer) = t.api_post(&comments, Some(who), body).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
        let (status, answer) = t.api_post(&format!("/api/v1/cases/{by_phone}/comments"), Some(&officer), json!({"body": long("+"), "visibility": "public"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let transitions = format!("/api/v1/cases/{reference}/transitions");
        for (who, step) in [
            (&officer, json!({"action": "acknowledge"})),
            (&agent, json!({"action": "assign", "assignee": "cap.officer"})),
            (&officer, json!({"action": "start"})),
            (&officer, json!({"action": "resolve", "resolution": long("=")})),
        ] {
            let (status, answer) = t.api_post(&transitions, Some(who), step).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
        let (status, answer) = t.api_post(&format!("/api/v1/cases/{reference}/survey"), Some(&token),
            json!({"quality": 2, "speed": 2, "agent": 2, "solved": true, "comment": short("+")})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");

        // A chat: the resident asks for a person and writes; the agent answers.
        for said in ["1", "0", &long("=")] {
            t.post_form("/chat", CHAT, &[("csrf_token", CSRF), ("message", said)]).await;
        }
        let agent_cookie = t.staff_cookie("cap.agent", PASSWORD).await;
        let queue = page(t, "/staff/chats", &agent_cookie, "ar").await;
        let chat_id: String = queue
            .split("/staff/chats/")
            .nth(1)
            .expect("a chat waiting")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let picked = t.post_form(&format!("/staff/chats/{chat_id}/pick"), &agent_cookie, &[("csrf_token", CSRF)]).await;
        assert_eq!(picked.status, StatusCode::SEE_OTHER);
        let said = t.post_form(&format!("/staff/chats/{chat_id}/say"), &agent_cookie, &[("csrf_token", CSRF), ("message", &long("+"))]).await;
        assert_eq!(said.status, StatusCode::SEE_OTHER, "{}", said.body);
        t.work().await;

        // Every page, in Arabic and in English.
        let root = t.staff_cookie("root", PASSWORD).await;
        let track = format!("/track/{reference}?token={token}");
        let mut shown = 0;
        for lang in ["ar", "en"] {
            for path in ["/", "/report/leak", track.as_str(), "/dashboard", "/chat"] {
                let body = page(t, path, CHAT, lang).await;
                shown += usize::from(body.contains(MARK));
            }
            for path in [
                "/staff".to_owned(),
                format!("/staff/cases/{reference}"),
                format!("/staff/cases/{by_phone}"),
                "/staff/board".into(),
                "/staff/dashboard".into(),
                "/staff/report".into(),
                "/staff/oversight".into(),
                "/staff/export".into(),
                "/staff/admin".into(),
                "/staff/admin/entities".into(),
                "/staff/admin/entities/cap".into(),
                "/staff/admin/entities/cap/departments".into(),
                "/staff/admin/entities/cap/users".into(),
                "/staff/admin/entities/cap/calendar".into(),
                "/staff/admin/entities/cap/points".into(),
                "/staff/admin/users/cap.officer".into(),
                "/staff/admin/services".into(),
                "/staff/admin/services/leak".into(),
                "/staff/admin/sla".into(),
                "/staff/admin/templates".into(),
            ] {
                let body = page(t, &path, &root, lang).await;
                shown += usize::from(body.contains(MARK));
            }
            page(t, &format!("/staff/chats/{chat_id}"), &agent_cookie, lang).await;
        }
        let case_page = page(t, &format!("/staff/cases/{reference}"), &root, "en").await;
        let case_text: String = Html::parse_document(&case_page).root_element().text().collect();
        for literal in ["{{7*7}}", "${7*7}", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"] {
            assert!(case_text.contains(literal), "the case page shows {literal} as text");
        }
        assert!(shown >= 30, "the hostile text was shown on {shown} pages only");
        // The 200-letter word wraps: the stylesheet breaks words longer than their box.
        let css = t.page("/assets/app.css", "").await.body;
        assert!(css.contains("body { margin: 0; font-size: 1.0625rem; overflow-wrap: break-word; }"), "long words wrap");
        assert!(css.contains("td, th { overflow-wrap: anywhere; }"), "long words wrap in tables");
        assert_eq!(t.case_count().await, 3, "the API's two cases and the e-mail's");

        // E-mails: headers as sent, the HTML part parsed.
        let inbox = t.inbox(EMAIL, 4).await;
        assert!(inbox.len() >= 4, "the reporter's mail: {}", inbox.len());
        for mail in &inbox {
            assert_no_injected_header(&mail.raw);
            assert_bidi_safe("a mail's text", &mail.body);
            let parsed = mail_parser::MessageParser::default().parse(&mail.raw).expect("a mail");
            let html = parsed.body_html(0).expect("an HTML part");
            assert_inert_html(&format!("the mail {:?}", mail.subject), &html);
        }
        assert!(inbox.iter().any(|m| m.body.contains(MARK)), "a mail carried the hostile text");

        // The SMS gateway's JSON: the text is a JSON string, whatever it holds.
        let texts = sms.wait_for(2, std::time::Duration::from_secs(20)).await;
        assert!(!texts.is_empty(), "SMS were sent");
        for request in &texts {
            let payload: Value = serde_json::from_str(&request.body_text()).expect("the SMS payload is JSON");
            let text = payload["text"].as_str().expect("a text");
            assert_bidi_safe("an SMS", text);
            assert_eq!(payload.as_object().map(|o| o.len()), Some(3), "no field injected: {payload}");
        }

        // Exports: every text cell that opens a formula is neutralised; the XLSX has strings only.
        let download = |query: &'static str| {
            let request = t.client.get(t.url(&format!("/api/v1/exports/cases?{query}"))).bearer_auth(&officer);
            async move { request.send().await.expect("export").bytes().await.expect("body").to_vec() }
        };
        for format in ["format=csv", "format=nyc311"] {
            let bytes = download(format).await;
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
            let mut marked = 0;
            for record in reader.records() {
                for cell in record.expect("a well-formed record").iter() {
                    // A phone number (`+`, digits and a mask's `*`, as intake normalises it) can
                    // hold no formula and is written as it is.
                    let phone = cell.strip_prefix('+').is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'*'));
                    assert!(phone || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{format}: a live formula {cell:?}");
                    assert_bidi_safe(format, cell);
                    marked += usize::from(cell.contains(MARK));
                }
            }
            assert!(marked > 0 || format == "format=nyc311", "{format} holds the hostile text");
        }
        let xlsx = download("format=xlsx").await;
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("a workbook");
        let formulas = book.worksheet_formula("cases").expect("formulas");
        assert!(formulas.cells().all(|(_, _, f)| f.is_empty()), "no formula in the workbook");
        let sheet = book.worksheet_range("cases").expect("the sheet");
        assert!(sheet.cells().any(|(_, _, c)| matches!(c, Data::String(s) if s.contains(MARK))), "the sheet holds the text");
        let pdf = t.send(t.client.get(t.url("/staff/report.pdf")).header(reqwest::header::COOKIE, format!("tawasul_csrf={CSRF}; {root}"))).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(pdf.body.starts_with("%PDF") && !pdf.body.contains("<script"), "the PDF draws its text");

        // Open311 in JSON and XML, and the privacy export.
        for path in ["/open311/v2/services.json".to_owned(), format!("/open311/v2/requests/{reference}.json")] {
            let (status, body) = t.api_get(&path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let mut found = Vec::new();
            strings(&body, &mut found);
            assert!(found.iter().any(|s| s.contains(MARK)), "{path} carries the text");
            found.iter().for_each(|s| assert_bidi_safe(&path, s));
        }
        for path in ["/open311/v2/services.xml".to_owned(), format!("/open311/v2/requests/{reference}.xml")] {
            let page = t.page(&path, "").await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            let document = roxmltree::Document::parse(&page.body).expect("well-formed XML");
            assert!(document.descendants().all(|n| !matches!(n.tag_name().name(), "script" | "img" | "svg" | "a")), "{path}: markup from the input");
            assert!(document.descendants().any(|n| n.text().is_some_and(|s| s.contains(MARK))), "{path} carries the text");
            assert_bidi_safe(&path, &page.body);
        }
        let export = t.app.operator().privacy_export(EMAIL).await.expect("the privacy export");
        let document: Value = serde_json::from_str(&serde_json::to_string(&export).expect("JSON")).expect("parsed");
        let mut found = Vec::new();
        strings(&document, &mut found);
        assert!(found.iter().any(|s| s.contains(MARK)), "the privacy export carries the text");
        found.iter().for_each(|s| assert_bidi_safe("the privacy export", s));
    }
}

/// The check itself finds markup that came through, an event handler, a `javascript:` link and
/// an isolate left open.
#[test]
fn the_checks_can_fail() {
    for page in [
        "<p><img src=x onerror=alert(1)></p>",
        "<p><script>alert(1)</script></p>",
        "<a href=\" JavaScript:alert(1)\">x</a>",
        "<p>\u{2068}name</p><p>\u{2069}</p>",
        "<p>\u{202E}gnp.exe</p>",
    ] {
        assert!(
            std::panic::catch_unwind(|| assert_inert_html("a bad page", page)).is_err(),
            "{page}"
        );
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
