//! Reply templates: text staff start a public reply from, with `{name}`, `{reference}` and
//! `{service}` filled in for the case at hand.

use crate::text::CaseText;
use crate::Invalid;

/// The placeholders a template body may hold.
pub const PLACEHOLDERS: [&str; 3] = ["name", "reference", "service"];
pub const MAX_TITLE_CHARS: usize = 80;
/// A reply is at most 5,000 characters; a template leaves room for the filled-in values.
pub const MAX_BODY_CHARS: usize = 4_000;

/// A template's key: a code like a service's (`more-info`), the same in every language.
pub fn parse_key(raw: &str) -> Result<String, Invalid> {
    crate::catalogue::parse_code(raw.trim(), "key")
}

pub fn parse_title(raw: &str) -> Result<String, Invalid> {
    Ok(CaseText::parse(raw, "title", MAX_TITLE_CHARS)?.into_string())
}

/// A body: text as people write it, whose every `{…}` is a known placeholder and every brace
/// belongs to one, so a typo shows now rather than in a resident's inbox.
pub fn parse_body(raw: &str) -> Result<String, Invalid> {
    let body = CaseText::parse(raw, "body", MAX_BODY_CHARS)?.into_string();
    let mut rest = body.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(unknown_placeholder("a '}' without its '{'"));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| unknown_placeholder("a '{' without its '}'"))?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(unknown_placeholder(&format!(
                "{{{name}}} is not one of {{name}}, {{reference}}, {{service}}"
            )));
        }
        rest = &after[close + 1..];
    }
    Ok(body)
}

fn unknown_placeholder(message: &str) -> Invalid {
    Invalid::new("unknown_placeholder", "body", message)
}

/// A checked body with its placeholders replaced; the values are put in as they are, never
/// read for placeholders themselves.
pub fn fill(body: &str, name: &str, reference: &str, service: &str) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let value = match &after[..close] {
                "name" => name,
                "reference" => reference,
                "service" => service,
                _ => return None,
            };
            Some((value, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_placeholders_pass_and_unknown_or_broken_ones_are_refused() {
        assert!(parse_body("Dear {name}, {reference} ({service}) is done.").is_ok());
        assert!(parse_body("No placeholders at all").is_ok());
        for bad in ["Dear {nmae}", "Dear {name", "Dear name}", "{}", "{ name }"] {
            let err = parse_body(bad).expect_err(bad);
            assert_eq!((err.code, err.field.as_str()), ("unknown_placeholder", "body"), "{bad}");
        }
    }

    #[test]
    fn bodies_and_titles_are_bounded_and_not_empty() {
        assert_eq!(
            parse_body(&"x".repeat(MAX_BODY_CHARS)).map(|b| b.len()),
            Ok(MAX_BODY_CHARS)
        );
        assert_eq!(
            parse_body(&"x".repeat(MAX_BODY_CHARS + 1)).map_err(|e| e.code),
            Err("too_long")
        );
        assert_eq!(parse_body("   ").map_err(|e| e.code), Err("required"));
        assert_eq!(
            parse_title(&"t".repeat(MAX_TITLE_CHARS + 1)).map_err(|e| e.code),
            Err("too_long")
        );
        assert_eq!(parse_key("More Info").map_err(|e| e.field), Err("key".to_owned()));
        assert_eq!(parse_key(" more-info "), Ok("more-info".to_owned()));
    }

    #[test]
    fn filling_replaces_each_placeholder_and_not_what_the_values_hold() {
        let body = "عزيزنا {name}، البلاغ {reference} ({service}) {reference}";
        assert_eq!(
            fill(body, "{service}", "TW-2026-0000001", "مياه"),
            "عزيزنا {service}، البلاغ TW-2026-0000001 (مياه) TW-2026-0000001"
        );
    }
}
