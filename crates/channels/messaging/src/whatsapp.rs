//! WhatsApp Business through the Cloud API. `GET /hooks/whatsapp` answers the subscription
//! handshake (`hub.verify_token`, `hub.challenge`); `POST /hooks/whatsapp` takes the
//! webhook's notifications, signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret,
//! body)>`: text, interactive replies (buttons and lists), shared locations, photos and voice
//! notes become the dialogue's input; delivery statuses are logged. Replies go out through
//! the messages API (`POST {base}/{phone number id}/messages`) as text, buttons (up to three)
//! or a list (up to ten). A reply always answers a message just received, so it is inside the
//! 24-hour customer-service window, where free-form messages are allowed.

use crate::signature::valid_sha256;
use crate::{Hooks, Read, Refused, Said};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tawasul_app::cases::intake::Upload;
use tawasul_app::WhatsappSettings;
use tawasul_channels_dialogue::{Answer, Choice, FetchMedia, Incoming, Input, Medium, Reply};
use tawasul_domain::vocab::Channel;
use tawasul_notify::chunks;

/// Reply buttons a message may carry, and their titles' length.
pub const MAX_BUTTONS: usize = 3;
const MAX_BUTTON_TITLE: usize = 20;
/// Rows a list message may carry, and their titles' and descriptions' length.
pub const MAX_LIST_ROWS: usize = 10;
const MAX_ROW_TITLE: usize = 24;
const MAX_ROW_DESCRIPTION: usize = 72;
/// The body of an interactive message; a text message may be 4096.
const MAX_INTERACTIVE_BODY: usize = 1_024;
const MAX_TEXT_BODY: usize = 4_096;

/// The subscription handshake: the verify token echoed back as configured.
pub(crate) async fn verify(
    State(hooks): State<Hooks>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refused> {
    let settings = hooks.app.settings.hooks.whatsapp.as_ref();
    crate::meta_handshake(settings.map(|s| s.verify_token.as_str()), &query)
}

#[derive(Debug, Deserialize)]
struct Notification {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    field: String,
    value: ChangeValue,
}

#[derive(Debug, Deserialize)]
struct ChangeValue {
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Debug, Deserialize)]
struct Message {
    from: String,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<Text>,
    interactive: Option<Interactive>,
    button: Option<Button>,
    location: Option<Location>,
    image: Option<MediaRef>,
    document: Option<MediaRef>,
    audio: Option<MediaRef>,
}

#[derive(Debug, Deserialize)]
struct Text {
    body: String,
}

#[derive(Debug, Deserialize)]
struct Interactive {
    button_reply: Option<Picked>,
    list_reply: Option<Picked>,
}

#[derive(Debug, Deserialize)]
struct Picked {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Button {
    payload: Option<String>,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MediaRef {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    errors: Vec<Value>,
}

/// What the dialogue takes from a message; `None` for what it cannot (reactions, stickers…).
fn input_of(message: &Message) -> Option<Input> {
    match message.kind.as_str() {
        "text" => message.text.as_ref().map(|t| Input::Text(t.body.clone())),
        "interactive" => {
            let interactive = message.interactive.as_ref()?;
            let picked = interactive.button_reply.as_ref().or(interactive.list_reply.as_ref())?;
            Some(Input::Text(picked.id.clone()))
        }
        "button" => {
            let button = message.button.as_ref()?;
            button.payload.clone().or_else(|| button.text.clone()).map(Input::Text)
        }
        "location" => message.location.as_ref().map(|l| Input::Location {
            lat: l.latitude,
            lon: l.longitude,
            address: match (&l.name, &l.address) {
                (Some(name), Some(address)) => Some(format!("{name}، {address}")),
                (name, address) => address.clone().or_else(|| name.clone()),
            },
        }),
        "image" | "document" => message
            .image
            .as_ref()
            .or(message.document.as_ref())
            .map(|m| Input::Media { url: m.id.clone() }),
        // A voice note is the caller's description in their own voice.
        "audio" => message.audio.as_ref().map(|m| Input::Recording { url: m.id.clone() }),
        _ => None,
    }
}

/// The messages of a notification's `messages` changes (statuses are logged); a message
/// without a usable sender or id refuses the whole body.
pub fn read(body: &[u8]) -> Result<Read, String> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| format!("not a WhatsApp notification: {e}"))?;
    if notification.object != "whatsapp_business_account" {
        return Err(format!("unexpected object {:?}", notification.object));
    }
    let mut read = Read::default();
    for change in notification.entry.iter().flat_map(|e| &e.changes) {
        if change.field != "messages" {
            continue;
        }
        for status in &change.value.statuses {
            match status.status.as_str() {
                "failed" => tracing::warn!(message = status.id, errors = ?status.errors, "a WhatsApp message failed"),
                other => tracing::debug!(message = status.id, status = other, "WhatsApp delivery status"),
            }
        }
        for message in &change.value.messages {
            let wa_id: String = message.from.chars().filter(char::is_ascii_digit).collect();
            if wa_id.is_empty() || wa_id.len() > 20 || message.id.is_empty() || message.id.len() > 200 {
                return Err("a message without a sender or id".into());
            }
            let Some(input) = input_of(message) else {
                tracing::debug!(kind = message.kind, "a WhatsApp message the dialogue does not take");
                continue;
            };
            read.messages.push(Said {
                sender: wa_id,
                input,
                message_id: Some(message.id.clone()),
            });
        }
    }
    Ok(read)
}

pub(crate) async fn receive(State(hooks): State<Hooks>, headers: HeaderMap, body: Bytes) -> Result<Response, Refused> {
    let settings = hooks.app.settings.hooks.whatsapp.clone().ok_or(Refused::Off)?;
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if !valid_sha256(&settings.app_secret, &body, signature) {
        return Err(Refused::Signature);
    }
    let read = read(&body).map_err(Refused::Malformed)?;
    let settings = Arc::new(settings);
    for said in read.messages {
        let incoming = Incoming {
            channel: Channel::Whatsapp,
            address: said.sender.clone(),
            medium: Medium::Buttons,
            input: said.input,
            message_id: said.message_id,
            fetch: Some(fetcher(hooks.http.clone(), settings.clone())),
        };
        match hooks.dialogue.respond(incoming).await? {
            Answer::Reply(reply) => send(&hooks.http, &settings, &said.sender, &reply).await,
            Answer::Replayed => {}
        }
    }
    Ok(StatusCode::OK.into_response())
}

/// Sends the reply. A reply that cannot be sent is logged: the turn is saved, and the
/// resident's next message is answered from there.
async fn send(http: &reqwest::Client, settings: &WhatsappSettings, to: &str, reply: &Reply) {
    for message in messages(to, reply) {
        let url = format!(
            "{}/{}/messages",
            settings.api_base.trim_end_matches('/'),
            settings.phone_number_id
        );
        let sent = http
            .post(&url)
            .bearer_auth(&settings.access_token)
            .json(&message)
            .send()
            .await;
        match sent.map(|r| r.error_for_status()) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) | Err(e) => {
                tracing::error!(error = %e, "a WhatsApp reply could not be sent");
                return;
            }
        }
    }
}

/// The messages API's bodies for a reply: its lines as text, its choices as buttons or a list.
pub(crate) fn messages(to: &str, reply: &Reply) -> Vec<Value> {
    let text = reply.lines.join("\n");
    if reply.choices.is_empty() || reply.choices.len() > MAX_LIST_ROWS {
        let mut text = text;
        for Choice { key, label } in &reply.choices {
            text.push_str(&format!("\n{key}. {label}"));
        }
        return chunks(&text, MAX_TEXT_BODY)
            .into_iter()
            .map(|body| text_message(to, &body))
            .collect();
    }
    // The interactive body holds the last lines that fit; any before go first as text.
    let mut out = vec![];
    let body = if text.chars().count() > MAX_INTERACTIVE_BODY {
        let (before, last) = reply.lines.split_at(reply.lines.len().saturating_sub(1));
        out.extend(
            chunks(&before.join("\n"), MAX_TEXT_BODY)
                .into_iter()
                .map(|b| text_message(to, &b)),
        );
        truncate(&last.join("\n"), MAX_INTERACTIVE_BODY)
    } else {
        text
    };
    let body = if body.trim().is_empty() { "…".to_owned() } else { body };
    let fits_buttons = reply.choices.len() <= MAX_BUTTONS
        && reply
            .choices
            .iter()
            .all(|c| c.label.chars().count() <= MAX_BUTTON_TITLE);
    let interactive = if fits_buttons {
        let buttons: Vec<Value> = reply
            .choices
            .iter()
            .map(|c| json!({"type": "reply", "reply": {"id": c.key, "title": c.label}}))
            .collect();
        json!({"type": "button", "body": {"text": body}, "action": {"buttons": buttons}})
    } else {
        let rows: Vec<Value> = reply
            .choices
            .iter()
            .map(|c| {
                let mut row = json!({"id": c.key, "title": truncate(&c.label, MAX_ROW_TITLE)});
                if c.label.chars().count() > MAX_ROW_TITLE {
                    row["description"] = json!(truncate(&c.label, MAX_ROW_DESCRIPTION));
                }
                row
            })
            .collect();
        let button = if reply.language == "ar" { "اختر" } else { "Choose" };
        json!({"type": "list", "body": {"text": body}, "action": {"button": button, "sections": [{"rows": rows}]}})
    };
    out.push(json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": interactive,
    }));
    out
}

fn text_message(to: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text", "text": {"body": body}})
}

/// At most `max` characters, ending in "…" when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Downloads a photo or voice note by its media id: the Graph API names its URL, which is
/// read with the same token, up to the attachment limit.
fn fetcher(http: reqwest::Client, settings: Arc<WhatsappSettings>) -> FetchMedia {
    Arc::new(move |media_id: String| {
        let (http, settings) = (http.clone(), settings.clone());
        async move {
            if !media_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!("{media_id:?} is not a media id"));
            }
            let base = settings.api_base.trim_end_matches('/');
            let meta: Value = http
                .get(format!("{base}/{media_id}"))
                .bearer_auth(&settings.access_token)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let url = meta["url"].as_str().ok_or("the media has no url")?;
            let response = http
                .get(url)
                .bearer_auth(&settings.access_token)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| e.to_string())?;
            let bytes = crate::read_limited(response).await?;
            Ok(Upload {
                bytes,
                content_type: meta["mime_type"].as_str().map(str::to_owned),
                filename: Some(format!("whatsapp-{media_id}")),
            })
        }
        .boxed()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tawasul_channels_dialogue::{After, Expect};

    fn reply(choices: &[&str]) -> Reply {
        Reply {
            language: "ar".into(),
            lines: vec!["كيف نخدمك؟".into()],
            choices: choices
                .iter()
                .enumerate()
                .map(|(i, label)| Choice {
                    key: (i + 1).to_string(),
                    label: (*label).into(),
                })
                .collect(),
            expect: Expect::Choice,
            after: After::Continue,
        }
    }

    #[test]
    fn choices_become_buttons_a_list_or_numbered_text() {
        let buttons = messages("97333123456", &reply(&["نعم", "لا"]));
        assert_eq!(buttons.len(), 1);
        assert_eq!(buttons[0]["interactive"]["type"], "button");
        assert_eq!(buttons[0]["interactive"]["action"]["buttons"][1]["reply"]["id"], "2");

        let long = "تقديم بلاغ أو شكوى أو اقتراح جديد";
        let list = messages("97333123456", &reply(&[long, "الاستعلام", "موظف", "أسئلة"]));
        let rows = &list[0]["interactive"]["action"]["sections"][0]["rows"];
        assert_eq!(list[0]["interactive"]["type"], "list");
        assert_eq!(
            rows[0]["title"].as_str().map(|t| t.chars().count()),
            Some(MAX_ROW_TITLE)
        );
        assert_eq!(rows[0]["description"], long);
        assert_eq!(list[0]["interactive"]["action"]["button"], "اختر");

        let many: Vec<String> = (1..=12).map(|i| format!("خدمة {i}")).collect();
        let text = messages(
            "97333123456",
            &reply(&many.iter().map(String::as_str).collect::<Vec<_>>()),
        );
        assert_eq!(text[0]["type"], "text");
        assert!(text[0]["text"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("12. خدمة 12")));
    }

    #[test]
    fn a_long_reply_goes_as_text_then_the_choices() {
        let mut long = reply(&["نعم", "لا"]);
        long.lines = vec!["و".repeat(3_000), "هل نرسل؟".into()];
        let out = messages("97333123456", &long);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["type"], "text");
        assert_eq!(out[1]["interactive"]["body"]["text"], "هل نرسل؟");
    }
}
