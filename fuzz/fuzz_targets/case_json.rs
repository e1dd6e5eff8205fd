//! `POST /api/v1/cases` with a JSON body: read with the API's own reader (`parse_json`: 400
//! for broken JSON, 422 naming the field for a wrong one), then checked by the domain as every
//! channel's intake is. A draft that reads writes back and reads again as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tawasul_domain::catalogue::Service;
use tawasul_domain::intake::{IntakeDraft, NewCase};
use tawasul_fuzz::service;
use tawasul_http::parse_json;

fuzz_target!(|data: &[u8]| {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    let service = SERVICE.get_or_init(service);
    let draft: IntakeDraft = match parse_json(data) {
        Ok(draft) => draft,
        Err(refused) => {
            assert!(
                matches!(refused.status.as_u16(), 400 | 422),
                "{} {}",
                refused.status,
                refused.code
            );
            assert_eq!(refused.status.as_u16() == 422, refused.field.is_some(), "{refused:?}");
            return;
        }
    };
    let written = serde_json::to_vec(&draft).expect("a draft serialises");
    let again: IntakeDraft = parse_json(&written).expect("a written draft reads back");
    assert_eq!(
        serde_json::to_value(&again).expect("serialises"),
        serde_json::to_value(&draft).expect("serialises")
    );
    if let Ok(case) = NewCase::parse(&draft, service) {
        assert!(!case.description.as_str().trim().is_empty());
        assert_eq!(case.service_id, service.id);
    }
});
