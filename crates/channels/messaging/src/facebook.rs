//! A Facebook Page's webhooks. `GET /hooks/facebook` answers the subscription handshake
//! (`hub.verify_token`, `hub.challenge`); `POST /hooks/facebook` takes the Page's
//! notifications (`object: "page"`), signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app
//! secret, body)>`. Messenger's `messaging` events (text, quick replies, postbacks, shared
//! locations and photos) drive the guided dialogue, whose replies go out through the Send API
//! (`POST {base}/me/messages?access_token=…`) as text with quick replies (up to 13, titles of
//! up to 20 characters) or numbered text. A `feed` change that adds a comment is a public
//! post (`social.rs`): a comment that makes or joins a case is answered under it with the
//! case's reference only (`POST {base}/{comment id}/comments`), and one that makes a case hears
//! the rest by private replies (`recipient: {comment_id}`) sent by notifications.

use crate::signature::valid_sha256;
use crate::social::{self, Post};
use crate::whatsapp::truncate;
use crate::{Hooks, Read, Refused, Said};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use std::collections::HashMap;
use tawasul_app::cases::intake::Upload;
use tawasul_channels_dialogue::{Answer, Choice, FetchMedia, Incoming, Input, Medium, Reply};
use tawasul_channels_fetch::Rules;
use tawasul_domain::vocab::Channel;
use tawasul_notify::{chunks, MessengerPurpose, MESSENGER_MAX_TEXT};

/// Quick replies a message may carry, and their titles' length.
pub const MAX_QUICK_REPLIES: usize = tawasul_notify::MESSENGER_MAX_QUICK_REPLIES;
const MAX_QUICK_REPLY_TITLE: usize = tawasul_notify::MESSENGER_MAX_QUICK_REPLY_TITLE;
/// Ids: a Page-scoped id is digits; message, comment and post ids are longer tokens.
const MAX_SENDER_ID: usize = 32;
const MAX_MESSAGE_ID: usize = 300;
/// A comment's length on Facebook.
const MAX_COMMENT: usize = 8_000;

/// The subscription handshake: the verify token echoed back as configured.
pub(crate) async fn verify(
    State(hooks): State<Hooks>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refused> {
    let settings = hooks.app.settings.hooks.facebook.as_ref();
    crate::meta_handshake(settings.map(|s| s.verify_token.as_str()), &query)
}

/// Graph ids come as strings, and in some notifications as numbers.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("an id, not {other}"))),
    }
}

#[derive(Debug, Deserialize)]
struct Notification {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    /// The Page's id.
    #[serde(deserialize_with = "id")]
    id: String,
    #[serde(default)]
    messaging: Vec<Messaging>,
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Messaging {
    sender: Party,
    message: Option<Message>,
    postback: Option<Postback>,
}

#[derive(Debug, Deserialize)]
struct Party {
    /// Absent for a guest of the chat plugin (`user_ref`), whom the Page cannot answer here.
    #[serde(default, deserialize_with = "optional_id")]
    id: Option<String>,
}

fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    id(d).map(Some)
}

#[derive(Debug, Deserialize)]
struct Message {
    mid: String,
    text: Option<String>,
    #[serde(default)]
    is_echo: bool,
    quick_reply: Option<Payload>,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Debug, Deserialize)]
struct Payload {
    payload: String,
}

#[derive(Debug, Deserialize)]
struct Postback {
    mid: Option<String>,
    payload: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Attachment {
    #[serde(rename = "type")]
    kind: String,
    title: Option<String>,
    payload: Option<AttachmentPayload>,
}

#[derive(Debug, Deserialize)]
struct AttachmentPayload {
    url: Option<String>,
    coordinates: Option<Coordinates>,
}

#[derive(Debug, Deserialize)]
struct Coordinates {
    lat: f64,
    long: f64,
}

#[derive(Debug, Deserialize)]
struct Change {
    field: String,
    value: Value,
}

/// A `feed` change; only added comments are read.
#[derive(Debug, Deserialize)]
struct FeedChange {
    item: Option<String>,
    verb: Option<String>,
    comment_id: Option<String>,
    message: Option<String>,
    from: Option<Author>,
}

#[derive(Debug, Deserialize)]
struct Author {
    #[serde(deserialize_with = "id")]
    id: String,
    name: Option<String>,
}

/// What the dialogue takes from a Messenger event, with the event's id; `None` for what it
/// cannot (reactions, stickers, videos…).
fn input_of(event: &Messaging) -> Result<Option<(Input, Option<String>)>, String> {
    if let Some(postback) = &event.postback {
        let key = postback.payload.clone().or_else(|| postback.title.clone());
        return Ok(key.map(|k| (Input::Text(k), postback.mid.clone())));
    }
    let Some(message) = &event.message else {
        return Ok(None);
    };
    if message.mid.is_empty() || message.mid.len() > MAX_MESSAGE_ID {
        return Err("a message without a usable id".into());
    }
    let mid = Some(message.mid.clone());
    if let Some(quick) = &message.quick_reply {
        return Ok(Some((Input::Text(quick.payload.clone()), mid)));
    }
    if let Some(text) = &message.text {
        if text.chars().count() > MESSENGER_MAX_TEXT {
            return Err(format!("a message may be at most {MESSENGER_MAX_TEXT} characters"));
        }
        return Ok(Some((Input::Text(text.clone()), mid)));
    }
    let input = message
        .attachments
        .iter()
        .find_map(|a| match (a.kind.as_str(), &a.payload) {
            (
                "location",
                Some(AttachmentPayload {
                    coordinates: Some(c), ..
                }),
            ) => Some(Input::Location {
                lat: c.lat,
                lon: c.long,
                address: a.title.clone(),
            }),
            ("image", Some(AttachmentPayload { url: Some(url), .. }))
                if url.starts_with("https://") || url.starts_with("http://") =>
            {
                Some(Input::Media { url: url.clone() })
            }
            _ => None,
        });
    Ok(input.map(|i| (i, mid)))
}

/// A Page notification's Messenger events (the Page's own echoes skipped) and the comments
/// added on its feed.
pub fn read(body: &[u8]) -> Result<Read, String> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| format!("not a Page notification: {e}"))?;
    if notification.object != "page" {
        return Err(format!("unexpected object {:?}", notification.object));
    }
    let mut read = Read::default();
    for entry in &notification.entry {
        for event in &entry.messaging {
            if event.message.as_ref().is_some_and(|m| m.is_echo) {
                continue;
            }
            let Some(psid) = &event.sender.id else { continue };
            if psid.is_empty() || psid.len() > MAX_SENDER_ID || !psid.bytes().all(|b| b.is_ascii_digit()) {
                return Err("a message without a usable sender".into());
            }
            match input_of(event)? {
                Some((input, message_id)) => read.messages.push(Said {
                    sender: psid.clone(),
                    input,
                    message_id,
                }),
                None => tracing::debug!("a Messenger event the dialogue does not take"),
            }
        }
        for change in entry.changes.iter().filter(|c| c.field == "feed") {
            let feed: FeedChange =
                serde_json::from_value(change.value.clone()).map_err(|e| format!("not a feed change: {e}"))?;
            if let Some(comment) = comment_of(&entry.id, feed)? {
                read.posts.push(comment);
            }
        }
    }
    Ok(read)
}

pub(crate) async fn receive(State(hooks): State<Hooks>, headers: HeaderMap, body: Bytes) -> Result<Response, Refused> {
    let settings = hooks.app.settings.hooks.facebook.clone().ok_or(Refused::Off)?;
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if !valid_sha256(&settings.app_secret, &body, signature) {
        return Err(Refused::Signature);
    }
    let read = read(&body).map_err(Refused::Malformed)?;
    for said in read.messages {
        let incoming = Incoming {
            channel: Channel::Social,
            address: format!("fb:{}", said.sender),
            medium: Medium::Buttons,
            input: said.input,
            message_id: said.message_id.map(|mid| format!("fb:{mid}")),
            fetch: Some(fetcher(settings.media_private_addresses)),
        };
        match hooks.dialogue.respond(incoming).await? {
            Answer::Reply(reply) => send(&hooks, json!({"id": said.sender}), messages_of(&reply)).await,
            Answer::Replayed => {}
        }
    }
    for comment in read.posts {
        let comment_id = comment.id.clone();
        let taken = social::take(&hooks, comment).await?;
        if let Some(text) = social::public_reply(&hooks, &taken) {
            reply_in_public(&hooks, &comment_id, &text).await;
        }
    }
    Ok(StatusCode::OK.into_response())
}

/// A comment someone added on the Page's feed (not the Page's own), as a public post.
fn comment_of(page_id: &str, feed: FeedChange) -> Result<Option<Post>, String> {
    if feed.item.as_deref() != Some("comment") || feed.verb.as_deref() != Some("add") {
        return Ok(None);
    }
    let (Some(id), Some(from)) = (feed.comment_id, feed.from) else {
        return Err("a comment without its id or author".into());
    };
    if id.is_empty() || id.len() > MAX_MESSAGE_ID || from.id.is_empty() || from.id.len() > MAX_SENDER_ID {
        return Err("a comment without a usable id or author".into());
    }
    if from.id == page_id {
        return Ok(None);
    }
    let text = feed.message.unwrap_or_default();
    if text.chars().count() > MAX_COMMENT {
        return Err(format!("a comment may be at most {MAX_COMMENT} characters"));
    }
    Ok(Some(Post {
        network: "facebook",
        private_address: format!("fb-comment:{id}"),
        id,
        author: format!("fb:{}", from.id),
        author_name: from.name,
        text,
    }))
}

/// Sends messages to `recipient` (a person by Page-scoped id) in answer to them. A reply that cannot be sent is logged: the turn is saved, and
/// the resident's next message is answered from there.
async fn send(hooks: &Hooks, recipient: Value, messages: Vec<Value>) {
    let Some(api) = &hooks.messenger else {
        tracing::error!("a Facebook reply could not be sent: the Send API is not set up");
        return;
    };
    for message in messages {
        if let Err(e) = api.send(&recipient, &message, MessengerPurpose::Response).await {
            tracing::error!(error = %e, "a Facebook reply could not be sent");
            return;
        }
    }
}

/// Answers under the comment `comment_id` in public; like a reply, one that cannot be sent is
/// logged (the case stands, and its author hears of it privately).
async fn reply_in_public(hooks: &Hooks, comment_id: &str, text: &str) {
    let Some(api) = &hooks.messenger else {
        tracing::error!("a public reply could not be sent: the Graph API is not set up");
        return;
    };
    if let Err(e) = api.reply_to_comment(comment_id, text).await {
        tracing::error!(error = %e, "a public reply to a comment could not be sent");
    }
}

/// The Send API's messages for a reply: its lines as text, its choices as quick replies on
/// the last, or numbered in the text when they do not fit.
pub(crate) fn messages_of(reply: &Reply) -> Vec<Value> {
    let mut text = reply.lines.join("\n");
    let quick = !reply.choices.is_empty()
        && reply.choices.len() <= MAX_QUICK_REPLIES
        && reply
            .choices
            .iter()
            .all(|c| c.label.chars().count() <= MAX_QUICK_REPLY_TITLE);
    if !quick {
        for Choice { key, label } in &reply.choices {
            text.push_str(&format!("\n{key}. {label}"));
        }
    }
    let mut out: Vec<Value> = chunks(&text, MESSENGER_MAX_TEXT)
        .into_iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| json!({"text": t}))
        .collect();
    if quick {
        let replies: Vec<Value> = reply
            .choices
            .iter()
            .map(|c| json!({"content_type": "text", "title": truncate(&c.label, MAX_QUICK_REPLY_TITLE), "payload": c.key}))
            .collect();
        match out.last_mut() {
            Some(last) => last["quick_replies"] = json!(replies),
            None => out.push(json!({"text": "…", "quick_replies": replies})),
        }
    }
    out
}

/// Downloads a photo a resident sent: Messenger gives its address on Meta's CDN, whose host
/// names vary, so any host is asked, but by the channels' guarded fetch: never a private,
/// loopback or link-local address unless the settings allow it.
fn fetcher(private_addresses: bool) -> FetchMedia {
    std::sync::Arc::new(move |url: String| {
        async move {
            let rules = Rules {
                hosts: None,
                private_addresses,
                timeout: std::time::Duration::from_secs(20),
                max_bytes: tawasul_domain::attachment::MAX_ATTACHMENT_BYTES,
            };
            let fetched = tawasul_channels_fetch::fetch(rules, &url)
                .await
                .map_err(|refused| refused.to_string())?;
            Ok(Upload {
                bytes: fetched.bytes,
                content_type: fetched.content_type,
                filename: Some("messenger-photo".into()),
            })
        }
        .boxed()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tawasul_channels_dialogue::{After, Expect};

    fn reply(labels: &[&str]) -> Reply {
        Reply {
            language: "en".into(),
            lines: vec!["How can we help?".into()],
            choices: labels
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
    fn choices_are_quick_replies_when_they_fit_else_numbered_text() {
        let quick = messages_of(&reply(&["New report", "Status"]));
        assert_eq!(quick.len(), 1);
        assert_eq!(quick[0]["quick_replies"][1]["payload"], "2");
        assert_eq!(quick[0]["quick_replies"][1]["title"], "Status");

        let long = messages_of(&reply(&["A new report, complaint or suggestion", "Status"]));
        assert!(long[0].get("quick_replies").is_none());
        assert!(long[0]["text"].as_str().is_some_and(|t| t.contains("1. A new report")));

        let labels: Vec<String> = (1..=14).map(|i| format!("Service {i}")).collect();
        let many = messages_of(&reply(&labels.iter().map(String::as_str).collect::<Vec<_>>()));
        assert!(many[0].get("quick_replies").is_none(), "14 choices are more than 13");
        assert!(many[0]["text"].as_str().is_some_and(|t| t.contains("14. Service 14")));

        let thirteen = messages_of(&reply(&labels[..13].iter().map(String::as_str).collect::<Vec<_>>()));
        assert_eq!(thirteen[0]["quick_replies"].as_array().map(Vec::len), Some(13));
    }

    #[test]
    fn a_long_reply_is_cut_into_messages_with_the_choices_on_the_last() {
        let mut long = reply(&["Yes", "No"]);
        long.lines = vec!["و".repeat(3_000), "Send it?".into()];
        let out = messages_of(&long);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|m| m["text"]
            .as_str()
            .is_some_and(|t| t.chars().count() <= MESSENGER_MAX_TEXT)));
        assert!(out[0].get("quick_replies").is_none());
        assert_eq!(out[1]["quick_replies"][0]["title"], "Yes");
    }
}
