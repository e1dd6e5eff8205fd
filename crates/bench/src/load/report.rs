//! What each client measured, and the report made of it: a table for the terminal and
//! BENCHMARKS.md, and the same as JSON.

use super::ops::Op;
use super::process::Memory;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// What a row of the report measures: an operation, or for queue and search walks, their
/// first page apart from the pages after it (read by cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub op: Op,
    pub next_page: bool,
}

impl Key {
    pub fn of(op: Op) -> Self {
        Self { op, next_page: false }
    }

    pub fn next_page(op: Op) -> Self {
        Self { op, next_page: true }
    }

    fn name(self) -> String {
        match self.next_page {
            false => self.op.name(),
            true => format!("{}/next", self.op.name()),
        }
    }
}

/// One client's measurements.
#[derive(Default)]
pub struct Recorder {
    rows: HashMap<Key, Samples>,
}

#[derive(Default)]
struct Samples {
    /// Latency of each answer with the expected status, in microseconds.
    latencies_us: Vec<u64>,
    /// Other answers by status (or `transport` when none came).
    errors: BTreeMap<String, u64>,
    /// Picks of the operation left undone for want of a case to work on.
    skipped: u64,
}

impl Recorder {
    pub fn ok(&mut self, key: Key, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.rows.entry(key).or_default().latencies_us.push(micros);
    }

    pub fn error(&mut self, key: Key, what: String) {
        *self.rows.entry(key).or_default().errors.entry(what).or_default() += 1;
    }

    pub fn skipped(&mut self, key: Key) {
        self.rows.entry(key).or_default().skipped += 1;
    }

    pub fn merge(&mut self, other: Recorder) {
        for (key, samples) in other.rows {
            let mine = self.rows.entry(key).or_default();
            mine.latencies_us.extend(samples.latencies_us);
            for (what, n) in samples.errors {
                *mine.errors.entry(what).or_default() += n;
            }
            mine.skipped += samples.skipped;
        }
    }

    /// One row per operation measured, in the mix's order, then the total.
    pub fn summarise(self, elapsed: Duration) -> (Vec<OpSummary>, OpSummary) {
        let mut keys: Vec<Key> = self.rows.keys().copied().collect();
        keys.sort();
        let mut total = Samples::default();
        let mut rows = Vec::with_capacity(keys.len());
        for key in keys {
            let samples = &self.rows[&key];
            rows.push(OpSummary::of(key.name(), samples, elapsed));
            total.latencies_us.extend(&samples.latencies_us);
            for (what, n) in &samples.errors {
                *total.errors.entry(what.clone()).or_default() += n;
            }
            total.skipped += samples.skipped;
        }
        let total = OpSummary::of("total".into(), &total, elapsed);
        (rows, total)
    }
}

/// Count, throughput and latency of one operation. Latencies are those of the answers with
/// the expected status, from sending the request to reading the last byte of the answer.
#[derive(Debug, Serialize)]
pub struct OpSummary {
    pub name: String,
    /// Requests answered, as expected or not.
    pub count: u64,
    pub ok: u64,
    /// Requests per second over the whole run.
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Unexpected answers by HTTP status (`transport` when the request failed).
    pub errors: BTreeMap<String, u64>,
    pub skipped: u64,
}

impl OpSummary {
    fn of(name: String, samples: &Samples, elapsed: Duration) -> Self {
        let mut sorted = samples.latencies_us.clone();
        sorted.sort_unstable();
        // Nearest rank: the smallest latency that `p` of the answers do not exceed.
        let percentile = |p: f64| {
            let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
            sorted.get(rank - 1).map_or(0.0, |us| *us as f64 / 1000.0)
        };
        let ok = sorted.len() as u64;
        let count = ok + samples.errors.values().sum::<u64>();
        Self {
            name,
            count,
            ok,
            per_second: count as f64 / elapsed.as_secs_f64().max(1e-9),
            p50_ms: percentile(0.50),
            p95_ms: percentile(0.95),
            p99_ms: percentile(0.99),
            max_ms: sorted.last().map_or(0.0, |us| *us as f64 / 1000.0),
            errors: samples.errors.clone(),
            skipped: samples.skipped,
        }
    }

    fn table_row(&self) -> String {
        let errors = if self.errors.is_empty() {
            "0".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(what, n)| format!("{n}×{what}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let skipped = match self.skipped {
            0 => String::new(),
            n => format!(" ({n} skipped)"),
        };
        format!(
            "| {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {errors}{skipped} |",
            self.name, self.count, self.per_second, self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms
        )
    }
}

/// The server's memory before and after the run, or why it was not read.
#[derive(Debug, Serialize)]
pub struct ServerMemory {
    pub pid: Option<u32>,
    pub before: Option<Memory>,
    pub after: Option<Memory>,
    /// Why the memory is missing, when it is.
    pub note: Option<String>,
}

/// The whole run, as the JSON report holds it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub base: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    pub user: String,
    pub concurrency: usize,
    pub pages: usize,
    pub duration_limit_s: f64,
    pub request_limit: Option<u64>,
    pub elapsed_s: f64,
    /// The weight of each operation in the mix.
    pub mix: BTreeMap<String, u32>,
    pub operations: Vec<OpSummary>,
    pub total: OpSummary,
    pub server: ServerMemory,
}

impl Report {
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} requests in {:.1} s at concurrency {} against {}\n\n",
            self.total.count, self.elapsed_s, self.concurrency, self.base
        );
        out.push_str("| operation | count | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---|\n");
        for row in self.operations.iter().chain(std::iter::once(&self.total)) {
            out.push_str(&row.table_row());
            out.push('\n');
        }
        let mib = |kib: u64| kib as f64 / 1024.0;
        match (&self.server.before, &self.server.after) {
            (Some(before), Some(after)) => out.push_str(&format!(
                "\nserver RSS: {:.1} MiB after the run ({:.1} MiB before; peak since it started {:.1} MiB), pid {}\n",
                mib(after.rss_kib),
                mib(before.rss_kib),
                mib(after.peak_kib),
                self.server.pid.unwrap_or_default()
            )),
            _ => out.push_str(&format!(
                "\nserver RSS: not read ({})\n",
                self.server.note.as_deref().unwrap_or("unknown")
            )),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_over_the_expected_answers() {
        let mut recorder = Recorder::default();
        for ms in 1..=100 {
            recorder.ok(Key::of(Op::Metrics), Duration::from_millis(ms));
        }
        recorder.error(Key::of(Op::Metrics), "500".into());
        let (rows, total) = recorder.summarise(Duration::from_secs(2));
        let metrics = &rows[0];
        assert_eq!((metrics.count, metrics.ok), (101, 100));
        assert_eq!(
            (metrics.p50_ms, metrics.p95_ms, metrics.p99_ms, metrics.max_ms),
            (50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(metrics.per_second, 50.5);
        assert_eq!(total.errors.get("500"), Some(&1));
    }
}
