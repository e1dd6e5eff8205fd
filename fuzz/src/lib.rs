//! What the fuzz targets share: how one input is cut into the several inputs a parser takes,
//! the service whose form the intake parsers answer, and the runtimes and application the
//! targets that read asynchronously or drive the real service run on.

use std::sync::OnceLock;
use tawasul_app::{App, Settings};
use tawasul_domain::catalogue::Service;

/// A current-thread runtime, made once, for the targets that run a reader's future to its end.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

/// The real application on SQLite with the demo's data, in a new data directory (under TMPDIR,
/// which scripts/fuzz empties after the run), generous limits so that the fuzzer is never
/// throttled, and the one-worker runtime it runs on.
pub fn demo_app() -> (tokio::runtime::Runtime, App) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let data_dir = tempfile::tempdir().expect("a data directory").keep();
    let app = runtime.block_on(async {
        let settings = Settings {
            data_dir,
            limits: tawasul_app::identity::limits::Limits::generous(),
            ..Settings::default()
        };
        let app = App::open(settings).await.expect("the application opens");
        tawasul_demo::seed(&app).await.expect("the demo's data");
        app
    });
    (runtime, app)
}

/// `data` cut at its first `parts - 1` NUL bytes (the last part keeps any further NUL); parts
/// that are missing are empty.
pub fn cut(data: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(parts);
    let mut rest = data;
    while out.len() + 1 < parts {
        match rest.iter().position(|b| *b == 0) {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + 1..];
            }
            None => break,
        }
    }
    out.push(rest);
    out.resize(parts, &[]);
    out
}

/// A service whose form has a field of every type, required and not, with limits.
pub fn service() -> Service {
    serde_json::from_value(serde_json::json!({
        "code": "pothole",
        "entity": "cap",
        "name_ar": "حفرة في الطريق",
        "name_en": "Pothole",
        "description_ar": "الحفر والتشققات في الطرق",
        "description_en": "Holes and cracks in roads",
        "kinds": ["report", "complaint"],
        "fields": [
            {"key": "depth", "label_ar": "العمق", "label_en": "Depth", "type": "number", "min": 0, "max": 100},
            {"key": "since", "label_ar": "منذ", "label_en": "Since", "type": "date"},
            {"key": "lane", "label_ar": "المسار", "label_en": "Lane", "type": "single_choice", "required": true,
             "options": [{"value": "left", "label_ar": "يسار", "label_en": "Left"},
                         {"value": "right", "label_ar": "يمين", "label_en": "Right"}]},
            {"key": "hazards", "label_ar": "المخاطر", "label_en": "Hazards", "type": "multiple_choice",
             "options": [{"value": "water", "label_ar": "ماء", "label_en": "Water"},
                         {"value": "traffic", "label_ar": "مرور", "label_en": "Traffic"}]},
            {"key": "note", "label_ar": "ملاحظة", "label_en": "Note", "type": "text"}
        ],
        "default_department": "roads",
        "default_priority": "normal"
    }))
    .expect("the fixture is a service")
}

/// A second service, for guesses that must choose.
pub fn other_service() -> Service {
    let mut s = service();
    s.code = "water-leak".into();
    s.name_ar = "تسرب مياه".into();
    s.name_en = "Water leak".into();
    s.description_ar = "تسرب المياه من الشبكة".into();
    s.description_en = "Water leaking from the network".into();
    s.fields = vec![];
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_cut_at_nul_bytes() {
        assert_eq!(cut(b"a\0b\0c\0d", 3), [&b"a"[..], b"b", b"c\0d"]);
        assert_eq!(cut(b"a", 3), [&b"a"[..], b"", b""]);
        assert_eq!(service().fields.len(), 5);
    }
}
