//! The demo's data, from the JSON files in `data/` (embedded at compile time), as typed
//! specs. Texts are in Arabic and English side by side: `{"ar": …, "en": …}`.

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tawasul_domain::calendar::{HolidaySpec, HoursOverrideSpec};
use tawasul_domain::catalogue::FormField;
use tawasul_domain::vocab::{Kind, Priority, Role};

/// Each data file: its name, as errors tell it, and its text.
const ENTITIES: (&str, &str) = ("entities.json", include_str!("../data/entities.json"));
const SERVICES: (&str, &str) = ("services.json", include_str!("../data/services.json"));
const STAFF: (&str, &str) = ("staff.json", include_str!("../data/staff.json"));
const REPLY_TEMPLATES: (&str, &str) = ("reply_templates.json", include_str!("../data/reply_templates.json"));
const PEOPLE: (&str, &str) = ("people.json", include_str!("../data/people.json"));
const CASE_TEXTS: (&str, &str) = ("case_texts.json", include_str!("../data/case_texts.json"));
const CALENDAR: (&str, &str) = ("calendar.json", include_str!("../data/calendar.json"));
const ROUTING: (&str, &str) = ("routing.json", include_str!("../data/routing.json"));
const SCALE: (&str, &str) = ("scale.json", include_str!("../data/scale.json"));

/// Parses one data file; a malformed one is an error naming the file and the place in it.
fn parse<T: DeserializeOwned>((name, text): (&str, &str)) -> anyhow::Result<T> {
    let json = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(json).with_context(|| format!("the demo data file data/{name} is malformed"))
}

/// The whole demo, as the data files describe it.
pub struct DemoData {
    pub entities: Vec<EntitySpec>,
    /// In the order the services are stored.
    pub services: Vec<ServiceSpec>,
    pub staff: StaffSpec,
    pub reply_templates: Vec<ReplyTemplateSpec>,
    pub people: Vec<Person>,
    pub texts: CaseTexts,
    pub calendar: CalendarData,
    pub routing: RoutingData,
}

impl DemoData {
    pub fn load() -> anyhow::Result<Self> {
        Ok(Self {
            entities: parse(ENTITIES)?,
            services: parse(SERVICES)?,
            staff: load_staff()?,
            reply_templates: parse(REPLY_TEMPLATES)?,
            people: parse(PEOPLE)?,
            texts: parse(CASE_TEXTS)?,
            calendar: parse(CALENDAR)?,
            routing: parse(ROUTING)?,
        })
    }
}

/// The staff alone, for the sign-ins printed at start-up.
pub fn load_staff() -> anyhow::Result<StaffSpec> {
    parse(STAFF)
}

/// One thing said in Arabic and in English.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual<T> {
    pub ar: T,
    pub en: T,
}

impl<T> Bilingual<T> {
    pub fn pick(&self, english: bool) -> &T {
        if english {
            &self.en
        } else {
            &self.ar
        }
    }
}

pub type Text = Bilingual<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    pub code: String,
    pub name: Text,
    #[serde(rename = "type")]
    pub entity_type: String,
    pub departments: Vec<DepartmentSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentSpec {
    pub code: String,
    pub name: Text,
}

/// A service of the demo catalogue, with what residents typically write to it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub entity: String,
    pub code: String,
    pub department: String,
    pub name: Text,
    pub description: Text,
    /// The first kind is the one most cases of the service are.
    pub kinds: Vec<Kind>,
    pub priority: Priority,
    /// The service's form, as it is stored.
    pub fields: Vec<FormField>,
    /// What residents write; `{n}` (a building), `{road}` and `{block}` are filled in for
    /// each case.
    pub texts: Bilingual<Vec<String>>,
    /// What staff write when they resolve a case of the service.
    pub resolution: Text,
    /// Each resolution brings a photo of the fix (field services).
    #[serde(default)]
    pub fix_photo_required: bool,
}

/// The platform's administrator, then one user per role in each entity, each with an Arabic
/// display name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSpec {
    pub administrator: String,
    pub entities: Vec<EntityStaff>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityStaff {
    pub entity: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub role: Role,
    pub name: String,
}

/// A reply template every demo entity starts with, in each of its languages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplateSpec {
    pub key: String,
    pub texts: Vec<TemplateText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateText {
    pub language: String,
    pub title: String,
    pub body: String,
}

/// A resident who reports cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: Text,
    /// The part of their e-mail address before a number and `@example.com`.
    pub email_handle: String,
}

/// What the case planner writes into cases and their histories.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseTexts {
    /// A case's address; `{n}`, `{road}` and `{block}` are filled in.
    pub address: Text,
    pub acknowledgement: Text,
    /// What staff ask when they wait on the reporter.
    pub questions: Vec<Text>,
    /// What staff say when the reporter has answered.
    pub resumed: Text,
    pub rejections: Vec<Text>,
    /// Public replies that leave the status as it is.
    pub replies: Vec<Text>,
    /// Internal notes: staff write them in Arabic.
    pub notes: Vec<String>,
    /// Answers to a form's landmark questions.
    pub landmarks: Vec<Text>,
}

/// What the scale generator adds around the demo's texts, so that a million descriptions are
/// not a few dozen repeated: openings, closings (`{days}`, `{n}`, `{meter}` and `{plate}`
/// filled in) and the districts cases come from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleTexts {
    pub openings: Vec<Text>,
    pub closings: Vec<Text>,
    pub districts: Vec<Text>,
}

impl ScaleTexts {
    pub fn load() -> anyhow::Result<Self> {
        parse(SCALE)
    }
}

/// Bahrain's public holidays (the lunar ones as announced or expected) and Ramadan's
/// shorter hours, added to the default business calendar of each demo entity.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarData {
    pub holidays: Vec<HolidaySpec>,
    pub overrides: Vec<HoursOverrideSpec>,
}

/// Where cases go by their place and words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingData {
    /// The area each entity serves: the Capital Governorate, roughly, with Manama's
    /// municipal area inside it.
    pub areas: Vec<AreaSpec>,
    /// Keyword rules: sewage overflow reported under "water" is the municipality's cleaning
    /// work when it is in its own area; a rule sends it to the governorate's public-order
    /// department for the joint response.
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSpec {
    pub entity: String,
    /// A GeoJSON feature (or feature collection) whose `name` property names the area.
    pub area: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub entity: String,
    pub department: String,
    pub keywords: Vec<String>,
    pub position: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_file_parses() {
        let data = DemoData::load().expect("the demo data parses");
        assert_eq!(data.entities.len(), 2);
        assert!(!data.services.is_empty() && !data.people.is_empty());
        assert!(!data.calendar.holidays.is_empty() && !data.routing.areas.is_empty());
        let scale = ScaleTexts::load().expect("the scale texts parse");
        assert!(!scale.openings.is_empty() && !scale.closings.is_empty() && !scale.districts.is_empty());
    }

    #[test]
    fn a_malformed_file_is_named_in_the_error() {
        let error =
            parse::<Vec<ServiceSpec>>(("services.json", r#"[{"entity": "cap", "kinds": 3}]"#)).expect_err("refused");
        let message = format!("{error:#}");
        assert!(message.contains("data/services.json"), "{message}");
    }
}
