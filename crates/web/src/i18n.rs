//! Every word on a page comes from a Fluent file in `messages/` (embedded at build time).
//! A language is a file: `messages/ur.ftl` adds Urdu with no code change.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use rust_embed::RustEmbed;
use std::collections::BTreeMap;
use std::sync::Arc;
use unic_langid::LanguageIdentifier;

#[derive(RustEmbed)]
#[folder = "messages/"]
struct Messages;

/// The language every page falls back to when a message is missing from another file.
const FALLBACK: &str = "en";
/// The language of a first visit whose browser names none we have.
pub const DEFAULT: &str = "ar";

/// Scripts written right to left, by language code.
const RTL: &[&str] = &["ar", "ur", "fa", "he", "ps", "ckb", "ug", "yi"];

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("messages/{file}: {detail}")]
    Broken { file: String, detail: String },
}

pub struct Catalog {
    bundles: BTreeMap<String, FluentBundle<FluentResource>>,
}

impl Catalog {
    /// Parses every embedded message file; a broken file is an error at start, not a blank page.
    pub fn load() -> Result<Self, I18nError> {
        let mut bundles = BTreeMap::new();
        for file in Messages::iter().filter(|f| f.ends_with(".ftl")) {
            let broken = |detail: String| I18nError::Broken {
                file: file.to_string(),
                detail,
            };
            let code = file.trim_end_matches(".ftl").to_owned();
            let bytes = Messages::get(&file).ok_or_else(|| broken("missing".into()))?;
            let text = String::from_utf8(bytes.data.into_owned()).map_err(|e| broken(e.to_string()))?;
            let resource = FluentResource::try_new(text).map_err(|(_, errors)| broken(format!("{errors:?}")))?;
            let langid: LanguageIdentifier = code.parse().map_err(|e| broken(format!("{e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            bundle
                .add_resource(resource)
                .map_err(|errors| broken(format!("{errors:?}")))?;
            bundles.insert(code, bundle);
        }
        if !bundles.contains_key(FALLBACK) || !bundles.contains_key(DEFAULT) {
            return Err(I18nError::Broken {
                file: format!("{FALLBACK}.ftl, {DEFAULT}.ftl"),
                detail: "both must exist".into(),
            });
        }
        Ok(Self { bundles })
    }

    pub fn has(&self, code: &str) -> bool {
        self.bundles.contains_key(code)
    }

    /// Language codes with the name each language calls itself (`language-name` in its file).
    pub fn languages(&self) -> Vec<(String, String)> {
        self.bundles
            .keys()
            .map(|code| (code.clone(), self.format(code, "language-name", None)))
            .collect()
    }

    /// The best language for an `Accept-Language` header, else the default.
    pub fn negotiate(&self, accept_language: Option<&str>) -> String {
        let mut wanted: Vec<(f32, String)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut bits = part.trim().split(';');
                let tag = bits.next()?.trim().to_ascii_lowercase();
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?.to_owned();
                Some((q, primary))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
        wanted
            .into_iter()
            .map(|(_, code)| code)
            .find(|code| self.has(code))
            .unwrap_or_else(|| DEFAULT.to_owned())
    }

    pub fn format(&self, lang: &str, id: &str, args: Option<&FluentArgs>) -> String {
        for code in [lang, FALLBACK] {
            let Some(bundle) = self.bundles.get(code) else { continue };
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = vec![];
            let text = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::warn!(lang = code, id, ?errors, "message formatted with errors");
            }
            return text.into_owned();
        }
        tracing::warn!(lang, id, "no such message");
        id.to_owned()
    }

    /// Whether a message exists (in the language or the fallback).
    pub fn knows(&self, lang: &str, id: &str) -> bool {
        [lang, FALLBACK]
            .iter()
            .any(|code| self.bundles.get(*code).is_some_and(|b| b.has_message(id)))
    }
}

/// The catalog bound to one request's language: what templates call.
#[derive(Clone)]
pub struct Tr {
    pub catalog: Arc<Catalog>,
    pub lang: String,
}

impl Tr {
    pub fn dir(&self) -> &'static str {
        if RTL.contains(&self.lang.as_str()) {
            "rtl"
        } else {
            "ltr"
        }
    }

    pub fn t(&self, id: &str) -> String {
        self.catalog.format(&self.lang, id, None)
    }

    /// A message with one argument.
    pub fn t1(&self, id: &str, name: &str, value: impl ToString) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), FluentValue::from(value.to_string()));
        self.catalog.format(&self.lang, id, Some(&args))
    }

    /// Time to an SLA due time in words: "3 hours left", "overdue by 2 days". Minutes under
    /// an hour, hours under two days, days beyond; the count is a Fluent number so each
    /// language picks its plural form (Arabic has six).
    pub fn time_left(&self, minutes: i64) -> String {
        let span = minutes.unsigned_abs();
        let (unit, count) = match span {
            0 => return self.t("sla-due-now"),
            1..60 => ("minutes", span),
            60..2880 => ("hours", span / 60),
            _ => ("days", span / 1440),
        };
        let side = if minutes < 0 { "late" } else { "left" };
        let mut args = FluentArgs::new();
        args.set("n", FluentValue::from(count));
        self.catalog
            .format(&self.lang, &format!("sla-{side}-{unit}"), Some(&args))
    }

    /// A span of business time in words ("2 working days", "4 working hours"): in days of
    /// the entity's working day when it is a whole number of them, else in hours, else minutes.
    pub fn business_span(&self, minutes: i64, working_day_minutes: i64) -> String {
        let day = working_day_minutes.max(1);
        let (unit, count) = if minutes >= day && minutes % day == 0 {
            ("days", minutes / day)
        } else if minutes >= 60 && minutes % 60 == 0 {
            ("hours", minutes / 60)
        } else {
            ("minutes", minutes.max(0))
        };
        let mut args = FluentArgs::new();
        args.set("n", FluentValue::from(count));
        self.catalog
            .format(&self.lang, &format!("business-{unit}"), Some(&args))
    }

    /// What residents may expect of a service: "a first answer within …, resolved within …".
    pub fn expected(&self, times: &tawasul_app::cases::views::ExpectedTimes) -> String {
        let mut args = FluentArgs::new();
        args.set(
            "response",
            FluentValue::from(self.business_span(times.response_minutes, times.working_day_minutes)),
        );
        args.set(
            "resolution",
            FluentValue::from(self.business_span(times.resolution_minutes, times.working_day_minutes)),
        );
        self.catalog.format(&self.lang, "expected-times", Some(&args))
    }

    /// `prefix-key` when the catalog has it, else the key itself (an unknown status from a
    /// newer server is shown raw rather than hidden).
    pub fn word(&self, prefix: &str, key: &str) -> String {
        let id = format!("{prefix}-{key}");
        if self.catalog.knows(&self.lang, &id) {
            self.t(&id)
        } else {
            key.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_of_the_fallback() {
        let catalog = Catalog::load().expect("messages parse");
        let fallback = &catalog.bundles[FALLBACK];
        let resource = Messages::get("en.ftl").expect("en.ftl");
        let text = String::from_utf8_lossy(&resource.data).into_owned();
        let ids: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id))
            .filter(|id| !id.starts_with(['#', ' ', '.']) && !id.is_empty())
            .collect();
        assert!(ids.len() > 50, "found {} ids", ids.len());
        for (code, bundle) in &catalog.bundles {
            for id in &ids {
                assert!(fallback.has_message(id), "en lacks {id}");
                assert!(bundle.has_message(id), "{code}.ftl lacks {id}");
            }
        }
    }

    #[test]
    fn time_left_chooses_the_unit_and_the_plural_form() {
        let catalog = Arc::new(Catalog::load().expect("messages parse"));
        let tr = |lang: &str| Tr {
            catalog: catalog.clone(),
            lang: lang.to_owned(),
        };
        let (en, ar) = (tr("en"), tr("ar"));
        // Fluent isolates placeables with bidi marks; they are not what is checked here.
        let plain = |s: String| s.replace(['\u{2068}', '\u{2069}'], "");
        assert_eq!(plain(en.time_left(0)), "Due now");
        assert_eq!(plain(en.time_left(1)), "1 minute left");
        assert_eq!(plain(en.time_left(59)), "59 minutes left");
        assert_eq!(plain(en.time_left(60)), "1 hour left");
        assert_eq!(plain(en.time_left(2879)), "47 hours left");
        assert_eq!(plain(en.time_left(2880)), "2 days left");
        assert_eq!(plain(en.time_left(-1)), "Overdue by 1 minute");
        assert_eq!(plain(en.time_left(-3 * 1440 - 5)), "Overdue by 3 days");
        assert_eq!(plain(ar.time_left(120)), "تبقّت ساعتان");
        assert_eq!(plain(ar.time_left(5 * 60)), "تبقّت 5 ساعات");
        assert_eq!(plain(ar.time_left(11 * 1440)), "تبقّى 11 يومًا");
        assert_eq!(plain(ar.time_left(-1440 * 2)), "متأخر يومين");
        assert_eq!(plain(ar.time_left(-60)), "متأخر ساعة واحدة");
    }

    #[test]
    fn accept_language_picks_the_best_language_we_have() {
        let catalog = Catalog::load().expect("messages parse");
        assert_eq!(catalog.negotiate(Some("en-GB,en;q=0.9,ar;q=0.8")), "en");
        assert_eq!(catalog.negotiate(Some("de-DE, ar;q=0.5")), "ar");
        assert_eq!(catalog.negotiate(Some("de")), "ar");
        assert_eq!(catalog.negotiate(None), "ar");
    }
}
