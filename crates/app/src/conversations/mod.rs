//! Conversations: the guided dialogues of the phone line, SMS, WhatsApp, chat and social
//! media, kept so that a restart or a second node continues each one where it was. The
//! dialogue engine (`tawasul-channels-dialogue`) owns what a state means; here it is stored,
//! saved turn by turn with optimistic versions, and each provider message is taken once.

pub mod hub;

use crate::cases::intake::Intake;
use crate::cases::work::Access;
use crate::error::Outcome;
use crate::error::{embeds_failure, Failure};
use crate::identity::auth::Caller;
use crate::identity::authz::{role_grants, Permission, StaffUser};
use crate::App;
use crate::CasesError;
use std::time::Duration;
use tawasul_domain::intake::IntakeDraft;
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::{Channel, OutboundChannel};
use tawasul_domain::Invalid;
use tawasul_store::{
    AgentRatingInsert, CallRating, ConversationRow, ConversationSave, ConversationStart, LineRow, OutboxInsert,
    StoreError, TranscriptLine,
};

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
    /// Another agent picked the chat up first, or it is over.
    #[error("another agent has this chat, or it is over")]
    Taken,
}

pub type ConversationsResult<T> = Result<T, ConversationsError>;

embeds_failure!(ConversationsError);

impl From<StoreError> for ConversationsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => ConversationsError::Moved,
            StoreError::Duplicate(what) if what == "inbound message" => ConversationsError::Replayed,
            StoreError::Duplicate(what) if what == "agent rating" => ConversationsError::Taken,
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
    pub ended: bool,
    pub end_reason: Option<String>,
    pub waiting_since: Option<i64>,
    pub agent_id: Option<i64>,
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
            ended: row.ended_at.is_some(),
            end_reason: row.end_reason,
            waiting_since: row.waiting_since,
            agent_id: row.agent_id,
        })
    }
}

/// A conversation that made a case, as its staff page shows it.
#[derive(Debug, Clone)]
pub struct CaseTranscript {
    pub channel: String,
    /// RFC 3339, as the case's other instants are shown.
    pub started_at: String,
    pub lines: Vec<LineRow>,
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
    /// The turn handed the conversation to a person: it waits in the staff's chat queue.
    pub waits_for_person: bool,
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
                    waits_for_person: false,
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
            waits_for_person: turn.waits_for_person,
        };
        let saved = self.store.save_conversation(save).await?;
        // Whoever waits on the conversation here (an agent's page) reads the new lines now.
        self.chat_hub.publish(conversation.id, hub::Event::Line);
        Ok(saved)
    }

    /// This node's wake-ups of those who wait on a conversation (`hub.rs`).
    pub fn chat_hub(&self) -> &std::sync::Arc<hub::ChatHub> {
        &self.chat_hub
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
            let lines = self.store.transcript(conversation.id, 0, MAX_TRANSCRIPT).await?;
            transcripts.push(CaseTranscript {
                channel: conversation.channel,
                started_at: tawasul_domain::from_micros(conversation.started_at).to_rfc3339(),
                lines,
            });
        }
        if !transcripts.is_empty() {
            self.audit_view(
                &user,
                "view_transcript",
                &format!("case:{}", case.reference),
                serde_json::json!({ "conversations": transcripts.len() }),
            )
            .await;
        }
        Ok(transcripts)
    }
}

/// Why a conversation an agent ended is over.
const SERVED: &str = "served";
/// How long a resident's answer to the rating question is taken as one.
pub const RATING_OPEN: Duration = Duration::from_secs(24 * 3600);

/// The provider-message marker taken when conversation `id`'s resident is asked to rate its
/// agent: the question went (it is not sent outside WhatsApp's window).
fn rating_marker(id: i64) -> String {
    format!("rating-ask/{id}")
}

/// The most lines a transcript shows; a conversation is over long before.
pub const MAX_TRANSCRIPT: i64 = 2_000;
/// The most characters an agent's message may have.
pub const MAX_CHAT_MESSAGE: usize = 2_000;
const CHAT_QUEUE_LENGTH: i64 = 200;

/// A chat in the staff console's queue.
#[derive(Debug, Clone)]
pub struct ChatEntry {
    pub conversation: Conversation,
    /// The resident's last words, to choose by.
    pub last_line: Option<String>,
}

/// What a chat shows either side: its lines after the last one seen, and where it stands.
#[derive(Debug, Clone)]
pub struct ChatView {
    pub conversation: Conversation,
    pub lines: Vec<LineRow>,
    /// Whether the resident may still rate the agent (served by one, over, not rated yet).
    pub may_rate: bool,
}

impl App {
    fn require_chats(&self, user: &StaffUser) -> Outcome<()> {
        if role_grants(user.role, Permission::AnswerChats) {
            Ok(())
        } else {
            Err(Failure::Forbidden(
                "only the contact centre's agents answer chats".into(),
            ))
        }
    }

    /// A conversation an agent may answer: the website's chat, or one on SMS, WhatsApp or
    /// social media handed to a person (the phone line puts its calls through instead).
    async fn chat(&self, id: i64) -> Outcome<Conversation> {
        self.store
            .conversation(id)
            .await?
            .filter(|c| c.channel != Channel::Phone.as_str())
            .ok_or(Failure::NotFound("chat"))?
            .try_into()
    }

    /// Adds what an agent says to a conversation; on a provider's channel it also goes to the
    /// resident there, through that channel's adapter (the notifications' transport: the SMS
    /// gateway, WhatsApp's messages API, Messenger or X). `None` when the conversation is over.
    async fn agent_line(&self, user: &StaffUser, conversation: &Conversation, body: String) -> Outcome<Option<i64>> {
        let at = self.now_micros();
        let outbound = match conversation.channel {
            Channel::Sms => Some(OutboundChannel::Sms),
            Channel::Whatsapp => Some(OutboundChannel::Whatsapp),
            Channel::Social => Some(OutboundChannel::Social),
            _ => None,
        };
        let message = outbound.map(|channel| OutboxInsert {
            channel: channel.as_str().to_owned(),
            recipient: conversation.address.clone(),
            template: "chat_reply".into(),
            language: conversation.language.clone().unwrap_or_else(|| "ar".into()),
            payload: serde_json::json!({ "message": body }).to_string(),
            secret: None,
            created_at: at,
        });
        let line = TranscriptLine {
            at,
            direction: "agent".into(),
            body,
        };
        Ok(match message {
            Some(message) => {
                self.store
                    .add_line_sent(conversation.id, line, user.id, message)
                    .await?
            }
            None => self.store.add_line(conversation.id, line, Some(user.id)).await?,
        })
    }

    /// The chats waiting for a person, longest first, then those agents have.
    pub async fn chat_queue(&self, user: &StaffUser) -> ConversationsResult<Vec<ChatEntry>> {
        self.require_chats(user)?;
        let mut entries = vec![];
        for row in self.store.chat_queue(CHAT_QUEUE_LENGTH).await? {
            entries.push(ChatEntry {
                conversation: row.conversation.try_into()?,
                last_line: row.last_line,
            });
        }
        Ok(entries)
    }

    /// Takes a waiting chat; `Taken` when another agent was first or it is over.
    pub async fn pick_up_chat(&self, user: &StaffUser, id: i64) -> ConversationsResult<()> {
        self.require_chats(user)?;
        self.chat(id).await?;
        if !self.store.pick_up(id, user.id, self.now_micros()).await? {
            return Err(ConversationsError::Taken);
        }
        let line = TranscriptLine {
            at: self.now_micros(),
            direction: "agent".into(),
            body: format!("{} ✓", user.display_name),
        };
        self.store.add_line(id, line, Some(user.id)).await?;
        Ok(())
    }

    /// A chat as its agent sees it: lines after `after`.
    pub async fn chat_for_agent(&self, user: &StaffUser, id: i64, after: i64) -> ConversationsResult<ChatView> {
        self.require_chats(user)?;
        let conversation = self.chat(id).await?;
        let lines = self.store.transcript(id, after, MAX_TRANSCRIPT).await?;
        Ok(ChatView {
            conversation,
            lines,
            may_rate: false,
        })
    }

    /// What the agent who has the chat says to the resident; the line's id.
    pub async fn agent_says(&self, user: &StaffUser, id: i64, body: &str) -> ConversationsResult<i64> {
        self.require_chats(user)?;
        let conversation = self.chat(id).await?;
        if conversation.agent_id != Some(user.id) {
            return Err(Failure::Forbidden("pick the chat up before answering it".into()).into());
        }
        let body = CaseText::parse(body, "message", MAX_CHAT_MESSAGE)?;
        self.agent_line(user, &conversation, body.into_string())
            .await?
            .ok_or(ConversationsError::Taken)
    }

    /// Ends the chat its agent has; the resident is then asked to rate them: on the website's
    /// chat by its page, on SMS, WhatsApp and social media by a message on that channel
    /// ([`App::rating_due`] knows their answer when it comes).
    pub async fn end_chat(&self, user: &StaffUser, id: i64) -> ConversationsResult<()> {
        self.require_chats(user)?;
        let conversation = self.chat(id).await?;
        if conversation.agent_id != Some(user.id) && !user.may(Permission::Supervise, user.entity_id) {
            return Err(Failure::Forbidden("only the agent who has the chat ends it".into()).into());
        }
        let ask = self.rating_question(&conversation).await?;
        self.store
            .end_served(id, self.now_micros(), SERVED, ask.map(|m| (rating_marker(id), m)))
            .await?;
        Ok(())
    }

    /// The message that asks the resident of a served conversation on SMS, WhatsApp or social
    /// media to rate its agent, in their language; none on the other channels, when no agent
    /// served it, or on WhatsApp outside the customer-service window (only approved templates
    /// may go there, and a rating question is not one).
    async fn rating_question(&self, conversation: &Conversation) -> ConversationsResult<Option<OutboxInsert>> {
        let outbound = match conversation.channel {
            Channel::Sms => OutboundChannel::Sms,
            Channel::Whatsapp => OutboundChannel::Whatsapp,
            Channel::Social => OutboundChannel::Social,
            _ => return Ok(None),
        };
        if conversation.agent_id.is_none() {
            return Ok(None);
        }
        if conversation.channel == Channel::Whatsapp {
            let window = crate::jobs::micros(crate::jobs::CUSTOMER_SERVICE_WINDOW);
            let heard = self
                .store
                .last_heard(conversation.channel.as_str(), &conversation.address)
                .await?;
            if heard.is_none_or(|at| at <= self.now_micros() - window) {
                tracing::info!(
                    conversation = conversation.id,
                    "outside WhatsApp's window: no rating question"
                );
                return Ok(None);
            }
        }
        Ok(Some(OutboxInsert {
            channel: outbound.as_str().to_owned(),
            recipient: conversation.address.clone(),
            template: "agent_rating".into(),
            language: conversation.language.clone().unwrap_or_else(|| "ar".into()),
            payload: "{}".into(),
            secret: None,
            created_at: self.now_micros(),
        }))
    }

    /// The conversation whose agent the resident on `channel` at `address` was asked to rate
    /// and has not yet: their newest, ended by its agent within [`RATING_OPEN`]. Their next
    /// message answers the question; once they have rated, or begun anything else, it is over.
    pub async fn rating_due(&self, channel: Channel, address: &str) -> ConversationsResult<Option<Conversation>> {
        let Some(row) = self.store.latest_conversation(channel.as_str(), address).await? else {
            return Ok(None);
        };
        let open_since = self.now_micros() - crate::jobs::micros(RATING_OPEN);
        let due = row.agent_id.is_some()
            && row.end_reason.as_deref() == Some(SERVED)
            && row.ended_at.is_some_and(|at| at > open_since);
        if !due
            || !self
                .store
                .inbound_seen(channel.as_str(), &rating_marker(row.id))
                .await?
            || self.store.agent_rating(row.id).await?.is_some()
        {
            return Ok(None);
        }
        Ok(Some(row.try_into()?))
    }

    /// Makes a case of the chat its agent has, through the one intake, and tells the resident
    /// its reference in the chat. A second call makes no second case.
    pub async fn case_from_chat(
        &self,
        user: &StaffUser,
        id: i64,
        mut draft: IntakeDraft,
    ) -> ConversationsResult<String> {
        self.require_chats(user)?;
        let conversation = self.chat(id).await?;
        if conversation.agent_id != Some(user.id) {
            return Err(Failure::Forbidden("pick the chat up before making a case of it".into()).into());
        }
        draft.channel = Some(conversation.channel);
        draft.language = draft.language.or(conversation.language.clone());
        let intake = Intake {
            draft,
            files: vec![],
            idempotency_key: Some(format!("chat-{id}-case")),
        };
        let receipt = self.submit(intake).await.map_err(|e| match e {
            CasesError::Common(failure) => ConversationsError::Common(failure),
            other => ConversationsError::Common(Failure::Unexpected(anyhow::anyhow!(other.to_string()))),
        })?;
        let case = self.case_row(&receipt.reference).await?;
        self.store.link_case(id, case.id).await?;
        if !receipt.replayed {
            self.agent_line(user, &conversation, receipt.reference.clone()).await?;
        }
        Ok(receipt.reference)
    }

    /// The resident's chat (`address` is their chat session's), lines after `after`.
    pub async fn chat_for_resident(&self, address: &str, after: i64) -> ConversationsResult<Option<ChatView>> {
        let rows = self
            .store
            .conversations_of_address(Channel::Chat.as_str(), address)
            .await?;
        let Some(row) = rows.into_iter().last() else {
            return Ok(None);
        };
        let conversation: Conversation = row.try_into()?;
        let lines = self.store.transcript(conversation.id, after, MAX_TRANSCRIPT).await?;
        let may_rate = conversation.ended
            && conversation.agent_id.is_some()
            && self.store.agent_rating(conversation.id).await?.is_none();
        Ok(Some(ChatView {
            conversation,
            lines,
            may_rate,
        }))
    }

    /// The resident rates the agent who served their chat and the answer, 1–5 each, once.
    pub async fn rate_agent(&self, address: &str, id: i64, agent: i64, answer: i64) -> ConversationsResult<()> {
        let conversation = self.chat(id).await?;
        if conversation.address != address {
            return Err(Failure::NotFound("chat").into());
        }
        let Some(staff_id) = conversation.agent_id else {
            return Err(Failure::Invalid(Invalid::new("no_agent", "rating", "no agent served this chat")).into());
        };
        for (score, field) in [(agent, "agent"), (answer, "answer")] {
            if !(1..=5).contains(&score) {
                return Err(Failure::Invalid(Invalid::new("out_of_range", field, "a rating is 1 to 5")).into());
            }
        }
        self.store
            .rate_agent(AgentRatingInsert {
                conversation_id: id,
                staff_id,
                case_id: conversation.case_id,
                agent_score: agent,
                answer_score: answer,
                at: self.now_micros(),
            })
            .await?;
        Ok(())
    }
}

/// A caller's rating, by keys, of the agent who served their call and of the answer.
#[derive(Debug, Clone)]
pub struct CallRatingRequest {
    /// The provider's id of the call, so that a redelivered webhook rates once.
    pub call_sid: String,
    /// The caller's number (or `call:SID` when it was withheld).
    pub address: String,
    pub language: String,
    /// The case the call was about, when there was one (a call-back's).
    pub reference: Option<String>,
    /// The agent, by the staff username the agents' exchange reported.
    pub agent_username: String,
    pub agent: i64,
    pub answer: i64,
}

impl App {
    /// Whether `username` is an active staff member, so the caller is asked to rate them.
    pub async fn agent_known(&self, username: &str) -> ConversationsResult<bool> {
        Ok(self.store.staff_by_username(username).await?.is_some_and(|s| s.active))
    }

    /// Stores a phone caller's rating with the chat ratings (`agent_ratings`, per agent and
    /// case), as a conversation of the phone line served by that agent: the KPIs' agent
    /// figures count both alike. `Replayed` when this call was rated before.
    pub async fn rate_call_agent(&self, request: CallRatingRequest) -> ConversationsResult<()> {
        for (score, field) in [(request.agent, "agent"), (request.answer, "answer")] {
            if !(1..=5).contains(&score) {
                return Err(Failure::Invalid(Invalid::new("out_of_range", field, "a rating is 1 to 5")).into());
            }
        }
        let staff = self
            .store
            .staff_by_username(&request.agent_username)
            .await?
            .filter(|s| s.active)
            .ok_or(Failure::NotFound("agent"))?;
        let case_id = match &request.reference {
            Some(reference) => Some(self.case_row(reference).await?.id),
            None => None,
        };
        self.store
            .rate_call(CallRating {
                address: request.address,
                language: request.language,
                case_id,
                staff_id: staff.id,
                agent_score: request.agent,
                answer_score: request.answer,
                at: self.now_micros(),
                inbound: (
                    Channel::Phone.as_str().to_owned(),
                    format!("rating/{}", request.call_sid),
                ),
            })
            .await?;
        Ok(())
    }
}
