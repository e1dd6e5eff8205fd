//! The audit log's hash chain, checked by `tawasul audit verify` as an operator runs it: an
//! intact log verifies (exit 0, with its count); a row edited, removed from the middle or the
//! end, moved, or inserted around the chain — each done with SQL straight on the database —
//! is found and named (exit 1); rows written before the chain existed are chained when the
//! store opens; writers on PostgreSQL at once (two nodes) still make one chain.

use std::path::Path;
use tawasul_app::operator::audit::AuditVerdict;
use tawasul_domain::audit::{chain_hash, AuditContent, ChainBreak};
use tawasul_store::{AuditInsert, Store};
use tawasul_testkit::fixtures::Fixtures;
use tawasul_testkit::process::{run, Storage};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");

/// An installation whose audit log holds a few rows of administration and sign-ins.
async fn site(backend: Backend) -> TestApp {
    let t = spawn(Options::on(backend)).await;
    let fixtures = Fixtures::new(&t.app).await;
    fixtures
        .entity("mun", "البلدية", "Municipality", "municipality")
        .await
        .department("mun", "roads", "الطرق", "Roads")
        .await
        .department("mun", "parks", "الحدائق", "Parks")
        .await
        .reply_template("mun", "thanks", "ar", "شكر", "شكرًا لبلاغك")
        .await;
    Fixtures::new(&t.app).await;
    assert!(ids(&t).await.len() >= 5, "enough rows to tamper with in the middle");
    t
}

/// The log's row ids, oldest first.
async fn ids(t: &TestApp) -> Vec<i64> {
    let mut ids: Vec<i64> = t
        .store
        .audit_log(1000)
        .await
        .expect("audit")
        .iter()
        .map(|r| r.id)
        .collect();
    ids.reverse();
    ids
}

/// Runs statements straight on the database, as someone with access to it would.
async fn tamper(t: &TestApp, statements: &[String]) {
    use sqlx::Connection;
    match &t.database_url {
        Some(url) => {
            let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
            for sql in statements {
                sqlx::query(sql).execute(&mut db).await.expect(sql);
            }
        }
        None => {
            let file = tawasul_store::backup::sqlite_file(t.data_dir.path());
            let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                .await
                .expect("connect");
            for sql in statements {
                sqlx::query(sql).execute(&mut db).await.expect(sql);
            }
        }
    }
}

/// `tawasul audit verify` on the installation: its exit code, stdout and stderr.
fn verify_with_binary(t: &TestApp) -> (i32, String, String) {
    let storage = Storage {
        data_dir: t.data_dir.path().to_path_buf(),
        database_url: t.database_url.clone(),
    };
    let mut args = vec!["audit".to_owned(), "verify".to_owned()];
    args.extend(storage.args());
    let output = run(Path::new(EXE), &args, &[]);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn verdict(t: &TestApp) -> AuditVerdict {
    t.app.operator().verify_audit_log(|_| {}).await.expect("the walk runs")
}

/// The use case and the binary both find the chain broken at `row`.
async fn broken_at(t: &TestApp, row: i64) -> ChainBreak {
    let AuditVerdict::Broken(broken) = verdict(t).await else {
        panic!("the tampering went unnoticed");
    };
    assert_eq!(broken.row(), row, "{broken}");
    let (code, _, stderr) = verify_with_binary(t);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("broken at row {row}:")),
        "names the row: {stderr}"
    );
    broken
}

on_both! { site;
    async fn an_intact_log_verifies_with_its_count(t: &TestApp) {
        let rows = ids(t).await.len() as u64;
        assert_eq!(verdict(t).await, AuditVerdict::Intact { rows });
        let (code, stdout, stderr) = verify_with_binary(t);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains(&format!("intact: {rows} row(s)")), "{stdout}");
        // New rows go on chaining after a verification.
        t.app.operator().verify_audit_log(|_| {}).await.expect("again");
        Fixtures::new(&t.app).await;
        assert_eq!(verdict(t).await, AuditVerdict::Intact { rows: rows + 1 });
    }

    async fn an_edited_row_is_named(t: &TestApp) {
        let middle = ids(t).await[2];
        tamper(t, &[format!("UPDATE audit_log SET details = '{{\"edited\":true}}' WHERE id = {middle}")]).await;
        assert_eq!(broken_at(t, middle).await, ChainBreak::Changed(middle));
    }

    async fn an_edit_that_recomputes_its_own_hash_breaks_the_next_row(t: &TestApp) {
        let ids = ids(t).await;
        let row = t.store.audit_chain_after(ids[1], 1).await.expect("row").remove(0);
        let forged = AuditContent { details: "{\"forged\":true}", ..row.content() };
        let hash = chain_hash(row.prev_hash.as_deref().expect("chained"), forged);
        tamper(t, &[format!(
            "UPDATE audit_log SET details = '{{\"forged\":true}}', hash = '{hash}' WHERE id = {}", ids[2]
        )]).await;
        assert!(matches!(broken_at(t, ids[3]).await, ChainBreak::OutOfChain { .. }));
    }

    async fn a_deleted_middle_row_is_found_at_the_row_after_it(t: &TestApp) {
        let ids = ids(t).await;
        tamper(t, &[format!("DELETE FROM audit_log WHERE id = {}", ids[2])]).await;
        assert_eq!(
            broken_at(t, ids[3]).await,
            ChainBreak::OutOfChain { id: ids[3], after: format!("row {}", ids[1]) }
        );
    }

    async fn a_deleted_last_row_is_found_by_the_head(t: &TestApp) {
        let last = *ids(t).await.last().expect("rows");
        tamper(t, &[format!("DELETE FROM audit_log WHERE id = {last}")]).await;
        assert_eq!(broken_at(t, last).await, ChainBreak::HeadMismatch { last_id: last });
    }

    async fn reordered_rows_are_found(t: &TestApp) {
        let ids = ids(t).await;
        let (a, b) = (ids[1], ids[2]);
        tamper(t, &[
            format!("UPDATE audit_log SET id = -{a} WHERE id = {a}"),
            format!("UPDATE audit_log SET id = {a} WHERE id = {b}"),
            format!("UPDATE audit_log SET id = {b} WHERE id = -{a}"),
        ]).await;
        assert!(matches!(broken_at(t, a).await, ChainBreak::OutOfChain { .. }));
    }

    async fn a_row_inserted_around_the_chain_is_found(t: &TestApp) {
        // Chained correctly to the last row, but without moving the head.
        let head = t.store.audit_head().await.expect("head");
        let content = AuditContent { at: 1, staff_id: None, action: "login", target: "staff:ghost", details: "{}" };
        let hash = chain_hash(&head.hash, content);
        tamper(t, &[format!(
            "INSERT INTO audit_log (at, staff_id, action, target, details, prev_hash, hash) \
             VALUES (1, NULL, 'login', 'staff:ghost', '{{}}', '{}', '{hash}')", head.hash
        )]).await;
        let inserted = *ids(t).await.last().expect("rows");
        assert_eq!(broken_at(t, inserted).await, ChainBreak::PastHead(inserted));

        // A row without hashes is out of the chain wherever it is.
        tamper(t, &[format!("UPDATE audit_log SET prev_hash = NULL, hash = NULL WHERE id = {}", head.last_id)]).await;
        assert_eq!(broken_at(t, head.last_id).await, ChainBreak::Unchained(head.last_id));
    }

    async fn rows_from_before_the_chain_are_chained_when_the_store_opens(t: &TestApp) {
        let rows = ids(t).await.len() as u64;
        // As migration 0017 leaves a log written by an earlier version.
        tamper(t, &[
            "UPDATE audit_log SET prev_hash = NULL, hash = NULL".to_owned(),
            "UPDATE audit_head SET last_id = 0, hash = NULL".to_owned(),
        ]).await;
        assert!(matches!(verdict(t).await, AuditVerdict::Broken(ChainBreak::Unchained(_))));
        let reopened = Store::open(t.data_dir.path(), t.database_url.as_deref()).await.expect("reopens");
        assert_eq!(verdict(t).await, AuditVerdict::Intact { rows });
        let head = reopened.audit_head().await.expect("head");
        assert_eq!(head.last_id, *ids(t).await.last().expect("rows"));
        reopened.close().await;
    }

    async fn writers_at_once_on_two_nodes_make_one_chain(t: &TestApp) {
        let before = ids(t).await.len() as u64;
        let other_node = Store::open(t.data_dir.path(), t.database_url.as_deref()).await.expect("second handle");
        let mut writers = tokio::task::JoinSet::new();
        for i in 0..40_i64 {
            let store = if i % 2 == 0 { t.store.clone() } else { other_node.clone() };
            writers.spawn(async move {
                store
                    .audit(AuditInsert {
                        at: i,
                        staff_id: None,
                        action: "concurrent".into(),
                        target: format!("writer:{i}"),
                        details: "{}".into(),
                    })
                    .await
            });
        }
        while let Some(written) = writers.join_next().await {
            written.expect("joined").expect("written");
        }
        assert_eq!(verdict(t).await, AuditVerdict::Intact { rows: before + 40 });
        other_node.close().await;
    }
}
