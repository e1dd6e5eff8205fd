//! The CI smoke of `tawasul-bench load`: the real application with the demo's data, driven
//! briefly by the real harness binary across the whole mix.

use serde_json::Value;
use tawasul_testkit::{spawn, Backend, Options};

/// Every operation of the default mix, by the name the report gives it.
const OPERATIONS: [&str; 18] = [
    "intake",
    "intake_photos",
    "track_api",
    "track_page",
    "queue_newest",
    "queue_oldest",
    "queue_due",
    "queue_priority",
    "queue_filtered",
    "search",
    "case_api",
    "transition",
    "reply",
    "console_queue",
    "console_board",
    "console_case",
    "metrics",
    "open311_requests",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_harness_runs_the_whole_mix_against_the_demo() {
    let t = spawn(Options {
        demo: true,
        ..Options::on(Backend::Sqlite)
    })
    .await;
    tawasul_demo::seed(&t.app).await.expect("the demo's data");
    let report_path = t.data_dir.path().join("load.json");

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tawasul-bench"))
        .args(["load", "--base", &t.base, "--requests", "300", "--concurrency", "4"])
        .args(["--duration", "300", "--photo-kib", "8", "--json"])
        .arg(&report_path)
        .output()
        .await
        .expect("the harness runs");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let report: Value =
        serde_json::from_slice(&std::fs::read(&report_path).expect("the JSON report")).expect("the JSON report parses");
    let operations = report["operations"].as_array().expect("operations");
    for name in OPERATIONS {
        let op = operations
            .iter()
            .find(|op| op["name"] == name)
            .unwrap_or_else(|| panic!("{name} did not run:\n{table}"));
        assert!(
            op["ok"].as_u64().is_some_and(|ok| ok > 0),
            "{name} never succeeded:\n{table}"
        );
        assert_eq!(op["errors"], serde_json::json!({}), "{name} had errors:\n{table}");
        for field in ["count", "per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms"] {
            assert!(op[field].is_number(), "{name} has no {field}");
        }
    }
    assert!(
        operations.iter().any(|op| op["name"] == "queue_newest/next"),
        "queues were read past their first page:\n{table}"
    );
    assert_eq!(report["total"]["count"], 300, "{table}");
    // The server runs in this test's process; the harness finds it by its port.
    assert_eq!(report["server"]["pid"], std::process::id());
    assert!(report["server"]["after"]["rss_kib"].as_u64().is_some_and(|kib| kib > 0));
    for row in OPERATIONS {
        assert!(table.contains(&format!("| {row} |")), "the table has a row for {row}");
    }
}
