//! What every channel shares: the message, the outcome, the transport trait.

use std::time::Duration;

use async_trait::async_trait;

use crate::Rendered;

/// How long one delivery attempt may take, connection included, unless a sender is told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One rendered outbox row, ready for its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The outbox row id: it keys the Message-ID and the idempotency key, so that a receiver can
    /// drop a message delivered twice (after a crash between sending and recording it).
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub rendered: Rendered,
    /// E-mail only: the Message-IDs (without angle brackets) of the thread this message
    /// answers, oldest first; the last is its `In-Reply-To`. Empty for a thread's first mail.
    pub references: Vec<String>,
    /// WhatsApp and Messenger: the recipient wrote to us within the last 24 hours (the
    /// customer-service window), so a free-form message may be sent; else only an approved
    /// template (WhatsApp) or a tagged update (Messenger).
    pub in_session: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth retrying later with backoff: network trouble, a busy or failing receiver.
    #[error("transient delivery failure: {0}")]
    Transient(String),
    /// Retrying cannot help: the receiver refused this message. Dead letter.
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
    /// The provider answered with an error status: 408, 429 and 5xx are worth retrying, any
    /// other refuses the message for good.
    #[error("refused with HTTP {status}: {detail}")]
    Refused { status: u16, detail: String },
}

impl DeliveryError {
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Transient(_) => false,
            Self::Permanent(_) => true,
            Self::Refused { status, .. } => !matches!(status, 408 | 429 | 500..),
        }
    }

    /// The provider's error status, when it answered with one (not when it did not answer).
    pub fn refused_status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A setting a sender cannot work with, found when it is built.
#[derive(Debug, thiserror::Error)]
#[error("invalid {setting}: {reason}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, reason: impl ToString) -> Self {
        Self {
            setting,
            reason: reason.to_string(),
        }
    }
}

/// A channel: e-mail, SMS, webhook.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError>;
}
