//! Configuration from environment variables. In Lambda a missing or
//! unsafe setting stops the function at start with a message naming it, and
//! the function is told the names of the secrets it declares (their values
//! are read from the secret store at start, [`Keyring`]); locally every
//! setting, secrets included, has a development default.

use std::collections::HashMap;

pub use crate::secrets::{Keyring, MissingSecret, Secret, SecretText};
pub use crate::session_keys::{MissingPublicKeys, PublicKey};

mod cookies;
mod held_secrets;
mod origin;
mod public_keys;
mod queues;
mod settings;

pub use cookies::SameSite;
pub use settings::Settings;

/// Where the process runs, which decides whether defaults are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A deployed function: secrets and names must come from the environment.
    Lambda,
    /// The dev server and tests: development defaults fill the gaps.
    Local,
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
    /// The secrets this process holds: fixed locally, read from the
    /// secret store by a deployed function (see [`Keyring`]).
    pub secrets: Keyring,
    /// A deployed function's secrets and their names (or ARNs) in the
    /// secret store (`<NAME>_NAME`, e.g. `JWT_SIGNING_KEY_NAME`); empty locally.
    pub secret_ids: Vec<(Secret, String)>,
    /// The public keys that verify session tokens (`JWT_PUBLIC_KEYS`,
    /// current first; see [`crate::session_keys`]): a deployed function
    /// that checks sessions is given them, one that does not has none.
    /// Locally, the public half of the local signing key.
    pub jwt_public_keys: Vec<PublicKey>,
    pub hubspot_redirect_uri: Option<String>,
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
    /// Most open (active or being paid for) marketplace reservations one
    /// buyer holds at once (`MARKETPLACE_MAX_OPEN_RESERVATIONS`, default 5).
    pub max_open_reservations: i64,
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

/// The route HubSpot redirects to after consent.
pub const HUBSPOT_CALLBACK_PATH: &str = "/v1/integrations/hubspot/callback";

/// The HubSpot callback of a local server listening on `host_port`.
pub fn local_hubspot_callback_uri(host_port: impl std::fmt::Display) -> String {
    format!("http://{host_port}{HUBSPOT_CALLBACK_PATH}")
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required setting {0}")]
    Missing(&'static str),
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
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

    /// Where HubSpot sends the partner back after consent: the configured
    /// `HUBSPOT_REDIRECT_URI`, else the callback route on the dev server's
    /// default port (a running dev server sets it to the port it listens
    /// on, see [`local_hubspot_callback_uri`]).
    pub fn hubspot_callback_uri(&self) -> String {
        self.hubspot_redirect_uri
            .clone()
            .unwrap_or_else(|| local_hubspot_callback_uri("127.0.0.1:3000"))
    }

    pub fn from_lookup(
        mode: Mode,
        needs: &[Secret],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let s = Settings { mode, lookup };
        let (secrets, secret_ids) = s.secrets(needs)?;
        let jwt_public_keys = public_keys::jwt_public_keys(&s, &secrets)?;
        let same_site = cookies::same_site(&s)?;
        let cookie_secure = cookies::secure(&s, mode)?;
        let cors_origin = origin::cors_origin(&s)?;
        let queue_urls = queues::queue_urls(&s);
        let retry_ms = queues::retry_delay_ms(&s)?;
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
        let max_open_reservations = match s.get("MARKETPLACE_MAX_OPEN_RESERVATIONS") {
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=1_000).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "MARKETPLACE_MAX_OPEN_RESERVATIONS",
                    reason: format!("{text} is not a number of reservations from 1 to 1000"),
                })?,
            None => 5,
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
            secrets,
            secret_ids,
            jwt_public_keys,
            hubspot_redirect_uri: s.get("HUBSPOT_REDIRECT_URI"),
            lost_lead_alert_to: s
                .required("LOST_LEAD_ALERT_TO", "alerts@partner-connector.local")?,
            billing_alert_to: s.required("BILLING_ALERT_TO", "billing@partner-connector.local")?,
            cookie_same_site: same_site,
            cookie_secure,
            queue_urls,
            queue_retry_delay: std::time::Duration::from_millis(retry_ms),
            list_read_limit,
            max_open_reservations,
            webhook_local_receivers: false,
            webhook_retries_on_queue: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    /// A deployed function's environment with every setting valid, and
    /// `overrides` (a `None` removes the setting).
    pub(super) fn lambda(
        needs: &[Secret],
        overrides: &[(&str, Option<&str>)],
    ) -> Result<Config, ConfigError> {
        let overrides: HashMap<String, Option<String>> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect();
        Config::from_lookup(Mode::Lambda, needs, move |name| {
            if let Some(value) = overrides.get(name) {
                return value.clone();
            }
            match name {
                "CORS_ORIGIN" => Some("https://app.example.com".into()),
                "COOKIE_SAME_SITE"
                | "COOKIE_SECURE"
                | "QUEUE_RETRY_DELAY_MS"
                | "LIST_READ_LIMIT"
                | "MARKETPLACE_MAX_OPEN_RESERVATIONS"
                | "JWT_PUBLIC_KEYS" => None,
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
        let err = lambda(&[Secret::MagicLink], &[("MAGIC_LINK_SECRET_NAME", None)]).unwrap_err();
        assert_eq!(err, ConfigError::Missing("MAGIC_LINK_SECRET_NAME"));
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
        assert!(
            c.secrets.holds(Secret::JwtSigningKey) && c.secrets.holds(Secret::ChilipiperWebhook)
        );
        assert!(!c.secrets.holds(Secret::StripeSecretKey));
    }
}
