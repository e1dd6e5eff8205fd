//! The service catalogue: what a resident can ask for, and the form each service asks them to fill.

use crate::text::CaseText;
use crate::vocab::{Kind, Priority};
use crate::Invalid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A service code: 2–64 characters of lower-case ASCII letters, digits and hyphens.
pub fn parse_code(raw: &str, field: &str) -> Result<String, Invalid> {
    let ok = (2..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(
            "invalid_code",
            field,
            "must be 2–64 characters of a–z, 0–9 and '-'",
        ))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Service {
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    /// Code of the entity that offers the service.
    pub entity: String,
    #[serde(skip)]
    pub entity_id: i64,
    pub name_ar: String,
    pub name_en: String,
    pub description_ar: String,
    pub description_en: String,
    /// The kinds of case this service accepts.
    pub kinds: Vec<Kind>,
    pub fields: Vec<FormField>,
    /// Code of the department new cases go to.
    pub default_department: Option<String>,
    #[serde(skip)]
    pub default_department_id: Option<i64>,
    pub default_priority: Priority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Date,
    SingleChoice,
    MultipleChoice,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Choice {
    pub value: String,
    pub label_ar: String,
    pub label_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormField {
    pub key: String,
    pub label_ar: String,
    pub label_en: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

const MAX_TEXT_ANSWER: usize = 1_000;

/// Checks a resident's answers against a service's form and returns them cleaned: unknown
/// keys and missing required answers are refused, each answer must have its field's type.
pub fn validate_answers(fields: &[FormField], answers: &Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
    if let Some(key) = answers.keys().find(|k| !fields.iter().any(|f| &f.key == *k)) {
        return Err(Invalid::new(
            "unknown_field",
            format!("answers.{key}"),
            "this service's form has no such field",
        ));
    }
    let mut clean = Map::new();
    for field in fields {
        let path = format!("answers.{}", field.key);
        match answers.get(&field.key) {
            None | Some(Value::Null) => {
                if field.required {
                    return Err(Invalid::new("required", path, "this answer is required"));
                }
            }
            Some(value) => {
                let value = field.check(value, &path)?;
                clean.insert(field.key.clone(), value);
            }
        }
    }
    Ok(clean)
}

impl FormField {
    fn check(&self, value: &Value, path: &str) -> Result<Value, Invalid> {
        let wrong = |expected: &str| Invalid::new("invalid_type", path, format!("expected {expected}"));
        let is_option = |v: &str| self.options.iter().any(|o| o.value == v);
        match self.field_type {
            FieldType::Text => {
                let s = value.as_str().ok_or_else(|| wrong("text"))?;
                let text = CaseText::parse(s, path, MAX_TEXT_ANSWER)?;
                Ok(Value::String(text.into_string()))
            }
            FieldType::Number => {
                let n = value
                    .as_f64()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| wrong("a number"))?;
                let below = self.min.is_some_and(|min| n < min);
                let above = self.max.is_some_and(|max| n > max);
                if below || above {
                    return Err(Invalid::new(
                        "out_of_range",
                        path,
                        format!("must lie between {:?} and {:?}", self.min, self.max),
                    ));
                }
                Ok(value.clone())
            }
            FieldType::Date => {
                let s = value.as_str().ok_or_else(|| wrong("a date YYYY-MM-DD"))?;
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| wrong("a date YYYY-MM-DD"))?;
                Ok(value.clone())
            }
            FieldType::SingleChoice => {
                let s = value.as_str().ok_or_else(|| wrong("one of the options"))?;
                if !is_option(s) {
                    return Err(Invalid::new(
                        "unknown_option",
                        path,
                        format!("{s:?} is not one of the options"),
                    ));
                }
                Ok(value.clone())
            }
            FieldType::MultipleChoice => {
                let items = value.as_array().ok_or_else(|| wrong("a list of options"))?;
                let mut chosen: Vec<&str> = Vec::with_capacity(items.len());
                for item in items {
                    let s = item.as_str().ok_or_else(|| wrong("a list of options"))?;
                    if !is_option(s) {
                        return Err(Invalid::new(
                            "unknown_option",
                            path,
                            format!("{s:?} is not one of the options"),
                        ));
                    }
                    if chosen.contains(&s) {
                        return Err(Invalid::new("duplicate_option", path, format!("{s:?} is chosen twice")));
                    }
                    chosen.push(s);
                }
                if self.required && chosen.is_empty() {
                    return Err(Invalid::new("required", path, "choose at least one option"));
                }
                Ok(value.clone())
            }
        }
    }
}

/// At most this many questions on one service's form.
pub const MAX_FIELDS: usize = 40;
const MAX_OPTIONS: usize = 50;
const MAX_NAME: usize = 120;
const MAX_DESCRIPTION: usize = 2_000;
const MAX_LABEL: usize = 200;

impl FieldType {
    pub const ALL: [FieldType; 5] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::SingleChoice,
        FieldType::MultipleChoice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::SingleChoice => "single_choice",
            FieldType::MultipleChoice => "multiple_choice",
        }
    }

    pub fn parse(raw: &str, field: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| Invalid::new("unknown_field_type", field, format!("no field type {raw:?}")))
    }

    pub fn has_choices(self) -> bool {
        matches!(self, FieldType::SingleChoice | FieldType::MultipleChoice)
    }
}

/// A service's name in one language: text, 1–120 characters.
pub fn parse_name(raw: &str, field: &str) -> Result<String, Invalid> {
    Ok(CaseText::parse(raw, field, MAX_NAME)?.into_string())
}

/// A description may be empty; otherwise it is text like any other.
pub fn parse_description(raw: &str, field: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    Ok(CaseText::parse(raw, field, MAX_DESCRIPTION)?.into_string())
}

/// The kinds a service accepts: at least one, none twice.
pub fn parse_kinds(raw: &[String]) -> Result<Vec<Kind>, Invalid> {
    let mut kinds = Vec::with_capacity(raw.len());
    for k in raw {
        let kind = Kind::parse(k).map_err(|e| Invalid {
            field: "kinds".into(),
            ..e
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(Invalid::new("required", "kinds", "choose at least one kind"));
    }
    Ok(kinds)
}

/// A question's key: 1–40 of a–z, 0–9 and '_', starting with a letter (it names the answer in
/// the API and in every stored case, so it stays plain).
pub fn parse_field_key(raw: &str, field: &str) -> Result<String, Invalid> {
    let ok = (1..=40).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(
            "invalid_key",
            field,
            "1–40 characters of a–z, 0–9 and '_', starting with a letter",
        ))
    }
}

/// Checks a whole form as an administrator wrote it and returns it cleaned: keys plain and
/// unique, labels in both languages, choices where (and only where) the type has them, and a
/// range only on numbers, its minimum not above its maximum. Errors name `fields[i].…`.
pub fn validate_form(fields: &[FormField]) -> Result<Vec<FormField>, Invalid> {
    if fields.len() > MAX_FIELDS {
        return Err(Invalid::new(
            "too_many",
            "fields",
            format!("at most {MAX_FIELDS} questions"),
        ));
    }
    let mut clean: Vec<FormField> = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let at = |name: &str| format!("fields[{i}].{name}");
        let key = parse_field_key(&f.key, &at("key"))?;
        if clean.iter().any(|c| c.key == key) {
            return Err(Invalid::new(
                "duplicate_key",
                at("key"),
                format!("{key:?} is used twice"),
            ));
        }
        let label_ar = CaseText::parse(&f.label_ar, &at("label_ar"), MAX_LABEL)?.into_string();
        let label_en = CaseText::parse(&f.label_en, &at("label_en"), MAX_LABEL)?.into_string();
        let mut options = Vec::new();
        if f.field_type.has_choices() {
            if f.options.is_empty() {
                return Err(Invalid::new(
                    "choices_required",
                    at("options"),
                    "a choice needs options",
                ));
            }
            if f.options.len() > MAX_OPTIONS {
                return Err(Invalid::new(
                    "too_many",
                    at("options"),
                    format!("at most {MAX_OPTIONS} options"),
                ));
            }
            for o in &f.options {
                let value = parse_field_key(&o.value, &at("options"))?;
                if options.iter().any(|c: &Choice| c.value == value) {
                    return Err(Invalid::new(
                        "duplicate_option",
                        at("options"),
                        format!("{value:?} is used twice"),
                    ));
                }
                options.push(Choice {
                    value,
                    label_ar: CaseText::parse(&o.label_ar, &at("options"), MAX_LABEL)?.into_string(),
                    label_en: CaseText::parse(&o.label_en, &at("options"), MAX_LABEL)?.into_string(),
                });
            }
        } else if !f.options.is_empty() {
            return Err(Invalid::new(
                "unexpected_options",
                at("options"),
                "only a choice has options",
            ));
        }
        let (min, max) = if f.field_type == FieldType::Number {
            if [f.min, f.max].iter().flatten().any(|n| !n.is_finite()) {
                return Err(Invalid::new("invalid_type", at("min"), "a range is made of numbers"));
            }
            if let (Some(min), Some(max)) = (f.min, f.max) {
                if min > max {
                    return Err(Invalid::new(
                        "out_of_range",
                        at("max"),
                        "the maximum is below the minimum",
                    ));
                }
            }
            (f.min, f.max)
        } else if f.min.is_some() || f.max.is_some() {
            return Err(Invalid::new("unexpected_range", at("min"), "only a number has a range"));
        } else {
            (None, None)
        };
        clean.push(FormField {
            key,
            label_ar,
            label_en,
            field_type: f.field_type,
            required: f.required,
            options,
            min,
            max,
        });
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(key: &str, field_type: FieldType, required: bool) -> FormField {
        let number = field_type == FieldType::Number;
        FormField {
            key: key.into(),
            label_ar: key.into(),
            label_en: key.into(),
            field_type,
            required,
            options: if field_type.has_choices() {
                ["a", "b"]
                    .iter()
                    .map(|v| Choice {
                        value: (*v).into(),
                        label_ar: (*v).into(),
                        label_en: (*v).into(),
                    })
                    .collect()
            } else {
                vec![]
            },
            min: number.then_some(0.0),
            max: number.then_some(10.0),
        }
    }

    fn form() -> Vec<FormField> {
        vec![
            field("note", FieldType::Text, false),
            field("depth", FieldType::Number, true),
            field("seen", FieldType::Date, false),
            field("one", FieldType::SingleChoice, false),
            field("many", FieldType::MultipleChoice, false),
        ]
    }

    fn check(answers: Value) -> Result<Map<String, Value>, Invalid> {
        validate_answers(&form(), answers.as_object().expect("object"))
    }

    #[test]
    fn good_answers_pass_and_absent_optional_ones_are_dropped() {
        let clean = check(json!({"depth": 3, "seen": "2026-11-01", "one": "a", "many": ["a", "b"], "note": null}))
            .expect("valid");
        assert_eq!(clean.len(), 4);
        assert!(!clean.contains_key("note"));
    }

    #[test]
    fn each_wrong_answer_names_its_field() {
        let cases = [
            (json!({}), "required", "answers.depth"),
            (json!({"depth": "deep"}), "invalid_type", "answers.depth"),
            (json!({"depth": 11}), "out_of_range", "answers.depth"),
            (
                json!({"depth": 1, "seen": "01/11/2026"}),
                "invalid_type",
                "answers.seen",
            ),
            (json!({"depth": 1, "one": "z"}), "unknown_option", "answers.one"),
            (
                json!({"depth": 1, "many": ["a", "a"]}),
                "duplicate_option",
                "answers.many",
            ),
            (json!({"depth": 1, "many": "a"}), "invalid_type", "answers.many"),
            (json!({"depth": 1, "colour": "red"}), "unknown_field", "answers.colour"),
            (
                json!({"depth": 1, "note": "x\u{202E}y"}),
                "forbidden_character",
                "answers.note",
            ),
        ];
        for (answers, code, field) in cases {
            let err = check(answers.clone()).expect_err(&answers.to_string());
            assert_eq!((err.code, err.field.as_str()), (code, field), "{answers}");
        }
    }

    #[test]
    fn a_form_is_refused_where_it_is_wrong() {
        let good = form();
        assert_eq!(validate_form(&good).expect("valid"), good);
        let mut twice = form();
        twice[1].key = "note".into();
        let mut no_choices = form();
        no_choices[3].options.clear();
        let mut range_on_text = form();
        range_on_text[0].min = Some(1.0);
        let mut upside_down = form();
        upside_down[1].min = Some(5.0);
        upside_down[1].max = Some(1.0);
        let mut bad_key = form();
        bad_key[2].key = "Seen Date".into();
        let mut no_label = form();
        no_label[4].label_en = " ".into();
        let too_many = vec![form()[0].clone(); MAX_FIELDS + 1];
        let cases = [
            (twice, "duplicate_key", "fields[1].key"),
            (no_choices, "choices_required", "fields[3].options"),
            (range_on_text, "unexpected_range", "fields[0].min"),
            (upside_down, "out_of_range", "fields[1].max"),
            (bad_key, "invalid_key", "fields[2].key"),
            (no_label, "required", "fields[4].label_en"),
            (too_many, "too_many", "fields"),
        ];
        for (fields, code, field) in cases {
            let err = validate_form(&fields).expect_err(field);
            assert_eq!((err.code, err.field.as_str()), (code, field));
        }
        assert_eq!(
            FieldType::parse("colour", "type").map_err(|e| e.code),
            Err("unknown_field_type")
        );
        for t in FieldType::ALL {
            assert_eq!(FieldType::parse(t.as_str(), "type"), Ok(t));
        }
        assert!(parse_kinds(&[]).is_err());
        assert_eq!(parse_kinds(&["report".into(), "report".into()]), Ok(vec![Kind::Report]));
    }

    #[test]
    fn service_codes_are_plain() {
        assert!(parse_code("water-leak", "service").is_ok());
        assert!(parse_code("Water Leak", "service").is_err());
        assert!(parse_code("x", "service").is_err());
    }
}
