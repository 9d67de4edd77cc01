//! Configuration from environment variables. In Lambda a missing or
//! unsafe setting stops the function at start with a message naming it, and
//! the function holds only the secrets it declares; locally every setting
//! has a development default.

use std::collections::HashMap;

pub use crate::secrets::{MissingSecret, Secret, SecretValue};

/// Where the process runs, which decides whether defaults are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A deployed function: secrets and names must come from the environment.
    Lambda,
    /// The dev server and tests: development defaults fill the gaps.
    Local,
}

/// `SameSite` attribute of the session cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl SameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub mode: Mode,
    pub table_name: String,
    pub event_bus_name: String,
    /// The bucket that takes uploads too large for a request body.
    pub uploads_bucket: String,
    pub email_from: String,
    pub client_url: String,
    /// The one browser origin (`scheme://host[:port]`) allowed to call
    /// with credentials.
    pub cors_origin: String,
    pub jwt_secret: SecretValue,
    pub magic_link_secret: SecretValue,
    /// 64 hexadecimal characters (checked at start), for AES-256-GCM of
    /// stored secrets (OAuth tokens, webhook signing secrets); see
    /// [`Config::encryption_key_bytes`].
    pub encryption_key: SecretValue,
    pub stripe_secret_key: SecretValue,
    pub stripe_webhook_secret: SecretValue,
    pub hubspot_client_id: SecretValue,
    pub hubspot_client_secret: SecretValue,
    pub hubspot_redirect_uri: Option<String>,
    pub chilipiper_webhook_secret: SecretValue,
    pub lost_lead_alert_to: String,
    pub billing_alert_to: String,
    pub cookie_same_site: SameSite,
    /// `Secure` on cookies; only the local server over plain HTTP turns it off.
    pub cookie_secure: bool,
    /// Queue URLs by queue name (`emails` → URL), from `*_QUEUE_URL`.
    pub queue_urls: HashMap<String, String>,
    /// Base of the exponential backoff between tries of a failed message
    /// (`QUEUE_RETRY_DELAY_MS`, default 1000).
    pub queue_retry_delay: std::time::Duration,
    /// Most rows one list request reads before it answers with what it
    /// read, marked `truncated` (`LIST_READ_LIMIT`, default 10,000). Lists
    /// whose filters are key conditions never get near it.
    pub list_read_limit: usize,
    /// Whether partner webhooks may point at plain `http://` and loopback
    /// receivers. Never read from the environment: only the dev server
    /// turns it on, so a developer can receive webhooks locally; private,
    /// link-local and metadata addresses stay refused even then.
    pub webhook_local_receivers: bool,
    /// Whether a webhook retry waits on the queue (a delayed message,
    /// re-enqueued while the wait exceeds SQS's 15 minutes). Off, every
    /// retry waits in the store for the `webhook-retries` sweep, which
    /// follows the clock port: tests that move the settable clock turn it
    /// off rather than wait real minutes.
    pub webhook_retries_on_queue: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required setting {0}")]
    Missing(&'static str),
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Reads settings from a lookup function (the environment, or a map in tests).
pub struct Settings<F: Fn(&str) -> Option<String>> {
    mode: Mode,
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Settings<F> {
    fn get(&self, name: &'static str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    fn required(&self, name: &'static str, local_default: &str) -> Result<String, ConfigError> {
        match (self.get(name), self.mode) {
            (Some(v), _) => Ok(v),
            (None, Mode::Local) => Ok(local_default.to_owned()),
            (None, Mode::Lambda) => Err(ConfigError::Missing(name)),
        }
    }

    /// A secret: locally the environment's value or the development one;
    /// in Lambda only the secrets in `needs` are read, and each of them
    /// must be set and long enough.
    fn secret(&self, secret: Secret, needs: &[Secret]) -> Result<SecretValue, ConfigError> {
        let name = secret.env_name();
        let value = match self.mode {
            Mode::Local => self
                .get(name)
                .or_else(|| secret.local_default().map(str::to_owned)),
            Mode::Lambda if needs.contains(&secret) => {
                let value = self.get(name).ok_or(ConfigError::Missing(name))?;
                if value.len() < secret.min_length() {
                    return Err(ConfigError::Invalid {
                        name,
                        reason: format!("must be at least {} characters", secret.min_length()),
                    });
                }
                Some(value)
            }
            Mode::Lambda => None,
        };
        if secret == Secret::Encryption && value.as_deref().is_some_and(|v| parse_keys(v).is_none())
        {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be 64 hexadecimal characters, optionally followed by a comma and the previous key's 64".into(),
            });
        }
        Ok(SecretValue::new(secret, value))
    }
}

impl Config {
    /// Reads the process environment. `needs` are the secrets of the
    /// function this process runs (ignored locally, where every secret has
    /// a development value).
    pub fn from_env(mode: Mode, needs: &[Secret]) -> Result<Self, ConfigError> {
        Self::from_lookup(mode, needs, |name| std::env::var(name).ok())
    }

    /// The local defaults, untouched by the environment (tests).
    pub fn local_defaults() -> Self {
        Self::from_lookup(Mode::Local, &[], |_| None).expect("local defaults are complete")
    }

    /// This configuration without the secrets outside `held`: what a
    /// deployed function holding only those sees (tests of declarations).
    pub fn holding_only(mut self, held: &[Secret]) -> Self {
        for (secret, value) in [
            (Secret::Jwt, &mut self.jwt_secret),
            (Secret::MagicLink, &mut self.magic_link_secret),
            (Secret::Encryption, &mut self.encryption_key),
            (
                Secret::ChilipiperWebhook,
                &mut self.chilipiper_webhook_secret,
            ),
            (Secret::StripeSecretKey, &mut self.stripe_secret_key),
            (Secret::StripeWebhook, &mut self.stripe_webhook_secret),
            (Secret::HubspotClientId, &mut self.hubspot_client_id),
            (Secret::HubspotClientSecret, &mut self.hubspot_client_secret),
        ] {
            if !held.contains(&secret) {
                *value = SecretValue::new(secret, None);
            }
        }
        self
    }

    /// Where HubSpot sends the partner back after consent: the configured
    /// `HUBSPOT_REDIRECT_URI`, else the dev server's callback route.
    pub fn hubspot_callback_uri(&self) -> String {
        self.hubspot_redirect_uri
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:3000/v1/integrations/hubspot/callback".into())
    }

    /// The AES-256-GCM key of stored secrets.
    pub fn encryption_key_bytes(&self) -> Result<[u8; 32], MissingSecret> {
        let hex_text = self.encryption_key.expose()?;
        // Checked when the configuration was read.
        parse_keys(hex_text)
            .map(|(current, _)| current)
            .ok_or(MissingSecret(Secret::Encryption))
    }

    /// The key stored tokens were encrypted with before the last rotation
    /// (`ENCRYPTION_KEY=<new>,<previous>`), still accepted to decrypt
    /// until every token was encrypted again with the new one.
    pub fn previous_encryption_key_bytes(&self) -> Option<[u8; 32]> {
        parse_keys(self.encryption_key.expose().ok()?).and_then(|(_, previous)| previous)
    }

    pub fn from_lookup(
        mode: Mode,
        needs: &[Secret],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let s = Settings { mode, lookup };
        let secret = |secret| s.secret(secret, needs);
        let same_site = match s.get("COOKIE_SAME_SITE").as_deref().unwrap_or("Lax") {
            "Lax" | "lax" => SameSite::Lax,
            "Strict" | "strict" => SameSite::Strict,
            "None" | "none" => SameSite::None,
            other => {
                return Err(ConfigError::Invalid {
                    name: "COOKIE_SAME_SITE",
                    reason: format!("{other} is not Lax, Strict or None"),
                });
            }
        };
        let cookie_secure = match s.get("COOKIE_SECURE").as_deref() {
            Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "COOKIE_SECURE",
                    reason: format!("{other} is not true or false"),
                });
            }
            None => true,
        };
        if mode == Mode::Lambda && !cookie_secure {
            return Err(ConfigError::Invalid {
                name: "COOKIE_SECURE",
                reason:
                    "must be true in a deployed function: session cookies travel only over HTTPS"
                        .into(),
            });
        }
        let cors_origin = s.required("CORS_ORIGIN", "http://localhost:3001")?;
        check_origin(&cors_origin).map_err(|reason| ConfigError::Invalid {
            name: "CORS_ORIGIN",
            reason,
        })?;
        let queue_urls = crate::queue::QueueName::ALL
            .iter()
            .filter_map(|q| {
                (s.lookup)(&q.url_env())
                    .filter(|v| !v.is_empty())
                    .map(|url| (q.as_str().to_owned(), url))
            })
            .collect();
        let retry_ms = match s.get("QUEUE_RETRY_DELAY_MS") {
            Some(text) => text.parse::<u64>().map_err(|_| ConfigError::Invalid {
                name: "QUEUE_RETRY_DELAY_MS",
                reason: format!("{text} is not a number of milliseconds"),
            })?,
            None => 1000,
        };
        let list_read_limit = match s.get("LIST_READ_LIMIT") {
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "LIST_READ_LIMIT",
                    reason: format!("{text} is not a positive number of rows"),
                })?,
            None => 10_000,
        };
        Ok(Self {
            mode,
            table_name: s.required("TABLE_NAME", "partner-connector")?,
            event_bus_name: s.required("EVENT_BUS_NAME", "partner-connector")?,
            uploads_bucket: s.required("UPLOADS_BUCKET", "partner-connector-uploads")?,
            email_from: s.required(
                "EMAIL_FROM",
                "Partner Connector <no-reply@partner-connector.local>",
            )?,
            client_url: s
                .required("CLIENT_URL", "http://localhost:3001")?
                .trim_end_matches('/')
                .to_owned(),
            cors_origin,
            jwt_secret: secret(Secret::Jwt)?,
            magic_link_secret: secret(Secret::MagicLink)?,
            encryption_key: secret(Secret::Encryption)?,
            stripe_secret_key: secret(Secret::StripeSecretKey)?,
            stripe_webhook_secret: secret(Secret::StripeWebhook)?,
            hubspot_client_id: secret(Secret::HubspotClientId)?,
            hubspot_client_secret: secret(Secret::HubspotClientSecret)?,
            hubspot_redirect_uri: s.get("HUBSPOT_REDIRECT_URI"),
            chilipiper_webhook_secret: secret(Secret::ChilipiperWebhook)?,
            lost_lead_alert_to: s
                .required("LOST_LEAD_ALERT_TO", "alerts@partner-connector.local")?,
            billing_alert_to: s.required("BILLING_ALERT_TO", "billing@partner-connector.local")?,
            cookie_same_site: same_site,
            cookie_secure,
            queue_urls,
            queue_retry_delay: std::time::Duration::from_millis(retry_ms),
            list_read_limit,
            webhook_local_receivers: false,
            webhook_retries_on_queue: true,
        })
    }
}

/// A bare origin, exactly as browsers send it in `Origin`: a scheme, a host
/// and an optional port; no wildcard, path, query or trailing slash (an
/// origin that never equals the header would refuse every call).
fn check_origin(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?} is not an http or https origin"));
    }
    let origin = url.origin().ascii_serialization();
    if origin != text {
        return Err(format!(
            "{text:?} is not a bare origin scheme://host[:port]; write {origin}"
        ));
    }
    Ok(())
}

/// The current key and, after a comma, the previous one.
fn parse_keys(text: &str) -> Option<([u8; 32], Option<[u8; 32]>)> {
    match text.split_once(',') {
        None => Some((parse_key(text.trim())?, None)),
        Some((current, previous)) => Some((
            parse_key(current.trim())?,
            Some(parse_key(previous.trim())?),
        )),
    }
}

fn parse_key(hex_text: &str) -> Option<[u8; 32]> {
    if hex_text.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex_text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    /// A deployed function's environment with every setting valid, and
    /// `overrides` (a `None` removes the setting).
    fn lambda(needs: &[Secret], overrides: &[(&str, Option<&str>)]) -> Result<Config, ConfigError> {
        let overrides: HashMap<String, Option<String>> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect();
        Config::from_lookup(Mode::Lambda, needs, move |name| {
            if let Some(value) = overrides.get(name) {
                return value.clone();
            }
            match name {
                "ENCRYPTION_KEY" => Some(KEY.into()),
                "CORS_ORIGIN" => Some("https://app.example.com".into()),
                "COOKIE_SAME_SITE"
                | "COOKIE_SECURE"
                | "QUEUE_RETRY_DELAY_MS"
                | "LIST_READ_LIMIT" => None,
                _ => Some("x".repeat(40)),
            }
        })
    }

    #[test]
    fn lambda_mode_names_the_missing_setting() {
        let err = Config::from_lookup(Mode::Lambda, &[], |_| None).unwrap_err();
        assert_eq!(err, ConfigError::Missing("CORS_ORIGIN"));
        let err = lambda(&[], &[("TABLE_NAME", None)]).unwrap_err();
        assert_eq!(err, ConfigError::Missing("TABLE_NAME"));
        let err = lambda(&[Secret::MagicLink], &[("MAGIC_LINK_SECRET", None)]).unwrap_err();
        assert_eq!(err, ConfigError::Missing("MAGIC_LINK_SECRET"));
    }

    #[test]
    fn a_function_holds_only_the_secrets_it_declares() {
        let health = lambda(&[], &[]).unwrap();
        for value in [
            &health.jwt_secret,
            &health.stripe_secret_key,
            &health.encryption_key,
        ] {
            assert!(!value.is_present(), "{value:?}");
        }
        assert_eq!(health.jwt_secret.expose(), Err(MissingSecret(Secret::Jwt)));
        // Nothing it does not need is required: no secret at all is set.
        let bare = lambda(&[], &Secret::ALL.map(|s| (s.env_name(), None))).unwrap();
        assert!(!bare.chilipiper_webhook_secret.is_present());
        let signed_in = lambda(&[Secret::Jwt, Secret::Encryption], &[]).unwrap();
        assert_eq!(signed_in.jwt_secret.expose(), Ok("x".repeat(40).as_str()));
        assert_eq!(signed_in.encryption_key_bytes().unwrap()[1], 1);
        assert_eq!(signed_in.previous_encryption_key_bytes(), None);
        let previous = "ff".repeat(32);
        let rotating = lambda(
            &[Secret::Encryption],
            &[("ENCRYPTION_KEY", Some(&format!("{KEY},{previous}")))],
        )
        .unwrap();
        assert_eq!(rotating.encryption_key_bytes().unwrap()[1], 1);
        assert_eq!(rotating.previous_encryption_key_bytes(), Some([0xff; 32]));
        assert!(
            lambda(
                &[Secret::Encryption],
                &[("ENCRYPTION_KEY", Some(&format!("{KEY},abc")))]
            )
            .is_err()
        );
        assert!(!signed_in.magic_link_secret.is_present());
    }

    #[test]
    fn short_secrets_and_bad_keys_are_refused() {
        let err = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "ENCRYPTION_KEY").then(|| "abc".into())
        })
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "ENCRYPTION_KEY",
                ..
            }
        ));
        let err = lambda(&[Secret::Jwt], &[("JWT_SECRET", Some("short"))]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "JWT_SECRET",
                ..
            }
        ));
        // A short secret the function does not hold is not its concern.
        assert!(lambda(&[], &[("JWT_SECRET", Some("short"))]).is_ok());
    }

    #[test]
    fn insecure_cookies_stop_a_deployed_function() {
        let err = lambda(&[], &[("COOKIE_SECURE", Some("false"))]).unwrap_err();
        let ConfigError::Invalid { name, reason } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*name, "COOKIE_SECURE");
        assert!(reason.contains("HTTPS"), "{reason}");
        assert!(err.to_string().contains("COOKIE_SECURE"));
        assert!(lambda(&[], &[("COOKIE_SECURE", Some("true"))]).is_ok());
        let local = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "COOKIE_SECURE").then(|| "false".into())
        })
        .unwrap();
        assert!(!local.cookie_secure, "the dev server runs over plain HTTP");
    }

    #[test]
    fn cors_origin_must_be_a_bare_origin() {
        for bad in [
            "*",
            "https://app.example.com/",
            "https://app.example.com/app",
            "https://app.example.com?x=1",
            "app.example.com",
            "not a url",
            "ftp://app.example.com",
            "https://App.Example.com",
            "https://app.example.com:443",
            "null",
        ] {
            let err = lambda(&[], &[("CORS_ORIGIN", Some(bad))]).unwrap_err();
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        name: "CORS_ORIGIN",
                        ..
                    }
                ),
                "{bad}: {err:?}"
            );
            assert!(err.to_string().contains("CORS_ORIGIN"), "{err}");
        }
        for good in [
            "https://app.example.com",
            "http://localhost:3001",
            "https://app.example.com:8443",
        ] {
            let config = lambda(&[], &[("CORS_ORIGIN", Some(good))]).unwrap();
            assert_eq!(config.cors_origin, good);
        }
    }

    #[test]
    fn local_defaults_and_queue_urls() {
        let c = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "EMAILS_QUEUE_URL").then(|| "http://q/emails".into())
        })
        .unwrap();
        assert_eq!(c.queue_urls["emails"], "http://q/emails");
        assert_eq!(c.cookie_same_site, SameSite::Lax);
        assert_eq!(c.client_url, "http://localhost:3001");
        assert!(c.jwt_secret.is_present() && c.chilipiper_webhook_secret.is_present());
        assert!(!c.stripe_secret_key.is_present());
    }
}
