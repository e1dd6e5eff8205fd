//! Every route of the router against who may use it (issue 13, "machines that look for
//! more"). The routes are read from the router itself (its paths, then each method probed), so
//! a route added without a rule in `rules()` fails `every_route_has_a_rule_and_keeps_it`. Each
//! rule is then checked: no credentials are refused (401, 403, 404 or the sign-in page), a
//! resident's tracking token for another case is refused, and every role of the case's entity
//! is let through or refused as `role_grants` says, while the same role of another entity is
//! refused whatever it is. Runs on SQLite and PostgreSQL.

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tawasul_app::identity::authz::{role_grants, Permission};
use tawasul_domain::lifecycle::Action;
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp, CSRF};

/// Who may use a route.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone: the portal, the catalogue, sign-in, a resident's own intake, operations.
    Open,
    /// Only with a credential of its own kind: a provider's signature, a client application's
    /// key, a survey link, a sign-in challenge.
    Signed,
    /// A resident signed in with a one-time code.
    Resident,
    /// The case's reporter (tracking token or resident session), on the resident's pages.
    Reporter,
    /// The case's reporter, or staff with the need.
    Either(Need),
    /// Staff with the need, on their own entity's things.
    Staff(Need),
}

/// What a staff user needs beyond being signed in.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Any role of the entity (every role views its entity's cases).
    Any,
    /// A permission of the authorization table.
    May(Permission),
    /// The platform administrator only.
    Platform,
}

impl Need {
    /// Whether a user of `role` in the entity is let through.
    fn allows(self, role: Role) -> bool {
        match self {
            Need::Any => true,
            Need::May(permission) => role_grants(role, permission),
            Need::Platform => false,
        }
    }
}

/// What a probe sends.
#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, &'static str)>),
    Png,
    /// A photo in a multipart form, as the tracking page sends it.
    Photo,
}

/// A telephony platform's call, unsigned.
fn call_form() -> Body {
    Body::Form(vec![
        ("CallSid", "CA0001"),
        ("From", "+97333001234"),
        ("CallStatus", "completed"),
    ])
}

/// One (method, path) of the router, its rule, and how the matrix calls it: `target` is the
/// path with this test's objects (`{case}`, `{attachment}`, `{entity}`, `{service}`, `{user}`,
/// `{department}`, `{template}`) and a query.
#[derive(Debug, Clone)]
struct Route {
    method: &'static str,
    path: &'static str,
    rule: Rule,
    target: &'static str,
    body: Body,
    /// The target names an object this test does not make (a chat, a QR point): allowed roles
    /// may get 404 there.
    placeholder: bool,
}

fn route(method: &'static str, path: &'static str, rule: Rule) -> Route {
    Route {
        method,
        path,
        rule,
        target: path,
        body: Body::None,
        placeholder: false,
    }
}

impl Route {
    fn to(mut self, target: &'static str) -> Self {
        self.target = target;
        self
    }

    fn with(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    fn placeholder(mut self) -> Self {
        self.placeholder = true;
        self
    }
}

/// The rule of every route. A route the router serves and this table lacks fails the test.
fn rules() -> Vec<Route> {
    use Need::*;
    use Rule::*;
    let any = Staff(Any);
    let catalogue = Staff(May(Permission::ManageCatalogue));
    let staff_admin = Staff(May(Permission::ManageStaff));
    let kpis = Staff(May(Permission::ViewKpis));
    let chats = Staff(May(Permission::AnswerChats));
    let supervise = Staff(May(Permission::Supervise));
    let case = "/api/v1/cases/{case}";
    vec![
        // Operations and the document.
        route("GET", "/healthz", Open),
        route("GET", "/readyz", Open),
        route("GET", "/metrics", Open),
        route("GET", "/api/openapi.json", Open),
        route("GET", "/assets/{*path}", Open).to("/assets/app.css"),
        // The REST API.
        route("GET", "/api/v1/services", Open),
        route("POST", "/api/v1/cases", Open),
        route("GET", "/api/v1/cases", any),
        route("GET", "/api/v1/cases/{reference}", Either(Any)).to(case),
        route(
            "POST",
            "/api/v1/cases/{reference}/transitions",
            Staff(May(Permission::Transition(Action::Acknowledge))),
        )
        .to("/api/v1/cases/{case}/transitions")
        .with(Body::Json(json!({"action": "acknowledge"}))),
        route(
            "POST",
            "/api/v1/cases/{reference}/comments",
            Either(May(Permission::InternalNote)),
        )
        .to("/api/v1/cases/{case}/comments")
        .with(Body::Json(json!({"body": "ملاحظة", "visibility": "internal"}))),
        route("GET", "/api/v1/cases/{reference}/survey", Either(Any)).to("/api/v1/cases/{case}/survey"),
        route("POST", "/api/v1/cases/{reference}/survey", Reporter)
            .to("/api/v1/cases/{case}/survey")
            .with(Body::Json(
                json!({"quality": 5, "speed": 5, "agent": 5, "solved": true}),
            )),
        route(
            "POST",
            "/api/v1/cases/{reference}/attachments",
            Either(May(Permission::UploadAttachment)),
        )
        .to("/api/v1/cases/{case}/attachments")
        .with(Body::Png),
        route("GET", "/api/v1/cases/{reference}/attachments/{id}", Either(Any))
            .to("/api/v1/cases/{case}/attachments/{attachment}"),
        route(
            "POST",
            "/api/v1/cases/{reference}/classification",
            Staff(May(Permission::Transition(Action::Assign))),
        )
        .to("/api/v1/cases/{case}/classification")
        .with(Body::Json(json!({"priority": "low", "reason": "matrix"}))),
        route(
            "POST",
            "/api/v1/cases/{reference}/transfer",
            Staff(May(Permission::Transfer)),
        )
        .to("/api/v1/cases/{case}/transfer"),
        route(
            "POST",
            "/api/v1/cases/{reference}/transfer/accept",
            Staff(May(Permission::DecideTransfer)),
        )
        .to("/api/v1/cases/{case}/transfer/accept"),
        route(
            "POST",
            "/api/v1/cases/{reference}/transfer/return",
            Staff(May(Permission::DecideTransfer)),
        )
        .to("/api/v1/cases/{case}/transfer/return"),
        route("POST", "/api/v1/cases/{reference}/merge", Staff(May(Permission::Merge)))
            .to("/api/v1/cases/{case}/merge"),
        route("POST", "/api/v1/cases/{reference}/ignored", Reporter)
            .to("/api/v1/cases/{case}/ignored")
            .with(Body::Json(json!({"description": "لم يرد أحد"}))),
        route("GET", "/api/v1/exports/cases", any).to("/api/v1/exports/cases?format=csv&entity={entity}"),
        route("GET", "/api/v1/me/cases", Resident),
        // Signing in, whose every step carries its own credential.
        route("POST", "/api/v1/auth/login", Open),
        route("POST", "/api/v1/auth/login/code", Open),
        route("POST", "/api/v1/auth/login/enrolment", Open),
        route("POST", "/api/v1/auth/logout", Open),
        route("POST", "/api/v1/auth/code", Open),
        route("POST", "/api/v1/auth/code/verify", Open),
        route("POST", "/api/v1/auth/second-factor", any),
        route("POST", "/api/v1/auth/second-factor/confirm", any),
        route(
            "DELETE",
            "/api/v1/admin/staff/{username}/second-factor",
            Staff(Platform),
        )
        .to("/api/v1/admin/staff/{user}/second-factor"),
        route("PUT", "/api/v1/admin/services/{code}/fix-photo", catalogue)
            .to("/api/v1/admin/services/{service}/fix-photo")
            .with(Body::Json(json!({"required": false}))),
        route("GET", "/api/v1/admin/entities/{code}/policy", catalogue).to("/api/v1/admin/entities/{entity}/policy"),
        route("PUT", "/api/v1/admin/entities/{code}/policy", catalogue).to("/api/v1/admin/entities/{entity}/policy"),
        route("PUT", "/api/v1/admin/entities/{code}/areas", catalogue).to("/api/v1/admin/entities/{entity}/areas"),
        route("GET", "/api/v1/admin/entities/{code}/olas", catalogue).to("/api/v1/admin/entities/{entity}/olas"),
        route("PUT", "/api/v1/admin/sla-targets", catalogue),
        route("POST", "/api/v1/admin/routing-rules", catalogue),
        route("PUT", "/api/v1/admin/olas", catalogue),
        route("POST", "/api/v1/admin/olas/accept", catalogue),
        route("POST", "/api/v1/admin/olas/decline", catalogue),
        route("GET", "/api/v1/kpis", kpis).to("/api/v1/kpis?entity={entity}"),
        route("GET", "/api/v1/kpis/series", kpis).to("/api/v1/kpis/series?entity={entity}&step=day"),
        route("GET", "/api/v1/kpis/targets", kpis).to("/api/v1/kpis/targets?entity={entity}"),
        route("PUT", "/api/v1/kpis/targets", Staff(May(Permission::SetKpiTargets))),
        // Open311 (a client application's key to post) and the providers' webhooks.
        route("GET", "/open311/v2/{file}", Open).to("/open311/v2/services.json"),
        route("POST", "/open311/v2/{file}", Signed)
            .to("/open311/v2/requests.json")
            .with(Body::Form(vec![
                ("api_key", "none"),
                ("service_code", "cap-service"),
                ("lat", "26.2"),
                ("long", "50.6"),
                ("description", "تسرب مياه"),
            ])),
        route("GET", "/open311/v2/services/{file}", Open).to("/open311/v2/services/{service}.json"),
        route("GET", "/open311/v2/requests/{file}", Open).to("/open311/v2/requests/{case}.json"),
        route("GET", "/open311/v2/tokens/{file}", Open).to("/open311/v2/tokens/0.json"),
        route("POST", "/hooks/sms", Signed),
        route("POST", "/hooks/whatsapp", Signed),
        route("GET", "/hooks/whatsapp", Signed),
        route("POST", "/hooks/facebook", Signed),
        route("GET", "/hooks/facebook", Signed),
        route("POST", "/hooks/x", Signed),
        route("GET", "/hooks/x", Signed),
        route("POST", "/hooks/ivr/twiml", Signed).with(call_form()),
        route("POST", "/hooks/ivr/vxml", Signed).with(call_form()),
        route("POST", "/hooks/ivr/callback", Signed).with(call_form()),
        route("POST", "/hooks/ivr/callback/status", Signed).with(call_form()),
        route("POST", "/hooks/ivr/dialled", Signed).with(call_form()),
        // The resident portal.
        route("GET", "/", Open),
        route("GET", "/report/{service}", Open).to("/report/{service}"),
        route("POST", "/report/{service}", Open).to("/report/{service}"),
        route("GET", "/p/{code}", Open).to("/p/none"),
        route("POST", "/p/{code}", Open).to("/p/none"),
        route("GET", "/submitted/{reference}", Reporter).to("/submitted/{case}"),
        route("GET", "/dashboard", Open),
        route("GET", "/track", Open),
        route("POST", "/track/code", Open),
        route("POST", "/track/verify", Open),
        route("GET", "/survey/{token}", Signed).to("/survey/none"),
        route("POST", "/survey/{token}", Signed).to("/survey/none"),
        route("GET", "/track/{reference}", Reporter).to("/track/{case}"),
        route("POST", "/track/{reference}/comment", Reporter)
            .to("/track/{case}/comment")
            .with(Body::Form(vec![("body", "تعليق")])),
        route("POST", "/track/{reference}/photos", Reporter)
            .to("/track/{case}/photos")
            .with(Body::Photo),
        route("POST", "/track/{reference}/survey", Reporter).to("/track/{case}/survey"),
        route("POST", "/track/{reference}/ignored", Reporter)
            .to("/track/{case}/ignored")
            .with(Body::Form(vec![("reason", "لم يرد أحد")])),
        route("GET", "/track/{reference}/attachments/{id}", Reporter).to("/track/{case}/attachments/{attachment}"),
        route("GET", "/chat", Open),
        route("POST", "/chat", Open),
        route("GET", "/chat/poll", Open),
        route("GET", "/chat/ws", Open),
        route("POST", "/chat/rate", Open),
        route("GET", "/my", Resident),
        route("POST", "/my/logout", Open),
        // The staff console: its home is the sign-in form until one signs in.
        route("GET", "/staff", Open),
        route("POST", "/staff/login", Open),
        route("GET", "/staff/login/code", Signed),
        route("POST", "/staff/login/code", Signed),
        route("GET", "/staff/login/enrol", Signed),
        route("POST", "/staff/logout", Open),
        route("GET", "/staff/second-factor", any),
        route("POST", "/staff/second-factor", any),
        route("GET", "/staff/cases/{reference}", any).to("/staff/cases/{case}"),
        route(
            "POST",
            "/staff/cases/{reference}/comment",
            Staff(May(Permission::InternalNote)),
        )
        .to("/staff/cases/{case}/comment")
        .with(Body::Form(vec![("body", "ملاحظة"), ("visibility", "internal")])),
        route(
            "POST",
            "/staff/cases/{reference}/transition",
            Staff(May(Permission::Transition(Action::Acknowledge))),
        )
        .to("/staff/cases/{case}/transition")
        .with(Body::Form(vec![("action", "acknowledge")])),
        route(
            "POST",
            "/staff/cases/{reference}/resolve",
            Staff(May(Permission::Transition(Action::Resolve))),
        )
        .to("/staff/cases/{case}/resolve"),
        route(
            "POST",
            "/staff/cases/{reference}/transfer",
            Staff(May(Permission::Transfer)),
        )
        .to("/staff/cases/{case}/transfer"),
        route(
            "POST",
            "/staff/cases/{reference}/transfer/{decision}",
            Staff(May(Permission::DecideTransfer)),
        )
        .to("/staff/cases/{case}/transfer/accept"),
        route("POST", "/staff/cases/{reference}/merge", Staff(May(Permission::Merge))).to("/staff/cases/{case}/merge"),
        route("GET", "/staff/cases/{reference}/attachments/{id}", any)
            .to("/staff/cases/{case}/attachments/{attachment}"),
        route("GET", "/staff/chats", chats),
        route("GET", "/staff/chats/{id}", chats)
            .to("/staff/chats/1")
            .placeholder(),
        route("POST", "/staff/chats/{id}/pick", chats).to("/staff/chats/1/pick"),
        route("POST", "/staff/chats/{id}/say", chats).to("/staff/chats/1/say"),
        route("POST", "/staff/chats/{id}/case", chats).to("/staff/chats/1/case"),
        route("POST", "/staff/chats/{id}/end", chats).to("/staff/chats/1/end"),
        route("GET", "/staff/chats/{id}/poll", chats)
            .to("/staff/chats/1/poll")
            .placeholder(),
        route("GET", "/staff/chats/{id}/ws", chats)
            .to("/staff/chats/1/ws")
            .placeholder(),
        route("GET", "/staff/board", supervise),
        route("POST", "/staff/board/reassign", supervise),
        route("GET", "/staff/dashboard", kpis),
        route("GET", "/staff/oversight", Staff(Platform)),
        route("GET", "/staff/report", kpis),
        route("GET", "/staff/report.pdf", kpis),
        route("GET", "/staff/export", any),
        route("GET", "/staff/export/download", any).to("/staff/export/download?format=csv&entity={entity}"),
        route("GET", "/staff/admin", catalogue),
        route("GET", "/staff/admin/{section}", staff_admin).to("/staff/admin/users"),
        route("GET", "/staff/admin/entities", catalogue),
        route("POST", "/staff/admin/entities", Staff(Platform)),
        route("GET", "/staff/admin/entities/{code}", catalogue).to("/staff/admin/entities/{entity}"),
        route("POST", "/staff/admin/entities/{code}", catalogue).to("/staff/admin/entities/{entity}"),
        route("GET", "/staff/admin/entities/{code}/departments", staff_admin)
            .to("/staff/admin/entities/{entity}/departments"),
        route("POST", "/staff/admin/entities/{code}/departments", staff_admin)
            .to("/staff/admin/entities/{entity}/departments"),
        route(
            "POST",
            "/staff/admin/entities/{code}/departments/{department}",
            staff_admin,
        )
        .to("/staff/admin/entities/{entity}/departments/{department}"),
        route("GET", "/staff/admin/entities/{code}/calendar", catalogue).to("/staff/admin/entities/{entity}/calendar"),
        route("POST", "/staff/admin/entities/{code}/calendar", catalogue).to("/staff/admin/entities/{entity}/calendar"),
        route("GET", "/staff/admin/entities/{code}/users", staff_admin).to("/staff/admin/entities/{entity}/users"),
        route("POST", "/staff/admin/entities/{code}/users", staff_admin).to("/staff/admin/entities/{entity}/users"),
        route("GET", "/staff/admin/users/{username}", staff_admin).to("/staff/admin/users/{user}"),
        route("POST", "/staff/admin/users/{username}", staff_admin).to("/staff/admin/users/{user}"),
        route("POST", "/staff/admin/users/{username}/active", staff_admin).to("/staff/admin/users/{user}/active"),
        route("POST", "/staff/admin/users/{username}/password", staff_admin).to("/staff/admin/users/{user}/password"),
        route("POST", "/staff/admin/users/{username}/second-factor", Staff(Platform))
            .to("/staff/admin/users/{user}/second-factor"),
        route("GET", "/staff/admin/entities/{code}/points", catalogue).to("/staff/admin/entities/{entity}/points"),
        route("POST", "/staff/admin/entities/{code}/points", catalogue).to("/staff/admin/entities/{entity}/points"),
        route("POST", "/staff/admin/entities/{code}/points/import", catalogue)
            .to("/staff/admin/entities/{entity}/points/import"),
        route("GET", "/staff/admin/entities/{code}/points/sheet", catalogue)
            .to("/staff/admin/entities/{entity}/points/sheet")
            .placeholder(),
        route(
            "GET",
            "/staff/admin/entities/{code}/points/{point}/qr/{format}",
            catalogue,
        )
        .to("/staff/admin/entities/{entity}/points/none/qr/png")
        .placeholder(),
        route("GET", "/staff/admin/services", catalogue),
        route("POST", "/staff/admin/services", catalogue),
        route("GET", "/staff/admin/services/{code}", catalogue).to("/staff/admin/services/{service}"),
        route("POST", "/staff/admin/services/{code}", catalogue).to("/staff/admin/services/{service}"),
        route("POST", "/staff/admin/services/{code}/fields", catalogue).to("/staff/admin/services/{service}/fields"),
        route("POST", "/staff/admin/services/{code}/fields/{key}", catalogue)
            .to("/staff/admin/services/{service}/fields/none"),
        route("POST", "/staff/admin/services/{code}/fields/{key}/{op}", catalogue)
            .to("/staff/admin/services/{service}/fields/none/up"),
        route("GET", "/staff/admin/sla", catalogue),
        route("POST", "/staff/admin/sla", catalogue),
        route("GET", "/staff/admin/templates", catalogue),
        route("POST", "/staff/admin/templates", catalogue),
        route("POST", "/staff/admin/templates/{id}", catalogue).to("/staff/admin/templates/{template}"),
        route("POST", "/staff/admin/templates/{id}/delete", catalogue).to("/staff/admin/templates/{template}/delete"),
    ]
}

/// Every path the router declares. axum cannot list its routes, but its `Debug` output names
/// each path of the router (before the fallback's); the methods are then probed.
fn declared_paths(app: &tawasul_app::App) -> BTreeSet<String> {
    let printed = format!("{:?}", tawasul_http::router(app.clone()));
    let routes = printed.split("fallback_router:").next().unwrap_or_default();
    routes
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with('/'))
        .map(str::to_owned)
        .collect()
}

/// A path with a harmless value in each parameter, to learn which methods it serves.
fn probe_path(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.starts_with('{') {
            true => "x",
            false => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The objects the matrix calls routes on: `cap`'s things, and a case of `cap` with its token
/// and a staff attachment.
struct Objects {
    case: String,
    case_token: String,
    /// A token of another case of the same entity.
    other_token: String,
    attachment: String,
    template: String,
}

impl Objects {
    fn fill(&self, target: &str) -> String {
        target
            .replace("{case}", &self.case)
            .replace("{attachment}", &self.attachment)
            .replace("{template}", &self.template)
            .replace("{entity}", "cap")
            .replace("{service}", "cap-service")
            .replace("{user}", "cap.agent")
            .replace("{department}", "roads")
    }
}

/// Who calls: a staff session (as bearer and as cookie), a case's tracking token, or no one.
#[derive(Clone, Copy)]
enum Who<'a> {
    Anonymous,
    Staff(&'a str),
    Token(&'a str),
}

/// The answer's status and where it redirects.
async fn call(t: &TestApp, method: &str, target: &str, who: Who<'_>, body: &Body) -> (StatusCode, String) {
    let page = !target.starts_with("/api/") && !target.starts_with("/open311/") && !target.starts_with("/hooks/");
    let mut target = target.to_owned();
    let mut cookies = String::new();
    let mut fields: Vec<(String, String)> = vec![];
    if let Body::Form(given) = body {
        fields.extend(given.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    }
    match who {
        Who::Anonymous => {}
        Who::Staff(session) => cookies = format!("tawasul_session={session}"),
        Who::Token(token) if page && method == "GET" => {
            target = format!("{target}{}token={token}", if target.contains('?') { '&' } else { '?' })
        }
        Who::Token(token) if page => fields.push(("token".into(), token.into())),
        Who::Token(_) => {}
    }
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    let mut request = t
        .client
        .request(method.clone(), t.url(&target))
        .header(COOKIE, format!("tawasul_csrf={CSRF}; {cookies}"));
    if let Who::Staff(token) | Who::Token(token) = who {
        if !page {
            request = request.bearer_auth(token);
        }
    }
    if page && method == Method::POST {
        fields.push(("csrf_token".into(), TestApp::csrf_for(&cookies)));
    }
    if target.ends_with("/ws") {
        // A WebSocket handshake from the site's own page, so that neither is what refuses it.
        request = request
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("origin", &t.base);
    }
    request = match body {
        Body::Json(value) => request.json(value),
        Body::Png => request.header(CONTENT_TYPE, "image/png").body(tawasul_testkit::png(7)),
        Body::Photo => {
            let photo = reqwest::multipart::Part::bytes(tawasul_testkit::png(8))
                .file_name("photo.png")
                .mime_str("image/png")
                .expect("a media type");
            let form = fields
                .into_iter()
                .fold(reqwest::multipart::Form::new(), |form, (k, v)| form.text(k, v))
                .part("photos", photo);
            request.multipart(form)
        }
        Body::Form(_) => request.form(&fields),
        Body::None if !fields.is_empty() => request.form(&fields),
        Body::None => request,
    };
    let response = request.send().await.expect("the request is answered");
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (response.status(), location)
}

/// Refused: 401, 403, 404, or sent to a sign-in page.
fn refused((status, location): &(StatusCode, String)) -> bool {
    matches!(
        *status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) || (status.is_redirection() && ["/staff", "/track"].contains(&location.split('?').next().unwrap_or_default()))
}

/// Two entities, each with a service, two departments and a user of every role; a platform
/// administrator; a reply template of `cap`; the phone line on.
async fn matrix(backend: Backend) -> TestApp {
    // The phone line's hooks are served only when it is configured.
    let ivr = tawasul_app::IvrSettings {
        auth_token: "matrix-token".into(),
        agent: "+97317000000".into(),
        recording_hosts: vec![],
        recording_private_addresses: false,
    };
    let t = spawn(Options {
        hooks: tawasul_app::HookSettings {
            ivr: Some(ivr),
            ..Default::default()
        },
        ..Options::on(backend)
    })
    .await;
    let f = Fixtures::new(&t.app).await;
    for code in ["cap", "mun"] {
        f.entity(code, "جهة", "Entity", "governorate").await;
        f.department(code, "water", "المياه", "Water").await;
        f.department(code, "roads", "الطرق", "Roads").await;
        f.service(ServiceSpec {
            entity: code,
            code: &format!("{code}-service"),
            name: ("تسرب مياه", "Water leak"),
            description: ("", ""),
            kinds: &["complaint", "report"],
            department: "water",
            fields: json!([]),
        })
        .await;
        for role in Role::ALL {
            f.staff(&format!("{code}.{}", role.as_str()), *role, Some(code)).await;
        }
    }
    f.staff("root", Role::Admin, None).await;
    f.reply_template("cap", "thanks", "ar", "شكر", "شكرا لكم").await;
    t
}

fn complaint(text: &str) -> Value {
    json!({
        "service": "cap-service",
        "kind": "complaint",
        "description": text,
        "reporter": {"name": "فاطمة", "phone": "+973 3300 1234", "language": "ar"}
    })
}

async fn objects(t: &TestApp) -> Objects {
    let (case, case_token) = t.submit(complaint("تسرب مياه أمام المنزل")).await;
    let (_, other_token) = t.submit(complaint("تسرب مياه في الشارع")).await;
    let supervisor = t.login("cap.supervisor", PASSWORD).await;
    let upload = t
        .client
        .post(t.url(&format!("/api/v1/cases/{case}/attachments")))
        .bearer_auth(&supervisor)
        .header(CONTENT_TYPE, "image/png")
        .body(tawasul_testkit::png(1));
    let (status, attachment) = t.json_of(upload).await;
    assert_eq!(status, StatusCode::CREATED, "{attachment}");
    let entities = t.store.entities().await.expect("entities");
    let cap = entities.iter().find(|e| e.code == "cap").expect("cap").id;
    let templates = t.store.reply_templates(cap).await.expect("templates");
    Objects {
        case,
        case_token,
        other_token,
        attachment: attachment["id"].to_string(),
        template: templates.first().expect("a template").id.to_string(),
    }
}

on_both! { matrix;
    async fn every_route_has_a_rule_and_keeps_it(t: &TestApp) {
        // Which (method, path) the router serves: its paths, each probed with every method.
        let paths = declared_paths(&t.app);
        assert!(paths.len() > 100, "the router's paths could not be read: {paths:?}");
        let mut served = BTreeSet::new();
        for path in &paths {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                let (status, _) = call(t, method, &probe_path(path), Who::Anonymous, &Body::None).await;
                if status != StatusCode::METHOD_NOT_ALLOWED {
                    served.insert((method.to_owned(), path.clone()));
                }
            }
        }
        let table = rules();
        let ruled: BTreeSet<(String, String)> = table.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
        assert_eq!(ruled.len(), table.len(), "a route has two rules");
        let unruled: Vec<_> = served.difference(&ruled).collect();
        assert!(unruled.is_empty(), "routes without a rule in rules(): {unruled:?}");
        let gone: Vec<_> = ruled.difference(&served).collect();
        assert!(gone.is_empty(), "rules of routes the router does not serve: {gone:?}");

        let o = objects(t).await;
        let mut sessions = vec![];
        for entity in ["cap", "mun"] {
            for role in Role::ALL {
                sessions.push((entity, *role, t.login(&format!("{entity}.{}", role.as_str()), PASSWORD).await));
            }
        }
        let root = t.login("root", PASSWORD).await;
        let mut failures = vec![];
        let mut checked = 0;
        for r in &table {
            let target = o.fill(r.target);
            let mut expect = |who: String, answer: (StatusCode, String), want_refused: bool, lenient: bool| {
                checked += 1;
                let ok = match (want_refused, answer.0.is_server_error()) {
                    (_, true) => false,
                    (true, false) => refused(&answer),
                    (false, false) => !refused(&answer) || (lenient && answer.0 == StatusCode::NOT_FOUND),
                };
                if !ok {
                    let want = if want_refused { "refused" } else { "let through" };
                    failures.push(format!("{} {target} as {who}: {} {} (should be {want})", r.method, answer.0, answer.1));
                }
            };
            if !matches!(r.rule, Rule::Open) {
                let answer = call(t, r.method, &target, Who::Anonymous, &r.body).await;
                expect("no one".into(), answer, true, false);
            }
            if !matches!(r.rule, Rule::Open | Rule::Resident) {
                let answer = call(t, r.method, &target, Who::Token(&o.other_token), &r.body).await;
                expect("another case's reporter".into(), answer, true, false);
            }
            if matches!(r.rule, Rule::Reporter | Rule::Either(_)) && r.method == "GET" && !target.contains("/attachments/") {
                let answer = call(t, r.method, &target, Who::Token(&o.case_token), &r.body).await;
                expect("its reporter".into(), answer, false, false);
            }
            let (Rule::Staff(need) | Rule::Either(need)) = r.rule else { continue };
            // Without a valid body a write is refused for its body before its rule is reached.
            if r.method != "GET" && matches!(r.body, Body::None) {
                continue;
            }
            for (entity, role, session) in &sessions {
                let answer = call(t, r.method, &target, Who::Staff(session), &r.body).await;
                let own = *entity == "cap";
                let scoped = r.target.contains('{') || r.target.contains("entity=");
                if own || scoped {
                    let allowed = own && need.allows(*role);
                    expect(format!("{entity}.{}", role.as_str()), answer, !allowed, r.placeholder);
                }
            }
            let answer = call(t, r.method, &target, Who::Staff(&root), &r.body).await;
            expect("the platform administrator".into(), answer, false, r.placeholder);
        }
        assert!(failures.is_empty(), "{} of {checked} answers broke their rule:\n{}", failures.len(), failures.join("\n"));
    }
}
