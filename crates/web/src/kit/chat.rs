//! What both sides of a live chat share: the lines as JSON, the waits of long-polling and
//! WebSocket for the next ones, and typing indicators. A node wakes its own waiters the moment
//! a line is written here, by any channel (the app's `ChatHub`); lines written on another node
//! are found by re-reading every `RECHECK`, so two nodes serve one chat without anything but
//! the database between them.

use crate::error::WebResult;
use axum::extract::ws::{Message, WebSocket};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tawasul_app::conversations::ChatView;
use tawasul_app::conversations::MAX_CHAT_MESSAGE;
use tawasul_app::rows::LineRow;
use tawasul_channels_dialogue::{Choice, Stage, State};
use tokio::sync::broadcast;

/// How long a long-poll waits for a new line before answering with none.
pub const LONG_POLL: Duration = Duration::from_secs(20);
/// How often a waiter re-reads the database (lines written by another node).
pub const RECHECK: Duration = Duration::from_secs(2);

pub use tawasul_app::conversations::hub::{ChatHub, Event, Side};

/// The app's hub (`App::chat_hub`): a turn saved by any channel wakes the pages waiting here.
pub type Hub = Arc<ChatHub>;

/// A line as the pages' script shows it.
#[derive(Debug, Serialize)]
pub struct LineJson {
    pub id: i64,
    pub direction: String,
    pub body: String,
}

/// Where a chat stands, as both pages show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The guided dialogue answers.
    Bot,
    /// Waiting in the queue for a person.
    Waiting,
    /// An agent has it.
    Agent,
    Ended,
}

/// What a page's script receives: new lines, the current choices, where the chat stands.
#[derive(Debug, Serialize)]
pub struct Update {
    pub lines: Vec<LineJson>,
    pub choices: Vec<Choice>,
    pub status: Status,
    pub may_rate: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typing: Option<Side>,
}

/// The status as the pages' script reads it.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Bot => "bot",
        Status::Waiting => "waiting",
        Status::Agent => "agent",
        Status::Ended => "ended",
    }
}

pub fn status(view: &ChatView) -> Status {
    let conversation = &view.conversation;
    if conversation.ended {
        Status::Ended
    } else if conversation.agent_id.is_some() {
        Status::Agent
    } else if conversation.waiting_since.is_some() {
        Status::Waiting
    } else {
        Status::Bot
    }
}

/// The dialogue's choices where it still answers; none once a person has the chat.
pub fn choices(view: &ChatView) -> Vec<Choice> {
    let state: State = serde_json::from_str(&view.conversation.state).unwrap_or_default();
    match (status(view), state.stage) {
        (Status::Bot, stage) if stage != Stage::Over => state.choices,
        _ => vec![],
    }
}

pub fn update(view: &ChatView) -> Update {
    Update {
        lines: lines(&view.lines),
        choices: choices(view),
        status: status(view),
        may_rate: view.may_rate,
        typing: None,
    }
}

pub fn lines(rows: &[LineRow]) -> Vec<LineJson> {
    rows.iter()
        .map(|l| LineJson {
            id: l.id,
            direction: l.direction.clone(),
            body: l.body.clone(),
        })
        .collect()
}

/// Waits until something happens to `conversation` on this node, or `RECHECK` passes.
pub async fn wait(receiver: &mut broadcast::Receiver<Event>) -> Option<Event> {
    match tokio::time::timeout(RECHECK, receiver.recv()).await {
        Ok(Ok(event)) => Some(event),
        _ => None,
    }
}

/// Sends `update` as JSON over the socket; false when it is closed.
pub async fn send(socket: &mut WebSocket, update: &Update) -> bool {
    let Ok(text) = serde_json::to_string(update) else {
        return false;
    };
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// One side of a chat, as the long-poll and the socket serve it: how it reads the chat (its
/// lines after a given one; `None` when there is none) and what its messages do.
pub trait Party: Send + Sync {
    /// Who this side is (the other side's typing is what it is shown).
    const SIDE: Side;
    fn read(&self, after: i64) -> impl Future<Output = WebResult<Option<ChatView>>> + Send;
    /// Takes a message from this side; an error ends the socket.
    fn say(&self, body: &str) -> impl Future<Output = WebResult<()>> + Send;
}

/// Long-polling, where a WebSocket cannot be opened: the chat's lines after `after` as soon
/// as there are any or its status changes, else after `LONG_POLL` with none. `None` when
/// there is no chat.
pub async fn long_poll(hub: &ChatHub, party: &impl Party, after: i64) -> WebResult<Option<Update>> {
    let Some(mut view) = party.read(after).await? else {
        return Ok(None);
    };
    let mut receiver = hub.subscribe(view.conversation.id);
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    let seen = status(&view);
    while view.lines.is_empty() && status(&view) == seen && tokio::time::Instant::now() < deadline {
        wait(&mut receiver).await;
        match party.read(after).await? {
            Some(next) => view = next,
            None => break,
        }
    }
    Ok(Some(update(&view)))
}

/// The chat over a WebSocket: this side's messages and typing in, the chat's new lines, status
/// and the other side's typing out, until either end closes. A new chat of the same visitor
/// (the last one over) is followed.
pub async fn serve<P: Party>(hub: Hub, party: P, mut socket: WebSocket) {
    let Ok(Some(mut view)) = party.read(0).await else {
        return;
    };
    let mut after = view.lines.last().map_or(0, |l| l.id);
    let mut receiver = hub.subscribe(view.conversation.id);
    let mut current = status(&view);
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let Some(Ok(frame)) = frame else { return };
                let Message::Text(text) = frame else { continue };
                match read_frame(&text) {
                    Some(Incoming::Message { body }) => {
                        if let Err(e) = party.say(&body).await {
                            tracing::warn!(error = %e, "a chat message was not taken");
                            return;
                        }
                    }
                    Some(Incoming::Typing) => hub.publish(view.conversation.id, Event::Typing(P::SIDE)),
                    None => return,
                }
            }
            event = wait(&mut receiver) => {
                if event == Some(Event::Typing(P::SIDE.other())) {
                    let typing = Update { lines: vec![], choices: vec![], status: current, may_rate: false, typing: Some(P::SIDE.other()) };
                    if !send(&mut socket, &typing).await { return }
                    continue;
                }
            }
        }
        let Ok(Some(next)) = party.read(after).await else {
            return;
        };
        if next.conversation.id != view.conversation.id {
            receiver = hub.subscribe(next.conversation.id);
        }
        view = next;
        if !view.lines.is_empty() || status(&view) != current {
            after = view.lines.last().map_or(after, |l| l.id);
            current = status(&view);
            if !send(&mut socket, &update(&view)).await {
                return;
            }
        }
    }
}

/// The query of a long-poll: the last line the page has.
#[derive(Debug, serde::Deserialize)]
pub struct After {
    #[serde(default)]
    pub after: i64,
}

/// What a page's script sends over the socket.
#[derive(Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Incoming {
    Message { body: String },
    Typing,
}

/// A text frame from either side's page: a message of at most `MAX_CHAT_MESSAGE` characters,
/// or typing; `None` (the socket is closed) for anything else. Public for the fuzz targets.
pub fn read_frame(text: &str) -> Option<Incoming> {
    match serde_json::from_str::<Incoming>(text).ok()? {
        Incoming::Message { body } if body.chars().count() > MAX_CHAT_MESSAGE => None,
        incoming => Some(incoming),
    }
}

/// The most a WebSocket frame from a page may hold.
pub const MAX_FRAME: usize = 8 * 1024;
