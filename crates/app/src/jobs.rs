//! The job runner: background work taken from the `jobs` table under a lease. Any number
//! of nodes run it side by side on PostgreSQL; a job whose node died is taken again once
//! its lease has run out. Notification delivery, the SLA sweep and housekeeping run here.

use crate::conversations::IDLE_CONVERSATION;
use crate::error::Outcome;
use crate::App;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tawasul_domain::vocab::{Channel, OutboundChannel};
use tawasul_notify::{backoff, DeliveryError, Outbound, Rendered, Transport, MAX_ATTEMPTS};
use tawasul_store::{CaseChange, EventInsert, JobInsert, JobOutcome, JobRow, OutboxDelivery, StoreError};

/// How often the periodic jobs run.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// How often the KPI rollups are brought up to date between reports (each report folds too).
const KPI_FOLD_EVERY: Duration = Duration::from_secs(60);
/// How often the last month's KPIs are checked for breaches to tell (each is told once).
const KPI_WATCH_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How often blobs no attachment uses are looked for (`App::sweep_orphan_blobs`).
const BLOB_SWEEP_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How often the retention job looks for cases to anonymise (again at once after a full batch).
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);
/// Finished jobs and idempotency keys are kept this long.
/// WhatsApp's customer-service window (Messenger's standard one alike): free-form messages
/// within a day of the resident's last.
pub(crate) const CUSTOMER_SERVICE_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Providers redeliver a webhook for hours at most (WhatsApp: up to 7 days).
const INBOUND_IDS_KEPT: Duration = Duration::from_secs(8 * 24 * 3600);
const KEEP_FOR: Duration = Duration::from_secs(24 * 3600);
/// A notification's secrets outlive every retry (8 attempts, an hour apart at most) and the
/// SMS quiet hours, and no more.
const SECRETS_KEPT: Duration = Duration::from_secs(2 * 24 * 3600);
/// Notifications that have ended (sent, failed, undeliverable) are kept this long, then forgotten.
const NOTIFICATIONS_KEPT: Duration = Duration::from_secs(30 * 24 * 3600);
/// The messages of a conversation with an agent (their replies, then the rating question):
/// they go out in the order written, each waiting while an earlier message to the same
/// address on the same channel is still to be delivered, for at most [`IN_ORDER_FOR`].
const CONVERSATION_TEMPLATES: [&str; 2] = ["chat_reply", "agent_rating"];
/// How long a conversation's message waits for the one before it (a provider that is down
/// for longer gets them as they come) and how far back it looks.
const IN_ORDER_FOR: Duration = Duration::from_secs(10 * 60);
/// How soon a message that waited is tried again.
const IN_ORDER_RETRY: Duration = Duration::from_secs(2);
/// Jobs one node claims at once; deliveries among them run concurrently.
const CLAIM_BATCH: i64 = 64;
/// How long an idle runner waits before looking again.
const IDLE_POLL: Duration = Duration::from_millis(250);

pub(crate) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Counts of finished jobs by kind and outcome, and of notifications that could not be
/// delivered by channel, for `/metrics`.
#[derive(Default)]
pub struct JobStats {
    finished: Mutex<BTreeMap<(String, &'static str), u64>>,
    undeliverable: Mutex<BTreeMap<String, u64>>,
}

impl JobStats {
    fn count(&self, kind: &str, outcome: &'static str) {
        if let Ok(mut map) = self.finished.lock() {
            *map.entry((kind.to_owned(), outcome)).or_default() += 1;
        }
    }

    fn count_undeliverable(&self, channel: &str) {
        if let Ok(mut map) = self.undeliverable.lock() {
            *map.entry(channel.to_owned()).or_default() += 1;
        }
    }

    /// Notifications this node ended as undeliverable, by channel.
    pub fn undeliverable(&self) -> Vec<(String, u64)> {
        self.undeliverable
            .lock()
            .map(|m| m.iter().map(|(c, n)| (c.clone(), *n)).collect())
            .unwrap_or_default()
    }

    pub fn snapshot(&self) -> Vec<(String, &'static str, u64)> {
        self.finished
            .lock()
            .map(|m| m.iter().map(|((k, o), n)| (k.clone(), *o, *n)).collect())
            .unwrap_or_default()
    }
}

/// The delivery adapters this node has: one table from channel to transport. A channel
/// missing from it is off, and its notifications end as undeliverable with that reason.
#[derive(Default)]
pub struct Transports {
    pub by_channel: BTreeMap<OutboundChannel, Box<dyn Transport>>,
    pub sms_quiet_hours: Option<tawasul_notify::QuietHours>,
}

impl App {
    /// Makes sure the periodic jobs exist (their keys make this idempotent across nodes).
    pub async fn schedule_periodic_jobs(&self) -> Outcome<()> {
        let now = self.now_micros();
        for kind in ["sla_sweep", "purge", "kpi_fold", "kpi_watch", "retention", "blob_sweep"] {
            self.store
                .enqueue_job(JobInsert {
                    kind: kind.into(),
                    key: kind.into(),
                    payload: "{}".into(),
                    run_at: now,
                })
                .await?;
        }
        Ok(())
    }

    /// Claims the jobs due now and runs them; returns how many it ran.
    pub async fn run_due_jobs(&self) -> Outcome<usize> {
        let now = self.now_micros();
        let lease_until = now + micros(self.settings.job_lease);
        let jobs = self
            .store
            .claim_jobs(&self.settings.node, now, lease_until, CLAIM_BATCH)
            .await?;
        let count = jobs.len();
        let runs = jobs.into_iter().map(|job| async move {
            let outcome = self.run_job(&job).await;
            let label = match &outcome {
                JobOutcome::Done | JobOutcome::Again { .. } => "done",
                JobOutcome::Retry { .. } => "retry",
                JobOutcome::Dead { .. } => "dead",
            };
            self.jobs.count(&job.kind, label);
            let finished = self
                .store
                .finish_job(job.id, &self.settings.node, self.now_micros(), outcome)
                .await;
            if let Err(e) = finished {
                tracing::warn!(job = job.id, error = %e, "could not record the end of a job; its lease will expire");
            }
        });
        futures::future::join_all(runs).await;
        Ok(count)
    }

    /// Runs jobs until none is due: for tests on a settable clock, and for `bench`.
    pub async fn run_jobs_until_idle(&self) -> Outcome<usize> {
        let mut total = 0;
        loop {
            let ran = self.run_due_jobs().await?;
            if ran == 0 {
                return Ok(total);
            }
            total += ran;
        }
    }

    /// The runner loop of `tawasul serve`, until `stop` resolves.
    pub async fn run_jobs(&self, stop: impl std::future::Future<Output = ()>) {
        if let Err(e) = self.schedule_periodic_jobs().await {
            tracing::error!(error = %e, "could not schedule the periodic jobs");
        }
        tokio::pin!(stop);
        loop {
            let pause = match self.run_due_jobs().await {
                Ok(n) if n as i64 == CLAIM_BATCH => Duration::ZERO,
                Ok(_) => IDLE_POLL,
                Err(e) => {
                    tracing::warn!(error = %e, "job runner could not claim work");
                    Duration::from_secs(2)
                }
            };
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn run_job(&self, job: &JobRow) -> JobOutcome {
        let now = self.now_micros();
        let result = match job.kind.as_str() {
            "deliver" => return self.deliver(job).await,
            tawasul_store::CALLBACK_JOB => return self.place_callback(job).await,
            "sla_sweep" => self.sla_sweep().await.map(|report| {
                if report.steps > 0 {
                    tracing::info!(due = report.due, steps = report.steps, "SLA sweep escalated cases");
                }
                let next = if report.more { now } else { now + micros(SWEEP_EVERY) };
                JobOutcome::Again { run_at: next }
            }),
            "purge" => self
                .housekeeping(now)
                .await
                .map_err(Into::into)
                .map(|_| JobOutcome::Again {
                    run_at: now + micros(PURGE_EVERY),
                }),
            "kpi_fold" => self
                .fold_kpis(&|_| {})
                .await
                .map_err(Into::into)
                .map(|_| JobOutcome::Again {
                    run_at: now + micros(KPI_FOLD_EVERY),
                }),
            "kpi_watch" => self.alert_missed_kpis().await.map_err(Into::into).map(|told| {
                if told > 0 {
                    tracing::info!(told, "missed KPIs told to the entities' administrators");
                }
                JobOutcome::Again {
                    run_at: now + micros(KPI_WATCH_EVERY),
                }
            }),
            "blob_sweep" => self.sweep_orphan_blobs().await.map_err(Into::into).map(|removed| {
                if removed > 0 {
                    tracing::info!(removed, "blobs no attachment uses removed");
                }
                JobOutcome::Again {
                    run_at: now + micros(BLOB_SWEEP_EVERY),
                }
            }),
            "retention" => match self.settings.retention_years {
                None => Ok(JobOutcome::Again {
                    run_at: now + micros(RETENTION_EVERY),
                }),
                Some(years) => self.anonymise_expired(years).await.map_err(Into::into).map(|run| {
                    if run.anonymised > 0 {
                        tracing::info!(anonymised = run.anonymised, years, "reporters of old cases anonymised");
                    }
                    let next = if run.more { now } else { now + micros(RETENTION_EVERY) };
                    JobOutcome::Again { run_at: next }
                }),
            },
            other => {
                return JobOutcome::Dead {
                    error: format!("unknown job kind {other:?}"),
                }
            }
        };
        result.unwrap_or_else(|e| self.retry_or_dead(job, e.to_string()))
    }

    /// Housekeeping: finished jobs and idempotency keys (with their sealed tokens) after a
    /// day; notifications' secrets once no delivery can need them; ended notifications after
    /// their retention; ended sessions (past their absolute or idle end), expired one-time
    /// codes, and limit counters whose window is over; conversations left idle (ended as
    /// `timed_out`), and providers' message ids once no provider retries them.
    async fn housekeeping(&self, now: i64) -> Outcome<u64> {
        let jobs = self.store.purge(now - micros(KEEP_FOR)).await?;
        let idle = self
            .store
            .end_idle_conversations(now - micros(IDLE_CONVERSATION), now, "timed_out")
            .await?;
        self.store.purge_inbound(now - micros(INBOUND_IDS_KEPT)).await?;
        self.store
            .purge_notifications(now - micros(SECRETS_KEPT), now - micros(NOTIFICATIONS_KEPT))
            .await?;
        let identity = self.store.purge_identity(now, now - micros(KEEP_FOR)).await?;
        Ok(jobs + identity + idle)
    }

    pub(crate) fn retry_or_dead(&self, job: &JobRow, error: String) -> JobOutcome {
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        if attempts >= MAX_ATTEMPTS {
            JobOutcome::Dead { error }
        } else {
            JobOutcome::Retry {
                run_at: self.now_micros() + micros(backoff(attempts)),
                error,
            }
        }
    }

    /// The delivery status shown on a notification; the job's own outcome is what retries,
    /// so a failure to record it is logged, not fatal.
    async fn record_delivery(&self, id: i64, status: &str, error: Option<String>) {
        if let Err(e) = self.store.mark_outbox(id, status, None, error).await {
            tracing::warn!(notification = id, error = %e, "could not record a delivery status");
        }
    }

    /// A provider's refusal (an HTTP error status) of a message about a case, on the case's
    /// timeline for its staff (internal): once per message (`key`), however often it is tried
    /// again. A failure to write it is logged; the delivery goes on as it would.
    pub(crate) async fn note_refusal(&self, reference: &str, key: String, details: serde_json::Value) {
        for _ in 0..3 {
            let case = match self.store.case_by_reference(reference).await {
                Ok(Some(case)) => case,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(reference, error = %e, "could not read the case of a refused message");
                    return;
                }
            };
            let at = self.now_micros();
            let change = CaseChange {
                case_id: case.id,
                expected_status: case.status,
                at,
                event: EventInsert {
                    case_id: case.id,
                    at,
                    actor_type: "system".into(),
                    actor_id: None,
                    actor_name: "delivery".into(),
                    action: "delivery_refused".into(),
                    from_status: None,
                    to_status: None,
                    public: false,
                    body: None,
                    details: details.to_string(),
                },
                inbound: Some(("delivery".into(), format!("refused/{key}"))),
                ..Default::default()
            };
            match self.store.change_case(change).await {
                // Told before: a retry of the same message.
                Ok(()) | Err(StoreError::Duplicate(_)) => return,
                // The case moved on meanwhile: read it again.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => {
                    tracing::warn!(reference, error = %e, "could not note a refused message on its case");
                    return;
                }
            }
        }
    }

    /// Delivers one outbox notification. The notification's id is its idempotency key
    /// (Message-ID, Idempotency-Key header), so a delivery repeated after a node died
    /// between sending and recording is recognised by the receiver.
    async fn deliver(&self, job: &JobRow) -> JobOutcome {
        let id = serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|p| p["outbox_id"].as_i64());
        let Some(id) = id else {
            return JobOutcome::Dead {
                error: "delivery job without an outbox id".into(),
            };
        };
        let row = match self.store.outbox_delivery(id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                return JobOutcome::Dead {
                    error: format!("notification {id} is gone"),
                }
            }
            Err(e) => return self.retry_or_dead(job, e.to_string()),
        };
        if row.status == "sent" {
            return JobOutcome::Done;
        }
        let transports = &self.transports;
        let channel = OutboundChannel::parse(&row.channel);
        let transport = channel.as_ref().ok().and_then(|c| transports.by_channel.get(c));
        let Some(transport) = transport else {
            let reason = match channel {
                Ok(channel) => format!("no transport configured for {channel}"),
                Err(_) => format!("unknown channel {:?}", row.channel),
            };
            tracing::warn!(notification = id, channel = %row.channel, %reason, "notification undeliverable");
            self.jobs.count_undeliverable(&row.channel);
            self.record_delivery(id, "undeliverable", Some(reason)).await;
            return JobOutcome::Done;
        };
        if channel == Ok(OutboundChannel::Sms) {
            if let Some(until) = transports
                .sms_quiet_hours
                .as_ref()
                .and_then(|q| q.defer_until(self.now()))
            {
                return JobOutcome::Again {
                    run_at: tawasul_domain::micros(until),
                };
            }
        }
        // After the quiet hours, which defer a conversation's messages alike.
        if let Some(run_at) = self.after_earlier_messages(&row, id).await {
            return match run_at {
                Ok(run_at) => JobOutcome::Again { run_at },
                Err(e) => self.retry_or_dead(job, e.to_string()),
            };
        }
        let payload = serde_json::from_str(&row.payload).unwrap_or_default();
        let payload = match self.with_secrets(&row.template, payload, row.secret.as_deref()) {
            Ok(p) => p,
            Err(e) => {
                self.record_delivery(id, "failed", Some(e.clone())).await;
                return JobOutcome::Dead { error: e };
            }
        };
        let rendered: Rendered = match self.templates.render(&row.template, &row.language, &payload) {
            Ok(r) => r,
            Err(e) => {
                self.record_delivery(id, "failed", Some(e.to_string())).await;
                return JobOutcome::Dead { error: e.to_string() };
            }
        };
        let references = match channel {
            Ok(OutboundChannel::Email) => match self.mail_thread_of(id).await {
                Ok(references) => references,
                Err(e) => return self.retry_or_dead(job, e.to_string()),
            },
            _ => vec![],
        };
        // WhatsApp and Messenger take free text within a day of the resident's last message.
        let heard_from = match channel {
            Ok(OutboundChannel::Whatsapp) => Some((
                Channel::Whatsapp,
                row.recipient.chars().filter(char::is_ascii_digit).collect::<String>(),
            )),
            Ok(OutboundChannel::Social) => Some((Channel::Social, row.recipient.clone())),
            _ => None,
        };
        let in_session = match heard_from {
            Some((channel, address)) => match self.store.last_heard(channel.as_str(), &address).await {
                Ok(heard) => heard.is_some_and(|at| at > self.now_micros() - micros(CUSTOMER_SERVICE_WINDOW)),
                Err(e) => return self.retry_or_dead(job, e.to_string()),
            },
            None => false,
        };
        let message = Outbound {
            id,
            channel: row.channel.clone(),
            recipient: row.recipient.clone(),
            template: row.template.clone(),
            rendered,
            references,
            in_session,
        };
        let outcome = match transport.deliver(&message).await {
            Ok(()) => {
                let sent = self.store.mark_outbox(id, "sent", Some(self.now_micros()), None).await;
                match sent {
                    Ok(()) => JobOutcome::Done,
                    Err(e) => self.retry_or_dead(job, e.to_string()),
                }
            }
            Err(e) => {
                if let (Some(status), Some(reference)) = (e.refused_status(), payload["reference"].as_str()) {
                    let details = serde_json::json!({
                        "notification": id, "channel": row.channel, "status": status, "error": excerpt(&e),
                    });
                    self.note_refusal(reference, format!("notification/{id}"), details)
                        .await;
                }
                if e.is_permanent() {
                    JobOutcome::Dead { error: e.to_string() }
                } else {
                    self.retry_or_dead(job, e.to_string())
                }
            }
        };
        let status = match &outcome {
            JobOutcome::Dead { error } => Some(("failed", error.clone())),
            JobOutcome::Retry { error, .. } => Some(("retrying", error.clone())),
            _ => None,
        };
        if let Some((status, error)) = status {
            self.record_delivery(id, status, Some(error)).await;
        }
        outcome
    }

    /// When a message of a conversation (see [`CONVERSATION_TEMPLATES`]) is to be tried again
    /// because an earlier one to the same address is still to be delivered: at once when that
    /// one is only waiting its turn (the runner delivers it first), after [`IN_ORDER_RETRY`]
    /// when a provider failed it; none when it may go now.
    async fn after_earlier_messages(&self, row: &OutboxDelivery, id: i64) -> Option<Result<i64, StoreError>> {
        let now = self.now_micros();
        let window = micros(IN_ORDER_FOR);
        if !CONVERSATION_TEMPLATES.contains(&row.template.as_str()) || now >= row.created_at + window {
            return None;
        }
        let earlier = self
            .store
            .earlier_undelivered(
                &row.channel,
                &row.recipient,
                id,
                row.created_at - window,
                &CONVERSATION_TEMPLATES,
            )
            .await;
        match earlier {
            Ok(None) => None,
            Ok(Some(status)) if status == "pending" => Some(Ok(now)),
            Ok(Some(_)) => Some(Ok(now + micros(IN_ORDER_RETRY))),
            Err(e) => Some(Err(e)),
        }
    }
}

/// What a provider said when it refused, short enough for a timeline.
pub(crate) fn excerpt(error: &DeliveryError) -> String {
    error.to_string().chars().take(300).collect()
}
