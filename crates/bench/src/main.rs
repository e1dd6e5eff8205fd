//! `tawasul-bench`: load harnesses, kept out of the `tawasul` binary because they link the
//! test receivers of `tawasul-notify`.
//!
//! `intake` is a closed-loop load harness: it starts a real `tawasul demo` child process (the
//! `tawasul` binary beside this one) on a fresh data directory (or uses `--url`), posts cases
//! from N concurrent clients for a fixed time at each concurrency, and prints throughput and
//! latency percentiles. `sweep` and `notify` time the job runner in process. `load` drives
//! a running server with a contact centre's mix; `seed` fills a store with cases at a city's
//! volume for it to run against.

mod load;
mod seed;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "tawasul-bench",
    version,
    about = "Load benchmarks of Tawasul; figures go to BENCHMARKS.md"
)]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Post cases at each concurrency and report cases/s and p50/p95/p99 latency.
    Intake {
        /// Benchmark a server already running here instead of starting one.
        #[arg(long)]
        url: Option<String>,
        /// PostgreSQL URL for the server this starts (default: SQLite in a temp dir).
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        concurrency: Vec<usize>,
        /// Seconds per concurrency level.
        #[arg(long, default_value_t = 10)]
        duration: u64,
    },
    /// Time the SLA sweep over N open cases of which a share is due: its cost should follow
    /// the due cases, not the open ones.
    Sweep {
        /// PostgreSQL URL of an empty database to fill (default: SQLite in a temp dir).
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
        open: Vec<usize>,
        /// Percent of the open cases whose next escalation step is due.
        #[arg(long, default_value_t = 1.0)]
        due_percent: f64,
    },
    /// Drive a running server with a contact centre's mix and report each operation's
    /// throughput, latency, errors and the server's RSS.
    Load(load::LoadArgs),
    /// Fill a store with N cases in the shape of real service (the demo's catalogue first if
    /// the store is empty): a skewed service mix, Arabic as residents write it, years of
    /// history, every status, timelines and surveys. Deterministic for a seed.
    Seed {
        #[arg(long)]
        cases: usize,
        /// SQLite data directory (created if missing).
        #[arg(long, default_value = "./tawasul-data", conflicts_with = "database_url")]
        data_dir: PathBuf,
        /// PostgreSQL URL of the store to fill instead.
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Years of history the cases spread over, up to now.
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// The moment the history runs up to (RFC 3339), instead of now: with the same seed,
        /// the same cases again (but for their secret tracking tokens).
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Threads making cases while the store writes (the cores by default).
        #[arg(long)]
        threads: Option<usize>,
        /// Cases per transaction (whole thousands): how the rows are written, not which.
        #[arg(long, default_value_t = seed::BATCH)]
        batch: usize,
    },
    /// Deliver N e-mail notifications from the outbox to a local SMTP server through the job
    /// runner, and report e-mails per second.
    Notify {
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value_t = 5000)]
        emails: usize,
    },
}

/// The limits the harnesses run the server with: intake from the harness's one address is not
/// held to a contact centre's limits, so that the figures measure the server.
const BENCH_LIMITS: &str = "intake_per_address=1000000/s,intake_per_contact=1000000/s,uploads_per_address=1000000/s";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        BenchCommand::Intake {
            url,
            database_url,
            concurrency,
            duration,
        } => intake(url, database_url, concurrency, duration).await,
        BenchCommand::Sweep {
            database_url,
            open,
            due_percent,
        } => {
            println!(
                "backend: {}",
                if database_url.is_some() { "postgres" } else { "sqlite" }
            );
            println!("| open cases | due | sweep s | due cases/s | steps |");
            println!("|---:|---:|---:|---:|---:|");
            for n in open {
                sweep(database_url.as_deref(), n, due_percent).await?;
            }
            Ok(())
        }
        BenchCommand::Seed {
            cases,
            data_dir,
            database_url,
            seed,
            years,
            now,
            threads,
            batch,
        } => {
            seed::seed(seed::SeedArgs {
                cases,
                data_dir,
                database_url,
                seed,
                years,
                now: now.map(|t| t.timestamp_micros()),
                makers: threads,
                batch,
            })
            .await?;
            Ok(())
        }
        BenchCommand::Notify { database_url, emails } => notify(database_url.as_deref(), emails).await,
        BenchCommand::Load(args) => load::run(args).await,
    }
}

/// A fresh App on a temp dir (SQLite) or on the given empty PostgreSQL database, with the
/// demo's catalogue, staff and workflow.
async fn bench_app(
    database_url: Option<&str>,
    smtp_port: Option<u16>,
) -> anyhow::Result<(tawasul_app::App, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let mut settings = tawasul_app::Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: database_url.map(str::to_owned),
        ..tawasul_app::Settings::default()
    };
    if let Some(port) = smtp_port {
        settings.delivery.smtp = Some(tawasul_notify::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: tawasul_notify::SmtpSecurity::None,
            username: None,
            password: None,
            from: "Tawasul <bench@tawasul.example>".into(),
            pool_size: 32,
        });
    }
    let app = tawasul_app::App::open(settings).await?;
    tawasul_demo::seed(&app).await?;
    Ok((app, dir))
}

/// Open cases in bulk: `due` of them a step past their first threshold, the rest weeks away.
async fn fill(app: &tawasul_app::App, open: usize, due: usize, with_email: bool) -> anyhow::Result<()> {
    let service = app
        .services()
        .await?
        .into_iter()
        .find(|s| s.code == "water-leak")
        .context("the demo's first service")?;
    let now = app.now_micros();
    const DAY: i64 = 86_400_000_000;
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..open {
        let is_due = i < due;
        let started = if is_due { now - 40 * DAY } else { now - DAY };
        let case = tawasul_store::CaseInsert {
            token_hash: format!("bench-{i}"),
            entity_id: service.entity_id,
            department_id: service.default_department_id,
            service_id: service.id,
            kind: "complaint".into(),
            status: "new".into(),
            channel: "api".into(),
            language: "ar".into(),
            priority: "normal".into(),
            description: format!("بلاغ رقم {i}"),
            answers: "{}".into(),
            reporter_email: with_email.then(|| format!("resident{i}@example.bh")),
            reporter_language: Some("ar".into()),
            created_at: started,
            notifications: if with_email {
                vec![tawasul_store::OutboxInsert {
                    channel: "email".into(),
                    recipient: format!("resident{i}@example.bh"),
                    template: "case_received".into(),
                    language: if i % 2 == 0 { "ar" } else { "en" }.into(),
                    payload: serde_json::json!({ "service_ar": "تسرب مياه", "service_en": "Water leak" }).to_string(),
                    secret: None,
                    created_at: now,
                }]
            } else {
                vec![]
            },
            sla: tawasul_store::CaseSla {
                sla_response_target: Some(7 * 3_600_000_000),
                sla_resolution_target: Some(35 * 3_600_000_000),
                sla_started_at: Some(started),
                next_escalation_at: Some(if is_due { now - DAY } else { now + 30 * DAY }),
                ..Default::default()
            },
            ..Default::default()
        };
        batch.push(case);
        if batch.len() == 10_000 {
            app.operator().add_cases(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        app.operator().add_cases(batch).await?;
    }
    Ok(())
}

async fn sweep(database_url: Option<&str>, open: usize, due_percent: f64) -> anyhow::Result<()> {
    let database_url = match database_url {
        Some(server) => Some(fresh_database(server).await?),
        None => None,
    };
    let (app, _dir) = bench_app(database_url.as_deref(), None).await?;
    // The demo's own overdue cases go first, so that the timing covers the filled ones only.
    while app.sla_sweep().await?.more {}
    let due = ((open as f64) * due_percent / 100.0).round() as usize;
    fill(&app, open, due, false).await?;
    let started = Instant::now();
    let mut steps = 0;
    loop {
        let report = app.sla_sweep().await?;
        steps += report.steps;
        if !report.more {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "| {open} | {due} | {seconds:.2} | {:.0} | {steps} |",
        due as f64 / seconds.max(1e-9)
    );
    app.close().await;
    Ok(())
}

async fn notify(database_url: Option<&str>, emails: usize) -> anyhow::Result<()> {
    let database_url = match database_url {
        Some(server) => Some(fresh_database(server).await?),
        None => None,
    };
    let sink = tawasul_testkit::sinks::SmtpSink::start().await?;
    let (app, _dir) = bench_app(database_url.as_deref(), Some(sink.port())).await?;
    // Deliver what the demo queued (nothing reaches a reporter there) before timing.
    app.run_jobs_until_idle().await?;
    let before = sink.messages().len();
    fill(&app, emails, 0, true).await?;
    let started = Instant::now();
    app.run_jobs_until_idle().await?;
    let seconds = started.elapsed().as_secs_f64();
    let delivered = sink.messages().len() - before;
    println!(
        "backend: {}",
        if database_url.is_some() { "postgres" } else { "sqlite" }
    );
    println!("| e-mails | delivered | seconds | e-mails/s |");
    println!("|---:|---:|---:|---:|");
    println!(
        "| {emails} | {delivered} | {seconds:.2} | {:.0} |",
        delivered as f64 / seconds.max(1e-9)
    );
    app.close().await;
    Ok(())
}

/// A new, empty database on the PostgreSQL server `server_url` points at.
async fn fresh_database(server_url: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(server_url).await?;
    let name = format!("tw_bench_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let base = server_url.rsplit_once('/').map_or(server_url, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

async fn intake(
    url: Option<String>,
    database_url: Option<String>,
    concurrency: Vec<usize>,
    duration: u64,
) -> anyhow::Result<()> {
    let mut server = None;
    let base = match url {
        Some(url) => url,
        None => {
            let started = Server::start(database_url.as_deref()).await?;
            let base = started.base.clone();
            server = Some(started);
            base
        }
    };
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let service = first_service(&client, &base).await?;
    println!(
        "backend: {}",
        if database_url.is_some() { "postgres" } else { "sqlite" }
    );
    println!("| concurrency | cases/s | p50 ms | p95 ms | p99 ms | errors |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for c in concurrency {
        let report = load(&client, &base, &service, c, Duration::from_secs(duration)).await;
        println!(
            "| {c} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
            report.per_second, report.p50_ms, report.p95_ms, report.p99_ms, report.errors
        );
    }
    if let Some(server) = server {
        server.stop().await;
    }
    Ok(())
}

struct Report {
    per_second: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    errors: usize,
}

async fn load(client: &reqwest::Client, base: &str, service: &str, clients: usize, duration: Duration) -> Report {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..clients {
        let client = client.clone();
        let url = format!("{base}/api/v1/cases");
        let service = service.to_owned();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let mut errors = 0usize;
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let body = serde_json::json!({
                    "service": service,
                    "kind": "complaint",
                    "description": format!("تسرب مياه في الشارع رقم {i} قرب المدرسة، العامل {worker}"),
                    "location": {"lat": 26.2 + (i % 100) as f64 * 1e-4, "lon": 50.58},
                    "reporter": {"name": "مواطن", "phone": "+97333000000", "language": "ar"}
                });
                let t = Instant::now();
                match client.post(&url).json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        latencies.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut all = Vec::new();
    let mut errors = 0;
    while let Some(Ok((latencies, e))) = tasks.join_next().await {
        all.extend(latencies);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Report {
        per_second: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        errors,
    }
}

async fn first_service(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let catalogue: serde_json::Value = client
        .get(format!("{base}/api/v1/services"))
        .send()
        .await?
        .json()
        .await?;
    catalogue["items"][0]["code"]
        .as_str()
        .map(str::to_owned)
        .context("the server lists no service")
}

/// The `tawasul` binary built beside this one (`cargo build --release -p tawasul -p tawasul-bench`).
fn tawasul_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let server = me.with_file_name(format!("tawasul{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        server.is_file(),
        "{} is missing: build it beside tawasul-bench with `cargo build --release -p tawasul -p tawasul-bench`",
        server.display()
    );
    Ok(server)
}

struct Server {
    child: tokio::process::Child,
    base: String,
    data_dir: PathBuf,
}

impl Server {
    async fn start(database_url: Option<&str>) -> anyhow::Result<Self> {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let data_dir = std::env::temp_dir().join(format!("tawasul-bench-{}-{port}", std::process::id()));
        let mut command = tokio::process::Command::new(tawasul_binary()?);
        command
            .args(["demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data_dir)
            // The harness measures capacity from one address: the intake limits are lifted
            // (BENCHMARKS.md says so).
            .args(["--limit", BENCH_LIMITS])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let child = command.spawn().context("starting the server")?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(Self { child, base, data_dir });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the server did not come up in 60 s")
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
