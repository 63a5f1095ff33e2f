//! What guards every request: the token (off loopback), CSRF for the review forms, the headers
//! every response carries, and a log line per request that names no note text.
//!
//! - **Token**: with `--token` (or `MEDCODE_TOKEN`), every request must carry it: an
//!   `Authorization: Bearer` header (API clients), or the `medcode_token` cookie that
//!   `GET /?token=...` sets for a browser (HttpOnly, SameSite=Strict).
//! - **CSRF**: every form carries this process's random token ([`AppState::csrf`]), checked by
//!   [`check_csrf`]; a POST whose `Sec-Fetch-Site` says another site sent it is refused here.
//! - **Headers**: a Content-Security-Policy that allows only medcode's own script and style
//!   (no inline script), no framing, no sniffing, no referrer, and no caching (pages hold
//!   patient text).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::problem::Problem;

/// The Content-Security-Policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The cookie a browser keeps the token in.
const TOKEN_COOKIE: &str = "medcode_token";

/// 32 random bytes as hex, from the operating system.
///
/// # Errors
/// The operating system has no randomness to give.
pub fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// Checks a form's CSRF field against this process's token.
///
/// # Errors
/// 403 when it is missing or wrong (a form from an earlier run of the server, or another site).
pub fn check_csrf(state: &AppState, field: Option<&str>) -> Result<(), Problem> {
    match field {
        Some(token) if same_secret(token, &state.csrf) => Ok(()),
        _ => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "the form's security token is missing or out of date: reload the page and try again",
        )),
    }
}

/// The middleware: token, cross-site POSTs, security headers and a request log line.
pub async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let mut response = match admit(&state, &request) {
        Admit::Yes => next.run(request).await,
        Admit::No(response) => response,
    };
    secure_headers(response.headers_mut());
    // The path names notes by number and codes, never note text; the query is left out.
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

enum Admit {
    Yes,
    No(Response),
}

fn admit(state: &AppState, request: &Request) -> Admit {
    if request.method() == Method::POST && cross_site(request.headers()) {
        return Admit::No(
            Problem::new(
                StatusCode::FORBIDDEN,
                "a request sent by another site was refused",
            )
            .into_response(),
        );
    }
    let Some(token) = &state.settings.token else {
        return Admit::Yes;
    };
    if carried_token(request.headers()).is_some_and(|t| same_secret(&t, token)) {
        return Admit::Yes;
    }
    if let Some(given) = query_token(request)
        && same_secret(&given, token)
    {
        return Admit::No(login(request.uri().path(), token));
    }
    Admit::No(
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "this server needs its token: send `Authorization: Bearer TOKEN`, or open \
             /?token=TOKEN once in the browser",
        )
        .into_response(),
    )
}

/// `Sec-Fetch-Site: cross-site` (browsers send it): a form posted from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
}

/// The token from `Authorization: Bearer` or the cookie.
fn carried_token(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_string());
    }
    cookie(headers, TOKEN_COOKIE).map(str::to_string)
}

/// The value of cookie `name` in the request's `Cookie` headers, as sent (not decoded).
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn query_token(request: &Request) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    request
        .uri()
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "token")
        .map(|(_, value)| value.to_string())
}

/// Sets the token cookie and sends the browser to the same page without the token in its
/// address (so it is not kept in the history).
fn login(path: &str, token: &str) -> Response {
    let mut response = Redirect::to(path).into_response();
    let cookie = format!("{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn secure_headers(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        for (a, b, same) in [
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("abc", "ab", false),
            ("", "", true),
        ] {
            assert_eq!(same_secret(a, b), same, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn token_read_from_header_or_cookie() {
        let mut headers = HeaderMap::new();
        assert_eq!(carried_token(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; medcode_token=xyz"),
        );
        assert_eq!(carried_token(&headers).as_deref(), Some("xyz"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(carried_token(&headers).as_deref(), Some("abc"));
    }
}
