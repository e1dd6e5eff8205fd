//! A file arriving with a case (any channel's upload, a mail's attachment, an Open311 medium):
//! recognised by its bytes, then a photo re-encoded from its pixels without its metadata.
//! Decompression bombs must be refused before they are decoded: libFuzzer's memory limit
//! (`-rss_limit_mb`, set by `scripts/fuzz`) fails the run when one is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_app::cases::photos::{clean, MAX_SIDE};
use tawasul_domain::attachment::AttachmentType;

fuzz_target!(|data: &[u8]| {
    let Ok(kind) = AttachmentType::sniff(data, None) else {
        return;
    };
    let Ok(cleaned) = clean(data.to_vec(), kind) else {
        return;
    };
    if !kind.is_photo() {
        assert_eq!(
            (cleaned.kind, cleaned.bytes.as_slice()),
            (kind, data),
            "only photos change"
        );
        return;
    }
    assert!(matches!(cleaned.kind, AttachmentType::Jpeg | AttachmentType::Png));
    // What is stored is a photo the server itself reads back, no larger than allowed.
    let format = match cleaned.kind {
        AttachmentType::Png => image::ImageFormat::Png,
        _ => image::ImageFormat::Jpeg,
    };
    let back = image::load_from_memory_with_format(&cleaned.bytes, format).expect("the cleaned photo reads back");
    assert!(back.width() <= MAX_SIDE && back.height() <= MAX_SIDE);
    assert_eq!(AttachmentType::sniff(&cleaned.bytes, None).ok(), Some(cleaned.kind));
});
