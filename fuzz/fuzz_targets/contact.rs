//! `parse_contact`: a resident's e-mail address or phone number as sign-in, one-time codes
//! and `tawasul privacy` take it. Its normal form reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_app::identity::auth::parse_contact;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((normal, channel)) = parse_contact(raw) else {
        return;
    };
    assert!(!normal.is_empty() && normal.len() <= raw.len() * 3);
    let (again, again_channel) = parse_contact(&normal).unwrap_or_else(|e| panic!("{normal:?} of {raw:?}: {e:?}"));
    assert_eq!(
        (again.as_str(), again_channel),
        (normal.as_str(), channel),
        "of {raw:?}"
    );
});
