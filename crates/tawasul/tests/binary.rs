//! The real binary, as an operator runs it: kill -9 loses no acknowledged case; two nodes on
//! one PostgreSQL see each other's cases; `user add` and `migrate` work on both backends.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");

struct Node {
    child: Child,
    base: String,
}

impl Node {
    fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let mut command = Command::new(EXE);
        command
            .args(["demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            // These tests are about durability: one address posting many cases for one phone
            // number must not be held to a contact centre's limits.
            .args(["--limit", "intake_per_address=1000000/s,intake_per_contact=1000000/s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let mut child = command.spawn().expect("spawn tawasul");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("tawasul exited early: {status}");
            }
            if reqwest::blocking::get(format!("{base}/healthz")).is_ok_and(|r| r.status().is_success()) {
                return Node { child, base };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("tawasul did not answer /healthz in time");
    }

    fn kill9(&mut self) {
        // Child::kill sends SIGKILL on Unix: no graceful shutdown, no flush.
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    fn first_service(&self) -> String {
        let body: Value = reqwest::blocking::get(format!("{}/api/v1/services", self.base))
            .expect("services")
            .json()
            .expect("json");
        body["items"][0]["code"].as_str().expect("a service").to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post_case(client: &reqwest::blocking::Client, base: &str, service: &str, i: usize) -> Option<(String, String)> {
    let body = json!({
        "service": service,
        "kind": "complaint",
        "description": format!("تسرب مياه رقم {i}"),
        "reporter": {"name": "مواطن", "phone": "+97333000000", "language": "ar"}
    });
    let response = client.post(format!("{base}/api/v1/cases")).json(&body).send().ok()?;
    if response.status().as_u16() != 201 {
        return None;
    }
    let made: Value = response.json().ok()?;
    Some((
        made["reference"].as_str()?.to_owned(),
        made["token"].as_str()?.to_owned(),
    ))
}

fn readable(base: &str, reference: &str, token: &str) -> bool {
    reqwest::blocking::Client::new()
        .get(format!("{base}/api/v1/cases/{reference}"))
        .bearer_auth(token)
        .send()
        .is_ok_and(|r| r.status().is_success())
}

/// Several clients post cases; the server is killed with SIGKILL in the middle; every case
/// whose reference was returned is there after a restart on the same data.
fn survives_kill9(database_url: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut node = Node::start(dir.path(), database_url);
    let service = node.first_service();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|w| {
            let (base, service, acknowledged, stop) =
                (node.base.clone(), service.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .expect("client");
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    if let Some(made) = post_case(&client, &base, &service, w * 100_000 + i) {
                        acknowledged.lock().expect("lock").push(made);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    node.kill9();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 50,
        "only {} cases acknowledged before the kill",
        acknowledged.len()
    );
    let restarted = Node::start(dir.path(), database_url);
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(r, t)| !readable(&restarted.base, r, t))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged cases lost, e.g. {:?}",
        lost.len(),
        acknowledged.len(),
        lost.first()
    );
    eprintln!("{} acknowledged cases all present after kill -9", acknowledged.len());
}

#[test]
fn acknowledged_cases_survive_kill9_on_sqlite() {
    survives_kill9(None);
}

fn postgres_database() -> String {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(tawasul_testkit::postgres::fresh_database())
}

#[test]
fn acknowledged_cases_survive_kill9_on_postgres() {
    survives_kill9(Some(&postgres_database()));
}

#[test]
fn two_nodes_on_one_postgres_see_every_case() {
    let url = postgres_database();
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = Node::start(dir_a.path(), Some(&url));
    let b = Node::start(dir_b.path(), Some(&url));
    let service = a.first_service();
    let client = reqwest::blocking::Client::new();
    for i in 0..20 {
        let (writer, reader) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let (reference, token) = post_case(&client, &writer.base, &service, i).expect("created");
        assert!(
            readable(&reader.base, &reference, &token),
            "{reference} written on one node is not read on the other"
        );
    }
    let services_a: Value = client
        .get(format!("{}/api/v1/services", a.base))
        .send()
        .expect("get")
        .json()
        .expect("json");
    let services_b: Value = client
        .get(format!("{}/api/v1/services", b.base))
        .send()
        .expect("get")
        .json()
        .expect("json");
    assert_eq!(services_a, services_b, "the demo was seeded once, not twice");
}

/// `tawasul user add` and `tawasul migrate` on the same data as a running server.
fn cli_creates_staff_who_can_log_in(database_url: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = Node::start(dir.path(), database_url);
    let with_storage = |args: &[&str]| {
        let mut command = Command::new(EXE);
        command.args(args).arg("--data-dir").arg(dir.path());
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        command.output().expect("run tawasul")
    };
    let migrated = with_storage(&["migrate"]);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let added = with_storage(&[
        "user",
        "add",
        "--username",
        "new.officer",
        "--password",
        "a-long-password",
        "--role",
        "officer",
        "--entity",
        "cap",
    ]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let again = with_storage(&[
        "user",
        "add",
        "--username",
        "new.officer",
        "--password",
        "a-long-password",
        "--role",
        "officer",
    ]);
    assert!(!again.status.success(), "a username is taken once");
    let bad_role = with_storage(&[
        "user",
        "add",
        "--username",
        "x.y",
        "--password",
        "a-long-password",
        "--role",
        "emperor",
    ]);
    assert!(!bad_role.status.success());
    let weak = with_storage(&[
        "user",
        "add",
        "--username",
        "x.y",
        "--password",
        "short",
        "--role",
        "agent",
    ]);
    assert!(!weak.status.success());
    let login: Value = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/login", node.base))
        .json(&json!({"username": "new.officer", "password": "a-long-password"}))
        .send()
        .expect("login")
        .json()
        .expect("json");
    assert_eq!(login["role"], "officer");
    assert_eq!(login["entity"], "cap");
}

#[test]
fn cli_user_add_on_sqlite() {
    cli_creates_staff_who_can_log_in(None);
}

#[test]
fn cli_user_add_on_postgres() {
    cli_creates_staff_who_can_log_in(Some(&postgres_database()));
}
