//! Names of things in the page's language. Rows carry their names per language (today
//! `name_ar` and `name_en`); a page asks for one language and gets it, else English, else
//! Arabic, so a language the rows do not have yet (Urdu, French…) still shows a name.

use tawasul_app::rows::{DepartmentRow, EntityRow, ManagedServiceRow, PointRow, ServiceRow};
use tawasul_domain::catalogue::{Choice, FormField, Service};

/// The languages a missing text falls back to, in order.
const FALLBACKS: [&str; 2] = ["en", "ar"];

/// One text written in each language a row has (a text left empty counts as missing).
#[derive(Clone, Copy)]
pub struct ByLanguage<'a> {
    pub ar: &'a str,
    pub en: &'a str,
}

impl<'a> ByLanguage<'a> {
    pub fn new(ar: &'a str, en: &'a str) -> Self {
        Self { ar, en }
    }

    fn written_in(&self, lang: &str) -> Option<&'a str> {
        let text = match lang {
            "ar" => self.ar,
            "en" => self.en,
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    }

    /// The text in `lang`, else in English, else in Arabic.
    pub fn pick(self, lang: &str) -> &'a str {
        std::iter::once(lang)
            .chain(FALLBACKS)
            .find_map(|l| self.written_in(l))
            .unwrap_or_default()
    }
}

/// Something with a name in several languages.
pub trait Named {
    fn names(&self) -> ByLanguage<'_>;

    /// Its name in `lang`, else in English, else in Arabic.
    fn name_in(&self, lang: &str) -> &str {
        self.names().pick(lang)
    }
}

macro_rules! named_by {
    ($($row:ty: $ar:ident, $en:ident;)*) => {$(
        impl Named for $row {
            fn names(&self) -> ByLanguage<'_> {
                ByLanguage::new(&self.$ar, &self.$en)
            }
        }
    )*};
}

named_by! {
    EntityRow: name_ar, name_en;
    DepartmentRow: name_ar, name_en;
    ServiceRow: name_ar, name_en;
    PointRow: name_ar, name_en;
    Service: name_ar, name_en;
    FormField: label_ar, label_en;
    Choice: label_ar, label_en;
}

impl Named for ManagedServiceRow {
    fn names(&self) -> ByLanguage<'_> {
        self.service.names()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requested_language_then_english_then_arabic() {
        let both = ByLanguage::new("مياه", "Water");
        assert_eq!(both.pick("ar"), "مياه");
        assert_eq!(both.pick("en"), "Water");
        assert_eq!(both.pick("ur"), "Water", "a language the row lacks reads English");
        let arabic_only = ByLanguage::new("مياه", "");
        assert_eq!(arabic_only.pick("en"), "مياه");
        assert_eq!(arabic_only.pick("fr"), "مياه");
        let english_only = ByLanguage::new("", "Water");
        assert_eq!(english_only.pick("ar"), "Water");
    }
}
