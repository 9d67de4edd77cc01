//! Objects kept by the process: under a directory (the dev server's
//! `DATA_DIR/uploads`) or in memory. Its presigned URLs point at the dev
//! server's `PUT /dev/uploads/{key}?expires=…&signature=…` (the key's
//! slashes encoded, so it is one path segment), signed with a
//! per-process HMAC key, so the whole upload flow runs locally.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{ObjectError, ObjectStore};

/// Largest object taken (an import file is at most 10 MB).
pub const MAX_OBJECT_BYTES: usize = 10 * 1024 * 1024;

pub struct EmbeddedObjects {
    dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, Vec<u8>>>,
    key: [u8; 32],
    base_url: RwLock<String>,
}

fn backend(e: impl std::fmt::Display) -> ObjectError {
    ObjectError::Backend(e.to_string())
}

impl EmbeddedObjects {
    /// Objects under `dir` when given, else in memory.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            memory: Mutex::default(),
            key: rand::random(),
            base_url: RwLock::new("http://127.0.0.1:3000".into()),
        }
    }

    /// Where the dev server listens, for the URLs it signs.
    pub fn set_base_url(&self, url: &str) {
        if let Ok(mut base) = self.base_url.write() {
            *base = url.trim_end_matches('/').to_owned();
        }
    }

    fn mac(&self, key: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(format!("{key}\n{expires}").as_bytes());
        mac
    }

    /// Keys are `/`-separated names of letters, digits, `-`, `_` and `.`,
    /// without `..`, so a key never leaves the directory.
    fn path(&self, key: &str) -> Result<Option<PathBuf>, ObjectError> {
        let valid = !key.is_empty()
            && key.len() <= 512
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            });
        if !valid {
            return Err(ObjectError::Backend(format!("invalid object key {key:?}")));
        }
        Ok(self.dir.as_ref().map(|d| d.join(key)))
    }
}

#[async_trait]
impl ObjectStore for EmbeddedObjects {
    async fn presign_put(
        &self,
        key: &str,
        _content_type: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<String, ObjectError> {
        self.path(key)?;
        let expires = expires_at.timestamp();
        let signature = hex::encode(self.mac(key, expires).finalize().into_bytes());
        let base = self.base_url.read().map_err(backend)?.clone();
        // One path segment: the route takes the key whole, slashes encoded.
        let segment = key.replace('/', "%2F");
        Ok(format!(
            "{base}/dev/uploads/{segment}?expires={expires}&signature={signature}"
        ))
    }

    async fn get(&self, key: &str, max_bytes: usize) -> Result<Option<Vec<u8>>, ObjectError> {
        let bytes = match self.path(key)? {
            Some(path) => match tokio::fs::read(&path).await {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(backend(e)),
            },
            None => self.memory.lock().map_err(backend)?.get(key).cloned(),
        };
        match bytes {
            Some(b) if b.len() > max_bytes => Err(ObjectError::TooLarge(max_bytes)),
            other => Ok(other),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        match self.path(key)? {
            Some(path) => match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(backend(e)),
                _ => Ok(()),
            },
            None => {
                self.memory.lock().map_err(backend)?.remove(key);
                Ok(())
            }
        }
    }

    async fn accept_upload(
        &self,
        key: &str,
        expires: i64,
        signature: &str,
        now: DateTime<Utc>,
        bytes: Vec<u8>,
    ) -> Result<(), ObjectError> {
        let signature = hex::decode(signature).map_err(|_| ObjectError::BadSignature)?;
        // verify_slice compares in constant time.
        self.mac(key, expires)
            .verify_slice(&signature)
            .map_err(|_| ObjectError::BadSignature)?;
        if now.timestamp() > expires {
            return Err(ObjectError::BadSignature);
        }
        if bytes.len() > MAX_OBJECT_BYTES {
            return Err(ObjectError::TooLarge(MAX_OBJECT_BYTES));
        }
        match self.path(key)? {
            Some(path) => {
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(backend)?;
                }
                tokio::fs::write(&path, bytes).await.map_err(backend)
            }
            None => {
                self.memory
                    .lock()
                    .map_err(backend)?
                    .insert(key.to_owned(), bytes);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(url: &str) -> (i64, String) {
        let (_, q) = url.split_once('?').unwrap();
        let (e, s) = q.split_once('&').unwrap();
        (
            e.trim_start_matches("expires=").parse().unwrap(),
            s.trim_start_matches("signature=").to_owned(),
        )
    }

    #[tokio::test]
    async fn only_a_signed_unexpired_upload_is_taken() {
        let objects = EmbeddedObjects::new(None);
        objects.set_base_url("http://127.0.0.1:9/");
        let now = Utc::now();
        let url = objects
            .presign_put(
                "imports/P1/U1.csv",
                None,
                now + chrono::Duration::minutes(15),
            )
            .await
            .unwrap();
        assert!(url.starts_with("http://127.0.0.1:9/dev/uploads/imports%2FP1%2FU1.csv?"));
        let (expires, signature) = query(&url);

        let other = objects
            .accept_upload("imports/P2/U1.csv", expires, &signature, now, b"x".to_vec())
            .await;
        assert_eq!(other, Err(ObjectError::BadSignature));
        let late = now + chrono::Duration::minutes(16);
        let expired = objects
            .accept_upload(
                "imports/P1/U1.csv",
                expires,
                &signature,
                late,
                b"x".to_vec(),
            )
            .await;
        assert_eq!(expired, Err(ObjectError::BadSignature));
        assert_eq!(objects.get("imports/P1/U1.csv", 10).await.unwrap(), None);

        objects
            .accept_upload(
                "imports/P1/U1.csv",
                expires,
                &signature,
                now,
                b"email\n".to_vec(),
            )
            .await
            .unwrap();
        let got = objects.get("imports/P1/U1.csv", 10).await.unwrap();
        assert_eq!(got.as_deref(), Some(&b"email\n"[..]));
        assert_eq!(
            objects.get("imports/P1/U1.csv", 3).await,
            Err(ObjectError::TooLarge(3))
        );
        objects.delete("imports/P1/U1.csv").await.unwrap();
        assert_eq!(objects.get("imports/P1/U1.csv", 10).await.unwrap(), None);
        assert!(objects.presign_put("../etc", None, now).await.is_err());
    }
}
