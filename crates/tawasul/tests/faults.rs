//! Faults injected under a running `tawasul serve`: its PostgreSQL server stopped at once in
//! the middle of a load run and started again. While the database is down, requests are
//! answered at once with 503 and `Retry-After` (the API and pages alike), not held until the
//! connection pool gives up; once it is back, the same process serves again, every case it
//! acknowledged is in the database, and the job runner delivers their notifications.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tawasul_testkit::postgres::PrivateServer;
use tawasul_testkit::process::{Node, Storage};
use tawasul_testkit::sinks::SmtpSink;

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");
/// Durability, not abuse: one address posting many cases is let through.
const NO_INTAKE_LIMITS: &str =
    "intake_per_address=1000000/s,intake_per_contact=1000000/s,uploads_per_address=1000000/s";
/// How long a request may take while the database is down before it counts as hanging: well
/// above an immediate refusal, well below the connection pool's former 10 s wait.
const FAST: Duration = Duration::from_secs(5);

fn case_body(service: &str, n: usize) -> Value {
    json!({
        "service": service,
        "kind": "complaint",
        "description": format!("تسرب مياه رقم {n}"),
        "reporter": {"name": "مواطن", "email": format!("resident-{n}@example.test"), "language": "ar"}
    })
}

/// What the load's clients saw: the cases acknowledged (reference, token, reporter's address)
/// and every other answer's status.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<(String, String, String)>,
    refused: Vec<u16>,
}

fn load(
    base: &str,
    service: &str,
    seen: &Arc<Mutex<Seen>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..4)
        .map(|w| {
            let (base, service, seen, stop) = (base.to_owned(), service.to_owned(), seen.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("client");
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let n = w * 1_000_000 + i;
                    let body = case_body(&service, n);
                    let response = client
                        .post(format!("{base}/api/v1/cases"))
                        .json(&body)
                        .send()
                        .expect("the server answers");
                    let status = response.status().as_u16();
                    let mut seen = seen.lock().expect("lock");
                    if status == 201 {
                        let made: Value = response.json().expect("json");
                        seen.acknowledged.push((
                            made["reference"].as_str().expect("reference").to_owned(),
                            made["token"].as_str().expect("token").to_owned(),
                            format!("resident-{n}@example.test"),
                        ));
                    } else {
                        seen.refused.push(status);
                        drop(seen);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            })
        })
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within two minutes");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A request while the database is down: answered within [`FAST`] with 503 and `Retry-After`.
fn refused_at_once(request: reqwest::blocking::RequestBuilder, what: &str) {
    let response = request
        .timeout(FAST)
        .send()
        .unwrap_or_else(|e| panic!("{what} while the database is down: no answer within {FAST:?} ({e})"));
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let body = response.text().unwrap_or_default();
    assert_eq!(status, 503, "{what} while the database is down: {body}");
    let secs: u64 = retry_after
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: 503 without Retry-After"))
        .parse()
        .expect("Retry-After in seconds");
    assert!(secs >= 1, "{what}: Retry-After {secs}");
}

#[test]
fn postgres_restarted_under_load_loses_no_acknowledged_case_and_serves_again() {
    let postgres = PrivateServer::start();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let smtp = runtime.block_on(SmtpSink::start()).expect("SMTP receiver");
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Storage {
        data_dir: dir.path().join("data"),
        database_url: Some(postgres.url()),
    };
    let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port());
    let node = Node::start(
        Path::new(EXE),
        "demo",
        &storage,
        &["--limit", NO_INTAKE_LIMITS, "--smtp-url", smtp_url.as_str()],
    );
    let base = node.base.clone();
    let services: Value = reqwest::blocking::get(format!("{base}/api/v1/services"))
        .expect("services")
        .json()
        .expect("json");
    let service = services["items"][0]["code"].as_str().expect("a service").to_owned();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&base, &service, &seen, &stop);
    wait_until("the load starts", || {
        seen.lock().expect("lock").acknowledged.len() >= 30
    });

    postgres.stop_immediately();
    let acknowledged_before_stop = seen.lock().expect("lock").acknowledged.len();
    let (reference, token, _) = seen.lock().expect("lock").acknowledged[0].clone();
    let client = reqwest::blocking::Client::new();
    refused_at_once(
        client
            .post(format!("{base}/api/v1/cases"))
            .json(&case_body(&service, 0)),
        "POST /api/v1/cases",
    );
    refused_at_once(
        client
            .get(format!("{base}/api/v1/cases/{reference}"))
            .bearer_auth(&token),
        "GET /api/v1/cases/{reference}",
    );
    refused_at_once(
        client.get(format!("{base}/track/{reference}?token={token}")),
        "the tracking page",
    );
    let refused_while_down = seen.lock().expect("lock").refused.len();

    postgres.start_again();
    wait_until("a case is acknowledged after the restart", || {
        seen.lock().expect("lock").acknowledged.len() > acknowledged_before_stop + 10
    });
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client thread");
    }
    let Seen { acknowledged, refused } = std::mem::take(&mut *seen.lock().expect("lock"));
    eprintln!(
        "acknowledged {} cases ({acknowledged_before_stop} before the stop); refused {} (statuses {:?})",
        acknowledged.len(),
        refused.len(),
        refused.iter().collect::<BTreeSet<_>>()
    );
    assert!(refused_while_down > 0, "the load never met the stopped database");
    assert!(
        refused.iter().all(|s| *s == 503),
        "while the database was down every refusal is 503: {:?}",
        refused.iter().collect::<BTreeSet<_>>()
    );

    // Every acknowledged case is there, read back through the same process.
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|(reference, token, _)| {
            let status = client
                .get(format!("{base}/api/v1/cases/{reference}"))
                .bearer_auth(token)
                .send()
                .expect("read a case")
                .status();
            status != 200
        })
        .map(|(reference, ..)| reference)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged cases are missing, e.g. {:?}",
        missing.len(),
        acknowledged.len(),
        missing.first()
    );

    // The job runner lived through the outage: each acknowledged case's reporter is told.
    let reporters: BTreeSet<String> = acknowledged.iter().map(|(.., to)| to.clone()).collect();
    wait_until("every acknowledged case's reporter is mailed", || {
        let mailed: BTreeSet<String> = smtp.messages().into_iter().flat_map(|m| m.to).collect();
        reporters.is_subset(&mailed)
    });
    drop(node);
}
