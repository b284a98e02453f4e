//! The Pluggy client and its [`Provider`](super::Provider) implementation
//! (Brazil, Open Finance; `shared/specs/PLUGGY.md`).

pub mod api;
pub mod cursor;
pub mod map;

pub use self::map::normalize_amount;
