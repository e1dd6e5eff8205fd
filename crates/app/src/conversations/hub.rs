//! This node's wake-ups of those who wait on a conversation (the live chat's pages, on both
//! sides): every line a conversation's turn writes here wakes them at once, whichever channel
//! it came by (the website's chat, SMS, WhatsApp, Messenger, X); typing is told through it too.
//! Lines written on another node are found by the waiters' own re-reading of the database.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Who is typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Resident,
    Agent,
}

impl Side {
    /// The other side of the chat (whose typing this side is shown).
    pub fn other(self) -> Side {
        match self {
            Side::Resident => Side::Agent,
            Side::Agent => Side::Resident,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A line was written.
    Line,
    Typing(Side),
}

/// This node's wake-ups, by conversation.
#[derive(Debug, Default)]
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
