//! The real binary, as an operator runs it: kill -9 loses no acknowledged case; two nodes on
//! one PostgreSQL see each other's cases; `user add` and `migrate` work on both backends; mail
//! settings that cannot work stop the start with a clear error.

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
        Self::start_with(data_dir, database_url, &[])
    }

    fn start_with(data_dir: &std::path::Path, database_url: Option<&str>, env: &[(&str, &str)]) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let mut command = Command::new(EXE);
        command
            .args(["demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .envs(env.iter().copied());
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
        first_service_of(&self.base)
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

/// What a supervisor and a reporter read from a node: compared before and after the move.
fn readings(base: &str, reference: &str, token: &str) -> Vec<Value> {
    let client = reqwest::blocking::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": tawasul_demo::DEMO_PASSWORD}))
        .send()
        .expect("login")
        .json()
        .expect("json");
    let staff = login["token"].as_str().expect("a staff token");
    let get = |path: &str, bearer: &str| -> Value {
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(bearer)
            .send()
            .expect("get");
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().expect("json")
    };
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .expect("metrics")
        .text()
        .expect("text");
    let cases_by_status: Vec<Value> = metrics
        .lines()
        .filter(|l| l.starts_with("tawasul_cases{"))
        .map(|l| Value::from(l.to_owned()))
        .collect();
    vec![
        get("/api/v1/cases?limit=100", staff),
        get("/api/v1/cases?limit=100&sort=due", staff),
        get("/api/v1/cases?limit=50&q=%D8%AA%D8%B3%D8%B1%D8%A8", staff),
        get(&format!("/api/v1/cases/{reference}"), token),
        Value::from(cases_by_status),
    ]
}

/// Where two readings differ, leaving out what moves with the clock between them.
fn first_difference(was: &Value, is: &Value, path: String) -> Option<String> {
    match (was, is) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
            keys.into_iter().filter(|k| k.as_str() != "minutes_left").find_map(|k| {
                let (x, y) = (a.get(k.as_str()), b.get(k.as_str()));
                first_difference(
                    x.unwrap_or(&Value::Null),
                    y.unwrap_or(&Value::Null),
                    format!("{path}.{k}"),
                )
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, format!("{path}[{i}]"))),
        _ => (was != is).then(|| format!("{path}: {was} then {is}")),
    }
}

/// `tawasul migrate-store`: the demo's store with a case whose text holds what COPY escapes,
/// copied into an empty PostgreSQL database, reads the same there; new cases continue the
/// ids; a second copy into the now full database, or into something else, is refused.
#[test]
fn migrate_store_moves_an_installation_into_postgres() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No background work: the SLA sweep would move clocks between the two readings.
    let quiet = [("TAWASUL_NO_JOBS", "true")];
    let sqlite = Node::start_with(dir.path(), None, &quiet);
    let client = reqwest::blocking::Client::new();
    let made: Value = client
        .post(format!("{}/api/v1/cases", sqlite.base))
        .json(&json!({
            "service": sqlite.first_service(),
            "kind": "complaint",
            "description": "تسرب مياه\tأمام المنزل\nسطر ثان \\ وشرطة \"اقتباس\" \\N",
            "reporter": {"name": "مواطن", "phone": "+97333000001", "language": "ar"}
        }))
        .send()
        .expect("post")
        .json()
        .expect("json");
    let (reference, token) = (
        made["reference"].as_str().expect("reference").to_owned(),
        made["token"].as_str().expect("token").to_owned(),
    );
    let before = readings(&sqlite.base, &reference, &token);
    drop(sqlite);

    let url = postgres_database();
    let migrate = |to: &str| {
        Command::new(EXE)
            .args(["migrate-store", "--to", to, "--data-dir"])
            .arg(dir.path())
            .output()
            .expect("run tawasul")
    };
    let moved = migrate(&url);
    let stdout = String::from_utf8_lossy(&moved.stdout);
    assert!(moved.status.success(), "{}", String::from_utf8_lossy(&moved.stderr));
    assert!(stdout.contains("cases: 501 rows"), "{stdout}");
    let verified = Command::new(EXE)
        .args(["audit", "verify", "--database-url", &url, "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run tawasul");
    assert!(
        verified.status.success() && String::from_utf8_lossy(&verified.stdout).contains("intact"),
        "the audit chain arrives whole: {}",
        String::from_utf8_lossy(&verified.stderr)
    );

    let postgres = Node::start_with(dir.path(), Some(&url), &quiet);
    let after = readings(&postgres.base, &reference, &token);
    for (was, is) in before.iter().zip(&after) {
        if let Some(difference) = first_difference(was, is, String::new()) {
            panic!("the copy reads differently: {difference}");
        }
    }
    let (next, _) = post_case(&client, &postgres.base, &postgres.first_service(), 1).expect("a new case on PostgreSQL");
    assert_ne!(next, reference, "ids continue after the copied ones");

    let again = migrate(&url);
    assert!(!again.status.success(), "a second copy into a database in use");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds data"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let sideways = migrate(&format!("sqlite:{}", dir.path().join("other.db").display()));
    assert!(!sideways.status.success());
    assert!(String::from_utf8_lossy(&sideways.stderr).contains("postgres://"));
}

#[test]
fn mail_settings_that_cannot_work_stop_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let password_file = dir.path().join("imap-password");
    std::fs::write(&password_file, "secret\n").expect("write");
    let imap = [
        "--mail-recipient",
        "complaints@localhost=general",
        "--imap-recipient",
        "complaints@localhost",
    ];
    let refused = |args: &[&str], env: &[(&str, &str)]| {
        let output = Command::new(EXE)
            .arg("serve")
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env_remove("TAWASUL_IMAP_PASSWORD")
            .envs(env.iter().copied())
            .output()
            .expect("run tawasul");
        assert!(!output.status.success(), "{args:?} started");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let url_with_password = [&["--imap-url", "imap://intake:secret@127.0.0.1:1/INBOX"], &imap[..]].concat();
    assert!(refused(&url_with_password, &[("TAWASUL_IMAP_PASSWORD", "x")]).contains("the URL holds a password"));
    let url = [&["--imap-url", "imap://intake@127.0.0.1:1/INBOX"], &imap[..]].concat();
    assert!(refused(&url, &[]).contains("needs a password"));
    let twice = [
        &url[..],
        &["--imap-password-file", password_file.to_str().expect("path")],
    ]
    .concat();
    assert!(refused(&twice, &[("TAWASUL_IMAP_PASSWORD", "x")]).contains("once"));
    assert!(refused(&["--imap-password-file", "x"], &[]).contains("--imap-url"));
    let unknown = [
        &url[..2],
        &[
            "--imap-recipient",
            "other@localhost",
            "--mail-recipient",
            "complaints@localhost=general",
        ],
    ]
    .concat();
    assert!(refused(&unknown, &[("TAWASUL_IMAP_PASSWORD", "x")]).contains("none of the --mail-recipient"));

    let smtp = [
        "--smtp-listen",
        "127.0.0.1:0",
        "--mail-recipient",
        "complaints@localhost=general",
    ];
    let missing = [
        &smtp[..],
        &[
            "--smtp-tls-cert",
            "/nonexistent/cert.pem",
            "--smtp-tls-key",
            "/nonexistent/key.pem",
        ],
    ]
    .concat();
    assert!(refused(&missing, &[]).contains("reading /nonexistent/cert.pem"));
    let no_key = [&smtp[..], &["--smtp-tls-cert", "/nonexistent/cert.pem"]].concat();
    assert!(refused(&no_key, &[]).contains("--smtp-tls-key"));
}

/// The demo takes a load test from one machine with one phone number (the kill -9 tests above
/// post hundreds of cases so); `serve` holds the same client to a contact centre's limits.
#[test]
fn serve_limits_one_contact_where_the_demo_does_not() {
    use tawasul_testkit::process::{Node as Process, Storage};
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Storage {
        data_dir: dir.path().to_owned(),
        database_url: None,
    };
    let client = reqwest::blocking::Client::new();
    let statuses =
        |base: &str, service: &str| -> Vec<u16> {
            (0..25)
            .map(|i| {
                let body = json!({"service": service, "kind": "complaint", "description": format!("تسرب مياه رقم {i}"),
                                  "reporter": {"name": "مواطن", "phone": "+97333000001", "language": "ar"}});
                client.post(format!("{base}/api/v1/cases")).json(&body).send().expect("post").status().as_u16()
            })
            .collect()
        };
    let demo = Process::start(std::path::Path::new(EXE), "demo", &storage, &[]);
    let service = first_service_of(&demo.base);
    assert!(
        statuses(&demo.base, &service).iter().all(|s| *s == 201),
        "the demo takes them all"
    );
    drop(demo);
    let served = Process::start(std::path::Path::new(EXE), "serve", &storage, &[]);
    let answered = statuses(&served.base, &service);
    assert_eq!(
        answered.iter().filter(|s| **s == 201).count(),
        20,
        "20 an hour for one contact: {answered:?}"
    );
    assert!(answered[20..].iter().all(|s| *s == 429), "{answered:?}");
}

fn first_service_of(base: &str) -> String {
    let body: Value = reqwest::blocking::get(format!("{base}/api/v1/services"))
        .expect("services")
        .json()
        .expect("json");
    body["items"][0]["code"].as_str().expect("a service").to_owned()
}
