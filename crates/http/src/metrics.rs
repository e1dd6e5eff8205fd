//! Prometheus metrics, kept in a registry of the application's own (no global recorder), so
//! that several applications in one test process count separately.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};
use std::time::Instant;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    cases: IntGaugeVec,
    jobs: IntGaugeVec,
    jobs_finished: IntCounterVec,
    undeliverable: IntCounterVec,
    transfers: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "tawasul_http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("tawasul_http_request_duration_seconds", "HTTP request latency by route").buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )
        .expect("valid metric");
        let cases = IntGaugeVec::new(Opts::new("tawasul_cases", "Cases by status"), &["status"]).expect("valid metric");
        let jobs = IntGaugeVec::new(
            Opts::new(
                "tawasul_jobs",
                "Jobs waiting, running or dead, by kind and status (finished ones: tawasul_jobs_finished_total)",
            ),
            &["kind", "status"],
        )
        .expect("valid metric");
        let jobs_finished = IntCounterVec::new(
            Opts::new(
                "tawasul_jobs_finished_total",
                "Jobs this node finished, by kind and outcome",
            ),
            &["kind", "outcome"],
        )
        .expect("valid metric");
        let undeliverable = IntCounterVec::new(
            Opts::new(
                "tawasul_notifications_undeliverable_total",
                "Notifications this node ended as undeliverable (no transport for their channel), by channel",
            ),
            &["channel"],
        )
        .expect("valid metric");
        let transfers = IntGaugeVec::new(
            Opts::new(
                "tawasul_transfers",
                "Misroutes: cases transferred between departments or entities, by status",
            ),
            &["status"],
        )
        .expect("valid metric");
        for metric in [
            Box::new(transfers.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(requests.clone()),
            Box::new(latency.clone()),
            Box::new(cases.clone()),
            Box::new(jobs.clone()),
            Box::new(jobs_finished.clone()),
            Box::new(undeliverable.clone()),
        ] {
            registry.register(metric).expect("metric registered once");
        }
        Self {
            registry,
            requests,
            latency,
            cases,
            jobs,
            jobs_finished,
            undeliverable,
            transfers,
        }
    }

    pub fn set_transfers(&self, counts: &[(String, i64)]) {
        self.transfers.reset();
        for (status, n) in counts {
            self.transfers.with_label_values(&[status.as_str()]).set(*n);
        }
    }

    pub fn set_jobs(&self, counts: &[(String, String, i64)], finished: &[(String, &'static str, u64)]) {
        self.jobs.reset();
        for (kind, status, n) in counts {
            self.jobs.with_label_values(&[kind.as_str(), status.as_str()]).set(*n);
        }
        // The app keeps running totals; the counter catches up with them at each scrape.
        for (kind, outcome, total) in finished {
            let counter = self.jobs_finished.with_label_values(&[kind.as_str(), outcome]);
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }

    /// Catches the counter up with the app's running totals of undeliverable notifications.
    pub fn set_undeliverable(&self, totals: &[(String, u64)]) {
        for (channel, total) in totals {
            let counter = self.undeliverable.with_label_values(&[channel.as_str()]);
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }

    pub fn set_cases(&self, counts: &[(String, i64)]) {
        self.cases.reset();
        for (status, n) in counts {
            self.cases.with_label_values(&[status.as_str()]).set(*n);
        }
    }

    pub fn render(&self) -> String {
        let mut out = vec![];
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The method as a label: one of the standard methods, else `other`, so that made-up methods
/// cannot make new series. (The route is a template of the router or `unmatched`, the status
/// one the server chose: every label has a bounded set of values.)
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Counts and times each request under its route template (never its raw path, which would
/// put references and tokens into labels).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let m = &state.metrics;
    m.latency
        .with_label_values(&[route.as_str(), method])
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[route.as_str(), method, response.status().as_str()])
        .inc();
    response
}
