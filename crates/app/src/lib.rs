//! Tawasul's use cases. Handlers at the edge turn requests into calls here; everything that
//! decides (who may do what, what a case becomes) happens here or in the domain.

pub mod cases;
pub mod catalogue;
pub mod conversations;
pub mod directory;
pub mod error;
pub mod identity;
pub mod jobs;
pub mod kpis;
pub mod operator;
pub mod organisation;
pub mod workflow;

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tawasul_domain::vocab::OutboundChannel;
use tawasul_store::Store;

pub use cases::CasesError;
pub use catalogue::CatalogueError;
pub use conversations::ConversationsError;
pub use error::{Failure, InputRefused, Outcome, UNAVAILABLE_RETRY_AFTER_SECS};
pub use identity::IdentityError;
pub use kpis::KpisError;
pub use organisation::OrganisationError;
pub use workflow::WorkflowError;

/// The store's read models that use cases return, so that the edges need not depend on the store.
pub mod rows {
    pub use tawasul_store::{
        AttachmentRow, ClientKeyRow, DepartmentRow, EntityRow, LineRow, ManagedServiceRow, PointRow, PublicCaseRow,
        ReplyTemplateRow, ServiceRow, StaffRow,
    };
}

/// Where time comes from: the wall clock in production, a settable one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Demo mode prints one-time codes to the log, since no SMS or e-mail leaves the machine.
    pub demo: bool,
    /// The address residents reach this service at (`https://tawasul.example.gov`), for the
    /// links in notifications; without it they carry paths only.
    pub public_url: Option<String>,
    /// This node's name in job leases.
    pub node: String,
    /// How long a claimed job is this node's before another may take it.
    pub job_lease: Duration,
    pub delivery: DeliverySettings,
    /// The key that seals short-lived secrets in the database (`identity::sealing`); without
    /// it, `secret.key` in the data directory (made on first start).
    pub secret_key: Option<identity::sealing::ServerKey>,
    /// The key reporters' details are encrypted at rest with (`identity::sealing::ReporterSealer`);
    /// without it they are stored in the clear (the default), and a store holding encrypted
    /// ones refuses to open.
    pub reporter_key: Option<identity::sealing::ReporterKey>,
    /// The reporter key being rotated away from, given to `tawasul privacy rotate-key` only
    /// (`Operator::rotate_reporter_key`): with it the store opens while values are sealed under
    /// either key, which no node serving requests may.
    pub old_reporter_key: Option<identity::sealing::ReporterKey>,
    pub open311: Open311Settings,
    /// The providers' webhooks under `/hooks/` (the phone line, SMS, WhatsApp…); an adapter
    /// without its secret is off and its hook answers 404.
    pub hooks: HookSettings,
    /// Rate limits, sign-in throttling and the proxies trusted to say who the client is.
    pub limits: identity::limits::Limits,
    /// The reporters of cases that ended for good (closed, rejected, merged) and have not
    /// changed for this many years are anonymised by the `retention` job; `None`: never (the
    /// default, since it cannot be undone and the period is each body's records schedule's).
    pub retention_years: Option<u32>,
    /// Platform administrators must sign in with a second factor (TOTP), as an entity's
    /// policy can require of its own administrators and supervisors: no entity's policy
    /// reaches them.
    pub platform_second_factor: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("tawasul-data"),
            database_url: None,
            demo: false,
            public_url: None,
            node: format!(
                "node-{}-{}",
                std::process::id(),
                identity::auth::new_secret().get(..8).unwrap_or("0")
            ),
            job_lease: Duration::from_secs(60),
            delivery: DeliverySettings::default(),
            secret_key: None,
            reporter_key: None,
            old_reporter_key: None,
            open311: Open311Settings::default(),
            hooks: HookSettings::default(),
            limits: identity::limits::Limits::default(),
            retention_years: None,
            platform_second_factor: false,
        }
    }
}

impl Settings {
    /// `path` under the public address, when there is one.
    pub fn public_link(&self, path: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => path.to_owned(),
        }
    }
}

/// Where notifications go out; a channel without settings is not delivered.
#[derive(Debug, Clone, Default)]
pub struct DeliverySettings {
    pub smtp: Option<tawasul_notify::SmtpSettings>,
    pub sms: Option<tawasul_notify::SmsSettings>,
    pub webhook: Option<tawasul_notify::WebhookSettings>,
    pub sms_quiet_hours: Option<tawasul_notify::QuietHours>,
}

/// The guided-dialogue channels' providers (`crates/channels/dialogue` and its adapters).
#[derive(Debug, Clone, Default)]
pub struct HookSettings {
    pub sms: Option<SmsHookSettings>,
    pub whatsapp: Option<WhatsappSettings>,
    pub facebook: Option<FacebookSettings>,
    pub x: Option<XSettings>,
    /// What a public post (a comment on the Facebook Page, a mention on X) that names no case
    /// becomes.
    pub social_posts: SocialPostSettings,
    pub ivr: Option<IvrSettings>,
    /// Automatic call-backs of cases reported by phone (`cases/callbacks.rs`); off without
    /// them, and without the phone line (whose token signs the call's webhooks).
    pub callback: Option<CallbackSettings>,
}

/// Automatic call-backs: when staff change a case reported by phone, its reporter is called
/// through the telephony platform's call-create API and told of the change in their language.
#[derive(Debug, Clone)]
pub struct CallbackSettings {
    /// The call-create API (base URL, account, token, the number calls come from).
    pub api: tawasul_notify::CallApiSettings,
    /// No call starts between these local times of the case's entity (its calendar's time
    /// zone); a call due then waits for the end. 21:00–08:00 by default.
    pub quiet_start: chrono::NaiveTime,
    pub quiet_end: chrono::NaiveTime,
    /// Calls placed for one change at most, the first included (3 by default).
    pub max_attempts: u32,
    /// How long after a call not answered (busy, no answer, failed) the next is placed.
    pub retry_after: Duration,
}

impl CallbackSettings {
    /// The settings with the defaults: quiet 21:00–08:00, 3 attempts 30 minutes apart.
    pub fn new(api: tawasul_notify::CallApiSettings) -> Self {
        Self {
            api,
            quiet_start: chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default(),
            quiet_end: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            max_attempts: 3,
            retry_after: Duration::from_secs(30 * 60),
        }
    }
}

/// The phone line's webhooks (`POST /hooks/ivr/twiml`, `POST /hooks/ivr/vxml`).
#[derive(Debug, Clone)]
pub struct IvrSettings {
    /// `TAWASUL_IVR_AUTH_TOKEN`: the key of the `X-Twilio-Signature` HMAC-SHA1 over the URL
    /// and the posted parameters.
    pub auth_token: String,
    /// Where "a person" puts the caller through: a phone number (`+97317000000`) or a SIP
    /// address of the agents' queue (`sip:agents@pbx.example`).
    pub agent: String,
    /// The hosts callers' recordings are downloaded from (`api.twilio.com`); no other is asked.
    pub recording_hosts: Vec<String>,
    /// Whether recordings may come from private, loopback or link-local addresses (a
    /// telephony platform on the intranet, tests); never by default.
    pub recording_private_addresses: bool,
}

/// A national SMS gateway's inbound webhook (`POST /hooks/sms`): which form or JSON fields
/// carry the sender, the text and the message id, and the shared secret it signs with.
#[derive(Debug, Clone)]
pub struct SmsHookSettings {
    /// `TAWASUL_SMS_INBOUND_SECRET`: the key of the `X-Tawasul-Signature` HMAC-SHA256 over the body.
    pub secret: String,
    pub from_field: String,
    pub text_field: String,
    pub id_field: String,
}

/// WhatsApp Business through the Cloud API (`/hooks/whatsapp`).
#[derive(Debug, Clone)]
pub struct WhatsappSettings {
    /// `TAWASUL_WHATSAPP_APP_SECRET`: the key of `X-Hub-Signature-256`.
    pub app_secret: String,
    /// `TAWASUL_WHATSAPP_VERIFY_TOKEN`: what the subscription handshake must echo.
    pub verify_token: String,
    /// The bearer token for the messages API (`TAWASUL_WHATSAPP_ACCESS_TOKEN`).
    pub access_token: String,
    /// The Graph API's base (`https://graph.facebook.com/v21.0`), another in tests.
    pub api_base: String,
    /// The business phone number's id, which messages are sent from.
    pub phone_number_id: String,
    /// The approved template sent outside the 24-hour customer-service window.
    pub template: String,
}

/// A Facebook Page's webhooks (`/hooks/facebook`): Messenger and the Page's feed.
#[derive(Debug, Clone)]
pub struct FacebookSettings {
    /// `TAWASUL_FACEBOOK_APP_SECRET`: the key of `X-Hub-Signature-256`.
    pub app_secret: String,
    /// `TAWASUL_FACEBOOK_VERIFY_TOKEN`: what the subscription handshake must echo.
    pub verify_token: String,
    /// `TAWASUL_FACEBOOK_PAGE_TOKEN`: the Page access token of the Send API.
    pub page_token: String,
    /// The Graph API's base (`https://graph.facebook.com/v21.0`), another in tests.
    pub api_base: String,
    /// `TAWASUL_FACEBOOK_MEDIA_PRIVATE_ADDRESSES`: fetch residents' photos from private,
    /// loopback and link-local addresses too (a stand-in for Meta's CDN on an intranet, tests);
    /// off, photos come from public addresses only.
    pub media_private_addresses: bool,
}

/// An X account's Account Activity webhooks (`/hooks/x`): direct messages and mentions.
#[derive(Debug, Clone)]
pub struct XSettings {
    /// `TAWASUL_X_CONSUMER_SECRET`: the key of the CRC answer and `x-twitter-webhooks-signature`.
    pub consumer_secret: String,
    /// `TAWASUL_X_BEARER_TOKEN`: the (user-context) bearer token of the direct-message API.
    pub bearer_token: String,
    /// The API's base (`https://api.x.com`), another in tests.
    pub api_base: String,
    /// The account's own user id: its events are its own, a mention names it.
    pub user_id: String,
}

/// A public post that names no case becomes a case of this service and kind; without a
/// service it is logged and left (staff answer it on the network).
#[derive(Debug, Clone)]
pub struct SocialPostSettings {
    pub service: Option<String>,
    pub kind: tawasul_domain::vocab::Kind,
}

impl Default for SocialPostSettings {
    fn default() -> Self {
        Self {
            service: None,
            kind: tawasul_domain::vocab::Kind::Complaint,
        }
    }
}

/// The Open311 GeoReport v2 channel (`crates/channels/open311`).
#[derive(Debug, Clone)]
pub struct Open311Settings {
    /// The `jurisdiction_id` this installation answers to; a request naming another is
    /// refused. Without one, a request may not name any.
    pub jurisdiction_id: Option<String>,
    /// Who to ask about the API, shown in `discovery` (an address or a page).
    pub contact: String,
    /// Whether a request's `media_url` is fetched into an attachment of its case (off by
    /// default: the URL is then only kept and shown).
    pub fetch_media: bool,
    /// The hosts media may be fetched from, by name; no other is asked.
    pub media_hosts: Vec<String>,
    /// Whether media may come from private, loopback or link-local addresses (an intranet,
    /// tests); never by default.
    pub media_private_addresses: bool,
    /// The most requests a client application may post in a minute.
    pub posts_per_minute: u32,
}

impl Default for Open311Settings {
    fn default() -> Self {
        Self {
            jurisdiction_id: None,
            contact: String::new(),
            fetch_media: false,
            media_hosts: vec![],
            media_private_addresses: false,
            posts_per_minute: 60,
        }
    }
}

#[derive(Clone)]
pub struct App {
    store: Store,
    pub blobs: Arc<dyn cases::blobs::BlobStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    workflow: Arc<workflow::config::WorkflowCache>,
    pub jobs: Arc<jobs::JobStats>,
    transports: Arc<jobs::Transports>,
    templates: Arc<tawasul_notify::Templates>,
    /// The call-create API of call-backs, when they are on.
    calls: Option<Arc<tawasul_notify::CallPlacer>>,
    sealer: Arc<identity::sealing::Sealer>,
    limiter: Arc<identity::limits::RateLimiter>,
    /// Password checks running at once (`Limits::password_checks`).
    password_checks: Arc<tokio::sync::Semaphore>,
    /// This node's wake-ups of those waiting on a conversation.
    chat_hub: Arc<conversations::hub::ChatHub>,
    /// Staff's views of personal data, on their way to the audit log in batches.
    views_log: identity::views_log::ViewsLog,
}

impl App {
    pub async fn open(settings: Settings) -> anyhow::Result<Self> {
        let mut store = Store::open(&settings.data_dir, settings.database_url.as_deref()).await?;
        if let Some(key) = &settings.reporter_key {
            store = store.with_reporter_cipher(Arc::new(identity::sealing::ReporterSealer::new(key)?));
        }
        let old_reporters = settings
            .old_reporter_key
            .as_ref()
            .map(|key| {
                anyhow::Context::context(
                    identity::sealing::ReporterSealer::new(key),
                    "TAWASUL_OLD_REPORTER_KEY (--old-reporter-key)",
                )
            })
            .transpose()?;
        // Sealed reporters this node cannot open stop it here, not as garbage on a page.
        let rotating_from = old_reporters
            .as_ref()
            .map(|old| old as &dyn tawasul_store::ReporterCipher);
        if let Err(e) = store.check_reporter_key(rotating_from).await {
            store.close().await;
            return Err(e.into());
        }
        let blobs = Arc::new(cases::blobs::LocalDir::new(settings.data_dir.join("blobs"))?);
        let sealer = identity::sealing::Sealer::load(&settings.data_dir, settings.secret_key.as_ref())?;
        let d = &settings.delivery;
        let mut by_channel: BTreeMap<OutboundChannel, Box<dyn tawasul_notify::Transport>> = BTreeMap::new();
        if let Some(s) = &d.smtp {
            by_channel.insert(OutboundChannel::Email, Box::new(tawasul_notify::SmtpSender::new(s)?));
        }
        if let Some(s) = &d.sms {
            by_channel.insert(
                OutboundChannel::Sms,
                Box::new(tawasul_notify::SmsGateway::new(s.clone())?),
            );
        }
        if let Some(s) = &d.webhook {
            by_channel.insert(
                OutboundChannel::Webhook,
                Box::new(tawasul_notify::WebhookSender::new(s.clone())?),
            );
        }
        if let Some(w) = &settings.hooks.whatsapp {
            by_channel.insert(
                OutboundChannel::Whatsapp,
                Box::new(tawasul_notify::WhatsappSender::new(
                    tawasul_notify::WhatsappCloudSettings {
                        api_base: w.api_base.clone(),
                        access_token: w.access_token.clone(),
                        phone_number_id: w.phone_number_id.clone(),
                        template: w.template.clone(),
                    },
                )?),
            );
        }
        let social = tawasul_notify::SocialSender {
            facebook: match &settings.hooks.facebook {
                Some(f) => Some(tawasul_notify::MessengerApi::new(&f.api_base, &f.page_token)?),
                None => None,
            },
            x: match &settings.hooks.x {
                Some(x) => Some(tawasul_notify::XDmApi::new(&x.api_base, &x.bearer_token)?),
                None => None,
            },
        };
        if social.facebook.is_some() || social.x.is_some() {
            by_channel.insert(OutboundChannel::Social, Box::new(social));
        }
        let calls = match (&settings.hooks.callback, &settings.hooks.ivr) {
            (Some(c), Some(_)) => Some(Arc::new(tawasul_notify::CallPlacer::new(c.api.clone())?)),
            (Some(_), None) => anyhow::bail!("call-backs need the phone line (its token signs the calls' webhooks)"),
            (None, _) => None,
        };
        let transports = jobs::Transports {
            by_channel,
            sms_quiet_hours: d.sms_quiet_hours,
        };
        Ok(Self {
            views_log: identity::views_log::ViewsLog::start(store.clone()),
            store,
            blobs,
            clock: Arc::new(SystemClock),
            workflow: Arc::default(),
            jobs: Arc::default(),
            transports: Arc::new(transports),
            templates: Arc::new(tawasul_notify::Templates::embedded()),
            calls,
            sealer: Arc::new(sealer),
            limiter: Arc::default(),
            password_checks: Arc::new(tokio::sync::Semaphore::new(settings.limits.password_checks)),
            chat_hub: Arc::default(),
            settings: Arc::new(settings),
        })
    }

    /// The same application on another clock: tests move time forward with it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Every outbound channel with whether this node has a transport for it.
    pub fn outbound_channels(&self) -> Vec<(OutboundChannel, bool)> {
        OutboundChannel::ALL
            .iter()
            .map(|c| (*c, self.transports.by_channel.contains_key(c)))
            .collect()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn now_micros(&self) -> i64 {
        tawasul_domain::micros(self.now())
    }
}
