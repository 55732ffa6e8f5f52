//! An Observer server that streams recorded flows: the stand-in for Hubble
//! Relay in tests and demos (Relay itself needs a Cilium cluster).
//!
//! It reads `hubble observe -o json` output (one `GetFlowsResponse` per
//! line) and answers every `GetFlows` call with those records, in order;
//! with `follow` it keeps the stream open after the last record until the
//! client goes away. It applies no filters (Palisade sends none) and does
//! not filter by `since`/`until`: recorded flows are from the past.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use super::proto::observer::observer_server::{Observer, ObserverServer};
use super::proto::observer::{GetFlowsRequest, GetFlowsResponse};

/// Recorded `GetFlowsResponse`s, served over the Observer API.
#[derive(Clone, Debug, Default)]
pub struct RecordedObserver {
    responses: Arc<Vec<GetFlowsResponse>>,
    pace: Duration,
}

/// A recorded line is not a `GetFlowsResponse`.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: not a GetFlowsResponse: {message}")]
pub struct RecordError {
    /// 1-based line.
    pub line: usize,
    /// The JSON error.
    pub message: String,
}

impl RecordedObserver {
    /// Reads `hubble observe -o json` lines; blank lines are skipped.
    pub fn from_json_lines(text: &str) -> Result<RecordedObserver, RecordError> {
        let mut responses = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let response: GetFlowsResponse =
                serde_json::from_str(line).map_err(|err| RecordError {
                    line: index + 1,
                    message: err.to_string(),
                })?;
            responses.push(response);
        }
        Ok(RecordedObserver {
            responses: Arc::new(responses),
            pace: Duration::ZERO,
        })
    }

    /// Waits this long before each record (to watch progress in a demo).
    #[must_use]
    pub fn with_pace(mut self, pace: Duration) -> Self {
        self.pace = pace;
        self
    }

    /// The records.
    pub fn responses(&self) -> &[GetFlowsResponse] {
        &self.responses
    }

    /// The tonic service, to add to a `tonic::transport::Server`.
    pub fn into_service(self) -> ObserverServer<RecordedObserver> {
        ObserverServer::new(self)
    }

    /// Serves the Observer API on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> Result<(), tonic::transport::Error> {
        tonic::transport::Server::builder()
            .add_service(self.into_service())
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                shutdown,
            )
            .await
    }
}

type FlowStream = Pin<Box<dyn Stream<Item = Result<GetFlowsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Observer for RecordedObserver {
    type GetFlowsStream = FlowStream;

    async fn get_flows(
        &self,
        request: Request<GetFlowsRequest>,
    ) -> Result<Response<Self::GetFlowsStream>, Status> {
        let request = request.into_inner();
        let responses = Arc::clone(&self.responses);
        let pace = self.pace;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            for response in responses.iter() {
                if !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
                if tx.send(Ok(response.clone())).await.is_err() {
                    return;
                }
            }
            if request.follow {
                // Hold the stream open, as Relay does, until the client leaves.
                tx.closed().await;
            }
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
