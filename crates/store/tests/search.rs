//! Staff text search through the index, on both backends over the same cases: the same
//! words find the same cases, in the same order, a page at a time, under every sort.

use tawasul_domain::text::query_words;
use tawasul_domain::vocab::{Priority, Role, Status};
use tawasul_store::*;
use tawasul_testkit::{on_both, open_store};

const T0: i64 = 1_790_000_000_000_000; // 2026-09-21

/// (description, address, reporter name, reporter phone)
const CORPUS: &[(&str, Option<&str>, &str, &str)] = &[
    ("إنارة الشارع معطلة منذ أسبوع", None, "مواطن", "+97333000000"),
    ("اناره الشارع لا تعمل", None, "مواطن", "+97333000000"),
    ("تسرب من أنبوب أمام المستشفى", None, "مواطن", "+97333000000"),
    ("تسرب من انبوب امام المستشفي", None, "مواطن", "+97333000000"),
    ("حفرة رقم ١٢٣ في الطريق", None, "مواطن", "+97333000000"),
    ("Pothole number 123 on Exhibition Avenue", None, "مواطن", "+97333000000"),
    (
        "Broken street light near the mosque",
        None,
        "Fatima Ali",
        "+97333001234",
    ),
    ("شكوى من مؤسسة الكهرباء", None, "مواطن", "+97333000000"),
    ("ضوضاء ليلية", Some("شارع الملك فيصل"), "مواطن", "+97333000000"),
];

async fn fill(store: &Store) -> Vec<i64> {
    let (entity, service) = catalogue(store).await;
    let mut ids = vec![];
    for (i, case) in corpus(entity, service).into_iter().enumerate() {
        let inserted = store.insert_case(case).await.expect("insert");
        let Inserted::Created { id, .. } = inserted else {
            panic!("a new case {i}")
        };
        ids.push(id);
    }
    ids
}

/// The corpus's cases, a second apart.
fn corpus(entity: i64, service: i64) -> Vec<CaseInsert> {
    CORPUS
        .iter()
        .enumerate()
        .map(|(i, (description, address, name, phone))| CaseInsert {
            token_hash: format!("token-{i}"),
            entity_id: entity,
            service_id: service,
            kind: "complaint".into(),
            status: "new".into(),
            channel: "api".into(),
            language: "ar".into(),
            // Urgent and normal in turn, so that the priority order differs from the newest.
            priority: if i % 2 == 0 { "urgent" } else { "normal" }.into(),
            description: (*description).into(),
            answers: "{}".into(),
            address: address.map(str::to_owned),
            reporter_name: Some((*name).into()),
            reporter_phone: Some((*phone).into()),
            created_at: T0 + i as i64 * 1_000_000,
            ..CaseInsert::default()
        })
        .collect()
}

/// An entity and its one service.
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
            code: "roads".into(),
            name_ar: "الطرق والأرصفة".into(),
            name_en: "Roads and lighting".into(),
            description_ar: String::new(),
            description_en: String::new(),
            kinds: "complaint".into(),
            fields: "[]".into(),
            default_department_id: None,
            default_priority: Priority::Normal,
            fix_photo_required: false,
        })
        .await
        .expect("service");
    (entity, service)
}

/// The corpus positions `query` finds, newest first.
async fn find(store: &Store, ids: &[i64], query: &str, reporter: bool) -> Vec<usize> {
    let filter = CaseFilter {
        words: query_words(query),
        search_reporter: reporter,
        limit: 50,
        ..Default::default()
    };
    let rows = store.list_cases(filter).await.expect("search");
    rows.iter()
        .map(|r| ids.iter().position(|id| *id == r.id).expect("a corpus case"))
        .collect()
}

/// Every page of `filter`, concatenated.
async fn all_pages(store: &Store, mut filter: CaseFilter) -> Vec<i64> {
    let mut seen = vec![];
    loop {
        let rows = store.list_cases(filter.clone()).await.expect("page");
        seen.extend(rows.iter().map(|r| r.id));
        match rows.last() {
            Some(last) if rows.len() as i64 == filter.limit => filter.after = Some(filter.order.cursor_after(last)),
            _ => return seen,
        }
    }
}

on_both! { open_store;
    async fn search_folds_spelling_and_finds_whole_words_newest_first(store: &Store) {
        let ids = fill(store).await;
        let table: &[(&str, &[usize])] = &[
            ("إنارة", &[1, 0]),
            ("اناره", &[1, 0]),
            ("الإنارة", &[1, 0]),
            ("المستشفى", &[3, 2]),
            ("مستشفي", &[3, 2]),
            ("أنبوب امام", &[3, 2]),
            ("١٢٣", &[5, 4]),
            ("123", &[5, 4]),
            ("POTHOLE", &[5]),
            ("street light", &[6]),
            ("شارع", &[8, 1, 0]),
            ("مؤسسه", &[7]),
            ("موسسة", &[7]),
            ("شارع pothole", &[]),
            ("لايوجد", &[]),
            ("ستشف", &[]),
        ];
        for (query, expected) in table {
            assert_eq!(find(store, &ids, query, false).await, *expected, "{query}");
        }
        let every: Vec<usize> = (0..CORPUS.len()).rev().collect();
        assert_eq!(find(store, &ids, "lighting", false).await, every, "the service's name");
        let reference = store.list_cases(CaseFilter { limit: 50, ..Default::default() }).await.expect("list")[2].reference.clone();
        let number = reference.rsplit('-').next().expect("number").to_owned();
        assert_eq!(find(store, &ids, &number, false).await, [6], "{reference} by its number");
        assert_eq!(find(store, &ids, number.trim_start_matches('0'), false).await, [6], "without its zeros");
        let none = store.list_cases(CaseFilter { words: vec!["100%".into()], limit: 50, ..Default::default() }).await.expect("search");
        assert!(none.is_empty(), "a word is matched as it is, never as a pattern");
    }

    async fn reporter_details_are_found_only_for_those_who_may_see_them(store: &Store) {
        let ids = fill(store).await;
        for query in ["Fatima", "+973 3300 1234", "97333001234", "33001234", "٣٣٠٠١٢٣٤"] {
            assert_eq!(find(store, &ids, query, true).await, [6], "{query}");
            assert_eq!(find(store, &ids, query, false).await, Vec::<usize>::new(), "{query} without reporter details");
        }
        assert_eq!(find(store, &ids, "fatima street", true).await, [6], "reporter and text words together");
        assert_eq!(find(store, &ids, "مواطن", true).await.len(), CORPUS.len() - 1);
        assert!(find(store, &ids, "مواطن", false).await.is_empty());
    }

    async fn replies_notes_and_resolutions_are_found_at_once(store: &Store) {
        let ids = fill(store).await;
        let event = |body: &str, public: bool| EventInsert {
            case_id: ids[5], at: T0 + 100, actor_type: "staff".into(), actor_id: None, actor_name: "موظف".into(),
            action: if public { "reply" } else { "note" }.into(), from_status: None, to_status: None, public,
            body: Some(body.into()), details: "{}".into(),
        };
        store.change_case(CaseChange {
            case_id: ids[5], expected_status: Status::New, at: T0 + 100,
            event: event("تم ردم الحفرة بالإسفلت", true),
            more_events: vec![event("asphalt crew booked", false)],
            ..CaseChange::default()
        }).await.expect("reply");
        store.change_case(CaseChange {
            case_id: ids[7], expected_status: Status::New, status: Some(Status::Resolved), at: T0 + 200,
            resolution: Some("أعيد التيار الكهربائي".into()),
            event: EventInsert { case_id: ids[7], ..event("تمت المعالجة", true) },
            ..CaseChange::default()
        }).await.expect("resolve");
        assert_eq!(find(store, &ids, "اسفلت", false).await, [5], "a public reply");
        assert_eq!(find(store, &ids, "crew", false).await, [5], "an internal note");
        assert_eq!(find(store, &ids, "التيار", false).await, [7], "a resolution");
        assert_eq!(find(store, &ids, "pothole اسفلت", false).await, [5], "the description and a reply together");
    }

    async fn a_bulk_load_is_found_by_the_words_a_rebuild_finds(store: &Store) {
        // Loaded cases are indexed from what the load writes, not read back, their own words
        // worked out by the load or ahead by the caller: the same rows as a rebuild writes, so
        // the same answers.
        let (entity, service) = catalogue(store).await;
        let loaded: Vec<LoadedCase> = corpus(entity, service)
            .into_iter()
            .enumerate()
            .map(|(i, mut case)| {
                let event = |body: Option<&str>| EventInsert {
                    case_id: 0, at: case.created_at + 10, actor_type: "staff".into(), actor_id: None,
                    actor_name: "موظف".into(), action: "reply".into(), from_status: None, to_status: None,
                    public: true, body: body.map(str::to_owned), details: "{}".into(),
                };
                case.events = vec![event(None), event((i == 5).then_some("تم ردم الحفرة بالإسفلت"))];
                case.reporter_email = (i == 6).then(|| "fatima.ali@example.bh".to_owned());
                let mut loaded = LoadedCase {
                    resolution: (i == 7).then(|| "أعيد التيار الكهربائي".to_owned()),
                    updated_at: case.created_at + 10,
                    case,
                    ..LoadedCase::default()
                };
                // Every other case with its words worked out ahead, as the generator does.
                if i % 2 == 1 {
                    loaded.words = Some(LoadedWords::of(&loaded));
                }
                loaded
            })
            .collect();
        let ids = store.load_cases(loaded).await.expect("load");
        let number = tawasul_domain::reference(2026, ids[4]).rsplit('-').next().expect("number").to_owned();
        let queries = [
            "إنارة", "المستشفى", "123", "lighting", "الطرق", "اسفلت", "التيار", "شارع الملك", "Fatima", "fatima.ali",
            "example.bh", "33001234", "+97333000000", "مواطن", &number, number.trim_start_matches('0'),
        ];
        let mut answers = vec![];
        for query in queries {
            for reporter in [false, true] {
                answers.push((query, reporter, find(store, &ids, query, reporter).await));
            }
        }
        assert!(answers.iter().all(|(_, reporter, found)| !*reporter || !found.is_empty()), "every word is found: {answers:?}");
        assert!(answers.contains(&("اسفلت", false, vec![5])) && answers.contains(&("التيار", false, vec![7])), "{answers:?}");
        assert!(answers.contains(&("Fatima", true, vec![6])) && answers.contains(&("Fatima", false, vec![])), "{answers:?}");
        store.rebuild_search_index(|_| {}).await.expect("rebuild");
        for (query, reporter, found) in &answers {
            assert_eq!(&find(store, &ids, query, *reporter).await, found, "{query} (reporter {reporter})");
        }
    }

    async fn search_pages_under_every_order_and_filter(store: &Store) {
        let ids = fill(store).await;
        for order in [CaseOrder::Newest, CaseOrder::Oldest, CaseOrder::DueFirst, CaseOrder::PriorityFirst] {
            let words = query_words("lighting");
            let paged = all_pages(store, CaseFilter { words: words.clone(), order, limit: 2, ..Default::default() }).await;
            let listed = all_pages(store, CaseFilter { order, limit: 2, ..Default::default() }).await;
            assert_eq!(paged, listed, "{order:?}: a word every case holds pages as the plain list does");
            let urgent = all_pages(store, CaseFilter { words: query_words("شارع"), order, priority: Some(Priority::Urgent), limit: 1, ..Default::default() }).await;
            assert_eq!(urgent, expected_urgent(order, &ids), "{order:?}");
            let closed = all_pages(store, CaseFilter { words: words.clone(), order, statuses: vec![Status::Closed], limit: 2, ..Default::default() }).await;
            assert!(closed.is_empty(), "{order:?}");
            let early = all_pages(store, CaseFilter { words, order, created_to: Some(T0 + 2_000_000), limit: 1, ..Default::default() }).await;
            // Untimed cases tie under the due order and go by id; case 0 is urgent, 1 normal.
            let expected = if order == CaseOrder::Newest { [ids[1], ids[0]] } else { [ids[0], ids[1]] };
            assert_eq!(early, expected, "{order:?}");
        }
    }

    async fn each_entity_searches_its_own_and_a_transferred_case_takes_its_words_along(store: &Store) {
        let (capital, service) = catalogue(store).await;
        let north = store
            .insert_entity(EntityInsert { code: "north".into(), name_ar: "الشمالية".into(), name_en: "Northern".into(), entity_type: "governorate".into() })
            .await
            .expect("entity");
        // The corpus twice, the entities' cases interleaved in time, so that a search across
        // entities must merge their pages.
        let mut ids: Vec<(i64, i64, i64)> = vec![];
        for (i, mut case) in corpus(capital, service).into_iter().chain(corpus(north, service)).enumerate() {
            case.created_at = T0 + ((i % CORPUS.len()) * 2 + i / CORPUS.len()) as i64 * 1_000_000;
            case.token_hash = format!("token-{i}");
            let (entity, created_at) = (case.entity_id, case.created_at);
            let Inserted::Created { id, .. } = store.insert_case(case).await.expect("insert") else { panic!("a new case {i}") };
            ids.push((id, entity, created_at));
        }
        let search = |entity: Option<i64>, scope: QueueScope, query: &str, order: CaseOrder, limit: i64| CaseFilter {
            words: query_words(query), entity_id: entity, scope, order, limit, ..Default::default()
        };
        let mut newest = ids.clone();
        newest.sort_by_key(|(_, _, created_at)| std::cmp::Reverse(*created_at));
        for order in [CaseOrder::Newest, CaseOrder::Oldest, CaseOrder::DueFirst, CaseOrder::PriorityFirst] {
            let across = all_pages(store, search(None, QueueScope::Entity, "lighting", order, 3)).await;
            let plain = all_pages(store, CaseFilter { order, limit: 3, ..Default::default() }).await;
            assert_eq!(across, plain, "{order:?}: across entities, a word every case holds pages as the plain list does");
            for entity in [capital, north] {
                let within = all_pages(store, search(Some(entity), QueueScope::Entity, "lighting", order, 2)).await;
                let listed = all_pages(store, CaseFilter { entity_id: Some(entity), order, limit: 2, ..Default::default() }).await;
                assert_eq!(within, listed, "{order:?}: within an entity, only its cases");
            }
        }
        let merged = all_pages(store, search(None, QueueScope::Entity, "lighting", CaseOrder::Newest, 4)).await;
        assert_eq!(merged, newest.iter().map(|(id, _, _)| *id).collect::<Vec<_>>(), "the entities' pages merged newest first");

        // Capital hands its pothole case to the North after a reply: the North finds it by its
        // description and by the reply, the Capital no longer, but among the cases it follows.
        let (moved, _, _) = ids[5];
        let staff = store.insert_staff(StaffInsert { username: "cap.agent".into(), password_hash: "x".into(), role: Role::Agent, entity_id: Some(capital), department_id: None, display_name: "a".into(), email: None, created_at: T0 }).await.expect("staff");
        let event = |action: &str, body: Option<&str>| EventInsert {
            case_id: moved, at: T0 + 100_000_000, actor_type: "staff".into(), actor_id: Some(staff), actor_name: "موظف".into(),
            action: action.into(), public: true, body: body.map(str::to_owned), details: "{}".into(), ..EventInsert::default()
        };
        store.change_case(CaseChange { case_id: moved, expected_status: Status::New, at: T0 + 100_000_000, event: event("reply", Some("تم ردم الحفرة بالإسفلت")), ..CaseChange::default() }).await.expect("reply");
        store.change_case(CaseChange {
            case_id: moved, expected_status: Status::New, status: Some(Status::Transferred), entity_id: Some(north), at: T0 + 100_000_001,
            event: event("transferred", None),
            transfer: Some(TransferWrite::Open(TransferInsert {
                from_entity_id: capital, to_entity_id: north, from_department_id: None, to_department_id: None,
                from_status: Status::New, reason: "ليس من اختصاصنا".into(), status: "pending".into(), requested_by: staff,
                requested_at: T0 + 100_000_001, accept_due: None, resolve_due: None,
            })),
            ..CaseChange::default()
        }).await.expect("transfer");
        let found = |entity: Option<i64>, scope: QueueScope, query: &'static str| {
            let filter = search(entity, scope, query, CaseOrder::Newest, 50);
            async move { store.list_cases(filter).await.expect("search").iter().map(|r| r.id).collect::<Vec<_>>() }
        };
        for query in ["pothole", "اسفلت", "pothole اسفلت"] {
            assert!(found(Some(north), QueueScope::Entity, query).await.contains(&moved), "{query}: the North finds it");
            assert!(!found(Some(capital), QueueScope::Entity, query).await.contains(&moved), "{query}: the Capital no longer");
            assert_eq!(found(Some(capital), QueueScope::Followed, query).await, [moved], "{query}: the Capital follows it");
            assert!(found(None, QueueScope::Entity, query).await.contains(&moved), "{query}: across entities");
        }
    }
}

/// The urgent cases holding "شارع" (0 and 8), in `order`.
fn expected_urgent(order: CaseOrder, ids: &[i64]) -> [i64; 2] {
    match order {
        CaseOrder::Newest | CaseOrder::PriorityFirst => [ids[8], ids[0]],
        CaseOrder::Oldest | CaseOrder::DueFirst => [ids[0], ids[8]],
    }
}
