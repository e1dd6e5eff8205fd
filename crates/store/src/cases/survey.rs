//! The resident's survey when their case is resolved, and the single-use invitation to it.

use super::{CaseChange, EventInsert};
use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct SurveyInsert {
    pub case_id: i64,
    /// The resolution it answers (the invitation's round; 0 without one).
    pub round: i64,
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    /// "Is the problem really solved?"
    pub solved: Option<bool>,
    pub comment: Option<String>,
    /// Any rating of 2 or less: the satisfaction unit looks at these.
    pub low: bool,
    pub created_at: i64,
    /// The timeline entry written with it.
    pub event: EventInsert,
    /// Given when the survey came by its link (the token's digest): that invitation must be
    /// the case's and still unanswered, or nothing is written (`Conflict`).
    pub link: Option<String>,
    /// What the verdict does to the case (closed, reopened, sent to the satisfaction unit),
    /// in the same transaction.
    pub change: Option<CaseChange>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyRow {
    pub id: i64,
    pub case_id: i64,
    pub round: i64,
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub solved: Option<bool>,
    pub comment: Option<String>,
    pub low: bool,
    pub created_at: i64,
}

/// A case's invitation to the survey of its latest resolution, written with the resolution
/// (`CaseChange::invitation`); it replaces the one before and counts the next round.
#[derive(Debug, Clone)]
pub struct InvitationWrite {
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub case_id: i64,
    pub reference: String,
    pub round: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
}

const INVITATION_SELECT: &str = "SELECT i.case_id, c.reference, i.round, i.created_at, i.expires_at, i.answered_at \
     FROM survey_invitations i JOIN cases c ON c.id = i.case_id";

for_both_backends! {
    uses { cases: insert_event, change_case; }

    pub async fn insert_survey(c: &mut Conn, (s, cipher): (SurveyInsert, crate::reporters::Cipher)) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO case_surveys (case_id, round, quality, speed, agent, solved, comment, low, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(s.case_id).bind(s.round).bind(s.quality).bind(s.speed).bind(s.agent).bind(s.solved).bind(&s.comment)
        .bind(s.low).bind(s.created_at)
        .fetch_one(&mut *c).await
        .map_err(|e| StoreError::from(e).unique_as("a survey of this resolution"))?;
        let mut answer = sqlx::QueryBuilder::<Db>::new("UPDATE survey_invitations SET answered_at = ");
        answer.push_bind(s.created_at);
        answer.push(" WHERE case_id = ").push_bind(s.case_id);
        answer.push(" AND round = ").push_bind(s.round);
        answer.push(" AND answered_at IS NULL");
        if let Some(hash) = &s.link {
            answer.push(" AND token_hash = ").push_bind(hash.clone());
        }
        let answered = answer.build().execute(&mut *c).await?;
        if s.link.is_some() && answered.rows_affected() != 1 {
            return Err(StoreError::Conflict("the survey link was used or replaced meanwhile".into()));
        }
        insert_event(c, &s.event).await?;
        if let Some(change) = s.change {
            change_case(c, (change, cipher)).await?;
        }
        Ok(id)
    }

    /// The survey of the case's latest resolution.
    pub async fn survey(c: &mut Conn, case_id: i64) -> StoreResult<Option<SurveyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, case_id, round, quality, speed, agent, solved, comment, low, created_at FROM case_surveys \
             WHERE case_id = $1 ORDER BY round DESC LIMIT 1",
        )
        .bind(case_id).fetch_optional(&mut *c).await?)
    }

    pub(crate) async fn write_invitation(c: &mut Conn, (case_id, i): (i64, &InvitationWrite)) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO survey_invitations (case_id, token_hash, round, created_at, expires_at) VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (case_id) DO UPDATE SET token_hash = excluded.token_hash, round = survey_invitations.round + 1, \
             created_at = excluded.created_at, expires_at = excluded.expires_at, answered_at = NULL",
        )
        .bind(case_id).bind(&i.token_hash).bind(i.created_at).bind(i.expires_at)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn invitation_by_token(c: &mut Conn, token_hash: &str) -> StoreResult<Option<InvitationRow>> {
        Ok(sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.token_hash = $1"))
            .bind(token_hash).fetch_optional(&mut *c).await?)
    }

    pub async fn invitation_of(c: &mut Conn, case_id: i64) -> StoreResult<Option<InvitationRow>> {
        Ok(sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.case_id = $1"))
            .bind(case_id).fetch_optional(&mut *c).await?)
    }

    /// Resolved cases whose invitation expired at or before `now` without an answer, oldest first.
    pub async fn unanswered_invitations(c: &mut Conn, (now, limit): (i64, i64)) -> StoreResult<Vec<InvitationRow>> {
        Ok(sqlx::query_as(&format!(
            "{INVITATION_SELECT} WHERE i.answered_at IS NULL AND i.expires_at <= $1 AND c.status = 'resolved' \
             ORDER BY i.expires_at, i.case_id LIMIT $2"
        ))
        .bind(now).bind(limit).fetch_all(&mut *c).await?)
    }
}

impl Store {
    /// Records a survey with its timeline entry and what it does to the case; a second one
    /// for the same resolution is a `Duplicate`, a used or replaced link a `Conflict`.
    pub async fn insert_survey(&self, s: SurveyInsert) -> StoreResult<i64> {
        write_op!(self, insert_survey, (s, self.cipher()))
    }

    pub async fn survey(&self, case_id: i64) -> StoreResult<Option<SurveyRow>> {
        read_op!(self, survey, case_id)
    }

    /// The invitation whose link's token has this digest.
    pub async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRow>> {
        read_op!(self, invitation_by_token, token_hash)
    }

    /// A case's invitation to the survey of its latest resolution.
    pub async fn invitation_of(&self, case_id: i64) -> StoreResult<Option<InvitationRow>> {
        read_op!(self, invitation_of, case_id)
    }

    pub async fn unanswered_invitations(&self, now: i64, limit: i64) -> StoreResult<Vec<InvitationRow>> {
        read_op!(self, unanswered_invitations, (now, limit))
    }
}
