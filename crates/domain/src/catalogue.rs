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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(key: &str, field_type: FieldType, required: bool) -> FormField {
        FormField {
            key: key.into(),
            label_ar: key.into(),
            label_en: key.into(),
            field_type,
            required,
            options: ["a", "b"]
                .iter()
                .map(|v| Choice {
                    value: (*v).into(),
                    label_ar: (*v).into(),
                    label_en: (*v).into(),
                })
                .collect(),
            min: Some(0.0),
            max: Some(10.0),
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
    fn service_codes_are_plain() {
        assert!(parse_code("water-leak", "service").is_ok());
        assert!(parse_code("Water Leak", "service").is_err());
        assert!(parse_code("x", "service").is_err());
    }
}
