//! The HTTP client that sends async-stripe's requests to Stripe, over
//! reqwest. It is ours rather than async-stripe's (hyper) because that one
//! reads every error into async-stripe's `ApiErrors`, whose embedded
//! objects pull the deserializers of nearly all of Stripe's resources
//! (about 7 MB) into each function that calls Stripe.

use std::time::Duration;

use bytes::Bytes;
use pc_platform::config::{Keyring, MissingSecret, Secret};
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, InvalidHeaderValue, USER_AGENT,
};
use stripe_client_core::{CustomizedStripeRequest, StripeClient, StripeMethod, VERSION};

use crate::SetupError;
use crate::failures::{Failure, answered, not_sent, unreachable};

/// Stripe's API when no other base is given.
const DEFAULT_API_BASE: &str = "https://api.stripe.com/";

/// How long one attempt may take: shorter than the timeout of an API
/// function (the shortest), so a hung connection ends as a retryable
/// failure the handler answers, rather than a killed run.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

const STRIPE_VERSION: HeaderName = HeaderName::from_static("stripe-version");
const STRIPE_ACCOUNT: HeaderName = HeaderName::from_static("stripe-account");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Sends one attempt per call: the callers retry with the same idempotency
/// key, so a retry here would only hold their queue message longer.
#[derive(Clone)]
pub(crate) struct StripeHttp {
    http: reqwest::Client,
    /// Ends with `/`, `v1/...` follows.
    base: String,
    /// Holds `STRIPE_SECRET_KEY`, read at each call: a deployed function
    /// builds this client while its secrets are still being read, and
    /// uses the key of the last (re)load.
    keyring: Keyring,
    /// The API version async-stripe's request and response types are
    /// generated for.
    version: HeaderValue,
}

impl std::fmt::Debug for StripeHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeHttp")
            .field("base", &self.base)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl StripeHttp {
    pub(crate) fn new(secret_key: &str, base_url: Option<&str>) -> Result<Self, SetupError> {
        authorization(secret_key)
            .map_err(|_| SetupError::Invalid("the secret key is not a valid header".into()))?;
        let keyring = Keyring::fixed([(Secret::StripeSecretKey, secret_key.to_owned())]);
        Self::with_keyring(keyring, base_url)
    }

    /// A client reading the key from `keyring` at each call.
    pub(crate) fn with_keyring(
        keyring: Keyring,
        base_url: Option<&str>,
    ) -> Result<Self, SetupError> {
        if !keyring.held().contains(&Secret::StripeSecretKey) {
            return Err(MissingSecret(Secret::StripeSecretKey).into());
        }
        let base = with_trailing_slash(base_url.unwrap_or(DEFAULT_API_BASE));
        reqwest::Url::parse(&base).map_err(|e| SetupError::Invalid(format!("{base}: {e}")))?;
        let version = HeaderValue::from_str(VERSION.as_str())
            .map_err(|_| SetupError::Invalid(format!("API version {VERSION:?}")))?;
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SetupError::Invalid(e.to_string()))?;
        Ok(Self {
            http,
            base,
            keyring,
            version,
        })
    }
}

impl StripeClient for StripeHttp {
    type Err = Failure;

    async fn execute(&self, request: CustomizedStripeRequest) -> Result<Bytes, Failure> {
        let (request, config) = request.into_pieces();
        let method = match request.method {
            StripeMethod::Get => reqwest::Method::GET,
            StripeMethod::Post => reqwest::Method::POST,
            StripeMethod::Delete => reqwest::Method::DELETE,
        };
        let mut url = format!("{}v1{}", self.base, request.path);
        if let Some(query) = request.query.filter(|q| !q.is_empty()) {
            url = format!("{url}?{query}");
        }
        let key = self
            .keyring
            .current(Secret::StripeSecretKey)
            .map_err(|e| not_sent(e.to_string()))?;
        let authorization = authorization(&key)
            .map_err(|_| not_sent("STRIPE_SECRET_KEY is not a valid header value".into()))?;
        let mut builder = self
            .http
            .request(method, url)
            .header(AUTHORIZATION, authorization)
            .header(STRIPE_VERSION, self.version.clone())
            .header(USER_AGENT, concat!("pc-stripe/", env!("CARGO_PKG_VERSION")));
        if let Some(key) = config.request_strategy.and_then(|s| s.get_key()) {
            builder = builder.header(IDEMPOTENCY_KEY, key.as_str());
        }
        if let Some(account) = config.account_id {
            builder = builder.header(STRIPE_ACCOUNT, account.as_str());
        }
        if let Some(timeout) = config.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(body) = request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = builder.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(answered(status.as_u16(), &body))
        }
    }
}

/// The `Authorization` header of `secret_key`, kept out of debug output.
fn authorization(secret_key: &str) -> Result<HeaderValue, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {secret_key}"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The base and `v1/...` are joined without a separator.
fn with_trailing_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

#[cfg(test)]
mod tests;
