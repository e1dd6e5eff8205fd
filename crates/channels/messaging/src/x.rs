//! An X account's Account Activity webhooks. `GET /hooks/x?crc_token=…` answers the
//! challenge-response check with `{"response_token": "sha256=<base64 HMAC-SHA256(consumer
//! secret, crc_token)>"}`; `POST /hooks/x` takes the account's activity, signed
//! `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>`. Direct
//! messages to the account drive the guided dialogue (numbered menus), whose replies go out
//! through the direct-message API (`POST {base}/2/dm_conversations/with/{id}/messages`); a
//! post that mentions the account is a public post (`social.rs`): one that makes or joins a
//! case is answered under it with the case's reference only (`POST {base}/2/tweets`), and one
//! that makes a case hears the rest by direct messages sent by notifications. The account's
//! own events are skipped.

use crate::signature::{sha256_base64, valid_sha256_base64};
use crate::social::{self, without_leading_mentions, Post};
use crate::{Hooks, Read, Refused, Said};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use tawasul_channels_dialogue::{Answer, Incoming, Input, Medium};
use tawasul_domain::vocab::Channel;

/// A direct message's length on X.
const MAX_DM: usize = tawasul_notify::X_MAX_DM;
/// A post's length (long posts included).
const MAX_POST: usize = 25_000;
const MAX_ID: usize = 32;
const MAX_CRC_TOKEN: usize = 512;

/// The challenge-response check, which X repeats while the webhook is registered.
pub(crate) async fn challenge(
    State(hooks): State<Hooks>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Refused> {
    let settings = hooks.app.settings.hooks.x.clone().ok_or(Refused::Off)?;
    let token = query
        .get("crc_token")
        .filter(|t| is_crc_token(t))
        .ok_or_else(|| Refused::Malformed("a crc_token (letters, digits and +/=_.~-) is required".into()))?;
    Ok(Json(
        json!({"response_token": sha256_base64(&settings.consumer_secret, token.as_bytes())}),
    ))
}

/// Whether `token` is of the form X's CRC tokens take (base64 and URL-safe characters). Anyone
/// may ask for a CRC, and its answer is exactly the signature X puts on a webhook body; a token
/// without `{` or `"` is never a JSON body, so the answer signs no activity for the asker.
fn is_crc_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= MAX_CRC_TOKEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_.~-".contains(&b))
}

#[derive(Debug, Deserialize)]
struct Activity {
    for_user_id: String,
    #[serde(default)]
    direct_message_events: Vec<DirectMessageEvent>,
    #[serde(default)]
    tweet_create_events: Vec<Tweet>,
}

#[derive(Debug, Deserialize)]
struct DirectMessageEvent {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    message_create: Option<MessageCreate>,
}

#[derive(Debug, Deserialize)]
struct MessageCreate {
    sender_id: String,
    message_data: MessageData,
}

#[derive(Debug, Deserialize)]
struct MessageData {
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
struct Tweet {
    id_str: String,
    #[serde(default)]
    text: String,
    extended_tweet: Option<ExtendedTweet>,
    user: User,
    entities: Option<Entities>,
    retweeted_status: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ExtendedTweet {
    full_text: String,
}

#[derive(Debug, Deserialize)]
struct User {
    id_str: String,
    name: Option<String>,
    screen_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Entities {
    #[serde(default)]
    user_mentions: Vec<Mention>,
}

#[derive(Debug, Deserialize)]
struct Mention {
    id_str: String,
}

fn usable_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_digit())
}

/// The direct messages and mentions of `user_id`'s activity (its own events skipped); `None`
/// when the activity is another account's.
pub fn read(body: &[u8], user_id: &str) -> Result<Option<Read>, String> {
    let activity: Activity = serde_json::from_slice(body).map_err(|e| format!("not account activity: {e}"))?;
    if activity.for_user_id != user_id {
        return Ok(None);
    }
    let mut read = Read::default();
    for event in &activity.direct_message_events {
        let Some(create) = event.message_create.as_ref().filter(|_| event.kind == "message_create") else {
            continue;
        };
        if !usable_id(&create.sender_id) || !usable_id(&event.id) {
            return Err("a direct message without a usable sender or id".into());
        }
        if create.message_data.text.chars().count() > MAX_DM {
            return Err(format!("a direct message may be at most {MAX_DM} characters"));
        }
        // The account's own messages come back as events too.
        if create.sender_id != activity.for_user_id {
            read.messages.push(Said {
                sender: create.sender_id.clone(),
                input: Input::Text(create.message_data.text.clone()),
                message_id: Some(event.id.clone()),
            });
        }
    }
    for tweet in &activity.tweet_create_events {
        if !usable_id(&tweet.id_str) || !usable_id(&tweet.user.id_str) {
            return Err("a post without a usable id or author".into());
        }
        let text = tweet.extended_tweet.as_ref().map_or(&tweet.text, |e| &e.full_text);
        if text.chars().count() > MAX_POST {
            return Err(format!("a post may be at most {MAX_POST} characters"));
        }
        let mentioned = tweet
            .entities
            .as_ref()
            .is_some_and(|e| e.user_mentions.iter().any(|m| m.id_str == activity.for_user_id));
        let own = tweet.user.id_str == activity.for_user_id;
        if mentioned && !own && tweet.retweeted_status.is_none() {
            read.posts.push(Post {
                network: "x",
                id: tweet.id_str.clone(),
                author: format!("x:{}", tweet.user.id_str),
                private_address: format!("x:{}", tweet.user.id_str),
                author_name: tweet
                    .user
                    .screen_name
                    .as_ref()
                    .map(|s| format!("@{s}"))
                    .or(tweet.user.name.clone()),
                text: without_leading_mentions(text).to_owned(),
            });
        }
    }
    Ok(Some(read))
}

pub(crate) async fn receive(State(hooks): State<Hooks>, headers: HeaderMap, body: Bytes) -> Result<Response, Refused> {
    let settings = hooks.app.settings.hooks.x.clone().ok_or(Refused::Off)?;
    let signature = headers
        .get("x-twitter-webhooks-signature")
        .and_then(|v| v.to_str().ok());
    if !valid_sha256_base64(&settings.consumer_secret, &body, signature) {
        return Err(Refused::Signature);
    }
    let Some(read) = read(&body, &settings.user_id).map_err(Refused::Malformed)? else {
        // Another account subscribed to the same app: not ours to answer.
        tracing::warn!("X activity for another account was ignored");
        return Ok(StatusCode::OK.into_response());
    };
    for said in read.messages {
        let incoming = Incoming {
            channel: Channel::Social,
            address: format!("x:{}", said.sender),
            medium: Medium::Text,
            input: said.input,
            message_id: said.message_id.map(|id| format!("x:{id}")),
            fetch: None,
        };
        match hooks.dialogue.respond(incoming).await? {
            Answer::Reply(reply) => send(&hooks, &said.sender, &reply.lines.join("\n")).await,
            Answer::Replayed => {}
        }
    }
    for post in read.posts {
        let post_id = post.id.clone();
        let taken = social::take(&hooks, post).await?;
        if let Some(text) = social::public_reply(&hooks, &taken) {
            reply_in_public(&hooks, &post_id, &text).await;
        }
    }
    Ok(StatusCode::OK.into_response())
}

/// Answers under the post `post_id` in public; like a reply, one that cannot be sent is
/// logged (the case stands, and its author hears of it by direct message).
async fn reply_in_public(hooks: &Hooks, post_id: &str, text: &str) {
    let Some(api) = &hooks.x_dm else {
        tracing::error!("a public reply could not be sent: the X API is not set up");
        return;
    };
    if let Err(e) = api.reply_to_post(post_id, text).await {
        tracing::error!(error = %e, "a public reply to a post could not be sent");
    }
}

/// Sends `text` to `participant` by direct message. A message that cannot be sent is
/// logged: the turn is saved, and the resident's next message is answered from there.
async fn send(hooks: &Hooks, participant: &str, text: &str) {
    let Some(api) = &hooks.x_dm else {
        tracing::error!("an X direct message could not be sent: the API is not set up");
        return;
    };
    if let Err(e) = api.send(participant, text).await {
        tracing::error!(error = %e, "an X direct message could not be sent");
    }
}
