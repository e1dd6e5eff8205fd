//! The whole server as a library. `tawasul serve` and every end-to-end test start the same
//! thing through [`Application::build`]: the database opened and migrated, a bound port, the
//! job runner beside the router (and the e-mail channel's SMTP receiver and IMAP polling when
//! asked for), and a
//! graceful shutdown that finishes in-flight requests, then the jobs, then the queued writes.

use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use tawasul_app::{App, Settings};
use tawasul_channels_email::imap::ImapPoller;
use tawasul_channels_email::smtp::SmtpReceiver;
use tawasul_channels_email::Mailroom;
/// The e-mail channel's settings, for the command line that fills them.
pub use tawasul_channels_email::{imap::ImapSettings, smtp::StartTls, MailSettings, MailboxConfig};

/// How to run one node.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Where to listen; port 0 takes a free one (see [`Application::address`]).
    pub listen: SocketAddr,
    /// Whether this node runs the background jobs (deliveries, SLA sweeps, housekeeping).
    pub run_jobs: bool,
    pub app: Settings,
    /// Where the e-mail channel's SMTP receiver listens, and for which mailboxes.
    pub smtp: Option<(SocketAddr, MailSettings)>,
    /// The mailbox the e-mail channel reads by IMAP, and the mailboxes it may stand for.
    pub imap: Option<(ImapSettings, MailSettings)>,
}

/// A node that has bound its port and opened its database, ready to serve.
pub struct Application {
    app: App,
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    run_jobs: bool,
    smtp: Option<SmtpReceiver>,
    imap: Option<ImapPoller>,
}

impl Application {
    /// Opens (and migrates) the database and binds the listening address.
    pub async fn build(settings: ServerSettings) -> anyhow::Result<Self> {
        let app = App::open(settings.app).await.context("opening the database")?;
        let mut application = Self::with_app(app, settings.listen, settings.run_jobs).await?;
        if let Some((listen, mail)) = settings.smtp {
            application = application.with_smtp(listen, mail).await?;
        }
        if let Some((imap, mail)) = settings.imap {
            application = application.with_imap(imap, mail)?;
        }
        Ok(application)
    }

    /// Also reads a mailbox by IMAP into cases (the e-mail channel).
    pub fn with_imap(mut self, imap: ImapSettings, mail: MailSettings) -> anyhow::Result<Self> {
        self.imap = Some(ImapPoller::new(Mailroom::new(self.app.clone(), mail), imap)?);
        Ok(self)
    }

    /// Also receives e-mail by SMTP on `listen`, into cases (the e-mail channel).
    pub async fn with_smtp(mut self, listen: SocketAddr, mail: MailSettings) -> anyhow::Result<Self> {
        let receiver = SmtpReceiver::bind(listen, Mailroom::new(self.app.clone(), mail))
            .await
            .with_context(|| format!("binding the SMTP receiver to {listen}"))?;
        self.smtp = Some(receiver);
        Ok(self)
    }

    /// The address the SMTP receiver bound, when there is one.
    pub fn smtp_address(&self) -> Option<SocketAddr> {
        self.smtp.as_ref().and_then(|r| r.address().ok())
    }

    /// The same for an application already opened, e.g. on a test clock.
    pub async fn with_app(app: App, listen: SocketAddr, run_jobs: bool) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let address = listener.local_addr()?;
        Ok(Self {
            app,
            listener,
            address,
            run_jobs,
            smtp: None,
            imap: None,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The use cases this node serves, for what runs before serving (the demo's seed).
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish, stops the job
    /// runner after its current jobs, and commits queued writes before returning.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self {
            app,
            listener,
            address,
            run_jobs,
            smtp,
            imap,
        } = self;
        for (channel, configured) in app.outbound_channels() {
            if configured {
                tracing::info!(%channel, "notifications on this channel are delivered");
            } else {
                tracing::warn!(%channel, "no transport for this channel: its notifications end as undeliverable");
            }
        }
        tracing::info!(%address, backend = app.backend_name(), jobs = run_jobs, "tawasul is serving");
        let (stop_jobs, mut stopped) = tokio::sync::watch::channel(false);
        let runner = run_jobs.then(|| {
            let app = app.clone();
            tokio::spawn(async move {
                app.run_jobs(async move {
                    let _ = stopped.changed().await;
                })
                .await
            })
        });
        let (stop_mail, mail_stopped) = tokio::sync::watch::channel(false);
        let stopped_mail = move || {
            let mut stopped = mail_stopped.clone();
            async move {
                let _ = stopped.changed().await;
            }
        };
        let receiver = smtp.map(|receiver| {
            if let Ok(address) = receiver.address() {
                tracing::info!(%address, "receiving e-mail by SMTP");
            }
            tokio::spawn(receiver.run_until(stopped_mail()))
        });
        let poller = imap.map(|poller| tokio::spawn(poller.run_until(stopped_mail())));
        // The peer's address goes with each request, for the client address limits count by.
        let served = axum::serve(
            listener,
            tawasul_http::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        let _ = stop_mail.send(true);
        for mail in receiver.into_iter().chain(poller) {
            let _ = mail.await;
        }
        tracing::info!("in-flight requests finished; finishing jobs and committing queued writes");
        let _ = stop_jobs.send(true);
        if let Some(runner) = runner {
            let _ = runner.await;
        }
        app.close().await;
        Ok(served?)
    }
}
