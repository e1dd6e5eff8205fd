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

    /// [`CaseText::parse`] for text that must stay on one line (a file name, a name printed
    /// under a QR code): no line breaks or tabs either.
    pub fn parse_line(raw: &str, field: &str, max_chars: usize) -> Result<Self, Invalid> {
        let text = Self::parse(raw, field, max_chars)?;
        if text.0.contains(['\n', '\t']) {
            return Err(Invalid::new("forbidden_character", field, "must be on one line"));
        }
        Ok(text)
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
    let once = fold_for_search(text);
    // Dropping a mark can leave the marks on either side of it out of canonical order (found
    // by the search_text fuzz target): a second pass, for such text only, puts them in order,
    // so that normalising twice is normalising once.
    match unicode_normalization::is_nfkc_quick(once.chars()) {
        unicode_normalization::IsNormalized::Yes => once,
        _ => fold_for_search(&once),
    }
}

fn fold_for_search(text: &str) -> String {
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
            // "İ" lower-cases to "i" and a combining dot: marks are dropped, as harakat are.
            out.extend(folded.to_lowercase().filter(|l| l.is_alphanumeric()));
        } else {
            pending_space = true;
        }
    }
    out
}

/// Leading Arabic articles, with the particles that join them, set aside from a word:
/// "المياه", "والمياه", "بالمياه" and "للمياه" are all the word "مياه".
const ARTICLES: [&str; 6] = ["وال", "بال", "فال", "كال", "لل", "ال"];

/// The words of text, as every search indexes and queries them: `normalise_for_search`, split
/// at its spaces, each word without its leading articles where three letters or more remain.
pub fn search_words(text: &str) -> Vec<String> {
    normalise_for_search(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|mut w| {
            // To a fixed point, so that a word's words are itself ("والالعاب" → "العاب" → "عاب").
            while let Some(rest) = ARTICLES
                .iter()
                .find_map(|article| w.strip_prefix(article).filter(|rest| rest.chars().count() >= 3))
            {
                w = rest;
            }
            w.to_owned()
        })
        .collect()
}

/// The words of a search query: its `search_words`, except that a phone number typed with
/// spaces or dashes ("+973 3300-1234", "٣٣٠٠ ١٢٣٤") is one word, its digits, as phone numbers
/// are indexed.
pub fn query_words(query: &str) -> Vec<String> {
    let words = search_words(query);
    let phone_like = query.chars().all(|c| c.is_numeric() || " +-().".contains(c));
    let digits: String = words.concat();
    if phone_like && words.len() > 1 && digits.len() >= 7 {
        return vec![digits];
    }
    words
}

/// The language the text is written in, by its script: Arabic when at least a fifth of its
/// letters are Arabic, English otherwise. Good enough to answer in; the reporter can change it.
pub fn language_of(text: &str) -> &'static str {
    let (mut arabic, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
        {
            arabic += 1;
        }
    }
    if letters > 0 && arabic * 5 >= letters {
        "ar"
    } else {
        "en"
    }
}

/// A case reference (`TW-2026-000123` style, as the store makes them) in text (a subject, a comment, a post).
pub fn reference_in(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| is_reference(w))
        .map(str::to_owned)
}

/// `TW-YYYY-NNNNNNN` (`crate::reference`), upper case as it is written.
fn is_reference(word: &str) -> bool {
    let mut parts = word.split('-');
    let (Some("TW"), Some(year), Some(number), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    year.len() == 4 && number.len() >= 7 && [year, number].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// `text` fit for an XML element's content or a double- or single-quoted attribute; the
/// characters XML 1.0 cannot carry (control characters a resident's words or a service's name
/// might bring) are left out rather than breaking the document.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    xml_escape_into(&mut out, text);
    out
}

/// [`xml_escape`] appended to `out`, for documents written in one buffer.
pub fn xml_escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c as u32, 0xFFFE | 0xFFFF) => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalising_stacked_marks_twice_is_normalising_once() {
        // Found by the search_text fuzz target: a harakah between two marks of other classes.
        let text = "ج\u{611}\u{739}\u{653}\u{611}\u{653}\u{611}\u{739}\u{611}\u{612}\u{653}\tA";
        let once = normalise_for_search(text);
        assert_eq!(normalise_for_search(&once), once);
    }

    #[test]
    fn one_line_text_refuses_line_breaks_and_tabs() {
        assert_eq!(
            CaseText::parse_line(" photo.png ", "filename", 200).map(CaseText::into_string),
            Ok("photo.png".into())
        );
        // Found by the attachment_sniff fuzz target: a file name with a line break in it.
        for broken in ["phoA\no\\png", "a\tb", "a\r\nb"] {
            assert_eq!(
                CaseText::parse_line(broken, "filename", 200).map_err(|e| e.code),
                Err("forbidden_character")
            );
        }
    }

    #[test]
    fn a_reference_is_found_among_words_and_nothing_like_one_is() {
        assert_eq!(
            reference_in("بخصوص البلاغ TW-2026-0000123، لم يصلح شيء").as_deref(),
            Some("TW-2026-0000123")
        );
        assert_eq!(
            reference_in("Re: [TW-2026-0001234] water").as_deref(),
            Some("TW-2026-0001234")
        );
        for none in [
            "TW-26-0000123",
            "TW-2026-12",
            "XW-2026-0000123",
            "TW-2026-0000123-4",
            "tw-2026-0000123",
        ] {
            assert_eq!(reference_in(none), None, "{none}");
        }
    }

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

    #[test]
    fn search_words_set_the_article_aside() {
        assert_eq!(
            search_words("إنارة الشارع، والمياه للمنازل!"),
            ["اناره", "شارع", "مياه", "منازل"]
        );
        assert_eq!(
            search_words("ال الي"),
            ["ال", "الي"],
            "too short to be an article and a word"
        );
        assert_eq!(search_words("Pipe ٤٢"), ["pipe", "42"]);
        assert!(search_words(" ،، ").is_empty());
    }

    #[test]
    fn a_phone_number_with_spaces_is_one_query_word() {
        assert_eq!(query_words("+973 3300-1234"), ["97333001234"]);
        assert_eq!(query_words("٣٣٠٠ ١٢٣٤"), ["33001234"]);
        assert_eq!(query_words("12 34"), ["12", "34"], "too short for a phone number");
        assert_eq!(query_words("pipe 3300 1234"), ["pipe", "3300", "1234"]);
    }

    /// Found by the fuzz target `search_text`: "İ" lower-cases to "i" and a combining dot, which
    /// the next normalisation read as a word break ("i stanbul").
    #[test]
    fn a_capital_with_a_lower_case_mark_normalises_once() {
        assert_eq!(normalise_for_search("İstanbul"), "istanbul");
        let once = normalise_for_search("İstanbul ǅ ﷺ ﬁ");
        assert_eq!(normalise_for_search(&once), once);
        assert_eq!(search_words("İzmir"), ["izmir"]);
    }

    proptest! {
        #[test]
        fn search_words_are_normalised_and_stable(s in "\\PC*") {
            for w in search_words(&s) {
                prop_assert!(!w.is_empty() && !w.contains(' '));
                prop_assert_eq!(search_words(&w), vec![w.clone()]);
            }
        }
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

    #[test]
    fn markup_and_control_characters_do_not_reach_an_xml_document() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(xml_escape("حفرة\u{0}\u{1b}\u{FFFF} كبيرة\n"), "حفرة كبيرة\n");
    }
}
