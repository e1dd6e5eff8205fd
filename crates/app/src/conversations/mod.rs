//! Conversations: the guided dialogues of the phone line, SMS, WhatsApp, chat and social
//! media, kept so that a restart or a second node continues each one where it was. The
//! dialogue engine (`tawasul-channels-dialogue`) owns what a state means; here it is stored,
//! saved turn by turn with optimistic versions, and each provider message is taken once.

use crate::cases::work::Access;
use crate::error::{embeds_failure, Failure};
use crate::identity::auth::Caller;
use crate::identity::authz::Permission;
use crate::App;
use std::time::Duration;
use tawasul_domain::vocab::Channel;
use tawasul_store::{ConversationRow, ConversationSave, ConversationStart, StoreError, TranscriptLine};

/// Why a turn of a conversation was not saved.
#[derive(Debug, thiserror::Error)]
pub enum ConversationsError {
    #[error(transparent)]
    Common(#[from] Failure),
    /// Another turn of the conversation was saved since this one was read (two messages at
    /// once, perhaps on two nodes): read it again and answer from there.
    #[error("the conversation moved on meanwhile")]
    Moved,
    /// The provider delivered this message before, and it was answered then.
    #[error("this message was received already")]
    Replayed,
}

pub type ConversationsResult<T> = Result<T, ConversationsError>;

embeds_failure!(ConversationsError);

impl From<StoreError> for ConversationsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => ConversationsError::Moved,
            StoreError::Duplicate(what) if what == "inbound message" => ConversationsError::Replayed,
            other => ConversationsError::Common(other.into()),
        }
    }
}

/// How long a conversation waits for the resident's next message before it is over.
pub const IDLE_CONVERSATION: Duration = Duration::from_secs(30 * 60);

/// A stored conversation: the engine's state with the version it was read at.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: i64,
    pub channel: Channel,
    pub address: String,
    pub state: String,
    pub version: i64,
    pub language: Option<String>,
    pub case_id: Option<i64>,
    pub started_at: i64,
    pub updated_at: i64,
}

impl TryFrom<ConversationRow> for Conversation {
    type Error = Failure;
    fn try_from(row: ConversationRow) -> Result<Self, Failure> {
        Ok(Self {
            id: row.id,
            channel: Channel::parse(&row.channel).map_err(|e| Failure::Unexpected(anyhow::anyhow!(e.message)))?,
            address: row.address,
            state: row.state,
            version: row.version,
            language: row.language,
            case_id: row.case_id,
            started_at: row.started_at,
            updated_at: row.updated_at,
        })
    }
}

/// A conversation that made a case, as its staff page shows it.
#[derive(Debug, Clone)]
pub struct CaseTranscript {
    pub channel: String,
    /// RFC 3339, as the case's other instants are shown.
    pub started_at: String,
    pub lines: Vec<TranscriptLine>,
}

/// What one turn changed: the new state, the lines said both ways, and how it ended, if it did.
#[derive(Debug, Clone, Default)]
pub struct TurnRecord {
    pub state: String,
    pub language: Option<String>,
    pub case_id: Option<i64>,
    pub heard: Option<String>,
    pub said: Vec<String>,
    pub ended: Option<String>,
    /// The provider's id of the message answered, so that a redelivery is not answered twice.
    pub message_id: Option<String>,
}

impl App {
    /// The resident's open conversation on `channel`, or a new one starting from `initial`.
    /// One idle for longer than [`IDLE_CONVERSATION`] is ended (`timed_out`) and a new one begun.
    pub async fn conversation(
        &self,
        channel: Channel,
        address: &str,
        initial: &str,
    ) -> ConversationsResult<Conversation> {
        let now = self.now_micros();
        let idle = i64::try_from(IDLE_CONVERSATION.as_micros()).unwrap_or(i64::MAX);
        for _ in 0..3 {
            if let Some(row) = self.store.open_conversation(channel.as_str(), address).await? {
                if row.updated_at >= now - idle {
                    return Ok(row.try_into()?);
                }
                let timed_out = ConversationSave {
                    id: row.id,
                    expected_version: row.version,
                    state: row.state,
                    language: row.language,
                    case_id: None,
                    at: now,
                    ended: Some("timed_out".into()),
                    transcript: vec![],
                    inbound: None,
                };
                match self.store.save_conversation(timed_out).await {
                    Ok(_) | Err(StoreError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            let start = ConversationStart {
                channel: channel.as_str().to_owned(),
                address: address.to_owned(),
                state: initial.to_owned(),
                at: now,
            };
            match self.store.start_conversation(start).await {
                Ok(row) => return Ok(row.try_into()?),
                // Another node started it meanwhile: read theirs.
                Err(StoreError::Duplicate(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ConversationsError::Moved)
    }

    /// Saves a turn computed from `conversation`; `Moved` if another turn was saved since,
    /// `Replayed` if its message was answered before. Either way nothing is written.
    pub async fn save_turn(&self, conversation: &Conversation, turn: TurnRecord) -> ConversationsResult<i64> {
        let at = self.now_micros();
        let transcript = turn
            .heard
            .into_iter()
            .map(|body| ("in", body))
            .chain(turn.said.into_iter().map(|body| ("out", body)))
            .filter(|(_, body)| !body.trim().is_empty())
            .map(|(direction, body)| TranscriptLine {
                at,
                direction: direction.into(),
                body,
            })
            .collect();
        let save = ConversationSave {
            id: conversation.id,
            expected_version: conversation.version,
            state: turn.state,
            language: turn.language,
            case_id: turn.case_id,
            at,
            ended: turn.ended,
            transcript,
            inbound: turn.message_id.map(|id| (conversation.channel.as_str().to_owned(), id)),
        };
        Ok(self.store.save_conversation(save).await?)
    }

    /// Counts a message from `address` on `channel` against `messages_per_conversation`:
    /// past it the message is refused (429) before it is read.
    pub fn admit_message(&self, channel: Channel, address: &str) -> ConversationsResult<()> {
        let rate = self.limits().messages_per_conversation;
        Ok(self.admit(
            &format!("conversation:{}:{address}", channel.as_str()),
            rate,
            "messages in this conversation",
        )?)
    }

    /// Whether the provider's message `message_id` on `channel` was answered already.
    pub async fn message_answered(&self, channel: Channel, message_id: &str) -> ConversationsResult<bool> {
        Ok(self.store.inbound_seen(channel.as_str(), message_id).await?)
    }

    /// Marks the provider's message `message_id` on `channel` as taken, for a message answered
    /// outside a conversation (a public post made a case); false when it was taken already.
    pub async fn take_message(&self, channel: Channel, message_id: &str) -> ConversationsResult<bool> {
        Ok(self
            .store
            .take_inbound(channel.as_str(), message_id, self.now_micros())
            .await?)
    }

    /// The case's id for a reference a conversation just created, to link the two.
    pub async fn case_id_of(&self, reference: &str) -> ConversationsResult<i64> {
        Ok(self.case_row(reference).await?.id)
    }

    /// The conversations that made a case, with what was said both ways, for the staff of
    /// its entity who may see the reporter's details (the resident's own words may name them);
    /// anyone else gets none.
    pub async fn case_transcripts(&self, caller: &Caller, reference: &str) -> ConversationsResult<Vec<CaseTranscript>> {
        let case = self.case_for(caller, reference).await?;
        let user = match self.read_access(caller, &case).await? {
            Access::Staff(user) => user,
            Access::Follower(_) | Access::Reporter => return Ok(vec![]),
        };
        if !user.may(Permission::ViewReporter, Some(case.entity_id)) {
            return Ok(vec![]);
        }
        let mut transcripts = vec![];
        for conversation in self.store.conversations_of_case(case.id).await? {
            let lines = self.store.transcript(conversation.id).await?;
            transcripts.push(CaseTranscript {
                channel: conversation.channel,
                started_at: tawasul_domain::from_micros(conversation.started_at).to_rfc3339(),
                lines,
            });
        }
        Ok(transcripts)
    }

    /// A conversation's transcript, in order.
    pub async fn transcript(&self, conversation_id: i64) -> ConversationsResult<Vec<TranscriptLine>> {
        Ok(self.store.transcript(conversation_id).await?)
    }
}
