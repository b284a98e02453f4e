//! Pluggy's error shape (`{code, codeDescription, message}`), for the
//! sandbox's own errors and for axum's rejections.

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use serde_json::json;

/// An error in Pluggy's shape.
pub(super) fn error(status: StatusCode, code: Option<&str>, message: &str) -> Response {
    let mut body = json!({"code": status.as_u16(), "message": message});
    if let Some(code) = code {
        body["codeDescription"] = json!(code);
    }
    (status, Json(body)).into_response()
}

pub(super) fn item_not_found() -> Response {
    error(StatusCode::NOT_FOUND, Some("ITEM_NOT_FOUND"), "Item not found")
}

pub(super) fn forbidden() -> Response {
    error(StatusCode::FORBIDDEN, None, "Forbidden: this resource cannot be accessed with a connect token")
}

pub(super) fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, None, message)
}

/// Axum's own rejections (bad JSON, bad query) in Pluggy's error shape.
pub(super) async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.is_client_error() && !is_json {
        let message = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
            _ => "Invalid request: the body or query could not be parsed",
        };
        let status = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE || status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        return error(status, None, message);
    }
    res
}
