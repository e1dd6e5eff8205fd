//! Notifications by WhatsApp through the Cloud API's messages endpoint. Inside the 24-hour
//! customer-service window (the resident wrote to us within a day) the message goes as it is
//! written; outside it WhatsApp accepts only a pre-approved template, so the configured one is
//! sent with the notification's subject as its one parameter.

use std::fmt;

use async_trait::async_trait;
use reqwest::Url;
use serde_json::json;

use crate::http::{client, http_url, outcome};
use crate::{ConfigError, DeliveryError, Outbound, Transport, DEFAULT_TIMEOUT};

/// WhatsApp's limit on a text message.
const MAX_TEXT: usize = 4_096;
/// An interactive message's body, its list's rows, their titles, and the list's button.
const MAX_INTERACTIVE_BODY: usize = 1_024;
const MAX_LIST_ROWS: usize = 10;
const MAX_ROW_TITLE: usize = 24;
const MAX_LIST_BUTTON: usize = 20;

#[derive(Clone)]
pub struct WhatsappCloudSettings {
    /// The Graph API's base, `https://graph.facebook.com/v21.0`.
    pub api_base: String,
    pub access_token: String,
    /// The business phone number's id that messages are sent from.
    pub phone_number_id: String,
    /// The approved template for messages outside the customer-service window; its body has
    /// one parameter.
    pub template: String,
}

impl fmt::Debug for WhatsappCloudSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsappCloudSettings")
            .field("api_base", &self.api_base)
            .field("phone_number_id", &self.phone_number_id)
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

pub struct WhatsappSender {
    client: reqwest::Client,
    url: Url,
    token: String,
    template: String,
}

impl WhatsappSender {
    pub fn new(settings: WhatsappCloudSettings) -> Result<Self, ConfigError> {
        let base = settings.api_base.trim_end_matches('/');
        let url = http_url(
            &format!("{base}/{}/messages", settings.phone_number_id),
            "WhatsApp API base",
        )?;
        if settings.access_token.is_empty() {
            return Err(ConfigError::new("WhatsApp access token", "is empty"));
        }
        Ok(Self {
            client: client()?,
            url,
            token: settings.access_token,
            template: settings.template,
        })
    }

    /// The messages API's body for `message`.
    pub fn body(&self, message: &Outbound) -> serde_json::Value {
        let to: String = message.recipient.chars().filter(char::is_ascii_digit).collect();
        if message.in_session && !message.rendered.choices.is_empty() {
            // A question with answers to tap: a list (its rows hold more than three buttons),
            // opened by a button that says the subject (short in the message files).
            let text: String = message.rendered.body.chars().take(MAX_INTERACTIVE_BODY).collect();
            let rows: Vec<serde_json::Value> = message
                .rendered
                .choices
                .iter()
                .take(MAX_LIST_ROWS)
                .enumerate()
                .map(|(i, label)| json!({"id": (i + 1).to_string(), "title": label.chars().take(MAX_ROW_TITLE).collect::<String>()}))
                .collect();
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                   "type": "interactive", "interactive": {"type": "list", "body": {"text": text},
                   "action": {"button": message.rendered.subject.chars().take(MAX_LIST_BUTTON).collect::<String>(),
                              "sections": [{"rows": rows}]}}})
        } else if message.in_session {
            let text: String = message.rendered.body.chars().take(MAX_TEXT).collect();
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                   "type": "text", "text": {"body": text}})
        } else {
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "template", "template": {
                "name": self.template,
                "language": {"code": message.rendered.language},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": message.rendered.subject}]}]
            }})
        }
    }
}

#[async_trait]
impl Transport for WhatsappSender {
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let request = self
            .client
            .post(self.url.clone())
            .bearer_auth(&self.token)
            .json(&self.body(message))
            .timeout(DEFAULT_TIMEOUT);
        outcome(request.send().await).await
    }
}
