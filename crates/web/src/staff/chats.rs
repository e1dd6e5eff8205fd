//! The live chat, staff side: the queue of chats waiting for a person, and a chat as its
//! agent works it — the history, the answer box with typing shown both ways, a case made of
//! the chat, and its end (after which the resident rates the agent). Plain forms without
//! JavaScript; a WebSocket, or long-polling, with it.

use crate::context::Ctx;
use crate::error::WebResult;
use crate::kit::chat::{self, After, Event, Party, Side, Status, MAX_FRAME};
use crate::kit::{CheckedForm, NoFields, SignedIn};
use crate::pages::{redirect, refused, render};
use crate::resident::chat::same_origin;
use crate::WebState;
use askama::Template;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tawasul_app::conversations::{ChatEntry, ChatView};
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::rows::ServiceRow;
use tawasul_app::InputRefused;
use tawasul_domain::intake::IntakeDraft;

#[derive(Template)]
#[template(path = "staff_chats.html")]
pub struct QueuePage {
    ctx: Ctx,
    user: StaffUser,
    chats: Vec<ChatEntry>,
}

impl QueuePage {
    fn mine(&self, entry: &ChatEntry) -> bool {
        entry.conversation.agent_id == Some(self.user.id)
    }

    fn waiting_since(&self, entry: &ChatEntry) -> String {
        let at = entry
            .conversation
            .waiting_since
            .unwrap_or(entry.conversation.updated_at);
        tawasul_domain::from_micros(at).to_rfc3339()
    }
}

pub async fn queue(State(state): State<WebState>, ctx: Ctx, SignedIn(user): SignedIn) -> WebResult {
    let chats = state.app.chat_queue(&user).await?;
    render(&QueuePage { ctx, user, chats })
}

pub async fn pick(
    State(state): State<WebState>,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    CheckedForm(_): CheckedForm<NoFields>,
) -> WebResult {
    state.app.pick_up_chat(&user, id).await?;
    state.chats.publish(id, Event::Line);
    redirect(&format!("/staff/chats/{id}"))
}

#[derive(Template)]
#[template(path = "staff_chat.html")]
pub struct ChatPage {
    ctx: Ctx,
    user: StaffUser,
    id: i64,
    lines: Vec<chat::LineJson>,
    after: i64,
    status: Status,
    mine: bool,
    services: Vec<ServiceRow>,
    kinds: Vec<&'static str>,
    /// What the resident wrote, to start the case's description from.
    description: String,
    reference: Option<String>,
    /// Why the case was not made, beside its form.
    case_error: Option<String>,
}

impl ChatPage {
    fn over(&self) -> bool {
        self.status == Status::Ended
    }

    fn status_name(&self) -> &'static str {
        chat::status_name(self.status)
    }

    fn service_name<'a>(&self, service: &'a ServiceRow) -> &'a str {
        if self.ctx.lang() == "ar" {
            &service.name_ar
        } else {
            &service.name_en
        }
    }
}

pub async fn chat(State(state): State<WebState>, ctx: Ctx, SignedIn(user): SignedIn, Path(id): Path<i64>) -> WebResult {
    render(&chat_page(&state, ctx, user, id, None).await?)
}

async fn chat_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    id: i64,
    case_error: Option<String>,
) -> WebResult<ChatPage> {
    let view = state.app.chat_for_agent(&user, id, 0).await?;
    let services = state.app.services().await?;
    let description = view
        .lines
        .iter()
        .filter(|l| l.direction == "in" && l.body.chars().count() > 3)
        .map(|l| l.body.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let reference = match view.conversation.case_id {
        Some(_) => view
            .lines
            .iter()
            .rev()
            .find(|l| l.direction == "agent" && l.body.starts_with("TW-"))
            .map(|l| l.body.clone()),
        None => None,
    };
    Ok(ChatPage {
        id,
        lines: chat::lines(&view.lines),
        after: view.lines.last().map_or(0, |l| l.id),
        status: chat::status(&view),
        mine: view.conversation.agent_id == Some(user.id),
        services,
        kinds: vec!["complaint", "suggestion", "inquiry", "report", "compliment"],
        description,
        reference,
        case_error,
        ctx,
        user,
    })
}

#[derive(Deserialize)]
pub struct SayForm {
    message: String,
}

pub async fn say(
    State(state): State<WebState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<SayForm>,
) -> WebResult {
    state.app.agent_says(&user, id, &form.message).await?;
    state.chats.publish(id, Event::Line);
    let wants_json = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        let view = state.app.chat_for_agent(&user, id, 0).await?;
        return Ok(Json(chat::update(&view)).into_response());
    }
    redirect(&format!("/staff/chats/{id}#chat-end"))
}

#[derive(Deserialize)]
pub struct CaseForm {
    service: String,
    kind: String,
    description: String,
}

pub async fn case(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<CaseForm>,
) -> WebResult {
    let draft = IntakeDraft {
        service: form.service,
        kind: form.kind,
        description: form.description,
        answers: None,
        location: None,
        address: None,
        reporter: None,
        language: None,
        channel: None,
    };
    match state.app.case_from_chat(&user, id, draft).await {
        Ok(_) => {}
        Err(e) => match e.into_invalid() {
            Ok(invalid) => return refused(&chat_page(&state, ctx, user, id, Some(invalid.message)).await?),
            Err(e) => return Err(e.into()),
        },
    }
    state.chats.publish(id, Event::Line);
    redirect(&format!("/staff/chats/{id}#chat-end"))
}

pub async fn end(
    State(state): State<WebState>,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    CheckedForm(_): CheckedForm<NoFields>,
) -> WebResult {
    state.app.end_chat(&user, id).await?;
    state.chats.publish(id, Event::Line);
    redirect("/staff/chats")
}

/// The agent's side of a chat.
struct Agent {
    state: WebState,
    user: StaffUser,
    id: i64,
}

impl Party for Agent {
    const SIDE: Side = Side::Agent;

    async fn read(&self, after: i64) -> WebResult<Option<ChatView>> {
        Ok(Some(self.state.app.chat_for_agent(&self.user, self.id, after).await?))
    }

    async fn say(&self, body: &str) -> WebResult<()> {
        self.state.app.agent_says(&self.user, self.id, body).await?;
        self.state.chats.publish(self.id, Event::Line);
        Ok(())
    }
}

/// Long-polling for the agent's page (see `chat::long_poll`).
pub async fn poll(
    State(state): State<WebState>,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    Query(after): Query<After>,
) -> WebResult {
    let hub = state.chats.clone();
    let update = chat::long_poll(&hub, &Agent { state, user, id }, after.after).await?;
    Ok(Json(update).into_response())
}

pub async fn socket(
    State(state): State<WebState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return crate::error::WebError::Forbidden("a chat is opened from this site's own page".into()).into_response();
    }
    // Refused before the upgrade when this user may not open the chat.
    if let Err(e) = state.app.chat_for_agent(&user, id, i64::MAX).await {
        return crate::error::WebError::from(e).into_response();
    }
    let hub = state.chats.clone();
    upgrade
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| chat::serve(hub, Agent { state, user, id }, socket))
}
