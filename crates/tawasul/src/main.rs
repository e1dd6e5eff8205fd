//! The `tawasul` binary: one process serves the whole platform; subcommands set it up.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::path::PathBuf;
use tawasul_app::{App, Settings};
use tawasul_domain::vocab::Role;
use tawasul_server::{Application, ServerSettings};

/// jemalloc for the whole process, SQLite's C allocations included (the crate's unprefixed
/// `malloc`): under glibc's allocator a release soak's RSS grew 7 MiB a minute, nearly all of it
/// memory freed but kept by its arenas (RELIABILITY.md, "Soak").
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read at its start (a C string; `MALLOC_CONF` in the environment adds to
/// them). Freed pages go back to the system after about a second (10 s by default), by a
/// background thread when the server is idle: the release soak's RSS at 14 minutes was 282 MiB
/// with these and 343 MiB with the defaults (RELIABILITY.md, "Soak").
#[cfg(unix)]
#[allow(non_upper_case_globals)]
#[export_name = "malloc_conf"]
pub static malloc_conf: &[u8; 60] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

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
    /// 64 hex digits: the key that seals short-lived secrets in the database (a tracking link
    /// until it is sent, a one-time code, a retried report's token). Without it, `secret.key`
    /// in the data directory, made on first start; nodes sharing a PostgreSQL database must
    /// share one key.
    #[arg(long, env = "TAWASUL_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// 64 hex digits (32 bytes): encrypt reporters' names, phone numbers and e-mail addresses
    /// at rest with this key (off without it). Every node and command on the store needs it
    /// once any case is encrypted (a node without it refuses to start); it is not in backups,
    /// and without it the encrypted details are lost. `tawasul privacy encrypt` encrypts the
    /// cases stored before.
    #[arg(long, env = "TAWASUL_REPORTER_KEY", hide_env_values = true)]
    reporter_key: Option<String>,
}

#[derive(Args)]
struct ExportArgs {
    #[arg(long, value_parser = ["csv", "xlsx", "nyc311"])]
    format: String,
    /// Only this entity's cases (its code).
    #[arg(long)]
    entity: Option<String>,
    /// Cases created at or after: YYYY-MM-DD (a local day of each case's entity) or an RFC 3339 instant.
    #[arg(long)]
    from: Option<String>,
    /// Cases created before: YYYY-MM-DD (a local day of each case's entity, exclusive) or an RFC 3339 instant.
    #[arg(long)]
    to: Option<String>,
    /// The file to write (written beside it as FILE.part, then renamed when complete).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[arg(long, env = "TAWASUL_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    storage: Storage,
    #[command(flatten)]
    delivery: DeliveryArgs,
    /// Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or
    /// networks, comma-separated); from anyone else those headers are ignored.
    #[arg(long, env = "TAWASUL_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxy: Vec<String>,
    /// A limit other than its default, as name=value (repeat, or comma-separate in
    /// TAWASUL_LIMITS): e.g. intake_per_address=60/min. The README lists them.
    #[arg(long = "limit", env = "TAWASUL_LIMITS", value_delimiter = ',')]
    limits: Vec<String>,
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    open311: Open311Args,
    #[command(flatten)]
    hooks: HookArgs,
    #[command(flatten)]
    ivr: IvrArgs,
    /// Anonymise the reporters of cases closed, rejected or merged whose last change is this
    /// many years old (the `retention` job, daily). Off when not given: anonymising cannot be
    /// undone, and the period is the one your records-retention schedule sets.
    #[arg(long, env = "TAWASUL_RETENTION_YEARS", value_parser = clap::value_parser!(u32).range(1..=100))]
    retention_years: Option<u32>,
    /// Platform administrators must sign in with a second factor (TOTP), enrolling at their
    /// next sign-in: no entity's policy reaches them. Recommended in production.
    #[arg(long, env = "TAWASUL_REQUIRE_PLATFORM_SECOND_FACTOR")]
    require_platform_second_factor: bool,
}

/// The phone line's webhooks at /hooks/ivr/twiml and /hooks/ivr/vxml; off without a token.
#[derive(Args, Clone)]
struct IvrArgs {
    /// The telephony account's auth token, the key of X-Twilio-Signature; without it the
    /// phone line's hooks answer 404.
    #[arg(long, env = "TAWASUL_IVR_AUTH_TOKEN", hide_env_values = true, requires = "ivr_agent")]
    ivr_auth_token: Option<String>,
    /// Where "a person" puts the caller through: a number (+97317000000) or the agents'
    /// queue as a SIP address (sip:agents@pbx.example).
    #[arg(long, env = "TAWASUL_IVR_AGENT")]
    ivr_agent: Option<String>,
    /// A host callers' recordings are downloaded from (repeat, or comma-separate in the variable).
    #[arg(
        long,
        env = "TAWASUL_IVR_RECORDING_HOSTS",
        value_delimiter = ',',
        default_value = "api.twilio.com"
    )]
    ivr_recording_host: Vec<String>,
    /// Allow recordings from private, loopback and link-local addresses (an intranet, tests).
    #[arg(long, env = "TAWASUL_IVR_RECORDING_PRIVATE_ADDRESSES")]
    ivr_recording_private_addresses: bool,
    /// Call back the reporters of phone cases when staff change them, from this number
    /// (+97317000000); off without it. Needs the phone line and --public-url.
    #[arg(long, env = "TAWASUL_CALLBACK_FROM", requires_all = ["ivr_auth_token", "callback_account"])]
    callback_from: Option<String>,
    /// The call-create API's base: calls are posted to {base}/2010-04-01/Accounts/{account}/Calls.json.
    #[arg(long, env = "TAWASUL_CALLBACK_API_BASE", default_value = "https://api.twilio.com")]
    callback_api_base: String,
    /// The telephony account the calls are made on (its API user).
    #[arg(long, env = "TAWASUL_CALLBACK_ACCOUNT")]
    callback_account: Option<String>,
    /// The account's API token; the phone line's auth token when not given.
    #[arg(long, env = "TAWASUL_CALLBACK_TOKEN", hide_env_values = true)]
    callback_token: Option<String>,
    /// Local hours of the case's entity when no call-back starts, e.g. 21:00-08:00.
    #[arg(long, env = "TAWASUL_CALLBACK_QUIET_HOURS", default_value = "21:00-08:00")]
    callback_quiet_hours: String,
    /// Calls placed for one change at most.
    #[arg(long, env = "TAWASUL_CALLBACK_ATTEMPTS", default_value_t = 3)]
    callback_attempts: u32,
    /// Minutes between a call not answered and the next.
    #[arg(long, env = "TAWASUL_CALLBACK_RETRY_MINUTES", default_value_t = 30)]
    callback_retry_minutes: u64,
}

/// The e-mail channel: mail to these addresses becomes cases.
#[derive(Args, Clone)]
struct MailArgs {
    /// Receive e-mail by SMTP on this address (e.g. 0.0.0.0:25), into cases.
    #[arg(long, env = "TAWASUL_SMTP_LISTEN")]
    smtp_listen: Option<SocketAddr>,
    /// A mailbox that takes cases, as ADDRESS=SERVICE: mail to ADDRESS whose service is not
    /// recognised goes to SERVICE (whose entity's services are guessed from). Repeatable;
    /// the demo takes complaints@localhost.
    #[arg(long = "mail-recipient", env = "TAWASUL_MAIL_RECIPIENTS", value_delimiter = ',')]
    recipients: Vec<tawasul_server::MailboxConfig>,
    /// Larger messages are refused.
    #[arg(long, env = "TAWASUL_MAIL_MAX_BYTES", default_value_t = tawasul_server::MailSettings::default().max_message_bytes)]
    mail_max_bytes: usize,
    /// Offer STARTTLS on the SMTP receiver with this certificate chain (PEM), whose key is
    /// --smtp-tls-key.
    #[arg(
        long,
        env = "TAWASUL_SMTP_TLS_CERT",
        requires = "smtp_tls_key",
        requires = "smtp_listen"
    )]
    smtp_tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --smtp-tls-cert.
    #[arg(long, env = "TAWASUL_SMTP_TLS_KEY", requires = "smtp_tls_cert")]
    smtp_tls_key: Option<PathBuf>,
    /// Read this mailbox by IMAP into cases: imap://user@host[:port]/FOLDER, or imaps://… for
    /// TLS. The password comes from --imap-password-file or TAWASUL_IMAP_PASSWORD, never here.
    #[arg(long, env = "TAWASUL_IMAP_URL", requires = "imap_recipient")]
    imap_url: Option<String>,
    /// A file whose first line is the IMAP password.
    #[arg(long, env = "TAWASUL_IMAP_PASSWORD_FILE", requires = "imap_url")]
    imap_password_file: Option<PathBuf>,
    /// The --mail-recipient address the IMAP mailbox receives for (its mail is routed so).
    #[arg(long, env = "TAWASUL_IMAP_RECIPIENT", requires = "imap_url")]
    imap_recipient: Option<String>,
    /// Move processed mail to this folder (made when missing) rather than only mark it seen.
    #[arg(long, env = "TAWASUL_IMAP_MOVE_TO", requires = "imap_url")]
    imap_move_to: Option<String>,
    /// Seconds between searches of the folder; where the server offers IDLE, new mail is taken
    /// at once as well.
    #[arg(long, env = "TAWASUL_IMAP_POLL_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    imap_poll_seconds: u64,
}

/// The Open311 GeoReport v2 channel at /open311/v2/.
#[derive(Args, Clone)]
struct Open311Args {
    /// The jurisdiction_id requests may name; without it, they may name none.
    #[arg(long, env = "TAWASUL_OPEN311_JURISDICTION")]
    open311_jurisdiction: Option<String>,
    /// Who to ask about the API (shown by discovery).
    #[arg(long, env = "TAWASUL_OPEN311_CONTACT", default_value = "")]
    open311_contact: String,
    /// Fetch a request's media_url into an attachment (only from --open311-media-host).
    #[arg(long, env = "TAWASUL_OPEN311_FETCH_MEDIA")]
    open311_fetch_media: bool,
    /// A host media may be fetched from (repeat, or comma-separate in the variable).
    #[arg(long, env = "TAWASUL_OPEN311_MEDIA_HOSTS", value_delimiter = ',')]
    open311_media_host: Vec<String>,
    /// Allow media from private, loopback and link-local addresses (an intranet, tests).
    #[arg(long, env = "TAWASUL_OPEN311_MEDIA_PRIVATE_ADDRESSES")]
    open311_media_private_addresses: bool,
    /// The most requests one client application may post in a minute.
    #[arg(long, env = "TAWASUL_OPEN311_POSTS_PER_MINUTE", default_value_t = 60)]
    open311_posts_per_minute: u32,
}

/// The guided dialogue's providers under /hooks/; each is off without its secret.
#[derive(Args, Clone)]
struct HookArgs {
    /// The shared secret of the SMS gateway's inbound webhook (/hooks/sms): the key of its
    /// X-Tawasul-Signature HMAC-SHA256 over the body.
    #[arg(long, env = "TAWASUL_SMS_INBOUND_SECRET", hide_env_values = true)]
    sms_inbound_secret: Option<String>,
    /// The gateway's field holding the sender's number.
    #[arg(long, env = "TAWASUL_SMS_INBOUND_FROM_FIELD", default_value = "from")]
    sms_inbound_from_field: String,
    /// The gateway's field holding the message's text.
    #[arg(long, env = "TAWASUL_SMS_INBOUND_TEXT_FIELD", default_value = "text")]
    sms_inbound_text_field: String,
    /// The gateway's field holding the message's id (a redelivery is answered once).
    #[arg(long, env = "TAWASUL_SMS_INBOUND_ID_FIELD", default_value = "id")]
    sms_inbound_id_field: String,
    /// The WhatsApp app's secret: the key of X-Hub-Signature-256 on /hooks/whatsapp.
    #[arg(long, env = "TAWASUL_WHATSAPP_APP_SECRET", hide_env_values = true)]
    whatsapp_app_secret: Option<String>,
    /// What WhatsApp's subscription handshake must echo.
    #[arg(
        long,
        env = "TAWASUL_WHATSAPP_VERIFY_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    whatsapp_verify_token: String,
    /// The bearer token of the Cloud API's messages endpoint.
    #[arg(
        long,
        env = "TAWASUL_WHATSAPP_ACCESS_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    whatsapp_access_token: String,
    /// The Cloud API's base URL.
    #[arg(
        long,
        env = "TAWASUL_WHATSAPP_API_BASE",
        default_value = "https://graph.facebook.com/v21.0"
    )]
    whatsapp_api_base: String,
    /// The business phone number's id that replies are sent from.
    #[arg(long, env = "TAWASUL_WHATSAPP_PHONE_NUMBER_ID", default_value = "")]
    whatsapp_phone_number_id: String,
    /// The approved template for messages outside the 24-hour customer-service window.
    #[arg(long, env = "TAWASUL_WHATSAPP_TEMPLATE", default_value = "case_update")]
    whatsapp_template: String,
    /// The Facebook app's secret: the key of X-Hub-Signature-256 on /hooks/facebook.
    #[arg(long, env = "TAWASUL_FACEBOOK_APP_SECRET", hide_env_values = true)]
    facebook_app_secret: Option<String>,
    /// What the Page's subscription handshake must echo.
    #[arg(
        long,
        env = "TAWASUL_FACEBOOK_VERIFY_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    facebook_verify_token: String,
    /// The Page access token the Send API's replies are sent with.
    #[arg(
        long,
        env = "TAWASUL_FACEBOOK_PAGE_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    facebook_page_token: String,
    /// The Graph API's base URL.
    #[arg(
        long,
        env = "TAWASUL_FACEBOOK_API_BASE",
        default_value = "https://graph.facebook.com/v21.0"
    )]
    facebook_api_base: String,
    /// Fetch residents' Messenger photos from private, loopback and link-local addresses too
    /// (a stand-in for Meta's CDN on an intranet, tests).
    #[arg(long, env = "TAWASUL_FACEBOOK_MEDIA_PRIVATE_ADDRESSES")]
    facebook_media_private_addresses: bool,
    /// The X app's consumer secret: the key of the CRC answer and of
    /// x-twitter-webhooks-signature on /hooks/x.
    #[arg(long, env = "TAWASUL_X_CONSUMER_SECRET", hide_env_values = true)]
    x_consumer_secret: Option<String>,
    /// The account's bearer token (user context) for direct messages.
    #[arg(long, env = "TAWASUL_X_BEARER_TOKEN", hide_env_values = true, default_value = "")]
    x_bearer_token: String,
    /// The X API's base URL.
    #[arg(long, env = "TAWASUL_X_API_BASE", default_value = "https://api.x.com")]
    x_api_base: String,
    /// The account's own user id (its events are skipped; a mention names it).
    #[arg(long, env = "TAWASUL_X_USER_ID", default_value = "")]
    x_user_id: String,
    /// The service a public post (a Page comment, an X mention) that names no case is filed
    /// under; without it such posts are logged and left.
    #[arg(long, env = "TAWASUL_SOCIAL_POST_SERVICE")]
    social_post_service: Option<String>,
    /// The kind of case such a post becomes.
    #[arg(long, env = "TAWASUL_SOCIAL_POST_KIND", default_value = "complaint")]
    social_post_kind: String,
}

fn hook_settings(a: &HookArgs) -> anyhow::Result<tawasul_app::HookSettings> {
    let sms = a
        .sms_inbound_secret
        .clone()
        .filter(|s| !s.is_empty())
        .map(|secret| tawasul_app::SmsHookSettings {
            secret,
            from_field: a.sms_inbound_from_field.clone(),
            text_field: a.sms_inbound_text_field.clone(),
            id_field: a.sms_inbound_id_field.clone(),
        });
    let whatsapp = match a.whatsapp_app_secret.clone().filter(|s| !s.is_empty()) {
        None => None,
        Some(app_secret) => {
            anyhow::ensure!(
                !a.whatsapp_verify_token.is_empty() && !a.whatsapp_phone_number_id.is_empty(),
                "WhatsApp needs --whatsapp-verify-token and --whatsapp-phone-number-id beside its app secret"
            );
            Some(tawasul_app::WhatsappSettings {
                app_secret,
                verify_token: a.whatsapp_verify_token.clone(),
                access_token: a.whatsapp_access_token.clone(),
                api_base: a.whatsapp_api_base.clone(),
                phone_number_id: a.whatsapp_phone_number_id.clone(),
                template: a.whatsapp_template.clone(),
            })
        }
    };
    let facebook = match a.facebook_app_secret.clone().filter(|s| !s.is_empty()) {
        None => None,
        Some(app_secret) => {
            anyhow::ensure!(
                !a.facebook_verify_token.is_empty() && !a.facebook_page_token.is_empty(),
                "Facebook needs --facebook-verify-token and --facebook-page-token beside its app secret"
            );
            Some(tawasul_app::FacebookSettings {
                app_secret,
                verify_token: a.facebook_verify_token.clone(),
                page_token: a.facebook_page_token.clone(),
                api_base: a.facebook_api_base.clone(),
                media_private_addresses: a.facebook_media_private_addresses,
            })
        }
    };
    let x = match a.x_consumer_secret.clone().filter(|s| !s.is_empty()) {
        None => None,
        Some(consumer_secret) => {
            anyhow::ensure!(
                !a.x_user_id.is_empty() && !a.x_bearer_token.is_empty(),
                "X needs --x-user-id and --x-bearer-token beside its consumer secret"
            );
            Some(tawasul_app::XSettings {
                consumer_secret,
                bearer_token: a.x_bearer_token.clone(),
                api_base: a.x_api_base.clone(),
                user_id: a.x_user_id.clone(),
            })
        }
    };
    let social_posts = tawasul_app::SocialPostSettings {
        service: a.social_post_service.clone().filter(|s| !s.is_empty()),
        kind: tawasul_domain::vocab::Kind::parse(&a.social_post_kind)
            .map_err(|e| anyhow::anyhow!("--social-post-kind: {}", e.message))?,
    };
    Ok(tawasul_app::HookSettings {
        sms,
        whatsapp,
        facebook,
        x,
        social_posts,
        ivr: None,
        callback: None,
    })
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
    /// Write cases to a file, oldest first: the staff's spreadsheet (csv: UTF-8 with a BOM;
    /// xlsx) with the reporter in full, or open data in the column layout of NYC's 311 Service
    /// Requests (nyc311: no personal data).
    Export(ExportArgs),
    /// Copy this installation's SQLite store into an empty PostgreSQL database; then serve with
    /// --database-url and the same --data-dir (attachments stay in it).
    MigrateStore {
        /// The PostgreSQL database to copy into: postgres://…
        #[arg(long)]
        to: String,
        #[command(flatten)]
        storage: Storage,
    },
    /// The Open311 GeoReport v2 channel.
    #[command(subcommand)]
    Open311(Open311Command),
    /// QR service points: assets and places whose printed code opens the report form.
    #[command(subcommand)]
    Point(PointCommand),
    /// Printable QR codes of service points: PNG or SVG labels, or a PDF sheet.
    Qr(QrArgs),
    /// Back up the database, the attachments and the server key into a new directory, while
    /// the server runs (PostgreSQL through pg_dump, which must be on PATH).
    Backup {
        /// The directory to create (refused if it exists and is not empty).
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        storage: Storage,
    },
    /// The audit log of staff actions.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The KPI figures (kept up to date as cases change).
    #[command(subcommand)]
    Kpi(KpiCommand),
    /// One person's data: everything held about them, or its erasure.
    #[command(subcommand)]
    Privacy(PrivacyCommand),
    /// Put a backup into an empty data directory (and empty PostgreSQL database, through
    /// pg_restore), after checking every file against its manifest; then migrate it.
    Restore {
        /// The backup's directory.
        #[arg(long)]
        from: PathBuf,
        /// The data directory to restore into.
        #[arg(long)]
        data_dir: PathBuf,
        /// postgres://… of the database to restore a PostgreSQL backup into.
        #[arg(long)]
        database_url: Option<String>,
        /// Restore over a data directory or database that is not empty.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum KpiCommand {
    /// Forget every KPI figure and compute them all again from the cases' timelines.
    Rebuild(Storage),
}

#[derive(Subcommand)]
enum PrivacyCommand {
    /// Write everything held about a phone number or e-mail address as JSON: the cases they
    /// reported (with their entries, files, survey answers, calls, chats), notifications, one-time
    /// codes and sessions. Exit 1 when the contact is neither.
    Export {
        /// +9665… / 009665… (international form, as intake takes it) or an e-mail address.
        #[arg(long)]
        contact: String,
        /// The file to write; standard output without it.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        storage: Storage,
    },
    /// Encrypt the reporter details of every case, and the address of every conversation and
    /// number of every call-back, still in the clear, with the reporter key (required), a batch
    /// of rows a transaction. Safe to repeat (it encrypts only what is not yet) and to run
    /// while the service runs.
    Encrypt {
        /// Rows encrypted per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch: i64,
        #[command(flatten)]
        storage: Storage,
    },
    /// Move every encrypted value (reporters, conversation addresses, call-back numbers) from
    /// the old reporter key to the new one (--reporter-key), and their blind indexes, a batch
    /// of rows a transaction. Stop every node first: no node opens the store until the
    /// rotation has finished. Interrupted (Ctrl-C stops it after the batch under way), the
    /// same command finishes it; repeated, it changes nothing.
    RotateKey {
        /// 64 hex digits: the reporter key the values are encrypted with now.
        #[arg(long, env = "TAWASUL_OLD_REPORTER_KEY", hide_env_values = true)]
        old_reporter_key: String,
        /// Rows sealed anew per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch: i64,
        #[command(flatten)]
        storage: Storage,
    },
    /// Anonymise the person's cases as the retention job does and forget their notifications,
    /// codes, sessions and conversations. Exit 3, changing nothing, when a case has not ended
    /// for good (closed, rejected or merged), unless --force.
    Erase {
        #[arg(long)]
        contact: String,
        /// Also anonymise cases still open or awaiting the person's verdict (they withdrew them;
        /// staff can no longer reach them).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        storage: Storage,
    },
    /// After restoring a backup: anonymise again the cases an erasures journal lists (the
    /// `erasures.jsonl` of the data directory the backup was taken from), and add its lines to
    /// this data directory's journal. Exit 1, changing nothing, on a damaged journal.
    Reapply {
        /// The journal to re-apply.
        #[arg(long)]
        journal: PathBuf,
        #[command(flatten)]
        storage: Storage,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the log's hash chain: exit 0 with the count of rows when every row follows the one
    /// before it, 1 naming the first row that was changed, removed, inserted or moved.
    Verify(Storage),
}

#[derive(Subcommand)]
enum Open311Command {
    /// API keys of client applications.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Give a client application a key; prints it once (it is stored only as its hash).
    Add {
        name: String,
        #[command(flatten)]
        storage: Storage,
    },
    /// List the client applications and their keys' dates.
    List(Storage),
    /// Revoke a client application's key.
    Revoke {
        name: String,
        #[command(flatten)]
        storage: Storage,
    },
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
        secret_key: storage
            .secret_key
            .clone()
            .map(tawasul_app::identity::sealing::ServerKey),
        reporter_key: storage
            .reporter_key
            .clone()
            .map(tawasul_app::identity::sealing::ReporterKey),
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
    let preset = match demo {
        true => tawasul_app::identity::limits::Limits::demo(),
        false => tawasul_app::identity::limits::Limits::default(),
    };
    let mut limits = preset.with(&args.limits).map_err(|e| anyhow::anyhow!("--limit: {e}"))?;
    if !args.trusted_proxy.is_empty() {
        limits
            .set("trusted_proxies", &args.trusted_proxy.join(" "))
            .map_err(|e| anyhow::anyhow!("--trusted-proxy: {e}"))?;
    }
    Ok(Settings {
        limits,
        public_url: d.public_url.clone(),
        job_lease: std::time::Duration::from_secs(d.job_lease_seconds.max(1)),
        delivery: tawasul_app::DeliverySettings {
            smtp,
            sms,
            webhook,
            sms_quiet_hours,
        },
        open311: open311_settings(&args.open311),
        hooks: tawasul_app::HookSettings {
            ivr: ivr_settings(&args.ivr)?,
            callback: callback_settings(&args.ivr, d.public_url.is_some())?,
            ..hook_settings(&args.hooks)?
        },
        retention_years: args.retention_years,
        platform_second_factor: args.require_platform_second_factor,
        ..settings(&args.storage, demo)
    })
}

fn open311_settings(a: &Open311Args) -> tawasul_app::Open311Settings {
    tawasul_app::Open311Settings {
        jurisdiction_id: a.open311_jurisdiction.clone().filter(|j| !j.is_empty()),
        contact: a.open311_contact.clone(),
        fetch_media: a.open311_fetch_media,
        media_hosts: a.open311_media_host.iter().filter(|h| !h.is_empty()).cloned().collect(),
        media_private_addresses: a.open311_media_private_addresses,
        posts_per_minute: a.open311_posts_per_minute,
    }
}

fn ivr_settings(a: &IvrArgs) -> anyhow::Result<Option<tawasul_app::IvrSettings>> {
    let Some(auth_token) = a.ivr_auth_token.clone().filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let agent = a.ivr_agent.clone().unwrap_or_default();
    let number = agent
        .strip_prefix('+')
        .is_some_and(|d| (6..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
    let sip = (agent.starts_with("sip:") || agent.starts_with("sips:")) && agent.contains('@');
    anyhow::ensure!(
        number || sip,
        "--ivr-agent takes a number in international form (+97317000000) or a SIP address (sip:agents@pbx.example), not {agent:?}"
    );
    Ok(Some(tawasul_app::IvrSettings {
        auth_token,
        agent,
        recording_hosts: a.ivr_recording_host.iter().filter(|h| !h.is_empty()).cloned().collect(),
        recording_private_addresses: a.ivr_recording_private_addresses,
    }))
}

fn callback_settings(a: &IvrArgs, public_url: bool) -> anyhow::Result<Option<tawasul_app::CallbackSettings>> {
    let Some(from) = a.callback_from.clone().filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    anyhow::ensure!(
        public_url,
        "--callback-from needs --public-url: the telephony platform fetches the call's webhooks there"
    );
    anyhow::ensure!(a.callback_attempts >= 1, "--callback-attempts is at least 1");
    let (start, end) = a
        .callback_quiet_hours
        .split_once('-')
        .context("--callback-quiet-hours takes a range such as 21:00-08:00")?;
    let time = |t: &str| {
        chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M")
            .with_context(|| format!("--callback-quiet-hours: {t:?} is not HH:MM"))
    };
    let mut settings = tawasul_app::CallbackSettings::new(tawasul_notify::CallApiSettings {
        api_base: a.callback_api_base.clone(),
        account_sid: a.callback_account.clone().unwrap_or_default(),
        auth_token: a
            .callback_token
            .clone()
            .or_else(|| a.ivr_auth_token.clone())
            .unwrap_or_default(),
        from,
    });
    settings.quiet_start = time(start)?;
    settings.quiet_end = time(end)?;
    settings.max_attempts = a.callback_attempts;
    settings.retry_after = std::time::Duration::from_secs(a.callback_retry_minutes.max(1) * 60);
    Ok(Some(settings))
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
        Command::Open311(Open311Command::Key(command)) => open311_key(command).await,
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
        Command::Backup { to, storage } => backup(&to, &storage).await,
        Command::Export(args) => export(args).await,
        Command::Audit(AuditCommand::Verify(storage)) => verify_audit(&storage).await,
        Command::Privacy(command) => privacy(command).await,
        Command::Kpi(KpiCommand::Rebuild(storage)) => {
            let app = App::open(settings(&storage, false)).await?;
            let rebuilt = rebuild_kpis(&app).await;
            app.close().await;
            eprintln!("KPI figures rebuilt from {} mark(s)", rebuilt?);
            Ok(())
        }
        Command::Restore {
            from,
            data_dir,
            database_url,
            force,
        } => restore(from, data_dir, database_url, force).await,
        Command::Reindex(storage) => {
            let app = App::open(settings(&storage, false)).await?;
            let indexed = reindex(&app).await;
            app.close().await;
            println!("search index rebuilt: {} cases", indexed?);
            Ok(())
        }
        Command::MigrateStore { to, storage } => {
            if storage.database_url.is_some() {
                anyhow::bail!("migrate-store copies the SQLite store of --data-dir: leave out --database-url");
            }
            let app = App::open(settings(&storage, false)).await?;
            let bar = ProgressBar::new_spinner().with_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}")?);
            let copied = app
                .operator()
                .copy_store_into(&to, |table, rows| bar.set_message(format!("{table}: {rows} rows")))
                .await;
            bar.finish_and_clear();
            app.close().await;
            let report = copied.map_err(|e| anyhow::anyhow!("{e}"))?;
            for (table, rows) in &report.tables {
                println!("{table}: {rows} rows");
            }
            println!("copied into PostgreSQL; serve with --database-url and the same --data-dir");
            Ok(())
        }
    }
}

async fn open311_key(command: KeyCommand) -> anyhow::Result<()> {
    let storage = match &command {
        KeyCommand::Add { storage, .. } | KeyCommand::Revoke { storage, .. } | KeyCommand::List(storage) => storage,
    };
    let app = App::open(settings(storage, false)).await?;
    let done = match &command {
        KeyCommand::Add { name, .. } => app.add_client_key(name).await.map(|key| println!("{key}")),
        KeyCommand::List(_) => app.client_keys().await.map(|keys| {
            for k in keys {
                let date = |micros: i64| {
                    chrono::DateTime::from_timestamp_micros(micros).map_or_else(String::new, |t| t.to_rfc3339())
                };
                let state = k
                    .revoked_at
                    .map_or("live".to_owned(), |at| format!("revoked {}", date(at)));
                println!("{}\tcreated {}\t{state}", k.name, date(k.created_at));
            }
        }),
        KeyCommand::Revoke { name, .. } => app
            .revoke_client_key(name)
            .await
            .map(|()| println!("the key of {name} is revoked")),
    };
    app.close().await;
    done.map_err(|e| anyhow::anyhow!("{e}"))
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

async fn backup(to: &std::path::Path, storage: &Storage) -> anyhow::Result<()> {
    let app = App::open(settings(storage, false)).await?;
    let taken = app.operator().backup(to).await;
    app.close().await;
    let manifest = taken?;
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    println!(
        "backup of the {} database (schema {}) written to {}: {} file(s), {bytes} bytes",
        manifest.backend,
        manifest.schema_version,
        to.display(),
        manifest.files.len()
    );
    if manifest.server_key_configured {
        eprintln!("the server key is configured (TAWASUL_SECRET_KEY), not in the backup: keep it with the backup");
    }
    Ok(())
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    use tawasul_app::cases::export::ExportQuery;
    let app = App::open(settings(&args.storage, false)).await?;
    let mut partial = args.out.clone().into_os_string();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let started = std::time::Instant::now();
    let written = async {
        let mut export = app
            .operator()
            .export_cases(ExportQuery {
                format: Some(args.format.clone()),
                entity: args.entity.clone(),
                from: args.from.clone(),
                to: args.to.clone(),
            })
            .await?;
        // A bar over the period's days when it has a start; a count of cases otherwise.
        let (from, to) = export.period();
        let bar = match from {
            Some(from) => {
                let to = to.unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
                ProgressBar::new(((to - from).max(0) / 86_400_000_000) as u64).with_style(ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} days, {msg}, {eta} left",
                )?)
            }
            None => ProgressBar::new_spinner().with_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}")?),
        };
        let written = export
            .write_to(&partial, |e| {
                if let (Some(from), Some(reached)) = (from, e.reached()) {
                    bar.set_position(((reached - from).max(0) / 86_400_000_000) as u64);
                }
                bar.set_message(format!("{} cases", e.rows()));
            })
            .await;
        bar.finish_and_clear();
        written?;
        anyhow::Ok(export.rows())
    }
    .await;
    app.close().await;
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &args.out).with_context(|| format!("renaming {}", partial.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{rows} cases written to {} in {seconds:.2} s ({:.0} cases/s)",
        args.out.display(),
        rows as f64 / seconds.max(f64::EPSILON)
    );
    Ok(())
}

async fn restore(from: PathBuf, data_dir: PathBuf, database_url: Option<String>, force: bool) -> anyhow::Result<()> {
    use tawasul_app::operator::backup::{restore, RestoreRequest};
    let restored = restore(RestoreRequest {
        from,
        data_dir: data_dir.clone(),
        database_url,
        force,
    })
    .await?;
    let m = &restored.manifest;
    println!(
        "restored the backup of {} ({} database, schema {}) into {}; schema now {}",
        m.created_at.to_rfc3339(),
        m.backend,
        m.schema_version,
        data_dir.display(),
        restored.schema_version
    );
    if m.server_key_configured {
        eprintln!("the backup holds no server key: start the server with the TAWASUL_SECRET_KEY it had");
    }
    eprintln!(
        "people erased since the backup are in it again: run `tawasul privacy reapply --journal \
         OLD-DATA-DIR/erasures.jsonl` on the restored data before serving it"
    );
    Ok(())
}

/// `tawasul audit verify`; a broken chain exits 1 (after closing the store), naming its row.
async fn verify_audit(storage: &Storage) -> anyhow::Result<()> {
    use tawasul_app::operator::audit::AuditVerdict;
    let app = App::open(settings(storage, false)).await?;
    let operator = app.operator();
    let verdict = async {
        let bar = ProgressBar::new(operator.audit_row_count().await?).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} audit rows, {per_sec}, {eta} left")
                .map_err(anyhow::Error::from)?,
        );
        let verdict = operator.verify_audit_log(|n| bar.inc(n)).await;
        bar.finish_and_clear();
        anyhow::Ok(verdict?)
    }
    .await;
    app.close().await;
    match verdict? {
        AuditVerdict::Intact { rows } => {
            println!("the audit log is intact: {rows} row(s), each following the one before");
            Ok(())
        }
        AuditVerdict::Broken(broken) => {
            eprintln!("the audit log is broken at row {}: {broken}", broken.row());
            std::process::exit(1);
        }
    }
}

/// `tawasul privacy export|erase`: the JSON document, or what was erased (exit 3 when open
/// cases refuse it).
async fn privacy(command: PrivacyCommand) -> anyhow::Result<()> {
    use tawasul_app::cases::privacy::Erasure;
    match command {
        PrivacyCommand::Export { contact, out, storage } => {
            let app = App::open(settings(&storage, false)).await?;
            let exported = app.operator().privacy_export(&contact).await;
            app.close().await;
            let exported = exported.map_err(|e| anyhow::anyhow!("{e}"))?;
            let held = exported.cases.len()
                + exported.notifications.len()
                + exported.one_time_codes.len()
                + exported.sessions.len()
                + exported.conversations.len();
            let mut json = serde_json::to_string_pretty(&exported)?;
            json.push('\n');
            match &out {
                Some(path) => std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?,
                None => print!("{json}"),
            }
            match held {
                0 => eprintln!("nothing is held about {}", exported.contact),
                _ => eprintln!(
                    "{} case(s), {} notification(s), {} one-time code(s), {} session(s), {} other conversation(s)",
                    exported.cases.len(),
                    exported.notifications.len(),
                    exported.one_time_codes.len(),
                    exported.sessions.len(),
                    exported.conversations.len()
                ),
            }
            Ok(())
        }
        PrivacyCommand::Encrypt { batch, storage } => {
            anyhow::ensure!(
                storage.reporter_key.is_some(),
                "encrypting needs the reporter key: --reporter-key or TAWASUL_REPORTER_KEY (64 hex digits)"
            );
            let app = App::open(settings(&storage, false)).await?;
            let sealed = seal_reporters(&app, batch).await;
            app.close().await;
            let (cases, conversations, callbacks) = sealed?;
            println!(
                "encrypted the reporter details of {cases} case(s), the addresses of {conversations} \
                 conversation(s) and the numbers of {callbacks} call-back(s)"
            );
            Ok(())
        }
        PrivacyCommand::RotateKey {
            old_reporter_key,
            batch,
            storage,
        } => {
            anyhow::ensure!(
                storage.reporter_key.is_some(),
                "rotating needs the new reporter key: --reporter-key or TAWASUL_REPORTER_KEY (64 hex digits)"
            );
            let app = App::open(Settings {
                old_reporter_key: Some(tawasul_app::identity::sealing::ReporterKey(old_reporter_key)),
                ..settings(&storage, false)
            })
            .await?;
            let rotated = rotate_reporter_key(&app, batch).await;
            app.close().await;
            let rotated = rotated?;
            if !rotated.finished {
                eprintln!(
                    "stopped after {} value(s): the rotation has not finished and no node starts until it has; \
                     run the same command again to finish it",
                    rotated.values
                );
                std::process::exit(4);
            }
            println!(
                "encrypted {} value(s) anew under the new reporter key: start every node with it",
                rotated.values
            );
            Ok(())
        }
        PrivacyCommand::Erase {
            contact,
            force,
            storage,
        } => {
            let app = App::open(settings(&storage, false)).await?;
            let erased = app.operator().privacy_erase(&contact, force).await;
            app.close().await;
            match erased.map_err(|e| anyhow::anyhow!("{e}"))? {
                Erasure::Refused { open } => {
                    eprintln!(
                        "refused, nothing changed: {} case(s) not yet closed, rejected or merged: {} \
                         (close them first, or --force if the person withdrew them)",
                        open.len(),
                        open.join(", ")
                    );
                    std::process::exit(3);
                }
                Erasure::Done { cases, forgotten } => {
                    println!(
                        "anonymised {} case(s){}",
                        cases.len(),
                        match cases.is_empty() {
                            true => String::new(),
                            false => format!(": {}", cases.join(", ")),
                        }
                    );
                    println!(
                        "forgot {} notification(s), {} one-time code(s), {} session(s), {} other conversation(s)",
                        forgotten.notifications, forgotten.codes, forgotten.sessions, forgotten.conversations
                    );
                    Ok(())
                }
            }
        }
        PrivacyCommand::Reapply { journal, storage } => {
            let app = App::open(settings(&storage, false)).await?;
            let reapplied = app.operator().reapply_erasures(&journal).await;
            app.close().await;
            let done = reapplied.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{} case(s) listed: {} anonymised again, {} already, {} not in this database",
                done.listed,
                done.anonymised,
                done.listed - done.anonymised - done.absent,
                done.absent
            );
            Ok(())
        }
    }
}

/// `tawasul privacy encrypt`, with a bar over the rows still in the clear: how many cases,
/// conversations and call-backs it encrypted.
async fn seal_reporters(app: &App, batch: i64) -> anyhow::Result<(u64, u64, u64)> {
    let operator = app.operator();
    let failed = |e: tawasul_app::error::Failure| anyhow::anyhow!("{e}");
    let total = operator.plain_reporter_count().await.map_err(failed)?
        + operator.plain_contact_count().await.map_err(failed)?;
    let bar = ProgressBar::new(total).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} rows, {per_sec}, {eta} left",
    )?);
    let cases = operator.seal_reporters(batch, |n| bar.inc(n)).await;
    let contacts = match cases {
        Ok(_) => operator.seal_contacts(batch, |n| bar.inc(n)).await,
        Err(_) => Ok((0, 0)),
    };
    bar.finish();
    let (conversations, callbacks) = contacts.map_err(failed)?;
    Ok((cases.map_err(failed)?, conversations, callbacks))
}

/// `tawasul privacy rotate-key`, with a bar over the values under another key; Ctrl-C stops it
/// after the batch under way.
async fn rotate_reporter_key(app: &App, batch: i64) -> anyhow::Result<tawasul_app::operator::Rotated> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let operator = app.operator();
    let bar = ProgressBar::new(
        operator
            .values_under_old_key()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} values, {per_sec}, {eta} left",
    )?);
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let interrupt = tokio::spawn({
        let stop = stop.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
            }
        }
    });
    let rotated = operator
        .rotate_reporter_key(batch, |n| {
            bar.inc(n);
            match stop.load(Ordering::SeqCst) {
                true => std::ops::ControlFlow::Break(()),
                false => std::ops::ControlFlow::Continue(()),
            }
        })
        .await;
    interrupt.abort();
    bar.finish();
    rotated.map_err(|e| anyhow::anyhow!("{e}"))
}

/// `tawasul kpi rebuild`, with a bar over the cases.
async fn rebuild_kpis(app: &App) -> anyhow::Result<u64> {
    let bar = ProgressBar::new(0).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} cases, {per_sec}, {eta} left",
    )?);
    let rebuilt = app
        .operator()
        .rebuild_kpis(&|total| bar.set_length(total), &|n| bar.inc(n))
        .await;
    bar.finish();
    rebuilt.map_err(|e| anyhow::anyhow!("{e}"))
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
    let (smtp, imap) = mail_settings(&args.mail, demo)?;
    let application = Application::build(ServerSettings {
        listen: args.listen,
        run_jobs: !args.delivery.no_jobs,
        app: serve_settings(&args, demo)?,
        smtp,
        imap,
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
        if let Some(smtp) = application.smtp_address() {
            println!("  e-mail:         complaints@localhost by SMTP at {smtp}");
        }
    }
    application.run_until(shutdown_signal()).await
}

type MailIntake = (
    Option<(SocketAddr, tawasul_server::MailSettings)>,
    Option<(tawasul_server::ImapSettings, tawasul_server::MailSettings)>,
);

/// The SMTP receiver's settings when `--smtp-listen` is given, and IMAP polling's when
/// `--imap-url` is; the demo's mailboxes when none are configured.
fn mail_settings(args: &MailArgs, demo: bool) -> anyhow::Result<MailIntake> {
    if args.smtp_listen.is_none() && args.imap_url.is_none() {
        return Ok((None, None));
    }
    let mut mailboxes = args.recipients.clone();
    if mailboxes.is_empty() && demo {
        mailboxes = [
            "complaints@localhost=cap-feedback",
            "complaints.mun@localhost=mun-feedback",
        ]
        .iter()
        .map(|m| m.parse().map_err(|e: String| anyhow::anyhow!(e)))
        .collect::<anyhow::Result<_>>()?;
    }
    anyhow::ensure!(
        !mailboxes.is_empty(),
        "--smtp-listen and --imap-url need at least one --mail-recipient ADDRESS=SERVICE"
    );
    let starttls = match (&args.smtp_tls_cert, &args.smtp_tls_key) {
        (Some(certificate), Some(key)) => Some(
            tawasul_server::StartTls::from_pem_files(certificate, key).context("--smtp-tls-cert and --smtp-tls-key")?,
        ),
        _ => None,
    };
    let mail = tawasul_server::MailSettings {
        mailboxes,
        max_message_bytes: args.mail_max_bytes,
        starttls,
        ..Default::default()
    };
    let imap = match (&args.imap_url, &args.imap_recipient) {
        (Some(url), Some(recipient)) => {
            let mut imap = tawasul_server::ImapSettings::from_url(url, String::new(), recipient.clone())
                .with_context(|| format!("--imap-url {url:?}"))?;
            imap.password = imap_password(args)?;
            imap.move_to = args.imap_move_to.clone();
            imap.poll = std::time::Duration::from_secs(args.imap_poll_seconds);
            Some((imap, mail.clone()))
        }
        _ => None,
    };
    Ok((args.smtp_listen.map(|listen| (listen, mail)), imap))
}

/// The IMAP password: the first line of --imap-password-file, or TAWASUL_IMAP_PASSWORD.
fn imap_password(args: &MailArgs) -> anyhow::Result<String> {
    match (&args.imap_password_file, std::env::var("TAWASUL_IMAP_PASSWORD")) {
        (Some(_), Ok(_)) => {
            anyhow::bail!("give the IMAP password once: --imap-password-file or TAWASUL_IMAP_PASSWORD, not both")
        }
        (Some(file), Err(_)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading --imap-password-file {}", file.display()))?;
            let password = text.lines().next().unwrap_or_default();
            anyhow::ensure!(!password.is_empty(), "--imap-password-file {} is empty", file.display());
            Ok(password.to_owned())
        }
        (None, Ok(password)) if !password.is_empty() => Ok(password),
        (None, _) => anyhow::bail!("--imap-url needs a password: --imap-password-file FILE or TAWASUL_IMAP_PASSWORD"),
    }
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
