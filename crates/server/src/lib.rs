//! The whole server as a library. `tawasul serve` and every end-to-end test start the same
//! thing through [`Application::build`]: the database opened and migrated, a bound port, the
//! job runner beside the router, and a graceful shutdown that finishes in-flight requests,
//! then the jobs, then the queued writes.

use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use tawasul_app::{App, Settings};

/// How to run one node.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Where to listen; port 0 takes a free one (see [`Application::address`]).
    pub listen: SocketAddr,
    /// Whether this node runs the background jobs (deliveries, SLA sweeps, housekeeping).
    pub run_jobs: bool,
    pub app: Settings,
}

/// A node that has bound its port and opened its database, ready to serve.
pub struct Application {
    app: App,
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    run_jobs: bool,
}

impl Application {
    /// Opens (and migrates) the database and binds the listening address.
    pub async fn build(settings: ServerSettings) -> anyhow::Result<Self> {
        let app = App::open(settings.app).await.context("opening the database")?;
        Self::with_app(app, settings.listen, settings.run_jobs).await
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
        // The peer's address goes with each request, for the client address limits count by.
        let served = axum::serve(
            listener,
            tawasul_http::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        tracing::info!("in-flight requests finished; finishing jobs and committing queued writes");
        let _ = stop_jobs.send(true);
        if let Some(runner) = runner {
            let _ = runner.await;
        }
        app.close().await;
        Ok(served?)
    }
}
