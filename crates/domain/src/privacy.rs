//! What anonymising a reporter makes of each field (issue 13, audit and privacy): the rule the
//! retention job and `tawasul privacy erase` both apply. The reporter's name, phone and
//! e-mail go; text the case keeps (its description, the form's answers, the address, the
//! reporter's comments, their chat messages, their survey comment) keeps its substance, with
//! every occurrence of those identifiers replaced by [`ERASED`]. Figures (status, service,
//! area, times) are never touched.

use crate::attachment::AttachmentType;
use crate::vocab::Status;
use chrono::{DateTime, Months, Utc};
use serde_json::Value;

/// What an identifier, a handle or a token becomes.
pub const ERASED: &str = "[erased]";

/// Shortest identifier replaced in text: a shorter one (a one-letter name) would blank
/// ordinary words.
const MIN_IDENTIFIER_CHARS: usize = 3;

/// Whether a case has ended for good, so that its reporter may be anonymised without being
/// asked: closed, rejected, or merged into another. A resolved case still waits for its
/// reporter's verdict, and a transferred one lives on at the receiving entity.
pub fn is_final(status: Status) -> bool {
    matches!(status, Status::Closed | Status::Rejected | Status::Merged)
}

/// Cases whose last change is before this instant are anonymised by the retention job:
/// `years` calendar years before `now` (a case changed on 29 February is due on 28 February).
pub fn retention_cutoff(now: DateTime<Utc>, years: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The reporter's identifiers, as a case holds them, to be found in its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identifiers {
    needles: Vec<String>,
}

impl Identifiers {
    /// The name, the phone number (`+97333001234`: also its digits alone and the last eight,
    /// the subscriber number, as people write them) and the e-mail address.
    pub fn new(name: Option<&str>, phone: Option<&str>, email: Option<&str>) -> Self {
        let mut needles: Vec<String> = Vec::new();
        if let Some(name) = name {
            needles.push(name.trim().to_owned());
        }
        if let Some(phone) = phone {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            needles.push(phone.trim().to_owned());
            if digits.len() > 8 {
                needles.push(digits[digits.len() - 8..].to_owned());
            }
            needles.push(digits);
        }
        if let Some(email) = email {
            needles.push(email.trim().to_lowercase());
        }
        needles.retain(|n| n.chars().count() >= MIN_IDENTIFIER_CHARS);
        // Longest first, so that the whole number goes before its last eight digits.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        Self { needles }
    }

    /// `text` with every occurrence of an identifier (letters compared without case) replaced
    /// by [`ERASED`]; `None` when there was none.
    pub fn scrub(&self, text: &str) -> Option<String> {
        let mut out = text.to_owned();
        let mut changed = false;
        for needle in &self.needles {
            while let Some(at) = find_ignoring_case(&out, needle) {
                out.replace_range(at..at + needle.len(), ERASED);
                changed = true;
            }
        }
        changed.then_some(out)
    }

    /// `value` with every string in it scrubbed (the answers of a service's form).
    pub fn scrub_json(&self, value: &Value) -> Option<Value> {
        match value {
            Value::String(s) => self.scrub(s).map(Value::String),
            Value::Array(items) => {
                let scrubbed: Vec<Option<Value>> = items.iter().map(|v| self.scrub_json(v)).collect();
                scrubbed.iter().any(Option::is_some).then(|| {
                    Value::Array(
                        scrubbed
                            .into_iter()
                            .zip(items)
                            .map(|(new, old)| new.unwrap_or_else(|| old.clone()))
                            .collect(),
                    )
                })
            }
            Value::Object(fields) => {
                let mut changed = false;
                let out = fields
                    .iter()
                    .map(|(k, v)| {
                        let new = self.scrub_json(v);
                        changed |= new.is_some();
                        (k.clone(), new.unwrap_or_else(|| v.clone()))
                    })
                    .collect();
                changed.then_some(Value::Object(out))
            }
            _ => None,
        }
    }
}

/// The byte offset of `needle` in `haystack`, ASCII letters compared without case (names in
/// Arabic script have no case; e-mail addresses are stored lower-cased).
fn find_ignoring_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len())
        .filter(|&i| haystack.is_char_boundary(i) && haystack.is_char_boundary(i + n.len()))
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// What becomes of a file the reporter attached, by what the store holds of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentFate {
    /// A photo: stored re-encoded from its pixels, without the place, time or device it came
    /// with (`cases::photos`); it shows the problem and stays with the record, renamed.
    KeepRenamed,
    /// A PDF or a recording: stored as it came (a document's author and contents, a voice), so
    /// it is removed with its bytes.
    Remove,
}

/// The fate of the reporter's file of type `mime` (staff's files are not the reporter's data).
pub fn attachment_fate(mime: &str) -> AttachmentFate {
    let photo = [AttachmentType::Jpeg, AttachmentType::Png, AttachmentType::Webp]
        .iter()
        .any(|t| t.mime() == mime);
    match photo {
        true => AttachmentFate::KeepRenamed,
        false => AttachmentFate::Remove,
    }
}

/// The name a kept file of the reporter's takes: its name could hold theirs.
pub fn erased_filename(attachment_id: i64, mime: &str) -> String {
    let extension = [AttachmentType::Jpeg, AttachmentType::Png, AttachmentType::Webp]
        .iter()
        .find(|t| t.mime() == mime)
        .map_or("bin", |t| t.extension());
    format!("attachment-{attachment_id}.{extension}")
}

/// A unique stand-in for a value that must stay unique (a token column): the marker and the
/// row it stands in.
pub fn erased_token(row_id: i64) -> String {
    format!("{ERASED}:{row_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn fatima() -> Identifiers {
        Identifiers::new(Some("فاطمة أحمد"), Some("+97333001234"), Some("fatima@example.bh"))
    }

    #[test]
    fn every_identifier_is_replaced_wherever_it_appears() {
        let text = "أنا فاطمة أحمد، هاتفي 33001234 أو +97333001234، بريدي Fatima@Example.bh";
        let scrubbed = fatima().scrub(text).unwrap_or_default();
        assert_eq!(scrubbed, "أنا [erased]، هاتفي [erased] أو [erased]، بريدي [erased]");
        assert_eq!(fatima().scrub("تسرب مياه في الشارع"), None, "nothing to replace");
    }

    #[test]
    fn the_whole_number_goes_before_its_subscriber_part() {
        let ids = Identifiers::new(None, Some("+97333001234"), None);
        assert_eq!(ids.scrub("97333001234").as_deref(), Some("[erased]"));
    }

    #[test]
    fn short_identifiers_are_not_hunted_in_text() {
        let ids = Identifiers::new(Some("Al"), None, None);
        assert_eq!(ids.scrub("All along the road"), None);
    }

    #[test]
    fn answers_are_scrubbed_string_by_string() {
        let answers =
            json!({"meter": "A-17", "contact": "call فاطمة أحمد", "floors": 3, "list": ["x", "fatima@example.bh"]});
        let scrubbed = fatima().scrub_json(&answers);
        assert_eq!(
            scrubbed,
            Some(json!({"meter": "A-17", "contact": "call [erased]", "floors": 3, "list": ["x", "[erased]"]}))
        );
        assert_eq!(fatima().scrub_json(&json!({"meter": "A-17"})), None);
    }

    #[test]
    fn photos_stay_and_documents_and_recordings_go() {
        assert_eq!(attachment_fate("image/jpeg"), AttachmentFate::KeepRenamed);
        assert_eq!(attachment_fate("application/pdf"), AttachmentFate::Remove);
        assert_eq!(attachment_fate("audio/wav"), AttachmentFate::Remove);
        assert_eq!(erased_filename(7, "image/png"), "attachment-7.png");
    }

    #[test]
    fn only_cases_ended_for_good_are_final() {
        let mut finals: Vec<&str> = Status::ALL
            .iter()
            .filter(|s| is_final(**s))
            .map(|s| s.as_str())
            .collect();
        finals.sort_unstable();
        assert_eq!(finals, ["closed", "merged", "rejected"]);
    }

    #[test]
    fn the_cutoff_is_calendar_years_back() {
        let now = Utc.with_ymd_and_hms(2031, 2, 28, 12, 0, 0).single().unwrap_or_default();
        let cutoff = retention_cutoff(now, 5);
        assert_eq!(
            cutoff,
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).single().unwrap_or_default()
        );
    }
}
