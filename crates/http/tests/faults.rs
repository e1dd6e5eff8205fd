//! Faults under the attachment store (issue 13, "Faults"), on each backend:
//!
//! - a report that fails after storing its photo leaves the blob alone, since another report
//!   of the same photo may have stored (found) the same blob meanwhile and committed; such a
//!   report used to lose its file when the failed one removed "its" blob;
//! - blobs no attachment uses are removed by the orphan sweep once past their grace, and only
//!   those;
//! - a full disk under the attachment store is a clear 507 (API and form), with no case, no
//!   temporary file left, and the next report succeeds once there is room;
//! - notifications wait while the SMTP server is down and are delivered once each when it is
//!   back; SMS alike while the gateway refuses connections, then answers 503, with the retries
//!   spaced as the delivery policy says (30 s, then a minute).

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;
use tawasul_app::cases::blobs::BlobStore;
use tawasul_app::cases::intake::{Intake, Upload};
use tawasul_app::CasesError;
use tawasul_testkit::fixtures::Fixtures;
use tawasul_testkit::sinks::SmtpSink;
use tawasul_testkit::{on_both, png, spawn, Backend, Options, TestApp, CSRF};
use tokio::sync::Semaphore;

async fn faults(backend: Backend) -> TestApp {
    let mut options = Options::on(backend);
    options.clock_starts = Some(chrono::Utc::now());
    let t = spawn(options).await;
    Fixtures::new(&t.app).await.capital(json!([])).await;
    t
}

fn draft(text: &str) -> Value {
    json!({
        "service": "water-leak",
        "kind": "complaint",
        "description": text,
        "reporter": {"name": "فاطمة أحمد", "email": "fatima@example.bh", "language": "ar"}
    })
}

fn intake(text: &str, photos: &[Vec<u8>], key: Option<&str>) -> Intake {
    Intake {
        draft: serde_json::from_value(draft(text)).expect("a draft"),
        files: photos
            .iter()
            .map(|bytes| Upload {
                bytes: bytes.clone(),
                content_type: Some("image/png".into()),
                filename: Some("photo.png".into()),
            })
            .collect(),
        idempotency_key: key.map(str::to_owned),
    }
}

/// A small PDF whose bytes differ with `text`.
fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes()
}

/// A report from `email` bringing one PDF.
fn with_pdf(text: &str, file: &[u8], email: &str) -> Intake {
    let mut report = intake(text, &[], None);
    report.draft.reporter.as_mut().expect("a reporter").email = Some(email.into());
    report.files.push(Upload {
        bytes: file.to_vec(),
        content_type: Some("application/pdf".into()),
        filename: Some("report.pdf".into()),
    });
    report
}

fn photo_part(bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec())
        .file_name("photo.png")
        .mime_str("image/png")
        .expect("mime")
}

/// Posts a case with `photo` to the API.
async fn post_case(t: &TestApp, text: &str, photo: &[u8]) -> (StatusCode, Value, Option<String>) {
    let case = Part::text(draft(text).to_string())
        .mime_str("application/json")
        .expect("mime");
    let form = Form::new().part("case", case).part("photos", photo_part(photo));
    let response = t
        .client
        .post(t.url("/api/v1/cases"))
        .multipart(form)
        .send()
        .await
        .expect("the server answers");
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let status = response.status();
    (status, response.json().await.expect("json"), retry_after)
}

/// The bytes of the (first) photo of an acknowledged case, read as its reporter.
async fn photo_of(t: &TestApp, receipt: &Value) -> Vec<u8> {
    let (reference, token) = (
        receipt["reference"].as_str().expect("reference"),
        receipt["token"].as_str(),
    );
    let (status, case) = t.api_get(&format!("/api/v1/cases/{reference}"), token).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let url = case["attachments"][0]["url"]
        .as_str()
        .expect("an attachment")
        .to_owned();
    let response = t
        .client
        .get(t.url(&url))
        .bearer_auth(token.expect("token"))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK, "the photo of {reference} is served");
    response.bytes().await.expect("bytes").to_vec()
}

fn blob_path(t: &TestApp, bytes: &[u8]) -> PathBuf {
    let key = hex::encode(sha2::Sha256::digest(bytes));
    t.data_dir.path().join("blobs").join(&key[..2]).join(key)
}

/// Every file under `dir`, the directories left out.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = vec![];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The application's own blob store, paused after each `put` until the test lets it go: the
/// moment between storing a report's photo and writing its case.
struct Paused {
    blobs: Arc<dyn BlobStore>,
    stored: Semaphore,
    go: Semaphore,
}

#[async_trait::async_trait]
impl BlobStore for Paused {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.blobs.put(key, bytes).await?;
        self.stored.add_permits(1);
        self.go.acquire().await?.forget();
        Ok(())
    }
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.blobs.get(key).await
    }
    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.blobs.delete(key).await
    }
    async fn stored_before(&self, before: SystemTime) -> anyhow::Result<Vec<String>> {
        self.blobs.stored_before(before).await
    }
    async fn delete_if_stored_before(&self, key: &str, before: SystemTime) -> anyhow::Result<bool> {
        self.blobs.delete_if_stored_before(key, before).await
    }
}

/// A small tmpfs mounted over a directory for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount_over(dir: &Path) -> Self {
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            mounted.status.success(),
            "this test fills a small tmpfs mounted under the attachment store and needs root to \
             mount it (`mount -t tmpfs` failed: {})",
            String::from_utf8_lossy(&mounted.stderr)
        );
        Self(dir.to_path_buf())
    }

    /// Writes a file until the filesystem has no room left; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).expect("the filler");
        let chunk = vec![0u8; 4096];
        loop {
            if let Err(e) = file.write_all(&chunk).and_then(|()| file.sync_all()) {
                assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{e}");
                return filler;
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

on_both! { faults;
    async fn a_failed_report_leaves_the_blob_a_committed_report_shares(t: &TestApp) {
        let photo = png(7);
        t.app.submit(intake("حفرة في الشارع", &[], Some("race-key"))).await.expect("the first report");

        // The same retry key with another report and a photo: refused, but only once its photo
        // is stored.
        let paused = Arc::new(Paused { blobs: t.app.blobs.clone(), stored: Semaphore::new(0), go: Semaphore::new(0) });
        let mut failing = t.app.clone();
        failing.blobs = paused.clone();
        let photo_again = photo.clone();
        let refused = tokio::spawn(async move { failing.submit(intake("تسرب آخر", &[photo_again], Some("race-key"))).await });
        paused.stored.acquire().await.expect("the photo is stored").forget();

        // Meanwhile another resident reports the same photo, and is acknowledged.
        let (status, receipt, _) = post_case(t, "تسرب مياه أمام المدرسة", &photo).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        paused.go.add_permits(1);
        let refused = refused.await.expect("the task");
        assert!(matches!(refused, Err(CasesError::IdempotencyKeyReused)), "{refused:?}");

        assert_eq!(photo_of(t, &receipt).await, photo, "the acknowledged case keeps its photo");
        assert!(blob_path(t, &photo).exists());
    }

    async fn the_sweep_removes_only_blobs_no_attachment_uses_once_past_their_grace(t: &TestApp) {
        let (kept, orphan) = (png(8), png(9));
        let (status, receipt, _) = post_case(t, "تسرب مياه", &kept).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        t.app.submit(intake("حفرة", &[], Some("sweep-key"))).await.expect("a report");
        let refused = t.app.submit(intake("حفرة أخرى", std::slice::from_ref(&orphan), Some("sweep-key"))).await;
        assert!(matches!(refused, Err(CasesError::IdempotencyKeyReused)), "{refused:?}");
        assert!(blob_path(t, &orphan).exists(), "the failed report's blob waits for the sweep");

        assert_eq!(t.app.sweep_orphan_blobs().await.expect("sweep"), 0, "nothing is removed within the grace");
        assert!(blob_path(t, &orphan).exists());

        t.advance(chrono::Duration::minutes(61));
        assert_eq!(t.app.sweep_orphan_blobs().await.expect("sweep"), 1);
        assert!(!blob_path(t, &orphan).exists(), "the orphan is removed");
        assert_eq!(photo_of(t, &receipt).await, kept, "the used blob is kept");
        assert_eq!(t.app.sweep_orphan_blobs().await.expect("sweep"), 0);
    }

    async fn anonymisation_leaves_files_to_the_sweep_so_a_report_of_the_same_file_keeps_it(t: &TestApp) {
        // Anonymisation removes the reporter's PDFs and recordings (photos are kept, renamed).
        let (shared, alone) = (pdf("شهادة"), pdf("فاتورة"));
        // Fatima's cases: one with a file another resident is about to send too, one with a
        // file of her own.
        for (text, file) in [("تسرب مياه", &shared), ("حفرة", &alone)] {
            t.app.submit(with_pdf(text, file, "fatima@example.bh")).await.expect("Fatima's report");
        }
        // Another resident's report of the same file: stored, its case not yet written.
        let paused = Arc::new(Paused { blobs: t.app.blobs.clone(), stored: Semaphore::new(0), go: Semaphore::new(0) });
        let mut racing = t.app.clone();
        racing.blobs = paused.clone();
        let other = with_pdf("تسرب أمام المدرسة", &shared, "ali@example.bh");
        let report = tokio::spawn(async move { racing.submit(other).await });
        paused.stored.acquire().await.expect("the file is stored").forget();

        // Meanwhile Fatima's data is erased (her cases are open: forced).
        let erased = t.app.operator().privacy_erase("fatima@example.bh", true).await.expect("erase");
        assert!(matches!(&erased, tawasul_app::cases::privacy::Erasure::Done { cases, .. } if cases.len() == 2), "{erased:?}");
        assert!(blob_path(t, &shared).exists() && blob_path(t, &alone).exists(), "files are left to the sweep");

        paused.go.add_permits(1);
        let receipt = report.await.expect("the task").expect("the other report is acknowledged");
        let receipt = json!({"reference": receipt.reference, "token": receipt.token});
        assert_eq!(photo_of(t, &receipt).await, shared, "the other resident's case keeps its file");

        // Past the grace, the sweep removes the file only Fatima's case used, and only it.
        assert_eq!(t.app.sweep_orphan_blobs().await.expect("sweep"), 0, "nothing within the grace");
        t.advance(chrono::Duration::minutes(61));
        assert_eq!(t.app.sweep_orphan_blobs().await.expect("sweep"), 1);
        assert!(!blob_path(t, &alone).exists(), "the erased case's own file is gone");
        assert_eq!(photo_of(t, &receipt).await, shared, "the shared file is kept");
    }

    async fn a_full_disk_under_the_attachments_is_a_clear_refusal_that_writes_nothing(t: &TestApp) {
        let blobs = t.data_dir.path().join("blobs");
        let tmpfs = Tmpfs::mount_over(&blobs);
        let filler = tmpfs.fill();
        let photo = png(11);

        let (status, body, retry_after) = post_case(t, "تسرب مياه", &photo).await;
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
        assert_eq!(body["error"]["code"], "insufficient_storage", "{body}");
        assert!(retry_after.is_some(), "507 with Retry-After");

        let form = Form::new()
            .text("csrf_token", CSRF)
            .text("kind", "complaint")
            .text("description", "تسرب مياه من الصفحة")
            .text("name", "فاطمة أحمد")
            .part("photos", photo_part(&photo));
        let page = t.post_multipart("/report/water-leak", form).await;
        assert_eq!(page.status, StatusCode::INSUFFICIENT_STORAGE, "{}", page.body);
        assert!(page.body.contains("لا مساحة لحفظ الملفات"), "the page says why: {}", page.body);

        assert_eq!(t.case_count().await, 0, "no case");
        assert_eq!(files_under(&blobs), vec![filler.clone()], "no blob and no temporary file");

        std::fs::remove_file(&filler).expect("room again");
        let (status, receipt, _) = post_case(t, "تسرب مياه", &photo).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        assert_eq!(photo_of(t, &receipt).await, photo);
        assert_eq!(t.case_count().await, 1);
    }
}

/// The application delivering e-mail to an SMTP server the test stops and starts again.
struct Mailing {
    t: TestApp,
    port: u16,
    smtp: std::sync::Mutex<Option<SmtpSink>>,
}

async fn mailing(backend: Backend) -> Mailing {
    let smtp = SmtpSink::start().await.expect("SMTP server");
    let mut options = Options::on(backend);
    options.clock_starts = Some(chrono::Utc::now());
    options.delivery.smtp = Some(tawasul_notify::SmtpSettings {
        host: "127.0.0.1".into(),
        port: smtp.port(),
        security: tawasul_notify::SmtpSecurity::None,
        username: None,
        password: None,
        from: "Tawasul <noreply@tawasul.example>".into(),
        pool_size: 4,
    });
    let t = spawn(options).await;
    Fixtures::new(&t.app).await.capital(json!([])).await;
    Mailing {
        t,
        port: smtp.port(),
        smtp: std::sync::Mutex::new(Some(smtp)),
    }
}

/// A case whose reporter gives `email`; its acknowledgement is a notification by e-mail.
async fn report_from(t: &TestApp, email: &str) {
    let mut case = draft("تسرب مياه");
    case["reporter"]["email"] = email.into();
    let (status, body) = t.api_post("/api/v1/cases", None, case).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// How many messages each address received.
fn received(smtp: &SmtpSink) -> std::collections::BTreeMap<String, usize> {
    let mut by_address = std::collections::BTreeMap::new();
    for mail in smtp.messages() {
        for to in mail.to {
            *by_address.entry(to).or_insert(0) += 1;
        }
    }
    by_address
}

on_both! { mailing;
    async fn notifications_wait_while_the_smtp_server_is_down_and_are_delivered_once_each(m: &Mailing) {
        let t = &m.t;
        // Delivered while the server is up: the sender holds a connection to it.
        report_from(t, "before@example.bh").await;
        t.work().await;
        assert_eq!(received(m.smtp.lock().expect("lock").as_ref().expect("up")).get("before@example.bh"), Some(&1));

        drop(m.smtp.lock().expect("lock").take());
        let waiting = ["one@example.bh", "two@example.bh", "three@example.bh"];
        for address in waiting {
            report_from(t, address).await;
        }
        t.work().await;
        let outbox = t.store.outbox(10).await.expect("outbox");
        for address in waiting {
            let row = outbox.iter().find(|n| n.recipient == address).expect("a notification");
            assert_ne!(row.status, "sent", "{address} cannot have been sent to: {row:?}");
            assert_ne!(row.status, "failed", "{address} is tried again: {row:?}");
        }

        let smtp = SmtpSink::start_on(m.port).await.expect("the SMTP server comes back");
        t.advance(chrono::Duration::minutes(2));
        t.work().await;
        smtp.wait_for(waiting.len(), std::time::Duration::from_secs(20)).await;
        // Later runs send nothing again.
        t.advance(chrono::Duration::hours(2));
        t.work().await;
        let got = received(&smtp);
        for address in waiting {
            assert_eq!(got.get(address), Some(&1), "{address}: {got:?}");
        }
        assert_eq!(got.values().sum::<usize>(), waiting.len(), "{got:?}");
    }
}

/// The application sending SMS through an HTTP gateway on a port where nothing listens yet.
struct Texting {
    t: TestApp,
    port: u16,
}

async fn texting(backend: Backend) -> Texting {
    // A port that was free a moment ago: connections to it are refused until the gateway starts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut options = Options::on(backend);
    options.clock_starts = Some(chrono::Utc::now());
    options.delivery.sms = Some(tawasul_notify::SmsSettings {
        url: format!("http://127.0.0.1:{port}/sms"),
        method: "POST".into(),
        body_template: r#"{"to":"{to}","text":"{text}","ref":"{id}"}"#.into(),
        content_type: "application/json".into(),
        headers: vec![],
    });
    let t = spawn(options).await;
    Fixtures::new(&t.app).await.capital(json!([])).await;
    Texting { t, port }
}

/// The number each SMS the gateway was asked to send went to, in order.
fn texted(requests: &[tawasul_testkit::sinks::RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("the gateway is sent JSON");
            body["to"].as_str().expect("to").to_owned()
        })
        .collect()
}

/// Every notification is an SMS still to be tried again: not sent, not given up.
async fn waiting(t: &TestApp, count: usize) {
    let outbox = t.store.outbox_deliveries(10).await.expect("outbox");
    assert_eq!(outbox.len(), count, "{outbox:?}");
    for row in &outbox {
        assert_eq!(row.channel, "sms");
        assert!(
            !matches!(row.status.as_str(), "sent" | "failed" | "undeliverable"),
            "{row:?} waits"
        );
    }
}

on_both! { texting;
    async fn sms_wait_while_the_gateway_is_down_and_are_delivered_once_each(g: &Texting) {
        let t = &g.t;
        let phones = ["+97333001001", "+97333001002", "+97333001003"];
        for (i, phone) in phones.iter().enumerate() {
            let mut case = draft(&format!("تسرب مياه {i}"));
            case["reporter"] = json!({"name": "فاطمة", "phone": phone, "language": "ar"});
            t.submit(case).await;
        }
        // Down: the first attempts find nothing listening.
        t.work().await;
        waiting(t, phones.len()).await;

        // Up, but refusing with 503 for a while: the first retry comes 30 s after the first try.
        let gateway = tawasul_testkit::sinks::HttpSink::start_on(g.port).await.expect("the gateway starts");
        gateway.respond_with([503; 3]);
        t.advance(chrono::Duration::seconds(29));
        t.work().await;
        assert!(gateway.requests().is_empty(), "retried before 30 s: {:?}", texted(&gateway.requests()));
        t.advance(chrono::Duration::seconds(1));
        t.work().await;
        let refused = gateway.wait_for(phones.len(), std::time::Duration::from_secs(10)).await;
        assert_eq!(texted(&refused).len(), phones.len(), "one try each at 30 s");
        waiting(t, phones.len()).await;

        // The second retry comes a minute after the first.
        t.advance(chrono::Duration::seconds(59));
        t.work().await;
        assert_eq!(gateway.requests().len(), phones.len(), "retried again before a minute");
        t.advance(chrono::Duration::seconds(1));
        t.work().await;
        gateway.wait_for(2 * phones.len(), std::time::Duration::from_secs(10)).await;
        // Later runs send nothing again.
        t.advance(chrono::Duration::hours(2));
        t.work().await;
        let all = texted(&gateway.requests());
        assert_eq!(all.len(), 2 * phones.len(), "{all:?}");
        let mut delivered = all[phones.len()..].to_vec();
        delivered.sort();
        assert_eq!(delivered, phones, "each resident gets one SMS");
        for row in t.store.outbox_deliveries(10).await.expect("outbox") {
            assert_eq!(row.status, "sent", "{row:?}");
        }
    }
}
