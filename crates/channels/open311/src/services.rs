//! Service discovery, the service list and each service's definition: our catalogue and its
//! typed forms, as GeoReport v2 names them.

use crate::doc::{Answer, Value};
use crate::{resource, Call, Refused, State, ROOT};
use axum::extract::{Path, RawQuery};
use axum::http::HeaderMap;
use tawasul_domain::catalogue::{FieldType, FormField, Service};

/// When this endpoint's contract last changed (the discovery's `changeset`).
const CHANGESET: &str = "2026-12-01T00:00:00Z";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// `GET discovery`: this endpoint, its formats and how to get a key.
pub(crate) fn discovery(state: &State, call: &Call, headers: &HeaderMap) -> Answer {
    let settings = &state.app.settings;
    let url = match &settings.public_url {
        Some(_) => settings.public_link(ROOT),
        None => {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}{ROOT}")
        }
    };
    let formats = ["text/xml", "application/json"].map(Value::from).to_vec();
    let endpoint = Value::Object(vec![
        ("specification", SPECIFICATION.into()),
        ("url", url.into()),
        ("changeset", CHANGESET.into()),
        ("type", "production".into()),
        ("formats", Value::List("format", formats)),
    ]);
    let key_service = call.lang.pick(
        "يصدر مشغّل الخدمة مفتاح كل تطبيق: tawasul open311 key add NAME",
        "Keys are issued per client application by the operator: tawasul open311 key add NAME",
    );
    Answer::ok(
        call.format,
        "discovery",
        Value::Object(vec![
            ("changeset", CHANGESET.into()),
            ("contact", settings.open311.contact.clone().into()),
            ("key_service", key_service.into()),
            ("endpoints", Value::List("endpoint", vec![endpoint])),
        ]),
    )
}

/// `GET services`: every active service, grouped by the entity that offers it.
pub(crate) async fn list(state: &State, call: &Call) -> Result<Answer, Refused> {
    let f = call.format;
    let services = state
        .app
        .find_services("", None)
        .await
        .map_err(|e| Refused::of_failure(f, e))?;
    let entities = state.app.entities().await.map_err(|e| Refused::of_failure(f, e))?;
    let items = services
        .iter()
        .map(|s| {
            let group = entities
                .iter()
                .find(|e| e.id == s.entity_id)
                .map(|e| call.lang.pick(&e.name_ar, &e.name_en).to_owned());
            Value::Object(vec![
                ("service_code", s.code.clone().into()),
                ("service_name", call.lang.pick(&s.name_ar, &s.name_en).into()),
                (
                    "description",
                    call.lang.pick(&s.description_ar, &s.description_en).into(),
                ),
                ("metadata", Value::Bool(!s.fields.is_empty())),
                ("type", "realtime".into()),
                ("keywords", keywords(s, call).into()),
                ("group", group.into()),
            ])
        })
        .collect();
    Ok(Answer::ok(f, "services", Value::List("service", items)))
}

/// The service's name in the other language and its kinds: words a client may search by.
fn keywords(s: &Service, call: &Call) -> String {
    let other = call.lang.pick(&s.name_en, &s.name_ar);
    let mut words = vec![other.to_owned()];
    words.extend(s.kinds.iter().map(|k| k.as_str().to_owned()));
    words.join(",")
}

/// `GET services/{service_code}`: the service's form as attributes.
pub(crate) async fn definition(
    axum::extract::State(state): axum::extract::State<State>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Answer, Refused> {
    let (code, format) = resource(&file)?;
    let call = Call::new(&state, format, query.as_deref(), &headers)?;
    let service = state
        .app
        .service(code)
        .await
        .map_err(|e| Refused::of_failure(format, e))?
        .ok_or_else(|| Refused::new(format, axum::http::StatusCode::NOT_FOUND, "no such service"))?;
    let attributes = service
        .fields
        .iter()
        .enumerate()
        .map(|(i, field)| attribute(field, i, &call))
        .collect();
    Ok(Answer::ok(
        format,
        "service_definition",
        Value::Object(vec![
            ("service_code", service.code.clone().into()),
            ("attributes", Value::List("attribute", attributes)),
        ]),
    ))
}

/// The GeoReport datatype of one of our field types.
pub(crate) fn datatype(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "text",
        FieldType::Number => "number",
        FieldType::Date => "datetime",
        FieldType::SingleChoice => "singlevaluelist",
        FieldType::MultipleChoice => "multivaluelist",
    }
}

fn attribute(field: &FormField, index: usize, call: &Call) -> Value {
    let lang = call.lang;
    let described = match field.field_type {
        FieldType::Number => match (field.min, field.max) {
            (Some(min), Some(max)) => lang
                .pick(
                    &format!("رقم من {min} إلى {max}"),
                    &format!("a number from {min} to {max}"),
                )
                .to_owned(),
            (Some(min), None) => lang
                .pick(&format!("رقم لا يقل عن {min}"), &format!("a number, at least {min}"))
                .to_owned(),
            (None, Some(max)) => lang
                .pick(&format!("رقم لا يزيد على {max}"), &format!("a number, at most {max}"))
                .to_owned(),
            (None, None) => lang.pick("رقم", "a number").to_owned(),
        },
        FieldType::Date => lang.pick("تاريخ بصيغة YYYY-MM-DD", "a date, YYYY-MM-DD").to_owned(),
        FieldType::Text => lang.pick("نص حتى 1000 حرف", "text, up to 1,000 characters").to_owned(),
        FieldType::SingleChoice => lang.pick("اختر قيمة واحدة", "choose one value").to_owned(),
        FieldType::MultipleChoice => lang.pick("اختر قيمة أو أكثر", "choose one or more values").to_owned(),
    };
    let values = field
        .options
        .iter()
        .map(|o| {
            Value::Object(vec![
                ("key", o.value.clone().into()),
                ("name", lang.pick(&o.label_ar, &o.label_en).into()),
            ])
        })
        .collect();
    Value::Object(vec![
        ("variable", Value::Bool(true)),
        ("code", field.key.clone().into()),
        ("datatype", datatype(field.field_type).into()),
        ("required", Value::Bool(field.required)),
        ("datatype_description", described.into()),
        ("order", Value::Int(index as i64 + 1)),
        ("description", lang.pick(&field.label_ar, &field.label_en).into()),
        ("values", Value::List("value", values)),
    ])
}
