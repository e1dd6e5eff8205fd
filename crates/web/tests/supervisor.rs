//! The supervisor's part of the staff console: merging a duplicate report from the case page
//! (and the reporter's tracking page saying where it went), and the board of breaches and
//! escalations with its bulk reassignment. Each check runs on SQLite and PostgreSQL.

mod support;
use support::*;
use tawasul_domain::vocab::Status;

const HOUR: i64 = 3_600_000_000;

/// Beside the harness's capital entity: a second department, an agent and an inspector of
/// the capital, and another entity with its own supervisor.
async fn more_staff(site: &Site) {
    let f = Fixtures::new(&site.app).await;
    f.department("cap", "roads", "الطرق", "Roads").await;
    f.entity("mun", "البلدية", "Municipality", "municipality").await;
    f.department("mun", "parks", "الحدائق", "Parks").await;
    for (name, role, entity) in [
        ("cap.agent", Role::Agent, "cap"),
        ("cap.inspector", Role::Inspector, "cap"),
        ("mun.supervisor", Role::Supervisor, "mun"),
    ] {
        f.staff(name, role, Some(entity)).await;
    }
}

async fn row(site: &Site, reference: &str) -> CaseRow {
    site.store
        .case_by_reference(reference)
        .await
        .expect("read")
        .expect("case")
}

async fn event_count(site: &Site, reference: &str) -> usize {
    let id = row(site, reference).await.id;
    site.store.events(id).await.expect("events").len()
}

/// Sets a case's SLA clock as the sweep would have left it.
async fn set_clock(site: &Site, reference: &str, sla: CaseSla) {
    let case = row(site, reference).await;
    site.store
        .set_sla(case.id, case.sla.escalation_level, sla)
        .await
        .expect("sla");
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

on_both! { site;
    async fn a_duplicate_is_merged_from_the_case_page_and_its_reporter_told_where_it_went(site: &Site) {
        more_staff(site).await;
        let (_, stays) = split_track(&report(site, "تسرب مياه أمام المدرسة").await);
        let track = report(site, "تسرب مياه أمام المدرسة منذ الصباح").await;
        let (_, duplicate) = split_track(&track);
        let staff = staff_cookie(site).await;
        let merge = format!("/staff/cases/{duplicate}/merge");
        let page = site.page(&format!("/staff/cases/{duplicate}"), &staff).await;
        assert!(page.body.contains(&format!("action=\"{merge}\"")), "the merge form is offered");

        let forged = site.post_form(&merge, &staff, &[("csrf_token", "nope"), ("into", &stays), ("reason", "مكرر")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let inspector = site.staff_cookie("cap.inspector", PASSWORD).await;
        let page = site.page(&format!("/staff/cases/{duplicate}"), &inspector).await;
        assert!(!page.body.contains(&merge), "no merge form for those who may not merge");
        let denied = site.post_form(&merge, &inspector, &[("csrf_token", CSRF), ("into", &stays), ("reason", "مكرر")]).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let stranger = site.staff_cookie("mun.supervisor", PASSWORD).await;
        let hidden = site.post_form(&merge, &stranger, &[("csrf_token", CSRF), ("into", &stays), ("reason", "مكرر")]).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "another entity's case does not exist to them");

        let written = event_count(site, &duplicate).await;
        let oversized = "م".repeat(1_001);
        let refusals: [(&str, &str, &str); 5] = [
            ("nonsense", "مكرر", "أدخلوا رقم بلاغ مثل"),
            ("TW-2026-9999999", "مكرر", "لا يوجد بلاغ بهذا الرقم في جهتكم"),
            (&duplicate, "مكرر", "لا يمكن دمج البلاغ في نفسه"),
            (&stays, " ", "merge-reason-error"),
            (&stays, &oversized, "merge-reason-error"),
        ];
        for (into, reason, says) in refusals {
            let page = site.post_form(&merge, &staff, &[("csrf_token", CSRF), ("into", into), ("reason", reason)]).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{into}");
            assert!(page.body.contains(says), "{into}: the error is beside its field");
            assert!(page.body.contains(&format!("value=\"{into}\"")), "{into}: what was typed is kept");
        }
        assert_eq!((row(site, &duplicate).await.status.as_str(), event_count(site, &duplicate).await), ("new", written), "refusals wrote nothing");

        let done = site.post_form(&merge, &staff, &[("csrf_token", CSRF), ("into", &stays.to_lowercase()), ("reason", "البلاغ نفسه")]).await;
        assert_eq!((done.status, done.location()), (StatusCode::SEE_OTHER, format!("/staff/cases/{duplicate}")));
        let merged = row(site, &duplicate).await;
        assert_eq!((merged.status.as_str(), merged.merged_into_reference.as_deref()), ("merged", Some(stays.as_str())));
        let page = site.page(&format!("/staff/cases/{duplicate}"), &staff).await;
        assert!(page.body.contains(&format!("href=\"/staff/cases/{stays}\"")), "the case page links to the case that stays");
        assert!(!page.body.contains(&format!("action=\"{merge}\"")), "a merged case is not merged again");
        let events = event_count(site, &duplicate).await;
        let again = site.post_form(&merge, &staff, &[("csrf_token", CSRF), ("into", &stays), ("reason", "البلاغ نفسه")]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "a repeated submit is refused");
        assert!(again.body.contains("لا يمكن دمج هذين البلاغين"));
        assert_eq!(event_count(site, &duplicate).await, events, "and writes nothing");
        let kept = site.page(&format!("/staff/cases/{stays}?lang=en"), &staff).await;
        assert!(kept.body.contains("A duplicate report joined this case"), "both timelines tell it");

        let tracking = site.page(&track, "").await;
        assert_eq!(tracking.status, StatusCode::OK);
        assert!(tracking.body.contains("ضُمّ هذا البلاغ إلى البلاغ رقم"), "the reporter reads where it went");
        assert!(tracking.body.contains(&stays));
        let english = site.page(&format!("{track}&lang=en"), "").await;
        assert!(english.body.contains("This report was merged into reference"));
    }

    async fn the_board_shows_breaches_oldest_first_and_reassigns_in_bulk(site: &Site) {
        more_staff(site).await;
        let mut refs = vec![];
        for text in ["تسرب متأخر", "تسرب مصعد", "تسرب قريب الاستحقاق", "تسرب في موعده", "تسرب مرفوض"] {
            refs.push(split_track(&report(site, text).await).1);
        }
        let [overdue, escalated, due_soon, on_time, rejected] = <[String; 5]>::try_from(refs).expect("five");
        let t = now();
        let clock = |response: i64, resolution: i64, level: i64| CaseSla {
            sla_started_at: Some(t - 10 * HOUR),
            first_response_due: Some(response),
            first_responded_at: (response < resolution && level == 0 && response > t).then_some(t),
            resolution_due: Some(resolution),
            escalation_level: level,
            ..CaseSla::default()
        };
        set_clock(site, &overdue, clock(t - 2 * HOUR, t + 90 * HOUR, 0)).await;
        set_clock(site, &escalated, clock(t + 70 * HOUR, t + 80 * HOUR, 1)).await;
        set_clock(site, &due_soon, CaseSla { first_responded_at: Some(t), ..clock(t + HOUR, t + 3 * HOUR, 0) }).await;
        set_clock(site, &on_time, CaseSla { first_responded_at: Some(t), ..clock(t + 100 * HOUR, t + 200 * HOUR, 0) }).await;
        set_clock(site, &rejected, clock(t - 2 * HOUR, t + 90 * HOUR, 0)).await;
        let staff = staff_cookie(site).await;
        let rejecting = site.post_form(&format!("/staff/cases/{rejected}/transition"), &staff, &[("csrf_token", CSRF), ("action", "reject"), ("reason", "خارج الاختصاص")]).await;
        assert_eq!(rejecting.status, StatusCode::SEE_OTHER);

        let queue = site.page("/staff", &staff).await;
        assert!(queue.body.contains("href=\"/staff/board\""), "the console header links the board");
        let board = site.page("/staff/board", &staff).await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.body);
        assert!(has_csp(&board));
        let at = |r: &str| board.body.find(&format!("value=\"{r}\"")).unwrap_or_else(|| panic!("{r} on the board"));
        assert!(at(&overdue) < at(&due_soon) && at(&due_soon) < at(&escalated), "oldest breach first");
        for absent in [&on_time, &rejected] {
            assert!(!board.body.contains(&format!("value=\"{absent}\"")), "{absent}: only open cases in trouble");
        }
        assert!(board.body.contains("<th scope=\"row\"><a href=\"/staff/board?department=water\">المياه</a></th>"), "counts per department, each a link to its cases");
        assert!(board.body.contains("<td>3</td>"), "three cases of the water department");
        assert!(board.body.contains("class=\"sla-left\""), "the time left or overdue in words");
        let water = site.page("/staff/board?department=water", &staff).await;
        assert!(water.body.contains("href=\"/staff/board\">") && water.body.replace(['\u{2068}', '\u{2069}'], "").contains("بلاغات المياه وحدها"), "narrowed, with the way back");
        assert!([&overdue, &due_soon, &escalated].iter().all(|r| water.body.contains(&format!("value=\"{r}\""))));
        let roads = site.page("/staff/board?department=roads", &staff).await;
        assert!(!roads.body.contains(&format!("value=\"{overdue}\"")), "no water case under roads");
        for foreign in ["parks", "%3Cscript%3E", "x".repeat(300).as_str()] {
            let page = site.page(&format!("/staff/board?department={foreign}"), &staff).await;
            assert_eq!(page.status, StatusCode::OK, "{foreign}");
            assert!(page.body.contains(&format!("value=\"{overdue}\"")), "{foreign}: not one of ours, the whole board");
        }

        let agent = site.staff_cookie("cap.agent", PASSWORD).await;
        assert!(!site.page("/staff", &agent).await.body.contains("href=\"/staff/board\""));
        assert_eq!(site.page("/staff/board", &agent).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.page("/staff/board", "").await.status, StatusCode::SEE_OTHER, "sign in first");
        let stranger = site.staff_cookie("mun.supervisor", PASSWORD).await;
        let theirs = site.page("/staff/board", &stranger).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(!theirs.body.contains(&overdue), "another entity's board shows none of ours");

        let reassign = "/staff/board/reassign";
        let events = event_count(site, &overdue).await;
        let forged = site.post_form(reassign, &staff, &[("csrf_token", "nope"), ("cases", &overdue), ("department", "roads")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let by_agent = site.post_form(reassign, &agent, &[("csrf_token", CSRF), ("cases", &overdue), ("department", "roads")]).await;
        assert_eq!(by_agent.status, StatusCode::FORBIDDEN);
        let none = site.post_form(reassign, &staff, &[("csrf_token", CSRF), ("department", "roads")]).await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.body.contains("id=\"cases-error\""));
        let nowhere = site.post_form(reassign, &staff, &[("csrf_token", CSRF), ("cases", &overdue)]).await;
        assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nowhere.body.contains("id=\"bulk-department-error\""));
        assert!(nowhere.body.contains(&format!("value=\"{overdue}\" id=\"pick-{overdue}\" checked")), "the ticks are kept");
        let foreign = site.post_form(reassign, &staff, &[("csrf_token", CSRF), ("cases", &overdue), ("assignee", "mun.supervisor")]).await;
        assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY, "no assignee from another entity");
        assert!(foreign.body.contains("id=\"bulk-assignee-error\""));
        let many: Vec<String> = (0..201).map(|i| format!("TW-2026-{:07}", 1_000_000 + i)).collect();
        let mut fields: Vec<(&str, &str)> = many.iter().map(|r| ("cases", r.as_str())).collect();
        fields.extend([("csrf_token", CSRF), ("department", "roads")]);
        let oversized = site.post_form(reassign, &staff, &fields).await;
        assert_eq!(oversized.status, StatusCode::UNPROCESSABLE_ENTITY, "at most 200 at once");
        assert!(oversized.body.contains("200"));
        assert_eq!(event_count(site, &overdue).await, events, "refused forms wrote nothing");
        assert_eq!(row(site, &overdue).await.department_code.as_deref(), Some("water"));

        let picked = [("csrf_token", CSRF), ("cases", overdue.as_str()), ("cases", escalated.as_str()), ("cases", rejected.as_str()),
            ("cases", "TW-2026-9999999"), ("department", "roads"), ("assignee", "cap.agent")];
        let done = site.post_form(reassign, &staff, &picked).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let result = done.body.split("id=\"outcome-title\"").nth(1).expect("the outcome is shown");
        assert!(result.contains("أُعيد إسنادها (2)") && result.contains(&overdue) && result.contains(&escalated));
        assert!(result.contains("لم يُعد إسنادها (2)"));
        assert!(result.contains("حالته لا تسمح بإعادة الإسناد"), "the rejected case is refused, and why");
        assert!(result.contains("ليس بلاغًا من بلاغات جهتكم"), "an unknown case is refused, and why");
        for r in [&overdue, &escalated] {
            let case = row(site, r).await;
            assert_eq!((case.department_code.as_deref(), case.assignee_username.as_deref(), case.status.as_str()), (Some("roads"), Some("cap.agent"), "assigned"));
        }
        assert_eq!(row(site, &rejected).await.status, Status::Rejected);
        let audit = site.store.audit_log(100).await.expect("audit");
        assert!(audit.iter().any(|a| a.action == "assign" && a.target == format!("case:{overdue}")), "audited as a single assign");

        let events = event_count(site, &overdue).await;
        let repeated = site.post_form(reassign, &staff, &picked).await;
        assert_eq!(repeated.status, StatusCode::OK);
        let result = repeated.body.split("id=\"outcome-title\"").nth(1).expect("the outcome is shown");
        assert!(result.contains("كانت في موضعها، فبقيت كما هي (2)"), "a repeated submit changes nothing");
        assert_eq!(event_count(site, &overdue).await, events);
        // Reassigned, the overdue case had its first response: the board no longer lists it.
        let english = site
            .send(
                site.client
                    .get(format!("{}/staff/board", site.base))
                    .header(COOKIE, format!("tawasul_csrf={CSRF}; {staff}"))
                    .header(ACCEPT_LANGUAGE, "en-GB,en;q=0.9"),
            )
            .await;
        assert!(english.body.contains("Breaches and escalations") && english.body.contains(">Water</a></th>"));
        assert!(!english.body.contains(&format!("value=\"{overdue}\"")));
    }
}
