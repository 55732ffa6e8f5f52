//! Streaming flow-log uploads (`/api/flows`, `/api/generate`, `/api/replay`).
//!
//! The body is never held whole: it is read frame by frame (raw body) or
//! field by field and chunk by chunk (`multipart/form-data`), and each chunk
//! is handed through a small bounded channel to a blocking task that feeds
//! policy-core's push parser ([`FlowReader`]) and the [`Aggregator`]. The
//! channel's bound gives back-pressure: a slow parser slows the upload down
//! instead of buffering it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use futures_util::StreamExt as _;
use policy_core::flows::{
    AggregateOptions, Aggregates, Aggregator, FlowReader, ReadError, ReadReport, ReaderOptions,
};
use tokio::sync::mpsc;

use crate::http::AppState;
use crate::http::error::ApiError;

/// Name of multipart fields holding flow logs (any part with a file name is one too).
pub const FLOWS_FIELD: &str = "flows";

/// Chunks in flight between the upload and the parser.
const CHANNEL_DEPTH: usize = 16;

/// A piece of the upload for the parsing task.
enum Piece {
    /// A new flow file starts (multipart field or the raw body).
    Start,
    /// The next bytes of the current flow file.
    Chunk(Bytes),
}

/// What an upload held besides flows.
pub struct Upload {
    /// Text fields of a multipart upload, by field name (such as `policies`).
    pub fields: HashMap<String, String>,
    /// Read and aggregated flows.
    pub aggregates: Aggregates,
    /// One read report per flow file.
    pub inputs: Vec<ReadReport>,
}

/// Reads an upload, streaming flow data into the aggregator.
///
/// - A raw body (any content type except multipart) is one flow file.
/// - In `multipart/form-data`, parts named in `text_fields` are read as UTF-8
///   text (at most `max_body_bytes` each); parts named `flows` or carrying a
///   file name are flow files; other parts are refused.
///
/// The whole body may not exceed `max_upload_bytes` (413).
pub async fn read_upload(
    request: Request,
    state: &AppState,
    text_fields: &[&str],
) -> Result<Upload, ApiError> {
    let (tx, rx) = mpsc::channel::<Piece>(CHANNEL_DEPTH);
    let worker = tokio::task::spawn_blocking(move || parse_flows(rx));
    let sent = send_upload(request, state, text_fields, &tx).await;
    drop(tx);
    let parsed = worker
        .await
        .map_err(|err| ApiError::Internal(format!("flow parser task failed: {err}")))?;
    // An upload error (413, a broken multipart body) wins over what the
    // parser made of the partial input; a parser error wins otherwise.
    let (fields, files) = sent?;
    let (aggregates, inputs) =
        parsed.map_err(|err| ApiError::invalid("invalid-flows", err.to_string(), None))?;
    if files == 0 {
        return Err(ApiError::invalid(
            "no-flows",
            "the upload holds no flow log: send Hubble JSON output",
            None,
        ));
    }
    Ok(Upload {
        fields,
        aggregates,
        inputs,
    })
}

/// The parsing task: one [`FlowReader`] per flow file, one [`Aggregator`] for all.
fn parse_flows(mut rx: mpsc::Receiver<Piece>) -> Result<(Aggregates, Vec<ReadReport>), ReadError> {
    let mut aggregator = Aggregator::new(AggregateOptions::default());
    let mut reports = Vec::new();
    let mut reader: Option<FlowReader> = None;
    let mut on_flow = |event: &policy_core::flows::FlowEvent<'_>| aggregator.add(event);
    while let Some(piece) = rx.blocking_recv() {
        match piece {
            Piece::Start => {
                if let Some(done) = reader.take() {
                    reports.push(done.finish(&mut on_flow)?);
                }
                reader = Some(FlowReader::new(ReaderOptions::default()));
            }
            Piece::Chunk(bytes) => {
                if let Some(current) = reader.as_mut() {
                    current.feed(&bytes, &mut on_flow)?;
                }
            }
        }
    }
    if let Some(done) = reader.take() {
        reports.push(done.finish(&mut on_flow)?);
    }
    Ok((aggregator.finish(), reports))
}

/// Streams the body into `tx`. Returns the text fields and the number of flow
/// files. Stops quietly when the parser has stopped (its error is reported).
async fn send_upload(
    request: Request,
    state: &AppState,
    text_fields: &[&str],
    tx: &mpsc::Sender<Piece>,
) -> Result<(HashMap<String, String>, usize), ApiError> {
    let limit = state.config().max_upload_bytes;
    let mut total: u64 = 0;
    let mut count = |len: usize| -> Result<(), ApiError> {
        total += len as u64;
        if total > limit {
            Err(ApiError::PayloadTooLarge { limit })
        } else {
            Ok(())
        }
    };
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });

    if !is_multipart {
        if request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|n| n > limit)
        {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        if tx.send(Piece::Start).await.is_err() {
            return Ok((HashMap::new(), 1));
        }
        let mut stream = request.into_body().into_data_stream();
        while let Some(frame) = stream.next().await {
            let bytes = frame.map_err(|err| {
                ApiError::invalid("bad-body", format!("cannot read the upload: {err}"), None)
            })?;
            count(bytes.len())?;
            if tx.send(Piece::Chunk(bytes)).await.is_err() {
                break;
            }
        }
        return Ok((HashMap::new(), 1));
    }

    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|rejection| ApiError::invalid("bad-multipart", rejection.body_text(), None))?;
    let mut fields = HashMap::new();
    let mut files = 0;
    let text_limit = state.config().max_body_bytes;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|err| multipart_error(err, limit))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if text_fields.contains(&name.as_str()) {
            let mut text = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|err| multipart_error(err, limit))?
            {
                count(chunk.len())?;
                if text.len() + chunk.len() > text_limit {
                    return Err(ApiError::PayloadTooLarge {
                        limit: text_limit as u64,
                    });
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| {
                ApiError::invalid(
                    "invalid-utf8",
                    format!("field {name:?} is not UTF-8"),
                    Some(&name),
                )
            })?;
            fields.insert(name, text);
            continue;
        }
        if name != FLOWS_FIELD && field.file_name().is_none() {
            return Err(ApiError::invalid(
                "unexpected-field",
                format!(
                    "unexpected form field {name:?}: send flow logs as files or in fields named {FLOWS_FIELD:?}"
                ),
                Some(&name),
            ));
        }
        files += 1;
        if tx.send(Piece::Start).await.is_err() {
            return Ok((fields, files));
        }
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|err| multipart_error(err, limit))?
        {
            count(chunk.len())?;
            if tx.send(Piece::Chunk(chunk)).await.is_err() {
                return Ok((fields, files));
            }
        }
    }
    Ok((fields, files))
}

fn multipart_error(err: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::invalid("bad-multipart", err.body_text(), None)
    }
}
