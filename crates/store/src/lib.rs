//! Persistence for Tawasul: one schema in two dialects, SQLite (embedded default) and PostgreSQL.
//!
//! Every operation is written once (`ops`) and compiled for both backends. Writes on SQLite go
//! through a single writer task that commits queued writes together (group commit); on
//! PostgreSQL each write is its own transaction on a pooled connection.

mod dialect;
mod ops;
mod records;
mod sqlite_writer;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgPool, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub use records::*;
use sqlite_writer::Writer;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the case changed meanwhile (it is now {0})")]
    Conflict(String),
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("commit failed: {0}")]
    Commit(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// A unique-constraint violation becomes `Duplicate(what)`; anything else stays as it is.
    fn unique_as(self, what: &str) -> Self {
        match &self {
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Duplicate(what.to_owned())
            }
            _ => self,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite { read: SqlitePool, writer: Writer },
    Postgres(PgPool),
}

/// Runs `ops::<backend>::$op(conn, $input)` in a write transaction: on SQLite through the
/// writer task (committed with whatever else is queued), on PostgreSQL on its own.
macro_rules! write_op {
    ($self:expr, $op:ident, $input:expr) => {{
        let input = $input;
        match &$self.backend {
            Backend::Sqlite { writer, .. } => {
                writer
                    .run(move |c| Box::pin(async move { ops::sqlite::$op(c, input).await }))
                    .await
            }
            Backend::Postgres(pool) => {
                async {
                    let mut tx = pool.begin().await?;
                    let out = ops::pg::$op(&mut tx, input).await?;
                    tx.commit().await?;
                    Ok(out)
                }
                .await
            }
        }
    }};
}

/// Runs `ops::<backend>::$op(conn, $input)` on a pooled read connection.
macro_rules! read_op {
    ($self:expr, $op:ident, $input:expr) => {{
        match &$self.backend {
            Backend::Sqlite { read, .. } => ops::sqlite::$op(&mut *read.acquire().await?, $input).await,
            Backend::Postgres(pool) => ops::pg::$op(&mut *pool.acquire().await?, $input).await,
        }
    }};
}

impl Store {
    /// Opens the database named by `database_url` (PostgreSQL), or else the SQLite file in
    /// `data_dir`, and brings its schema up to date.
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> StoreResult<Self> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::open_postgres(url).await
            }
            Some(url) if url.starts_with("sqlite:") => {
                Self::open_sqlite(SqliteConnectOptions::from_str(url)?.create_if_missing(true)).await
            }
            Some(other) => Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL {other:?}: use postgres://… or sqlite:…").into(),
            ))),
            None => {
                std::fs::create_dir_all(data_dir).map_err(sqlx::Error::Io)?;
                let file = data_dir.join("tawasul.db");
                Self::open_sqlite(SqliteConnectOptions::new().filename(file).create_if_missing(true)).await
            }
        }
    }

    async fn open_sqlite(options: SqliteConnectOptions) -> StoreResult<Self> {
        // FULL: a commit is on disk before the writer acknowledges it, so an acknowledged case
        // survives a crash or power loss. Group commit pays the fsync once per batch.
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-32000")
            .disable_statement_logging();
        let mut conn = options.connect().await?;
        sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            backend: Backend::Sqlite {
                read,
                writer: Writer::spawn(conn),
            },
        })
    }

    async fn open_postgres(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(24)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        // sqlx takes an advisory lock while migrating, so nodes starting together are safe.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            backend: Backend::Postgres(pool),
        })
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Waits for queued writes to commit and closes the connections.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { read, writer } => {
                writer.shutdown().await;
                read.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    pub async fn ping(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { read, .. } => read.acquire().await?.ping().await?,
            Backend::Postgres(pool) => pool.acquire().await?.ping().await?,
        }
        Ok(())
    }

    // Catalogue and staff.

    pub async fn is_empty(&self) -> StoreResult<bool> {
        read_op!(self, is_empty, ())
    }

    pub async fn insert_entity(&self, e: EntityInsert) -> StoreResult<i64> {
        write_op!(self, insert_entity, e).map_err(|e| e.unique_as("entity"))
    }

    pub async fn insert_department(&self, d: DepartmentInsert) -> StoreResult<i64> {
        write_op!(self, insert_department, d).map_err(|e| e.unique_as("department"))
    }

    pub async fn insert_service(&self, s: ServiceInsert) -> StoreResult<i64> {
        write_op!(self, insert_service, s).map_err(|e| e.unique_as("service"))
    }

    pub async fn insert_staff(&self, s: StaffInsert) -> StoreResult<i64> {
        write_op!(self, insert_staff, s).map_err(|e| e.unique_as("username"))
    }

    /// Whether the user exists.
    pub async fn set_staff_email(&self, username: &str, email: Option<String>) -> StoreResult<bool> {
        write_op!(self, set_staff_email, (username.to_owned(), email))
    }

    /// Whether the entity exists.
    pub async fn update_entity(&self, u: EntityUpdate) -> StoreResult<bool> {
        write_op!(self, update_entity, u)
    }

    /// Whether the department exists.
    pub async fn update_department(&self, id: i64, name_ar: String, name_en: String) -> StoreResult<bool> {
        write_op!(self, update_department, (id, name_ar, name_en))
    }

    /// Whether the staff user exists.
    pub async fn update_staff(&self, u: StaffUpdate) -> StoreResult<bool> {
        write_op!(self, update_staff, u)
    }

    /// Whether the staff user exists. Deactivating also ends their sessions.
    pub async fn set_staff_active(&self, id: i64, active: bool) -> StoreResult<bool> {
        write_op!(self, set_staff_active, (id, active))
    }

    /// Whether the staff user exists. Their sessions end, so the old password's holder is out.
    pub async fn set_staff_password(&self, id: i64, password_hash: String) -> StoreResult<bool> {
        write_op!(self, set_staff_password, (id, password_hash))
    }

    pub async fn entity_by_code(&self, code: &str) -> StoreResult<Option<EntityRow>> {
        read_op!(self, entity_by_code, code)
    }

    pub async fn department_by_code(&self, entity_id: i64, code: &str) -> StoreResult<Option<DepartmentRow>> {
        read_op!(self, department_by_code, (entity_id, code))
    }

    pub async fn departments(&self) -> StoreResult<Vec<DepartmentRow>> {
        read_op!(self, departments, ())
    }

    pub async fn services(&self) -> StoreResult<Vec<ServiceRow>> {
        read_op!(self, services, ())
    }

    pub async fn service_by_code(&self, code: &str) -> StoreResult<Option<ServiceRow>> {
        read_op!(self, service_by_code, code)
    }

    pub async fn staff_by_username(&self, username: &str) -> StoreResult<Option<StaffRow>> {
        read_op!(self, staff_by_username, username)
    }

    pub async fn staff_by_id(&self, id: i64) -> StoreResult<Option<StaffRow>> {
        read_op!(self, staff_by_id, id)
    }

    pub async fn staff(&self) -> StoreResult<Vec<StaffRow>> {
        read_op!(self, staff, ())
    }

    // Sessions and one-time codes.

    pub async fn insert_session(&self, s: SessionInsert) -> StoreResult<()> {
        write_op!(self, insert_session, s)
    }

    pub async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>> {
        read_op!(self, session, (token_hash, now))
    }

    pub async fn delete_session(&self, token_hash: String) -> StoreResult<()> {
        write_op!(self, delete_session, token_hash)
    }

    /// Stores a one-time code and the notification that carries it, together.
    pub async fn insert_otp(&self, otp: OtpInsert, message: OutboxInsert) -> StoreResult<()> {
        write_op!(self, insert_otp, (otp, message))
    }

    /// Checks a code against the contact's latest live one, counting the attempt; a match
    /// uses the code up. Returns whether it matched.
    pub async fn redeem_otp(&self, attempt: OtpAttempt) -> StoreResult<bool> {
        write_op!(self, redeem_otp, attempt)
    }

    pub async fn recent_otp_count(&self, contact: &str, since: i64) -> StoreResult<i64> {
        read_op!(self, recent_otp_count, (contact, since))
    }

    pub async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxRow>> {
        read_op!(self, outbox, limit)
    }

    // Cases.

    /// Writes a new case with its first events, or, when its idempotency key was seen
    /// before with the same request, returns the case that key made.
    pub async fn insert_case(&self, case: CaseInsert) -> StoreResult<Inserted> {
        let key = case.idempotency.clone();
        match write_op!(self, insert_case, case) {
            // Two PostgreSQL nodes raced on one key: the loser finds the winner's case.
            Err(e)
                if key.is_some()
                    && matches!(&e, StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation()) =>
            {
                let Some(key) = key else { return Err(e) };
                read_op!(self, replay_idempotent, &key)?.ok_or(e)
            }
            other => other,
        }
    }

    /// Many cases in one transaction: all or none.
    pub async fn insert_cases(&self, cases: Vec<CaseInsert>) -> StoreResult<usize> {
        write_op!(self, insert_cases, cases)
    }

    pub async fn case_by_reference(&self, reference: &str) -> StoreResult<Option<CaseRow>> {
        read_op!(self, case_by_reference, reference)
    }

    pub async fn events(&self, case_id: i64) -> StoreResult<Vec<EventRow>> {
        read_op!(self, events, case_id)
    }

    /// Applies a change to a case if it is still in the status the caller saw.
    pub async fn change_case(&self, change: CaseChange) -> StoreResult<()> {
        write_op!(self, change_case, change)
    }

    pub async fn list_cases(&self, filter: CaseFilter) -> StoreResult<Vec<CaseRow>> {
        read_op!(self, list_cases, &filter)
    }

    pub async fn cases_for_contact(
        &self,
        phone: Option<String>,
        email: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<CaseRow>> {
        read_op!(self, cases_for_contact, (phone, email, limit))
    }

    pub async fn count_by_status(&self) -> StoreResult<Vec<(String, i64)>> {
        read_op!(self, count_by_status, ())
    }

    pub async fn insert_attachment(&self, a: AttachmentInsert) -> StoreResult<i64> {
        write_op!(self, insert_attachment, a)
    }

    pub async fn attachments(&self, case_id: i64) -> StoreResult<Vec<AttachmentRow>> {
        read_op!(self, attachments, case_id)
    }

    pub async fn audit(&self, a: AuditInsert) -> StoreResult<()> {
        write_op!(self, insert_audit, a)
    }

    pub async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRow>> {
        read_op!(self, audit_log, limit)
    }

    // Workflow configuration.

    pub async fn entities(&self) -> StoreResult<Vec<EntityRow>> {
        read_op!(self, entities, ())
    }

    pub async fn upsert_policy(&self, p: PolicyRow) -> StoreResult<()> {
        write_op!(self, upsert_policy, p)
    }

    pub async fn policies(&self) -> StoreResult<Vec<PolicyRow>> {
        read_op!(self, policies, ())
    }

    /// An entity's services, inactive ones too, for its administrators.
    pub async fn managed_services(&self, entity_id: i64) -> StoreResult<Vec<ManagedServiceRow>> {
        read_op!(self, managed_services, entity_id)
    }

    pub async fn managed_service(&self, code: &str) -> StoreResult<Option<ManagedServiceRow>> {
        read_op!(self, managed_service, code)
    }

    pub async fn add_service(&self, s: ServiceInsert, active: bool, audit: AuditInsert) -> StoreResult<i64> {
        write_op!(self, add_service, (s, active, audit)).map_err(|e| e.unique_as("service"))
    }

    pub async fn update_service(&self, s: ServiceUpdate, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, update_service, (s, audit)).map_err(|e| e.unique_as("service"))
    }

    pub async fn set_service_fields(&self, id: i64, fields: String, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, set_service_fields, (id, fields, audit))
    }

    pub async fn reply_templates(&self, entity_id: i64) -> StoreResult<Vec<ReplyTemplateRow>> {
        read_op!(self, reply_templates, entity_id)
    }

    pub async fn reply_template(&self, id: i64) -> StoreResult<Option<ReplyTemplateRow>> {
        read_op!(self, reply_template, id)
    }

    /// Adds a template with its audit row; a second one of the same entity, key and
    /// language is `Duplicate`.
    pub async fn insert_reply_template(&self, t: ReplyTemplateInsert, audit: AuditInsert) -> StoreResult<i64> {
        write_op!(self, insert_reply_template, (t, audit)).map_err(|e| e.unique_as("reply template"))
    }

    pub async fn update_reply_template(&self, t: ReplyTemplateEdit, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, update_reply_template, (t, audit))
    }

    pub async fn delete_reply_template(&self, id: i64, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, delete_reply_template, (id, audit))
    }

    pub async fn upsert_sla_target(&self, t: SlaTargetRow) -> StoreResult<()> {
        write_op!(self, upsert_sla_target, t)
    }

    pub async fn sla_targets(&self) -> StoreResult<Vec<SlaTargetRow>> {
        read_op!(self, sla_targets, ())
    }

    /// Replaces the areas an entity serves; returns how many it now has.
    pub async fn replace_areas(&self, entity_id: i64, areas: Vec<AreaInsert>, at: i64) -> StoreResult<usize> {
        write_op!(self, replace_areas, (entity_id, areas, at))
    }

    pub async fn areas(&self) -> StoreResult<Vec<AreaRow>> {
        read_op!(self, areas, ())
    }

    pub async fn insert_rule(&self, r: RuleInsert) -> StoreResult<i64> {
        write_op!(self, insert_rule, r)
    }

    pub async fn rules(&self) -> StoreResult<Vec<RuleRow>> {
        read_op!(self, rules, ())
    }

    pub async fn upsert_ola(&self, o: OlaRow) -> StoreResult<()> {
        write_op!(self, upsert_ola, o)
    }

    pub async fn olas(&self) -> StoreResult<Vec<OlaRow>> {
        read_op!(self, olas, ())
    }

    // Workflow state.

    pub async fn transfers_of(&self, case_id: i64) -> StoreResult<Vec<TransferRow>> {
        read_op!(self, transfers_of, case_id)
    }

    pub async fn due_escalations(&self, now: i64, limit: i64) -> StoreResult<Vec<CaseRow>> {
        read_op!(self, due_escalations, (now, limit))
    }

    pub async fn last_public_update(&self, case_id: i64) -> StoreResult<Option<i64>> {
        read_op!(self, last_public_update, case_id)
    }

    pub async fn open_escalations_of(&self, case_id: i64) -> StoreResult<Vec<String>> {
        read_op!(self, open_escalations_of, case_id)
    }

    pub async fn staff_to_notify(
        &self,
        entity_id: i64,
        roles: Vec<String>,
        department_id: Option<i64>,
    ) -> StoreResult<Vec<StaffRow>> {
        read_op!(self, staff_to_notify, (entity_id, roles, department_id))
    }

    pub async fn set_sla(&self, case_id: i64, expected_level: i64, sla: CaseSla) -> StoreResult<()> {
        write_op!(self, set_sla, (case_id, expected_level, sla))
    }

    pub async fn count_transfers(&self) -> StoreResult<Vec<(String, i64)>> {
        read_op!(self, count_transfers, ())
    }

    pub async fn count_open_cases(&self) -> StoreResult<i64> {
        read_op!(self, count_open_cases, ())
    }

    // Jobs and delivery.

    pub async fn enqueue_job(&self, job: JobInsert) -> StoreResult<()> {
        write_op!(self, enqueue_job, job)
    }

    pub async fn claim_jobs(&self, owner: &str, now: i64, lease_until: i64, limit: i64) -> StoreResult<Vec<JobRow>> {
        write_op!(self, claim_jobs, (owner.to_owned(), now, lease_until, limit))
    }

    /// Whether the job was still ours to finish.
    pub async fn finish_job(&self, id: i64, owner: &str, now: i64, outcome: JobOutcome) -> StoreResult<bool> {
        write_op!(self, finish_job, (id, owner.to_owned(), now, outcome))
    }

    pub async fn job_counts(&self) -> StoreResult<Vec<(String, String, i64)>> {
        read_op!(self, job_counts, ())
    }

    pub async fn purge(&self, before: i64) -> StoreResult<u64> {
        write_op!(self, purge, before)
    }

    pub async fn outbox_delivery(&self, id: i64) -> StoreResult<Option<OutboxDelivery>> {
        read_op!(self, outbox_delivery, id)
    }

    pub async fn outbox_deliveries(&self, limit: i64) -> StoreResult<Vec<OutboxDelivery>> {
        read_op!(self, outbox_deliveries, limit)
    }

    pub async fn mark_outbox(
        &self,
        id: i64,
        status: &str,
        delivered_at: Option<i64>,
        error: Option<String>,
    ) -> StoreResult<()> {
        write_op!(self, mark_outbox, (id, status.to_owned(), delivered_at, error))
    }

    // web: the closure survey.

    /// Records a case's survey with its timeline entry; a second one for the case is a
    /// `Duplicate`.
    pub async fn insert_survey(&self, s: SurveyInsert) -> StoreResult<i64> {
        write_op!(self, insert_survey, s).map_err(|e| e.unique_as("a survey of this case"))
    }

    pub async fn survey(&self, case_id: i64) -> StoreResult<Option<SurveyRow>> {
        read_op!(self, survey, case_id)
    }
}
pub use sqlx::Error as SqlxError;
