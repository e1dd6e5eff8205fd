//! The dialogue's words, from `messages/*.ftl` (a language is a file), never from code.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

include!(concat!(env!("OUT_DIR"), "/message_files.rs"));

/// The language the dialogue starts in when a resident has not chosen one, and falls back to.
pub const FIRST_LANGUAGE: &str = "ar";

/// Every language's messages, Arabic first.
pub struct Prompts {
    bundles: Vec<(String, FluentBundle<FluentResource>)>,
}

impl Prompts {
    /// Loads the embedded files. Panics if one does not parse: they are fixed at build time,
    /// and a test parses each and checks it has every message the engine asks for.
    pub fn embedded() -> Self {
        let mut bundles: Vec<(String, FluentBundle<FluentResource>)> = MESSAGE_FILES
            .iter()
            .map(|(tag, source)| {
                let id: LanguageIdentifier = tag
                    .parse()
                    .unwrap_or_else(|e| panic!("messages/{tag}.ftl: not a language tag: {e}"));
                let resource = FluentResource::try_new((*source).to_owned())
                    .unwrap_or_else(|(_, errors)| panic!("messages/{tag}.ftl does not parse: {errors:?}"));
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Spoken and SMS text: the invisible isolation marks would be read out or cost
                // characters, and references render right without them.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .unwrap_or_else(|errors| panic!("messages/{tag}.ftl: {errors:?}"));
                ((*tag).to_owned(), bundle)
            })
            .collect();
        bundles.sort_by_key(|(tag, _)| (tag != FIRST_LANGUAGE, tag.clone()));
        Self { bundles }
    }

    /// The languages offered, Arabic first.
    pub fn languages(&self) -> Vec<&str> {
        self.bundles.iter().map(|(tag, _)| tag.as_str()).collect()
    }

    /// Whether `language` has a file.
    pub fn has(&self, language: &str) -> bool {
        self.bundles.iter().any(|(tag, _)| tag == language)
    }

    /// Message `id` in `language` (else Arabic) with `args`. A message missing from a file is
    /// shown as its id, and logged: the test of the files keeps that from shipping.
    pub fn text(&self, language: &str, id: &str, args: &[(&str, &str)]) -> String {
        let bundle = self
            .bundles
            .iter()
            .find(|(tag, _)| tag == language)
            .or_else(|| self.bundles.first())
            .map(|(_, bundle)| bundle);
        let Some(pattern) = bundle.and_then(|b| b.get_message(id)).and_then(|m| m.value()) else {
            tracing::error!(language, id, "a dialogue message is missing");
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        let mut errors = vec![];
        let text = bundle
            .map(|b| b.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned())
            .unwrap_or_default();
        if !errors.is_empty() {
            tracing::error!(language, id, ?errors, "a dialogue message is missing an argument");
        }
        text.trim().to_owned()
    }

    /// The spoken form of `id` when the file has one (`id-voice`), else the written form.
    pub fn spoken(&self, language: &str, id: &str, args: &[(&str, &str)]) -> String {
        let voice = format!("{id}-voice");
        if self.defines(language, &voice) {
            self.text(language, &voice, args)
        } else {
            self.text(language, id, args)
        }
    }

    /// Whether `language`'s file defines message `id`.
    pub fn defines(&self, language: &str, id: &str) -> bool {
        self.bundles
            .iter()
            .any(|(tag, bundle)| tag == language && bundle.has_message(id))
    }

    /// The words of a command (`command-back`…) in `language`, lower-cased.
    pub fn words(&self, language: &str, id: &str) -> Vec<String> {
        self.text(language, id, &[])
            .split(',')
            .map(|w| w.trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every language's file says everything the others say, so that no resident hears a
    /// message id; and the engine's fixed ids are among them.
    #[test]
    fn every_language_has_every_message() {
        let prompts = Prompts::embedded();
        assert_eq!(prompts.languages().first(), Some(&FIRST_LANGUAGE), "Arabic first");
        let ids = |tag: &str| -> std::collections::BTreeSet<String> {
            let source = MESSAGE_FILES.iter().find(|(t, _)| *t == tag).expect("a file").1;
            let resource = FluentResource::try_new(source.to_owned()).expect("parses");
            resource
                .entries()
                .filter_map(|entry| match entry {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                    _ => None,
                })
                .collect()
        };
        let arabic = ids(FIRST_LANGUAGE);
        for language in prompts.languages() {
            assert_eq!(
                ids(language),
                arabic,
                "messages/{language}.ftl and messages/ar.ftl differ"
            );
        }
        for id in [
            "welcome",
            "option-voice",
            "option-text",
            "submitted",
            "goodbye-no-input",
            "status-merged",
        ] {
            assert!(arabic.contains(id), "{id} is missing");
        }
    }
}
