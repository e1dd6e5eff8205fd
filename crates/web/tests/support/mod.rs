//! What the page tests share beyond the test kit: the site they run on (one entity with a
//! water-leak service and its supervisor, made through the use cases) and the resident's
//! report form.
#![allow(dead_code, unused_imports)] // each test file uses its own part of what is shared

pub use reqwest::header::{HeaderMap, ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
pub use reqwest::multipart::{Form, Part};
pub use reqwest::StatusCode;
pub use serde_json::json;
pub use tawasul_domain::vocab::Role;
pub use tawasul_store::*;
pub use tawasul_testkit::fixtures::{audit_of_test, Fixtures, ServiceSpec, PASSWORD};
pub use tawasul_testkit::{on_both, spawn, Backend, Options, Page, TestApp as Site, CSRF};

/// The application with one entity, its water department and water-leak service, and its
/// supervisor.
pub async fn site(backend: Backend) -> Site {
    site_with(Options::on(backend)).await
}

/// `site` on the kit's clock, starting on Thursday 19 November 2026 at 12:00 in Bahrain: two
/// working hours before the weekend of the entity's (default) calendar.
pub async fn site_on_thursday_noon(backend: Backend) -> Site {
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-19T12:00:00+03:00")
        .expect("time")
        .to_utc();
    site_with(Options {
        clock_starts: Some(start),
        ..Options::on(backend)
    })
    .await
}

async fn site_with(options: Options) -> Site {
    let site = spawn(options).await;
    Fixtures::new(&site.app)
        .await
        .capital(json!([
            {"key": "depth", "label_ar": "العمق", "label_en": "Depth", "type": "number", "required": true, "min": 0, "max": 10}
        ]))
        .await;
    site
}

/// A tiny valid PNG.
pub fn png() -> Vec<u8> {
    tawasul_testkit::png(0)
}

/// Submits a valid report through the form and returns the tracking path it redirects to.
pub async fn report(site: &Site, description: &str) -> String {
    let form = report_form(CSRF, description).text("answers.depth", "٣").part(
        "photos",
        Part::bytes(png())
            .file_name("leak.png")
            .mime_str("image/png")
            .expect("mime"),
    );
    let page = site.post_multipart("/report/water-leak", form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let confirmation = page.location();
    assert!(confirmation.starts_with("/submitted/TW-"), "{confirmation}");
    let done = site.page(&confirmation, "").await;
    assert_eq!(done.status, StatusCode::OK);
    let start = done.body.find("href=\"/track/").expect("tracking link") + 6;
    let end = done.body[start..].find('"').expect("end of link") + start;
    done.body[start..end].replace("&#x3d;", "=").replace("&amp;", "&")
}

pub fn report_form(csrf: &str, description: &str) -> Form {
    Form::new()
        .text("csrf_token", csrf.to_owned())
        .text("kind", "complaint")
        .text("description", description.to_owned())
        .text("name", "فاطمة أحمد")
}

pub fn has_csp(page: &Page) -> bool {
    page.headers
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|csp| {
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'") && !csp.contains("unsafe-inline")
        })
}

pub fn split_track(track: &str) -> (String, String) {
    let (path, query) = track.split_once("?token=").expect("a token in the link");
    (query.to_owned(), path.trim_start_matches("/track/").to_owned())
}

pub async fn staff_cookie(site: &Site) -> String {
    site.staff_cookie("cap.supervisor", PASSWORD).await
}
