//! What the staff and resident case pages both show of a closure: the reporter's photos
//! ("before") beside the photos of the fix sent with the resolution ("after").

use tawasul_app::cases::views::{AttachmentView, CaseView};

fn shown_inline(a: &AttachmentView) -> bool {
    a.mime.starts_with("image/") && a.mime != "image/heic"
}

/// The reporter's photos.
pub fn before(case: &CaseView) -> Vec<&AttachmentView> {
    case.attachments
        .iter()
        .filter(|a| a.from_reporter && !a.fix && shown_inline(a))
        .collect()
}

/// The photos of the fix.
pub fn after(case: &CaseView) -> Vec<&AttachmentView> {
    case.attachments.iter().filter(|a| a.fix && shown_inline(a)).collect()
}
