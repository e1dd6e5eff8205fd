//! A national SMS gateway's inbound webhook: `POST /hooks/sms`, the message as a form or
//! JSON whose field names are configured (`--sms-inbound-from-field`…), signed with
//! `X-Tawasul-Signature: sha256=<hex HMAC-SHA256(TAWASUL_SMS_INBOUND_SECRET, body)>`. The
//! dialogue's reply is the response, `{"to": "+973…", "text": "…"}`, for the gateway to send.

use crate::signature::valid_sha256;
use crate::{Hooks, Refused, Said};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tawasul_app::SmsHookSettings;
use tawasul_channels_dialogue::{Answer, Incoming, Input, Medium};
use tawasul_domain::intake::PhoneNumber;
use tawasul_domain::vocab::Channel;

/// Ten concatenated SMS segments: more is not one message.
pub(crate) const MAX_SMS_CHARS: usize = 1_600;
const MAX_ID_CHARS: usize = 200;

pub(crate) async fn receive(
    State(hooks): State<Hooks>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refused> {
    let settings = hooks.app.settings.hooks.sms.clone().ok_or(Refused::Off)?;
    let signature = headers.get("x-tawasul-signature").and_then(|v| v.to_str().ok());
    if !valid_sha256(&settings.secret, &body, signature) {
        return Err(Refused::Signature);
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let said = read(&body, json, &settings).map_err(Refused::Malformed)?;
    let address = said.sender.clone();
    let incoming = Incoming {
        channel: Channel::Sms,
        address: said.sender,
        medium: Medium::Text,
        input: said.input,
        message_id: said.message_id,
        fetch: None,
    };
    Ok(Json(match hooks.dialogue.respond(incoming).await? {
        Answer::Reply(reply) => json!({"to": address, "text": reply.lines.join("\n"), "language": reply.language}),
        Answer::Replayed => json!({"to": address, "text": null, "replayed": true}),
    }))
}

/// The message a gateway posted (a form, or a JSON object when `json`), by the configured
/// field names: the sender as an international number, the text, the gateway's id.
pub fn read(body: &[u8], json: bool, settings: &SmsHookSettings) -> Result<Said, String> {
    let fields = if json { json_fields(body)? } else { form_fields(body) };
    let from = fields
        .get(&settings.from_field)
        .ok_or_else(|| format!("the sender's field {:?} is missing", settings.from_field))?;
    let international = if from.trim().starts_with('+') {
        from.trim().to_owned()
    } else {
        format!("+{}", from.trim())
    };
    let address = PhoneNumber::parse(&international)
        .map_err(|_| format!("the sender {from:?} is not a phone number"))?
        .as_str()
        .to_owned();
    let text = fields.get(&settings.text_field).cloned().unwrap_or_default();
    if text.chars().count() > MAX_SMS_CHARS {
        return Err(format!("a message may be at most {MAX_SMS_CHARS} characters"));
    }
    let message_id = fields.get(&settings.id_field).cloned().filter(|id| !id.is_empty());
    if message_id.as_ref().is_some_and(|id| id.chars().count() > MAX_ID_CHARS) {
        return Err("the message id is too long".into());
    }
    Ok(Said {
        sender: address,
        input: Input::Text(text),
        message_id,
    })
}

fn form_fields(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A JSON object's string and number fields (gateways send ids as either).
fn json_fields(body: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let object = value.as_object().ok_or("the body is not a JSON object")?;
    Ok(object
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.clone(), s.clone())),
            Value::Number(n) => Some((k.clone(), n.to_string())),
            _ => None,
        })
        .collect())
}
