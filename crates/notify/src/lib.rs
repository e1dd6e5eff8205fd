//! Tawasul's notifications: the texts of outbox messages in each language (Fluent), their
//! delivery by e-mail, SMS gateway or webhook, and the retry and quiet-hours policy around it.
//! The job runner that reads the outbox is built on this crate; nothing here touches the store.

mod calls;
mod delivery;
mod http;
mod policy;
mod smtp;
mod social;
mod templates;
mod whatsapp;

pub use calls::{CallApiSettings, CallPlacer, CallRequest};
pub use delivery::{ConfigError, DeliveryError, Outbound, Transport, DEFAULT_TIMEOUT};
pub use http::{
    signature_header, verify_signature, SmsGateway, SmsSettings, WebhookSender, WebhookSettings, SIGNATURE_HEADER,
};
pub use policy::{backoff, QuietHours, MAX_ATTEMPTS};
pub use smtp::{html_of, SmtpSecurity, SmtpSender, SmtpSettings};
pub use social::{
    chunks, MessengerApi, MessengerPurpose, Network, SocialSender, XDmApi, MESSENGER_MAX_QUICK_REPLIES,
    MESSENGER_MAX_QUICK_REPLY_TITLE, MESSENGER_MAX_TEXT, X_MAX_DM,
};
pub use templates::{Rendered, TemplateError, Templates};
pub use whatsapp::{WhatsappCloudSettings, WhatsappSender};
