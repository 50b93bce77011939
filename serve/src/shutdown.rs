//! Signals and the server's life: SIGHUP swaps the bundle; SIGTERM or SIGINT (or a [`Stopper`])
//! stops accepting connections, marks the server not ready, and lets the requests in flight finish
//! — for at most the request timeout and five seconds more, or until a second signal.

use crate::app::{self, Shared};
use crate::swap::Trigger;
use crate::{Event, Settings};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::Notify;

/// The signals the server handles, installed when it binds.
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
    stop: Arc<Notify>,
}

/// Stops a server as SIGTERM does.
#[derive(Clone)]
pub struct Stopper {
    stop: Arc<Notify>,
}

impl Stopper {
    pub fn stop(&self) {
        self.stop.notify_one();
    }
}

/// Time given to the requests in flight after a stop signal.
fn drain_time(settings: &Settings) -> Duration {
    settings.timeout + Duration::from_secs(5)
}

impl Signals {
    /// Inside the runtime: from now on these signals no longer end the process by default.
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
            stop: Arc::new(Notify::new()),
        })
    }

    pub fn stopper(&self) -> Stopper {
        Stopper { stop: self.stop.clone() }
    }

    /// Waits for a stop: SIGTERM, SIGINT or the stopper; SIGHUPs meanwhile reload.
    async fn stopped(&mut self, shared: &Shared) -> &'static str {
        loop {
            tokio::select! {
                _ = self.terminate.recv() => return "SIGTERM",
                _ = self.interrupt.recv() => return "SIGINT",
                () = self.stop.notified() => return "a stop request",
                _ = self.hangup.recv() => match &shared.loader {
                    Some(loader) => {
                        // The outcome reaches the CLI as an event; requests keep being answered
                        // by the old bundle while the new one loads.
                        let _ = app::reload_with(shared, loader, Trigger::Hangup).await;
                    }
                    None => (shared.events)(Event::ReloadFailed {
                        trigger: Trigger::Hangup,
                        error: mlp_data::RunError::new(mlp_compiler::codes::Code::E0842, "this server has nothing to reload from"),
                    }),
                },
            }
        }
    }

    /// A second stop, after the first.
    async fn again(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
            () = self.stop.notified() => {}
        }
    }
}

/// Serves until stopped and drained.
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>, mut signals: Signals) {
    let app = app::router(shared.clone());
    let (stopping, stop_serving) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_serving.await;
    });
    let mut server = std::pin::pin!(server.into_future());
    let signal = tokio::select! {
        // Serving ends only on a stop (or an accept loop that cannot continue).
        _ = &mut server => return,
        signal = signals.stopped(&shared) => signal,
    };
    shared.draining.store(true, Ordering::Relaxed);
    (shared.events)(Event::Stopping { signal });
    let _ = stopping.send(());
    tokio::select! {
        _ = &mut server => {}
        () = tokio::time::sleep(drain_time(&shared.settings)) => {
            (shared.events)(Event::Abandoned { reason: "the requests in flight did not finish in time" });
        }
        () = signals.again() => {
            (shared.events)(Event::Abandoned { reason: "a second signal" });
        }
    }
}
