//! What schemathesis found (`scripts/api-fuzz`, issue 13): answers the OpenAPI document did
//! not name. Every operation is called here as no one and as a supervisor, with no body, a
//! body of another type, broken JSON and an empty object, on a case that does not exist;
//! each answer must be one the document names for that operation. Before the fix, 59 answers
//! of the fuzzer's run were not (401 on secured operations, 400 and 415 on JSON bodies, 404
//! for an unknown case, 422 for an unknown entity, 403 for staff saying a report was ignored),
//! and an attachment id that is not a number was axum's plain-text 400.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

async fn api(backend: Backend) -> TestApp {
    let t = spawn(Options::on(backend)).await;
    let f = Fixtures::new(&t.app).await;
    f.entity("cap", "جهة", "Entity", "governorate").await;
    f.department("cap", "water", "المياه", "Water").await;
    f.service(ServiceSpec {
        entity: "cap",
        code: "cap-service",
        name: ("تسرب مياه", "Water leak"),
        description: ("", ""),
        kinds: &["complaint"],
        department: "water",
        fields: json!([]),
    })
    .await;
    f.staff("cap.supervisor", Role::Supervisor, Some("cap")).await;
    t
}

/// Each (method, path) of the document with the statuses it names.
fn documented(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut operations = vec![];
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let statuses = operation["responses"]
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            operations.push((method.to_uppercase(), path.clone(), statuses));
        }
    }
    operations
}

on_both! { api;
    async fn every_answer_is_one_the_document_names(t: &TestApp) {
        let (_, doc) = t.api_get("/api/openapi.json", None).await;
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let operations = documented(&doc);
        assert!(operations.len() > 40, "{operations:?}");
        let mut undocumented = vec![];
        for (method, path, statuses) in &operations {
            // Logging out would end the supervisor's session for the calls after it.
            if path == "/api/v1/auth/logout" {
                continue;
            }
            let target = path
                .replace("{reference}", "TW-2026-9999999")
                .replace("{id}", "1")
                .replace("{code}", "none")
                .replace("{username}", "none");
            let m = Method::from_bytes(method.as_bytes()).expect("method");
            for token in [None, Some(supervisor.as_str())] {
                let bodies: [(Option<&str>, &[u8]); 4] = [
                    (None, b""),
                    (Some("text/plain"), b"hello"),
                    (Some("application/json"), b"{"),
                    (Some("application/json"), b"{}"),
                ];
                for (content_type, body) in bodies {
                    let mut request = t.client.request(m.clone(), t.url(&target)).body(body.to_vec());
                    if let Some(ct) = content_type {
                        request = request.header("content-type", ct);
                    }
                    if let Some(token) = token {
                        request = request.bearer_auth(token);
                    }
                    let (status, answer) = t.json_of(request).await;
                    assert!(!status.is_server_error(), "{method} {target}: {status} {answer}");
                    if !statuses.contains(&status.as_u16().to_string()) {
                        undocumented.push(format!("{method} {path} ({content_type:?}, signed in: {}): {status} {answer}", token.is_some()));
                    }
                }
            }
        }
        assert!(undocumented.is_empty(), "answers the document does not name:\n{}", undocumented.join("\n"));
    }

    async fn an_attachment_id_that_is_no_number_is_a_json_404(t: &TestApp) {
        let supervisor = t.login("cap.supervisor", PASSWORD).await;
        let (status, body) = t
            .api_get("/api/v1/cases/TW-2026-0000001/attachments/photo", Some(&supervisor))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
}
