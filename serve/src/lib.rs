//! `mlp-serve`: the HTTP deploy target. A bundle (anything that is a [`Predictor`];
//! `mlp_infer::Bundle` is) served by axum on tokio:
//!
//! - `POST /predict` takes one row (a JSON object), many (an array) or a CSV body, and answers
//!   `{"bundle", "model", "predictions"}`; concurrent JSON requests are micro-batched
//!   (`batching.rs`);
//! - `GET /health`, `/ready`, `/metadata`, `/metrics` (`app.rs`, `metrics.rs`);
//! - limits on bodies, rows and time (`limits.rs`), an optional bearer token (`auth.rs`);
//! - graceful shutdown on SIGTERM/SIGINT and bundle swaps on SIGHUP or `POST /admin/reload`
//!   (`shutdown.rs`, `swap.rs`).
//!
//! It prints nothing: [`Server::bind`] returns the bound address for the CLI to print, and what
//! happens later (reloads, shutdown) reaches the CLI as [`Event`]s.

// `RunError` carries a location and help text; failures are rare, so returning it by value costs
// nothing that matters.
#![allow(clippy::result_large_err)]

mod actions;
mod app;
mod auth;
mod batching;
mod bundle;
mod feedback;
mod limits;
mod live;
mod metrics;
mod model;
mod shutdown;
mod store;
mod swap;
mod webhook;

pub use bundle::Loaded;
pub use live::{Firing, Monitoring, Retrainer};
pub use model::{FieldError, Prediction, Predictor, Served};
pub use shutdown::Stopper;
pub use swap::{Loader, Trigger};
pub use webhook::Retry;

use mlp_compiler::codes::Code;
use mlp_compiler::program::{Auth, DeploySettings};
use mlp_data::RunError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How one server runs: the deploy block's settings, with the token read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub max_batch: usize,
    pub max_wait: Duration,
    pub timeout: Duration,
    pub max_body: usize,
    pub max_rows: usize,
    /// The bearer token every route but `/health` and `/ready` asks for.
    pub token: Option<String>,
}

impl Settings {
    /// The settings of a deploy block; the token is read from its environment variable now (E0841
    /// when it is unset or empty). The checker bounds every number; out-of-range values that only a
    /// hand-built `DeploySettings` can hold are clamped.
    pub fn of(deploy: &DeploySettings) -> Result<Settings, RunError> {
        let token = match &deploy.auth {
            None => None,
            Some(Auth::Token { env }) => match std::env::var(env) {
                Ok(token) if !token.trim().is_empty() => Some(token.trim().to_string()),
                Ok(_) => return Err(token_error(env, "is empty")),
                Err(std::env::VarError::NotPresent) => return Err(token_error(env, "is not set")),
                Err(std::env::VarError::NotUnicode(_)) => return Err(token_error(env, "is not UTF-8 text")),
            },
        };
        let size = |n: i64| usize::try_from(n.max(1)).unwrap_or(usize::MAX);
        let millis = |n: i64| Duration::from_millis(u64::try_from(n).unwrap_or(0));
        Ok(Settings {
            host: deploy.host.clone(),
            port: u16::try_from(deploy.port).unwrap_or(0),
            max_batch: size(deploy.max_batch),
            max_wait: millis(deploy.max_wait),
            timeout: millis(deploy.timeout.max(1)),
            max_body: size(deploy.max_body),
            max_rows: size(deploy.max_rows),
            token,
        })
    }
}

fn token_error(env: &str, what: &str) -> RunError {
    RunError::new(Code::E0841, format!("the token variable `{env}` {what}"))
        .with_help(format!("export {env}=<token> before `mlpc serve`, or remove `auth` from the deploy block"))
}

/// What happens while serving, for the CLI to report (on stderr).
#[derive(Debug)]
pub enum Event {
    /// A new bundle is served.
    Reloaded { trigger: Trigger, from: Option<String>, to: String },
    /// A reload failed; the bundle served before keeps serving.
    ReloadFailed { trigger: Trigger, error: RunError },
    /// A signal asked to stop: no new connections; in-flight requests drain.
    Stopping { signal: &'static str },
    /// The drain did not finish within its time, or a second signal came: the server stops now.
    Abandoned { reason: &'static str },
    /// A monitor condition became true and its action ran (the firing, with its result).
    Fired { firing: Firing },
    /// Something the operator should know at start (an alert without a URL).
    Warning { message: String },
}

/// Where [`Event`]s go.
pub type Events = Arc<dyn Fn(Event) + Send + Sync>;

/// A bound server, not answering yet.
pub struct Server {
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    shared: Arc<app::Shared>,
    signals: shutdown::Signals,
    addr: SocketAddr,
}

impl Server {
    /// Binds `settings.host:settings.port` (port 0: any free port) and installs the signal
    /// handlers, so that once this returns, SIGHUP, SIGTERM and SIGINT are the server's.
    /// `model` is served from the start; `loader` reloads (none: SIGHUP and `/admin/reload` refuse).
    pub fn bind(
        settings: Settings,
        model: Option<Served>,
        loader: Option<Loader>,
        events: Events,
    ) -> Result<Server, RunError> {
        Server::bind_monitored(settings, model, loader, None, Retry::default(), events)
    }

    /// [`bind`](Server::bind) with live monitoring: windows, `/monitor`, `/feedback` and the
    /// monitor's actions (alerts retried as `retry` says); its state is read back from
    /// `monitoring.state` first.
    pub fn bind_monitored(
        settings: Settings,
        model: Option<Served>,
        loader: Option<Loader>,
        monitoring: Option<Monitoring>,
        retry: Retry,
        events: Events,
    ) -> Result<Server, RunError> {
        let live = match monitoring {
            Some(monitoring) => {
                let (live, warnings) = live::Live::start(monitoring, model.as_ref()).map_err(|e| {
                    RunError::new(Code::E0842, format!("monitoring cannot start: {e}"))
                        .with_help("check the monitor block's alert URLs and that the state directory is writable")
                })?;
                for message in warnings {
                    events(Event::Warning { message });
                }
                Some(live)
            }
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("mlpc-serve")
            .build()
            .map_err(|e| cannot_run(&format!("the async runtime cannot start: {e}")))?;
        let address = format!("{}:{}", bracketed(&settings.host), settings.port);
        let listener = runtime.block_on(tokio::net::TcpListener::bind(&address)).map_err(|e| {
            let help = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "another process listens there: choose another `port` (or `--port`, 0 for any free one)"
                }
                std::io::ErrorKind::PermissionDenied => "ports below 1024 need privileges: choose a port from 1024 up",
                _ => "`host` must be an address of this machine (127.0.0.1 by default, 0.0.0.0 for every interface)",
            };
            RunError::new(Code::E0840, format!("cannot listen on `{address}`: {e}")).with_help(help)
        })?;
        let addr = listener.local_addr().map_err(|e| cannot_run(&format!("the bound address is unknown: {e}")))?;
        let signals = runtime
            .block_on(async { shutdown::Signals::install() })
            .map_err(|e| cannot_run(&format!("signal handlers cannot be installed: {e}")))?;
        let metrics = Arc::new(metrics::Metrics::default());
        let limits = batching::Limits { max_batch: settings.max_batch, max_wait: settings.max_wait };
        let batcher = {
            let _inside = runtime.enter();
            batching::Batcher::start(limits, metrics.clone())
        };
        let shared = Arc::new(app::Shared {
            settings,
            slot: swap::Slot::new(model),
            loader,
            batcher,
            metrics,
            draining: AtomicBool::new(false),
            events,
            ids: live::Ids::default(),
            live,
            retry,
        });
        Ok(Server { runtime, listener, shared, signals, addr })
    }

    /// The address bound (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that stops the server as SIGTERM does (for programs that embed it, and tests).
    pub fn stopper(&self) -> Stopper {
        self.signals.stopper()
    }

    /// Answers requests until SIGTERM or SIGINT (or the [`stopper`](Server::stopper)), then stops
    /// accepting connections and waits for the requests in flight, at most the request timeout and
    /// five seconds more (a second signal stops at once).
    pub fn run(self) -> Result<(), RunError> {
        let Server { runtime, listener, shared, signals, .. } = self;
        runtime.block_on(shutdown::serve(listener, shared, signals));
        // Blocking threads still predicting for abandoned requests are not waited for.
        runtime.shutdown_timeout(Duration::from_millis(100));
        Ok(())
    }
}

fn cannot_run(message: &str) -> RunError {
    RunError::new(Code::E0842, message.to_string())
        .with_help("check the limits on threads and open files (`ulimit -a`)")
}

/// An IPv6 host in brackets, as a socket address writes it.
fn bracketed(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() }
}
