//! The secrets a function can be given. A deployed function is told the
//! name of each secret its entry in the function table declares (never the
//! value) and reads them from the secret store at start ([`Keyring`]), so
//! a handler that reaches for one it was not given gets [`MissingSecret`]
//! (a clear error naming the setting), never an empty key. Locally every
//! secret is an environment variable with a development default.

use std::fmt;

mod keyring;
mod source;

pub use keyring::{Keyring, RELOAD_INTERVAL, SecretText};
pub use source::{SecretSource, SecretsError};

/// One secret setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Secret {
    /// Signs access and refresh tokens: the Ed25519 private key (PKCS#8
    /// PEM) of [`crate::session_keys`], held only by the functions that
    /// issue sessions; every other function verifies with public keys.
    JwtSigningKey,
    /// Signs and verifies the OAuth `state` of a HubSpot connection (HS256).
    OauthState,
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
    pub const ALL: [Secret; 10] = [
        Secret::JwtSigningKey,
        Secret::OauthState,
        Secret::MagicLink,
        Secret::Encryption,
        Secret::ChilipiperWebhook,
        Secret::StripeSecretKey,
        Secret::StripeWebhook,
        Secret::StripeConnectWebhook,
        Secret::HubspotClientId,
        Secret::HubspotClientSecret,
    ];

    /// The environment variable holding it locally (and naming it in errors).
    pub const fn env_name(self) -> &'static str {
        match self {
            Secret::JwtSigningKey => "JWT_SIGNING_KEY",
            Secret::OauthState => "OAUTH_STATE_SECRET",
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

    /// The environment variable of a deployed function naming the secret
    /// (in the secret store) whose value this is: its name (`<prefix>` +
    /// [`Secret::env_name`] in the deployed template) or its ARN.
    pub const fn name_variable(self) -> &'static str {
        match self {
            Secret::JwtSigningKey => "JWT_SIGNING_KEY_NAME",
            Secret::OauthState => "OAUTH_STATE_SECRET_NAME",
            Secret::MagicLink => "MAGIC_LINK_SECRET_NAME",
            Secret::Encryption => "ENCRYPTION_KEY_NAME",
            Secret::ChilipiperWebhook => "CHILIPIPER_WEBHOOK_SECRET_NAME",
            Secret::StripeSecretKey => "STRIPE_SECRET_KEY_NAME",
            Secret::StripeWebhook => "STRIPE_WEBHOOK_SECRET_NAME",
            Secret::StripeConnectWebhook => "STRIPE_CONNECT_WEBHOOK_SECRET_NAME",
            Secret::HubspotClientId => "HUBSPOT_CLIENT_ID_NAME",
            Secret::HubspotClientSecret => "HUBSPOT_CLIENT_SECRET_NAME",
        }
    }

    /// Whether values signed or sealed with it are checked later, so the
    /// value before a rotation (`AWSPREVIOUS`) must still be accepted; the
    /// Stripe key and HubSpot's client id are only ever sent, and session
    /// tokens are checked with public keys, never with their signing key.
    pub const fn verifies(self) -> bool {
        !matches!(
            self,
            Secret::StripeSecretKey | Secret::HubspotClientId | Secret::JwtSigningKey
        )
    }

    /// Keys we generate ourselves must be long enough to resist guessing;
    /// third-party credentials have whatever length their issuer gives.
    pub(crate) const fn min_length(self) -> usize {
        match self {
            Secret::OauthState | Secret::MagicLink | Secret::ChilipiperWebhook => 32,
            _ => 1,
        }
    }

    /// The development value the local server uses when the environment
    /// has none; third-party credentials have none (their features stay off).
    pub(crate) const fn local_default(self) -> Option<&'static str> {
        match self {
            Secret::JwtSigningKey => Some(crate::session_keys::DEV_SIGNING_KEY),
            Secret::OauthState => Some("dev-oauth-state-secret-change-me-0123456789"),
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

/// Why a secret's value is refused (too short, not a key list, not an
/// Ed25519 private key).
pub(crate) fn check(secret: Secret, value: &str) -> Result<(), String> {
    if secret == Secret::JwtSigningKey {
        return crate::session_keys::SigningKey::from_pem(value).map(drop);
    }
    if value.len() < secret.min_length() {
        return Err(format!(
            "must be at least {} characters",
            secret.min_length()
        ));
    }
    if secret == Secret::Encryption && parse_keys(value).is_none() {
        return Err(
            "must be 64 hexadecimal characters, optionally followed by commas and older keys of 64"
                .into(),
        );
    }
    Ok(())
}

/// The encryption keys of one value: the first, and after commas older
/// ones still accepted to decrypt.
pub(crate) fn parse_keys(text: &str) -> Option<Vec<[u8; 32]>> {
    text.split(',').map(|key| parse_key(key.trim())).collect()
}

fn parse_key(hex_text: &str) -> Option<[u8; 32]> {
    let mut key = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut key).ok()?;
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_as_a_list_and_bad_values_are_refused() {
        let key = "00".repeat(32);
        assert_eq!(parse_keys(&key).unwrap(), vec![[0u8; 32]]);
        let two = format!("{key}, {}", "ff".repeat(32));
        assert_eq!(parse_keys(&two).unwrap(), vec![[0u8; 32], [0xff; 32]]);
        assert!(parse_keys(&format!("{key},abc")).is_none());
        assert!(check(Secret::Encryption, "abc").is_err());
        assert!(
            check(Secret::OauthState, "short")
                .unwrap_err()
                .contains("32")
        );
        let error = check(Secret::JwtSigningKey, &"x".repeat(40)).unwrap_err();
        assert!(
            error.contains("Ed25519 private key in PKCS#8 PEM"),
            "{error}"
        );
        assert!(check(Secret::JwtSigningKey, crate::session_keys::DEV_SIGNING_KEY).is_ok());
        assert!(check(Secret::StripeSecretKey, "sk_test_1").is_ok());
    }
}
