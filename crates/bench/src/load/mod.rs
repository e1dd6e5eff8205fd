//! `tawasul-bench load`: drives a running Tawasul server over keep-alive HTTP with a contact
//! centre's mix — residents reporting (with and without photos) and following their cases,
//! staff working queues under every sort and filter, searching, reading cases, moving them
//! through their lifecycle and replying, the console's pages, a scrape of /metrics — and
//! reports per operation the count, throughput, latency percentiles and errors by status,
//! with the server's resident memory.
//!
//! The run is bounded by `--duration` and `--requests`, and only ever talks to loopback.
//! Before the clock starts it signs in (the API's token, and the console through its sign-in
//! form with the CSRF token) and reports two cases per client, which the look-ups,
//! transitions and replies then work on along with the cases it reports during the run.

mod ops;
mod photo;
mod process;
mod report;

use anyhow::Context;
use clap::ValueEnum;
use ops::{IntakeService, Limits, Op, Staff, Target};
use report::{Recorder, Report, ServerMemory};
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct LoadArgs {
    /// The running server, on loopback: http://127.0.0.1:8080
    #[arg(long)]
    base: String,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop after this many requests, all operations together (a walk of a queue counts
    /// each page).
    #[arg(long)]
    requests: Option<u64>,
    /// Clients, each sending one request at a time over keep-alive connections.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Run this operation alone.
    #[arg(long, value_enum, conflicts_with = "mix")]
    only: Option<Op>,
    /// Change weights of the default mix, e.g. `intake=20,metrics=0` (per hundred requests).
    #[arg(long, value_delimiter = ',', value_parser = parse_weight)]
    mix: Vec<(Op, u32)>,
    /// Pages read per queue or search: the first, then the next ones by cursor.
    #[arg(long, default_value_t = 3)]
    pages: usize,
    /// A staff user of the entity whose cases the run works on.
    #[arg(long, default_value = "cap.supervisor")]
    user: String,
    #[arg(long, default_value = tawasul_demo::DEMO_PASSWORD)]
    password: String,
    /// The server's process id, for its RSS (default: the process listening on the port).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Also write the report here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Size of each photo of `intake_photos`, in KiB.
    #[arg(long, default_value_t = 64)]
    photo_kib: usize,
    /// Operations per second to aim at, all clients together, each client pacing its share
    /// (a soak at part of the capacity); without it each client starts its next operation
    /// as soon as the last is answered.
    #[arg(long)]
    rate: Option<f64>,
}

fn parse_weight(raw: &str) -> Result<(Op, u32), String> {
    let (name, weight) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw:?}: expected OPERATION=WEIGHT"))?;
    let op = Op::from_str(name.trim(), false)?;
    let weight = weight
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?}: the weight is a whole number"))?;
    Ok((op, weight))
}

pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let (base, port) = loopback_base(&args.base)?;
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(args.pages > 0, "--pages must be at least 1");
    anyhow::ensure!(args.duration > 0.0, "--duration must be positive");
    anyhow::ensure!(args.rate.is_none_or(|r| r > 0.0), "--rate must be positive");
    // Each client's time between operations at the asked rate.
    let pace = args.rate.map(|r| Duration::from_secs_f64(args.concurrency as f64 / r));
    let weights = weights(args.only, &args.mix);
    anyhow::ensure!(weights.iter().any(|(_, w)| *w > 0), "every operation has weight 0");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.concurrency * 2)
        .timeout(Duration::from_secs(60))
        .build()?;

    let staff = sign_in(&client, &base, &args.user, &args.password).await?;
    let services = intake_services(&client, &base, staff.entity.as_deref()).await?;
    let target = Arc::new(Target {
        client,
        base: base.clone(),
        staff,
        services,
        pages: args.pages,
        photos: photo::PhotoMaker::new(args.photo_kib * 1024),
        limits: Limits {
            deadline: Default::default(),
            requests: args.requests,
            sent: Default::default(),
        },
        deck: ops::deck(&weights),
        shared: Default::default(),
    });
    warm_up(&target, args.concurrency).await?;

    let (pid, note) = match args.server_pid {
        Some(pid) => (Some(pid), None),
        None => match process::listening_on(port) {
            Some(pid) => (Some(pid), None),
            None => (
                None,
                Some(format!(
                    "no process of this user listens on port {port}; give --server-pid"
                )),
            ),
        },
    };
    let before = pid.and_then(process::memory);
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    target
        .limits
        .deadline
        .set(started + Duration::from_secs_f64(args.duration))
        .map_err(|_| anyhow::anyhow!("the run started twice"))?;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let target = target.clone();
        clients.spawn(async move {
            let mut rec = Recorder::default();
            let mut next = tokio::time::Instant::now();
            // An operation may be skipped without a request (no case free to work on), so
            // the limits are checked between operations too.
            while !target.limits.reached() {
                if let Some(every) = pace {
                    tokio::time::sleep_until(next).await;
                    // Behind after a slow answer: go on from now rather than catch up in a burst.
                    next = (next + every).max(tokio::time::Instant::now());
                }
                if target.run(target.pick(), &mut rec).await.is_err() {
                    break;
                }
                tokio::task::yield_now().await;
            }
            rec
        });
    }
    let mut measured = Recorder::default();
    while let Some(client) = clients.join_next().await {
        measured.merge(client?);
    }
    let elapsed = started.elapsed();
    let after = pid.and_then(process::memory);

    let (operations, total) = measured.summarise(elapsed);
    let note =
        note.or_else(|| (before.is_none() || after.is_none()).then(|| "could not read /proc/<pid>/status".to_owned()));
    let report = Report {
        base,
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        user: args.user,
        concurrency: args.concurrency,
        pages: args.pages,
        duration_limit_s: args.duration,
        request_limit: args.requests,
        elapsed_s: elapsed.as_secs_f64(),
        mix: weights
            .iter()
            .map(|(op, w)| (op.name(), *w))
            .collect::<BTreeMap<_, _>>(),
        operations,
        total,
        server: ServerMemory {
            pid,
            before,
            after,
            note,
        },
    };
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        serde_json::to_writer_pretty(std::io::BufWriter::new(file), &report)?;
    }
    Ok(())
}

/// The base URL without a trailing slash, and its port; refused unless its host is
/// 127.0.0.1, ::1 or localhost, so that the harness never loads someone else's server.
fn loopback_base(raw: &str) -> anyhow::Result<(String, u16)> {
    let url = reqwest::Url::parse(raw).with_context(|| format!("--base {raw:?} is not a URL"))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "--base must be an http:// or https:// URL"
    );
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    };
    anyhow::ensure!(
        loopback,
        "--base {raw:?}: the load harness only drives a server on this machine (127.0.0.1, ::1 or localhost)"
    );
    let port = url.port_or_known_default().context("--base has no port")?;
    Ok((raw.trim_end_matches('/').to_owned(), port))
}

/// The weights of the run: `--only` alone, else the defaults changed by `--mix`.
fn weights(only: Option<Op>, mix: &[(Op, u32)]) -> Vec<(Op, u32)> {
    Op::value_variants()
        .iter()
        .map(|op| {
            let weight = match only {
                Some(only) => u32::from(only == *op),
                None => mix
                    .iter()
                    .rev()
                    .find(|(o, _)| o == op)
                    .map_or(op.default_weight(), |(_, w)| *w),
            };
            (*op, weight)
        })
        .filter(|(_, w)| *w > 0)
        .collect()
}

#[derive(Deserialize)]
struct Login {
    token: String,
    entity: Option<String>,
}

/// Signs in twice as staff do: through the API (a bearer token) and through the console's
/// sign-in form, with the CSRF token its page sets (a session cookie).
async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> anyhow::Result<Staff> {
    let answer = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .with_context(|| format!("no answer from {base}"))?;
    anyhow::ensure!(
        answer.status() == StatusCode::OK,
        "signing in to the API as {user}: {} {}",
        answer.status(),
        answer.text().await.unwrap_or_default()
    );
    let login: Login = answer.json().await?;

    let form = client.get(format!("{base}/staff")).send().await?;
    let csrf = set_cookie(form.headers(), "tawasul_csrf").context("/staff set no tawasul_csrf cookie")?;
    let page = form.text().await?;
    anyhow::ensure!(
        page.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")),
        "the sign-in form at /staff does not carry the CSRF token of its cookie"
    );
    let answer = client
        .post(format!("{base}/staff/login"))
        .header(COOKIE, format!("tawasul_csrf={csrf}"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        answer.status() == StatusCode::SEE_OTHER,
        "signing in to the console as {user}: {}",
        answer.status()
    );
    let session = set_cookie(answer.headers(), "tawasul_session").context("the console set no session cookie")?;
    Ok(Staff {
        username: user.to_owned(),
        entity: login.entity,
        token: login.token,
        console_cookie: format!("tawasul_csrf={csrf}; tawasul_session={session}"),
    })
}

fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

/// The services the run reports to: those of the staff user's entity (any, for a user of
/// none) that take a case without answers, each with the first kind it accepts.
async fn intake_services(
    client: &reqwest::Client,
    base: &str,
    entity: Option<&str>,
) -> anyhow::Result<Vec<IntakeService>> {
    let catalogue: serde_json::Value = client
        .get(format!("{base}/api/v1/services"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let services: Vec<IntakeService> = catalogue["items"]
        .as_array()
        .context("/api/v1/services has no items")?
        .iter()
        .filter(|s| entity.is_none_or(|e| s["entity"] == e) && !ops::needs_answers(s))
        .filter_map(|s| {
            Some(IntakeService {
                code: s["code"].as_str()?.to_owned(),
                kind: s["kinds"][0].as_str()?.to_owned(),
                department: s["default_department"].as_str().map(str::to_owned),
                fix_photo: s["fix_photo_required"].as_bool().unwrap_or(false),
            })
        })
        .collect();
    anyhow::ensure!(
        !services.is_empty(),
        "no service of entity {entity:?} takes a case without answers"
    );
    Ok(services)
}

/// Before the clock starts: two cases per client for the look-ups, transitions and replies
/// to work on, and a page of the queue for the case pages. Not measured.
async fn warm_up(target: &Target, clients: usize) -> anyhow::Result<()> {
    let mut rec = Recorder::default();
    let first_ops = std::iter::repeat_n(Op::Intake, 2 * clients).chain([Op::QueueNewest]);
    for op in first_ops {
        target
            .run(op, &mut rec)
            .await
            .map_err(|_| anyhow::anyhow!("stopped during warm-up"))?;
    }
    let (_, total) = rec.summarise(Duration::from_secs(1));
    anyhow::ensure!(
        total.errors.is_empty() && target.reported_count() == 2 * clients,
        "the warm-up failed: {:?}",
        total.errors
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_servers_are_driven() {
        assert_eq!(
            loopback_base("http://127.0.0.1:8080/").expect("loopback"),
            ("http://127.0.0.1:8080".to_owned(), 8080)
        );
        assert!(loopback_base("http://localhost:9000").is_ok());
        assert!(loopback_base("http://[::1]:9000").is_ok());
        for elsewhere in [
            "http://10.0.0.7:8080",
            "https://tawasul.example",
            "http://127.0.0.1.nip.io",
        ] {
            assert!(loopback_base(elsewhere).is_err(), "{elsewhere}");
        }
    }

    #[test]
    fn only_runs_one_operation_and_mix_changes_weights() {
        assert_eq!(weights(Some(Op::Search), &[]), vec![(Op::Search, 1)]);
        let changed = weights(None, &[(Op::Intake, 40), (Op::Metrics, 0)]);
        assert!(changed.contains(&(Op::Intake, 40)));
        assert!(!changed.iter().any(|(op, _)| *op == Op::Metrics));
        assert_eq!(parse_weight("queue_due=7"), Ok((Op::QueueDue, 7)));
        assert!(parse_weight("queue_due").is_err());
    }
}
