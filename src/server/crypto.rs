//! Secrets at rest: AES-256-GCM with a key id.
//!
//! A sealed value reads `tv1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`.
//! The key id (first 4 bytes of SHA-256 of the key, in hex) says which key of
//! the [`Keyring`] opens it, so keys can rotate while old rows stay readable.
//! Each value is bound to its context (e.g. the connection id) as associated
//! data, so a ciphertext copied to another row does not decrypt.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

const PREFIX: &str = "tv1";
const NONCE_LEN: usize = 12;
/// The key file's name inside the data directory.
pub const KEY_FILE: &str = "secret.key";

/// What can go wrong sealing or opening a secret, or loading keys.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("not a sealed value")]
    Malformed,
    #[error("no key with id {0} in the keyring")]
    UnknownKey(String),
    #[error("the value does not decrypt: wrong key, wrong context or tampered with")]
    Tampered,
    #[error("{source_name}: {message}")]
    BadKey { source_name: String, message: String },
    #[error("key file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// One 256-bit key and its id.
#[derive(Clone)]
struct Key {
    id: String,
    bytes: [u8; 32],
    cipher: Aes256Gcm,
}

impl Key {
    fn new(bytes: [u8; 32]) -> Self {
        let digest = Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self { id, bytes, cipher: Aes256Gcm::new(&bytes.into()) }
    }

    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::new(bytes)
    }

    fn parse(text: &str, source_name: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let decoded = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .or_else(|_| URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| CryptoError::BadKey {
                source_name: source_name.to_owned(),
                message: "is not base64 (generate one with `openssl rand -base64 32`)".into(),
            })?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|v: Vec<u8>| CryptoError::BadKey {
            source_name: source_name.to_owned(),
            message: format!("must decode to 32 bytes, not {}", v.len()),
        })?;
        Ok(Self::new(bytes))
    }

    fn encoded(&self) -> String {
        STANDARD.encode(self.bytes)
    }
}

/// The keys that can open secrets; the first one seals new ones.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Key>,
    origin: KeyOrigin,
}

/// Where the keys came from, which decides how `rotate-key` works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// `TRIBUTARY_SECRET_KEY`: the operator owns the keys.
    Environment,
    /// The generated key file, which `rotate-key` rewrites.
    File(PathBuf),
    /// Keys made in memory (tests).
    Memory,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).field("origin", &self.origin).finish()
    }
}

impl Keyring {
    /// Keys from `TRIBUTARY_SECRET_KEY` (comma-separated, current first) when
    /// given, else from the key file in `data_dir`, generated with mode 0600
    /// on first use.
    ///
    /// # Errors
    /// A key that is not base64 of 32 bytes, or an unreadable key file.
    pub fn load(env_value: Option<&str>, data_dir: &Path) -> Result<Self, CryptoError> {
        match env_value {
            Some(list) => {
                let keys = parse_list(list, "TRIBUTARY_SECRET_KEY")?;
                Ok(Self { keys, origin: KeyOrigin::Environment })
            }
            None => {
                let path = data_dir.join(KEY_FILE);
                let keys = match std::fs::read_to_string(&path) {
                    Ok(text) => parse_list(&text.replace('\n', ","), &path.display().to_string())?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        let key = Key::generate();
                        write_key_file(&path, std::slice::from_ref(&key), true)?;
                        tracing::info!(path = %path.display(), "generated a new encryption key");
                        vec![key]
                    }
                    Err(source) => return Err(CryptoError::Io { path, source }),
                };
                Ok(Self { keys, origin: KeyOrigin::File(path) })
            }
        }
    }

    /// A keyring of fresh random keys, current first (tests and tools).
    pub fn generate(count: usize) -> Self {
        Self { keys: (0..count.max(1)).map(|_| Key::generate()).collect(), origin: KeyOrigin::Memory }
    }

    /// Where the keys came from.
    pub fn origin(&self) -> &KeyOrigin {
        &self.origin
    }

    /// The id of the key that seals new values.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Encrypts `plaintext`, bound to `context`.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // AES-GCM encryption only fails for inputs over 64 GiB.
        let ciphertext = key
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .unwrap_or_default();
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        format!("{PREFIX}:{}:{}", key.id, URL_SAFE_NO_PAD.encode(blob))
    }

    /// Decrypts a value made by [`Keyring::seal`] with the same `context`.
    ///
    /// # Errors
    /// Malformed input, a key id not in the ring, or a failed authentication
    /// tag (wrong key, wrong context, or tampering).
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, CryptoError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(PREFIX), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let key = self.keys.iter().find(|k| k.id == kid).ok_or_else(|| CryptoError::UnknownKey(kid.to_owned()))?;
        let blob = URL_SAFE_NO_PAD.decode(body).map_err(|_| CryptoError::Malformed)?;
        if blob.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Tampered)
    }

    /// True when `sealed` is not under the current key.
    pub fn is_stale(&self, sealed: &str) -> bool {
        sealed.split(':').nth(1) != Some(self.current_id())
    }

    /// This keyring with a new random key in front (the old ones still open).
    pub fn with_new_key(&self) -> Self {
        let mut keys = vec![Key::generate()];
        keys.extend(self.keys.iter().cloned());
        Self { keys, origin: self.origin.clone() }
    }

    /// This keyring with only its current key.
    pub fn current_only(&self) -> Self {
        Self { keys: vec![self.keys[0].clone()], origin: self.origin.clone() }
    }

    /// Writes the keyring to its key file (atomically, mode 0600).
    ///
    /// # Errors
    /// The file cannot be written; a keyring not from a file is left alone.
    pub fn persist(&self) -> Result<(), CryptoError> {
        match &self.origin {
            KeyOrigin::File(path) => write_key_file(path, &self.keys, false),
            _ => Ok(()),
        }
    }
}

fn parse_list(list: &str, source_name: &str) -> Result<Vec<Key>, CryptoError> {
    let keys = list
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .map(|k| Key::parse(k, source_name))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(CryptoError::BadKey { source_name: source_name.to_owned(), message: "holds no key".into() });
    }
    Ok(keys)
}

/// Writes one key per line, current first, through a temporary file and a
/// rename so a crash never leaves a half-written key file.
fn write_key_file(path: &Path, keys: &[Key], create_new: bool) -> Result<(), CryptoError> {
    let io = |source| CryptoError::Io { path: path.to_owned(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("key.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io)?;
    let text: String = keys.iter().map(|k| k.encoded() + "\n").collect();
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    if create_new && path.exists() {
        // Another process generated the key first: keep theirs.
        let _ = std::fs::remove_file(&tmp);
        return Ok(());
    }
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let ring = Keyring::generate(1);
        let sealed = ring.seal("access-sandbox-123", "conn-1");
        assert!(sealed.starts_with(&format!("tv1:{}:", ring.current_id())));
        assert!(!sealed.contains("access-sandbox"));
        assert_eq!(ring.open(&sealed, "conn-1").expect("opens"), "access-sandbox-123");
        // A fresh nonce every time.
        assert_ne!(sealed, ring.seal("access-sandbox-123", "conn-1"));
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::generate(1);
        let sealed = ring.seal("secret", "ctx");
        let (head, body) = sealed.rsplit_once(':').expect("three parts");
        let mut blob = URL_SAFE_NO_PAD.decode(body).expect("base64");
        let last = blob.len() - 1;
        blob[last] ^= 1;
        let forged = format!("{head}:{}", URL_SAFE_NO_PAD.encode(blob));
        assert!(matches!(ring.open(&forged, "ctx"), Err(CryptoError::Tampered)));
        assert!(matches!(ring.open(&sealed, "other-ctx"), Err(CryptoError::Tampered)));
        assert!(matches!(ring.open("garbage", "ctx"), Err(CryptoError::Malformed)));
    }

    #[test]
    fn wrong_key_is_refused() {
        let sealed = Keyring::generate(1).seal("secret", "ctx");
        let other = Keyring::generate(1);
        assert!(matches!(other.open(&sealed, "ctx"), Err(CryptoError::UnknownKey(_))));
        // Same key id but different key material also fails closed.
        let kid = sealed.split(':').nth(1).expect("kid").to_owned();
        let spoofed = sealed.replacen(&kid, other.current_id(), 1);
        assert!(matches!(other.open(&spoofed, "ctx"), Err(CryptoError::Tampered)));
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = Keyring::generate(1);
        let sealed = old.seal("secret", "ctx");
        let rotated = old.with_new_key();
        assert!(rotated.is_stale(&sealed));
        assert_eq!(rotated.open(&sealed, "ctx").expect("old key still opens"), "secret");
        let resealed = rotated.seal("secret", "ctx");
        assert!(!rotated.is_stale(&resealed));
        assert_eq!(rotated.current_only().open(&resealed, "ctx").expect("new key opens"), "secret");
        assert!(rotated.current_only().open(&sealed, "ctx").is_err());
    }

    #[test]
    fn env_keys_parse_and_bad_ones_are_named() {
        let a = STANDARD.encode([7u8; 32]);
        let b = URL_SAFE_NO_PAD.encode([9u8; 32]);
        let ring = Keyring::load(Some(&format!("{a}, {b}")), Path::new("/nonexistent")).expect("loads");
        assert_eq!(ring.keys.len(), 2);
        assert_eq!(ring.origin(), &KeyOrigin::Environment);
        let err = Keyring::load(Some("c2hvcnQ="), Path::new("/nonexistent")).expect_err("short key");
        assert!(err.to_string().contains("TRIBUTARY_SECRET_KEY"), "{err}");
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }

    #[test]
    fn key_file_is_generated_once_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Keyring::load(None, dir.path()).expect("generates");
        let second = Keyring::load(None, dir.path()).expect("reads");
        assert_eq!(first.current_id(), second.current_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).expect("exists").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let rotated = second.with_new_key();
        rotated.persist().expect("writes");
        let reread = Keyring::load(None, dir.path()).expect("reads");
        assert_eq!(reread.keys.len(), 2);
        assert_eq!(reread.current_id(), rotated.current_id());
    }
}
