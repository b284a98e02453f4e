//! Route-level components.

pub mod auth;
pub mod connections;
pub mod dashboard;
pub mod not_found;
pub mod transaction;
pub mod transactions;
