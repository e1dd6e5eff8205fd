//! How many cases are in each status, kept as totals plus the changes since they were last
//! folded in (migration 0007's triggers append a change for each insert and change of
//! status), so that counting costs the number of statuses and recent changes, not of cases.

use super::ENDED;
use crate::{Store, StoreResult};

const COUNTS: &str = "SELECT status, CAST(SUM(n) AS BIGINT) FROM (SELECT status, n FROM case_counts \
     UNION ALL SELECT status, delta AS n FROM case_count_changes) t GROUP BY status HAVING SUM(n) <> 0 ORDER BY status";

for_both_backends! {
    /// Folds the changes recorded so far into the totals.
    pub async fn fold_case_counts(c: &mut Conn, _: ()) -> StoreResult<()> {
        sqlx::query(dialect::FOLD_CASE_COUNTS).execute(&mut *c).await?;
        if let Some(cleanup) = dialect::FOLDED_CASE_COUNTS {
            sqlx::query(cleanup).execute(&mut *c).await?;
        }
        Ok(())
    }

    pub async fn count_by_status(c: &mut Conn, _: ()) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(COUNTS).fetch_all(&mut *c).await?)
    }

    /// Read through the open-case indexes: as costly as the backlog, whatever the store's size.
    pub async fn count_open_cases(c: &mut Conn, _: ()) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM cases WHERE status NOT IN {ENDED}")).fetch_one(&mut *c).await?)
    }
}

impl Store {
    /// The number of cases in each status that has any, by status; folds the recent changes
    /// into the totals first.
    pub async fn count_by_status(&self) -> StoreResult<Vec<(String, i64)>> {
        write_op!(self, fold_case_counts, ())?;
        read_op!(self, count_by_status, ())
    }

    pub async fn count_open_cases(&self) -> StoreResult<i64> {
        read_op!(self, count_open_cases, ())
    }
}
