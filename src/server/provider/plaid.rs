//! The Plaid client and its [`Provider`](super::Provider) implementation.
//!
//! Every Plaid endpoint is a `POST` with a JSON body carrying `client_id`
//! and `secret` (PLAID.md §1); the typed requests and responses are in
//! [`api`], the error mapping in [`errors`], webhook verification in
//! [`webhook`].

pub mod api;
pub mod errors;
pub mod webhook;
