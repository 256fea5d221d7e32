//! The stylesheet and scripts, embedded in the binary. Their URLs carry no version, so they
//! are revalidated by ETag rather than cached blindly.

use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::Path,
};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "site.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../assets/site.css"),
    },
    Asset {
        name: "exam.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/exam.js"),
    },
    Asset {
        name: "register.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/register.js"),
    },
    Asset {
        name: "lesson.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/lesson.js"),
    },
    Asset {
        name: "proctor.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/proctor.js"),
    },
    Asset {
        name: "set-password.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/set-password.js"),
    },
];

fn etag(body: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..8]))
}

/// Each asset gzipped once, the first time it is asked for.
static ZIPPED: LazyLock<Vec<Option<Vec<u8>>>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| super::gzip(a.body.as_bytes()))
        .collect()
});

#[handler]
pub fn asset(req: &Request, Path(name): Path<String>) -> Response {
    let Some(index) = ASSETS.iter().position(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asset = &ASSETS[index];
    let tag = etag(asset.body);
    let fresh = req
        .header(header::IF_NONE_MATCH)
        .is_some_and(|held| held.split(',').any(|t| t.trim() == tag));
    let resp = Response::builder()
        .header(header::ETAG, tag)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::VARY, "Accept-Encoding");
    if fresh {
        return resp.status(StatusCode::NOT_MODIFIED).finish();
    }
    let resp = resp.content_type(asset.content_type);
    match &ZIPPED[index] {
        Some(zipped) if super::accepts_gzip(req) => resp
            .header(header::CONTENT_ENCODING, "gzip")
            .body(zipped.clone()),
        _ => resp.body(asset.body),
    }
}
