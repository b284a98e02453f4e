//! The bank data REST API (issue #5 §6): JSON, session cookie auth, every id
//! checked against the signed-in user (another user's id is 404), validation
//! errors 422 naming the field. The same `server::{connect, queries}` code
//! serves the pages' server functions.

use std::collections::HashMap;
use std::str::FromStr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{ProviderKind, User};
use crate::server::auth;
use crate::server::export;
use crate::server::queries::{self, TransactionEdit, TransactionFilter};
use crate::server::routes::ApiError;
use crate::server::security::ClientInfo;
use crate::server::state::AppState;
use crate::server::{connect, views};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{provider}/link-token", post(link_token))
        .route("/api/{provider}/connect", post(connect_item))
        .route("/api/{provider}/institutions/search", get(institutions))
        .route("/api/accounts", get(accounts))
        .route("/api/accounts/{id}/balance", get(balance))
        .route("/api/transactions", get(transactions))
        .route("/api/transactions.csv", get(transactions_csv))
        .route("/api/transactions/{id}", get(transaction).patch(edit_transaction))
        .route("/api/transactions/sync", post(sync))
        .route("/api/connections", get(connections))
        .route("/api/connections/{id}", delete(disconnect))
        .route("/api/sync-logs", get(sync_logs))
        .route("/api/summary", get(summary))
        .route("/api/openapi.json", get(openapi))
}

type Params = Query<HashMap<String, String>>;

async fn user(state: &AppState, session: &Session) -> Result<User, ApiError> {
    Ok(auth::require_user(state, session).await?)
}

fn provider(name: &str) -> Result<ProviderKind, ApiError> {
    ProviderKind::parse(name).ok_or(ApiError(AppError::NotFound))
}

/// A JSON body, or `{}` when there is none; a malformed one is 422.
fn body<T: Default + for<'de> Deserialize<'de>>(body: Result<Json<Value>, JsonRejection>) -> Result<T, ApiError> {
    let value = match body {
        Ok(Json(v)) => v,
        Err(JsonRejection::MissingJsonContentType(_)) => Value::Object(serde_json::Map::new()),
        Err(e) => return Err(ApiError(AppError::validation("body", e.body_text()))),
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ApiError(AppError::validation(if field == "." { "body" } else { &field }, e.into_inner().to_string()))
    })
}

/// An optional query parameter parsed as `T`; a bad value is 422 naming it.
fn param<T: FromStr>(params: &HashMap<String, String>, name: &str, what: &str) -> Result<Option<T>, ApiError> {
    match params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            v.parse().map(Some).map_err(|_| ApiError(AppError::validation(name, format!("{name} must be {what}"))))
        }
    }
}

fn date(params: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    param(params, name, "a date like 2024-01-31")
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkTokenBody {
    products: Option<Vec<String>>,
    connection_id: Option<Uuid>,
}

async fn link_token(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    raw: Result<Json<Value>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = provider(&name)?;
    let user = user(&state, &session).await?;
    let b: LinkTokenBody = body(raw)?;
    let products = b.products.unwrap_or_default();
    if products.iter().any(|p| p.is_empty() || p.len() > 40 || !p.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
        return Err(ApiError(AppError::validation("products", "products are lowercase product names")));
    }
    let session = connect::link_token(&state, &user, kind, products, b.connection_id).await?;
    Ok(Json(views::link_token(session)))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectBody {
    public_token: Option<String>,
    item_id: Option<String>,
    connection_id: Option<Uuid>,
}

async fn connect_item(
    State(state): State<AppState>,
    session: Session,
    Extension(client): Extension<ClientInfo>,
    Path(name): Path<String>,
    raw: Result<Json<Value>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = provider(&name)?;
    let user = user(&state, &session).await?;
    let b: ConnectBody = body(raw)?;
    let (field, token) = match kind {
        ProviderKind::Plaid => ("public_token", b.public_token),
        ProviderKind::Pluggy => ("item_id", b.item_id),
    };
    let token = token.ok_or_else(|| ApiError(AppError::validation(field, format!("{field} is required"))))?;
    let connected = connect::connect(&state, &user, kind, &token, b.connection_id, &client).await?;
    let status = if connected.relinked { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(connected)))
}

async fn institutions(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    Query(params): Params,
) -> Result<impl IntoResponse, ApiError> {
    let kind = provider(&name)?;
    user(&state, &session).await?;
    let q = params.get("q").cloned().unwrap_or_default();
    let found = connect::search_institutions(&state, kind, &q, params.get("country").map(String::as_str)).await?;
    Ok(Json(json!({ "institutions": found.into_iter().map(views::institution).collect::<Vec<_>>() })))
}

async fn accounts(State(state): State<AppState>, session: Session) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    Ok(Json(json!({ "accounts": queries::accounts(&state, &user).await? })))
}

async fn balance(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let account = queries::account(&state, &user, id).await?;
    let history = queries::balance_history(&state, &account, 90).await?;
    Ok(Json(json!({
        "account_id": account.id,
        "currency": account.currency,
        "current_balance": account.current_balance,
        "available_balance": account.available_balance,
        "limit": account.limit,
        "history": history,
    })))
}

/// The transaction filter of a query string (the same for the JSON list and
/// the CSV export).
fn transaction_filter(params: &HashMap<String, String>) -> Result<TransactionFilter, ApiError> {
    let text = |name: &str| params.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    Ok(TransactionFilter {
        start: date(params, "start_date")?,
        end: date(params, "end_date")?,
        account_id: param(params, "account_id", "an account id")?,
        text: text("q"),
        category: text("category"),
        amount_min: param(params, "amount_min", "a number")?,
        amount_max: param(params, "amount_max", "a number")?,
        pending: param(params, "pending", "true or false")?,
        include_hidden: param(params, "include_hidden", "true or false")?.unwrap_or(false),
        limit: param(params, "limit", "a whole number")?,
        offset: param(params, "offset", "a whole number")?,
    })
}

async fn transactions(
    State(state): State<AppState>,
    session: Session,
    Query(params): Params,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    Ok(Json(queries::transactions(&state, &user, transaction_filter(&params)?).await?))
}

/// Every transaction the filter matches as CSV (paging ignored), streamed.
async fn transactions_csv(
    State(state): State<AppState>,
    session: Session,
    Query(params): Params,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    let rows = queries::export_transactions(&state, &user, transaction_filter(&params)?).await?;
    let name = format!("tributary-transactions-{}.csv", chrono::Utc::now().date_naive());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        export::csv_body(rows),
    ))
}

async fn transaction(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError(AppError::NotFound))?;
    Ok(Json(queries::transaction(&state, &user, id).await?))
}

/// The user's own fields; absent ones stay as they are, `null` or `""`
/// clears the category (back to the provider's) or the note.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionEditBody {
    #[serde(default, deserialize_with = "present")]
    category: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    note: Option<Option<String>>,
    hidden: Option<bool>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

async fn edit_transaction(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    raw: Result<Json<Value>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let b: TransactionEditBody = body(raw)?;
    let edit = TransactionEdit {
        category: b.category.map(Option::unwrap_or_default),
        note: b.note.map(Option::unwrap_or_default),
        hidden: b.hidden,
    };
    Ok(Json(queries::edit_transaction(&state, &user, id, edit).await?))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncBody {
    connection_id: Option<Uuid>,
}

async fn sync(
    State(state): State<AppState>,
    session: Session,
    raw: Result<Json<Value>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    let b: SyncBody = body(raw)?;
    let queued = connect::request_sync(&state, &user, b.connection_id).await?;
    let runs: Vec<Value> =
        queued.iter().map(|(connection, run)| json!({ "connection_id": connection, "run_id": run })).collect();
    let ids: Vec<Uuid> = queued.iter().map(|(_, run)| *run).collect();
    Ok((StatusCode::ACCEPTED, Json(json!({ "run_ids": ids, "queued": runs }))))
}

async fn connections(State(state): State<AppState>, session: Session) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    Ok(Json(json!({ "connections": queries::connections(&state, &user).await? })))
}

async fn disconnect(
    State(state): State<AppState>,
    session: Session,
    Extension(client): Extension<ClientInfo>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = user(&state, &session).await?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError(AppError::NotFound))?;
    connect::disconnect(&state, &user, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sync_logs(
    State(state): State<AppState>,
    session: Session,
    Query(params): Params,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    let connection: Option<Uuid> = param(&params, "connection_id", "a connection id")?;
    let limit: Option<i64> = param(&params, "limit", "a whole number")?;
    let logs = queries::sync_logs(&state, &user, connection, limit.unwrap_or(50)).await?;
    Ok(Json(json!({ "sync_logs": logs })))
}

async fn summary(
    State(state): State<AppState>,
    session: Session,
    Query(params): Params,
) -> Result<impl IntoResponse, ApiError> {
    let user = user(&state, &session).await?;
    let summary = queries::summary(&state, &user, date(&params, "start_date")?, date(&params, "end_date")?).await?;
    Ok(Json(summary))
}

async fn openapi() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], include_str!("rest/openapi.json"))
}
