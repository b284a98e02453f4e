//! Request hardening: who the client is, the Origin check on state-changing
//! requests, and the security headers (CSP with a per-request nonce).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

use crate::error::AppError;
use crate::server::config::Config;
use crate::server::routes::ApiError;

/// The client's address and browser, as far as they can be known. Put in the
/// request extensions by [`client_info`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The key rate limits count this client under.
    pub fn bucket_key(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown")
    }

    /// Reads the client from the socket address, or from the last
    /// `X-Forwarded-For` hop when the proxy is trusted.
    pub fn from_parts(headers: &HeaderMap, addr: Option<SocketAddr>, trust_proxy: bool) -> Self {
        let forwarded = trust_proxy
            .then(|| headers.get("x-forwarded-for")?.to_str().ok()?.rsplit(',').next().map(|s| s.trim().to_owned()))
            .flatten()
            .filter(|s| !s.is_empty());
        let user_agent =
            headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(256).collect());
        Self { ip: forwarded.or_else(|| addr.map(|a| a.ip().to_string())), user_agent }
    }
}

/// Middleware: computes [`ClientInfo`] once per request.
pub async fn client_info(State(config): State<Arc<Config>>, mut req: Request, next: Next) -> Response {
    let addr = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let info = ClientInfo::from_parts(req.headers(), addr, config.trust_proxy);
    req.extensions_mut().insert(info);
    next.run(req).await
}

/// Paths that other servers call (webhooks, the provider emulation): they
/// carry no Origin and authenticate themselves.
fn exempt_from_origin_check(path: &str) -> bool {
    path.starts_with("/sandbox/") || path == "/api/plaid/webhook" || path == "/api/pluggy/webhook"
}

/// Whether a state-changing request may proceed: a browser's `Origin` must be
/// this app (its `BASE_URL`, or the host it was reached at); without an
/// `Origin`, a browser's `Sec-Fetch-Site: cross-site` is refused and other
/// clients (scripts, curl) pass.
pub fn origin_allowed(headers: &HeaderMap, base_url: &url::Url) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) != Some("cross-site");
    };
    if origin == base_url.origin().ascii_serialization() {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (url::Url::parse(origin), host) {
        (Ok(o), Some(host)) => {
            let authority = match o.port() {
                Some(p) => format!("{}:{p}", o.host_str().unwrap_or_default()),
                None => o.host_str().unwrap_or_default().to_owned(),
            };
            matches!(o.scheme(), "http" | "https") && authority.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// Middleware: refuses cross-site POST/PUT/PATCH/DELETE with 403.
pub async fn origin_check(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || exempt_from_origin_check(req.uri().path()) || origin_allowed(req.headers(), &config.base_url) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), origin = ?req.headers().get(header::ORIGIN), "cross-site request refused");
    ApiError(AppError::Forbidden).into_response()
}

/// The nonce that inline scripts of this response carry (CSP).
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// The Content-Security-Policy for pages: scripts only from here (with the
/// nonce for Leptos' inline hydration script) and Plaid's Link script;
/// frames only from the providers' widgets; nobody may frame us.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval' https://cdn.plaid.com/link/v2/stable/link-initialize.js; \
         style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: https:; \
         font-src 'self'; \
         connect-src 'self' https://production.plaid.com https://sandbox.plaid.com https://api.pluggy.ai; \
         frame-src https://cdn.plaid.com https://connect.pluggy.ai; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )
}

/// Middleware: a fresh nonce per request, and the security headers on every
/// response.
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = URL_SAFE_NO_PAD.encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // same-origin keeps the Referer that JavaScript-free form posts return to.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin-allow-popups"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("ascii"));
        }
        h
    }

    #[test]
    fn origin_rules() {
        let base = url::Url::parse("http://127.0.0.1:3000").expect("url");
        assert!(origin_allowed(&headers(&[("origin", "http://127.0.0.1:3000")]), &base));
        assert!(origin_allowed(&headers(&[("origin", "http://localhost:4000"), ("host", "localhost:4000")]), &base));
        assert!(!origin_allowed(&headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:3000")]), &base));
        assert!(!origin_allowed(&headers(&[("origin", "null"), ("host", "127.0.0.1:3000")]), &base));
        // No Origin: scripts pass, a browser's cross-site fetch does not.
        assert!(origin_allowed(&headers(&[]), &base));
        assert!(!origin_allowed(&headers(&[("sec-fetch-site", "cross-site")]), &base));
        assert!(exempt_from_origin_check("/api/plaid/webhook"));
        assert!(!exempt_from_origin_check("/api/auth/login"));
    }

    #[test]
    fn client_ip_comes_from_the_socket_unless_the_proxy_is_trusted() {
        let addr: SocketAddr = "10.0.0.5:1234".parse().expect("addr");
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9"), ("user-agent", "test")]);
        assert_eq!(ClientInfo::from_parts(&h, Some(addr), false).ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(ClientInfo::from_parts(&h, Some(addr), true).ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ClientInfo::from_parts(&h, None, false).bucket_key(), "unknown");
    }
}
