//! The little XML the two formats need: text and attribute values escaped, and characters
//! XML 1.0 cannot carry (control characters a resident's words or a service's name might
//! bring) left out rather than breaking the document.

/// `text` fit for an element's content or a double- or single-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
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
    out
}

/// The language tag a speech platform says a reply's language with.
pub fn speech_language(language: &str) -> &str {
    match language {
        "ar" => "ar-SA",
        "en" => "en-US",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_characters_do_not_reach_the_document() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("حفرة\u{0}\u{1b}\u{FFFF} كبيرة\n"), "حفرة كبيرة\n");
    }
}
