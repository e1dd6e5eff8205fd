//! One conformance suite, run against both backends: every test exists as `<name>::sqlite`
//! and `<name>::postgres`, each on a fresh database.

use tawasul_domain::vocab::{Language, Priority, Role, Status};
use tawasul_store::*;
use tawasul_testkit::{on_both, open_store};

const T0: i64 = 1_790_000_000_000_000; // 2026-09-21

async fn catalogue(store: &Store) -> (i64, i64, i64) {
    let entity = store
        .insert_entity(EntityInsert {
            code: "cap".into(),
            name_ar: "العاصمة".into(),
            name_en: "Capital".into(),
            entity_type: "governorate".into(),
        })
        .await
        .expect("entity");
    let department = store
        .insert_department(DepartmentInsert {
            entity_id: entity,
            code: "water".into(),
            name_ar: "المياه".into(),
            name_en: "Water".into(),
        })
        .await
        .expect("department");
    let service = store
        .insert_service(ServiceInsert {
            entity_id: entity,
            code: "water-leak".into(),
            name_ar: "تسرب مياه".into(),
            name_en: "Water leak".into(),
            description_ar: String::new(),
            description_en: String::new(),
            kinds: "complaint,report".into(),
            fields: "[]".into(),
            default_department_id: Some(department),
            default_priority: Priority::Normal,
            fix_photo_required: false,
        })
        .await
        .expect("service");
    (entity, department, service)
}

fn after_id(inserted: &Inserted) -> i64 {
    match inserted {
        Inserted::Created { id, .. } | Inserted::Replayed { id, .. } => *id,
    }
}

fn case(entity: i64, department: i64, service: i64, at: i64, text: &str) -> CaseInsert {
    CaseInsert {
        token_hash: tawasul_domain::secret_digest(&format!("token-{at}")),
        token: format!("token-{at}"),
        idempotency: None,
        entity_id: entity,
        department_id: Some(department),
        service_id: service,
        kind: "complaint".into(),
        status: "new".into(),
        channel: "api".into(),
        language: "ar".into(),
        priority: "normal".into(),
        description: text.into(),
        answers: "{}".into(),
        lat: Some(26.2),
        lon: Some(50.58),
        address: None,
        reporter_name: Some("مواطن".into()),
        reporter_phone: Some("+97333000000".into()),
        reporter_email: None,
        reporter_language: Some("ar".into()),
        created_at: at,
        events: vec![EventInsert {
            case_id: 0,
            at,
            actor_type: "reporter".into(),
            actor_id: None,
            actor_name: "مواطن".into(),
            action: "received".into(),
            from_status: None,
            to_status: Some(Status::New),
            public: true,
            body: None,
            details: "{}".into(),
        }],
        notifications: vec![],
        ..CaseInsert::default()
    }
}

fn created(i: Inserted) -> (i64, String) {
    match i {
        Inserted::Created { id, reference } => (id, reference),
        other => panic!("expected a new case, got {other:?}"),
    }
}

on_both! { open_store;
    async fn cases_get_increasing_references_and_their_events(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id1, r1) = created(store.insert_case(case(e, d, s, T0, "تسرب مياه")).await.expect("insert"));
        let (id2, r2) = created(store.insert_case(case(e, d, s, T0 + 1, "حفرة في الطريق")).await.expect("insert"));
        assert!(id2 > id1);
        assert_eq!(r1, format!("TW-2026-{id1:07}"));
        assert_ne!(r1, r2);
        let row = store.case_by_reference(&r1).await.expect("read").expect("found");
        assert_eq!((row.entity_code.as_str(), row.department_code.as_deref(), row.service_code.as_str()), ("cap", Some("water"), "water-leak"));
        assert_eq!(row.description, "تسرب مياه");
        assert_eq!(row.lat, Some(26.2));
        let events = store.events(row.id).await.expect("events");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].action, "received");
        assert!(events[0].public);
        assert!(store.case_by_reference("TW-2026-9999999").await.expect("read").is_none());
    }

    async fn an_idempotency_key_makes_one_case_and_refuses_another_body(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let key = |fp: &str| Some(IdempotencyInsert { key: "k-1".into(), fingerprint: fp.into() });
        let first = store.insert_case(CaseInsert { idempotency: key("a"), ..case(e, d, s, T0, "x") }).await.expect("first");
        let again = store.insert_case(CaseInsert { idempotency: key("a"), ..case(e, d, s, T0 + 5, "x") }).await.expect("retry");
        let (id, reference) = created(first);
        assert_eq!(again, Inserted::Replayed { id, reference, token: format!("token-{T0}") });
        let other = store.insert_case(CaseInsert { idempotency: key("b"), ..case(e, d, s, T0 + 6, "y") }).await;
        assert!(matches!(other, Err(StoreError::IdempotencyKeyReused)), "{other:?}");
        assert_eq!(store.count_by_status().await.expect("count"), vec![("new".to_owned(), 1)]);
    }

    async fn a_change_applies_only_from_the_status_it_expected(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, reference) = created(store.insert_case(case(e, d, s, T0, "x")).await.expect("insert"));
        let event = EventInsert {
            case_id: id, at: T0 + 10, actor_type: "staff".into(), actor_id: None, actor_name: "موظف".into(),
            action: "acknowledge".into(), from_status: Some(Status::New), to_status: Some(Status::Acknowledged),
            public: true, body: None, details: "{}".into(),
        };
        let change = CaseChange {
            case_id: id, expected_status: Status::New, status: Some(Status::Acknowledged), department_id: None,
            assignee_id: Some(None), resolution: None, at: T0 + 10, event: event.clone(),
            audit: Some(AuditInsert { at: T0 + 10, staff_id: None, action: "acknowledge".into(), target: reference.clone(), details: "{}".into() }),
            notifications: vec![OutboxInsert { channel: "sms".into(), recipient: "+97333000000".into(), template: "case_acknowledged".into(), language: "ar".into(), payload: "{}".into(), secret: None, created_at: T0 + 10 }],
            ..CaseChange::default()
        };
        store.change_case(change.clone()).await.expect("first change applies");
        let stale = store.change_case(change).await;
        assert!(matches!(&stale, Err(StoreError::Conflict(now)) if now == "acknowledged"), "{stale:?}");
        let row = store.case_by_reference(&reference).await.expect("read").expect("found");
        assert_eq!((row.status.as_str(), row.updated_at), ("acknowledged", T0 + 10));
        assert_eq!(store.events(id).await.expect("events").len(), 2, "the refused change wrote no event");
        assert_eq!(store.audit_log(10).await.expect("audit").len(), 1);
        assert_eq!(store.outbox(10).await.expect("outbox").len(), 1);
    }

    async fn lists_filter_search_and_page_by_keyset(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        for i in 0..25 {
            let text = if i % 5 == 0 { "إنارة الشارع معطلة" } else { "تسرب مياه" };
            store.insert_case(case(e, d, s, T0 + i, text)).await.expect("insert");
        }
        let page = |after| CaseFilter { limit: 10, after, ..Default::default() };
        let first = store.list_cases(page(None)).await.expect("page 1");
        assert_eq!(first.len(), 10);
        assert_eq!(first[0].created_at, T0 + 24, "newest first");
        let last = first.last().expect("row");
        let second = store.list_cases(page(Some(CaseOrder::Newest.cursor_after(last)))).await.expect("page 2");
        assert_eq!(second[0].created_at, T0 + 14, "the next page starts right after the cursor");
        // Spelling variants fold: the query has alef without hamza and heh for teh marbuta.
        let words = vec![tawasul_domain::text::normalise_for_search("اناره")];
        let found = store.list_cases(CaseFilter { words, limit: 50, ..Default::default() }).await.expect("search");
        assert_eq!(found.len(), 5);
        let none = store.list_cases(CaseFilter { words: vec!["100%".into()], limit: 50, ..Default::default() }).await.expect("search");
        assert!(none.is_empty(), "LIKE wildcards in a query are literal");
        let other_entity = store.list_cases(CaseFilter { entity_id: Some(e + 100), limit: 50, ..Default::default() }).await.expect("scoped");
        assert!(other_entity.is_empty());
        let by_status = store.list_cases(CaseFilter { statuses: vec![Status::Closed], limit: 50, ..Default::default() }).await.expect("status");
        assert!(by_status.is_empty());
        let ranged = store.list_cases(CaseFilter { created_from: Some(T0 + 20), created_to: Some(T0 + 22), limit: 50, ..Default::default() }).await.expect("range");
        assert_eq!(ranged.len(), 2);
        let mine = store.cases_for_contact(Some("+97333000000".into()), None, 100).await.expect("contact");
        assert_eq!(mine.len(), 25);
    }

    async fn every_order_pages_through_each_case_once_in_its_order(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let priorities = ["low", "normal", "high", "urgent"];
        for i in 0..23 {
            let mut insert = case(e, d, s, T0 + i % 7, "تسرب مياه");
            insert.priority = priorities[i as usize % 4].into();
            insert.token = format!("token-order-{i}");
            insert.token_hash = tawasul_domain::secret_digest(&insert.token);
            // Due times repeat, some cases have none, one is paused and one has ended.
            insert.sla.first_response_due = (i % 5 != 0).then_some(T0 + 1_000 + (i * 37) % 11);
            if i == 3 { insert.sla.sla_paused_at = Some(T0); }
            if i == 4 { insert.status = "closed".into(); }
            store.insert_case(insert).await.expect("insert");
        }
        for order in [CaseOrder::Newest, CaseOrder::Oldest, CaseOrder::DueFirst, CaseOrder::PriorityFirst] {
            let all = store.list_cases(CaseFilter { order, limit: 100, ..Default::default() }).await.expect("all");
            assert_eq!(all.len(), 23);
            let keys: Vec<_> = all.iter().map(|r| order.cursor_after(r)).collect();
            let mut sorted = keys.clone();
            sorted.sort_by_key(|k| (k.first, k.second, k.id));
            if matches!(order, CaseOrder::Newest | CaseOrder::PriorityFirst) { sorted.reverse(); }
            assert_eq!(keys, sorted, "{order:?}: the rows come in the order of their cursor keys");
            let mut paged = vec![];
            let mut after = None;
            loop {
                let rows = store.list_cases(CaseFilter { order, after, limit: 4, ..Default::default() }).await.expect("page");
                let Some(last) = rows.last() else { break };
                after = Some(order.cursor_after(last));
                paged.extend(rows.iter().map(|r| r.id));
            }
            assert_eq!(paged, all.iter().map(|r| r.id).collect::<Vec<_>>(), "{order:?}: pages of 4 give the same rows once");
        }
        let due = store.list_cases(CaseFilter { order: CaseOrder::DueFirst, limit: 100, ..Default::default() }).await.expect("due");
        assert!(due[0].sla.first_response_due.is_some(), "timed cases first");
        let tail: Vec<_> = due[due.len() - 7..].iter().map(|r| r.sla.first_response_due.is_none() || r.sla.sla_paused_at.is_some() || r.status == Status::Closed).collect();
        assert!(tail.iter().all(|t| *t), "untimed, paused and ended cases last");
        let by_priority = store.list_cases(CaseFilter { order: CaseOrder::PriorityFirst, limit: 100, ..Default::default() }).await.expect("priority");
        assert_eq!(by_priority[0].priority, Priority::Urgent);
        assert_eq!(by_priority[22].priority, Priority::Low);
    }

    async fn a_bulk_load_writes_cases_with_their_events_and_surveys_after_those_there(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let before = store.insert_case(case(e, d, s, T0, "قبل التحميل")).await.expect("insert");
        let Inserted::Created { id: before, .. } = before else { panic!("{before:?}") };
        let loaded: Vec<LoadedCase> = (1..=1_203i64)
            .map(|i| {
                let mut c = case(e, d, s, T0 + i, "تسرب مياه محمل");
                c.status = if i % 3 == 0 { "closed" } else { "in_progress" }.into();
                c.events.push(EventInsert { action: "start".into(), from_status: Some(Status::Acknowledged), to_status: Some(Status::InProgress), ..c.events[0].clone() });
                LoadedCase {
                    case: c,
                    assignee_id: None,
                    resolution: (i % 3 == 0).then(|| "أصلح".to_owned()),
                    updated_at: T0 + i + 10,
                    survey: (i % 3 == 0).then_some(LoadedSurvey { quality: 5, speed: 1, agent: 4, comment: None, low: true, solved: Some(false), created_at: T0 + i + 20 }),
                    words: None,
                }
            })
            .collect();
        let ids = store.load_cases(loaded).await.expect("load");
        assert_eq!(ids.len(), 1_203);
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1) && ids[0] > before, "new ids follow the existing ones in order");
        let reference = tawasul_domain::reference(2026, ids[1_202]);
        let last = store.case_by_reference(&reference).await.expect("read").expect("found by its reference");
        assert_eq!((last.id, last.status, last.resolution.as_deref(), last.created_at), (ids[1_202], Status::Closed, Some("أصلح"), T0 + 1_203));
        assert_eq!(store.events(ids[1_202]).await.expect("events").len(), 2);
        assert!(store.survey(ids[1_202]).await.expect("survey").is_some_and(|s| s.low && s.speed == 1));
        // The next case written one at a time follows the loaded ones.
        let after = store.insert_case(case(e, d, s, T0 + 5_000, "بعد التحميل")).await.expect("insert");
        assert!(matches!(after, Inserted::Created { id, .. } if id > ids[1_202]), "{after:?}");
        let closed = store.list_cases(CaseFilter { statuses: vec![Status::Closed], limit: 1_000, ..Default::default() }).await.expect("closed");
        assert_eq!(closed.len(), 401);
        let counts = vec![("closed".to_owned(), 401), ("in_progress".to_owned(), 802), ("new".to_owned(), 2)];
        assert_eq!(store.count_by_status().await.expect("count"), counts, "loaded cases are counted");
        assert_eq!(store.count_by_status().await.expect("count again"), counts, "folding twice counts nothing twice");
        let step = CaseChange { case_id: after_id(&after), expected_status: Status::New, status: Some(Status::Acknowledged), at: T0 + 5_001,
            event: EventInsert { case_id: after_id(&after), action: "acknowledge".into(), ..case(e, d, s, T0, "x").events[0].clone() }, ..CaseChange::default() };
        store.change_case(step).await.expect("acknowledge");
        let moved = vec![("acknowledged".to_owned(), 1), ("closed".to_owned(), 401), ("in_progress".to_owned(), 802), ("new".to_owned(), 1)];
        assert_eq!(store.count_by_status().await.expect("count"), moved, "a change of status moves one case between counts");
        assert_eq!(store.count_open_cases().await.expect("open"), 804);
    }

    async fn staff_sessions_and_codes(store: &Store) {
        let (e, _, _) = catalogue(store).await;
        let id = store.insert_staff(StaffInsert {
            username: "cap.officer".into(), password_hash: "x".into(), role: Role::Officer, entity_id: Some(e),
            department_id: None, display_name: "موظف".into(), created_at: T0, email: None,
        }).await.expect("staff");
        let twice = store.insert_staff(StaffInsert {
            username: "cap.officer".into(), password_hash: "x".into(), role: Role::Officer, entity_id: None,
            department_id: None, display_name: "x".into(), created_at: T0, email: None,
        }).await;
        assert!(matches!(twice, Err(StoreError::Duplicate(_))), "{twice:?}");
        let row = store.staff_by_username("cap.officer").await.expect("read").expect("found");
        assert_eq!((row.id, row.entity_code.as_deref()), (id, Some("cap")));
        store.insert_session(SessionInsert { token_hash: "h".into(), staff_id: Some(id), contact: None, created_at: T0, expires_at: T0 + 100, idle_expires_at: T0 + 100 }).await.expect("session");
        assert!(store.session("h", T0 + 50).await.expect("live").is_some());
        assert!(store.session("h", T0 + 100).await.expect("expired").is_none());
        store.delete_session("h".into()).await.expect("logout");
        assert!(store.session("h", T0 + 50).await.expect("gone").is_none());

        let otp = OtpInsert { contact: "+97333000000".into(), code_hash: "good".into(), created_at: T0, expires_at: T0 + 600 };
        let message = OutboxInsert { channel: "sms".into(), recipient: "+97333000000".into(), template: "one_time_code".into(), language: "ar".into(), payload: "{}".into(), secret: None, created_at: T0 };
        store.insert_otp(otp, message).await.expect("otp");
        let attempt = |hash: &str, now| OtpAttempt { contact: "+97333000000".into(), code_hash: hash.into(), now, max_attempts: 3 };
        assert!(!store.redeem_otp(attempt("bad", T0 + 1)).await.expect("wrong"));
        assert!(store.redeem_otp(attempt("good", T0 + 2)).await.expect("right"));
        assert!(!store.redeem_otp(attempt("good", T0 + 3)).await.expect("used up"));
        assert_eq!(store.recent_otp_count("+97333000000", T0 - 1).await.expect("count"), 1);
    }

    async fn concurrent_writes_all_commit(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..200 {
            let store = store.clone();
            tasks.spawn(async move { store.insert_case(case(e, d, s, T0 + i, "x")).await });
        }
        let mut references = std::collections::HashSet::new();
        while let Some(done) = tasks.join_next().await {
            let (_, reference) = created(done.expect("task").expect("insert"));
            assert!(references.insert(reference), "references are unique");
        }
        assert_eq!(store.count_by_status().await.expect("count"), vec![("new".to_owned(), 200)]);
    }

    async fn attachments_are_listed_with_their_event(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, _) = created(store.insert_case(case(e, d, s, T0, "x")).await.expect("insert"));
        let event = EventInsert {
            case_id: id, at: T0 + 1, actor_type: "reporter".into(), actor_id: None, actor_name: "r".into(),
            action: "attachment".into(), from_status: None, to_status: None, public: true, body: None, details: "{}".into(),
        };
        store.insert_attachment(AttachmentInsert {
            case_id: id, blob_key: "ab".repeat(32), mime: "image/png".into(), size_bytes: 10, filename: "p.png".into(),
            public: true, uploaded_by: "reporter".into(), created_at: T0 + 1, fix: false, event,
        }).await.expect("attach");
        let rows = store.attachments(id).await.expect("list");
        assert_eq!((rows.len(), rows[0].mime.as_str()), (1, "image/png"));
        assert_eq!(store.events(id).await.expect("events").len(), 2);
    }

    async fn a_case_is_written_with_its_attachments_and_their_events(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let photo = |n: u8| AttachmentInsert {
            case_id: 0, blob_key: format!("{n:02x}").repeat(32), mime: "image/png".into(), size_bytes: 10,
            filename: format!("{n}.png"), public: true, uploaded_by: "reporter".into(), created_at: T0, fix: false,
            event: EventInsert {
                case_id: 0, at: T0, actor_type: "reporter".into(), actor_id: None, actor_name: "r".into(),
                action: "attachment".into(), from_status: None, to_status: None, public: true, body: None, details: "{}".into(),
            },
        };
        let with_photos = CaseInsert { attachments: vec![photo(1), photo(2)], ..case(e, d, s, T0, "x") };
        let (id, _) = created(store.insert_case(with_photos).await.expect("insert"));
        let rows = store.attachments(id).await.expect("list");
        assert_eq!(rows.iter().map(|r| (r.case_id, r.filename.as_str())).collect::<Vec<_>>(), [(id, "1.png"), (id, "2.png")]);
        let events = store.events(id).await.expect("events");
        assert_eq!(events.iter().filter(|ev| ev.action == "attachment" && ev.case_id == id).count(), 2);

    }

    async fn jobs_are_claimed_once_and_taken_over_when_a_lease_expires(store: &Store) {
        let job = |key: &str, run_at| JobInsert { kind: "deliver".into(), key: key.into(), payload: "{}".into(), run_at };
        store.enqueue_job(job("a", T0)).await.expect("enqueue");
        store.enqueue_job(job("a", T0)).await.expect("the same key again is one job");
        store.enqueue_job(job("b", T0 + 1_000)).await.expect("enqueue");
        store.enqueue_job(job("later", T0 + 60_000_000)).await.expect("enqueue");
        let first = store.claim_jobs("node-1", T0 + 1_000, T0 + 5_000_000, 10).await.expect("claim");
        assert_eq!(first.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(first[0].attempts, 1);
        assert!(store.claim_jobs("node-2", T0 + 2_000, T0 + 6_000_000, 10).await.expect("claim").is_empty(), "leased jobs are not claimed twice");
        // node-1 finishes one and dies holding the other: after the lease, node-2 takes it over.
        assert!(store.finish_job(first[0].id, "node-1", T0 + 3_000, JobOutcome::Done).await.expect("finish"));
        let taken = store.claim_jobs("node-2", T0 + 5_000_001, T0 + 9_000_000, 10).await.expect("claim");
        assert_eq!(taken.iter().map(|j| (j.key.as_str(), j.attempts)).collect::<Vec<_>>(), vec![("b", 2)]);
        assert!(!store.finish_job(first[1].id, "node-1", T0 + 5_000_002, JobOutcome::Done).await.expect("late"), "the old holder no longer owns it");
        let retry = JobOutcome::Retry { run_at: T0 + 7_000_000, error: "451 try later".into() };
        assert!(store.finish_job(taken[0].id, "node-2", T0 + 5_000_003, retry).await.expect("retry"));
        assert!(store.claim_jobs("node-2", T0 + 6_000_000, T0 + 9_000_000, 10).await.expect("claim").is_empty(), "backing off");
        let again = store.claim_jobs("node-2", T0 + 7_000_000, T0 + 9_000_000, 10).await.expect("claim");
        assert!(store.finish_job(again[0].id, "node-2", T0 + 7_000_001, JobOutcome::Dead { error: "550".into() }).await.expect("dead"));
        let counts = store.job_counts().await.expect("counts");
        assert_eq!(counts, vec![("deliver".into(), "dead".into(), 1), ("deliver".into(), "ready".into(), 1)], "finished jobs are history, not counted");
        assert_eq!(store.purge(T0 + 10_000_000).await.expect("purge"), 1, "the finished job goes");
    }

    async fn many_claimers_never_share_a_job(store: &Store) {
        for i in 0..200 {
            store.enqueue_job(JobInsert { kind: "deliver".into(), key: format!("k{i}"), payload: "{}".into(), run_at: T0 }).await.expect("enqueue");
        }
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..8 {
            let store = store.clone();
            tasks.spawn(async move {
                let mut mine = vec![];
                loop {
                    let got = store.claim_jobs(&format!("node-{n}"), T0 + 1, T0 + 60_000_000, 7).await.expect("claim");
                    if got.is_empty() { return mine; }
                    mine.extend(got.into_iter().map(|j| j.id));
                }
            });
        }
        let mut all = vec![];
        while let Some(done) = tasks.join_next().await {
            all.extend(done.expect("task"));
        }
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!((all.len(), distinct.len()), (200, 200));
    }

    async fn notifications_enqueue_their_delivery_and_record_its_status(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let mut new = case(e, d, s, T0, "x");
        new.notifications = vec![OutboxInsert {
            channel: "email".into(), recipient: "r@example.bh".into(), template: "case_received".into(),
            language: "ar".into(), payload: r#"{"track_url":"/track/{reference}?token={token}"}"#.into(), secret: Some("sealed".into()), created_at: T0,
        }];
        let (_, reference) = created(store.insert_case(new).await.expect("insert"));
        let jobs = store.claim_jobs("n", T0, T0 + 1, 10).await.expect("claim");
        assert_eq!(jobs.len(), 1);
        let outbox_id = serde_json::from_str::<serde_json::Value>(&jobs[0].payload).expect("json")["outbox_id"].as_i64().expect("id");
        let row = store.outbox_delivery(outbox_id).await.expect("read").expect("row");
        let payload: serde_json::Value = serde_json::from_str(&row.payload).expect("json");
        assert_eq!(payload["reference"].as_str(), Some(reference.as_str()), "the store fills in the new reference");
        assert_eq!(payload["track_url"].as_str(), Some(format!("/track/{reference}?token={{token}}").as_str()));
        assert_eq!(row.secret.as_deref(), Some("sealed"), "the secret waits in its own column");
        store.mark_outbox(outbox_id, "retrying", None, Some("busy".into())).await.expect("mark");
        let row = store.outbox_delivery(outbox_id).await.expect("read").expect("row");
        assert_eq!(row.secret.as_deref(), Some("sealed"), "kept while a delivery may still come");
        store.mark_outbox(outbox_id, "sent", Some(T0 + 2), None).await.expect("mark");
        let row = store.outbox_delivery(outbox_id).await.expect("read").expect("row");
        assert_eq!((row.status.as_str(), row.attempts, row.delivered_at), ("sent", 2, Some(T0 + 2)));
        assert_eq!(row.secret, None, "cleared once delivered");
        assert_eq!(store.purge_notifications(T0, T0).await.expect("purge"), 0, "nothing older than T0");
        assert_eq!(store.purge_notifications(T0 + 2, T0 + 2).await.expect("purge"), 0, "kept from its delivery, not its creation");
        assert_eq!(store.purge_notifications(T0 + 3, T0 + 3).await.expect("purge"), 1, "the sent notification goes");
        assert!(store.outbox_delivery(outbox_id).await.expect("read").is_none());
    }

    async fn the_sla_clock_is_stored_and_due_cases_found_by_their_next_step(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let clock = |next| CaseSla { sla_started_at: Some(T0), first_response_due: Some(T0 + 100), resolution_due: Some(T0 + 1_000), next_escalation_at: next, ..CaseSla::default() };
        let (due_id, due_ref) = created(store.insert_case(CaseInsert { sla: clock(Some(T0 + 50)), ..case(e, d, s, T0, "due") }).await.expect("insert"));
        created(store.insert_case(CaseInsert { sla: clock(Some(T0 + 500)), ..case(e, d, s, T0 + 1, "later") }).await.expect("insert"));
        created(store.insert_case(CaseInsert { sla: clock(None), ..case(e, d, s, T0 + 2, "paused") }).await.expect("insert"));
        let due = store.due_escalations(T0 + 60, 10).await.expect("due");
        assert_eq!(due.iter().map(|c| c.reference.as_str()).collect::<Vec<_>>(), vec![due_ref.as_str()]);
        assert_eq!(due[0].sla.resolution_due, Some(T0 + 1_000));
        // A step is taken only from the level it was planned at.
        let step = |level| CaseChange {
            case_id: due_id, expected_status: Status::New, expected_escalation_level: Some(level),
            sla: Some(CaseSla { escalation_level: 1, next_escalation_at: Some(T0 + 100), ..clock(None) }), at: T0 + 60,
            event: EventInsert { case_id: due_id, at: T0 + 60, actor_type: "system".into(), actor_name: "sla".into(), action: "escalated".into(), details: "{}".into(), ..EventInsert::default() },
            ..CaseChange::default()
        };
        store.change_case(step(0)).await.expect("first step");
        assert!(matches!(store.change_case(step(0)).await, Err(StoreError::Conflict(_))), "never twice");
        let overdue = store.list_cases(CaseFilter { sla: Some(SlaFilter::Overdue { now: T0 + 200 }), limit: 10, ..CaseFilter::default() }).await.expect("list");
        assert_eq!(overdue.len(), 3, "first responses are overdue on all three");
        let escalated = store.list_cases(CaseFilter { scope: QueueScope::Escalated, limit: 10, ..CaseFilter::default() }).await.expect("list");
        assert_eq!(escalated.iter().map(|c| c.id).collect::<Vec<_>>(), vec![due_id]);
    }

    async fn transfers_move_a_case_and_the_sender_follows_it(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let other = store.insert_entity(EntityInsert { code: "mun".into(), name_ar: "البلدية".into(), name_en: "Municipality".into(), entity_type: "municipality".into() }).await.expect("entity");
        let (id, reference) = created(store.insert_case(case(e, d, s, T0, "x")).await.expect("insert"));
        let event = EventInsert { case_id: id, at: T0 + 1, actor_type: "staff".into(), actor_name: "s".into(), action: "transferred".into(), details: "{}".into(), ..EventInsert::default() };
        store.change_case(CaseChange {
            case_id: id, expected_status: Status::New, status: Some(Status::Transferred), entity_id: Some(other),
            department_id: Some(None), at: T0 + 1, event: event.clone(),
            transfer: Some(TransferWrite::Open(TransferInsert {
                from_entity_id: e, to_entity_id: other, from_department_id: Some(d), to_department_id: None,
                from_status: Status::New, reason: "ليس من اختصاصنا".into(), status: "pending".into(), requested_by: 0,
                requested_at: T0 + 1, accept_due: Some(T0 + 100), resolve_due: Some(T0 + 1_000),
            })),
            ..CaseChange::default()
        }).await.expect_err("requested_by must be a real staff user");
        let staff = store.insert_staff(StaffInsert { username: "cap.agent".into(), password_hash: "x".into(), role: Role::Agent, entity_id: Some(e), department_id: None, display_name: "a".into(), email: None, created_at: T0 }).await.expect("staff");
        let open = |requested_by| TransferInsert {
            from_entity_id: e, to_entity_id: other, from_department_id: Some(d), to_department_id: None,
            from_status: Status::New, reason: "ليس من اختصاصنا".into(), status: "pending".into(), requested_by,
            requested_at: T0 + 1, accept_due: Some(T0 + 100), resolve_due: Some(T0 + 1_000),
        };
        store.change_case(CaseChange {
            case_id: id, expected_status: Status::New, status: Some(Status::Transferred), entity_id: Some(other),
            department_id: Some(None), at: T0 + 1, event, transfer: Some(TransferWrite::Open(open(staff))),
            ..CaseChange::default()
        }).await.expect("transfer");
        let row = store.case_by_reference(&reference).await.expect("read").expect("case");
        assert_eq!((row.entity_code.as_str(), row.department_id, row.status.as_str()), ("mun", None, "transferred"));
        let followed = store.list_cases(CaseFilter { entity_id: Some(e), scope: QueueScope::Followed, limit: 10, ..CaseFilter::default() }).await.expect("list");
        assert_eq!(followed.len(), 1);
        let incoming = store.list_cases(CaseFilter { entity_id: Some(other), scope: QueueScope::TransferredIn, limit: 10, ..CaseFilter::default() }).await.expect("list");
        assert_eq!(incoming.len(), 1);
        let transfers = store.transfers_of(id).await.expect("transfers");
        assert_eq!((transfers[0].status.as_str(), transfers[0].to_entity_code.as_str()), ("pending", "mun"));
    }

    async fn workflow_configuration_round_trips(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        store.upsert_policy(PolicyRow { entity_id: e, calendar: "{}".into(), escalation: "{}".into(), ignored_after_days: 5, satisfaction_department_id: Some(d), updated_at: T0, second_factor_required: false, survey_days: 7 }).await.expect("policy");
        store.upsert_policy(PolicyRow { entity_id: e, calendar: "{\"v\":2}".into(), escalation: "{}".into(), ignored_after_days: 3, satisfaction_department_id: None, updated_at: T0 + 1, second_factor_required: true, survey_days: 3 }).await.expect("policy again replaces");
        let policies = store.policies().await.expect("policies");
        assert_eq!((policies.len(), policies[0].ignored_after_days, policies[0].survey_days), (1, 3, 3));
        assert!(policies[0].second_factor_required);
        assert!(store.second_factor_required(e).await.expect("read"), "the policy's word");
        assert!(!store.second_factor_required(e + 1000).await.expect("read"), "no policy, not required");
        for service_id in [None, Some(s), None] {
            store.upsert_sla_target(SlaTargetRow { entity_id: e, service_id, priority: Priority::High, first_response_minutes: 60, resolution_minutes: 600 }).await.expect("target");
        }
        assert_eq!(store.sla_targets().await.expect("targets").len(), 2, "one per service × priority, the default included");
        let areas = vec![AreaInsert { name: Some("المنامة".into()), geometry: "{}".into() }; 3];
        assert_eq!(store.replace_areas(e, areas, T0).await.expect("areas"), 3);
        assert_eq!(store.replace_areas(e, vec![AreaInsert { name: None, geometry: "{}".into() }], T0).await.expect("areas"), 1);
        assert_eq!(store.areas().await.expect("areas").len(), 1, "an import replaces the entity's areas");
        // Cases located in an area: a new import that names it again keeps it (and them), one
        // that drops it lets them go, and neither is refused for the cases pointing at it.
        let named = |name: &str| AreaInsert { name: Some(name.into()), geometry: format!("{{\"v\":\"{name}\"}}") };
        store.replace_areas(e, vec![named("المنامة"), named("السيف")], T0).await.expect("areas");
        let manama = store.areas().await.expect("areas").into_iter().find(|a| a.name.as_deref() == Some("المنامة")).expect("manama").id;
        store.insert_case(CaseInsert { area_id: Some(manama), ..case(e, d, s, T0, "في المنامة") }).await.expect("case");
        let in_manama = || async { store.list_cases(CaseFilter { area_id: Some(manama), limit: 50, ..Default::default() }).await.expect("listed").len() };
        assert_eq!(in_manama().await, 1);
        store.replace_areas(e, vec![named("المنامة")], T0 + 1).await.expect("redrawn with a case in it");
        let areas = store.areas().await.expect("areas");
        assert_eq!(areas.iter().map(|a| (a.id, a.geometry.as_str())).collect::<Vec<_>>(), vec![(manama, "{\"v\":\"المنامة\"}")], "the same id, the new outline");
        assert_eq!(in_manama().await, 1, "its cases are still in it");
        store.replace_areas(e, vec![named("السيف")], T0 + 2).await.expect("dropped with a case in it");
        assert!(store.areas().await.expect("areas").iter().all(|a| a.id != manama));
        assert_eq!(in_manama().await, 0);
        let nowhere = store.list_cases(CaseFilter { entity_id: Some(e), no_area: true, limit: 50, ..Default::default() }).await.expect("listed");
        assert!(nowhere.iter().any(|c| c.description == "في المنامة"), "the case is in no area now");
        store.insert_rule(RuleInsert { entity_id: e, department_id: d, service_code: None, keywords: "[\"مياه\"]".into(), language: None, position: 2 }).await.expect("rule");
        store.insert_rule(RuleInsert { entity_id: e, department_id: d, service_code: Some("water-leak".into()), keywords: "[]".into(), language: Some(Language::En), position: 1 }).await.expect("rule");
        assert_eq!(store.rules().await.expect("rules").iter().map(|r| r.position).collect::<Vec<_>>(), vec![1, 2]);
        let other = store.insert_entity(EntityInsert { code: "mun".into(), name_ar: "ب".into(), name_en: "M".into(), entity_type: "municipality".into() }).await.expect("entity");
        for accept_minutes in [60, 120] {
            store.upsert_ola(OlaRow { from_entity_id: e, to_entity_id: other, service_id: None, accept_minutes, resolve_minutes: 600 }).await.expect("ola");
        }
        let olas = store.olas().await.expect("olas");
        assert_eq!((olas.len(), olas[0].accept_minutes), (1, 120));

        // A proposal leaves the agreed terms alone until it is accepted, then replaces them.
        let key = OlaKey { from_entity_id: e, to_entity_id: other, service_id: None };
        let proposal = |accept_minutes| OlaProposalRow { from_entity_id: e, to_entity_id: other, service_id: None, accept_minutes, resolve_minutes: 900, proposed_by: "cap.admin".into(), proposed_at: T0 };
        for accept_minutes in [30, 45] {
            store.upsert_ola_proposal(proposal(accept_minutes)).await.expect("proposal");
        }
        let proposals = store.ola_proposals().await.expect("proposals");
        assert_eq!((proposals.len(), proposals[0].accept_minutes), (1, 45), "one proposal per key, the latest");
        assert_eq!(store.olas().await.expect("olas")[0].accept_minutes, 120, "still the agreed terms");
        let other_key = OlaKey { service_id: Some(s), ..key };
        assert!(store.accept_ola_proposal(other_key).await.expect("accept").is_none(), "no proposal for that service");
        let agreed = store.accept_ola_proposal(key).await.expect("accept").expect("the proposal");
        assert_eq!((agreed.accept_minutes, agreed.resolve_minutes), (45, 900));
        let olas = store.olas().await.expect("olas");
        assert_eq!((olas.len(), olas[0].accept_minutes), (1, 45));
        assert!(store.ola_proposals().await.expect("proposals").is_empty());
        assert!(store.accept_ola_proposal(key).await.expect("accept again").is_none(), "accepted once");
        // Declined, or superseded by terms the platform sets directly.
        store.upsert_ola_proposal(proposal(15)).await.expect("proposal");
        assert!(store.delete_ola_proposal(key).await.expect("decline"));
        assert!(!store.delete_ola_proposal(key).await.expect("decline again"));
        store.upsert_ola_proposal(proposal(15)).await.expect("proposal");
        store.upsert_ola(OlaRow { from_entity_id: e, to_entity_id: other, service_id: None, accept_minutes: 50, resolve_minutes: 600 }).await.expect("ola");
        assert!(store.ola_proposals().await.expect("proposals").is_empty(), "superseded");
        assert_eq!(store.olas().await.expect("olas")[0].accept_minutes, 50);
    }

    async fn a_case_has_at_most_one_survey_written_with_its_event(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, _) = created(store.insert_case(case(e, d, s, T0, "تسرب مياه")).await.expect("insert"));
        assert!(store.survey(id).await.expect("read").is_none());
        let survey = |quality: i64, comment: Option<&str>| SurveyInsert {
            case_id: id,
            round: 0,
            quality,
            speed: 2,
            agent: 5,
            solved: Some(false),
            link: None,
            change: None,
            comment: comment.map(str::to_owned),
            low: true,
            created_at: T0 + 10,
            event: EventInsert {
                case_id: id,
                at: T0 + 10,
                actor_type: "reporter".into(),
                actor_id: None,
                actor_name: "مواطن".into(),
                action: "survey".into(),
                from_status: None,
                to_status: None,
                public: true,
                body: comment.map(str::to_owned),
                details: "{}".into(),
            },
        };
        store.insert_survey(survey(4, Some("بطيء"))).await.expect("first survey");
        let row = store.survey(id).await.expect("read").expect("found");
        assert_eq!((row.quality, row.speed, row.agent, row.low, row.solved), (4, 2, 5, true, Some(false)));
        assert_eq!(row.comment.as_deref(), Some("بطيء"));
        assert_eq!(row.created_at, T0 + 10);
        let second = store.insert_survey(survey(5, None)).await;
        assert!(matches!(second, Err(StoreError::Duplicate(_))), "{second:?}");
        let events = store.events(id).await.expect("events");
        assert_eq!(events.iter().filter(|e| e.action == "survey").count(), 1, "the refused survey wrote no event");
        assert_eq!(store.survey(id).await.expect("read").expect("found").quality, 4);
    }

    async fn scores_outside_one_to_five_are_refused_by_the_schema(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, _) = created(store.insert_case(case(e, d, s, T0, "حفرة")).await.expect("insert"));
        let bad = SurveyInsert {
            case_id: id,
            round: 0,
            solved: None,
            link: None,
            change: None,
            quality: 6,
            speed: 3,
            agent: 3,
            comment: None,
            low: false,
            created_at: T0,
            event: EventInsert {
                case_id: id,
                at: T0,
                actor_type: "reporter".into(),
                actor_id: None,
                actor_name: "مواطن".into(),
                action: "survey".into(),
                from_status: None,
                to_status: None,
                public: true,
                body: None,
                details: "{}".into(),
            },
        };
        assert!(store.insert_survey(bad).await.is_err());
        assert!(store.survey(id).await.expect("read").is_none());
    }

    async fn entities_and_departments_are_renamed_in_place(store: &Store) {
        let (e, d, _) = catalogue(store).await;
        let renamed = EntityUpdate { id: e, name_ar: "محافظة العاصمة".into(), name_en: "Capital Governorate".into(), entity_type: "governorate".into() };
        assert!(store.update_entity(renamed).await.expect("rename"));
        let row = store.entity_by_code("cap").await.expect("read").expect("found");
        assert_eq!((row.name_ar.as_str(), row.name_en.as_str()), ("محافظة العاصمة", "Capital Governorate"));
        let missing = EntityUpdate { id: e + 99, name_ar: "x".into(), name_en: "x".into(), entity_type: "municipality".into() };
        assert!(!store.update_entity(missing).await.expect("no such entity"));
        assert!(store.update_department(d, "مياه الشرب".into(), "Drinking water".into()).await.expect("rename"));
        let dept = store.department_by_code(e, "water").await.expect("read").expect("found");
        assert_eq!((dept.name_ar.as_str(), dept.name_en.as_str()), ("مياه الشرب", "Drinking water"));
        assert!(!store.update_department(d + 99, "x".into(), "x".into()).await.expect("no such department"));
    }

    async fn staff_are_changed_deactivated_and_given_new_passwords(store: &Store) {
        let (e, d, _) = catalogue(store).await;
        let id = store.insert_staff(StaffInsert {
            username: "cap.agent".into(), password_hash: "old".into(), role: Role::Agent, entity_id: Some(e),
            department_id: None, display_name: "A".into(), email: None, created_at: T0,
        }).await.expect("staff");
        let change = StaffUpdate { id, display_name: "Amal".into(), role: Role::Officer, department_id: Some(d), email: Some("amal@example.bh".into()) };
        assert!(store.update_staff(change).await.expect("update"));
        let row = store.staff_by_id(id).await.expect("read").expect("found");
        assert_eq!((row.display_name.as_str(), row.role.as_str(), row.department_id, row.email.as_deref()), ("Amal", "officer", Some(d), Some("amal@example.bh")));
        let session = |hash: &str| SessionInsert { token_hash: hash.into(), staff_id: Some(id), contact: None, created_at: T0, expires_at: T0 + 100, idle_expires_at: T0 + 100 };
        store.insert_session(session("s1")).await.expect("session");
        assert!(store.set_staff_active(id, false).await.expect("deactivate"));
        assert!(!store.staff_by_id(id).await.expect("read").expect("found").active);
        assert!(store.session("s1", T0 + 1).await.expect("read").is_none(), "a deactivated user's session ends");
        assert!(store.set_staff_active(id, true).await.expect("reactivate"));
        assert!(store.staff_by_id(id).await.expect("read").expect("found").active);
        assert!(store.session("s1", T0 + 1).await.expect("read").is_none(), "reactivation does not revive old sessions");
        store.insert_session(session("s2")).await.expect("session");
        assert!(store.set_staff_password(id, "new".into()).await.expect("reset"));
        assert_eq!(store.staff_by_id(id).await.expect("read").expect("found").password_hash, "new");
        assert!(store.session("s2", T0 + 1).await.expect("read").is_none(), "a reset password ends the sessions");
        assert!(!store.set_staff_active(id + 99, false).await.expect("no such user"));
        assert!(!store.set_staff_password(id + 99, "x".into()).await.expect("no such user"));
        let ghost = StaffUpdate { id: id + 99, display_name: "x".into(), role: Role::Agent, department_id: None, email: None };
        assert!(!store.update_staff(ghost).await.expect("no such user"));
    }

    async fn a_duplicate_merges_into_an_open_case_and_leaves_the_open_count(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let overdue_clock = CaseSla { sla_started_at: Some(T0), first_response_due: Some(T0 + 100), resolution_due: Some(T0 + 1_000), ..CaseSla::default() };
        let (stays, stays_ref) = created(store.insert_case(case(e, d, s, T0, "تسرب مياه")).await.expect("insert"));
        let (dup, dup_ref) = created(store.insert_case(CaseInsert { sla: overdue_clock, ..case(e, d, s, T0 + 1, "تسرب مياه مرة أخرى") }).await.expect("insert"));
        let (closed, _) = created(store.insert_case(case(e, d, s, T0 + 2, "قديم")).await.expect("insert"));
        let event = |case_id, action: &str| EventInsert { case_id, at: T0 + 10, actor_type: "staff".into(), actor_name: "s".into(), action: action.into(), details: "{}".into(), ..EventInsert::default() };
        store.change_case(CaseChange { case_id: closed, expected_status: Status::New, status: Some(Status::Closed), at: T0 + 5, event: event(closed, "close"), ..CaseChange::default() }).await.expect("close");
        let merge = |into| CaseChange {
            case_id: dup, expected_status: Status::New, status: Some(Status::Merged), merged_into_id: Some(into),
            sla: Some(CaseSla::default()), at: T0 + 10, event: event(dup, "merged"), more_events: vec![event(into, "merged_in")],
            ..CaseChange::default()
        };
        let refused = store.change_case(merge(closed)).await;
        assert!(matches!(&refused, Err(StoreError::Conflict(_))), "not into a closed case: {refused:?}");
        let row = store.case_by_reference(&dup_ref).await.expect("read").expect("case");
        assert_eq!((row.status.as_str(), row.merged_into_id), ("new", None), "the refused merge wrote nothing");
        assert_eq!(store.events(dup).await.expect("events").len(), 1);
        assert_eq!(store.events(closed).await.expect("events").len(), 2);
        assert_eq!(store.count_open_cases().await.expect("count"), 2);

        store.change_case(merge(stays)).await.expect("merge");
        let row = store.case_by_reference(&dup_ref).await.expect("read").expect("case");
        assert_eq!((row.status.as_str(), row.merged_into_id, row.merged_into_reference.as_deref()), ("merged", Some(stays), Some(stays_ref.as_str())));
        assert_eq!(store.events(dup).await.expect("events").last().map(|e| e.action.clone()).as_deref(), Some("merged"));
        assert_eq!(store.events(stays).await.expect("events").last().map(|e| e.action.clone()).as_deref(), Some("merged_in"));
        assert_eq!(store.case_by_reference(&stays_ref).await.expect("read").expect("case").updated_at, T0 + 10);
        assert_eq!(store.count_open_cases().await.expect("count"), 1, "a merged case is not open");
        let overdue = store.list_cases(CaseFilter { sla: Some(SlaFilter::Overdue { now: T0 + 2_000 }), limit: 10, ..CaseFilter::default() }).await.expect("list");
        assert!(overdue.iter().all(|c| c.id != dup), "a merged case is never overdue");

        // Nothing merges into a merged case, whatever the caller saw before.
        let (third, _) = created(store.insert_case(case(e, d, s, T0 + 3, "ثالث")).await.expect("insert"));
        let into_merged = CaseChange { case_id: third, merged_into_id: Some(dup), event: event(third, "merged"), more_events: vec![event(dup, "merged_in")], ..merge(dup) };
        assert!(matches!(store.change_case(into_merged).await, Err(StoreError::Conflict(_))));
        assert_eq!(store.case_by_reference(&format!("TW-2026-{third:07}")).await.expect("read").expect("case").status, Status::New);
    }

    async fn reply_templates_are_kept_per_entity_key_and_language_each_write_with_its_audit(store: &Store) {
        let (e, _, _) = catalogue(store).await;
        let other = store.insert_entity(EntityInsert { code: "mun".into(), name_ar: "ب".into(), name_en: "M".into(), entity_type: "municipality".into() }).await.expect("entity");
        let audit = |action: &str| AuditInsert { at: T0, staff_id: None, action: action.into(), target: "entity:cap".into(), details: "{}".into() };
        let template = |entity_id, language: &str| ReplyTemplateInsert {
            entity_id, key: "received".into(), language: language.into(), title: "Received".into(), body: "Dear {name}".into(), updated_at: T0,
        };
        let ar = store.insert_reply_template(template(e, "ar"), audit("add")).await.expect("ar");
        store.insert_reply_template(template(e, "en"), audit("add")).await.expect("en");
        store.insert_reply_template(template(other, "en"), audit("add")).await.expect("the same key in another entity");
        let again = store.insert_reply_template(template(e, "ar"), audit("add")).await;
        assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
        let mine = store.reply_templates(e).await.expect("list");
        assert_eq!(mine.iter().map(|t| t.language.as_str()).collect::<Vec<_>>(), vec!["ar", "en"]);
        let edit = |id| ReplyTemplateEdit { id, title: "استلمنا".into(), body: "عزيزنا {name}".into(), updated_at: T0 + 1 };
        assert!(store.update_reply_template(edit(ar), audit("edit")).await.expect("edit"));
        let edited = store.reply_template(ar).await.expect("read").expect("still there");
        assert_eq!((edited.title.as_str(), edited.body.as_str(), edited.updated_at), ("استلمنا", "عزيزنا {name}", T0 + 1));
        assert!(!store.update_reply_template(edit(9_999), audit("edit")).await.expect("no such template"));
        assert!(store.delete_reply_template(ar, audit("delete")).await.expect("delete"));
        assert!(!store.delete_reply_template(ar, audit("delete")).await.expect("already gone"));
        assert!(store.reply_template(ar).await.expect("read").is_none());
        let actions: Vec<String> = store.audit_log(100).await.expect("audit").into_iter().map(|a| a.action).collect();
        assert_eq!(actions, vec!["delete", "edit", "add", "add", "add"], "one audit row per write that happened");
    }

    async fn services_are_edited_keeping_the_code_of_one_with_cases_each_write_audited(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let audit = |action: &str| AuditInsert { at: T0, staff_id: None, action: action.into(), target: "entity:cap".into(), details: "{}".into() };
        let new = ServiceInsert {
            entity_id: e, code: "pothole".into(), name_ar: "حفرة".into(), name_en: "Pothole".into(), description_ar: String::new(),
            description_en: String::new(), kinds: "report".into(), fields: "[]".into(), default_department_id: None, default_priority: Priority::High,
            fix_photo_required: false,
        };
        let pothole = store.add_service(new.clone(), false, audit("add")).await.expect("add");
        let again = store.add_service(new, true, audit("add")).await;
        assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
        let listed = store.managed_services(e).await.expect("list");
        assert_eq!(listed.iter().map(|m| (m.service.code.as_str(), m.active, m.has_cases)).collect::<Vec<_>>(), vec![("water-leak", true, false), ("pothole", false, false)]);
        assert!(store.service_by_code("pothole").await.expect("read").is_none(), "an inactive service is not offered");
        let update = |id, code: &str| ServiceUpdate {
            id, code: code.into(), name_ar: "تسرب".into(), name_en: "Leak".into(), description_ar: "و".into(), description_en: "D".into(),
            kinds: "complaint".into(), default_department_id: Some(d), default_priority: Priority::Urgent, active: true,
            fix_photo_required: true,
        };
        store.insert_rule(RuleInsert { entity_id: e, department_id: d, service_code: Some("pothole".into()), keywords: "[]".into(), language: None, position: 1 }).await.expect("rule");
        assert!(store.update_service(update(pothole, "road-hole"), audit("edit")).await.expect("a service without cases may change its code"));
        assert_eq!(store.rules().await.expect("rules")[0].service_code.as_deref(), Some("road-hole"), "its routing rules follow");
        let edited = store.managed_service("road-hole").await.expect("read").expect("renamed");
        assert_eq!((edited.service.name_en.as_str(), edited.service.default_priority, edited.active, edited.service.fix_photo_required), ("Leak", Priority::Urgent, true, true));
        store.insert_case(case(e, d, s, T0, "تسرب")).await.expect("a case");
        assert!(store.managed_service("water-leak").await.expect("read").expect("there").has_cases);
        assert!(!store.update_service(update(s, "leak"), audit("edit")).await.expect("refused"), "a service with cases keeps its code");
        assert!(store.update_service(update(s, "water-leak"), audit("edit")).await.expect("the rest may change"));
        let taken = store.update_service(update(pothole, "water-leak"), audit("edit")).await;
        assert!(matches!(taken, Err(StoreError::Duplicate(_))), "{taken:?}");
        assert!(store.set_service_fields(s, "[{\"key\":\"depth\"}]".into(), audit("fields")).await.expect("fields"));
        assert!(!store.set_service_fields(9_999, "[]".into(), audit("fields")).await.expect("no such service"));
        assert_eq!(store.managed_service("water-leak").await.expect("read").expect("there").service.fields, "[{\"key\":\"depth\"}]");
        let actions: Vec<String> = store.audit_log(100).await.expect("audit").into_iter().map(|a| a.action).collect();
        assert_eq!(actions, vec!["fields", "edit", "edit", "add"], "one audit row per write that happened");
    }

    async fn client_keys_are_kept_as_hashes_and_revoked_by_name(store: &Store) {
        let key = |name: &str, hash: &str| ClientKeyInsert { name: name.into(), key_hash: hash.into(), created_at: T0 };
        let id = store.insert_client_key(key("fixit", "h1")).await.expect("a key");
        assert!(matches!(store.insert_client_key(key("fixit", "h2")).await, Err(StoreError::Duplicate(_))), "one live key per name");
        assert!(matches!(store.insert_client_key(key("other", "h1")).await, Err(StoreError::Duplicate(_))), "hashes are unique");
        assert_eq!(store.live_client_key("h1").await.expect("read").map(|k| k.id), Some(id));
        assert!(store.revoke_client_key("fixit".into(), T0 + 1).await.expect("revoke"));
        assert!(!store.revoke_client_key("fixit".into(), T0 + 2).await.expect("revoke"), "nothing live to revoke");
        assert!(store.live_client_key("h1").await.expect("read").is_none());
        store.insert_client_key(key("fixit", "h3")).await.expect("the name takes a new key");
        let keys = store.client_keys().await.expect("list");
        assert_eq!(keys.iter().map(|k| k.revoked_at).collect::<Vec<_>>(), [Some(T0 + 1), None]);
    }

    async fn the_public_list_filters_by_window_status_and_service_newest_first(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let mut references = vec![];
        for i in 0..4 {
            references.push(created(store.insert_case(case(e, d, s, T0 + i * 10, "تسرب")).await.expect("insert")).1);
        }
        let client = store.insert_client_key(ClientKeyInsert { name: "app".into(), key_hash: "h".into(), created_at: T0 }).await.expect("key");
        store.insert_open311(Open311Insert { reference: references[1].clone(), token: "abc".into(), client_id: client, media_url: Some("https://x.example/a.jpg".into()), created_at: T0 }).await.expect("token");
        let (_, closed) = created(store.insert_case(CaseInsert { status: "closed".into(), ..case(e, d, s, T0 + 5, "مغلق") }).await.expect("insert"));
        let list = |f: PublicFilter| async move { store.public_cases(f).await.expect("list").into_iter().map(|r| r.reference).collect::<Vec<_>>() };
        let window = PublicFilter { created_from: T0, created_to: T0 + 31, limit: 1000, ..PublicFilter::default() };
        let all = list(window.clone()).await;
        assert_eq!(all.len(), 5);
        assert_eq!(all[0], references[3], "newest first");
        let open = list(PublicFilter { status: Some(PublicStatus::Open), ..window.clone() }).await;
        assert_eq!(open, [references[3].clone(), references[2].clone(), references[1].clone(), references[0].clone()]);
        let ended = list(PublicFilter { status: Some(PublicStatus::Ended), ..window.clone() }).await;
        assert_eq!(ended, [closed]);
        assert_eq!(list(PublicFilter { created_from: T0 + 10, created_to: T0 + 21, ..window.clone() }).await, [references[2].clone(), references[1].clone()]);
        assert_eq!(list(PublicFilter { service_ids: vec![s + 1000], ..window.clone() }).await, Vec::<String>::new());
        assert_eq!(list(PublicFilter { limit: 2, ..window.clone() }).await.len(), 2);
        let chosen = list(PublicFilter { references: vec![references[0].clone(), "TW-1999-0000001".into()], ..window }).await;
        assert_eq!(chosen, [references[0].clone()]);
        let one = store.public_cases(PublicFilter { references: vec![references[1].clone()], limit: 1, ..PublicFilter::default() }).await.expect("one");
        assert_eq!(one[0].media_url.as_deref(), Some("https://x.example/a.jpg"));
        assert_eq!((one[0].service_name_en.as_str(), one[0].entity_name_ar.as_str()), ("Water leak", "العاصمة"));
        assert_eq!(store.open311_token("abc").await.expect("read"), Some(references[1].clone()));
        assert_eq!(store.open311_token("abd").await.expect("read"), None);
    }

    async fn a_conversation_is_saved_turn_by_turn_once_per_version_and_message(store: &Store) {
        let start = |address: &str| ConversationStart { channel: "sms".into(), address: address.into(), state: "{}".into(), at: T0 };
        let first = store.start_conversation(start("+97333000001")).await.expect("started");
        assert_eq!((first.version, first.ended_at), (0, None));
        assert!(matches!(store.start_conversation(start("+97333000001")).await, Err(StoreError::Duplicate(_))), "one open conversation per resident and channel");
        let line = |direction: &str, body: &str, at: i64| TranscriptLine { at, direction: direction.into(), body: body.into() };
        let save = |version: i64, state: &str, inbound: Option<&str>, ended: Option<&str>| ConversationSave {
            id: first.id, expected_version: version, state: state.into(), language: Some("ar".into()), case_id: None,
            at: T0 + 10 * (version + 1), ended: ended.map(str::to_owned),
            transcript: vec![line("in", &format!("said {version}"), T0 + 10 * (version + 1)), line("out", "answer", T0 + 10 * (version + 1))],
            inbound: inbound.map(|id| ("sms".to_owned(), id.to_owned())), waits_for_person: false,
        };
        assert_eq!(store.save_conversation(save(0, "{\"a\":1}", Some("m1"), None)).await.expect("saved"), 1);
        // A second node computed its turn from version 0 too: refused, and nothing of it written.
        assert!(matches!(store.save_conversation(save(0, "{\"b\":1}", Some("m2"), None)).await, Err(StoreError::Conflict(_))));
        assert!(!store.inbound_seen("sms", "m2").await.expect("read"), "the refused turn's message is not taken");
        // The provider redelivers m1: refused, nothing written.
        assert!(matches!(store.save_conversation(save(1, "{\"c\":1}", Some("m1"), None)).await, Err(StoreError::Duplicate(_))));
        let now = store.open_conversation("sms", "+97333000001").await.expect("read").expect("open");
        assert_eq!((now.version, now.state.as_str(), now.language.as_deref()), (1, "{\"a\":1}", Some("ar")));
        assert!(store.inbound_seen("sms", "m1").await.expect("read"));
        let lines = store.transcript(first.id, 0, 100).await.expect("read");
        assert_eq!(lines.iter().map(|l| l.body.as_str()).collect::<Vec<_>>(), ["said 0", "answer"]);
        assert_eq!(store.transcript(first.id, lines[0].id, 100).await.expect("read").len(), 1, "lines after one");
        assert_eq!(store.last_heard("sms", "+97333000001").await.expect("read"), Some(T0 + 10));
        assert_eq!(store.last_heard("sms", "+97333000009").await.expect("read"), None);

        assert_eq!(store.save_conversation(save(1, "{}", None, Some("submitted"))).await.expect("ended"), 2);
        assert!(store.open_conversation("sms", "+97333000001").await.expect("read").is_none());
        assert!(matches!(store.save_conversation(save(2, "{}", None, None)).await, Err(StoreError::Conflict(_))), "an ended conversation takes no turn");
        store.start_conversation(start("+97333000001")).await.expect("a new one once the last is over");
        assert_eq!(store.conversations_of_address("sms", "+97333000001").await.expect("read").len(), 2);

        // Idle ones end; providers' ids are forgotten after their time.
        store.start_conversation(start("+97333000002")).await.expect("started");
        assert_eq!(store.end_idle_conversations(T0 + 1, T0 + 100, "timed_out").await.expect("swept"), 2);
        assert!(store.open_conversation("sms", "+97333000002").await.expect("read").is_none());
        assert_eq!(store.purge_inbound(T0 + 15).await.expect("purged"), 1);
        assert!(!store.inbound_seen("sms", "m1").await.expect("read"));
    }

    async fn a_chat_waits_is_picked_up_once_answered_ended_and_rated_once(store: &Store) {
        let (e, _, _) = catalogue(store).await;
        let agent = |name: &str| StaffInsert {
            username: name.into(), password_hash: "x".into(), role: Role::Agent, entity_id: Some(e),
            department_id: None, display_name: name.into(), created_at: T0, email: None,
        };
        let (one, two) = (store.insert_staff(agent("a.one")).await.expect("staff"), store.insert_staff(agent("a.two")).await.expect("staff"));
        let chat = store.start_conversation(ConversationStart { channel: "chat".into(), address: "web:1".into(), state: "{}".into(), at: T0 }).await.expect("started");
        assert!(store.chat_queue(10).await.expect("read").is_empty(), "not waiting yet");
        assert!(!store.pick_up(chat.id, one, T0).await.expect("tried"), "nothing to pick up");
        store.save_conversation(ConversationSave {
            id: chat.id, expected_version: 0, state: "{}".into(), language: None, case_id: None, at: T0 + 5, ended: None,
            transcript: vec![], inbound: None, waits_for_person: true,
        }).await.expect("handed to a person");
        store.add_line(chat.id, TranscriptLine { at: T0 + 5, direction: "in".into(), body: "متى تعود المياه؟".into() }, None)
            .await.expect("written");
        let queue = store.chat_queue(10).await.expect("read");
        assert_eq!((queue.len(), queue[0].conversation.waiting_since, queue[0].conversation.agent_id), (1, Some(T0 + 5), None));
        assert_eq!(queue[0].last_line.as_deref(), Some("متى تعود المياه؟"), "the resident's last words");
        assert!(store.pick_up(chat.id, one, T0 + 6).await.expect("picked"));
        assert!(!store.pick_up(chat.id, two, T0 + 6).await.expect("tried"), "picked up once");
        let queue = store.chat_queue(10).await.expect("read");
        assert_eq!((queue[0].conversation.waiting_since, queue[0].conversation.agent_id), (None, Some(one)));
        let said = TranscriptLine { at: T0 + 7, direction: "agent".into(), body: "أهلاً".into() };
        let id = store.add_line(chat.id, said.clone(), Some(one)).await.expect("written").expect("an open chat");
        let lines = store.transcript(chat.id, 0, 10).await.expect("read");
        assert_eq!((lines[1].id, lines[1].staff_id), (id, Some(one)));
        assert!(store.end_conversation(chat.id, T0 + 8, "served").await.expect("ended"));
        assert!(!store.end_conversation(chat.id, T0 + 9, "served").await.expect("tried"), "ended once");
        assert_eq!(store.add_line(chat.id, said, Some(one)).await.expect("tried"), None, "nothing is added to an ended chat");
        assert!(store.chat_queue(10).await.expect("read").is_empty());
        let rating = AgentRatingInsert { conversation_id: chat.id, staff_id: one, case_id: None, agent_score: 5, answer_score: 4, at: T0 + 10 };
        store.rate_agent(rating.clone()).await.expect("rated");
        assert!(matches!(store.rate_agent(rating).await, Err(StoreError::Duplicate(_))), "rated once");
        let kept = store.agent_rating(chat.id).await.expect("read").expect("the rating");
        assert_eq!((kept.staff_id, kept.agent_score, kept.answer_score), (one, 5, 4));
    }

    async fn a_resolution_writes_its_fix_photo_and_a_new_invitation_each_time(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, reference) = created(store.insert_case(case(e, d, s, T0, "حفرة")).await.expect("insert"));
        let event = |at: i64, action: &str| EventInsert {
            case_id: id, at, actor_type: "staff".into(), actor_id: None, actor_name: "موظف".into(),
            action: action.into(), from_status: None, to_status: None, public: true, body: None, details: "{}".into(),
        };
        let fix = AttachmentInsert {
            case_id: id, blob_key: "cd".repeat(32), mime: "image/jpeg".into(), size_bytes: 10, filename: "fix.jpg".into(),
            public: true, uploaded_by: "staff:officer".into(), created_at: T0 + 5, fix: true, event: event(T0 + 5, "attachment"),
        };
        let invitation = |hash: &str, at: i64| InvitationWrite { token_hash: hash.into(), created_at: at, expires_at: at + 100 };
        let resolve = CaseChange {
            case_id: id, expected_status: Status::New, status: Some(Status::Resolved), at: T0 + 5,
            event: event(T0 + 5, "resolve"), attachments: vec![fix], invitation: Some(invitation("h1", T0 + 5)),
            ..CaseChange::default()
        };
        store.change_case(resolve).await.expect("resolved with its photo");
        let rows = store.attachments(id).await.expect("list");
        assert_eq!(rows.iter().map(|a| (a.filename.as_str(), a.fix)).collect::<Vec<_>>(), [("fix.jpg", true)]);
        let first = store.invitation_by_token("h1").await.expect("read").expect("invited");
        assert_eq!((first.case_id, first.reference.as_str(), first.round, first.expires_at, first.answered_at), (id, reference.as_str(), 1, T0 + 105, None));
        assert!(store.invitation_by_token("h2").await.expect("read").is_none());
        // Unanswered and expired: found by the sweep from its expiry on, not before.
        assert!(store.unanswered_invitations(T0 + 104, 10).await.expect("due").is_empty());
        assert_eq!(store.unanswered_invitations(T0 + 105, 10).await.expect("due").iter().map(|i| i.case_id).collect::<Vec<_>>(), [id]);
        // Reopened and resolved again: a new token replaces the old one, in the next round.
        let again = CaseChange {
            case_id: id, expected_status: Status::Resolved, status: Some(Status::Resolved), at: T0 + 50,
            event: event(T0 + 50, "resolve"), invitation: Some(invitation("h2", T0 + 50)), ..CaseChange::default()
        };
        store.change_case(again).await.expect("again");
        assert!(store.invitation_by_token("h1").await.expect("read").is_none(), "the old link is replaced");
        let second = store.invitation_of(id).await.expect("read").expect("invited");
        assert_eq!((second.round, second.expires_at), (2, T0 + 150));
        assert!(store.unanswered_invitations(T0 + 149, 10).await.expect("due").is_empty(), "the new link has not expired");
    }

    async fn a_survey_answers_its_round_once_by_its_link_with_its_change(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, _) = created(store.insert_case(case(e, d, s, T0, "تسرب")).await.expect("insert"));
        let event = |at: i64, action: &str| EventInsert {
            case_id: id, at, actor_type: "system".into(), actor_id: None, actor_name: "survey".into(),
            action: action.into(), from_status: None, to_status: None, public: true, body: None, details: "{}".into(),
        };
        let resolve = |hash: &str, at: i64, from: Status| CaseChange {
            case_id: id, expected_status: from, status: Some(Status::Resolved), at, event: event(at, "resolve"),
            invitation: Some(InvitationWrite { token_hash: hash.into(), created_at: at, expires_at: at + 1000 }),
            ..CaseChange::default()
        };
        store.change_case(resolve("h1", T0 + 1, Status::New)).await.expect("resolved");
        let survey = |round: i64, link: Option<&str>, solved: bool, change: Option<CaseChange>| SurveyInsert {
            case_id: id, round, quality: 4, speed: 1, agent: 5, solved: Some(solved), comment: None, low: true,
            created_at: T0 + 2, event: event(T0 + 2, "survey"), link: link.map(str::to_owned), change,
        };
        let reopen = |from: Status| CaseChange {
            case_id: id, expected_status: from, status: Some(Status::Assigned), department_id: Some(Some(d)),
            at: T0 + 2, event: event(T0 + 2, "reopen"), ..CaseChange::default()
        };
        let wrong = store.insert_survey(survey(1, Some("not-the-link"), false, Some(reopen(Status::Resolved)))).await;
        assert!(matches!(wrong, Err(StoreError::Conflict(_))), "{wrong:?}");
        assert!(store.survey(id).await.expect("read").is_none(), "nothing written by another link");
        store.insert_survey(survey(1, Some("h1"), false, Some(reopen(Status::Resolved)))).await.expect("answered");
        let row = store.survey(id).await.expect("read").expect("there");
        assert_eq!((row.round, row.solved, row.low), (1, Some(false), true));
        let case_now = store.case_by_reference(&store.invitation_of(id).await.expect("read").expect("inv").reference).await.expect("read").expect("case");
        assert_eq!((case_now.status, case_now.department_id), (Status::Assigned, Some(d)), "the verdict's change, in the same transaction");
        assert!(store.invitation_of(id).await.expect("read").expect("inv").answered_at.is_some());
        let twice = store.insert_survey(survey(1, Some("h1"), true, None)).await;
        assert!(matches!(twice, Err(StoreError::Duplicate(_))), "{twice:?}");
        // A refused change leaves no survey either.
        store.change_case(resolve("h2", T0 + 3, Status::Assigned)).await.expect("resolved again");
        let stale = store.insert_survey(survey(2, Some("h2"), false, Some(reopen(Status::New)))).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        assert_eq!(store.survey(id).await.expect("read").expect("there").round, 1);
        assert!(store.invitation_of(id).await.expect("read").expect("inv").answered_at.is_none());
        store.insert_survey(survey(2, None, true, None)).await.expect("the next round is answered once more");
        assert_eq!(store.survey(id).await.expect("read").expect("there").round, 2);
        assert!(store.invitation_of(id).await.expect("read").expect("inv").answered_at.is_some(), "from the tracking page too");
        assert_eq!(store.unanswered_invitations(T0 + 10_000, 10).await.expect("due").len(), 0, "answered is never due");
    }

    async fn kpi_marks_fold_into_rollups_taking_out_the_old_contribution(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (one, _) = created(store.insert_case(case(e, d, s, T0, "تسرب مياه")).await.expect("insert"));
        store.insert_case(case(e, d, s, T0 + 1, "حفرة")).await.expect("insert");
        assert_eq!(store.kpi_marks().await.expect("marks"), 2, "a mark per event");
        // A stand-in for the domain's facts: one count per event, on day 7 or 8 by the case.
        let compute: KpiCompute = std::sync::Arc::new(|source: &KpiSource| {
            let mut contribution = tawasul_domain::kpi::Figures::default();
            contribution.counts.insert("events".into(), source.events.len() as i64);
            KpiFacts { day: 6 + source.case.id % 2, facts: "{}".into(), contribution }
        });
        assert_eq!(store.fold_kpis(1, compute.clone(), T0).await.expect("fold"), 1, "one mark per batch of one");
        assert_eq!(store.fold_kpis(500, compute.clone(), T0).await.expect("fold"), 1);
        assert_eq!(store.fold_kpis(500, compute.clone(), T0).await.expect("fold"), 0, "nothing left");
        let total = |rows: Vec<RollupRow>| -> i64 {
            rows.iter()
                .map(|r| serde_json::from_str::<tawasul_domain::kpi::Figures>(&r.figures).expect("figures").get("events"))
                .sum()
        };
        assert_eq!(total(store.kpi_rollups("entity", Some(e), 0, 100).await.expect("read")), 2);
        assert_eq!(total(store.kpi_rollups("department", None, 0, 100).await.expect("read")), 2);
        // Days 6 and 7 are in January 1970, month 0, where the monthly rollups have them too.
        assert_eq!((tawasul_store::kpi_month(30), tawasul_store::kpi_month(31), tawasul_store::kpi_month(20_513)), (0, 1, 674));
        assert_eq!(total(store.kpi_month_rollups("entity", Some(e), 0, 0).await.expect("read")), 2);
        assert!(store.kpi_month_rollups("entity", Some(e), 1, 100).await.expect("read").is_empty());
        let months = store.kpi_rollup_months(Some(e), 0, 100).await.expect("read");
        assert_eq!(months.iter().map(|r| r.month).collect::<Vec<_>>(), [0], "one row for January 1970's total");
        assert!(store.kpi_rollup_months(Some(e + 1), 0, 100).await.expect("read").is_empty(), "another entity's");
        // A new event: the case's old contribution (1) is taken out and the new one (2) added.
        let note = EventInsert { case_id: one, at: T0 + 5, actor_type: "staff".into(), action: "note".into(), details: "{}".into(), ..EventInsert::default() };
        store.change_case(CaseChange { case_id: one, expected_status: Status::New, at: T0 + 5, event: note, ..CaseChange::default() }).await.expect("event");
        assert!(store.fold_kpis(500, compute.clone(), T0 + 5).await.expect("fold") > 0, "the new marks");
        assert_eq!(total(store.kpi_rollups("entity", Some(e), 0, 100).await.expect("read")), 3);
        assert_eq!(total(store.kpi_month_rollups("service", Some(e), 0, 0).await.expect("read")), 3);
        let day_of_one = 6 + one % 2;
        assert_eq!(total(store.kpi_rollups("service", Some(e), day_of_one, day_of_one).await.expect("read")), 2, "one day only");
        assert_eq!(store.kpi_folded_at().await.expect("read"), Some(T0 + 5));
        // The backlog now, by member: both cases are new, one a day old.
        let backlog = store.kpi_backlog("department", Some(e), T0 + 86_400_000_000).await.expect("backlog");
        assert_eq!(backlog.len(), 1);
        assert_eq!((backlog[0].member.clone(), backlog[0].under_1d, backlog[0].d1_3), (Some(d.to_string()), 1, 1));
        assert_eq!(store.kpi_labels("department", vec![d, 999]).await.expect("labels"), vec![(d, "water".to_owned())]);
        // Rebuilt: every case marked again, the figures the same.
        assert_eq!(store.reset_kpis().await.expect("reset"), 2);
        assert!(store.kpi_rollups("entity", Some(e), 0, 100).await.expect("read").is_empty());
        assert!(store.kpi_month_rollups("entity", Some(e), 0, 100).await.expect("read").is_empty());
        while store.fold_kpis(500, compute.clone(), T0 + 6).await.expect("fold") > 0 {}
        assert_eq!(total(store.kpi_rollups("entity", Some(e), 0, 100).await.expect("read")), 3);
        assert_eq!(total(store.kpi_month_rollups("entity", Some(e), 0, 0).await.expect("read")), 3);
        // Targets: set, changed, forgotten.
        store.set_kpi_target(e, "within_sla".into(), Some((95.0, 3.0)), T0).await.expect("set");
        store.set_kpi_target(e, "within_sla".into(), Some((85.0, 2.0)), T0).await.expect("set again");
        let targets = store.kpi_targets(e).await.expect("targets");
        assert_eq!((targets.len(), targets[0].target, targets[0].margin), (1, 85.0, 2.0));
        store.set_kpi_target(e, "within_sla".into(), None, T0).await.expect("reset");
        assert!(store.kpi_targets(e).await.expect("targets").is_empty());
    }
}

fn callback_event(case_id: i64, at: i64, action: &str) -> EventInsert {
    EventInsert {
        case_id,
        at,
        actor_type: "system".into(),
        actor_id: None,
        actor_name: "call-back".into(),
        action: action.into(),
        from_status: None,
        to_status: None,
        public: false,
        body: None,
        details: "{}".into(),
    }
}

/// A staff change from `from` to `to` at `at` that asks for a call-back.
fn change_with_callback(case_id: i64, from: Status, to: Status, at: i64) -> CaseChange {
    CaseChange {
        case_id,
        expected_status: from,
        status: Some(to),
        at,
        event: EventInsert {
            from_status: Some(from),
            to_status: Some(to),
            public: true,
            ..callback_event(case_id, at, "acknowledge")
        },
        callback: Some(CallbackInsert {
            status: to.as_str().into(),
            phone: "+97333000000".into(),
            language: "ar".into(),
            survey: false,
        }),
        ..CaseChange::default()
    }
}

on_both! { open_store;
    async fn a_call_back_is_written_with_its_change_placed_once_and_reported_once(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, reference) = created(store.insert_case(case(e, d, s, T0, "x")).await.expect("insert"));
        store.change_case(change_with_callback(id, Status::New, Status::Acknowledged, T0 + 10)).await.expect("change");
        let written = store.callbacks_of_case(id).await.expect("read");
        assert_eq!(written.len(), 1);
        let callback = &written[0];
        assert_eq!(
            (callback.reference.as_str(), callback.status.as_str(), callback.state.as_str(), callback.attempts, callback.superseded),
            (reference.as_str(), "acknowledged", "waiting", 0, false)
        );
        // Two nodes placing the same attempt: the second writes nothing.
        assert!(store.callback_placed(callback.id, 0, "CA1", callback_event(id, T0 + 20, "callback_placed")).await.expect("placed"));
        assert!(!store.callback_placed(callback.id, 0, "CA2", callback_event(id, T0 + 21, "callback_placed")).await.expect("again"));
        // The platform's report, taken once.
        let report = || CallbackOutcome {
            id: callback.id,
            call_sid: "CA1".into(),
            inbound: ("phone".into(), "callback/CA1/no-answer".into()),
            state: "gave_up".into(),
            events: vec![callback_event(id, T0 + 30, "callback_no_answer")],
            retry: None,
        };
        assert!(store.callback_outcome(report()).await.expect("taken"));
        assert!(matches!(store.callback_outcome(report()).await, Err(StoreError::Duplicate(_))));
        let actions: Vec<String> = store.events(id).await.expect("events").into_iter()
            .filter(|e| e.action.starts_with("callback_")).map(|e| e.action).collect();
        assert_eq!(actions, ["callback_placed", "callback_no_answer"]);
        let after = store.callback(callback.id).await.expect("read").expect("found");
        assert_eq!((after.state.as_str(), after.attempts, after.call_sid.as_deref()), ("gave_up", 1, Some("CA1")));
    }

    async fn a_newer_change_supersedes_a_call_back_not_yet_placed(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, _) = created(store.insert_case(case(e, d, s, T0, "x")).await.expect("insert"));
        store.change_case(change_with_callback(id, Status::New, Status::Acknowledged, T0 + 10)).await.expect("first");
        store.change_case(change_with_callback(id, Status::Acknowledged, Status::Rejected, T0 + 20)).await.expect("second");
        let written = store.callbacks_of_case(id).await.expect("read");
        let states: Vec<(&str, &str, bool)> = written.iter().map(|c| (c.status.as_str(), c.state.as_str(), c.superseded)).collect();
        assert_eq!(states, [("acknowledged", "superseded", true), ("rejected", "waiting", false)]);
        assert!(!store.callback_placed(written[0].id, 0, "CA1", callback_event(id, T0 + 30, "callback_placed")).await.expect("not placed"));
    }

    async fn a_case_is_anonymised_once_and_loses_its_search_words_and_retry_key(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let mut old = case(e, d, s, T0, "تسرب أمام بيت مواطن");
        old.reporter_email = Some("citizen@example.bh".into());
        old.idempotency = Some(IdempotencyInsert { key: "retry-1".into(), fingerprint: "f".into() });
        let (old_id, _) = created(store.insert_case(old).await.expect("insert"));
        let (open_id, _) = created(store.insert_case(case(e, d, s, T0 + 1, "تسرب")).await.expect("insert"));
        for id in [old_id, open_id] {
            store.change_case(CaseChange {
                case_id: id,
                expected_status: Status::New,
                status: Some(if id == old_id { Status::Rejected } else { Status::Acknowledged }),
                at: T0 + 10,
                event: EventInsert { case_id: id, at: T0 + 10, actor_type: "staff".into(), action: "reject".into(), details: "{}".into(), ..EventInsert::default() },
                ..CaseChange::default()
            }).await.expect("change");
        }
        assert_eq!(store.cases_to_anonymise(T0 + 11, 10).await.expect("due"), [old_id], "only the ended case");
        assert!(store.cases_to_anonymise(T0 + 10, 10).await.expect("due").is_empty(), "last changed at the cut-off is not before it");
        assert_eq!(store.cases_of_contact(Some("+97333000000".into()), None).await.expect("by phone"), [old_id, open_id]);
        assert_eq!(store.cases_of_contact(None, Some("citizen@example.bh".into())).await.expect("by e-mail"), [old_id]);
        let by_phone = |limit| CaseFilter { words: vec!["33000000".into()], search_reporter: true, limit, ..Default::default() };
        assert_eq!(store.list_cases(by_phone(10)).await.expect("search").len(), 2);

        let write = AnonymiseCase { case_id: old_id, at: T0 + 20, description: Some("تسرب أمام بيت [erased]".into()), ..AnonymiseCase::default() };
        assert!(store.anonymise_case(write.clone()).await.expect("anonymise"));
        assert!(!store.anonymise_case(write).await.expect("again"), "once");
        assert!(store.cases_to_anonymise(T0 + 100, 10).await.expect("due").is_empty());
        let row = store.personal_case(old_id).await.expect("read").expect("case");
        assert_eq!(row.anonymised_at, Some(T0 + 20));
        assert_eq!((row.case.reporter_name, row.case.reporter_phone, row.case.reporter_email), (None, None, None));
        assert_eq!(row.case.status, Status::Rejected, "the figures' fields stay");
        assert_eq!(row.case.description, "تسرب أمام بيت [erased]");
        let found: Vec<i64> = store.list_cases(by_phone(10)).await.expect("search").iter().map(|c| c.id).collect();
        assert_eq!(found, [open_id], "the number finds the anonymised case no more");
        let words = vec![tawasul_domain::text::normalise_for_search("بيت")];
        let found = store.list_cases(CaseFilter { words, limit: 10, ..Default::default() }).await.expect("search");
        assert_eq!(found.len(), 1, "its kept text is still found");
        assert!(store.cases_of_contact(None, Some("citizen@example.bh".into())).await.expect("by e-mail").is_empty());
        let mut again = case(e, d, s, T0 + 30, "تسرب آخر");
        again.idempotency = Some(IdempotencyInsert { key: "retry-1".into(), fingerprint: "other".into() });
        assert!(matches!(store.insert_case(again).await.expect("the key is free"), Inserted::Created { .. }), "its retry key is gone");
    }
}
