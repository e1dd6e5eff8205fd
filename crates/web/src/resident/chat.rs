//! The website's live chat, resident side: the guided dialogue answers first (with buttons);
//! asked for a person, the chat waits in the staff console's queue until an agent picks it
//! up; at the end the resident rates the agent and the answer. It works as plain forms
//! without JavaScript; with it, the page talks over a WebSocket, or long-polls when one
//! cannot be opened. The visitor is known by a chat cookie of their own.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Tr;
use crate::kit::chat::{self, After, Party, Side, Status, MAX_FRAME};
use crate::kit::CheckedForm;
use crate::pages::render;
use crate::WebState;
use askama::Template;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use tawasul_app::conversations::{ChatView, MAX_CHAT_MESSAGE};
use tawasul_channels_dialogue::{Answer, Choice, DialogueError, Incoming as Said, Input, Medium};
use tawasul_domain::vocab::Channel;

const CHAT_COOKIE: &str = "tawasul_chat";
/// A chat cookie lasts a day: a chat is over long before.
const CHAT_COOKIE_SECS: i64 = 24 * 3600;

/// The visitor's chat address (`web:` and a digest of their cookie, so that the database
/// holds nothing that would let anyone read the chat), and the cookie to set when it is new.
fn visitor(ctx: &Ctx, headers: &HeaderMap) -> (String, Option<String>) {
    let existing = crate::context::cookie(headers, CHAT_COOKIE)
        .filter(|v| v.len() == 40 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let (secret, new) = match existing {
        Some(secret) => (secret, None),
        None => {
            let secret = tawasul_app::identity::auth::new_secret();
            let cookie = ctx.cookie(CHAT_COOKIE, &secret, CHAT_COOKIE_SECS);
            (secret, Some(cookie))
        }
    };
    let digest = tawasul_domain::secret_digest(&secret);
    (format!("web:{}", &digest[..32]), new)
}

#[derive(Template)]
#[template(path = "chat.html")]
pub struct ChatPage {
    ctx: Ctx,
    lines: Vec<chat::LineJson>,
    choices: Vec<Choice>,
    status: Status,
    may_rate: bool,
    /// The rating form's language: the chat's own (chosen in the dialogue), which may not be
    /// the page's.
    rate: Tr,
    conversation: i64,
    after: i64,
}

pub async fn page(State(state): State<WebState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    let (address, cookie) = visitor(&ctx, &headers);
    let view = state.app.chat_for_resident(&address, 0).await?;
    let page = match &view {
        Some(view) => ChatPage {
            lines: chat::lines(&view.lines),
            choices: chat::choices(view),
            status: chat::status(view),
            may_rate: view.may_rate,
            rate: chat_language(&ctx, view.conversation.language.as_deref()),
            conversation: view.conversation.id,
            after: view.lines.last().map_or(0, |l| l.id),
            ctx,
        },
        None => ChatPage {
            lines: vec![],
            choices: vec![],
            status: Status::Ended,
            may_rate: false,
            rate: ctx.tr.clone(),
            conversation: 0,
            after: 0,
            ctx,
        },
    };
    let mut response = render(&page)?;
    if let Some(cookie) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The chat's language where it chose one that the site offers, else the page's.
fn chat_language(ctx: &Ctx, chosen: Option<&str>) -> Tr {
    match chosen {
        Some(lang) if ctx.languages.iter().any(|(code, _)| code == lang) => Tr {
            catalog: ctx.tr.catalog.clone(),
            lang: lang.to_owned(),
        },
        _ => ctx.tr.clone(),
    }
}

#[derive(Deserialize)]
pub struct SayForm {
    #[serde(default)]
    message: String,
}

/// A message (or a button) from the visitor: to the dialogue, or to the agent who has the chat.
pub async fn say(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<SayForm>,
) -> WebResult {
    let (address, cookie) = visitor(&ctx, &headers);
    if form.message.chars().count() > MAX_CHAT_MESSAGE {
        return Err(WebError::BadRequest(format!(
            "a message may be at most {MAX_CHAT_MESSAGE} characters"
        )));
    }
    respond(&state, &address, &form.message).await?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let mut response = if wants_json {
        let view = state.app.chat_for_resident(&address, 0).await?;
        Json(view.as_ref().map(chat::update)).into_response()
    } else {
        Redirect::to("/chat#chat-end").into_response()
    };
    if let Some(cookie) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Gives the visitor's words to their conversation (saving the turn wakes whoever waits on it).
async fn respond(state: &WebState, address: &str, message: &str) -> WebResult<()> {
    let trimmed = message.trim();
    let input = if trimmed.is_empty() {
        Input::Start
    } else {
        Input::Text(trimmed.to_owned())
    };
    let said = Said {
        channel: Channel::Chat,
        address: address.to_owned(),
        medium: Medium::Buttons,
        input,
        message_id: None,
        fetch: None,
    };
    match state.dialogue.respond(said).await {
        Ok(Answer::Reply(_) | Answer::Replayed) => {}
        Err(DialogueError::Conversation(e)) => return Err(e.into()),
        Err(DialogueError::Cases(e)) => return Err(e.into()),
        Err(DialogueError::Failure(e)) => return Err(e.into()),
    }
    // Saving the turn woke those waiting on the chat on this node (`App::chat_hub`).
    Ok(())
}

/// The visitor's side of their chat.
struct Resident {
    state: WebState,
    address: String,
}

impl Party for Resident {
    const SIDE: Side = Side::Resident;

    async fn read(&self, after: i64) -> WebResult<Option<ChatView>> {
        Ok(self.state.app.chat_for_resident(&self.address, after).await?)
    }

    async fn say(&self, body: &str) -> WebResult<()> {
        respond(&self.state, &self.address, body).await
    }
}

/// Long-polling, where a WebSocket cannot be opened (see `chat::long_poll`).
pub async fn poll(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(after): Query<After>,
) -> WebResult {
    let (address, _) = visitor(&ctx, &headers);
    let hub = state.chats.clone();
    match chat::long_poll(&hub, &Resident { state, address }, after.after).await? {
        Some(update) => Ok(Json(update).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// The chat over a WebSocket: lines and typing both ways as they happen.
pub async fn socket(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return WebError::Forbidden("a chat is opened from this site's own page".into()).into_response();
    }
    let (address, _) = visitor(&ctx, &headers);
    let hub = state.chats.clone();
    upgrade
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| chat::serve(hub, Resident { state, address }, socket))
}

/// A WebSocket is opened from this site's own pages only (a cross-site page could otherwise
/// open one with the visitor's cookies).
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host),
        _ => false,
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    conversation: i64,
    agent: i64,
    answer: i64,
}

/// The visitor rates the agent who served them and the answer.
pub async fn rate(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<RateForm>,
) -> WebResult {
    let (address, _) = visitor(&ctx, &headers);
    state
        .app
        .rate_agent(&address, form.conversation, form.agent, form.answer)
        .await?;
    Ok(Redirect::to("/chat?rated=1").into_response())
}

/// Where the chat stands, for the template.
impl ChatPage {
    fn waiting(&self) -> bool {
        self.status == Status::Waiting
    }

    fn with_agent(&self) -> bool {
        self.status == Status::Agent
    }

    fn over(&self) -> bool {
        self.status == Status::Ended
    }

    fn status_name(&self) -> &'static str {
        chat::status_name(self.status)
    }
}

/// The scores a rating offers, best first.
pub const SCORES: [i64; 5] = [5, 4, 3, 2, 1];
