//! Views of personal data in the audit log. Staff reading a reporter's name, phone or e-mail
//! is an audited act, but a row per read in the read's own path would make every case page a
//! write: the reads queue their rows here and one task writes them in batches (one transaction
//! each, chained in order), so reads stay reads and the writer commits once per batch.

use std::time::Duration;

use tawasul_store::{AuditInsert, Store};
use tokio::sync::{mpsc, oneshot};

use crate::identity::authz::StaffUser;
use crate::App;

/// Rows waiting before a read waits for room: the writer is behind (or the database is away).
const QUEUE: usize = 10_000;
/// Rows written in one transaction at most.
const BATCH: usize = 500;
/// How long a batch gathers rows after its first.
const LINGER: Duration = Duration::from_millis(500);
/// Attempts at a batch once no reader is left to queue more (the node is stopping).
const LAST_ATTEMPTS: u32 = 3;

enum Message {
    View(AuditInsert),
    Flush(oneshot::Sender<()>),
}

/// This node's queue of view rows and the task that writes them.
#[derive(Debug, Clone)]
pub(crate) struct ViewsLog {
    queue: mpsc::Sender<Message>,
}

impl ViewsLog {
    /// Starts the writing task (on the current runtime): it ends when every clone of the log is
    /// dropped, after writing what is queued.
    pub(crate) fn start(store: Store) -> Self {
        let (queue, rows) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(store, rows));
        Self { queue }
    }

    /// Queues a row; waits only when the queue is full.
    pub(crate) async fn record(&self, row: AuditInsert) {
        if self.queue.send(Message::View(row)).await.is_err() {
            tracing::error!("the audit log's writer of views has stopped: a view is not recorded");
        }
    }

    /// Returns once every row queued before the call is written (or given up on).
    pub(crate) async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

impl App {
    /// Records that `user` was shown personal data (`action` says which, `target` where):
    /// queued, written with the next batch.
    pub(crate) async fn audit_view(&self, user: &StaffUser, action: &str, target: &str, details: serde_json::Value) {
        self.views_log
            .record(AuditInsert {
                at: self.now_micros(),
                staff_id: Some(user.id),
                action: action.into(),
                target: target.into(),
                details: details.to_string(),
            })
            .await;
    }

    /// Waits until the views recorded so far are in the audit log (before the node stops).
    pub async fn flush_audit_views(&self) {
        self.views_log.flush().await;
    }
}

async fn write_batches(store: Store, mut messages: mpsc::Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Some(first) = messages.recv().await {
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::View(row) => batch.push(row),
                Message::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH && waiting.is_empty() {
                next = tokio::time::timeout_at(deadline, messages.recv()).await.ok().flatten();
            }
        }
        write(&store, &mut batch, &messages).await;
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes the batch, retrying with a growing pause while the database is away: the rows are
/// not dropped while the node serves (readers wait for room instead once the queue is full).
async fn write(store: &Store, batch: &mut Vec<AuditInsert>, messages: &mpsc::Receiver<Message>) {
    if batch.is_empty() {
        return;
    }
    let mut pause = Duration::from_millis(250);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match store.audit_batch(batch.clone()).await {
            Ok(()) => {
                batch.clear();
                return;
            }
            Err(error) if messages.is_closed() && attempts >= LAST_ATTEMPTS => {
                tracing::error!(%error, rows = batch.len(), "views of personal data not written to the audit log");
                batch.clear();
                return;
            }
            Err(error) => {
                tracing::warn!(%error, rows = batch.len(), "writing views to the audit log; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
        }
    }
}
