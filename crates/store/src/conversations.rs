//! Guided conversations of the dialogue engine (IVR, SMS, WhatsApp, chat, social): the
//! engine's state per resident and channel, what was said both ways, and the provider message
//! ids already taken. The state is opaque here: the engine owns its shape.

use crate::reporters::{Contact, ContactKey};
use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub channel: String,
    pub address: String,
    pub state: String,
    pub version: i64,
    pub language: Option<String>,
    pub case_id: Option<i64>,
    pub started_at: i64,
    pub updated_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    /// Handed to a person and not yet picked up, since then.
    pub waiting_since: Option<i64>,
    /// The agent who picked it up.
    pub agent_id: Option<i64>,
    /// The blind index of the address when it is stored sealed (a reporter key is
    /// configured); the store hands `address` on opened either way.
    pub address_index: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ConversationStart {
    pub channel: String,
    pub address: String,
    pub state: String,
    pub at: i64,
}

/// One line of a transcript to write: `in` from the resident, `out` from the dialogue.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptLine {
    pub at: i64,
    pub direction: String,
    pub body: String,
}

/// One line of a transcript as stored: `in` from the resident, `out` from the dialogue,
/// `agent` from the staff user `staff_id`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LineRow {
    pub id: i64,
    pub at: i64,
    pub direction: String,
    pub body: String,
    pub staff_id: Option<i64>,
}

/// A chat in the queue with the resident's last words.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChatQueueRow {
    #[sqlx(flatten)]
    pub conversation: ConversationRow,
    pub last_line: Option<String>,
}

/// A resident's rating of the agent who served them and of the answer, 1–5 each.
#[derive(Debug, Clone)]
pub struct AgentRatingInsert {
    pub conversation_id: i64,
    pub staff_id: i64,
    pub case_id: Option<i64>,
    pub agent_score: i64,
    pub answer_score: i64,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AgentRatingRow {
    pub conversation_id: i64,
    pub staff_id: i64,
    pub case_id: Option<i64>,
    pub agent_score: i64,
    pub answer_score: i64,
    pub at: i64,
}

/// What one turn of a conversation changed, saved at once.
#[derive(Debug, Clone)]
pub struct ConversationSave {
    pub id: i64,
    /// The version the turn was computed from; a save over another is refused.
    pub expected_version: i64,
    pub state: String,
    pub language: Option<String>,
    pub case_id: Option<i64>,
    pub at: i64,
    /// Set when the conversation is over, with why.
    pub ended: Option<String>,
    pub transcript: Vec<TranscriptLine>,
    /// The provider's id of the message this turn answered, taken once.
    pub inbound: Option<(String, String)>,
    /// The turn handed the conversation to a person: it waits in the chat queue from `at`.
    pub waits_for_person: bool,
}

const CONVERSATION_COLUMNS: &str = "id, channel, address, state, version, language, case_id, \
     started_at, updated_at, ended_at, end_reason, waiting_since, agent_id, address_index";
const CONVERSATION_SELECT: &str = "SELECT id, channel, address, state, version, language, case_id, \
     started_at, updated_at, ended_at, end_reason, waiting_since, agent_id, address_index FROM conversations";
/// A resident's conversations on a channel by address: in the clear, or by its blind index
/// (`ContactKey`, bound as $2 and $3).
const BY_ADDRESS: &str = "channel = $1 AND (address = $2 OR address_index = $3)";

for_both_backends! {
    uses { jobs: insert_outbox; }

    /// The open conversation of `address` on `channel`, if any.
    pub async fn open_conversation(c: &mut Conn, (channel, address): (String, ContactKey)) -> StoreResult<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE {BY_ADDRESS} AND ended_at IS NULL"))
            .bind(channel).bind(address.plain).bind(address.index).fetch_optional(&mut *c).await?)
    }

    pub async fn conversation(c: &mut Conn, id: i64) -> StoreResult<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE id = $1"))
            .bind(id).fetch_optional(&mut *c).await?)
    }

    /// `s` with its address as it is written (sealed with a key) and its blind index.
    pub async fn start_conversation(c: &mut Conn, (s, index): (ConversationStart, Option<String>)) -> StoreResult<ConversationRow> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO conversations (channel, address, state, version, started_at, updated_at, address_index) \
             VALUES ($1, $2, $3, 0, $4, $4, $5) RETURNING {CONVERSATION_COLUMNS}"
        ))
        .bind(s.channel).bind(s.address).bind(s.state).bind(s.at).bind(index)
        .fetch_one(&mut *c).await?)
    }

    pub async fn save_conversation(c: &mut Conn, s: ConversationSave) -> StoreResult<i64> {
        if let Some((channel, message_id)) = &s.inbound {
            sqlx::query("INSERT INTO inbound_messages (channel, message_id, received_at) VALUES ($1, $2, $3)")
                .bind(channel).bind(message_id).bind(s.at)
                .execute(&mut *c).await
                .map_err(|e| StoreError::from(e).unique_as("inbound message"))?;
        }
        let version = s.expected_version + 1;
        let updated = sqlx::query(
            "UPDATE conversations SET state = $1, version = $2, language = $3, case_id = COALESCE($4, case_id), \
             updated_at = $5, ended_at = CASE WHEN $6 IS NULL THEN NULL ELSE $5 END, end_reason = $6, \
             waiting_since = CASE WHEN $9 AND agent_id IS NULL THEN COALESCE(waiting_since, $5) ELSE waiting_since END \
             WHERE id = $7 AND version = $8 AND ended_at IS NULL",
        )
        .bind(s.state).bind(version).bind(s.language).bind(s.case_id).bind(s.at).bind(s.ended)
        .bind(s.id).bind(s.expected_version).bind(s.waits_for_person)
        .execute(&mut *c).await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict("conversation".into()));
        }
        for line in s.transcript {
            sqlx::query("INSERT INTO conversation_messages (conversation_id, at, direction, body) VALUES ($1, $2, $3, $4)")
                .bind(s.id).bind(line.at).bind(line.direction).bind(line.body)
                .execute(&mut *c).await?;
        }
        Ok(version)
    }

    /// When `address` last wrote to us on `channel` (any conversation), if ever.
    pub async fn last_heard(c: &mut Conn, (channel, address): (String, ContactKey)) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(m.at) FROM conversations c JOIN conversation_messages m ON m.conversation_id = c.id \
             WHERE c.channel = $1 AND (c.address = $2 OR c.address_index = $3) AND m.direction = 'in'",
        )
        .bind(channel).bind(address.plain).bind(address.index).fetch_one(&mut *c).await?)
    }

    /// Whether a provider's message was taken already.
    pub async fn inbound_seen(c: &mut Conn, (channel, message_id): (String, String)) -> StoreResult<bool> {
        let seen: Option<String> = sqlx::query_scalar("SELECT message_id FROM inbound_messages WHERE channel = $1 AND message_id = $2")
            .bind(channel).bind(message_id).fetch_optional(&mut *c).await?;
        Ok(seen.is_some())
    }

    /// Takes a provider's message id on its own; false when it was taken already.
    pub async fn take_inbound(c: &mut Conn, (channel, message_id, at): (String, String, i64)) -> StoreResult<bool> {
        let taken = sqlx::query(
            "INSERT INTO inbound_messages (channel, message_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(channel).bind(message_id).bind(at)
        .execute(&mut *c).await?;
        Ok(taken.rows_affected() == 1)
    }

    /// A conversation's lines after line `after` (0: all), in order, at most `limit`.
    pub async fn transcript(c: &mut Conn, (conversation_id, after, limit): (i64, i64, i64)) -> StoreResult<Vec<LineRow>> {
        Ok(sqlx::query_as(
            "SELECT id, at, direction, body, staff_id FROM conversation_messages \
             WHERE conversation_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(conversation_id).bind(after).bind(limit).fetch_all(&mut *c).await?)
    }

    /// The open conversations with a person or waiting for one, the waiting first, longest
    /// first, each with the resident's last words (one query, each read from the lines' index).
    pub async fn chat_queue(c: &mut Conn, limit: i64) -> StoreResult<Vec<ChatQueueRow>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.channel, c.address, c.state, c.version, c.language, c.case_id, c.started_at, \
             c.updated_at, c.ended_at, c.end_reason, c.waiting_since, c.agent_id, c.address_index, \
             (SELECT m.body FROM conversation_messages m WHERE m.conversation_id = c.id AND m.direction = 'in' \
              ORDER BY m.id DESC LIMIT 1) AS last_line \
             FROM conversations c WHERE c.ended_at IS NULL AND (c.waiting_since IS NOT NULL OR c.agent_id IS NOT NULL) \
             ORDER BY CASE WHEN c.agent_id IS NULL THEN 0 ELSE 1 END, COALESCE(c.waiting_since, c.updated_at), c.id LIMIT $1",
        )
        .bind(limit).fetch_all(&mut *c).await?)
    }

    /// Gives a waiting conversation to agent `staff_id`; false when another took it first or
    /// it is over.
    pub async fn pick_up(c: &mut Conn, (id, staff_id, at): (i64, i64, i64)) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE conversations SET agent_id = $2, waiting_since = NULL, updated_at = $3 \
             WHERE id = $1 AND ended_at IS NULL AND agent_id IS NULL AND waiting_since IS NOT NULL",
        )
        .bind(id).bind(staff_id).bind(at).execute(&mut *c).await?.rows_affected() == 1)
    }

    /// Adds a line said outside the dialogue (by an agent, or the system for them) to an open
    /// conversation; `None` when it is over.
    pub async fn add_line(c: &mut Conn, (id, line, staff_id): (i64, TranscriptLine, Option<i64>)) -> StoreResult<Option<i64>> {
        let open = sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1 AND ended_at IS NULL")
            .bind(id).bind(line.at).execute(&mut *c).await?.rows_affected() == 1;
        if !open {
            return Ok(None);
        }
        Ok(Some(sqlx::query_scalar(
            "INSERT INTO conversation_messages (conversation_id, at, direction, body, staff_id) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(id).bind(line.at).bind(line.direction).bind(line.body).bind(staff_id)
        .fetch_one(&mut *c).await?))
    }

    /// [`add_line`] of an agent, with the message that carries it to the resident on the
    /// conversation's own channel (SMS, WhatsApp, social media), in one transaction: what is in
    /// the transcript is sent, once. Nothing is written when the conversation is over.
    pub async fn add_line_sent(c: &mut Conn, (id, line, staff_id, message): (i64, TranscriptLine, i64, crate::OutboxInsert)) -> StoreResult<Option<i64>> {
        let Some(line_id) = add_line(c, (id, line, Some(staff_id))).await? else {
            return Ok(None);
        };
        insert_outbox(c, &message).await?;
        Ok(Some(line_id))
    }

    /// Ends an open conversation with `reason`; false when it was over already.
    pub async fn end_conversation(c: &mut Conn, (id, at, reason): (i64, i64, String)) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE conversations SET ended_at = $2, end_reason = $3, waiting_since = NULL, version = version + 1 \
             WHERE id = $1 AND ended_at IS NULL",
        )
        .bind(id).bind(at).bind(reason).execute(&mut *c).await?.rows_affected() == 1)
    }

    /// [`end_conversation`], and when the resident is to be asked to rate the agent who served
    /// them, the question on its way (`ask`: the message, and the marker taken with it under
    /// the conversation's channel, by which their answer is known as one), in one transaction:
    /// a conversation is asked once, and only if it was open.
    pub async fn end_served(c: &mut Conn, (id, at, reason, ask): (i64, i64, String, Option<(String, crate::OutboxInsert)>)) -> StoreResult<bool> {
        if !end_conversation(c, (id, at, reason)).await? {
            return Ok(false);
        }
        if let Some((marker, message)) = ask {
            let channel: String = sqlx::query_scalar("SELECT channel FROM conversations WHERE id = $1")
                .bind(id).fetch_one(&mut *c).await?;
            take_inbound(c, (channel, marker, at)).await?;
            insert_outbox(c, &message).await?;
        }
        Ok(true)
    }

    /// The newest conversation of `address` on `channel`, open or not.
    pub async fn latest_conversation(c: &mut Conn, (channel, address): (String, ContactKey)) -> StoreResult<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE {BY_ADDRESS} ORDER BY id DESC LIMIT 1"))
            .bind(channel).bind(address.plain).bind(address.index).fetch_optional(&mut *c).await?)
    }

    /// Links a conversation to the case made from it.
    pub async fn link_case(c: &mut Conn, (id, case_id): (i64, i64)) -> StoreResult<()> {
        sqlx::query("UPDATE conversations SET case_id = $2 WHERE id = $1")
            .bind(id).bind(case_id).execute(&mut *c).await?;
        Ok(())
    }

    pub async fn rate_agent(c: &mut Conn, r: AgentRatingInsert) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO agent_ratings (conversation_id, staff_id, case_id, agent_score, answer_score, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.conversation_id).bind(r.staff_id).bind(r.case_id).bind(r.agent_score).bind(r.answer_score).bind(r.at)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn agent_rating(c: &mut Conn, conversation_id: i64) -> StoreResult<Option<AgentRatingRow>> {
        Ok(sqlx::query_as(
            "SELECT conversation_id, staff_id, case_id, agent_score, answer_score, at FROM agent_ratings \
             WHERE conversation_id = $1",
        )
        .bind(conversation_id).fetch_optional(&mut *c).await?)
    }

    /// A resident's conversations on a channel, oldest first.
    pub async fn conversations_of_address(c: &mut Conn, (channel, address): (String, ContactKey)) -> StoreResult<Vec<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE {BY_ADDRESS} ORDER BY id"))
            .bind(channel).bind(address.plain).bind(address.index).fetch_all(&mut *c).await?)
    }

    /// The conversations that made or touched a case, oldest first.
    pub async fn conversations_of_case(c: &mut Conn, case_id: i64) -> StoreResult<Vec<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE case_id = $1 ORDER BY id"))
            .bind(case_id).fetch_all(&mut *c).await?)
    }

    /// Ends the open conversations idle since before `idle_before`, with `reason`.
    pub async fn end_idle_conversations(c: &mut Conn, (idle_before, at, reason): (i64, i64, String)) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE conversations SET ended_at = $1, end_reason = $2, version = version + 1 \
             WHERE ended_at IS NULL AND updated_at < $3",
        )
        .bind(at).bind(reason).bind(idle_before)
        .execute(&mut *c).await?.rows_affected())
    }

    /// Forgets provider message ids received before `before`: providers retry for hours, not weeks.
    pub async fn purge_inbound(c: &mut Conn, before: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM inbound_messages WHERE received_at < $1")
            .bind(before).execute(&mut *c).await?.rows_affected())
    }
}

impl Store {
    pub async fn open_conversation(&self, channel: &str, address: &str) -> StoreResult<Option<ConversationRow>> {
        let row = read_op!(self, open_conversation, (channel.to_owned(), self.contact_key(address)))?;
        row.map(|row| self.open_conversation_row(row)).transpose()
    }

    pub async fn conversation(&self, id: i64) -> StoreResult<Option<ConversationRow>> {
        let row = read_op!(self, conversation, id)?;
        row.map(|row| self.open_conversation_row(row)).transpose()
    }

    /// Starts a conversation; `Duplicate("conversation")` when one is open already for the
    /// address on the channel (another node started it meanwhile).
    pub async fn start_conversation(&self, mut start: ConversationStart) -> StoreResult<ConversationRow> {
        let (address, index) = self.write_contact(Contact::ConversationAddress, start.address);
        start.address = address;
        let row = write_op!(self, start_conversation, (start, index)).map_err(|e| e.unique_as("conversation"))?;
        self.open_conversation_row(row)
    }

    /// The row with its address opened when it is sealed.
    fn open_conversation_row(&self, mut row: ConversationRow) -> StoreResult<ConversationRow> {
        row.address = self.open_contact(
            Contact::ConversationAddress,
            row.id,
            row.address,
            row.address_index.as_deref(),
        )?;
        Ok(row)
    }

    fn open_conversation_rows(&self, rows: Vec<ConversationRow>) -> StoreResult<Vec<ConversationRow>> {
        rows.into_iter().map(|row| self.open_conversation_row(row)).collect()
    }

    /// Saves a turn and returns the new version. `Conflict` when the conversation moved on (or
    /// ended) meanwhile, `Duplicate("inbound message")` when its message was taken already;
    /// either way nothing is written.
    pub async fn save_conversation(&self, save: ConversationSave) -> StoreResult<i64> {
        write_op!(self, save_conversation, save)
    }

    pub async fn last_heard(&self, channel: &str, address: &str) -> StoreResult<Option<i64>> {
        read_op!(self, last_heard, (channel.to_owned(), self.contact_key(address)))
    }

    pub async fn inbound_seen(&self, channel: &str, message_id: &str) -> StoreResult<bool> {
        read_op!(self, inbound_seen, (channel.to_owned(), message_id.to_owned()))
    }

    /// Takes a provider's message id on its own (for what is written elsewhere, a case with
    /// its own retry key); false when it was taken already.
    pub async fn take_inbound(&self, channel: &str, message_id: &str, at: i64) -> StoreResult<bool> {
        write_op!(self, take_inbound, (channel.to_owned(), message_id.to_owned(), at))
    }

    pub async fn transcript(&self, conversation_id: i64, after: i64, limit: i64) -> StoreResult<Vec<LineRow>> {
        read_op!(self, transcript, (conversation_id, after, limit))
    }

    pub async fn chat_queue(&self, limit: i64) -> StoreResult<Vec<ChatQueueRow>> {
        read_op!(self, chat_queue, limit)?
            .into_iter()
            .map(|row| {
                Ok(ChatQueueRow {
                    conversation: self.open_conversation_row(row.conversation)?,
                    last_line: row.last_line,
                })
            })
            .collect()
    }

    pub async fn pick_up(&self, id: i64, staff_id: i64, at: i64) -> StoreResult<bool> {
        write_op!(self, pick_up, (id, staff_id, at))
    }

    pub async fn add_line(&self, id: i64, line: TranscriptLine, staff_id: Option<i64>) -> StoreResult<Option<i64>> {
        write_op!(self, add_line, (id, line, staff_id))
    }

    pub async fn add_line_sent(
        &self,
        id: i64,
        line: TranscriptLine,
        staff_id: i64,
        message: crate::OutboxInsert,
    ) -> StoreResult<Option<i64>> {
        write_op!(self, add_line_sent, (id, line, staff_id, message))
    }

    pub async fn end_conversation(&self, id: i64, at: i64, reason: &str) -> StoreResult<bool> {
        write_op!(self, end_conversation, (id, at, reason.to_owned()))
    }

    /// Ends a served conversation, with the rating question `ask` (its marker, its message);
    /// false, and nothing sent, when it was over already.
    pub async fn end_served(
        &self,
        id: i64,
        at: i64,
        reason: &str,
        ask: Option<(String, crate::OutboxInsert)>,
    ) -> StoreResult<bool> {
        write_op!(self, end_served, (id, at, reason.to_owned(), ask))
    }

    pub async fn latest_conversation(&self, channel: &str, address: &str) -> StoreResult<Option<ConversationRow>> {
        let row = read_op!(
            self,
            latest_conversation,
            (channel.to_owned(), self.contact_key(address))
        )?;
        row.map(|row| self.open_conversation_row(row)).transpose()
    }

    pub async fn link_case(&self, id: i64, case_id: i64) -> StoreResult<()> {
        write_op!(self, link_case, (id, case_id))
    }

    /// `Duplicate("agent rating")` when the conversation was rated already.
    pub async fn rate_agent(&self, rating: AgentRatingInsert) -> StoreResult<()> {
        write_op!(self, rate_agent, rating).map_err(|e| e.unique_as("agent rating"))
    }

    pub async fn agent_rating(&self, conversation_id: i64) -> StoreResult<Option<AgentRatingRow>> {
        read_op!(self, agent_rating, conversation_id)
    }

    pub async fn conversations_of_address(&self, channel: &str, address: &str) -> StoreResult<Vec<ConversationRow>> {
        let rows = read_op!(
            self,
            conversations_of_address,
            (channel.to_owned(), self.contact_key(address))
        )?;
        self.open_conversation_rows(rows)
    }

    pub async fn conversations_of_case(&self, case_id: i64) -> StoreResult<Vec<ConversationRow>> {
        let rows = read_op!(self, conversations_of_case, case_id)?;
        self.open_conversation_rows(rows)
    }

    pub async fn end_idle_conversations(&self, idle_before: i64, at: i64, reason: &str) -> StoreResult<u64> {
        write_op!(self, end_idle_conversations, (idle_before, at, reason.to_owned()))
    }

    pub async fn purge_inbound(&self, before: i64) -> StoreResult<u64> {
        write_op!(self, purge_inbound, before)
    }
}
