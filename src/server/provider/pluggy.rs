//! The Pluggy client and its [`Provider`](super::Provider) implementation.
