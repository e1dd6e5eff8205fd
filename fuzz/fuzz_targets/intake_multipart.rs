//! `POST /api/v1/cases` and `POST /api/v1/cases/{reference}/transitions` as the API reads
//! them (`CaseSubmission`, `TransitionSubmission`): JSON alone, or `multipart/form-data` with
//! the JSON as one part beside file parts. Input: the first byte chooses the reader and the
//! Content-Type, the rest is the body. What is read keeps to the limits; what is refused is a
//! 4xx.
#![no_main]

use axum::extract::{FromRequest, Request};
use libfuzzer_sys::fuzz_target;
use tawasul_domain::attachment::{MAX_ATTACHMENT_BYTES, MAX_FILES_AT_INTAKE};
use tawasul_http::{CaseSubmission, TransitionSubmission};

const TYPES: [&str; 5] = [
    "multipart/form-data; boundary=case",
    "multipart/form-data; boundary=\"----WebKitFormBoundary7MA4YWxkTrZu0gW\"",
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
];

fuzz_target!(|data: &[u8]| {
    let runtime = tawasul_fuzz::runtime();
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let content_type = TYPES[usize::from(first / 2) % TYPES.len()];
    let request = Request::builder()
        .method("POST")
        .header("content-type", content_type)
        .body(axum::body::Body::from(body.to_vec()))
        .expect("a request");
    let refused = if first % 2 == 0 {
        match runtime.block_on(CaseSubmission::from_request(request, &())) {
            Ok(case) => {
                assert!(case.photos.len() <= MAX_FILES_AT_INTAKE);
                let files: usize = case.photos.iter().map(|p| p.bytes.len()).sum();
                assert!(case.photos.iter().all(|p| p.bytes.len() <= MAX_ATTACHMENT_BYTES));
                assert!(files <= body.len());
                if !content_type.starts_with("multipart/") {
                    assert!(case.photos.is_empty());
                }
                return;
            }
            Err(refused) => refused,
        }
    } else {
        match runtime.block_on(TransitionSubmission::from_request(request, &())) {
            Ok(transition) => {
                if let Some(photo) = &transition.fix_photo {
                    assert!(content_type.starts_with("multipart/"));
                    assert!(photo.bytes.len() <= MAX_ATTACHMENT_BYTES.min(body.len()));
                }
                return;
            }
            Err(refused) => refused,
        }
    };
    assert!(
        refused.status.is_client_error(),
        "{} {} {}",
        refused.status,
        refused.code,
        refused.message
    );
    if content_type == "text/plain" {
        assert_eq!(refused.status.as_u16(), 415);
    }
});
