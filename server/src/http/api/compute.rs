//! Running policy-core analyses from async handlers.

use crate::http::error::ApiError;

/// Inputs up to this size are analysed on the async worker (microseconds of
/// work); larger ones move to the blocking pool so they cannot stall other
/// connections.
pub const INLINE_LIMIT: usize = 64 * 1024;

/// Runs `work` inline when `input_len` is small, else on the blocking pool.
pub async fn analyse<T, F>(input_len: usize, work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if input_len <= INLINE_LIMIT {
        Ok(work())
    } else {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|err| ApiError::Internal(format!("analysis task failed: {err}")))
    }
}
