//! The secrets this process holds. Locally they are fixed (the
//! environment's values or the development ones). A deployed function
//! reads them from its [`SecretSource`] at start and keeps them; a rotation
//! needs no deploy because a check that fails with every value held (a
//! token signed with a key this process has not seen, a sealed field
//! naming an unknown key id) reloads them: the current values and, for the
//! secrets that check, the previous ones (`AWSPREVIOUS`), so tokens and
//! fields made before the rotation still verify. Reloads are rate-limited
//! ([`RELOAD_INTERVAL`]): forged tokens cannot make every request call the
//! secret store.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::{MissingSecret, Secret, SecretSource, SecretsError, check, parse_keys};

/// The shortest time between two reloads of one process's secrets.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(60);

/// A secret's values: the current one, and after a rotation the previous.
#[derive(Clone, PartialEq, Eq)]
struct Versions {
    current: String,
    previous: Option<String>,
}

impl Versions {
    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.current.as_str()).chain(self.previous.as_deref())
    }
}

/// The current value of a secret. Debug output never shows it.
#[derive(Clone)]
pub struct SecretText(Arc<Versions>);

impl Deref for SecretText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0.current
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The secrets of this process; clones share them.
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<Inner>,
}

struct Inner {
    /// The secrets this process may hold (a deployed function's declared
    /// ones; locally those with a value).
    held: Vec<Secret>,
    values: RwLock<HashMap<Secret, Arc<Versions>>>,
    source: OnceLock<Arc<dyn SecretSource>>,
    last_reload: Mutex<Option<Instant>>,
    reload_interval: Duration,
}

impl Keyring {
    fn with_values(held: Vec<Secret>, values: HashMap<Secret, Arc<Versions>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                held,
                values: RwLock::new(values),
                source: OnceLock::new(),
                last_reload: Mutex::new(None),
                reload_interval: RELOAD_INTERVAL,
            }),
        }
    }

    /// Fixed values (the dev server, tests): nothing to reload.
    pub fn fixed(values: impl IntoIterator<Item = (Secret, String)>) -> Self {
        let values: HashMap<Secret, Arc<Versions>> = values
            .into_iter()
            .map(|(secret, current)| {
                let versions = Versions {
                    current,
                    previous: None,
                };
                (secret, Arc::new(versions))
            })
            .collect();
        let mut held: Vec<Secret> = values.keys().copied().collect();
        held.sort();
        Self::with_values(held, values)
    }

    /// The secrets `held`, none read yet: [`Keyring::attach`] a source and
    /// [`Keyring::load`] them.
    pub fn to_load(held: &[Secret]) -> Self {
        Self::with_values(held.to_vec(), HashMap::new())
    }

    /// The secrets this keyring holds or is to load.
    pub fn held(&self) -> &[Secret] {
        &self.inner.held
    }

    /// Reads from `source` from now on; a keyring has one source
    /// (answers false when it already had one).
    pub fn attach(&self, source: Arc<dyn SecretSource>) -> bool {
        self.inner.source.set(source).is_ok()
    }

    /// Reads the current value of every held secret (one call to the
    /// store); each must exist and be valid.
    pub async fn load(&self) -> Result<(), SecretsError> {
        let Some(source) = self.inner.source.get() else {
            return Ok(());
        };
        let current = source.current(&self.inner.held).await?;
        self.store(current, Vec::new())
    }

    /// Reads every held secret again, with the previous values of those
    /// that check (see [`Secret::verifies`]), unless the last reload was
    /// less than [`RELOAD_INTERVAL`] ago. Concurrent callers share one
    /// reload. A failure is logged and the values held are kept.
    pub async fn reload(&self) {
        let Some(source) = self.inner.source.get() else {
            return;
        };
        let mut last = self.inner.last_reload.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.inner.reload_interval) {
            return;
        }
        *last = Some(Instant::now());
        let verifying: Vec<Secret> = self
            .inner
            .held
            .iter()
            .copied()
            .filter(|s| s.verifies())
            .collect();
        let (current, previous) = futures::join!(
            source.current(&self.inner.held),
            source.previous(&verifying)
        );
        let stored = match (current, previous) {
            (Ok(current), Ok(previous)) => self.store(current, previous),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        match stored {
            Ok(()) => tracing::info!("secrets reloaded"),
            Err(error) => tracing::warn!(%error, "secrets reload failed; keeping those held"),
        }
    }

    fn store(
        &self,
        current: Vec<(Secret, String)>,
        previous: Vec<(Secret, String)>,
    ) -> Result<(), SecretsError> {
        let invalid = |secret: Secret, value: &str| {
            check(secret, value).map_err(|reason| SecretsError::Invalid { secret, reason })
        };
        let mut read = HashMap::new();
        for (secret, value) in current {
            invalid(secret, &value)?;
            let previous = previous
                .iter()
                .find(|(s, _)| *s == secret)
                .map(|(_, v)| v.clone())
                .filter(|v| check(secret, v).is_ok() && *v != value);
            let versions = Versions {
                current: value,
                previous,
            };
            read.insert(secret, Arc::new(versions));
        }
        if let Ok(mut values) = self.inner.values.write() {
            values.extend(read);
        }
        Ok(())
    }

    fn versions(&self, secret: Secret) -> Result<Arc<Versions>, MissingSecret> {
        self.inner
            .values
            .read()
            .ok()
            .and_then(|values| values.get(&secret).cloned())
            .ok_or(MissingSecret(secret))
    }

    /// Whether the secret has a value here.
    pub fn holds(&self, secret: Secret) -> bool {
        self.versions(secret).is_ok()
    }

    /// The secret's current value (signing, sending), or [`MissingSecret`]
    /// when this function was not given it.
    pub fn current(&self, secret: Secret) -> Result<SecretText, MissingSecret> {
        self.versions(secret).map(SecretText)
    }

    /// Runs `attempt` with the secret's current value, then its previous
    /// one; when each fails with an error `wrong_key` blames on the key,
    /// reloads (rate-limited) and tries again if the values changed.
    /// Answers the first success, else the last error.
    pub async fn verify<T, E>(
        &self,
        secret: Secret,
        attempt: impl Fn(&str) -> Result<T, E>,
        wrong_key: impl Fn(&E) -> bool,
    ) -> Result<Result<T, E>, MissingSecret> {
        let try_each = |versions: &Versions| {
            let mut last = None;
            for value in versions.all() {
                match attempt(value) {
                    Ok(answer) => return Ok(answer),
                    Err(e) if wrong_key(&e) => last = Some(e),
                    Err(e) => return Err((e, false)),
                }
            }
            Err((last.expect("a secret has a current value"), true))
        };
        let before = self.versions(secret)?;
        let error = match try_each(&before) {
            Ok(answer) => return Ok(Ok(answer)),
            Err((error, false)) => return Ok(Err(error)),
            Err((error, true)) => error,
        };
        self.reload().await;
        let after = self.versions(secret)?;
        if after == before {
            return Ok(Err(error));
        }
        Ok(try_each(&after).map_err(|(error, _)| error))
    }

    /// The encryption keys: the current value's first key encrypts; its
    /// other keys and the previous value's still decrypt.
    pub fn encryption_keys(&self) -> Result<Vec<[u8; 32]>, MissingSecret> {
        let versions = self.versions(Secret::Encryption)?;
        let mut keys: Vec<[u8; 32]> = Vec::new();
        for value in versions.all() {
            for key in parse_keys(value).unwrap_or_default() {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        if keys.is_empty() {
            // Checked when stored.
            return Err(MissingSecret(Secret::Encryption));
        }
        Ok(keys)
    }

    /// The same values without the secrets outside `held`: what a deployed
    /// function holding only those sees (tests of declarations).
    pub fn holding_only(&self, held: &[Secret]) -> Self {
        let values: HashMap<Secret, Arc<Versions>> = self
            .inner
            .values
            .read()
            .map(|values| {
                values
                    .iter()
                    .filter(|(secret, _)| held.contains(secret))
                    .map(|(secret, versions)| (*secret, versions.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut kept: Vec<Secret> = values.keys().copied().collect();
        kept.sort();
        Self::with_values(kept, values)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for secret in self.held() {
            let state = if self.holds(*secret) {
                "<redacted>"
            } else {
                "<not read>"
            };
            map.entry(&secret.env_name(), &state);
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;

    /// A store whose values the test changes, counting the calls.
    #[derive(Default)]
    struct Store {
        current: StdMutex<HashMap<Secret, String>>,
        previous: StdMutex<HashMap<Secret, String>>,
        calls: AtomicUsize,
    }

    impl Store {
        fn rotate(&self, secret: Secret, value: &str) {
            let mut current = self.current.lock().unwrap();
            if let Some(old) = current.insert(secret, value.into()) {
                self.previous.lock().unwrap().insert(secret, old);
            }
        }
    }

    #[async_trait]
    impl SecretSource for Store {
        async fn current(&self, secrets: &[Secret]) -> Result<Vec<(Secret, String)>, SecretsError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let current = self.current.lock().unwrap();
            secrets
                .iter()
                .map(|s| {
                    let value = current.get(s).cloned().ok_or(SecretsError::Unreadable {
                        secret: *s,
                        id: format!("arn:{s}"),
                        reason: "not found".into(),
                    })?;
                    Ok((*s, value))
                })
                .collect()
        }

        async fn previous(
            &self,
            secrets: &[Secret],
        ) -> Result<Vec<(Secret, String)>, SecretsError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let previous = self.previous.lock().unwrap();
            Ok(secrets
                .iter()
                .filter_map(|s| previous.get(s).map(|v| (*s, v.clone())))
                .collect())
        }
    }

    const OLD: &str = "old-oauth-secret-0123456789abcdef0123456789";
    const NEW: &str = "new-oauth-secret-0123456789abcdef0123456789";

    const INTERVAL: Duration = Duration::from_millis(200);

    async fn loaded(store: &Arc<Store>, held: &[Secret]) -> Keyring {
        let mut keyring = Keyring::to_load(held);
        Arc::get_mut(&mut keyring.inner).unwrap().reload_interval = INTERVAL;
        assert!(keyring.attach(store.clone()));
        keyring.load().await.unwrap();
        keyring
    }

    /// "Verifies" a token that is the key itself.
    fn check_token(token: &str) -> impl Fn(&str) -> Result<(), &'static str> + '_ {
        move |key| {
            if key == token {
                Ok(())
            } else {
                Err("bad signature")
            }
        }
    }

    #[tokio::test]
    async fn a_missing_or_invalid_secret_stops_the_load_naming_it() {
        let store = Arc::new(Store::default());
        store.rotate(Secret::OauthState, OLD);
        let keyring = Keyring::to_load(&[Secret::OauthState, Secret::StripeSecretKey]);
        keyring.attach(store.clone());
        let error = keyring.load().await.unwrap_err();
        assert!(error.to_string().contains("STRIPE_SECRET_KEY"), "{error}");
        store.rotate(Secret::OauthState, "short");
        let error = loaded_error(&store, &[Secret::OauthState]).await;
        assert!(error.to_string().contains("OAUTH_STATE_SECRET"), "{error}");
        assert!(error.to_string().contains("32"), "{error}");
        // A session signing key must be what `openssl genpkey -algorithm
        // ed25519` writes, not an HMAC secret.
        store.rotate(Secret::JwtSigningKey, OLD);
        let error = loaded_error(&store, &[Secret::JwtSigningKey]).await;
        let text = error.to_string();
        assert!(text.contains("invalid secret JWT_SIGNING_KEY"), "{text}");
        assert!(
            text.contains("openssl genpkey -algorithm ed25519"),
            "{text}"
        );
        store.rotate(Secret::JwtSigningKey, crate::session_keys::DEV_SIGNING_KEY);
        let keyring = loaded(&store, &[Secret::JwtSigningKey]).await;
        assert!(keyring.holds(Secret::JwtSigningKey));
    }

    async fn loaded_error(store: &Arc<Store>, held: &[Secret]) -> SecretsError {
        let keyring = Keyring::to_load(held);
        keyring.attach(store.clone());
        keyring.load().await.unwrap_err()
    }

    #[tokio::test]
    async fn after_a_rotation_both_values_verify_and_reloads_are_rate_limited() {
        let store = Arc::new(Store::default());
        store.rotate(Secret::OauthState, OLD);
        let keyring = loaded(&store, &[Secret::OauthState]).await;
        assert_eq!(store.calls.load(Ordering::SeqCst), 1, "one read at start");
        assert_eq!(&*keyring.current(Secret::OauthState).unwrap(), OLD);
        assert_eq!(
            format!("{:?}", keyring.current(Secret::OauthState).unwrap()),
            "<redacted>"
        );

        // Rotated elsewhere: a token with the new key reloads, then verifies,
        // and so do tokens signed before the rotation.
        store.rotate(Secret::OauthState, NEW);
        let fresh = keyring
            .verify(Secret::OauthState, check_token(NEW), |_| true)
            .await;
        assert_eq!(fresh, Ok(Ok(())));
        assert_eq!(&*keyring.current(Secret::OauthState).unwrap(), NEW);
        let before = keyring
            .verify(Secret::OauthState, check_token(OLD), |_| true)
            .await;
        assert_eq!(before, Ok(Ok(())));
        let calls = store.calls.load(Ordering::SeqCst);
        assert_eq!(calls, 3, "one reload: current and previous");

        // Forged tokens: refused, and at most one reload per interval (the
        // reload above was the last one for INTERVAL).
        let forged = keyring
            .verify(Secret::OauthState, check_token("forged"), |_| true)
            .await;
        assert_eq!(forged, Ok(Err("bad signature")));
        assert_eq!(store.calls.load(Ordering::SeqCst), calls, "rate-limited");
        tokio::time::sleep(INTERVAL).await;
        for _ in 0..50 {
            let forged = keyring
                .verify(Secret::OauthState, check_token("forged"), |_| true)
                .await;
            assert_eq!(forged, Ok(Err("bad signature")));
        }
        assert_eq!(store.calls.load(Ordering::SeqCst), calls + 2, "one reload");
        tokio::time::sleep(INTERVAL).await;
        let forged = keyring
            .verify(Secret::OauthState, check_token("forged"), |_| true)
            .await;
        assert_eq!(forged, Ok(Err("bad signature")));
        assert_eq!(
            store.calls.load(Ordering::SeqCst),
            calls + 4,
            "the next one"
        );

        // An error not blamed on the key reloads nothing.
        tokio::time::sleep(INTERVAL).await;
        let expired = keyring
            .verify(Secret::OauthState, check_token("x"), |_| false)
            .await;
        assert_eq!(expired, Ok(Err("bad signature")));
        assert_eq!(store.calls.load(Ordering::SeqCst), calls + 4);
        // A secret not held is named.
        let missing = keyring
            .verify(Secret::MagicLink, check_token("x"), |_| true)
            .await;
        assert_eq!(missing, Err(MissingSecret(Secret::MagicLink)));
    }

    #[tokio::test]
    async fn fixed_keyrings_never_reload_and_hold_only_what_they_are_given() {
        let keyring = Keyring::fixed([(Secret::OauthState, OLD.to_owned())]);
        let answer = keyring
            .verify(Secret::OauthState, check_token(NEW), |_| true)
            .await;
        assert_eq!(answer, Ok(Err("bad signature")));
        assert!(keyring.holds(Secret::OauthState));
        let none = keyring.holding_only(&[Secret::Encryption]);
        assert!(!none.holds(Secret::OauthState));
        assert_eq!(none.held(), &[] as &[Secret]);
        assert!(format!("{keyring:?}").contains("OAUTH_STATE_SECRET"));
        assert!(!format!("{keyring:?}").contains("old-jwt"));
    }

    #[tokio::test]
    async fn encryption_keys_are_the_current_list_then_the_previous_value() {
        let (a, b, c) = ("0a".repeat(32), "0b".repeat(32), "0c".repeat(32));
        let store = Arc::new(Store::default());
        store.rotate(Secret::Encryption, &format!("{b},{a}"));
        store.rotate(Secret::Encryption, &c);
        let keyring = loaded(&store, &[Secret::Encryption]).await;
        assert_eq!(keyring.encryption_keys().unwrap(), vec![[0x0c; 32]]);
        keyring.reload().await;
        assert_eq!(
            keyring.encryption_keys().unwrap(),
            vec![[0x0c; 32], [0x0b; 32], [0x0a; 32]]
        );
    }
}
