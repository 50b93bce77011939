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
    /// Every prediction's id.
    pub ids: crate::live::Ids,
    /// The live monitor (`None`: no windows, no feedback).
    pub live: Option<crate::live::Live>,
    /// How alerts are retried.
    pub retry: crate::webhook::Retry,
}

/// The routes a label in `/metrics` may name; any other path counts as `unmatched`.
const ROUTES: &[&str] =
    &["/predict", "/feedback", "/monitor", "/health", "/ready", "/metadata", "/metrics", "/admin/reload"];

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
        .route("/monitor", get(monitor))
        .route("/feedback", post(feedback))
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
        "no such route: the routes are POST /predict, /feedback, GET /health, /ready, /metadata, /metrics, /monitor",
    )
}

async fn method_not_allowed() -> Response {
    refuse(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take this method: POST /predict and /feedback, GET the others",
    )
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
    let mut text = shared.metrics.render(served.as_ref().map(|m| (m.id(), m.model())));
    if let Some(live) = &shared.live {
        live.render(&mut text);
    }
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
            if let (Some(live), Some(model)) = (&shared.live, shared.slot.get()) {
                live.swapped(&model);
            }
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

/// `GET /monitor`: the window, its drift, every condition's outcome, labels and recent firings
/// (recomputed first when rows or labels arrived since the last figures).
async fn monitor(State(shared): State<Arc<Shared>>) -> Response {
    let Some(live) = &shared.live else {
        return refuse(StatusCode::NOT_FOUND, "this server does not monitor: it was started with `--no-monitor`");
    };
    if live.stale() {
        crate::live::recompute_now(&shared).await;
    }
    json_reply(StatusCode::OK, &live.report())
}

/// `POST /feedback` (`feedback.rs`).
async fn feedback(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let Some(model) = shared.slot.get() else { return not_ready() };
    if shared.live.is_none() {
        return refuse(
            StatusCode::NOT_FOUND,
            "this server does not monitor (started with `--no-monitor`): feedback has nowhere to go",
        );
    }
    match limits::kind(&headers) {
        Ok(Kind::Json) => {}
        Ok(Kind::Csv) => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "feedback is JSON: send `Content-Type: application/json`",
            );
        }
        Err(refusal) => return refusal.into_response(),
    }
    let bytes = match limits::read_body(&headers, body, shared.settings.max_body).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal.into_response(),
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &format!("the body is not JSON: {e}")),
    };
    match crate::feedback::apply(&shared, &model, value).await {
        Ok(reply) => {
            crate::live::spawn_recompute(&shared);
            json_reply(StatusCode::OK, &reply)
        }
        Err(errors) => json_reply(StatusCode::BAD_REQUEST, &json!({ "errors": errors })),
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

async fn answer(shared: &Arc<Shared>, headers: &HeaderMap, body: Body) -> Response {
    let Some(model) = shared.slot.get() else { return not_ready() };
    let kind = match limits::kind(headers) {
        Ok(kind) => kind,
        Err(refusal) => return refusal.into_response(),
    };
    let bytes = match limits::read_body(headers, body, shared.settings.max_body).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal.into_response(),
    };
    let (outcome, rows) = match kind {
        Kind::Json => match limits::json_rows(&bytes, shared.settings.max_rows) {
            Ok(rows) => shared.batcher.predict(model.clone(), rows).await,
            Err(refusal) => return refusal.into_response(),
        },
        Kind::Csv => {
            if let Err(refusal) = limits::csv_rows(&bytes, shared.settings.max_rows) {
                return refusal.into_response();
            }
            let rows = if shared.live.is_some() { crate::limits::csv_objects(&bytes) } else { Vec::new() };
            (csv(model.clone(), bytes).await, rows)
        }
    };
    match outcome {
        Outcome::Predicted(predictions) => {
            shared.metrics.predictions(predictions.iter().map(|p| p.class.as_deref()));
            let ids = shared.ids.take(predictions.len());
            if let Some(live) = &shared.live {
                match live.record(&model, rows, &predictions, ids.clone(), true).await {
                    Ok(true) => crate::live::spawn_recompute(shared),
                    Ok(false) => {}
                    Err(message) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &message),
                }
            }
            reply(&model, predictions, ids)
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

/// Each prediction with its id first: `{"id", "class", "probabilities"}` or `{"id", "value"}`.
fn reply(model: &Served, predictions: Vec<Prediction>, ids: Vec<String>) -> Response {
    let predictions: Vec<Value> = predictions
        .into_iter()
        .zip(ids)
        .map(|(p, id)| match p.json {
            Value::Object(fields) => {
                let mut with_id = serde_json::Map::with_capacity(fields.len() + 1);
                with_id.insert("id".into(), Value::String(id));
                with_id.extend(fields);
                Value::Object(with_id)
            }
            other => json!({ "id": id, "prediction": other }),
        })
        .collect();
    json_reply(StatusCode::OK, &json!({ "bundle": model.id(), "model": model.model(), "predictions": predictions }))
}
