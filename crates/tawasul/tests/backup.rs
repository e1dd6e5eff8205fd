//! `tawasul backup` and `tawasul restore`, run as an operator runs them: a backup taken while
//! cases are being submitted, restored into a fresh data directory (and a fresh PostgreSQL
//! database), holds every case acknowledged before it began; the sealed secrets still open
//! (the restored key is the one they were sealed with), attachments come back byte for byte and
//! the server starts on it. A damaged, truncated, hostile or newer backup, and a target in use,
//! are refused before anything is written.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tawasul_testkit::process::{run, Node, Storage};

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");
/// Durability, not abuse: one address posting many cases for one number is let through.
const NO_INTAKE_LIMITS: [&str; 2] = [
    "--limit",
    "intake_per_address=1000000/s,intake_per_contact=1000000/s,uploads_per_address=1000000/s",
];
const RETRY_KEY: &str = "backup-test-retry-key";

fn exe() -> &'static Path {
    Path::new(EXE)
}

fn postgres_database() -> String {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(tawasul_testkit::postgres::fresh_database())
}

fn storage(data_dir: PathBuf, postgres: bool) -> Storage {
    Storage {
        data_dir,
        database_url: postgres.then(postgres_database),
    }
}

fn backup(storage: &Storage, to: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut args = vec!["backup".to_owned(), "--to".into(), to.display().to_string()];
    args.extend(storage.args());
    run(exe(), &args, env)
}

fn restore(from: &Path, into: &Storage, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["restore".to_owned(), "--from".into(), from.display().to_string()];
    args.extend(into.args());
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    run(exe(), &args, &[])
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn first_service(base: &str) -> String {
    let body: Value = reqwest::blocking::get(format!("{base}/api/v1/services"))
        .expect("services")
        .json()
        .expect("json");
    body["items"][0]["code"].as_str().expect("a service").to_owned()
}

fn case_body(service: &str, i: usize) -> Value {
    json!({
        "service": service,
        "kind": "complaint",
        "description": format!("تسرب مياه رقم {i}"),
        "reporter": {"name": "مواطن", "phone": "+97333000000", "language": "ar"}
    })
}

/// Posts a case; its reference and token when it was acknowledged (201).
fn post_case(
    client: &reqwest::blocking::Client,
    base: &str,
    body: &Value,
    retry_key: Option<&str>,
) -> Option<(String, String)> {
    let mut request = client.post(format!("{base}/api/v1/cases")).json(body);
    if let Some(key) = retry_key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().ok()?;
    if response.status().as_u16() != 201 {
        return None;
    }
    let made: Value = response.json().ok()?;
    Some((
        made["reference"].as_str()?.to_owned(),
        made["token"].as_str()?.to_owned(),
    ))
}

/// The installation's cases by status, as `/metrics` counts them.
fn case_total(base: &str) -> u64 {
    reqwest::blocking::get(format!("{base}/metrics"))
        .expect("metrics")
        .text()
        .expect("text")
        .lines()
        .filter(|l| l.starts_with("tawasul_cases{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The case the test follows through the backup: submitted with a retry key (so its token is
/// kept sealed with the server key) and given a photo by its reporter.
struct Followed {
    reference: String,
    token: String,
    body: Value,
    attachment: String,
    bytes: Vec<u8>,
}

fn follow_a_case(base: &str, service: &str) -> Followed {
    let client = reqwest::blocking::Client::new();
    let body = case_body(service, 0);
    let (reference, token) = post_case(&client, base, &body, Some(RETRY_KEY)).expect("the followed case");
    let uploaded = client
        .post(format!("{base}/api/v1/cases/{reference}/attachments"))
        .bearer_auth(&token)
        .header("Content-Type", "image/jpeg")
        .body(tawasul_testkit::photos::jpeg_with_location())
        .send()
        .expect("upload");
    assert_eq!(
        uploaded.status().as_u16(),
        201,
        "{}",
        uploaded.text().unwrap_or_default()
    );
    let id = uploaded.json::<Value>().expect("json")["id"].to_string();
    let attachment = format!("/api/v1/cases/{reference}/attachments/{id}");
    let bytes = download(&client, base, &attachment, &token);
    assert!(bytes.len() > 100, "the photo is stored");
    Followed {
        reference,
        token,
        body,
        attachment,
        bytes,
    }
}

fn download(client: &reqwest::blocking::Client, base: &str, path: &str, token: &str) -> Vec<u8> {
    let response = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .expect("download");
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.bytes().expect("bytes").to_vec()
}

/// Clients post cases until `stop`; each acknowledged case is pushed as it is.
fn load(
    base: &str,
    service: &str,
    acknowledged: &Arc<Mutex<Vec<(String, String)>>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..4)
        .map(|w| {
            let (base, service, acknowledged, stop) =
                (base.to_owned(), service.to_owned(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    if let Some(made) = post_case(&client, &base, &case_body(&service, w * 100_000 + i), None) {
                        acknowledged.lock().expect("lock").push(made);
                    }
                }
            })
        })
        .collect()
}

fn backup_under_load_restores_every_acknowledged_case(postgres: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = storage(dir.path().join("source"), postgres);
    let node = Node::start(exe(), "demo", &source, &NO_INTAKE_LIMITS);
    let service = first_service(&node.base);
    let followed = follow_a_case(&node.base, &service);
    let cases_before_load = case_total(&node.base);

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&node.base, &service, &acknowledged, &stop);
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().expect("lock").len() < 30 {
        assert!(Instant::now() < deadline, "the load did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before_backup = acknowledged.lock().expect("lock").clone();
    let to = dir.path().join("backup");
    let taken = backup(&source, &to, &[]);
    let during_backup = acknowledged.lock().expect("lock").len();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client thread");
    }
    let all = acknowledged.lock().expect("lock").len();
    eprintln!(
        "acknowledged: {} before the backup began, {during_backup} when it ended, {all} in all",
        before_backup.len()
    );
    assert!(taken.status.success(), "backup: {}", stderr(&taken));
    assert!(
        during_backup > before_backup.len(),
        "no case was acknowledged while the backup ran: it was not taken under load"
    );
    assert!(
        !dir.path().join("backup.partial").exists(),
        "the partial directory was renamed"
    );
    drop(node);

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(to.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["backend"], if postgres { "postgres" } else { "sqlite" });
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(files.contains(&"secret.key"), "{files:?}");
    assert!(files.iter().any(|f| f.starts_with("blobs/")), "{files:?}");

    let target = storage(dir.path().join("restored"), postgres);
    let restored = restore(&to, &target, &[]);
    assert!(restored.status.success(), "restore: {}", stderr(&restored));

    // Counted in the restored database itself: every case acknowledged before the backup
    // began, none that was never acknowledged.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = tawasul_store::Store::open(&target.data_dir, target.database_url.as_deref())
            .await
            .expect("the restored store");
        let mut missing = vec![];
        for (reference, _) in before_backup
            .iter()
            .chain([&(followed.reference.clone(), String::new())])
        {
            if store.case_by_reference(reference).await.expect("read").is_none() {
                missing.push(reference.clone());
            }
        }
        assert!(
            missing.is_empty(),
            "{} of {} cases acknowledged before the backup are missing, e.g. {:?}",
            missing.len(),
            before_backup.len(),
            missing.first()
        );
        let restored_total: i64 = store
            .count_by_status()
            .await
            .expect("counts")
            .iter()
            .map(|(_, n)| n)
            .sum();
        let restored_total = u64::try_from(restored_total).expect("a count");
        let least = cases_before_load + before_backup.len() as u64;
        let most = cases_before_load + all as u64;
        assert!(
            (least..=most).contains(&restored_total),
            "the restored database holds {restored_total} cases; between {least} and {most} were acknowledged by then"
        );
        store.close().await;
    });

    // Restoring again is refused: over the restored data directory, or (into a fresh data
    // directory) over the PostgreSQL database that has tables now.
    let over = if postgres {
        Storage {
            data_dir: dir.path().join("fresh"),
            ..target.clone()
        }
    } else {
        target.clone()
    };
    let again = restore(&to, &over, &[]);
    assert!(!again.status.success(), "a second restore over the first");
    let expected = if postgres { "already has tables" } else { "is not empty" };
    assert!(stderr(&again).contains(expected), "{}", stderr(&again));

    let node = Node::start(exe(), "serve", &target, &NO_INTAKE_LIMITS);
    let client = reqwest::blocking::Client::new();
    let unreadable: Vec<_> = before_backup
        .iter()
        .filter(|(reference, token)| {
            !client
                .get(format!("{}/api/v1/cases/{reference}", node.base))
                .bearer_auth(token)
                .send()
                .is_ok_and(|r| r.status().is_success())
        })
        .collect();
    assert!(
        unreadable.is_empty(),
        "{} cases unreadable by their tokens",
        unreadable.len()
    );
    // The token kept for a retry is sealed with the server key: a retry on the restored
    // server opens it only if the backup's key came back with the database.
    let retried = client
        .post(format!("{}/api/v1/cases", node.base))
        .header("Idempotency-Key", RETRY_KEY)
        .json(&followed.body)
        .send()
        .expect("retry");
    assert_eq!(retried.status().as_u16(), 201, "{}", retried.text().unwrap_or_default());
    let replay: Value = retried.json().expect("json");
    assert_eq!(replay["reference"], followed.reference.as_str());
    assert_eq!(
        replay["token"],
        followed.token.as_str(),
        "the sealed token opened with the restored key"
    );
    assert_eq!(
        download(&client, &node.base, &followed.attachment, &followed.token),
        followed.bytes,
        "the attachment came back byte for byte"
    );
    let (next, _) = post_case(&client, &node.base, &case_body(&service, 1), None).expect("a new case after restoring");
    assert!(
        before_backup.iter().all(|(reference, _)| *reference != next),
        "references continue after the restored ones"
    );
}

#[test]
fn a_backup_under_load_restores_every_acknowledged_case_on_sqlite() {
    backup_under_load_restores_every_acknowledged_case(false);
}

#[test]
fn a_backup_under_load_restores_every_acknowledged_case_on_postgres() {
    backup_under_load_restores_every_acknowledged_case(true);
}

/// A small installation (migrated, with its key, no server running) and a backup of it.
fn installation_with_backup(dir: &Path) -> (Storage, PathBuf) {
    let source = storage(dir.join("source"), false);
    let mut args = vec!["migrate".to_owned()];
    args.extend(source.args());
    let migrated = run(exe(), &args, &[]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let to = dir.join("backup");
    let taken = backup(&source, &to, &[]);
    assert!(taken.status.success(), "{}", stderr(&taken));
    (source, to)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Restores a copy of `backup` changed by `damage`; asserts it is refused with `expected` in
/// the error and that the target data directory was not made.
fn refused(dir: &Path, backup: &Path, name: &str, damage: impl FnOnce(&Path), expected: &str) {
    let damaged = dir.join(format!("damaged-{name}"));
    copy_dir(backup, &damaged);
    damage(&damaged);
    let target = storage(dir.join(format!("target-{name}")), false);
    let restored = restore(&damaged, &target, &[]);
    assert!(!restored.status.success(), "{name}: restored");
    assert!(stderr(&restored).contains(expected), "{name}: {}", stderr(&restored));
    assert!(!target.data_dir.exists(), "{name}: the target was touched");
}

fn edit_manifest(backup: &Path, edit: impl FnOnce(&mut Value)) {
    let path = backup.join("manifest.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write");
}

#[test]
fn a_damaged_or_hostile_backup_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, backup) = installation_with_backup(dir.path());

    refused(
        dir.path(),
        &backup,
        "tampered",
        |b| {
            let path = b.join("tawasul.db");
            let mut bytes = std::fs::read(&path).expect("read");
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x01;
            std::fs::write(&path, bytes).expect("write");
        },
        "tawasul.db does not have the SHA-256 the manifest says",
    );
    refused(
        dir.path(),
        &backup,
        "truncated-file",
        |b| {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(b.join("secret.key"))
                .expect("open");
            file.set_len(10).expect("truncate");
        },
        "secret.key has 10 bytes",
    );
    refused(
        dir.path(),
        &backup,
        "missing-file",
        |b| std::fs::remove_file(b.join("secret.key")).expect("remove"),
        "secret.key is missing",
    );
    refused(
        dir.path(),
        &backup,
        "truncated-manifest",
        |b| {
            let path = b.join("manifest.json");
            let text = std::fs::read(&path).expect("read");
            std::fs::write(&path, &text[..text.len() / 2]).expect("write");
        },
        "manifest.json is not a complete manifest",
    );
    refused(
        dir.path(),
        &backup,
        "no-manifest",
        |b| std::fs::remove_file(b.join("manifest.json")).expect("remove"),
        "it has no manifest.json",
    );
    refused(
        dir.path(),
        &backup,
        "escaping-path",
        |b| {
            std::fs::write(b.join("evil"), b"x").expect("write");
            edit_manifest(b, |m| {
                m["files"].as_array_mut().expect("files").push(json!({
                    "path": "../evil", "size": 1,
                    "sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
                }));
            });
        },
        "lists \"../evil\", which a backup does not hold",
    );
    refused(
        dir.path(),
        &backup,
        "repeated-file",
        |b| {
            edit_manifest(b, |m| {
                let files = m["files"].as_array_mut().expect("files");
                let first = files[0].clone();
                files.push(first);
            });
        },
        "twice",
    );
    refused(
        dir.path(),
        &backup,
        "newer-schema",
        |b| edit_manifest(b, |m| m["schema_version"] = json!(99_999)),
        "is newer than this tawasul knows",
    );
    refused(
        dir.path(),
        &backup,
        "oversized-number",
        |b| edit_manifest(b, |m| m["files"][0]["size"] = json!(u64::MAX)),
        "the manifest says 18446744073709551615",
    );
}

#[test]
fn restore_refuses_a_target_in_use_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, backup) = installation_with_backup(dir.path());
    let target = storage(dir.path().join("in-use"), false);
    std::fs::create_dir_all(&target.data_dir).expect("mkdir");
    std::fs::write(target.data_dir.join("notes.txt"), b"someone's data").expect("write");
    let restored = restore(&backup, &target, &[]);
    assert!(!restored.status.success(), "restored over a data directory in use");
    assert!(stderr(&restored).contains("is not empty"), "{}", stderr(&restored));
    assert!(!target.data_dir.join("tawasul.db").exists(), "nothing was written");

    // With --force, over an installation of its own, whose write-ahead log must not be replayed
    // into the restored database.
    let mut args = vec!["migrate".to_owned()];
    args.extend(target.args());
    assert!(run(exe(), &args, &[]).status.success());
    std::fs::write(target.data_dir.join("tawasul.db-wal"), b"a log of another database").expect("write");
    let forced = restore(&backup, &target, &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(
        std::fs::read(target.data_dir.join("secret.key")).expect("key"),
        std::fs::read(backup.join("secret.key")).expect("key"),
        "the backup's key replaced the installation's"
    );
    let migrated = run(exe(), &args, &[]);
    assert!(
        migrated.status.success(),
        "the restored database opens: {}",
        stderr(&migrated)
    );

    // A SQLite backup is not restored into PostgreSQL.
    let postgres = storage(dir.path().join("pg"), true);
    let sideways = restore(&backup, &postgres, &[]);
    assert!(!sideways.status.success());
    assert!(
        stderr(&sideways).contains("backup is of a SQLite database"),
        "{}",
        stderr(&sideways)
    );
}

#[test]
fn backup_refuses_an_existing_path_and_leaves_none_half_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (source, first) = installation_with_backup(dir.path());
    let again = backup(&source, &first, &[]);
    assert!(!again.status.success(), "a backup over another");
    assert!(stderr(&again).contains("exists and is not empty"), "{}", stderr(&again));

    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("write");
    let onto_file = backup(&source, &file, &[]);
    assert!(!onto_file.status.success(), "a backup over a file");
    assert_eq!(std::fs::read(&file).expect("read"), b"not a directory");

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let into_empty = backup(&source, &empty, &[]);
    assert!(into_empty.status.success(), "{}", stderr(&into_empty));
    assert!(empty.join("manifest.json").exists());

    // Another backup writing (or one interrupted) there already.
    let busy = dir.path().join("busy");
    std::fs::create_dir(dir.path().join("busy.partial")).expect("mkdir");
    let blocked = backup(&source, &busy, &[]);
    assert!(!blocked.status.success());
    assert!(stderr(&blocked).contains("busy.partial exists"), "{}", stderr(&blocked));
    assert!(!busy.exists());
}

#[test]
fn a_postgres_backup_without_pg_dump_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = storage(dir.path().join("source"), true);
    let mut args = vec!["migrate".to_owned()];
    args.extend(source.args());
    assert!(run(exe(), &args, &[]).status.success());
    let to = dir.path().join("backup");
    let taken = backup(&source, &to, &[("PATH", "/nonexistent")]);
    assert!(!taken.status.success(), "a backup without pg_dump");
    assert!(
        stderr(&taken).contains("pg_dump was not found on PATH"),
        "{}",
        stderr(&taken)
    );
    assert!(!to.exists(), "no backup");
    assert!(!dir.path().join("backup.partial").exists(), "nothing half-written left");
}
