//! An HTTP server that keeps the requests it receives and answers as told.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Still percent-encoded, as it came.
    pub query: Option<String>,
    /// Lower-case names, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The query's pairs, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect()
    }
}

#[derive(Default)]
struct HttpState {
    requests: Vec<RecordedRequest>,
    /// The statuses of the next answers; 200 once they are used up.
    statuses: VecDeque<u16>,
    delay: Duration,
    /// What to answer on a path, as (content type, body), for a provider's API in tests.
    bodies: HashMap<String, (String, Vec<u8>)>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<HttpState>,
    arrived: Notify,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, HttpState> {
        // A panicking test thread cannot leave the lists half-written: recover them.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 that records every request, on any path and method, for
/// as long as it is not dropped.
pub struct HttpSink {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl HttpSink {
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0).await
    }

    /// On this port (0: any free one): a gateway that went away coming back where it was.
    pub async fn start_on(port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new().fallback(record).with_state(shared.clone());
        let server = tokio::spawn(async move {
            // Only the abort on drop ends it; an error here would mean the listener itself broke.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:{port}{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Answer the next requests with these statuses, in order, then 200 again (e.g. `[503]`).
    pub fn respond_with(&self, statuses: impl IntoIterator<Item = u16>) {
        self.shared.state().statuses.extend(statuses);
    }

    /// Answer requests to `path` with this body and content type (a provider's API, a file).
    pub fn serve(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.shared
            .state()
            .bodies
            .insert(path.to_owned(), (content_type.to_owned(), body.into()));
    }

    /// Wait this long before answering each request from now on (to test timeouts).
    pub fn delay(&self, delay: Duration) {
        self.shared.state().delay = delay;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    /// The requests once there are at least `count`, or as many as came within `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            if self.shared.state().requests.len() >= count || tokio::time::timeout_at(deadline, arrived).await.is_err()
            {
                return self.requests();
            }
        }
    }
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        body: body.to_vec(),
    };
    let (status, delay, served) = {
        let mut state = shared.state();
        let served = state.bodies.get(&request.path).cloned();
        state.requests.push(request);
        (state.statuses.pop_front().unwrap_or(200), state.delay, served)
    };
    shared.arrived.notify_waiters();
    tokio::time::sleep(delay).await;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match served {
        Some((content_type, body)) => {
            (status, [(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
        }
        None => status.into_response(),
    }
}
