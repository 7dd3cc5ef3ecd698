//! The daemon's HTTP API (JSON): health and metrics are open; everything
//! else needs `Authorization: Bearer <token>`, the token the daemon wrote
//! (0600) when it started. `/openapi.json` describes it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{Control, DaemonStatus, Metrics};
use crate::substitute::Substitutions;

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The bearer token.
    pub token: Arc<String>,
    /// The daemon's status.
    pub status: Arc<Mutex<DaemonStatus>>,
    /// The daemon's metrics.
    pub metrics: Arc<Metrics>,
    /// Requests to the daemon's loop.
    pub control: mpsc::Sender<Control>,
    /// The substitutions file of the state.
    pub substitutions_file: PathBuf,
}

/// The API's routes.
pub fn router(state: ApiState) -> Router {
    // What changes the cluster or the state: the leader's alone.
    let leader_only = Router::new()
        .route("/v1/substitutions/charts", post(add_chart).delete(remove_chart))
        .route("/v1/substitutions/images", post(add_image).delete(remove_image))
        .route("/v1/sync", post(sync_now))
        .route("/v1/drift", post(drift_now))
        .route("/v1/reload", post(reload))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_leader));
    let protected = Router::new()
        .route("/v1/status", get(status))
        .route("/v1/substitutions", get(list_substitutions))
        .route("/v1/shutdown", post(shutdown))
        .merge(leader_only)
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .merge(protected)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint; GET /openapi.json lists them") })
        .with_state(state)
}

/// The open, read-only routes (`--probe-listen`): liveness, readiness and
/// metrics, for kubelet probes and Prometheus on any interface.
pub fn probe_router(state: ApiState) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "this address serves /health, /ready and /metrics only") })
        .with_state(state)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

async fn require_token(State(state): State<ApiState>, headers: HeaderMap, request: Request, next: Next) -> Response {
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match given {
        None => error(
            StatusCode::UNAUTHORIZED,
            "this endpoint needs `Authorization: Bearer <token>`; the token is in the daemon's token file (`helmfire daemon status` shows where)",
        ),
        Some(token) if !same(token.trim().as_bytes(), state.token.as_bytes()) => {
            error(StatusCode::UNAUTHORIZED, "the bearer token is wrong; read it again from the daemon's token file")
        }
        Some(_) => next.run(request).await,
    }
}

/// A follower (`--leader-elect`, not holding the Lease) answers reads
/// only, and says who leads.
async fn require_leader(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let leader = state.status.lock().ok().and_then(|s| s.leader.clone());
    match leader {
        Some(l) if !l.leading => {
            let who = l.leader.as_deref().map_or("not known yet".to_string(), |id| format!("`{id}`"));
            let body = json!({
                "error": format!("this daemon ({}) is a follower and does not change anything; the leader of Lease {} is {who}: send this to it", l.identity, l.lease),
                "leader": l.leader,
            });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
        _ => next.run(request).await,
    }
}

/// Readiness: the state has loaded, and with `--leader-elect` the daemon
/// knows whether it leads or who does.
async fn ready(State(state): State<ApiState>) -> Response {
    let status = state.status.lock().map(|s| s.clone()).unwrap_or_default();
    let (role, known) = match &status.leader {
        None => ("single", true),
        Some(l) if l.leading => ("leader", true),
        Some(l) => ("follower", l.leader.is_some()),
    };
    let body =
        json!({"loaded": status.loaded, "role": role, "leader": status.leader.as_ref().and_then(|l| l.leader.clone())});
    let code = if status.loaded && known { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}

/// Compares in time independent of where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn metrics(State(state): State<ApiState>) -> Response {
    let (leader, source) = state.status.lock().map(|s| (s.leader.clone(), s.source.clone())).unwrap_or_default();
    let mut text = state.metrics.render();
    if let Some(leader) = leader {
        text += &super::metrics::leadership(&leader);
    }
    if let Some(source) = source {
        text += &super::metrics::source(&source);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn status(State(state): State<ApiState>) -> Response {
    let status = state.status.lock().map(|s| s.clone()).unwrap_or_default();
    Json(status).into_response()
}

async fn ask(state: &ApiState, make: impl FnOnce(oneshot::Sender<Value>) -> Control) -> Response {
    let (tx, rx) = oneshot::channel();
    if state.control.send(make(tx)).await.is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the daemon is stopping");
    }
    match rx.await {
        Ok(answer) => Json(answer).into_response(),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the daemon stopped before answering"),
    }
}

async fn sync_now(State(state): State<ApiState>) -> Response {
    ask(&state, Control::SyncNow).await
}

async fn drift_now(State(state): State<ApiState>) -> Response {
    ask(&state, Control::DriftNow).await
}

async fn reload(State(state): State<ApiState>) -> Response {
    ask(&state, Control::Reload).await
}

async fn shutdown(State(state): State<ApiState>) -> Response {
    let _ = state.control.send(Control::Shutdown).await;
    (StatusCode::ACCEPTED, Json(json!({"status": "stopping"}))).into_response()
}

async fn list_substitutions(State(state): State<ApiState>) -> Response {
    match Substitutions::load(&state.substitutions_file) {
        Ok(subs) => Json(subs).into_response(),
        Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
    }
}

#[derive(Deserialize)]
struct ChartBody {
    original: String,
    path: PathBuf,
}

#[derive(Deserialize)]
struct ImageBody {
    original: String,
    replacement: String,
}

#[derive(Deserialize)]
struct Original {
    original: String,
}

/// Changes the substitutions file, serialised with every other change (see
/// `Substitutions::update`); the daemon's watch sees the change and
/// applies it, as it would an edit by hand.
fn edit(state: &ApiState, change: impl FnOnce(&mut Substitutions) -> Result<(), String>) -> Response {
    enum Failed {
        File(crate::substitute::SubstitutionError),
        Request(String),
    }
    impl From<crate::substitute::SubstitutionError> for Failed {
        fn from(e: crate::substitute::SubstitutionError) -> Self {
            Failed::File(e)
        }
    }
    let result = tokio::task::block_in_place(|| {
        Substitutions::update(&state.substitutions_file, |subs| change(subs).map_err(Failed::Request))
    });
    match result {
        Ok(subs) => Json(subs).into_response(),
        Err(Failed::Request(message)) => error(StatusCode::BAD_REQUEST, &message),
        Err(Failed::File(e)) => error(StatusCode::CONFLICT, &e.to_string()),
    }
}

async fn add_chart(State(state): State<ApiState>, Json(body): Json<ChartBody>) -> Response {
    edit(&state, |subs| {
        if !body.path.is_absolute() || !body.path.join("Chart.yaml").is_file() {
            return Err(format!("{} is not an absolute path to a chart directory", body.path.display()));
        }
        subs.charts.insert(body.original, body.path);
        Ok(())
    })
}

async fn add_image(State(state): State<ApiState>, Json(body): Json<ImageBody>) -> Response {
    edit(&state, |subs| {
        if body.original.trim().is_empty() || body.replacement.trim().is_empty() {
            return Err("an image substitution needs `original` and `replacement`".into());
        }
        subs.images.insert(body.original, body.replacement);
        Ok(())
    })
}

async fn remove_chart(State(state): State<ApiState>, Query(q): Query<Original>) -> Response {
    edit(&state, |subs| {
        subs.charts.remove(&q.original).map(|_| ()).ok_or(format!("no chart substitution for {}", q.original))
    })
}

async fn remove_image(State(state): State<ApiState>, Query(q): Query<Original>) -> Response {
    edit(&state, |subs| {
        subs.images.remove(&q.original).map(|_| ()).ok_or(format!("no image substitution for {}", q.original))
    })
}

/// The OpenAPI 3.1 description of the API.
pub fn openapi() -> Value {
    let bearer = json!([{"bearer": []}]);
    let op = |summary: &str, secured: bool| {
        let mut o = json!({"summary": summary, "responses": {"200": {"description": "OK"}, "401": {"description": "missing or wrong bearer token"}}});
        if secured {
            o["security"] = bearer.clone();
        } else {
            o["security"] = json!([]);
            o["responses"].as_object_mut().map(|r| r.remove("401"));
        }
        o
    };
    let original = json!([{"name": "original", "in": "query", "required": true, "schema": {"type": "string"}}]);
    let body = |props: Value| json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": props}}}});
    let mut add_chart = op("Use a local chart directory instead of a chart", true);
    add_chart["requestBody"] = body(json!({"original": {"type": "string"}, "path": {"type": "string"}}));
    let mut add_image = op("Use another image", true);
    add_image["requestBody"] = body(json!({"original": {"type": "string"}, "replacement": {"type": "string"}}));
    let mut remove_chart = op("Stop a chart substitution", true);
    remove_chart["parameters"] = original.clone();
    let mut remove_image = op("Stop an image substitution", true);
    remove_image["parameters"] = original;
    json!({
        "openapi": "3.1.0",
        "info": {"title": "helmfire daemon", "version": env!("CARGO_PKG_VERSION")},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/health": {"get": op("Liveness", false)},
            "/ready": {"get": op("Readiness: the state loaded, and with --leader-elect the leader known (503 until then)", false)},
            "/metrics": {"get": op("Prometheus metrics", false)},
            "/openapi.json": {"get": op("This document", false)},
            "/v1/status": {"get": op("Releases, last sync, last drift check, last error, leader", true)},
            "/v1/substitutions": {"get": op("Chart and image substitutions", true)},
            "/v1/substitutions/charts": {"post": add_chart, "delete": remove_chart},
            "/v1/substitutions/images": {"post": add_image, "delete": remove_image},
            "/v1/sync": {"post": op("Sync now (apply what differs)", true)},
            "/v1/drift": {"post": op("Check drift now (heals with --heal)", true)},
            "/v1/reload": {"post": op("Reload the state and apply what changed", true)},
            "/v1/shutdown": {"post": op("Stop the daemon", true)},
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }

    #[test]
    fn every_route_is_documented() {
        let doc = openapi();
        for path in [
            "/health",
            "/ready",
            "/metrics",
            "/v1/status",
            "/v1/substitutions/charts",
            "/v1/sync",
            "/v1/drift",
            "/v1/reload",
            "/v1/shutdown",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        assert_eq!(doc["paths"]["/v1/sync"]["post"]["security"][0]["bearer"], json!([]));
    }
}
