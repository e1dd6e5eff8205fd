//! Messages to people on social media, by the providers' own APIs: Facebook Messenger's Send
//! API (`POST {base}/me/messages?access_token=…`) and X's direct messages (`POST
//! {base}/2/dm_conversations/with/{id}/messages`, a bearer token). The messaging channel's
//! dialogue answers through the same two, and notifications of cases that came by social
//! media go out through [`SocialSender`], which addresses people as the dialogue does: `fb:`
//! and their Page-scoped id, `x:` and their user id; the author of a Page comment that made a
//! case is `fb-comment:` and the comment's id, answered by a private reply to the comment.
//! A public post that made or joined a case is answered in public too, with the case's
//! reference only: [`MessengerApi::reply_to_comment`], [`XDmApi::reply_to_post`].

use std::fmt;

use async_trait::async_trait;
use reqwest::Url;
use serde_json::{json, Value};

use crate::http::{client, http_url, outcome};
use crate::{ConfigError, DeliveryError, Outbound, Transport, DEFAULT_TIMEOUT};

/// A Messenger text message's length.
pub const MESSENGER_MAX_TEXT: usize = 2_000;
/// Quick replies a Messenger message may carry, and their titles' length.
pub const MESSENGER_MAX_QUICK_REPLIES: usize = 13;
pub const MESSENGER_MAX_QUICK_REPLY_TITLE: usize = 20;
/// An X direct message's length.
pub const X_MAX_DM: usize = 10_000;
/// Ids are digits, and short.
const MAX_ID: usize = 32;
/// A comment's id: the post's and the comment's, digits joined by `_`.
const MAX_COMMENT_ID: usize = 100;

/// `text` in pieces of at most `max` characters (never splitting a character).
pub fn chunks(text: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(max.max(1)).map(|c| c.iter().collect()).collect()
}

/// Why a Page writes: in answer to the person (within Messenger's 24-hour window), an update
/// it starts within the window, or a non-recurring update about their account (here: their
/// case) outside it, which Messenger accepts only so tagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessengerPurpose {
    Response,
    Update,
    AccountUpdate,
}

/// Messenger's Send API for one Page.
pub struct MessengerApi {
    client: reqwest::Client,
    url: Url,
    /// The Graph API's base, for comments (`{base}/{comment id}/comments`).
    base: String,
    page_token: String,
}

impl fmt::Debug for MessengerApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessengerApi")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl MessengerApi {
    /// `api_base` is the Graph API's (`https://graph.facebook.com/v21.0`).
    pub fn new(api_base: &str, page_token: &str) -> Result<Self, ConfigError> {
        if page_token.is_empty() {
            return Err(ConfigError::new("Facebook Page token", "is empty"));
        }
        let base = api_base.trim_end_matches('/').to_owned();
        let url = http_url(&format!("{base}/me/messages"), "Facebook API base")?;
        Ok(Self {
            client: client()?,
            url,
            base,
            page_token: page_token.to_owned(),
        })
    }

    /// Sends one message (`{"text": …}` and perhaps quick replies) to `recipient` (`{"id":
    /// psid}`, or `{"comment_id": …}` for a private reply to a comment).
    pub async fn send(
        &self,
        recipient: &Value,
        message: &Value,
        purpose: MessengerPurpose,
    ) -> Result<(), DeliveryError> {
        let mut body = json!({"recipient": recipient, "message": message});
        body["messaging_type"] = match purpose {
            MessengerPurpose::Response => "RESPONSE",
            MessengerPurpose::Update => "UPDATE",
            MessengerPurpose::AccountUpdate => "MESSAGE_TAG",
        }
        .into();
        if purpose == MessengerPurpose::AccountUpdate {
            body["tag"] = "ACCOUNT_UPDATE".into();
        }
        let request = self
            .client
            .post(self.url.clone())
            .query(&[("access_token", &self.page_token)])
            .json(&body)
            .timeout(DEFAULT_TIMEOUT);
        // The URL is never in the error (`outcome` drops it): its query holds the token.
        outcome(request.send().await).await
    }

    /// A public reply under the comment `comment_id` (`POST {base}/{comment id}/comments`):
    /// everyone reads it, so callers say nothing in it but what the comment itself made public.
    pub async fn reply_to_comment(&self, comment_id: &str, text: &str) -> Result<(), DeliveryError> {
        if !usable_comment_id(comment_id) {
            return Err(DeliveryError::Permanent(format!("{comment_id:?} is not a comment id")));
        }
        let request = self
            .client
            .post(format!("{}/{comment_id}/comments", self.base))
            .query(&[("access_token", &self.page_token)])
            .json(&json!({"message": text}))
            .timeout(DEFAULT_TIMEOUT);
        outcome(request.send().await).await
    }

    /// `text` to the person `psid`, in as many messages as it takes.
    pub async fn send_text(&self, psid: &str, text: &str, purpose: MessengerPurpose) -> Result<(), DeliveryError> {
        self.send_question(psid, text, &[], purpose).await
    }

    /// [`MessengerApi::send_text`] with `choices` as quick replies on its last piece, each
    /// answering its number (1…).
    pub async fn send_question(
        &self,
        psid: &str,
        text: &str,
        choices: &[String],
        purpose: MessengerPurpose,
    ) -> Result<(), DeliveryError> {
        let recipient = json!({"id": psid});
        let pieces: Vec<String> = chunks(text, MESSENGER_MAX_TEXT)
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .collect();
        let last = pieces.len().saturating_sub(1);
        for (i, piece) in pieces.iter().enumerate() {
            let mut message = json!({"text": piece});
            if i == last && !choices.is_empty() {
                message["quick_replies"] = quick_replies(choices);
            }
            self.send(&recipient, &message, purpose).await?;
        }
        Ok(())
    }
}

/// X's direct-message API for one account.
pub struct XDmApi {
    client: reqwest::Client,
    base: String,
    bearer_token: String,
}

impl fmt::Debug for XDmApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XDmApi")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl XDmApi {
    /// `api_base` is X's (`https://api.x.com`).
    pub fn new(api_base: &str, bearer_token: &str) -> Result<Self, ConfigError> {
        if bearer_token.is_empty() {
            return Err(ConfigError::new("X bearer token", "is empty"));
        }
        let base = api_base.trim_end_matches('/').to_owned();
        http_url(&base, "X API base")?;
        Ok(Self {
            client: client()?,
            base,
            bearer_token: bearer_token.to_owned(),
        })
    }

    /// A public reply to the post `post_id` (`POST {base}/2/tweets`): everyone reads it, so
    /// callers say nothing in it but what the post itself made public.
    pub async fn reply_to_post(&self, post_id: &str, text: &str) -> Result<(), DeliveryError> {
        if !usable_id(post_id) {
            return Err(DeliveryError::Permanent(format!("{post_id:?} is not a post id")));
        }
        let request = self
            .client
            .post(format!("{}/2/tweets", self.base))
            .bearer_auth(&self.bearer_token)
            .json(&json!({"text": text, "reply": {"in_reply_to_tweet_id": post_id}}))
            .timeout(DEFAULT_TIMEOUT);
        outcome(request.send().await).await
    }

    /// `text` to the user `participant`, in pieces X takes.
    pub async fn send(&self, participant: &str, text: &str) -> Result<(), DeliveryError> {
        if !usable_id(participant) {
            return Err(DeliveryError::Permanent(format!("{participant:?} is not an X user id")));
        }
        let url = format!("{}/2/dm_conversations/with/{participant}/messages", self.base);
        for piece in chunks(text, X_MAX_DM).iter().filter(|p| !p.trim().is_empty()) {
            let request = self
                .client
                .post(&url)
                .bearer_auth(&self.bearer_token)
                .json(&json!({"text": piece}))
                .timeout(DEFAULT_TIMEOUT);
            outcome(request.send().await).await?;
        }
        Ok(())
    }
}

/// Messenger's quick replies for `choices`, keyed 1… (at most 13, titles of 20 characters).
fn quick_replies(choices: &[String]) -> Value {
    Value::Array(
        choices
            .iter()
            .take(MESSENGER_MAX_QUICK_REPLIES)
            .enumerate()
            .map(|(i, label)| {
                let title: String = label.chars().take(MESSENGER_MAX_QUICK_REPLY_TITLE).collect();
                json!({"content_type": "text", "title": title, "payload": (i + 1).to_string()})
            })
            .collect(),
    )
}

/// `text` with `choices` under it, numbered 1…, for a channel without buttons (X's direct
/// messages in API v2 carry no quick replies; an SMS none at all).
fn numbered(text: &str, choices: &[String]) -> String {
    let mut out = text.to_owned();
    for (i, label) in choices.iter().enumerate() {
        out.push_str(&format!("\n{}. {label}", i + 1));
    }
    out
}

fn usable_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_digit())
}

fn usable_comment_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_COMMENT_ID
        && id
            .split('_')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// Notifications to people on social media: `fb:` recipients by Messenger, `fb-comment:` ones
/// by a private reply to their comment, `x:` recipients by direct message. A network without
/// its API here is off, and its recipients refused.
#[derive(Debug, Default)]
pub struct SocialSender {
    pub facebook: Option<MessengerApi>,
    pub x: Option<XDmApi>,
}

/// The networks of the social channel, by the prefix of their recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// A person on Messenger (`fb:` and their Page-scoped id).
    Facebook,
    /// The author of a comment on the Page (`fb-comment:` and the comment's id), reached by a
    /// private reply to the comment (Meta allows one, within 7 days of the comment).
    FacebookComment,
    X,
}

impl Network {
    /// The network and the id of `fb:…`, `fb-comment:…` or `x:…`; `None` for anything else.
    pub fn of(recipient: &str) -> Option<(Self, &str)> {
        let (network, id) = if let Some(id) = recipient.strip_prefix("fb:") {
            (Self::Facebook, id)
        } else if let Some(id) = recipient.strip_prefix("fb-comment:") {
            return usable_comment_id(id).then_some((Self::FacebookComment, id));
        } else if let Some(id) = recipient.strip_prefix("x:") {
            (Self::X, id)
        } else {
            return None;
        };
        usable_id(id).then_some((network, id))
    }

    /// Whether the network is Facebook's (its adapter's settings serve both kinds).
    pub fn is_facebook(self) -> bool {
        matches!(self, Self::Facebook | Self::FacebookComment)
    }
}

#[async_trait]
impl Transport for SocialSender {
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let text = &message.rendered.body;
        match Network::of(&message.recipient) {
            Some((Network::Facebook, psid)) => {
                let api = self.facebook.as_ref().ok_or_else(|| off("Facebook"))?;
                // Inside the window a Page may write as it likes; outside it, only tagged.
                let purpose = if message.in_session {
                    MessengerPurpose::Update
                } else {
                    MessengerPurpose::AccountUpdate
                };
                api.send_question(psid, text, &message.rendered.choices, purpose).await
            }
            Some((Network::FacebookComment, comment_id)) => {
                let api = self.facebook.as_ref().ok_or_else(|| off("Facebook"))?;
                // A private reply is one message: a longer text is cut, never sent as two.
                let piece = chunks(text, MESSENGER_MAX_TEXT).into_iter().next().unwrap_or_default();
                let recipient = json!({"comment_id": comment_id});
                api.send(&recipient, &json!({"text": piece}), MessengerPurpose::Response)
                    .await
            }
            Some((Network::X, id)) => {
                let text = numbered(text, &message.rendered.choices);
                self.x.as_ref().ok_or_else(|| off("X"))?.send(id, &text).await
            }
            None => Err(DeliveryError::Permanent(format!(
                "{:?} is not a social media address (fb:…, fb-comment:… or x:…)",
                message.recipient
            ))),
        }
    }
}

fn off(network: &str) -> DeliveryError {
    DeliveryError::Permanent(format!("the {network} adapter is off on this node"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_read_by_their_network() {
        assert_eq!(Network::of("fb:1234"), Some((Network::Facebook, "1234")));
        assert_eq!(Network::of("x:99"), Some((Network::X, "99")));
        assert_eq!(
            Network::of("fb-comment:244444444_555555555"),
            Some((Network::FacebookComment, "244444444_555555555"))
        );
        assert_eq!(Network::of("fb-comment:1_/../me"), None);
        assert_eq!(Network::of("fb-comment:_1"), None);
        assert_eq!(Network::of("x:"), None);
        assert_eq!(Network::of("x:12/../me"), None);
        assert_eq!(Network::of("+97333000000"), None);
    }

    #[test]
    fn text_is_cut_by_characters() {
        assert_eq!(chunks("أبجد", 3), vec!["أبج".to_owned(), "د".to_owned()]);
    }
}
