//! E-mail through an SMTP relay, over a pool of connections.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Semaphore;

use crate::{ConfigError, DeliveryError, Outbound, Transport, DEFAULT_TIMEOUT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on the same host or a trusted network.
    None,
    /// STARTTLS, required: no message goes out if the relay cannot upgrade (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl FromStr for SmtpSecurity {
    type Err = ConfigError;

    /// "none", "starttls" or "tls".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::Tls),
            other => Err(ConfigError::new(
                "SMTP security",
                format!("{other:?} is not none, starttls or tls"),
            )),
        }
    }
}

#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// "Tawasul <noreply@example.gov>"
    pub from: String,
    /// Connections to the relay, kept open between messages; as many messages go out at once.
    pub pool_size: u32,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// Sends over up to `pool_size` connections at once. lettre 0.11.23 leaves Nagle's algorithm on,
/// so each message waits out the relay's delayed ACK (about 40 ms on Linux) after its body: one
/// connection carries about 22 messages a second, and throughput grows with the pool (lettre
/// PR #1159, merged upstream, sets TCP_NODELAY; a release with it lifts this).
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// lettre's pool only caps the idle connections it keeps: past that it opens one more per
    /// message. This caps the open ones, which relays limit per client.
    connections: Semaphore,
}

impl SmtpSender {
    /// Checks the settings; connects only when the first message goes out.
    pub fn new(settings: &SmtpSettings) -> Result<Self, ConfigError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| ConfigError::new("SMTP from address", e))?;
        let tls = || TlsParameters::new(settings.host.clone()).map_err(|e| ConfigError::new("SMTP TLS", e));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(DEFAULT_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(settings.pool_size.max(1)));
        builder = match settings.security {
            SmtpSecurity::None => builder,
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
        };
        builder = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => builder.credentials(Credentials::new(user.clone(), password.clone())),
            (None, None) => builder,
            _ => {
                return Err(ConfigError::new(
                    "SMTP credentials",
                    "give both the username and the password, or neither",
                ))
            }
        };
        let connections = Semaphore::new(settings.pool_size.max(1) as usize);
        Ok(Self {
            transport: builder.build(),
            from,
            connections,
        })
    }

    fn message(&self, message: &Outbound) -> Result<Message, DeliveryError> {
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| DeliveryError::Permanent(format!("invalid e-mail address {:?}: {e}", message.recipient)))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.rendered.subject.clone())
            .message_id(Some(format!(
                "<{}>",
                tawasul_domain::notification_message_id(message.id)
            )))
            .header(ContentLanguage(message.rendered.language.clone()))
            .header(AutoSubmitted);
        if let Some(answered) = message.references.last() {
            builder = builder.in_reply_to(format!("<{answered}>")).references(
                message
                    .references
                    .iter()
                    .map(|id| format!("<{id}>"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        let html = html_of(&message.rendered.body, &message.rendered.language);
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(message.rendered.body.clone()),
                    )
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
            )
            .map_err(|e| DeliveryError::Permanent(format!("cannot build the e-mail: {e}")))
    }
}

#[async_trait]
impl Transport for SmtpSender {
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let email = self.message(message)?;
        let _connection = self.connections.acquire().await.expect("the semaphore is never closed");
        self.transport.send(email).await.map(|_| ()).map_err(classify)
    }
}

/// The HTML alternative of a text message: the text escaped, its paragraphs and lines kept,
/// its links made links, right to left for Arabic and Urdu.
pub fn html_of(text: &str, language: &str) -> String {
    let rtl = matches!(language.split('-').next().unwrap_or(""), "ar" | "ur" | "fa" | "he");
    let dir = if rtl { "rtl" } else { "ltr" };
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let line = |l: &str| {
        l.split(' ')
            .map(|word| {
                if word.starts_with("https://") || word.starts_with("http://") {
                    let w = escape(word);
                    format!("<a href=\"{w}\" dir=\"ltr\">{w}</a>")
                } else {
                    escape(word)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let paragraphs: Vec<String> = text
        .replace("\r\n", "\n")
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", p.lines().map(line).collect::<Vec<_>>().join("<br>\n")))
        .collect();
    let language = escape(language);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{language}\" dir=\"{dir}\">\n<head><meta charset=\"utf-8\"></head>\n\
         <body dir=\"{dir}\" style=\"font-family: Tahoma, Arial, sans-serif; text-align: {align};\">\n{}\n</body>\n</html>\n",
        paragraphs.join("\n"),
        align = if rtl { "right" } else { "left" },
    )
}

/// 5xx refuses this message for good; 4xx, connection and TLS trouble pass. Authentication
/// refusals are 5xx too, but they are the relay's settings, not the message's: once they are
/// fixed the message goes through, so they are retried rather than dead-lettered.
fn classify(error: lettre::transport::smtp::Error) -> DeliveryError {
    let authentication = error
        .status()
        .is_some_and(|code| matches!(u16::from(code), 530 | 534 | 535 | 538));
    if error.is_permanent() && !authentication {
        DeliveryError::Permanent(error.to_string())
    } else {
        DeliveryError::Transient(error.to_string())
    }
}

/// The language of the text (RFC 3282), for screen readers and filters.
#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): out-of-office replies are not sent back to us.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}
