//! The `tawasul` binary: one process serves the whole platform; subcommands set it up.

mod bench;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use tawasul_app::{App, Settings};
use tawasul_domain::vocab::Role;

#[derive(Parser)]
#[command(
    name = "tawasul",
    version,
    about = "Tawasul: residents' complaints, suggestions and reports, routed and held to account"
)]
struct Cli {
    #[arg(long, value_enum, default_value = "text", global = true, env = "TAWASUL_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct Storage {
    /// Where the SQLite database and attachments live.
    #[arg(long, env = "TAWASUL_DATA_DIR", default_value = "./tawasul-data")]
    data_dir: PathBuf,
    /// postgres://… to use PostgreSQL instead of the embedded SQLite.
    #[arg(long, env = "TAWASUL_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[arg(long, env = "TAWASUL_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and pages.
    Serve(ServeArgs),
    /// Serve with demo data (seeded only into an empty database) and print the logins.
    Demo(ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate(Storage),
    /// Manage staff users.
    #[command(subcommand)]
    User(UserCommand),
    /// Load benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff user.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The entity the user works for; omit for an installation-wide administrator.
        #[arg(long)]
        entity: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        storage: Storage,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.message)
}

fn settings(storage: &Storage, demo: bool) -> Settings {
    Settings {
        data_dir: storage.data_dir.clone(),
        database_url: storage.database_url.clone(),
        demo,
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Serve(args) => serve(args, false).await,
        Command::Demo(args) => serve(args, true).await,
        Command::Migrate(storage) => {
            let app = App::open(settings(&storage, false)).await?;
            app.store.close().await;
            println!("database is up to date ({})", app.store.backend_name());
            Ok(())
        }
        Command::User(UserCommand::Add {
            username,
            password,
            role,
            entity,
            display_name,
            storage,
        }) => {
            let app = App::open(settings(&storage, false)).await?;
            let added = app
                .add_staff(&username, &password, role, entity.as_deref(), display_name.as_deref())
                .await;
            app.store.close().await;
            let id = added.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("staff user {username} created (id {id}, role {role})");
            Ok(())
        }
        Command::Bench(command) => bench::run(command).await,
    }
}

async fn serve(args: ServeArgs, demo: bool) -> anyhow::Result<()> {
    let app = App::open(settings(&args.storage, demo))
        .await
        .context("opening the database")?;
    if demo {
        match app.seed_demo().await? {
            Some(summary) => tracing::info!(
                entities = summary.entities,
                services = summary.services,
                cases = summary.cases,
                "demo data seeded"
            ),
            None => tracing::info!("the database already holds data; demo data not seeded again"),
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, backend = app.store.backend_name(), "tawasul is serving");
    if demo {
        print_demo_banner(address);
    }
    let router = tawasul_http::router(app.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("in-flight requests finished; committing queued writes");
    app.store.close().await;
    Ok(())
}

fn print_demo_banner(address: SocketAddr) {
    println!("Tawasul demo — تواصل");
    println!("  API:            http://{address}/api/v1/services");
    println!("  OpenAPI:        http://{address}/api/openapi.json");
    println!("  health/metrics: http://{address}/healthz  http://{address}/metrics");
    println!("  staff logins (password {}):", tawasul_app::demo::DEMO_PASSWORD);
    for login in tawasul_app::demo::demo_logins() {
        println!(
            "    {:<24} {:<12} {}",
            login.username,
            login.role.as_str(),
            login.entity.as_deref().unwrap_or("all entities")
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutdown signal received");
}
