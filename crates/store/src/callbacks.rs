//! Automatic call-backs (issue 15 §3): the calls placed to a phone case's reporter after a
//! staff change, their attempts, and the timeline entry of each; and the ratings a caller
//! gives the agent who served a call (stored with the chat ratings, in `agent_ratings`).

use crate::reporters::{Cipher, Contact};
use crate::{EventInsert, JobInsert, Store, StoreError, StoreResult};

/// The job kind that places a call-back.
pub const CALLBACK_JOB: &str = "callback";

/// A call-back asked for with a change of its case.
#[derive(Debug, Clone)]
pub struct CallbackInsert {
    /// The status the call announces.
    pub status: String,
    pub phone: String,
    pub language: String,
    /// Whether the call asks the closure survey (a resolution).
    pub survey: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallbackRow {
    pub id: i64,
    pub case_id: i64,
    pub reference: String,
    pub entity_id: i64,
    pub status: String,
    pub phone: String,
    pub language: String,
    pub survey: bool,
    pub state: String,
    pub attempts: i64,
    pub call_sid: Option<String>,
    /// A later change of the case asked for its own call.
    pub superseded: bool,
    /// The blind index of the number when it is stored sealed (a reporter key is configured);
    /// the store hands `phone` on opened either way.
    pub phone_index: Option<String>,
}

/// What a provider's status report of a call-back's call does.
#[derive(Debug, Clone)]
pub struct CallbackOutcome {
    pub id: i64,
    pub call_sid: String,
    /// The report as (channel, message id), taken once.
    pub inbound: (String, String),
    /// The call-back's state afterwards: `waiting` (tried again by `retry`), `answered`, `gave_up`.
    pub state: String,
    pub events: Vec<EventInsert>,
    pub retry: Option<JobInsert>,
}

/// A caller's rating of the agent who served their call.
#[derive(Debug, Clone)]
pub struct CallRating {
    /// The caller's number, or the call's id when it was withheld.
    pub address: String,
    pub language: String,
    pub case_id: Option<i64>,
    pub staff_id: i64,
    pub agent_score: i64,
    pub answer_score: i64,
    pub at: i64,
    /// The rating's webhook as (channel, message id), taken once.
    pub inbound: (String, String),
}

const CALLBACK_SELECT: &str = "SELECT b.id, b.case_id, c.reference, c.entity_id, b.status, b.phone, b.language, b.survey, \
     b.state, b.attempts, b.call_sid, EXISTS (SELECT 1 FROM callbacks n WHERE n.case_id = b.case_id AND n.id > b.id) AS superseded, \
     b.phone_index FROM callbacks b JOIN cases c ON c.id = b.case_id";

for_both_backends! {
    uses { cases: insert_event; jobs: enqueue_job; }

    /// In the transaction of the case's change: the call-back (its number sealed when there
    /// is a cipher), its job, and the end of any call-back of the case still waiting to be
    /// placed (the news it had is old).
    pub(crate) async fn insert_callback(c: &mut Conn, (case_id, at, b, cipher): (i64, i64, &CallbackInsert, &Cipher)) -> StoreResult<i64> {
        sqlx::query("UPDATE callbacks SET state = 'superseded', updated_at = $2 WHERE case_id = $1 AND state = 'waiting'")
            .bind(case_id).bind(at).execute(&mut *c).await?;
        let (phone, phone_index) = Contact::CallbackPhone.write(cipher.as_deref(), b.phone.clone());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO callbacks (case_id, status, phone, language, survey, state, attempts, created_at, updated_at, phone_index) \
             VALUES ($1, $2, $3, $4, $5, 'waiting', 0, $6, $6, $7) RETURNING id",
        )
        .bind(case_id).bind(&b.status).bind(phone).bind(&b.language).bind(b.survey).bind(at).bind(phone_index)
        .fetch_one(&mut *c).await?;
        enqueue_job(c, JobInsert {
            kind: CALLBACK_JOB.into(),
            key: format!("callback:{id}:0"),
            payload: serde_json::json!({ "callback_id": id }).to_string(),
            run_at: at,
        }).await?;
        Ok(id)
    }

    pub async fn callback(c: &mut Conn, id: i64) -> StoreResult<Option<CallbackRow>> {
        Ok(sqlx::query_as(&format!("{CALLBACK_SELECT} WHERE b.id = $1"))
            .bind(id).fetch_optional(&mut *c).await?)
    }

    pub async fn callbacks_of_case(c: &mut Conn, case_id: i64) -> StoreResult<Vec<CallbackRow>> {
        Ok(sqlx::query_as(&format!("{CALLBACK_SELECT} WHERE b.case_id = $1 ORDER BY b.id"))
            .bind(case_id).fetch_all(&mut *c).await?)
    }

    /// A waiting call-back ends without a call (`superseded`); false when it was not waiting.
    pub async fn drop_callback(c: &mut Conn, (id, at): (i64, i64)) -> StoreResult<bool> {
        Ok(sqlx::query("UPDATE callbacks SET state = 'superseded', updated_at = $2 WHERE id = $1 AND state = 'waiting'")
            .bind(id).bind(at).execute(&mut *c).await?.rows_affected() == 1)
    }

    /// The provider took the call: attempt `attempts + 1` is calling as `call_sid`, with its
    /// timeline entry. False, and nothing written, when the call-back was no longer waiting
    /// at that attempt (another node placed it).
    pub async fn callback_placed(c: &mut Conn, (id, attempts, call_sid, event): (i64, i64, String, EventInsert)) -> StoreResult<bool> {
        let placed = sqlx::query(
            "UPDATE callbacks SET state = 'calling', attempts = attempts + 1, call_sid = $3, updated_at = $4 \
             WHERE id = $1 AND state = 'waiting' AND attempts = $2",
        )
        .bind(id).bind(attempts).bind(call_sid).bind(event.at).execute(&mut *c).await?;
        if placed.rows_affected() != 1 {
            return Ok(false);
        }
        insert_event(c, &event).await?;
        Ok(true)
    }

    /// The reporter picked up (the provider fetched the call's document): once per call.
    pub async fn callback_answered(c: &mut Conn, (id, call_sid, event): (i64, String, EventInsert)) -> StoreResult<bool> {
        let answered = sqlx::query(
            "UPDATE callbacks SET state = 'answered', updated_at = $3 WHERE id = $1 AND call_sid = $2 AND state = 'calling'",
        )
        .bind(id).bind(call_sid).bind(event.at).execute(&mut *c).await?;
        if answered.rows_affected() != 1 {
            return Ok(false);
        }
        insert_event(c, &event).await?;
        Ok(true)
    }

    /// A status report of the call now calling: taken once (`Duplicate("inbound message")`
    /// when it came before); false, with only the report taken, when the call is not the one
    /// calling.
    pub async fn callback_outcome(c: &mut Conn, o: CallbackOutcome) -> StoreResult<bool> {
        let at = o.events.first().map_or(0, |e| e.at);
        sqlx::query("INSERT INTO inbound_messages (channel, message_id, received_at) VALUES ($1, $2, $3)")
            .bind(&o.inbound.0).bind(&o.inbound.1).bind(at)
            .execute(&mut *c).await
            .map_err(|e| StoreError::from(e).unique_as("inbound message"))?;
        let changed = sqlx::query(
            "UPDATE callbacks SET state = $3, updated_at = $4 WHERE id = $1 AND call_sid = $2 AND state = 'calling'",
        )
        .bind(o.id).bind(&o.call_sid).bind(&o.state).bind(at).execute(&mut *c).await?;
        if changed.rows_affected() != 1 {
            return Ok(false);
        }
        for event in &o.events {
            insert_event(c, event).await?;
        }
        if let Some(job) = o.retry {
            enqueue_job(c, job).await?;
        }
        Ok(true)
    }

    /// The call served by an agent, as an ended conversation of the phone line with its
    /// agent, and the caller's rating of them; the rating's webhook taken once.
    /// `r` with its address as it is written (sealed with a key) and its blind index.
    pub async fn rate_call(c: &mut Conn, (r, index): (CallRating, Option<String>)) -> StoreResult<i64> {
        sqlx::query("INSERT INTO inbound_messages (channel, message_id, received_at) VALUES ($1, $2, $3)")
            .bind(&r.inbound.0).bind(&r.inbound.1).bind(r.at)
            .execute(&mut *c).await
            .map_err(|e| StoreError::from(e).unique_as("inbound message"))?;
        let conversation: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (channel, address, state, version, language, case_id, started_at, updated_at, \
             ended_at, end_reason, agent_id, address_index) \
             VALUES ('phone', $1, '{}', 1, $2, $3, $4, $4, $4, 'served', $5, $6) RETURNING id",
        )
        .bind(&r.address).bind(&r.language).bind(r.case_id).bind(r.at).bind(r.staff_id).bind(index)
        .fetch_one(&mut *c).await?;
        sqlx::query(
            "INSERT INTO agent_ratings (conversation_id, staff_id, case_id, agent_score, answer_score, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(conversation).bind(r.staff_id).bind(r.case_id).bind(r.agent_score).bind(r.answer_score).bind(r.at)
        .execute(&mut *c).await?;
        Ok(conversation)
    }
}

impl Store {
    pub async fn callback(&self, id: i64) -> StoreResult<Option<CallbackRow>> {
        let row = read_op!(self, callback, id)?;
        row.map(|row| self.open_callback(row)).transpose()
    }

    /// A case's call-backs, oldest first.
    pub async fn callbacks_of_case(&self, case_id: i64) -> StoreResult<Vec<CallbackRow>> {
        let rows = read_op!(self, callbacks_of_case, case_id)?;
        rows.into_iter().map(|row| self.open_callback(row)).collect()
    }

    /// The row with its number opened when it is sealed.
    fn open_callback(&self, mut row: CallbackRow) -> StoreResult<CallbackRow> {
        row.phone = self.open_contact(Contact::CallbackPhone, row.id, row.phone, row.phone_index.as_deref())?;
        Ok(row)
    }

    pub async fn drop_callback(&self, id: i64, at: i64) -> StoreResult<bool> {
        write_op!(self, drop_callback, (id, at))
    }

    pub async fn callback_placed(
        &self,
        id: i64,
        attempts: i64,
        call_sid: &str,
        event: EventInsert,
    ) -> StoreResult<bool> {
        write_op!(self, callback_placed, (id, attempts, call_sid.to_owned(), event))
    }

    pub async fn callback_answered(&self, id: i64, call_sid: &str, event: EventInsert) -> StoreResult<bool> {
        write_op!(self, callback_answered, (id, call_sid.to_owned(), event))
    }

    pub async fn callback_outcome(&self, outcome: CallbackOutcome) -> StoreResult<bool> {
        write_op!(self, callback_outcome, outcome)
    }

    /// Returns the conversation the rating is stored with.
    pub async fn rate_call(&self, mut rating: CallRating) -> StoreResult<i64> {
        let (address, index) = self.write_contact(Contact::ConversationAddress, rating.address);
        rating.address = address;
        write_op!(self, rate_call, (rating, index))
    }
}
