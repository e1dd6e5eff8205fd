//! The messaging channels of the guided dialogue: a national SMS gateway's inbound webhook
//! (`/hooks/sms`), WhatsApp Business through the Cloud API (`/hooks/whatsapp`), a Facebook
//! Page (`/hooks/facebook`: Messenger and the Page's comments) and an X account
//! (`/hooks/x`: direct messages and mentions). Each checks its provider's signature over the
//! exact bytes received before it reads them, turns a message into the dialogue's `Input`,
//! and answers with the dialogue's reply; a public post becomes a case, or joins the case it
//! names (`social.rs`). An adapter without its secret (`Settings::hooks`) is off: its hook
//! answers 404.

mod facebook;
pub mod signature;
mod sms;
mod social;
mod whatsapp;
mod x;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tawasul_app::conversations::ConversationsError;
use tawasul_app::{App, CasesError, Failure};
use tawasul_channels_dialogue::{Dialogue, DialogueError, Input};
use tawasul_notify::{MessengerApi, XDmApi};

pub use facebook::read as read_facebook;
pub use sms::read as read_sms;
pub use social::Post;
pub use whatsapp::read as read_whatsapp;
pub use whatsapp::{MAX_BUTTONS, MAX_LIST_ROWS};
pub use x::read as read_x;

/// One message for the dialogue, as a hook read it from its provider's body.
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    /// The sender's id at the provider (a WhatsApp number, a Page-scoped id, an X user id).
    pub sender: String,
    pub input: Input,
    /// The provider's id of the message, when it gives one.
    pub message_id: Option<String>,
}

/// What a webhook's body holds, read whole before anything is acted on, so that a malformed
/// event changes nothing. The `read_*` functions are what the hooks call once the signature
/// holds; they are public for the fuzz targets (`fuzz/`), and refuse with the reason the
/// provider is told (400).
#[derive(Debug, Default)]
pub struct Read {
    pub messages: Vec<Said>,
    /// Public posts (a Page comment, an X mention).
    pub posts: Vec<Post>,
}

#[derive(Clone)]
struct Hooks {
    app: App,
    dialogue: Dialogue,
    http: reqwest::Client,
    /// The providers' APIs replies go out through (shared with notifications, `tawasul_notify`).
    messenger: Option<Arc<MessengerApi>>,
    x_dm: Option<Arc<XDmApi>>,
}

pub fn router<S: Clone + Send + Sync + 'static>(app: App) -> Router<S> {
    let settings = &app.settings.hooks;
    let messenger = settings.facebook.as_ref().and_then(|f| {
        MessengerApi::new(&f.api_base, &f.page_token)
            .inspect_err(|e| tracing::error!(error = %e, "Facebook replies are off"))
            .ok()
    });
    let x_dm = settings.x.as_ref().and_then(|x| {
        XDmApi::new(&x.api_base, &x.bearer_token)
            .inspect_err(|e| tracing::error!(error = %e, "X replies are off"))
            .ok()
    });
    let hooks = Hooks {
        dialogue: Dialogue::new(app.clone()),
        messenger: messenger.map(Arc::new),
        x_dm: x_dm.map(Arc::new),
        app,
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client"),
    };
    Router::new()
        .route("/hooks/sms", post(sms::receive))
        .route("/hooks/whatsapp", post(whatsapp::receive).get(whatsapp::verify))
        .route("/hooks/facebook", post(facebook::receive).get(facebook::verify))
        .route("/hooks/x", post(x::receive).get(x::challenge))
        .with_state(hooks)
}

/// Why a webhook was refused, as the provider is told.
#[derive(Debug)]
enum Refused {
    /// The adapter is off (no secret configured).
    Off,
    /// The signature is missing or wrong.
    Signature,
    /// The body is not what the provider sends.
    Malformed(String),
    /// Too many messages from one resident.
    Flood(u64),
    /// Our side failed; the provider should deliver it again later.
    Failed(String),
}

impl From<DialogueError> for Refused {
    fn from(e: DialogueError) -> Self {
        match e {
            DialogueError::Conversation(ConversationsError::Common(Failure::TooManyRequests(t)))
            | DialogueError::Failure(Failure::TooManyRequests(t)) => Refused::Flood(t.retry_after_secs),
            other => Refused::Failed(other.to_string()),
        }
    }
}

impl From<ConversationsError> for Refused {
    fn from(e: ConversationsError) -> Self {
        DialogueError::Conversation(e).into()
    }
}

impl From<CasesError> for Refused {
    fn from(e: CasesError) -> Self {
        DialogueError::Cases(e).into()
    }
}

/// Meta's subscription handshake (WhatsApp and Facebook alike): the challenge echoed back when
/// the verify token is the one configured; the hook is off without settings.
fn meta_handshake(
    verify_token: Option<&str>,
    query: &std::collections::HashMap<String, String>,
) -> Result<Response, Refused> {
    let expected = verify_token.ok_or(Refused::Off)?;
    let subscribe = query.get("hub.mode").is_some_and(|m| m == "subscribe");
    let token = query.get("hub.verify_token").map(String::as_str);
    match (subscribe, token, query.get("hub.challenge")) {
        (true, Some(token), Some(challenge)) if token == expected && challenge.len() <= 200 => {
            Ok((StatusCode::OK, challenge.clone()).into_response())
        }
        _ => Ok((StatusCode::FORBIDDEN, "the verify token does not match").into_response()),
    }
}

/// A file a provider serves, read up to the attachment limit.
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let limit = tawasul_domain::attachment::MAX_ATTACHMENT_BYTES;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > limit {
            return Err("the media is larger than an attachment may be".into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Off => (StatusCode::NOT_FOUND, "not found").into_response(),
            Refused::Signature => {
                tracing::warn!("a webhook with a missing or wrong signature was refused");
                (StatusCode::UNAUTHORIZED, "the signature is missing or wrong").into_response()
            }
            Refused::Malformed(why) => (StatusCode::BAD_REQUEST, why).into_response(),
            Refused::Flood(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                [(axum::http::header::RETRY_AFTER, secs.to_string())],
                "too many messages",
            )
                .into_response(),
            Refused::Failed(why) => {
                tracing::error!(error = why, "a webhook could not be answered");
                (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response()
            }
        }
    }
}
