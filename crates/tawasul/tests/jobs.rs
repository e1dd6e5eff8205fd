//! Two `tawasul serve` processes share the background work of one PostgreSQL database; one
//! is killed with SIGKILL in the middle. Every escalation step is taken exactly once, and
//! every notification reaches the SMTP server, under its own idempotency key (Message-ID).

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;
use tawasul_app::{App, Clock, Settings};
use tawasul_domain::intake::IntakeDraft;
use tawasul_testkit::sinks::{HttpSink, SmtpSink};

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");
/// Cases submitted a month ago, overdue now: each owes three ladder steps.
const BACKLOG: usize = 80;

struct Past(DateTime<Utc>);

impl Clock for Past {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

struct Node(Child);

impl Node {
    fn start(database_url: &str, data_dir: &std::path::Path, smtp_port: u16, sms_url: &str) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new(EXE)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                database_url,
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .args([
                "--smtp-url",
                &format!("smtp://127.0.0.1:{smtp_port}"),
                "--job-lease-seconds",
                "3",
            ])
            .args(["--sms-url", &format!("{sms_url}/sms")])
            .args([
                "--webhook-url",
                &format!("{sms_url}/hook"),
                "--webhook-secret",
                "test-secret",
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(data_dir.join(format!("node-{port}.log"))).expect("log file"))
            .spawn()
            .expect("spawn tawasul");
        Node(child)
    }

    fn kill9(&mut self) {
        self.0.kill().expect("kill -9");
        self.0.wait().expect("reaped");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_share_the_work_and_a_killed_one_loses_none() {
    let database_url = tawasul_testkit::postgres::fresh_database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let smtp = SmtpSink::start().await.expect("SMTP server");
    // The SMS gateway (/sms) and the chat channels' webhook (/hook).
    let sms = HttpSink::start().await.expect("HTTP receiver");

    // The backlog: the demo and a batch of cases, all as of a month ago.
    let month_ago = Utc::now() - Duration::days(30);
    let past = App::open(Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: Some(database_url.clone()),
        ..Settings::default()
    })
    .await
    .expect("app")
    .with_clock(Arc::new(Past(month_ago)));
    tawasul_demo::seed(&past).await.expect("demo");
    let mut references = vec![];
    for i in 0..BACKLOG {
        let draft: IntakeDraft = serde_json::from_value(serde_json::json!({
            "service": "water-leak",
            "kind": "complaint",
            "description": format!("تسرب مياه رقم {i}"),
            "reporter": {"email": format!("resident{i}@example.bh"), "language": if i % 2 == 0 { "ar" } else { "en" }},
        }))
        .expect("draft");
        references.push(past.submit(draft.into()).await.expect("submitted").reference);
    }
    past.close().await;

    let mut a = Node::start(&database_url, dir.path(), smtp.port(), &sms.url(""));
    let b = Node::start(&database_url, dir.path(), smtp.port(), &sms.url(""));
    // Kill the first node while the work is under way.
    let started = Instant::now();
    while smtp.messages().len() < 20 {
        assert!(started.elapsed().as_secs() < 120, "no delivery began");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    a.kill9();

    let store = tawasul_store::Store::open(dir.path(), Some(&database_url))
        .await
        .expect("store");
    let deadline = Instant::now() + std::time::Duration::from_secs(180);
    let outbox = loop {
        let outbox = store.outbox_deliveries(1_000_000).await.expect("outbox");
        let steps_left = store
            .due_escalations(tawasul_domain::micros(Utc::now()), 1)
            .await
            .expect("due");
        let pending = outbox.iter().filter(|o| o.status != "sent").count();
        if pending == 0 && steps_left.is_empty() && !outbox.is_empty() {
            break outbox;
        }
        if Instant::now() > deadline {
            let mut by_status: HashMap<(String, Option<String>), usize> = HashMap::new();
            for o in outbox.iter().filter(|o| o.status != "sent") {
                *by_status
                    .entry((format!("{} {}", o.channel, o.status), o.last_error.clone()))
                    .or_default() += 1;
            }
            for log in std::fs::read_dir(dir.path())
                .expect("dir")
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
            {
                eprintln!("{}", std::fs::read_to_string(log.path()).unwrap_or_default());
            }
            panic!(
                "{pending} notifications not sent, {} escalations due: {by_status:?}",
                steps_left.len()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    drop(b);

    // Every escalation step exactly once, in order, on every backlog case.
    for reference in &references {
        let case = store.case_by_reference(reference).await.expect("read").expect("case");
        let levels: Vec<i64> = store
            .events(case.id)
            .await
            .expect("events")
            .iter()
            .filter(|e| e.action == "escalated")
            .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.details).ok()?["level"].as_i64())
            .collect();
        assert_eq!(levels, vec![1, 2, 3], "{reference}");
    }
    // Every notification reached its server (SMTP, or the SMS gateway) under its own key: the
    // Message-ID, or the id in the gateway's body. One the killed node sent but could not
    // record is sent again under the same key, so the receiver counts it once.
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mail = smtp.messages();
    for m in &mail {
        *by_key.entry(m.message_id.clone().expect("Message-ID")).or_default() += 1;
    }
    let texts = sms.requests();
    for r in &texts {
        let key = match r.path.as_str() {
            "/sms" => {
                let body: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON body");
                format!("sms:{}", body["id"].as_str().expect("id"))
            }
            _ => format!("webhook:{}", r.header("idempotency-key").expect("Idempotency-Key")),
        };
        *by_key.entry(key).or_default() += 1;
    }
    let expected: HashSet<String> = outbox
        .iter()
        .map(|o| match o.channel.as_str() {
            "sms" => format!("sms:{}", o.id),
            "webhook" => format!("webhook:notification-{}", o.id),
            _ => format!("notification-{}@tawasul", o.id),
        })
        .collect();
    let got: HashSet<String> = by_key
        .keys()
        .map(|k| k.trim_matches(|c| c == '<' || c == '>').to_owned())
        .collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let unknown: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "one key per notification, none missing ({missing:?}), none unknown ({unknown:?})"
    );
    let repeated = mail.len() + texts.len() - by_key.len();
    println!(
        "{} notifications delivered by two nodes ({} e-mail, {} SMS; {} repeated after the kill under the same key), {} cases escalated 3 steps each",
        by_key.len(),
        mail.len(),
        texts.len(),
        repeated,
        references.len()
    );
    store.close().await;
}
