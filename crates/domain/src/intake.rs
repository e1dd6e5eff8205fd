//! A resident's submission, parsed from what a channel received into a valid new case.

use crate::catalogue::{validate_answers, Service};
use crate::text::CaseText;
use crate::vocab::{Channel, Kind, Language, Priority};
use crate::Invalid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_ADDRESS: usize = 500;
pub const MAX_NAME: usize = 200;

/// A submission as a channel received it: strings not yet known to be valid.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeDraft {
    /// Service code from `GET /api/v1/services`.
    pub service: String,
    /// complaint, suggestion, inquiry, report or compliment.
    pub kind: String,
    pub description: String,
    /// Answers to the service's form, by field key.
    #[serde(default)]
    pub answers: Option<Map<String, Value>>,
    #[serde(default)]
    pub location: Option<LocationDraft>,
    #[serde(default)]
    pub address: Option<String>,
    /// Absent: an anonymous case.
    #[serde(default)]
    pub reporter: Option<ReporterDraft>,
    /// The language the case is written in; defaults to the reporter's, then Arabic.
    #[serde(default)]
    pub language: Option<String>,
    /// Set by the channel adapter, not by the resident; the REST API uses `api`.
    #[serde(skip)]
    pub channel: Option<Channel>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationDraft {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterDraft {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Preferred language for replies and notifications.
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

impl Coordinates {
    pub fn parse(lat: f64, lon: f64) -> Result<Self, Invalid> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Invalid::new(
                "out_of_range",
                "location.lat",
                "latitude must lie between -90 and 90",
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(Invalid::new(
                "out_of_range",
                "location.lon",
                "longitude must lie between -180 and 180",
            ));
        }
        Ok(Self { lat, lon })
    }
}

/// A phone number in international form: `+` and 7–15 digits. Arabic-Indic digits are
/// accepted and spaces, dashes, dots and brackets dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for (i, c) in raw.trim().chars().enumerate() {
            match c {
                '+' if i == 0 => plus = true,
                '0'..='9' => digits.push(c),
                '٠'..='٩' => digits.push(char::from(b'0' + (c as u32 - '٠' as u32) as u8)),
                '۰'..='۹' => digits.push(char::from(b'0' + (c as u32 - '۰' as u32) as u8)),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(Invalid::new(
                        "invalid_phone",
                        "phone",
                        "may hold only digits, spaces, dashes and a leading +",
                    ))
                }
            }
        }
        if let Some(rest) = digits.strip_prefix("00").filter(|_| !plus) {
            digits = rest.to_owned();
            plus = true;
        }
        if !plus || !(7..=15).contains(&digits.len()) {
            return Err(Invalid::new(
                "invalid_phone",
                "phone",
                "must be in international form: + then 7 to 15 digits",
            ));
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked for shape (one @, a dotted domain, no spaces) and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let bad = || Invalid::new("invalid_email", "email", "is not an e-mail address");
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let shaped = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
            && !domain.contains('@');
        if shaped {
            Ok(Self(s.to_lowercase()))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reporter {
    pub name: Option<CaseText>,
    pub phone: Option<PhoneNumber>,
    pub email: Option<Email>,
    pub language: Language,
}

impl Reporter {
    pub fn parse(draft: &ReporterDraft) -> Result<Self, Invalid> {
        let inner = || -> Result<Self, Invalid> {
            let name = draft
                .name
                .as_deref()
                .map(|n| CaseText::parse(n, "name", MAX_NAME))
                .transpose()?;
            let phone = draft.phone.as_deref().map(PhoneNumber::parse).transpose()?;
            let email = draft.email.as_deref().map(Email::parse).transpose()?;
            let language = draft
                .language
                .as_deref()
                .map(Language::parse)
                .transpose()?
                .unwrap_or(Language::Ar);
            Ok(Self {
                name,
                phone,
                email,
                language,
            })
        };
        inner().map_err(|e| e.within("reporter"))
    }
}

/// A submission that passed every check, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub service_id: i64,
    pub entity_id: i64,
    pub department_id: Option<i64>,
    pub kind: Kind,
    pub channel: Channel,
    pub language: Language,
    pub priority: Priority,
    pub description: CaseText,
    pub answers: Map<String, Value>,
    pub location: Option<Coordinates>,
    pub address: Option<CaseText>,
    pub reporter: Option<Reporter>,
}

impl NewCase {
    /// Parses a draft for the service it names. The caller looked the service up by
    /// `draft.service`; an unknown code is its error to report.
    pub fn parse(draft: &IntakeDraft, service: &Service) -> Result<Self, Invalid> {
        let kind = Kind::parse(&draft.kind)?;
        if !service.kinds.contains(&kind) {
            return Err(Invalid::new(
                "kind_not_accepted",
                "kind",
                format!("service {} does not accept a {kind}", service.code),
            ));
        }
        let description = CaseText::parse(&draft.description, "description", MAX_DESCRIPTION)?;
        let answers = validate_answers(&service.fields, draft.answers.as_ref().unwrap_or(&Map::new()))?;
        let location = draft.location.map(|l| Coordinates::parse(l.lat, l.lon)).transpose()?;
        let address = draft
            .address
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(|a| CaseText::parse(a, "address", MAX_ADDRESS))
            .transpose()?;
        let reporter = draft.reporter.as_ref().map(Reporter::parse).transpose()?;
        let language = match &draft.language {
            Some(l) => Language::parse(l)?,
            None => reporter.as_ref().map_or(Language::Ar, |r| r.language),
        };
        Ok(Self {
            service_id: service.id,
            entity_id: service.entity_id,
            department_id: service.default_department_id,
            kind,
            channel: draft.channel.unwrap_or(Channel::Api),
            language,
            priority: service.default_priority,
            description,
            answers,
            location,
            address,
            reporter,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{FieldType, FormField};

    fn service() -> Service {
        Service {
            id: 7,
            code: "water-leak".into(),
            entity: "cap".into(),
            entity_id: 1,
            name_ar: "تسرب مياه".into(),
            name_en: "Water leak".into(),
            description_ar: String::new(),
            description_en: String::new(),
            kinds: vec![Kind::Complaint, Kind::Report],
            fields: vec![FormField {
                key: "severity".into(),
                label_ar: "الشدة".into(),
                label_en: "Severity".into(),
                field_type: FieldType::Number,
                required: false,
                options: vec![],
                min: Some(1.0),
                max: Some(5.0),
            }],
            default_department: Some("water".into()),
            default_department_id: Some(3),
            default_priority: Priority::Normal,
        }
    }

    fn draft() -> IntakeDraft {
        IntakeDraft {
            service: "water-leak".into(),
            kind: "complaint".into(),
            description: "تسرب مياه في الشارع".into(),
            location: Some(LocationDraft { lat: 26.2, lon: 50.58 }),
            reporter: Some(ReporterDraft {
                name: Some("مواطن".into()),
                phone: Some("+973 ٣٣٠٠ ٠٠٠٠".into()),
                email: Some("Resident@Example.BH".into()),
                language: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_draft_becomes_a_case_routed_to_the_default_department() {
        let case = NewCase::parse(&draft(), &service()).expect("valid");
        assert_eq!(case.department_id, Some(3));
        assert_eq!(case.language, Language::Ar);
        let reporter = case.reporter.expect("reporter");
        assert_eq!(reporter.phone.expect("phone").as_str(), "+97333000000");
        assert_eq!(reporter.email.expect("email").as_str(), "resident@example.bh");
    }

    #[test]
    fn each_bad_part_is_named() {
        let mut d = draft();
        d.kind = "suggestion".into();
        assert_eq!(
            NewCase::parse(&d, &service()).expect_err("kind").code,
            "kind_not_accepted"
        );
        let mut d = draft();
        d.location = Some(LocationDraft { lat: 999.0, lon: 50.0 });
        assert_eq!(NewCase::parse(&d, &service()).expect_err("lat").field, "location.lat");
        let mut d = draft();
        d.location = Some(LocationDraft {
            lat: 26.0,
            lon: f64::NAN,
        });
        assert_eq!(NewCase::parse(&d, &service()).expect_err("lon").field, "location.lon");
        let mut d = draft();
        if let Some(r) = d.reporter.as_mut() {
            r.phone = Some("call me".into());
        }
        assert_eq!(
            NewCase::parse(&d, &service()).expect_err("phone").field,
            "reporter.phone"
        );
        let mut d = draft();
        if let Some(r) = d.reporter.as_mut() {
            r.language = Some("xx".into());
        }
        assert_eq!(
            NewCase::parse(&d, &service()).expect_err("lang").field,
            "reporter.language"
        );
    }

    #[test]
    fn phones_in_local_prefix_form_are_normalised() {
        assert_eq!(
            PhoneNumber::parse("00973-3300-0000").expect("00 prefix").as_str(),
            "+97333000000"
        );
        assert!(PhoneNumber::parse("33000000").is_err(), "no country code");
        assert!(PhoneNumber::parse("+1234").is_err(), "too short");
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(Email::parse("a@b.bh").is_ok());
        for bad in ["", "a", "a@b", "a@.b", "a b@c.d", "<a@b.c>", "a@b@c.d"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
