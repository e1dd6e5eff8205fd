//! `tawasul bench intake`: a closed-loop load harness. It starts a real `tawasul demo` child
//! process on a fresh data directory (or uses `--url`), posts cases from N concurrent clients
//! for a fixed time at each concurrency, and prints throughput and latency percentiles.

use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
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
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::Intake {
        url,
        database_url,
        concurrency,
        duration,
    } = command;
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
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command
            .args(["demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data_dir)
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
