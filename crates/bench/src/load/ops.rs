//! The operations of the mix, each done as a client of the running server does it, and the
//! state the clients share: the staff sessions, the cases the run itself reported, the
//! references seen in queues, and the limits of the run.

use super::photo::PhotoMaker;
use super::report::{Key, Recorder};
use clap::ValueEnum;
use reqwest::header::COOKIE;
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

/// An operation of the mix. Its name (snake_case) is used by `--only`, `--mix` and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Op {
    /// POST /api/v1/cases as JSON.
    Intake,
    /// POST /api/v1/cases as multipart: the `case` JSON part and one or two `photos`.
    IntakePhotos,
    /// GET /api/v1/cases/{reference} with the tracking token: the reporter's look-up.
    TrackApi,
    /// GET /track/{reference}?token=…: the reporter's private tracking link.
    TrackPage,
    /// GET /api/v1/cases?sort=newest, then next pages by cursor.
    QueueNewest,
    QueueOldest,
    QueueDue,
    QueuePriority,
    /// GET /api/v1/cases with a filter (status, service, SLA, priority, queue, channel, kind,
    /// date), under each sort in turn, then next pages.
    QueueFiltered,
    /// GET /api/v1/cases?q=…: Arabic and English words, spelling variants, a reference.
    Search,
    /// GET /api/v1/cases/{reference} as staff.
    CaseApi,
    /// POST …/transitions, taking a case of this run round its lifecycle.
    Transition,
    /// POST …/comments: public replies and internal notes.
    Reply,
    /// GET /staff: the console's queue page, under each sort in turn.
    ConsoleQueue,
    /// GET /staff/board.
    ConsoleBoard,
    /// GET /staff/cases/{reference}.
    ConsoleCase,
    /// GET /staff/dashboard over the last 30 days, a quarter and a year, grouped by service,
    /// department, area and channel in turn.
    ConsoleDashboard,
    /// GET /dashboard, the public page, over the default month and over a year.
    PublicDashboard,
    /// GET /metrics.
    Metrics,
    /// GET /open311/v2/requests.json, the public read of Open311 clients: the default
    /// 90-day window, by status, by service, by service and status, a date range, and a list
    /// of this run's references.
    Open311Requests,
}

impl Op {
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }

    /// Requests per hundred in the default mix: mostly staff working queues and cases and
    /// residents reporting and following, with a scrape of /metrics now and then.
    pub fn default_weight(self) -> u32 {
        match self {
            Op::Intake => 10,
            Op::IntakePhotos => 3,
            Op::TrackApi => 7,
            Op::TrackPage => 4,
            Op::QueueNewest => 7,
            Op::QueueOldest => 3,
            Op::QueueDue => 6,
            Op::QueuePriority => 5,
            Op::QueueFiltered => 8,
            Op::Search => 8,
            Op::CaseApi => 8,
            Op::Transition => 6,
            Op::Reply => 5,
            Op::ConsoleQueue => 5,
            Op::ConsoleBoard => 2,
            Op::ConsoleCase => 5,
            Op::ConsoleDashboard => 1,
            Op::PublicDashboard => 2,
            Op::Metrics => 2,
            Op::Open311Requests => 3,
        }
    }
}

/// The order in which the clients take operations: each operation `weight` times per round,
/// spread evenly (smooth weighted round robin), so that even a short run does each of them.
pub fn deck(weights: &[(Op, u32)]) -> Vec<Op> {
    let total: i64 = weights.iter().map(|(_, w)| i64::from(*w)).sum();
    let mut current = vec![0i64; weights.len()];
    let mut deck = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for _ in 0..total {
        for (c, (_, w)) in current.iter_mut().zip(weights) {
            *c += i64::from(*w);
        }
        let Some(best) = (0..weights.len()).max_by_key(|i| (current[*i], std::cmp::Reverse(*i))) else {
            break;
        };
        current[best] -= total;
        deck.push(weights[best].0);
    }
    deck
}

const SORTS: [&str; 4] = ["newest", "oldest", "due", "priority"];

/// Descriptions of the run's cases, with the words `Search` looks for.
const TEXTS: [(&str, &str); 5] = [
    ("ar", "تسرب مياه أمام المنزل في الطريق منذ يومين"),
    ("ar", "انقطاع الإنارة في الشارع الرئيسي قرب المدرسة"),
    ("ar", "حفرة كبيرة في الطريق تسبب خطرا على السيارات"),
    ("ar", "تجمع مياة الامطار عند التقاطع منذ الصباح"),
    ("en", "Water leaking from a pipe near the school"),
];

/// Words searched: common and rare, spelling variants (taa marbuta, hamza), two words,
/// English; every eighth search is a reference of this run instead.
const SEARCHES: [&str; 7] = ["مياه", "الإنارة", "اناره", "حفرة", "مياة الأمطار", "تسرب مياه", "water"];

/// The lifecycle round each case of the run is taken through; after `reopen` it goes on from
/// `start`.
const STEPS: [&str; 6] = ["acknowledge", "assign", "start", "resolve", "close", "reopen"];
const AFTER_REOPEN: usize = 2;

/// How the run is signed in: the API's bearer token and the console's cookies.
pub struct Staff {
    pub username: String,
    pub entity: Option<String>,
    pub token: String,
    pub console_cookie: String,
}

/// A service the run reports cases to: one of the staff user's entity that needs no answers.
#[derive(Debug, Clone)]
pub struct IntakeService {
    pub code: String,
    pub kind: String,
    pub department: Option<String>,
    /// Each resolution brings a photo of the fix.
    pub fix_photo: bool,
}

/// A case of this run, as its reporter holds it.
struct Reported {
    reference: String,
    token: String,
    tracking_url: String,
}

/// A case of this run that staff work on, one client at a time.
struct Workable {
    reference: String,
    department: Option<String>,
    fix_photo: bool,
    step: usize,
    replies: u64,
}

/// The run's bounds: its end, set when the measured run starts, and its request budget.
pub struct Limits {
    pub deadline: OnceLock<Instant>,
    pub requests: Option<u64>,
    pub sent: AtomicU64,
}

impl Limits {
    /// Whether the measured run is over, by time or by requests.
    pub fn reached(&self) -> bool {
        self.deadline.get().is_some_and(|end| Instant::now() >= *end)
            || self
                .requests
                .is_some_and(|budget| self.sent.load(Ordering::Relaxed) >= budget)
    }

    /// Whether one more request may go: always before the measured run starts (the warm-up),
    /// then until its end or its budget.
    fn admit(&self) -> bool {
        match self.deadline.get() {
            None => true,
            Some(end) if Instant::now() >= *end => false,
            Some(_) => {
                let sent = self.sent.fetch_add(1, Ordering::Relaxed);
                self.requests.is_none_or(|budget| sent < budget)
            }
        }
    }
}

/// The run's limits are reached: the client stops.
#[derive(Debug)]
pub struct Stop;

pub struct Target {
    pub client: reqwest::Client,
    pub base: String,
    pub staff: Staff,
    pub services: Vec<IntakeService>,
    /// Pages read per walk of a queue or a search.
    pub pages: usize,
    pub photos: PhotoMaker,
    pub limits: Limits,
    pub deck: Vec<Op>,
    pub shared: Shared,
}

/// What the clients learn as they go.
#[derive(Default)]
pub struct Shared {
    picks: AtomicUsize,
    numbers: AtomicU64,
    reported: Mutex<Vec<Reported>>,
    workable: Mutex<VecDeque<Workable>>,
    /// References read from queue pages (the store's other cases), the latest `SEEN`.
    seen: Mutex<VecDeque<String>>,
}

const SEEN: usize = 2_000;
/// How many filters `Open311Requests` takes in turn.
const OPEN311_FILTERS: u64 = 7;
/// How many filters `QueueFiltered` takes in turn.
const FILTERS: u64 = 16;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Deserialize)]
struct Receipt {
    reference: String,
    token: String,
    tracking_url: String,
}

#[derive(Deserialize)]
struct CasePage {
    items: Vec<CaseItem>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct CaseItem {
    reference: String,
}

impl Target {
    /// The next operation of the deck, shared by all clients.
    pub fn pick(&self) -> Op {
        self.deck[self.shared.picks.fetch_add(1, Ordering::Relaxed) % self.deck.len()]
    }

    /// Cases this run reported so far.
    pub fn reported_count(&self) -> usize {
        lock(&self.shared.reported).len()
    }

    fn number(&self) -> u64 {
        self.shared.numbers.fetch_add(1, Ordering::Relaxed)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn run(&self, op: Op, rec: &mut Recorder) -> Result<(), Stop> {
        let n = self.number();
        match op {
            Op::Intake => self.intake(rec, n, false).await,
            Op::IntakePhotos => self.intake(rec, n, true).await,
            Op::TrackApi => self.track_api(rec, n).await,
            Op::TrackPage => self.track_page(rec, n).await,
            Op::QueueNewest => self.walk(rec, op, vec![("sort", "newest".into())]).await,
            Op::QueueOldest => self.walk(rec, op, vec![("sort", "oldest".into())]).await,
            Op::QueueDue => self.walk(rec, op, vec![("sort", "due".into())]).await,
            Op::QueuePriority => self.walk(rec, op, vec![("sort", "priority".into())]).await,
            Op::QueueFiltered => {
                let mut query = self.filter(n % FILTERS);
                query.push(("sort", SORTS[((n / FILTERS) % 4) as usize].to_owned()));
                self.walk(rec, op, query).await
            }
            Op::Search => {
                let q = match n % 8 {
                    7 => self.own_reference(n).unwrap_or_else(|| SEARCHES[0].to_owned()),
                    i => SEARCHES[i as usize % SEARCHES.len()].to_owned(),
                };
                self.walk(rec, op, vec![("q", q)]).await
            }
            Op::CaseApi => self.case_api(rec, n).await,
            Op::Transition => self.transition(rec).await,
            Op::Reply => self.reply(rec).await,
            Op::ConsoleQueue => {
                let sort = SORTS[(n % 4) as usize];
                self.console(rec, op, &format!("/staff?sort={sort}")).await
            }
            Op::ConsoleBoard => self.console(rec, op, "/staff/board").await,
            Op::ConsoleDashboard => {
                let today = chrono::Utc::now().date_naive();
                let days = [29, 91, 364][(n % 3) as usize];
                let from = today - chrono::Days::new(days);
                let group_by = ["service", "department", "area", "channel"][((n / 3) % 4) as usize];
                self.console(rec, op, &format!("/staff/dashboard?from={from}&group_by={group_by}"))
                    .await
            }
            Op::PublicDashboard => {
                let path = if n.is_multiple_of(2) {
                    "/dashboard".to_owned()
                } else {
                    format!(
                        "/dashboard?from={}",
                        chrono::Utc::now().date_naive() - chrono::Days::new(364)
                    )
                };
                let request = self.client.get(self.url(&path));
                self.exchange(rec, Key::of(op), request, StatusCode::OK, |_| Some(()))
                    .await
                    .map(drop)
            }
            Op::ConsoleCase => match self.any_reference(n) {
                Some(reference) => self.console(rec, op, &format!("/staff/cases/{reference}")).await,
                None => {
                    rec.skipped(Key::of(op));
                    Ok(())
                }
            },
            Op::Open311Requests => self.open311_requests(rec, n).await,
            Op::Metrics => {
                let request = self.client.get(self.url("/metrics"));
                self.exchange(rec, Key::of(op), request, StatusCode::OK, |_| Some(()))
                    .await
                    .map(drop)
            }
        }
    }

    /// Sends one request when the limits allow, reads the whole answer and records its
    /// latency, or its status when it is not `expected` or `read` finds the body wrong.
    async fn exchange<T>(
        &self,
        rec: &mut Recorder,
        key: Key,
        request: RequestBuilder,
        expected: StatusCode,
        read: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Result<Option<T>, Stop> {
        if !self.limits.admit() {
            return Err(Stop);
        }
        let started = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(body) if status == expected => read(&body).ok_or_else(|| "unexpected_body".to_owned()),
                    Ok(_) => Err(status.as_u16().to_string()),
                    Err(e) => Err(transport(&e)),
                }
            }
            Err(e) => Err(transport(&e)),
        };
        let took = started.elapsed();
        Ok(match outcome {
            Ok(value) => {
                rec.ok(key, took);
                Some(value)
            }
            Err(what) => {
                rec.error(key, what);
                None
            }
        })
    }

    /// Reports a case to one of the services, as JSON or with photos, and keeps its receipt.
    async fn intake(&self, rec: &mut Recorder, n: u64, with_photos: bool) -> Result<(), Stop> {
        let service = &self.services[(n % self.services.len() as u64) as usize];
        let (language, text) = TEXTS[(n % TEXTS.len() as u64) as usize];
        let mut case = json!({
            "service": service.code,
            "kind": service.kind,
            "description": format!("{text} ({n})"),
            "address": format!("مبنى {}، طريق {}، المنامة", n % 3000, n % 997),
            "language": language,
        });
        if !n.is_multiple_of(3) {
            case["reporter"] = json!({
                "name": "مواطن",
                "phone": format!("+9733{:07}", n % 10_000_000),
                "language": language,
            });
        }
        let url = self.url("/api/v1/cases");
        let (key, request) = if with_photos {
            let mut form = reqwest::multipart::Form::new().part(
                "case",
                reqwest::multipart::Part::text(case.to_string())
                    .mime_str("application/json")
                    .expect("a valid media type"),
            );
            for photo in 0..(1 + n % 2) {
                let part = reqwest::multipart::Part::bytes(self.photos.photo(n * 2 + photo))
                    .file_name(format!("photo-{n}-{photo}.png"))
                    .mime_str("image/png")
                    .expect("a valid media type");
                form = form.part("photos", part);
            }
            (Key::of(Op::IntakePhotos), self.client.post(url).multipart(form))
        } else {
            (Key::of(Op::Intake), self.client.post(url).json(&case))
        };
        let read = |body: &[u8]| serde_json::from_slice::<Receipt>(body).ok();
        if let Some(receipt) = self.exchange(rec, key, request, StatusCode::CREATED, read).await? {
            lock(&self.shared.workable).push_back(Workable {
                reference: receipt.reference.clone(),
                department: service.department.clone(),
                fix_photo: service.fix_photo,
                step: 0,
                replies: 0,
            });
            lock(&self.shared.reported).push(Reported {
                reference: receipt.reference,
                token: receipt.token,
                tracking_url: receipt.tracking_url,
            });
        }
        Ok(())
    }

    /// The reference, token and tracking link of one of the run's cases, in turn.
    fn reported(&self, n: u64) -> Option<(String, String, String)> {
        let reported = lock(&self.shared.reported);
        let case = reported.get((n % reported.len().max(1) as u64) as usize)?;
        Some((case.reference.clone(), case.token.clone(), case.tracking_url.clone()))
    }

    fn own_reference(&self, n: u64) -> Option<String> {
        self.reported(n).map(|(reference, _, _)| reference)
    }

    /// A case staff look at: the run's own and, every other time, one seen in a queue.
    fn any_reference(&self, n: u64) -> Option<String> {
        if n % 2 == 1 {
            let seen = lock(&self.shared.seen);
            if let Some(reference) = seen.get((n / 2 % seen.len().max(1) as u64) as usize) {
                return Some(reference.clone());
            }
        }
        self.own_reference(n)
    }

    fn saw(&self, items: &[CaseItem]) {
        let mut seen = lock(&self.shared.seen);
        for item in items {
            if seen.len() == SEEN {
                seen.pop_front();
            }
            seen.push_back(item.reference.clone());
        }
    }

    /// The filters of `QueueFiltered`, by number.
    fn filter(&self, n: u64) -> Vec<(&'static str, String)> {
        let one = |name: &'static str, value: &str| vec![(name, value.to_owned())];
        match n {
            0 => one("status", "new"),
            1 => one("status", "assigned,in_progress"),
            2 => one("service", self.services.first().map_or("", |s| s.code.as_str())),
            3 => one("sla", "overdue"),
            4 => one("sla", "due_soon"),
            5 => one("priority", "urgent"),
            6 => one("queue", "mine"),
            7 => one("queue", "triage"),
            8 => one("queue", "escalated"),
            9 => one("channel", "web"),
            10 => vec![("kind", "complaint".into()), ("status", "resolved,closed".into())],
            11 => one("assignee", "none"),
            12 => one("language", "en"),
            13 => one("area", "none"),
            14 => vec![("kind", "suggestion".into()), ("language", "en".into())],
            _ => {
                let month_ago = chrono::Utc::now() - chrono::Duration::days(30);
                one("from", &month_ago.format("%Y-%m-%d").to_string())
            }
        }
    }

    /// One of Open311's filters of `requests.json`, in turn; the answer must be a JSON list.
    async fn open311_requests(&self, rec: &mut Recorder, n: u64) -> Result<(), Stop> {
        let one = |name: &'static str, value: &str| vec![(name, value.to_owned())];
        let service = self.services.first().map_or("", |s| s.code.as_str());
        let query = match n % OPEN311_FILTERS {
            0 => vec![],
            1 => one("status", "open"),
            2 => one("status", "closed"),
            3 => one("service_code", service),
            4 => vec![("service_code", service.to_owned()), ("status", "open".to_owned())],
            5 => {
                let now = chrono::Utc::now();
                let month_ago = now - chrono::Duration::days(30);
                let w3c = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
                vec![("start_date", w3c(month_ago)), ("end_date", w3c(now))]
            }
            _ => {
                let references: Vec<String> = (0..5).filter_map(|i| self.own_reference(n + i)).collect();
                one("service_request_id", &references.join(","))
            }
        };
        let request = self.client.get(self.url("/open311/v2/requests.json")).query(&query);
        self.exchange(rec, Key::of(Op::Open311Requests), request, StatusCode::OK, |body| {
            serde_json::from_slice::<Vec<Value>>(body).ok()
        })
        .await
        .map(drop)
    }

    async fn track_api(&self, rec: &mut Recorder, n: u64) -> Result<(), Stop> {
        let key = Key::of(Op::TrackApi);
        let Some((reference, token, _)) = self.reported(n) else {
            rec.skipped(key);
            return Ok(());
        };
        let request = self
            .client
            .get(self.url(&format!("/api/v1/cases/{reference}")))
            .bearer_auth(token);
        self.exchange(rec, key, request, StatusCode::OK, |_| Some(()))
            .await
            .map(drop)
    }

    async fn track_page(&self, rec: &mut Recorder, n: u64) -> Result<(), Stop> {
        let key = Key::of(Op::TrackPage);
        let Some((_, _, tracking_url)) = self.reported(n) else {
            rec.skipped(key);
            return Ok(());
        };
        let request = self.client.get(self.url(&tracking_url));
        self.exchange(rec, key, request, StatusCode::OK, |_| Some(()))
            .await
            .map(drop)
    }

    /// A queue or search: its first page, then next pages by cursor while there are some.
    async fn walk(&self, rec: &mut Recorder, op: Op, query: Vec<(&'static str, String)>) -> Result<(), Stop> {
        let mut cursor: Option<String> = None;
        for page in 0..self.pages {
            let mut query = query.clone();
            if let Some(cursor) = cursor.take() {
                query.push(("cursor", cursor));
            }
            let request = self
                .client
                .get(self.url("/api/v1/cases"))
                .bearer_auth(&self.staff.token)
                .query(&query);
            let key = if page == 0 { Key::of(op) } else { Key::next_page(op) };
            let read = |body: &[u8]| serde_json::from_slice::<CasePage>(body).ok();
            let Some(found) = self.exchange(rec, key, request, StatusCode::OK, read).await? else {
                return Ok(());
            };
            self.saw(&found.items);
            match found.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(())
    }

    async fn case_api(&self, rec: &mut Recorder, n: u64) -> Result<(), Stop> {
        let key = Key::of(Op::CaseApi);
        let Some(reference) = self.any_reference(n) else {
            rec.skipped(key);
            return Ok(());
        };
        let request = self
            .client
            .get(self.url(&format!("/api/v1/cases/{reference}")))
            .bearer_auth(&self.staff.token);
        self.exchange(rec, key, request, StatusCode::OK, |_| Some(()))
            .await
            .map(drop)
    }

    fn take_workable(&self) -> Option<Workable> {
        lock(&self.shared.workable).pop_front()
    }

    fn give_back(&self, case: Workable) {
        lock(&self.shared.workable).push_back(case);
    }

    /// Takes one of the run's cases one step round its lifecycle. A case whose step failed
    /// leaves the round, since its status is no longer known.
    async fn transition(&self, rec: &mut Recorder) -> Result<(), Stop> {
        let key = Key::of(Op::Transition);
        let Some(mut case) = self.take_workable() else {
            rec.skipped(key);
            return Ok(());
        };
        let action = STEPS[case.step];
        let mut body = json!({ "action": action });
        match action {
            "assign" => {
                if self.staff.entity.is_some() {
                    body["assignee"] = json!(self.staff.username);
                }
                if let Some(department) = &case.department {
                    body["department"] = json!(department);
                }
            }
            "resolve" => body["resolution"] = json!("تم إصلاح العطل في الموقع"),
            "reopen" => body["reason"] = json!("The reporter says the problem is back"),
            _ => {}
        }
        let request = self
            .client
            .post(self.url(&format!("/api/v1/cases/{}/transitions", case.reference)))
            .bearer_auth(&self.staff.token);
        // A service that asks for a photo of the fix gets one with each resolution, as the
        // field officer's app sends it.
        let request = if action == "resolve" && case.fix_photo {
            let form = reqwest::multipart::Form::new()
                .part(
                    "transition",
                    reqwest::multipart::Part::text(body.to_string())
                        .mime_str("application/json")
                        .expect("a valid media type"),
                )
                .part(
                    "fix_photo",
                    reqwest::multipart::Part::bytes(self.photos.photo(case.replies))
                        .file_name("fix.png")
                        .mime_str("image/png")
                        .expect("a valid media type"),
                );
            request.multipart(form)
        } else {
            request.json(&body)
        };
        match self.exchange(rec, key, request, StatusCode::OK, |_| Some(())).await {
            Ok(Some(())) => {
                case.step = if action == "reopen" {
                    AFTER_REOPEN
                } else {
                    case.step + 1
                };
                self.give_back(case);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(Stop) => {
                self.give_back(case);
                Err(Stop)
            }
        }
    }

    /// A public reply or, every other time, an internal note on one of the run's cases.
    async fn reply(&self, rec: &mut Recorder) -> Result<(), Stop> {
        let key = Key::of(Op::Reply);
        let Some(mut case) = self.take_workable() else {
            rec.skipped(key);
            return Ok(());
        };
        let body = if case.replies % 2 == 0 {
            json!({"body": "شكرًا لبلاغكم، الفريق الميداني في طريقه إلى الموقع", "visibility": "public"})
        } else {
            json!({"body": "Checked with the field team: crew booked for tomorrow", "visibility": "internal"})
        };
        case.replies += 1;
        let request = self
            .client
            .post(self.url(&format!("/api/v1/cases/{}/comments", case.reference)))
            .bearer_auth(&self.staff.token)
            .json(&body);
        let sent = self
            .exchange(rec, key, request, StatusCode::CREATED, |_| Some(()))
            .await;
        self.give_back(case);
        sent.map(drop)
    }

    /// A console page, signed in with the session cookie; the sign-in form instead of the
    /// page is an error.
    async fn console(&self, rec: &mut Recorder, op: Op, path: &str) -> Result<(), Stop> {
        let request = self
            .client
            .get(self.url(path))
            .header(COOKIE, &self.staff.console_cookie);
        let signed_in = |body: &[u8]| {
            let sign_in_form = b"action=\"/staff/login\"";
            (!body.windows(sign_in_form.len()).any(|w| w == sign_in_form)).then_some(())
        };
        self.exchange(rec, Key::of(op), request, StatusCode::OK, signed_in)
            .await
            .map(drop)
    }
}

fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timeout".into()
    } else {
        "transport".into()
    }
}

/// Whether a service, as `GET /api/v1/services` lists it, has a required field.
pub fn needs_answers(service: &Value) -> bool {
    service["fields"]
        .as_array()
        .is_some_and(|fields| fields.iter().any(|f| f["required"].as_bool().unwrap_or(false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deck_holds_each_operation_by_its_weight_spread_out() {
        let deck = deck(&[(Op::Intake, 3), (Op::Metrics, 1), (Op::Search, 0)]);
        assert_eq!(deck.len(), 4);
        assert_eq!(deck.iter().filter(|op| **op == Op::Intake).count(), 3);
        assert!(deck.contains(&Op::Metrics) && !deck.contains(&Op::Search));
    }

    #[test]
    fn the_default_mix_is_a_hundred_requests_with_every_operation() {
        let weights: Vec<(Op, u32)> = Op::value_variants()
            .iter()
            .map(|op| (*op, op.default_weight()))
            .collect();
        let deck = deck(&weights);
        assert_eq!(deck.len(), 100);
        assert!(Op::value_variants().iter().all(|op| deck.contains(op)));
        assert_eq!(Op::IntakePhotos.name(), "intake_photos");
    }
}
