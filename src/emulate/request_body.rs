//! Reading a request body, once the request has earned it: the front authenticates an API call
//! before calling this, so an unauthenticated upload is never read. A body is read up to its
//! route's cap, within the body timeout; one whose declared `Content-Length` is over the cap is
//! refused unread.

use std::time::Duration;

use axum::body::Body as AxumBody;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

/// Largest API request body (the Bulk API's 150 MB upload limit, plus headroom so the limit
/// itself can be reported by the upload resource).
pub const MAX_API_BODY: usize = 150 * 1024 * 1024 + 1024;

/// Largest body of an OAuth endpoint (a form; a JWT assertion is a few KB).
pub const MAX_OAUTH_BODY: usize = 1024 * 1024;

/// Why a body could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProblem {
    /// Declared or found larger than the cap.
    TooLarge,
    /// The client went away or sent a broken (e.g. chunked) body.
    Broken,
    /// Not all of it arrived within the body timeout.
    TimedOut,
}

/// The declared `Content-Length`, if any.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads the whole body, at most `cap` bytes, within `timeout`.
pub async fn read(
    body: AxumBody,
    headers: &HeaderMap,
    cap: usize,
    timeout: Duration,
) -> Result<Bytes, BodyProblem> {
    tokio::time::timeout(timeout, read_capped(body, headers, cap))
        .await
        .unwrap_or(Err(BodyProblem::TimedOut))
}

async fn read_capped(
    body: AxumBody,
    headers: &HeaderMap,
    cap: usize,
) -> Result<Bytes, BodyProblem> {
    let declared = declared_length(headers);
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(BodyProblem::TooLarge);
    }
    let mut stream = body.into_data_stream();
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyProblem::Broken)?;
        let have = first.as_ref().map_or(0, Bytes::len) + buf.len();
        if have + chunk.len() > cap {
            return Err(BodyProblem::TooLarge);
        }
        // One chunk (most small bodies) is kept without a copy.
        match first.take() {
            None if buf.is_empty() => first = Some(chunk),
            taken => {
                if buf.is_empty() {
                    let size = declared.map_or(0, |n| n as usize).max(have + chunk.len());
                    buf.reserve(size);
                }
                if let Some(f) = taken {
                    buf.extend_from_slice(&f);
                }
                buf.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| buf.freeze()))
}
