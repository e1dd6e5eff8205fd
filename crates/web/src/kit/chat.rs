//! What both sides of a live chat share: the lines as JSON, the waits of long-polling and
//! WebSocket for the next ones, and typing indicators. A node wakes its own waiters the moment
//! a line is written here; lines written on another node are found by re-reading every
//! `RECHECK`, so two nodes serve one chat without anything but the database between them.

use axum::extract::ws::{Message, WebSocket};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tawasul_app::conversations::ChatView;
use tawasul_app::rows::LineRow;
use tawasul_channels_dialogue::{Choice, Stage, State};
use tokio::sync::broadcast;

/// How long a long-poll waits for a new line before answering with none.
pub const LONG_POLL: Duration = Duration::from_secs(20);
/// How often a waiter re-reads the database (lines written by another node).
pub const RECHECK: Duration = Duration::from_secs(2);

/// Who is typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Resident,
    Agent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A line was written.
    Line,
    Typing(Side),
}

/// This node's wake-ups, by conversation.
#[derive(Default)]
pub struct ChatHub {
    channels: Mutex<HashMap<i64, broadcast::Sender<Event>>>,
}

impl ChatHub {
    pub fn subscribe(&self, conversation: i64) -> broadcast::Receiver<Event> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        // Forget conversations nobody waits on any more.
        channels.retain(|_, sender| sender.receiver_count() > 0);
        channels
            .entry(conversation)
            .or_insert_with(|| broadcast::channel(64).0)
            .subscribe()
    }

    pub fn publish(&self, conversation: i64, event: Event) {
        let channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = channels.get(&conversation) {
            let _ = sender.send(event);
        }
    }
}

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

/// What a page's script sends over the socket.
#[derive(Debug, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Incoming {
    Message { body: String },
    Typing,
}

/// The most a WebSocket frame from a page may hold.
pub const MAX_FRAME: usize = 8 * 1024;
