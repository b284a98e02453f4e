//! Tributary: bank accounts from Plaid and Pluggy in one self-hosted dashboard.
//!
//! One crate, two builds: the `ssr` feature is the axum server (everything under
//! [`server`]), the `hydrate` feature is the WASM front end that hydrates the
//! server-rendered pages.

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod format;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod widgets;

/// Browser entry point: attaches the WASM app to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
