//! The `tawasul` binary: one process serves the whole platform; subcommands set it up.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::path::PathBuf;
use tawasul_app::{App, Settings};
use tawasul_domain::vocab::Role;
use tawasul_server::{Application, ServerSettings};

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
    #[command(flatten)]
    delivery: DeliveryArgs,
}

/// Where notifications go and how background work is shared.
#[derive(Args, Clone)]
struct DeliveryArgs {
    /// The address residents reach this service at, for links in notifications.
    #[arg(long, env = "TAWASUL_PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP server for e-mail: smtp://[user:pass@]host[:port] (plain), smtp+starttls://… or smtps://….
    #[arg(long, env = "TAWASUL_SMTP_URL")]
    smtp_url: Option<String>,
    /// The From of notification e-mails.
    #[arg(long, env = "TAWASUL_MAIL_FROM", default_value = "Tawasul <noreply@localhost>")]
    mail_from: String,
    /// SMS gateway URL; the message goes out as --sms-body with {to}, {text} and {id} filled in.
    #[arg(long, env = "TAWASUL_SMS_URL")]
    sms_url: Option<String>,
    #[arg(long, env = "TAWASUL_SMS_METHOD", default_value = "POST")]
    sms_method: String,
    #[arg(
        long,
        env = "TAWASUL_SMS_BODY",
        default_value = r#"{"to":"{to}","text":"{text}","id":"{id}"}"#
    )]
    sms_body: String,
    #[arg(long, env = "TAWASUL_SMS_CONTENT_TYPE", default_value = "application/json")]
    sms_content_type: String,
    /// No SMS between these local times, e.g. 21:00-08:00 (messages wait until the end).
    #[arg(long, env = "TAWASUL_SMS_QUIET_HOURS")]
    sms_quiet_hours: Option<String>,
    #[arg(long, env = "TAWASUL_TIME_ZONE", default_value = "Asia/Bahrain")]
    time_zone: String,
    /// Webhook that receives every notification, signed with --webhook-secret.
    #[arg(long, env = "TAWASUL_WEBHOOK_URL")]
    webhook_url: Option<String>,
    #[arg(long, env = "TAWASUL_WEBHOOK_SECRET", default_value = "")]
    webhook_secret: String,
    /// Seconds a claimed job stays this node's before another node may take it over.
    #[arg(long, env = "TAWASUL_JOB_LEASE_SECONDS", default_value_t = 60)]
    job_lease_seconds: u64,
    /// Do not run background jobs on this node (others do).
    #[arg(long, env = "TAWASUL_NO_JOBS")]
    no_jobs: bool,
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
    /// The areas entities serve, for routing by location.
    #[command(subcommand)]
    Area(AreaCommand),
    /// Rebuild the staff search index from the cases and their timelines.
    Reindex(Storage),
    /// QR service points: assets and places whose printed code opens the report form.
    #[command(subcommand)]
    Point(PointCommand),
    /// Printable QR codes of service points: PNG or SVG labels, or a PDF sheet.
    Qr(QrArgs),
}

#[derive(Subcommand)]
enum PointCommand {
    /// Add a service point and print its code.
    Add {
        #[arg(long)]
        entity: String,
        /// The service a resident scanning the code reports to.
        #[arg(long)]
        service: String,
        /// The point's name (in Arabic, or the one name it has).
        #[arg(long)]
        name: String,
        /// Its English name; the name itself when omitted.
        #[arg(long)]
        name_en: Option<String>,
        #[arg(long, value_parser = parse_coordinate, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, value_parser = parse_coordinate, allow_negative_numbers = true)]
        lon: f64,
        /// What the point is (street-light, park, bus-stop, counter …).
        #[arg(long)]
        asset_kind: Option<String>,
        /// The point's own code (an asset number); generated when omitted.
        #[arg(long)]
        code: Option<String>,
        #[command(flatten)]
        storage: Storage,
    },
    /// Add the points of a CSV file, all or none (columns: entity, service, name_ar, lat, lon
    /// and optionally name_en, asset_kind, code).
    Import {
        file: PathBuf,
        /// The entity of rows that name none.
        #[arg(long)]
        entity: Option<String>,
        #[command(flatten)]
        storage: Storage,
    },
}

#[derive(Args)]
struct QrArgs {
    /// A point's code; repeat for several.
    #[arg(long = "point", required_unless_present = "all")]
    points: Vec<String>,
    /// Every point.
    #[arg(long, conflicts_with = "points")]
    all: bool,
    /// FILE.png, FILE.svg or FILE.pdf; a PNG or SVG of several points is one file per point
    /// (FILE-CODE.png).
    #[arg(long)]
    out: PathBuf,
    /// The address residents reach this service at: the codes hold PUBLIC_URL/p/CODE.
    #[arg(long, env = "TAWASUL_PUBLIC_URL")]
    public_url: String,
    #[command(flatten)]
    storage: Storage,
}

fn parse_coordinate(s: &str) -> Result<f64, String> {
    tawasul_domain::points::parse_decimal(s).ok_or_else(|| format!("{s:?} is not a number"))
}

#[derive(Subcommand)]
enum AreaCommand {
    /// Replace an entity's areas with the polygons of a GeoJSON file.
    Import {
        file: PathBuf,
        #[arg(long)]
        entity: String,
        #[command(flatten)]
        storage: Storage,
    },
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
        ..Settings::default()
    }
}

fn serve_settings(args: &ServeArgs, demo: bool) -> anyhow::Result<Settings> {
    let d = &args.delivery;
    let smtp = d
        .smtp_url
        .as_deref()
        .map(|u| smtp_settings(u, &d.mail_from))
        .transpose()?;
    let sms = d.sms_url.as_ref().map(|url| tawasul_notify::SmsSettings {
        url: url.clone(),
        method: d.sms_method.clone(),
        body_template: d.sms_body.clone(),
        content_type: d.sms_content_type.clone(),
        headers: vec![],
    });
    let webhook = d.webhook_url.as_ref().map(|url| tawasul_notify::WebhookSettings {
        url: url.clone(),
        secret: d.webhook_secret.clone(),
    });
    let sms_quiet_hours = match &d.sms_quiet_hours {
        None => None,
        Some(range) => {
            let (start, end) = range
                .split_once('-')
                .context("--sms-quiet-hours takes a range such as 21:00-08:00")?;
            Some(tawasul_notify::QuietHours::parse(start, end, &d.time_zone).map_err(|e| anyhow::anyhow!("{e}"))?)
        }
    };
    Ok(Settings {
        public_url: d.public_url.clone(),
        job_lease: std::time::Duration::from_secs(d.job_lease_seconds.max(1)),
        delivery: tawasul_app::DeliverySettings {
            smtp,
            sms,
            webhook,
            sms_quiet_hours,
        },
        ..settings(&args.storage, demo)
    })
}

/// `smtp://user:pass@host:port` (plain, port 25 by default), `smtp+starttls://…` (587) or
/// `smtps://…` (465).
fn smtp_settings(raw: &str, from: &str) -> anyhow::Result<tawasul_notify::SmtpSettings> {
    use tawasul_notify::SmtpSecurity;
    let url = url::Url::parse(raw).with_context(|| format!("--smtp-url {raw:?} is not a URL"))?;
    let (security, port) = match url.scheme() {
        "smtp" => (SmtpSecurity::None, 25),
        "smtp+starttls" => (SmtpSecurity::StartTls, 587),
        "smtps" => (SmtpSecurity::Tls, 465),
        other => anyhow::bail!("--smtp-url scheme {other:?}: use smtp, smtp+starttls or smtps"),
    };
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    Ok(tawasul_notify::SmtpSettings {
        host: url.host_str().context("--smtp-url needs a host")?.to_owned(),
        port: url.port().unwrap_or(port),
        security,
        username: Some(url.username()).filter(|u| !u.is_empty()).map(decode),
        password: url.password().map(decode),
        from: from.to_owned(),
        // lettre leaves Nagle's algorithm on, so one connection carries about 22 mails/s;
        // the job runner sends up to 64 at once over these.
        pool_size: 32,
    })
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
            app.close().await;
            println!("database is up to date ({})", app.backend_name());
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
            app.close().await;
            let id = added.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("staff user {username} created (id {id}, role {role})");
            Ok(())
        }
        Command::Area(AreaCommand::Import { file, entity, storage }) => {
            let geojson = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let app = App::open(settings(&storage, false)).await?;
            let imported = app.import_areas_as_operator(&entity, &geojson).await;
            app.close().await;
            let saved = imported.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{} area(s) imported for {entity}", saved.count);
            Ok(())
        }
        Command::Point(PointCommand::Add {
            entity,
            service,
            name,
            name_en,
            lat,
            lon,
            asset_kind,
            code,
            storage,
        }) => {
            let draft = tawasul_domain::points::PointDraft {
                code,
                entity,
                service,
                name_ar: name,
                name_en,
                lat,
                lon,
                asset_kind,
            };
            let app = App::open(settings(&storage, false)).await?;
            let added = app.add_point_as_operator(draft).await;
            app.close().await;
            let point = added.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", point.code);
            Ok(())
        }
        Command::Point(PointCommand::Import { file, entity, storage }) => {
            let csv = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let app = App::open(settings(&storage, false)).await?;
            let imported = app.import_points_as_operator(entity.as_deref(), &csv).await;
            app.close().await;
            let codes = imported.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            for code in &codes {
                println!("{code}");
            }
            eprintln!("{} point(s) imported", codes.len());
            Ok(())
        }
        Command::Qr(args) => qr(args).await,
        Command::Reindex(storage) => {
            let app = App::open(settings(&storage, false)).await?;
            let indexed = reindex(&app).await;
            app.close().await;
            println!("search index rebuilt: {} cases", indexed?);
            Ok(())
        }
    }
}

/// `tawasul qr`: the labels of the points asked for, written as the file name says.
async fn qr(args: QrArgs) -> anyhow::Result<()> {
    use tawasul_channels_qr::{point_label, Format};
    let name = args.out.to_string_lossy().into_owned();
    let format = Format::of_file_name(&name).context("--out must end in .png, .svg or .pdf")?;
    let public_url = url::Url::parse(&args.public_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .with_context(|| format!("--public-url {:?} is not an http(s) address", args.public_url))?;
    let app = App::open(settings(&args.storage, false)).await?;
    let asked: &[String] = if args.all { &[] } else { &args.points };
    let found = app.points_as_operator(asked).await;
    app.close().await;
    let points = found.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(!points.is_empty(), "there are no service points yet");
    let base = public_url.as_str().trim_end_matches('/');
    let labels: Vec<_> = points.iter().map(|p| point_label(p, base)).collect();
    let written = match format {
        Format::Pdf => {
            std::fs::write(&args.out, tawasul_channels_qr::pdf(&labels)?)?;
            vec![args.out.clone()]
        }
        _ if labels.len() == 1 => {
            std::fs::write(&args.out, tawasul_channels_qr::render(&labels[0], format)?)?;
            vec![args.out.clone()]
        }
        _ => {
            let stem = args.out.with_extension("");
            let ext = args
                .out
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut files = vec![];
            for label in &labels {
                let file = PathBuf::from(format!("{}-{}.{ext}", stem.display(), label.code));
                std::fs::write(&file, tawasul_channels_qr::render(label, format)?)?;
                files.push(file);
            }
            files
        }
    };
    for file in written {
        println!("{}", file.display());
    }
    Ok(())
}

async fn reindex(app: &App) -> anyhow::Result<u64> {
    let operator = app.operator();
    let bar = ProgressBar::new(operator.case_count().await.map_err(|e| anyhow::anyhow!("{e}"))?).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases, {per_sec}, {eta} left")?,
    );
    let indexed = operator.reindex(|n| bar.inc(n)).await;
    bar.finish();
    indexed.map_err(|e| anyhow::anyhow!("{e}"))
}

async fn serve(args: ServeArgs, demo: bool) -> anyhow::Result<()> {
    let application = Application::build(ServerSettings {
        listen: args.listen,
        run_jobs: !args.delivery.no_jobs,
        app: serve_settings(&args, demo)?,
    })
    .await?;
    if demo {
        match tawasul_demo::seed(application.app()).await? {
            Some(summary) => tracing::info!(
                entities = summary.entities,
                services = summary.services,
                cases = summary.cases,
                "demo data seeded"
            ),
            None => tracing::info!("the database already holds data; demo data not seeded again"),
        }
    }
    if demo {
        print_demo_banner(application.address())?;
    }
    application.run_until(shutdown_signal()).await
}

fn print_demo_banner(address: SocketAddr) -> anyhow::Result<()> {
    println!("Tawasul demo — تواصل");
    println!("  API:            http://{address}/api/v1/services");
    println!("  OpenAPI:        http://{address}/api/openapi.json");
    println!("  health/metrics: http://{address}/healthz  http://{address}/metrics");
    println!("  staff logins (password {}):", tawasul_demo::DEMO_PASSWORD);
    for login in tawasul_demo::demo_logins()? {
        println!(
            "    {:<24} {:<12} {}",
            login.username,
            login.role.as_str(),
            login.entity.as_deref().unwrap_or("all entities")
        );
    }
    Ok(())
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
