//! The little XML the two formats need: text and attribute values escaped (the domain's
//! `xml_escape`, which the dashboards' SVG uses too), and the speech language tag.

pub use tawasul_domain::text::xml_escape as escape;

/// The language tag a speech platform says a reply's language with.
pub fn speech_language(language: &str) -> &str {
    match language {
        "ar" => "ar-SA",
        "en" => "en-US",
        other => other,
    }
}
