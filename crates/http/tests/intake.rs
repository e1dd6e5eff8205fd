//! One intake, one transaction: a case sent with its photos — as JSON plus photo parts to the
//! REST API, or through the resident's form — is written whole or not at all, on each backend.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest;
use tawasul_testkit::fixtures::Fixtures;
use tawasul_testkit::{on_both, png, spawn, Backend, Options, TestApp, CSRF};

async fn intake(backend: Backend) -> TestApp {
    let t = spawn(Options::on(backend)).await;
    Fixtures::new(&t.app).await.capital(json!([])).await;
    t
}

fn case_json(text: &str) -> String {
    json!({
        "service": "water-leak",
        "kind": "complaint",
        "description": text,
        "reporter": {"name": "فاطمة أحمد", "email": "fatima@example.bh", "language": "ar"}
    })
    .to_string()
}

fn photo_part(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("image/png")
        .expect("mime")
}

/// The case as a JSON part and `photos` as photo parts.
fn case_with(text: &str, photos: &[Vec<u8>]) -> Form {
    let case = Part::text(case_json(text)).mime_str("application/json").expect("mime");
    photos
        .iter()
        .enumerate()
        .fold(Form::new().part("case", case), |form, (i, bytes)| {
            form.part("photos", photo_part(bytes.clone(), &format!("photo-{i}.png")))
        })
}

async fn post_case(t: &TestApp, form: Form, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = t.client.post(t.url("/api/v1/cases")).multipart(form);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    t.json_of(request).await
}

/// Where the blob of `bytes` is stored under the data directory.
fn shard_of(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))[..2].to_owned()
}

/// Three different photos whose blobs go to three different shard directories.
fn three_photos() -> Vec<Vec<u8>> {
    let mut photos: Vec<Vec<u8>> = vec![];
    for variant in 1..=u8::MAX {
        let photo = png(variant);
        if photos.iter().all(|p| shard_of(p) != shard_of(&photo)) {
            photos.push(photo);
        }
        if photos.len() == 3 {
            break;
        }
    }
    photos
}

/// Every file under the blob directory (the directories themselves left out).
fn blob_files(t: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = vec![];
    walk(&t.data_dir.path().join("blobs"), &mut found);
    found.sort();
    found
}

async fn staff_view(t: &TestApp, reference: &str) -> Value {
    let token = t.login("cap.supervisor", tawasul_testkit::fixtures::PASSWORD).await;
    let (status, case) = t.api_get(&format!("/api/v1/cases/{reference}"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case
}

on_both! { intake;
    async fn a_case_and_its_photos_arrive_in_one_request(t: &TestApp) {
        let photos = three_photos();
        let (status, receipt) = post_case(t, case_with("تسرب مياه أمام المدرسة", &photos), None).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        let reference = receipt["reference"].as_str().expect("reference");
        let case = staff_view(t, reference).await;
        let attachments = case["attachments"].as_array().expect("attachments");
        assert_eq!(attachments.len(), 3, "{case}");
        assert!(attachments.iter().all(|a| a["mime"] == "image/png"), "{case}");
        let actions: Vec<&str> = case["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, ["received", "routed", "attachment", "attachment", "attachment"]);
        assert_eq!(blob_files(t).len(), 3);
        let (status, _) = t.api_get(attachments[0]["url"].as_str().expect("url"), receipt["token"].as_str()).await;
        assert_eq!(status, StatusCode::OK, "the reporter reads back a photo");
    }

    async fn a_retry_with_the_same_key_makes_nothing_twice(t: &TestApp) {
        let photos = three_photos();
        let (first, made) = post_case(t, case_with("حفرة", &photos[..2]), Some("retry-1")).await;
        let (again, replayed) = post_case(t, case_with("حفرة", &photos[..2]), Some("retry-1")).await;
        assert_eq!((first, again), (StatusCode::CREATED, StatusCode::CREATED));
        assert_eq!(made["reference"], replayed["reference"]);
        assert_eq!(replayed["replayed"], true);
        assert_eq!(t.case_count().await, 1);
        let case = staff_view(t, made["reference"].as_str().expect("reference")).await;
        assert_eq!(case["attachments"].as_array().map(Vec::len), Some(2), "{case}");
        let (other, refused) = post_case(t, case_with("حفرة", &photos[..1]), Some("retry-1")).await;
        assert_eq!(other, StatusCode::UNPROCESSABLE_ENTITY, "the same key with other photos is another request: {refused}");
        assert_eq!(refused["error"]["code"], "idempotency_key_reused");
        assert_eq!(blob_files(t).len(), 2, "the refused retry left no blob behind");
    }

    async fn bad_parts_are_refused_and_nothing_is_written(t: &TestApp) {
        let photo = png(1);
        let no_case = Form::new().part("photos", photo_part(photo.clone(), "a.png"));
        let broken = Form::new().text("case", "{\"service\": ").part("photos", photo_part(photo.clone(), "a.png"));
        let unknown = case_with("نص", &[]).text("sneaky", "x");
        let not_a_photo = case_with("نص", &[]).part("photos", Part::bytes(b"#!/bin/sh\nrm -rf /".to_vec()).file_name("x.png").mime_str("image/png").expect("mime"));
        let too_many = case_with("نص", &vec![photo.clone(); 6]);
        let invalid_case = case_with("", std::slice::from_ref(&photo));
        for (form, status, code, field) in [
            (no_case, 422, "invalid_field", "case"),
            (broken, 400, "malformed_json", ""),
            (unknown, 422, "invalid_field", "sneaky"),
            (not_a_photo, 422, "unsupported_file_type", "photos"),
            (too_many, 422, "too_many_files", "photos"),
            (invalid_case, 422, "required", "description"),
        ] {
            let (got, body) = post_case(t, form, None).await;
            assert_eq!(got.as_u16(), status, "{body}");
            assert_eq!(body["error"]["code"], code, "{body}");
            if !field.is_empty() {
                assert_eq!(body["error"]["field"], field, "{body}");
            }
        }
        let text = t.client.post(t.url("/api/v1/cases")).header("content-type", "text/plain").body("hello");
        let (status, body) = t.json_of(text).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));
        assert_eq!(t.case_count().await, 0);
        assert!(blob_files(t).is_empty(), "{:?}", blob_files(t));
    }

    async fn a_photo_that_cannot_be_stored_leaves_no_case(t: &TestApp) {
        let photos = three_photos();
        // The third photo's shard directory cannot be made: a file holds its name. A real
        // I/O failure, whoever runs the test (a read-only directory would not stop root).
        let blocked = t.data_dir.path().join("blobs").join(shard_of(&photos[2]));
        std::fs::write(&blocked, b"in the way").expect("a file where the directory goes");
        let (status, body) = post_case(t, case_with("تسرب مياه", &photos), None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(body["error"]["code"], "internal", "{body}");

        let form = Form::new()
            .text("csrf_token", CSRF)
            .text("kind", "complaint")
            .text("description", "تسرب مياه من الصفحة")
            .text("name", "فاطمة أحمد")
            .part("photos", photo_part(photos[0].clone(), "1.png"))
            .part("photos", photo_part(photos[1].clone(), "2.png"))
            .part("photos", photo_part(photos[2].clone(), "3.png"));
        let page = t.post_multipart("/report/water-leak", form).await;
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", page.body);

        assert_eq!(t.case_count().await, 0, "no case");
        assert!(t.store.outbox(10).await.expect("outbox").is_empty(), "no notification");
        for case_id in 1..=10 {
            assert!(t.store.events(case_id).await.expect("events").is_empty(), "no event");
        }
        // The photos stored before the failure stay for the orphan sweep (another report of
        // the same photo may be using them by now); none is left half-written.
        let stored = |photo: &[u8]| t.data_dir.path().join("blobs").join(shard_of(photo)).join(hex::encode(sha2::Sha256::digest(photo)));
        let mut expected = vec![blocked, stored(&photos[0]), stored(&photos[1])];
        expected.sort();
        assert_eq!(blob_files(t), expected, "no half-written blob");
    }
}
