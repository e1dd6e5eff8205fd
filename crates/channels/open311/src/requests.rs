//! Service requests: posting one (form-encoded, as the specification says), listing them,
//! reading one, and the look-up token.
//!
//! Intake is not deferred: a posted request is a case at once, so the answer carries its
//! `service_request_id` (our reference) and a `token` that maps straight to it.

use crate::doc::{Answer, Format, Value};
use crate::{resource, w3c, Call, Lang, Params, Refused, State};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{Map, Value as Json};
use std::time::{Duration, Instant};
use tawasul_app::cases::intake::{Intake, Upload};
use tawasul_app::cases::public::{PublicQuery, MAX_PUBLIC_LIST};
use tawasul_app::identity::clients::Client;
use tawasul_app::rows::PublicCaseRow;
use tawasul_app::InputRefused;
use tawasul_domain::catalogue::{FieldType, Service};
use tawasul_domain::intake::{IntakeDraft, LocationDraft, ReporterDraft};
use tawasul_domain::vocab::{Channel, Kind};

/// The specification's limit on a request's description.
pub const MAX_DESCRIPTION: usize = 4_000;
/// The default window of `GET requests`, and the widest one may ask for.
const WINDOW_DAYS: i64 = 90;

/// `POST requests`: a new request from a client application.
pub(crate) async fn post(
    axum::extract::State(state): axum::extract::State<State>,
    Path(file): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Answer, Refused> {
    let (stem, format) = resource(&file)?;
    if stem != "requests" {
        return Err(Refused::new(
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            "only requests may be posted",
        ));
    }
    let body = body.map_err(|r| Refused::new(format, r.status(), r.body_text()))?;
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form {
        return Err(Refused::bad(
            format,
            "send the request as Content-Type: application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(&body).map_err(|m| Refused::bad(format, m))?;
    let call = Call::with(&state, format, params, &headers)?;
    let client = state
        .app
        .client_by_key(call.params.one("api_key").unwrap_or(""))
        .await
        .map_err(|e| Refused::of_identity(format, e))?;
    within_rate(&state, &client, format)?;
    let code = call
        .params
        .given("service_code")
        .ok_or_else(|| Refused::bad(format, "service_code: required"))?;
    let service = state
        .app
        .service(code)
        .await
        .map_err(|e| Refused::of_failure(format, e))?
        .ok_or_else(|| Refused::new(format, StatusCode::NOT_FOUND, "no such service"))?;
    let draft = draft(&call, &service)?;
    let media_url = call.params.given("media_url").map(str::to_owned);
    let mut files = vec![];
    if let Some(url) = &media_url {
        if url.len() > 2_000 {
            return Err(Refused::bad(format, "media_url: at most 2,000 characters"));
        }
        if state.app.settings.open311.fetch_media {
            let upload: Upload = crate::media::fetch(&state.app.settings.open311, url)
                .await
                .map_err(|e| Refused::bad(format, format!("media_url: {e}")))?;
            files.push(upload);
        }
    }
    let receipt = state
        .app
        .submit(Intake {
            draft,
            files,
            idempotency_key: None,
        })
        .await
        .map_err(|e| match e.into_invalid() {
            // The fetched medium is the intake's only file: its refusal is the media_url's.
            Ok(invalid) if invalid.field == "photos" => Refused::bad(format, format!("media_url: {}", invalid.message)),
            Ok(invalid) => Refused::of_failure(format, invalid.into()),
            Err(other) => Refused::of_cases(format, other),
        })?;
    // The case is written; a token that could not be recorded leaves it without one.
    let token = match state.app.record_open311(&receipt.reference, &client, media_url).await {
        Ok(token) => Some(token),
        Err(e) => {
            tracing::error!(reference = %receipt.reference, error = %e, "could not record the Open311 token");
            None
        }
    };
    tracing::info!(reference = %receipt.reference, client = %client.name, "a request arrived by Open311");
    let answer = Value::Object(vec![
        ("service_request_id", receipt.reference.into()),
        ("token", token.into()),
        ("service_notice", Value::Null),
        ("account_id", call.params.given("account_id").map(str::to_owned).into()),
    ]);
    Ok(Answer {
        status: StatusCode::CREATED,
        ..Answer::ok(format, "service_requests", Value::List("request", vec![answer]))
    })
}

/// At most `posts_per_minute` posts per client application in any one minute.
fn within_rate(state: &State, client: &Client, format: Format) -> Result<(), Refused> {
    let limit = state.app.settings.open311.posts_per_minute;
    let now = Instant::now();
    let mut posts = state.posts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    posts.retain(|_, (since, _)| now.duration_since(*since) < Duration::from_secs(60));
    let (since, count) = posts.entry(client.id).or_insert((now, 0));
    if *count >= limit {
        let wait = Duration::from_secs(60)
            .saturating_sub(now.duration_since(*since))
            .as_secs()
            + 1;
        return Err(Refused::throttled(
            format,
            format!("at most {limit} requests a minute per client application"),
            wait,
        ));
    }
    *count += 1;
    Ok(())
}

/// The form as the one intake's draft: the service's form answered from `attribute[…]`,
/// the place, the reporter and the description.
pub(crate) fn draft(call: &Call, service: &Service) -> Result<IntakeDraft, Refused> {
    let f = call.format;
    let p = &call.params;
    let description = p.given("description").unwrap_or("");
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(Refused::bad(f, "description: at most 4,000 characters"));
    }
    // Open311 has no kind of case: a report, where the service takes reports.
    let kind = if service.kinds.contains(&Kind::Report) {
        Kind::Report
    } else {
        service.kinds.first().copied().unwrap_or(Kind::Report)
    };
    let location = match (p.given("lat"), p.given("long")) {
        (Some(lat), Some(lon)) => Some(LocationDraft {
            lat: number(lat).ok_or_else(|| Refused::bad(f, "lat: not a number"))?,
            lon: number(lon).ok_or_else(|| Refused::bad(f, "long: not a number"))?,
        }),
        (None, None) => None,
        _ => return Err(Refused::bad(f, "lat and long: give both or neither")),
    };
    let address = p.given("address_string").map(str::to_owned);
    if location.is_none() && address.is_none() {
        let why = match p.given("address_id") {
            Some(_) => "address_id: not known here; give lat and long or address_string",
            None => "a location is required: lat and long, or address_string",
        };
        return Err(Refused::bad(f, why));
    }
    let name = [p.given("first_name"), p.given("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let reporter = ReporterDraft {
        name: Some(name).filter(|n| !n.is_empty()),
        phone: p.given("phone").map(str::to_owned),
        email: p.given("email").map(str::to_owned),
        language: Some(call.lang.code().to_owned()),
    };
    let anonymous = reporter.name.is_none() && reporter.phone.is_none() && reporter.email.is_none();
    Ok(IntakeDraft {
        service: service.code.clone(),
        kind: kind.as_str().to_owned(),
        description: match description {
            "" => call.lang.pick(&service.name_ar, &service.name_en).to_owned(),
            d => d.to_owned(),
        },
        answers: Some(answers(call, service)?),
        location,
        address,
        reporter: (!anonymous).then_some(reporter),
        language: Some(call.lang.code().to_owned()),
        channel: Some(Channel::Open311),
    })
}

fn number(raw: &str) -> Option<f64> {
    raw.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `attribute[code]=value` and `attribute[code][]=value` as the answers of the service's
/// form, each in its field's type; the domain checks them as it checks every channel's.
fn answers(call: &Call, service: &Service) -> Result<Map<String, Json>, Refused> {
    let f = call.format;
    let mut single: Vec<(&str, &str)> = vec![];
    let mut multi: Vec<(&str, Vec<&str>)> = vec![];
    for (name, value) in call.params.iter() {
        let Some(inner) = name.strip_prefix("attribute[") else {
            continue;
        };
        if let Some(code) = inner.strip_suffix("][]") {
            match multi.iter_mut().find(|(c, _)| *c == code) {
                Some((_, values)) => values.push(value),
                None => multi.push((code, vec![value])),
            }
        } else if let Some(code) = inner.strip_suffix(']') {
            if single.iter().any(|(c, _)| *c == code) {
                return Err(Refused::bad(f, format!("attribute[{code}]: given twice")));
            }
            single.push((code, value));
        } else {
            return Err(Refused::bad(
                f,
                format!("{name}: write attribute[CODE] or attribute[CODE][]"),
            ));
        }
    }
    let mut answers = Map::new();
    for (code, value) in single {
        if value.trim().is_empty() {
            continue;
        }
        let field = service.fields.iter().find(|field| field.key == code);
        let answer = match field.map(|field| field.field_type) {
            Some(FieldType::Number) => match number(value) {
                Some(n) => Json::from(n),
                None => return Err(Refused::bad(f, format!("attribute[{code}]: not a number"))),
            },
            Some(FieldType::Date) => Json::from(date_part(value)),
            Some(FieldType::MultipleChoice) => Json::from(vec![value.to_owned()]),
            _ => Json::from(value),
        };
        answers.insert(code.to_owned(), answer);
    }
    for (code, values) in multi {
        if answers.contains_key(code) {
            return Err(Refused::bad(
                f,
                format!("attribute[{code}]: given both as one value and as a list"),
            ));
        }
        let values: Vec<Json> = values.into_iter().filter(|v| !v.is_empty()).map(Json::from).collect();
        answers.insert(code.to_owned(), Json::from(values));
    }
    Ok(answers)
}

/// A W3C datetime's date in its own offset (`2026-11-01T10:00:00+03:00` → `2026-11-01`);
/// anything else as given, for the domain to judge.
fn date_part(value: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(value.trim()) {
        Ok(t) => t.date_naive().format("%Y-%m-%d").to_string(),
        Err(_) => value.trim().to_owned(),
    }
}

/// `GET requests`: by `service_request_id` (a comma list that overrides the rest), or over a
/// window of at most 90 days (the last 90 by default) by `service_code` and `status`,
/// newest first, at most 1,000.
pub(crate) async fn list(state: &State, call: &Call) -> Result<Answer, Refused> {
    let query = public_query(call, state.app.now_micros())?;
    let rows = state
        .app
        .public_cases(query)
        .await
        .map_err(|e| Refused::of_cases(call.format, e))?;
    let items = rows.iter().map(|r| request(r, call.lang)).collect();
    Ok(Answer::ok(
        call.format,
        "service_requests",
        Value::List("request", items),
    ))
}

/// What `GET requests` asks of the public cases, at `now`.
pub(crate) fn public_query(call: &Call, now: i64) -> Result<PublicQuery, Refused> {
    let f = call.format;
    let p = &call.params;
    let references = p.list("service_request_id");
    Ok(if references.is_empty() {
        let (created_from, created_to) = window(p, now).map_err(|m| Refused::bad(f, m))?;
        let statuses = p.list("status");
        let open = match (
            statuses.iter().any(|s| s == "open"),
            statuses.iter().any(|s| s == "closed"),
        ) {
            _ if statuses.iter().any(|s| s != "open" && s != "closed") => {
                return Err(Refused::bad(f, "status: open or closed"));
            }
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        };
        PublicQuery {
            references: vec![],
            service_codes: p.list("service_code"),
            created_from,
            created_to,
            open,
            limit: MAX_PUBLIC_LIST,
        }
    } else {
        PublicQuery {
            references,
            limit: MAX_PUBLIC_LIST,
            ..PublicQuery::default()
        }
    })
}

/// The creation window in microseconds, `[from, to)`, from `start_date` and `end_date`.
fn window(p: &Params, now: i64) -> Result<(i64, i64), String> {
    let instant = |name: &str| -> Result<Option<i64>, String> {
        p.given(name)
            .map(|raw| {
                chrono::DateTime::parse_from_rfc3339(raw)
                    .map(|t| t.timestamp_micros())
                    .map_err(|_| format!("{name}: a W3C datetime with its offset, e.g. 2026-11-05T08:15:30+03:00"))
            })
            .transpose()
    };
    let span = WINDOW_DAYS * 24 * 3600 * 1_000_000;
    let (start, end) = (instant("start_date")?, instant("end_date")?);
    let (from, to) = match (start, end) {
        (None, None) => (now - span, now + 1),
        (Some(s), None) => (s, s.saturating_add(span)),
        (None, Some(e)) => (e.saturating_sub(span), e.saturating_add(1)),
        (Some(s), Some(e)) => {
            if s > e {
                return Err("start_date: after end_date".into());
            }
            if e - s > span {
                return Err(format!("start_date and end_date: at most {WINDOW_DAYS} days apart"));
            }
            (s, e.saturating_add(1))
        }
    };
    Ok((from, to))
}

/// One request as the public sees it: every field of the specification, none of the reporter's.
fn request(r: &PublicCaseRow, lang: Lang) -> Value {
    let open = r.status.is_open();
    Value::Object(vec![
        ("service_request_id", r.reference.clone().into()),
        ("status", if open { "open" } else { "closed" }.into()),
        ("status_notes", r.resolution.clone().filter(|_| !open).into()),
        ("service_name", lang.pick(&r.service_name_ar, &r.service_name_en).into()),
        ("service_code", r.service_code.clone().into()),
        ("description", r.description.clone().into()),
        (
            "agency_responsible",
            lang.pick(&r.entity_name_ar, &r.entity_name_en).into(),
        ),
        ("service_notice", Value::Null),
        ("requested_datetime", w3c(r.created_at)),
        ("updated_datetime", w3c(r.updated_at)),
        ("expected_datetime", r.resolution_due.map_or(Value::Null, w3c)),
        ("address", r.address.clone().into()),
        ("address_id", Value::Null),
        ("zipcode", Value::Null),
        ("lat", r.lat.into()),
        ("long", r.lon.into()),
        ("media_url", r.media_url.clone().into()),
    ])
}

/// `GET requests/{service_request_id}`: one request, as a list of one.
pub(crate) async fn one(
    axum::extract::State(state): axum::extract::State<State>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Answer, Refused> {
    let (reference, format) = resource(&file)?;
    let call = Call::new(&state, format, query.as_deref(), &headers)?;
    let row = state
        .app
        .public_case(reference)
        .await
        .map_err(|e| Refused::of_cases(format, e))?;
    Ok(Answer::ok(
        format,
        "service_requests",
        Value::List("request", vec![request(&row, call.lang)]),
    ))
}

/// `GET tokens/{token}`: the request a token stands for.
pub(crate) async fn token(
    axum::extract::State(state): axum::extract::State<State>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Answer, Refused> {
    let (token, format) = resource(&file)?;
    Call::new(&state, format, query.as_deref(), &headers)?;
    let reference = state
        .app
        .open311_token(token)
        .await
        .map_err(|e| Refused::of_cases(format, e))?;
    let item = Value::Object(vec![
        ("service_request_id", reference.into()),
        ("token", token.to_owned().into()),
    ]);
    Ok(Answer::ok(
        format,
        "service_requests",
        Value::List("request", vec![item]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params::parse(q.as_bytes()).expect("parses")
    }

    #[test]
    fn the_window_is_the_last_90_days_unless_asked_and_never_wider() {
        let now = 1_800_000_000_000_000;
        let day = 24 * 3600 * 1_000_000;
        assert_eq!(window(&params(""), now), Ok((now - 90 * day, now + 1)));
        let s = chrono::DateTime::parse_from_rfc3339("2026-11-05T08:15:30+03:00")
            .expect("date")
            .timestamp_micros();
        assert_eq!(
            window(&params("start_date=2026-11-05T08:15:30%2B03:00"), now),
            Ok((s, s + 90 * day))
        );
        assert_eq!(
            window(
                &params("start_date=2026-11-05T05:15:30Z&end_date=2026-11-06T05:15:30Z"),
                now
            ),
            Ok((s, s + day + 1))
        );
        for bad in [
            "start_date=2026-11-05",
            "start_date=2026-11-05T08:15:30",
            "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
            "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
        ] {
            assert!(window(&params(bad), now).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_datetime_attribute_keeps_its_own_date() {
        assert_eq!(date_part("2026-11-01T23:30:00+03:00"), "2026-11-01");
        assert_eq!(date_part("2026-11-01"), "2026-11-01");
        assert_eq!(date_part("yesterday"), "yesterday");
    }
}
