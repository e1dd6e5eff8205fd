//! `GET /open311/v2/requests.json?…`: the query read into what is asked of the public cases.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_channels_open311::read_list_query;

/// 2026-12-05T00:00:00Z in microseconds.
const NOW: i64 = 1_796_428_800_000_000;
/// The widest window the endpoint answers (90 days), in microseconds.
const SPAN: i64 = 90 * 24 * 3600 * 1_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = read_list_query(data, NOW) else {
        return;
    };
    assert!(query.limit > 0);
    if query.references.is_empty() {
        assert!(
            query.created_from < query.created_to,
            "an empty or reversed window: {query:?}"
        );
        assert!(
            query.created_to - query.created_from <= SPAN + 1,
            "a window wider than 90 days: {query:?}"
        );
    }
    // Every code and reference asked for came from the query.
    for word in query.references.iter().chain(&query.service_codes) {
        assert!(!word.is_empty() && word.len() <= data.len());
    }
});
