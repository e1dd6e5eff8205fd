//! A file arriving with a case through any channel: recognised by its bytes against the type
//! it claims (`AttachmentType::sniff`), and named from the name it came with
//! (`attachment_name`), as intake, uploads and mail do before anything is stored. Input: the
//! claimed Content-Type, NUL, the file name, NUL, the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_app::cases::photos::renamed;
use tawasul_app::cases::work::attachment_name;
use tawasul_domain::attachment::AttachmentType;
use tawasul_fuzz::cut;

fuzz_target!(|data: &[u8]| {
    let parts = cut(data, 3);
    let (Ok(claimed), Ok(filename)) = (std::str::from_utf8(parts[0]), std::str::from_utf8(parts[1])) else {
        return;
    };
    let bytes = parts[2];
    let claim = (!claimed.is_empty()).then_some(claimed);
    let sniffed = AttachmentType::sniff(bytes, claim);
    let plain = AttachmentType::sniff(bytes, None);
    match sniffed {
        Ok(kind) => {
            // A claim only ever refuses: what the bytes are does not depend on it.
            assert_eq!(plain, Ok(kind));
            assert_eq!(AttachmentType::sniff(bytes, Some(kind.mime())), Ok(kind));
            assert_eq!(AttachmentType::sniff(bytes, Some("application/octet-stream")), Ok(kind));
            assert!(!(kind.is_photo() && kind.is_audio()));
        }
        Err(e) if plain.is_ok() => assert_eq!(e.code, "content_mismatch"),
        Err(e) => assert!(matches!(
            e.code,
            "empty_file" | "file_too_large" | "unsupported_file_type"
        )),
    }
    let Ok(kind) = plain else {
        return;
    };
    let name = (!filename.is_empty()).then_some(filename);
    let Ok(shown) = attachment_name(name, kind) else {
        return;
    };
    assert!(!shown.trim().is_empty() && shown.chars().count() <= 200, "{shown:?}");
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    if name.is_none_or(|n| n.trim().is_empty()) {
        assert_eq!(shown, format!("attachment.{}", kind.extension()));
    }
    // A photo re-encoded as JPEG or PNG is shown under its new extension.
    for to in [AttachmentType::Jpeg, AttachmentType::Png] {
        let again = renamed(shown.clone(), kind, to);
        if kind == to {
            assert_eq!(again, shown);
        } else {
            assert!(again.ends_with(if to == AttachmentType::Jpeg { ".jpg" } else { ".png" }));
        }
    }
});
