//! The staff case list's filters by department, assignee, kind, area, language and entity
//! (issues 12 and 16 §3) through `GET /api/v1/cases`, on SQLite and PostgreSQL: each narrows
//! to exactly its cases, bad values are refused with their field, and no filter shows a role
//! a case it could not already see.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

/// Sunday 1 March 2026, 08:00 in Bahrain.
const T0: &str = "2026-03-01T05:00:00Z";

/// A square around Manama, the capital's one area.
const AREA: &str = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Manama"},
  "geometry": {"type": "Polygon", "coordinates": [[[50.5, 26.1], [50.7, 26.1], [50.7, 26.3], [50.5, 26.3], [50.5, 26.1]]]}}]}"#;

async fn setup(backend: Backend) -> TestApp {
    let t = spawn(Options {
        clock_starts: Some(T0.parse::<DateTime<Utc>>().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    for (code, dept) in [("cap", "water"), ("mun", "lighting")] {
        f.entity(code, "جهة", "Entity", "governorate").await;
        f.department(code, dept, "قسم", "Dept").await;
        f.department(code, "other", "آخر", "Other").await;
        f.service(ServiceSpec {
            entity: code,
            code: &format!("{code}-service"),
            name: ("تسرب مياه", "Water leak"),
            description: ("", ""),
            kinds: &["complaint", "report"],
            department: dept,
            fields: json!([]),
        })
        .await;
    }
    for (name, role, entity) in [
        ("cap.supervisor", Role::Supervisor, Some("cap")),
        ("cap.officer", Role::Officer, Some("cap")),
        ("mun.officer", Role::Officer, Some("mun")),
        ("root", Role::Admin, None),
    ] {
        f.staff(name, role, entity).await;
    }
    t.app
        .import_areas_as_operator("cap", AREA)
        .await
        .expect("the capital's area");
    t
}

fn case(service: &str, kind: &str, language: &str, located: bool) -> Value {
    let mut case = json!({
        "service": service,
        "kind": kind,
        "language": language,
        "description": format!("حالة {kind} {language}"),
    });
    if located {
        case["location"] = json!({"lat": 26.2, "lon": 50.58});
    }
    case
}

/// The references a list shows `token`, sorted; the status and body when it is refused.
async fn listed(t: &TestApp, token: &str, query: &str) -> Result<Vec<String>, (StatusCode, Value)> {
    let (status, page) = t.api_get(&format!("/api/v1/cases?{query}"), Some(token)).await;
    if status != StatusCode::OK {
        return Err((status, page));
    }
    let mut refs: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["reference"].as_str().expect("reference").to_owned())
        .collect();
    refs.sort();
    Ok(refs)
}

fn sorted(refs: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = refs.iter().map(|r| (*r).clone()).collect();
    v.sort();
    v
}

on_both! { setup;
    async fn each_new_filter_narrows_to_exactly_its_cases(t: &TestApp) {
        // a: a located complaint in Arabic, assigned; b: an unlocated report in English;
        // c: the other entity's complaint; d: received at 01:30 on 2 March in
        // Bahrain, which is still 1 March in UTC.
        let (a, _) = t.submit(case("cap-service", "complaint", "ar", true)).await;
        let (b, _) = t.submit(case("cap-service", "report", "en", false)).await;
        let (c, _) = t.submit(case("mun-service", "complaint", "ar", false)).await;
        t.advance(Duration::minutes(17 * 60 + 30));
        let (d, _) = t.submit(case("cap-service", "complaint", "ar", false)).await;
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, body) = t
            .api_post(
                &format!("/api/v1/cases/{a}/transitions"),
                Some(&supervisor),
                json!({"action": "assign", "department": "other", "assignee": "cap.officer"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let area = t.store.area_names().await.expect("areas");
        let area = area.first().expect("the capital's area").id;
        let root = t.login("root", PASSWORD).await;

        let expect = |who: &'static str, query: String, cases: Vec<&String>| (who, query, sorted(&cases));
        for (who, query, want) in [
            expect("root", "assignee=cap.officer".into(), vec![&a]),
            expect("root", "assignee=none".into(), vec![&b, &c, &d]),
            expect("cap", "assignee=none".into(), vec![&b, &d]),
            expect("cap", "department=other".into(), vec![&a]),
            expect("cap", "department=water".into(), vec![&b, &d]),
            expect("cap", "department=none".into(), vec![]),
            expect("root", "kind=report".into(), vec![&b]),
            expect("root", format!("area={area}"), vec![&a]),
            expect("cap", "area=none".into(), vec![&b, &d]),
            expect("root", "language=en".into(), vec![&b]),
            expect("root", "language=ar&entity=cap".into(), vec![&a, &d]),
            expect("root", "entity=mun".into(), vec![&c]),
            expect("root", "entity=mun&department=other".into(), vec![]),
            expect("root", "entity=cap&department=other&assignee=cap.officer&kind=complaint&language=ar".into(), vec![&a]),
            // Dates are the entity's local days (Bahrain, UTC+3), as the KPI reports count them.
            expect("cap", "from=2026-03-02&to=2026-03-03".into(), vec![&d]),
            expect("cap", "from=2026-03-01&to=2026-03-02".into(), vec![&a, &b]),
            expect("cap", "from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z".into(), vec![&a, &b, &d]),
        ] {
            let token = if who == "root" { &root } else { &supervisor };
            for sort in ["newest", "due"] {
                let got = listed(t, token, &format!("{query}&sort={sort}")).await;
                assert_eq!(got.as_ref().ok(), Some(&want), "{who}: {query}&sort={sort} → {got:?}");
            }
        }
    }

    async fn no_filter_shows_a_role_what_it_could_not_see(t: &TestApp) {
        let (a, _) = t.submit(case("cap-service", "report", "en", true)).await;
        let (c, _) = t.submit(case("mun-service", "report", "en", false)).await;
        let mun = t.login("mun.officer", PASSWORD).await;
        let area = t.store.area_names().await.expect("areas");
        let area = area.first().expect("the capital's area").id;
        // What mun's officer sees at all: its own case. Every filter stays within it.
        assert_eq!(listed(t, &mun, "").await.ok(), Some(vec![c.clone()]));
        for query in ["assignee=none", "kind=report", "language=en", "department=other", "area=none", "entity=mun"] {
            let got = listed(t, &mun, query).await.unwrap_or_else(|e| panic!("{query}: {e:?}"));
            assert!(!got.contains(&a), "{query} shows another entity's case: {got:?}");
            assert!(got.iter().all(|r| *r == c), "{query}: {got:?}");
        }
        // Another entity's members are unknown to it, and its entity forbidden.
        for (query, code, field) in [
            (format!("area={area}"), "unknown_area", "area"),
            ("assignee=cap.supervisor".to_owned(), "unknown_assignee", "assignee"),
        ] {
            let (status, err) = listed(t, &mun, &query).await.expect_err("refused");
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {err}");
            assert_eq!((err["error"]["code"].as_str(), err["error"]["field"].as_str()), (Some(code), Some(field)), "{query}: {err}");
        }
        let (status, err) = listed(t, &mun, "entity=cap").await.expect_err("refused");
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    }

    async fn bad_filter_values_are_refused_with_their_field(t: &TestApp) {
        t.submit(case("cap-service", "report", "en", true)).await;
        let root = t.login("root", PASSWORD).await;
        for (query, code, field) in [
            ("area=north", "invalid_area", "area"),
            ("area=99999", "unknown_area", "area"),
            ("area=", "invalid_area", "area"),
            ("language=arabic", "unknown_language", "language"),
            ("kind=rumour", "unknown_kind", "kind"),
            ("assignee=nobody", "unknown_assignee", "assignee"),
            ("department=nowhere", "unknown_department", "department"),
            ("entity=nowhere", "unknown_entity", "entity"),
        ] {
            let (status, err) = listed(t, &root, query).await.map(|ok| panic!("{query} is refused, not {ok:?}")).unwrap_or_else(|e| e);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {err}");
            assert_eq!((err["error"]["code"].as_str(), err["error"]["field"].as_str()), (Some(code), Some(field)), "{query}: {err}");
        }
        let (status, err) = listed(t, &root, "area_id=1").await.expect_err("an unknown parameter");
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_query")), "{err}");
    }

    async fn history_loaded_in_bulk_is_located_in_its_area(t: &TestApp) {
        use tawasul_store::{CaseInsert, LoadedCase};
        let entity = t.app.operator().entity_id("cap").await.expect("entity").expect("cap");
        let service = t.app.services().await.expect("services").into_iter().find(|s| s.code == "cap-service").expect("service");
        let at = |(lat, lon): (f64, f64), n: usize| LoadedCase {
            case: CaseInsert {
                token_hash: format!("{n:064x}"),
                entity_id: entity,
                service_id: service.id,
                kind: "report".into(),
                status: "new".into(),
                channel: "web".into(),
                language: "ar".into(),
                priority: "normal".into(),
                description: format!("بلاغ تاريخي {n}"),
                answers: "{}".into(),
                lat: Some(lat),
                lon: Some(lon),
                created_at: t.app.now_micros(),
                ..CaseInsert::default()
            },
            updated_at: t.app.now_micros(),
            ..LoadedCase::default()
        };
        // Inside Manama, then far outside it (Riyadh).
        t.app.operator().load_cases(vec![at((26.2, 50.58), 1), at((24.7, 46.7), 2)]).await.expect("loaded");
        let area = t.store.area_names().await.expect("areas");
        let area = area.first().expect("the capital's area").id;
        let root = t.login("root", PASSWORD).await;
        let inside = listed(t, &root, &format!("area={area}")).await.expect("listed");
        let outside = listed(t, &root, "area=none&entity=cap").await.expect("listed");
        assert_eq!(inside.len(), 1, "{inside:?}");
        assert_eq!(outside.len(), 1, "{outside:?}");
        assert_ne!(inside, outside);
    }
}
