//! The state machine of a guided conversation: language, what to do, kind and service (from
//! short menus or the resident's own words), the service's required questions, the
//! description, the location, a confirmation, then the case through the one intake. Every
//! stage handles "back", "repeat", "a person", invalid choices and silence the same way: two
//! re-prompts, then a person is offered, then the conversation ends politely, saying why.

use crate::prompts::Prompts;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tawasul_domain::catalogue::{FieldType, FormField};
use tawasul_domain::vocab::Kind;

/// What the resident sent, as the channel adapter understood it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The conversation opens (a call is answered) with nothing said yet.
    Start,
    /// Typed text, keys pressed on the phone, a button's id, or speech the provider transcribed.
    Text(String),
    /// A shared location (WhatsApp), perhaps with its address.
    Location {
        lat: f64,
        lon: f64,
        address: Option<String>,
    },
    /// A recording of the caller's voice, at the provider's URL.
    Recording { url: String },
    /// A photo or file the resident sent, at the provider's URL (or media id).
    Media { url: String },
    /// Nothing came before the time-out.
    Silence,
}

/// How the adapter presents a turn, which decides how a menu is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    /// Spoken, with keys to press (the phone line).
    Voice,
    /// Written, with numbered choices to send back (SMS, social media).
    Text,
    /// Written, with the choices as buttons (WhatsApp, the website's chat).
    Buttons,
}

/// One choice of a menu: the key to press or send (also the button's id) and its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub key: String,
    pub label: String,
}

/// What the adapter should take next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// One of the menu's keys.
    Choice,
    /// Digits ended by `#` (references, numbers, dates on the phone).
    Digits,
    /// Free text (or speech on the phone).
    Text,
    /// A recording of the caller's voice (free text elsewhere).
    Recording,
    /// A location or an address.
    Location,
    /// Nothing: the conversation is over or handed to a person.
    Nothing,
}

/// How the turn leaves the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum After {
    Continue,
    /// Put the resident through to a person (the agent queue or number).
    HandOver,
    /// Say the lines and end (hang up).
    End,
}

/// The engine's answer to one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub language: String,
    /// What to say or write, in order. For `Voice` and `Text` the menu's choices are among
    /// them; for `Buttons` they are only in `choices`.
    pub lines: Vec<String>,
    pub choices: Vec<Choice>,
    pub expect: Expect,
    pub after: After,
}

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    #[default]
    Language,
    Menu,
    Faq,
    Kind,
    Service,
    Words,
    Pick,
    Field,
    Describe,
    Location,
    Confirm,
    Reference,
    OfferPerson,
    /// Handed to a person in the live chat: what the resident writes is for them, not the engine.
    WithPerson,
    /// Answering the question, after an agent served them, of how they rate the agent…
    RateAgent,
    /// …and then the answer they were given.
    RateAnswer,
    Over,
}

/// Why a conversation ended: kept on the conversation, counted by the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    Submitted,
    HandedOver,
    NoInput,
    InvalidInput,
    Refused,
    /// The resident rated the agent who served them.
    Rated,
    /// The resident's answers to the rating question were not ratings: it is not asked again.
    RatingDropped,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::HandedOver => "handed_over",
            Self::NoInput => "no_input",
            Self::InvalidInput => "invalid_input",
            Self::Refused => "refused",
            Self::Rated => "rated",
            Self::RatingDropped => "rating_dropped",
        }
    }
}

/// A conversation's state, stored as JSON between turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub stage: Stage,
    /// Whether the current stage's prompt was given (the first message of a conversation
    /// is answered with the first prompt, whatever it says).
    #[serde(default)]
    pub shown: bool,
    pub language: Option<String>,
    /// Invalid choices and silences in a row at this stage.
    #[serde(default)]
    pub strikes: u8,
    /// The stage a person was offered from, to go back to when the resident declines.
    pub offered_from: Option<Stage>,
    /// Whether the last strike was silence (the ending says `no_input`, else `invalid_input`).
    #[serde(default)]
    pub silent: bool,
    pub kind: Option<Kind>,
    pub service: Option<String>,
    #[serde(default)]
    pub page: usize,
    #[serde(default)]
    pub candidates: Vec<String>,
    #[serde(default)]
    pub field: usize,
    #[serde(default)]
    pub answers: Map<String, Value>,
    pub description: Option<String>,
    pub recording: Option<String>,
    #[serde(default)]
    pub media: Vec<String>,
    pub location: Option<(f64, f64)>,
    pub address: Option<String>,
    /// Cases submitted in this conversation (for the retry key of the next).
    #[serde(default)]
    pub submitted: u32,
    pub reference: Option<String>,
    pub ended: Option<Ending>,
    /// The choices of the last reply, for a page that shows the conversation again.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// The conversation an agent served whose rating this one takes, and the agent's score
    /// once given.
    pub rating_of: Option<i64>,
    pub agent_score: Option<i64>,
}

/// The scores of a rating: 1 to 5.
pub const RATING_SCORES: usize = 5;

/// Strikes at a stage before a person is offered: the prompt, two re-prompts, then the offer.
pub const STRIKES_BEFORE_OFFER: u8 = 3;
/// Services per page of the service menu (keys 1–6; 7 "in your words", 8 "more").
pub const SERVICES_PER_PAGE: usize = 6;
/// The most photos a conversation takes (the intake's own limit).
pub const MAX_MEDIA: usize = tawasul_domain::attachment::MAX_FILES_AT_INTAKE;
/// Shortest description taken, in characters: "حفرة" says too little to act on.
pub const MIN_DESCRIPTION: usize = 10;

pub(crate) const KINDS: [Kind; 5] = [
    Kind::Complaint,
    Kind::Suggestion,
    Kind::Inquiry,
    Kind::Report,
    Kind::Compliment,
];
pub(crate) const FAQS: [&str; 3] = ["faq-hours", "faq-follow", "faq-emergency"];

/// A command the resident may give at any menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    Back,
    Repeat,
    Person,
}

/// Reads a command: `*` / `9` / `0` on menus, or the words of the language's file.
pub(crate) fn command(prompts: &Prompts, language: &str, text: &str, at_menu: bool) -> Option<Command> {
    let said = text.trim().to_lowercase();
    match said.as_str() {
        "*" => return Some(Command::Back),
        "9" | "٩" if at_menu => return Some(Command::Repeat),
        "0" | "٠" if at_menu => return Some(Command::Person),
        _ => {}
    }
    let is = |id: &str| prompts.words(language, id).contains(&said);
    if is("command-back") {
        Some(Command::Back)
    } else if is("command-repeat") {
        Some(Command::Repeat)
    } else if is("command-person") {
        Some(Command::Person)
    } else {
        None
    }
}

/// Western digits for Arabic-Indic and Persian ones; everything else as it is.
pub fn western_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            other => other,
        })
        .collect()
}

/// The index a resident chose from `count` choices keyed 1…: "2", "٢", " 2 " are the second.
pub(crate) fn chosen(text: &str, count: usize) -> Option<usize> {
    let n: usize = western_digits(text.trim()).parse().ok()?;
    (1..=count).contains(&n).then(|| n - 1)
}

/// A reference as a resident gives it: `TW-2026-0000123`, `tw 2026 123`, or keys `2026123`
/// (the year, then the number). `None` when it cannot be one.
pub fn reference_from(said: &str) -> Option<String> {
    let digits: String = western_digits(said).chars().filter(char::is_ascii_digit).collect();
    let rest = said.trim().to_ascii_lowercase();
    let letters_ok = rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, 't' | 'w' | '-' | ' ' | '#') || !c.is_ascii());
    if !letters_ok || digits.len() < 5 || digits.len() > 16 {
        return None;
    }
    let year: i32 = digits[..4].parse().ok()?;
    let id: i64 = digits[4..].parse().ok()?;
    (2000..=2999)
        .contains(&year)
        .then(|| tawasul_domain::reference(year, id))
}

/// A reference said so that it can be heard and keyed back: the year's digits, then the
/// number's without its leading zeros, one by one, joined as the language's
/// `reference-digits` message says (a pause between the two).
pub fn reference_digits(prompts: &Prompts, language: &str, reference: &str) -> String {
    let mut parts = reference.split('-').skip(1);
    let year = parts.next().unwrap_or_default();
    let number = parts.next().unwrap_or_default().trim_start_matches('0');
    let spell = |s: &str| s.chars().map(String::from).collect::<Vec<_>>().join(" ");
    prompts.text(
        language,
        "reference-digits",
        &[("year", &spell(year)), ("number", &spell(number))],
    )
}

/// The next required question of the form from `from` on, if any.
pub(crate) fn next_required(fields: &[FormField], from: usize) -> Option<usize> {
    (from..fields.len()).find(|&i| fields[i].required)
}

/// A resident's answer to one question, as the form stores it; `None` when it does not fit.
pub(crate) fn answer(field: &FormField, said: &str, today: chrono::NaiveDate) -> Option<Value> {
    let said = western_digits(said.trim());
    match field.field_type {
        FieldType::Text => {
            let n = said.chars().count();
            (1..=1_000).contains(&n).then_some(Value::String(said))
        }
        FieldType::Number => {
            let n: f64 = said.replace(',', ".").parse().ok().filter(|n: &f64| n.is_finite())?;
            let fits = field.min.is_none_or(|min| n >= min) && field.max.is_none_or(|max| n <= max);
            fits.then(|| serde_json::json!(n))
        }
        FieldType::Date => {
            let date = if said == "1" { Some(today) } else { parse_date(&said) }?;
            (date <= today).then(|| Value::String(date.format("%Y-%m-%d").to_string()))
        }
        FieldType::SingleChoice => {
            let i = chosen(&said, field.options.len())?;
            Some(Value::String(field.options[i].value.clone()))
        }
        FieldType::MultipleChoice => {
            let picks: Option<Vec<Value>> = said
                .split(|c: char| c == ',' || c == '،' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| chosen(s, field.options.len()).map(|i| Value::String(field.options[i].value.clone())))
                .collect();
            picks.filter(|p| !p.is_empty()).map(Value::Array)
        }
    }
}

/// `05-12-2026`, `5/12/2026`, `05122026` (day, month, year) or `2026-12-05`.
fn parse_date(said: &str) -> Option<chrono::NaiveDate> {
    use chrono::NaiveDate;
    let normalised = said.replace(['/', '.', ' '], "-");
    NaiveDate::parse_from_str(&normalised, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&normalised, "%d-%m-%Y"))
        .or_else(|_| NaiveDate::parse_from_str(&normalised, "%d%m%Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_as_residents_give_them() {
        assert_eq!(reference_from("TW-2026-0000123").as_deref(), Some("TW-2026-0000123"));
        assert_eq!(reference_from("tw 2026 123").as_deref(), Some("TW-2026-0000123"));
        assert_eq!(reference_from("2026123#").as_deref(), Some("TW-2026-0000123"));
        assert_eq!(reference_from("٢٠٢٦١٢٣").as_deref(), Some("TW-2026-0000123"));
        assert_eq!(reference_from("1234"), None);
        assert_eq!(reference_from("hello 2026123"), None);
        assert_eq!(reference_from("1999123"), None);
        assert_eq!(reference_from(&"9".repeat(40)), None);
    }

    #[test]
    fn a_reference_is_said_digit_by_digit_and_keys_back_to_itself() {
        let prompts = Prompts::embedded();
        assert_eq!(reference_digits(&prompts, "en", "TW-2026-0000123"), "2 0 2 6, 1 2 3");
        let said = reference_digits(&prompts, "ar", "TW-2026-0000123");
        assert_eq!(said, "2 0 2 6، 1 2 3");
        assert_eq!(
            reference_from(&said.replace('،', "")).as_deref(),
            Some("TW-2026-0000123")
        );
    }

    fn field(field_type: FieldType) -> FormField {
        FormField {
            key: "k".into(),
            label_ar: "س".into(),
            label_en: "q".into(),
            field_type,
            required: true,
            options: ["a", "b", "c"]
                .map(|v| tawasul_domain::catalogue::Choice {
                    value: v.into(),
                    label_ar: v.into(),
                    label_en: v.into(),
                })
                .to_vec(),
            min: Some(1.0),
            max: Some(20.0),
        }
    }

    #[test]
    fn answers_take_the_form_of_their_field() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date");
        assert_eq!(
            answer(&field(FieldType::Number), "٧", today),
            Some(serde_json::json!(7.0))
        );
        assert_eq!(answer(&field(FieldType::Number), "70", today), None);
        assert_eq!(answer(&field(FieldType::Number), "NaN", today), None);
        assert_eq!(
            answer(&field(FieldType::Date), "1", today),
            Some(Value::String("2026-12-05".into()))
        );
        assert_eq!(
            answer(&field(FieldType::Date), "03122026", today),
            Some(Value::String("2026-12-03".into()))
        );
        assert_eq!(
            answer(&field(FieldType::Date), "3/12/2026", today),
            Some(Value::String("2026-12-03".into()))
        );
        assert_eq!(answer(&field(FieldType::Date), "31022026", today), None);
        assert_eq!(
            answer(&field(FieldType::Date), "06-12-2026", today),
            None,
            "not in the future"
        );
        assert_eq!(
            answer(&field(FieldType::SingleChoice), "2", today),
            Some(Value::String("b".into()))
        );
        assert_eq!(answer(&field(FieldType::SingleChoice), "4", today), None);
        assert_eq!(
            answer(&field(FieldType::MultipleChoice), "1، 3", today),
            Some(serde_json::json!(["a", "c"]))
        );
        assert_eq!(answer(&field(FieldType::MultipleChoice), "1 5", today), None);
        assert_eq!(answer(&field(FieldType::Text), "", today), None);
    }

    #[test]
    fn keys_and_words_are_commands_only_where_they_can_be() {
        let prompts = Prompts::embedded();
        assert_eq!(command(&prompts, "ar", "رجوع", false), Some(Command::Back));
        assert_eq!(command(&prompts, "en", " Back ", false), Some(Command::Back));
        assert_eq!(command(&prompts, "ar", "٠", true), Some(Command::Person));
        assert_eq!(
            command(&prompts, "ar", "0", false),
            None,
            "a number answer, not a command"
        );
        assert_eq!(command(&prompts, "en", "9", true), Some(Command::Repeat));
        assert_eq!(command(&prompts, "en", "water leak", true), None);
    }
}
