//! The page tests' harness: the whole HTTP application (API and pages) on a real port, a
//! fresh database per test (SQLite or PostgreSQL), and requests as a browser without
//! JavaScript would send them. `on_both!` runs a check as `<name>::sqlite` and
//! `<name>::postgres`.
#![allow(dead_code)] // each test file uses its own part of the harness

pub use reqwest::header::{HeaderMap, ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
pub use reqwest::multipart::{Form, Part};
pub use reqwest::StatusCode;
pub use serde_json::json;
pub use tawasul_app::{App, Settings};
pub use tawasul_domain::vocab::Role;
pub use tawasul_store::*;

pub struct Site {
    pub base: String,
    pub app: App,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
    }

    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
}

#[macro_export]
macro_rules! on_both {
    ($(async fn $name:ident($site:ident: &Site) $body:block)*) => {$(
        mod $name {
            use super::*;
            async fn check($site: &Site) $body
            #[tokio::test]
            async fn sqlite() { check(&spawn(false).await).await; }
            #[tokio::test]
            async fn postgres() { check(&spawn(true).await).await; }
        }
    )*};
}

pub async fn spawn(postgres: bool) -> Site {
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = if postgres {
        Some(testing::fresh_postgres_database().await)
    } else {
        None
    };
    let app = App::open(Settings {
        data_dir: dir.path().to_path_buf(),
        database_url,
        demo: false,
        ..Settings::default()
    })
    .await
    .expect("app opens");
    seed(&app).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = tawasul_http::router(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Site {
        base,
        app,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        _dir: dir,
    }
}

pub async fn seed(app: &App) {
    let s = &app.store;
    let entity = s
        .insert_entity(EntityInsert {
            code: "cap".into(),
            name_ar: "العاصمة".into(),
            name_en: "Capital".into(),
            entity_type: "governorate".into(),
        })
        .await
        .expect("entity");
    let department = s
        .insert_department(DepartmentInsert {
            entity_id: entity,
            code: "water".into(),
            name_ar: "المياه".into(),
            name_en: "Water".into(),
        })
        .await
        .expect("department");
    let fields = json!([
        {"key": "depth", "label_ar": "العمق", "label_en": "Depth", "type": "number", "required": true, "min": 0, "max": 10}
    ]);
    s.insert_service(ServiceInsert {
        entity_id: entity,
        code: "water-leak".into(),
        name_ar: "تسرب مياه".into(),
        name_en: "Water leak".into(),
        description_ar: "تسرب المياه في الشوارع".into(),
        description_en: "Water leaking in the streets".into(),
        kinds: "complaint,report".into(),
        fields: fields.to_string(),
        default_department_id: Some(department),
        default_priority: tawasul_domain::vocab::Priority::Normal,
    })
    .await
    .expect("service");
    app.add_staff(
        "cap.supervisor",
        "correct-horse-battery",
        Role::Supervisor,
        Some("cap"),
        None,
    )
    .await
    .expect("staff");
}

pub const CSRF: &str = "0123456789abcdef0123456789abcdef01234567";

/// A tiny valid PNG.
pub fn png() -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    bytes.extend_from_slice(&[
        0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0,
    ]);
    bytes.extend_from_slice(&[0x90, 0x77, 0x53, 0xde]);
    bytes
}

impl Site {
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("request");
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str, cookies: &str) -> Page {
        self.send(
            self.client
                .get(format!("{}{path}", self.base))
                .header(COOKIE, format!("tawasul_csrf={CSRF}; {cookies}")),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, cookies: &str, fields: &[(&str, &str)]) -> Page {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .header(COOKIE, format!("tawasul_csrf={CSRF}; {cookies}"))
                .form(fields),
        )
        .await
    }

    pub async fn post_multipart(&self, path: &str, form: Form) -> Page {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .header(COOKIE, format!("tawasul_csrf={CSRF}"))
                .multipart(form),
        )
        .await
    }

    pub async fn case_count(&self) -> usize {
        let rows = self.app.store.count_by_status().await.expect("count");
        rows.iter().map(|(_, n)| *n as usize).sum()
    }

    /// Submits a valid report and returns the tracking path it redirects to.
    pub async fn report(&self, description: &str) -> String {
        let form = report_form(CSRF, description).text("answers.depth", "٣").part(
            "photos",
            Part::bytes(png())
                .file_name("leak.png")
                .mime_str("image/png")
                .expect("mime"),
        );
        let page = self.post_multipart("/report/water-leak", form).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let confirmation = page.location();
        assert!(confirmation.starts_with("/submitted/TW-"), "{confirmation}");
        let done = self.get(&confirmation, "").await;
        assert_eq!(done.status, StatusCode::OK);
        let start = done.body.find("href=\"/track/").expect("tracking link") + 6;
        let end = done.body[start..].find('"').expect("end of link") + start;
        done.body[start..end].replace("&#x3d;", "=").replace("&amp;", "&")
    }
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
    let page = site
        .post_form(
            "/staff/login",
            "",
            &[
                ("csrf_token", CSRF),
                ("username", "cap.supervisor"),
                ("password", "correct-horse-battery"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    format!(
        "tawasul_session={}",
        page.cookie("tawasul_session").expect("a session cookie")
    )
}
