//! The resident's survey when their case is closed.

use super::EventInsert;
use crate::{Store, StoreResult};

#[derive(Debug, Clone)]
pub struct SurveyInsert {
    pub case_id: i64,
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub comment: Option<String>,
    /// Any rating of 2 or less: the satisfaction unit looks at these.
    pub low: bool,
    pub created_at: i64,
    /// The timeline entry written with it.
    pub event: EventInsert,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyRow {
    pub id: i64,
    pub case_id: i64,
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub comment: Option<String>,
    pub low: bool,
    pub created_at: i64,
}

for_both_backends! {
    uses { cases: insert_event; }

    pub async fn insert_survey(c: &mut Conn, s: SurveyInsert) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO case_surveys (case_id, quality, speed, agent, comment, low, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.case_id).bind(s.quality).bind(s.speed).bind(s.agent).bind(&s.comment).bind(s.low).bind(s.created_at)
        .fetch_one(&mut *c).await?;
        insert_event(c, &s.event).await?;
        Ok(id)
    }

    pub async fn survey(c: &mut Conn, case_id: i64) -> StoreResult<Option<SurveyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, case_id, quality, speed, agent, comment, low, created_at FROM case_surveys WHERE case_id = $1",
        )
        .bind(case_id).fetch_optional(&mut *c).await?)
    }
}

impl Store {
    /// Records a case's survey with its timeline entry; a second one for the case is a
    /// `Duplicate`.
    pub async fn insert_survey(&self, s: SurveyInsert) -> StoreResult<i64> {
        write_op!(self, insert_survey, s).map_err(|e| e.unique_as("a survey of this case"))
    }

    pub async fn survey(&self, case_id: i64) -> StoreResult<Option<SurveyRow>> {
        read_op!(self, survey, case_id)
    }
}
