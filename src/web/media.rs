//! `/media/{id}`: a lesson's image or video, for anyone signed in (a page's session cookie or
//! an API client's bearer token), with byte ranges so that a video can be sought on a phone
//! without downloading the rest. The body is read a chunk at a time as it is sent.

use super::session;
use crate::{
    AppState, auth,
    media::{self, CHUNK_BYTES, Media, Wanted},
};
use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};
use tokio_stream::wrappers::ReceiverStream;

/// Who asks: the page session, else a bearer token.
async fn signed_in(state: &AppState, req: &Request) -> bool {
    if session::signed_in(state, req).await.is_some() {
        return true;
    }
    let bearer = req
        .header(header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(token) => auth::authenticate(state, token.trim()).await.is_ok(),
        None => false,
    }
}

#[handler]
pub async fn media_file(
    req: &Request,
    Path(id): Path<i64>,
    Data(state): Data<&AppState>,
) -> Response {
    if !signed_in(state, req).await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let file = match media::store::get(&state.db, id).await {
        Ok(Some(file)) => file,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(media_id = id, error = %e, "media not read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let tag = format!("\"{}\"", file.sha256);
    let resp = Response::builder()
        .header(header::ETAG, tag.as_str())
        .header(header::ACCEPT_RANGES, "bytes")
        // A file's bytes never change under its id; only the signed-in may hold it.
        .header(header::CACHE_CONTROL, "private, max-age=86400")
        .header(header::CONTENT_DISPOSITION, "inline");
    let fresh = req
        .header(header::IF_NONE_MATCH)
        .is_some_and(|held| held.split(',').any(|t| t.trim() == tag));
    if fresh {
        return resp.status(StatusCode::NOT_MODIFIED).finish();
    }
    // A range is honoured only while the file is the one the client held (If-Range).
    let range = req.header(header::RANGE).filter(|_| {
        req.header(header::IF_RANGE)
            .is_none_or(|held| held.trim() == tag)
    });
    let len = file.byte_count;
    let (first, last, resp) = match media::wanted(range, len) {
        Wanted::Whole => (0, len - 1, resp.status(StatusCode::OK)),
        Wanted::Part(a, b) => (
            a,
            b,
            resp.status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}")),
        ),
        Wanted::Unsatisfiable => {
            return resp
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .finish();
        }
    };
    resp.content_type(file.kind.content_type())
        .header(header::CONTENT_LENGTH, last - first + 1)
        .body(Body::from_bytes_stream(stream(
            state.clone(),
            file,
            first,
            last,
        )))
}

/// Bytes `first..=last` of the file, a chunk read at a time; at most two chunks are held
/// (the one being sent and the next).
fn stream(
    state: AppState,
    file: Media,
    first: u64,
    last: u64,
) -> ReceiverStream<std::io::Result<bytes::Bytes>> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        let chunk = CHUNK_BYTES as u64;
        for seq in first / chunk..=last / chunk {
            let start = seq * chunk;
            let bytes = match media::store::chunk(&state.db, file.id, seq as i64).await {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    tracing::error!(
                        media_id = file.id,
                        seq,
                        "a chunk of a complete file is missing"
                    );
                    let _ = tx.send(Err(std::io::Error::other("chunk missing"))).await;
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let from = first.saturating_sub(start) as usize;
            let to = ((last - start + 1) as usize).min(bytes.len());
            let part = bytes::Bytes::from(bytes).slice(from..to);
            if tx.send(Ok(part)).await.is_err() {
                // The client went away (a video sought elsewhere): read no more.
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}
