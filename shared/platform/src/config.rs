//! Configuration from environment variables (SPEC.md §10). In Lambda a
//! missing required setting stops the function at start with its name;
//! locally every setting has a development default.

use std::collections::HashMap;

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
    pub cors_origin: String,
    pub jwt_secret: String,
    pub magic_link_secret: String,
    /// 32 bytes, for AES-256-GCM of stored OAuth tokens.
    pub encryption_key: [u8; 32],
    pub stripe_secret_key: Option<String>,
    pub stripe_webhook_secret: Option<String>,
    pub hubspot_client_id: Option<String>,
    pub hubspot_client_secret: Option<String>,
    pub hubspot_redirect_uri: Option<String>,
    pub chilipiper_webhook_secret: String,
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

    fn secret(&self, name: &'static str, local_default: &str) -> Result<String, ConfigError> {
        let value = self.required(name, local_default)?;
        if self.mode == Mode::Lambda && value.len() < 32 {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be at least 32 characters".into(),
            });
        }
        Ok(value)
    }
}

const DEV_ENCRYPTION_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

impl Config {
    /// Reads the process environment.
    pub fn from_env(mode: Mode) -> Result<Self, ConfigError> {
        Self::from_lookup(mode, |name| std::env::var(name).ok())
    }

    /// The local defaults, untouched by the environment (tests).
    pub fn local_defaults() -> Self {
        Self::from_lookup(Mode::Local, |_| None).expect("local defaults are complete")
    }

    pub fn from_lookup(
        mode: Mode,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let s = Settings { mode, lookup };
        let key_hex = s.required("ENCRYPTION_KEY", DEV_ENCRYPTION_KEY)?;
        let encryption_key = parse_key(&key_hex).ok_or(ConfigError::Invalid {
            name: "ENCRYPTION_KEY",
            reason: "must be 64 hexadecimal characters".into(),
        })?;
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
            cors_origin: s.required("CORS_ORIGIN", "http://localhost:3001")?,
            jwt_secret: s.secret("JWT_SECRET", "dev-jwt-secret-change-me-0123456789abcdef")?,
            magic_link_secret: s.secret(
                "MAGIC_LINK_SECRET",
                "dev-magic-link-secret-change-me-0123456789",
            )?,
            encryption_key,
            stripe_secret_key: s.get("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: s.get("STRIPE_WEBHOOK_SECRET"),
            hubspot_client_id: s.get("HUBSPOT_CLIENT_ID"),
            hubspot_client_secret: s.get("HUBSPOT_CLIENT_SECRET"),
            hubspot_redirect_uri: s.get("HUBSPOT_REDIRECT_URI"),
            chilipiper_webhook_secret: s.secret(
                "CHILIPIPER_WEBHOOK_SECRET",
                "dev-chilipiper-secret-0123456789abcdef",
            )?,
            lost_lead_alert_to: s
                .required("LOST_LEAD_ALERT_TO", "alerts@partner-connector.local")?,
            billing_alert_to: s.required("BILLING_ALERT_TO", "billing@partner-connector.local")?,
            cookie_same_site: same_site,
            cookie_secure,
            queue_urls,
            queue_retry_delay: std::time::Duration::from_millis(retry_ms),
        })
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

    #[test]
    fn lambda_mode_names_the_missing_setting() {
        let err = Config::from_lookup(Mode::Lambda, |_| None).unwrap_err();
        assert_eq!(err, ConfigError::Missing("ENCRYPTION_KEY"));
        let err = Config::from_lookup(Mode::Lambda, |n| {
            (n == "ENCRYPTION_KEY").then(|| DEV_ENCRYPTION_KEY.to_owned())
        })
        .unwrap_err();
        assert_eq!(err, ConfigError::Missing("TABLE_NAME"));
    }

    #[test]
    fn short_secrets_and_bad_keys_are_refused() {
        let err = Config::from_lookup(Mode::Local, |n| {
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
        let err = Config::from_lookup(Mode::Lambda, |n| match n {
            "JWT_SECRET" => Some("short".into()),
            "ENCRYPTION_KEY" => Some(DEV_ENCRYPTION_KEY.into()),
            "COOKIE_SAME_SITE" | "COOKIE_SECURE" | "QUEUE_RETRY_DELAY_MS" => None,
            _ => Some("x".repeat(40)),
        })
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "JWT_SECRET",
                ..
            }
        ));
    }

    #[test]
    fn local_defaults_and_queue_urls() {
        let c = Config::from_lookup(Mode::Local, |n| {
            (n == "EMAILS_QUEUE_URL").then(|| "http://q/emails".into())
        })
        .unwrap();
        assert_eq!(c.queue_urls["emails"], "http://q/emails");
        assert_eq!(c.cookie_same_site, SameSite::Lax);
        assert_eq!(c.client_url, "http://localhost:3001");
    }
}
