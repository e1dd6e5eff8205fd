//! What the store holds of one person, and their anonymisation (issue 13, audit and privacy):
//! the cases they reported with everything attached to them, what is tied to their contact
//! alone (notifications, one-time codes, sessions, conversations that made no case), and the
//! one transaction that rewrites a case as the application decided (`tawasul_domain::privacy`).

use super::{AttachmentRow, CaseRow, EventRow, CASE_SELECT};
use crate::audit::AuditInsert;
use crate::reporters::{Contact, ContactLookup, CONTACT_MATCH};
use crate::{Store, StoreResult};
use tawasul_domain::privacy::{erased_token, ERASED};

/// The blind indexes of a contact's two forms (the normal one, the digits alone); none
/// without a reporter key.
type FormIndexes = (Option<String>, Option<String>);

/// A survey answer of the reporter's.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyAnswerRow {
    pub id: i64,
    pub round: i64,
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub solved: Option<bool>,
    pub comment: Option<String>,
    pub created_at: i64,
}

/// A guided conversation (phone line, SMS, WhatsApp, chat) of the person's.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonalConversationRow {
    pub id: i64,
    pub channel: String,
    pub address: String,
    pub state: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// The address's blind index when it is stored sealed; handed on opened.
    pub address_index: Option<String>,
}

/// One line of a conversation's transcript.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonalMessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub at: i64,
    pub direction: String,
    pub body: String,
}

/// A call placed (or to be placed) to the reporter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonalCallbackRow {
    pub id: i64,
    pub status: String,
    pub phone: String,
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    /// The number's blind index when it is stored sealed; handed on opened.
    pub phone_index: Option<String>,
}

/// The reporter's rating of the agent who chatted with them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonalRatingRow {
    pub agent_score: i64,
    pub answer_score: i64,
    pub at: i64,
}

/// A case with everything the store holds about its reporter.
#[derive(Debug, Clone)]
pub struct PersonalCase {
    pub case: CaseRow,
    pub anonymised_at: Option<i64>,
    pub events: Vec<EventRow>,
    pub attachments: Vec<AttachmentRow>,
    pub surveys: Vec<SurveyAnswerRow>,
    pub conversations: Vec<PersonalConversationRow>,
    pub messages: Vec<PersonalMessageRow>,
    pub callbacks: Vec<PersonalCallbackRow>,
    pub ratings: Vec<PersonalRatingRow>,
}

/// A notification sent (or to be sent) to the contact; its payload and secrets are not read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonalNotificationRow {
    pub id: i64,
    pub channel: String,
    pub template: String,
    pub status: String,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A one-time code or a session of the contact's, without its hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonalCredentialRow {
    pub created_at: i64,
    pub expires_at: i64,
}

/// What is tied to a contact without a case: the forms it is stored in are the normal one
/// (`+97333001234`, `fatima@example.bh`) and, for WhatsApp's ids, the digits alone.
#[derive(Debug, Clone, Default)]
pub struct ContactRecords {
    pub notifications: Vec<PersonalNotificationRow>,
    pub codes: Vec<PersonalCredentialRow>,
    pub sessions: Vec<PersonalCredentialRow>,
    pub conversations: Vec<PersonalConversationRow>,
    pub messages: Vec<PersonalMessageRow>,
}

/// What becomes of one of the reporter's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentRewrite {
    Rename { id: i64, filename: String },
    Remove { id: i64 },
}

/// A case's anonymisation as the application decided it; `None` fields are left as they are.
#[derive(Debug, Clone, Default)]
pub struct AnonymiseCase {
    pub case_id: i64,
    pub at: i64,
    pub description: Option<String>,
    pub answers: Option<String>,
    pub address: Option<String>,
    pub resolution: Option<String>,
    /// (event id, actor name, body, details), each the new value.
    pub events: Vec<(i64, String, Option<String>, String)>,
    /// (survey id, comment).
    pub survey_comments: Vec<(i64, Option<String>)>,
    /// (conversation id, state).
    pub conversation_states: Vec<(i64, String)>,
    /// (message id, body).
    pub messages: Vec<(i64, String)>,
    pub attachments: Vec<AttachmentRewrite>,
    pub audit: Option<AuditInsert>,
}

/// What forgetting a contact removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub notifications: u64,
    pub codes: u64,
    pub sessions: u64,
    pub conversations: u64,
}

for_both_backends! {
    uses { cases: events; cases::attachments: attachments; cases::search: indexed_words, unindex, index_case_and_events; audit: insert_audit_row; }

    /// Cases ended for good (closed, rejected, merged) and not anonymised, last changed
    /// before `before`, oldest first, at most `limit`.
    pub async fn cases_to_anonymise(c: &mut Conn, (before, limit): (i64, i64)) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM cases WHERE anonymised_at IS NULL AND status IN ('closed', 'rejected', 'merged') \
             AND updated_at < $1 ORDER BY updated_at, id LIMIT $2",
        )
        .bind(before).bind(limit).fetch_all(&mut *c).await?)
    }

    /// The cases whose reporter gave this phone number or this e-mail address, oldest first.
    pub async fn cases_of_contact(c: &mut Conn, contact: ContactLookup) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(&format!("SELECT c.id FROM cases c WHERE {CONTACT_MATCH} ORDER BY c.id"))
            .bind(contact.phone).bind(contact.email).bind(contact.phone_index).bind(contact.email_index)
            .fetch_all(&mut *c).await?)
    }

    pub async fn personal_case(c: &mut Conn, case_id: i64) -> StoreResult<Option<PersonalCase>> {
        let Some(case) = sqlx::query_as::<_, CaseRow>(&format!("{CASE_SELECT} WHERE c.id = $1"))
            .bind(case_id).fetch_optional(&mut *c).await? else {
            return Ok(None);
        };
        let anonymised_at: Option<i64> = sqlx::query_scalar("SELECT anonymised_at FROM cases WHERE id = $1")
            .bind(case_id).fetch_one(&mut *c).await?;
        let events = events(c, case_id).await?;
        let attachments = attachments(c, case_id).await?;
        let surveys: Vec<SurveyAnswerRow> = sqlx::query_as(
            "SELECT id, round, quality, speed, agent, solved, comment, created_at FROM case_surveys WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id).fetch_all(&mut *c).await?;
        let conversations: Vec<PersonalConversationRow> = sqlx::query_as(
            "SELECT id, channel, address, state, started_at, ended_at, address_index FROM conversations WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id).fetch_all(&mut *c).await?;
        let messages: Vec<PersonalMessageRow> = sqlx::query_as(
            "SELECT m.id, m.conversation_id, m.at, m.direction, m.body FROM conversation_messages m \
             JOIN conversations v ON v.id = m.conversation_id WHERE v.case_id = $1 ORDER BY m.id",
        )
        .bind(case_id).fetch_all(&mut *c).await?;
        let callbacks: Vec<PersonalCallbackRow> = sqlx::query_as(
            "SELECT id, status, phone, state, attempts, created_at, phone_index FROM callbacks WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id).fetch_all(&mut *c).await?;
        let ratings: Vec<PersonalRatingRow> = sqlx::query_as("SELECT agent_score, answer_score, at FROM agent_ratings WHERE case_id = $1 ORDER BY id")
            .bind(case_id).fetch_all(&mut *c).await?;
        Ok(Some(PersonalCase { case, anonymised_at, events, attachments, surveys, conversations, messages, callbacks, ratings }))
    }

    /// What is tied to the contact in `forms` (its normal form, and its digits alone) beyond
    /// its cases; `indexes`: the forms' blind indexes, which sealed conversation addresses match.
    pub async fn contact_records(c: &mut Conn, (forms, indexes): ((String, String), FormIndexes)) -> StoreResult<ContactRecords> {
        let notifications: Vec<PersonalNotificationRow> = sqlx::query_as(
            "SELECT id, channel, template, status, created_at, delivered_at FROM outbox WHERE recipient IN ($1, $2) ORDER BY id",
        )
        .bind(&forms.0).bind(&forms.1).fetch_all(&mut *c).await?;
        let codes: Vec<PersonalCredentialRow> = sqlx::query_as("SELECT created_at, expires_at FROM otp_codes WHERE contact IN ($1, $2) ORDER BY id")
            .bind(&forms.0).bind(&forms.1).fetch_all(&mut *c).await?;
        let sessions: Vec<PersonalCredentialRow> = sqlx::query_as("SELECT created_at, expires_at FROM sessions WHERE contact IN ($1, $2) ORDER BY created_at")
            .bind(&forms.0).bind(&forms.1).fetch_all(&mut *c).await?;
        let conversations: Vec<PersonalConversationRow> = sqlx::query_as(
            "SELECT id, channel, address, state, started_at, ended_at, address_index FROM conversations \
             WHERE (address IN ($1, $2) OR address_index IN ($3, $4)) AND case_id IS NULL ORDER BY id",
        )
        .bind(&forms.0).bind(&forms.1).bind(&indexes.0).bind(&indexes.1).fetch_all(&mut *c).await?;
        let messages: Vec<PersonalMessageRow> = sqlx::query_as(
            "SELECT m.id, m.conversation_id, m.at, m.direction, m.body FROM conversation_messages m \
             JOIN conversations v ON v.id = m.conversation_id \
             WHERE (v.address IN ($1, $2) OR v.address_index IN ($3, $4)) AND v.case_id IS NULL ORDER BY m.id",
        )
        .bind(&forms.0).bind(&forms.1).bind(&indexes.0).bind(&indexes.1).fetch_all(&mut *c).await?;
        Ok(ContactRecords { notifications, codes, sessions, conversations, messages })
    }

    /// Rewrites a case as `a` says, once: false when it was anonymised already (nothing is
    /// written). The blobs of the attachments it removes stay for the orphan sweep. The search
    /// index loses the case's old words and gets its new ones.
    pub async fn anonymise_case(c: &mut Conn, a: AnonymiseCase) -> StoreResult<bool> {
        let Some((old, old_words)) = indexed_words(c, a.case_id).await? else { return Ok(false) };
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "UPDATE cases SET reporter_name = NULL, reporter_phone = NULL, reporter_email = NULL, reporter_handle = NULL, \
             reporter_sealed = NULL, reporter_phone_index = NULL, reporter_email_index = NULL, token_hash = ",
        );
        q.push_bind(ERASED).push(", anonymised_at = ").push_bind(a.at);
        if let Some(v) = &a.description { q.push(", description = ").push_bind(v.clone()); }
        if let Some(v) = &a.answers { q.push(", answers = ").push_bind(v.clone()); }
        if let Some(v) = &a.address { q.push(", address = ").push_bind(v.clone()); }
        if let Some(v) = &a.resolution { q.push(", resolution = ").push_bind(v.clone()); }
        // The guard takes the case: a second node anonymising it at once waits here on
        // PostgreSQL and then finds it taken, before it has changed anything.
        q.push(" WHERE id = ").push_bind(a.case_id).push(" AND anonymised_at IS NULL");
        if q.build().execute(&mut *c).await?.rows_affected() != 1 {
            return Ok(false);
        }
        unindex(c, (&old, &old_words)).await?;
        for (id, actor_name, body, details) in &a.events {
            sqlx::query("UPDATE case_events SET actor_name = $2, body = $3, details = $4 WHERE id = $1 AND case_id = $5")
                .bind(id).bind(actor_name).bind(body).bind(details).bind(a.case_id).execute(&mut *c).await?;
        }
        for (id, comment) in &a.survey_comments {
            sqlx::query("UPDATE case_surveys SET comment = $2 WHERE id = $1").bind(id).bind(comment).execute(&mut *c).await?;
        }
        for (id, state) in &a.conversation_states {
            sqlx::query("UPDATE conversations SET state = $2 WHERE id = $1").bind(id).bind(state).execute(&mut *c).await?;
        }
        for (id, body) in &a.messages {
            sqlx::query("UPDATE conversation_messages SET body = $2 WHERE id = $1").bind(id).bind(body).execute(&mut *c).await?;
        }
        // Handles and tokens: the conversations' addresses, the calls' number, the retry keys
        // with their sealed tokens, Open311's look-up token, the survey link, the reporter's
        // mails' ids (which thread a reply into the case).
        sqlx::query(&format!(
            "UPDATE conversations SET address = '{ERASED}:' || CAST(id AS TEXT), address_index = NULL, \
             ended_at = COALESCE(ended_at, $2), end_reason = COALESCE(end_reason, 'erased') WHERE case_id = $1"
        ))
        .bind(a.case_id).bind(a.at).execute(&mut *c).await?;
        sqlx::query("UPDATE callbacks SET phone = $2, phone_index = NULL WHERE case_id = $1")
            .bind(a.case_id).bind(ERASED).execute(&mut *c).await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE case_id = $1").bind(a.case_id).execute(&mut *c).await?;
        sqlx::query("UPDATE open311_requests SET token = $2 WHERE case_id = $1")
            .bind(a.case_id).bind(erased_token(a.case_id)).execute(&mut *c).await?;
        sqlx::query("UPDATE survey_invitations SET token_hash = $2 WHERE case_id = $1")
            .bind(a.case_id).bind(erased_token(a.case_id)).execute(&mut *c).await?;
        sqlx::query("DELETE FROM case_mail WHERE case_id = $1 AND NOT outgoing").bind(a.case_id).execute(&mut *c).await?;
        for rewrite in &a.attachments {
            match rewrite {
                AttachmentRewrite::Rename { id, filename } => {
                    sqlx::query("UPDATE attachments SET filename = $2 WHERE id = $1 AND case_id = $3")
                        .bind(id).bind(filename).bind(a.case_id).execute(&mut *c).await?;
                }
                AttachmentRewrite::Remove { id } => {
                    sqlx::query("DELETE FROM attachments WHERE id = $1 AND case_id = $2")
                        .bind(id).bind(a.case_id).execute(&mut *c).await?;
                }
            }
        }
        index_case_and_events(c, a.case_id).await?;
        if let Some(audit) = &a.audit {
            insert_audit_row(c, audit).await?;
        }
        Ok(true)
    }

    /// Those of `keys` no attachment uses, each once: blobs nothing needs any more.
    pub async fn unreferenced_blobs(c: &mut Conn, keys: Vec<String>) -> StoreResult<Vec<String>> {
        let mut unused = std::collections::BTreeSet::new();
        for batch in keys.chunks(500) {
            let mut q = sqlx::QueryBuilder::<Db>::new("SELECT DISTINCT blob_key FROM attachments WHERE blob_key IN (");
            let mut list = q.separated(", ");
            for key in batch {
                list.push_bind(key.clone());
            }
            q.push(")");
            let used: std::collections::HashSet<String> = q.build_query_scalar::<String>().fetch_all(&mut *c).await?.into_iter().collect();
            unused.extend(batch.iter().filter(|key| !used.contains(*key)).cloned());
        }
        Ok(unused.into_iter().collect())
    }

    /// Forgets what is tied to the contact in `forms` beyond its cases: notifications to it
    /// (pending ones too), its one-time codes and sessions; its conversations that made no
    /// case are ended, their address and every line replaced by the marker.
    pub async fn forget_contact(c: &mut Conn, (forms, indexes, at): ((String, String), FormIndexes, i64)) -> StoreResult<Forgotten> {
        let notifications = sqlx::query("DELETE FROM outbox WHERE recipient IN ($1, $2)")
            .bind(&forms.0).bind(&forms.1).execute(&mut *c).await?.rows_affected();
        let codes = sqlx::query("DELETE FROM otp_codes WHERE contact IN ($1, $2)")
            .bind(&forms.0).bind(&forms.1).execute(&mut *c).await?.rows_affected();
        let sessions = sqlx::query("DELETE FROM sessions WHERE contact IN ($1, $2)")
            .bind(&forms.0).bind(&forms.1).execute(&mut *c).await?.rows_affected();
        sqlx::query(
            "UPDATE conversation_messages SET body = $3 WHERE conversation_id IN \
             (SELECT id FROM conversations WHERE (address IN ($1, $2) OR address_index IN ($4, $5)) AND case_id IS NULL)",
        )
        .bind(&forms.0).bind(&forms.1).bind(ERASED).bind(&indexes.0).bind(&indexes.1).execute(&mut *c).await?;
        let conversations = sqlx::query(&format!(
            "UPDATE conversations SET address = '{ERASED}:' || CAST(id AS TEXT), address_index = NULL, state = '{{}}', \
             ended_at = COALESCE(ended_at, $3), end_reason = COALESCE(end_reason, 'erased') \
             WHERE (address IN ($1, $2) OR address_index IN ($4, $5)) AND case_id IS NULL"
        ))
        .bind(&forms.0).bind(&forms.1).bind(at).bind(&indexes.0).bind(&indexes.1).execute(&mut *c).await?.rows_affected();
        Ok(Forgotten { notifications, codes, sessions, conversations })
    }
}

impl Store {
    /// The retention job's next batch: see `cases_to_anonymise`.
    pub async fn cases_to_anonymise(&self, before: i64, limit: i64) -> StoreResult<Vec<i64>> {
        read_op!(self, cases_to_anonymise, (before, limit))
    }

    /// Ids of the cases reported with this phone number (normal form) or e-mail address.
    pub async fn cases_of_contact(&self, phone: Option<String>, email: Option<String>) -> StoreResult<Vec<i64>> {
        read_op!(self, cases_of_contact, self.contact_lookup(phone, email))
    }

    pub async fn personal_case(&self, case_id: i64) -> StoreResult<Option<PersonalCase>> {
        match read_op!(self, personal_case, case_id)? {
            Some(p) => Ok(Some(PersonalCase {
                case: self.open_case(p.case)?,
                conversations: self.open_personal_conversations(p.conversations)?,
                callbacks: p
                    .callbacks
                    .into_iter()
                    .map(|mut b| {
                        b.phone = self.open_contact(Contact::CallbackPhone, b.id, b.phone, b.phone_index.as_deref())?;
                        Ok(b)
                    })
                    .collect::<StoreResult<_>>()?,
                ..p
            })),
            None => Ok(None),
        }
    }

    fn open_personal_conversations(
        &self,
        rows: Vec<PersonalConversationRow>,
    ) -> StoreResult<Vec<PersonalConversationRow>> {
        rows.into_iter()
            .map(|mut v| {
                v.address = self.open_contact(
                    Contact::ConversationAddress,
                    v.id,
                    v.address,
                    v.address_index.as_deref(),
                )?;
                Ok(v)
            })
            .collect()
    }

    /// The blind indexes of a contact's two forms (none without a key).
    fn form_indexes(&self, normal: &str, digits: &str) -> FormIndexes {
        (self.contact_key(normal).index, self.contact_key(digits).index)
    }

    pub async fn contact_records(&self, normal: String, digits: String) -> StoreResult<ContactRecords> {
        let indexes = self.form_indexes(&normal, &digits);
        let records = read_op!(self, contact_records, ((normal, digits), indexes))?;
        Ok(ContactRecords {
            conversations: self.open_personal_conversations(records.conversations)?,
            ..records
        })
    }

    /// Anonymises a case in one transaction; see `anonymise_case`.
    pub async fn anonymise_case(&self, a: AnonymiseCase) -> StoreResult<bool> {
        write_op!(self, anonymise_case, a)
    }

    /// Those of `keys` no attachment uses (the orphan sweep's question).
    pub async fn unreferenced_blobs(&self, keys: Vec<String>) -> StoreResult<Vec<String>> {
        read_op!(self, unreferenced_blobs, keys)
    }

    pub async fn forget_contact(&self, normal: String, digits: String, at: i64) -> StoreResult<Forgotten> {
        let indexes = self.form_indexes(&normal, &digits);
        write_op!(self, forget_contact, ((normal, digits), indexes, at))
    }
}
