//! The secrets a function can be given, each an environment variable
//! resolved from the secret store at deploy time. A deployed function holds
//! only the secrets its entry in the function table declares, so a handler
//! that reaches for one it was not given gets [`MissingSecret`] (a clear
//! error naming the setting), never an empty key.

use std::fmt;

/// One secret setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Secret {
    /// Signs and verifies access and refresh tokens.
    Jwt,
    /// Signs and verifies magic links.
    MagicLink,
    /// AES-256-GCM key of stored OAuth tokens (64 hexadecimal characters).
    Encryption,
    /// The shared secret ChiliPiper sends with each webhook.
    ChilipiperWebhook,
    StripeSecretKey,
    /// Signs the platform account's events (`POST /v1/billing/webhooks/stripe`).
    StripeWebhook,
    /// Signs the connected accounts' events, which Stripe sends from a
    /// Connect endpoint of their own (`POST /v1/billing/webhooks/stripe-connect`).
    StripeConnectWebhook,
    HubspotClientId,
    HubspotClientSecret,
}

impl Secret {
    pub const ALL: [Secret; 9] = [
        Secret::Jwt,
        Secret::MagicLink,
        Secret::Encryption,
        Secret::ChilipiperWebhook,
        Secret::StripeSecretKey,
        Secret::StripeWebhook,
        Secret::StripeConnectWebhook,
        Secret::HubspotClientId,
        Secret::HubspotClientSecret,
    ];

    /// The environment variable, and the key in the deployed secret.
    pub const fn env_name(self) -> &'static str {
        match self {
            Secret::Jwt => "JWT_SECRET",
            Secret::MagicLink => "MAGIC_LINK_SECRET",
            Secret::Encryption => "ENCRYPTION_KEY",
            Secret::ChilipiperWebhook => "CHILIPIPER_WEBHOOK_SECRET",
            Secret::StripeSecretKey => "STRIPE_SECRET_KEY",
            Secret::StripeWebhook => "STRIPE_WEBHOOK_SECRET",
            Secret::StripeConnectWebhook => "STRIPE_CONNECT_WEBHOOK_SECRET",
            Secret::HubspotClientId => "HUBSPOT_CLIENT_ID",
            Secret::HubspotClientSecret => "HUBSPOT_CLIENT_SECRET",
        }
    }

    /// Keys we generate ourselves must be long enough to resist guessing;
    /// third-party credentials have whatever length their issuer gives.
    pub(crate) const fn min_length(self) -> usize {
        match self {
            Secret::Jwt | Secret::MagicLink | Secret::ChilipiperWebhook => 32,
            _ => 1,
        }
    }

    /// The development value the local server uses when the environment
    /// has none; third-party credentials have none (their features stay off).
    pub(crate) const fn local_default(self) -> Option<&'static str> {
        match self {
            Secret::Jwt => Some("dev-jwt-secret-change-me-0123456789abcdef"),
            Secret::MagicLink => Some("dev-magic-link-secret-change-me-0123456789"),
            Secret::Encryption => {
                Some("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
            }
            Secret::ChilipiperWebhook => Some("dev-chilipiper-secret-0123456789abcdef"),
            // The local fake Stripe signs its webhook events with it.
            Secret::StripeWebhook => Some("whsec_dev-stripe-webhook-secret-0123456789"),
            Secret::StripeConnectWebhook => Some("whsec_dev-stripe-connect-secret-0123456789"),
            // The local fake HubSpot knows this app and signs its webhook
            // batches with the client secret.
            Secret::HubspotClientId => Some("dev-hubspot-client-id"),
            Secret::HubspotClientSecret => Some("dev-hubspot-client-secret-0123456789"),
            _ => None,
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.env_name())
    }
}

/// A handler needed a secret its function was not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0} is not configured for this function; declare it in the function's permissions so the template gives it"
)]
pub struct MissingSecret(pub Secret);

/// A secret's value, when this process holds it. Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue {
    secret: Secret,
    value: Option<String>,
}

impl SecretValue {
    pub fn new(secret: Secret, value: Option<String>) -> Self {
        Self { secret, value }
    }

    /// The value, or [`MissingSecret`] when this function was not given it.
    pub fn expose(&self) -> Result<&str, MissingSecret> {
        self.value.as_deref().ok_or(MissingSecret(self.secret))
    }

    pub fn is_present(&self) -> bool {
        self.value.is_some()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.value.is_some() {
            "<redacted>"
        } else {
            "<absent>"
        };
        write!(f, "{}: {state}", self.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_secrets_name_themselves_and_values_never_print() {
        let absent = SecretValue::new(Secret::Jwt, None);
        let error = absent.expose().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("JWT_SECRET is not configured")
        );
        let present = SecretValue::new(Secret::Jwt, Some("s3cret-value".into()));
        assert_eq!(present.expose(), Ok("s3cret-value"));
        assert!(!format!("{present:?}").contains("s3cret"));
    }
}
