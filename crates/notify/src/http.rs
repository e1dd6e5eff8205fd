//! SMS through an HTTP gateway, and signed webhooks.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Response, Url};
use sha2::Sha256;

use crate::{ConfigError, DeliveryError, Outbound, Transport, DEFAULT_TIMEOUT};

/// The header that carries a webhook's signature.
pub const SIGNATURE_HEADER: &str = "X-Tawasul-Signature";

#[derive(Clone)]
pub struct SmsSettings {
    pub url: String,
    /// POST, GET or PUT.
    pub method: String,
    /// With `{to}`, `{text}` and `{id}`, e.g. `{"to":"{to}","text":"{text}","ref":"{id}"}` or
    /// `to={to}&text={text}`; for GET, the query string.
    pub body_template: String,
    /// JSON (`application/json`, `…+json`) escapes values for a JSON string; anything else
    /// URL-encodes them, as `application/x-www-form-urlencoded` needs.
    pub content_type: String,
    /// Extra headers, e.g. `Authorization`.
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsSettings")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("body_template", &self.body_template)
            .field("content_type", &self.content_type)
            .field(
                "headers",
                &self.headers.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[derive(Clone, Copy)]
enum Escaping {
    Json,
    Url,
}

pub struct SmsGateway {
    client: reqwest::Client,
    method: Method,
    url: Url,
    body_template: String,
    escaping: Escaping,
    content_type: Option<HeaderValue>,
    headers: HeaderMap,
    timeout: Duration,
}

impl SmsGateway {
    pub fn new(settings: SmsSettings) -> Result<Self, ConfigError> {
        let method = match settings.method.to_ascii_uppercase().as_str() {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "GET" => Method::GET,
            other => {
                return Err(ConfigError::new(
                    "SMS method",
                    format!("{other:?} is not POST, GET or PUT"),
                ))
            }
        };
        for placeholder in ["{to}", "{text}"] {
            if !settings.body_template.contains(placeholder) {
                return Err(ConfigError::new(
                    "SMS body template",
                    format!("{placeholder} is missing"),
                ));
            }
        }
        let content_type = if method == Method::GET {
            None
        } else {
            Some(HeaderValue::from_str(&settings.content_type).map_err(|e| ConfigError::new("SMS content type", e))?)
        };
        let escaping = match method {
            Method::GET => Escaping::Url,
            _ if settings.content_type.to_ascii_lowercase().contains("json") => Escaping::Json,
            _ => Escaping::Url,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| ConfigError::new("SMS header name", e))?;
            let mut value = HeaderValue::from_str(value).map_err(|e| ConfigError::new("SMS header value", e))?;
            value.set_sensitive(true);
            headers.append(name, value);
        }
        Ok(Self {
            client: client()?,
            method,
            url: http_url(&settings.url, "SMS gateway URL")?,
            body_template: settings.body_template,
            escaping,
            content_type,
            headers,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// How long a request may take, connection included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait]
impl Transport for SmsGateway {
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let id = message.id.to_string();
        // An SMS has no subject.
        let values = [
            ("{to}", message.recipient.as_str()),
            ("{text}", message.rendered.body.as_str()),
            ("{id}", &id),
        ];
        let filled = fill(&self.body_template, &values, self.escaping);
        let mut request = if self.method == Method::GET {
            let mut url = self.url.clone();
            let query = match url.query() {
                Some(existing) if !existing.is_empty() => format!("{existing}&{filled}"),
                _ => filled,
            };
            url.set_query(Some(&query));
            self.client.get(url)
        } else {
            self.client.request(self.method.clone(), self.url.clone()).body(filled)
        };
        if let Some(content_type) = &self.content_type {
            request = request.header(CONTENT_TYPE, content_type.clone());
        }
        outcome(request.headers(self.headers.clone()).timeout(self.timeout).send().await).await
    }
}

/// Puts each value in place of its placeholder, escaped, in one pass: a value is never read
/// again, so text that holds `{to}` or quotes cannot rewrite the request.
fn fill(template: &str, values: &[(&str, &str)], escaping: Escaping) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len() * 2).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match values.iter().find(|(placeholder, _)| tail.starts_with(placeholder)) {
            Some((placeholder, value)) => {
                match escaping {
                    Escaping::Json => {
                        let quoted = serde_json::Value::from(*value).to_string();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                    Escaping::Url => out.extend(form_urlencoded::byte_serialize(value.as_bytes())),
                }
                rest = &tail[placeholder.len()..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Clone)]
pub struct WebhookSettings {
    pub url: String,
    /// The HMAC-SHA256 key shared with the receiver.
    pub secret: String,
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &self.url)
            .field("secret", &"…")
            .finish()
    }
}

/// POSTs each message as JSON, signed (see [`verify_signature`]).
pub struct WebhookSender {
    client: reqwest::Client,
    url: Url,
    secret: String,
    timeout: Duration,
}

impl WebhookSender {
    pub fn new(settings: WebhookSettings) -> Result<Self, ConfigError> {
        if settings.secret.is_empty() {
            return Err(ConfigError::new("webhook secret", "it is empty"));
        }
        Ok(Self {
            client: client()?,
            url: http_url(&settings.url, "webhook URL")?,
            secret: settings.secret,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// How long a request may take, connection included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[derive(serde::Serialize)]
struct WebhookBody<'a> {
    id: i64,
    channel: &'a str,
    recipient: &'a str,
    template: &'a str,
    language: &'a str,
    subject: &'a str,
    body: &'a str,
}

#[async_trait]
impl Transport for WebhookSender {
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(&WebhookBody {
            id: message.id,
            channel: &message.channel,
            recipient: &message.recipient,
            template: &message.template,
            language: &message.rendered.language,
            subject: &message.rendered.subject,
            body: &message.rendered.body,
        })
        .map_err(|e| DeliveryError::Permanent(format!("cannot encode the webhook body: {e}")))?;
        let signature = signature_header(&self.secret, chrono::Utc::now().timestamp(), &body);
        let request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", format!("notification-{}", message.id))
            .header(SIGNATURE_HEADER, signature)
            .timeout(self.timeout)
            .body(body);
        outcome(request.send().await).await
    }
}

/// `t={timestamp},v1={hex HMAC-SHA256(secret, "{timestamp}.{body}")}`: the value of
/// [`SIGNATURE_HEADER`]. Signing the time with the body lets a receiver refuse a replay.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// For receivers: whether `header` signs `body` with `secret`, at most `tolerance_secs` away from
/// `now_unix`. Several `v1=` are accepted (while a secret is being changed); the comparison takes
/// constant time.
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now_unix: i64, tolerance_secs: u64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v1)) => signatures.extend(hex::decode(v1).ok()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else { return false };
    if timestamp.abs_diff(now_unix) > tolerance_secs {
        return false;
    }
    signatures
        .iter()
        .any(|signature| mac(secret, timestamp, body).verify_slice(signature).is_ok())
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

pub(crate) fn client() -> Result<reqwest::Client, ConfigError> {
    // A redirect would turn a POST into a GET without its body: the URL must be the final one.
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ConfigError::new("HTTP client", e))
}

pub(crate) fn http_url(url: &str, setting: &'static str) -> Result<Url, ConfigError> {
    let parsed = Url::parse(url).map_err(|e| ConfigError::new(setting, e))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(ConfigError::new(setting, format!("{other}: is not http or https"))),
    }
}

/// 2xx delivered; 408, 429, 5xx and no answer at all are retried; any other status refuses the
/// message for good.
pub(crate) async fn outcome(result: Result<Response, reqwest::Error>) -> Result<(), DeliveryError> {
    outcome_of(result).await.map(|_| ())
}

/// [`outcome`], keeping a successful response to read.
pub(crate) async fn outcome_of(result: Result<Response, reqwest::Error>) -> Result<Response, DeliveryError> {
    // Without the URL: a GET gateway's URL holds the phone number and the text.
    let response = result.map_err(|e| DeliveryError::Transient(describe(&e.without_url())))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    Err(DeliveryError::Refused {
        status: status.as_u16(),
        detail: excerpt(response).await,
    })
}

/// The start of an error response, to say what the receiver objected to.
async fn excerpt(mut response: Response) -> String {
    const LIMIT: usize = 300;
    let mut bytes = Vec::new();
    while bytes.len() < LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(LIMIT)]).into_owned();
    text.trim().to_owned()
}

/// An error with its causes: reqwest's own message alone says only "error sending request".
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_once_and_escaped() {
        let values = [("{to}", "+973 3{id}"), ("{text}", "say \"hi\"\n{to}"), ("{id}", "7")];
        assert_eq!(
            fill(
                r#"{"to":"{to}","text":"{text}","ref":"{id}","x":"{other}"}"#,
                &values,
                Escaping::Json
            ),
            r#"{"to":"+973 3{id}","text":"say \"hi\"\n{to}","ref":"7","x":"{other}"}"#
        );
        assert_eq!(
            fill("to={to}&text={text}", &values, Escaping::Url),
            "to=%2B973+3%7Bid%7D&text=say+%22hi%22%0A%7Bto%7D"
        );
    }

    #[test]
    fn a_signature_verifies_once_and_only_in_time() {
        let header = signature_header("s3cret", 1_700_000_000, b"{}");
        assert!(verify_signature("s3cret", &header, b"{}", 1_700_000_100, 300));
        assert!(
            !verify_signature("s3cret", &header, b"{}", 1_700_000_301, 300),
            "too late"
        );
        assert!(
            !verify_signature("other", &header, b"{}", 1_700_000_000, 300),
            "another secret"
        );
        assert!(
            !verify_signature("s3cret", "v1=00", b"{}", 1_700_000_000, 300),
            "no time"
        );
        let rotated = format!("{header},v1={}", "ab".repeat(32));
        assert!(verify_signature("s3cret", &rotated, b"{}", 1_700_000_000, 300));
    }
}
