//! Reading request bodies with a size limit and a deadline, so that no client can hold the server's memory or a
//! share of a budget by sending slowly. Every route that reads a body goes through here (or through `JsonBody`,
//! which does).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::error::ApiError;

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge { message: format!("the body is larger than {limit} bytes"), field: None }
}

/// The whole body, at most `limit` bytes, within `deadline` from now.
pub async fn read(body: Body, limit: usize, deadline: Duration) -> Result<Bytes, ApiError> {
    read_charged(body, limit, deadline, None).await.map(|(bytes, _)| bytes)
}

/// The whole body, charging every byte as it arrives to `budget` (one permit per byte): a body holds only what it
/// has actually sent, whatever its `Content-Length` says, and never more than `limit`. When the budget is spent, 503 (the
/// client retries; nothing was read into a save). The permit is returned for the caller to hold while it works on
/// the body.
pub async fn read_charged(
    body: Body,
    limit: usize,
    deadline: Duration,
    budget: Option<&Arc<Semaphore>>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), ApiError> {
    let reading = async {
        let mut stream = body.into_data_stream();
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut len = 0usize;
        let mut held: Option<OwnedSemaphorePermit> = None;
        while let Some(chunk) = stream.next().await {
            // The raw body carries no limit of axum's (that is applied by its extractors), so an error here is the
            // connection's: the client went away or broke the framing.
            let chunk = chunk
                .map_err(|_| ApiError::bad_request("unreadable_body", "the body could not be read to its end", None))?;
            len += chunk.len();
            if len > limit {
                return Err(too_large(limit));
            }
            if let (Some(budget), Ok(n @ 1..)) = (budget, u32::try_from(chunk.len())) {
                let permit = budget
                    .clone()
                    .try_acquire_many_owned(n)
                    .map_err(|_| ApiError::Overloaded("the server is busy; retry shortly"))?;
                match held.as_mut() {
                    Some(h) => h.merge(permit),
                    None => held = Some(permit),
                }
            }
            chunks.push(chunk);
        }
        let bytes = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.pop().unwrap_or_default(),
            _ => Bytes::from(chunks.concat()),
        };
        Ok((bytes, held))
    };
    tokio::time::timeout(deadline, reading).await.map_err(|_| ApiError::BodyTimeout(deadline.as_secs()))?
}
