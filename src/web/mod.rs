//! The read-only web view and the Atom feed of changes, served on `[http] listen` beside
//! `/healthz` and `/metrics` (routed from [`crate::daemon::endpoint`]).
//!
//! - `/`: recent changes, newest first; `/articles/{id}`: one article's versions;
//!   `/articles/{id}/diff?from=N&to=M[&view=side]`: a word diff ([`pages`]).
//! - `/changes.atom[?topic=NAME]`: one Atom entry per alert ([`atom`]).
//!
//! Article text is hostile: every page is a maud template, so every piece of it is
//! escaped, the diffs come from the one HTML renderer ([`crate::diff::html`]), and every
//! response carries a Content-Security-Policy that allows no script at all. With
//! `[http] token_env` set, every path but `/healthz` needs the token ([`require_token`]).
//! Bad parameters are a 400, unknown articles or versions a 404, a database failure a 503;
//! nothing a client sends can make a handler panic.

mod atom;
mod pages;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;

use crate::store::{Db, StoreError};

/// Sent with every response: no script, no plugins, no frames, styles only inline or
/// from the page itself, images only from this server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How many changes `/` and `/changes.atom` list.
const RECENT: usize = 100;

/// What the web handlers share.
#[derive(Debug, Clone)]
pub struct WebState {
    db: Db,
    /// The bearer token required, when `[http] token_env` is set.
    token: Option<Arc<str>>,
}

impl WebState {
    pub fn new(db: Db, token: Option<String>) -> WebState {
        WebState {
            db,
            token: token.map(Arc::from),
        }
    }
}

/// The web view's and the feed's routes, with their state.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::changes))
        .route("/articles/{id}", get(pages::article))
        .route("/articles/{id}/diff", get(pages::diff))
        .route("/changes.atom", get(atom::feed))
        .fallback(not_found)
        .with_state(state)
}

/// Middleware for the whole endpoint: with a token configured, every path but
/// `/healthz` needs `Authorization: Bearer <token>` or `?token=<token>` (for feed
/// readers), compared in constant time; anything else is a 401.
pub async fn require_token(State(st): State<WebState>, req: Request, next: Next) -> Response {
    let Some(expected) = &st.token else {
        return next.run(req).await;
    };
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let query = req.uri().query().and_then(|q| params(q).remove("token"));
    let given = bearer.map(str::to_string).or(query);
    let ok = given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())));
    if ok {
        return next.run(req).await;
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        "a token is required: send `Authorization: Bearer <token>` or add `?token=<token>`\n",
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"redline\""),
    );
    response
}

/// Middleware for the whole endpoint: the security headers every response carries.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    set_security_headers(response.headers_mut());
    response
}

fn set_security_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A `?token=` in the address must not travel to the outlets the pages link to.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// The query string's parameters, percent-decoded; the last of a repeated name wins.
fn params(query: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Why a page cannot be shown: each becomes a status and a short plain-text reason.
#[derive(Debug, thiserror::Error)]
enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the database cannot be read: {0}")]
    Store(#[from] StoreError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Store(e) => {
                tracing::error!("web view: {e}");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        (status, format!("{self}\n")).into_response()
    }
}

async fn not_found() -> WebError {
    WebError::NotFound("no such page: see / for the recent changes".into())
}

/// A positive number from a path or query parameter, or a 400 naming it.
fn number(name: &str, value: &str) -> Result<i64, WebError> {
    value.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        WebError::BadRequest(format!(
            "{name} must be a positive whole number, not {value:?}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_positive_integers() {
        assert_eq!(number("id", "12").ok(), Some(12));
        for bad in ["0", "-1", "x", "", "1.5", "99999999999999999999"] {
            assert!(
                matches!(number("id", bad), Err(WebError::BadRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn params_are_decoded() {
        let p = params("token=a%2Bb&topic=russia-china&token=c+d");
        assert_eq!(p.get("token").map(String::as_str), Some("c d"));
        assert_eq!(p.get("topic").map(String::as_str), Some("russia-china"));
    }
}
