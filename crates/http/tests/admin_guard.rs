//! What one entity's administrator may not do to another entity's cases (issue 13, findings 6
//! and 7): draw areas over a neighbour of the same level (routing prefers the smaller area),
//! move their entity to another level, or impose an OLA on the receiver. The platform
//! administrator may; each refusal changes nothing.

use chrono::DateTime;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tawasul_demo::DEMO_PASSWORD;
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp, CSRF};

/// The demo on a test clock at a working morning in Bahrain (Sunday 22 November 2026, 08:00),
/// with a second municipality, `muh`, and its administrator.
async fn demo(backend: Backend) -> TestApp {
    let start = DateTime::parse_from_rfc3339("2026-11-22T08:00:00+03:00")
        .expect("time")
        .to_utc();
    let t = spawn(Options {
        clock_starts: Some(start),
        demo: true,
        ..Options::on(backend)
    })
    .await;
    tawasul_demo::seed(&t.app).await.expect("demo seeded");
    Fixtures::new(&t.app)
        .await
        .entity("muh", "بلدية المحرق", "Muharraq Municipality", "municipality")
        .await
        .staff("muh.admin", Role::Admin, Some("muh"))
        .await;
    t
}

/// A GeoJSON polygon over the box [west, east] × [south, north].
fn square(west: f64, south: f64, east: f64, north: f64) -> String {
    json!({"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]})
        .to_string()
}

async fn put_areas(t: &TestApp, token: &str, entity: &str, geojson: String) -> (StatusCode, Value) {
    let request = t
        .client
        .put(t.url(&format!("/api/v1/admin/entities/{entity}/areas")))
        .bearer_auth(token)
        .header("content-type", "application/geo+json")
        .body(geojson);
    t.json_of(request).await
}

async fn level(t: &TestApp, entity: &str) -> String {
    let entities = t.store.entities().await.expect("entities");
    entities
        .into_iter()
        .find(|e| e.code == entity)
        .expect("entity")
        .entity_type
}

async fn area_count(t: &TestApp, entity: &str) -> usize {
    let entities = t.store.entities().await.expect("entities");
    let id = entities.iter().find(|e| e.code == entity).expect("entity").id;
    t.store
        .areas()
        .await
        .expect("areas")
        .iter()
        .filter(|a| a.entity_id == id)
        .count()
}

// The demo's Manama municipality (`mun`) serves [50.555, 50.615] × [26.195, 26.245]; the
// Capital Governorate (`cap`), a level above, serves [50.53, 50.66] × [26.15, 26.26].

on_both! { demo;
    async fn an_entity_administrator_cannot_draw_areas_over_a_neighbour_of_the_same_level(t: &TestApp) {
        let muh = t.login("muh.admin", PASSWORD).await;

        // A tiny polygon over Manama's: it would win every case located in it.
        let (status, body) = put_areas(t, &muh, "muh", square(50.58, 26.21, 50.581, 26.211)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains("features[0] overlaps mun"), "{message}");
        assert_eq!(area_count(t, "muh").await, 0, "nothing imported");

        // Its neighbour edge to edge: allowed, nothing to report.
        let (status, body) = put_areas(t, &muh, "muh", square(50.615, 26.195, 50.65, 26.245)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"count": 1}));

        // A case located inside Manama's area still goes to Manama.
        let (status, made) = t
            .api_post(
                "/api/v1/cases",
                None,
                json!({"service": "street-cleaning", "kind": "complaint", "description": "عمود إنارة معطل",
                       "location": {"lat": 26.2105, "lon": 50.5805}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let agent = t.login("mun.agent", DEMO_PASSWORD).await;
        let (status, case) = t
            .api_get(&format!("/api/v1/cases/{}", made["reference"].as_str().expect("reference")), Some(&agent))
            .await;
        assert_eq!((status, case["entity"].as_str()), (StatusCode::OK, Some("mun")), "{case}");

        // Another level's areas are another map: the governorate's covers Manama's, as it should.
        let cap = t.login("cap.admin", DEMO_PASSWORD).await;
        let (status, body) = put_areas(t, &cap, "cap", square(50.53, 26.15, 50.66, 26.26)).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"count": 1})));

        // The platform administrator may draw the overlap, and is told about it.
        let platform = t.login("admin", DEMO_PASSWORD).await;
        let two = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": serde_json::from_str::<Value>(&square(50.615, 26.195, 50.65, 26.245)).expect("json")},
            {"type": "Feature", "properties": {}, "geometry": serde_json::from_str::<Value>(&square(50.58, 26.21, 50.581, 26.211)).expect("json")},
        ]});
        let (status, body) = put_areas(t, &platform, "muh", two.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["overlaps"], json!([{"feature": 1, "entity": "mun"}]), "{body}");
        assert_eq!(area_count(t, "muh").await, 2);
    }
}

on_both! { demo;
    async fn only_the_platform_administrator_changes_an_entitys_level(t: &TestApp) {
        let form = |entity_type: &'static str| {
            vec![
                ("csrf_token", CSRF),
                ("name_ar", "بلدية المحرق"),
                ("name_en", "Muharraq Municipality"),
                ("entity_type", entity_type),
            ]
        };
        let own = t.staff_cookie("muh.admin", PASSWORD).await;
        let page = t.post_form("/staff/admin/entities/muh", &own, &form("governorate")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
        assert!(
            page.body.contains("لا يغيّر مستوى الجهة إلا مدير المنصة"),
            "the refusal is shown beside the field: {}",
            page.body
        );
        assert_eq!(level(t, "muh").await, "municipality", "unchanged");
        // Renaming without a change of level is still theirs to do.
        let page = t.post_form("/staff/admin/entities/muh", &own, &form("municipality")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

        let platform = t.staff_cookie("admin", DEMO_PASSWORD).await;
        let page = t.post_form("/staff/admin/entities/muh", &platform, &form("governorate")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(level(t, "muh").await, "governorate");
    }
}

/// The accept-by time of the case's latest transfer.
async fn accept_due(t: &TestApp, token: &str, reference: &str) -> String {
    let (status, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case["transfers"]
        .as_array()
        .and_then(|all| all.last())
        .and_then(|last| last["accept_due"].as_str())
        .unwrap_or_else(|| panic!("a transfer with its accept-by time: {case}"))
        .to_owned()
}

/// A case of the Capital Governorate, transferred to the Manama municipality now.
async fn transferred(t: &TestApp, agent: &str) -> String {
    let (status, made) = t
        .api_post(
            "/api/v1/cases",
            None,
            json!({"service": "water-leak", "kind": "complaint", "description": "تسرب مياه أمام المنزل",
                   "location": {"lat": 26.165, "lon": 50.645}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let reference = made["reference"].as_str().expect("reference").to_owned();
    let path = format!("/api/v1/cases/{reference}");
    let (status, body) = t
        .api_post(
            &format!("{path}/transitions"),
            Some(agent),
            json!({"action": "acknowledge"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .api_post(
            &format!("{path}/transfer"),
            Some(agent),
            json!({"entity": "mun", "reason": "يتبع البلدية"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    reference
}

on_both! { demo;
    async fn an_ola_binds_the_receiver_only_once_it_accepts(t: &TestApp) {
        let cap = t.login("cap.admin", DEMO_PASSWORD).await;
        let mun = t.login("mun.admin", DEMO_PASSWORD).await;
        let agent = t.login("cap.agent", DEMO_PASSWORD).await;
        let terms = json!({"from_entity": "cap", "to_entity": "mun", "accept_minutes": 30, "resolve_minutes": 600});
        let pair = json!({"from_entity": "cap", "to_entity": "mun"});

        // The demo's agreed terms: four working hours to accept, so 12:00 this morning.
        let before = transferred(t, &agent).await;
        assert_eq!(accept_due(t, &agent, &before).await, "2026-11-22T09:00:00+00:00");

        // The sender proposes 30 minutes; transfers keep the agreed terms meanwhile.
        let (status, body) = t.call(Method::PUT, "/api/v1/admin/olas", Some(&cap), Some(terms.clone())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["state"].as_str(), body["proposed_by"].as_str()), (Some("proposed"), Some("cap.admin")));
        let pending = transferred(t, &agent).await;
        assert_eq!(accept_due(t, &agent, &pending).await, "2026-11-22T09:00:00+00:00", "not binding yet");

        // The sender cannot accept its own proposal; the receiver sees it and accepts it.
        let (status, body) = t.api_post("/api/v1/admin/olas/accept", Some(&cap), pair.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, listed) = t.api_get("/api/v1/admin/entities/mun/olas", Some(&mun)).await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        let proposed: Vec<&Value> = listed.as_array().expect("list").iter().filter(|o| o["state"] == "proposed").collect();
        assert_eq!(proposed.len(), 1, "{listed}");
        assert_eq!((proposed[0]["from_entity"].as_str(), proposed[0]["accept_minutes"].as_i64()), (Some("cap"), Some(30)));
        let (status, body) = t.api_post("/api/v1/admin/olas/accept", Some(&mun), pair.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "agreed");
        let after = transferred(t, &agent).await;
        assert_eq!(accept_due(t, &agent, &after).await, "2026-11-22T05:30:00+00:00", "the accepted terms bind");
        assert_eq!(accept_due(t, &agent, &before).await, "2026-11-22T09:00:00+00:00", "earlier transfers keep theirs");

        // Accepted once: again is not found. A declined proposal leaves the agreed terms.
        let (status, _) = t.api_post("/api/v1/admin/olas/accept", Some(&mun), pair.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let longer = json!({"from_entity": "cap", "to_entity": "mun", "accept_minutes": 2, "resolve_minutes": 60});
        let (status, _) = t.call(Method::PUT, "/api/v1/admin/olas", Some(&cap), Some(longer)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = t.api_post("/api/v1/admin/olas/decline", Some(&mun), pair.clone()).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, listed) = t.api_get("/api/v1/admin/entities/cap/olas", Some(&cap)).await;
        let cap_to_mun: Vec<&Value> = listed
            .as_array()
            .expect("list")
            .iter()
            .filter(|o| o["from_entity"] == "cap" && o["to_entity"] == "mun")
            .collect();
        assert_eq!(cap_to_mun.len(), 1, "{listed}");
        assert_eq!((cap_to_mun[0]["state"].as_str(), cap_to_mun[0]["accept_minutes"].as_i64()), (Some("agreed"), Some(30)));

        // Refused without a trace: another entity's list, a made-up entity, the pair reversed.
        let (status, _) = t.api_get("/api/v1/admin/entities/cap/olas", Some(&mun)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = t
            .api_post("/api/v1/admin/olas/accept", Some(&mun), json!({"from_entity": "nope", "to_entity": "mun"}))
            .await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from_entity")), "{body}");
        let (status, _) = t.api_post("/api/v1/admin/olas/accept", Some(&mun), json!({"from_entity": "mun", "to_entity": "cap"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "mun does not receive under mun → cap");
        let (status, _) = t
            .call(Method::PUT, "/api/v1/admin/olas", Some(&cap), Some(json!({"from_entity": "cap", "to_entity": "cap", "accept_minutes": 5, "resolve_minutes": 5})))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // The platform administrator's terms are agreed at once.
        let platform = t.login("admin", DEMO_PASSWORD).await;
        let (status, body) = t
            .call(Method::PUT, "/api/v1/admin/olas", Some(&platform), Some(json!({"from_entity": "mun", "to_entity": "cap", "accept_minutes": 90, "resolve_minutes": 900})))
            .await;
        assert_eq!((status, body["state"].as_str()), (StatusCode::OK, Some("agreed")), "{body}");
    }
}
