//! The HTTP server: the page, the JSON API under `/api/`, `/healthz` and `/metrics`.
//!
//! [`router`] builds the whole application from an [`AppState`]; [`serve`]
//! binds the configured address and runs it until SIGTERM or Ctrl-C;
//! [`serve_on`] runs it on a listener the caller bound (tests bind
//! `127.0.0.1:0`).

pub mod api;
pub mod assets;
pub mod error;
pub mod listener;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod security;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use crate::config::ServeConfig;
use crate::fetch::Fetcher;
use crate::share::gist::GistStore;
use crate::share::postgres::PostgresStore;
use crate::share::sqlite::SqliteStore;
use crate::share::{ShareError, ShareStore, Shares};

pub use routes::router;

/// Shared state of every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    config: ServeConfig,
    shares: Shares,
    share_limiter: rate_limit::RateLimiter,
    fetcher: Fetcher,
    metrics: metrics::Metrics,
    live_readings: Arc<tokio::sync::Semaphore>,
}

/// The server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A share store cannot be opened.
    #[error("cannot open the share store")]
    Shares(#[from] ShareError),
    /// The fetch client cannot be built.
    #[error("cannot build the HTTP client for /api/fetch: {0}")]
    Fetch(String),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The signal handlers cannot be installed.
    #[error("cannot listen for SIGTERM/Ctrl-C: {0}")]
    Signals(std::io::Error),
    /// Serving failed.
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    /// Opens the share stores (connecting to PostgreSQL and migrating it
    /// with `--database-url`, else SQLite in the data directory) and builds
    /// the clients.
    pub async fn open(config: ServeConfig) -> Result<AppState, StartError> {
        let local: Arc<dyn ShareStore> = match &config.database_url {
            Some(url) => {
                Arc::new(PostgresStore::connect(url, config.database_ca_file.as_deref()).await?)
            }
            None => Arc::new(SqliteStore::open(&config.data_dir)?),
        };
        Self::with_local_store(config, local)
    }

    /// Builds the state around an open local share store. Must run inside a
    /// tokio runtime.
    pub fn with_local_store(
        config: ServeConfig,
        local: Arc<dyn ShareStore>,
    ) -> Result<AppState, StartError> {
        let gists = GistStore::new(&config.github_api_url, config.github_token.as_deref())?;
        let create_in_gists = gists.authenticated();
        let shares = Shares::new(local, Arc::new(gists), create_in_gists);
        let fetcher = Fetcher::new(config.fetch_policy())
            .map_err(|err| StartError::Fetch(err.to_string()))?;
        let share_limiter =
            rate_limit::RateLimiter::new(config.share_rate_per_minute, config.share_burst);
        Ok(AppState {
            inner: Arc::new(StateInner {
                config,
                shares,
                share_limiter,
                fetcher,
                metrics: metrics::Metrics::default(),
                live_readings: Arc::new(tokio::sync::Semaphore::new(
                    api::live_flows::MAX_CONCURRENT_READINGS,
                )),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ServeConfig {
        &self.inner.config
    }

    /// The share stores.
    pub fn shares(&self) -> &Shares {
        &self.inner.shares
    }

    /// The limiter of share creation.
    pub fn share_limiter(&self) -> &rate_limit::RateLimiter {
        &self.inner.share_limiter
    }

    /// The SSRF-safe client behind `/api/fetch`.
    pub fn fetcher(&self) -> &Fetcher {
        &self.inner.fetcher
    }

    /// Permits for concurrent live-flow readings (`/api/flows/live`).
    pub fn live_readings(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.inner.live_readings
    }

    /// The request counters.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.inner.metrics
    }
}

/// The longest a client may take to send a request's headers (shorter when
/// the request timeout is): a slowloris client trickling header bytes is
/// cut off after it, whatever the idle timeout.
const MAX_HEADER_READ_TIME: Duration = Duration::from_secs(10);

/// Binds `config.addr` and serves until SIGTERM or Ctrl-C.
///
/// The signal handlers are installed before the address is bound, so once
/// the server answers, SIGTERM is a graceful stop and never the default
/// (immediate) termination.
pub async fn serve(config: ServeConfig) -> Result<(), StartError> {
    let shutdown = shutdown_signal().map_err(StartError::Signals)?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
    serve_on(listener, config, shutdown).await
}

/// Serves on `listener` until `shutdown` completes, then lets in-flight
/// requests finish for up to `config.shutdown_grace`.
pub async fn serve_on(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let grace = config.shutdown_grace;
    let state = AppState::open(config).await?;
    let local_addr = listener.local_addr()?;
    tracing::info!(
        addr = %local_addr,
        data_dir = %state.config().data_dir.display(),
        share_store = state.shares().writer().name(),
        local_store = state.shares().local().name(),
        hubble_relay = state.config().hubble_relay.as_ref().map(|relay| relay.addr.as_str()),
        page_bundle = assets::bundle_built(),
        "palisade listening on http://{local_addr}"
    );
    let idle = state.config().idle_timeout;
    let header_timeout = state.config().request_timeout.min(MAX_HEADER_READ_TIME);
    let app = router(state);
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener::accept(&listener, idle) => accepted,
            () = &mut shutdown => break,
        };
        // The handlers read the client address as axum's `ConnectInfo`.
        let service =
            app.clone()
                .map_request(move |mut request: axum::extract::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    request
                });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%remote, "connection ended: {err}");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => tracing::warn!("in-flight requests still running after {grace:?}; exiting anyway"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Installs the Ctrl-C and SIGTERM handlers now, and returns a future that
/// completes when either signal arrives.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        #[cfg(not(unix))]
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    })
}
