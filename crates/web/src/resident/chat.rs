//! The website's live chat, resident side: the guided dialogue answers first (with buttons);
//! asked for a person, the chat waits in the staff console's queue until an agent picks it
//! up; at the end the resident rates the agent and the answer. It works as plain forms
//! without JavaScript; with it, the page talks over a WebSocket, or long-polls when one
//! cannot be opened. The visitor is known by a chat cookie of their own.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::kit::chat::{self, Event, Incoming, Side, Status, Update, LONG_POLL, MAX_FRAME};
use crate::kit::CheckedForm;
use crate::pages::render;
use crate::WebState;
use askama::Template;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use tawasul_app::conversations::MAX_CHAT_MESSAGE;
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
            conversation: view.conversation.id,
            after: view.lines.last().map_or(0, |l| l.id),
            ctx,
        },
        None => ChatPage {
            ctx,
            lines: vec![],
            choices: vec![],
            status: Status::Ended,
            may_rate: false,
            conversation: 0,
            after: 0,
        },
    };
    let mut response = render(&page)?;
    if let Some(cookie) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
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

/// Gives the visitor's words to their conversation and wakes whoever waits on it.
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
    if let Some(view) = state.app.chat_for_resident(address, i64::MAX).await? {
        state.chats.publish(view.conversation.id, Event::Line);
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: i64,
}

/// Long-polling, where a WebSocket cannot be opened: the lines after `after`, as soon as
/// there are any (or none after `LONG_POLL`).
pub async fn poll(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(after): Query<After>,
) -> WebResult {
    let (address, _) = visitor(&ctx, &headers);
    let Some(first) = state.app.chat_for_resident(&address, after.after).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let mut receiver = state.chats.subscribe(first.conversation.id);
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    let mut view = first;
    let seen = chat::status(&view);
    while view.lines.is_empty() && chat::status(&view) == seen && tokio::time::Instant::now() < deadline {
        chat::wait(&mut receiver).await;
        match state.app.chat_for_resident(&address, after.after).await? {
            Some(next) => view = next,
            None => break,
        }
    }
    Ok(Json(chat::update(&view)).into_response())
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
    upgrade
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| resident_socket(state, address, socket))
}

async fn resident_socket(state: WebState, address: String, mut socket: WebSocket) {
    let Ok(Some(mut view)) = state.app.chat_for_resident(&address, 0).await else {
        return;
    };
    let mut after = view.lines.last().map_or(0, |l| l.id);
    let mut receiver = state.chats.subscribe(view.conversation.id);
    let mut status = chat::status(&view);
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let Some(Ok(frame)) = frame else { return };
                let Message::Text(text) = frame else { continue };
                match serde_json::from_str::<Incoming>(&text) {
                    Ok(Incoming::Message { body }) if body.chars().count() <= MAX_CHAT_MESSAGE => {
                        if let Err(e) = respond(&state, &address, &body).await {
                            tracing::warn!(error = %e, "a chat message was not taken");
                            return;
                        }
                    }
                    Ok(Incoming::Typing) => state.chats.publish(view.conversation.id, Event::Typing(Side::Resident)),
                    _ => return,
                }
            }
            event = chat::wait(&mut receiver) => {
                if event == Some(Event::Typing(Side::Agent)) {
                    let typing = Update { typing: Some(Side::Agent), ..empty(status) };
                    if !chat::send(&mut socket, &typing).await { return }
                    continue;
                }
            }
        }
        let Ok(Some(next)) = state.app.chat_for_resident(&address, after).await else {
            return;
        };
        if next.conversation.id != view.conversation.id {
            // A new conversation began (the last one was over): follow it.
            receiver = state.chats.subscribe(next.conversation.id);
        }
        view = next;
        if !view.lines.is_empty() || chat::status(&view) != status {
            after = view.lines.last().map_or(after, |l| l.id);
            status = chat::status(&view);
            if !chat::send(&mut socket, &chat::update(&view)).await {
                return;
            }
        }
    }
}

fn empty(status: Status) -> Update {
    Update {
        lines: vec![],
        choices: vec![],
        status,
        may_rate: false,
        typing: None,
    }
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
