//! Plain axum routes: health, and the JSON API for scripts and tests
//! (`/api/auth/*`, `/api/me`). The pages use server functions that call the
//! same `server::auth` code.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use crate::error::AppError;
use crate::model::Credentials;
use crate::server::auth;
use crate::server::security::ClientInfo;
use crate::server::state::AppState;

/// An [`AppError`] as a JSON response: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({ "code": self.0.code(), "message": self.0.to_string() });
        if let AppError::Validation { field, .. } = &self.0 {
            body["field"] = json!(field);
        }
        let mut res = (status, Json(json!({ "error": body }))).into_response();
        if let AppError::RateLimited { retry_after_secs } = self.0 {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        res
    }
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/me", get(me))
}

/// 200 when the database answers, 503 when it does not.
async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": state.store.backend() }))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": state.store.backend() })),
            )
                .into_response()
        }
    }
}

/// The JSON body of register and login. Missing fields are a 422 naming the
/// field rather than a bare 400.
#[derive(Deserialize)]
struct CredentialsBody {
    email: Option<String>,
    password: Option<String>,
}

fn credentials(
    body: Result<Json<CredentialsBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Credentials, ApiError> {
    let Json(body) = body.map_err(|e| ApiError(AppError::validation("body", e.body_text())))?;
    let email = body.email.ok_or_else(|| ApiError(AppError::validation("email", "email is required")))?;
    let password = body.password.ok_or_else(|| ApiError(AppError::validation("password", "password is required")))?;
    Ok(Credentials { email, password })
}

async fn register(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    session: Session,
    body: Result<Json<CredentialsBody>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let user = auth::register(&state, &session, credentials(body)?, &client).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user": user }))))
}

async fn login(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    session: Session,
    body: Result<Json<CredentialsBody>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let user = auth::login(&state, &session, credentials(body)?, &client).await?;
    Ok(Json(json!({ "user": user })))
}

async fn logout(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    session: Session,
) -> Result<StatusCode, ApiError> {
    auth::logout(&state, &session, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, session: Session) -> Result<impl IntoResponse, ApiError> {
    let user = auth::require_user(&state, &session).await?;
    Ok(Json(json!({ "user": user })))
}
