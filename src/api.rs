//! Server functions, one file per area. Each validates, authorises and calls
//! into `server::*`; they hold no logic of their own.

pub mod auth;
pub mod bank;
pub mod summary;
pub mod transactions;
