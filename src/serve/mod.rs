//! `medcode serve`: the coder's workbench: an HTTP API under `/v1`, a review UI, and reviewers'
//! decisions kept in SQLite.
//!
//! Only with the `serve` feature (on by default). The pipeline knows nothing of this module:
//! the dependency runs one way, from here to [`crate::pipeline::Engine`].
//!
//! - [`api`]: the JSON API (`/v1/...`), described by [`openapi`];
//! - [`ui`]: the review screens, server-rendered HTML with one small script;
//! - [`store`]: the queue of notes and the decisions, in SQLite; [`export`] writes them out;
//! - [`security`]: the token, CSRF and the response headers every answer carries;
//! - [`problem`]: errors as RFC 9457 problem details.
//!
//! The engine is CPU-bound and the store blocks on disk, so handlers call both from
//! `spawn_blocking`: the async workers only move bytes.
//!
//! Not for the public internet as it is: it has a shared token, not user accounts, and no TLS
//! (put a reverse proxy in front for that).

pub mod api;
pub mod export;
pub mod openapi;
pub mod problem;
pub mod security;
pub mod store;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use crate::pipeline::{Engine, Options};
use store::Store;

/// How the server is limited and guarded.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest note, in bytes (as `suggest --max-note-size`).
    pub max_note_bytes: u64,
    /// Requests answered at once; more wait (up to the timeout).
    pub concurrency: usize,
    /// How long one request may take (not `/v1/batches`, which streams).
    pub timeout: Duration,
    /// The token every request must carry; required off loopback.
    pub token: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_note_bytes: crate::input::DEFAULT_MAX_NOTE_BYTES,
            concurrency: 64,
            timeout: Duration::from_secs(30),
            token: None,
        }
    }
}

impl Settings {
    /// The largest request body (one note as JSON, or a form): twice the note limit (JSON
    /// escapes) plus room for the other fields.
    pub fn max_body_bytes(&self) -> usize {
        usize::try_from(crate::jsonl::line_limit(self.max_note_bytes)).unwrap_or(usize::MAX)
    }
}

/// Everything a request handler needs: the engine (loaded once), the store, the settings and
/// this process's CSRF secret.
pub struct AppState {
    /// The engine every request codes with.
    pub engine: Engine,
    /// The review queue and decisions.
    pub store: Store,
    /// Limits and the token.
    pub settings: Settings,
    /// Options for notes the workbench codes (dictionary candidates on, as the CLI).
    pub defaults: Options,
    /// The form token of this process (see [`security`]).
    pub csrf: String,
}

impl AppState {
    /// A state with a fresh CSRF secret.
    ///
    /// # Errors
    /// The operating system has no randomness to give.
    pub fn new(engine: Engine, store: Store, settings: Settings) -> std::io::Result<AppState> {
        Ok(AppState {
            engine,
            store,
            settings,
            defaults: Options {
                dictionary_candidates: true,
                ..Options::default()
            },
            csrf: security::random_token()?,
        })
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Any address but loopback needs a token.
    #[error(
        "{0} is not a loopback address: set a token with --token or MEDCODE_TOKEN before \
         serving beyond this machine"
    )]
    TokenRequired(SocketAddr),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server stopped on an I/O error.
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// The whole application: API, UI and assets, with the security layers.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(api::routes(&state))
        .merge(ui::routes())
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            security::guard,
        ))
        .with_state(state)
}

/// Binds `addr`, refusing a non-loopback address without a token.
///
/// # Errors
/// [`ServeError::TokenRequired`] or [`ServeError::Bind`].
pub async fn bind(
    addr: SocketAddr,
    settings: &Settings,
) -> Result<tokio::net::TcpListener, ServeError> {
    if !addr.ip().is_loopback() && settings.token.is_none() {
        return Err(ServeError::TokenRequired(addr));
    }
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// Serves on `listener` until `shutdown` completes; requests in flight are finished.
///
/// # Errors
/// An I/O error of the listener.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let app = router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// A server on a thread of its own, for tests, benchmarks and embedding: it stops when
/// dropped.
pub struct Running {
    /// The address it listens on (port 0 becomes the real port).
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl Running {
    /// Starts a server on `addr` (port 0 picks a free one) with `workers` async threads.
    ///
    /// # Errors
    /// The runtime cannot start, or [`bind`] fails.
    pub fn start(addr: SocketAddr, state: AppState, workers: usize) -> Result<Running, ServeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()?;
        let listener = runtime.block_on(bind(addr, &state.settings))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::new(state);
        let thread = std::thread::spawn(move || {
            runtime.block_on(run(listener, state, async {
                let _ = stopped.await;
            }))
        });
        Ok(Running {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for it.
    ///
    /// # Errors
    /// The error the server stopped with.
    pub fn stop(mut self) -> Result<(), ServeError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
