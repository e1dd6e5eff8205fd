//! Messages to people on social media, by the providers' own APIs: Facebook Messenger's Send
//! API (`POST {base}/me/messages?access_token=…`) and X's direct messages (`POST
//! {base}/2/dm_conversations/with/{id}/messages`, a bearer token). The messaging channel's
//! dialogue answers through the same two, and notifications of cases that came by social
//! media go out through [`SocialSender`], which addresses people as the dialogue does: `fb:`
//! and their Page-scoped id, `x:` and their user id.

use std::fmt;

use async_trait::async_trait;
use reqwest::Url;
use serde_json::{json, Value};

use crate::http::{client, http_url, outcome};
use crate::{ConfigError, DeliveryError, Outbound, Transport, DEFAULT_TIMEOUT};

/// A Messenger text message's length.
pub const MESSENGER_MAX_TEXT: usize = 2_000;
/// An X direct message's length.
pub const X_MAX_DM: usize = 10_000;
/// Ids are digits, and short.
const MAX_ID: usize = 32;

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
        let url = http_url(
            &format!("{}/me/messages", api_base.trim_end_matches('/')),
            "Facebook API base",
        )?;
        Ok(Self {
            client: client()?,
            url,
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

    /// `text` to the person `psid`, in as many messages as it takes.
    pub async fn send_text(&self, psid: &str, text: &str, purpose: MessengerPurpose) -> Result<(), DeliveryError> {
        let recipient = json!({"id": psid});
        for piece in chunks(text, MESSENGER_MAX_TEXT).iter().filter(|p| !p.trim().is_empty()) {
            self.send(&recipient, &json!({"text": piece}), purpose).await?;
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

fn usable_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_digit())
}

/// Notifications to people on social media: `fb:` recipients by Messenger, `x:` recipients by
/// direct message. A network without its API here is off, and its recipients refused.
#[derive(Debug, Default)]
pub struct SocialSender {
    pub facebook: Option<MessengerApi>,
    pub x: Option<XDmApi>,
}

/// The networks of the social channel, by the prefix of their recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Facebook,
    X,
}

impl Network {
    /// The network and the person's id of `fb:…` or `x:…`; `None` for anything else.
    pub fn of(recipient: &str) -> Option<(Self, &str)> {
        let (network, id) = if let Some(id) = recipient.strip_prefix("fb:") {
            (Self::Facebook, id)
        } else if let Some(id) = recipient.strip_prefix("x:") {
            (Self::X, id)
        } else {
            return None;
        };
        usable_id(id).then_some((network, id))
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
                api.send_text(psid, text, purpose).await
            }
            Some((Network::X, id)) => self.x.as_ref().ok_or_else(|| off("X"))?.send(id, text).await,
            None => Err(DeliveryError::Permanent(format!(
                "{:?} is not a social media address (fb:… or x:…)",
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
        assert_eq!(Network::of("x:"), None);
        assert_eq!(Network::of("x:12/../me"), None);
        assert_eq!(Network::of("+97333000000"), None);
    }

    #[test]
    fn text_is_cut_by_characters() {
        assert_eq!(chunks("أبجد", 3), vec!["أبج".to_owned(), "د".to_owned()]);
    }
}
