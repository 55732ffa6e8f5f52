//! `GET /api/flows/live?seconds=30`: read live flows from Hubble Relay
//! (`palisade serve --hubble-relay HOST:PORT`) for a while, with progress.
//!
//! The answer is a `text/event-stream`:
//! - `progress` events, about every second: `{"flows","elapsed_ms","seconds"}`;
//! - one `result` event: the same JSON as `POST /api/flows` answers
//!   (`{"aggregates","total_flows","inputs":[report]}`);
//! - or one `error` event: `{"error":{"code","message"}}`.
//!
//! The flows go through [`read_flows`](crate::hubble::relay::read_flows),
//! that is policy-core's reader and aggregation, as uploaded files do. When
//! the client goes away, reading stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use policy_core::flows::ReaderOptions;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::http::AppState;
use crate::http::api::flows::FlowsResponse;
use crate::http::error::ApiError;
use crate::hubble::relay::{FlowWindow, read_flows};

/// Longest reading window a client may ask for, in seconds.
pub const MAX_SECONDS: u64 = 300;
/// The default window, in seconds.
pub const DEFAULT_SECONDS: u64 = 30;
/// Readings at the same time, per server: each holds a Relay stream open.
pub const MAX_CONCURRENT_READINGS: usize = 8;

/// Query of `GET /api/flows/live`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct LiveQuery {
    /// How long to read new flows, 1 to 300 seconds (default 30).
    pub seconds: Option<u64>,
}

/// Reads live flows from Hubble Relay for `seconds`, streaming progress.
#[utoipa::path(
    get,
    path = "/api/flows/live",
    params(LiveQuery),
    responses(
        (status = 200, content_type = "text/event-stream", description = "`progress` events, then a `result` (as POST /api/flows answers) or an `error` event"),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "seconds out of range"),
        (status = 503, body = crate::http::openapi::ErrorEnvelope, description = "no Hubble Relay configured, or too many readings at once"),
    )
)]
pub async fn live(
    State(state): State<AppState>,
    Query(query): Query<LiveQuery>,
) -> Result<Response, ApiError> {
    let Some(relay) = state.config().hubble_relay.clone() else {
        return Err(ApiError::Unavailable(
            "this server reads no live flows: start it with `palisade serve --hubble-relay HOST:PORT`"
                .to_owned(),
        ));
    };
    let seconds = query.seconds.unwrap_or(DEFAULT_SECONDS);
    if !(1..=MAX_SECONDS).contains(&seconds) {
        return Err(ApiError::invalid(
            "invalid-seconds",
            format!("seconds must be between 1 and {MAX_SECONDS}, not {seconds}"),
            Some("seconds"),
        ));
    }
    let Ok(permit) = Arc::clone(state.live_readings()).try_acquire_owned() else {
        return Err(ApiError::Unavailable(format!(
            "{MAX_CONCURRENT_READINGS} live-flow readings are running already; retry when one ends"
        )));
    };
    let (tx, rx) = mpsc::channel::<Event>(16);
    tokio::spawn(async move {
        let _permit = permit;
        let started = Instant::now();
        let flows = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&flows);
        let window = FlowWindow {
            since: None,
            follow_for: Some(Duration::from_secs(seconds)),
        };
        let reading = read_flows(&relay, &window, ReaderOptions::default(), move |n| {
            counted.store(n, Ordering::Relaxed);
        });
        tokio::pin!(reading);
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        let progress = |flows: u64| {
            Event::default().event("progress").data(
                json!({
                    "flows": flows,
                    "elapsed_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "seconds": seconds,
                })
                .to_string(),
            )
        };
        let outcome = loop {
            tokio::select! {
                outcome = &mut reading => break outcome,
                _ = ticks.tick() => {
                    // A full channel (slow client) skips a tick; a closed one stops.
                    if let Err(mpsc::error::TrySendError::Closed(_)) =
                        tx.try_send(progress(flows.load(Ordering::Relaxed)))
                    {
                        return;
                    }
                }
                () = tx.closed() => return,
            }
        };
        let last = match outcome {
            Ok(live) => {
                let _ = tx.send(progress(live.report.flows)).await;
                let response = FlowsResponse {
                    total_flows: live.aggregates.total_flows,
                    aggregates: live.aggregates,
                    inputs: vec![live.report],
                };
                match serde_json::to_string(&response) {
                    Ok(body) => Event::default().event("result").data(body),
                    Err(err) => error_event("internal", format!("cannot serialize: {err}")),
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "live flows failed");
                error_event("hubble-relay", err.to_string())
            }
        };
        let _ = tx.send(last).await;
    });
    Ok(Sse::new(events(rx))
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn error_event(code: &str, message: String) -> Event {
    Event::default()
        .event("error")
        .data(json!({"error": {"code": code, "message": message}}).to_string())
}

fn events(rx: mpsc::Receiver<Event>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (Ok(event), rx))
    })
}
