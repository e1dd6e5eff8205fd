//! The KPI engine end to end (issue 16 §2): a known set of cases worked through the API on the
//! test clock, every KPI checked against figures worked out by hand, on SQLite and PostgreSQL;
//! the figures kept incrementally equal the figures rebuilt from the events; targets, states,
//! and the refusals of `GET /api/v1/kpis`.

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tawasul_domain::kpi::RELATIVE_ERROR;
use tawasul_domain::vocab::{Role, Status};
use tawasul_store::{AgentRatingInsert, CaseChange, ConversationStart, EventInsert, SurveyInsert};
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

/// Sunday 1 March 2026, 08:00 in Bahrain: the first hour of a working day (07:00–14:00).
const T0: &str = "2026-03-01T05:00:00Z";

/// A square around Manama: cases reported inside it are in the capital's area 1.
const AREA: &str = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Manama"},
  "geometry": {"type": "Polygon", "coordinates": [[[50.5, 26.1], [50.7, 26.1], [50.7, 26.3], [50.5, 26.3], [50.5, 26.1]]]}}]}"#;

async fn setup(backend: Backend) -> TestApp {
    let t = spawn(Options {
        clock_starts: Some(T0.parse::<DateTime<Utc>>().expect("instant")),
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    f.capital(json!([])).await;
    f.department("cap", "roads", "الطرق", "Roads").await;
    f.entity("south", "الجنوبية", "Southern", "governorate").await;
    f.department("south", "works", "الأشغال", "Works").await;
    f.service(ServiceSpec {
        entity: "south",
        code: "south-roads",
        name: ("طرق", "Roads"),
        description: ("", ""),
        kinds: &["complaint"],
        department: "works",
        fields: json!([]),
    })
    .await;
    for (name, role, entity) in [
        ("cap.admin", Role::Admin, Some("cap")),
        ("cap.agent", Role::Agent, Some("cap")),
        ("south.supervisor", Role::Supervisor, Some("south")),
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

fn case(description: &str, kind: &str, located: bool) -> Value {
    let mut case = json!({
        "service": "water-leak",
        "kind": kind,
        "description": description,
        "reporter": {"name": "مريم", "email": "maryam@example.bh", "language": "ar"},
    });
    if located {
        case["location"] = json!({"lat": 26.2, "lon": 50.58});
    }
    case
}

/// Posts as `username`, signed in afresh (sessions end while the clock runs for days).
async fn act(t: &TestApp, username: &str, path: String, body: Value) -> Value {
    let token = t.login(username, PASSWORD).await;
    let (status, answer) = t.api_post(&path, Some(&token), body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

async fn transition(t: &TestApp, reference: &str, action: &str, extra: Value) {
    let mut body = json!({"action": action});
    body.as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    act(
        t,
        "cap.supervisor",
        format!("/api/v1/cases/{reference}/transitions"),
        body,
    )
    .await;
}

/// The reporter's survey with "is the problem really solved?" as the closure flow records it,
/// written directly so that the verdict's own consequences (closing, reopening) leave the
/// hand-worked timeline as it is.
async fn survey_with_answer(t: &TestApp, reference: &str, scores: (i64, i64, i64), solved: bool) {
    let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
    let at = t.app.now_micros();
    let (quality, speed, agent) = scores;
    let low = quality.min(speed).min(agent) <= 2;
    t.store
        .insert_survey(SurveyInsert {
            case_id: case.id,
            round: 1,
            solved: Some(solved),
            link: None,
            change: None,
            quality,
            speed,
            agent,
            comment: None,
            low,
            created_at: at,
            event: EventInsert {
                case_id: case.id,
                at,
                actor_type: "reporter".into(),
                actor_name: "reporter".into(),
                action: "survey".into(),
                public: true,
                details: json!({"quality": quality, "speed": speed, "agent": agent, "low": low, "solved": solved})
                    .to_string(),
                ..EventInsert::default()
            },
        })
        .await
        .expect("survey");
}

/// A chat about case A whose resident rated the agent (what the live chat writes at its end).
async fn rate_chat_agent(t: &TestApp, reference: &str, score: i64) {
    let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
    let at = t.app.now_micros();
    let start = ConversationStart {
        channel: "chat".into(),
        address: "web:kpi".into(),
        state: "{}".into(),
        at,
    };
    let chat = t.store.start_conversation(start).await.expect("chat");
    let rating = AgentRatingInsert {
        conversation_id: chat.id,
        staff_id: case.assignee_id.expect("assigned"),
        case_id: Some(case.id),
        agent_score: score,
        answer_score: 5,
        at,
    };
    t.store.rate_agent(rating).await.expect("rated");
}

/// The automatic close of a resolved case as the sweep records it, at the moment the timeline
/// needs it rather than when the survey's link runs out.
async fn close_automatically(t: &TestApp, reference: &str) {
    let case = t.store.case_by_reference(reference).await.expect("read").expect("case");
    let at = t.app.now_micros();
    t.store
        .change_case(CaseChange {
            case_id: case.id,
            expected_status: Status::Resolved,
            status: Some(Status::Closed),
            at,
            event: EventInsert {
                case_id: case.id,
                at,
                actor_type: "system".into(),
                actor_name: "closure".into(),
                action: "close".into(),
                from_status: Some(Status::Resolved),
                to_status: Some(Status::Closed),
                public: true,
                details: json!({"auto": true}).to_string(),
                ..EventInsert::default()
            },
            ..CaseChange::default()
        })
        .await
        .expect("closed");
}

/// The cases of the period, each worked as its comment says; times from T0.
async fn story(t: &TestApp) {
    // A: in the area; assigned after 60 min, resolved after 120; rated 5/4/5, solved.
    // B: answered by a public reply after 180 min, resolved at 240, reopened at 300, resolved
    //    again at 26 h (Monday 10:00: 540 working minutes); rated 2/2/1, not solved. A, B
    //    and E are assigned to cap.supervisor.
    // C: never answered: the SLA sweep escalates it (75 % and 100 % of its first response
    //    target); eight days on its reporter says it was ignored, which makes F.
    // D: a report moved to the roads department at 15 min, rejected at 30.
    // E: assigned at 60, resolved at 90, closed automatically on day 3; rated 3/3/4 through
    //    the API (no answer to "solved?").
    //    A chat about A rated its agent 4.
    // G: transferred to the southern governorate at 45 min, accepted at 50 (within the OLA).
    let (a, _) = t.submit(case("تسرب مياه في الشارع", "complaint", true)).await;
    let (b, _) = t.submit(case("تسرب مياه أمام المدرسة", "complaint", false)).await;
    let (c, c_token) = t.submit(case("تسرب مياه مستمر", "complaint", false)).await;
    let (d, _) = t.submit(case("حفرة في الطريق", "report", false)).await;
    let (e, e_token) = t.submit(case("تسرب مياه قرب السوق", "complaint", false)).await;
    let (g, _) = t.submit(case("تسرب مياه في الجنوب", "complaint", false)).await;

    t.advance(Duration::minutes(15));
    act(
        t,
        "cap.supervisor",
        format!("/api/v1/cases/{d}/transfer"),
        json!({"department": "roads", "reason": "طريق"}),
    )
    .await;
    t.advance(Duration::minutes(15));
    transition(t, &d, "reject", json!({"reason": "ليس بلاغا"})).await;
    t.advance(Duration::minutes(15));
    act(
        t,
        "cap.supervisor",
        format!("/api/v1/cases/{g}/transfer"),
        json!({"entity": "south", "reason": "من اختصاص الجنوبية"}),
    )
    .await;
    t.advance(Duration::minutes(5));
    act(
        t,
        "south.supervisor",
        format!("/api/v1/cases/{g}/transfer/accept"),
        json!({}),
    )
    .await;
    t.advance(Duration::minutes(10));
    transition(t, &a, "assign", json!({"assignee": "cap.supervisor"})).await;
    transition(t, &e, "assign", json!({"assignee": "cap.supervisor"})).await;
    t.advance(Duration::minutes(30));
    transition(t, &e, "resolve", json!({"resolution": "أصلح"})).await;
    t.advance(Duration::minutes(30));
    transition(t, &a, "resolve", json!({"resolution": "أصلح"})).await;
    t.advance(Duration::minutes(60));
    act(
        t,
        "cap.supervisor",
        format!("/api/v1/cases/{b}/comments"),
        json!({"body": "نعمل عليه", "visibility": "public"}),
    )
    .await;
    t.advance(Duration::minutes(60));
    transition(t, &b, "assign", json!({"assignee": "cap.supervisor"})).await;
    transition(t, &b, "resolve", json!({"resolution": "أصلح"})).await;
    t.advance(Duration::minutes(60));
    transition(t, &b, "reopen", json!({"reason": "لم يصلح"})).await;
    t.advance(Duration::hours(20)); // T0 + 25 h: Monday 09:00
    t.app.sla_sweep().await.expect("sweep");
    t.advance(Duration::hours(1));
    transition(t, &b, "resolve", json!({"resolution": "أصلح نهائيا"})).await;
    t.advance(Duration::hours(46)); // T0 + 72 h
    close_automatically(t, &e).await;
    survey_with_answer(t, &a, (5, 4, 5), true).await;
    survey_with_answer(t, &b, (2, 2, 1), false).await;
    rate_chat_agent(t, &a, 4).await;
    let (status, rated) = t
        .api_post(
            &format!("/api/v1/cases/{e}/survey"),
            Some(&e_token),
            json!({"quality": 3, "speed": 3, "agent": 4, "solved": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rated}");
    t.advance(Duration::hours(120)); // T0 + 8 days: Monday 9 March, 08:00
    let (status, receipt) = t
        .api_post(
            &format!("/api/v1/cases/{c}/ignored"),
            Some(&c_token),
            json!({"description": "لم يرد أحد"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    t.advance(Duration::hours(1));
}

async fn kpis(t: &TestApp, username: &str, query: &str) -> Value {
    let token = t.login(username, PASSWORD).await;
    let (status, report) = t.api_get(&format!("/api/v1/kpis?{query}"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{query}: {report}");
    report
}

async fn kpis_series(t: &TestApp, username: &str, query: &str) -> Value {
    let token = t.login(username, PASSWORD).await;
    let (status, series) = t.api_get(&format!("/api/v1/kpis/series?{query}"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{query}: {series}");
    series
}

fn group<'a>(report: &'a Value, name: &str, member: Value) -> &'a Value {
    report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["group"][name] == member)
        .unwrap_or_else(|| panic!("no group {name} = {member} in {report}"))
}

fn kpi<'a>(group: &'a Value, key: &str) -> &'a Value {
    group["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["key"] == key)
        .unwrap_or_else(|| panic!("no KPI {key}"))
}

fn value(group: &Value, key: &str) -> Option<f64> {
    kpi(group, key)["value"].as_f64()
}

#[track_caller]
fn exactly(group: &Value, key: &str, expected: Option<f64>) {
    let got = value(group, key);
    match (got, expected) {
        (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9, "{key}: {g} ≠ {e}"),
        _ => assert_eq!(got, expected, "{key}"),
    }
}

/// A median or p90 read from the histograms: within the stated error of the exact minutes.
#[track_caller]
fn about(group: &Value, key: &str, minutes: f64) {
    let got = value(group, key).unwrap_or_else(|| panic!("{key} has no value"));
    assert!(
        (got - minutes).abs() / minutes <= RELATIVE_ERROR + 1e-9,
        "{key}: {got} is not {minutes} ± 4.9 %"
    );
}

const PERIOD: &str = "from=2026-03-01&to=2026-03-09";

on_both! { setup;
    async fn every_kpi_against_the_figures_worked_out_by_hand(t: &TestApp) {
        story(t).await;
        let report = kpis(t, "cap.supervisor", PERIOD).await;
        assert_eq!((report["from"].as_str(), report["to"].as_str()), (Some("2026-03-01"), Some("2026-03-09")));
        assert!(report["updated_at"].as_str().is_some_and(|u| u.starts_with("2026-03-09")), "{report}");
        assert_eq!(report["groups"].as_array().map(Vec::len), Some(1), "the entity's total only");
        let cap = group(&report, "entity", json!("cap"));
        // A, B, C, D, E and F (G is the southern governorate's now).
        exactly(cap, "volume", Some(6.0));
        // First responses: D 30, A 60, E 60, B 180 minutes (C and F none).
        about(cap, "first_response_median", 60.0);
        about(cap, "first_response_p90", 180.0);
        about(cap, "first_response_business_median", 60.0);
        about(cap, "first_response_business_p90", 180.0);
        // Resolutions: E 90, A 120, B 1,560 minutes (540 of them working ones).
        about(cap, "resolution_median", 120.0);
        about(cap, "resolution_p90", 1560.0);
        about(cap, "resolution_business_median", 120.0);
        about(cap, "resolution_business_p90", 540.0);
        // A, B, D, E answered in time, C breached its first response: 4 of 5.
        exactly(cap, "within_sla_first_response", Some(80.0));
        // A, B (on its clock from the reopening), E resolved in time.
        exactly(cap, "within_sla", Some(100.0));
        exactly(cap, "within_ola", None);
        // Open now: F (an hour old) and C (eight days).
        exactly(cap, "backlog", Some(2.0));
        exactly(cap, "backlog_under_1d", Some(1.0));
        exactly(cap, "backlog_1d_3d", Some(0.0));
        exactly(cap, "backlog_3d_7d", Some(0.0));
        exactly(cap, "backlog_7d_30d", Some(1.0));
        exactly(cap, "backlog_over_30d", Some(0.0));
        // B reopened, of A, B, E resolved.
        exactly(cap, "reopen_rate", Some(100.0 / 3.0));
        // A, B, E resolved or closed of 6; A and E (after its automatic close) said "solved".
        exactly(cap, "closure_rate", Some(50.0));
        exactly(cap, "confirmed_resolution_rate", Some(200.0 / 6.0));
        exactly(cap, "auto_closed", Some(1.0));
        exactly(cap, "auto_closed_rate", Some(100.0 / 3.0));
        exactly(cap, "transfer_rate", Some(100.0 / 6.0));
        exactly(cap, "escalation_rate", Some(100.0 / 6.0));
        exactly(cap, "ignored", Some(1.0));
        // Surveys: A 5/4/5, B 2/2/1, E 3/3/4.
        exactly(cap, "quality_mean", Some(10.0 / 3.0));
        exactly(cap, "speed_mean", Some(3.0));
        exactly(cap, "employee_mean", Some(10.0 / 3.0));
        for (name, counts) in [("quality", [0, 1, 1, 0, 1]), ("speed", [0, 1, 1, 1, 0]), ("employee", [1, 0, 0, 1, 1])] {
            for (i, n) in counts.iter().enumerate() {
                exactly(cap, &format!("{name}_{}", i + 1), Some(f64::from(*n)));
            }
        }
        exactly(cap, "surveys", Some(3.0));
        exactly(cap, "survey_response_rate", Some(100.0));
        // The chat about A: its agent rated 4.
        exactly(cap, "agent_rating", Some(4.0));
        exactly(cap, "agent_ratings", Some(1.0));
        // Every key of the catalogue, each with its unit, in order.
        let keys: Vec<&str> = cap["kpis"].as_array().expect("kpis").iter().map(|k| k["key"].as_str().expect("key")).collect();
        let catalogue: Vec<&str> = tawasul_domain::kpi::KPIS.iter().map(|k| k.key).collect();
        assert_eq!(keys, catalogue);
        assert_eq!(kpi(cap, "within_sla")["unit"], "percent");
        assert_eq!(kpi(cap, "resolution_business_median")["unit"], "business_minutes");

        // Targets and states: the defaults, then the entity's own.
        assert_eq!((kpi(cap, "within_sla")["target"].as_f64(), kpi(cap, "within_sla")["state"].as_str()), (Some(90.0), Some("met")));
        assert_eq!(kpi(cap, "within_sla_first_response")["state"], "missed", "80 against 90, 5 points of margin");
        assert_eq!(kpi(cap, "volume")["state"], Value::Null);
        let admin = t.login("cap.admin", PASSWORD).await;
        let set = json!({"key": "within_sla_first_response", "target": 84.0});
        for _ in 0..2 {
            let (status, target) = t.call(Method::PUT, "/api/v1/kpis/targets", Some(&admin), Some(set.clone())).await;
            assert_eq!((status, target["target"].as_f64(), target["set"].as_bool()), (StatusCode::OK, Some(84.0), Some(true)), "{target}");
        }
        let cap_now = kpis(t, "cap.supervisor", PERIOD).await;
        assert_eq!(kpi(group(&cap_now, "entity", json!("cap")), "within_sla_first_response")["state"], "at_risk");
        let (_, targets) = t.api_get("/api/v1/kpis/targets", Some(&t.login("cap.supervisor", PASSWORD).await)).await;
        assert!(targets.as_array().expect("targets").iter().any(|v| v["key"] == "within_sla_first_response" && v["target"] == 84.0 && v["margin"] == 5.0));

        // By kind, department and area.
        let by_kind = kpis(t, "cap.supervisor", &format!("{PERIOD}&group_by=kind")).await;
        exactly(group(&by_kind, "kind", json!("complaint")), "volume", Some(4.0));
        exactly(group(&by_kind, "kind", json!("report")), "volume", Some(1.0));
        exactly(group(&by_kind, "kind", json!("escalation")), "volume", Some(1.0));
        let by_department = kpis(t, "cap.supervisor", &format!("{PERIOD}&group_by=department")).await;
        exactly(group(&by_department, "department", json!("water")), "volume", Some(4.0));
        exactly(group(&by_department, "department", json!("roads")), "volume", Some(1.0));
        let triage = group(&by_department, "department", Value::Null);
        exactly(triage, "volume", Some(1.0));
        exactly(triage, "backlog", Some(1.0));
        let by_employee = kpis(t, "cap.supervisor", &format!("{PERIOD}&group_by=employee")).await;
        exactly(group(&by_employee, "employee", json!("cap.supervisor")), "volume", Some(3.0));
        exactly(group(&by_employee, "employee", Value::Null), "volume", Some(3.0));
        let by_area = kpis(t, "cap.supervisor", &format!("{PERIOD}&group_by=area")).await;
        exactly(group(&by_area, "area", json!("1")), "volume", Some(1.0));
        exactly(group(&by_area, "area", Value::Null), "volume", Some(5.0));

        // The platform administrator sees every entity side by side.
        let by_entity = kpis(t, "root", &format!("{PERIOD}&group_by=entity")).await;
        let south = group(&by_entity, "entity", json!("south"));
        exactly(south, "volume", Some(1.0));
        exactly(south, "within_ola", Some(100.0));
        exactly(south, "transfer_rate", Some(100.0));
        about(south, "first_response_median", 45.0);
        exactly(group(&by_entity, "entity", json!("cap")), "volume", Some(6.0));
        let everything = kpis(t, "root", PERIOD).await;
        exactly(group(&everything, "entity", Value::Null), "volume", Some(7.0));
        // Whole months are read from the monthly figures, the days around them from the daily
        // ones: March alone, and March with days of February and April, are the same six.
        for period in ["from=2026-03-01&to=2026-03-31", "from=2026-02-20&to=2026-04-05"] {
            let month = kpis(t, "cap.supervisor", period).await;
            let cap_month = group(&month, "entity", json!("cap"));
            exactly(cap_month, "volume", Some(6.0));
            exactly(cap_month, "within_sla_first_response", Some(80.0));
            exactly(cap_month, "quality_mean", Some(10.0 / 3.0));
            about(cap_month, "resolution_p90", 1560.0);
            let by_department = kpis(t, "cap.supervisor", &format!("{period}&group_by=department")).await;
            exactly(group(&by_department, "department", json!("water")), "volume", Some(4.0));
            exactly(group(&by_department, "department", json!("roads")), "volume", Some(1.0));
        }
        let february = kpis(t, "cap.supervisor", "from=2026-02-01&to=2026-02-28").await;
        exactly(group(&february, "entity", json!("cap")), "volume", Some(0.0));
        // A period that leaves out the ninth leaves out F.
        let before = kpis(t, "cap.supervisor", "from=2026-03-01&to=2026-03-08").await;
        exactly(group(&before, "entity", json!("cap")), "volume", Some(5.0));
    }

    async fn a_series_gives_each_steps_figures_in_one_read(t: &TestApp) {
        story(t).await;
        // A to E were received on Sunday 1 March, F on Monday 9 March (G is the south's).
        let days = kpis_series(t, "cap.supervisor", &format!("{PERIOD}&step=day")).await;
        assert_eq!((days["step"].as_str(), days["entity"].as_str()), (Some("day"), Some("cap")), "{days}");
        let points = days["points"].as_array().expect("points");
        assert_eq!(points.len(), 9, "one point a day");
        for (i, point) in points.iter().enumerate() {
            assert_eq!(point["from"], point["to"], "a day");
            assert_eq!(point["from"].as_str(), Some(format!("2026-03-0{}", i + 1).as_str()));
            let volume = match i { 0 => 5.0, 8 => 1.0, _ => 0.0 };
            exactly(point, "volume", Some(volume));
        }
        // The first day: A, B, D, E answered in time, C breached; A 5, B 2, E 3 stars.
        exactly(&points[0], "within_sla_first_response", Some(80.0));
        exactly(&points[0], "quality_mean", Some(10.0 / 3.0));
        exactly(&points[0], "surveys", Some(3.0));
        about(&points[0], "resolution_median", 120.0);
        // A quiet day measures nothing; F, the ninth's, is not answered yet.
        exactly(&points[3], "within_sla_first_response", None);
        exactly(&points[8], "within_sla_first_response", None);
        assert!(points[0]["kpis"].as_array().expect("kpis").iter().all(|k| !k["key"].as_str().is_some_and(|k| k.starts_with("backlog"))), "no backlog in a series");

        // Weeks end on the period's last day: 3–9 March, and 1–2 March before it.
        let weeks = kpis_series(t, "cap.supervisor", &format!("{PERIOD}&step=week")).await;
        let weeks = weeks["points"].as_array().expect("points");
        let spans: Vec<(&str, &str)> = weeks.iter().map(|p| (p["from"].as_str().expect("from"), p["to"].as_str().expect("to"))).collect();
        assert_eq!(spans, [("2026-03-01", "2026-03-02"), ("2026-03-03", "2026-03-09")]);
        exactly(&weeks[0], "volume", Some(5.0));
        exactly(&weeks[1], "volume", Some(1.0));

        // One month: every KPI of the report of the same period, but the backlog.
        let month = kpis_series(t, "cap.supervisor", &format!("{PERIOD}&step=month")).await;
        let month = month["points"].as_array().expect("points");
        assert_eq!(month.len(), 1);
        let report = kpis(t, "cap.supervisor", PERIOD).await;
        let whole: Vec<&Value> = group(&report, "entity", json!("cap"))["kpis"].as_array().expect("kpis").iter()
            .filter(|k| !k["key"].as_str().is_some_and(|k| k.starts_with("backlog"))).collect();
        let point: Vec<&Value> = month[0]["kpis"].as_array().expect("kpis").iter().collect();
        assert_eq!(point, whole);

        // By month over a whole month and two cut ones: March (the story's) read from the monthly
        // figures, the days of February and April around it from the daily ones.
        let months = kpis_series(t, "cap.supervisor", "from=2026-02-20&to=2026-04-05&step=month").await;
        let months = months["points"].as_array().expect("points");
        let spans: Vec<(&str, &str)> = months.iter().map(|p| (p["from"].as_str().expect("from"), p["to"].as_str().expect("to"))).collect();
        assert_eq!(spans, [("2026-02-20", "2026-02-28"), ("2026-03-01", "2026-03-31"), ("2026-04-01", "2026-04-05")]);
        exactly(&months[0], "volume", Some(0.0));
        exactly(&months[1], "volume", Some(6.0));
        exactly(&months[2], "volume", Some(0.0));
        let march = kpis(t, "cap.supervisor", "from=2026-03-01&to=2026-03-31").await;
        let whole: Vec<&Value> = group(&march, "entity", json!("cap"))["kpis"].as_array().expect("kpis").iter()
            .filter(|k| !k["key"].as_str().is_some_and(|k| k.starts_with("backlog"))).collect();
        let point: Vec<&Value> = months[1]["kpis"].as_array().expect("kpis").iter().collect();
        assert_eq!(point, whole, "March's point is March's report");

        // Every entity together: G on the first day too.
        let everything = kpis_series(t, "root", &format!("{PERIOD}&step=week")).await;
        assert_eq!(everything["entity"], Value::Null);
        exactly(&everything["points"][0], "volume", Some(6.0));
        exactly(&everything["points"][1], "volume", Some(1.0));
        let south = kpis_series(t, "root", &format!("{PERIOD}&step=month&entity=south")).await;
        exactly(&south["points"][0], "volume", Some(1.0));
        exactly(&south["points"][0], "within_ola", Some(100.0));

        // Refusals: a step that is not one, none, a grouping, another entity's.
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        for (query, field) in [("step=year", "step"), ("", "step"), ("step=day&group_by=service", "group_by"),
            ("step=day&from=2026-03-09&to=2026-03-01", "from")] {
            let (status, err) = t.api_get(&format!("/api/v1/kpis/series?{query}"), Some(&supervisor)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {err}");
            assert_eq!(err["error"]["field"].as_str(), Some(field), "{query}: {err}");
        }
        let (status, _) = t.api_get("/api/v1/kpis/series?step=day&entity=south", Some(&supervisor)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "another entity's");
        let (status, _) = t.api_get("/api/v1/kpis/series?step=day", Some(&t.login("cap.agent", PASSWORD).await)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "an agent does not read KPIs");
    }

    async fn incremental_and_rebuilt_figures_agree(t: &TestApp) {
        story(t).await;
        let queries = ["", "&group_by=entity", "&group_by=department", "&group_by=employee", "&group_by=service",
            "&group_by=channel", "&group_by=kind", "&group_by=area", "&group_by=language"];
        // The period of the story, and one whose whole month (March) is read from the monthly figures.
        let periods = [PERIOD, "from=2026-02-20&to=2026-04-05"];
        let mut incremental = vec![];
        for period in periods {
            for q in queries {
                let mut report = kpis(t, "root", &format!("{period}{q}")).await;
                report["updated_at"] = Value::Null;
                incremental.push(report);
            }
        }
        let steps = ["day", "week", "month"];
        let mut series = vec![];
        for step in steps {
            let mut s = kpis_series(t, "root", &format!("{PERIOD}&step={step}")).await;
            s["updated_at"] = Value::Null;
            series.push(s);
        }
        let cases = std::sync::atomic::AtomicU64::new(0);
        t.app
            .operator()
            .rebuild_kpis(&|n| cases.store(n, std::sync::atomic::Ordering::SeqCst), &|_| {})
            .await
            .expect("rebuild");
        assert_eq!(cases.into_inner(), 7, "every case");
        let asked = periods.iter().flat_map(|p| queries.iter().map(move |q| format!("{p}{q}")));
        for (q, before) in asked.zip(&incremental) {
            let mut after = kpis(t, "root", &q).await;
            after["updated_at"] = Value::Null;
            assert_eq!(&after, before, "{q}");
        }
        for (step, before) in steps.iter().zip(&series) {
            let mut after = kpis_series(t, "root", &format!("{PERIOD}&step={step}")).await;
            after["updated_at"] = Value::Null;
            assert_eq!(&after, before, "{step}");
        }
    }

    async fn the_report_refuses_what_it_cannot_answer(t: &TestApp) {
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        for (query, field) in [
            ("from=2026-13-01", "from"),
            ("from=1%20March", "from"),
            ("to=2026-03-1", "to"),
            ("from=2026-03-09&to=2026-03-01", "from"),
            ("from=2020-01-01&to=2026-03-01", "to"),
            ("group_by=planet", "group_by"),
            ("bogus=1", "bogus"),
            ("entity=nowhere", "entity"),
        ] {
            let (status, err) = t.api_get(&format!("/api/v1/kpis?{query}"), Some(&supervisor)).await;
            assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{query}: {err}");
        }
        let (status, _) = t.api_get("/api/v1/kpis?group_by=entity&group_by=kind", Some(&supervisor)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a repeated parameter");
        let long = "x".repeat(10_000);
        let (status, _) = t.api_get(&format!("/api/v1/kpis?entity={long}"), Some(&supervisor)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = t.api_get("/api/v1/kpis?entity=south", Some(&supervisor)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "another entity's");
        let (status, _) = t.api_get("/api/v1/kpis", Some(&t.login("cap.agent", PASSWORD).await)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "an agent does not read KPIs");
        let (status, _) = t.api_get("/api/v1/kpis", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, empty) = t.api_get("/api/v1/kpis", Some(&supervisor)).await;
        assert_eq!(status, StatusCode::OK, "{empty}");
        let groups = empty["groups"].as_array().expect("groups");
        assert_eq!((groups.len(), groups[0]["group"].clone()), (1, json!({"entity": "cap"})), "the entity's total, with no case yet");
        exactly(&groups[0], "volume", Some(0.0));
        exactly(&groups[0], "within_sla", None);

        let admin = t.login("cap.admin", PASSWORD).await;
        for (body, field) in [
            (json!({"key": "volume", "target": 10.0}), "key"),
            (json!({"key": "nonsense", "target": 10.0}), "key"),
            (json!({"key": "within_sla", "target": 150.0}), "target"),
            (json!({"key": "quality_mean", "target": 6.0}), "target"),
            (json!({"key": "within_sla", "target": 90.0, "margin": -1.0}), "margin"),
            (json!({"key": "within_sla", "target": 90.0, "entity": "nowhere"}), "entity"),
        ] {
            let (status, err) = t.call(Method::PUT, "/api/v1/kpis/targets", Some(&admin), Some(body.clone())).await;
            assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {err}");
        }
        let (status, _) = t.call(Method::PUT, "/api/v1/kpis/targets", Some(&admin), Some(json!({"key": "within_sla", "target": 90.0, "surprise": 1}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = t.call(Method::PUT, "/api/v1/kpis/targets", Some(&supervisor), Some(json!({"key": "within_sla", "target": 80.0}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a supervisor reads targets, an administrator sets them");
        let (status, _) = t.call(Method::PUT, "/api/v1/kpis/targets", Some(&admin), Some(json!({"key": "within_sla", "target": 80.0, "entity": "south"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "another entity's targets");
        let (status, reset) = t.call(Method::PUT, "/api/v1/kpis/targets", Some(&admin), Some(json!({"key": "within_sla", "target": null}))).await;
        assert_eq!((status, reset["target"].as_f64(), reset["set"].as_bool()), (StatusCode::OK, Some(90.0), Some(false)), "back to the default: {reset}");
    }
}
