//! Connectors, their logos, and categories: the static catalogue.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use super::data;
use super::errors::error;
use super::{Shared, page};
use crate::server::sandbox::png;

#[derive(Deserialize, Default)]
pub(super) struct ConnectorQuery {
    countries: Option<String>,
    types: Option<String>,
    name: Option<String>,
    sandbox: Option<String>,
}

pub(super) async fn connectors(State(sb): State<Shared>, Query(q): Query<ConnectorQuery>) -> Json<Value> {
    let base = sb.lock().base.clone();
    let list =
        |v: &Option<String>| v.as_ref().map(|s| s.split(',').map(str::trim).map(str::to_uppercase).collect::<Vec<_>>());
    let (countries, types) = (list(&q.countries), list(&q.types));
    let name = q.name.as_ref().map(|n| n.to_lowercase());
    let sandbox = q.sandbox.as_deref() == Some("true");
    let results = data::CONNECTORS
        .iter()
        .filter(|c| !c.sandbox || sandbox)
        .filter(|_| countries.as_ref().is_none_or(|cs| cs.iter().any(|c| c == "BR")))
        .filter(|c| types.as_ref().is_none_or(|ts| ts.iter().any(|t| t == c.kind)))
        .filter(|c| name.as_ref().is_none_or(|n| c.name.to_lowercase().contains(n.as_str())))
        .map(|c| data::connector_json(c, &base))
        .collect();
    Json(page(results))
}

pub(super) async fn connector_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let base = sb.lock().base.clone();
    match id.parse().ok().and_then(data::connector) {
        Some(c) => Json(data::connector_json(c, &base)).into_response(),
        None => error(StatusCode::NOT_FOUND, Some("CONNECTOR_NOT_FOUND"), "Connector not found"),
    }
}

pub(super) async fn connector_logo(Path(id): Path<u32>) -> Response {
    let Some(c) = data::connector(id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(png::logo_base64(c.color, c.name)) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")], bytes).into_response()
}

pub(super) async fn categories() -> Json<Value> {
    Json(page(data::CATEGORIES.iter().map(|c| data::category_json(c.0)).collect()))
}
