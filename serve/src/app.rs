//! The routes and what each answers. Every reply is JSON except `/metrics` (Prometheus text);
//! every refusal is `{"error": message}` with its status, and rows the model cannot take are a 400
//! with `{"errors": [{row, column, code, message}]}` listing every field error.

use crate::batching::{Batcher, Outcome};
use crate::limits::{self, Kind, Refusal};
use crate::metrics::Metrics;
use crate::model::{Prediction, Served};
use crate::swap::{Loader, Slot, Trigger};
use crate::{Event, Events, Settings};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What every request reads.
pub struct Shared {
    pub settings: Settings,
    pub slot: Slot,
    pub loader: Option<Loader>,
    pub batcher: Batcher,
    pub metrics: Arc<Metrics>,
    /// Set once shutdown began: `/ready` answers 503 while in-flight requests drain.
    pub draining: AtomicBool,
    pub events: Events,
}

/// The routes a label in `/metrics` may name; any other path counts as `unmatched`.
const ROUTES: &[&str] = &["/predict", "/health", "/ready", "/metadata", "/metrics", "/admin/reload"];

/// Routes open without the token: probes call them.
const OPEN: &[&str] = &["/health", "/ready"];

/// The application: routes, the token check, and the metrics around both.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/predict", post(predict))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metadata", get(metadata))
        .route("/metrics", get(metrics))
        .route("/admin/reload", post(reload))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .layer(middleware::from_fn_with_state(shared.clone(), count))
        .with_state(shared)
}

/// Times and counts every reply by route and status.
async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = ROUTES.iter().find(|r| **r == request.uri().path()).copied().unwrap_or("unmatched");
    let response = next.run(request).await;
    shared.metrics.request(route, response.status().as_u16(), start.elapsed());
    response
}

/// 401 without the right bearer token, when one is set.
async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if let Some(token) = &shared.settings.token
        && !OPEN.contains(&request.uri().path())
        && !crate::auth::authorized(request.headers(), token)
    {
        let mut response =
            refuse(StatusCode::UNAUTHORIZED, "a missing or wrong token: send `Authorization: Bearer <token>`");
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    next.run(request).await
}

/// `{"error": message}` with `status`.
pub fn refuse(status: StatusCode, message: &str) -> Response {
    json_reply(status, &json!({ "error": message }))
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refuse(self.status, &self.message)
    }
}

/// `value` as JSON with `status`.
fn json_reply(status: StatusCode, value: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

async fn not_found() -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        "no such route: the routes are POST /predict, GET /health, /ready, /metadata, /metrics",
    )
}

async fn method_not_allowed() -> Response {
    refuse(StatusCode::METHOD_NOT_ALLOWED, "this route does not take this method: POST /predict, GET the others")
}

async fn health() -> Response {
    json_reply(StatusCode::OK, &json!({ "status": "alive" }))
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    if shared.draining.load(Ordering::Relaxed) {
        return json_reply(StatusCode::SERVICE_UNAVAILABLE, &json!({ "ready": false, "reason": "shutting down" }));
    }
    match shared.slot.get() {
        Some(model) => {
            json_reply(StatusCode::OK, &json!({ "ready": true, "bundle": model.id(), "model": model.model() }))
        }
        None => {
            json_reply(StatusCode::SERVICE_UNAVAILABLE, &json!({ "ready": false, "reason": "no bundle loaded yet" }))
        }
    }
}

async fn metadata(State(shared): State<Arc<Shared>>) -> Response {
    let Some(model) = shared.slot.get() else { return not_ready() };
    let metadata = json!({
        "bundle": model.id(),
        "model": model.model(),
        "manifest": model.manifest(),
        "card": model.card(),
    });
    json_reply(StatusCode::OK, &metadata)
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let served = shared.slot.get();
    let text = shared.metrics.render(served.as_ref().map(|m| (m.id(), m.model())));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

fn not_ready() -> Response {
    refuse(StatusCode::SERVICE_UNAVAILABLE, "no bundle is loaded yet: retry when GET /ready answers 200")
}

async fn reload(State(shared): State<Arc<Shared>>) -> Response {
    if shared.settings.token.is_none() {
        return refuse(
            StatusCode::FORBIDDEN,
            "reloading over HTTP needs a token: set `auth = token(env: \"NAME\")` in the deploy block, or send SIGHUP",
        );
    }
    let Some(loader) = &shared.loader else {
        return refuse(StatusCode::FORBIDDEN, "this server has nothing to reload from");
    };
    match reload_with(&shared, loader, Trigger::Admin).await {
        Ok((from, to)) => json_reply(StatusCode::OK, &json!({ "bundle": to, "previous": from })),
        Err(message) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &message),
    }
}

/// Reloads and tells the events; the error is the message a client may see.
pub async fn reload_with(
    shared: &Shared,
    loader: &Loader,
    trigger: Trigger,
) -> Result<(Option<String>, String), String> {
    match shared.slot.reload(loader).await {
        Ok(swapped) => {
            shared.metrics.reload(true);
            (shared.events)(Event::Reloaded { trigger, from: swapped.from.clone(), to: swapped.to.clone() });
            Ok((swapped.from, swapped.to))
        }
        Err(error) => {
            shared.metrics.reload(false);
            let served = shared.slot.get().map(|m| m.id().to_string());
            let message = match &served {
                Some(id) => format!("{error}; still serving bundle {id}"),
                None => error.to_string(),
            };
            (shared.events)(Event::ReloadFailed { trigger, error });
            Err(message)
        }
    }
}

async fn predict(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let timeout = shared.settings.timeout;
    match tokio::time::timeout(timeout, answer(&shared, &headers, body)).await {
        Ok(response) => response,
        Err(_) => refuse(
            StatusCode::GATEWAY_TIMEOUT,
            &format!("no prediction within the timeout of {} ms: send fewer rows or retry", timeout.as_millis()),
        ),
    }
}

async fn answer(shared: &Shared, headers: &HeaderMap, body: Body) -> Response {
    let Some(model) = shared.slot.get() else { return not_ready() };
    let kind = match limits::kind(headers) {
        Ok(kind) => kind,
        Err(refusal) => return refusal.into_response(),
    };
    let bytes = match limits::read_body(headers, body, shared.settings.max_body).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = match kind {
        Kind::Json => match limits::json_rows(&bytes, shared.settings.max_rows) {
            Ok(rows) => shared.batcher.predict(model.clone(), rows).await,
            Err(refusal) => return refusal.into_response(),
        },
        Kind::Csv => {
            if let Err(refusal) = limits::csv_rows(&bytes, shared.settings.max_rows) {
                return refusal.into_response();
            }
            csv(model.clone(), bytes).await
        }
    };
    match outcome {
        Outcome::Predicted(predictions) => {
            shared.metrics.predictions(predictions.iter().map(|p| p.class.as_deref()));
            reply(&model, predictions)
        }
        Outcome::Rejected(errors) => json_reply(StatusCode::BAD_REQUEST, &json!({ "errors": errors })),
        Outcome::Failed(message) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &message),
    }
}

/// A CSV body is one request's table: predicted on its own, on a blocking thread.
async fn csv(model: Served, bytes: Vec<u8>) -> Outcome {
    let predicted = tokio::task::spawn_blocking(move || model.predict_csv(&bytes)).await;
    match predicted {
        Ok(Ok(predictions)) => Outcome::Predicted(predictions),
        Ok(Err(errors)) => Outcome::Rejected(errors),
        Err(_) => Outcome::Failed("the model failed on this request".into()),
    }
}

fn reply(model: &Served, predictions: Vec<Prediction>) -> Response {
    let predictions: Vec<Value> = predictions.into_iter().map(|p| p.json).collect();
    json_reply(StatusCode::OK, &json!({ "bundle": model.id(), "model": model.model(), "predictions": predictions }))
}
