//! The CRM port on HubSpot's v3 APIs over reqwest (rustls): the OAuth
//! token endpoint and token info, deal pipelines, the batch endpoints of
//! contacts and deals, search, and deal↔contact associations.
//!
//! Rate limits: a 429 is retried after HubSpot's `Retry-After` (or, without
//! it, the rest of its ten-second window) up to [`RATE_LIMIT_RETRIES`]
//! times when the wait is short; then the call answers
//! `CrmError::RateLimited { retry_after }` so the caller puts its work back
//! on the queue with that delay. A 5xx or a transport failure is
//! `Unavailable`, a 401 `Unauthorized`, any other 4xx `Refused` with
//! HubSpot's message. Errors never carry a URL (token info has the token
//! in its path) nor a token.
//!
//! Configuration: `HUBSPOT_CLIENT_ID` and `HUBSPOT_CLIENT_SECRET` (the
//! function's secrets), and `HUBSPOT_API_BASE` to point the client at
//! another server (a local fake); `https://api.hubapi.com` when unset. A
//! deployed function links this crate only when its permissions include
//! `crm()`, through [`with_crm`].

mod calls;
mod oauth;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use pc_platform::AppContext;
use pc_platform::config::{Config, Keyring, MissingSecret, Secret, SecretText};
use pc_platform::crm::CrmError;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// The variable naming another HubSpot API base URL.
pub const API_BASE_VARIABLE: &str = "HUBSPOT_API_BASE";
/// HubSpot's API.
pub const DEFAULT_API_BASE: &str = "https://api.hubapi.com";
/// HubSpot's consent page.
pub const AUTHORIZE_URL: &str = "https://app.hubspot.com/oauth/authorize";

/// How often a 429 is retried in place before the caller is told to.
pub const RATE_LIMIT_RETRIES: usize = 2;
/// The longest wait spent in place on a 429; longer ones go to the caller.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(10);
/// HubSpot's burst window, the wait when a 429 names none.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);
/// One attempt's time limit: shorter than an API function's timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    MissingKey(#[from] MissingSecret),
    #[error("invalid HubSpot client setting: {0}")]
    Invalid(String),
}

/// The CRM port on HubSpot.
#[derive(Clone)]
pub struct HubspotClient {
    http: reqwest::Client,
    base: url::Url,
    /// Holds the app's client id and secret, read at each token call: a
    /// deployed function builds this client while its secrets are still
    /// being read, and uses those of the last (re)load.
    keyring: Keyring,
}

impl std::fmt::Debug for HubspotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubspotClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl HubspotClient {
    pub fn new(base: &str, client_id: &str, client_secret: &str) -> Result<Self, SetupError> {
        let keyring = Keyring::fixed([
            (Secret::HubspotClientId, client_id.to_owned()),
            (Secret::HubspotClientSecret, client_secret.to_owned()),
        ]);
        Self::with_keyring(base, keyring)
    }

    /// A client reading the app's credentials from `keyring`.
    pub fn with_keyring(base: &str, keyring: Keyring) -> Result<Self, SetupError> {
        for secret in [Secret::HubspotClientId, Secret::HubspotClientSecret] {
            if !keyring.held().contains(&secret) {
                return Err(MissingSecret(secret).into());
            }
        }
        let base =
            url::Url::parse(base).map_err(|e| SetupError::Invalid(format!("{base}: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .build()
            .map_err(|e| SetupError::Invalid(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base,
            keyring,
        })
    }

    /// The client of a deployed function: its secrets, and the API base of
    /// `HUBSPOT_API_BASE` when set.
    pub fn from_config(config: &Config) -> Result<Self, SetupError> {
        let base = std::env::var(API_BASE_VARIABLE)
            .ok()
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_BASE.into());
        Self::with_keyring(&base, config.secrets.clone())
    }

    /// The app's client id and secret, as held now.
    fn credentials(&self) -> Result<(SecretText, SecretText), CrmError> {
        let read = |secret| {
            self.keyring
                .current(secret)
                .map_err(|e| CrmError::Unavailable(e.to_string()))
        };
        Ok((
            read(Secret::HubspotClientId)?,
            read(Secret::HubspotClientSecret)?,
        ))
    }

    fn url(&self, path: &str) -> Result<url::Url, CrmError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| CrmError::Refused(format!("bad HubSpot path: {e}")))
    }

    /// Sends `build()`'s request, retrying short 429s; answers the JSON of
    /// a success (`Null` for an empty body).
    async fn send(&self, build: impl Fn() -> RequestBuilder) -> Result<Value, CrmError> {
        let mut attempt = 0;
        loop {
            let response = build()
                .send()
                .await
                .map_err(|e| CrmError::Unavailable(e.without_url().to_string()))?;
            match classify(response).await {
                Err(CrmError::RateLimited { retry_after })
                    if attempt < RATE_LIMIT_RETRIES && retry_after <= MAX_INLINE_WAIT =>
                {
                    attempt += 1;
                    tracing::info!(?retry_after, attempt, "HubSpot rate limit; waiting");
                    tokio::time::sleep(retry_after).await;
                }
                other => return other,
            }
        }
    }

    async fn json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<Value, CrmError> {
        let url = self.url(path)?;
        self.send(|| {
            let request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token);
            match body {
                Some(body) => request.json(body),
                None => request,
            }
        })
        .await
    }
}

/// The wait a 429 asks for: `Retry-After` seconds, else the rest of the
/// window HubSpot's rate-limit headers describe, else its ten seconds.
fn retry_after(response: &Response) -> Duration {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(seconds) = header("retry-after") {
        return Duration::from_secs(seconds.max(1));
    }
    if let Some(millis) = header("x-hubspot-ratelimit-interval-milliseconds") {
        return Duration::from_millis(millis.max(1000));
    }
    DEFAULT_WAIT
}

/// A response as the port's answer or error.
async fn classify(response: Response) -> Result<Value, CrmError> {
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(CrmError::RateLimited {
            retry_after: retry_after(&response),
        });
    }
    let text = response
        .text()
        .await
        .map_err(|e| CrmError::Unavailable(e.without_url().to_string()))?;
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let message = || {
        body["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()))
    };
    match status {
        s if s.is_success() => Ok(body),
        StatusCode::UNAUTHORIZED => Err(CrmError::Unauthorized),
        // The token endpoint refuses a bad or revoked code or refresh
        // token with 400 and one of these statuses.
        StatusCode::BAD_REQUEST
            if matches!(
                body["status"].as_str(),
                Some("BAD_REFRESH_TOKEN" | "BAD_AUTH_CODE" | "EXPIRED_AUTHENTICATION")
            ) =>
        {
            Err(CrmError::Unauthorized)
        }
        s if s.is_server_error() => Err(CrmError::Unavailable(message())),
        _ => Err(CrmError::Refused(message())),
    }
}

/// A port that refuses every call, naming why the client could not be
/// built (a missing secret, a bad base URL).
struct Misconfigured(String);

impl Misconfigured {
    fn error<T>(&self) -> Result<T, CrmError> {
        Err(CrmError::Refused(format!(
            "HubSpot is not configured: {}",
            self.0
        )))
    }
}

/// The function's context with the HubSpot client as its CRM port.
pub fn with_crm(mut context: AppContext) -> AppContext {
    context.crm = match HubspotClient::from_config(&context.config) {
        Ok(client) => Arc::new(client),
        Err(error) => {
            tracing::error!(%error, "HubSpot is not configured");
            Arc::new(Misconfigured(error.to_string()))
        }
    };
    context
}
