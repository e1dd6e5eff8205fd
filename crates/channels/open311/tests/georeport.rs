//! Open311 GeoReport v2, section by section, in JSON and in XML, on both backends: service
//! discovery, the service list, a service's definition, posting a request (with the API
//! keys and the jurisdiction), the request list and one request, and the token look-up —
//! with the malformed, oversized, hostile and repeated input of each. Element names and
//! their order are the specification's examples'.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tawasul_testkit::fixtures::Fixtures;
use tawasul_testkit::{on_both, png, spawn, Backend, Options, TestApp};

const FORM: &str = r#"[
  {"key": "depth", "label_ar": "العمق", "label_en": "Depth", "type": "number", "required": true, "min": 0, "max": 100},
  {"key": "seen", "label_ar": "تاريخ الملاحظة", "label_en": "Seen on", "type": "date"},
  {"key": "note", "label_ar": "ملاحظة", "label_en": "Note", "type": "text"},
  {"key": "source", "label_ar": "المصدر", "label_en": "Source", "type": "single_choice",
   "options": [{"value": "pipe", "label_ar": "أنبوب", "label_en": "Pipe"}, {"value": "tank", "label_ar": "خزان", "label_en": "Tank"}]},
  {"key": "effects", "label_ar": "الأضرار", "label_en": "Effects", "type": "multiple_choice",
   "options": [{"value": "flood", "label_ar": "غرق", "label_en": "Flooding"}, {"value": "smell", "label_ar": "رائحة", "label_en": "Smell"}]}
]"#;

/// The children of a request in the specification's order.
const REQUEST_FIELDS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

struct Open311 {
    t: TestApp,
    key: String,
}

impl std::ops::Deref for Open311 {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.t
    }
}

async fn with_options(options: Options) -> Open311 {
    let t = spawn(options).await;
    let form: Value = serde_json::from_str(FORM).expect("form");
    Fixtures::new(&t.app)
        .await
        .capital(form)
        .await
        .staff("cap.officer", tawasul_domain::vocab::Role::Officer, Some("cap"))
        .await;
    let key = t.app.add_client_key("fixit-app").await.expect("a key");
    Open311 { t, key }
}

async fn georeport(backend: Backend) -> Open311 {
    let mut options = Options::on(backend);
    options.open311.jurisdiction_id = Some("bh.capital".into());
    options.open311.posts_per_minute = 1_000;
    with_options(options).await
}

/// GET `path` under /open311/v2 with an optional Accept-Language.
async fn get(t: &TestApp, path: &str, language: Option<&str>) -> (StatusCode, String) {
    let mut request = t.client.get(t.url(&format!("/open311/v2/{path}")));
    if let Some(l) = language {
        request = request.header("Accept-Language", l);
    }
    let response = request.send().await.expect("GET");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.text().await.expect("body");
    if path.contains(".xml") {
        assert_eq!(content_type, "text/xml; charset=utf-8", "{path}");
        assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{body}");
    } else if path.contains(".json") {
        assert_eq!(content_type, "application/json; charset=utf-8", "{path}");
    }
    (status, body)
}

async fn get_json(t: &TestApp, path: &str) -> (StatusCode, Value) {
    let (status, body) = get(t, path, None).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}")),
    )
}

/// POST a form to `requests.{format}`.
async fn post(t: &TestApp, format: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let body: String = form_encode(form);
    let response = t
        .client
        .post(t.url(&format!("/open311/v2/requests.{format}")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

fn form_encode(form: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in form.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The names of an element's child elements, in order.
fn children<'a>(node: roxmltree::Node<'a, 'a>) -> Vec<&'a str> {
    node.children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect()
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> roxmltree::Node<'a, 'a> {
    node.children()
        .find(|n| n.tag_name().name() == name)
        .unwrap_or_else(|| panic!("no <{name}>"))
}

fn text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> &'a str {
    child(node, name).text().unwrap_or("")
}

/// An error answer in the specification's format, in the format asked for.
fn assert_error(format: &str, body: &str, code: u16) -> String {
    if format == "json" {
        let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{body}"));
        let errors = v.as_array().unwrap_or_else(|| panic!("a list: {body}"));
        assert_eq!(errors.len(), 1, "{body}");
        assert_eq!(errors[0]["code"], code, "{body}");
        errors[0]["description"].as_str().expect("description").to_owned()
    } else {
        let doc = roxmltree::Document::parse(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "errors", "{body}");
        assert_eq!(children(root), ["error"]);
        let error = child(root, "error");
        assert_eq!(children(error), ["code", "description"]);
        assert_eq!(text(error, "code"), code.to_string());
        text(error, "description").to_owned()
    }
}

/// A form as posted: its fields in order.
type Form<'a> = Vec<(&'a str, &'a str)>;

/// A good request with every attribute type, by form.
fn good_request<'a>(key: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("jurisdiction_id", "bh.capital"),
        ("service_code", "water-leak"),
        ("lat", "26.2235"),
        ("long", "50.5876"),
        ("address_string", "شارع الحكومة، المنامة"),
        ("attribute[depth]", "12.5"),
        ("attribute[seen]", "2026-11-30T22:15:00+03:00"),
        ("attribute[note]", "قرب المسجد"),
        ("attribute[source]", "pipe"),
        ("attribute[effects][]", "flood"),
        ("attribute[effects][]", "smell"),
        ("email", "fatima@example.bh"),
        ("first_name", "فاطمة"),
        ("last_name", "أحمد"),
        ("phone", "+973 3300 0000"),
        ("device_id", "device-42"),
        ("account_id", "acct-7"),
        ("description", description),
        ("media_url", "https://photos.example.org/leak.jpg"),
    ]
}

/// Posts a good request in JSON; returns its service_request_id and token.
async fn posted(o: &Open311, description: &str) -> (String, String) {
    let (status, body) = post(o, "json", &good_request(&o.key, description)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    (
        v[0]["service_request_id"].as_str().expect("id").to_owned(),
        v[0]["token"].as_str().expect("token").to_owned(),
    )
}

on_both! { georeport;
    async fn discovery_names_this_endpoint_and_its_formats(o: &Open311) {
        let (status, v) = get_json(o, "discovery.json").await;
        assert_eq!(status, StatusCode::OK);
        let endpoint = &v["endpoints"][0];
        assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
        assert_eq!(endpoint["url"], format!("{}/open311/v2", o.base));
        assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
        assert!(v["changeset"].as_str().expect("changeset").ends_with('Z'));
        let (status, body) = get(o, "discovery.xml", Some("en")).await;
        assert_eq!(status, StatusCode::OK);
        let doc = roxmltree::Document::parse(&body).expect("xml");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "discovery");
        assert_eq!(children(root), ["changeset", "contact", "key_service", "endpoints"]);
        let endpoint = child(child(root, "endpoints"), "endpoint");
        assert_eq!(children(endpoint), ["specification", "url", "changeset", "type", "formats"]);
        assert_eq!(children(child(endpoint, "formats")), ["format", "format"]);
        assert!(text(root, "key_service").contains("open311 key add"));
    }

    async fn the_service_list_speaks_arabic_first_and_english_when_asked(o: &Open311) {
        let (status, v) = get_json(o, "services.json").await;
        assert_eq!(status, StatusCode::OK);
        let service = &v[0];
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        assert_eq!(service["service_code"], "water-leak");
        assert_eq!(service["service_name"], "تسرب مياه");
        assert_eq!(service["group"], "العاصمة");
        assert_eq!(service["metadata"], true);
        assert_eq!(service["type"], "realtime");
        let (_, english) = get_json(o, "services.json?locale=en_US&jurisdiction_id=bh.capital").await;
        assert_eq!((english[0]["service_name"].as_str(), english[0]["group"].as_str()), (Some("Water leak"), Some("Capital")));
        let (status, body) = get(o, "services.xml", Some("fr;q=1, en;q=0.8")).await;
        assert_eq!(status, StatusCode::OK);
        let doc = roxmltree::Document::parse(&body).expect("xml");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "services");
        let service = child(root, "service");
        assert_eq!(
            children(service),
            ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
        );
        assert_eq!(text(service, "service_name"), "Water leak");
        assert_eq!(text(service, "metadata"), "true");
        // Another jurisdiction, another format, another resource.
        let (status, body) = get(o, "services.json?jurisdiction_id=elsewhere", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(assert_error("json", &body, 400).contains("jurisdiction_id"));
        let (status, body) = get(o, "services.xml?jurisdiction_id=elsewhere", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error("xml", &body, 400);
        let (status, body) = get(o, "services.html", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error("xml", &body, 404);
        let (status, body) = get(o, "nothing.json", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error("json", &body, 404);
    }

    async fn a_service_definition_is_its_typed_form(o: &Open311) {
        let (status, v) = get_json(o, "services/water-leak.json?locale=en").await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["service_code"], "water-leak");
        let attributes = v["attributes"].as_array().expect("attributes");
        let kinds: Vec<(&str, &str, bool, i64)> = attributes
            .iter()
            .map(|a| {
                (
                    a["code"].as_str().expect("code"),
                    a["datatype"].as_str().expect("datatype"),
                    a["required"].as_bool().expect("required"),
                    a["order"].as_i64().expect("order"),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("depth", "number", true, 1),
                ("seen", "datetime", false, 2),
                ("note", "text", false, 3),
                ("source", "singlevaluelist", false, 4),
                ("effects", "multivaluelist", false, 5),
            ]
        );
        assert_eq!(attributes[0]["variable"], true);
        assert_eq!(attributes[0]["description"], "Depth");
        assert_eq!(attributes[0]["datatype_description"], "a number from 0 to 100");
        assert_eq!(attributes[3]["values"], json!([{"key": "pipe", "name": "Pipe"}, {"key": "tank", "name": "Tank"}]));
        let (_, body) = get(o, "services/water-leak.xml", None).await;
        let doc = roxmltree::Document::parse(&body).expect("xml");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "service_definition");
        assert_eq!(children(root), ["service_code", "attributes"]);
        let attributes: Vec<_> = child(root, "attributes").children().filter(|n| n.is_element()).collect();
        assert_eq!(attributes.len(), 5);
        for a in &attributes {
            assert_eq!(
                children(*a),
                ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
            );
        }
        assert_eq!(text(attributes[0], "description"), "العمق", "Arabic by default");
        let value = child(child(attributes[4], "values"), "value");
        assert_eq!(children(value), ["key", "name"]);
        assert_eq!((text(value, "key"), text(value, "name")), ("flood", "غرق"));
        for (path, format) in [("services/no-such.json", "json"), ("services/no-such.xml", "xml"), ("services/..%2F..%2Fetc.xml", "xml")] {
            let (status, body) = get(o, path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_error(format, &body, 404);
        }
    }

    async fn a_request_posted_with_a_key_is_a_case_read_back_without_personal_data(o: &Open311) {
        let (status, body) = post(o, "xml", &good_request(&o.key, "تسرب مياه كبير <في> الشارع & الرصيف")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let doc = roxmltree::Document::parse(&body).expect("xml");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "service_requests");
        let made = child(root, "request");
        assert_eq!(children(made), ["service_request_id", "token", "service_notice", "account_id"]);
        assert_eq!(text(made, "account_id"), "acct-7");
        let reference = text(made, "service_request_id").to_owned();
        let token = text(made, "token").to_owned();

        let case = o.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!(case.channel.as_str(), "open311");
        let answers: Value = serde_json::from_str(&case.answers).expect("answers");
        assert_eq!(
            answers,
            json!({"depth": 12.5, "seen": "2026-11-30", "note": "قرب المسجد", "source": "pipe", "effects": ["flood", "smell"]})
        );
        assert_eq!(case.reporter_email.as_deref(), Some("fatima@example.bh"));
        assert_eq!(case.reporter_name.as_deref(), Some("فاطمة أحمد"));
        assert_eq!(case.reporter_phone.as_deref(), Some("+97333000000"));
        assert!(o.store.attachments(case.id).await.expect("attachments").is_empty(), "media are not fetched by default");

        for format in ["json", "xml"] {
            let (status, body) = get(o, &format!("requests/{reference}.{format}"), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            for private in ["fatima", "فاطمة", "3300", "acct-7", "device-42"] {
                assert!(!body.contains(private), "{private} is personal: {body}");
            }
            if format == "json" {
                let v: Value = serde_json::from_str(&body).expect("json");
                let r = &v[0];
                let keys: Vec<&str> = r.as_object().expect("object").keys().map(String::as_str).collect();
                let mut expected = REQUEST_FIELDS.to_vec();
                expected.sort_unstable();
                let mut keys = keys;
                keys.sort_unstable();
                assert_eq!(keys, expected);
                assert_eq!(r["status"], "open");
                assert_eq!(r["description"], "تسرب مياه كبير <في> الشارع & الرصيف");
                assert_eq!(r["service_name"], "تسرب مياه");
                assert_eq!(r["agency_responsible"], "العاصمة");
                assert_eq!(r["lat"], 26.2235);
                assert_eq!(r["long"], 50.5876);
                assert_eq!(r["media_url"], "https://photos.example.org/leak.jpg");
                let requested = r["requested_datetime"].as_str().expect("requested");
                assert!(chrono::DateTime::parse_from_rfc3339(requested).is_ok(), "{requested}");
                let expected_at = r["expected_datetime"].as_str().expect("the SLA clock's due time");
                assert!(expected_at > requested, "{expected_at} after {requested}");
            } else {
                let doc = roxmltree::Document::parse(&body).expect("xml");
                let r = child(doc.root_element(), "request");
                assert_eq!(children(r), REQUEST_FIELDS);
                assert_eq!(text(r, "description"), "تسرب مياه كبير <في> الشارع & الرصيف");
                assert_eq!(text(r, "address"), "شارع الحكومة، المنامة");
            }
        }
        // The token maps straight to the request, in both formats; it is not the tracking token.
        let (_, v) = get_json(o, &format!("tokens/{token}.json")).await;
        assert_eq!(v, json!([{"service_request_id": reference, "token": token}]));
        let (_, body) = get(o, &format!("tokens/{token}.xml"), None).await;
        let doc = roxmltree::Document::parse(&body).expect("xml");
        assert_eq!(children(child(doc.root_element(), "request")), ["service_request_id", "token"]);
        let (status, _) = o.api_get(&format!("/api/v1/cases/{reference}"), Some(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "the Open311 token opens nothing else: a stranger's bearer");
        for (path, format) in [
            ("tokens/0123abcd.json", "json"),
            ("tokens/zz'--.xml", "xml"),
            ("requests/TW-1999-0000001.json", "json"),
            ("requests/%3Cscript%3E.xml", "xml"),
        ] {
            let (status, body) = get(o, path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
            assert_error(format, &body, 404);
        }
    }

    async fn writes_need_a_live_key_and_the_right_jurisdiction(o: &Open311) {
        let good = good_request(&o.key, "تسرب");
        let without: Vec<_> = good.iter().filter(|(k, _)| *k != "api_key").copied().collect();
        let mut wrong = good.clone();
        wrong[0].1 = "0000000000000000000000000000000000000000";
        for format in ["json", "xml"] {
            for form in [&without, &wrong] {
                let (status, body) = post(o, format, form).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
                assert!(assert_error(format, &body, 403).contains("api_key"));
            }
        }
        let mut elsewhere = good.clone();
        elsewhere[1].1 = "bh.muharraq";
        let (status, body) = post(o, "json", &elsewhere).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(assert_error("json", &body, 400).contains("jurisdiction_id"));
        // A revoked key is refused; the name may have a new key.
        o.app.revoke_client_key("fixit-app").await.expect("revoked");
        let (status, _) = post(o, "json", &good).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let fresh = o.app.add_client_key("fixit-app").await.expect("a new key");
        let (status, body) = post(o, "json", &good_request(&fresh, "تسرب")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let keys = o.app.client_keys().await.expect("keys");
        assert_eq!(keys.len(), 2);
        assert!(keys[0].revoked_at.is_some() && keys[1].revoked_at.is_none());
        assert!(o.app.add_client_key("fixit-app").await.is_err(), "one live key per name");
        assert!(o.app.add_client_key("").await.is_err());
        assert!(o.app.revoke_client_key("nobody").await.is_err());
        assert_eq!(o.case_count().await, 1, "only the good request was written");
    }

    async fn bad_posts_are_refused_clearly_and_write_nothing(o: &Open311) {
        let key = o.key.as_str();
        let long = "ب".repeat(4_001);
        let cases: Vec<(Form, StatusCode, &str)> = vec![
            (vec![("api_key", key), ("lat", "26.2"), ("long", "50.5")], StatusCode::BAD_REQUEST, "service_code"),
            (vec![("api_key", key), ("service_code", "no-such"), ("lat", "26.2"), ("long", "50.5")], StatusCode::NOT_FOUND, "service"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("attribute[depth]", "1")], StatusCode::BAD_REQUEST, "location"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_id", "77"), ("attribute[depth]", "1")], StatusCode::BAD_REQUEST, "address_id"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("lat", "26.2"), ("attribute[depth]", "1")], StatusCode::BAD_REQUEST, "lat and long"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("lat", "north"), ("long", "50.5"), ("attribute[depth]", "1")], StatusCode::BAD_REQUEST, "lat"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("lat", "95"), ("long", "50.5"), ("attribute[depth]", "1")], StatusCode::BAD_REQUEST, "location.lat"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("lat", "NaN"), ("long", "50.5"), ("attribute[depth]", "1")], StatusCode::BAD_REQUEST, "lat"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("description", &long), ("attribute[depth]", "1")], StatusCode::BAD_REQUEST, "description"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x")], StatusCode::BAD_REQUEST, "answers.depth"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "deep")], StatusCode::BAD_REQUEST, "attribute[depth]"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "101")], StatusCode::BAD_REQUEST, "answers.depth"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("attribute[colour]", "red")], StatusCode::BAD_REQUEST, "answers.colour"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("attribute[source]", "river")], StatusCode::BAD_REQUEST, "answers.source"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("attribute[effects][]", "flood"), ("attribute[effects][]", "flood")], StatusCode::BAD_REQUEST, "answers.effects"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("attribute[depth]", "2")], StatusCode::BAD_REQUEST, "given twice"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth", "1")], StatusCode::BAD_REQUEST, "attribute[CODE]"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("attribute[seen]", "last week")], StatusCode::BAD_REQUEST, "answers.seen"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("description", "نص \u{202E}مقلوب")], StatusCode::BAD_REQUEST, "description"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("email", "not-an-address")], StatusCode::BAD_REQUEST, "email"),
            (vec![("api_key", key), ("service_code", "water-leak"), ("address_string", "x"), ("attribute[depth]", "1"), ("phone", "call me")], StatusCode::BAD_REQUEST, "phone"),
        ];
        for (form, status, mentions) in &cases {
            for format in ["json", "xml"] {
                let (got, body) = post(o, format, form).await;
                assert_eq!(got, *status, "{form:?}: {body}");
                let description = assert_error(format, &body, status.as_u16());
                assert!(description.contains(mentions), "{form:?}: {description}");
            }
        }
        // Not a form, not UTF-8, too large.
        let raw = |body: Vec<u8>, content_type: &'static str| {
            o.client
                .post(o.url("/open311/v2/requests.json"))
                .header("Content-Type", content_type)
                .body(body)
                .send()
        };
        let json_body = raw(br#"{"service_code":"water-leak"}"#.to_vec(), "application/json").await.expect("send");
        assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
        assert!(assert_error("json", &json_body.text().await.expect("body"), 400).contains("x-www-form-urlencoded"));
        let not_utf8 = format!("api_key={key}&service_code=water-leak&address_string=%FF%FE&attribute%5Bdepth%5D=1");
        let answer = raw(not_utf8.into_bytes(), "application/x-www-form-urlencoded").await.expect("send");
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert!(assert_error("json", &answer.text().await.expect("body"), 400).contains("UTF-8"));
        let huge = format!("api_key={key}&service_code=water-leak&description={}", "a".repeat(200_000));
        let answer = raw(huge.into_bytes(), "application/x-www-form-urlencoded").await.expect("send");
        assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let many = "a=1&".repeat(500);
        let answer = raw(many.into_bytes(), "application/x-www-form-urlencoded").await.expect("send");
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        // Only requests may be posted.
        let answer = o.client.post(o.url("/open311/v2/services.xml")).form(&[("api_key", key)]).send().await.expect("send");
        assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(o.case_count().await, 0, "nothing was written");
    }

    async fn a_repeated_post_is_a_new_request_each_time(o: &Open311) {
        let (first, first_token) = posted(o, "تسرب مياه").await;
        let (second, second_token) = posted(o, "تسرب مياه").await;
        assert_ne!(first, second, "GeoReport v2 has no retry key: each post is a request");
        assert_ne!(first_token, second_token);
        assert_eq!(o.case_count().await, 2);
    }

    async fn requests_are_listed_by_id_service_status_and_window(o: &Open311) {
        let (a, _) = posted(o, "الأول").await;
        let (b, _) = posted(o, "الثاني").await;
        let (c, _) = posted(o, "الثالث").await;
        // The second is resolved and so closed.
        let officer = o.login("cap.officer", tawasul_testkit::fixtures::PASSWORD).await;
        let supervisor = o.login("cap.supervisor", tawasul_testkit::fixtures::PASSWORD).await;
        let path = format!("/api/v1/cases/{b}/transitions");
        for (who, body) in [
            (&supervisor, json!({"action": "acknowledge"})),
            (&supervisor, json!({"action": "assign", "assignee": "cap.officer"})),
            (&officer, json!({"action": "resolve", "resolution": "تم إصلاح الأنبوب"})),
        ] {
            let (status, v) = o.api_post(&path, Some(who), body).await;
            assert_eq!(status, StatusCode::OK, "{v}");
        }
        let ids = |v: &Value| -> Vec<String> {
            v.as_array().expect("list").iter().map(|r| r["service_request_id"].as_str().expect("id").to_owned()).collect()
        };
        let (status, all) = get_json(o, "requests.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&all), [c.clone(), b.clone(), a.clone()], "newest first");
        let (_, open) = get_json(o, "requests.json?status=open").await;
        assert_eq!(ids(&open), [c.clone(), a.clone()]);
        let (_, closed) = get_json(o, "requests.json?status=closed&service_code=water-leak").await;
        assert_eq!(ids(&closed), std::slice::from_ref(&b));
        assert_eq!(closed[0]["status_notes"], "تم إصلاح الأنبوب");
        let (_, both) = get_json(o, "requests.json?status=open,closed").await;
        assert_eq!(ids(&both).len(), 3);
        let (_, chosen) = get_json(o, &format!("requests.json?service_request_id={a},{c},TW-1999-0000009&status=closed")).await;
        assert_eq!(ids(&chosen), [c.clone(), a.clone()], "ids override the other filters");
        let (_, body) = get(o, "requests.xml?status=closed", None).await;
        let doc = roxmltree::Document::parse(&body).expect("xml");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "service_requests");
        assert_eq!(children(root), ["request"]);
        assert_eq!(text(child(root, "request"), "status"), "closed");
        // Windows: W3C datetimes with offsets; before everything, nothing.
        let (_, none) = get_json(o, "requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00%2B03:00").await;
        assert_eq!(none, json!([]));
        let (_, body) = get(o, "requests.xml?end_date=2000-02-01T00:00:00Z", None).await;
        assert!(body.ends_with("<service_requests/>"), "{body}");
        let now = chrono::Utc::now();
        let around = format!(
            "requests.json?start_date={}&end_date={}",
            encode(&(now - chrono::Duration::days(1)).to_rfc3339()),
            encode(&(now + chrono::Duration::days(1)).to_rfc3339())
        );
        let (status, v) = get_json(o, &around).await;
        assert_eq!((status, ids(&v).len()), (StatusCode::OK, 3), "{v}");
        for (query, format) in [
            ("status=pending", "json"),
            ("start_date=yesterday", "xml"),
            ("start_date=2026-01-01T00:00:00", "json"),
            ("start_date=2026-01-01T00:00:00Z&end_date=2026-05-01T00:00:00Z", "xml"),
            ("start_date=2026-03-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "json"),
            ("jurisdiction_id=nowhere", "xml"),
        ] {
            let (status, body) = get(o, &format!("requests.{format}?{query}"), None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_error(format, &body, 400);
        }
        let (status, body) = get(o, "requests.json?service_code=no-such", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error("json", &body, 404);
        let many = vec!["TW-2026-0000001"; 201].join(",");
        let (status, _) = get(o, &format!("requests.json?service_request_id={many}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

async fn slow_client(backend: Backend) -> Open311 {
    let mut options = Options::on(backend);
    options.open311.posts_per_minute = 2;
    with_options(options).await
}

on_both! { slow_client;
    async fn posts_beyond_the_rate_are_refused(o: &Open311) {
        let form = |key: &str| -> Vec<(String, String)> {
            vec![
                ("api_key".into(), key.to_owned()),
                ("service_code".into(), "water-leak".into()),
                ("address_string".into(), "المنامة".into()),
                ("attribute[depth]".into(), "3".into()),
            ]
        };
        let send = |form: Vec<(String, String)>| async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            post(o, "xml", &pairs).await
        };
        assert_eq!(send(form(&o.key)).await.0, StatusCode::CREATED);
        assert_eq!(send(form(&o.key)).await.0, StatusCode::CREATED);
        let (status, body) = send(form(&o.key)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_error("xml", &body, 429);
        let other = o.app.add_client_key("another-app").await.expect("key");
        assert_eq!(send(form(&other)).await.0, StatusCode::CREATED, "the rate is per client");
        assert_eq!(o.case_count().await, 3);
    }
}

/// A small web server serving media: a photo, a text file and a file too large.
async fn media_server() -> String {
    use axum::routing::get;
    let big = vec![0u8; tawasul_domain::attachment::MAX_ATTACHMENT_BYTES + 1];
    let app = axum::Router::new()
        .route("/leak.png", get(|| async { ([("content-type", "image/png")], png(3)) }))
        .route(
            "/notes.txt",
            get(|| async { ([("content-type", "image/png")], "not a photo at all") }),
        )
        .route(
            "/huge.png",
            get(move || async move { ([("content-type", "image/png")], big) }),
        )
        .route(
            "/moved.png",
            get(|| async { (StatusCode::FOUND, [("location", "http://10.0.0.1/x.png")]) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn fetching_media(backend: Backend) -> Open311 {
    let mut options = Options::on(backend);
    options.open311.fetch_media = true;
    options.open311.media_hosts = vec!["127.0.0.1".into()];
    options.open311.media_private_addresses = true;
    with_options(options).await
}

fn with_media<'a>(key: &'a str, url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("service_code", "water-leak"),
        ("address_string", "المنامة"),
        ("attribute[depth]", "3"),
        ("media_url", url),
    ]
}

on_both! { fetching_media;
    async fn media_are_fetched_from_allowed_hosts_under_the_upload_rules(o: &Open311) {
        let server = media_server().await;
        let photo = format!("{server}/leak.png");
        let (status, body) = post(o, "json", &with_media(&o.key, &photo)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        let reference = v[0]["service_request_id"].as_str().expect("id");
        let case = o.store.case_by_reference(reference).await.expect("read").expect("case");
        let attachments = o.store.attachments(case.id).await.expect("attachments");
        assert_eq!(attachments.len(), 1);
        assert_eq!((attachments[0].mime.as_str(), attachments[0].size_bytes), ("image/png", png(3).len() as i64));
        let (_, read) = get_json(o, &format!("requests/{reference}.json")).await;
        assert_eq!(read[0]["media_url"], photo);
        for (url, mentions) in [
            (format!("{server}/notes.txt"), "media_url"),
            (format!("{server}/huge.png"), "larger"),
            (format!("{server}/moved.png"), "302"),
            (format!("{server}/missing.png"), "404"),
            ("http://localhost:9/x.png".to_owned(), "host"),
            ("ftp://127.0.0.1/x.png".to_owned(), "http"),
            ("http://user:pw@127.0.0.1/x.png".to_owned(), "credentials"),
            ("not a url".to_owned(), "URL"),
        ] {
            let (status, body) = post(o, "xml", &with_media(&o.key, &url)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
            let description = assert_error("xml", &body, 400);
            assert!(description.contains(mentions), "{url}: {description}");
        }
        assert_eq!(o.case_count().await, 1, "a refused medium writes no case");
    }
}

async fn public_media_only(backend: Backend) -> Open311 {
    let mut options = Options::on(backend);
    options.open311.fetch_media = true;
    options.open311.media_hosts = vec!["127.0.0.1".into()];
    with_options(options).await
}

on_both! { public_media_only;
    async fn private_addresses_are_never_asked_unless_allowed(o: &Open311) {
        let server = media_server().await;
        let (status, body) = post(o, "json", &with_media(&o.key, &format!("{server}/leak.png"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(assert_error("json", &body, 400).contains("private address"));
        assert_eq!(o.case_count().await, 0);
    }
}
