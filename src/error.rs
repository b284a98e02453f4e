//! The error type the UI sees, shared by server and browser.
//!
//! Server layers keep their own detailed errors (`StoreError`, `AuthError`, …)
//! and convert to [`AppError`] at the edge: the detail is logged there and the
//! user gets a variant they can act on, never an internal message.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Everything a server function or REST handler can answer with instead of data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// No signed-in user.
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// The thing does not exist, or belongs to someone else.
    #[error("Not found.")]
    NotFound,
    /// A field of the request is invalid; `field` names it.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// The email address already has an account.
    #[error("An account with this email already exists. Sign in instead.")]
    EmailTaken,
    /// Wrong email or password; the same whether the email exists or not.
    #[error("Wrong email or password.")]
    InvalidCredentials,
    /// Too many attempts; retry after the given number of seconds.
    #[error("Too many attempts. Try again in {}.", human_wait(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    /// The request came from another site.
    #[error("This request was refused because it came from another site.")]
    Forbidden,
    /// The request clashes with what exists; the message says how.
    #[error("{0}")]
    Conflict(String),
    /// The bank data provider refused or failed; the message is for the user.
    #[error("{message}")]
    Provider { message: String, code: String },
    /// Something failed on our side; the detail is in the server log.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request did not reach the server, or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

/// "5 minutes", "1 minute", "30 seconds".
fn human_wait(secs: u64) -> String {
    match secs {
        0..=59 => format!("{} second{}", secs.max(1), if secs == 1 { "" } else { "s" }),
        _ => {
            let mins = secs.div_ceil(60);
            format!("{mins} minute{}", if mins == 1 { "" } else { "s" })
        }
    }
}

impl AppError {
    /// A validation error on `field`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation { field: field.to_owned(), message: message.into() }
    }

    /// The HTTP status for this error in the REST API.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized | Self::InvalidCredentials => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::EmailTaken | Self::Conflict(_) => 409,
            Self::Provider { .. } => 502,
            Self::Validation { .. } => 422,
            Self::RateLimited { .. } => 429,
            Self::Internal | Self::Transport(_) => 500,
        }
    }

    /// A stable machine-readable code for the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::Validation { .. } => "validation",
            Self::EmailTaken => "email_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RateLimited { .. } => "rate_limited",
            Self::Forbidden => "forbidden",
            Self::Conflict(_) => "conflict",
            Self::Provider { .. } => "provider_error",
            Self::Internal => "internal",
            Self::Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Deserialization(msg) => Self::Transport(msg),
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => Self::validation("request", msg),
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_naturally() {
        assert_eq!(human_wait(1), "1 second");
        assert_eq!(human_wait(30), "30 seconds");
        assert_eq!(human_wait(60), "1 minute");
        assert_eq!(human_wait(61), "2 minutes");
        assert_eq!(
            AppError::RateLimited { retry_after_secs: 900 }.to_string(),
            "Too many attempts. Try again in 15 minutes."
        );
    }

    #[test]
    fn statuses_match_the_rest_contract() {
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::validation("email", "bad").status(), 422);
        assert_eq!(AppError::EmailTaken.status(), 409);
    }
}
