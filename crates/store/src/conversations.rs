//! Guided conversations of the dialogue engine (IVR, SMS, WhatsApp, chat, social): the
//! engine's state per resident and channel, what was said both ways, and the provider message
//! ids already taken. The state is opaque here: the engine owns its shape.

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
}

#[derive(Debug, Clone)]
pub struct ConversationStart {
    pub channel: String,
    pub address: String,
    pub state: String,
    pub at: i64,
}

/// One line of a transcript: `in` from the resident, `out` to them.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TranscriptLine {
    pub at: i64,
    pub direction: String,
    pub body: String,
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
}

const CONVERSATION_SELECT: &str = "SELECT id, channel, address, state, version, language, case_id, \
     started_at, updated_at, ended_at, end_reason FROM conversations";

for_both_backends! {
    /// The open conversation of `address` on `channel`, if any.
    pub async fn open_conversation(c: &mut Conn, (channel, address): (String, String)) -> StoreResult<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE channel = $1 AND address = $2 AND ended_at IS NULL"))
            .bind(channel).bind(address).fetch_optional(&mut *c).await?)
    }

    pub async fn conversation(c: &mut Conn, id: i64) -> StoreResult<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE id = $1"))
            .bind(id).fetch_optional(&mut *c).await?)
    }

    pub async fn start_conversation(c: &mut Conn, s: ConversationStart) -> StoreResult<ConversationRow> {
        Ok(sqlx::query_as(
            "INSERT INTO conversations (channel, address, state, version, started_at, updated_at) \
             VALUES ($1, $2, $3, 0, $4, $4) RETURNING id, channel, address, state, version, language, case_id, \
             started_at, updated_at, ended_at, end_reason",
        )
        .bind(s.channel).bind(s.address).bind(s.state).bind(s.at)
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
             updated_at = $5, ended_at = CASE WHEN $6 IS NULL THEN NULL ELSE $5 END, end_reason = $6 \
             WHERE id = $7 AND version = $8 AND ended_at IS NULL",
        )
        .bind(s.state).bind(version).bind(s.language).bind(s.case_id).bind(s.at).bind(s.ended)
        .bind(s.id).bind(s.expected_version)
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

    pub async fn transcript(c: &mut Conn, conversation_id: i64) -> StoreResult<Vec<TranscriptLine>> {
        Ok(sqlx::query_as("SELECT at, direction, body FROM conversation_messages WHERE conversation_id = $1 ORDER BY id")
            .bind(conversation_id).fetch_all(&mut *c).await?)
    }

    /// A resident's conversations on a channel, oldest first.
    pub async fn conversations_of_address(c: &mut Conn, (channel, address): (String, String)) -> StoreResult<Vec<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONVERSATION_SELECT} WHERE channel = $1 AND address = $2 ORDER BY id"))
            .bind(channel).bind(address).fetch_all(&mut *c).await?)
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
        read_op!(self, open_conversation, (channel.to_owned(), address.to_owned()))
    }

    pub async fn conversation(&self, id: i64) -> StoreResult<Option<ConversationRow>> {
        read_op!(self, conversation, id)
    }

    /// Starts a conversation; `Duplicate("conversation")` when one is open already for the
    /// address on the channel (another node started it meanwhile).
    pub async fn start_conversation(&self, start: ConversationStart) -> StoreResult<ConversationRow> {
        write_op!(self, start_conversation, start).map_err(|e| e.unique_as("conversation"))
    }

    /// Saves a turn and returns the new version. `Conflict` when the conversation moved on (or
    /// ended) meanwhile, `Duplicate("inbound message")` when its message was taken already;
    /// either way nothing is written.
    pub async fn save_conversation(&self, save: ConversationSave) -> StoreResult<i64> {
        write_op!(self, save_conversation, save)
    }

    pub async fn inbound_seen(&self, channel: &str, message_id: &str) -> StoreResult<bool> {
        read_op!(self, inbound_seen, (channel.to_owned(), message_id.to_owned()))
    }

    /// Takes a provider's message id on its own (for what is written elsewhere, a case with
    /// its own retry key); false when it was taken already.
    pub async fn take_inbound(&self, channel: &str, message_id: &str, at: i64) -> StoreResult<bool> {
        write_op!(self, take_inbound, (channel.to_owned(), message_id.to_owned(), at))
    }

    pub async fn transcript(&self, conversation_id: i64) -> StoreResult<Vec<TranscriptLine>> {
        read_op!(self, transcript, conversation_id)
    }

    pub async fn conversations_of_address(&self, channel: &str, address: &str) -> StoreResult<Vec<ConversationRow>> {
        read_op!(self, conversations_of_address, (channel.to_owned(), address.to_owned()))
    }

    pub async fn conversations_of_case(&self, case_id: i64) -> StoreResult<Vec<ConversationRow>> {
        read_op!(self, conversations_of_case, case_id)
    }

    pub async fn end_idle_conversations(&self, idle_before: i64, at: i64, reason: &str) -> StoreResult<u64> {
        write_op!(self, end_idle_conversations, (idle_before, at, reason.to_owned()))
    }

    pub async fn purge_inbound(&self, before: i64) -> StoreResult<u64> {
        write_op!(self, purge_inbound, before)
    }
}
