//! Everything that runs only on the server (`ssr` feature).

pub mod app_router;
pub mod auth;
pub mod cli;
pub mod config;
pub mod connect;
pub mod crypto;
pub mod export;
pub mod fn_context;
pub mod launch;
pub mod money;
pub mod provider;
pub mod queries;
pub mod rate_limit;
pub mod rest;
pub mod routes;
pub mod sandbox;
pub mod security;
pub mod session_store;
pub mod state;
pub mod store;
pub mod sync;
pub mod views;
pub mod webhooks;

#[cfg(test)]
mod http_tests;
