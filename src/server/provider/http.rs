//! The JSON-over-HTTPS client both providers share: a base URL, a time-out,
//! the retry policy, and decoding that names the JSON path that failed.
//! Each provider brings its own request builders and error mapping.

use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;

use super::ProviderError;
use super::retry::{Failure, Outcome, RetryPolicy, parse_retry_after};

/// Turns a provider's error answer into a [`ProviderError`]: status, body,
/// and the `Retry-After` the answer carried.
pub type ErrorMapper = fn(u16, &[u8], Option<Duration>) -> ProviderError;

/// A client for one provider's API.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    policy: RetryPolicy,
    map_error: ErrorMapper,
    provider: &'static str,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient").field("provider", &self.provider).field("base_url", &self.base_url).finish()
    }
}

impl ApiClient {
    /// A client for `base_url` (no trailing slash needed), answering in
    /// `timeout` or failing with [`ProviderError::Timeout`].
    ///
    /// # Errors
    /// The TLS backend cannot be set up.
    pub fn new(
        provider: &'static str,
        base_url: &str,
        timeout: Duration,
        map_error: ErrorMapper,
    ) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("tributary/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            policy: RetryPolicy::default(),
            map_error,
            provider,
        })
    }

    /// The same client with another retry policy (tests use short delays).
    #[must_use]
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A request to `path` (which starts with `/`), to finish with headers,
    /// query and body.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base_url))
    }

    /// Sends what `build` makes, retrying as the policy says (`build` is
    /// called once per attempt, so every attempt is the same request), and
    /// decodes a success into `T`.
    ///
    /// # Errors
    /// The provider's error after the last attempt, a transport failure or
    /// time-out, or a body that does not decode into `T`.
    pub async fn send<T: DeserializeOwned>(
        &self,
        path: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, ProviderError> {
        let bytes = self.send_raw(path, build).await?;
        decode(&bytes)
    }

    /// [`send`](Self::send) without decoding: the success body's bytes.
    ///
    /// # Errors
    /// As [`send`](Self::send), but for decoding.
    pub async fn send_raw(&self, path: &str, build: impl Fn() -> RequestBuilder) -> Result<Vec<u8>, ProviderError> {
        let mut attempt = 1;
        loop {
            let (failure, error) = match build().send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = parse_retry_after(
                        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()),
                    );
                    let body = response.bytes().await.map_err(transport)?;
                    if (200..300).contains(&status) {
                        return Ok(body.to_vec());
                    }
                    let error = (self.map_error)(status, &body, retry_after);
                    (Failure::Status { status, retry_after: error.retry_after().or(retry_after) }, error)
                }
                Err(e) => (Failure::Transport, transport(e)),
            };
            match self.policy.decide(failure, attempt, rand::random::<f64>()) {
                Outcome::Stop => {
                    tracing::warn!(
                        provider = self.provider,
                        path,
                        attempt,
                        code = error.code(),
                        "provider call failed"
                    );
                    return Err(error);
                }
                Outcome::Retry(delay) => {
                    tracing::info!(
                        provider = self.provider,
                        path,
                        attempt,
                        ?delay,
                        code = error.code(),
                        "retrying provider call"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }
}

fn transport(e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout
    } else {
        // Without the URL: it can carry query parameters.
        ProviderError::Transport(e.without_url().to_string())
    }
}

/// Decodes JSON, naming the path that failed.
///
/// # Errors
/// [`ProviderError::Decode`] with the JSON path.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ProviderError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        ProviderError::Decode { path, message: e.into_inner().to_string() }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        accounts: Vec<Account>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Account {
        id: String,
        balance: f64,
    }

    #[test]
    fn decode_errors_name_the_path() {
        let err = decode::<Page>(br#"{"accounts":[{"id":"a","balance":1},{"id":"b","balance":"x"}]}"#)
            .expect_err("a string balance");
        match err {
            ProviderError::Decode { path, .. } => assert_eq!(path, "accounts[1].balance"),
            other => panic!("{other:?}"),
        }
    }
}
