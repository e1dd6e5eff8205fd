//! Reading forms: multipart report forms with photos, and the field errors shown beside
//! each input. Nothing here decides whether a case is valid: the domain does, through the same
//! use case as the API; this only turns form fields into its draft and its answers back into
//! the field they concern.

use crate::context::Ctx;
use crate::error::WebError;
use crate::pages::FieldErrors;
use axum::extract::multipart::{Multipart, MultipartError};
use serde_json::{Map, Value};
use tawasul_domain::attachment::{AttachmentType, MAX_ATTACHMENT_BYTES};
use tawasul_domain::catalogue::{FieldType, FormField};
use tawasul_domain::Invalid;

pub use tawasul_app::cases::intake::Upload;

/// A multipart form: its text fields in order (a name may repeat) and its files. A urlencoded
/// form reads as one too, with no files.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct Submitted {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
    /// Files beyond the form's limit, read and dropped so the page can say so beside the field.
    pub files_over_limit: usize,
}

/// A urlencoded form read as its name–value pairs (checkboxes repeat a name).
impl From<Vec<(String, String)>> for Submitted {
    fn from(fields: Vec<(String, String)>) -> Self {
        Self {
            fields,
            ..Self::default()
        }
    }
}

impl Submitted {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A field's value, or "" (forms send empty inputs as empty strings anyway).
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn multipart_error(e: MultipartError) -> WebError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        WebError::TooLarge
    } else {
        WebError::BadRequest(e.body_text())
    }
}

/// Reads a whole multipart form, streaming: each file is read chunk by chunk into its own
/// buffer (no second copy) and refused as soon as it passes the size of an attachment, rather
/// than after the whole body; files beyond `max_files` are read through and dropped without
/// being kept, and counted in `files_over_limit`. File inputs left empty (no name, no bytes)
/// are skipped; broken MIME is refused.
pub async fn read_multipart(
    mut multipart: Multipart,
    file_field: &str,
    max_files: usize,
) -> Result<Submitted, WebError> {
    let mut form = Submitted::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == file_field {
            let filename = field.file_name().map(str::to_owned).filter(|f| !f.is_empty());
            let content_type = field.content_type().map(str::to_owned);
            if form.files.len() == max_files {
                let mut any = filename.is_some();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    any |= !chunk.is_empty();
                }
                form.files_over_limit += usize::from(any);
                continue;
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                    return Err(WebError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            if bytes.is_empty() && filename.is_none() {
                continue;
            }
            form.files.push(Upload {
                bytes,
                content_type,
                filename,
            });
        } else {
            let value = field.text().await.map_err(multipart_error)?;
            form.fields.push((name, value));
        }
    }
    Ok(form)
}

/// Checks there were not too many uploads and each is a file we accept, by its content; the
/// first refusal as a field error.
pub fn check_uploads(form: &Submitted) -> Result<(), Invalid> {
    if form.files_over_limit > 0 {
        return Err(Invalid::new("too_many_files", "photos", "too many files at once"));
    }
    for f in &form.files {
        AttachmentType::sniff(&f.bytes, f.content_type.as_deref())?;
    }
    Ok(())
}

/// Western digits for Arabic-Indic ones, so "٣" is a number too.
fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٫' => '.',
            c => c,
        })
        .collect()
}

pub fn parse_number(raw: &str) -> Option<f64> {
    ascii_digits(raw.trim()).parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The answers to a service's form, as the domain's draft wants them. A number that is not
/// one is reported here (the domain would only see text); everything else the domain checks.
pub fn answers(fields: &[FormField], form: &Submitted) -> (Map<String, Value>, FieldErrors) {
    let mut answers = Map::new();
    let mut errors = FieldErrors::new();
    for field in fields {
        let name = format!("answers.{}", field.key);
        let values: Vec<String> = form.all(&name).into_iter().filter(|v| !v.trim().is_empty()).collect();
        let value = match field.field_type {
            FieldType::MultipleChoice if values.is_empty() => None,
            FieldType::MultipleChoice => Some(Value::Array(values.into_iter().map(Value::String).collect())),
            _ => match values.into_iter().next() {
                None => None,
                Some(v) if field.field_type == FieldType::Number => match parse_number(&v) {
                    Some(n) => serde_json::Number::from_f64(n).map(Value::Number),
                    None => {
                        errors.insert(name.clone(), "invalid_type".into());
                        None
                    }
                },
                Some(v) => Some(Value::String(v)),
            },
        };
        if let Some(v) = value {
            answers.insert(field.key.clone(), v);
        }
    }
    (answers, errors)
}

/// The form field an error of the domain concerns: `reporter.phone` is the `phone` input,
/// `location.lat` the location, `answers.depth` stays itself.
pub fn form_field(invalid_field: &str) -> String {
    if let Some(rest) = invalid_field.strip_prefix("reporter.") {
        return rest.to_owned();
    }
    if invalid_field.starts_with("location") {
        return "location".into();
    }
    invalid_field.to_owned()
}

/// The message shown for an error code, in the page's language.
pub fn message(ctx: &Ctx, code: &str) -> String {
    let id = format!("invalid-{code}");
    if ctx.tr.catalog.knows(ctx.lang(), &id) {
        ctx.t(&id)
    } else {
        ctx.t("invalid-other")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_indic_numbers_are_numbers() {
        assert_eq!(parse_number("٣٫٥"), Some(3.5));
        assert_eq!(parse_number(" 12 "), Some(12.0));
        assert_eq!(parse_number("deep"), None);
        assert_eq!(parse_number("inf"), None);
    }

    #[test]
    fn domain_fields_map_to_inputs() {
        assert_eq!(form_field("reporter.phone"), "phone");
        assert_eq!(form_field("location.lat"), "location");
        assert_eq!(form_field("answers.depth"), "answers.depth");
        assert_eq!(form_field("description"), "description");
    }
}
