//! The Pluggy client and its [`Provider`](super::Provider) implementation
//! (Brazil, Open Finance; `shared/specs/PLUGGY.md`).

pub mod api;
pub mod cursor;
pub mod map;
pub mod webhook;

pub use self::map::normalize_amount;

/// The header Pluggy sends back on every webhook, with the secret
/// registered for it.
pub const WEBHOOK_SECRET_HEADER: &str = "X-Tributary-Webhook-Secret";
