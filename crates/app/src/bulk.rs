//! Bulk writes for operators' tools (load generators, imports): cases whose routing, clocks
//! and history the tool has decided already, written as they are in large transactions. Not
//! for requests: nothing here checks a caller.

use crate::{App, AppResult};
use tawasul_store::CaseInsert;

impl App {
    /// Writes prepared cases in one transaction; returns how many.
    pub async fn insert_cases_as_operator(&self, cases: Vec<CaseInsert>) -> AppResult<usize> {
        Ok(self.store.insert_cases(cases).await?)
    }
}
