//! Accounts and sign-in: argon2id password hashes (computed on a blocking
//! thread), sessions that rotate their id at sign-in, throttling per client
//! and per account, and an audit trail. Shared by the pages' server
//! functions and the JSON API.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::Utc;
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Credentials, User};
use crate::server::rate_limit::{self, Limit, RateLimitError};
use crate::server::security::ClientInfo;
use crate::server::state::AppState;
use crate::server::store::{AuditEntry, StoreError};

/// The session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: hashing is deliberately slow, so cap its input.
const MAX_PASSWORD_BYTES: usize = 1024;
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
const REGISTER_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Why a sign-in, registration or session lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid email")]
    InvalidEmail,
    #[error("password too short")]
    WeakPassword,
    #[error("password too long")]
    PasswordTooLong,
    #[error("email taken")]
    EmailTaken,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("session: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error("password hashing: {0}")]
    Hash(String),
}

impl From<RateLimitError> for AuthError {
    fn from(e: RateLimitError) -> Self {
        match e {
            RateLimitError::Exceeded { retry_after_secs } => Self::RateLimited { retry_after_secs },
            RateLimitError::Store(s) => Self::Store(s),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidEmail => AppError::validation("email", "Enter a valid email address."),
            AuthError::WeakPassword => AppError::validation(
                "password",
                format!("Use at least {MIN_PASSWORD_CHARS} characters for your password."),
            ),
            AuthError::PasswordTooLong => {
                AppError::validation("password", "Use at most 1024 characters for your password.")
            }
            AuthError::EmailTaken => AppError::EmailTaken,
            AuthError::InvalidCredentials => AppError::InvalidCredentials,
            AuthError::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            AuthError::Store(_) | AuthError::Session(_) | AuthError::Hash(_) => {
                tracing::error!(error = %e, "authentication failed internally");
                AppError::Internal
            }
        }
    }
}

/// Trims and lower-cases an email and checks its shape.
///
/// # Errors
/// [`AuthError::InvalidEmail`] for anything that is not `local@domain.tld`.
pub fn normalize_email(raw: &str) -> Result<String, AuthError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid { Ok(email) } else { Err(AuthError::InvalidEmail) }
}

/// Checks a new password's length.
///
/// # Errors
/// Too short (under [`MIN_PASSWORD_CHARS`] characters) or too long.
pub fn check_new_password(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::PasswordTooLong);
    }
    Ok(())
}

/// argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password on a blocking thread.
///
/// # Errors
/// The hasher failed or its thread panicked.
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// Checks a password against a stored hash on a blocking thread.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown
/// so a wrong email costs as long as a wrong password.
async fn decoy_hash() -> String {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DECOY.get() {
        return h.clone();
    }
    let hash = hash_password(Uuid::new_v4().to_string()).await.unwrap_or_default();
    DECOY.get_or_init(|| hash).clone()
}

/// Appends to the audit log; a failure is logged, never fatal.
pub(crate) async fn audit(
    state: &AppState,
    user_id: Option<Uuid>,
    action: &str,
    detail: Option<String>,
    client: &ClientInfo,
) {
    let entry = AuditEntry {
        user_id,
        action: action.to_owned(),
        detail,
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    };
    if let Err(e) = state.store.audit(entry).await {
        tracing::warn!(error = %e, action, "could not write the audit log");
    }
}

/// Puts `user` in the session under a new session id (no fixation).
async fn sign_in(session: &Session, user: &User) -> Result<(), AuthError> {
    session.cycle_id().await?;
    session.insert(USER_ID_KEY, user.id).await?;
    Ok(())
}

/// Creates an account and signs it in.
///
/// # Errors
/// Invalid email, weak password, taken email, too many registrations from
/// this client, or an internal failure.
pub async fn register(
    state: &AppState,
    session: &Session,
    credentials: Credentials,
    client: &ClientInfo,
) -> Result<User, AuthError> {
    let limit = Limit { max: state.config.register_limit, window: REGISTER_WINDOW };
    rate_limit::hit(state.store.as_ref(), &format!("register:ip:{}", client.bucket_key()), limit, Utc::now()).await?;
    let email = normalize_email(&credentials.email)?;
    check_new_password(&credentials.password)?;
    let hash = hash_password(credentials.password).await?;
    let user = state.store.create_user(&email, &hash).await.map_err(|e| match e {
        StoreError::Conflict(_) => AuthError::EmailTaken,
        other => AuthError::Store(other),
    })?;
    audit(state, Some(user.id), "register", None, client).await;
    sign_in(session, &user).await?;
    audit(state, Some(user.id), "login", Some("after registration".into()), client).await;
    tracing::info!(user_id = %user.id, "registered");
    Ok(user)
}

/// Checks the credentials and signs the user in.
///
/// # Errors
/// [`AuthError::InvalidCredentials`] whether the email is unknown or the
/// password wrong; rate limiting per client and per account.
pub async fn login(
    state: &AppState,
    session: &Session,
    credentials: Credentials,
    client: &ClientInfo,
) -> Result<User, AuthError> {
    let limit = Limit { max: state.config.login_limit, window: LOGIN_WINDOW };
    let now = Utc::now();
    rate_limit::hit(state.store.as_ref(), &format!("login:ip:{}", client.bucket_key()), limit, now).await?;
    let email = normalize_email(&credentials.email).map_err(|_| AuthError::InvalidCredentials)?;
    rate_limit::hit(state.store.as_ref(), &format!("login:account:{email}"), limit, now).await?;
    let record = state.store.user_by_email(&email).await?;
    let hash = match &record {
        Some(r) => r.password_hash.clone(),
        None => decoy_hash().await,
    };
    let ok = verify_password(credentials.password, hash).await;
    match record {
        Some(record) if ok => {
            sign_in(session, &record.user).await?;
            audit(state, Some(record.user.id), "login", None, client).await;
            Ok(record.user)
        }
        other => {
            audit(state, other.map(|r| r.user.id), "login_failed", None, client).await;
            Err(AuthError::InvalidCredentials)
        }
    }
}

/// Ends the session (the record is deleted, the cookie cleared).
///
/// # Errors
/// The session could not be deleted.
pub async fn logout(state: &AppState, session: &Session, client: &ClientInfo) -> Result<(), AuthError> {
    if let Some(user_id) = session.get::<Uuid>(USER_ID_KEY).await? {
        audit(state, Some(user_id), "logout", None, client).await;
    }
    session.flush().await?;
    Ok(())
}

/// The signed-in user, if any. A session whose user no longer exists is
/// treated as signed out.
///
/// # Errors
/// The session or the store could not be read.
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<User>, AuthError> {
    let Some(user_id) = session.get::<Uuid>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    Ok(state.store.user_by_id(user_id).await?)
}

/// The signed-in user, or [`AuthError`] → 401.
///
/// # Errors
/// [`AppError::Unauthorized`] when signed out.
pub async fn require_user(state: &AppState, session: &Session) -> Result<User, AppError> {
    current_user(state, session).await?.ok_or(AppError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Ana@Example.COM ").expect("valid"), "ana@example.com");
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@b@c.com", "ana@.com"] {
            assert!(normalize_email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(matches!(check_new_password("short"), Err(AuthError::WeakPassword)));
        assert!(matches!(check_new_password("123456789"), Err(AuthError::WeakPassword)));
        assert!(check_new_password("1234567890").is_ok());
        // Characters, not bytes: ten accented letters are enough.
        assert!(check_new_password("éééééééééé").is_ok());
        assert!(matches!(check_new_password(&"x".repeat(2000)), Err(AuthError::PasswordTooLong)));
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse".into()).await.expect("hashes");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse!".into(), hash).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn errors_map_to_clear_messages() {
        let weak: AppError = AuthError::WeakPassword.into();
        assert_eq!(weak.to_string(), "Use at least 10 characters for your password.");
        assert_eq!(AppError::from(AuthError::InvalidCredentials).to_string(), "Wrong email or password.");
    }
}
