//! Page sessions: the API's own token in an HttpOnly cookie, and the cross-site request
//! guard every state-changing form and page script must pass.
//!
//! The cross-site guard is a double-submit token: a random value in its own cookie, which a
//! page repeats in a hidden form field or an `X-CSRF-Token` header. Another site can make the
//! browser send our cookies but cannot read them, so it cannot repeat the value.

use crate::{AppState, auth, auth::Caller};
use chrono::{DateTime, Utc};
use poem::{Endpoint, IntoResponse, Request, Response, http::HeaderValue, http::header};

pub const SESSION_COOKIE: &str = "sc_session";
pub const CSRF_COOKIE: &str = "sc_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The hidden field every page form carries.
pub const CSRF_FIELD: &str = "csrf";

/// A form whose only field is the cross-site token (a button that does one thing).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

/// One cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// The signed-in person of a page request, if the session cookie holds a live token.
pub async fn signed_in(state: &AppState, req: &Request) -> Option<Caller> {
    let token = cookie(req, SESSION_COOKIE)?;
    auth::authenticate(state, token).await.ok()
}

/// Cookies are `Secure` when the service is reached over https (as PUBLIC_BASE_URL says).
fn secure(state: &AppState) -> bool {
    state.config.public_base_url.starts_with("https://")
}

fn set_cookie(resp: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Starts the page session with a token from `auth::login`.
pub fn start_session(
    state: &AppState,
    resp: &mut Response,
    token: &str,
    expires_at: DateTime<Utc>,
) {
    let max_age = (expires_at - Utc::now()).num_seconds().max(0);
    let secure = if secure(state) { "; Secure" } else { "" };
    set_cookie(
        resp,
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ),
    );
}

/// Forgets the session cookie (the token itself is revoked by `auth::logout`).
pub fn end_session(state: &AppState, resp: &mut Response) {
    let secure = if secure(state) { "; Secure" } else { "" };
    set_cookie(
        resp,
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    );
}

/// The request's cross-site token, and whether the response must set it (first visit).
pub fn csrf_token(req: &Request) -> (String, bool) {
    match cookie(req, CSRF_COOKIE) {
        Some(t) if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (t.to_string(), false)
        }
        _ => {
            use argon2::password_hash::rand_core::{OsRng, RngCore};
            let mut bytes = [0u8; 16];
            OsRng.fill_bytes(&mut bytes);
            (hex::encode(bytes), true)
        }
    }
}

/// Sets the cross-site token's cookie on a page that handed a new one out.
pub fn remember_csrf(state: &AppState, resp: &mut Response, token: &str) {
    let secure = if secure(state) { "; Secure" } else { "" };
    set_cookie(
        resp,
        format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"),
    );
}

/// True when `given` repeats the request's cross-site cookie. Compared in constant time.
pub fn csrf_ok(req: &Request, given: Option<&str>) -> bool {
    let (Some(expected), Some(given)) = (cookie(req, CSRF_COOKIE), given) else {
        return false;
    };
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Lets the page scripts call the JSON API with the session cookie: a request to `/api/`
/// without an `Authorization` header gets the cookie's token as its bearer, but only a safe
/// read, or a write that repeats the cross-site token in `X-CSRF-Token`. A write without it
/// goes on unauthenticated and is refused by the operation like any other.
pub async fn api_cookie_bridge<E: Endpoint>(
    ep: std::sync::Arc<E>,
    mut req: Request,
) -> poem::Result<Response> {
    if req.uri().path().starts_with("/api/")
        && !req.headers().contains_key(header::AUTHORIZATION)
        && let Some(token) = cookie(&req, SESSION_COOKIE).map(str::to_string)
    {
        let safe = req.method().is_safe();
        let vouched = safe || csrf_ok(&req, req.header(CSRF_HEADER));
        if vouched && let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
            req.headers_mut().insert(header::AUTHORIZATION, v);
        }
    }
    Ok(ep.call(req).await?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cookies: &str) -> Request {
        Request::builder().header(header::COOKIE, cookies).finish()
    }

    #[test]
    fn cookies_are_read_by_name() {
        let req = request("a=1; sc_session=tok; sc_csrf=\"abc\"");
        assert_eq!(cookie(&req, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&req, CSRF_COOKIE), Some("abc"));
        assert_eq!(cookie(&req, "missing"), None);
        assert_eq!(cookie(&request("sc_session="), SESSION_COOKIE), None);
    }

    #[test]
    fn the_cross_site_token_must_repeat_the_cookie() {
        let token = "0123456789abcdef0123456789abcdef";
        let req = request(&format!("sc_csrf={token}"));
        assert!(csrf_ok(&req, Some(token)));
        assert!(!csrf_ok(&req, Some("0123456789abcdef0123456789abcdee")));
        assert!(!csrf_ok(&req, Some("")));
        assert!(!csrf_ok(&req, None));
        assert!(!csrf_ok(&request(""), Some(token)), "no cookie, no pass");
        let (kept, new) = csrf_token(&req);
        assert_eq!((kept.as_str(), new), (token, false));
        let (fresh, new) = csrf_token(&request(""));
        assert!(new && fresh.len() == 32 && fresh != token);
    }
}
