//! web: the closure survey's store operations, on both backends (`<name>::sqlite` and
//! `<name>::postgres`), with the conformance suite's fixtures.

use tawasul_store::*;

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), None).await.expect("open sqlite");
    (store, dir)
}

async fn postgres() -> (Store, ()) {
    let url = testing::fresh_postgres_database().await;
    (
        Store::open(std::path::Path::new("/nonexistent"), Some(&url))
            .await
            .expect("open postgres"),
        (),
    )
}

macro_rules! on_both {
    ($(async fn $name:ident($store:ident: &Store) $body:block)*) => {$(
        mod $name {
            use super::*;
            async fn check($store: &Store) $body
            #[tokio::test]
            async fn sqlite() { let (s, _dir) = super::sqlite().await; check(&s).await; s.close().await; }
            #[tokio::test]
            async fn postgres() { let (s, _) = super::postgres().await; check(&s).await; s.close().await; }
        }
    )*};
}

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
            default_priority: "normal".into(),
        })
        .await
        .expect("service");
    (entity, department, service)
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
        search_text: tawasul_domain::text::normalise_for_search(text),
        created_at: at,
        events: vec![EventInsert {
            case_id: 0,
            at,
            actor_type: "reporter".into(),
            actor_id: None,
            actor_name: "مواطن".into(),
            action: "received".into(),
            from_status: None,
            to_status: Some("new".into()),
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

on_both! {
    async fn a_case_has_at_most_one_survey_written_with_its_event(store: &Store) {
        let (e, d, s) = catalogue(store).await;
        let (id, _) = created(store.insert_case(case(e, d, s, T0, "تسرب مياه")).await.expect("insert"));
        assert!(store.survey(id).await.expect("read").is_none());
        let survey = |quality: i64, comment: Option<&str>| SurveyInsert {
            case_id: id,
            quality,
            speed: 2,
            agent: 5,
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
        assert_eq!((row.quality, row.speed, row.agent, row.low), (4, 2, 5, true));
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
}
