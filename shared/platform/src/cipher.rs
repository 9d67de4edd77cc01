//! Encryption of stored secrets (OAuth tokens, webhook signing secrets,
//! payout bank accounts and tax ids): AES-256-GCM (the `aes-gcm` crate)
//! with a fresh random 96-bit nonce per encryption, and the owner and the field as associated data,
//! so a ciphertext copied onto another partner or into another field does
//! not decrypt. Beside each
//! ciphertext is the id of its key (the first 16 hex digits of the key's
//! SHA-256), so `ENCRYPTION_KEY` can rotate: the configuration holds the
//! new key and, during the rotation, the previous ones, and a secret is
//! decrypted with whichever key its id names. A deployed function that
//! meets an id it does not know reloads its secrets ([`FieldCipher::opening`]):
//! another function may have sealed it with a key rotated in since this
//! one started.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, MissingSecret};

/// A secret as stored: never the plaintext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sealed {
    pub key_id: String,
    /// Base64 of the 12-byte nonce.
    pub nonce: String,
    /// Base64 of the ciphertext and its tag.
    pub ciphertext: String,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CipherError {
    #[error(transparent)]
    MissingKey(#[from] MissingSecret),
    /// No configured key has this id: it was rotated out too early.
    #[error("no configured encryption key has id {0}")]
    UnknownKey(String),
    /// The ciphertext, nonce or associated data was altered, or the key is
    /// wrong. The message never carries the secret.
    #[error("a stored secret could not be decrypted")]
    Corrupt,
}

struct KeyEntry {
    id: String,
    cipher: Aes256Gcm,
}

impl KeyEntry {
    fn new(bytes: &[u8; 32]) -> Self {
        Self {
            id: hex::encode(&Sha256::digest(bytes)[..8]),
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(*bytes)),
        }
    }
}

/// The configured keys: encrypts with the current, decrypts with any.
pub struct FieldCipher {
    current: KeyEntry,
    older: Vec<KeyEntry>,
}

impl FieldCipher {
    pub fn new(current: &[u8; 32], previous: Option<&[u8; 32]>) -> Self {
        Self {
            current: KeyEntry::new(current),
            older: previous.into_iter().map(KeyEntry::new).collect(),
        }
    }

    /// The configured keys, as held now.
    pub fn from_config(config: &Config) -> Result<Self, CipherError> {
        let keys = config.encryption_keys()?;
        Ok(Self {
            current: KeyEntry::new(&keys[0]),
            older: keys[1..].iter().map(KeyEntry::new).collect(),
        })
    }

    /// The configured keys, able to open each of `sealed` when any key
    /// can: an id no key held has reloads the secrets first (rate-limited,
    /// see [`Keyring::reload`](crate::secrets::Keyring::reload)).
    pub async fn opening<'a>(
        config: &Config,
        sealed: impl IntoIterator<Item = &'a Sealed>,
    ) -> Result<Self, CipherError> {
        let cipher = Self::from_config(config)?;
        if sealed.into_iter().all(|s| cipher.knows(&s.key_id)) {
            return Ok(cipher);
        }
        config.secrets.reload().await;
        Self::from_config(config)
    }

    fn knows(&self, key_id: &str) -> bool {
        self.current.id == key_id || self.older.iter().any(|k| k.id == key_id)
    }

    /// The id of the key new encryptions use.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Encrypts `plaintext` bound to `context` (partner and field).
    pub fn seal(&self, plaintext: &str, context: &str) -> Sealed {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(&nonce, payload)
            .expect("AES-GCM encryption of a short secret cannot fail");
        Sealed {
            key_id: self.current.id.clone(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        }
    }

    /// Decrypts with the key `sealed` names.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<String, CipherError> {
        let key = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| CipherError::UnknownKey(sealed.key_id.clone()))?;
        let nonce: [u8; 12] = STANDARD
            .decode(&sealed.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(CipherError::Corrupt)?;
        let ciphertext = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| CipherError::Corrupt)?;
        let payload = Payload {
            msg: &ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = key
            .cipher
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| CipherError::Corrupt)?;
        String::from_utf8(plaintext).map_err(|_| CipherError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const OTHER: [u8; 32] = [9; 32];

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_context() {
        let cipher = FieldCipher::new(&KEY, None);
        let sealed = cipher.seal("pat-secret-token", "p1:access");
        assert!(!sealed.ciphertext.contains("pat-secret"));
        assert_eq!(
            cipher.open(&sealed, "p1:access").unwrap(),
            "pat-secret-token"
        );
        assert_eq!(cipher.open(&sealed, "p2:access"), Err(CipherError::Corrupt));
        let mut tampered = sealed.clone();
        tampered.ciphertext = STANDARD.encode(b"0123456789abcdef0123456789");
        assert_eq!(
            cipher.open(&tampered, "p1:access"),
            Err(CipherError::Corrupt)
        );
        let stranger = FieldCipher::new(&OTHER, None);
        assert_eq!(
            stranger.open(&sealed, "p1:access"),
            Err(CipherError::UnknownKey(sealed.key_id.clone()))
        );
    }

    #[test]
    fn each_encryption_has_its_own_nonce() {
        let cipher = FieldCipher::new(&KEY, None);
        let a = cipher.seal("same", "c");
        let b = cipher.seal("same", "c");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(STANDARD.decode(&a.nonce).unwrap().len(), 12);
    }

    #[tokio::test]
    async fn an_unknown_key_id_reloads_the_keyring_once() {
        use crate::secrets::{Keyring, Secret, SecretSource, SecretsError};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        /// The key was rotated: the store has the new one.
        struct Rotated(AtomicUsize);
        #[async_trait::async_trait]
        impl SecretSource for Rotated {
            async fn current(&self, _: &[Secret]) -> Result<Vec<(Secret, String)>, SecretsError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok(vec![(Secret::Encryption, hex::encode(KEY))])
            }
            async fn previous(&self, _: &[Secret]) -> Result<Vec<(Secret, String)>, SecretsError> {
                Ok(vec![(Secret::Encryption, hex::encode(OTHER))])
            }
        }
        let sealed_elsewhere = FieldCipher::new(&KEY, None).seal("new-token", "c");
        let mut config = Config::local_defaults();
        let store = Arc::new(Rotated(AtomicUsize::new(0)));
        // Started before the rotation: holds only the old key.
        config.secrets = {
            let old = Keyring::fixed([(Secret::Encryption, hex::encode(OTHER))]);
            old.attach(store.clone());
            old
        };
        let stale = FieldCipher::from_config(&config).unwrap();
        assert_eq!(
            stale.open(&sealed_elsewhere, "c"),
            Err(CipherError::UnknownKey(sealed_elsewhere.key_id.clone()))
        );
        let cipher = FieldCipher::opening(&config, [&sealed_elsewhere])
            .await
            .unwrap();
        assert_eq!(cipher.open(&sealed_elsewhere, "c").unwrap(), "new-token");
        assert_eq!(store.0.load(Ordering::SeqCst), 1);
        // Fields of the old key still open; known ids read nothing.
        let old_field = stale.seal("old-token", "c");
        let cipher = FieldCipher::opening(&config, [&old_field, &sealed_elsewhere])
            .await
            .unwrap();
        assert_eq!(cipher.open(&old_field, "c").unwrap(), "old-token");
        assert_eq!(store.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn after_a_rotation_old_tokens_open_and_new_ones_use_the_new_key() {
        let old = FieldCipher::new(&OTHER, None);
        let sealed_before = old.seal("old-token", "c");
        let rotated = FieldCipher::new(&KEY, Some(&OTHER));
        assert_eq!(rotated.open(&sealed_before, "c").unwrap(), "old-token");
        let sealed_after = rotated.seal("new-token", "c");
        assert_eq!(sealed_after.key_id, rotated.current_key_id());
        assert_ne!(sealed_after.key_id, sealed_before.key_id);
    }
}
