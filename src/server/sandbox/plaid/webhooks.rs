//! Plaid-style webhooks: a JSON body pretty-printed with two-space indents,
//! and a `Plaid-Verification` header holding an ES256 JWT over the body's
//! SHA-256, signed by a key `/webhook_verification_key/get` serves by `kid`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The sandbox's webhook signing key.
pub struct WebhookSigner {
    kid: String,
    key: SigningKey,
    created_at: i64,
}

impl WebhookSigner {
    /// A fresh P-256 key.
    pub fn generate() -> Self {
        Self {
            kid: uuid::Uuid::new_v4().to_string(),
            key: SigningKey::random(&mut rand::rngs::OsRng),
            created_at: Utc::now().timestamp(),
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as Plaid's `JWKPublicKey`.
    pub fn jwk(&self) -> Value {
        let point = self.key.verifying_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| c.map(|b| URL_SAFE_NO_PAD.encode(b)).unwrap_or_default();
        json!({
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": coordinate(point.x()),
            "y": coordinate(point.y()),
            "created_at": self.created_at,
            "expired_at": null,
        })
    }

    /// The `Plaid-Verification` JWT for `body`, issued at `iat`.
    pub fn token(&self, body: &[u8], iat: i64) -> String {
        let header = json!({ "alg": "ES256", "kid": self.kid, "typ": "JWT" });
        let claims = json!({ "iat": iat, "request_body_sha256": hex(&Sha256::digest(body)) });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Delivers `payload` to `url` in the background, signed. Like Plaid, a
/// non-2xx answer or no answer within 10 s is retried (here three times, after
/// 1, 4 and 16 seconds, rather than Plaid's 30 s ×4 over a day).
pub fn deliver(client: reqwest::Client, signer: &WebhookSigner, url: String, payload: &Value) {
    let body = serde_json::to_string_pretty(payload).unwrap_or_default();
    let token = signer.token(body.as_bytes(), Utc::now().timestamp());
    let code = payload["webhook_code"].as_str().unwrap_or_default().to_owned();
    tokio::spawn(async move {
        for (attempt, pause) in [0u64, 1, 4, 16].into_iter().enumerate() {
            tokio::time::sleep(Duration::from_secs(pause)).await;
            let sent = client
                .post(&url)
                .header("content-type", "application/json")
                .header("plaid-verification", &token)
                .timeout(Duration::from_secs(10))
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(res) if res.status().is_success() => {
                    tracing::debug!(code, attempt, "sandbox webhook delivered");
                    return;
                }
                Ok(res) => tracing::warn!(code, attempt, status = %res.status(), "sandbox webhook refused"),
                Err(e) => tracing::warn!(code, attempt, error = %e, "sandbox webhook not delivered"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier as _;

    use super::*;

    #[test]
    fn tokens_verify_with_the_served_jwk() {
        let signer = WebhookSigner::generate();
        let body = br#"{"webhook_type": "TRANSACTIONS"}"#;
        let token = signer.token(body, 1_700_000_000);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], signer.kid());
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["request_body_sha256"], hex(&Sha256::digest(body)));

        let jwk = signer.jwk();
        let coord = |k: &str| URL_SAFE_NO_PAD.decode(jwk[k].as_str().expect("text")).expect("b64");
        let mut sec1 = vec![4u8];
        sec1.extend(coord("x"));
        sec1.extend(coord("y"));
        let key = VerifyingKey::from_sec1_bytes(&sec1).expect("point");
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).expect("b64")).expect("sig");
        key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).expect("verifies");
    }
}
