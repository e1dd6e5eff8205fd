//! Bulk use cases for operators' tools — the demo, imports, generators — that an operator runs
//! against an installation from the command line.
//!
//! They write the records they are given as they are: no signed-in staff user, no
//! authorization, no audit of their own, no notifications. They are never for requests;
//! an edge serving residents or staff calls the use cases of the other modules.

pub mod audit;
pub mod backup;

use crate::error::{Failure, Outcome};
use crate::workflow::config::{clock_of, stored, WorkflowConfig};
use crate::App;
use tawasul_domain::sla::{SlaClock, SlaTerms};
use tawasul_domain::vocab::{Priority, Status};
use tawasul_domain::Invalid;
/// What a run of [`Operator::rotate_reporter_key`] did.
pub use tawasul_store::Rotated;
use tawasul_store::{
    AuditInsert, CaseChange, CaseFilter, CaseInsert, DepartmentInsert, EntityInsert, Inserted, LoadedCase, OlaRow,
    PolicyRow, ReplyTemplateInsert, RuleInsert, ServiceInsert, SlaTargetRow, StaffRow, Store,
};

/// The operator's side of an application: see the module's documentation.
pub struct Operator<'a> {
    pub(crate) app: &'a App,
}

impl App {
    /// The bulk use cases of operators' tools, never of requests.
    pub fn operator(&self) -> Operator<'_> {
        Operator { app: self }
    }
}

impl Operator<'_> {
    /// `tawasul kpi rebuild`: forgets every KPI figure and computes them all again from the
    /// events. `start` hears how many cases there are, `progress` how many were folded.
    pub async fn rebuild_kpis(&self, start: &(dyn Fn(u64) + Sync), progress: &(dyn Fn(u64) + Sync)) -> Outcome<u64> {
        self.app.rebuild_kpis(start, progress).await
    }

    /// Whether the installation has no entity yet, so that a tool may fill it.
    pub async fn is_empty(&self) -> Outcome<bool> {
        Ok(self.app.store.is_empty().await?)
    }

    pub async fn add_entity(&self, entity: EntityInsert) -> Outcome<i64> {
        Ok(self.app.store.insert_entity(entity).await?)
    }

    pub async fn add_department(&self, department: DepartmentInsert) -> Outcome<i64> {
        Ok(self.app.store.insert_department(department).await?)
    }

    /// Services take ids in the order they are added.
    pub async fn add_service(&self, service: ServiceInsert) -> Outcome<i64> {
        Ok(self.app.store.insert_service(service).await?)
    }

    /// A reply template of the entity `entity_code`, audited as added by `tool`.
    pub async fn add_reply_template(
        &self,
        entity_code: &str,
        template: ReplyTemplateInsert,
        tool: &str,
    ) -> Outcome<i64> {
        let audit = AuditInsert {
            at: self.app.now_micros(),
            staff_id: None,
            action: "add_reply_template".into(),
            target: format!("entity:{entity_code}"),
            details: serde_json::json!({ "key": template.key, "language": template.language, "by": tool }).to_string(),
        };
        Ok(self.app.store.insert_reply_template(template, audit).await?)
    }

    /// The id of the entity `code`, if there is one.
    pub async fn entity_id(&self, code: &str) -> Outcome<Option<i64>> {
        Ok(self.app.store.entity_by_code(code).await?.map(|e| e.id))
    }

    /// The id of the department `code` of the entity `entity_id`, if there is one.
    pub async fn department_id(&self, entity_id: i64, code: &str) -> Outcome<Option<i64>> {
        Ok(self.app.store.department_by_code(entity_id, code).await?.map(|d| d.id))
    }

    // The workflow's configuration. Call `App::workflow_changed` once it is all written.

    pub async fn set_policy(&self, policy: PolicyRow) -> Outcome<()> {
        Ok(self.app.store.upsert_policy(policy).await?)
    }

    pub async fn set_sla_target(&self, target: SlaTargetRow) -> Outcome<()> {
        Ok(self.app.store.upsert_sla_target(target).await?)
    }

    pub async fn set_ola(&self, ola: OlaRow) -> Outcome<()> {
        Ok(self.app.store.upsert_ola(ola).await?)
    }

    pub async fn add_rule(&self, rule: RuleInsert) -> Outcome<i64> {
        Ok(self.app.store.insert_rule(rule).await?)
    }

    /// Replaces the areas an entity serves with those of a GeoJSON document; returns how many.
    pub async fn replace_areas(&self, entity_id: i64, geojson: &str) -> Outcome<usize> {
        let areas = crate::workflow::admin::area_inserts(geojson)?;
        Ok(self
            .app
            .store
            .replace_areas(entity_id, areas, self.app.now_micros())
            .await?)
    }

    /// A case as it came in at some time in the past, with the events intake recorded then;
    /// returns its id. Cases take references in the order they are added.
    pub async fn add_historical_case(&self, mut case: CaseInsert) -> Outcome<i64> {
        let config = self.app.workflow().await?;
        case.area_id = case.area_id.or(located_area(&config, &case));
        let (Inserted::Created { id, .. } | Inserted::Replayed { id, .. }) = self.app.store.insert_case(case).await?;
        Ok(id)
    }

    /// Many cases as they stand after their history, in one transaction, each given the SLA
    /// clock its events imply (as [`Self::replay_clocks`] would): the generators' bulk path.
    /// Returns the new cases' ids in order.
    pub async fn load_cases(&self, mut cases: Vec<LoadedCase>) -> Outcome<Vec<i64>> {
        let config = self.app.workflow().await?;
        settle_loaded(&config, &mut cases)?;
        self.load_settled(cases).await
    }

    /// As [`Self::load_cases`], for cases already given their clocks by [`settle_loaded`]
    /// (on the generator's threads, while the store writes the batch before).
    pub async fn load_settled(&self, cases: Vec<LoadedCase>) -> Outcome<Vec<i64>> {
        Ok(self.app.store.load_cases(cases).await?)
    }

    /// Refreshes the database's query planning statistics: after a bulk load.
    pub async fn analyze(&self) -> Outcome<()> {
        Ok(self.app.store.analyze().await?)
    }

    /// Copies this installation's store (SQLite) into the empty PostgreSQL database at
    /// `database_url`, migrating it first; `progress` hears each table and its rows copied.
    /// Attachments stay where they are, in the data directory.
    pub async fn copy_store_into(
        &self,
        database_url: &str,
        progress: impl FnMut(&str, u64),
    ) -> Outcome<tawasul_store::CopyReport> {
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(Failure::Invalid(Invalid::new(
                "not_postgres",
                "to",
                "the store moves into PostgreSQL: give a postgres://… URL",
            )));
        }
        let target = Store::open(&self.app.settings.data_dir, Some(database_url)).await?;
        let copied = self.app.store.copy_into(&target, progress).await;
        target.close().await;
        Ok(copied?)
    }

    /// Every staff account, for tools that write history in their names.
    pub async fn staff(&self) -> Outcome<Vec<StaffRow>> {
        Ok(self.app.store.staff().await?)
    }

    /// Many prepared cases in one transaction (load generators, imports); returns how many.
    pub async fn add_cases(&self, cases: Vec<CaseInsert>) -> Outcome<usize> {
        Ok(self.app.store.insert_cases(cases).await?)
    }

    /// How many cases the installation holds.
    pub async fn case_count(&self) -> Outcome<u64> {
        let counts = self.app.store.count_by_status().await?;
        Ok(counts.iter().map(|(_, n)| u64::try_from(*n).unwrap_or(0)).sum())
    }

    /// Rebuilds the staff search index from every case and its events, a batch at a time,
    /// calling `progress` with the cases of each batch; returns how many were indexed. Cases
    /// written meanwhile index themselves; until its batch is done, an older case is not found.
    pub async fn reindex(&self, progress: impl FnMut(u64)) -> Outcome<u64> {
        Ok(self.app.store.rebuild_search_index(progress).await?)
    }

    /// How many cases still hold their reporter's details in the clear.
    pub async fn plain_reporter_count(&self) -> Outcome<u64> {
        Ok(self.app.store.plain_reporter_count().await?)
    }

    /// Encrypts every case's reporter details still in the clear with the configured reporter
    /// key, `batch` cases a transaction, calling `progress` with each batch's count; returns
    /// how many. Safe to repeat and to run while the service runs (a case is sealed once).
    pub async fn seal_reporters(&self, batch: i64, progress: impl FnMut(u64)) -> Outcome<u64> {
        Ok(self.app.store.seal_reporters(batch, progress).await?)
    }

    /// How many conversation addresses and call-back numbers are still in the clear.
    pub async fn plain_contact_count(&self) -> Outcome<u64> {
        Ok(self.app.store.plain_contact_count().await?)
    }

    /// Encrypts every conversation address and call-back number still in the clear, as
    /// [`Self::seal_reporters`] does cases; returns how many (conversations, call-backs).
    pub async fn seal_contacts(&self, batch: i64, progress: impl FnMut(u64)) -> Outcome<(u64, u64)> {
        Ok(self.app.store.seal_contacts(batch, progress).await?)
    }

    /// How many values are sealed under another key than the configured reporter key (a
    /// rotation's work).
    pub async fn values_under_old_key(&self) -> Outcome<u64> {
        Ok(self.app.store.count_under_other_key().await?)
    }

    /// Seals every value sealed under the old reporter key (`Settings::old_reporter_key`)
    /// anew under the configured one, `batch` rows a transaction; `progress` hears each
    /// batch's count and may stop the run between batches. Values already under the new key
    /// are skipped, so a second run finishes an interrupted one; until one finishes, no node
    /// opens the store. Every node must be stopped while it runs.
    pub async fn rotate_reporter_key(
        &self,
        batch: i64,
        progress: impl FnMut(u64) -> std::ops::ControlFlow<()>,
    ) -> Outcome<Rotated> {
        let settings = &self.app.settings;
        let (Some(new), Some(old)) = (&settings.reporter_key, &settings.old_reporter_key) else {
            return Err(Failure::Invalid(Invalid::new(
                "no_keys",
                "reporter_key",
                "rotating needs the new key (--reporter-key) and the old one (--old-reporter-key)",
            )));
        };
        if new == old {
            return Err(Failure::Invalid(Invalid::new(
                "same_key",
                "old_reporter_key",
                "the new reporter key is the old one: nothing to rotate",
            )));
        }
        let old = std::sync::Arc::new(crate::identity::sealing::ReporterSealer::new(old)?);
        Ok(self
            .app
            .store
            .rotate_reporter_key(old, batch, self.app.now_micros(), progress)
            .await?)
    }

    /// A step staff took on a historical case, with its event, as it was taken then.
    pub async fn record_step(&self, step: CaseChange) -> Outcome<()> {
        Ok(self.app.store.change_case(step).await?)
    }

    /// Gives every case the SLA clock its timeline implies (see [`clock_from_history`]). For
    /// cases written with
    /// [`Self::add_historical_case`] and [`Self::record_step`], which start no clock.
    pub async fn replay_clocks(&self) -> Outcome<()> {
        let store = &self.app.store;
        let config = self.app.workflow().await?;
        let cases = store
            .list_cases(CaseFilter {
                limit: 100_000,
                ..CaseFilter::default()
            })
            .await?;
        for case in cases {
            let terms = config.terms(case.entity_id, case.service_id, case.priority);
            let events = store.events(case.id).await?;
            let timeline = events.iter().map(|e| {
                (
                    e.at,
                    e.action.as_str(),
                    e.actor_type.as_str(),
                    e.from_status,
                    e.to_status,
                )
            });
            let clock = clock_from_history(case.created_at, &terms, timeline);
            let level = clock_of(&case.sla).level;
            store.set_sla(case.id, level, stored(&clock)).await?;
        }
        Ok(())
    }
}

/// Gives each loaded case the SLA clock its events imply and the routing area its point lies
/// in, under `config` (the installation's, from [`App::workflow`]). Pure: generators call it
/// on their own threads.
pub fn settle_loaded(config: &WorkflowConfig, cases: &mut [LoadedCase]) -> Outcome<()> {
    for loaded in cases {
        let case = &loaded.case;
        let priority = Priority::parse(&case.priority)?;
        let terms = config.terms(case.entity_id, case.service_id, priority);
        let events = case.events.iter().map(|e| {
            (
                e.at,
                e.action.as_str(),
                e.actor_type.as_str(),
                e.from_status,
                e.to_status,
            )
        });
        let clock = clock_from_history(case.created_at, &terms, events);
        let area_id = located_area(config, case);
        loaded.case.sla = stored(&clock);
        loaded.case.area_id = loaded.case.area_id.or(area_id);
    }
    Ok(())
}

/// The SLA clock a case's timeline implies: started at intake, answered by the first staff
/// action, paused while waiting on the reporter, stopped once resolved, closed or rejected,
/// restarted on reopening. Events are `(at, action, actor_type, from, to)`, oldest first.
fn clock_from_history<'e>(
    created_at: i64,
    terms: &SlaTerms,
    events: impl Iterator<Item = (i64, &'e str, &'e str, Option<Status>, Option<Status>)>,
) -> SlaClock {
    let mut clock = SlaClock::start(created_at, terms);
    for (at, action, _, from, to) in events.filter(|(_, _, actor, _, _)| *actor == "staff") {
        match (from, to) {
            (_, Some(Status::Assigned)) if action == "reopen" => clock.reopen(at, terms),
            (Some(Status::WaitingOnReporter), _) => clock.resume(at, terms),
            _ => clock.respond(at, terms),
        }
        match to {
            Some(Status::WaitingOnReporter) => clock.pause(at),
            Some(Status::Resolved | Status::Closed | Status::Rejected | Status::Merged) => clock.stop(),
            _ => {}
        }
    }
    clock
}

/// The routing area holding a case's point, as intake stores it, when it is the case's own
/// entity's: history written in bulk is located like a case received.
fn located_area(config: &WorkflowConfig, case: &CaseInsert) -> Option<i64> {
    let (lon, lat) = (case.lon?, case.lat?);
    config
        .areas_for(case.entity_id)
        .locate(lon, lat)
        .filter(|area| area.entity_id == case.entity_id)
        .map(|area| area.id)
}
