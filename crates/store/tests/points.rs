//! Service points on both backends: all-or-nothing batches, unique codes, the case that
//! carries its point, the count kept with it and the queue filtered by it.

use tawasul_domain::vocab::{Priority, Status};
use tawasul_store::*;
use tawasul_testkit::{on_both, open_store};

const T0: i64 = 1_790_000_000_000_000;

async fn catalogue(store: &Store) -> (i64, i64) {
    let entity = store
        .insert_entity(EntityInsert {
            code: "cap".into(),
            name_ar: "العاصمة".into(),
            name_en: "Capital".into(),
            entity_type: "governorate".into(),
        })
        .await
        .expect("entity");
    let service = store
        .insert_service(ServiceInsert {
            entity_id: entity,
            code: "street-light".into(),
            name_ar: "إنارة الشوارع".into(),
            name_en: "Street lights".into(),
            description_ar: String::new(),
            description_en: String::new(),
            kinds: "complaint,report".into(),
            fields: "[]".into(),
            default_department_id: None,
            default_priority: Priority::Normal,
            fix_photo_required: false,
        })
        .await
        .expect("service");
    (entity, service)
}

fn point(entity: i64, service: i64, code: &str) -> PointInsert {
    PointInsert {
        code: code.into(),
        entity_id: entity,
        service_id: service,
        name_ar: format!("عمود {code}"),
        name_en: format!("Pole {code}"),
        asset_kind: Some("street-light".into()),
        lat: 26.2,
        lon: 50.58,
        created_at: T0,
    }
}

fn audit() -> AuditInsert {
    AuditInsert {
        at: T0,
        staff_id: None,
        action: "import_points".into(),
        target: "entity:cap".into(),
        details: "{}".into(),
    }
}

fn case_at(entity: i64, service: i64, point: Option<i64>, at: i64) -> CaseInsert {
    CaseInsert {
        token_hash: tawasul_domain::secret_digest(&format!("t-{at}")),
        token: format!("t-{at}"),
        entity_id: entity,
        service_id: service,
        kind: "complaint".into(),
        status: "new".into(),
        channel: "web".into(),
        language: "ar".into(),
        priority: "normal".into(),
        description: "العمود مطفأ".into(),
        answers: "{}".into(),
        created_at: at,
        events: vec![EventInsert {
            at,
            actor_type: "system".into(),
            actor_name: "x".into(),
            action: "received".into(),
            to_status: Some(Status::New),
            public: true,
            details: "{}".into(),
            ..EventInsert::default()
        }],
        point_id: point,
        ..CaseInsert::default()
    }
}

on_both! { open_store;
    async fn points_are_written_all_together_and_read_back_with_their_entity_and_service(store: &Store) {
        let (e, s) = catalogue(store).await;
        let ids = store.insert_points(vec![point(e, s, "sl-1"), point(e, s, "sl-2")], audit()).await.expect("insert");
        assert_eq!(ids.len(), 2);
        let rows = store.points(Some(e)).await.expect("list");
        assert_eq!(rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["sl-1", "sl-2"]);
        let one = store.point_by_code("sl-2").await.expect("read").expect("found");
        assert_eq!((one.entity_code.as_str(), one.entity_name_ar.as_str(), one.service_code.as_str()), ("cap", "العاصمة", "street-light"));
        assert_eq!((one.name_ar.as_str(), one.asset_kind.as_deref(), one.lat, one.case_count), ("عمود sl-2", Some("street-light"), 26.2, 0));
        assert!(store.point_by_code("nope").await.expect("read").is_none());
        assert_eq!(store.points(None).await.expect("all").len(), 2);
        assert!(store.points(Some(e + 100)).await.expect("other").is_empty());
    }

    async fn a_taken_code_refuses_the_whole_batch(store: &Store) {
        let (e, s) = catalogue(store).await;
        store.insert_points(vec![point(e, s, "sl-1")], audit()).await.expect("first");
        let again = store.insert_points(vec![point(e, s, "sl-9"), point(e, s, "sl-1")], audit()).await;
        assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
        let twice = store.insert_points(vec![point(e, s, "sl-7"), point(e, s, "sl-7")], audit()).await;
        assert!(matches!(twice, Err(StoreError::Duplicate(_))), "{twice:?}");
        let codes: Vec<String> = store.points(Some(e)).await.expect("list").into_iter().map(|p| p.code).collect();
        assert_eq!(codes, ["sl-1"], "nothing of a refused batch is kept");
        let taken = store.taken_point_codes(vec!["sl-1".into(), "sl-9".into()]).await.expect("taken");
        assert_eq!(taken, ["sl-1"]);
    }

    async fn a_case_carries_its_point_and_the_queue_filters_and_counts_by_it(store: &Store) {
        let (e, s) = catalogue(store).await;
        let ids = store.insert_points(vec![point(e, s, "sl-1"), point(e, s, "sl-2")], audit()).await.expect("points");
        for (i, p) in [Some(ids[0]), Some(ids[0]), Some(ids[1]), None].into_iter().enumerate() {
            store.insert_case(case_at(e, s, p, T0 + i as i64)).await.expect("case");
        }
        let counts: Vec<(String, i64)> = store.points(Some(e)).await.expect("list").into_iter().map(|p| (p.code, p.case_count)).collect();
        assert_eq!(counts, [("sl-1".to_owned(), 2), ("sl-2".to_owned(), 1)]);
        let at_first = store.list_cases(CaseFilter { point_id: Some(ids[0]), limit: 10, ..CaseFilter::default() }).await.expect("list");
        assert_eq!(at_first.len(), 2);
        assert!(at_first.iter().all(|c| c.point_id == Some(ids[0])));
        assert!(at_first[0].created_at > at_first[1].created_at, "newest first");
        let all = store.list_cases(CaseFilter { limit: 10, ..CaseFilter::default() }).await.expect("all");
        assert_eq!(all.len(), 4);
        assert_eq!(all.iter().filter(|c| c.point_id.is_none()).count(), 1);
    }
}
