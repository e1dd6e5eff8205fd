//! Free text from residents and staff, and the one normalisation used for search.

use crate::Invalid;
use unicode_normalization::UnicodeNormalization;

/// Text a person wrote: NFC-normalised, trimmed, non-empty, bounded in characters, with no
/// control characters (other than newline and tab) and no bidi overrides or isolates, which
/// can make a reference or a name display as something it is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseText(String);

impl CaseText {
    pub fn parse(raw: &str, field: &str, max_chars: usize) -> Result<Self, Invalid> {
        let text: String = raw.nfc().collect::<String>().trim().replace("\r\n", "\n");
        if text.is_empty() {
            return Err(Invalid::new("required", field, "must not be empty"));
        }
        let count = text.chars().count();
        if count > max_chars {
            return Err(Invalid::new(
                "too_long",
                field,
                format!("is {count} characters long; at most {max_chars} are allowed"),
            ));
        }
        if let Some(c) = text.chars().find(|c| is_forbidden(*c)) {
            return Err(Invalid::new(
                "forbidden_character",
                field,
                format!(
                    "contains the control or direction-override character U+{:04X}",
                    c as u32
                ),
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn is_forbidden(c: char) -> bool {
    let bidi_control = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    (c.is_control() && c != '\n' && c != '\t') || bidi_control
}

/// The single normalisation for indexing and querying text (STYLE.md lesson 9): lower case,
/// Arabic diacritics and tatweel removed, alef/yeh/teh-marbuta variants folded, Arabic-Indic
/// and Persian digits turned to ASCII, every run of non-alphanumerics collapsed to a space.
pub fn normalise_for_search(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkc() {
        let folded = match c {
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => continue, // harakat, superscript alef, tatweel
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ى' => 'ي',
            'ة' => 'ه',
            'ؤ' => 'و',
            'ئ' => 'ي',
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            c => c,
        };
        if folded.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(folded.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn arabic_text_is_kept_and_trimmed() {
        let t = CaseText::parse("  تسرب مياه في الشارع\n  ", "description", 100).expect("valid");
        assert_eq!(t.as_str(), "تسرب مياه في الشارع");
    }

    #[test]
    fn empty_long_and_hostile_text_is_refused() {
        assert_eq!(CaseText::parse("   ", "d", 10).expect_err("empty").code, "required");
        assert_eq!(
            CaseText::parse("abcdefghijk", "d", 10).expect_err("long").code,
            "too_long"
        );
        let rlo = CaseText::parse("ref \u{202E}txt.exe", "d", 100).expect_err("override");
        assert_eq!(rlo.code, "forbidden_character");
        assert!(rlo.message.contains("U+202E"));
        assert!(CaseText::parse("bell \u{7}", "d", 100).is_err());
        assert!(CaseText::parse("null \0", "d", 100).is_err());
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // Ten Arabic letters are twenty bytes in UTF-8.
        assert!(CaseText::parse("مممممممممم", "d", 10).is_ok());
    }

    #[test]
    fn script_tags_are_text_not_errors() {
        // Markup is escaped where it is shown; refusing it would refuse honest complaints.
        let t = CaseText::parse("<script>alert(1)</script>", "d", 100).expect("kept");
        assert_eq!(t.as_str(), "<script>alert(1)</script>");
    }

    #[test]
    fn search_folds_arabic_spelling_variants() {
        assert_eq!(normalise_for_search("إنارة الشارع"), "اناره الشارع");
        assert_eq!(normalise_for_search("اناره الشارع"), "اناره الشارع");
        assert_eq!(normalise_for_search("مُسْتَشْفَى"), "مستشفي");
        assert_eq!(normalise_for_search("شــارع"), "شارع");
        assert_eq!(normalise_for_search("رقم ١٢٣"), "رقم 123");
        assert_eq!(normalise_for_search("Street-Light, NOW!"), "street light now");
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent_and_total(s in "\\PC*") {
            let once = normalise_for_search(&s);
            prop_assert_eq!(normalise_for_search(&once), once.clone());
        }

        #[test]
        fn accepted_text_never_holds_forbidden_characters(s in any::<String>()) {
            if let Ok(t) = CaseText::parse(&s, "d", 10_000) {
                prop_assert!(!t.as_str().chars().any(is_forbidden));
            }
        }
    }
}
