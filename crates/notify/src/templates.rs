//! Notification texts, from one Fluent file per language in `messages/`, embedded at build time.

use std::collections::BTreeMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentMessage, FluentResource, FluentValue};
use serde_json::Value;
use unic_langid::LanguageIdentifier;

include!(concat!(env!("OUT_DIR"), "/message_files.rs"));

/// Where a template missing from the requested language is looked for next: Arabic first, English always.
const FALLBACKS: [&str; 2] = ["ar", "en"];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown notification template {0:?}")]
    UnknownTemplate(String),
    #[error("a notification payload must be a JSON object, not {0}")]
    PayloadNotObject(&'static str),
}

/// A notification's text in the language it was actually written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub language: String,
    pub subject: String,
    pub body: String,
    /// The answers a resident may tap, keyed 1… in order (`{template}-choices`, comma
    /// separated): a provider that has buttons or quick replies shows them, else the body
    /// says which number to send.
    pub choices: Vec<String>,
}

/// The embedded templates of every language.
pub struct Templates {
    /// By lower-case language tag: (tag as the file names it, bundle).
    bundles: BTreeMap<String, (String, FluentBundle<FluentResource>)>,
}

impl Templates {
    /// Loads the files embedded at build time. Panics if one does not parse: they are fixed at
    /// build time and the templates test parses every one of them.
    pub fn embedded() -> Self {
        let bundles = MESSAGE_FILES
            .iter()
            .map(|(tag, source)| {
                let id: LanguageIdentifier = tag
                    .parse()
                    .unwrap_or_else(|e| panic!("messages/{tag}.ftl: not a language tag: {e}"));
                let resource = FluentResource::try_new((*source).to_owned())
                    .unwrap_or_else(|(_, errors)| panic!("messages/{tag}.ftl does not parse: {errors:?}"));
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Fluent would wrap every argument in U+2068…U+2069. Copied with a one-time code, or
                // taken into a link by a mail client's link detection, those invisible marks break
                // the code or the link, and each costs an SMS character. References, codes, numbers
                // and links render right in Arabic text without them (Unicode bidi rule W7 makes the
                // digits after "TW-" left-to-right); only free text written by people, which may be
                // in either script, is isolated, explicitly, with ISOLATE().
                bundle.set_use_isolating(false);
                bundle.add_function("ISOLATE", isolate).expect("ISOLATE is added once");
                bundle
                    .add_resource(resource)
                    .unwrap_or_else(|errors| panic!("messages/{tag}.ftl: {errors:?}"));
                (tag.to_ascii_lowercase(), ((*tag).to_owned(), bundle))
            })
            .collect();
        Self { bundles }
    }

    /// The language tags that have a file, sorted.
    pub fn languages(&self) -> Vec<String> {
        self.bundles.values().map(|(tag, _)| tag.clone()).collect()
    }

    /// Renders `template` in `language` ("ar", "en", "ar-BH"…), else in Arabic, else in English.
    /// Unknown payload keys are ignored; a missing argument shows as `{$name}` and is logged.
    pub fn render(&self, template: &str, language: &str, payload: &Value) -> Result<Rendered, TemplateError> {
        let fields = match payload {
            Value::Object(fields) => Some(fields),
            Value::Null => None,
            Value::Bool(_) => return Err(TemplateError::PayloadNotObject("a boolean")),
            Value::Number(_) => return Err(TemplateError::PayloadNotObject("a number")),
            Value::String(_) => return Err(TemplateError::PayloadNotObject("a string")),
            Value::Array(_) => return Err(TemplateError::PayloadNotObject("an array")),
        };
        let subject_id = format!("{template}-subject");
        let body_id = format!("{template}-body");
        let (tag, bundle, subject, body) = self
            .candidates(language)
            .find_map(|(tag, bundle)| {
                let subject = bundle.get_message(&subject_id)?;
                let body = bundle.get_message(&body_id)?;
                Some((tag, bundle, subject, body))
            })
            .ok_or_else(|| TemplateError::UnknownTemplate(template.to_owned()))?;
        let args = arguments(fields);
        let mut errors = Vec::new();
        let mut format = |message: &FluentMessage, attribute: Option<&str>| {
            let pattern = match attribute {
                Some(name) => message.get_attribute(name).map(|a| a.value()),
                None => message.value(),
            };
            pattern.map_or_else(String::new, |p| {
                bundle.format_pattern(p, Some(&args), &mut errors).trim().to_owned()
            })
        };
        // A subject is one header line, whatever an argument holds.
        let subject = format(&subject, None).split_whitespace().collect::<Vec<_>>().join(" ");
        let mut paragraphs = vec![format(&body, None)];
        for attribute in body.attributes() {
            if args.get(attribute.id()).is_some() {
                paragraphs.push(format(&body, Some(attribute.id())));
            }
        }
        // A line of a conversation (`.unsigned`) is the words alone, as said.
        let signed = body.get_attribute("unsigned").is_none();
        if let Some(signature) = bundle.get_message("signature").filter(|_| signed) {
            paragraphs.push(format(&signature, None));
        }
        let choices = bundle
            .get_message(&format!("{template}-choices"))
            .map(|m| format(&m, None))
            .map(|list| {
                list.split(',')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if !errors.is_empty() {
            tracing::warn!(
                template,
                language = tag,
                ?errors,
                "notification rendered with missing arguments"
            );
        }
        Ok(Rendered {
            language: tag.to_owned(),
            subject,
            body: paragraphs.join("\n\n"),
            choices,
        })
    }

    /// The bundles to try, in order: the tag as asked, its primary language, Arabic, English.
    fn candidates<'a>(
        &'a self,
        language: &str,
    ) -> impl Iterator<Item = (&'a str, &'a FluentBundle<FluentResource>)> + 'a {
        let asked = language.trim().replace('_', "-").to_ascii_lowercase();
        let primary = asked.split('-').next().unwrap_or_default().to_owned();
        [asked, primary]
            .into_iter()
            .chain(FALLBACKS.map(str::to_owned))
            .filter_map(|key| self.bundles.get(&key))
            .map(|(tag, bundle)| (tag.as_str(), bundle))
    }
}

/// Payload values as Fluent arguments: strings and numbers; other JSON values, and blank strings,
/// count as not given.
fn arguments(fields: Option<&serde_json::Map<String, Value>>) -> FluentArgs<'static> {
    let given: BTreeMap<&str, FluentValue<'static>> = fields
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| {
            let value = match value {
                Value::String(s) if !s.trim().is_empty() => FluentValue::from(s.clone()),
                Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => FluentValue::from(i),
                    (None, Some(f)) => FluentValue::from(f),
                    (None, None) => return None,
                },
                _ => return None,
            };
            Some((key.as_str(), value))
        })
        .collect();
    let mut args = FluentArgs::new();
    for (key, value) in &given {
        // A name given in one language only is shown in the other rather than left as `{$x_en}`.
        let other = match (key.strip_suffix("_ar"), key.strip_suffix("_en")) {
            (Some(stem), _) => Some(format!("{stem}_en")),
            (_, Some(stem)) => Some(format!("{stem}_ar")),
            _ => None,
        };
        if let Some(other) = other.filter(|other| !given.contains_key(other.as_str())) {
            args.set(other, value.clone());
        }
        args.set((*key).to_owned(), value.clone());
    }
    args
}

/// ISOLATE(text): first-strong isolation (U+2068…U+2069), so that text in the other script keeps
/// its own direction and punctuation. Each line is isolated on its own: a line break ends a bidi
/// paragraph (and a paragraph of the HTML part), which would leave one isolate around several
/// lines open on the first and closing nothing on the last.
fn isolate<'a>(positional: &[FluentValue<'a>], _named: &FluentArgs) -> FluentValue<'a> {
    match positional {
        [FluentValue::String(text)] => FluentValue::from(
            text.split('\n')
                .map(|line| match line.is_empty() {
                    true => String::new(),
                    false => format!("\u{2068}{line}\u{2069}"),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        [FluentValue::Number(number)] => FluentValue::from(format!("\u{2068}{}\u{2069}", number.as_string())),
        _ => FluentValue::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn a_missing_free_text_shows() {
        let payload = serde_json::json!({ "reference": "TW-2026-0000001" });
        let rendered = Templates::embedded()
            .render("case_resolved", "en", &payload)
            .expect("renders");
        assert!(rendered.body.contains("\n\nISOLATE()\n\n"), "{}", rendered.body);
    }

    #[test]
    fn each_line_of_free_text_is_isolated_on_its_own() {
        let payload = serde_json::json!({ "reference": "TW-2026-0000001", "message": "سطر أول\n\nsecond line\nثالث" });
        let rendered = Templates::embedded()
            .render("case_reply", "en", &payload)
            .expect("renders");
        assert!(
            rendered
                .body
                .contains("\u{2068}سطر أول\u{2069}\n\n\u{2068}second line\u{2069}\n\u{2068}ثالث\u{2069}"),
            "{:?}",
            rendered.body
        );
    }

    #[test]
    fn templates_are_shared_across_tasks() {
        assert_send_sync::<Templates>();
    }
}
