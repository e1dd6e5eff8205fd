//! The real application on a free port, and a client for it.

use crate::sinks::{ReceivedMail, SmtpSink};
use crate::Backend;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tawasul_app::{App, Clock, Settings};
use tawasul_server::Application;
use tawasul_store::Store;

/// The CSRF token the page helpers send, as cookie and as form field.
pub const CSRF: &str = "0123456789abcdef0123456789abcdef01234567";

/// A clock the test moves by hand.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn starting_at(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(start)))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().expect("clock") += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// How to start the application under test.
#[derive(Debug, Clone)]
pub struct Options {
    pub backend: Backend,
    /// A test clock starting here instead of the wall clock.
    pub clock_starts: Option<DateTime<Utc>>,
    /// Deliver e-mail to a real SMTP receiver ([`TestApp::inbox`]).
    pub smtp: bool,
    /// Demo mode (one-time codes written to the log).
    pub demo: bool,
    /// Run the job runner in the background, as `tawasul serve` does. Off by default: most
    /// tests run due jobs themselves with [`TestApp::work`], when they choose.
    pub jobs: bool,
    /// Receive e-mail by SMTP into cases, for these mailboxes ([`TestApp::smtp_in`]).
    pub mail: Option<tawasul_server::MailSettings>,
    /// Also read this mailbox by IMAP into cases, for `mail`'s mailboxes.
    pub imap: Option<tawasul_server::ImapSettings>,
    /// The Open311 channel's settings (jurisdiction, media fetching, rate).
    pub open311: tawasul_app::Open311Settings,
    /// The guided dialogue's providers (`/hooks/…`): each adapter is off without its settings.
    pub hooks: tawasul_app::HookSettings,
    /// The limits the node runs with: by default `Limits::generous()`, which no test of
    /// something else reaches; a test of a limit sets the ones it proves.
    pub limits: tawasul_app::identity::limits::Limits,
    /// The public URL (an https one makes cookies `Secure` and `__Host-`).
    pub public_url: Option<String>,
    /// Where notifications go (an SMS gateway, the channel bridge); `smtp` sets e-mail's.
    pub delivery: tawasul_app::DeliverySettings,
    /// Platform administrators must have a second factor (`--require-platform-second-factor`).
    pub platform_second_factor: bool,
    /// Reporters' details encrypted at rest with this key (`--reporter-key`); the test's own
    /// store handle opens them too.
    pub reporter_key: Option<tawasul_app::identity::sealing::ReporterKey>,
}

impl Options {
    pub fn on(backend: Backend) -> Self {
        Self {
            backend,
            clock_starts: None,
            smtp: false,
            demo: false,
            jobs: false,
            mail: None,
            imap: None,
            open311: tawasul_app::Open311Settings::default(),
            hooks: tawasul_app::HookSettings::default(),
            limits: tawasul_app::identity::limits::Limits::generous(),
            public_url: None,
            delivery: tawasul_app::DeliverySettings::default(),
            platform_second_factor: false,
            reporter_key: None,
        }
    }
}

/// The application under test, serving on `base`.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The use cases, for fixtures and for running jobs.
    pub app: App,
    /// A second handle on the same database, for what tests inspect (the application's own
    /// store is private to it).
    pub store: Store,
    /// A client that does not follow redirects, so that tests see them.
    pub client: reqwest::Client,
    pub clock: Option<Arc<TestClock>>,
    pub smtp: Option<SmtpSink>,
    /// Where the application receives e-mail by SMTP, when started with `mail`.
    pub smtp_in: Option<std::net::SocketAddr>,
    pub data_dir: tempfile::TempDir,
    /// The PostgreSQL database's URL (`None` on SQLite, whose file is in `data_dir`), for tests
    /// that read what is stored.
    pub database_url: Option<String>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the application (migrated, empty database) as `tawasul serve` would.
pub async fn spawn(options: Options) -> TestApp {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let database_url = match options.backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(crate::postgres::fresh_database().await),
    };
    let smtp = match options.smtp {
        true => Some(SmtpSink::start().await.expect("SMTP receiver")),
        false => None,
    };
    let mut settings = Settings {
        data_dir: data_dir.path().to_path_buf(),
        database_url: database_url.clone(),
        demo: options.demo,
        open311: options.open311.clone(),
        hooks: options.hooks.clone(),
        limits: options.limits.clone(),
        public_url: options.public_url.clone(),
        delivery: options.delivery.clone(),
        platform_second_factor: options.platform_second_factor,
        reporter_key: options.reporter_key.clone(),
        ..Settings::default()
    };
    if let Some(sink) = &smtp {
        settings.delivery.smtp = Some(tawasul_notify::SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port(),
            security: tawasul_notify::SmtpSecurity::None,
            username: None,
            password: None,
            from: "Tawasul <noreply@tawasul.example>".into(),
            pool_size: 4,
        });
    }
    let mut app = App::open(settings).await.expect("the application opens");
    let clock = options.clock_starts.map(TestClock::starting_at);
    if let Some(clock) = &clock {
        app = app.with_clock(clock.clone());
    }
    let any_port = "127.0.0.1:0".parse().expect("address");
    let mut application = Application::with_app(app.clone(), any_port, options.jobs)
        .await
        .expect("the application binds");
    if let Some(mail) = options.mail {
        if let Some(imap) = options.imap {
            application = application
                .with_imap(imap, mail.clone())
                .expect("the IMAP mailbox is one of the mailboxes");
        }
        application = application
            .with_smtp(any_port, mail)
            .await
            .expect("the SMTP receiver binds");
    }
    let smtp_in = application.smtp_address();
    let base = format!("http://{}", application.address());
    let server = tokio::spawn(async move {
        let _ = application.run_until(std::future::pending()).await;
    });
    let mut store = Store::open(data_dir.path(), database_url.as_deref())
        .await
        .expect("a second handle on the database");
    if let Some(key) = &options.reporter_key {
        let cipher = tawasul_app::identity::sealing::ReporterSealer::new(key).expect("a reporter key");
        store = store.with_reporter_cipher(Arc::new(cipher));
    }
    TestApp {
        base,
        app,
        store,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        clock,
        smtp,
        smtp_in,
        data_dir,
        database_url,
        server,
    }
}

/// A page as a browser received it.
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

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    // --- The REST API, as JSON with an optional bearer token. ---

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        self.json_of(request).await
    }

    /// Sends any request and reads its answer as JSON (or as a JSON string when it is not).
    pub async fn json_of(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn api_get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn api_post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    /// Signs in through the API and returns the bearer token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .api_post(
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "signing in as {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Submits a case through the API; returns its reference and tracking token.
    pub async fn submit(&self, case: Value) -> (String, String) {
        let (status, made) = self.api_post("/api/v1/cases", None, case).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        (
            made["reference"].as_str().expect("reference").to_owned(),
            made["token"].as_str().expect("token").to_owned(),
        )
    }

    /// Declares a body of `length` bytes and, as `Expect: 100-continue` allows, sends only the
    /// headers: the server must refuse it from the Content-Length alone. Returns the status and
    /// the JSON error code.
    pub async fn declare_oversized(&self, path: &str, content_type: &str, length: usize) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = self.base.trim_start_matches("http://");
        let mut socket = tokio::net::TcpStream::connect(address).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        );
        socket.write_all(head.as_bytes()).await.expect("write");
        let mut response = Vec::new();
        tokio::time::timeout(std::time::Duration::from_secs(30), socket.read_to_end(&mut response))
            .await
            .expect("answered without the body")
            .expect("read");
        let text = String::from_utf8_lossy(&response);
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text
            .split("\r\n\r\n")
            .nth(1)
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        (status, body["error"]["code"].clone())
    }

    // --- The pages, as a browser without JavaScript sends them (with the CSRF cookie). ---

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("request");
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    pub async fn page(&self, path: &str, cookies: &str) -> Page {
        self.send(
            self.client
                .get(self.url(path))
                .header(COOKIE, format!("tawasul_csrf={CSRF}; {cookies}")),
        )
        .await
    }

    /// Posts a form as a browser would. A `csrf_token` field of [`CSRF`] is sent as the token
    /// the page would carry: [`CSRF`] itself without a session, else the one bound to the
    /// session cookies among `cookies` ([`TestApp::csrf_for`]).
    pub async fn post_form(&self, path: &str, cookies: &str, fields: &[(&str, &str)]) -> Page {
        let token = Self::csrf_for(cookies);
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| match (*k, *v) {
                ("csrf_token", CSRF) => (*k, token.as_str()),
                other => other,
            })
            .collect();
        self.send(
            self.client
                .post(self.url(path))
                .header(COOKIE, format!("tawasul_csrf={CSRF}; {cookies}"))
                .form(&fields),
        )
        .await
    }

    /// The CSRF token pages carry for a browser sending `cookies` (with the [`CSRF`] cookie):
    /// bound to its session cookies when it has any.
    pub fn csrf_for(cookies: &str) -> String {
        let named = |name: &str| {
            cookies
                .split(';')
                .filter_map(|kv| kv.trim().split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
        };
        let (staff, resident) = (named("tawasul_session"), named(tawasul_web::RESIDENT_COOKIE));
        tawasul_web::csrf_for_sessions(staff.as_deref(), resident.as_deref()).unwrap_or_else(|| CSRF.to_owned())
    }

    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        self.send(
            self.client
                .post(self.url(path))
                .header(COOKIE, format!("tawasul_csrf={CSRF}"))
                .multipart(form),
        )
        .await
    }

    /// Sends the staff console's sign-in form; the page says how it went.
    pub async fn sign_in(&self, username: &str, password: &str) -> Page {
        self.post_form(
            "/staff/login",
            "",
            &[("csrf_token", CSRF), ("username", username), ("password", password)],
        )
        .await
    }

    /// Signs in on the staff console and returns the session cookie to send with pages.
    pub async fn staff_cookie(&self, username: &str, password: &str) -> String {
        let page = self.sign_in(username, password).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{username} signs in: {}", page.body);
        format!(
            "tawasul_session={}",
            page.cookie("tawasul_session").expect("a session cookie")
        )
    }

    // --- Time, jobs and what was sent. ---

    /// Moves the test clock (the application must have been started with one).
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.as_ref().expect("started with a test clock").advance(by);
    }

    /// Lets the job runner do everything that is due now: sweeps and deliveries.
    pub async fn work(&self) {
        self.app.run_jobs_until_idle().await.expect("jobs run");
    }

    /// The mail the SMTP receiver got for `address`, once `count` have arrived (or after
    /// 20 s, with what there is).
    pub async fn inbox(&self, address: &str, count: usize) -> Vec<ReceivedMail> {
        let smtp = self.smtp.as_ref().expect("started with an SMTP receiver");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let mail: Vec<_> = smtp
                .messages()
                .into_iter()
                .filter(|m| m.to.iter().any(|to| to == address))
                .collect();
            if mail.len() >= count || std::time::Instant::now() > deadline {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Every case in the database, whatever its status.
    pub async fn case_count(&self) -> usize {
        let rows = self.store.count_by_status().await.expect("count");
        rows.iter().map(|(_, n)| usize::try_from(*n).unwrap_or(0)).sum()
    }

    /// Every value of a text query's one column (NULLs left out), straight from the database:
    /// what is stored, not what the store hands on.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        use sqlx::Connection;
        let rows: Vec<Option<String>> = match &self.database_url {
            Some(url) => {
                let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
                sqlx::query_scalar(sql).fetch_all(&mut db).await.expect(sql)
            }
            None => {
                let file = tawasul_store::backup::sqlite_file(self.data_dir.path());
                let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                    .await
                    .expect("connect");
                sqlx::query_scalar(sql).fetch_all(&mut db).await.expect(sql)
            }
        };
        rows.into_iter().flatten().collect()
    }
}
