//! The security headers every response carries, the server's own 503 included.

use poem::{
    Response,
    http::header::{self, HeaderValue},
};

/// The policy for our own pages: scripts and styles only from this server (styles may still
/// be inline), no framing, forms post only here. Swagger UI inlines its script, so its pages
/// get a policy that allows that.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'; object-src 'none'";
const CSP_SWAGGER_UI: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Adds the headers to `resp`; `docs`: it is a Swagger UI page.
pub fn secure(resp: &mut Response, docs: bool) {
    let headers = resp.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { CSP_SWAGGER_UI } else { CSP }),
    );
}
