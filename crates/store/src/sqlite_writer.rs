//! SQLite has one writer. This task owns the only write connection and commits every write
//! queued while the previous commit was on disk in one transaction (group commit): one fsync
//! for the whole batch, each write in its own savepoint so one failure spoils no other, and
//! each caller answered only after the commit that holds its write.

use crate::{StoreError, StoreResult};
use sqlx::{Connection, SqliteConnection};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// Tells a caller how its write ended, once the batch's commit is known.
type Deliver = Box<dyn FnOnce(Option<String>) + Send>;
/// A queued write: runs its statements and says whether they succeeded, with how to answer.
type Job = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Deliver)> + Send>;

/// More writes than this wait for the next commit, so a burst cannot grow one transaction
/// (and the latency of everyone in it) without bound.
const MAX_BATCH: usize = 512;

enum Message {
    Write(Job),
    /// Commit what came before, then stop and say so.
    Stop(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Message>,
}

fn job<F>(f: F) -> Job
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Deliver)> + Send + 'static,
{
    Box::new(f)
}

impl Writer {
    pub fn spawn(conn: SqliteConnection) -> Self {
        let (queue, received) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_loop(conn, received));
        Self { queue }
    }

    /// Runs `op` in the next batch and returns its result once that batch is committed.
    pub async fn run<R, F>(&self, op: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<R>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let work = job(move |conn| {
            Box::pin(async move {
                let result = op(conn).await;
                let succeeded = result.is_ok();
                let deliver = Box::new(move |commit_error: Option<String>| {
                    let outcome = match commit_error {
                        None => result,
                        Some(e) => Err(StoreError::Commit(e)),
                    };
                    // The caller may have gone (client hung up); the write stands regardless.
                    let _ = answer.send(outcome);
                }) as Deliver;
                (succeeded, deliver)
            })
        });
        self.queue
            .send(Message::Write(work))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answered.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Lets every write queued so far commit, then stops the writer.
    pub async fn shutdown(&self) {
        let (stopped, on_stop) = oneshot::channel();
        if self.queue.send(Message::Stop(stopped)).await.is_ok() {
            let _ = on_stop.await;
        }
    }
}

async fn write_loop(mut conn: SqliteConnection, mut received: mpsc::Receiver<Message>) {
    let mut messages: Vec<Message> = Vec::with_capacity(MAX_BATCH);
    while received.recv_many(&mut messages, MAX_BATCH).await > 0 {
        let mut stop = None;
        let mut batch = Vec::with_capacity(messages.len());
        for message in messages.drain(..) {
            match message {
                Message::Write(work) if stop.is_none() => batch.push(work),
                Message::Write(_) => {} // after a stop: dropped, its caller hears WriterGone
                Message::Stop(reply) => stop = Some(reply),
            }
        }
        commit_batch(&mut conn, batch).await;
        if let Some(reply) = stop {
            let _ = conn.close().await;
            let _ = reply.send(());
            return;
        }
    }
}

async fn commit_batch(conn: &mut SqliteConnection, batch: Vec<Job>) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = execute(conn, "BEGIN IMMEDIATE").await {
        // The jobs are dropped unrun, so their callers hear that nothing was written.
        tracing::error!(error = %e, writes = batch.len(), "could not begin a write transaction");
        return;
    }
    let mut deliveries = Vec::with_capacity(batch.len());
    for work in batch {
        // Each write in its own savepoint: a failed one is undone without spoiling the rest.
        if let Err(e) = execute(conn, "SAVEPOINT job").await {
            tracing::error!(error = %e, "could not open a savepoint; the batch is abandoned");
            let _ = execute(conn, "ROLLBACK").await;
            return;
        }
        let (succeeded, deliver) = work(conn).await;
        let undone = if succeeded {
            Ok(())
        } else {
            execute(conn, "ROLLBACK TO job").await
        };
        if let Err(e) = undone.and(execute(conn, "RELEASE job").await) {
            tracing::error!(error = %e, "could not close a savepoint; the batch is abandoned");
            let _ = execute(conn, "ROLLBACK").await;
            return;
        }
        deliveries.push(deliver);
    }
    let commit_error = match execute(conn, "COMMIT").await {
        Ok(()) => None,
        Err(e) => {
            tracing::error!(error = %e, writes = deliveries.len(), "group commit failed; every write in it failed");
            let _ = execute(conn, "ROLLBACK").await;
            Some(e.to_string())
        }
    };
    for deliver in deliveries {
        deliver(commit_error.clone());
    }
}

async fn execute(conn: &mut SqliteConnection, sql: &'static str) -> sqlx::Result<()> {
    sqlx::query(sql).execute(conn).await.map(|_| ())
}
