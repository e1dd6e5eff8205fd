//! `POST /open311/v2/requests.json`: a client's form (and its `Accept-Language`) read into the
//! draft of a case, then checked by the domain as every channel's intake is. Input: the
//! `Accept-Language` value, NUL, the form body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tawasul_channels_open311::{read_request, MAX_DESCRIPTION};
use tawasul_domain::catalogue::Service;
use tawasul_domain::intake::NewCase;
use tawasul_fuzz::{cut, service};

fuzz_target!(|data: &[u8]| {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    let service = SERVICE.get_or_init(service);
    let parts = cut(data, 2);
    let accept = std::str::from_utf8(parts[0]).ok();
    let Ok(draft) = read_request(parts[1], accept, service) else {
        return;
    };
    // The draft holds no more than the form said, and its description no more than allowed.
    assert!(draft.description.chars().count() <= MAX_DESCRIPTION.max(service.name_ar.chars().count()));
    let answers = draft.answers.as_ref().expect("Open311 always answers the form");
    let pairs = parts[1].split(|b| *b == b'&').count();
    assert!(
        answers.len() <= pairs,
        "{} answers from {pairs} parameters",
        answers.len()
    );
    if let Some(location) = draft.location {
        assert!(location.lat.is_finite() && location.lon.is_finite());
    }
    assert!(
        draft.location.is_some() || draft.address.is_some(),
        "a draft without a place"
    );
    // The domain judges it as it judges every channel's; whatever it says, it does not panic.
    if let Ok(case) = NewCase::parse(&draft, service) {
        assert!(!case.description.as_str().trim().is_empty());
        assert_eq!(case.service_id, service.id);
    }
});
