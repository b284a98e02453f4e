//! The Plaid client and its [`Provider`](super::Provider) implementation.
